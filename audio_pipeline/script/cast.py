"""A cast: who speaks in a script, and the labels that hand a paragraph to one of them.

Front matter `cast:` and show.toml's [cast] map speaker names to voice profiles (the host
first); a paragraph that begins with a member's name and a colon (`Maya: …`, also
`**Maya:** …`) is that member's, and so is every paragraph after it until the next label.
"""

from __future__ import annotations

import re
from typing import Mapping

from ..errors import ScriptError
from ..settings import CAST_ROLES, Cast, check_look_alikes, read_cast

QUOTE = "quote"
"""The cast entry that speaks block quotes (when a cast names one)."""


def episode_cast(fields: dict, show_cast: dict[str, str] | None, text: str, path) -> tuple[Cast, Cast]:
    """(the script's own `cast:`, the whole cast): the script's entries add to the show's
    [cast] or override it, name by name; the show's regulars keep their order, the host first."""
    where = f"{path}: line {field_line(text, 'cast')}: 'cast'"
    own = read_cast(fields["cast"], where) if "cast" in fields else Cast()
    cast = Cast(show_cast or {})
    cast.update(own)
    check_look_alikes(list(cast), where if own else f"{path}: the show's [cast]")
    host = host_of(cast)
    for name, role in cast.roles.items():
        if (name == host) != (role == CAST_ROLES[0]):
            raise ScriptError(
                f"{where if name in own else 'show.toml [cast]'}: {name!r} cannot be {role}: the host "
                f"is the cast's first member ({host}); the others are co-host or guest"
            )
    return own, cast


def role_of(cast: Mapping[str, str], name: str) -> str:
    """A member's role: as the cast gives it, else host for the first member and guest for the rest."""
    given = getattr(cast, "roles", {}).get(name)
    return given or (CAST_ROLES[0] if name == host_of(cast) else CAST_ROLES[-1])


def people_of(cast: Mapping[str, str], speakers: set[str]) -> list[tuple[str, str]]:
    """(name, role) of the members beside the host who speak in the episode, in cast order:
    what the tags' credits and the feed's podcast:person name ("co-host", "guest")."""
    return [(name, role_of(cast, name)) for name in guests_of(cast, speakers)]


def field_line(text: str, name: str) -> int:
    """The front-matter line where `name:` is written (for messages)."""
    m = re.search(rf"^{re.escape(name)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else 1


_LABEL = re.compile(r"\s*([^\W\d_][\w.' -]{0,39}?)\s*:(?!//)\s*")


def speaker_label(text: str, cast: Mapping[str, str]) -> tuple[str, str | None]:
    """(the paragraph without its label, the speaker it names), or (text, None) when it does
    not begin with a cast member's name and a colon (`Maya: …`; `**Maya:** …` reads the same)."""
    m = _LABEL.match(text)
    if not m or m.group(1) not in cast or m.group(1) == QUOTE:
        return text, None
    return text[m.end() :], m.group(1)


def host_of(cast: Mapping[str, str]) -> str:
    """The host: the cast's first member (the show's [cast] comes first); "" without a cast."""
    return next((n for n in cast if n != QUOTE), "")


def guests_of(cast: Mapping[str, str], speakers: set[str]) -> list[str]:
    """The members beside the host who speak in the episode, in cast order (the `quote` voice is no guest)."""
    host = host_of(cast)
    return [n for n in cast if n not in (host, QUOTE) and n in speakers]


_PAUSE_TAG = re.compile(r"\[pause[^\]]*\]", re.IGNORECASE)


def take_label(text: str, quote: bool, cast: Mapping[str, str], speaker: str, where: str) -> tuple[str, str, str, bool]:
    """One paragraph of a script: (its text without the label, who speaks from here on,
    who says this paragraph, whether it was labelled). `speaker`: who spoke last. A block
    quote keeps the speaker but is said by the cast's `quote` voice when there is one."""
    if quote:
        return text, speaker, QUOTE if QUOTE in cast else speaker, False
    text, label = speaker_label(text, cast)
    if label is None:
        return text, speaker, speaker, False
    if not any(ch.isalnum() for ch in _PAUSE_TAG.sub("", text)):
        raise ScriptError(f"{where}: the label '{label}:' has nothing after it; write what {label} says in the same paragraph")
    return text, label, label, True


def check_labelled(script_cast: Mapping[str, str], labelled: list[bool], path) -> None:
    """A script that names a cast hands at least one paragraph to a member by label."""
    names = ", ".join(n for n in script_cast if n != QUOTE)
    if names and not any(labelled):  # a cast of only a `quote` voice needs no labels
        raise ScriptError(
            f"{path}: the script names a cast ({names}) but no paragraph begins with a speaker's "
            f"label; start a paragraph with 'Name:' or remove 'cast'"
        )
