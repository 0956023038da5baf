"""An episode's other encodings: EPISODE.m4a (AAC) and EPISODE.opus (Ogg Opus), each made from the
finished MP3 and listed in the feed as a podcast:alternateEnclosure.

Each is decoded from the MP3 and encoded by ffmpeg, with the MP3's tags and chapters (the CHAP
frames' own millisecond times: ffmpeg's MP3 reader shifts them by the encoder delay). Before it
takes its name it is proved: whole (validate_alternates.py), as long as the MP3, as loud, and
under the show's true-peak ceiling. A failed or killed encode leaves nothing at its path.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..audio.ffmpeg import ffmpeg_exe, measure_command, parse_measurement
from ..config import RenderConfig
from ..credentials import sign_derived
from ..errors import PaperLedgeError, RenderError
from ..files import checked_write, sha256_file, temp_beside, write_atomic
from ..show import ShowSettings, load_settings
from .feed_text import plain
from .validate_alternates import mp3_comment, mp3_seconds
from .validate_video import mp3_chapters

AAC_BITRATE: Final = 96_000
"""AAC-LC bits per second: transparent for speech and the intro music at the MP3's (mono) layout."""
OPUS_BITRATE: Final = 48_000
"""Opus bits per second: Opus is transparent for speech well below AAC's rate."""
LOUDNESS_SLACK_LU: Final = 0.5
"""How far an alternate's integrated loudness may be from the MP3's."""
PEAK_MARGIN_DB: Final = 0.3
"""Below the ceiling, less the first encode's overshoot, where the second encode limits the MP3's peaks."""
_PODCAST_NS: Final = "https://podcastindex.org/namespace/1.0"
"""The Podcasting 2.0 namespace (feed.py registers its prefix)."""


@dataclass(frozen=True)
class Kind:
    """One alternate encoding."""

    name: str
    suffix: str
    mime: str
    """The alternateEnclosure's type."""
    codecs: str
    """RFC 6381 codecs string, for apps that choose by codec."""
    title: str
    """What an app's menu of versions shows."""
    bitrate: int
    encoder: tuple[str, ...]
    """ffmpeg's codec and container options."""


KINDS: Final = {
    "aac": Kind(
        "aac",
        ".m4a",
        "audio/mp4",
        "mp4a.40.2",
        "AAC",
        AAC_BITRATE,
        ("-c:a", "aac", "-b:a", str(AAC_BITRATE), "-movflags", "+faststart", "-brand", "M4A ", "-f", "mp4"),
    ),
    "opus": Kind(
        "opus",
        ".opus",
        "audio/opus",
        "opus",
        "Opus",
        OPUS_BITRATE,
        ("-c:a", "libopus", "-b:a", str(OPUS_BITRATE), "-application", "audio", "-f", "ogg"),
    ),
}
SEASON_STATE: Final = ".season-state.json"
"""Beside a season's outputs: the stamp of each episode's inputs, and the MP3 each alternate was made from."""
SUFFIXES: Final = tuple(k.suffix for k in KINDS.values())
_FEED_KEYS: Final = ("alternates",)


def parse_alternates(value, where: str = "--alternates") -> tuple[str, ...]:
    """The alternates named by "aac,opus" or ["aac", "opus"] (order kept, repeats dropped; "none"
    or empty: none). Anything else is one line naming what is known."""
    if isinstance(value, str):
        names = value.split(",")
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = value
    else:
        raise PaperLedgeError(f'{where} must be a list such as ["aac", "opus"], not {type(value).__name__}')
    out: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if name in ("", "none"):
            continue
        if name not in KINDS:
            raise PaperLedgeError(f"{where}: unknown alternate {raw.strip()[:20]!r}; known: {', '.join(KINDS)}")
        if name not in out:
            out.append(name)
    return tuple(out)


def show_alternates(show: ShowSettings, where: str = "show.toml") -> tuple[str, ...]:
    """The show.toml [feed] table's `alternates`."""
    feed = show.feed or {}
    unknown = [str(k)[:30] for k in feed if k not in _FEED_KEYS]
    if unknown:
        raise PaperLedgeError(f"{where}: unknown setting {unknown[0]!r} in [feed]; known: {', '.join(_FEED_KEYS)}")
    return parse_alternates(feed.get("alternates", []), f"{where}: [feed] alternates")


def wanted_alternates(show: ShowSettings, given: tuple[str, ...] | None) -> tuple[str, ...]:
    """The alternates a season makes: those given (`--alternates`), else the show's."""
    return show_alternates(show) if given is None else given


def state_key(path: Path) -> str:
    """The season state's entry for an alternate: the digest of the MP3 it was made from."""
    return f"alternate:{path.name}"


def missing_or_stale(mp3: Path, names: tuple[str, ...], state: dict[str, str], digest: str) -> list[Kind]:
    """The alternates to make: those not there, or made from another MP3."""
    kinds = [KINDS[n] for n in names]
    return [k for k in kinds if not (p := mp3.with_suffix(k.suffix)).is_file() or state.get(state_key(p)) != digest]


def season_alternates(
    mp3: Path,
    names: tuple[str, ...],
    state: dict[str, str],
    report,
    stages=None,
    show: ShowSettings | None = None,
    sign: bool = True,
) -> None:
    """A season's alternates of one episode, made where needed; the state is saved after each."""
    if not names or not missing_or_stale(mp3, names, state, digest := sha256_file(mp3)):
        return
    if stages:
        stages("alternates")
    report.alternates += make_alternates(mp3, names, state, digest=digest, show=show, sign=sign)


def make_alternates(
    mp3: Path,
    names: tuple[str, ...],
    state: dict[str, str],
    config: RenderConfig = RenderConfig(),
    digest: str | None = None,
    show: ShowSettings | None = None,
    sign: bool = True,
) -> list[Path]:
    """Make the alternates of `mp3` that are missing or were made from another MP3, and note each
    in `state`, saved beside it once each is made. Returns those made."""
    made = []
    digest = digest or sha256_file(mp3)
    for kind in missing_or_stale(mp3, names, state, digest):
        path = make_alternate(mp3, kind, config, show, sign)
        state[state_key(path)] = digest
        write_atomic(mp3.parent / SEASON_STATE, json.dumps(state, indent=1, sort_keys=True).encode())
        made.append(path)
    return made


def make_alternate(
    mp3: Path, kind: Kind, config: RenderConfig = RenderConfig(), show: ShowSettings | None = None, sign: bool = True
) -> Path:
    """EPISODE.m4a or EPISODE.opus from the finished MP3, proved before it takes its name. A lossy
    encoder's ringing may lift the true peak over the ceiling: then it is encoded once more with
    the MP3's peaks limited by as much as the first encode overshot."""
    out = mp3.with_suffix(kind.suffix)
    tmp = temp_beside(out, f"{kind.suffix}.part")
    try:
        limit = None
        for _ in range(2):
            _encode(mp3, tmp, kind, out, limit)
            problem, overshoot = _problem(mp3, tmp, config)
            if problem is None:
                break
            if overshoot is None or limit is not None:
                raise RenderError(f"{out}: not written: {problem}")
            limit = config.master.true_peak_dbtp - overshoot - PEAK_MARGIN_DB
        if kind.name == "aac":  # signed before it takes its name (Ogg Opus has no C2PA binding yet)
            sign_derived(tmp, mp3, show or load_settings(mp3.parent), sign, label=out)
        with checked_write(out):
            tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _encode(mp3: Path, tmp: Path, kind: Kind, out: Path, limit_dbfs: float | None = None) -> None:
    comment = mp3_comment(mp3)
    if limit_dbfs is not None:
        extra = ["-af", f"alimiter=limit={10 ** (limit_dbfs / 20):.4f}:attack=1:release=50:level=false"]
    else:
        extra = []
    extra += ["-metadata", f"description={comment}"] if comment and kind.name == "aac" else []
    cover = ["-map", "0:v:0?", "-c:v", "copy", "-disposition:v:0", "attached_pic"] if kind.name == "aac" else []
    if kind.name == "opus":  # ffmpeg 5's Ogg writer rounds a chapter's seconds up: its comments are written here
        chapters = [
            "-map_chapters",
            "-1",
            *[
                arg
                for n, (start, title) in enumerate(mp3_chapters(mp3) or [])
                for arg in ("-metadata", f"CHAPTER{n:03d}={_clock(start)}", "-metadata", f"CHAPTER{n:03d}NAME={title}")
            ],
        ]
    else:
        chapters = ["-map_chapters", "1"]
    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-nostdin",
        "-y",
        "-i",
        f"file:{mp3}",
        "-f",
        "ffmetadata",
        "-i",
        "pipe:0",
        "-map",
        "0:a:0",
        *cover,
        "-map_metadata",
        "0",
        *chapters,
        *extra,
        *kind.encoder,
        f"file:{tmp}",
    ]
    try:
        with checked_write(out):
            proc = subprocess.run(cmd, input=_ffmetadata(mp3).encode(), capture_output=True)
    except FileNotFoundError:
        raise RenderError(f"{out}: not written: ffmpeg is gone") from None
    if proc.returncode < 0:
        raise RenderError(f"{out}: not written: ffmpeg was stopped by signal {-proc.returncode} while encoding {kind.title}")
    if proc.returncode != 0:
        tail = (proc.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RenderError(f"{out}: not written: ffmpeg could not encode {kind.title} ({tail[:200]})")


def _ffmetadata(mp3: Path) -> str:
    """The MP3's chapters in ffmpeg's metadata format, at the CHAP frames' own times."""
    chapters = mp3_chapters(mp3) or []
    seconds = mp3_seconds(mp3) or 0.0
    end_ms = int(seconds * 1000)
    lines = [";FFMETADATA1"]
    for n, (start, title) in enumerate(chapters):
        end = int(chapters[n + 1][0] * 1000) if n + 1 < len(chapters) else max(end_ms, int(start * 1000) + 1)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(start * 1000)}", f"END={end}", f"title={_escape(title)}"]
    return "\n".join(lines) + "\n"


def _clock(seconds: float) -> str:
    """HH:MM:SS.mmm, as Vorbis comment chapters write a time."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _escape(text: str) -> str:
    """ffmetadata's escapes: a backslash before each of = ; # \\ and newline."""
    return "".join("\\" + c if c in "=;#\\\n" else c for c in text)


def _problem(mp3: Path, alt: Path, config: RenderConfig) -> tuple[str | None, float | None]:
    """Why the alternate may not be published (not whole, not as long, not as loud, or over the
    ceiling), or None; and by how much the encode lifted the MP3's true peak, when that is why."""
    from .validate_alternates import alternate_problem

    problem = alternate_problem(alt, mp3)
    if problem:
        return problem, None
    ours, theirs = _loudness(alt), _loudness(mp3)
    if abs(ours.integrated_lufs - theirs.integrated_lufs) > LOUDNESS_SLACK_LU:
        return (
            f"its loudness is {ours.integrated_lufs:.1f} LUFS but the MP3's {theirs.integrated_lufs:.1f} "
            f"(over {LOUDNESS_SLACK_LU} LU apart)"
        ), None
    if ours.true_peak_dbtp > config.master.true_peak_dbtp:
        return (
            f"its true peak is {ours.true_peak_dbtp:.1f} dBTP, over the show's ceiling of {config.master.true_peak_dbtp:.1f}"
        ), max(0.0, ours.true_peak_dbtp - theirs.true_peak_dbtp)
    return None, None


def _loudness(path: Path):
    proc = subprocess.run(measure_command(str(path)), capture_output=True)
    return parse_measurement(proc.stderr.decode(errors="replace"), proc.returncode, str(path))


@dataclass(frozen=True)
class Alternate:
    """An alternate as the feed lists it (episode facts keep these, so the feed reads no audio)."""

    path: Path
    mime: str
    bitrate: int
    length: int
    title: str
    codecs: str


def add_alternates(node: ET.Element, show: ShowSettings, alternates: list[Alternate]) -> None:
    """Each alternate as a podcast:alternateEnclosure with its podcast:source. None is `default`:
    the enclosure (the MP3) stays what an app plays first."""
    for alt in alternates:
        attrs = {
            "type": alt.mime,
            "length": str(alt.length),
            "bitrate": str(alt.bitrate),
            "title": alt.title,
            "codecs": alt.codecs,
        }
        element = ET.SubElement(node, f"{{{_PODCAST_NS}}}alternateEnclosure", {k: plain(v) for k, v in attrs.items()})
        ET.SubElement(element, f"{{{_PODCAST_NS}}}source", {"uri": plain(show.url_for(alt.path))})
