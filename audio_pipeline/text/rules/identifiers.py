"""Identifiers and references: arXiv IDs, DOIs and ISBNs read group by group, versions after a
product's name ("Python 3.12"), and the panel letters of references ("Fig. 3b", "Eq. (2)")."""

from __future__ import annotations

import re
from typing import Final

from .. import say
from ..rule import Rule
from ..tables import table
from ..work import P, Work
from .electronic import address_words

_T: Final = table("identifiers")
_REFERENCES: Final = frozenset(_T["references"])
_EQUATIONS: Final = frozenset(_T["equations"])
_SIZES_AFTER: Final = frozenset(_T["sizes_after"])
_VERSIONS_AFTER: Final = frozenset(_T["versions_after"])
_DIGITS_AFTER: Final = frozenset(_T["digits_after"])


def _name(work: Work, written: str, default: str) -> str:
    """The lexicon's reading of a name the rule reads with its number, else the rule's own."""
    entry = work.lexicon.lookup(written) if work.lexicon is not None else None
    return entry.spoken if entry else default


def _arxiv(m: re.Match, work: Work) -> str | None:
    """ "arXiv:2404.12345v2" -> "archive two four zero four dot one two three four five version two";
    an old "hep-th/9901001" is its archive's name and number, said like an address."""
    name = f"{_name(work, m.group('name'), 'archive')} " if m.group("name") else ""
    if m.group("old"):
        out = name + address_words(m.group("old"), work)
    elif not name:
        return None  # "2404.12345" alone is a decimal
    else:
        head, _, tail = m.group("id").partition(".")
        out = f"{name}{say.digits(head)} dot {say.digits(tail)}"
    return out + (f" version {say.cardinal(int(m.group('v')))}" if m.group("v") else "")


def _doi(m: re.Match, work: Work) -> str:
    name = m.group("name")
    return (f"{_name(work, name, say.spell(name.upper()))} " if name else "") + address_words(m.group("doi"), work)


def _isbn(m: re.Match, work: Work) -> str:
    """Its groups as written, digit by digit, a pause between: "nine seven eight, zero, ..."."""
    groups = re.findall(r"[\dX]+", m.group("n"))
    said = ", ".join("X" if g == "X" else " ".join(say.digits(c) or c for c in g) for g in groups)
    return f"{_name(work, m.group('name'), say.spell(m.group('name')))}{m.group('verb') or ''} {said}"


def _digits_after(m: re.Match, work: Work) -> str:
    """ "ID 123456789": the cue stays for the acronym rule; only the number is decided here."""
    return m.group("head") + work.park(say.digits(m.group("d")), "rule:identifier-digits", m.group("d"))


def _version_after_name(m: re.Match, work: Work) -> str | None:
    words = work.words_before(m.start())[-4:]
    # "Python 3.12", also the second of "Python 3.10 to 3.12" (a range read just before)
    if not (
        words[-1:]
        and words[-1] in _VERSIONS_AFTER
        or len(words) == 4
        and words[0] in _VERSIONS_AFTER
        and words[1].isdecimal()
        and words[2].isdecimal()
        and words[3] in ("and", "or", "to")
    ):
        return None
    return say.point_joined(m.group("num"))


_OLD_ARCHIVES: Final = "|".join(re.escape(a) for a in sorted(_T["old_arxiv_archives"], key=len, reverse=True))
# One label: "3b", "2a-c", "3.12", or an equation's "(2)"; a list of up to nine.
_ITEM: Final = (
    rf"(?:\(\d{{1,4}}[A-Za-z]?\)|\d{{1,4}}\([A-Za-z]\)|\d{{1,4}}(?:\.\d{{1,4}}){{0,3}}(?:[A-Za-z](?:[-–][A-Za-z])?)?)"
    rf"(?![\w{P}])"
)
_SEP: Final = r"(?:,\s?|\s(?:and|or|to|&)\s|\s?[-–]\s?)"
_PIECE: Final = re.compile(
    rf"\((?P<p>[^)]*)\)|(?P<n>[\d.]+)(?:(?P<l>[A-Za-z])|\((?P<lp>[A-Za-z])\))?(?:[-–](?P<l2>[A-Za-z]))?"
    rf"|(?P<sep>{_SEP})"
)


def _letter(c: str) -> str:
    return "Eh" if c in "aA" else c.upper()  # espeak says a lone "A" as the article


def _label(n: str, letter: str | None, to_letter: str | None) -> str:
    out = say.point_joined(n) if "." in n else say.number(n)
    if letter:
        out += " " + _letter(letter)
    if to_letter:
        out += " to " + _letter(to_letter)
    return out


def _reference(m: re.Match, work: Work) -> str | None:
    """ "Fig. 3b" -> "three B" (the abbreviation rule says "Figure"); "Eq. (2)" -> "two"."""
    items = m.group("items")
    parens = re.search(r"\(\d", items) is not None
    if not parens and not re.search(r"\d\(?[A-Za-z]|\.\d", items):
        return None  # "Figure 3": a plain number, read as one
    before = work.word_before(m.start()).lower()
    if before not in _REFERENCES:
        return None
    if parens and before not in _EQUATIONS:
        return None  # "the model (2019) of Smith": a year in an aside
    if before in _SIZES_AFTER and re.search(r"\d[KMBT](?![\w-])", items):
        return None  # "models 7B and 70B": sizes
    said = []
    for piece in _PIECE.finditer(items):
        if piece.group("sep") is not None:
            sep = piece.group("sep").strip()
            said.append("," if sep == "," else "to" if sep in "-–" else "and" if sep == "&" else sep)
        elif piece.group("p") is not None:
            inner = re.fullmatch(r"(\d+)([A-Za-z])?", piece.group("p"))
            said.append(_label(inner.group(1), inner.group(2), None) if inner else piece.group("p"))
        else:
            said.append(_label(piece.group("n"), piece.group("l") or piece.group("lp"), piece.group("l2")))
    return " ".join(said).replace(" ,", ",")


ARXIV: Final = Rule(
    "arxiv-id",
    "serial",
    re.compile(
        rf"(?<![\w{P}/.-])(?:(?P<name>arXiv|arxiv|ArXiv|ARXIV)(?::\s?|\s))?(?:(?P<id>\d{{4}}\.\d{{4,5}})"
        rf"|(?P<old>(?:{_OLD_ARCHIVES})(?:\.[A-Z]{{2}})?/\d{{7}}))(?:v(?P<v>\d{{1,2}}))?(?![\w{P}]|\.\d)"
    ),
    _arxiv,
    ("See arXiv:2404.12345.", "See archive two four zero four dot one two three four five."),
)
DOI: Final = Rule(
    "doi",
    "serial",
    re.compile(rf"(?<![\w{P}/.])(?:(?P<name>doi|DOI)(?::\s?|\s))?(?P<doi>10\.\d{{4,9}}/[^\s\"'<>]{{0,200}}[^\s\"'<>.,;:!?)\]])"),
    _doi,
    ("Cite doi:10.1145/3368089.", "Cite D-O-I ten dot one one four five slash three three six eight zero eight nine."),
)
ISBN: Final = Rule(
    "isbn",
    "serial",
    re.compile(
        rf"(?<![\w{P}])(?P<name>ISBN)(?:-?1[03])?(?P<verb>\s(?:is|was))?:?\s?(?P<n>97[89][-\s]\d{{1,5}}[-\s]\d{{1,7}}[-\s]\d{{1,7}}[-\s]\d"
        r"|\d{1,5}[-\s]\d{1,7}[-\s]\d{1,7}[-\s][\dX]|97[89]\d{10}|\d{9}[\dX])" + rf"(?![\w{P}-])"
    ),
    _isbn,
    ("ISBN 0-306-40615-2 here", "I-S-B-N zero, three zero six, four zero six one five, two here"),
)
DIGITS_AFTER: Final = Rule(
    "identifier-digits",
    "serial",
    re.compile(
        rf"(?<![\w{P}])(?P<head>(?:{'|'.join(sorted(_DIGITS_AFTER, key=len, reverse=True))})"
        rf"(?:\s(?:is|was|code|number))?:?\s?#?)(?P<d>\d{{3,15}})(?![\w{P}]|[.,]\d)"
    ),
    _digits_after,
    ("Its ID is 123456789.", "Its I-D is one two three four five six seven eight nine."),
    park=False,
    quiet=True,
)
VERSION_AFTER_NAME: Final = Rule(
    "version-after-name",
    "serial",
    re.compile(rf"(?<![\w{P}.,])(?P<num>\d+\.\d+)(?![\w{P}]|\.\d)"),
    _version_after_name,
    ("Python 3.12 is out.", "Python three point twelve is out."),
)
REFERENCE: Final = Rule(
    "reference",
    "serial",
    re.compile(rf"(?<![\w{P}.,])(?P<items>{_ITEM}(?:{_SEP}{_ITEM}){{0,8}})"),
    _reference,
    ("See Fig. 3b and Eq. (2).", "See Figure three B and Equation two."),
)

RULES: Final = (ARXIV, DOI, ISBN)
"""Read before the lexicon and the abbreviations, so their dots and dashes are still there."""
