"""An episode's video (EPISODE.mp4) as a directory and a viewer meet it: H.264, as long as the
MP3 beside it, with the MP3's chapters. Read with ffprobe (video.probe), never with our writer."""

from __future__ import annotations

from pathlib import Path

from mutagen.id3 import ID3

from ..audio.export import TAG_READ_ERRORS
from ..errors import PaperLedgeError
from .validate_mp3 import mp3_seconds
from .validate_problem import Problem, credential_problems

VIDEO_CODEC = "h264"
VIDEO_DURATION_SLACK_S = 0.1
"""How far the video's length may be from the MP3's (the issue's bound)."""
VIDEO_CHAPTER_SLACK_S = 0.1
"""How far a video chapter may start from the MP3's."""


def mp3_chapters(mp3: Path) -> list[tuple[float, str]] | None:
    """(start seconds, title) of each CHAP frame, in time order; None when the tag is unreadable."""
    try:
        tags = ID3(mp3)
    except TAG_READ_ERRORS:
        return None
    out = []
    for chap in sorted(tags.getall("CHAP"), key=lambda c: c.start_time):
        title = chap.sub_frames.get("TIT2")
        out.append((chap.start_time / 1000, str(title.text[0]) if title and title.text else ""))
    return out


def validate_video(mp4: Path, mp3: Path | None = None) -> list[Problem]:
    """Every problem of an episode's video, measured against its MP3 (default: EPISODE.mp3 beside it)."""
    mp3 = mp3 or mp4.with_suffix(".mp3")
    again = f"make it again: paperledge video {mp3.name}"
    if not mp4.is_file():
        return [Problem(mp4, f"missing: {again}")]
    from ..video.probe import video_facts

    try:
        facts = video_facts(mp4)
    except PaperLedgeError as e:
        return [Problem(mp4, f"{str(e).removeprefix(f'{mp4}: ')[:200]}; {again}")]
    out: list[Problem] = credential_problems(mp4)
    if facts.codec != VIDEO_CODEC:
        out.append(
            Problem(mp4, f"its video is {str(facts.codec)[:20]!r}, not H.264: directories and YouTube expect H.264; {again}")
        )
    if not mp3.is_file():
        out.append(Problem(mp4, f"no {mp3.name} beside it to match: the video belongs to an episode MP3"))
        return out
    seconds = mp3_seconds(mp3)
    if seconds is not None and abs(facts.duration_s - seconds) > VIDEO_DURATION_SLACK_S:
        out.append(
            Problem(mp4, f"lasts {facts.duration_s:.2f} s but {mp3.name} {seconds:.2f} s: the video is not of this MP3; {again}")
        )
    chapters = mp3_chapters(mp3)
    if chapters is not None:
        out += _chapter_problems(mp4, mp3, list(facts.chapters), chapters, again)
    return out


def _chapter_problems(
    mp4: Path, mp3: Path, got: list[tuple[float, str]], want: list[tuple[float, str]], again: str
) -> list[Problem]:
    """One line for the first chapter where the video and the MP3 disagree."""
    if len(got) != len(want):
        return [Problem(mp4, f"has {len(got)} chapters but {mp3.name} {len(want)}; {again}")]
    for n, ((t, title), (t0, title0)) in enumerate(zip(got, want), 1):
        if title.strip() != title0.strip():
            return [Problem(mp4, f"chapter {n} is {title[:40]!r} but {mp3.name}'s is {title0[:40]!r}; {again}")]
        if abs(t - t0) > VIDEO_CHAPTER_SLACK_S:
            return [Problem(mp4, f"chapter {n} ({title0[:40]}) starts at {t:.2f} s but at {t0:.2f} s in {mp3.name}; {again}")]
    return []
