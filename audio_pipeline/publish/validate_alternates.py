"""An episode's alternates (EPISODE.m4a, EPISODE.opus) proved whole, as the MP3 is by its frame
counts: every packet decodes without an error, the audio that decodes is as long as the container
says (the MP4's durations, the Ogg's last granule position), and as long as the MP3 beside it."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Final

from mutagen.id3 import ID3

from ..audio.export import TAG_READ_ERRORS
from ..audio.ffmpeg import ffmpeg_exe
from .validate_mp3 import mp3_seconds
from .validate_problem import Problem, credential_problems

__all__ = ["alternate_problem", "mp3_comment", "mp3_seconds", "validate_alternate"]

DURATION_SLACK_S: Final = 0.1
"""How far an alternate's length may be from the MP3's (the encoders' priming is trimmed by the container)."""
CONTAINER_SLACK_S: Final = 0.05
"""How far the decoded audio may be from the container's duration (which ffmpeg prints to 10 ms)."""
DECODE_RATE: Final = 48_000
"""Decoded audio is counted at this rate (Opus's own), one channel of 16-bit samples."""
HEADER_TIMEOUT_S: Final = 120
"""Reading a file's header takes well under a second; longer is a hostile or broken file."""
CODECS: Final = {".m4a": "aac", ".opus": "opus"}
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO = re.compile(r"Stream #\d+:\d+.*?: Audio: (\w+)")
_LOG_PREFIX = re.compile(r"^\[[^]]* @ 0x[0-9a-f]+\] ")


def mp3_comment(mp3: Path) -> str:
    """The MP3's COMM text (the episode's description), or ""."""
    try:
        frames = ID3(mp3).getall("COMM")
    except TAG_READ_ERRORS:
        return ""
    return str(frames[0].text[0]) if frames and frames[0].text else ""


def validate_alternate(path: Path, mp3: Path | None = None) -> list[Problem]:
    """One line when the alternate is not whole or not as long as its MP3 (default: EPISODE.mp3 beside it)."""
    mp3 = mp3 or path.with_suffix(".mp3")
    problem = alternate_problem(path, mp3 if mp3.is_file() else None)
    if problem:
        return [
            Problem(
                path,
                f"{problem}; make it again: paperledge season SEASON_DIR --alternates "
                f"{'aac' if path.suffix.lower() == '.m4a' else 'opus'}",
            )
        ]
    return credential_problems(path) if path.suffix.lower() == ".m4a" else []


def alternate_problem(path: Path, mp3: Path | None) -> str | None:
    """Why the alternate at `path` is not whole (or not as long as `mp3`), or None."""
    try:
        header = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", f"file:{path}"], capture_output=True, timeout=HEADER_TIMEOUT_S
        ).stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return f"ffmpeg could not read its header within {HEADER_TIMEOUT_S} s"
    codec, duration = _AUDIO.search(header), _DURATION.search(header)
    want = CODECS.get(path.suffix.lower())
    if codec is None or duration is None:
        return "holds no audio ffmpeg can read"
    if want and codec.group(1) != want:
        return f"holds {codec.group(1)[:20]} audio, not {want}"
    h, m, s = duration.groups()
    container = int(h) * 3600 + int(m) * 60 + float(s)
    decoded, errors = _decode(path)
    if errors:
        return f"does not decode whole ({errors[:120]})"
    if abs(decoded - container) > CONTAINER_SLACK_S:
        return f"its container says {container:.2f} s but {decoded:.2f} s of audio decode: it is cut off or damaged"
    seconds = mp3_seconds(mp3) if mp3 is not None else None
    if mp3 is not None and seconds is not None and abs(decoded - seconds) > DURATION_SLACK_S:
        return f"lasts {decoded:.2f} s but {mp3.name} {seconds:.2f} s: it is not of this MP3"
    return None


def _decode(path: Path) -> tuple[float, str]:
    """(seconds of audio that decode, ffmpeg's first error line or ""), counting the samples."""
    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-nostdin",
        "-i",
        f"file:{path}",
        "-map",
        "0:a:0",
        "-ac",
        "1",
        "-ar",
        str(DECODE_RATE),
        "-c:a",
        "pcm_s16le",
        "-f",
        "s16le",
        "pipe:1",
    ]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None  # PIPE
        count = 0
        while chunk := proc.stdout.read(1 << 20):
            count += len(chunk)
        proc.stdout.close()
        code = proc.wait()
        err.seek(0)
        text = err.read(4096).decode(errors="replace").strip()
    if code != 0 and not text:
        text = f"ffmpeg exited with status {code}"
    return count / 2 / DECODE_RATE, _LOG_PREFIX.sub("", (text.splitlines() or [""])[0])
