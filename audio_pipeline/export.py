"""Export: MP3 (LAME, CBR, Xing/Info header), ID3v2.3 tags, CHAP/CTOC chapters, cover.

ffmpeg encodes float samples straight from the mastering stage (no 16-bit detour),
and mutagen writes the tags. Files are written beside their destination and
renamed into place, so a failed render never leaves a partial file behind.
"""

from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterable

import numpy as np
from mutagen.id3 import (
    APIC, CHAP, COMM, CTOC, ID3, PCST, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK, CTOCFlags,
)

from .assemble import ChapterMark
from .config import ExportConfig
from .errors import RenderError
from .ffmpeg import Loudness, ffmpeg_exe, measure_command, parse_measurement
from .script import EpisodeMeta


def encode_mp3(blocks: Iterable[np.ndarray], rate: int, dest: Path, config: ExportConfig) -> Loudness:
    """Encode float32 mono blocks at `rate` to a CBR MP3 at `dest` (no tags yet), and
    return what ffmpeg's ebur128 filter reads of that MP3.

    ffmpeg's tee muxer hands the very MP3 frames written to `dest` to a second ffmpeg
    that decodes and measures them while encoding goes on, instead of after it.
    """
    file_opts = "f=mp3:id3v2_version=0:write_id3v1=0:write_xing=1"  # tags are mutagen's job
    cmd = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-ar", str(config.sample_rate), "-ac", str(config.channels),
        "-c:a", "libmp3lame", "-b:a", f"{config.bitrate_kbps}k",
        "-map", "0:a", "-f", "tee", f"[{file_opts}]{_tee_escape('file:' + str(dest.resolve()))}|[f=mp3:id3v2_version=0:write_xing=0]pipe:1",
    ]
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as meter_err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        meter = subprocess.Popen(measure_command("pipe:0", "mp3"), stdin=proc.stdout, stderr=meter_err)
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdout.close()  # the meter holds the read end now
        # A writer thread keeps the encoder fed while the next block is mastered, so
        # mastering and LAME run side by side instead of taking turns on the pipe.
        chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        broken: list[BaseException] = []

        def writer() -> None:
            while (chunk := chunks.get()) is not None:
                if not broken:
                    try:
                        proc.stdin.write(chunk)
                    except OSError as e:  # ffmpeg died: its own message says why
                        broken.append(e)
            try:
                proc.stdin.close()
            except OSError:
                pass

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            for block in blocks:
                chunks.put(np.ascontiguousarray(block, dtype="<f4").tobytes())
                if broken:
                    break
        except BaseException:
            proc.kill()
            meter.kill()
            raise
        finally:
            chunks.put(None)
            thread.join()
        if proc.wait() != 0:
            meter.wait()
            err.seek(0)
            message = err.read().decode("utf-8", "replace").strip().splitlines()
            raise RenderError(f"ffmpeg failed to encode the MP3: {message[-1] if message else 'no message'}")
        code = meter.wait()
        meter_err.seek(0)
        return parse_measurement(meter_err.read().decode("utf-8", "replace"), code, str(dest))


def _tee_escape(path: str) -> str:
    """A path as the tee muxer's slave list needs it (its special characters escaped)."""
    return "".join("\\" + c if c in "|[]=:\\" else c for c in path)


def credits_text(meta: EpisodeMeta) -> str:
    parts = [meta.description.strip()] if meta.description.strip() else []
    if meta.authors:
        parts.append("Credit to the paper's authors: " + ", ".join(meta.authors) + ".")
    return "\n\n".join(parts)


def write_tags(path: Path, meta: EpisodeMeta, chapters: list[ChapterMark], artist: str, cover_jpeg: bytes | None) -> None:
    tags = ID3()
    tags.add(TIT2(encoding=3, text=meta.title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(TPE2(encoding=3, text=artist))
    album = meta.show if meta.season is None else f"{meta.show}, Season {meta.season}"
    tags.add(TALB(encoding=3, text=album))
    if meta.episode is not None:
        tags.add(TRCK(encoding=3, text=str(meta.episode)))
    if meta.season is not None:
        tags.add(TPOS(encoding=3, text=str(meta.season)))
    if meta.date is not None:
        tags.add(TDRC(encoding=3, text=meta.date.isoformat()))
    tags.add(TCON(encoding=3, text="Podcast"))
    tags.add(PCST(value=1))
    comment = credits_text(meta)
    if comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=comment))
    if cover_jpeg:
        tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=cover_jpeg))
    ids = [f"chp{i}" for i in range(len(chapters))]
    for cid, c in zip(ids, chapters):
        tags.add(
            CHAP(
                element_id=cid,
                start_time=round(c.start * 1000),
                end_time=round(c.end * 1000),
                sub_frames=[TIT2(encoding=3, text=c.title)],
            )
        )
    tags.add(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text="Chapters")],
        )
    )
    tags.save(path, v2_version=3)
