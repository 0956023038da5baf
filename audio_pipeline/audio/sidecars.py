"""Sidecar files beside the MP3: WebVTT and SRT transcripts, Podcasting 2.0 chapters JSON.

All read their times from the assembled timeline; nothing is re-derived.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

from ..config import COVER_MAX_BYTES, MAX_EPISODE_S
from ..errors import PaperLedgeError
from ..files import MAX_JSON_BYTES, Number, check_shape, parse_json, read_bytes, read_json, read_text, sha256_file, write_atomic
from ..settings import CONTROL, ZERO_WIDTH, url_problem
from .assemble import Timeline

CHAPTERS_VERSION = "1.2.0"

# A cue's text is plain text: in WebVTT "&" and "<" start markup (an entity, a tag), so they
# are written as character references; ">" too, as the WebVTT spec advises.
_VTT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_VTT_UNESCAPES = {v: k for k, v in _VTT_ESCAPES.items()}


def vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def voice_span(speaker: str, text: str) -> str:
    """A cue's (escaped) text with its speaker as a WebVTT voice span (`<v Maya>…`); as it is
    without a cast. A speaker's name holds no "<", ">" or "&" (cast.py)."""
    return f"<v {speaker}>{text}" if speaker else text


def srt_time(seconds: float) -> str:
    return vtt_time(seconds).replace(".", ",")


def cues(timeline: Timeline) -> list[tuple[float, float, str]]:
    """(start, end, text) per sentence, in the written form on one line."""
    return [(s.start, s.end, " ".join(s.written.split())) for s in timeline.sentences]


def vtt_text(text: str) -> str:
    """Cue text as WebVTT holds it: markup characters escaped, no "-->" (it would end the cue)."""
    text = re.sub("[&<>]", lambda m: _VTT_ESCAPES[m.group()], text)
    return text.replace("--&gt;", "→")


def srt_text(text: str) -> str:
    """Cue text for SRT, which has no escapes while its readers take <b>, <font ...> (or
    anything in angle brackets) and {\\an8} as markup: a "<" that would open a tag is
    written "‹" (U+2039), and a word joiner (U+2060, invisible) follows a "{" that would."""
    text = re.sub(r"<(?=[A-Za-z/!?])", "\u2039", text.replace("-->", "→"))
    return re.sub(r"\{(?=\\)", "{\u2060", text)


def transcript_vtt(timeline: Timeline) -> str:
    """One cue per sentence, in the sentence's written form."""
    lines = ["WEBVTT", ""]
    for n, s in enumerate(timeline.sentences, 1):
        text = vtt_text(" ".join(s.written.split()))
        lines += [str(n), f"{vtt_time(s.start)} --> {vtt_time(s.end)}", voice_span(s.speaker, text), ""]
    return "\n".join(lines)


def srt_from_cues(items: list[tuple[float, float, str]]) -> str:
    lines = []
    for n, (start, end, text) in enumerate(items, 1):
        lines += [str(n), f"{srt_time(start)} --> {srt_time(end)}", srt_text(text), ""]
    return "\n".join(lines)


def transcript_srt(timeline: Timeline) -> str:
    """The same cues as the WebVTT transcript, as SubRip (application/x-subrip)."""
    return srt_from_cues(cues(timeline))


_CUE_TIME = re.compile(r"^([0-9]{1,4}):([0-9]{2}):([0-9]{2})[.,]([0-9]{3}) --> ([0-9]{1,4}):([0-9]{2}):([0-9]{2})[.,]([0-9]{3})")


class CueError(PaperLedgeError, ValueError):
    """A transcript's cue that does not read as this module writes them."""


_VOICE_SPAN = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]*)>(.*?)(?:</v>)?$")


def cue_body(body: str) -> tuple[str, str]:
    """(speaker, text) of a cue's text as this module writes it: the voice span (`<v Maya>`)
    taken off ("" without one) and the character references decoded."""
    m = _VOICE_SPAN.fullmatch(body)
    speaker, body = (m.group(1).strip(), m.group(2)) if m else ("", body)
    return speaker, re.sub("&(amp|lt|gt);", lambda m: _VTT_UNESCAPES[m.group()], body)


def read_voiced_cues(text: str) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker, text) of each cue of a VTT or SRT transcript as this module
    writes them: the voice span's speaker ("" without one), character references decoded."""
    out = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip("\n").splitlines()
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        m = _CUE_TIME.match(lines[timing].strip())
        if not m:
            raise CueError(f"cue timing {ascii(lines[timing].strip()[:40])} does not parse")
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        out.append((start, end, *cue_body(" ".join(lines[timing + 1 :]))))
    return out


def read_cues(text: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue of a VTT or SRT transcript as this module writes them."""
    return [(start, end, body) for start, end, _, body in read_voiced_cues(text)]


def chapters_json(timeline: Timeline, title: str, images: dict[int, str] | None = None) -> str:
    """Podcasting 2.0 JSON chapters; `images`: chapter index -> its image's public URL (apps
    fetch an image by its address only, so a chapter without one carries no img)."""
    chapters = []
    for n, c in enumerate(timeline.chapters):
        entry = {"startTime": round(c.start, 3), "title": c.title}
        if images and n in images:
            entry["img"] = images[n]
        if getattr(c, "url", None):
            entry["url"] = c.url
        chapters.append(entry)
    return json.dumps({"version": CHAPTERS_VERSION, "title": title, "chapters": chapters}, indent=2, ensure_ascii=False) + "\n"


def chapter_image_path(mp3: Path, n: int, image: Path) -> Path:
    """Where chapter `n`'s image is published: beside the episode, named after it."""
    return mp3.with_name(f"{mp3.stem}.chapter{n + 1}{image.suffix.lower()}")


def sidecar_paths(mp3: Path) -> tuple[Path, Path]:
    """The WebVTT transcript and the chapters file."""
    return mp3.with_suffix(".vtt"), mp3.with_suffix(".chapters.json")


def srt_path(mp3: Path) -> Path:
    return mp3.with_suffix(".srt")


def all_sidecar_paths(mp3: Path) -> tuple[Path, Path, Path]:
    """Every file written beside the MP3: VTT, chapters JSON, SRT."""
    return (*sidecar_paths(mp3), srt_path(mp3))


def sidecar_texts(
    mp3: Path, timeline: Timeline, title: str, url_for: Callable[[Path], str] | None = None
) -> list[tuple[Path, str | bytes]]:
    """Each sidecar's path and contents (the render writes them beside the MP3), and a copy of
    each chapter's image, published beside it (`url_for`: a published file's URL, show.url_for;
    without it no image is copied or named)."""
    vtt, chapters = sidecar_paths(mp3)
    images: dict[int, str] = {}
    copies: list[tuple[Path, str | bytes]] = []
    for n, c in enumerate(timeline.chapters):
        img: Path | None = getattr(c, "img", None)
        if url_for is not None and img is not None:
            copy = chapter_image_path(mp3, n, img)
            copies.append((copy, read_bytes(img, "chapter image", limit=COVER_MAX_BYTES)))
            images[n] = url_for(copy)
    return [
        (vtt, transcript_vtt(timeline)),
        (chapters, chapters_json(timeline, title, images)),
        (srt_path(mp3), transcript_srt(timeline)),
        *copies,
    ]


def is_sidecar(path: Path) -> bool:
    """Whether `path` holds a sidecar as this module writes them (a regular file: a FIFO
    there is no sidecar, and is never waited on)."""
    try:
        text = read_text(path, "sidecar")
        if path.name.endswith(".chapters.json"):
            data = parse_json(text, str(path))
            return "version" in data and isinstance(data.get("chapters"), list)
    except PaperLedgeError:
        return False
    if path.suffix == ".srt":
        return bool(re.match(r"1\n\d+:\d\d:\d\d,\d{3} --> ", text))
    return text.startswith("WEBVTT")


# EPISODE.chapters.json as chapters_json writes it; a chapter starts within an episode's length.
_CHAPTERS_SHAPE = {
    "version": str,
    "title?": str,
    "chapters": [{"startTime": Number(0, MAX_EPISODE_S), "title": str, "img?": str, "url?": str}],
}


def parse_chapters(text: str, where: str) -> tuple[str | None, list[tuple[float, str]]]:
    """The title (None without one) and (start, title) of each chapter of a chapters file's
    text; anything else is one PaperLedgeError line naming `where`."""
    hint = "not a Podcasting 2.0 chapters file as render writes it; render the episode again"
    data = check_shape(parse_json(text, where), _CHAPTERS_SHAPE, where, hint=hint)
    chapters = [(float(c["startTime"]), c["title"]) for c in data["chapters"]]
    # Titles go on into the feed and the video as they are: what render never writes is refused.
    if not chapters:
        raise PaperLedgeError(f"{where}: lists no chapter; {hint}")
    for text_ in [data.get("title") or ""] + [t for _, t in chapters]:
        if CONTROL.search(text_) or ZERO_WIDTH.search(text_):
            raise PaperLedgeError(f"{where}: a title holds a control or invisible character; {hint}")
    return data.get("title"), chapters


def read_chapters(path: Path) -> tuple[str | None, list[tuple[float, str]]]:
    """`parse_chapters` of EPISODE.chapters.json, read as a regular file of bounded size."""
    return parse_chapters(read_text(path, "chapters", limit=MAX_JSON_BYTES), str(path))


def parse_chapter_links(text: str, where: str) -> list[tuple[str | None, str | None]]:
    """(img, url) of each chapter of a chapters file's text, each an http(s) address or None;
    a file that does not read as `parse_chapters` reads it, or a link no app could open, is
    one PaperLedgeError line naming `where`."""
    parse_chapters(text, where)
    links = []
    for c in parse_json(text, where)["chapters"]:
        for key in ("img", "url"):
            if c.get(key) is not None and (problem := url_problem(c[key])):
                raise PaperLedgeError(f"{where}: chapter {c['title'][:40]!r}: {key} {problem}; render the episode again")
        links.append((c.get("img"), c.get("url")))
    return links


def read_chapter_links(path: Path) -> list[tuple[str | None, str | None]]:
    """`parse_chapter_links` of EPISODE.chapters.json."""
    return parse_chapter_links(read_text(path, "chapters", limit=MAX_JSON_BYTES), str(path))


# ---- EPISODE.check.json, the review page and the takes: whose they are, and whether a check still holds

CHECK_MARK = "paperledge check: what was heard in the MP3 with this checksum"


def check_path(mp3: Path) -> Path:
    return Path(mp3).with_suffix(".check.json")


# EPISODE.check.json as listen.CheckReport.as_file writes it. The "?" fields are render --check's
# extras and what only the review page shows: a report without them still reads.
_SCORE = Number(0, 1e6)
_TIME = Number(0, MAX_EPISODE_S)
_COUNT = Number(0, 1e9, whole=True)
_REPORT_SHAPE = {
    "mp3_sha256": str,
    "wer": _SCORE,
    "failures?": [str],
    "findings?": [str],
    "model?": str,
    "first_wer?": _SCORE,
    "retaken?": [_COUNT],
    "fixes?": [str],
    "fixes_applied?": bool,
    "sentences": [
        {
            "index": Number(1, 1e9, whole=True),
            "start": _TIME,
            "end": _TIME,
            "written": str,
            "heard": str,
            "error": _SCORE,
            "flagged": bool,
            "score": _SCORE,
            "weakest": [[(str, float)]],
            "differs?": [str],
            "take?": _COUNT,
            "fix?": (str, type(None)),
            "note?": str,
        }
    ],
}


@dataclass(frozen=True)
class KeptSentence:
    """One sentence of a kept check: a VTT cue, as the check heard it."""

    index: int
    """Its number in EPISODE.vtt, from 1."""
    start: float
    end: float
    written: str
    heard: str
    """What the recogniser heard when asked freely; for a sentence not flagged, the written words."""
    error: float
    """Its word error rate."""
    flagged: bool
    score: float
    """Share of its words the audio makes likely."""
    weakest: tuple[tuple[str, float], ...]
    """Its least likely words, with their probabilities, lowest first."""
    differs: tuple[str, ...] = ()
    take: int = 0
    """The take in the episode (0: the first)."""
    fix: str | None = None
    """A lexicon line that made the recogniser hear the written word."""
    note: str = ""


@dataclass(frozen=True)
class KeptCheck:
    """What EPISODE.check.json says: the check of the MP3 with checksum `mp3_sha256`."""

    mp3_sha256: str
    wer: float
    sentences: tuple[KeptSentence, ...]
    failures: tuple[str, ...] = ()
    """The MP3 does not match its transcript: a check with failures fails whatever the WER."""
    findings: tuple[str, ...] = ()
    """Speech outside every cue."""
    model: str = ""
    """The recogniser that listened."""
    first_wer: float | None = None
    """render --check: the WER of the first render, before retakes and fixes."""
    retaken: tuple[int, ...] = ()
    """render --check: the sentences whose take was changed."""
    fixes: tuple[str, ...] = ()
    """render --check: the lexicon lines found."""
    fixes_applied: bool = False
    """render --check --fix: the fixes are in this render."""

    @property
    def flagged(self) -> tuple[KeptSentence, ...]:
        return tuple(s for s in self.sentences if s.flagged)


def _pair(item: list, where: str) -> tuple[str, float]:
    if len(item) != 2 or not isinstance(item[0], str) or isinstance(item[1], str):
        raise PaperLedgeError(f"{where}: a weakest word must be [word, probability]; not a file this tool wrote")
    return item[0], float(item[1])


def parse_check(data: object, where: str) -> KeptCheck:
    """A check report (parsed JSON) as a KeptCheck, or one PaperLedgeError naming `where`."""
    d = check_shape(data, _REPORT_SHAPE, where)
    sentences = tuple(
        KeptSentence(
            s["index"],
            float(s["start"]),
            float(s["end"]),
            s["written"],
            s["heard"],
            float(s["error"]),
            s["flagged"],
            float(s["score"]),
            tuple(_pair(w, where) for w in s["weakest"]),
            tuple(s.get("differs", ())),
            s.get("take", 0),
            s.get("fix"),
            s.get("note", ""),
        )
        for s in d["sentences"]
    )
    first = d.get("first_wer")
    return KeptCheck(
        d["mp3_sha256"],
        float(d["wer"]),
        sentences,
        tuple(d.get("failures", ())),
        tuple(d.get("findings", ())),
        d.get("model", ""),
        None if first is None else float(first),
        tuple(d.get("retaken", ())),
        tuple(d.get("fixes", ())),
        d.get("fixes_applied", False),
    )


def read_check(mp3: Path) -> KeptCheck | None:
    """EPISODE.check.json beside `mp3` if it heard this very MP3 and found it whole; else None.
    The report is the check's result kept for later: one that cannot be read, or is not of
    the shape the check writes, counts as no check (a season with --check checks again)."""
    path = check_path(mp3)
    try:
        kept = parse_check(read_json(path, "check report"), str(path))
        if kept.mp3_sha256 != sha256_file(Path(mp3)) or kept.failures:
            return None
    except (PaperLedgeError, OSError):
        return None
    return kept


def void_check(mp3: Path) -> None:
    """A new MP3 at this path: the check and review page of the old one go (if ours)."""
    for path in (check_path(mp3), Path(mp3).with_suffix(".review.html")):
        if path.is_file() and not path.is_symlink() and ours(path):
            path.unlink(missing_ok=True)


def ours(path: Path) -> bool:
    """Whether `path` (a check file, review page or takes file) was written by paperledge."""
    try:
        text = read_text(path, "review page" if path.name.endswith(".html") else "report")
        if path.name.endswith(".review.html"):
            return '<meta name="generator" content="paperledge review">' in text or "<header><h1>Review: " in text
        data = parse_json(text, str(path))
    except PaperLedgeError:
        return False
    if path.name.endswith(".takes.json"):
        return isinstance(data.get("takes"), dict) and "about" in data
    return isinstance(data.get("sentences"), list) and "wer" in data


def refuse_foreign(mp3: Path) -> None:
    """Refuse to replace a check file, review page or takes file that is not ours."""
    for suffix in (".check.json", ".review.html", ".takes.json"):
        path = Path(mp3).with_suffix(suffix)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise PaperLedgeError(f"{path} exists and is not a regular file; refusing to replace it, choose another -o")
        if path.is_file() and path.stat().st_size and not ours(path):
            raise PaperLedgeError(f"{path} exists and was not written by paperledge; move it away or choose another -o")


class _Report(Protocol):
    def as_file(self, extra: dict | None = None) -> dict: ...


def write_check_json(path: Path, report: _Report, extra: dict | None = None) -> KeptCheck:
    """`report` (a check.CheckReport) as EPISODE.check.json; returns what it keeps, as
    `read_check` reads it (the review page is drawn from that)."""
    text = json.dumps(report.as_file(extra), indent=1, ensure_ascii=False) + "\n"
    write_atomic(path, text)
    return parse_check(parse_json(text, str(path)), str(path))
