"""A feed.xml as Apple Podcasts, Spotify and the Podcast Index read it, checked against the
files published beside it (each enclosure and sidecar is found in the feed's folder by name)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlparse

from ..config import FEED_FUTURE_ERROR_DAYS, FEED_FUTURE_WARN_DAYS, MAX_FEED_BYTES
from ..errors import PaperLedgeError
from ..files import read_bytes
from ..script.soundbite import MAX_SOUNDBITE_S
from .feed import (
    AI_CONTENT_PURPOSE,
    ATOM_NS,
    AUDIO_TYPE,
    CHAPTERS_TYPE,
    GUID_LEDGER,
    ITUNES_NS,
    PLACEHOLDER_BASE_URL,
    PODCAST_NS,
    SRT_TYPE,
    TRANSCRIPT_TYPE,
    VIDEO_TYPE,
)
from .feed_categories import category_problem
from .feed_chapters import PSC_NS
from .ledger import read_ledger
from .validate_mp3 import mp3_seconds
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


def local_file(feed: Path, url: str | None) -> tuple[Path | None, str]:
    """The published file a URL names, in the feed's folder (by its name), or None and why not:
    a name that decodes to a path (%2E%2E%2F is ../) never leads out of the folder."""
    url = url or ""
    name = unquote(urlparse(url).path.rsplit("/", 1)[-1])
    if not name:
        return None, ""
    folder = feed.parent.resolve()
    if name in (".", "..") or any(c in name for c in "/\\\0") or not (folder / name).resolve().is_relative_to(folder):
        return None, f"{url[:80]!r} leads out of the feed's folder: name the file itself"
    return feed.parent / name, ""


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
        subs: list[ET.Element | None] = [*cat.findall(_it("category"))] or [None]
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
    answer = ai_content_answer(feed, channel, "the channel", out)
    items = [ai_content_answer(feed, item, _label(item, n), []) for n, item in enumerate(channel.findall("item"), 1)]
    if answer is False and True in items:
        out.append(
            Problem(feed, "the channel's podcast:txt ai-content says false while an episode's says true: write the feed again")
        )
    built = channel.findtext("lastBuildDate")
    if built is not None and (problem := rfc2822_problem(built)):
        out.append(Problem(feed, f"lastBuildDate: {problem}"))


def _ledger(feed: Path) -> dict:
    return read_ledger(feed.parent)  # a damaged ledger is one line naming it


def _label(item: ET.Element, n: int) -> str:
    title = " ".join((item.findtext("title") or "").split())
    return f"item {n} ({title[:50]})" if title else f"item {n}"


def _number(feed: Path, item: ET.Element, n: int, numbers: dict[tuple[str, str], str], out: list[Problem]) -> None:
    """Two items with one season and episode number: apps list and sort them as one."""
    episode = (item.findtext(_it("episode")) or "").strip()
    if not episode:
        return
    key = ((item.findtext(_it("season")) or "").strip(), episode)
    label = _label(item, n)
    if key in numbers:
        season = f"season {key[0][:10]} " if key[0] else ""
        out.append(
            Problem(
                feed, f"{label}: {season}episode {episode[:10]} is also {numbers[key]}'s: renumber one ('episode:' in its script)"
            )
        )
    else:
        numbers[key] = label


def _item(
    feed: Path,
    item: ET.Element,
    n: int,
    guids: dict[str, str],
    ledger: tuple[dict, dict],
    out: list[Problem],
    seconds: Callable[[Path], float | None] = mp3_seconds,
) -> None:
    """`ledger`: the season's GUID ledger (MP3 name -> entry) and GUID -> the MP3 names it gives it to."""
    entries, owners = ledger
    title = " ".join((item.findtext("title") or "").split())
    label = _label(item, n)
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
        mp3, outside = local_file(feed, url)
        length = enclosure.get("length", "")
        if outside:
            out.append(Problem(feed, f"{label}: enclosure {outside}"))
        elif mp3 is None or not mp3.is_file():
            out.append(Problem(feed, f"{label}: enclosure {url[:80]!r} names no file beside the feed: render it, or fix the URL"))
            mp3 = None
        # ASCII digits only: "²" is a digit to str.isdigit but not to int(), and int() refuses 5,000 digits
        elif not re.fullmatch(r"[0-9]{1,15}", length) or int(length) != mp3.stat().st_size:
            out.append(
                Problem(
                    feed,
                    f"{label}: enclosure length {length[:20]!r} is not {mp3.name}'s {mp3.stat().st_size} "
                    "bytes (the length is in bytes): write the feed again",
                )
            )
        if outside:
            mp3 = None
    guid = (item.findtext("guid") or "").strip()
    if not guid:
        out.append(Problem(feed, f"{label} has no <guid>: apps cannot tell episodes apart"))
    elif guid in guids:
        out.append(Problem(feed, f"{label}: GUID {guid} is also {guids[guid]}'s: every episode needs its own"))
    else:
        guids[guid] = label
        kept = entries.get(mp3.name, {}).get("guid") if mp3 is not None and isinstance(entries.get(mp3.name), dict) else None
        names = owners.get(guid, [])
        if kept and kept != guid:
            out.append(
                Problem(
                    feed,
                    f"{label}: GUID changed from {kept} to {guid}: every app would download the episode "
                    f"again; restore it (the season's {LEDGER} keeps it)",
                )
            )
        elif mp3 is not None and names and mp3.name not in names:
            out.append(
                Problem(
                    feed,
                    f"{label}: GUID {guid} belongs to {names[0][:80]} (the season's {LEDGER}): a GUID "
                    "is one episode's for ever, and apps would show this one as that one",
                )
            )
        elif len(names) > 1:
            out.append(
                Problem(
                    feed,
                    f"{label}: the season's {LEDGER} gives GUID {guid} to {len(names)} episodes "
                    f"({', '.join(n[:40] for n in names[:3])}): a GUID is one episode's for ever",
                )
            )
    published = item.findtext("pubDate")
    if problem := rfc2822_problem(published):
        out.append(Problem(feed, f"{label}: pubDate {problem}"))
    elif published is not None:  # an RFC 2822 date
        _future(feed, label, published, out)
    real = seconds(mp3) if mp3 is not None else None
    _item_duration(feed, item, label, mp3, real, out)
    explicit = item.findtext(_it("explicit"))
    if explicit is not None and explicit not in ("true", "false"):
        out.append(Problem(feed, f"{label}: itunes:explicit is {explicit!r}: Apple takes only 'true' or 'false'"))
    _item_sidecars(feed, item, label, out)
    ai_content_answer(feed, item, label, out)
    _item_psc(feed, item, label, out)
    _item_video(feed, item, label, out)
    _item_soundbite(feed, item, label, mp3, real, out)
    if not (item.findtext("description") or "").strip():
        out.append(Problem(feed, f"{label} has no <description> (show notes)", WARNING))


def _future(feed: Path, label: str, text: str, out: list[Problem]) -> None:
    """A pubDate ahead of now: apps show the episode at once, dated in the future and first in the
    list, so a day or more ahead is a warning, and more than a year (2099) an error."""
    when = email.utils.parsedate_to_datetime(text.strip())
    if when.tzinfo is None:  # "-0000": UTC, its offset unknown
        when = when.replace(tzinfo=dt.timezone.utc)
    ahead = when - dt.datetime.now(dt.timezone.utc)
    if ahead > dt.timedelta(days=FEED_FUTURE_ERROR_DAYS):
        out.append(
            Problem(feed, f"{label}: pubDate {text.strip()[:40]} is more than a year ahead: fix the date (date: in the script)")
        )
    elif ahead > dt.timedelta(days=FEED_FUTURE_WARN_DAYS):
        out.append(
            Problem(
                feed,
                f"{label}: pubDate {text.strip()[:40]} is in the future: apps show the episode now, "
                "dated ahead; publish the feed on that day",
                WARNING,
            )
        )


def _item_duration(feed: Path, item: ET.Element, label: str, mp3: Path | None, real: float | None, out: list[Problem]) -> None:
    """`real`: the MP3's length as apps read it (None: no MP3, or its own check names it)."""
    text = item.findtext(_it("duration"))
    if text is None:
        out.append(Problem(feed, f"{label} has no itunes:duration"))
        return
    seconds = parse_duration(text)
    if seconds is None:
        out.append(Problem(feed, f"{label}: itunes:duration {text!r} is not seconds or HH:MM:SS"))
        return
    if mp3 is None or real is None:
        return
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
            out.append(
                Problem(feed, f"{label}: transcript type {kind!r} is none a directory reads ({TRANSCRIPT_TYPE}, {SRT_TYPE})")
            )
        _present(feed, label, "transcript", url, out)
    for c in item.findall(_pc("chapters")):
        if c.get("type") != CHAPTERS_TYPE:
            out.append(Problem(feed, f"{label}: podcast:chapters type {c.get('type')!r} must be {CHAPTERS_TYPE!r}"))
        _present(feed, label, "chapters file", c.get("url", ""), out)


def _item_video(feed: Path, item: ET.Element, label: str, out: list[Problem]) -> None:
    """Each video alternate: its type, a podcast:source that names a file beside the feed, and
    that file's length in bytes (an app sizes its download by it)."""
    for alt in item.findall(_pc("alternateEnclosure")):
        kind = alt.get("type", "")
        sources = alt.findall(_pc("source"))
        if not kind:
            out.append(Problem(feed, f"{label}: a podcast:alternateEnclosure has no type; give its MIME type ({VIDEO_TYPE})"))
        if not sources:
            out.append(
                Problem(
                    feed,
                    f"{label}: podcast:alternateEnclosure {kind[:30]!r} has no podcast:source: there is "
                    "nothing to fetch; write the feed again",
                )
            )
        for source in sources:
            uri = source.get("uri", "")
            local, outside = local_file(feed, uri)
            if outside:
                out.append(Problem(feed, f"{label}: video {outside}"))
            elif local is None or not local.is_file():
                out.append(
                    Problem(
                        feed,
                        f"{label}: video {uri[:80]!r} names no file beside the feed: make it "
                        "(paperledge video EPISODE.mp3), or write the feed again",
                    )
                )
            elif kind == VIDEO_TYPE and local.suffix.lower() != ".mp4":
                out.append(Problem(feed, f"{label}: video {local.name[:60]} is listed as {VIDEO_TYPE} but is no .mp4"))
            else:
                length, size = alt.get("length", ""), local.stat().st_size
                if not re.fullmatch(r"[0-9]{1,15}", length) or int(length) != size:
                    out.append(
                        Problem(
                            feed,
                            f"{label}: video length {length[:20]!r} is not {local.name}'s {size} bytes "
                            "(the length is in bytes): write the feed again",
                        )
                    )


def _item_soundbite(feed: Path, item: ET.Element, label: str, mp3: Path | None, real: float | None, out: list[Problem]) -> None:
    """Each podcast:soundbite: two numbers of seconds, at most a minute, inside the episode."""
    for bite in item.findall(_pc("soundbite")):
        start, duration = parse_seconds(bite.get("startTime")), parse_seconds(bite.get("duration"))
        if start is None or duration is None or duration <= 0:
            out.append(
                Problem(
                    feed,
                    f"{label}: podcast:soundbite needs startTime and duration in seconds, not "
                    f"{str(bite.get('startTime'))[:20]!r} and {str(bite.get('duration'))[:20]!r}",
                )
            )
            continue
        if duration > MAX_SOUNDBITE_S:
            out.append(
                Problem(
                    feed,
                    f"{label}: podcast:soundbite lasts {duration:g} s; apps take at most "
                    f"{MAX_SOUNDBITE_S:g} s ('soundbite:' in the script)",
                    WARNING,
                )
            )
        if mp3 is not None and real is not None and start + duration > real + 0.5:
            out.append(
                Problem(
                    feed,
                    f"{label}: podcast:soundbite ends at {start + duration:.1f} s, past the end of "
                    f"{mp3.name} ({real:.1f} s): fix 'soundbite:' in the script",
                )
            )


def ai_content_answer(feed: Path, node: ET.Element, label: str, out: list[Problem]) -> bool | None:
    """The podcast:txt purpose="ai-content" answer of a channel or item (None: not answered);
    anything but one "true" or "false" is an error."""
    texts = [(t.text or "").strip() for t in node.findall(_pc("txt")) if t.get("purpose") == AI_CONTENT_PURPOSE]
    if len(texts) > 1:
        out.append(Problem(feed, f"{label} has {len(texts)} podcast:txt ai-content tags; apps read one"))
    if texts and texts[0] not in ("true", "false"):
        out.append(
            Problem(
                feed,
                f"{label}: podcast:txt ai-content is {texts[0][:20]!r}; it takes only 'true' or "
                "'false' (ai_content in show.toml or the script)",
            )
        )
        return None
    return texts[0] == "true" if texts else None


_PSC_START = re.compile(r"([0-9]{1,3}:)?[0-9]{1,2}:[0-9]{2}(\.[0-9]{1,3})?|[0-9]{1,7}(\.[0-9]{1,3})?")


def _item_psc(feed: Path, item: ET.Element, label: str, out: list[Problem]) -> None:
    """Podlove Simple Chapters: each chapter a normal-play-time start and a title, in order."""
    for chapters in item.findall(f"{{{PSC_NS}}}chapters"):
        starts = []
        for c in chapters.findall(f"{{{PSC_NS}}}chapter"):
            start = c.get("start", "")
            if not _PSC_START.fullmatch(start) or not (c.get("title") or "").strip():
                out.append(Problem(feed, f"{label}: psc:chapter {start[:20]!r} needs a start (HH:MM:SS.mmm) and a title"))
                return
            starts.append(sum(float(p) * 60**i for i, p in enumerate(reversed(start.split(":")))))
            if image := c.get("image"):  # copied beside the episode by the render
                _present(feed, label, "chapter image", image, out)
        if starts != sorted(starts):
            out.append(Problem(feed, f"{label}: psc:chapters are out of order; write the feed again"))


def parse_seconds(text: str | None) -> float | None:
    """A non-negative number of seconds (a podcast:soundbite attribute), else None."""
    if not text or not re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,6})?", text.strip()):
        return None
    return float(text)


def _present(feed: Path, label: str, what: str, url: str, out: list[Problem]) -> None:
    local, outside = local_file(feed, url)
    if outside:
        out.append(Problem(feed, f"{label}: {what} {outside}"))
    elif local is None or not local.is_file():
        out.append(Problem(feed, f"{label}: {what} {url[:80]!r} names no file beside the feed"))


def validate_feed(feed: Path, seconds: Callable[[Path], float | None] = mp3_seconds) -> list[Problem]:
    """Every problem a directory would find in this feed, and in how it matches its files.
    `seconds`: an MP3's length as apps read it (a season folder's check knows it already)."""
    out: list[Problem] = []
    try:
        # Read whole and parsed in one call: expat fed in chunks is quadratic on one huge attribute.
        root = ET.fromstring(read_bytes(feed, "feed", limit=MAX_FEED_BYTES))
    except ET.ParseError as e:
        line, col = e.position
        return [Problem(feed, f"not well-formed XML (line {line}, column {col}): no app can read it; write the feed again")]
    except PaperLedgeError as e:
        return [Problem(feed, str(e).removeprefix(f"{feed}: "))]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        return [Problem(feed, "not an RSS 2.0 feed (<rss><channel>)")]
    _channel(feed, channel, out)
    guids: dict[str, str] = {}
    try:
        ledger = _ledger(feed)
    except PaperLedgeError as e:
        out.append(Problem(feed.parent / LEDGER, str(e).removeprefix(f"{feed.parent / LEDGER}: ")))
        ledger = {}
    items = channel.findall("item")
    if not items:
        out.append(
            Problem(
                feed,
                "holds no episodes: directories refuse an empty feed; render an episode (and approve "
                "it, with `feed --approved-only`)",
            )
        )
    owners: dict[str, list[str]] = {}  # GUID -> the MP3s the ledger gives it to
    for name, entry in ledger.items():
        if isinstance(entry, dict) and entry.get("guid"):
            owners.setdefault(entry["guid"], []).append(name)
    numbers: dict[tuple[str, str], str] = {}
    for n, item in enumerate(items, 1):
        _item(feed, item, n, guids, (ledger, owners), out, seconds)
        _number(feed, item, n, numbers, out)
    urls = [e.get("url", "") for e in channel.iter("enclosure")]
    if any(u.startswith(PLACEHOLDER_BASE_URL) for u in urls):
        base = next(u for u in urls if u.startswith(PLACEHOLDER_BASE_URL)).rsplit("/", 1)[0] + "/"
        out.append(
            Problem(
                feed,
                f'the episodes are at the placeholder {base}: set base_url = "https://YOUR-HOST/PATH/" in show.toml',
                WARNING,
            )
        )
    return out
