"""A feed.xml as Apple Podcasts, Spotify and the Podcast Index read it, checked against the
files published beside it (each enclosure and sidecar is found in the feed's folder by name)."""

from __future__ import annotations

import email.utils
import json
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlparse

from mutagen import MutagenError

from .feed import AI_DISCLOSURE_PURPOSE, ATOM_NS, AUDIO_TYPE, CHAPTERS_TYPE, GUID_LEDGER, ITUNES_NS, PLACEHOLDER_BASE_URL, PODCAST_NS, SRT_TYPE, TRANSCRIPT_TYPE
from .feed_categories import category_problem
from .validate_problem import WARNING, Problem

LEDGER = GUID_LEDGER
TRANSCRIPT_TYPES = {".vtt": TRANSCRIPT_TYPE, ".srt": SRT_TYPE}
_RFC2822 = re.compile(
    r"^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d\d:\d\d(?::\d\d)? (?:[+-]\d{4}|GMT|UT|[ECMP][SD]T)$"
)


def _it(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def rfc2822_problem(text: str | None) -> str | None:
    if not text or not _RFC2822.match(text.strip()):
        return f"{(text or '').strip()[:40]!r} is not an RFC 2822 date (e.g. 'Mon, 07 Apr 2025 12:00:00 +0000')"
    try:
        email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return f"{text.strip()[:40]!r} is not a real date"
    return None


def parse_duration(text: str) -> float | None:
    """itunes:duration: seconds, MM:SS or HH:MM:SS."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(re.fullmatch(r"\d+(\.\d+)?", p) for p in parts):
        return None
    total = 0.0
    for p in parts:
        total = total * 60 + float(p)
    return total


def _local(feed: Path, url: str | None) -> Path | None:
    """The published file a URL names, in the feed's folder (by its name)."""
    if not url:
        return None
    name = unquote(Path(urlparse(url).path).name)
    return feed.parent / name if name else None


def _channel(feed: Path, channel: ET.Element, out: list[Problem]) -> None:
    for tag in ("title", "description", "link", "language"):
        if not (channel.findtext(tag) or "").strip():
            out.append(Problem(feed, f"the channel has no <{tag}>: add it (show.toml)"))
    image = channel.find(_it("image"))
    if image is None or not image.get("href"):
        out.append(Problem(feed, "no itunes:image: Apple refuses a show without cover art; set image_url in show.toml"))
    explicit = channel.findtext(_it("explicit"))
    if explicit not in ("true", "false"):
        out.append(Problem(feed, f"itunes:explicit is {explicit!r}: Apple takes only 'true' or 'false'"))
    categories = channel.findall(_it("category"))
    if not categories:
        out.append(Problem(feed, "no itunes:category: set category in show.toml"))
    for cat in categories:
        subs = cat.findall(_it("category")) or [None]
        for sub in subs:
            problem = category_problem(cat.get("text", ""), None if sub is None else sub.get("text", ""))
            if problem:
                out.append(Problem(feed, f"{problem} (show.toml)"))
    guid = channel.findtext(_pc("guid"))
    if not guid:
        out.append(Problem(feed, "no podcast:guid: the Podcast Index cannot follow the show across hosts", WARNING))
    else:
        try:
            uuid.UUID(guid.strip())
        except ValueError:
            out.append(Problem(feed, f"podcast:guid {guid.strip()[:40]!r} is not a UUID"))
    if channel.find(f"{{{ATOM_NS}}}link") is None:
        out.append(Problem(feed, "no atom:link rel=self: directories cannot tell where the feed lives", WARNING))
    if not any(t.get("purpose") == AI_DISCLOSURE_PURPOSE for t in channel.findall(_pc("txt"))):
        out.append(Problem(feed, "no podcast:txt disclosure that the voice is synthetic (ai_disclosure in show.toml)",
                           WARNING))
    built = channel.findtext("lastBuildDate")
    if built is not None and (problem := rfc2822_problem(built)):
        out.append(Problem(feed, f"lastBuildDate: {problem}"))


def _ledger(feed: Path) -> dict:
    try:
        data = json.loads((feed.parent / LEDGER).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _item(feed: Path, item: ET.Element, n: int, guids: dict[str, str], ledger: dict, out: list[Problem]) -> None:
    title = " ".join((item.findtext("title") or "").split())
    label = f"item {n} ({title[:50]})" if title else f"item {n}"
    if not title:
        out.append(Problem(feed, f"{label} has no <title>"))
    enclosure = item.find("enclosure")
    mp3 = None
    if enclosure is None:
        out.append(Problem(feed, f"{label} has no <enclosure>: there is nothing to play"))
    else:
        url = enclosure.get("url", "")
        if enclosure.get("type") != AUDIO_TYPE:
            out.append(Problem(feed, f"{label}: enclosure type {enclosure.get('type')!r} must be {AUDIO_TYPE!r}"))
        mp3 = _local(feed, url)
        length = enclosure.get("length", "")
        if mp3 is None or not mp3.is_file():
            out.append(Problem(feed, f"{label}: enclosure {url!r} names no file beside the feed: render it, or fix the URL"))
            mp3 = None
        elif not length.isdigit() or int(length) != mp3.stat().st_size:
            out.append(Problem(feed, f"{label}: enclosure length {length!r} is not {mp3.name}'s {mp3.stat().st_size} bytes "
                                     "(the length is in bytes): write the feed again"))
    guid = (item.findtext("guid") or "").strip()
    if not guid:
        out.append(Problem(feed, f"{label} has no <guid>: apps cannot tell episodes apart"))
    elif guid in guids:
        out.append(Problem(feed, f"{label}: GUID {guid} is also {guids[guid]}'s: every episode needs its own"))
    else:
        guids[guid] = label
        kept = ledger.get(mp3.name, {}).get("guid") if mp3 is not None and isinstance(ledger.get(mp3.name), dict) else None
        if kept and kept != guid:
            out.append(Problem(feed, f"{label}: GUID changed from {kept} to {guid}: every app would download the episode "
                                     f"again; restore it (the season's {LEDGER} keeps it)"))
    if problem := rfc2822_problem(item.findtext("pubDate")):
        out.append(Problem(feed, f"{label}: pubDate {problem}"))
    _item_duration(feed, item, label, mp3, out)
    explicit = item.findtext(_it("explicit"))
    if explicit is not None and explicit not in ("true", "false"):
        out.append(Problem(feed, f"{label}: itunes:explicit is {explicit!r}: Apple takes only 'true' or 'false'"))
    _item_sidecars(feed, item, label, out)
    if not (item.findtext("description") or "").strip():
        out.append(Problem(feed, f"{label} has no <description> (show notes)", WARNING))


def _item_duration(feed: Path, item: ET.Element, label: str, mp3: Path | None, out: list[Problem]) -> None:
    text = item.findtext(_it("duration"))
    if text is None:
        out.append(Problem(feed, f"{label} has no itunes:duration"))
        return
    seconds = parse_duration(text)
    if seconds is None:
        out.append(Problem(feed, f"{label}: itunes:duration {text!r} is not seconds or HH:MM:SS"))
        return
    if mp3 is None:
        return
    from mutagen.mp3 import MP3

    try:
        real = MP3(mp3).info.length
    except (MutagenError, OSError):
        return  # the MP3's own check names it
    if abs(real - seconds) > 1.0:
        out.append(Problem(feed, f"{label}: itunes:duration {text} but {mp3.name} plays {real:.1f} s: write the feed again"))


def _item_sidecars(feed: Path, item: ET.Element, label: str, out: list[Problem]) -> None:
    transcripts = item.findall(_pc("transcript"))
    if not transcripts:
        out.append(Problem(feed, f"{label} lists no podcast:transcript", WARNING))
    for t in transcripts:
        url, kind = t.get("url", ""), t.get("type", "")
        want = TRANSCRIPT_TYPES.get(Path(urlparse(url).path).suffix.lower())
        if want and kind != want:
            out.append(Problem(feed, f"{label}: transcript {Path(url).name} has type {kind!r}; it must be {want!r}"))
        elif not want and kind not in ("text/html", "application/json", TRANSCRIPT_TYPE, SRT_TYPE):
            out.append(Problem(feed, f"{label}: transcript type {kind!r} is none a directory reads "
                                     f"({TRANSCRIPT_TYPE}, {SRT_TYPE})"))
        _present(feed, label, "transcript", url, out)
    for c in item.findall(_pc("chapters")):
        if c.get("type") != CHAPTERS_TYPE:
            out.append(Problem(feed, f"{label}: podcast:chapters type {c.get('type')!r} must be {CHAPTERS_TYPE!r}"))
        _present(feed, label, "chapters file", c.get("url", ""), out)


def _present(feed: Path, label: str, what: str, url: str, out: list[Problem]) -> None:
    local = _local(feed, url)
    if local is None or not local.is_file():
        out.append(Problem(feed, f"{label}: {what} {url!r} names no file beside the feed"))


def validate_feed(feed: Path) -> list[Problem]:
    """Every problem a directory would find in this feed, and in how it matches its files."""
    out: list[Problem] = []
    try:
        root = ET.parse(feed).getroot()
    except ET.ParseError as e:
        line, col = e.position
        return [Problem(feed, f"not well-formed XML (line {line}, column {col}): no app can read it; write the feed again")]
    except OSError as e:
        return [Problem(feed, f"cannot read ({e.strerror})")]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return [Problem(feed, "not an RSS 2.0 feed (<rss><channel>)")]
    _channel(feed, channel, out)
    guids: dict[str, str] = {}
    ledger = _ledger(feed)
    items = channel.findall("item")
    if not items:
        out.append(Problem(feed, "holds no episodes", WARNING))
    for n, item in enumerate(items, 1):
        _item(feed, item, n, guids, ledger, out)
    urls = [e.get("url", "") for e in channel.iter("enclosure")]
    if any(u.startswith(PLACEHOLDER_BASE_URL) for u in urls):
        base = next(u for u in urls if u.startswith(PLACEHOLDER_BASE_URL)).rsplit("/", 1)[0] + "/"
        out.append(Problem(feed, f"the episodes are at the placeholder {base}: set base_url = \"https://YOUR-HOST/PATH/\" "
                                 "in show.toml", WARNING))
    return out
