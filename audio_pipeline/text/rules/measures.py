"""Measures: a number with its unit ("16GB", "3 ms/token", "5 kg"), percentages, multipliers
("10x") and dimensions ("1920x1080")."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import alternation, table
from ..work import NUM, P, Work, after
from .cardinals import QUANTITY_START, SIGN
from .money import PER, PER_ALT

_T: Final = table("units")
UNITS: Final[dict[str, list[str]]] = _T["units"]
_AMBIGUOUS: Final = frozenset(_T["context"]["ambiguous"])
UNIT_ALT: Final = alternation(UNITS)
# "/s", "/s²" (the superscript rule has made it "/s^2"): read by `per_words`.
_PER_TAIL: Final = rf"(?:/(?P<per>{PER_ALT})(?:\^(?P<perpow>[23])(?![\d.]))?)?"
# Single letters (and "pt") that are read as a unit after "5 " only at the end of a clause;
# the capitals also before a lower-case word ("1.5 V battery"), where no name can follow.
_SPACED_ONLY_AT_END: Final = ("s", "m", "h", "L", "W", "V", "J", "g", "pt")
_CAPITALS: Final = ("L", "W", "V", "J")
_TIME_UNITS: Final = ("s", "sec", "ms", "min", "h", "hr")
_SCALE: Final = r"(?:\s(?P<scale>thousand|million|billion|trillion))?"
_NUMBER_WORDS: Final = alternation(
    [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "trillion",
        "dozen",
    ]
)
_AFTER_SPACED_UNIT: Final = (
    r"\s(?:and|or|of|per|to|in|on|at|for|with|from|each|later|ago|after|"
    r"before|long|apart|earlier)\b"
)


def _percent(m: re.Match, _work: Work) -> str:
    unit = "percent" if m.group("unit") == "%" else "per mille"
    return say.signed(m, f"{say.number(m.group('num'))} {unit}")


def _unit(m: re.Match, _work: Work) -> str | None:
    u = m.group("unit")
    if u in _SPACED_ONLY_AT_END and m.group("space") not in ("", "-") and not m.group("per"):
        # "5 s", "3 m": only when nothing else could be meant, i.e. at the end of a clause
        rest = after(m.string, m.end())
        if (
            re.match(r"\s*[\w" + P + "]", rest)
            and not re.match(_AFTER_SPACED_UNIT, rest)
            and not (u in _CAPITALS and re.match(r"\s+[a-z]", rest))
        ):
            return None
    singular, plural = UNITS[u]
    # "a 16GB card", "a 500-mL bottle": a quantity used as an adjective takes the singular
    one = (
        (say.is_one(m.group("num")) and not m.group("scale")) or say.after_article(m.string, m.start()) or m.group("space") == "-"
    )
    words = f"{_scaled(m)} {singular if one else plural}"
    return say.signed(m, words + per_words(m))


def _scaled(m: re.Match) -> str:
    """ "100 million": the number and the scale word written after it."""
    return say.number(m.group("num")) + (f" {m.group('scale')}" if m.group("scale") else "")


def _word_unit(m: re.Match, _work: Work) -> str | None:
    """ "five mL", "a hundred GB": a unit after a number written in words is still a unit."""
    u = m.group("unit")
    if not m.group("per") and (len(u) < 2 or u in _AMBIGUOUS):
        return None
    singular, plural = UNITS[u]
    return f"{m.group('w')} {singular if m.group('w') == 'one' else plural}" + per_words(m)


def per_words(m: re.Match) -> str:
    """ "/s" -> " per second", "/s²" -> " per second squared", "/m²" -> " per square meter"."""
    per, power = m.group("per"), m.groupdict().get("perpow")
    if not per:
        return ""
    if not power:
        return f" per {PER[per]}"
    shape = "squared" if power == "2" else "cubed"
    if per in _TIME_UNITS:
        return f" per {PER[per]} {shape}"
    return f" per {'square' if power == '2' else 'cubic'} {PER[per]}"


def _unit_power(m: re.Match, _work: Work) -> str:
    """ "8 km³" -> "eight cubic kilometers", "20 m²" -> "twenty square meters"."""
    singular, plural = UNITS[m.group("unit")]
    one = (say.is_one(m.group("num")) and not m.group("scale")) or say.after_article(m.string, m.start())
    shape = "square" if m.group("p") == "2" else "cubic"
    return say.signed(m, f"{_scaled(m)} {shape} {singular if one else plural}")


def _unit_after(m: re.Match, _work: Work) -> str | None:
    u = m.group("unit")
    if not m.group("per") and (len(u) < 2 or u in _AMBIGUOUS):
        return None
    return UNITS[u][1] + per_words(m)


def _sized(m: re.Match, _work: Work) -> str:
    """ "2 cm × 3 cm": two centimeters by three centimeters; "a 2 cm × 3 cm patch": singular."""
    one = say.after_article(m.string, m.start())
    said = []
    for num, unit in ((m.group("a"), m.group("ua")), (m.group("b"), m.group("ub"))):
        singular, plural = UNITS[unit]
        said.append(f"{say.number(num)} {singular if one or say.is_one(num) else plural}")
    return " by ".join(said)


PERCENT: Final = Rule(
    "percent",
    "measure",
    re.compile(SIGN + r"(?P<num>" + NUM + r")\s?(?P<unit>%|‰)"),
    _percent,
    ("Costs rose 1999% in a year.", "Costs rose one thousand nine hundred ninety-nine percent in a year."),
)
DIMENSIONS: Final = Rule(
    # "1920x1080", "2 x 3"; a spaced "3 × 4" is arithmetic, and "3×10⁸" a power of ten
    "dimensions",
    "measure",
    re.compile(rf"(?<=\d)(?:[xX×]|\s[xX]\s)(?=\d)(?!10[{P}])"),
    lambda m, w: " by ",
    ("A 4x4 grid.", "A four by four grid."),
    park=False,
)
MULTIPLIER: Final = Rule(
    "multiplier",
    "measure",
    re.compile(QUANTITY_START + r"(?P<num>" + NUM + r")\s?[xX×](?![\w" + P + r"])"),
    lambda m, w: f"{say.number(m.group('num'))} times",
    ("It is 10x faster.", "It is ten times faster."),
)
UNIT: Final = Rule(
    "unit",
    "measure",
    re.compile(
        SIGN
        + r"(?P<num>"
        + NUM
        + r")"
        + _SCALE
        + r"(?P<space>\s?|-)(?P<unit>"
        + UNIT_ALT
        + r")"
        + _PER_TAIL
        + r"(?![\w"
        + P
        + r"°])"
    ),
    _unit,
    ("A 16GB card at 3 ms/token, 5KG.", "A sixteen gigabyte card at three milliseconds per token, five kilograms."),
)
# Before the power rule: the superscript rule has made "km³" into "km^3".
UNIT_POWER: Final = Rule(
    "unit-power",
    "measure",
    re.compile(SIGN + r"(?P<num>" + NUM + r")" + _SCALE + r"\s?(?P<unit>" + UNIT_ALT + r")\^\s?(?P<p>[23])(?!\d|\.\d)"),
    _unit_power,
    ("A lake of 8 km³ of water.", "A lake of eight cubic kilometers of water."),
)
SIZED: Final = Rule(
    "dimensions-with-units",
    "measure",
    re.compile(
        QUANTITY_START
        + r"(?P<a>"
        + NUM
        + r")\s?(?P<ua>"
        + UNIT_ALT
        + r")\s?[xX×]\s?(?P<b>"
        + NUM
        + r")\s?(?P<ub>"
        + UNIT_ALT
        + r")(?![\w"
        + P
        + r"°])"
    ),
    _sized,
    ("A 2 cm × 3 cm patch.", "A two centimeter by three centimeter patch."),
)
NUMBER_PER: Final = Rule(
    "number-per-unit",
    "measure",
    re.compile(QUANTITY_START + r"(?P<num>" + NUM + r")/(?P<per>" + PER_ALT + r")(?![\w" + P + r"/])"),
    lambda m, w: f"{say.number(m.group('num'))} per {PER[m.group('per')]}",
    ("Sold at 3/kg.", "Sold at three per kilogram."),
)
WORD_PER: Final = Rule(
    "word-per-unit",
    "measure",
    # not "kg/m^2": a unit with its power is the unit rules' ("3 1/2 kg/m²")
    re.compile(r"(?<![\w" + P + r"/])(?P<word>[^\W\d_]{2,})/(?P<per>" + PER_ALT + r")(?![\w" + P + r"/^])"),
    lambda m, w: f"{m.group('word')} per {PER[m.group('per')]}",
    ("Count tokens/s here.", "Count tokens per second here."),
    park=False,
)
# Before the unit rule, where "30m" alone would be thirty meters.
DURATION: Final = Rule(
    "duration",
    "measure",
    re.compile(
        rf"(?<![\w{P}.,])(?:(?P<h>\d{{1,3}})\s?h\s?(?P<m>\d{{1,2}})\s?m(?:in)?(?:\s?(?P<s>\d{{1,2}})\s?s)?"
        rf"|(?P<m2>\d{{1,3}})\s?m(?:in)?\s?(?P<s2>\d{{1,2}})\s?s)(?![\w{P}])"
    ),
    lambda m, w: _duration(m),
    ("It took 2h 30m.", "It took two hours thirty minutes."),
)


def _duration(m: re.Match) -> str:
    """ "2h 30m" -> "two hours thirty minutes", "1m 30s" -> "one minute thirty seconds"."""
    groups = {"h": m.group("h"), "m": m.group("m") or m.group("m2"), "s": m.group("s") or m.group("s2")}
    return " ".join(
        f"{say.number(n)} {unit}{'' if n == '1' else 's'}"
        for n, unit in ((groups["h"], "hour"), (groups["m"], "minute"), (groups["s"], "second"))
        if n
    )


FEET_INCHES: Final = Rule(
    "feet-inches",
    "measure",
    re.compile(rf"(?<![\w{P}.,'])(?P<ft>\d{{1,2}})['′]\s?(?P<inch>\d{{1,2}}(?:\.\d+)?)(?:\"|″|'')(?![\w{P}])"),
    lambda m, w: (
        f"{say.number(m.group('ft'))} {'foot' if m.group('ft') == '1' else 'feet'} {say.number(m.group('inch'))} "
        f"{'inch' if m.group('inch') == '1' else 'inches'}"
    ),
    ("He is 5'11\" tall.", "He is five feet eleven inches tall."),
)
WORD_UNIT: Final = Rule(
    "unit-after-words",
    "measure",
    re.compile(rf"(?<![^\W\d_])(?P<w>{_NUMBER_WORDS})\s(?P<unit>{UNIT_ALT}){_PER_TAIL}(?![\w{P}°])"),
    _word_unit,
    ("Add five mL of water.", "Add five milliliters of water."),
)
# A unit after a number that another rule already read: "120/80 mmHg", "3×10⁸ m/s".
UNIT_AFTER_NUMBER: Final = Rule(
    "unit-after-number",
    "measure",
    re.compile(rf"(?<=[{P}])\s*(?P<unit>{UNIT_ALT}){_PER_TAIL}(?![\w{P}°])"),
    _unit_after,
    ("Light travels 3×10⁸ m/s.", "Light travels three times ten to the eighth meters per second."),
)
