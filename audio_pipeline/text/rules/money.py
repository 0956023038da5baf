"""Money: "$4.2 million", "€15", "a $10k prize", "20€"."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.tables import table
from audio_pipeline.text.work import NUM, P, Work

_T: Final = table("money")
CURRENCIES: Final[dict[str, list[str]]] = _T["currencies"]
SCALES: Final[dict[str, str]] = _T["scales"]
_SCALE: Final = r"(?:\s?(?P<scale>thousand|million|billion|trillion)|(?P<short>[kKmMbBtT]|mn|MM|bn|tn))"
_SYMBOLS: Final = "|".join(sorted(map(re.escape, CURRENCIES), key=len, reverse=True))
_AFTER_SYMBOLS: Final = "|".join(re.escape(c) for c in CURRENCIES if not c.endswith("$"))


def _money(m: re.Match, _work: Work) -> str:
    one, many, sub_one, sub_many = CURRENCIES[m.group("cur")]
    if say.after_article(m.string, m.start()):  # "a $10k prize": a ten thousand dollar prize
        many = one
    num = m.group("num")
    scale = m.group("scale") or SCALES.get(m.group("short") or "", "")
    sign = "minus " if m.group("sign") else ""
    if scale:
        return f"{sign}{say.number(num)} {scale} {many}"
    whole, _, cents = num.replace(",", "").partition(".")
    if len(cents) == 2 and sub_one:
        c = int(cents)
        cents_words = f"{say.cardinal(c)} {sub_one if c == 1 else sub_many}"
        if not whole or int(whole) == 0:
            return sign + cents_words
        w = int(whole)
        return f"{sign}{say.cardinal(w)} {one if w == 1 else many} and {cents_words}"
    return f"{sign}{say.number(num)} {one if say.is_one(num) else many}"


MONEY_BEFORE: Final = Rule(
    "money", "money",
    re.compile(rf"(?<![\w{P}])(?P<sign>-)?(?P<cur>{_SYMBOLS})\s?(?P<num>{NUM})(?:{_SCALE})?(?![\w])"),
    _money, ("It cost $4.2 million.", "It cost four point two million dollars."))
MONEY_AFTER: Final = Rule(
    "money-after", "money",
    re.compile(rf"(?<![\w{P}.,])(?P<sign>-)?(?P<num>{NUM})(?:{_SCALE})?\s?(?P<cur>{_AFTER_SYMBOLS})(?![\w])"),
    _money, ("It cost 20€.", "It cost twenty euros."))

RULES: Final = (MONEY_BEFORE, MONEY_AFTER)
