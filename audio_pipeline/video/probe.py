"""What an MP4 holds, as ffprobe (or, without it, ffmpeg) reads it: used by `validate`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..audio.ffmpeg import ffmpeg_exe
from ..errors import PaperLedgeError


@dataclass(frozen=True)
class VideoFacts:
    codec: str
    """The picture's codec ("h264"); the attached cover is not the picture."""
    width: int
    height: int
    pix_fmt: str
    duration_s: float
    chapters: tuple[tuple[float, str], ...]
    bytes: int


def video_facts(mp4: Path) -> VideoFacts:
    mp4 = Path(mp4)
    if not mp4.is_file():
        raise PaperLedgeError(f"{mp4}: no such video file")
    probe = shutil.which("ffprobe")
    if probe:
        proc = subprocess.run(
            [probe, "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json", f"file:{mp4}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise PaperLedgeError(
                f"{mp4}: not a video ffprobe can read ({(proc.stderr.strip().splitlines() or ['?'])[-1][:120]})"
            )
        data = json.loads(proc.stdout)
        pictures = [
            s
            for s in data.get("streams", [])
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ]
        if not pictures:
            raise PaperLedgeError(f"{mp4}: holds no video stream")
        v = pictures[0]
        chapters = tuple(sorted((float(c["start_time"]), c.get("tags", {}).get("title", "")) for c in data.get("chapters", [])))
        return VideoFacts(
            v.get("codec_name", ""),
            int(v.get("width", 0)),
            int(v.get("height", 0)),
            v.get("pix_fmt", ""),
            float(data.get("format", {}).get("duration", 0)),
            chapters,
            mp4.stat().st_size,
        )
    return _from_ffmpeg(mp4)


_STREAM = re.compile(r"Stream #\d+:\d+.*?: Video: (\w+).*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)(.*)$", re.M)
_CHAPTER = re.compile(r"Chapter #\d+:\d+: start (-?[\d.]+), end [\d.]+\s*\n\s*Metadata:\s*\n\s*title\s*: (.*)")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def _from_ffmpeg(mp4: Path) -> VideoFacts:
    err = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", f"file:{mp4}"], capture_output=True, text=True, timeout=120
    ).stderr
    streams = [m for m in _STREAM.finditer(err) if "attached pic" not in m.group(5)]
    d = _DURATION.search(err)
    if not streams or not d:
        raise PaperLedgeError(f"{mp4}: not a video ffmpeg can read")
    m = streams[0]
    duration = int(d.group(1)) * 3600 + int(d.group(2)) * 60 + float(d.group(3))
    chapters = tuple(sorted((float(c.group(1)), c.group(2).strip()) for c in _CHAPTER.finditer(err)))
    return VideoFacts(m.group(1), int(m.group(3)), int(m.group(4)), m.group(2), duration, chapters, mp4.stat().st_size)
