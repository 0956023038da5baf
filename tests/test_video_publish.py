"""An episode's video and soundbite, published: `render --video`, `season --video` (incremental, and
on Ray), `make season VIDEO=1`, the feed's podcast:alternateEnclosure and podcast:soundbite as
feedparser and podcastparser read them, and `validate`'s checks of the video, measured with
ffprobe. The co-host of a cast is credited as co-host, never as a guest."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import podcastparser
import pytest

from audio_pipeline.errors import ScriptError
from audio_pipeline.publish.feed import PODCAST_NS, FeedItem, ShowSettings, build_feed, episode_guid
from audio_pipeline.script.read import read_script
from audio_pipeline.script.soundbite import Soundbite, parse_tag, resolve

from .conftest import ROOT, ffprobe, need, run_cli, vtt_cues

SHOW = ShowSettings(base_url="https://cdn.example.org/pl")
HEAD = "---\ntitle: A Soundbite\ndate: 2025-06-01\n{extra}---\n\n## One\nHello there, crew. This is the first part.\n"


def _script(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "ep.md"
    path.write_text(HEAD.format(extra=extra), encoding="utf-8")
    return path


# -- the soundbite in the front matter -------------------------------------------------------------


@pytest.mark.parametrize(
    "given, start, duration",
    [
        ("soundbite: {start: 1:05, duration: 30}", 65.0, 30.0),
        ("soundbite: {start: '01:05.5', end: '1:20'}", 65.5, 14.5),
        ("soundbite: {start: 0:01:05, duration: 60}", 65.0, 60.0),
        ("soundbite: {start: 12.5, duration: 8}", 12.5, 8.0),
    ],
)
def test_a_soundbite_is_a_start_and_a_duration_in_seconds_or_clock_time(tmp_path, given, start, duration):
    """A producer writes the time as the player shows it (1:05); the feed needs seconds."""
    bite = read_script(_script(tmp_path, given + "\n")).meta.soundbite
    assert (bite.start, bite.duration) == (start, duration)


def test_a_soundbite_can_be_a_passage_of_the_script(tmp_path):
    bite = read_script(_script(tmp_path, 'soundbite: "Hello there … the first part."\n')).meta.soundbite
    assert bite.passage == ("Hello there", "the first part.") and bite.title == "Hello there … the first part."


@pytest.mark.parametrize(
    "given, says",
    [
        ("soundbite: {start: 5, duration: 61}", "at most 60 s"),
        ("soundbite: {start: 5}", "needs a start and either a duration or an end"),
        ("soundbite: {start: soon, duration: 5}", "start must be seconds or M:SS"),
        ("soundbite: {strat: 5, duration: 5}", "unknown key 'strat'"),
        ("soundbite: [1, 2]", "must be a passage in quotes"),
        ('soundbite: "..."', "must be words of the script"),
        ('soundbite: "Goodbye everyone … the end"', "is not in the script"),
    ],
)
def test_a_wrong_soundbite_is_one_line_before_anything_is_synthesised(tmp_path, given, says):
    """A mistake in the soundbite stops the render at once, in one line naming it."""
    script = _script(tmp_path, given + "\n")
    result = run_cli("render", script, "-o", tmp_path / "ep.mp3", "--voice", "heart", "--no-cache", "--quiet")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "soundbite" in lines[0], result.stderr
    assert not (tmp_path / "ep.mp3").exists()


SPANS = [("Hello there, crew.", 3.0, 4.5), ("This is the first part.", 4.8, 7.0), ("And a second one.", 7.3, 9.0)]


def test_a_passage_takes_its_times_from_the_rendered_sentences():
    """The feed's soundbite starts where its first sentence is heard and ends with its last."""
    bite = Soundbite(passage=("this is the FIRST", "second one"))
    assert resolve(bite, SPANS, 10.0, "ep.md") == (4.8, 4.2)
    assert resolve(Soundbite(passage=("Hello there crew",)), SPANS, 10.0, "ep.md") == (3.0, 1.5)


def test_a_soundbite_past_the_end_or_over_a_minute_in_the_audio_is_one_line():
    with pytest.raises(ScriptError, match="past the episode's end"):
        resolve(Soundbite(start=12.0, duration=5.0), SPANS, 10.0, "ep.md")
    long = [("Hello there, crew.", 3.0, 40.0), ("And a second one.", 41.0, 70.0)]
    with pytest.raises(ScriptError, match="lasts 67.0 s in the audio"):
        resolve(Soundbite(passage=("hello", "second one")), long, 80.0, "ep.md")
    # A start inside the episode keeps it; the end is cut to the episode's.
    assert resolve(Soundbite(start=8.0, duration=30.0), SPANS, 10.0, "ep.md") == (8.0, 2.0)


def test_a_damaged_soundbite_tag_is_no_soundbite():
    assert parse_tag("65.000 30.000") == (65.0, 30.0)
    assert [parse_tag(t) for t in ("nan 5", "5 inf", "1 2 3", "", "-1 5", "5 61")] == [None] * 6


# -- the feed --------------------------------------------------------------------------------------


def _item(tmp_path: Path, video: bool = True) -> FeedItem:
    mp3 = tmp_path / "01-ep.mp3"
    mp3.write_bytes(b"\xff\xfb" + bytes(9_998))
    mp4 = tmp_path / "01-ep.mp4"
    mp4.write_bytes(bytes(123_456))
    return FeedItem(
        title="Episode 1",
        description="Summary.",
        authors=["Ada Author"],
        date=dt.date(2025, 4, 7),
        season=1,
        episode=1,
        mp3_path=mp3,
        duration_s=95.0,
        chapters=[(0.0, "Welcome")],
        chapters_path=None,
        transcript_path=None,
        guid=episode_guid(SHOW, mp3.name),
        people=[("Maya", "co-host"), ("Sam", "guest")],
        video_path=mp4 if video else None,
        soundbite=(65.0, 30.0, "Why the ocean hums"),
    )


def test_the_feed_lists_the_video_and_the_soundbite_as_podcast_apps_read_them(tmp_path):
    """Apps that play video find it as an alternate of the episode, with its size, and the
    soundbite as a preview; apps that do not still get the MP3 as the episode's enclosure."""
    text = build_feed(SHOW, [_item(tmp_path)])
    item = ET.fromstring(text).find("channel/item")
    alternate = item.find(f"{{{PODCAST_NS}}}alternateEnclosure")
    assert alternate.attrib == {"type": "video/mp4", "length": "123456", "title": "Video"}
    assert alternate.find(f"{{{PODCAST_NS}}}source").get("uri") == "https://cdn.example.org/pl/01-ep.mp4"

    parsed = feedparser.parse(text)
    entry = parsed.entries[0]
    assert not parsed.bozo
    # feedparser keeps a namespaced tag's attributes (the last of a kind).
    assert entry.podcast_alternateenclosure == {"type": "video/mp4", "length": "123456", "title": "Video"}
    assert entry.podcast_source == {"uri": "https://cdn.example.org/pl/01-ep.mp4"}
    assert entry.podcast_soundbite == {"starttime": "65.000", "duration": "30.000"}
    assert [e.href for e in entry.enclosures] == ["https://cdn.example.org/pl/01-ep.mp3"]  # the audio stays the episode

    parsed = podcastparser.parse("https://cdn.example.org/pl/feed.xml", io.BytesIO(text.encode()))
    episode = parsed["episodes"][0]
    assert [e["url"] for e in episode["enclosures"]] == ["https://cdn.example.org/pl/01-ep.mp3"]
    assert episode["total_time"] == 95


def test_the_feed_gives_the_soundbite_in_seconds_and_credits_a_co_host_as_co_host(tmp_path):
    item = ET.fromstring(build_feed(SHOW, [_item(tmp_path)])).find("channel/item")
    bite = item.find(f"{{{PODCAST_NS}}}soundbite")
    assert (bite.get("startTime"), bite.get("duration"), bite.text) == ("65.000", "30.000", "Why the ocean hums")
    people = {p.text: p.get("role") for p in item.findall(f"{{{PODCAST_NS}}}person")}
    assert people["Maya"] == "co-host" and people["Sam"] == "guest"


def test_without_a_video_the_item_has_no_alternate(tmp_path):
    item = ET.fromstring(build_feed(SHOW, [_item(tmp_path, video=False)])).find("channel/item")
    assert item.find(f"{{{PODCAST_NS}}}alternateEnclosure") is None


# -- the tags' credits -----------------------------------------------------------------------------


def test_the_mp3_credits_a_co_host_as_co_host_and_carries_the_soundbite(tmp_path):
    """A co-host credited as "Guest" in a player's comment would misname a regular of the show."""
    from audio_pipeline.audio.assemble import ChapterMark
    from audio_pipeline.audio.export import write_tags
    from audio_pipeline.script.episode import EpisodeMeta

    mp3 = tmp_path / "t.mp3"
    subprocess.run(
        [
            need("ffmpeg"),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            str(mp3),
        ],
        check=True,
    )
    write_tags(
        mp3,
        EpisodeMeta(title="T"),
        [ChapterMark("A", 0, 3.0)],
        "Ernis",
        None,
        people=[("Maya", "co-host"), ("Sam", "guest"), ("Ann", "guest")],
        soundbite=(1.25, 1.5),
    )
    tags = ffprobe(mp3)["format"]["tags"]
    assert "Co-host: Maya. Guests: Sam and Ann." in tags["comment"]
    assert tags["PaperLedge soundbite"] == "1.250 1.500"


# -- validate, on a feed's video alternate ---------------------------------------------------------


def test_validate_names_a_video_alternate_whose_length_or_file_is_wrong(tmp_path):
    """An app sizes its download by the feed's length: a wrong one is one line, as is a video
    the feed lists but nobody published."""
    from audio_pipeline.publish.validate_feed import validate_feed

    feed = tmp_path / "feed.xml"
    item = _item(tmp_path)
    feed.write_text(build_feed(SHOW, [item]), encoding="utf-8")
    item.video_path.write_bytes(bytes(1000))
    lines = [p.line() for p in validate_feed(feed) if "video" in p.message]
    assert len(lines) == 1 and "video length '123456' is not 01-ep.mp4's 1000 bytes" in lines[0], lines
    item.video_path.unlink()
    lines = [p.line() for p in validate_feed(feed) if "video" in p.message]
    assert len(lines) == 1 and "names no file beside the feed" in lines[0], lines


# -- a season with its videos (one render, shared) ----------------------------------------------------

EPISODE = """---
title: The Video Episode
season: 4
episode: 1
date: 2025-08-01
description: A short episode, seen as well as heard.
cast:
  Ernis: heart
  Maya: {voice: heart, role: co-host}
soundbite: "The ocean is never quiet … all of it at once."
---

## Welcome
Ernis: Hey crew, Ernis here, with Maya beside me today.

Maya: Hello everyone! It is good to be here.

## The ocean
Ernis: The ocean is never quiet. Whales sing, waves break, and shrimp snap, all of it at once.

## Goodbye
Maya: Thanks for listening. See you next time!
"""


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """A season of one cast episode (hibari heart voices), rendered with `season --video`."""
    root = tmp_path_factory.mktemp("video-season")
    folder, out, cache = root / "season", root / "out", root / "cache"
    folder.mkdir()
    (folder / "01-video.md").write_text(EPISODE, encoding="utf-8")
    result = run_cli("season", folder, "-o", out, "--video", "--cache-dir", cache)
    assert result.returncode == 0, result.stderr + result.stdout
    return folder, out, cache, result


def _mp3_seconds(path: Path) -> float:
    return float(ffprobe(path)["format"]["duration"])


@pytest.mark.slow
def test_season_video_makes_each_episode_video_and_lists_it_in_the_feed(season):
    """`season --video` publishes the video beside the MP3, H.264, as long as the MP3, and the feed
    points apps at it with its true size; the season passes validate (or the command would fail)."""
    folder, out, _, result = season
    mp3, mp4 = out / "01-video.mp3", out / "01-video.mp4"
    assert "videos: 1 video made (01-video)" in result.stdout
    probe = ffprobe(mp4)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert video["codec_name"] == "h264"
    assert abs(float(probe["format"]["duration"]) - _mp3_seconds(mp3)) <= 0.1
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["Welcome", "The ocean", "Goodbye"]
    item = ET.parse(out / "feed.xml").getroot().find("channel/item")
    alternate = item.find(f"{{{PODCAST_NS}}}alternateEnclosure")
    assert alternate.get("length") == str(mp4.stat().st_size) and alternate.get("type") == "video/mp4"
    assert alternate.find(f"{{{PODCAST_NS}}}source").get("uri").endswith("/01-video.mp4")
    assert run_cli("validate", out).returncode == 0


@pytest.mark.slow
def test_a_passage_soundbite_reaches_the_mp3_and_the_feed_at_its_sentences_times(season):
    """The feed's preview plays exactly the passage the script marked: from its first sentence's
    start in the audio to its last one's end (as the transcript times them)."""
    _, out, _, _ = season
    cues = vtt_cues(out / "01-video.vtt")
    first = next(c for c in cues if c[2].endswith("The ocean is never quiet."))
    last = next(c for c in cues if "all of it at once." in c[2])
    tag = ffprobe(out / "01-video.mp3")["format"]["tags"]["PaperLedge soundbite"]
    start, duration = map(float, tag.split())
    assert abs(start - first[0]) <= 0.002 and abs(start + duration - last[1]) <= 0.002
    bite = ET.parse(out / "feed.xml").getroot().find(f"channel/item/{{{PODCAST_NS}}}soundbite")
    assert (float(bite.get("startTime")), float(bite.get("duration"))) == (start, duration)
    assert bite.text == "The ocean is never quiet … all of it at once."


@pytest.mark.slow
def test_a_co_host_is_credited_as_co_host_in_the_tags_and_the_feed(season):
    _, out, _, _ = season
    comment = ffprobe(out / "01-video.mp3")["format"]["tags"]["comment"]
    assert "Co-host: Maya." in comment and "Guest" not in comment
    people = {p.text: p.get("role") for p in ET.parse(out / "feed.xml").getroot().iter(f"{{{PODCAST_NS}}}person")}
    assert people.get("Maya") == "co-host"


@pytest.mark.slow
def test_season_video_remakes_a_video_only_when_its_mp3_changed_or_it_is_missing(season, tmp_path):
    folder, out, cache, _ = season
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    mp4 = copy / "01-video.mp4"
    before = mp4.stat().st_mtime_ns
    again = run_cli("season", folder, "-o", copy, "--video", "--cache-dir", cache)
    assert again.returncode == 0 and "videos: 0 videos made, every one current" in again.stdout, again.stdout
    assert mp4.stat().st_mtime_ns == before
    mp4.unlink()
    again = run_cli("season", folder, "-o", copy, "--video", "--cache-dir", cache)
    assert again.returncode == 0 and "0 rendered" in again.stdout and "1 video made" in again.stdout, again.stdout
    assert abs(float(ffprobe(mp4)["format"]["duration"]) - _mp3_seconds(copy / "01-video.mp3")) <= 0.1
    state = json.loads((copy / ".season-state.json").read_text(encoding="utf-8"))
    assert "video:01-video.mp4" in state


@pytest.mark.slow
def test_validate_names_each_way_a_video_disagrees_with_its_mp3(season, tmp_path):
    """A video that is not H.264, shorter than the MP3, without its chapters, and not the size the
    feed states: `validate` says each in one line and fails."""
    _, out, _, _ = season
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    mp4 = copy / "01-video.mp4"
    other = tmp_path / "other.mp4"
    subprocess.run(
        [
            need("ffmpeg"),
            "-v",
            "error",
            "-i",
            str(mp4),
            "-t",
            "3",
            "-map_chapters",
            "-1",
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
            str(other),
        ],
        check=True,
    )
    os.replace(other, mp4)
    result = run_cli("validate", copy)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if "01-video.mp4" in line and ": error: " in line]
    assert any("not H.264" in line for line in lines), lines
    assert any("lasts " in line and "01-video.mp3" in line for line in lines), lines
    assert any("has 0 chapters but 01-video.mp3 3" in line for line in lines), lines
    assert any("video length" in line and "bytes" in line for line in lines), lines


@pytest.mark.slow
def test_render_video_writes_the_episode_video_beside_the_mp3(season, tmp_path):
    """`render --video`: the MP3 and, once it is written, its video (the sentences come from the cache)."""
    folder, _, cache, _ = season
    mp3 = tmp_path / "ep.mp3"
    result = run_cli("render", folder / "01-video.md", "-o", mp3, "--video", "--cache-dir", cache)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ep.mp4").is_file() and (tmp_path / "ep.youtube.txt").is_file()
    assert str(tmp_path / "ep.mp4") in result.stdout
    assert run_cli("validate", tmp_path / "ep.mp4").returncode == 0


@pytest.mark.slow
def test_make_season_video_makes_the_missing_video_from_the_mp3(season, tmp_path):
    """`make season VIDEO=1` over a rendered season: the missing video is made, nothing is rendered
    again, and the feed and validate run as for any season."""
    folder, out, _, _ = season
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "01-video.mp4").unlink()
    bin_dir = Path(sys.executable).parent
    # -o: the environment counts as up to date (it is what the tests run in).
    result = subprocess.run(
        ["make", "-o", f"{bin_dir}/paperledge", "season", "VIDEO=1", f"SEASON={folder}", f"OUT={copy}", f"BIN={bin_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "paperledge video" in result.stdout and "paperledge render" not in result.stdout
    assert (copy / "01-video.mp4").is_file()
    assert (
        "paperledge video"
        not in subprocess.run(
            ["make", "-n", "-o", f"{bin_dir}/paperledge", "season", f"SEASON={folder}", f"OUT={copy}", f"BIN={bin_dir}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
    )


# -- on Ray: the episode task makes the video beside the MP3 ------------------------------------------


@pytest.mark.slow
def test_a_ray_task_makes_the_video_from_the_bytes_and_only_the_driver_writes_it(season, tmp_path):
    """What a worker runs for `season --executor ray --video` (here without Ray): the video made in
    the task's own folder from the MP3 and sidecars as bytes, written by the driver atomically."""
    from audio_pipeline.cluster.driver import SeasonPlan, write_video
    from audio_pipeline.cluster.worker import produce_video
    from audio_pipeline.publish.season import mp3_digest, video_current

    folder, out, _, _ = season
    mp3 = tmp_path / "01-video.mp3"
    shutil.copy(out / "01-video.mp3", mp3)
    sidecars = [(name, (out / name).read_text(encoding="utf-8")) for name in ("01-video.vtt", "01-video.chapters.json")]
    made = produce_video("01-video", mp3.read_bytes(), sidecars)
    assert not list(tmp_path.glob("*.mp4"))  # the task wrote nothing here
    from audio_pipeline.credentials import read_credentials
    from audio_pipeline.render import RenderOptions

    assert read_credentials(Path("made.mp4"), data=made.mp4).verdict == "missing"  # the worker holds no key
    plan = SeasonPlan(folder, tmp_path, RenderOptions())
    write_video(plan, mp3, made, mp3_digest(mp3))
    assert video_current(mp3, plan.state) and plan.report.videos == [mp3.with_suffix(".mp4")]
    assert not list(tmp_path.glob("*.part"))
    assert read_credentials(mp3.with_suffix(".mp4")).ok, "the driver signed it as it wrote it"
    probe = ffprobe(mp3.with_suffix(".mp4"))
    assert abs(float(probe["format"]["duration"]) - _mp3_seconds(mp3)) <= 0.1
    assert (tmp_path / "01-video.youtube.txt").read_text(encoding="utf-8").startswith("The Video Episode")


HAVE_RAY = __import__("importlib").util.find_spec("ray") is not None


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.skipif(not HAVE_RAY, reason="Ray is not installed here: `make test-ray` runs this in .venv-ray")
def test_season_on_ray_with_video_makes_the_videos_on_the_workers(season, tmp_path):
    folder, _, cache, _ = season
    out = tmp_path / "out"
    result = run_cli("season", folder, "-o", out, "--executor", "ray", "--video", "--cache-dir", cache, "--quiet")
    assert result.returncode == 0, result.stderr + result.stdout
    assert abs(float(ffprobe(out / "01-video.mp4")["format"]["duration"]) - _mp3_seconds(out / "01-video.mp3")) <= 0.1
    (out / "01-video.mp4").unlink()
    result = run_cli("season", folder, "-o", out, "--executor", "ray", "--video", "--cache-dir", cache)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "1 video made" in result.stdout and "0 rendered" in result.stdout
    assert run_cli("validate", out).returncode == 0
