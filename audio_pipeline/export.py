"""Export: MP3 (LAME, CBR, Xing/Info header), ID3v2.3 tags, CHAP/CTOC chapters, cover.

ffmpeg encodes float samples straight from the mastering stage (no 16-bit detour),
and mutagen writes the tags. Files are written beside their destination and
renamed into place, so a failed render never leaves a partial file behind.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np
from mutagen.id3 import (
    APIC, CHAP, COMM, CTOC, ID3, PCST, TALB, TCON, TDRC, TIT2, TPE1, TPE2, TPOS, TRCK, CTOCFlags,
)

from .assemble import ChapterMark
from .config import ExportConfig
from .errors import RenderError
from .ffmpeg import ffmpeg_exe
from .script import EpisodeMeta


def encode_mp3(blocks: Iterable[np.ndarray], rate: int, dest: Path, config: ExportConfig) -> None:
    """Encode float32 mono blocks at `rate` to a CBR MP3 at `dest` (no tags yet)."""
    cmd = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-ar", str(config.sample_rate), "-ac", str(config.channels),
        "-c:a", "libmp3lame", "-b:a", f"{config.bitrate_kbps}k",
        # Tags are mutagen's job; the Xing/Info frame gives players the exact duration.
        "-id3v2_version", "0", "-write_id3v1", "0", "-write_xing", "1",
        "-f", "mp3", str(dest),
    ]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err)
        assert proc.stdin is not None
        try:
            for block in blocks:
                proc.stdin.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.wait() != 0:
            err.seek(0)
            message = err.read().decode("utf-8", "replace").strip().splitlines()
            raise RenderError(f"ffmpeg failed to encode the MP3: {message[-1] if message else 'no message'}")


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
