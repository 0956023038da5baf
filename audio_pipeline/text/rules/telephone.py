"""Telephone numbers, read digit by digit in their groups: "(555) 123-4567" -> "five five five,
one two three, four five six seven"."""

from __future__ import annotations

import re
from typing import Final

from audio_pipeline.text import say
from audio_pipeline.text.rule import Rule
from audio_pipeline.text.work import P, Work

# A North American number with its area code in parentheses or set off by "-" / ".", or any
# grouped number after a "+country" prefix. Bare "123 4567" is left alone: it may be two counts.
_PHONE: Final = re.compile(
    rf"(?<![\w{P}+.,-])(?:\+(?P<cc>\d{{1,3}})[\s.-]?|(?P<trunk>1)[.-](?=\d{{3}}[.-]))?"
    r"(?:\((?P<area>\d{3})\)\s?|(?P<area2>\d{3})(?P<sep>[.-]|(?<=\d)\s(?=\d{3}\s\d{4})))"
    r"(?P<x>\d{3})[\s.-](?P<y>\d{4})(?![\w-]|\.\d)")


def _phone(m: re.Match, _work: Work) -> str | None:
    if m.group("area2") and m.group("sep") == " " and not m.group("cc"):
        return None  # "555 123 4567" without a country code: too likely three numbers
    groups = [m.group("area") or m.group("area2"), m.group("x"), m.group("y")]
    words = ", ".join(say.digits(g) for g in groups)
    if m.group("trunk"):
        return f"one, {words}"
    return f"plus {say.cardinal(int(m.group('cc')))}, {words}" if m.group("cc") else words


TELEPHONE: Final = Rule("telephone", "telephone", _PHONE, _phone,
                        ("Call (555) 123-4567 now.", "Call five five five, one two three, four five six seven now."))
