"""The text front end's rules, in the order they fire: the one place to read that order.

Order decides what Ernis says: an address is read before its dots could be decimal points,
the lexicon before any rule that would spell its words, dates before plain numbers, a number
with its unit before the number alone, acronyms last. ``paperledge text --rules`` prints this
list with each rule's class and example.
"""

from __future__ import annotations

from typing import Final

from ..rule import Rule
from . import (
    abbreviations,
    acronyms,
    cardinals,
    dates,
    electronic,
    fractions,
    identifiers,
    lexicon,
    measures,
    money,
    roman,
    symbols,
    telephone,
    typography,
)

NUMBERS: Final[tuple[Rule, ...]] = (
    identifiers.REFERENCE,
    cardinals.SECTION,
    cardinals.SCIENTIFIC,
    measures.UNIT_POWER,
    cardinals.POWER,
    cardinals.DECADE_RANGE,
    fractions.RANGE,
    measures.PERCENT,
    measures.SIZED,
    measures.DIMENSIONS,
    measures.MULTIPLIER,
    cardinals.DECADE_SPACED,
    cardinals.DECADE,
    cardinals.SCALED,
    measures.NUMBER_PER,
    measures.DURATION,
    measures.FEET_INCHES,
    measures.UNIT,
    measures.WORD_UNIT,
    measures.WORD_PER,
    cardinals.ORDINAL,
    cardinals.VERSION,
    identifiers.VERSION_AFTER_NAME,
    fractions.MIXED,
    fractions.FRACTION,
    fractions.SCORE,
    measures.UNIT_AFTER_NUMBER,
    cardinals.MULTI_DOT,
    symbols.LETTER_NUMBER,
    symbols.CODE_LETTERS,
    symbols.LETTER_DIGIT,
    symbols.DIGIT_LETTER,
    symbols.HYPHEN_NEAR_DIGIT,
    cardinals.MODEL_NUMBER,
    cardinals.PLAIN,
    cardinals.DIGITS,
)
"""Everything that reads digits; also run alone on the letters of a sentence that no other
rule left anything sayable in."""

RULES: Final[tuple[Rule, ...]] = (
    *typography.RULES,
    *electronic.RULES,
    *identifiers.RULES,
    symbols.SNAKE_CASE,
    *lexicon.RULES,
    *abbreviations.RULES,
    cardinals.LONG_DIGITS,
    identifiers.DIGITS_AFTER,
    telephone.INTERNATIONAL,
    telephone.TELEPHONE,
    telephone.DIALLED,
    symbols.EQUATION,
    *dates.RULES,
    fractions.RATIO,
    *money.RULES,
    *NUMBERS,
    *symbols.OPERATORS,
    symbols.GREEK,
    roman.ROMAN,
    acronyms.ACRONYM,
)


def without(names: set[str] | frozenset[str], rules: tuple[Rule, ...] = RULES) -> tuple[Rule, ...]:
    """The rules minus those named (each must exist): to hear what one rule does alone."""
    unknown = set(names) - {r.name for r in rules}
    if unknown:
        raise KeyError(f"no rule named {', '.join(sorted(unknown))}")
    return tuple(r for r in rules if r.name not in names)


assert len({r.name for r in RULES}) == len(RULES), "rule names must be unique"
