"""URLs and e-mail addresses, read as a person would: scheme and "www." dropped,
separators named ("github dot com slash google")."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import Work

_T: Final = table("electronic")
_SEPARATORS: Final[dict[str, str]] = _T["separators"]
_SPELLED_TLDS: Final = frozenset(_T["spelled_tlds"])
_WORDS_IN_ADDRESSES: Final = frozenset(_T["tlds"]) - _SPELLED_TLDS  # "COM", "ORG": said as words
_URL: Final = re.compile(
    r"(?<![\w@./])(?i:(?:https?|ftp)://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
    r"|(?<![\w@./-])(?:[a-zA-Z0-9-]+\.)+(?:"
    + "|".join(_T["tlds"])
    + "|"
    + "|".join(t.upper() for t in _T["tlds"])
    + r")(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?"
    r"(?![\w@-])"
)
_EMAIL: Final = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(?![\w])")


def say_address(m: re.Match, work: Work) -> str:
    return address_words(m.group(0), work)


def address_words(address: str, work: Work) -> str:
    """An address, or any identifier written like one (a DOI), said part by part."""
    address = re.sub(r"^(?:https?|ftp)://", "", address, flags=re.I)
    address = re.sub(r"^www\.", "", address, flags=re.I).rstrip("/")
    words: list[str] = []
    for part in re.split(r"([./\-_:@?=&#~%+])", address):
        if not part:
            continue
        if part in _SEPARATORS:
            words.append(_SEPARATORS[part])
        elif entry := work.lexicon.lookup(part):
            words.append(entry.spoken)
        elif part.isupper() and len(part) > 1 and (entry := work.lexicon.lookup(part.lower())):
            words.append(entry.spoken)  # "WWW.NATURE.COM": an address shouted is the same address
        elif part.lower() in _SPELLED_TLDS and words and words[-1] == "dot":
            words.append(say.spell(part.upper()))
        else:
            for piece in re.findall(r"\d+|[^\W\d_]+", part):
                if piece.isdecimal():
                    words.append(say.digits(piece) if len(piece) > 2 else say.cardinal(int(piece)))
                elif (
                    not say.VOWELS.intersection(piece)
                    and len(piece) <= 5
                    or piece.isupper()
                    and len(piece) <= 3
                    and piece.lower() not in _WORDS_IN_ADDRESSES
                ):
                    words.append(say.spell(piece.upper()))
                else:
                    words.append(say.respoken(piece.lower(), work.lexicon))
    return " ".join(words)


EMAIL: Final = Rule(
    "email",
    "electronic",
    _EMAIL,
    say_address,
    ("Write to info@paperledge.fm today.", "Write to info at paperledge dot F-M today."),
)
URL: Final = Rule(
    "url", "electronic", _URL, say_address, ("See https://www.example.org/data.", "See example dot org slash data.")
)

RULES: Final = (EMAIL, URL)
