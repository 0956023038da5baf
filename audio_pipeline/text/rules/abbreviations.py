"""Abbreviations ("e.g.", "Dr.", "Fig.") and dotted initials ("U.S.", "p.m.")."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import P, Work, before

_T: Final = table("abbreviations")
_ENTRIES: Final[list[list[str]]] = _T["entries"]
_MAY_END: Final = frozenset(_T["may_end"])
_AFTER_A_NAME: Final[dict[str, str]] = _T["after_a_name"]
# "Elm St.", "5th St.": a capitalised word or a number just before, not the sentence's first word.
_NAME_BEFORE: Final = re.compile(r"(?<=[\w,;:] )(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th)?) \Z")
_CAPITAL_AFTER: Final = re.compile(r"\s+[\"'(\[]*[A-Z]")
_NAMED: Final = re.compile(
    r"(?<![^\W\d])(?:"
    + "|".join(f"(?P<a{i}>{p})" for i, (p, _) in enumerate(_ENTRIES))
    + r")(?P<end>(?=[\"')\]]*\s*$))?"
    + rf"(?![\w{P}])"
)
_DOTTED: Final = re.compile(r"(?<![^\W\d])((?:[A-Za-z]\.){2,}|(?:[A-Z]\.)+[A-Z](?![\w.]))(?P<end>(?=[\"')\]]*\s*$))?")


_AFTER_TIME: Final = re.compile(r"(?<![\w:.,$€£¥₹₩₽₿])\d{1,2}(?::\d\d){0,2}\s?$")


def _named(m: re.Match, _work: Work) -> str:
    spoken = next((said for i, (_, said) in enumerate(_ENTRIES) if m.group(f"a{i}") is not None), None)
    if spoken is None:
        return m.group(0)
    if spoken in _AFTER_A_NAME and name_before(m.string, m.start()):
        spoken = _AFTER_A_NAME[spoken]
    # The final period is part of the abbreviation; where it also ends the sentence, put one back.
    ends = m.group("end") is not None or (
        spoken in _MAY_END and m.group(0).endswith(".") and _CAPITAL_AFTER.match(m.string, m.end()) is not None
    )
    return spoken + ("." if ends else "")


def name_before(text: str, start: int) -> bool:
    """ "Elm St.": a capitalised name or a number comes just before (looking back a little)."""
    return _NAME_BEFORE.search(before(text, start)) is not None


def _dotted(m: re.Match, _work: Work) -> str | None:
    letters = m.group(1).replace(".", "")
    if letters.lower() in ("am", "pm"):
        if _AFTER_TIME.search(before(m.string, m.start())):
            return None  # "9:30 p.m. PST": the time rules read it with its time and zone
        letters = letters.upper()
    return say.spell(letters.upper()) + ("." if m.group("end") is not None else "")


ABBREVIATION: Final = Rule(
    "abbreviation", "abbreviation", _NAMED, _named, ("See Fig. 3, e.g. the left.", "See Figure three, for example the left.")
)
DOTTED_INITIALS: Final = Rule(
    "dotted-initials", "abbreviation", _DOTTED, _dotted, ("Made in the U.S.A. today", "Made in the U-S-Eh today")
)

RULES: Final = (ABBREVIATION, DOTTED_INITIALS)
