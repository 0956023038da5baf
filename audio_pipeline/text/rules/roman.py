"""Roman numerals read as numbers where the context says so: after a cue word ("Part IV",
"World War II"), a monarch's name ("Henry VIII", the eighth) or another capitalised name
("Rocky II"); otherwise "II" is left to the acronym rule."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import P, Work, before

_T: Final = table("roman")
_CUES: Final = frozenset(_T["cues"])
_REGNAL: Final = frozenset(_T["regnal"])
TOKEN: Final = re.compile(r"(?<!\w)(?P<w>[^\W\d_]+(?:'[^\W\d_]+)*)(?P<apos>')?(?!\w)")
_NUMERAL: Final = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_VALUES: Final = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}


def value(numeral: str) -> int | None:
    """ "XIV" -> 14; None for what is not a well-formed numeral ("IIII", "IC", "")."""
    if not numeral or not _NUMERAL.fullmatch(numeral):
        return None
    total = 0
    for ch, nxt in zip(numeral, numeral[1:] + " "):
        v = _VALUES[ch]
        total += -v if nxt != " " and _VALUES[nxt] > v else v
    return total


def split_suffix(word: str, trailing: str | None) -> tuple[str, str]:
    """ "LLM's" -> ("LLM", "'s"); "LLMs'" -> ("LLM", "'s"): the base and its possessive."""
    if word.endswith("'s") or word.endswith("'S"):
        return word[:-2], "'s"
    if trailing:
        return (word[:-1], "'s") if word.endswith("s") else (word, "")
    return word, ""


def read_roman(base: str, before: str, work: Work) -> str | None:
    """How a Roman numeral is said, if the word before says it is one (see data/roman.toml)."""
    n = value(base)
    if n is None:
        return None
    prev = re.search(rf"([\w{P}]+)\W*$", before)
    word = prev.group(1) if prev else ""
    small = set(base) <= set("IVX")
    if word.lower() in _CUES and (len(base) > 1 or (base in "IVX" and word[0].isupper())):
        out = say.cardinal(n)
    elif word in _REGNAL and set(base) <= set("IVXL"):
        out = "the " + say.ordinal(n)
    elif word[:1].isupper() and small and len(base) > 1:
        out = say.cardinal(n)
    else:
        return None
    work.fire("rule:roman")
    return out


# A letter of a spelled acronym ("War I-V", "L-L-M") is not a numeral.
_WORD: Final = re.compile(r"(?<![\w-])(?P<w>[^\W\d_]+(?:'[^\W\d_]+)*)(?P<apos>')?(?![\w-])")


def _roman(m: re.Match, work: Work) -> str | None:
    word = m.group("w")
    if not word.isascii():
        return None
    base, suffix = split_suffix(word, m.group("apos"))
    said = read_roman(base, before(m.string, m.start()), work)
    return None if said is None else said + suffix


ROMAN: Final = Rule(
    "roman", "roman", _WORD, _roman, ("After World War II, Henry VIII", "After World War two, Henry the eighth"), quiet=True
)
