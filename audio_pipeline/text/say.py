"""How numbers and letters are said: the words every rule builds its output from."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from num2words import num2words

if TYPE_CHECKING:
    from .lexicon import Lexicon

DIGITS: Final = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
BIGGEST: Final = 10**15  # beyond this, a number is read digit by digit
# ... unless it is written with thousands separators ("15,000,000,000,000,000"), which say it
# is a quantity: words as far as the number names go (num2words stops at centillions).
GROUPED_DIGITS: Final = 303
VOWELS: Final = set("aeiouyAEIOUY")


def _clean(words: str) -> str:
    """num2words speaks British ("one hundred and five", commas): say it the American way."""
    words = words.replace(",", " ").replace(" and ", " ")
    return " ".join(words.split())


def digits(s: str) -> str:
    return " ".join(DIGITS[int(c)] for c in s if c.isdecimal())


def cardinal(n: int, grouped: bool = False) -> str:
    if abs(n) >= BIGGEST and not (grouped and abs(n) < 10**GROUPED_DIGITS):
        return ("minus " if n < 0 else "") + digits(str(abs(n)))
    return _clean(num2words(n))


def ordinal(n: int) -> str:
    if n >= BIGGEST:
        return "number " + digits(str(n))
    return _clean(num2words(n, to="ordinal"))


def year(n: int) -> str:
    if 2000 <= n <= 2009 or not 1000 <= n <= 2099 or n % 1000 == 0:
        return cardinal(n)
    return _clean(num2words(n, to="year")).replace(" oh-", " oh ")  # "nineteen oh five", as times


def number(s: str) -> str:
    """A written number (may hold thousands commas, a decimal point) -> words."""
    grouped = "," in s
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if len(whole) > GROUPED_DIGITS:
        head = digits(whole)  # past every number name (and past what int() will convert)
    elif frac:
        head = cardinal(int(whole), grouped) if whole else ""
    elif len(whole) > 1 and whole.startswith("0"):
        return digits(whole)  # "007", "05": a code, not a quantity
    else:
        return cardinal(int(whole), grouped)
    return f"{head} point {digits(frac)}".strip() if frac else head


def plural(words: str) -> str:
    """ "nineteen ninety" -> "nineteen nineties", "one hundred" -> "hundreds"."""
    if words.startswith("one ") and words.endswith(("hundred", "thousand", "million", "billion")):
        words = words[4:]
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x"):
        return words + "es"
    return words + "s"


def is_one(s: str) -> bool:
    return s.lstrip("+-") in ("1",)


def signed(m: re.Match, words: str) -> str:
    sign = m.groupdict().get("sign")
    return {"-": "minus ", "+": "plus ", "±": "plus or minus "}.get(sign or "", "") + words


def signed_number(s: str) -> str:
    return ("minus " if s.startswith("-") else "") + number(s.lstrip("-"))


def point_joined(s: str) -> str:
    return " point ".join(number(part) if part else "" for part in s.split("."))


def spell(letters: str) -> str:
    """ "SVD" -> "S-V-D".

    espeak and hibari read an "A" of a hyphenated spelling as the article: after another
    letter ("V-A-E" says "vee-uh-ee"), and first too after a word ("of A-I" says "of uh-eye",
    heard as "of I"). Written "Eh" both say the letter.
    """
    return "-".join("Eh" if c == "A" else c for c in letters)


def respoken(word: str, lexicon: Lexicon) -> str:
    """A word a rule just made may itself be in the lexicon ("ERnis" -> "Ernis")."""
    entry = lexicon.lookup(word)
    return entry.spoken if entry else word


def as_word(token: str) -> str:
    return token[0].upper() + token[1:].lower()


def after_article(text: str, start: int) -> bool:
    """ "a 16GB card": a quantity used as an adjective takes the singular unit."""
    return bool(re.search(r"(?<![\w'])(?:a|an|A|An)\s+$", text[max(0, start - 8) : start]))
