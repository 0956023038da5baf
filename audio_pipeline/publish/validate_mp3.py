"""One published MP3 as a directory reads it: the frames themselves, the Xing/Info header,
bitrate and rate, loudness (ffmpeg's ebur128), the ID3 tag, its cover and chapters, and the
sidecars beside it."""

from __future__ import annotations

import io
import re
import subprocess
import warnings
from pathlib import Path
from typing import cast

from mutagen import MutagenError
from mutagen.id3 import ID3, CTOCFlags, ID3NoHeaderError

from ..audio.export import TAG_READ_ERRORS, id3_length
from ..audio.ffmpeg import measure_command, parse_measurement
from ..audio.sidecars import parse_chapters, read_cues, sidecar_paths, srt_path
from ..config import COVER_MAX_BYTES, RenderConfig
from ..errors import PaperLedgeError
from .validate_problem import WARNING, Problem, credential_problems, plural

C2PA_MIMES = ("application/c2pa", "application/x-c2pa-manifest-store")

# MPEG version bits -> sample rate index -> Hz (MPEG 1, 2 and 2.5)
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_KBPS_V1 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_KBPS_V2 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
COVER_PX = (1400, 3000)
"""Apple's bounds for square cover art."""
MAX_MP3_BYTES = 2 << 30
"""Read whole into memory: a ten-hour episode at 320 kbps is 1.4 GB."""
TILE_TOLERANCE_S = 0.25
"""How far the last chapter's end, or a transcript's last cue, may sit from the MP3's end."""
# Cue text may hold WebVTT's own tags (a voice span <v Name>, <i>, <c.x>, a timestamp) and
# character references; a raw "&" or "<" is markup no player reads as the text.
_VTT_TAG = re.compile(r"</?(?:v|c|i|b|u|ruby|rt|lang)(?:[.\s][^>]*)?>|<\d[\d:.]*>")
_VTT_REF = re.compile(r"&(?:amp|lt|gt|nbsp|lrm|rlm|#\d+|#x[0-9A-Fa-f]+);")


def _audio_start(data: bytes) -> int:
    return id3_length(data)


def _frame(data: bytes, at: int) -> tuple[int, int, int] | None:
    """(bitrate kbps, sample rate, frame bytes) of the Layer III frame header at `at`."""
    if at + 4 > len(data) or data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
        return None
    version, layer = (data[at + 1] >> 3) & 3, (data[at + 1] >> 1) & 3
    index, rate_index, pad = data[at + 2] >> 4, (data[at + 2] >> 2) & 3, (data[at + 2] >> 1) & 1
    if version == 1 or layer != 1 or index in (0, 15) or rate_index == 3:
        return None
    rate = _RATES[version][rate_index]
    kbps = (_KBPS_V1 if version == 3 else _KBPS_V2)[index]
    size = (144_000 if version == 3 else 72_000) * kbps // rate + pad
    return kbps, rate, size


def _xing(data: bytes, at: int) -> tuple[str, int | None, int | None] | None:
    """("Xing" or "Info", frames, bytes) from the header inside the first frame, if any."""
    mpeg1, mono = (data[at + 1] >> 3) & 3 == 3, (data[at + 3] >> 6) == 3
    pos = at + 4 + ((17 if mono else 32) if mpeg1 else (9 if mono else 17))
    tag = data[pos : pos + 4]
    if tag not in (b"Xing", b"Info"):
        return None
    flags = int.from_bytes(data[pos + 4 : pos + 8], "big")
    frames = int.from_bytes(data[pos + 8 : pos + 12], "big") if flags & 1 else None
    size = int.from_bytes(data[pos + 12 : pos + 16], "big") if flags & 3 == 3 else None
    return tag.decode(), frames, size


def _stream(path: Path, data: bytes, config: RenderConfig, out: list[Problem]) -> float | None:
    """Check the frames; return the duration in seconds (None: no stream at all)."""
    start = _audio_start(data)
    end = len(data) - (128 if data[-128:-125] == b"TAG" else 0)  # an ID3v1 tag at the end
    first = _frame(data, start)
    if first is None:
        out.append(Problem(path, "no MP3 audio stream after the tag (not an MP3, or damaged): render it again"))
        return None
    header = _xing(data, start)
    at, frames, bitrates, rates = start, 0, set(), set()
    if header:
        at += first[2]  # the header frame holds no audio
    while (f := _frame(data, at)) is not None and at + f[2] <= end:
        bitrates.add(f[0])
        rates.add(f[1])
        frames += 1
        at += f[2]
    if at < end:
        out.append(Problem(path, f"the audio stream breaks off at byte {at} of {end} (cut off or damaged): render it again"))
    rate = first[1]
    if header is None:
        out.append(
            Problem(
                path,
                "no Xing/Info header: players guess the duration and chapters drift; encode with LAME's header (render it again)",
            )
        )
    else:
        tag, counted, size = header
        if counted is not None and abs(counted - frames) > 1:
            out.append(
                Problem(
                    path,
                    f"the {tag} header counts {counted} frames but the stream holds {frames}: "
                    "the header is stale (render it again)",
                )
            )
        if size is not None and size != end - start:
            out.append(
                Problem(
                    path,
                    f"the {tag} header counts {size} bytes but the stream is {end - start}: "
                    "cut off or rewritten (render it again)",
                )
            )
    want = config.export.bitrate_kbps
    if len(bitrates) > 1:
        out.append(
            Problem(
                path,
                f"variable bitrate ({min(bitrates)}-{max(bitrates)} kbps): directories expect CBR at "
                f"{want} kbps; encode it with a constant bitrate",
            )
        )
    elif bitrates and bitrates != {want}:
        out.append(Problem(path, f"CBR at {bitrates.pop()} kbps, not the configured {want} kbps: encode at {want} kbps"))
    if rates != {config.export.sample_rate} or rate != config.export.sample_rate:
        out.append(Problem(path, f"sample rate {rate} Hz: directories expect {config.export.sample_rate} Hz"))
    return frames * (1152 if rate >= 32000 else 576) / rate  # MPEG-2 and 2.5 frames hold half as many samples


def _loudness(path: Path, data: bytes, config: RenderConfig, out: list[Problem]) -> None:
    # Only the audio after the tag goes to ffmpeg: it would decode the cover too, a bomb included.
    audio = memoryview(data)[_audio_start(data) :]
    proc = subprocess.run(measure_command("pipe:0", "mp3"), input=audio, capture_output=True)
    try:
        got = parse_measurement(proc.stderr.decode("utf-8", "replace"), proc.returncode, str(path))
    except PaperLedgeError as e:
        out.append(Problem(path, str(e)))
        return
    m = config.master
    if abs(got.integrated_lufs - m.target_lufs) > 1.0:
        out.append(
            Problem(
                path,
                f"integrated loudness {got.integrated_lufs:.1f} LUFS is off the {m.target_lufs:g} LUFS "
                "target by more than 1 LU: master it again (render it again)",
            )
        )
    if got.true_peak_dbtp > m.true_peak_dbtp:
        out.append(
            Problem(
                path,
                f"true peak {got.true_peak_dbtp:+.1f} dBTP is above {m.true_peak_dbtp:g} dBTP: "
                "it will clip once decoded; limit it (render it again)",
            )
        )


def _cover(path: Path, tags: ID3, out: list[Problem]) -> None:
    from PIL import Image, UnidentifiedImageError

    pictures = tags.getall("APIC")
    if not pictures:
        out.append(Problem(path, "no embedded cover art (APIC): apps show a blank square; tag it with the cover"))
        return
    pic = next((p for p in pictures if p.type == 3), pictures[0])  # the front cover
    if len(pic.data) > COVER_MAX_BYTES:  # refused unread: every download of the MP3 carries it
        out.append(
            Problem(
                path,
                f"the embedded cover is {len(pic.data):,} bytes: Spotify and NPR One take at most "
                f"{COVER_MAX_BYTES // 1024} KB; save it smaller (a JPEG of 1400-3000 px)",
            )
        )
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            img = Image.open(io.BytesIO(pic.data))  # lazy: it reads the header only
        with img:
            fmt, mode, (w, h) = img.format, img.mode, img.size
            if max(w, h) > COVER_PX[1]:  # never decoded: 12,000 px would take 600 MB
                out.append(
                    Problem(path, f"the embedded cover is {w}x{h} px: Apple asks for {COVER_PX[0]} to {COVER_PX[1]} px, square")
                )
                return
            img.load()
            alpha = "A" in img.getbands() or "transparency" in img.info
    except Image.DecompressionBombError:  # raised by the header alone, before any decoding
        out.append(
            Problem(
                path,
                f"the embedded cover claims hundreds of millions of pixels: Apple asks for "
                f"{COVER_PX[0]} to {COVER_PX[1]} px, square",
            )
        )
        return
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        out.append(Problem(path, "the embedded cover does not decode as an image: tag it with a JPEG or PNG"))
        return
    if fmt not in ("JPEG", "PNG"):
        out.append(Problem(path, f"the embedded cover is {fmt}: Apple takes JPEG or PNG"))
    if alpha:
        out.append(Problem(path, "the embedded cover has an alpha channel: Apple asks for RGB without transparency"))
    elif mode != "RGB":
        out.append(Problem(path, f"the embedded cover is in {mode} colour: Apple asks for RGB"))
    if w != h:
        out.append(Problem(path, f"the embedded cover is {w}x{h} px: it must be square"))
    elif not COVER_PX[0] <= w <= COVER_PX[1]:
        out.append(Problem(path, f"the embedded cover is {w} px: Apple asks for {COVER_PX[0]} to {COVER_PX[1]} px"))


def _chapters(path: Path, tags: ID3, duration: float | None, out: list[Problem]) -> list[tuple[float, str]]:
    """Check CHAP/CTOC; return (start, title) of each chapter in order."""
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    if not chaps:
        out.append(Problem(path, "no chapters (CHAP frames): apps show none; render it again"))
        return []
    tops = [t for t in tags.getall("CTOC") if t.flags & CTOCFlags.TOP_LEVEL]
    if not tops:
        out.append(
            Problem(
                path, "no top-level table of contents (CTOC with the top-level flag): Apple and most apps ignore the chapters"
            )
        )
    else:
        if len(tops) > 1:
            out.append(
                Problem(
                    path,
                    f"{len(tops)} top-level tables of contents (CTOC): apps read one of them at "
                    "random; keep one (render it again)",
                )
            )
        toc = tops[0]
        if not toc.flags & CTOCFlags.ORDERED:
            out.append(Problem(path, "the table of contents (CTOC) is not flagged ordered: apps may shuffle the chapters"))
        missing = [c for c in toc.child_element_ids if c not in chaps]
        unlisted = [c for c in chaps if c not in toc.child_element_ids]
        if missing or unlisted:
            out.append(
                Problem(
                    path, f"the table of contents and the CHAP frames disagree ({', '.join(missing + unlisted)}): render it again"
                )
            )
    ordered = sorted(chaps.values(), key=lambda c: c.start_time)
    if ordered[0].start_time != 0:
        out.append(Problem(path, f"the first chapter starts at {ordered[0].start_time / 1000:.3f} s, not 0"))
    for a, b in zip(ordered, ordered[1:]):
        if abs(a.end_time - b.start_time) > 1:
            out.append(
                Problem(
                    path,
                    f"chapter {a.element_id} ends at {a.end_time / 1000:.3f} s but the next starts at "
                    f"{b.start_time / 1000:.3f} s: chapters must tile the episode",
                )
            )
    if duration is not None and abs(ordered[-1].end_time / 1000 - duration) > TILE_TOLERANCE_S:
        out.append(
            Problem(
                path,
                f"the last chapter ends at {ordered[-1].end_time / 1000:.3f} s, the audio at "
                f"{duration:.3f} s: chapters must tile the episode",
            )
        )
    titles = []
    for c in ordered:
        title = c.sub_frames.get("TIT2")
        if title is None or not str(title).strip():
            out.append(Problem(path, f"chapter {c.element_id} has no title (TIT2 sub-frame)"))
        titles.append((c.start_time / 1000, str(title) if title else ""))
    return titles


def _tags(path: Path, duration: float | None, out: list[Problem]) -> list[tuple[float, str]]:
    try:
        tags = ID3(path)
    except ID3NoHeaderError:
        out.append(Problem(path, "no ID3 tag: no title, artist, cover or chapters; render it again"))
        return []
    except RecursionError:
        out.append(Problem(path, "the ID3 tag nests frames inside frames too deep to read: render it again"))
        return []
    except (MutagenError, OSError) as e:
        out.append(Problem(path, f"the ID3 tag does not read ({' '.join(str(e).split())[:120]}): render it again"))
        return []
    # A C2PA manifest's ID3 tag is v2.4 (the C2PA library writes no other), and re-saving it
    # as v2.3 would break the signature: v2.4 is expected there.
    signed = any(getattr(f, "mime", "") in C2PA_MIMES for f in tags.getall("GEOB"))
    if tags.version[:2] != (2, 3) and not (signed and tags.version[:2] == (2, 4)):
        out.append(
            Problem(path, f"ID3 v2.{tags.version[1]}: Apple reads v2.3 (v2.4 chapter titles are cut); save the tag as ID3 v2.3")
        )
    need = {"TIT2": "title", "TPE1": "artist", "TALB": "album", "TDRC": "date"}
    lacking = [f"{name} ({fid})" for fid, name in need.items() if not str(tags.get(fid, "")).strip()]
    if lacking:
        out.append(Problem(path, f"the ID3 tag lacks the {', '.join(lacking)}: set them (title, date in the script)"))
    if not str(tags.get("TRCK", "")).strip():  # apps number episodes by the feed's itunes:episode
        out.append(Problem(path, "the ID3 tag has no track (TRCK): add 'episode: N' to the script's front matter", WARNING))
    _cover(path, tags, out)
    return _chapters(path, tags, duration, out)


def _sidecars(path: Path, duration: float | None, chapters: list[tuple[float, str]], out: list[Problem]) -> None:
    vtt, chapters_file = sidecar_paths(path)
    srt = srt_path(path)
    texts = {}
    for side in (vtt, srt, chapters_file):
        if side.exists() and not side.is_file():  # a FIFO would block the read for ever
            out.append(Problem(side, "is not a regular file: render the episode again"))
            continue
        try:
            texts[side] = side.read_text(encoding="utf-8")
        except FileNotFoundError:
            out.append(Problem(side, f"missing beside {path.name}: render the episode again"))
        except (OSError, UnicodeDecodeError) as e:
            out.append(Problem(side, f"does not read as UTF-8 text ({e.__class__.__name__}): render the episode again"))
    parsed = {}
    for side in (vtt, srt):
        if side not in texts:
            continue
        if side is vtt and not texts[side].startswith("WEBVTT"):
            out.append(Problem(side, "does not start with WEBVTT: not a WebVTT transcript"))
            continue
        try:
            parsed[side] = read_cues(texts[side])
        except ValueError as e:
            out.append(Problem(side, f"{e}: render the episode again"))
            continue
        cues = parsed[side]
        if not cues:
            out.append(Problem(side, "holds no cues"))
            continue
        if any(b[0] < a[0] or a[1] < a[0] for a, b in zip(cues, cues[1:] + [cues[-1]])):
            out.append(Problem(side, "cues out of order or ending before they start: render the episode again"))
        if duration is not None and cues[-1][1] > duration + TILE_TOLERANCE_S:
            out.append(
                Problem(
                    side,
                    f"the last cue ends at {cues[-1][1]:.3f} s, after the audio's end at {duration:.3f} s: "
                    "the transcript belongs to another render",
                )
            )
    if vtt in texts and vtt in parsed:
        for n, block in enumerate(texts[vtt].split("\n\n")[1:], 1):
            lines = block.splitlines()
            timing = next((i for i, line in enumerate(lines) if "-->" in line), len(lines))
            body = "\n".join(lines[timing + 1 :])
            raw = _VTT_REF.sub("", _VTT_TAG.sub("", body))
            if "&" in raw or "<" in raw:
                out.append(
                    Problem(
                        vtt,
                        f"cue {n} holds a raw '&' or '<': players read it as markup; escape it "
                        "(&amp; &lt;) or render the episode again",
                    )
                )
                break
    if vtt in parsed and srt in parsed:
        a, b = parsed[vtt], parsed[srt]
        if len(a) != len(b) or any(abs(x[0] - y[0]) > 0.001 or abs(x[1] - y[1]) > 0.001 for x, y in zip(a, b)):
            out.append(
                Problem(
                    srt, f"holds {plural(len(b), 'cue')} where the VTT holds {len(a)}, or other times: render the episode again"
                )
            )
    if chapters_file in texts:
        try:
            listed = parse_chapters(texts[chapters_file], str(chapters_file))[1]
        except PaperLedgeError:
            out.append(Problem(chapters_file, "not a Podcasting 2.0 chapters file: render the episode again"))
            return
        if chapters and (
            len(listed) != len(chapters) or any(abs(x[0] - y[0]) > 0.01 or x[1] != y[1] for x, y in zip(listed, chapters))
        ):
            out.append(
                Problem(
                    chapters_file,
                    f"lists {plural(len(listed), 'chapter')} where the MP3 has "
                    f"{len(chapters)}, or other times or titles: render the episode again",
                )
            )
        if duration is not None and listed and listed[-1][0] >= duration:
            out.append(Problem(chapters_file, "a chapter starts after the audio ends: render the episode again"))


def mp3_seconds(path: Path) -> float | None:
    """The length mutagen reads from the MP3's header; None where its tag or stream does not read."""
    from mutagen.mp3 import MP3, MPEGInfo

    try:
        return cast(MPEGInfo, MP3(path).info).length  # mutagen declares FileType.info as None
    except TAG_READ_ERRORS:
        return None


def validate_mp3(path: Path, config: RenderConfig = RenderConfig()) -> list[Problem]:
    """Every problem a directory would find in this MP3 and its sidecars."""
    out: list[Problem] = []
    try:
        if Path(path).stat().st_size > MAX_MP3_BYTES:
            return [Problem(path, f"over {MAX_MP3_BYTES >> 30} GiB: no podcast episode is this large")]
        data = Path(path).read_bytes()
    except OSError as e:
        return [Problem(path, f"cannot read ({e.strerror})")]
    duration = _stream(path, data, config, out)
    if duration is None:
        return out
    duration = mp3_seconds(path) or duration  # as apps read it: the Xing/LAME header's exact length
    _loudness(path, data, config, out)
    out += credential_problems(path, data)
    chapters = _tags(path, duration, out)
    _sidecars(path, duration, chapters, out)
    if duration < 1:
        out.append(Problem(path, f"only {duration:.2f} s of audio", WARNING))
    return out
