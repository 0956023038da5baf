"""The episode video: EPISODE.mp4 and EPISODE.youtube.txt, made from a rendered MP3 and its
sidecars (nothing is synthesised again: the MP4's audio is the MP3's, encoded once to AAC)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..credentials import sign_derived
from ..errors import RenderError
from ..files import regular_file, write_atomic
from ..show import ShowSettings, load_settings
from .encode import encode, metadata_text, scenes
from .frames import WIDE, Layout, Painter, undrawable
from .source import EpisodeSource, read_source
from .youtube import youtube_chapters, youtube_text


@dataclass(frozen=True)
class VideoResult:
    mp4: Path
    youtube_txt: Path | None
    """None for a clip."""
    bytes: int
    """The MP4's size."""
    duration_s: float
    notes: tuple[str, ...]
    """One-line remarks for the producer (chapters merged for YouTube, characters the font cannot draw)."""


@dataclass(frozen=True)
class EpisodeVideo(VideoResult):
    """A whole episode's video, which always has its YouTube description."""

    youtube_txt: Path


def make_video(
    mp3: Path,
    out: Path | None = None,
    *,
    progress: Callable[[float, float], None] | None = None,
    sign: bool = True,
    show: ShowSettings | None = None,
) -> EpisodeVideo:
    """EPISODE.mp4 (1920x1080) beside `mp3`, or at `out`, and EPISODE.youtube.txt beside it."""
    source = read_source(Path(mp3))
    out = Path(out) if out is not None else source.mp3.with_suffix(".mp4")
    youtube = out.with_suffix(".youtube.txt")
    for path in (out, youtube):
        refuse_to_replace(path)
    notes = list(font_notes(source, source.cues))
    chapters, merged = youtube_chapters(list(source.chapters), source.duration_s)
    notes += merged
    bounds = [t for t, _ in source.chapters] + [source.duration_s]
    marks = [(start, end, title) for (start, title), end in zip(source.chapters, bounds[1:])]
    render_video(source, out, WIDE, 0.0, source.duration_s, marks, ["-i", f"file:{source.mp3}"], progress, sign=sign, show=show)
    write_atomic(youtube, youtube_text(source.title, source.comment, chapters))
    return EpisodeVideo(out, youtube, out.stat().st_size, source.duration_s, tuple(notes))


def render_video(
    source: EpisodeSource,
    out: Path,
    layout: Layout,
    start: float,
    end: float,
    chapters: list[tuple[float, float, str]],
    audio: list[str],
    progress: Callable[[float, float], None] | None,
    audio_filter: str | None = None,
    sign: bool = True,
    show: ShowSettings | None = None,
) -> None:
    """The MP4 of `source` from `start` to `end` in `layout`; `chapters` in its own time."""
    tags = {
        "title": source.title,
        "artist": source.artist,
        "album_artist": source.artist,
        "album": source.album,
        "date": source.date,
        "comment": source.comment,
        "genre": "Podcast",
    }
    painter = Painter(layout, source.cover, source.title, source.album)
    shown = scenes(source, start, end)
    show = show or load_settings(source.mp3.parent)
    encode(
        out,
        painter,
        shown,
        audio,
        metadata_text(tags, chapters),
        source.cover,
        progress,
        audio_filter,
        finish=(lambda tmp: sign_derived(tmp, source.mp3, show, label=out)) if sign else None,
    )


def font_notes(source: EpisodeSource, cues) -> list[str]:
    """One line naming the characters the font cannot draw, if any (they are left out of the
    picture; the transcript keeps them)."""
    text = " ".join(
        [source.title, source.album, *(t for _, t in source.chapters), *(c.speaker for c in cues), *(c.text for c in cues)]
    )
    missing = sorted(undrawable(text))
    if not missing:
        return []
    shown = ", ".join(f"U+{ord(c):04X}" for c in missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    return [
        f"the video's font cannot draw {len(missing)} character{'s' if len(missing) > 1 else ''} ({shown}): "
        "left out of the picture, the VTT and SRT captions keep them"
    ]


def refuse_to_replace(path: Path) -> None:
    """A link, folder, pipe or device at `path` stays: one line (a regular file is replaced)."""
    if path.is_symlink() or (path.exists() and not regular_file(path, RenderError)):
        raise RenderError(f"{path} exists and is not a regular file; refusing to replace it, choose another output")
