"""Abbreviations ("e.g.", "Dr.", "Fig.") and dotted initials ("U.S.", "p.m.")."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.tables import table
from audio_pipeline.text.work import P, Work

_ENTRIES: Final[list[list[str]]] = table("abbreviations")["entries"]
_NAMED: Final = re.compile(
    r"(?<![^\W\d])(?:" + "|".join(f"(?P<a{i}>{p})" for i, (p, _) in enumerate(_ENTRIES))
    + r")(?P<end>(?=[\"')\]]*\s*$))?" + rf"(?![\w{P}])"
)
_DOTTED: Final = re.compile(
    r"(?<![^\W\d])((?:[A-Za-z]\.){2,}|(?:[A-Z]\.)+[A-Z](?![\w.]))(?P<end>(?=[\"')\]]*\s*$))?")


_AFTER_TIME: Final = re.compile(r"(?<![\w:.,$€£¥₹₩₽₿])\d{1,2}(?::\d\d){0,2}\s?$")


def _named(m: re.Match, _work: Work) -> str:
    # The final period is part of the abbreviation; where it also ends the sentence, put one back.
    end = "." if m.group("end") is not None else ""
    for i, (_, spoken) in enumerate(_ENTRIES):
        if m.group(f"a{i}") is not None:
            return spoken + end
    return m.group(0)


def _dotted(m: re.Match, _work: Work) -> str | None:
    letters = m.group(1).replace(".", "")
    if letters.lower() in ("am", "pm"):
        if _AFTER_TIME.search(m.string[:m.start()]):
            return None  # "9:30 p.m. PST": the time rules read it with its time and zone
        letters = letters.upper()
    return say.spell(letters.upper()) + ("." if m.group("end") is not None else "")


ABBREVIATION: Final = Rule("abbreviation", "abbreviation", _NAMED, _named,
                           ("See Fig. 3, e.g. the left.", "See Figure three, for example the left."))
DOTTED_INITIALS: Final = Rule("dotted-initials", "abbreviation", _DOTTED, _dotted,
                              ("Made in the U.S.A. today", "Made in the U-S-Eh today"))

RULES: Final = (ABBREVIATION, DOTTED_INITIALS)
