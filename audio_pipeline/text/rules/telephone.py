"""Telephone numbers, read digit by digit in their groups: "(555) 123-4567" -> "five five five,
one two three, four five six seven"; "+44 20 7946 0958" -> "plus four four, two zero, ..."."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..work import P, Work

_EXTENSION: Final = r"(?:,?\s(?:ext\.?|x)\s?(?P<ext>\d{1,5}))?"
# A North American number with its area code in parentheses or set off by "-" / "."; a
# "+country" prefix before any grouped digits. Bare "123 4567" is left alone: it may be counts.
_NORTH_AMERICAN: Final = re.compile(
    rf"(?<![\w{P}+.,-])(?:(?P<trunk>1)[.-](?=\d{{3}}[.-]))?"
    r"(?:\((?P<area>\d{3})\)\s?|(?P<area2>\d{3})[.-])(?P<x>\d{3})[\s.-](?P<y>\d{4})" + _EXTENSION + r"(?![\w-]|\.\d)"
)
_INTERNATIONAL: Final = re.compile(
    rf"(?<![\w{P}+])\+(?P<cc>\d{{1,3}})(?P<groups>(?:[\s.-]\(?\d{{1,4}}\)?){{2,6}})" + _EXTENSION + r"(?![\w-]|\.\d)"
)
# After a word that says a number is to be dialled: "Dial 911", "call 555-0100".
_DIALLED: Final = re.compile(
    r"(?P<cue>\b(?:[Cc]all|[Dd]ial|[Tt]ext|[Pp]hone|[Ff]ax|[Hh]otline(?: is)?|[Tt]el\.?)\s+)"
    r"(?P<a>\d{3})(?:[.-](?P<b>\d{4}))?(?![\w-]|\.\d)"
)


def _group(digits: str) -> str:
    return "eight hundred" if digits == "800" else say.digits(digits)  # the toll-free prefix


def _said(groups: list[str], m: re.Match) -> str:
    words = ", ".join(_group(g) for g in groups)
    return words + (f", extension {say.digits(m.group('ext'))}" if m.group("ext") else "")


def _north_american(m: re.Match, _work: Work) -> str:
    words = _said([m.group("area") or m.group("area2"), m.group("x"), m.group("y")], m)
    return f"one, {words}" if m.group("trunk") else words


def _international(m: re.Match, _work: Work) -> str:
    return f"plus {say.digits(m.group('cc'))}, " + _said(re.findall(r"\d+", m.group("groups")), m)


def _dialled(m: re.Match, _work: Work) -> str:
    return m.group("cue") + ", ".join(say.digits(g) for g in (m.group("a"), m.group("b")) if g)


TELEPHONE: Final = Rule(
    "telephone",
    "telephone",
    _NORTH_AMERICAN,
    _north_american,
    ("Call (555) 123-4567 now.", "Call five five five, one two three, four five six seven now."),
)
INTERNATIONAL: Final = Rule(
    "telephone-international",
    "telephone",
    _INTERNATIONAL,
    _international,
    ("In London, +44 20 7946 0958.", "In London, plus four four, two zero, seven nine four six, zero nine five eight."),
)
DIALLED: Final = Rule("dialled-number", "telephone", _DIALLED, _dialled, ("Dial 911 now.", "Dial nine one one now."))

RULES: Final = (TELEPHONE, INTERNATIONAL, DIALLED)
