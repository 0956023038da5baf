"""Export: MP3 (LAME, CBR, Xing/Info header), ID3v2.3 tags, CHAP/CTOC chapters, cover.

ffmpeg encodes float samples straight from the mastering stage (no 16-bit detour),
and mutagen writes the tags. Files are written beside their destination and
renamed into place, so a failed render never leaves a partial file behind.
"""

from __future__ import annotations

import os
import queue
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TALB,
    TCAT,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TXXX,
    WXXX,
    CTOCFlags,
)

from .. import __version__
from ..config import ExportConfig
from ..errors import RenderError
from ..files import reason, write_problem
from ..script.read import EpisodeMeta, credits_sentence
from ..script.soundbite import parse_tag, tag_text
from .assemble import ChapterMark
from .ffmpeg import Loudness, ffmpeg_exe, measure_command, parse_measurement


def encode_mp3(blocks: Iterable[np.ndarray], rate: int, dest: Path, config: ExportConfig, label: Path | None = None) -> Loudness:
    """Encode float32 mono blocks at `rate` to a CBR MP3 at `dest` (no tags yet), and
    return what ffmpeg's ebur128 filter reads of that MP3.

    ffmpeg's tee muxer hands the very MP3 frames written to `dest` to a second ffmpeg
    that decodes and measures them while encoding goes on, instead of after it.
    """
    file_opts = "f=mp3:id3v2_version=0:write_id3v1=0:write_xing=1"  # tags are mutagen's job
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(rate),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-ar",
        str(config.sample_rate),
        "-ac",
        str(config.channels),
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{config.bitrate_kbps}k",
        "-map",
        "0:a",
        "-f",
        "tee",
        f"[{file_opts}]{_tee_escape('file:' + str(dest.resolve()))}|[f=mp3:id3v2_version=0:write_xing=0]pipe:1",
    ]
    total = 0  # samples handed to the encoder: what the MP3 must hold
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as meter_err:
        started: list[subprocess.Popen] = []
        try:
            started.append(proc := subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err))
            started.append(meter := subprocess.Popen(measure_command("pipe:0", "mp3"), stdin=proc.stdout, stderr=meter_err))
        except BaseException:  # Ctrl-C or SIGTERM between the two: the encoder must not write on
            _stop(started)
            raise
        assert proc.stdin is not None and proc.stdout is not None
        stdin = proc.stdin  # the writer thread's, narrowed to not None
        proc.stdout.close()  # the meter holds the read end now
        # A writer thread keeps the encoder fed while the next block is mastered, so
        # mastering and LAME run side by side instead of taking turns on the pipe.
        chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        broken: list[BaseException] = []

        def writer() -> None:
            # Drains the queue to its end whatever happens, so the feeding side never waits
            # on a full queue that nobody reads (out of memory here hung a render for good).
            while (chunk := chunks.get()) is not None:
                if not broken:
                    try:
                        stdin.write(chunk)
                    except BaseException as e:  # ffmpeg died (its own message says why), or memory ran out
                        broken.append(e)
            try:
                stdin.close()
            except OSError:
                pass

        def put(item: bytes | None) -> None:
            while True:
                try:
                    return chunks.put(item, timeout=1.0)
                except queue.Full:
                    if not thread.is_alive():
                        return

        thread = threading.Thread(target=writer, daemon=True)
        try:
            thread.start()
            for block in blocks:
                total += block.size
                put(np.ascontiguousarray(block, dtype="<f4").tobytes())
                if broken:
                    break
        except BaseException:
            _stop(started)
            raise
        finally:
            if thread.is_alive():
                put(None)
                thread.join()
        if broken and not isinstance(broken[0], OSError):
            _stop(started)
            raise broken[0]
        if proc.wait() != 0:
            meter.wait()
            err.seek(0)
            message = err.read().decode("utf-8", "replace").strip().splitlines()
            raise RenderError(f"ffmpeg failed to encode the MP3: {message[-1] if message else 'no message'}")
        code = meter.wait()
        meter_err.seek(0)
        loudness = parse_measurement(meter_err.read().decode("utf-8", "replace"), code, str(dest))
    # The tee muxer does not report a failed write (a full disk): the file itself is the proof.
    check_complete(dest, total / rate, label)
    return loudness


def _stop(processes: list[subprocess.Popen]) -> None:
    """Kill the encoder and its meter and wait for them: a render that stops removes its temporary
    MP3 next, and an encoder still starting could otherwise create it again after that (its
    output is opened only once audio arrives)."""
    for p in processes:
        p.kill()
    for p in processes:
        p.wait()


def syncsafe(four: bytes) -> int:
    """An ID3v2 size: four bytes of seven bits each (0 for fewer than four)."""
    return (four[0] & 0x7F) << 21 | (four[1] & 0x7F) << 14 | (four[2] & 0x7F) << 7 | four[3] & 0x7F if len(four) == 4 else 0


def id3_length(head: bytes) -> int:
    """Bytes of the ID3v2 tag that `head` (a file's first ten bytes or more) starts with, header
    and footer included: where the audio starts. 0 without a tag."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    return 10 + syncsafe(head[6:10]) + (10 if head[5] & 0x10 else 0)


def check_complete(path: Path, seconds: float, label: Path | None = None) -> None:
    """Raise unless `path` is a whole MP3 of at least `seconds`: its Xing/Info frame
    counts the frames and bytes the encoder wrote, and the file must hold them all."""
    try:
        with open(path, "rb") as f:
            tag = id3_length(f.read(10))  # tags come first: skip them
            f.seek(tag)
            head = f.read(4096)
        size = path.stat().st_size - tag
    except OSError as e:
        raise RenderError(write_problem(path, e)) from None
    info = _xing(head)
    rate = _MP3_RATES.get((head[1] >> 3) & 3, {}).get((head[2] >> 2) & 3) if len(head) > 4 else None
    if info is None or rate is None:
        problem = "it has no MP3 header"
    else:
        frames, length = info
        heard = frames * 1152 / rate
        if length != size:
            problem = f"cut off after {size} bytes"
        elif heard + 0.05 < seconds:
            problem = f"it holds {heard:.1f} s of {seconds:.1f} s"
        else:
            return
    space = ""
    try:
        st = os.statvfs(path.parent)
        if st.f_bavail * st.f_frsize < 1 << 20:
            space = "; no space left on the device"
    except OSError:
        pass
    raise RenderError(f"cannot write {label or path}: the MP3 came out incomplete ({problem}){space}")


# MPEG version bits -> sample rate index -> Hz (MPEG 1, 2 and 2.5)
_MP3_RATES = {3: {0: 44100, 1: 48000, 2: 32000}, 2: {0: 22050, 1: 24000, 2: 16000}, 0: {0: 11025, 1: 12000, 2: 8000}}


def _xing(head: bytes) -> tuple[int, int] | None:
    """(frames, bytes) from the first frame's Xing/Info header, if it has both."""
    if len(head) < 64 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    mpeg1, mono = (head[1] >> 3) & 3 == 3, (head[3] >> 6) == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    at = 4 + side
    if head[at : at + 4] not in (b"Xing", b"Info"):
        return None
    flags = int.from_bytes(head[at + 4 : at + 8], "big")
    if flags & 3 != 3:
        return None
    return int.from_bytes(head[at + 8 : at + 12], "big"), int.from_bytes(head[at + 12 : at + 16], "big")


def _tee_escape(path: str) -> str:
    """A path as the tee muxer's slave list needs it (its special characters escaped)."""
    return "".join("\\" + c if c in "|[]=:\\" else c for c in path)


TAG_READ_ERRORS = (MutagenError, OSError, RecursionError)
"""What reading an MP3's tag may raise: mutagen wraps what it meets in MutagenError, but a
frame nested in itself (CHAP inside CHAP, 1,500 deep) exhausts Python's stack first."""

MARK = "PaperLedge"
"""Description of the TXXX frame that marks an MP3 as one this tool rendered."""


def written_by_us(path: Path) -> bool:
    """Whether `path` is an MP3 or sidecar this tool wrote (and so may be replaced)."""
    if path.suffix.lower() != ".mp3":
        from .sidecars import is_sidecar

        return is_sidecar(path)
    try:
        tags = ID3(path)
    except TAG_READ_ERRORS:
        return False
    # Renders from before the mark carry the podcast flag and the "toc" table of contents.
    return bool(tags.getall(f"TXXX:{MARK}")) or (bool(tags.getall("PCST")) and bool(tags.getall("CTOC:toc")))


def soundbite_of(path: Path) -> tuple[float, float] | None:
    """The (start, duration) an MP3's soundbite frame holds, or None (none, or unreadable)."""
    try:
        frames = ID3(path).getall(f"TXXX:{SOUNDBITE}")
    except TAG_READ_ERRORS:
        return None
    return parse_tag(frames[0].text[0]) if frames and frames[0].text else None


def credits_text(meta: EpisodeMeta) -> str:
    parts = [meta.description.strip()] if meta.description.strip() else []
    if meta.authors:
        parts.append(credits_sentence(meta.authors))
    return "\n\n".join(parts)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def people_text(people: list[tuple[str, str]]) -> str:
    """The comment's credit to the cast beside the host, by role: "Co-host: Maya. Guest: Sam."
    (`people`: (name, role) pairs, as script.cast.people_of gives them)."""
    parts = []
    for role, label in (("co-host", "Co-host"), ("guest", "Guest")):
        names = [name for name, r in people if r == role]
        if names:
            parts.append(f"{label}{'s' if len(names) > 1 else ''}: {_names(names)}.")
    return " ".join(parts)


SOUNDBITE = f"{MARK} soundbite"
"""Description of the TXXX frame holding the episode's soundbite, "START DURATION" in seconds
(the feed's podcast:soundbite, and the span `clip` cuts by default)."""


def _picture_mime(data: bytes) -> str:
    """A picture already checked to be a JPEG or a PNG: which of the two."""
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def _chapter_frames(c: ChapterMark) -> list:
    """A chapter's title, and its link and image where the script gives them: Apple Podcasts
    reads them from the MP3's own CHAP frames (a WXXX link, an APIC picture)."""
    frames: list = [TIT2(encoding=3, text=c.title)]
    if c.url:
        frames.append(WXXX(encoding=0, desc="", url=c.url))
    if c.img:
        try:
            data = Path(c.img).read_bytes()  # checked like the cover when the script was read
        except OSError as e:
            raise RenderError(f"cannot read the chapter image {c.img} ({reason(e)}); render again") from None
        frames.append(APIC(encoding=3, mime=_picture_mime(data), type=0, desc=c.title[:64], data=data))
    return frames


def write_tags(
    path: Path,
    meta: EpisodeMeta,
    chapters: list[ChapterMark],
    artist: str,
    cover: bytes | None,
    people: Sequence[tuple[str, str]] = (),
    soundbite: tuple[float, float] | None = None,
) -> None:
    """`artist`: the host (the voice listeners hear); `people`: (name, role) of the rest of the cast,
    credited in the comment by role; `cover`: a JPEG or PNG that show.cover_art has accepted;
    `soundbite`: (start, duration) in seconds of the rendered episode."""
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
    if meta.category:  # iTunes' podcast category frame; the genre stays "Podcast"
        tags.add(TCAT(encoding=3, text=meta.category))
    tags.add(PCST(value=1))
    tags.add(TXXX(encoding=3, desc=MARK, text=__version__))
    if soundbite is not None:
        tags.add(TXXX(encoding=3, desc=SOUNDBITE, text=tag_text(soundbite)))
    comment = "\n\n".join(p for p in (credits_text(meta), people_text(list(people))) if p)
    if comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=comment))
    if cover:
        tags.add(APIC(encoding=3, mime=_picture_mime(cover), type=3, desc="Cover", data=cover))
    ids = [f"chp{i}" for i in range(len(chapters))]
    for cid, c in zip(ids, chapters):
        tags.add(
            CHAP(
                element_id=cid,
                start_time=round(c.start * 1000),
                end_time=round(c.end * 1000),
                sub_frames=_chapter_frames(c),
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
    try:
        tags.save(path, v2_version=3)
    except (OSError, MutagenError) as e:
        # mutagen wraps the OSError it met; its errno says what happened
        cause = e if isinstance(e, OSError) else next((a for a in e.args if isinstance(a, OSError)), e.__context__)
        if isinstance(cause, OSError):
            raise RenderError(write_problem(path, cause)) from None
        raise RenderError(f"cannot write the tags of {path} ({e})") from None
