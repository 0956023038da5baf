"""Roman numerals read as numbers where the context says so: after a cue word ("Part IV",
"World War II") or a capitalised name ("Henry VIII"); otherwise "II" is left to the acronym rule."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.tables import table
from audio_pipeline.text.work import P, Work

_T: Final = table("roman")
_NUMERALS: Final[dict[str, int]] = _T["numerals"]
_CUES: Final = frozenset(_T["cues"])
TOKEN: Final = re.compile(r"(?<!\w)(?P<w>[^\W\d_]+(?:'[^\W\d_]+)*)(?P<apos>')?(?!\w)")


def split_suffix(word: str, trailing: str | None) -> tuple[str, str]:
    """ "LLM's" -> ("LLM", "'s"); "LLMs'" -> ("LLM", "'s"): the base and its possessive."""
    if word.endswith("'s") or word.endswith("'S"):
        return word[:-2], "'s"
    if trailing:
        return (word[:-1], "'s") if word.endswith("s") else (word, "")
    return word, ""


def read_roman(base: str, before: str, work: Work) -> str | None:
    """The number a Roman numeral stands for, if the word before says it is one."""
    if base not in _NUMERALS:
        return None
    prev = re.search(rf"([\w{P}]+)\W*$", before)
    if prev and (prev.group(1).lower() in _CUES or prev.group(1)[0].isupper()):
        work.fire("rule:roman")
        return say.cardinal(_NUMERALS[base])
    return None


def _roman(m: re.Match, work: Work) -> str | None:
    word = m.group("w")
    if not word.isascii():
        return None
    base, _ = split_suffix(word, m.group("apos"))
    return read_roman(base, m.string[:m.start()], work)


ROMAN: Final = Rule("roman", "roman", TOKEN, _roman, ("World War II ended.", "World War two ended."), quiet=True)
