"""One way to read a settings table (a dict from TOML or YAML) into a typed dataclass.

Front matter, lexicons, voice profiles and their pauses, engine settings and show.toml all
go through `table_values`, so a mistake is worded the same wherever it is made:

    voices/v.toml: unknown setting 'volme' in [engine]; known: model, volume; did you mean 'volume'?
    voices/v.toml: 'volume' in [engine] must be a number from 0.1 to 4, not 'loud'

A field's type comes from its annotation (bool, int, float, str, list[str], dict, a
dataclass read as a table of its own, or any of those `| None`; other types are passed
through for the caller to check). A number's
range and unit come from the field's metadata (`ranged`) or from the caller (`ranges=`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
import unicodedata
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Iterable, Mapping, NamedTuple, TypeVar
from urllib.parse import urlsplit

from .config import MAX_NAME_CHARS
from .errors import PaperLedgeError, ScriptError

if TYPE_CHECKING:
    from _typeshed import SupportsKeysAndGetItem

T = TypeVar("T")


class Range(NamedTuple):
    """The values a number may take; either end may be open."""

    low: float | None = None
    high: float | None = None
    unit: str = ""
    """Said in the message: "a number of seconds from 0 to 2"."""
    hint: str = ""
    """What the values mean, said after the message."""


def shown(value: Any, limit: int = 60) -> str:
    """A value as an error line quotes it: its repr, cut to one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ranged(default: Any, low: float | None = None, high: float | None = None, *, unit: str = "", hint: str = "") -> Any:
    """A dataclass field whose number must lie in [low, high]."""
    return dataclasses.field(default=default, metadata={"range": Range(low, high, unit, hint)})


def read_table(cls: type[T], table: Any, where: str, **options: Any) -> T:
    """`cls` built from `table`, defaults for the keys it lacks (options: see `table_values`)."""
    return cls(**table_values(cls, table, where, **options))


def table_values(
    cls: type,
    table: Any,
    where: str,
    *,
    section: str = "",
    error: type[PaperLedgeError] = PaperLedgeError,
    ranges: Mapping[str, Range] | None = None,
    text_scalars: bool = False,
) -> dict[str, Any]:
    """The keys `table` sets, checked against `cls`'s fields and converted to their types.

    `where` names the file, `section` the table in it ("[engine]"; empty for the top level).
    A None value (YAML's empty value) counts as not given. `text_scalars` lets a text field
    take any single value (YAML reads `title: 2024` as a number the writer meant as text).
    Every mistake raises `error`.
    """
    within = f" in {section}" if section else ""
    if not isinstance(table, dict):
        raise error(f"{where}: {section or 'the settings'} must be a table of settings, not {shown(table)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            guess = f"; did you mean {close[0]!r}?" if close else ""
            raise error(f"{where}: unknown setting {shown(str(key))}{within}; known: {', '.join(fields)}{guess}")
        if value is None:
            continue
        if dataclasses.is_dataclass(_base(hints[key])):
            values[key] = read_table(_base(hints[key]), value, where, section=f"[{key}]", error=error)
            continue
        limits = (ranges or {}).get(key) or fields[key].metadata.get("range") or Range()
        converted = _convert(value, hints[key], text_scalars)
        if isinstance(converted, str):
            _check_characters(converted, str(key), where, within, error)
        if converted is _WRONG or not _within(converted, limits):
            noun = _noun(hints[key], limits.unit) + _range_words(limits)
            hint = f"; {limits.hint}" if limits.hint else ""
            raise error(f"{where}: {shown(key)}{within} must be {noun}, not {shown(value)}{hint}")
        values[key] = converted
    return values


_WRONG = object()
# Control characters, and the bidirectional overrides and isolates that make text display
# as something other than what it says. Line breaks and tabs are text only in descriptions.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"[\t\n\r]")
# Invisible characters that make two different names look the same.
ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_MULTILINE = frozenset({"description"})
_NAMES = frozenset({"title", "artist", "author", "show"})


def _check_characters(value: str, key: str, where: str, within: str, error: type[PaperLedgeError]) -> None:
    check_text(
        value, f"{key!r}{within}", where, error, multiline=key in _MULTILINE, max_chars=MAX_NAME_CHARS if key in _NAMES else None
    )


def check_text(
    value: str,
    name: str,
    where: str,
    error: type[PaperLedgeError] = PaperLedgeError,
    multiline: bool = False,
    max_chars: int | None = None,
) -> None:
    """A text setting: no control characters or bidirectional overrides; unless `multiline`,
    no line breaks and no zero-width characters; at most `max_chars` characters."""
    bad = CONTROL.search(value) or (None if multiline else _LINE_BREAK.search(value) or ZERO_WIDTH.search(value))
    if bad:
        if ZERO_WIDTH.match(bad.group()):
            raise error(f"{where}: {name} holds the invisible character U+{ord(bad.group()):04X}; delete it")
        raise error(f"{where}: {name} holds control character U+{ord(bad.group()):04X}; write it on one line of plain text")
    if max_chars is not None and len(value) > max_chars:
        raise error(f"{where}: {name} is {len(value):,} characters long; keep it to at most {max_chars}")


def _base(kind: Any) -> Any:
    """`X | None` -> X."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        return options[0] if len(options) == 1 else Any
    return kind


def _convert(value: Any, kind: Any, text_scalars: bool) -> Any:
    kind = _base(kind)
    origin = typing.get_origin(kind) or kind
    # bool is an int in Python; `true` written for a number is still a mistake.
    if origin is bool:
        return value if isinstance(value, bool) else _WRONG
    if isinstance(value, bool) and origin in (int, float):
        return _WRONG
    if origin is int:
        return value if isinstance(value, int) else _WRONG
    if origin is float:
        ok = isinstance(value, (int, float)) and math.isfinite(value)
        return float(value) if ok else _WRONG
    if origin is str:
        if isinstance(value, (str, PurePath)) or (text_scalars and not isinstance(value, (dict, list))):
            return str(value)
        return _WRONG
    if origin is list:
        item = (typing.get_args(kind) or (Any,))[0]
        ok = isinstance(value, list) and (item is Any or all(isinstance(v, item) for v in value))
        return list(value) if ok else _WRONG
    if origin is dict:
        return value if isinstance(value, dict) else _WRONG
    return value


def _within(value: Any, limits: Range) -> bool:
    if not isinstance(value, (int, float)):
        return True
    return (limits.low is None or value >= limits.low) and (limits.high is None or value <= limits.high)


def _noun(kind: Any, unit: str) -> str:
    kind = _base(kind)
    origin = typing.get_origin(kind) or kind
    if origin is list:
        item = (typing.get_args(kind) or (Any,))[0]
        return "a list of strings" if item is str else "a list"
    of = f" of {unit}" if unit else ""
    words = {bool: "true or false", int: f"a whole number{of}", float: f"a number{of}", str: "a string", dict: "a table"}
    return words.get(origin, "something else")


def _range_words(limits: Range) -> str:
    low, high = limits.low, limits.high
    if low is not None and high is not None:
        return f" from {low:g} to {high:g}"
    if low is not None:
        return f" of at least {low:g}"
    if high is not None:
        return f" of at most {high:g}"
    return ""


_CAST_NAME = re.compile(r"[^\W\d_][\w.' -]{0,39}")
"""A speaker's name: a letter, then letters, digits, spaces, dots, apostrophes, hyphens."""

CAST_ROLES = ("host", "co-host", "guest")
"""A cast member's role, as the tags' credits and the feed's podcast:person name it."""


class Cast(dict[str, str]):
    """A cast: speaker name -> voice profile, the host first; `roles` holds the roles given
    (name -> "host", "co-host" or "guest"); `script.cast.role_of` fills in the rest."""

    def __init__(self, voices: Mapping[str, str] | None = None, roles: Mapping[str, str] | None = None) -> None:
        super().__init__(voices or {})
        self.roles: dict[str, str] = dict(getattr(voices, "roles", {}) if roles is None else roles)

    def update(self, other: SupportsKeysAndGetItem[str, str] | Iterable[tuple[str, str]] = (), /, **more: str) -> None:
        """Entries of `other` over these, its roles too (a script's cast over the show's)."""
        super().update(other, **more)
        self.roles.update(getattr(other, "roles", {}))


@dataclasses.dataclass(frozen=True)
class _Member:
    """A cast entry written as a table: {voice = "heart", role = "co-host"}."""

    voice: str = ""
    role: str = ""


def read_cast(table: object, where: str) -> Cast:
    """A cast table (front matter `cast:` or show.toml [cast]): speaker name -> voice profile
    (`Maya: heart`), or a table that also gives the role (`Maya: {voice: heart, role: co-host}`)."""
    if not isinstance(table, dict):
        raise ScriptError(f"{where} must be a mapping of speaker names to voice profiles, e.g. 'Maya: heart', not {shown(table)}")
    cast = Cast()
    for name, voice in table.items():
        # Only ASCII spaces are forgiven around a name: a no-break or em space would make
        # "Maya\u00a0" a second Maya that takes over the first one's lines.
        name = str(name).strip(" ")
        if not _CAST_NAME.fullmatch(name) or name != name.strip():
            raise ScriptError(f"{where}: speaker name {shown(name)} must be a name (letters, digits, spaces, . ' -)")
        if name in cast:
            raise ScriptError(f"{where}: speaker {name!r} is named twice; name each member once")
        check_name_scripts(name, where)
        if isinstance(voice, dict):
            member = read_table(_Member, voice, where, section=f"{name!r}", error=ScriptError)
            if member.role and member.role not in CAST_ROLES:
                raise ScriptError(f"{where}: {name!r} has role {shown(member.role)}; a role is one of {', '.join(CAST_ROLES)}")
            if member.role:
                cast.roles[name] = member.role
            voice = member.voice
        if not isinstance(voice, str) or not voice.strip() or CONTROL.search(voice):
            raise ScriptError(f"{where}: {name!r} must name a voice profile, e.g. '{name}: heart', not {shown(voice)}")
        cast[name] = voice.strip()
    check_look_alikes(list(cast), where)
    return cast


# Scripts whose letters pass for Latin ones: a name mixing them is a disguise, not a name.
_LOOK_ALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})
# Cyrillic and Greek letters drawn like Latin ones (after NFKC): a name's skeleton reads them as Latin.
_SKELETON = str.maketrans(
    "аеорсухіјѕһӏԁԛԝАВЕКМНОРСТУХІЈЅԚԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιναρκ",
    "aeopcyxijshldqwABEKMHOPCTYXIJSQWABEZHIKMNOPTYXoivapk",
)


def check_name_scripts(name: str, where: str) -> None:
    """A speaker's name is written in one of the scripts that look alike, never a mix
    (Latin "Maya" with a Cyrillic "М" is a different name that looks the same)."""
    scripts = {unicodedata.name(c, "").split(" ")[0] for c in unicodedata.normalize("NFKC", name) if c.isalpha()}
    mixed = sorted(scripts & _LOOK_ALIKE_SCRIPTS)
    if len(mixed) > 1:
        raise ScriptError(
            f"{where}: speaker name {shown(name)} mixes {' and '.join(s.title() for s in mixed)} "
            "letters that look alike; write it in one alphabet"
        )


def check_look_alikes(names: list[str], where: str) -> None:
    """No two speakers' names look the same ("Maya" and a Cyrillic "Мауа", "Maya" and "maya")."""
    seen: dict[str, str] = {}
    for name in names:
        skeleton = unicodedata.normalize("NFKC", name).translate(_SKELETON).casefold()
        if skeleton in seen and seen[skeleton] != name:
            raise ScriptError(
                f"{where}: speaker names {shown(seen[skeleton])} and {shown(name)} look alike; give one of them another name"
            )
        seen.setdefault(skeleton, name)


_URL_UNSAFE = set('<>"\\^`{|}')
# A host name of labels (letters, digits, inner hyphens), each at most 63 long; no IP literals.
_HOST = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?")


def url_problem(url: str) -> str | None:
    """Why `url` is no public address a feed may hand to every app: only http(s) with a host,
    without a user name or password, spaces, control characters or markup."""
    if any(c.isspace() or c in _URL_UNSAFE or unicodedata.category(c)[0] == "C" for c in url):
        return 'holds a space, a control character or one of < > " { } | \\ ^ `'
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a port that is not a number raises here
    except ValueError:
        return "is not a URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with https:// (or http://)"
    if not host:
        return "names no host"
    if parts.username is not None or parts.password is not None:
        return "holds a user name or password: every listener would see it"
    if not _HOST.fullmatch(host) or len(host) > 253:
        return "names no host a listener's app could reach (letters, digits, hyphens and dots; xn-- for others)"
    if "%" in parts.path:
        return "holds a %-escape; write the address as it reads"
    return None


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be base_url: besides `url_problem`, a query or fragment would end up
    in front of every file name (https://host/?a=1/ep.mp3)."""
    problem = url_problem(url)
    if problem is None and ("?" in url or "#" in url):
        return "holds a ? or #; give the folder the files are published in"
    return problem
