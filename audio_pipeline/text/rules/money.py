"""Money: "$4.2 million", "€15", "a $10k prize", "20€"."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import alternation, table
from ..work import NUM, P, Work

_T: Final = table("money")
CURRENCIES: Final[dict[str, list[str]]] = _T["currencies"]
SCALES: Final[dict[str, str]] = _T["scales"]
PER: Final[dict[str, str]] = table("units")["per"]
_SCALE: Final = r"(?:\s?(?P<scale>thousand|million|billion|trillion)|(?P<short>[kKmMbBtT]|mn|MM|bn|tn))"
_SCALE_A: Final = _SCALE.replace("<scale>", "<scale_a>").replace("<short>", "<short_a>")
PER_ALT: Final = alternation(PER)
_PER: Final = r"(?:/(?P<per>" + PER_ALT + "))?"
_SYMBOLS: Final = alternation(CURRENCIES)
# "$5 million dollars": the currency said again after the amount is said once.
_ECHO: Final = r"(?:\s(?:dollars?|euros?|pounds?|yen|yuan|rupees?))?"
_AFTER_SYMBOLS: Final = "|".join(re.escape(c) for c in CURRENCIES if not c.endswith("$"))


def _amount(cur: str, num: str, scale: str, sign: str, singular: bool) -> str:
    """ "$4.2 million", "$3.00" (three dollars), "$0.75" (seventy-five cents)."""
    one, many, sub_one, sub_many = CURRENCIES[cur]
    if singular:  # "a $10k prize": a ten thousand dollar prize
        many = one
    if scale:
        return f"{sign}{say.number(num)} {scale} {many}"
    whole, _, cents = num.replace(",", "").partition(".")
    if len(cents) == 2 and sub_one:
        c = int(cents)
        cents_words = f"{say.cardinal(c)} {sub_one if c == 1 else sub_many}"
        w = int(whole) if whole else 0
        if w == 0:
            return sign + cents_words
        money = f"{sign}{say.cardinal(w)} {one if w == 1 else many}"
        return money if c == 0 else f"{money} and {cents_words}"
    return f"{sign}{say.number(num)} {one if say.is_one(num) else many}"


def _scale(m: re.Match, suffix: str = "") -> str:
    return m.group("scale" + suffix) or SCALES.get(m.group("short" + suffix) or "", "")


def _per(m: re.Match) -> str:
    return f" per {PER[m.group('per')]}" if m.group("per") else ""


def _money(m: re.Match, _work: Work) -> str:
    singular = say.after_article(m.string, m.start())
    sign = "minus " if m.group("sign") else ""
    return _amount(m.group("cur"), m.group("num"), _scale(m), sign, singular) + _per(m)


def _money_range(m: re.Match, _work: Work) -> str:
    """ "$40-$60": forty to sixty dollars; "$1.50-$2": each end a whole amount."""
    cur, a, b = m.group("cur"), m.group("num_a"), m.group("num")
    scale_a, scale_b = _scale(m, "_a"), _scale(m)
    singular = say.after_article(m.string, m.start())
    high = _amount(cur, b, scale_b, "", singular) + _per(m)
    if "." in a and not scale_a:
        return f"{_amount(cur, a, '', '', singular)} to {high}"
    low = say.number(a) + (f" {scale_a}" if scale_a and scale_a != scale_b else "")
    return f"{low} to {high}"


MONEY_BEFORE: Final = Rule(
    "money",
    "money",
    re.compile(rf"(?<![\w{P}])(?P<sign>-)?(?P<cur>{_SYMBOLS})\s?(?P<num>{NUM})(?:{_SCALE})?{_PER}{_ECHO}(?![\w])"),
    _money,
    ("It cost $4.2 million, or $15/mo.", "It cost four point two million dollars, or fifteen dollars per month."),
)
MONEY_RANGE: Final = Rule(
    "money-range",
    "range",
    re.compile(
        rf"(?<![\w{P}])(?P<cur>{_SYMBOLS})\s?(?P<num_a>{NUM})(?:{_SCALE_A})?\s?[-–—]\s?(?:{_SYMBOLS})?\s?"
        rf"(?P<num>{NUM})(?:{_SCALE})?{_PER}(?![\w])"
    ),
    _money_range,
    ("Plans cost $40-$60 a month.", "Plans cost forty to sixty dollars a month."),
)
MONEY_AFTER: Final = Rule(
    "money-after",
    "money",
    re.compile(rf"(?<![\w{P}.,])(?P<sign>-)?(?P<num>{NUM})(?:{_SCALE})?\s?(?P<cur>{_AFTER_SYMBOLS}){_PER}(?![\w])"),
    _money,
    ("It cost 20€.", "It cost twenty euros."),
)

RULES: Final = (MONEY_RANGE, MONEY_BEFORE, MONEY_AFTER)
