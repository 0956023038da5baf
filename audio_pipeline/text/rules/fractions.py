"""Fractions, ratios and ranges: "3/4", "3:1", "10-20%", "between 5 and 10"."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.rules.cardinals import QUANTITY_START
from audio_pipeline.text.tables import table
from audio_pipeline.text.work import NUM, P, Work

_FRACTION_NAMES: Final = {int(k): v for k, v in table("cardinals")["fractions"].items()}


def _range(m: re.Match, _work: Work) -> str:
    between = re.search(r"\bbetween\s*$", m.string[:m.start()], re.IGNORECASE)
    return f"{m.group('a')}{m.group('suffix') or ''} {'and' if between else 'to'} "


def _fraction(m: re.Match, _work: Work) -> str:
    a, b = int(m.group("a")), int(m.group("b"))
    if a == b or (a, b) == (24, 7):
        return f"{say.cardinal(a)} {say.cardinal(b)}"
    if 0 < a < b and b in _FRACTION_NAMES:
        one, many = _FRACTION_NAMES[b]
        return f"{say.cardinal(a)} {one if a == 1 else many}"
    return f"{say.cardinal(a)} {'out of' if a < b else 'over'} {say.cardinal(b)}"


RATIO: Final = Rule(
    "ratio", "fraction", re.compile(r"(?<![\w:.])(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?![\w:]|\.\d)"),
    lambda m, w: f"{say.number(m.group(1))} to {say.number(m.group(2))}", ("Mix it 3:1.", "Mix it three to one."))
RANGE: Final = Rule(
    "range", "range",
    re.compile(r"(?<![\w" + P + r".,:/-])(?P<a>" + NUM + r")(?P<suffix>%|[xX×]|[KMBT]\b)?"
               r"(?:\s?[–—]\s?|-)(?=\d)"),
    _range, ("Gains of 10-20% each.", "Gains of ten to twenty percent each."), park=False)
FRACTION: Final = Rule(
    "fraction", "fraction", re.compile(QUANTITY_START + r"(?P<a>\d+)/(?P<b>\d+)(?![\w" + P + r"/]|\.\d)"),
    _fraction, ("About 3/4 of them.", "About three quarters of them."))
