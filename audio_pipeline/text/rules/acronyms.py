"""Words the engine would misread: acronyms spelled ("SVD" -> "S-V-D", "LLMs" -> "L-L-M's"),
shouted words and marked capitals made ordinary, camel-case names split ("ChatGPT")."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import Work, before
from .roman import TOKEN, read_roman, split_suffix

_NOT_INITIALS: Final = frozenset(table("acronyms")["not_initials"])
_LONG_WORD: Final = 7  # an all-caps token this long with a vowel is a shouted word, not initials


def _token(m: re.Match, work: Work) -> str | None:
    return say_token(m.group("w"), m.group("apos"), before(m.string, m.start()), work, piece=False)


def say_token(word: str, trailing: str | None, before: str, work: Work, piece: bool = True) -> str | None:
    """The spoken form of one word (or ``piece`` of a camel-case word), or None to leave it
    to the engine. Whole Roman numerals are the roman rule's."""
    if not word.isascii():
        return None
    lexicon = work.lexicon
    base, suffix = split_suffix(word, trailing)

    roman = read_roman(base, before, work) if piece else None
    if roman is not None:
        return roman

    if lexicon.reads_as_word(base):
        work.fire(f"lexicon:{base}")
        return say.respoken(say.as_word(base), lexicon) + suffix
    if base.endswith("s") and len(base) > 2 and lexicon.reads_as_word(base[:-1]):
        work.fire(f"lexicon:{base[:-1]}")
        return say.respoken(say.as_word(base[:-1]), lexicon) + "s" + suffix

    # All capitals: initials, spelled ("SVD"), with plural ("LLMs") and possessive forms.
    plural = base.endswith("s") and base[:-1].isupper() and len(base) > 2
    letters = base[:-1] if plural else base
    if letters.isupper() and len(letters) >= 2:
        if len(letters) >= _LONG_WORD and say.VOWELS.intersection(letters):
            work.fire(f"rule:shouted-word:{letters}")
            return say.respoken(say.as_word(letters), lexicon) + ("s" if plural else "") + suffix
        work.fire(f"rule:acronym:{letters}")
        return say.spell(letters) + ("'s" if plural or suffix else "")

    # "mRNA", "vLLM", "iOS": a lowercase prefix of one or two letters, then initials.
    if re.fullmatch(r"[a-z]{1,2}[A-Z]{2,}s?", base):
        plural = base.endswith("s")
        letters = (base[:-1] if plural else base).upper()
        work.fire(f"rule:acronym:{base}")
        return say.spell(letters) + ("'s" if plural or suffix else "")

    # "lr", "mp", "fn": lowercase letters with no vowel cannot be a word; spell them.
    if re.fullmatch(r"[b-df-hj-np-tv-xz]{2,4}", base) and base not in _NOT_INITIALS:
        work.fire(f"rule:acronym:{base}")
        return say.spell(base.upper()) + suffix

    # "IMplicit rEwards": capitals used to mark an acronym's letters inside ordinary words.
    if re.fullmatch(r"[A-Z]{2}[a-z]{3,}", base):
        work.fire("rule:capitals")
        return say.respoken(base.capitalize(), lexicon) + suffix
    if re.fullmatch(r"[a-df-hj-z][A-Z][a-z]{3,}", base):
        work.fire("rule:capitals")
        return say.respoken(base.lower(), lexicon) + suffix

    # "ChatGPT", "FEABench", "OpenAI": split out runs of capitals and spell them.
    if re.search(r"[A-Z]{2}", base) and re.search(r"[a-z]", base):
        pieces = re.findall(r"[A-Z]{2,}(?=[A-Z][a-z])|[A-Z]{2,}s?$|[A-Z]?[a-z]+|[A-Z]+", base)
        if len(pieces) >= 2:
            return " ".join(say_token(p, None, before, work) or say.respoken(p, lexicon) for p in pieces) + suffix
    return None


ACRONYM: Final = Rule(
    "acronym", "acronym", TOKEN, _token, ("The SVD of LLMs beat ChatGPT.", "The S-V-D of L-L-M's beat Chat G-P-T."), quiet=True
)
