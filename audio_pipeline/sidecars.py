"""Sidecar files beside the MP3: WebVTT transcript and Podcasting 2.0 chapters JSON.

Both read their times from the assembled timeline; nothing is re-derived.
"""

from __future__ import annotations

import json
from pathlib import Path

from .assemble import Timeline

CHAPTERS_VERSION = "1.2.0"


def vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def voice_span(speaker: str, text: str) -> str:
    """A cue's text with its speaker as a WebVTT voice span (`<v Maya>…`); as it is without a cast."""
    if not speaker:
        return text
    # A speaker's name holds no "<", ">" or "&" (cast.py); the cue text's own are escaped.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<v {speaker}>{escaped}"


def transcript_vtt(timeline: Timeline) -> str:
    """One cue per sentence, in the sentence's written form."""
    lines = ["WEBVTT", ""]
    for n, s in enumerate(timeline.sentences, 1):
        # "-->" cannot appear in a cue's text; blank lines would end the cue.
        text = " ".join(s.written.replace("-->", "→").split())
        lines += [str(n), f"{vtt_time(s.start)} --> {vtt_time(s.end)}", voice_span(s.speaker, text), ""]
    return "\n".join(lines)


def chapters_json(timeline: Timeline, title: str) -> str:
    chapters = [{"startTime": round(c.start, 3), "title": c.title} for c in timeline.chapters]
    return json.dumps({"version": CHAPTERS_VERSION, "title": title, "chapters": chapters}, indent=2, ensure_ascii=False) + "\n"


def sidecar_paths(mp3: Path) -> tuple[Path, Path]:
    return mp3.with_suffix(".vtt"), mp3.with_suffix(".chapters.json")


def sidecar_texts(mp3: Path, timeline: Timeline, title: str) -> list[tuple[Path, str]]:
    """Each sidecar's path and contents (the render writes them beside the MP3)."""
    vtt, chapters = sidecar_paths(mp3)
    return [(vtt, transcript_vtt(timeline)), (chapters, chapters_json(timeline, title))]


def is_sidecar(path: Path) -> bool:
    """Whether `path` holds a sidecar as this module writes them."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.name.endswith(".chapters.json"):
            data = json.loads(text)
            return isinstance(data, dict) and "version" in data and isinstance(data.get("chapters"), list)
        return text.startswith("WEBVTT")
    except (OSError, UnicodeDecodeError, ValueError):
        return False
