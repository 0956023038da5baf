"""Symbols and identifiers: operators said as words ("≤" -> "at most"), Greek letters, and the
letters and digits of names ("snake_case", "A100", "GPT4", "mp3")."""

from __future__ import annotations

import re
from typing import Callable, Final

from .. import say
from ..rule import Rule, template
from ..tables import table
from ..work import P, Work, after
from .cardinals import power_words

_W: Final = rf"[\w{P}]"  # a word character or a decided span
_GREEK: Final[dict[str, str]] = table("greek")["letters"]


def _hashtag(m: re.Match, _work: object) -> str:
    """ "#science" -> "hashtag science"; "#hashtag" is one "hashtag", not two."""
    return " " if re.match(r"[Hh]ashtag\b", after(m.string, m.end())) else " hashtag "


# (name, pattern, spoken, example): applied in this order; outputs are plain lowercase words.
# `spoken` is a fixed replacement, or a rewrite of the match.
_OPERATORS: Final[list[tuple[str, str, str | Callable[[re.Match, Work], str | None], tuple[str, str]]]] = [
    # "C++", "g++", "C#", "F#": languages and tools, before "+" and "#" are read alone
    (
        "plus-plus",
        r"(?<=[A-Za-z])\+\+(?![\w+])",
        " plus plus ",
        ("Written in C++ and g++.", "Written in C plus plus and g plus plus."),
    ),
    ("sharp", r"(?<![\w#])([A-Ga-g])#(?![\w#])", r"\1 sharp ", ("A chord in G# minor.", "A chord in G sharp minor.")),
    # "O(n log n)", "f(x)", "p(y|x)": a one-letter function and its argument
    ("big-o", rf"(?<!{_W})O\(([^()]*)\)", r" big O of \1 ", ("It runs in O(n) time.", "It runs in big O of n time.")),
    (
        "given",
        rf"(?<!{_W})([A-Za-z])\(([^()|]{{1,40}})\|([^()|]{{1,40}})\)",
        r" \1 of \2 given \3 ",
        ("Model p(y|x) well.", "Model p of y given x well."),
    ),
    ("function-of", rf"(?<!{_W})([A-Za-z])\(([^()]{{1,40}})\)", r" \1 of \2 ", ("Take f(x) first.", "Take f of x first.")),
    ("arrow-both", r"\s*(?:<->|↔|⟷|⇔)\s*", " to and from ", ("A <-> B", "A to and from B")),
    ("arrow", r"\s*(?:->|→|⟶|=>|⇒|⟹)\s*", " to ", ("Text → speech", "Text to speech")),
    ("arrow-back", r"\s*(?:<-|←|⟵)\s*", " from ", ("x ← y", "x from y")),
    ("at-most", r"\s*(?:<=|≤|⩽)\s*", " at most ", ("x ≤ y", "x at most y")),
    ("at-least", r"\s*(?:>=|≥|⩾)\s*", " at least ", ("x >= y", "x at least y")),
    ("not-equal", r"\s*(?:!=|≠)\s*", " is not equal to ", ("x ≠ y", "x is not equal to y")),
    ("equals", r"\s*(?:==|=)\s*", " equals ", ("x = y", "x equals y")),
    ("approximately", r"\s*≈\s*", " approximately ", ("x ≈ y", "x approximately y")),
    ("about", rf"\s*~\s*(?={_W})", " about ", ("It took ~ an hour", "It took about an hour")),
    ("plus-or-minus", r"\s*±\s*", " plus or minus ", ("x ± y", "x plus or minus y")),
    ("and-sign", rf"(?<={_W})\s*&\s*(?={_W})|\s+&\s+", " and ", ("Salt & pepper", "Salt and pepper")),
    ("less-than", rf"\s+<\s+|\s*<\s*(?=[{P}])", " less than ", ("x < y", "x less than y")),
    ("greater-than", rf"\s+>\s+|\s*>\s*(?=[{P}])", " greater than ", ("x > y", "x greater than y")),
    ("plus", rf"(?<={_W})\s*\+\s*(?={_W})", " plus ", ("x + y", "x plus y")),
    ("plus-before-number", rf"(?<!{_W})\+(?=[{P}])", " plus ", ("Costs (+3€) more", "Costs, plus three euros, more")),
    ("plus-after-number", rf"(?<=[{P}])\+(?!{_W})", " plus ", ("We want 7B+.", "We want seven billion plus.")),
    ("times-star", rf"(?<=[{P}])\s*\*\s*(?=[{P}])|\s+\*\s+", " times ", ("x * y", "x times y")),
    ("times-sign", r"\s*×\s*", " times ", ("x × y", "x times y")),
    ("divided-by", r"\s*÷\s*", " divided by ", ("x ÷ y", "x divided by y")),
    ("square-root", r"√\s*", " the square root of ", ("Take √x now", "Take the square root of x now")),
    ("infinity", r"∞", " infinity ", ("Up to ∞", "Up to infinity")),
    ("element-of", r"\s*∈\s*", " in ", ("For x ∈ S", "For x in S")),
    ("proportional-to", r"\s*∝\s*", " proportional to ", ("y ∝ x", "y proportional to x")),
    ("degree-sign", r"\s*°", " degrees ", ("Turn it x° left", "Turn it x degrees left")),
    ("section-sign", r"§\s*", " section ", ("See § x", "See section x")),
    ("number-sign", rf"#(?=\s?[{P}])", " number ", ("Ranked #1 here", "Ranked number one here")),
    ("hashtag", rf"(?<!{_W})#(?:(?=[Hh]ashtag\b)|(?=[^\W\d_]))", _hashtag, ("Tag it #science", "Tag it hashtag science")),
    ("at-sign", rf"(?<!{_W})@(?={_W})", " at ", ("Ask @ernis now", "Ask at Erniss now")),
    ("spaced-at", r"\s@\s", " at ", ("Meet me @ noon", "Meet me at noon")),
    ("at-k", rf"(?<=[A-Za-z])@(?=[{P}])", " at ", ("A pass@1 of 90%.", "A pass at one of ninety percent.")),
    ("percent-sign", r"%", " percent ", ("The % rose", "The percent rose")),
    ("per-mille-sign", r"‰", " per mille ", ("The ‰ rose", "The per mille rose")),
    ("slash-or", r"(?<=[a-z])/(?=[a-z])", " or ", ("Use cats/dogs here", "Use cats or dogs here")),
]
OPERATORS: Final = tuple(
    Rule(name, "symbol", re.compile(pattern), template(spoken) if isinstance(spoken, str) else spoken, example, park=False)
    for name, pattern, spoken, example in _OPERATORS
)

# Arithmetic: "1-2=5", "3x-2=7", "2^10=1024". Only where an equals sign makes it an equation:
# elsewhere "1-2" is a range ("one to two") and "6/3" a fraction.
_OPERAND: Final = (
    rf"(?:(?:\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+(?:\.\d+)?)(?:[a-zA-Z](?![\w{P}]))?|[a-zA-Z](?![\w{P}]))(?:\^\d{{1,3}})?"
)
_SIDE: Final = rf"-?{_OPERAND}(?:\s?[-+*/×÷]\s?-?{_OPERAND}){{0,20}}"
_EQUATION: Final = re.compile(rf"(?<![\w{P}.,/^=-]){_SIDE}\s?=\s?{_SIDE}(?![\w{P}=]|[.,]\d)")
_ARITHMETIC: Final = re.compile(
    r"(?P<op>(?<=[\w)])\s?[-+*/×÷=]\s?)|(?P<sign>-)|(?P<n>[\d,.]+)(?P<v>[a-zA-Z])?(?:\^(?P<e>\d+))?"
    r"|(?P<x>[a-zA-Z])(?:\^(?P<xe>\d+))?"
)
_A_RANGE: Final = re.compile(r"[a-zA-Z]\s?=\s?\d+(?:\.\d+)?\s?-\s?\d+(?:\.\d+)?")
_SAID: Final = {"-": "minus", "+": "plus", "*": "times", "×": "times", "/": "divided by", "÷": "divided by", "=": "equals"}


def _equation(m: re.Match, _work: Work) -> str | None:
    if not re.search(r"[\w)]\s?[-+*/×÷]", m.group(0)):
        return None  # "x=5": the equals sign alone is the operators' rule
    if _A_RANGE.fullmatch(m.group(0)):
        return None  # "n=5-10 per group": a range of values
    said = []
    for part in _ARITHMETIC.finditer(m.group(0)):
        if part.group("op"):
            said.append(_SAID[part.group("op").strip()])
        elif part.group("sign"):
            said.append("minus")
        elif part.group("n"):
            said.append(
                say.number(part.group("n"))
                + (f" {part.group('v')}" if part.group("v") else "")
                + (power_words(part.group("e")) if part.group("e") else "")
            )
        else:
            said.append(part.group("x") + (power_words(part.group("xe")) if part.group("xe") else ""))
    return " ".join(" ".join(said).split())


EQUATION: Final = Rule(
    "equation", "math", _EQUATION, _equation, ("We know 1-2=5 is false.", "We know one minus two equals five is false.")
)

GREEK: Final = Rule(
    "greek-letter",
    "symbol",
    re.compile(r"(?<![^\W\d_])[" + "".join(_GREEK) + r"](?![^\W\d_])"),
    lambda m, w: _GREEK[m.group(0)],
    ("Set α to x", "Set alpha to x"),
)

SNAKE_CASE: Final = Rule(
    "snake-case",
    "electronic",
    re.compile("_"),
    lambda m, w: " ",  # URLs are done: "_" reads as a space
    ("Use ICML_2024 data", "Use I-C-M-L twenty twenty-four data"),
    park=False,
    quiet=True,
)
# Model and chip names: "A100" -> "Eh-one hundred" (an "A" would be the article),
# "mp3" -> "M-P three", "Qwen2.5-Math-7B" -> "Qwen 2.5 Math 7B" (the 7B was parked earlier).
LETTER_NUMBER: Final = Rule(
    "letter-number",
    "serial",
    re.compile(rf"(?<![\w{P}-])(?P<l>[A-Z])-?(?P<num>\d+(?:\.\d+)?)(?![\w{P}]|\.\d)"),
    lambda m, w: f"{say.spell(m.group('l'))}-{say.number(m.group('num'))}",
    ("An A100 card", "An Eh-one hundred card"),
)
CODE_LETTERS: Final = Rule(
    "code-letters",
    "serial",
    re.compile(rf"(?<![\w{P}])[b-df-hj-np-tv-xz]{{2,4}}(?=\d)"),
    lambda m, w: say.spell(m.group(0).upper()),
    ("Add ch4 gas", "Add C-H four gas"),
    park=False,
)
LETTER_DIGIT: Final = Rule(
    "letter-digit",
    "serial",
    re.compile(rf"(?<=[^\W\d_]|[{P}])(?=\d)"),
    lambda m, w: " ",
    ("Meet Model2024 now", "Meet Model twenty twenty-four now"),
    park=False,
    quiet=True,
)
DIGIT_LETTER: Final = Rule(
    "digit-letter",
    "serial",
    re.compile(rf"(?<=\d)(?=[^\W\d_]|[{P}])"),
    lambda m, w: " ",
    ("Take 2f(x) now.", "Take two f of x now."),
    park=False,
    quiet=True,
)
HYPHEN_NEAR_DIGIT: Final = Rule(
    "hyphen-near-digit",
    "serial",
    re.compile(rf"(?<=[\w{P}])-(?=\d)|(?<=\d)-(?=[\w{P}])|(?<=[{P}])-(?=[\w{P}])|(?<=\w)-(?=[{P}])"),
    lambda m, w: " ",
    ("Try GPT-4 now", "Try G-P-T four now"),
    park=False,
    quiet=True,
)
