"""An episode's AAC and Opus alternates (`season --alternates aac,opus`, show.toml [feed] alternates):
made from the finished MP3 only where needed, with its tags and chapters, as loud and as long as it,
proved whole, listed in the feed as podcast:alternateEnclosure, and never left half-written."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import feedparser
import podcastparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen.id3 import ID3

from audio_pipeline.errors import PaperLedgeError, RenderError
from audio_pipeline.publish.alternates import KINDS, make_alternate, parse_alternates

from .conftest import ebur128, ffprobe, run_cli

EP = "01-tiny"
CEILING_DBTP = -1.0  # RenderConfig().master.true_peak_dbtp


@pytest.fixture(scope="module")
def alt_season(tiny_season, tmp_path_factory) -> dict:
    """The tiny season with show.toml's [feed] alternates = ["aac"], rendered three times: with the
    show's setting, with --alternates aac,opus, and again unchanged."""
    root = tmp_path_factory.mktemp("alternates")
    for part in ("s1", "out", "cache"):
        shutil.copytree(tiny_season / part, root / part)
    (root / "s1" / "show.toml").write_text('[feed]\nalternates = ["aac"]\n', encoding="utf-8")
    out = root / "out"
    runs, times = [], []
    for extra in ([], ["--alternates", "aac,opus"], ["--alternates", "aac,opus"]):
        proc = run_cli("season", root / "s1", "-o", out, "--voice", "heart", "--cache-dir", root / "cache", *extra)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append(proc)
        times.append({p.name: p.stat().st_mtime_ns for p in out.glob(f"{EP}.*")})
    return {"root": root, "out": out, "runs": runs, "times": times}


def test_the_show_setting_then_the_option_make_each_alternate_once(alt_season):
    """show.toml's [feed] alternates makes the M4A; --alternates wins and adds the Opus without
    making the M4A again; an unchanged rerun makes nothing (the files keep their mtimes)."""
    first, second, third = alt_season["times"]
    assert f"{EP}.m4a" in first and f"{EP}.opus" not in first
    assert second[f"{EP}.m4a"] == first[f"{EP}.m4a"] and f"{EP}.opus" in second
    assert third == second
    assert "alternates:" not in alt_season["runs"][2].stdout


def _mp3_chapters(mp3: Path) -> list[tuple[float, str]]:
    return [
        (c.start_time / 1000, str(c.sub_frames["TIT2"].text[0]))
        for c in sorted(ID3(mp3).getall("CHAP"), key=lambda c: c.start_time)
    ]


def test_the_m4a_carries_the_mp3s_tags_cover_and_chapters(alt_season):
    out = alt_season["out"]
    mp3, m4a = ffprobe(out / f"{EP}.mp3"), ffprobe(out / f"{EP}.m4a")
    tags = {k.lower(): v for k, v in m4a["format"]["tags"].items()}
    for key in ("title", "artist", "album", "date"):
        assert tags[key] == {k.lower(): v for k, v in mp3["format"]["tags"].items()}[key]
    audio = [s for s in m4a["streams"] if s["codec_type"] == "audio"]
    assert [s["codec_name"] for s in audio] == ["aac"]
    assert audio[0]["channels"] == [s for s in mp3["streams"] if s["codec_type"] == "audio"][0]["channels"]
    assert any(s.get("disposition", {}).get("attached_pic") for s in m4a["streams"])  # the cover
    got = [(float(c["start_time"]), c["tags"]["title"]) for c in m4a["chapters"]]
    want = _mp3_chapters(out / f"{EP}.mp3")
    assert [t for _, t in got] == [t for _, t in want] == ["One", "Two"]
    assert all(abs(a - b) < 0.01 for (a, _), (b, _) in zip(got, want))
    # Signed: the C2PA reference reader finds the MP3 as its parent and the AI declaration.
    import c2pa

    with open(out / f"{EP}.m4a", "rb") as f:
        reader = c2pa.Reader("audio/mp4", f)
        assert reader.get_validation_state() in ("Valid", "Trusted")
        active = reader.get_active_manifest()
    assert [i["relationship"] for i in active["ingredients"]] == ["parentOf"]
    assert any(
        a.get("digitalSourceType", "").endswith("trainedAlgorithmicMedia")
        for s in active["assertions"]
        if s["label"].startswith("c2pa.actions")
        for a in s["data"]["actions"]
    )


def test_the_opus_carries_the_tags_and_chapters_as_vorbis_comments(alt_season):
    out = alt_season["out"]
    opus = ffprobe(out / f"{EP}.opus")
    audio = [s for s in opus["streams"] if s["codec_type"] == "audio"]
    assert [s["codec_name"] for s in audio] == ["opus"]
    assert opus["format"]["format_name"] == "ogg"
    tags = {k.lower(): v for k, v in audio[0]["tags"].items()}
    assert tags["title"] == "Tiny: a test" and tags["artist"] == "Ernis" and tags["date"] == "2025-01-02"
    got = [(float(c["start_time"]), c["tags"]["title"]) for c in opus["chapters"]]
    want = _mp3_chapters(out / f"{EP}.mp3")
    assert [t for _, t in got] == ["One", "Two"]
    assert all(abs(a - b) < 0.01 for (a, _), (b, _) in zip(got, want))


def test_each_alternate_is_as_loud_as_long_and_under_the_ceiling(alt_season):
    """What an audio engineer checks, with ffmpeg's ebur128 and ffprobe."""
    out = alt_season["out"]
    lufs, _ = ebur128(out / f"{EP}.mp3")
    seconds = float(ffprobe(out / f"{EP}.mp3")["format"]["duration"])
    for suffix in (".m4a", ".opus"):
        alt = out / f"{EP}{suffix}"
        alt_lufs, peak = ebur128(alt)
        assert abs(alt_lufs - lufs) <= 0.5, (suffix, alt_lufs, lufs)
        assert peak <= CEILING_DBTP, (suffix, peak)
        assert abs(float(ffprobe(alt)["format"]["duration"]) - seconds) <= 0.1


def test_feed_readers_find_the_alternates_and_the_mp3_stays_the_enclosure(alt_season):
    out = alt_season["out"]
    text = (out / "feed.xml").read_text(encoding="utf-8")
    entry = feedparser.parse(text).entries[0]
    assert [e.href.rsplit("/", 1)[1] for e in entry.enclosures] == [f"{EP}.mp3"]
    # feedparser keeps the last alternate of a kind: the Opus, with its size in bytes.
    assert entry.podcast_alternateenclosure == {
        "type": "audio/opus",
        "length": str((out / f"{EP}.opus").stat().st_size),
        "bitrate": "48000",
        "title": "Opus",
        "codecs": "opus",
    }
    assert 'type="audio/mp4"' in text and f'length="{(out / f"{EP}.m4a").stat().st_size}"' in text
    assert f"{EP}.m4a" in text and 'default="true"' not in text
    episode = podcastparser.parse("https://example.com/paperledge/feed.xml", io.BytesIO(text.encode()))["episodes"][0]
    assert [e["url"].rsplit("/", 1)[1] for e in episode["enclosures"]] == [f"{EP}.mp3"]
    proc = run_cli("validate", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("suffix, damage", [(".m4a", "cut"), (".opus", "flip")])
def test_validate_names_a_cut_m4a_or_a_flipped_byte_opus_in_one_line(alt_season, tmp_path, suffix, damage):
    out = tmp_path / "out"
    shutil.copytree(alt_season["out"], out)
    alt = out / f"{EP}{suffix}"
    data = bytearray(alt.read_bytes())
    if damage == "cut":
        data = data[: len(data) - 2000]
    else:
        data[len(data) // 2] ^= 0x40
    alt.write_bytes(bytes(data))
    for target in (alt, out):
        proc = run_cli("validate", target)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        lines = [line for line in proc.stdout.splitlines() if f"{alt.name}: error:" in line]
        assert len(lines) == 1 and "make it again" in lines[0], proc.stdout


@pytest.fixture
def tmpfs(tmp_path):
    where = tmp_path / "fs"
    where.mkdir()

    def mount(size: int) -> Path:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
        return where

    yield mount
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.parametrize("name", ["aac", "opus"])
def test_a_full_disk_leaves_nothing_at_the_alternates_path(alt_season, tmpfs, name):
    mp3 = alt_season["out"] / f"{EP}.mp3"
    folder = tmpfs(mp3.stat().st_size + 64 * 1024)  # the MP3 and a quarter of its alternate
    shutil.copy(mp3, folder)
    with pytest.raises(RenderError, match="no space left|not written"):
        make_alternate(folder / mp3.name, KINDS[name])
    assert sorted(p.name for p in folder.iterdir()) == [mp3.name]


def test_a_killed_encode_is_one_line_and_leaves_nothing(alt_season, tmp_path):
    """ffmpeg killed in the middle of the encode (SIGXFSZ, past a file-size limit): one line, no M4A,
    no temporary file."""
    root = tmp_path / "season"
    for part in ("s1", "out", "cache"):
        shutil.copytree(alt_season["root"] / part, root / part)
    for p in root.glob("out/*.m4a"):
        p.unlink()
    real = shutil.which("ffmpeg")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "ffmpeg"
    # The encode (the one run that reads chapters as ffmetadata) dies once it has written 50 KB.
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *ffmetadata*) ulimit -f 100;; esac\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    proc = run_cli(
        "season",
        root / "s1",
        "-o",
        root / "out",
        "--voice",
        "heart",
        "--cache-dir",
        root / "cache",
        "--alternates",
        "aac",
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not written" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert not (root / "out" / f"{EP}.m4a").exists()
    assert not [p for p in (root / "out").iterdir() if p.name.endswith("part")]


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.lists(st.text(max_size=12), max_size=5),
        st.integers(),
        st.none(),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    )
)
def test_any_alternates_setting_gives_known_names_or_one_short_line(value):
    try:
        names = parse_alternates(value, "show.toml: [feed] alternates")
    except PaperLedgeError as e:
        assert "\n" not in str(e) and len(str(e)) < 200
        return
    assert set(names) <= set(KINDS) and len(names) == len(set(names))


def test_the_cli_refuses_an_unknown_alternate_in_one_line(tiny_season):
    proc = run_cli("season", tiny_season / "s1", "-o", tiny_season / "never", "--alternates", "aac,mp5")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "'mp5'" in proc.stderr, proc.stderr
    assert not (tiny_season / "never").exists()


def test_the_feed_leaves_out_an_alternate_made_from_another_mp3(alt_season, tmp_path):
    """An MP3 rendered again without --alternates: its old M4A and Opus are of other audio, so the
    feed no longer offers them."""
    root = tmp_path / "season"
    for part in ("s1", "out"):
        shutil.copytree(alt_season["root"] / part, root / part)
    state_path = root / "out" / ".season-state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state = {k: ("0" * 64 if k.startswith("alternate:") else v) for k, v in state.items()}
    state_path.write_text(json.dumps(state), encoding="utf-8")
    proc = run_cli("feed", root / "s1", "-o", root / "out", "--alternates", "none")  # none made again either
    assert proc.returncode == 0, proc.stderr
    assert "alternateEnclosure" not in (root / "out" / "feed.xml").read_text(encoding="utf-8")


def test_feed_makes_the_alternates_of_episodes_rendered_one_by_one(tiny_season, tmp_path):
    """`make season ALTERNATES=opus` renders each MP3 alone (no season state), then `feed --alternates`
    makes what is missing, once."""
    root = tmp_path / "season"
    for part in ("s1", "out"):
        shutil.copytree(tiny_season / part, root / part)
    (root / "out" / ".season-state.json").unlink()
    for attempt in range(2):
        proc = run_cli("feed", root / "s1", "-o", root / "out", "--alternates", "opus")
        assert proc.returncode == 0, proc.stderr
        assert (f"{EP}.opus" in proc.stderr) == (attempt == 0), proc.stderr
    assert f"{EP}.opus" in (root / "out" / "feed.xml").read_text(encoding="utf-8")
    assert not (root / "out" / f"{EP}.m4a").exists()
