"""`paperledge clip`: a short vertical or square MP4 of a passage, captioned, under the
show's cover and the episode's title (the title card stays on screen throughout), its
ends on sentence boundaries."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from ..config import MAX_CLIP_S
from ..errors import PaperLedgeError
from .episode import VideoResult, font_notes, refuse_to_replace, render_video
from .frames import SQUARE, VERTICAL
from .source import EpisodeSource, read_source

_TIME = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d+)?)$")
# Fades at the cut keep a clip from starting or ending on a click.
_FADE_S = 0.03


def parse_time(text: str, option: str = "--from") -> float:
    """Seconds from "75", "75.5", "1:15", "1:15.5" or "0:01:15"; anything else is one line."""
    m = _TIME.match(text.strip())
    if m and ":" in text and not re.search(r":\d\d(\.\d+)?$", text.strip()):
        m = None  # M:SS and H:MM:SS take two-digit seconds
    if not m or ((m.group(1) is not None or m.group(2) is not None) and float(m.group(3)) >= 60):
        raise PaperLedgeError(f"{option} {text[:20]!r} is not a time: give seconds (75), M:SS (1:15) or H:MM:SS (0:01:15)")
    h, mins, s = m.groups()
    if h is not None and int(mins) >= 60:
        raise PaperLedgeError(f"{option} {text[:20]!r} is not a time: minutes run 0-59 in H:MM:SS")
    return int(h or 0) * 3600 + int(mins or 0) * 60 + float(s)


def snap(source: EpisodeSource, start: float, end: float) -> tuple[float, float]:
    """(start of the sentence holding `start`, end of the sentence holding `end`); a time in
    the pause between two sentences belongs to the next one at the start, the last one at the end."""
    if not 0 <= start < end:
        raise PaperLedgeError(f"the clip's start ({start:g} s) must come before its end ({end:g} s)")
    if start >= source.duration_s:
        raise PaperLedgeError(f"the clip starts at {start:g} s, after the episode's end ({source.duration_s:.1f} s)")
    cues = source.cues
    first = next((c for c in cues if c.end > start), None)
    last = next((c for c in reversed(cues) if c.start < end), None)
    if first is None or last is None or last.end <= first.start:
        raise PaperLedgeError(f"no sentence is said between {start:g} s and {end:g} s; choose another passage")
    return first.start, last.end


def make_clip(
    mp3: Path,
    start: float | None = None,
    end: float | None = None,
    *,
    shape: str = "vertical",
    out: Path | None = None,
    progress: Callable[[float, float], None] | None = None,
) -> VideoResult:
    """The clip of `mp3` from `start` to `end` (seconds; both None: the MP3's soundbite)."""
    source = read_source(Path(mp3))
    if start is None and end is None:
        if source.soundbite is None:
            raise PaperLedgeError(
                f"{source.mp3.name} has no soundbite: give --from and --to (or a `soundbite:` in the script's front matter)"
            )
        start, end = source.soundbite[0], source.soundbite[0] + source.soundbite[1]
    elif start is None or end is None:
        raise PaperLedgeError("give both --from and --to (or neither, for the episode's soundbite)")
    a, b = snap(source, start, end)
    if b - a > MAX_CLIP_S:
        raise PaperLedgeError(
            f"the clip runs {b - a:.1f} s from sentence to sentence ({a:.1f}-{b:.1f} s); "
            f"a clip is at most {MAX_CLIP_S:g} s: choose a shorter passage"
        )
    out = Path(out) if out is not None else source.mp3.with_name(f"{source.mp3.stem}.clip-{_stamp(a)}-{shape}.mp4")
    refuse_to_replace(out)
    layout = VERTICAL if shape == "vertical" else SQUARE
    length = b - a
    audio = ["-ss", f"{a:.3f}", "-t", f"{length:.3f}", "-i", f"file:{source.mp3}"]
    cues = [c for c in source.cues if c.end > a and c.start < b]
    # A clip's one chapter: where in the episode it comes from (none in a script without chapters).
    chapter = source.chapter_at(a)
    marks = [(0.0, length, chapter or source.title)]
    fades = f"afade=t=in:d={_FADE_S},afade=t=out:st={max(0.0, length - _FADE_S):.3f}:d={_FADE_S}"
    render_video(source, out, layout, a, b, marks, audio, progress, audio_filter=fades)
    return VideoResult(out, None, out.stat().st_size, length, tuple(font_notes(source, cues)))


def _stamp(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s"
