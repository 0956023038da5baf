"""Ready for every directory: the ai-content mark (three states, rolled up to the channel),
Podlove Simple Chapters, chapter images and links, and a verdict per platform from validate.
Read back with feedparser, podcastparser and ElementTree (readers that are not ours)."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from audio_pipeline.audio.sidecars import parse_chapter_links
from audio_pipeline.errors import PaperLedgeError, ScriptError
from audio_pipeline.publish.feed import PODCAST_NS, FeedItem, ShowSettings, build_feed, episode_guid, load_show
from audio_pipeline.publish.feed_chapters import PSC_NS
from audio_pipeline.publish.validate_feed import validate_feed
from audio_pipeline.script.chapter_links import read_links
from audio_pipeline.script.read import parse_script

from .conftest import run_cli

SHOW = ShowSettings(base_url="https://cdn.example.org/pl/")
TXT = f"{{{PODCAST_NS}}}txt"


def _item(tmp_path: Path, number: int, ai_content=None, chapters_json: dict | None = None) -> FeedItem:
    mp3 = tmp_path / f"{number:02d}-ep.mp3"
    mp3.write_bytes(b"\xff\xfb" + bytes(998))
    chapters_path = mp3.with_suffix(".chapters.json")
    if chapters_json is not None:
        chapters_path.write_text(json.dumps(chapters_json), encoding="utf-8")
    return FeedItem(
        title=f"Episode {number}",
        description="Summary.",
        authors=[],
        date=dt.date(2025, 4, number),
        season=1,
        episode=number,
        mp3_path=mp3,
        duration_s=120.0,
        chapters=[(0.0, "Welcome"), (65.4, "The research")],
        chapters_path=chapters_path,
        transcript_path=None,
        guid=episode_guid(SHOW, mp3.name),
        ai_content=ai_content,
    )


def _answers(text: str) -> tuple[list[str] | None, list[list[str]]]:
    """The channel's ai-content answers and each item's, as ElementTree reads them."""
    channel = ET.fromstring(text).find("channel")

    def of(node):
        return [t.text for t in node.findall(TXT) if t.get("purpose") == "ai-content"]

    return of(channel), [of(item) for item in channel.findall("item")]


def test_ai_content_is_true_false_or_absent_and_the_channel_rolls_it_up(tmp_path):
    """Directories and the EU's AI Act read podcast:txt ai-content: a wrong or missing answer
    mislabels the show."""
    # Every voice is synthetic: true unless someone says otherwise.
    text = build_feed(SHOW, [_item(tmp_path, 1), _item(tmp_path, 2)])
    assert _answers(text) == (["true"], [["true"], ["true"]])
    assert feedparser.parse(text).entries[0].podcast_txt == {"purpose": "ai-content"}
    # The script wins over the show; one episode made by AI makes the show's answer true.
    text = build_feed(ShowSettings(ai_content=False), [_item(tmp_path, 1), _item(tmp_path, 2, ai_content=True)])
    assert _answers(text) == (["true"], [["true"], ["false"]])
    text = build_feed(ShowSettings(ai_content=False), [_item(tmp_path, 1), _item(tmp_path, 2)])
    assert _answers(text) == (["false"], [["false"], ["false"]])
    # "unanswered": no tag; the channel cannot say false while one episode does not answer.
    text = build_feed(ShowSettings(ai_content=False), [_item(tmp_path, 1), _item(tmp_path, 2, ai_content="unanswered")])
    assert _answers(text) == ([], [[], ["false"]])
    (tmp_path / "show.toml").write_text('ai_content = "unanswered"\n', encoding="utf-8")
    assert _answers(build_feed(load_show(tmp_path), [_item(tmp_path, 1)])) == ([], [[]])
    # The disclosure people read stays in the show notes.
    assert "synthetic" in feedparser.parse(text).entries[0].description


def test_ai_content_takes_only_true_false_or_unanswered(tmp_path):
    """A typo would publish a mark no reader understands."""
    (tmp_path / "show.toml").write_text('ai_content = "maybe"\n', encoding="utf-8")
    with pytest.raises(PaperLedgeError, match=r"'ai_content' must be true, false or \"unanswered\", not 'maybe'"):
        load_show(tmp_path)
    script = tmp_path / "ep.md"
    with pytest.raises(ScriptError, match="'ai_content' in front matter must be true, false"):
        parse_script("---\nai_content: 3\n---\nHello there.\n", script)
    assert parse_script("---\nai_content: false\n---\nHello there.\n", script).meta.ai_content is False
    assert parse_script("---\nai_content: Unanswered\n---\nHi.\n", script).meta.ai_content == "unanswered"


def test_psc_chapters_carry_links_and_images_to_feedparser_and_podcastparser(tmp_path):
    """Spotify reads chapters only as Podlove Simple Chapters; a chapter's link and image
    come from the chapters JSON."""
    chapters = {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0, "title": "Welcome"},
            {
                "startTime": 65.4,
                "title": "The research",
                "img": "https://cdn.example.org/pl/01-ep.chapter2.png",
                "url": "https://example.org/paper",
            },
        ],
    }
    text = build_feed(SHOW, [_item(tmp_path, 1, chapters_json=chapters)])
    parsed = feedparser.parse(text)
    assert not parsed.bozo, parsed.bozo_exception
    psc = parsed.entries[0].psc_chapters
    assert psc.version == "1.2"
    assert [(c.start, c.title, c.get("href"), c.get("image")) for c in psc.chapters] == [
        ("00:00:00.000", "Welcome", None, None),
        ("00:01:05.400", "The research", "https://example.org/paper", "https://cdn.example.org/pl/01-ep.chapter2.png"),
    ]
    assert [c.start_parsed.total_seconds() for c in psc.chapters] == [0.0, 65.4]
    episode = podcastparser.parse(SHOW.feed_url, io.BytesIO(text.encode()))["episodes"][0]
    assert episode["chapters"] == [
        {"start": 0, "title": "Welcome"},
        {
            "start": 65,
            "title": "The research",
            "href": "https://example.org/paper",
            "image": "https://cdn.example.org/pl/01-ep.chapter2.png",
        },
    ]
    # A chapters JSON with a link no app could open is refused, never published.
    chapters["chapters"][1]["url"] = "javascript:alert(1)"
    (tmp_path / "01-ep.chapters.json").write_text(json.dumps(chapters), encoding="utf-8")
    with pytest.raises(PaperLedgeError, match="chapter 'The research': url must start with https://"):
        build_feed(SHOW, [_item(tmp_path, 1)])


def _cover(path: Path, px: int = 1400) -> Path:
    Image.new("RGB", (px, px), (20, 90, 160)).save(path, "PNG")
    return path


def _chapters_front(img: str, url: str = "https://example.org/paper") -> str:
    return f"---\nchapters:\n  The research: {{img: {img}, url: {url!r}}}\n---\n## Welcome\nHi.\n\n## The research\nMore.\n"


def test_a_chapter_image_outside_the_show_folder_is_one_line(tmp_path, monkeypatch):
    """A script must not publish /etc/passwd or a neighbour's file as chapter art."""
    show, outside = tmp_path / "show", tmp_path / "elsewhere"
    (show / "s1").mkdir(parents=True)
    outside.mkdir()
    monkeypatch.setenv("PAPERLEDGE_SHOW", str(show))
    script = show / "s1" / "ep.md"
    _cover(outside / "art.png")
    (show / "s1" / "escape.png").symlink_to(outside / "art.png")
    for img in ("../../elsewhere/art.png", str(outside / "art.png"), "escape.png"):
        with pytest.raises(ScriptError) as e:
            parse_script(_chapters_front(img), script)
        assert str(e.value).count("\n") == 0 and "chapter 'The research'" in str(e.value)
        assert "outside the show folder" in str(e.value)
    _cover(show / "s1" / "small.png", 600)
    with pytest.raises(ScriptError, match="chapter 'The research' in front matter: image .* is 600x600 px"):
        parse_script(_chapters_front("small.png"), script)
    _cover(show / "s1" / "art.png")
    with pytest.raises(ScriptError, match="url must start with https://"):
        parse_script(_chapters_front("art.png", "ftp://example.org/x"), script)
    with pytest.raises(ScriptError, match="names 'Reslts', but that heading is no chapter"):
        parse_script("---\nchapters:\n  Reslts: {url: 'https://example.org/'}\n---\n## Results\nHi.\n", script)
    chapters = parse_script(_chapters_front("art.png"), script).chapters
    assert [(c.title, c.img, c.url) for c in chapters] == [
        ("Welcome", None, None),
        ("The research", (show / "s1" / "art.png").resolve(), "https://example.org/paper"),
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
        max_leaves=8,
    )
)
def test_any_front_matter_chapters_value_reads_or_is_one_line(value):
    """Whatever a script writes under `chapters:`, the reader gives links or one line, never a traceback."""
    try:
        links = read_links(value, Path("/nonexistent/s1/ep.md"))
    except ScriptError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(links, dict)


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=30),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["version", "chapters", "startTime", "title", "img", "url"]), inner, max_size=4)
        ),
        max_leaves=10,
    )
)
def test_any_chapters_json_gives_links_or_one_line(value):
    """A chapters JSON damaged or written by another tool never crashes the feed."""
    try:
        text = json.dumps(value)
    except ValueError:
        return
    try:
        links = parse_chapter_links(text, "ep.chapters.json")
    except PaperLedgeError as e:
        assert "\n" not in str(e)
    else:
        assert all(len(pair) == 2 for pair in links)


@pytest.fixture
def published(tiny_season, tmp_path) -> Path:
    """A copy of the shared one-episode season's output, to break."""
    out = tmp_path / "out"
    shutil.copytree(tiny_season / "out", out)
    return out


def test_validate_refuses_an_ai_content_answer_other_than_true_or_false(published):
    """Readers take only true or false; anything else is no answer at all."""
    feed = published / "feed.xml"
    assert not [p for p in validate_feed(feed) if "ai-content" in p.message or "psc:" in p.message]
    text = feed.read_text(encoding="utf-8")
    assert text.count('<podcast:txt purpose="ai-content">true</podcast:txt>') == 2  # the channel and its episode
    feed.write_text(
        text.replace('purpose="ai-content">true', 'purpose="ai-content">yes', 1).replace('start="00:00:00.000"', 'start="soon"'),
        encoding="utf-8",
    )
    lines = [p.line() for p in validate_feed(feed)]
    assert any("the channel: podcast:txt ai-content is 'yes'; it takes only 'true' or 'false'" in line for line in lines)
    assert any("psc:chapter 'soon' needs a start (HH:MM:SS.mmm) and a title" in line for line in lines)


def test_validate_gives_one_verdict_per_platform(published):
    """A producer sees which directory would take the season, and what each still lacks."""
    proc = run_cli("validate", published)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdicts = {
        line.split(":", 1)[0]: line
        for line in proc.stdout.splitlines()
        if line.split(":", 1)[0] in ("Apple", "Spotify", "YouTube", "Podcast Index")
    }
    assert verdicts["Spotify"] == "Spotify: ready"
    assert verdicts["Apple"] == "Apple: not ready — no itunes:owner email (owner_email in show.toml)"
    assert verdicts["YouTube"].startswith(
        "YouTube: not ready — no video for 1 episode (make them with paperledge season --video); "
        "chapters YouTube does not take for 1 episode (the first at 0:00, at least 3"
    )
    assert verdicts["Podcast Index"] == "Podcast Index: not ready — no podcast:locked (locked = true in show.toml)"
    # Taking a mark away names it, for that platform alone: still no error.
    feed = published / "feed.xml"
    root = feed.read_text(encoding="utf-8")
    feed.write_text(root.replace('<podcast:txt purpose="ai-content">true</podcast:txt>', ""), encoding="utf-8")
    proc = run_cli("validate", published)
    assert (
        proc.returncode == 0
        and "Podcast Index: not ready — no podcast:locked (locked = true in show.toml); no podcast:txt ai-content for 1 episode"
        in proc.stdout
    )


def test_chapter_image_link_and_ai_content_reach_the_json_the_feed_and_validate(tmp_path):
    """Apple and Podcasting 2.0 apps show a chapter's image and link only when the JSON and
    the feed name them at an address the apps can fetch; a script's ai_content reaches its item."""
    show = tmp_path / "show"
    season, out = show / "s1", tmp_path / "out"
    season.mkdir(parents=True)
    _cover(season / "figure.png")
    (season / "show.toml").write_text('base_url = "https://cdn.example.org/pl/"\n', encoding="utf-8")
    (season / "01-art.md").write_text(
        "---\ntitle: Art\ndate: 2025-04-07\nai_content: false\nchapters:\n"
        "  Results: {img: figure.png, url: 'https://example.org/paper#results'}\n---\n"
        "## Welcome\nHello there.\n\n## Results\nIt worked.\n",
        encoding="utf-8",
    )
    proc = run_cli(
        "season", season, "-o", out, "--voice", "heart", "--cache-dir", tmp_path / "cache", env={"PAPERLEDGE_SHOW": str(show)}
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((out / "01-art.chapters.json").read_text(encoding="utf-8"))
    assert [(c["title"], c.get("img"), c.get("url")) for c in data["chapters"]] == [
        ("Welcome", None, None),
        ("Results", "https://cdn.example.org/pl/01-art.chapter2.png", "https://example.org/paper#results"),
    ]
    assert (out / "01-art.chapter2.png").read_bytes() == (season / "figure.png").read_bytes()
    # Apple reads a chapter's link and picture from the MP3's own CHAP frames.
    from mutagen.id3 import ID3

    chaps = sorted(ID3(out / "01-art.mp3").getall("CHAP"), key=lambda c: c.start_time)
    assert [sorted(f[:4] for f in c.sub_frames) for c in chaps] == [["TIT2"], ["APIC", "TIT2", "WXXX"]]
    assert chaps[1].sub_frames.getall("WXXX")[0].url == "https://example.org/paper#results"
    assert chaps[1].sub_frames.getall("APIC")[0].data == (season / "figure.png").read_bytes()
    chapters = ET.parse(out / "feed.xml").getroot().find(f"channel/item/{{{PSC_NS}}}chapters")
    assert [(c.get("title"), c.get("href"), c.get("image")) for c in chapters] == [
        ("Welcome", None, None),
        ("Results", "https://example.org/paper#results", "https://cdn.example.org/pl/01-art.chapter2.png"),
    ]
    assert _answers((out / "feed.xml").read_text(encoding="utf-8")) == (["false"], [["false"]])
    proc = run_cli("validate", out)
    assert proc.returncode == 0 and "ready to publish" in proc.stdout, proc.stdout
