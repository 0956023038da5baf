"""A script's `soundbite:`: the passage the feed offers as a preview and `clip` cuts by default.

Two ways to write it in the front matter:

    soundbite: {start: 1:05, duration: 30}            # times: seconds, M:SS or H:MM:SS
    soundbite: {start: 1:05, end: 1:35, title: Why the ocean hums}
    soundbite: "The ocean is never quiet … all of it at once."   # a passage of the script

A passage is found among the sentences (case, punctuation and spacing aside): the words before
the ellipsis (… or ...) begin it, the words after it end it; without an ellipsis the whole
passage is quoted. Its times come from the render, so it follows every edit of the script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ScriptError
from ..settings import CONTROL, shown

MAX_SOUNDBITE_S = 60.0
"""The longest soundbite: the Podcasting 2.0 namespace's podcast:soundbite is a short preview."""

_TIME = re.compile(r"(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)\s*")
_WORD = re.compile(r"\w+")
_KEYS = ("start", "duration", "end", "title", "passage")


@dataclass(frozen=True)
class Soundbite:
    """A soundbite as the script gives it: a start and a duration, or a passage."""

    start: float | None = None
    duration: float | None = None
    passage: tuple[str, ...] = ()
    """The words that begin it and, after an ellipsis, the words that end it."""
    title: str = ""
    """What the feed calls it (default: the passage, else the episode's title)."""


def read_soundbite(value: object, where: str) -> Soundbite | None:
    """The front matter's `soundbite:` checked, or None when it is not given."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"passage": value}
    if not isinstance(value, dict):
        raise ScriptError(
            f"{where}: 'soundbite' must be a passage in quotes or {{start: M:SS, duration: SECONDS}}, not {shown(value)}"
        )
    unknown = [k for k in value if k not in _KEYS]
    if unknown:
        raise ScriptError(f"{where}: 'soundbite' has unknown key {shown(str(unknown[0]))}; known: {', '.join(_KEYS)}")
    title = value.get("title")
    if title is not None and not isinstance(title, (str, int, float)):
        raise ScriptError(f"{where}: 'soundbite' title must be text, not {shown(title)}")
    title = " ".join(str(title or "").split())
    if CONTROL.search(title + str(value.get("passage", ""))):
        raise ScriptError(f"{where}: 'soundbite' holds a control character; delete it")
    if "passage" in value:
        if any(k in value for k in ("start", "duration", "end")):
            raise ScriptError(f"{where}: 'soundbite' gives a passage and times; keep one")
        parts = tuple(p for p in _ELLIPSIS.split(str(value["passage"]).strip()) if p)
        if not 1 <= len(parts) <= 2 or not all(_WORD.search(p) for p in parts):
            raise ScriptError(
                f"{where}: 'soundbite' passage {shown(value['passage'])} must be words of the script, "
                "or its first words … its last words"
            )
        return Soundbite(passage=parts, title=title or " … ".join(parts))
    if "start" not in value or ("duration" in value) == ("end" in value):
        raise ScriptError(
            f"{where}: 'soundbite' needs a start and either a duration or an end, e.g. {{start: 1:05, duration: 30}}"
        )
    start = _seconds(value["start"], "start", where)
    if "end" in value:
        duration = _seconds(value["end"], "end", where) - start
    else:
        duration = _seconds(value["duration"], "duration", where)
    if not 0 < duration <= MAX_SOUNDBITE_S:
        raise ScriptError(
            f"{where}: 'soundbite' lasts {duration:g} s; it must last more than 0 and at most {MAX_SOUNDBITE_S:g} s"
        )
    return Soundbite(start=start, duration=duration, title=title)


def _seconds(value: object, key: str, where: str) -> float:
    """Seconds from a number, or from text in SS, M:SS or H:MM:SS form (YAML reads an unquoted
    1:05 as the number 65 already)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e6:
        return float(value)
    m = _TIME.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if m is None:
        raise ScriptError(f"{where}: 'soundbite' {key} must be seconds or M:SS, not {shown(value)}")
    hours, minutes, seconds = m.group(1), m.group(2), m.group(3)
    if minutes is None:  # one colon: M:SS
        hours, minutes = None, hours
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def check_passage(bite: Soundbite | None, sentences: list[str], where: str) -> None:
    """Refuse, before any audio is made, a passage the script does not hold."""
    if bite is not None and bite.passage:
        passage_sentences(bite, sentences, where)


def passage_sentences(bite: Soundbite, sentences: list[str], where: str) -> tuple[int, int]:
    """(first, last) index of the sentences the passage spans, or one line saying it is not there."""
    words: list[str] = []
    owner: list[int] = []
    for i, text in enumerate(sentences):
        found = _WORD.findall(text.casefold())
        words += found
        owner += [i] * len(found)
    head = _WORD.findall(bite.passage[0].casefold())
    tail = _WORD.findall(bite.passage[-1].casefold())
    for at in _find(words, head, 0):
        ends = [at + len(head)] if len(bite.passage) == 1 else [e + len(tail) for e in _find(words, tail, at + len(head))][:1]
        if ends:
            return owner[at], owner[ends[0] - 1]
    quoted = " … ".join(p[:40] for p in bite.passage)
    raise ScriptError(
        f"{where}: 'soundbite' passage {quoted!r} is not in the script; copy its first and last words from the text"
    )


def _find(words: list[str], part: list[str], begin: int):
    n = len(part)
    for at in range(begin, len(words) - n + 1):
        if words[at : at + n] == part:
            yield at


def resolve(bite: Soundbite, spans: list[tuple[str, float, float]], total: float, where: str) -> tuple[float, float]:
    """(start, duration) in seconds of the rendered episode. `spans`: each sentence's
    (written text, start, end), in order; `total`: the episode's length."""
    if bite.passage:
        first, last = passage_sentences(bite, [s[0] for s in spans], where)
        start, duration = spans[first][1], spans[last][2] - spans[first][1]
        if duration > MAX_SOUNDBITE_S:
            raise ScriptError(
                f"{where}: 'soundbite' passage lasts {duration:.1f} s in the audio; a soundbite is at most "
                f"{MAX_SOUNDBITE_S:g} s: end it earlier"
            )
    else:
        start, duration = bite.start or 0.0, bite.duration or 0.0
        if start >= total:
            raise ScriptError(f"{where}: 'soundbite' starts at {start:g} s, past the episode's end ({total:.1f} s)")
        duration = min(duration, total - start)
    return round(start, 3), round(duration, 3)


def tag_text(span: tuple[float, float]) -> str:
    """The soundbite as the MP3's TXXX frame holds it: "START DURATION" in seconds."""
    return f"{span[0]:.3f} {span[1]:.3f}"


def parse_tag(text: str) -> tuple[float, float] | None:
    """(start, duration) from the TXXX frame's text, or None when it is not two sane numbers."""
    parts = str(text).split()
    try:
        start, duration = (float(p) for p in parts) if len(parts) == 2 else (-1.0, -1.0)
    except ValueError:
        return None
    if not (0 <= start < 1e6 and 0 < duration <= MAX_SOUNDBITE_S):
        return None
    return start, duration
