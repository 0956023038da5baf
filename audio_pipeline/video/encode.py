"""From stills and the episode's audio to an MP4, written beside its destination and renamed
into place: a full disk or a killed ffmpeg leaves nothing at the output path.

Each distinct still is a PNG drawn once; ffmpeg's concat demuxer holds it for as long as
it stays on screen, the fps filter samples that at a low frame rate (each change lands on
the nearest frame, so a caption appears within half a frame of its sentence's start), and the progress bar's fill slides in by time
(an overlay whose position is an expression of t), so it needs no still of its own.
libx264 with -tune stillimage spends almost nothing on a frame that did not change.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..audio.ffmpeg import ffmpeg_exe
from ..config import VIDEO_AUDIO_KBPS, VIDEO_CRF, VIDEO_FPS, VIDEO_PRESET
from ..errors import RenderError
from ..files import checked_write, reason, temp_beside
from .frames import ACCENT, BAR_PX, Painter
from .source import EpisodeSource


@dataclass(frozen=True)
class Scene:
    start: float
    end: float
    chapter: str
    speaker: str
    caption: str


def scenes(source: EpisodeSource, start: float, end: float) -> list[Scene]:
    """What is on screen from `start` to `end` (episode time), one Scene per distinct picture:
    the picture changes only where a sentence starts or ends, or a chapter starts."""
    cuts = {start, end}
    cuts.update(t for c in source.cues for t in (c.start, c.end) if start < t < end)
    cuts.update(t for t, _ in source.chapters if start < t < end)
    times = sorted(cuts)
    out: list[Scene] = []
    i = 0
    for a, b in zip(times, times[1:]):
        mid = (a + b) / 2
        while i < len(source.cues) and source.cues[i].end <= mid:
            i += 1
        cue = source.cues[i] if i < len(source.cues) and source.cues[i].start <= mid else None
        scene = Scene(a, b, source.chapter_at(mid), cue.speaker if cue else "", cue.text if cue else "")
        if out and (out[-1].chapter, out[-1].speaker, out[-1].caption) == (scene.chapter, scene.speaker, scene.caption):
            out[-1] = Scene(out[-1].start, b, scene.chapter, scene.speaker, scene.caption)
        else:
            out.append(scene)
    return out


def metadata_text(tags: dict[str, str], chapters: list[tuple[float, float, str]]) -> str:
    """An ffmetadata file: the global tags and one [CHAPTER] per (start, end, title)."""

    def esc(value: str) -> str:
        return "".join("\\" + c if c in "=;#\\\n" else c for c in value)

    lines = [";FFMETADATA1"] + [f"{k}={esc(v)}" for k, v in tags.items() if v]
    for start, end, title in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(start * 1000)}",
            f"END={round(end * 1000)}",
            f"title={esc(title)}",
        ]
    return "\n".join(lines) + "\n"


def encode(
    out: Path,
    painter: Painter,
    shown: list[Scene],
    audio: list[str],
    metadata: str,
    cover: bytes | None,
    progress: Callable[[float, float], None] | None = None,
    audio_filter: str | None = None,
    finish: Callable[[Path], object] | None = None,  # its result is not used
) -> None:
    """Write the MP4 at `out`: the stills of `shown` (times relative to its first scene), the
    audio input `audio` (ffmpeg input options ending in -i PATH, already cut to length) encoded once
    to AAC, the ffmetadata `metadata`, and `cover` as the attached picture. `finish(tmp)` is the
    last step on the whole file before it is renamed into place (its Content Credentials)."""
    t0 = shown[0].start
    length = shown[-1].end - t0
    lay = painter.layout
    with tempfile.TemporaryDirectory(prefix="paperledge-video-") as folder:
        work = Path(folder)
        with checked_write(work):
            concat = _write_stills(work, painter, shown)
            (work / "meta.txt").write_text(metadata, encoding="utf-8")
            inputs = ["-f", "concat", "-safe", "0", "-i", str(concat), *audio, "-f", "ffmetadata", "-i", str(work / "meta.txt")]
            if cover:
                (work / "cover").write_bytes(cover)
                inputs += ["-i", str(work / "cover")]
        bar = "0x{:02X}{:02X}{:02X}".format(*ACCENT)
        graph = (
            f"[0:v]format=yuv420p,fps={VIDEO_FPS}:round=near[bg];"
            f"color=c={bar}:s={lay.width}x{BAR_PX}:r={VIDEO_FPS},format=yuv420p[bar];"
            f"[bg][bar]overlay=x='-w+w*t/{length:.3f}':y=H-h:shortest=1:format=yuv420[v]"
        )
        maps = ["-map", "[v]", "-map", "1:a", "-map_metadata", "2", "-map_chapters", "2"]
        if cover:
            maps += ["-map", "3:v", "-c:v:1", "copy", "-disposition:v:1", "attached_pic"]
        tmp = temp_beside(out, ".mp4.part")
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-nostats",
            "-progress",
            "pipe:1",
            "-y",
            *inputs,
            "-filter_complex",
            graph,
            *maps,
            "-c:v:0",
            "libx264",
            "-preset",
            VIDEO_PRESET,
            "-tune",
            "stillimage",
            "-crf",
            str(VIDEO_CRF),
            "-pix_fmt",
            "yuv420p",
            "-r",
            str(VIDEO_FPS),
            "-g",
            str(VIDEO_FPS * 10),
            *(["-af", audio_filter] if audio_filter else []),
            "-c:a",
            "aac",
            "-aac_coder",
            "fast",
            "-b:a",
            f"{VIDEO_AUDIO_KBPS}k",
            "-t",
            f"{length:.3f}",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            f"file:{tmp}",
        ]
        try:
            _run(cmd, out, length, progress)
            if finish:
                finish(tmp)
            with checked_write(out):
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())  # a full disk shows here, not after the rename
                os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)


def _write_stills(work: Path, painter: Painter, shown: list[Scene]) -> Path:
    """Each distinct still as a PNG (drawn once, however often it returns) and the concat
    list that holds each for its scene's length."""
    names: dict[tuple[str, str, str], str] = {}
    lines = ["ffconcat version 1.0"]
    for scene in shown:
        key = (scene.chapter, scene.speaker, scene.caption)
        if key not in names:
            names[key] = f"still{len(names):05d}.png"
            painter.still(*key).save(work / names[key], compress_level=1)
        lines += [f"file '{names[key]}'", f"duration {scene.end - scene.start:.6f}"]
    lines.append(f"file '{names[key]}'")  # the concat demuxer drops the last entry's duration otherwise
    concat = work / "stills.ffconcat"
    concat.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return concat


def _run(cmd: list[str], out: Path, length: float, progress: Callable[[float, float], None] | None) -> None:
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if progress and line.startswith("out_time_us=") and line[12:].strip().isdigit():
                    progress(min(length, int(line[12:]) / 1e6), length)
            code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if code == 0:
            return
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
    if code < 0:
        raise RenderError(
            f"cannot write {out}: ffmpeg was stopped by signal {-code} while encoding the video; nothing was written"
        )
    text = " ".join(lines[-3:])
    if "No space left" in text or _disk_full(out.parent):
        raise RenderError(
            f"cannot write {out}: {reason(OSError(28, 'No space left on device'))}; free some space or choose another folder"
        )
    raise RenderError(f"cannot write {out}: ffmpeg failed to encode the video: {lines[-1][:200] if lines else 'no message'}")


def _disk_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20
