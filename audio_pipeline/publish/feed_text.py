"""The words of the feed: plain text fields made safe for readers that take them as HTML,
the show notes (the one HTML field, built here from escaped parts), and the disclosure
that the voice is synthetic."""

from __future__ import annotations

import html
import re
from typing import overload

from ..script.read import credits_sentence

# Characters XML 1.0 cannot hold at all: one would make the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What would open markup in a reader that takes a text field as HTML (most podcast apps do,
# and feedparser sniffs it so): a "<" before a tag name, "/", "!" or "?", and an entity.
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")
WORD_JOINER = "\u2060"
"""Invisible, and neither a letter nor "#": after "<" or "&" it keeps the text as written
while no HTML parser can read a tag or an entity there."""


@overload
def xml_safe(text: str) -> str: ...
@overload
def xml_safe(text: None) -> None: ...
def xml_safe(text: str | None) -> str | None:
    return None if text is None else _NOT_XML.sub("", text)


@overload
def plain(text: str) -> str: ...
@overload
def plain(text: None) -> None: ...
def plain(text: str | None) -> str | None:
    """A plain-text field: shown exactly as written, never read as markup."""
    if text is None:
        return None
    return _MARKUP.sub(lambda m: m.group() + WORD_JOINER, xml_safe(text))


def format_timestamp(seconds: float) -> str:
    """Chapter timestamp for show notes: MM:SS, or H:MM:SS from one hour on."""
    total = max(0, int(seconds))  # floor: a chapter listed at 01:05 must not start at 01:04.6
    h, m, s = total // 3600, total % 3600 // 60, total % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def chapter_lines(chapters: list[tuple[float, str]]) -> list[str]:
    """One "MM:SS Title" line per chapter, the first at 00:00 (apps that read only the
    description make a chapter list of these)."""
    out = []
    for n, (start, title) in enumerate(chapters):
        out.append(f"{format_timestamp(0 if n == 0 else start)} {' '.join(title.split())}")
    return out


def disclosure(template: str, engine: str) -> str:
    """The show's disclosure sentence with the engine that made the voice."""
    return template.replace("{engine}", engine or "a text-to-speech engine")


def notes_parts(
    summary: str, disclosure_line: str | None, chapters: list[tuple[float, str]], authors: list[str]
) -> list[str | list[str]]:
    """The show notes' paragraphs: the summary, the disclosure, the chapter list, the credits."""
    parts: list[str | list[str]] = [summary.strip()] if summary.strip() else []
    if disclosure_line:
        parts.append(disclosure_line)
    if chapters:
        parts.append(["Chapters:", *chapter_lines(chapters)])
    if authors:
        parts.append(credits_sentence(authors))
    return parts


def notes_html(parts: list[str | list[str]]) -> str:
    """The show notes as HTML (description and content:encoded): every part escaped, our own
    <p> and <br> the only tags."""
    out = []
    for p in parts:
        lines = [p] if isinstance(p, str) else p
        out.append("<p>" + "<br>".join(html.escape(" ".join(plain(line).split()), quote=False) for line in lines) + "</p>")
    return "".join(out)


AI_CONTENT_PURPOSE = "ai-content"
"""podcast:txt purpose of the answer, true or false, to "is this episode made by AI?"."""


def ai_content(episode: bool | str | None, show: bool | str | None) -> bool | None:
    """An episode's ai-content answer: its script's `ai_content`, else the show's, else true, as
    every voice this tool renders is synthetic (a text-to-speech engine). None: not answered
    ("unanswered" said by the script, or by the show where the script says nothing)."""
    for said in (episode, show):
        if said is not None:
            return said if isinstance(said, bool) else None
    return True


def ai_content_rollup(answers: list[bool | None]) -> bool | None:
    """The channel's answer, rolled up from its episodes': true when any episode is made by
    AI, false only when every episode answers false, else not answered."""
    if any(a is True for a in answers):
        return True
    return False if answers and all(a is False for a in answers) else None
