"""`paperledge validate`: a real rendered season, broken the ways the field's bug reports
describe (cover lost in a re-encode, VBR without a Xing header, enclosure length as a
duration, a changed GUID, CTOC flags gone, +6 dB, ...), and the validator names each one."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen.id3 import APIC, ID3, CTOCFlags

from .conftest import need, run_cli

pytestmark = pytest.mark.slow

EPISODE = """---
title: "Episode {n}: Checks"
season: 3
episode: {n}
date: 2025-05-0{n}
category: Artificial Intelligence
authors: [Ada Author, Ben Builder]
description: A short episode to validate.
---

## Welcome
Hey crew, Ernis here. This one is short.

## The idea
{body}

## Goodbye
Thanks for listening.
"""


@pytest.fixture(scope="session")
def published(tmp_path_factory, deterministic_voice) -> tuple[Path, Path, object]:
    """A two-episode season rendered once by `paperledge season` (which validates it):
    (season folder, output folder, the season command's result)."""
    root = tmp_path_factory.mktemp("published")
    season = root / "season-03"
    season.mkdir()
    (season / "show.toml").write_text('base_url = "https://cdn.example.org/pl/"\n', encoding="utf-8")
    (season / "01-checks.md").write_text(EPISODE.format(n=1, body="Sound travels far under water."), encoding="utf-8")
    (season / "02-checks.md").write_text(EPISODE.format(n=2, body="Light does not."), encoding="utf-8")
    out = root / "out"
    proc = run_cli("season", season, "-o", out, "--cache-dir", root / "cache", "--voice", deterministic_voice)
    return season, out, proc


@pytest.fixture
def out(published, tmp_path) -> Path:
    """A fresh copy of the rendered season's output, to break."""
    copy = tmp_path / "out"
    shutil.copytree(published[1], copy)
    return copy


def _validate(path: Path, *args: str) -> tuple[int, list[str]]:
    proc = run_cli("validate", path, *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout.strip().splitlines()


def _named(path: Path, *words: str, severity: str = "error") -> list[str]:
    """Validate `path`: it must fail (exit 1) with a line naming the file and every word."""
    code, lines = _validate(path)
    hits = [line for line in lines if f": {severity}: " in line and all(w in line for w in words)]
    assert hits, lines
    if severity == "error":
        assert code == 1, lines
    return hits


def _reencode(mp3: Path, *ffmpeg_args: str) -> None:
    """Encode `mp3` again with ffmpeg (as a stitched pipeline would), then put its ID3 tag back."""
    tags = ID3(mp3)
    tmp = mp3.with_name("re.mp3")
    subprocess.run([need("ffmpeg"), "-v", "error", "-y", "-i", str(mp3), "-map", "0:a", *ffmpeg_args, str(tmp)], check=True)
    tags.save(tmp, v2_version=3)
    tmp.replace(mp3)


def _edit_feed(out: Path, old: str, new: str, count: int = 1) -> Path:
    feed = out / "feed.xml"
    text = feed.read_text(encoding="utf-8")
    assert old in text, old
    feed.write_text(text.replace(old, new, count), encoding="utf-8")
    return feed


def test_a_rendered_season_is_ready_to_publish(published):
    """`season` validated what it wrote; the folder, each MP3 and the feed pass on their own."""
    _, out, proc = published
    assert proc.returncode == 0, proc.stderr
    assert f"{out}: ready to publish" in proc.stdout
    for path in [out, out / "feed.xml", *sorted(out.glob("*.mp3"))]:
        code, lines = _validate(path)
        assert code == 0 and not [line for line in lines if ": error: " in line], lines
        assert lines[-1].startswith(f"{path}: ready to publish")


def test_cover_stripped_by_a_reencode_is_named(out):
    mp3 = out / "01-checks.mp3"
    tags = ID3(mp3)
    tags.delall("APIC")
    tags.save(mp3, v2_version=3)
    _named(mp3, "01-checks.mp3", "no embedded cover")


@pytest.mark.parametrize(
    "size, mode, fmt, words",
    [
        ((1400, 1400), "RGBA", "PNG", "alpha channel"),
        ((1400, 1000), "RGB", "JPEG", "1400x1000 px: it must be square"),
        ((600, 600), "RGB", "JPEG", "600 px: Apple asks for 1400 to 3000 px"),
        ((1400, 1400), "CMYK", "JPEG", "CMYK colour"),
    ],
)
def test_cover_apple_would_refuse_is_named(out, size, mode, fmt, words):
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, size, "white" if mode != "RGBA" else (255, 255, 255, 0)).save(buf, fmt)
    mp3 = out / "01-checks.mp3"
    tags = ID3(mp3)
    tags.delall("APIC")
    tags.add(APIC(encoding=3, mime=f"image/{fmt.lower()}", type=3, desc="Cover", data=buf.getvalue()))
    tags.save(mp3, v2_version=3)
    _named(mp3, words)


def test_vbr_without_xing_header_is_named(out):
    mp3 = out / "01-checks.mp3"
    _reencode(mp3, "-c:a", "libmp3lame", "-q:a", "2", "-write_xing", "0")
    _named(mp3, "no Xing/Info header")
    _named(mp3, "variable bitrate")


def test_wrong_bitrate_and_sample_rate_are_named(out):
    mp3 = out / "01-checks.mp3"
    _reencode(mp3, "-c:a", "libmp3lame", "-b:a", "96k", "-ar", "48000")
    _named(mp3, "CBR at 96 kbps, not the configured 128 kbps")
    _named(mp3, "sample rate 48000 Hz")


def test_six_db_louder_is_named(out):
    mp3 = out / "02-checks.mp3"
    _reencode(mp3, "-af", "volume=6dB", "-c:a", "libmp3lame", "-b:a", "128k")
    _named(mp3, "integrated loudness", "off the -16 LUFS target")
    _named(mp3, "true peak", "above -1 dBTP")


def test_truncated_mp3_is_named(out):
    mp3 = out / "01-checks.mp3"
    mp3.write_bytes(mp3.read_bytes()[:-5000])
    _named(mp3, "header counts", "bytes")


def test_ctoc_flags_removed_are_named(out):
    mp3 = out / "01-checks.mp3"
    tags = ID3(mp3)
    tags.getall("CTOC")[0].flags = CTOCFlags.ORDERED
    tags.save(mp3, v2_version=3)
    _named(mp3, "no top-level table of contents")
    tags.getall("CTOC")[0].flags = CTOCFlags.TOP_LEVEL
    tags.save(mp3, v2_version=3)
    _named(mp3, "not flagged ordered")


def test_chapters_that_do_not_tile_and_id3_v24_are_named(out):
    mp3 = out / "01-checks.mp3"
    tags = ID3(mp3)
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    chaps[0].end_time -= 2000  # a two-second hole after the first chapter
    tags.save(mp3, v2_version=4)
    _named(mp3, "Content Credentials do not match the file")  # the tag changed after signing
    tags.delall("GEOB")  # unsigned, v2.4 is Apple's problem, no longer C2PA's requirement
    tags.save(mp3, v2_version=4)
    _named(mp3, "ID3 v2.4", "save the tag as ID3 v2.3")
    _named(mp3, "chapters must tile the episode")


def test_missing_or_inconsistent_sidecars_are_named(out):
    mp3 = out / "01-checks.mp3"
    (out / "01-checks.srt").unlink()
    _named(mp3, "01-checks.srt", "missing beside 01-checks.mp3")
    vtt = out / "01-checks.vtt"
    text = vtt.read_text(encoding="utf-8")
    last = re.findall(r"--> (\d\d:\d\d:\d\d\.\d{3})", text)[-1]
    vtt.write_text(text.replace(f"--> {last}", "--> 00:09:59.000"), encoding="utf-8")
    _named(mp3, "01-checks.vtt", "after the audio's end")
    vtt.write_text(text.replace("Hey crew", "R&D crew"), encoding="utf-8")  # written raw
    _named(mp3, "01-checks.vtt", "raw '&' or '<'")
    chapters = out / "01-checks.chapters.json"
    chapters.write_text(chapters.read_text(encoding="utf-8").replace("The idea", "Another idea"), encoding="utf-8")
    _named(mp3, "01-checks.chapters.json", "where the MP3 has 3", "other times or titles")


def test_enclosure_length_given_as_a_duration_is_named(out):
    size = (out / "01-checks.mp3").stat().st_size
    feed = _edit_feed(out, f'length="{size}"', 'length="31"')
    _named(feed, "feed.xml", "enclosure length '31'", f"{size} bytes")
    _named(out, "feed.xml", "enclosure length")  # the season folder too


def test_changed_and_duplicate_guids_are_named(out):
    feed = out / "feed.xml"
    guids = re.findall(r'<guid isPermaLink="false">([^<]+)</guid>', feed.read_text(encoding="utf-8"))
    _edit_feed(out, guids[0], "00000000-0000-5000-8000-000000000000")
    _named(feed, "GUID changed from", guids[0], "download the episode again")
    _edit_feed(out, "00000000-0000-5000-8000-000000000000", guids[1])
    _named(feed, f"GUID {guids[1]} is also")


@pytest.mark.parametrize(
    "old, new, words",
    [
        ("<itunes:explicit>false</itunes:explicit>", "<itunes:explicit>no</itunes:explicit>", "itunes:explicit is 'no'"),
        ('type="text/vtt"', 'type="text/plain"', "must be 'text/vtt'"),
        ('type="application/x-subrip"', 'type="text/srt"', "must be 'application/x-subrip'"),
        ('type="application/json+chapters"', 'type="application/json"', "must be 'application/json+chapters'"),
        ('type="audio/mpeg"', 'type="audio/mp3"', "must be 'audio/mpeg'"),
        ("+0000</pubDate>", "+0000 (UTC)</pubDate>", "not an RFC 2822 date"),
        ('<itunes:category text="Science" />', '<itunes:category text="Sciences" />', "'Sciences' is not one of Apple's"),
        (
            '<itunes:category text="Science" />',
            '<itunes:category text="Science"><itunes:category text="AI" /></itunes:category>',
            "subcategory 'AI'",
        ),
        ("<itunes:image ", "<itunes:picture ", "no itunes:image"),
        ("<itunes:duration>00:00:", "<itunes:duration>00:01:", "02-checks.mp3 plays"),
        ("<itunes:duration>", "<itunes:duration>01:", "is not seconds or HH:MM:SS"),
        ("</channel>", "<channel>", "not well-formed XML"),
    ],
)
def test_feed_mistakes_directories_refuse_are_named(out, old, new, words):
    _named(_edit_feed(out, old, new), words)


def test_warnings_alone_exit_zero(out):
    """A feed at the placeholder address is worth a warning, not a failure."""
    feed = _edit_feed(out, "https://cdn.example.org/pl/", "https://example.com/paperledge/", count=-1)
    hits = _named(feed, "placeholder", "base_url", severity="warning")
    assert len(hits) == 1  # one line, however many episodes
    code, lines = _validate(feed)
    assert code == 0 and "ready to publish (1 warning)" in lines[-1], lines


def test_bad_paths_are_one_line(tmp_path):
    proc = run_cli("validate", tmp_path / "nothing.mp3")
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0 and "no such" in proc.stderr, proc.stderr
    proc = run_cli("validate", "")
    assert proc.returncode == 1 and "give the MP3, feed.xml or season output folder" in proc.stderr, proc.stderr
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)  # never opened: it would block the read for ever
    proc = run_cli("validate", fifo)
    assert proc.returncode == 1 and "no such MP3, feed or season folder" in proc.stderr, proc.stderr
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    code, lines = _validate(junk)
    assert code == 1 and any("no MP3 audio stream" in line for line in lines), lines


def test_a_failing_season_says_so_and_exits_non_zero(published, tmp_path, deterministic_voice):
    """`season` validates what it wrote: an output it cannot repair fails the season."""
    season, rendered, _ = published
    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    # A category Apple does not know: the render is fine, the feed is not.
    copy = tmp_path / "season-03"
    shutil.copytree(season, copy)
    (copy / "show.toml").write_text('base_url = "https://cdn.example.org/pl/"\ncategory = "Sciences"\n', encoding="utf-8")
    proc = run_cli("season", copy, "-o", out, "--cache-dir", rendered.parent / "cache", "--voice", deterministic_voice, "-q")
    assert proc.returncode == 1, proc.stderr
    assert "'Sciences' is not one of Apple's" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(f"paperledge: {out} would not pass")


def _guids(out: Path) -> dict[str, str]:
    """Episode title -> GUID, as feedparser reads the feed."""
    import feedparser

    return {e.title: e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries}


def test_guids_survive_a_renumbering_reimport_and_a_host_move(published, out, tmp_path):
    """A changed GUID makes every app download the episode again."""
    season = tmp_path / "season-03"
    shutil.copytree(published[0], season)
    before = _guids(out)
    # A re-import that finds an older episode renumbers this one and renames its script
    # (and so its MP3, once rendered again); the old number goes to the new episode.
    script = season / "02-checks.md"
    moved = season / "03-checks.md"
    moved.write_text(script.read_text(encoding="utf-8").replace("episode: 2", "episode: 3"), encoding="utf-8")
    script.unlink()
    for old in out.glob("02-checks.*"):
        old.rename(out / old.name.replace("02-checks", "03-checks"))
    (season / "show.toml").write_text('base_url = "https://new-host.example.net/pl/"\n', encoding="utf-8")
    proc = run_cli("feed", season, "-o", out)
    assert proc.returncode == 0, proc.stderr
    after = _guids(out)
    assert after == before, (before, after)
    assert "https://new-host.example.net/pl/03-checks.mp3" in (out / "feed.xml").read_text(encoding="utf-8")
    code, lines = _validate(out)
    assert code == 0, lines


def test_feed_at_the_placeholder_address_warns_in_one_line(published, out, tmp_path):
    season = tmp_path / "season-03"
    shutil.copytree(published[0], season)
    (season / "show.toml").unlink()
    proc = run_cli("feed", season, "-o", out)
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "placeholder https://example.com/paperledge/" in line and 'base_url = "https://' in line and "show.toml" in line


def test_the_scripts_category_reaches_the_tag_and_the_feed_item(published):
    """The front matter's `category` is the ID3 podcast category (TCAT; the genre stays Podcast)
    and the item's RSS <category>."""
    import feedparser

    from .conftest import ffprobe

    _, out, _ = published
    tags = ffprobe(out / "01-checks.mp3")["format"]["tags"]
    assert tags["TCAT"] == "Artificial Intelligence" and tags["genre"] == "Podcast", tags
    for entry in feedparser.parse((out / "feed.xml").read_bytes()).entries:
        assert [t.term for t in entry.tags] == ["Artificial Intelligence"], entry.tags


def _season_copy(published, tmp_path) -> Path:
    season = tmp_path / "season-03"
    shutil.copytree(published[0], season)
    return season


def test_a_guid_stays_with_its_episode_when_a_twin_is_renamed(published, out, tmp_path):
    """H12: two episodes with one title and date; renaming one script moved its old GUID onto
    the other, unchanged episode, and validate said ready."""
    season = _season_copy(published, tmp_path)
    twin = (season / "01-checks.md").read_text(encoding="utf-8")
    second = season / "02-checks.md"
    second.write_text(twin.replace("episode: 1", "episode: 2"), encoding="utf-8")  # same title and date as 01
    assert run_cli("feed", season, "-o", out).returncode == 0
    before = {e.enclosures[0].href.rsplit("/", 1)[1]: e.id for e in _entries(out)}
    (season / "01-checks.md").rename(season / "03-checks.md")
    for old in out.glob("01-checks.*"):
        old.rename(out / old.name.replace("01-checks", "03-checks"))
    proc = run_cli("feed", season, "-o", out)
    assert proc.returncode == 0, proc.stderr
    after = {e.enclosures[0].href.rsplit("/", 1)[1]: e.id for e in _entries(out)}
    assert after == {"02-checks.mp3": before["02-checks.mp3"], "03-checks.mp3": before["01-checks.mp3"]}, (before, after)
    code, lines = _validate(out)
    assert code == 0, lines


def _entries(out: Path):
    import feedparser

    return feedparser.parse((out / "feed.xml").read_bytes()).entries


def test_a_guid_that_moved_to_another_episode_fails(out):
    """H12: the ledger says which episode each GUID belongs to; a feed that gives it to another fails."""
    import json

    ledger_path = out / ".episode-guids.json"
    ledger = json.loads(ledger_path.read_text(encoding="utf-8"))
    first = ledger["01-checks.mp3"]["guid"]
    ledger["00-gone.mp3"] = dict(ledger["02-checks.mp3"])  # an episode that is gone kept 02's GUID
    ledger_path.write_text(json.dumps(ledger), encoding="utf-8")
    _named(out / "feed.xml", "gives GUID", "2 episodes")
    del ledger["00-gone.mp3"], ledger["01-checks.mp3"]
    ledger["00-gone.mp3"] = {"guid": first, "key": "2025-05-01 gone"}  # 01's GUID is another episode's
    ledger_path.write_text(json.dumps(ledger), encoding="utf-8")
    _named(out / "feed.xml", f"GUID {first} belongs to 00-gone.mp3")


def test_feed_never_republishes_swapped_guids(published, out, tmp_path):
    """H12: two GUIDs swapped in the ledger made `feed` exit 0 and publish them swapped, and
    `validate` then said ready; the feed already published is the record of whose each is."""
    import json

    season = _season_copy(published, tmp_path)
    ledger_path = out / ".episode-guids.json"
    ledger = json.loads(ledger_path.read_text(encoding="utf-8"))
    ledger["01-checks.mp3"]["guid"], ledger["02-checks.mp3"]["guid"] = (
        ledger["02-checks.mp3"]["guid"],
        ledger["01-checks.mp3"]["guid"],
    )
    ledger_path.write_text(json.dumps(ledger), encoding="utf-8")
    feed = (out / "feed.xml").read_bytes()
    proc = run_cli("feed", season, "-o", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "GUID would change" in line and ".episode-guids.json" in line, line
    assert (out / "feed.xml").read_bytes() == feed


def test_feed_names_an_episode_whose_mp3_was_deleted(published, out, tmp_path):
    """M8: `feed` silently left out an episode whose MP3 was deleted; it is one line telling to render it."""
    season = _season_copy(published, tmp_path)
    feed = (out / "feed.xml").read_bytes()
    (out / "02-checks.mp3").unlink()
    proc = run_cli("feed", season, "-o", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "02-checks.md" in line and "not rendered" in line and "paperledge season" in line, line
    assert (out / "feed.xml").read_bytes() == feed  # the published feed is left as it was


def test_feed_approved_only_with_nothing_approved_writes_no_feed(published, out, tmp_path):
    """Friction: an empty feed was written, exit 0, and validate called it ready."""
    season = _season_copy(published, tmp_path)
    feed = (out / "feed.xml").read_bytes()
    proc = run_cli("feed", season, "-o", out, "--approved-only")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert "no feed written" in line and "approve" in line, line
    assert (out / "feed.xml").read_bytes() == feed
