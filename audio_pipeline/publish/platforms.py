"""Whether a published season is ready for each podcast platform: one verdict line each.

Each platform's needs are data (PLATFORMS): what it reads, whether the show or every episode
must have it, and how to add it. A need not met makes the platform "not ready", naming what
is missing; it is a warning for that platform, never an error of `validate` (the feed's own
errors are validate_feed's).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Final

from ..audio.sidecars import read_chapters
from ..config import MAX_FEED_BYTES
from ..errors import PaperLedgeError
from ..files import read_bytes
from ..show import cover_art
from .feed import CHAPTERS_TYPE, ITUNES_NS, PODCAST_NS
from .feed_chapters import PSC_NS
from .feed_text import AI_CONTENT_PURPOSE
from .validate_feed import local_file, parse_duration
from .validate_problem import plural

YOUTUBE_MIN_CHAPTERS: Final = 3
YOUTUBE_MIN_CHAPTER_S: Final = 10.0
"""YouTube makes chapters of a description's timestamps only when the first is 0:00, there are
at least three, in ascending order, and each lasts at least ten seconds."""
APPLE_TYPES: Final = frozenset({"audio/mpeg", "audio/x-m4a", "audio/mp4", "video/mp4", "video/quicktime", "video/x-m4v"})
"""Enclosure types Apple Podcasts plays."""
SPOTIFY_TYPES: Final = frozenset({"audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac"})


@dataclass(frozen=True)
class Published:
    """A feed as published, with the files beside it."""

    feed: Path
    channel: ET.Element

    def items(self) -> list[ET.Element]:
        return self.channel.findall("item")

    def file(self, url: str | None) -> Path | None:
        """The file beside the feed that a URL names, if it is there."""
        path, outside = local_file(self.feed, url)
        return path if path is not None and not outside and path.is_file() else None


@dataclass(frozen=True)
class Need:
    """One thing a platform reads."""

    missing: str
    """What the verdict says is missing ("no psc:chapters")."""
    has: Callable[[Published, ET.Element], bool]
    """Whether the channel (or, `per_episode`, an item) has it."""
    per_episode: bool = False
    fix: str = ""
    """How to add it, in the verdict's parentheses."""


def _pc(tag: str) -> str:
    return f"{{{PODCAST_NS}}}{tag}"


def _it(tag: str) -> str:
    return f"{{{ITUNES_NS}}}{tag}"


def _text(tag: str) -> Callable[[Published, ET.Element], bool]:
    return lambda p, node: bool((node.findtext(tag) or "").strip())


def _tag(tag: str, **attrs: str) -> Callable[[Published, ET.Element], bool]:
    return lambda p, node: any(all(e.get(k) == v for k, v in attrs.items()) for e in node.findall(tag))


def _cover(p: Published, channel: ET.Element) -> bool:
    """itunes:image is given; where the image is published beside the feed, it is one a
    directory takes (JPEG or PNG, square, 1400-3000 px)."""
    image = channel.find(_it("image"))
    if image is None or not image.get("href"):
        return False
    local = p.file(image.get("href"))
    try:
        return local is None or bool(cover_art(local))
    except PaperLedgeError:
        return False


def _enclosure(types: frozenset[str]) -> Callable[[Published, ET.Element], bool]:
    return lambda p, item: any(e.get("type") in types for e in item.findall("enclosure"))


def _ai_content(p: Published, item: ET.Element) -> bool:
    return any(
        t.get("purpose") == AI_CONTENT_PURPOSE and (t.text or "").strip() in ("true", "false") for t in item.findall(_pc("txt"))
    )


def _owner_email(p: Published, channel: ET.Element) -> bool:
    return bool((channel.findtext(f"{_it('owner')}/{_it('email')}") or "").strip())


def _video(p: Published, item: ET.Element) -> bool:
    """The episode's video, EPISODE.mp4 beside its MP3."""
    enclosure = item.find("enclosure")
    mp3 = p.file(enclosure.get("url") if enclosure is not None else None)
    return mp3 is not None and mp3.with_suffix(".mp4").is_file()


def _youtube_chapters(p: Published, item: ET.Element) -> bool:
    """The episode's chapters as YouTube takes them from a video's description."""
    link = item.find(_pc("chapters"))
    path = p.file(link.get("url")) if link is not None else None
    duration = parse_duration(item.findtext(_it("duration")) or "")
    if path is None or duration is None:
        return False
    try:
        starts = [start for start, _ in read_chapters(path)[1]]
    except PaperLedgeError:
        return False
    ends = [*starts[1:], duration]
    return (
        len(starts) >= YOUTUBE_MIN_CHAPTERS
        and starts[0] == 0
        and all(end - start >= YOUTUBE_MIN_CHAPTER_S for start, end in zip(starts, ends))
    )


PLATFORMS: Final[dict[str, tuple[Need, ...]]] = {
    "Apple": (
        Need("no cover art of 1400-3000 px square", _cover, fix="image_url and cover in show.toml"),
        Need("no itunes:category", _tag(_it("category")), fix="category in show.toml"),
        Need("no itunes:explicit", lambda p, c: c.findtext(_it("explicit")) in ("true", "false")),
        Need("no itunes:owner email", _owner_email, fix="owner_email in show.toml"),
        Need("no <language>", _text("language"), fix="language in show.toml"),
        Need("no enclosure Apple plays (MP3, AAC, MP4)", _enclosure(APPLE_TYPES), per_episode=True),
        Need("no itunes:duration", _text(_it("duration")), per_episode=True),
    ),
    "Spotify": (
        Need("no cover art of 1400-3000 px square", _cover, fix="image_url and cover in show.toml"),
        Need("no enclosure Spotify plays (MP3, AAC)", _enclosure(SPOTIFY_TYPES), per_episode=True),
        Need("no psc:chapters", _tag(f"{{{PSC_NS}}}chapters"), per_episode=True, fix="write the feed again"),
    ),
    "YouTube": (
        Need("no video", _video, per_episode=True, fix="make them with paperledge season --video"),
        Need(
            "chapters YouTube does not take",
            _youtube_chapters,
            per_episode=True,
            fix=f"the first at 0:00, at least {YOUTUBE_MIN_CHAPTERS}, each {YOUTUBE_MIN_CHAPTER_S:g} s or longer: "
            "'## ' headings in the script",
        ),
    ),
    "Podcast Index": (
        Need("no podcast:guid", _text(_pc("guid")), fix="podcast_guid in show.toml"),
        Need("no podcast:locked", _tag(_pc("locked")), fix="locked = true in show.toml"),
        Need("no podcast:transcript", _tag(_pc("transcript")), per_episode=True, fix="render the episode again"),
        Need("no podcast:chapters", _tag(_pc("chapters"), type=CHAPTERS_TYPE), per_episode=True, fix="render the episode again"),
        Need(
            "no podcast:txt ai-content",
            _ai_content,
            per_episode=True,
            fix="ai_content = true or false in show.toml or the script",
        ),
    ),
}


def verdict(name: str, needs: tuple[Need, ...], published: Published) -> str:
    """`Apple: ready`, or `Apple: not ready — what is missing (how to add it); …`."""
    missing = []
    items = published.items()
    for need in needs:
        if need.per_episode:
            lacking = sum(not need.has(published, item) for item in items)
            said = f"{need.missing} for {plural(lacking, 'episode')}" if lacking else ""
        else:
            said = "" if need.has(published, published.channel) else need.missing
        if said:
            missing.append(f"{said} ({need.fix})" if need.fix else said)
    return f"{name}: ready" if not missing else f"{name}: not ready — {'; '.join(missing)}"


def platform_verdicts(path: Path) -> list[str]:
    """One verdict line per platform for a feed.xml or a season output folder (its feed.xml);
    none for anything else, or a feed that does not read (validate names why)."""
    path = Path(path)
    feed = path / "feed.xml" if path.is_dir() else path
    if feed.suffix.lower() != ".xml" or not feed.is_file():
        return []
    try:
        channel = ET.fromstring(read_bytes(feed, "feed", limit=MAX_FEED_BYTES)).find("channel")
    except (ET.ParseError, PaperLedgeError):
        return []
    if channel is None:
        return []
    published = Published(feed, channel)
    return [verdict(name, needs, published) for name, needs in PLATFORMS.items()]
