"""The show's and the voice's lexicon entries, matched as whole words (after URLs, before
every other rule): "ICML" -> "I-C-M-L", "LLMs" -> "L-L-M's"."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from audio_pipeline.text.rule import Rule
from audio_pipeline.text.work import Work

if TYPE_CHECKING:
    from audio_pipeline.text.lexicon import Lexicon


@lru_cache(maxsize=16)
def _pattern(keys: tuple[str, ...], case_sensitive: bool) -> re.Pattern:
    alternation = "|".join(map(re.escape, keys))
    # A digit may touch a key where a letter meets it: "Qwen2.5" holds "Qwen".
    start = r"(?<![^\W\d])(?!(?<=\d)\d)"
    end = r"(?![^\W\d])(?!(?<=\d)\d)"
    return re.compile(rf"{start}(?P<key>{alternation})(?P<plural>s)?{end}",
                      0 if case_sensitive else re.IGNORECASE)


def _entries(case_sensitive: bool):
    def build(lexicon: Lexicon) -> re.Pattern | None:
        keys = sorted((e.written for e in lexicon.entries if e.case_sensitive == case_sensitive),
                      key=len, reverse=True)
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


WORDS: Final = Rule("lexicon", "whitelist", _entries(True), _entry,
                    ("Hey PaperLedge crew.", "Hey Paper Ledge crew."), quiet=True)
WORDS_NOCASE: Final = Rule("lexicon-nocase", "whitelist", _entries(False), _entry,
                           ("Papers on arxiv", "Papers on archive"), quiet=True)

RULES: Final = (WORDS, WORDS_NOCASE)
