"""What a video is made of, read from a rendered MP3 and its sidecars: the tags, the cover,
the chapters, and each sentence's times, speaker and written text.

Nothing is re-derived from the script: an MP3 whose sidecars are missing or come from
another render is refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mutagen.mp3 import MP3

from ..audio.export import MARK, SOUNDBITE, TAG_READ_ERRORS
from ..audio.sidecars import CueError, read_chapters, read_voiced_cues, sidecar_paths
from ..errors import RenderError
from ..files import read_text, regular_file
from ..script.soundbite import parse_tag

# Chapter times are written in milliseconds (CHAP) and rounded to them (JSON).
_CHAPTER_SLACK_S = 0.002
# A cue may end a rounding step after the last MP3 frame, never later.
_CUE_SLACK_S = 0.05


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    speaker: str
    """The VTT voice span's name ("" outside a cast)."""
    text: str
    """The sentence in its written form, as the transcript holds it."""


@dataclass(frozen=True)
class EpisodeSource:
    mp3: Path
    title: str
    artist: str
    album: str
    date: str
    comment: str
    """The show notes and credits (the MP3's comment)."""
    cover: bytes | None
    duration_s: float
    chapters: tuple[tuple[float, str], ...]
    cues: tuple[Cue, ...]
    soundbite: tuple[float, float] | None
    """(start, duration) in seconds, from the MP3's soundbite tag."""

    def chapter_at(self, t: float) -> str:
        title = ""
        for start, name in self.chapters:
            if start <= t + 1e-6:
                title = name
        return title


def read_source(mp3: Path) -> EpisodeSource:
    """The episode behind `mp3`; a missing, foreign or mismatched part is one RenderError line."""
    mp3 = Path(mp3)
    if not regular_file(mp3, RenderError):
        raise RenderError(f"{mp3}: no such MP3 file; give a rendered episode's MP3")
    try:
        audio = MP3(mp3)
    except TAG_READ_ERRORS:
        raise RenderError(f"{mp3} is not an MP3 that reads; give a rendered episode's MP3") from None
    tags = audio.tags
    if tags is None or not tags.getall(f"TXXX:{MARK}"):
        raise RenderError(f"{mp3} was not rendered by paperledge (no {MARK} mark); render its script with `paperledge render`")
    duration = float(audio.info.length)
    chapters = tuple(sorted((f.start_time / 1000, _text(f.sub_frames.get("TIT2"))) for f in tags.getall("CHAP")))
    vtt, chapters_file = sidecar_paths(mp3)
    again = "render the episode again"
    for side in (vtt, chapters_file):
        if not side.exists():
            raise RenderError(f"{side.name} is missing beside {mp3.name}: the video is made from it; {again}")
    _, listed = read_chapters(chapters_file)
    if len(listed) != len(chapters) or any(abs(a - b) > _CHAPTER_SLACK_S or x != y for (a, x), (b, y) in zip(listed, chapters)):
        raise RenderError(f"{chapters_file.name} belongs to another render: its chapters differ from {mp3.name}'s; {again}")
    cues = read_cues(read_text(vtt, "transcript", RenderError), vtt)
    if not cues:
        raise RenderError(f"{vtt.name} holds no sentence; {again}")
    if cues[-1].end > duration + _CUE_SLACK_S:
        raise RenderError(
            f"{vtt.name} belongs to another render: it runs to {cues[-1].end:.1f} s, {mp3.name} lasts {duration:.1f} s; {again}"
        )
    cover = next((f.data for f in tags.getall("APIC")), None)
    comment = next((_text(f) for f in tags.getall("COMM")), "")
    return EpisodeSource(
        mp3=mp3,
        title=_text(tags.get("TIT2")) or mp3.stem,
        artist=_text(tags.get("TPE1")),
        album=_text(tags.get("TALB")),
        date=_text(tags.get("TDRC")),
        comment=comment,
        cover=cover,
        duration_s=duration,
        chapters=chapters,
        cues=tuple(cues),
        soundbite=_soundbite(tags, duration),
    )


def read_cues(text: str, where: Path) -> list[Cue]:
    """Each cue of a WebVTT transcript as render writes it, with its voice span's speaker."""
    try:
        cues = read_voiced_cues(text)
    except CueError as e:
        raise RenderError(f"{where.name}: {e}; render the episode again") from None
    out: list[Cue] = []
    for start, end, speaker, body in cues:
        if end < start or (out and start < out[-1].start):
            raise RenderError(f"{where.name}: cues out of order at {start:.3f} s; render the episode again")
        out.append(Cue(start, end, speaker, " ".join(body.split())))
    return out


def _text(frame) -> str:
    if frame is None or not getattr(frame, "text", None):
        return ""
    return " ".join(str(t) for t in frame.text).strip()


def _soundbite(tags, duration: float) -> tuple[float, float] | None:
    frame = next(iter(tags.getall(f"TXXX:{SOUNDBITE}")), None)
    found = parse_tag(_text(frame)) if frame is not None else None
    return found if found is not None and found[0] < duration else None
