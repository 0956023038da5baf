"""Numbers on their own: cardinals, years, ordinals, decades, decimals, scientific notation,
powers, scaled counts ("7B"), versions and dotted serials."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import NUM, P, Work, after, before
from .dates import MONTHS
from .money import PER_ALT, SCALES

_T: Final = table("cardinals")
_DECADE_CUES: Final = frozenset(_T["decade_cues"])
_COUNT_CUES: Final = frozenset(_T["count_cues"])
_STRONG_YEAR_CUES: Final = frozenset(_T["strong_year_cues"]) | {m.lower() for m in MONTHS}
_POWERS_OF_TWO: Final = frozenset(_T["powers_of_two"])
_NOT_PLURAL: Final = frozenset(_T["not_plural"])
_SPACED_DECADE_CUES: Final = frozenset(_T["spaced_decade_cues"])
_STREETS: Final = frozenset(_T["streets"])

SIGN: Final = r"(?<![\w" + P + r".,)\]/])(?P<sign>[-+±])?"
QUANTITY_START: Final = r"(?<![\w" + P + r".,])"


def _scientific(m: re.Match, _work: Work) -> str:
    e = m.group("e")
    exp = ("minus " if e.startswith("-") else "") + say.cardinal(int(e.lstrip("+-")))
    return f"{say.number(m.group('m'))} e {exp}"


_PER_UNIT_BEFORE: Final = re.compile(rf"[\d{P}]\s?[^\W\d]+/(?:{PER_ALT})$")


def _power(m: re.Match, _work: Work) -> str | None:
    if _PER_UNIT_BEFORE.search(before(m.string, m.start())):
        return None  # "9.8 m/s²": the unit rule reads "per second squared"
    return power_words(m.group("e"))


def power_words(e: str) -> str:
    """The exponent after "^": " squared ", " to the tenth ", " to the n "."""
    if re.fullmatch(r"-?\+?\d+", e):
        n = int(e.replace("+", ""))
        if n == 2:
            return " squared "
        if n == 3:
            return " cubed "
        if n < 0:
            return f" to the minus {say.cardinal(-n)} "
        return f" to the {say.ordinal(n)} "
    if re.fullmatch(r"-?\d+\.\d+", e):
        return f" to the power of {say.signed_number(e)} "
    return f" to the {e} "


def _decade(m: re.Match, _work: Work) -> str | None:
    num = m.group("num")
    if len(num) == 2 and not m.group("apos"):
        # "in her 30s" is an age, "after 30s" is thirty seconds
        prev = re.search(r"(\w+)\W*$", before(m.string, m.start()))
        if not (prev and prev.group(1).lower() in _DECADE_CUES):
            return None
    if m.group("apos") or len(num) == 2:
        return say.plural(say.cardinal(int(num[-2:]))) if num[-2:] != "00" else "hundreds"
    n = int(num)
    if len(num) == 4 and 1000 <= n <= 2090:
        return say.plural(say.year(n))
    return say.plural(say.cardinal(n))


def _spaced_decade(m: re.Match, work: Work) -> str | None:
    """ "the 1980 s", as text pulled from a PDF writes it: a decade only after "the", "early", ..."""
    if work.word_before(m.start()).lower() not in _SPACED_DECADE_CUES:
        return None  # "after 1980 s" is a time
    return say.plural(say.year(int(m.group("num"))))


def _scaled(m: re.Match, work: Work) -> str:
    """ "70B" is seventy billion; "221B Baker St." is a house number and its letter."""
    words = work.words_after(m.end())[:2]
    if len(m.group("short")) == 1 and len(words) == 2 and words[0][:1].isupper() and words[1] in _STREETS:
        return f"{say.number(m.group('num'))} {m.group('short').upper()}"
    return say.signed(m, f"{say.number(m.group('num'))} {SCALES[m.group('short')]}")


def _decade_range(m: re.Match, _work: Work) -> str:
    """ "the 1970s-90s": the nineteen seventies to nineties."""
    first = say.plural(say.year(int(m.group("a"))))
    b = m.group("b")
    second = say.plural(say.year(int(b))) if len(b) == 4 else say.plural(say.cardinal(int(b))) if b != "00" else "hundreds"
    return f"{first} to {second}"


def _section(m: re.Match, _work: Work) -> str:
    """ "403(b)", "501(c)(3)": a tax-code number said like a name, then its parts."""
    n = m.group("n")
    head = say.DIGITS[int(n[0])] + " " + (f"oh {say.DIGITS[int(n[2])]}" if n[1] == "0" else say.cardinal(int(n[1:])))
    parts = [say.cardinal(int(p)) if p.isdecimal() else p for p in re.findall(r"\(([a-z0-9]{1,2})\)", m.group("parts"))]
    return " ".join([head, *parts])


def _model_number(m: re.Match, _work: Work) -> str | None:
    """ "RTX 4090" -> "forty ninety", "GTX 1080" -> "ten eighty", "A 737" stays a count."""
    n = m.group("n")
    if 1100 <= int(n) <= 2099:
        return None  # "ICML 2024", "GTX 1080": the year rule reads these in pairs already
    if _counts(m.string, m.end()):
        return None  # "MMLU 570 questions": a count
    if len(n) == 4:
        head, tail = int(n[:2]), int(n[2:])
        if tail == 0:
            return say.cardinal(int(n)) if head % 10 == 0 else f"{say.cardinal(head)} hundred"
        return f"{say.cardinal(head)} {'oh ' + say.cardinal(tail) if tail < 10 else say.cardinal(tail)}"
    if n[1:] == "00":
        return say.cardinal(int(n))
    return f"{say.cardinal(int(n[0]))} {'oh ' + say.cardinal(int(n[2])) if n[1] == '0' else say.cardinal(int(n[1:]))}"


def _counts(text: str, end: int) -> bool:
    """A plural noun follows the number at `end`: "2000 samples", "570 questions"."""
    following = re.match(r"\s*([a-z]{3,}s)\b", after(text, end))
    return following is not None and following.group(1) not in _NOT_PLURAL and not following.group(1).endswith(("ss", "us", "is"))


def looks_like_year(text: str, m: re.Match) -> bool:
    """1100-2099 said as a year ("twenty twenty-four") unless it looks like a count."""
    num = m.group("num")
    if len(num) != 4 or m.group("sign") or not 1100 <= int(num) <= 2099:
        return False
    ahead, behind = after(text, m.end()), before(text, m.start())
    prev = re.search(rf"([\w{P}]+)\W*$", behind)
    prev_word = prev.group(1).lower() if prev else ""
    if prev_word in _COUNT_CUES or re.match(r"\s*by\s+\d", ahead) or re.search(r"\d\s+by\s*$", behind):
        return False  # "over 2000 samples", "1920x1080"
    if int(num) in _POWERS_OF_TWO:  # "a 2048-dimensional embedding", unless "in 2048"
        return prev_word in _STRONG_YEAR_CUES
    if re.search(rf"(?:\b[A-Z]{{2,}}|[{P}])\s+$", behind):
        return True  # "AIME 2024 problems", "ICML 2024 papers": a contest or conference and its year
    return not _counts(text, m.end())  # "2000 samples": a count


def _plain(m: re.Match, work: Work) -> str:
    num = m.group("num")
    if "," not in num and "." not in num and looks_like_year(m.string, m):
        work.fire("rule:year")
        return say.signed(m, say.year(int(num)))
    return say.signed(m, say.number(num))


# Before anything turns digits into a number: Python refuses int() of over 4,300 digits, and
# from 16 digits on a number is read digit by digit anyway.
LONG_DIGITS: Final = Rule(
    "long-digits",
    "cardinal",
    re.compile(r"(?<![\d.,])\d{16,}"),
    lambda m, w: say.digits(m.group(0)),
    (
        "Key 12345678901234567 here",
        "Key one two three four five six seven eight nine zero one two three four five six seven here",
    ),
)
SCIENTIFIC: Final = Rule(
    "scientific",
    "decimal",
    re.compile(QUANTITY_START + r"(?P<m>\d+(?:\.\d+)?)[eE](?P<e>[-+]?\d+)(?!\w|\.\d)"),
    _scientific,
    ("A rate of 3e-4 works.", "A rate of three e minus four works."),
)
POWER: Final = Rule(
    "power",
    "cardinal",
    re.compile(r"\^\s?(?P<e>-?\+?\d+(?:\.\d+)?|[^\W\d_]\w*)"),
    _power,
    ("It grows as n^2.", "It grows as n squared."),
)
DECADE_SPACED: Final = Rule(
    "decade-spaced",
    "date",
    re.compile(r"(?<![\w" + P + r".,])(?P<num>1[1-9]\d0|20\d0)\s'?s(?![\w" + P + r"'])"),
    _spaced_decade,
    ("By the 1980 s, synthesizers ruled.", "By the nineteen eighties, synthesizers ruled."),
)
DECADE: Final = Rule(
    "decade",
    "date",
    re.compile(r"(?<![\w" + P + r".,])(?P<apos>')?(?P<num>\d*0)'?s(?![\w" + P + r"])"),
    _decade,
    ("Music of the 1980s.", "Music of the nineteen eighties."),
)
SCALED: Final = Rule(
    "scaled-count",
    "cardinal",
    re.compile(SIGN + r"(?P<num>" + NUM + r")(?P<short>[KMBT]|[kb]|bn|mn|tn)(?![\w" + P + r"])"),
    lambda m, w: _scaled(m, w),
    ("A 70B model.", "A seventy billion model."),
)
ORDINAL: Final = Rule(
    "ordinal",
    "ordinal",
    re.compile(QUANTITY_START + r"(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)(?![\w" + P + r"])"),
    lambda m, w: say.ordinal(int(m.group("num").replace(",", ""))),
    ("The 1,000,000th user came 2nd.", "The one millionth user came second."),
)
VERSION: Final = Rule(
    "version",
    "serial",
    re.compile(r"(?<![\w" + P + r"])[vV](?P<num>\d+(?:\.\d+)*)(?![\w" + P + r"]|\.\d)"),
    lambda m, w: "version " + say.point_joined(m.group("num")),
    ("Update to v2.1 now.", "Update to version two point one now."),
)
MULTI_DOT: Final = Rule(
    "dotted-number",
    "serial",
    re.compile(QUANTITY_START + r"\d+(?:\.\d+){2,}(?![\w" + P + r"])"),
    lambda m, w: say.point_joined(m.group(0)),
    ("Python 3.11.2 is out.", "Python three point eleven point two is out."),
)
PLAIN: Final = Rule(
    "number",
    "cardinal",
    re.compile(r"(?<![\w" + P + r"])(?P<sign>[-+±])?(?P<num>" + NUM + r")"),
    _plain,
    ("We saw 1,234 cats in 2019.", "We saw one thousand two hundred thirty-four cats in twenty nineteen."),
)
DECADE_RANGE: Final = Rule(
    "decade-range",
    "range",
    re.compile(r"(?<![\w" + P + r".,])(?P<a>\d{3}0)'?s\s?[-–—]\s?'?(?P<b>\d{3}0|\d0)'?s(?![\w" + P + r"])"),
    _decade_range,
    ("Music of the 1970s-90s.", "Music of the nineteen seventies to nineties."),
)
SECTION: Final = Rule(
    "section-number",
    "serial",
    re.compile(r"(?<![\w" + P + r".,])(?P<n>\d{3})(?P<parts>(?:\([a-z0-9]{1,2}\))+)(?![\w" + P + r"])"),
    _section,
    ("Save in a 403(b) plan.", "Save in a four oh three b plan."),
)
MODEL_NUMBER: Final = Rule(
    "model-number",
    "serial",
    re.compile(r"(?:(?<=\b[A-Z]{2}\s)|(?<=\b[A-Z]{3}\s)|(?<=\b[A-Z]{4}\s))(?P<n>[1-9]\d{2,3})(?![\w" + P + r"]|[.,]\d)"),
    _model_number,
    ("An RTX 4090 card.", "An R-T-X forty ninety card."),
)
DIGITS: Final = Rule(
    "digits", "cardinal", re.compile(r"\d+"), lambda m, w: say.number(m.group(0)), ("Model X9 ships", "Model X-nine ships")
)
