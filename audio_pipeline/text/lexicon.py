"""Pronunciation lexicon: the show's decisions about how particular words are said.

Two layers are read from TOML files (the schema is documented at the top of
``voices/lexicon.toml``):

- the show lexicon (``voices/lexicon.toml``): spoken forms that hold for any voice,
  e.g. ``ICML = "I-C-M-L"``;
- a voice lexicon (e.g. ``voices/ernis.lexicon.toml``): respellings that coax one
  voice's phonemiser into the right sounds. Its entries override the show's.

An entry is a respelling every engine can say (``Ernis = "Erniss"``), or a table that also
gives the word's phonemes for an engine family, which that family's engines are given
instead (``Ernis = { say = "Erniss", espeak = "ˈɜːnɪs", misaki = "ˈɜɹnɪs" }``): espeak IPA
for Piper, misaki for hibari (`PHONEME_FAMILIES`).

A lexicon is plain data; `audio_pipeline.text.normalize` applies it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Final

from ..errors import VoiceError
from ..files import read_text, regular_file
from ..settings import CONTROL, ZERO_WIDTH, read_table

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHOW: Final = "show"
VOICE: Final = "voice"

SCHEMA_VERSION: Final = 2
"""Bumped when the meaning of a lexicon file changes, so fingerprints change with it."""

_FORBIDDEN_IN_KEY: Final = re.compile(r"[{}|\n\r\t]")

PHONEME_FAMILIES: Final = ("espeak", "misaki")
"""Phoneme alphabets an entry may carry: espeak-ng IPA (Piper) and misaki (hibari)."""
# Characters that would end an engine's inline phoneme form early ("[[ … ]]", "[w](/…/)").
_FORBIDDEN_IN_PHONEMES: Final = re.compile(r"[{}|\[\]()/\\\n\r\t]")


@dataclass(frozen=True)
class Entry:
    """One written form and what the engine should be given instead."""

    written: str
    """The form as it appears in a script, matched as a whole word."""
    spoken: str
    """What the engine says; used verbatim."""
    case_sensitive: bool = True
    """False for entries from ``[words_nocase]``."""
    source: str = SHOW
    """``"show"`` or ``"voice"``: the layer the entry came from."""
    phonemes: tuple[tuple[str, str], ...] = ()
    """(family, phonemes) pairs: what an engine of that family is given instead of `spoken`."""

    def phonemes_for(self, family: str | None) -> str | None:
        return next((p for f, p in self.phonemes if f == family), None) if family else None


@dataclass(frozen=True)
class Lexicon:
    """The effective lexicon: voice entries already override show entries."""

    entries: tuple[Entry, ...] = ()
    """Word replacements; at most one per written form (per case-sensitivity)."""
    read_as_word: frozenset[str] = frozenset()
    """All-caps or mixed-case tokens read as a word (NASA, LoRA) instead of spelled."""

    def fingerprint(self) -> str:
        """sha256 hex of the effective content: equal for lexicons that speak alike."""
        content = {
            "schema": SCHEMA_VERSION,
            "words": sorted((e.written, e.spoken, e.phonemes) for e in self.entries if e.case_sensitive),
            "words_nocase": sorted((e.written.lower(), e.spoken, e.phonemes) for e in self.entries if not e.case_sensitive),
            "read_as_word": sorted(self.read_as_word),
        }
        blob = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def lookup(self, word: str) -> Entry | None:
        """The entry for ``word``: an exact case-sensitive match first, then a caseless one."""
        return self._exact.get(word) or self._caseless.get(word.lower())

    def reads_as_word(self, token: str) -> bool:
        return token in self.read_as_word

    @cached_property
    def _exact(self) -> dict[str, Entry]:
        return {e.written: e for e in self.entries if e.case_sensitive}

    @cached_property
    def _caseless(self) -> dict[str, Entry]:
        return {e.written.lower(): e for e in self.entries if not e.case_sensitive}


def default_show_lexicon_path() -> Path:
    """The show lexicon: the show folder's own (``lexicon.toml``, or ``voices/lexicon.toml``
    there), else the bundled ``voices/lexicon.toml``."""
    from ..show import show_lexicon_path

    return show_lexicon_path()


def load_lexicon(show_path: Path | None, voice_path: Path | None = None) -> Lexicon:
    """Read the show lexicon and an optional voice lexicon; voice entries win.

    Raises `VoiceError` naming the file and what to fix when a file is missing or malformed.
    """
    exact: dict[str, Entry] = {}
    caseless: dict[str, Entry] = {}
    as_word: set[str] = set()
    for layer, path in ((SHOW, show_path), (VOICE, voice_path)):
        if path is None:
            continue
        data = _read_toml(Path(path))
        for key, spoken in data.words.items():
            exact[key] = Entry(key, spoken, True, layer, data.phonemes.get(("words", key), ()))
        for key, spoken in data.words_nocase.items():
            caseless[key.lower()] = Entry(key, spoken, False, layer, data.phonemes.get(("words_nocase", key), ()))
        as_word.update(data.acronyms.read_as_word)
        as_word.difference_update(data.acronyms.spell)
    entries = tuple(exact.values()) + tuple(caseless.values())
    return Lexicon(entries, frozenset(as_word))


@dataclass(frozen=True)
class _Acronyms:
    """The [acronyms] table."""

    read_as_word: list[str] = field(default_factory=list)
    spell: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Tables:
    """One lexicon file as written."""

    words: dict = field(default_factory=dict)
    words_nocase: dict = field(default_factory=dict)
    acronyms: _Acronyms = _Acronyms()


@dataclass(frozen=True)
class _File(_Tables):
    """One lexicon file, its spoken forms with whitespace collapsed."""

    phonemes: dict = field(default_factory=dict)
    """(table, key) -> ((family, phonemes), ...), for the entries written as tables."""


@dataclass(frozen=True)
class _Word:
    """An entry written as a table: the respelling, and phonemes per engine family."""

    say: str = ""
    espeak: str = ""
    misaki: str = ""


def _read_toml(path: Path) -> _File:
    """Parse and validate one lexicon file."""
    if not regular_file(path, VoiceError):  # a FIFO is refused here, never waited on
        raise VoiceError(f"{path}: lexicon file not found; create it or fix the path")
    text = read_text(path, "lexicon", VoiceError)
    try:
        raw = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or an integer of thousands of digits
        raise VoiceError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None
    except RecursionError:
        raise VoiceError(f"{path}: nests too deep; write plain tables of words") from None

    tables = read_table(_Tables, raw, str(path), error=VoiceError)
    words = {}
    phonemes = {}
    for table in ("words", "words_nocase"):
        section = dict(getattr(tables, table))
        for key, spoken in section.items():
            _check_key(path, table, key)
            if isinstance(spoken, dict):
                word = read_table(_Word, spoken, str(path), section=f"[{table}] {key!r}", error=VoiceError)
                phonemes[(table, key)] = _phonemes(path, table, key, word)
                spoken = section[key] = word.say
            if not isinstance(spoken, str) or not spoken.strip():
                raise VoiceError(
                    f'{path}: [{table}] {key!r} must map to a non-empty string, e.g. {key} = "..." (or a table with say = "...")'
                )
            for pattern, kind in ((CONTROL, "control"), (ZERO_WIDTH, "invisible")):
                bad = pattern.search(spoken) or pattern.search(key)
                if bad:
                    raise VoiceError(f"{path}: [{table}] {key!r} holds {kind} character U+{ord(bad.group()):04X}; delete it")
            if not re.search(r"[^\W_]", spoken):  # ".*" or "---" would say nothing where the word stood
                raise VoiceError(f"{path}: [{table}] {key!r}: the spoken form must hold a letter or digit, not {spoken[:20]!r}")
            if "{" in spoken or "}" in spoken or "|" in spoken:
                raise VoiceError(f"{path}: [{table}] {key!r}: the spoken form may not contain {{, }} or |; write plain words")
        words[table] = {k: " ".join(v.split()) for k, v in section.items()}

    for key in ("read_as_word", "spell"):
        for item in getattr(tables.acronyms, key):
            if not re.fullmatch(r"[^\W\d_]+", item):
                raise VoiceError(f'{path}: [acronyms] {key} entry {item!r} must be one word of letters only, e.g. "NASA"')
    return _File(words["words"], words["words_nocase"], tables.acronyms, phonemes)


def _phonemes(path: Path, table: str, key: str, word: _Word) -> tuple[tuple[str, str], ...]:
    out = []
    for family in PHONEME_FAMILIES:
        value = " ".join(getattr(word, family).split())
        if not value:
            continue
        if _FORBIDDEN_IN_PHONEMES.search(value):
            raise VoiceError(
                f"{path}: [{table}] {key!r}: {family} phonemes may not contain brackets, "
                f"parentheses, slashes, braces or |; write the phonemes alone"
            )
        out.append((family, value))
    return tuple(out)


def _check_key(path: Path, table: str, key: str) -> None:
    if not key or key != key.strip():
        raise VoiceError(f"{path}: [{table}] key {key!r} must be non-empty with no spaces at either end")
    if _FORBIDDEN_IN_KEY.search(key):
        raise VoiceError(f"{path}: [{table}] key {key!r} may not contain {{, }}, | or tabs")
    if not re.search(r"\w", key):
        raise VoiceError(f"{path}: [{table}] key {key!r} must contain a letter or digit")


def with_fixes(lexicon: Lexicon, fixes: dict[str, str]) -> Lexicon:
    """The lexicon with `fixes` (written word -> spoken form) over its entries."""
    kept = tuple(e for e in lexicon.entries if not (e.case_sensitive and e.written in fixes))
    added = tuple(Entry(w, s, True, VOICE) for w, s in fixes.items())
    return Lexicon(kept + added, lexicon.read_as_word - set(fixes))
