"""`paperledge validate`, `feed` and `season` on hostile files: each attack gives one line
saying what to fix and a non-zero exit, never a traceback, and finishes in bounded time.

The MP3 here is a three-second tone encoded by ffmpeg and tagged by the exporter: these
checks read tags and feeds, not speech, so no voice is needed."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import APIC, CTOC, ID3, CTOCFlags

from audio_pipeline.audio.assemble import ChapterMark
from audio_pipeline.audio.export import write_tags
from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.publish.feed import FeedItem, ShowSettings, episode_guid, write_feed
from audio_pipeline.script.episode import EpisodeMeta
from audio_pipeline.show import load_show

from .conftest import ROOT, need, run_cli, with_nested_chapters

SHOW = ShowSettings(base_url="https://cdn.example.org/pl/")


@pytest.fixture(scope="module")
def tone(tmp_path_factory) -> Path:
    """A tagged three-second MP3, made once."""
    mp3 = tmp_path_factory.mktemp("tone") / "ep.mp3"
    subprocess.run(
        [
            need("ffmpeg"),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-ar",
            "44100",
            "-ac",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            "-id3v2_version",
            "0",
            str(mp3),
        ],
        check=True,
    )
    meta = EpisodeMeta(title="Tone", season=1, episode=1, date=dt.date(2025, 1, 1))
    write_tags(
        mp3, meta, [ChapterMark("A", 0, 1.5), ChapterMark("B", 1.5, 3.0)], "Ernis", (ROOT / "assets" / "cover.jpg").read_bytes()
    )
    return mp3


def _item(mp3: Path, n: int = 1, **changes) -> FeedItem:
    fields = dict(
        title=f"Tone {n}",
        description="A tone.",
        authors=[],
        date=dt.date(2025, 1, n),
        season=1,
        episode=n,
        mp3_path=mp3,
        duration_s=3.0,
        chapters=[(0.0, "A")],
        chapters_path=None,
        transcript_path=None,
        guid=episode_guid(SHOW, mp3.name),
    )
    return FeedItem(**{**fields, **changes})


@pytest.fixture
def folder(tone, tmp_path) -> Path:
    """A published folder: the tone as ep.mp3 and ep2.mp3, and their feed."""
    shutil.copy(tone, tmp_path / "ep.mp3")
    shutil.copy(tone, tmp_path / "ep2.mp3")
    write_feed(tmp_path / "feed.xml", SHOW, [_item(tmp_path / "ep.mp3"), _item(tmp_path / "ep2.mp3", 2)])
    return tmp_path


def _validate(path: Path) -> tuple[int, list[str]]:
    proc = run_cli("validate", path)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-2000:]
    return proc.returncode, proc.stdout.strip().splitlines()


def _named(path: Path, *words: str, severity: str = "error") -> str:
    code, lines = _validate(path)
    hits = [line for line in lines if f": {severity}: " in line and all(w in line for w in words)]
    assert len(hits) == 1, lines
    assert code == (1 if severity == "error" else code), lines
    return hits[0]


def _edit(feed: Path, old: str, new: str) -> Path:
    text = feed.read_text(encoding="utf-8")
    assert old in text, old
    feed.write_text(text.replace(old, new, 1), encoding="utf-8")
    return feed


def _retag(mp3: Path, change) -> None:
    tags = ID3(mp3)
    change(tags)
    tags.save(mp3, v2_version=3)


def _cover(tags: ID3, data: bytes) -> None:
    tags.delall("APIC")
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="Cover", data=data))


def _png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_the_tone_feed_is_ready(folder):
    """The feed the attacks start from passes: each attack's line is its own."""
    code, lines = _validate(folder / "feed.xml")
    assert code == 0, lines


@pytest.mark.parametrize("length", ["²", "9" * 5000, "-1", "1e3", " 12"])
def test_an_enclosure_length_int_cannot_read_is_one_line(folder, length):
    """H8: "²" passes str.isdigit and fails int(); 5,000 digits pass both and int() refuses them."""
    size = (folder / "ep.mp3").stat().st_size
    feed = _edit(folder / "feed.xml", f'length="{size}"', f'length="{length}"')
    line = _named(feed, "enclosure length", f"{size} bytes")
    assert len(line) < 300, line  # the hostile value is quoted short


def test_chapters_nested_1500_deep_are_one_line(folder):
    """H9: CHAP frames embedding each other exhaust Python's stack inside mutagen."""
    mp3 = folder / "ep.mp3"
    mp3.write_bytes(with_nested_chapters(mp3, 1500))
    _named(mp3, "ep.mp3", "nests frames inside frames")
    code, lines = _validate(folder / "feed.xml")  # the feed reads the MP3's length through the same tag
    assert "Traceback" not in "\n".join(lines)


def test_a_decompression_bomb_cover_is_one_line(folder):
    """H9: a 20,000 px PNG of 48 KB: Pillow refuses it in Image.open (DecompressionBombError)."""
    from PIL import Image

    _retag(folder / "ep.mp3", lambda t: _cover(t, _png(Image.new("1", (20000, 20000)))))
    _named(folder / "ep.mp3", "cover", "1400 to 3000 px")


def test_an_oversized_cover_is_refused_before_it_is_decoded(folder):
    """M9: a 12,000 px cover (600 MB decoded) is judged from its header; a cover over 512 KB
    (the tag every download carries) is refused unread."""
    from PIL import Image

    _retag(folder / "ep.mp3", lambda t: _cover(t, _png(Image.new("RGB", (12000, 12000)))))
    _named(folder / "ep.mp3", "12000x12000 px", "1400 to 3000 px")
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    _retag(folder / "ep.mp3", lambda t: _cover(t, _png(noise)))
    _named(folder / "ep.mp3", "bytes", "at most 512 KB")


def test_a_100_mb_feed_is_refused_unparsed(folder):
    """M9: one 100 MB attribute took 73 s in ET.parse (fed in chunks); the feed is size-capped."""
    feed = folder / "feed.xml"
    text = feed.read_text(encoding="utf-8")
    with open(feed, "w", encoding="utf-8") as f:
        f.write(text.replace("<item>", '<item a="' + "x" * 100_000_000 + '">', 1))
    line = _named(feed, "bytes, more than")
    assert "feed.xml" in line


def test_a_second_top_level_table_of_contents_is_named(folder):
    """L5: two top-level CTOCs: apps read one at random."""
    _retag(
        folder / "ep.mp3",
        lambda t: t.add(
            CTOC(
                element_id="toc2",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=["chp0", "chp1"],
                sub_frames=[],
            )
        ),
    )
    _named(folder / "ep.mp3", "2 top-level tables of contents")


def test_duplicate_episode_numbers_are_named(folder):
    """L5: two items numbered season 1 episode 1."""
    feed = _edit(folder / "feed.xml", "<itunes:episode>2</itunes:episode>", "<itunes:episode>1</itunes:episode>")
    _named(feed, "season 1 episode 1 is also item")


def test_a_publish_date_ahead_warns_and_2099_fails(folder):
    """L5: a date a week ahead is a warning (apps show it now, dated ahead); 2099 is an error."""
    feed = folder / "feed.xml"
    week = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=7)).strftime("%d %b %Y")
    _edit(feed, "01 Jan 2025", week)
    _named(feed, "is in the future", severity="warning")
    assert _validate(feed)[0] == 0
    _edit(feed, week, "01 Jan 2099")
    _named(feed, "more than a year ahead")


@pytest.mark.parametrize("name", ["%2E%2E%2Fsecret.mp3", "..%2Fsecret.mp3", "%2e%2e", "a%5C..%5Csecret.mp3"])
def test_an_enclosure_url_out_of_the_feed_folder_is_refused(folder, name):
    """L7: a percent-encoded ../ named a file outside the feed's folder, and validate followed it."""
    shutil.copy(folder / "ep.mp3", folder.parent / "secret.mp3")
    feed = _edit(folder / "feed.xml", "https://cdn.example.org/pl/ep.mp3", f"https://cdn.example.org/pl/{name}")
    _named(feed, "enclosure", "leads out of the feed's folder")


def test_a_feed_with_no_items_fails(folder):
    """Friction: an empty feed was "ready to publish"; directories refuse it."""
    feed = folder / "feed.xml"
    feed.write_text(re.sub(r"<item>.*</item>", "", feed.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")
    _named(feed, "holds no episodes")
    with pytest.raises(PaperLedgeError, match="no episode to publish"):
        write_feed(feed, SHOW, [])


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "https://user:pass@cdn.example.org/pl/",
        "https://cdn.example.org/my show/",
        "https://cdn.example.org/<b>/",
        "https:///pl/",
        "https://cdn.example.org/\u202epl/",
        # A query or fragment ends up before every file name; hosts no app reaches.
        "https://h.com/#frag",
        "https://h.com/x?a=1&b=2",
        "https://-/",
        "https://[::1]/",
        "https://" + "a" * 3000 + ".com/",
        "https://h.com/%00/",
    ],
)
def test_a_base_url_that_is_no_public_address_is_one_line(tmp_path, url):
    """M5: base_url reached every enclosure unchecked."""
    (tmp_path / "show.toml").write_text(f'base_url = "{url}"\n', encoding="utf-8")
    with pytest.raises(PaperLedgeError) as e:
        load_show(tmp_path)
    assert "base_url" in str(e.value) and "\n" not in str(e.value) and "\u202e" not in str(e.value), e.value


def test_an_http_base_url_with_a_port_is_taken(tmp_path):
    (tmp_path / "show.toml").write_text('base_url = "http://cdn.example.org:8080/pl"\n', encoding="utf-8")
    assert load_show(tmp_path).base_url == "http://cdn.example.org:8080/pl/"


def test_an_empty_season_is_refused_before_any_folder_is_made(tmp_path):
    """L6: a season with no scripts left an empty output folder behind."""
    (tmp_path / "season").mkdir()
    proc = run_cli("season", tmp_path / "season", "-o", tmp_path / "out", "-q")
    assert proc.returncode == 1 and "no .md or .txt scripts" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
