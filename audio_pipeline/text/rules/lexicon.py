"""The show's and the voice's lexicon entries, matched as whole words (after URLs, before
every other rule): "ICML" -> "I-C-M-L", "LLMs" -> "L-L-M's"."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from ..rule import Rule
from ..work import Work

if TYPE_CHECKING:
    from ..lexicon import Lexicon


@lru_cache(maxsize=16)
def _pattern(keys: tuple[str, ...], case_sensitive: bool) -> re.Pattern:
    alternation = "|".join(map(re.escape, keys))
    # A digit may touch a key where a letter meets it: "Qwen2.5" holds "Qwen".
    start = r"(?<![^\W\d])(?!(?<=\d)\d)"
    end = r"(?![^\W\d])(?!(?<=\d)\d)"
    return re.compile(rf"{start}(?P<key>{alternation})(?P<plural>s)?{end}", 0 if case_sensitive else re.IGNORECASE)


def _entries(case_sensitive: bool):
    def build(lexicon: Lexicon) -> re.Pattern | None:
        keys = sorted((e.written for e in lexicon.entries if e.case_sensitive == case_sensitive), key=len, reverse=True)
        return _pattern(tuple(keys), case_sensitive) if keys else None

    return build


def _entry(m: re.Match, work: Work) -> str | None:
    entry = work.lexicon.lookup(m.group("key"))
    if entry is None:
        return None
    spoken = entry.spoken
    if m.group("plural"):
        if not entry.written[-1:].isupper():
            return None  # "Erniss" is not the plural of "Ernis"
        last = spoken.split()[-1].split("-")[-1]
        spoken += "'s" if len(last) == 1 and last.isupper() else "s"
    work.fire(f"lexicon:{entry.written}")
    return spoken


WORDS: Final = Rule("lexicon", "whitelist", _entries(True), _entry, ("Hey PaperLedge crew.", "Hey Paper Ledge crew."), quiet=True)
WORDS_NOCASE: Final = Rule(
    "lexicon-nocase", "whitelist", _entries(False), _entry, ("Papers on arxiv", "Papers on archive"), quiet=True
)

RULES: Final = (WORDS, WORDS_NOCASE)


# How each engine family takes phonemes inline: Piper reads `[[ … ]]` as raw espeak
# phonemes; hibari's G2P reads a Markdown-link-like `[word](/phonemes/)`.
INLINE_PHONEMES: Final = {"espeak": "[[ {phonemes} ]]", "misaki": "[{word}](/{phonemes}/)"}
# Not inside a web address or an e-mail ("arxiv" in arxiv.org is said by the URL rule).
_ADDRESS: Final = re.compile(r"[./@:]\w")


def with_phonemes(markup: str, lexicon: Lexicon, family: str | None) -> tuple[str, list[str]]:
    """`markup` with every word whose lexicon entry has phonemes for `family` written as
    ``{word|phonemes in the engine's inline form}``: the front end passes such a span to the
    engine verbatim. Returns the markup and the words given so."""
    if family not in INLINE_PHONEMES:
        return markup, []
    from ..markup import INLINE

    words: list[str] = []
    for case_sensitive in (True, False):
        keys = sorted(
            (e.written for e in lexicon.entries if e.case_sensitive == case_sensitive and e.phonemes_for(family)),
            key=len,
            reverse=True,
        )
        if not keys:
            continue
        pattern = _pattern(tuple(keys), case_sensitive)
        taken = [m.span() for m in INLINE.finditer(markup)]  # the script's own {written|spoken} wins

        def one(m: re.Match, markup: str = markup, taken: list = taken) -> str:
            inside = any(a <= m.start() < b for a, b in taken)
            before = markup[m.start() - 1 : m.start()]
            if inside or m.group("plural") or _ADDRESS.match(markup, m.end()) or (before and before in "./@:"):
                return m.group(0)
            entry = lexicon.lookup(m.group("key"))
            phonemes = entry.phonemes_for(family) if entry is not None else None
            if entry is None or not phonemes:
                return m.group(0)
            if entry.written not in words:
                words.append(entry.written)
            return "{" + m.group(0) + "|" + INLINE_PHONEMES[family].format(word=m.group(0), phonemes=phonemes) + "}"

        markup = pattern.sub(one, markup)
    return markup, words
