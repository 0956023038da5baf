"""EPISODE.youtube.txt: what to paste into YouTube's description beside the video.

YouTube makes chapters of a description's timestamps only when the first is 0:00, there
are at least three, they ascend, and each lasts at least 10 s. Chapters that break these
rules are merged into their neighbours here (and the producer is told), so the list
YouTube reads is the episode's own, as near as its rules allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

YOUTUBE_MIN_CHAPTERS = 3
YOUTUBE_MIN_CHAPTER_S = 10

DISCLOSURE = "This episode's voice is synthetic: a text-to-speech engine reads the script aloud."


@dataclass
class _Chapter:
    """A chapter as it is merged: its start in whole seconds and its (joined) title."""

    start: int
    title: str


def timestamp(seconds: int) -> str:
    """0:00, 1:05, 1:02:03 as YouTube writes them."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def youtube_chapters(chapters: list[tuple[float, str]], duration: float) -> tuple[list[tuple[int, str]], list[str]]:
    """The chapters as YouTube reads them (start in whole seconds, title) and one note per
    change made: a chapter under 10 s (or starting with the one before it) is merged into
    the one before (the first into the one after), titles joined; fewer than three left
    means no chapter list at all."""
    notes: list[str] = []
    # YouTube links to whole seconds: a chapter starts at the second it starts in.
    items = [_Chapter(math.floor(max(0.0, t)), " ".join(title.split()) or "Untitled") for t, title in sorted(chapters)]
    if not items:
        return [], ["no chapters in the MP3: the YouTube description has no chapter list"]
    if items[0].start != 0:
        notes.append(f"chapter {items[0].title!r} moved to 0:00 (YouTube's first chapter starts there)")
        items[0].start = 0
    end = max(math.floor(duration), items[-1].start)
    merged = True
    while merged and len(items) > 1:
        merged = False
        for i, item in enumerate(items):
            start, title = item.start, item.title
            length = (items[i + 1].start if i + 1 < len(items) else end) - start
            if length >= YOUTUBE_MIN_CHAPTER_S:
                continue
            if i == 0:  # the first keeps 0:00 and takes the next one's title too
                nxt = items.pop(1)
                items[0].title = f"{title} / {nxt.title}"
                notes.append(f"chapters {title!r} ({length} s) and {nxt.title!r} merged for YouTube (each must last 10 s)")
            else:
                prev = items[i - 1]
                items.pop(i)
                prev.title = f"{prev.title} / {title}"
                notes.append(
                    f"chapter {title!r} ({length} s) merged into {prev.title.rsplit(' / ', 1)[0]!r} for YouTube "
                    "(each must last 10 s)"
                )
            merged = True
            break
    if len(items) < YOUTUBE_MIN_CHAPTERS:
        notes.append(
            f"only {len(items)} chapter{'s' if len(items) != 1 else ''} of 10 s or more: YouTube needs "
            f"{YOUTUBE_MIN_CHAPTERS}, so the description has no chapter list"
        )
        return [], notes
    return [(item.start, item.title) for item in items], notes


def youtube_text(title: str, notes: str, chapters: list[tuple[int, str]], disclosure: str = DISCLOSURE) -> str:
    """The description: the title, the show notes and credits, the chapters, the AI disclosure."""
    parts = [" ".join(title.split())]
    if notes.strip():
        parts.append(notes.strip())
    if chapters:
        parts.append("Chapters\n" + "\n".join(f"{timestamp(t)} {name}" for t, name in chapters))
    parts.append(disclosure)
    return "\n\n".join(parts) + "\n"
