"""Typography to plain characters, so later rules see one spelling of each thing."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import RESERVED, Work

_BEFORE_NFKC: Final[dict[str, str]] = table("typography")["before_nfkc"]
_BEFORE_NFKC_RE: Final = re.compile("|".join(map(re.escape, _BEFORE_NFKC)))
_SPACES: Final = re.compile(r"  +")
_SUPERSCRIPT: Final = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")


def _plain(m: re.Match, _work: Work) -> str:
    """Unicode folded (NFKC); spaces unified, invisible characters gone, other digits ASCII."""
    text = unicodedata.normalize("NFKC", m.group(0))
    text = _BEFORE_NFKC_RE.sub(lambda m: _BEFORE_NFKC[m.group(0)], text)  # NFKC can make some
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or cat in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cn", "Cs") or (cat == "Co" and not RESERVED.match(ch)):
            continue
        elif ch.isdecimal() and not ch.isascii():
            out.append(str(unicodedata.decimal(ch)))
        elif cat in ("No", "Nl") and unicodedata.numeric(ch, None) is not None:
            out.append(f" {_numeric_char(ch)} ")
        else:
            out.append(ch)
    # One space between words: no rule has to allow for more, and "\s*" around an operator
    # stays linear on a line of blanks.
    return _SPACES.sub(" ", "".join(out))


def _numeric_char(ch: str) -> str:
    value = unicodedata.numeric(ch)
    if value == int(value):
        return say.cardinal(int(value))
    return say.number(f"{value:.4f}".rstrip("0"))


CITATION: Final = Rule(
    "citation",
    "typography",
    re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]"),
    lambda m, w: "",
    ("As shown before [12, 14].", "As shown before."),
    park=False,
)
SUPERSCRIPT: Final = Rule(
    "superscript",
    "typography",
    re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+"),
    lambda m, w: "^" + m.group(0).translate(_SUPERSCRIPT) + " ",
    ("Take x⁵ now", "Take x to the fifth now"),
    park=False,
)
TYPOGRAPHY: Final = Rule(
    "typography",
    "typography",
    _BEFORE_NFKC_RE,
    lambda m, w: _BEFORE_NFKC[m.group(0)],
    ("GPT™ is here", "G-P-T is here"),
    park=False,
    quiet=True,
)
UNICODE: Final = Rule(
    "unicode",
    "typography",
    re.compile(r".+", re.DOTALL),
    _plain,
    ("It costs ½ as much", "It costs one half as much"),
    park=False,
    quiet=True,
)

RULES: Final = (CITATION, SUPERSCRIPT, TYPOGRAPHY, UNICODE)
