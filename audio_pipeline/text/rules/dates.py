"""Dates and times of day: "2025-07-03", "March 14th", "the 1st of May", "10:30 p.m."."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.tables import table
from audio_pipeline.text.work import P, Work

MONTHS: Final[list[str]] = table("dates")["months"]
_MONTH_BY_PREFIX: Final = {m[:3]: m for m in MONTHS} | {"Sept": "September"}
_MONTH: Final = (r"(?P<month>January|February|March|April|May|June|July|August|September|"
                 r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)")
_DAY: Final = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR: Final = r"(?P<year>\d{4})"

# The final period of "p.m." stays where it also ends the sentence.
_AMPM: Final = (r"(?:\s?(?P<ampm>[ap])\.?m\b(?:\.(?!\s*$))?"
                r"|\s?(?P<AMPM>[AP])\.?M\b(?:\.(?!\s*$))?)")


def _month(name: str) -> str:
    return _MONTH_BY_PREFIX.get(name, name) if len(name) <= 4 else name


def _iso(m: re.Match, _work: Work) -> str | None:
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{MONTHS[month - 1]} {say.ordinal(day)}, {say.year(year)}"


def _us(m: re.Match, _work: Work) -> str | None:
    month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    year_words = say.year(int(year)) if len(year) == 4 else say.number(year)
    return f"{MONTHS[month - 1]} {say.ordinal(day)}, {year_words}"


def _month_day(m: re.Match, _work: Work) -> str | None:
    day = int(m.group("day"))
    if not 1 <= day <= 31:
        return None
    out = f"{_month(m.group('month'))} {say.ordinal(day)}"
    return out + (f", {say.year(int(m.group('year')))}" if m.group("year") else "")


def _day_month(m: re.Match, _work: Work) -> str | None:
    day = int(m.group("day"))
    if not 1 <= day <= 31:
        return None
    out = f"the {say.ordinal(day)} of {_month(m.group('month'))}"
    return out + (f", {say.year(int(m.group('year')))}" if m.group("year") else "")


def _month_year(m: re.Match, _work: Work) -> str:
    return f"{_month(m.group('month'))} {say.year(int(m.group('year')))}"


def _clock(m: re.Match, _work: Work) -> str | None:
    h, mins = int(m.group("h")), int(m.group("m"))
    ampm = (m.group("ampm") or m.group("AMPM") or "").upper()
    if h > 24 or mins > 59 or (m.group("s") and int(m.group("s")) > 59):
        return None
    if mins == 0:
        out = say.cardinal(h) + ("" if ampm else (" o'clock" if h <= 12 else " hundred"))
    elif mins < 10:
        out = f"{say.cardinal(h)} oh {say.cardinal(mins)}"
    else:
        out = f"{say.cardinal(h)} {say.cardinal(mins)}"
    if m.group("s"):
        out += f" and {say.cardinal(int(m.group('s')))} seconds"
    return out + (f" {say.spell(ampm + 'M')}" if ampm else "")


def _hour(m: re.Match, _work: Work) -> str | None:
    h = int(m.group("h"))
    if not 1 <= h <= 12:
        return None
    ampm = (m.group("ampm") or m.group("AMPM")).upper()
    return f"{say.cardinal(h)} {say.spell(ampm + 'M')}"


DATE_ISO: Final = Rule(
    "date-iso", "date", re.compile(r"(?<![\w.-])(\d{4})-(\d{2})-(\d{2})(?![\w-]|\.\d)"), _iso,
    ("Released 2024-03-05.", "Released March fifth, twenty twenty-four."))
DATE_US: Final = Rule(
    "date-us", "date", re.compile(r"(?<![\w./-])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/]|\.\d)"), _us,
    ("Due 3/5/2024.", "Due March fifth, twenty twenty-four."))
MONTH_DAY: Final = Rule(
    "month-day", "date",
    re.compile(rf"(?<![\w{P}]){_MONTH}\.?\s+{_DAY}(?:,?\s+{_YEAR})?(?![\w{P}:.,]\d|[\w{P}])"), _month_day,
    ("On March 14, 2024 it rained.", "On March fourteenth, twenty twenty-four it rained."))
DAY_MONTH: Final = Rule(
    "day-month", "date",
    re.compile(rf"(?<![\w{P}.,]){_DAY}\s+(?:of\s+)?{_MONTH}\.?(?:,?\s+{_YEAR})?(?![\w{P}])"), _day_month,
    ("On 14 March it rained.", "On the fourteenth of March it rained."))
MONTH_YEAR: Final = Rule(
    "month-year", "date", re.compile(rf"(?<![\w{P}]){_MONTH}\.?,?\s+{_YEAR}(?![\w{P}]|[.,]\d)"), _month_year,
    ("Since Sept 1999.", "Since September nineteen ninety-nine."))
CLOCK: Final = Rule(
    "clock", "time",
    re.compile(r"(?<![\w:.,])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?" + f"(?:{_AMPM})?" + r"(?![\w:]|\.\d)"),
    _clock, ("We meet at 10:05 am.", "We meet at ten oh five A-M."))
HOUR_AMPM: Final = Rule(
    "hour-ampm", "time", re.compile(r"(?<![\w:.,])(?P<h>\d{1,2})" + _AMPM + r"(?![\w])"), _hour,
    ("Doors open at 7am.", "Doors open at seven A-M."))

RULES: Final = (DATE_ISO, DATE_US, MONTH_DAY, DAY_MONTH, MONTH_YEAR, CLOCK, HOUR_AMPM)
