"""The published episode page, read into episodes (see episodes.py for its layout): date
lines, an optional "Category - Title" line, one paragraph per line, and the credits glued
to the last paragraph, which become the episode's authors.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PaperLedgeError


@dataclass
class PageEpisode:
    """One episode as read from the page, before it becomes a script."""

    date: dt.date
    line: int
    """Line of its first date line on the page, for error messages."""
    title: str | None = None
    category: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


# "Thursday Apr 10, 2025"; also full month names, which the page may switch to.
_DATE_LINE = re.compile(
    r"^(?P<weekday>Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?\s+"
    r"(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})$"
)
_CREDITS = re.compile(r"\s*Credits? to (?:the )?Paper(?:'s)? authors?\s*:\s*", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+")
_NAME_SUFFIX = re.compile(r"^(?:Jr|Sr|I{2,3}|IV|PhD|Ph\.D|MD|M\.D)\.?$", re.IGNORECASE)
_ET_AL = re.compile(r"^et\.? al\.?$", re.IGNORECASE)


def parse_page(text: str, source: Path | str = "<page>") -> list[PageEpisode]:
    """Split the page into episodes, in page order; malformed pages raise PaperLedgeError."""
    lines = [plain_line(line).strip() for line in text.split("\n")]
    episodes: list[PageEpisode] = []
    current: PageEpisode | None = None
    in_header = False  # between an episode's date lines: a lone text line there is its title
    for i, line in enumerate(lines):
        number = i + 1
        if not line:
            continue
        date = _parse_date_line(line, number, source)
        if date is not None:
            if current is not None and in_header:
                if date != current.date:
                    raise PaperLedgeError(
                        f"{source}: line {number}: date {date:%b %d, %Y} comes before any text of the "
                        f"episode dated {current.date:%b %d, %Y} (line {current.line}); make the dates "
                        "agree or restore that episode's text"
                    )
                continue
            current = PageEpisode(date=date, line=number)
            episodes.append(current)
            in_header = True
            continue
        if current is None:
            continue  # page chrome before the first episode
        if in_header and current.title is None and _next_content_is_date(lines, i + 1, source):
            current.category, current.title = _split_title_line(line)
            continue
        in_header = False
        current.paragraphs.append(line)

    if not episodes:
        raise PaperLedgeError(
            f"{source}: no episode date lines (like 'Thursday Apr 10, 2025') found; is this the show's episode page?"
        )
    for episode in episodes:
        _extract_credits(episode, source)
        episode.paragraphs = _drop_pull_quotes(episode.paragraphs)
        if not episode.paragraphs:
            raise PaperLedgeError(
                f"{source}: line {episode.line}: the episode of {episode.date:%b %d, %Y} has no text; "
                "remove its date lines or restore its body"
            )
    return episodes


def plain_line(line: str) -> str:
    """A page line as a script may hold it, and a terminal may show it: control characters
    and line separators (a stray tab or form feed) become spaces; invisible format characters
    (bidirectional overrides, zero-width spaces) are dropped, since they change how text
    looks, never what is said."""
    if line.isprintable():
        return line
    kept = []
    for ch in line:
        kind = unicodedata.category(ch)
        if kind in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif kind not in ("Cf", "Cs", "Co", "Cn"):
            kept.append(ch)
    return "".join(kept)


def _parse_date_line(line: str, number: int, source: Path | str) -> dt.date | None:
    m = _DATE_LINE.match(line)
    if m is None:
        return None
    try:
        date = dt.datetime.strptime(f"{m['month'][:3]} {m['day']} {m['year']}", "%b %d %Y").date()
    except ValueError:
        raise PaperLedgeError(f"{source}: line {number}: '{line}' is not a real date; correct it") from None
    if date.strftime("%a") != m["weekday"]:
        raise PaperLedgeError(
            f"{source}: line {number}: '{line}': {date:%b %d, %Y} is a {date:%A}; correct the weekday or the date"
        )
    return date


def _next_content_is_date(lines: list[str], start: int, source: Path | str) -> bool:
    for j in range(start, len(lines)):
        if lines[j]:
            return _parse_date_line(lines[j], j + 1, source) is not None
    return False


def _split_title_line(line: str) -> tuple[str | None, str]:
    """'Machine Learning - Process Reinforcement ...' -> (category, title)."""
    parts = _TITLE_SEPARATOR.split(line, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0].strip(), parts[1].strip()
    return None, line


def _extract_credits(episode: PageEpisode, source: Path | str) -> None:
    """Take every 'Credit to Paper authors: ...' out of the body; the names become authors."""
    kept: list[str] = []
    for paragraph in episode.paragraphs:
        m = _CREDITS.search(paragraph)
        if m is None:
            kept.append(paragraph)
            continue
        before, names = paragraph[: m.start()].rstrip(), paragraph[m.end() :]
        authors = parse_authors(names)
        if not authors:
            raise PaperLedgeError(
                f"{source}: the episode of {episode.date:%b %d, %Y} (line {episode.line}) has a "
                "'Credit to Paper authors:' with no names after it; add the names or remove it"
            )
        episode.authors.extend(a for a in authors if a not in episode.authors)
        if before:
            kept.append(before)
    episode.paragraphs = kept


def parse_authors(text: str) -> list[str]:
    """'A, B and C' -> [A, B, C]; keeps initials, hyphens and accents; drops 'et al.' and stray punctuation.

    A trailing 'Jr.'/'III'/'PhD' after a comma belongs to the name before it.
    """
    text = unicodedata.normalize("NFC", text.strip().rstrip("."))
    names: list[str] = []
    for chunk in re.split(r"\s*[,;]\s*|\s+(?:and|&)\s+", text):
        chunk = chunk.strip().strip("\"'“”")
        if not chunk or not any(c.isalpha() for c in chunk) or _ET_AL.match(chunk):
            continue  # "DeepSeek-AI, :, Xiao Bi": the ":" is a typesetting leftover
        if chunk.lower().startswith("and "):
            chunk = chunk[4:].strip()  # "A, B, and C"
        if _NAME_SUFFIX.match(chunk) and names:
            names[-1] = f"{names[-1]}, {chunk}"
            continue
        chunk = re.sub(r"\s+et\.? al\.?$", "", chunk, flags=re.IGNORECASE)
        if chunk not in names:
            names.append(chunk)
    return names


def _drop_pull_quotes(paragraphs: list[str]) -> list[str]:
    """Drop a paragraph that only repeats the one before it in fragments ('X... Y!').

    The page sets such pull quotes apart for readers; spoken, they would say the same
    sentence twice.
    """
    kept: list[str] = []
    for paragraph in paragraphs:
        fragments = [f.strip(" \"“”'.!?,") for f in re.split(r"\.\.\.|…", paragraph)]
        fragments = [f for f in fragments if f]
        if kept and len(fragments) > 1 and all(f in kept[-1] for f in fragments):
            continue
        kept.append(paragraph)
    return kept
