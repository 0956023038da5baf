"""Measures: a number with its unit ("16GB", "3 ms/token", "5 kg"), percentages, multipliers
("10x") and dimensions ("1920x1080")."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.rules.cardinals import QUANTITY_START, SIGN
from audio_pipeline.text.tables import table
from audio_pipeline.text.work import NUM, P, Work

_T: Final = table("units")
UNITS: Final[dict[str, list[str]]] = _T["units"]
PER: Final[dict[str, str]] = _T["per"]
_AMBIGUOUS: Final = frozenset(_T["context"]["ambiguous"])
UNIT_ALT: Final = "|".join(sorted(map(re.escape, UNITS), key=len, reverse=True))
PER_ALT: Final = "|".join(sorted(map(re.escape, PER), key=len, reverse=True))
# Single letters (and "pt") that are read as a unit after "5 " only at the end of a clause.
_SPACED_ONLY_AT_END: Final = ("s", "m", "h", "L", "W", "V", "J", "g", "pt")
_AFTER_SPACED_UNIT: Final = (r"\s(?:and|or|of|per|to|in|on|at|for|with|from|each|later|ago|after|"
                             r"before|long|apart|earlier)\b")


def _percent(m: re.Match, _work: Work) -> str:
    unit = "percent" if m.group("unit") == "%" else "per mille"
    return say.signed(m, f"{say.number(m.group('num'))} {unit}")


def _unit(m: re.Match, _work: Work) -> str | None:
    u = m.group("unit")
    if u in _SPACED_ONLY_AT_END and m.group("space") and not m.group("per"):
        # "5 s", "3 m": only when nothing else could be meant, i.e. at the end of a clause
        rest = m.string[m.end():]
        if re.match(r"\s*[\w" + P + "]", rest) and not re.match(_AFTER_SPACED_UNIT, rest):
            return None
    singular, plural = UNITS[u]
    one = say.is_one(m.group("num")) or say.after_article(m.string, m.start())
    words = f"{say.number(m.group('num'))} {singular if one else plural}"
    if m.group("per"):
        words += f" per {PER[m.group('per')]}"
    return say.signed(m, words)


def _unit_power(m: re.Match, _work: Work) -> str:
    """ "8 km³" -> "eight cubic kilometers", "20 m²" -> "twenty square meters"."""
    singular, plural = UNITS[m.group("unit")]
    one = say.is_one(m.group("num")) or say.after_article(m.string, m.start())
    shape = "square" if m.group("p") == "2" else "cubic"
    return say.signed(m, f"{say.number(m.group('num'))} {shape} {singular if one else plural}")


def _unit_after(m: re.Match, _work: Work) -> str | None:
    u = m.group("unit")
    if not m.group("per") and (len(u) < 2 or u in _AMBIGUOUS):
        return None
    words = UNITS[u][1]
    return words + (f" per {PER[m.group('per')]}" if m.group("per") else "")


PERCENT: Final = Rule(
    "percent", "measure", re.compile(SIGN + r"(?P<num>" + NUM + r")\s?(?P<unit>%|‰)"), _percent,
    ("Costs rose 1999% in a year.", "Costs rose one thousand nine hundred ninety-nine percent in a year."))
DIMENSIONS: Final = Rule(
    "dimensions", "measure", re.compile(rf"(?<=\d)\s?[xX×]\s?(?=\d)(?!10[{P}])"),  # not "3×10⁸"
    lambda m, w: " by ", ("A 4x4 grid.", "A four by four grid."),
    park=False)
MULTIPLIER: Final = Rule(
    "multiplier", "measure", re.compile(QUANTITY_START + r"(?P<num>" + NUM + r")\s?[xX×](?![\w" + P + r"])"),
    lambda m, w: f"{say.number(m.group('num'))} times", ("It is 10x faster.", "It is ten times faster."))
UNIT: Final = Rule(
    "unit", "measure",
    re.compile(SIGN + r"(?P<num>" + NUM + r")(?P<space>\s?)(?P<unit>" + UNIT_ALT + r")"
               r"(?:/(?P<per>" + PER_ALT + r"))?(?![\w" + P + r"°])"),
    _unit, ("A 16GB card at 3 ms/token, 5KG.", "A sixteen gigabyte card at three milliseconds per token, five kilograms."))
# Before the power rule: the superscript rule has made "km³" into "km^3".
UNIT_POWER: Final = Rule(
    "unit-power", "measure",
    re.compile(SIGN + r"(?P<num>" + NUM + r")\s?(?P<unit>" + UNIT_ALT + r")\^\s?(?P<p>[23])(?!\d|\.\d)"),
    _unit_power, ("A lake of 8 km³ of water.", "A lake of eight cubic kilometers of water."))
NUMBER_PER: Final = Rule(
    "number-per-unit", "measure",
    re.compile(QUANTITY_START + r"(?P<num>" + NUM + r")/(?P<per>" + PER_ALT + r")(?![\w" + P + r"/])"),
    lambda m, w: f"{say.number(m.group('num'))} per {PER[m.group('per')]}", ("Sold at 3/kg.", "Sold at three per kilogram."))
WORD_PER: Final = Rule(
    "word-per-unit", "measure",
    re.compile(r"(?<![\w" + P + r"/])(?P<word>[^\W\d_]{2,})/(?P<per>" + PER_ALT + r")(?![\w" + P + r"/])"),
    lambda m, w: f"{m.group('word')} per {PER[m.group('per')]}", ("Count tokens/s here.", "Count tokens per second here."),
    park=False)
# A unit after a number that another rule already read: "120/80 mmHg", "3×10⁸ m/s".
UNIT_AFTER_NUMBER: Final = Rule(
    "unit-after-number", "measure",
    re.compile(rf"(?<=[{P}])\s*(?P<unit>{UNIT_ALT})(?:/(?P<per>{PER_ALT}))?(?![\w{P}°])"), _unit_after,
    ("It was 120/80 mmHg.", "It was one hundred twenty over eighty millimeters of mercury."))
