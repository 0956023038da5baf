"""Fractions, ratios and ranges: "3/4", "3:1", "10-20%", "between 5 and 10"."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import NUM, P, Work, after, before
from .cardinals import QUANTITY_START

_FRACTION_NAMES: Final = {int(k): v for k, v in table("cardinals")["fractions"].items()}
_LARGEST_NAMED: Final = 16  # "15/16" is fifteen sixteenths; "37/50" is thirty-seven out of fifty


def _range(m: re.Match, _work: Work) -> str:
    between = re.search(r"\bbetween\s*$", before(m.string, m.start()), re.IGNORECASE)
    return f"{m.group('a')}{m.group('suffix') or ''} {'and' if between else 'to'} "


def fraction_words(a: int, b: int, part_of: bool = False) -> str | None:
    """ "3/4" -> "three quarters", "15/16" -> "fifteen sixteenths"; None where a fraction is
    not how it is said (a score "8/10", "24/7"). ``part_of``: "9/10 of cells" is a part,
    nine tenths, whatever the denominator."""
    if not 0 < a < b or (not part_of and (b > _LARGEST_NAMED or b == 10)) or b > 1000:
        return None
    one, many = _FRACTION_NAMES.get(b) or (say.ordinal(b), say.ordinal(b) + "s")
    return f"{say.cardinal(a)} {one if a == 1 else many}"


def _fraction(m: re.Match, _work: Work) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    if a == b or (a, b) == (24, 7):
        return f"{say.cardinal(a)} {say.cardinal(b)}"
    part_of = re.match(r"\s+of\b", after(m.string, m.end())) is not None
    return fraction_words(a, b, part_of) or f"{say.cardinal(a)} {'out of' if a < b else 'over'} {say.cardinal(b)}"


def _score(m: re.Match, _work: Work) -> str:
    """ "4.5/5 stars", "7.5/10": a decimal over a number is a score."""
    return f"{say.number(m.group('a'))} out of {say.number(m.group('b'))}"


def _mixed(m: re.Match, _work: Work) -> str | None:
    """ "3 1/2" -> "three and a half", "2 3/4" -> "two and three quarters"."""
    a, b = int(m.group("a")), int(m.group("b"))
    part = fraction_words(a, b)
    if part is None:
        return None
    if a == 1:
        part = "a " + part.split(" ", 1)[1]
    return f"{say.cardinal(int(m.group('w')))} and {part}"


RATIO: Final = Rule(
    "ratio",
    "fraction",
    re.compile(r"(?<![\w:.])(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?![\w:]|\.\d)"),
    lambda m, w: f"{say.number(m.group(1))} to {say.number(m.group(2))}",
    ("Mix it 3:1.", "Mix it three to one."),
)
RANGE: Final = Rule(
    "range",
    "range",
    re.compile(
        r"(?<![\w" + P + r".,:/-])(?P<a>" + NUM + r")(?P<suffix>%|[xX×]|[KMBTk]\b|st|nd|rd|th)?"
        r"(?:\s?[–—]\s?|-)(?=\d)"
    ),
    _range,
    ("Gains of 10-20% each.", "Gains of ten to twenty percent each."),
    park=False,
)
FRACTION: Final = Rule(
    "fraction",
    "fraction",
    re.compile(QUANTITY_START + r"(?P<a>\d+)/(?P<b>\d+)(?![\w" + P + r"/]|\.\d)"),
    _fraction,
    ("About 3/4 of them, 15/16 of an inch.", "About three quarters of them, fifteen sixteenths of an inch."),
)
SCORE: Final = Rule(
    "decimal-score",
    "fraction",
    re.compile(QUANTITY_START + r"(?P<a>\d+\.\d+)/(?P<b>\d+)(?![\w" + P + r"/]|\.\d)"),
    _score,
    ("Rated 4.5/5 by users.", "Rated four point five out of five by users."),
)
MIXED: Final = Rule(
    "mixed-number",
    "fraction",
    re.compile(QUANTITY_START + r"(?P<w>\d+)\s(?P<a>\d+)/(?P<b>\d+)(?![\w" + P + r"/]|\.\d)"),
    _mixed,
    ("It took 3 1/2 years.", "It took three and a half years."),
)
