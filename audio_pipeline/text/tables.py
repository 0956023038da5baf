"""The front end's plain tables (units, abbreviations, currencies, ...): TOML files in
``text/data/``, each checked against its shape when loaded, so a typo in a table is an error
naming the file and key, not a rule that silently stops matching."""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from ..errors import PaperLedgeError
from ..files import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA: Final = Path(__file__).with_name("data")

# The shape of every table: file -> key -> kind.
#   words: list of strings; numbers: list of ints; names: string -> string;
#   pairs: string -> [string, string]; quads: string -> 4 strings; counts: string -> int;
#   patterns: list of [regular expression, string]
SHAPES: Final[dict[str, dict[str, str]]] = {
    "typography": {"before_nfkc": "names"},
    "electronic": {"tlds": "words", "spelled_tlds": "words", "separators": "names"},
    "abbreviations": {"entries": "patterns", "may_end": "words", "after_a_name": "names", "never_end": "words"},
    "dates": {"months": "words", "also_words": "words", "month_cues": "words", "weekdays": "words", "time_zones": "names"},
    "money": {"currencies": "quads", "scales": "names"},
    "units": {"units": "pairs", "per": "names", "context": "context"},
    "greek": {"letters": "names"},
    "roman": {"cues": "words", "regnal": "words"},
    "acronyms": {"not_initials": "words"},
    "identifiers": {
        "references": "words",
        "equations": "words",
        "sizes_after": "words",
        "versions_after": "words",
        "digits_after": "words",
        "old_arxiv_archives": "words",
    },
    "cardinals": {
        "decade_cues": "words",
        "spaced_decade_cues": "words",
        "streets": "words",
        "count_cues": "words",
        "strong_year_cues": "words",
        "powers_of_two": "numbers",
        "not_plural": "words",
        "fractions": "pairs",
    },
}


def alternation(words) -> str:
    """A regex alternation of `words`, longest first, so "kWh" is tried before "kW"."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


class TableError(ValueError):
    """A data file of the front end does not have the shape its rules need."""


@lru_cache(maxsize=None)
def table(name: str) -> dict[str, Any]:
    """The checked contents of ``data/NAME.toml``."""
    path = DATA / f"{name}.toml"
    try:
        data = tomllib.loads(read_text(path, "front-end table"))
    except PaperLedgeError as e:
        raise TableError(str(e)) from None
    except (ValueError, RecursionError) as e:
        raise TableError(f"{path}: {e}") from None
    shape = SHAPES[name]
    if set(data) != set(shape):
        raise TableError(f"{path}: expected the keys {sorted(shape)}, found {sorted(data)}")
    for key, kind in shape.items():
        problem = _problem(kind, data[key])
        if problem:
            raise TableError(f"{path}: [{key}] {problem}")
    return data


def _problem(kind: str, value: Any) -> str | None:
    def strings(xs: Any, n: int | None = None) -> bool:
        return isinstance(xs, list) and all(isinstance(x, str) for x in xs) and (n is None or len(xs) == n)

    if kind == "words":
        return None if strings(value) and all(value) else "must be a list of non-empty strings"
    if kind == "numbers":
        return None if isinstance(value, list) and all(type(x) is int for x in value) else "must be a list of integers"
    if kind == "patterns":
        if not (isinstance(value, list) and all(strings(x, 2) for x in value)):
            return "must be a list of [pattern, spoken] pairs"
        for pattern, _ in value:
            try:
                re.compile(pattern)
            except re.error as e:
                return f"{pattern!r} is not a regular expression ({e})"
        return None
    if kind == "context":
        return None if isinstance(value, dict) and all(strings(v) for v in value.values()) else "must hold lists of strings"
    if not isinstance(value, dict) or not value:
        return "must be a non-empty table"
    for k, v in value.items():
        ok = {
            "names": isinstance(v, str) and bool(v),
            "pairs": strings(v, 2) and all(v),
            "quads": strings(v, 4) and all(v[:2]),
            "counts": type(v) is int and v > 0,
        }[kind]
        if not ok:
            return f"{k!r} = {v!r}: expected {_EXPECTED[kind]}"
    return None


_EXPECTED: Final = {
    "names": "a non-empty string",
    "pairs": "[singular, plural]",
    "quads": "[one, many, one hundredth, many hundredths]",
    "counts": "a positive integer",
}
