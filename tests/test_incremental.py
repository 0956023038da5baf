"""Work follows the change: a published file is measured again only when its bytes change
(.validate-verdicts.json), and the season and its feed stay right when files are edited,
replaced, deleted or restored outside the tool. Real heart renders, one season shared."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from audio_pipeline.publish.episode_facts import FACTS, EpisodeFacts
from audio_pipeline.publish.validate import errors, validate_folder
from audio_pipeline.publish.validate_mp3 import _audio_start, _frame
from audio_pipeline.publish.verdicts import VERDICTS, Verdicts

from .conftest import run_cli

SCRIPT = """---
title: Episode {n}
episode: {n}
date: 2025-06-0{n}
voice: heart
description: A short one.
---

## Hello
Hello and welcome to the show.
{last}
"""


def _write(season: Path, n: int, last: str = "Thanks for listening.") -> Path:
    path = season / f"0{n}-episode.md"
    path.write_text(SCRIPT.format(n=n, last=last), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A season of two short episodes, rendered, its feed written and validated once."""
    root = tmp_path_factory.mktemp("incremental")
    season, out, cache = root / "season", root / "out", root / "cache"
    season.mkdir()
    for n in (1, 2):
        _write(season, n)
    proc = run_cli("season", season, "-o", out, "--cache-dir", cache, "-q")
    assert proc.returncode == 0, proc.stderr
    assert (out / VERDICTS).is_file()
    return season, out, cache


@pytest.fixture
def season(rendered, tmp_path):
    """A copy of the rendered season, for a test to change."""
    src, out, cache = rendered
    shutil.copytree(src, tmp_path / "season")
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "season", tmp_path / "out", cache


def _checked(out: Path) -> tuple[list, Verdicts]:
    verdicts = Verdicts(out)
    return validate_folder(out, verdicts=verdicts), verdicts


def _no_ffmpeg(tmp_path: Path) -> dict[str, str]:
    """An environment where no ffmpeg can be found: not on PATH, and imageio-ffmpeg pointed
    at a file that is not there (it trusts that variable unchecked)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty), "IMAGEIO_FFMPEG_EXE": str(tmp_path / "no-ffmpeg")}


def test_unchanged_folder_is_not_measured_again(season, tmp_path):
    _, out, _ = season
    problems, verdicts = _checked(out)
    assert not errors(problems) and (verdicts.hits, verdicts.misses) == (2, 0)
    # Without ffmpeg, an unchanged folder still validates: nothing was decoded.
    proc = run_cli("validate", out, env=_no_ffmpeg(tmp_path))
    assert proc.returncode == 0 and "ready to publish" in proc.stdout, proc.stdout + proc.stderr
    # The same run without the verdicts needs ffmpeg: the observation above is a real one.
    (out / VERDICTS).unlink()
    assert run_cli("validate", out, env=_no_ffmpeg(tmp_path)).returncode != 0


def _flip_frame_header(mp3: Path) -> None:
    """Zero the sync byte of the tenth audio frame, keeping the size, and forge the mtime back."""
    st = mp3.stat()
    data = bytearray(mp3.read_bytes())
    at = _audio_start(bytes(data))
    for _ in range(10):
        at += _frame(bytes(data), at)[2]
    data[at] = 0
    mp3.write_bytes(bytes(data))
    os.utime(mp3, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (mp3.stat().st_size, mp3.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def test_one_flipped_byte_with_forged_mtime_is_validated_again(season):
    _, out, _ = season
    _flip_frame_header(out / "01-episode.mp3")
    problems, verdicts = _checked(out)
    assert (verdicts.hits, verdicts.misses) == (1, 1)
    assert any("breaks off" in p.message and p.path.name == "01-episode.mp3" for p in errors(problems)), problems
    # The failure is kept as this file's verdict, and still fails from the cache.
    proc = run_cli("validate", out)
    assert proc.returncode == 1 and "breaks off" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b"[]",
        b'{"settings": 1, "files": []}',
        b"\xff\xfe",
        b'{"settings": "x", "files": {}}',
    ],
)
def test_damaged_verdicts_are_ignored_and_rebuilt(season, damage):
    _, out, _ = season
    (out / VERDICTS).write_bytes(damage)
    problems, verdicts = _checked(out)
    assert not errors(problems) and (verdicts.hits, verdicts.misses) == (0, 2)
    rebuilt = json.loads((out / VERDICTS).read_text(encoding="utf-8"))
    assert rebuilt["settings"] == verdicts.settings and len(rebuilt["files"]) == 2


def test_forged_pass_under_other_settings_is_not_trusted(season):
    _, out, _ = season
    # Verdicts made at 128 kbps say nothing of a check at 64 kbps.
    proc = run_cli("validate", out, "--bitrate", "64")
    assert proc.returncode == 1 and "not the configured 64 kbps" in proc.stdout, proc.stdout
    # A verdict entry of the wrong shape is dropped, not believed.
    data = json.loads((out / VERDICTS).read_text(encoding="utf-8"))
    data["files"] = {key: [["../elsewhere", "x", "error"]] for key in data["files"]}
    (out / VERDICTS).write_text(json.dumps(data), encoding="utf-8")
    assert Verdicts(out).old == {}


def test_replaced_sidecar_is_validated_again(season):
    _, out, _ = season
    vtt = out / "02-episode.vtt"
    vtt.write_text(vtt.read_text(encoding="utf-8").replace("WEBVTT", "WEBVTX", 1), encoding="utf-8")
    problems, verdicts = _checked(out)
    assert (verdicts.hits, verdicts.misses) == (1, 1)
    assert any(p.path == vtt and "WEBVTT" in p.message for p in errors(problems)), problems


def test_deleted_mp3_is_rendered_again(season):
    src, out, cache = season
    (out / "02-episode.mp3").unlink()
    proc = run_cli("season", src, "-o", out, "--cache-dir", cache)
    assert proc.returncode == 0, proc.stderr
    assert "rendered: 02-episode" in proc.stdout and "unchanged: 01-episode" in proc.stdout, proc.stdout


def test_restored_old_copy_reuses_its_verdict_only_when_its_bytes_match(season):
    src, out, cache = season
    names = ["01-episode" + s for s in (".mp3", ".vtt", ".srt", ".chapters.json")]
    old = {n: (out / n).read_bytes() for n in names}
    _write(src, 1, "Thanks for listening, and goodbye.")
    proc = run_cli("season", src, "-o", out, "--cache-dir", cache, "-q")
    assert proc.returncode == 0, proc.stderr
    assert (out / "01-episode.mp3").read_bytes() != old["01-episode.mp3"]
    # The old MP3 back, with the new sidecars: bytes never checked together, so measured.
    (out / "01-episode.mp3").write_bytes(old["01-episode.mp3"])
    problems, verdicts = _checked(out)
    assert (verdicts.hits, verdicts.misses) == (1, 1)
    # The whole old render back: those very bytes were checked, and their verdict is reused.
    for n in names:
        (out / n).write_bytes(old[n])
    problems, verdicts = _checked(out)
    assert (verdicts.hits, verdicts.misses) == (2, 0)
    # The feed written again describes the restored file, not the one the facts last saw.
    proc = run_cli("season", src, "-o", out, "--cache-dir", cache)
    assert proc.returncode == 0 and "unchanged: 01-episode, 02-episode" in proc.stdout, proc.stdout + proc.stderr
    assert run_cli("validate", out).returncode == 0


def test_feed_follows_an_outside_edit_of_a_sidecar(season):
    """The feed's facts are kept by the bytes of the MP3 and its sidecars: an edited
    chapters file is read again, not taken from what the last run saw."""
    src, out, cache = season
    chapters = out / "02-episode.chapters.json"
    data = json.loads(chapters.read_text(encoding="utf-8"))
    data["chapters"][0]["title"] = "Renamed outside"
    chapters.write_text(json.dumps(data), encoding="utf-8")
    proc = run_cli("feed", src, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "Renamed outside" in (out / "feed.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "damage", [b"{", b"[1]", b'{"version": "0 old", "scripts": {}, "mp3s": {}}', b'{"version": "NOW", "scripts": [], "mp3s": 3}']
)
def test_damaged_facts_are_ignored_and_rebuilt(season, damage):
    src, out, cache = season
    (out / FACTS).write_bytes(damage.replace(b"NOW", EpisodeFacts(out).version.encode()))
    before = (out / "feed.xml").read_bytes()
    proc = run_cli("season", src, "-o", out, "--cache-dir", cache, "-q")
    assert proc.returncode == 0, proc.stderr
    assert (out / "feed.xml").read_bytes() == before
    assert len(json.loads((out / FACTS).read_text(encoding="utf-8"))["mp3s"]) == 2


def test_feed_then_validate_in_one_process_reports_as_validate_does(season):
    """`make season` ends with `feed --validate`: the feed, then `validate`'s own report and
    exit status, without a second start-up."""
    src, out, _ = season
    proc = run_cli("feed", src, "-o", out, "--validate")
    assert proc.returncode == 0 and f"{out}: ready to publish" in proc.stdout, proc.stdout + proc.stderr
    _flip_frame_header(out / "01-episode.mp3")
    both, alone = run_cli("feed", src, "-o", out, "--validate"), run_cli("validate", out)
    assert both.returncode == alone.returncode == 1, both.stdout + both.stderr
    report = [line for line in both.stdout.splitlines() if "breaks off" in line]
    assert report and report == [line for line in alone.stdout.splitlines() if "breaks off" in line]
