"""Dates and times of day: "2025-07-03", "March 14th", "the 1st of May", "10:30 p.m."."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import alternation, table
from ..work import P, Work

_T: Final = table("dates")
MONTHS: Final[list[str]] = _T["months"]
TIME_ZONES: Final[dict[str, str]] = _T["time_zones"]
_WEEKDAYS: Final = {d[:3]: d for d in _T["weekdays"]} | {d: d for d in _T["weekdays"]}
_WEEKDAY: Final = alternation(_WEEKDAYS)
_MONTH_BY_PREFIX: Final = {m[:3]: m for m in MONTHS} | {"Sept": "September"}
# Title case, all capitals ("SEPT. 9") or lower case ("june 3"); in lower case "may", "march"
# and "mar" are also words ("we may 3 times"), so they are months only with a year.
_MONTH_NAMES: Final = [*MONTHS, *_MONTH_BY_PREFIX]
_MONTH: Final = (
    "(?P<month>" + alternation([*_MONTH_NAMES, *(m.upper() for m in _MONTH_NAMES), *(m.lower() for m in _MONTH_NAMES)]) + ")"
)
_WORD_MONTHS: Final = frozenset(_T["also_words"])
_DAY: Final = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR: Final = r"(?P<year>\d{4})"
_ZONE: Final = r"(?:\s(?P<tz>" + alternation(TIME_ZONES) + r"))?"

# The final period of "p.m." stays where it also ends the sentence.
_AMPM: Final = (
    r"(?:\s?(?P<ampm>[ap])\.?m\b(?:\.(?!\s*$))?"
    r"|\s?(?P<AMPM>[AP])\.?M\b(?:\.(?!\s*$))?)"
)


def _month(name: str) -> str:
    name = name.capitalize()
    return _MONTH_BY_PREFIX.get(name, name) if len(name) <= 4 else name


def _a_word(m: re.Match) -> bool:
    """ "they march 20 miles": a lower-case month that is also a word, with no year to say otherwise."""
    return m.group("month") in _WORD_MONTHS and not m.group("year")


def _zone(m: re.Match) -> str:
    return f" {TIME_ZONES[m.group('tz')]}" if m.groupdict().get("tz") else ""


def _date(day: int, month: int, year_words: str, day_first: bool) -> str | None:
    """ "March fifth, twenty twenty-four", or day first "the fifth of March, ..."; None if no date."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if day_first:
        return f"the {say.ordinal(day)} of {MONTHS[month - 1]}, {year_words}"
    return f"{MONTHS[month - 1]} {say.ordinal(day)}, {year_words}"


def _iso(m: re.Match, _work: Work) -> str | None:
    return _date(int(m.group(3)), int(m.group(2)), say.year(int(m.group(1))), day_first=False)


def _us(m: re.Match, _work: Work) -> str | None:
    """Month first ("3/5/2024" is March fifth), unless the first number cannot be a month."""
    month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
    year_words = say.year(int(year)) if len(year) == 4 else say.number(year)
    if 12 < month <= 31 and 1 <= day <= 12:  # "31/12/2023": the day comes first
        return _date(month, day, year_words, day_first=True)
    return _date(day, month, year_words, day_first=False)


def _month_day(m: re.Match, _work: Work) -> str | None:
    day = int(m.group("day"))
    if not 1 <= day <= 31 or _a_word(m):
        return None
    out = f"{_month(m.group('month'))} {say.ordinal(day)}"
    if m.group("day2"):  # "March 3–5": March third to fifth
        if not day < int(m.group("day2")) <= 31:
            return None
        out += f" to {say.ordinal(int(m.group('day2')))}"
    return out + (f", {say.year(int(m.group('year')))}" if m.group("year") else "")


def _day_month(m: re.Match, _work: Work) -> str | None:
    day = int(m.group("day"))
    if not 1 <= day <= 31 or _a_word(m):
        return None
    out = f"{m.group('the') or 'the '}{say.ordinal(day)} of {_month(m.group('month'))}"
    return out + (f", {say.year(int(m.group('year')))}" if m.group("year") else "")


def _month_year(m: re.Match, _work: Work) -> str:
    return f"{_month(m.group('month'))} {say.year(int(m.group('year')))}"


def _clock(m: re.Match, _work: Work) -> str | None:
    h, mins = int(m.group("h")), int(m.group("m"))
    ampm = (m.group("ampm") or m.group("AMPM") or "").upper()
    if h > 24 or mins > 59 or (m.group("s") and int(m.group("s")) > 59):
        return None
    if m.group("s") and not ampm and not m.group("tz"):
        return _duration(h, mins, int(m.group("s")))
    if mins == 0:
        out = say.cardinal(h) + ("" if ampm else (" o'clock" if h <= 12 else " hundred"))
    elif mins < 10:
        out = f"{say.cardinal(h)} oh {say.cardinal(mins)}"
    else:
        out = f"{say.cardinal(h)} {say.cardinal(mins)}"
    if m.group("s"):
        out += f" and {say.cardinal(int(m.group('s')))} seconds"
    return out + (f" {say.spell(ampm + 'M')}" if ampm else "") + _zone(m)


def _duration(h: int, mins: int, s: int) -> str:
    """ "2:03:04" on a stopwatch: two hours, three minutes and four seconds."""
    parts = [
        f"{say.cardinal(n)} {unit}{'' if n == 1 else 's'}" for n, unit in ((h, "hour"), (mins, "minute"), (s, "second")) if n
    ]
    if not parts:
        return "zero seconds"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _hour(m: re.Match, _work: Work) -> str | None:
    h = int(m.group("h"))
    if not 1 <= h <= 12:
        return None
    ampm = (m.group("ampm") or m.group("AMPM")).upper()
    return f"{say.cardinal(h)} {say.spell(ampm + 'M')}" + _zone(m)


def _dotted_dmy(m: re.Match, _work: Work) -> str | None:
    return _date(int(m.group(1)), int(m.group(2)), say.year(int(m.group(3))), day_first=True)


def _time_range(m: re.Match, work: Work) -> str | None:
    """ "6pm-9pm", "6-9 p.m.", "9:30am–5pm": each end read as a time, joined by "to"."""
    first, second = _time(m.group("a"), work), _time(m.group("b"), work)
    if first is None or second is None:
        return None
    return f"{first} to {second}"


def _time(text: str, work: Work) -> str | None:
    for rule in (CLOCK, HOUR_AMPM):
        pattern = rule.compiled(work.lexicon)
        m = pattern.match(text) if pattern is not None else None
        if m is not None and not text[m.end() :].strip(". "):  # "p.m." keeps its period inside a range
            return rule.rewrite(m, work)
    if re.fullmatch(r"\d{1,2}", text) and 1 <= int(text) <= 12:
        return say.cardinal(int(text))
    return None


DATE_ISO: Final = Rule(
    "date-iso",
    "date",
    re.compile(r"(?<![\w.-])(\d{4})-(\d{2})-(\d{2})(?![\w-]|\.\d)"),
    _iso,
    ("Released 2024-03-05.", "Released March fifth, twenty twenty-four."),
)
DATE_US: Final = Rule(
    "date-us",
    "date",
    re.compile(r"(?<![\w./-])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/]|\.\d)"),
    _us,
    ("Due 3/5/2024.", "Due March fifth, twenty twenty-four."),
)
MONTH_DAY: Final = Rule(
    "month-day",
    "date",
    re.compile(
        rf"(?<![\w{P}]){_MONTH}\.?\s+{_DAY}(?:\s?[–—-]\s?(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?)?(?:,?\s+{_YEAR})?"
        rf"(?![\w{P}:.,]\d|[\w{P}])"
    ),
    _month_day,
    ("On March 14, 2024 and May 3–5 it rained.", "On March fourteenth, twenty twenty-four and May third to fifth it rained."),
)
DAY_MONTH: Final = Rule(
    "day-month",
    "date",
    re.compile(
        rf"(?<![\w{P}.,])(?P<the>(?<![\w{P}])[Tt]he\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:\.(?!\s*$))?(?:,?\s+{_YEAR})?(?![\w{P}])"
    ),
    _day_month,
    ("On 14 March it rained.", "On the fourteenth of March it rained."),
)
MONTH_YEAR: Final = Rule(
    "month-year",
    "date",
    re.compile(rf"(?<![\w{P}]){_MONTH}\.?,?\s+{_YEAR}(?![\w{P}]|[.,]\d)"),
    _month_year,
    ("The Sept 1999 issue.", "The September nineteen ninety-nine issue."),
)
CLOCK: Final = Rule(
    "clock",
    "time",
    re.compile(r"(?<![\w:.,$€£¥₹₩₽₿])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?" + f"(?:{_AMPM})?{_ZONE}" + r"(?![\w:]|\.\d)"),
    _clock,
    ("We meet at 10:05 am.", "We meet at ten oh five Eh-M."),
)
HOUR_AMPM: Final = Rule(
    "hour-ampm",
    "time",
    re.compile(r"(?<![\w:.,$€£¥₹₩₽₿])(?P<h>\d{1,2})" + _AMPM + _ZONE + r"(?![\w])"),
    _hour,
    ("Doors open at 7am.", "Doors open at seven Eh-M."),
)

_MONTH_ANON: Final = re.sub(r"\(\?P<\w+>", "(?:", _MONTH)
MONTH_RANGE: Final = Rule(
    "month-range",
    "range",
    re.compile(rf"(?<![\w{P}])(?P<a>{_MONTH_ANON})\.?\s?[–—-]\s?(?={_MONTH_ANON}\b)"),
    lambda m, w: None if m.group("a") in _WORD_MONTHS else f"{_month(m.group('a'))} to ",
    ("In May–June 2024.", "In May to June twenty twenty-four."),
    park=False,
)
WEEKDAY_RANGE: Final = Rule(
    "weekday-range",
    "range",
    re.compile(rf"(?<![\w{P}])(?P<a>{_WEEKDAY})\.?\s?[–—-]\s?(?P<b>{_WEEKDAY})\b(?:\.(?!\s*$))?"),
    lambda m, w: f"{_WEEKDAYS[m.group('a')]} to {_WEEKDAYS[m.group('b')]}",
    ("Open Mon-Fri daily.", "Open Monday to Friday daily."),
)
DATE_SLASH_YMD: Final = Rule(
    "date-slash-ymd",
    "date",
    re.compile(r"(?<![\w./-])(\d{4})/(\d{1,2})/(\d{1,2})(?![\w/]|\.\d)"),
    _iso,
    ("Filed 2025/07/03.", "Filed July third, twenty twenty-five."),
)
DATE_DOTTED_DMY: Final = Rule(
    "date-dotted-dmy",
    "date",
    re.compile(r"(?<![\w.,-])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\w]|\.\d)"),
    _dotted_dmy,
    ("Signed 03.07.2025 in Bern.", "Signed the third of July, twenty twenty-five in Bern."),
)
_TIME_END: Final = r"\d{1,2}(?::\d{2})?"
_AMPM_ANON: Final = re.sub(r"\(\?P<\w+>", "(?:", _AMPM)
_ZONE_ANON: Final = re.sub(r"\(\?P<\w+>", "(?:", _ZONE)
TIME_RANGE: Final = Rule(
    "time-range",
    "range",
    re.compile(
        rf"(?<![\w:.,{P}$€£¥₹₩₽₿])(?P<a>{_TIME_END}(?:{_AMPM_ANON})?)\s?[-–—]\s?(?P<b>{_TIME_END}{_AMPM_ANON}{_ZONE_ANON})(?![\w])"
    ),
    _time_range,
    ("Open 6pm-9pm daily.", "Open six P-M to nine P-M daily."),
)

_SHORT_MONTHS: Final = alternation([p for p in _MONTH_BY_PREFIX if p != "May"])
_MONTH_CUES: Final = frozenset(_T["month_cues"])


def _month_alone(m: re.Match, work: Work) -> str | None:
    """ "fell in Nov.": a short month name said in full, after a word that takes a month."""
    if work.word_before(m.start()).lower() not in _MONTH_CUES or m.group("month") == "Mar" and not m.group("dot"):
        return None  # "to mar", "in Mar" (a name): "Mar." with its period is March
    return _month(m.group("month")) + ("." if m.group("end") is not None else "")


MONTH_ALONE: Final = Rule(
    "month-alone",
    "date",
    re.compile(rf"(?<![\w{P}])(?P<month>{_SHORT_MONTHS})(?:(?P<dot>\.)(?P<end>(?=\s*$))?)?(?![\w{P}])"),
    _month_alone,
    ("Sales fell in Nov.", "Sales fell in November."),
)

RULES: Final = (
    MONTH_RANGE,
    WEEKDAY_RANGE,
    DATE_ISO,
    DATE_SLASH_YMD,
    DATE_DOTTED_DMY,
    DATE_US,
    MONTH_DAY,
    DAY_MONTH,
    MONTH_YEAR,
    TIME_RANGE,
    CLOCK,
    HOUR_AMPM,
    MONTH_ALONE,
)
