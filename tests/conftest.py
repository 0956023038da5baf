"""Shared helpers: outputs are read back with ffprobe and ffmpeg, not with our own code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
PAPERLEDGE = [sys.executable, "-m", "audio_pipeline.cli"]
# The signing key a first render makes lives in the user's config folder: the suite's own,
# made once for the session, never the developer's (every command the tests run inherits it).
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="paperledge-test-config-")


def _signing_key() -> None:
    """Made before any test runs: a first render's "made a signing key" line is a test of its own
    (test_credentials), not a second line in every test that counts the lines a render prints."""
    from audio_pipeline.credentials.keys import init_keys

    init_keys()


_signing_key()


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`paperledge ARGS` in `cwd` (default: the checkout, which is the PaperLedge show folder);
    `env` adds to (or, with None values, removes from) the environment."""
    full = dict(os.environ)
    full.pop("PAPERLEDGE_SHOW", None)  # a show named in the caller's environment would leak in
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return subprocess.run([*PAPERLEDGE, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT, env=full)


def refused_in_one_line(proc: subprocess.CompletedProcess, *words: str) -> str:
    """The one error line of a command that refused its input (exit 1, no traceback),
    holding each of `words`."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def ctrl_c_reaches() -> None:
    """Popen's preexec_fn for a test that presses Ctrl-C: SIGINT as at a terminal. A shell that
    runs the tests in the background ignores SIGINT, and every child inherits that, so the
    command under test would never see the Ctrl-C the test sends."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def render_result(script: Path, output: Path, cache_dir: Path, **options):
    """Render in this process, as `paperledge render SCRIPT -o OUTPUT --cache-dir CACHE_DIR`
    does, and return the RenderResult: its `synthesis` says how many sentences were
    synthesised and how many came from the cache."""
    from audio_pipeline.render import RenderOptions, render

    return render(Path(script), RenderOptions(output=Path(output), cache_dir=Path(cache_dir), **options))


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: `make system-deps` installs it")
    return path


def ffprobe(path: Path) -> dict:
    out = subprocess.run(
        [need("ffprobe"), "-v", "error", "-show_chapters", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    # ffprobe lists CHAP frames in file order; sort by start.
    data["chapters"] = sorted(data.get("chapters", []), key=lambda c: float(c["start_time"]))
    return data


def attached_cover(path: Path, tmp: Path) -> bytes:
    """The cover picture inside an MP3, as ffmpeg extracts it."""
    out = tmp / f"{path.stem}-cover.jpg"
    subprocess.run(
        [need("ffmpeg"), "-v", "error", "-y", "-i", str(path), "-map", "0:v", "-c", "copy", "-f", "image2", str(out)], check=True
    )
    return out.read_bytes()


def ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter reads the file."""
    err = subprocess.run(
        [need("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = err[err.rindex("Summary:") :]
    i = float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))
    tp = float(re.search(r"Peak:\s*(-?[\d.]+) dBFS", summary).group(1))
    return i, tp


def vtt_cues(path: Path) -> list[tuple[float, float, str]]:
    def secs(t: str) -> float:
        h, m, s = t.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    cues = []
    for block in text.split("\n\n")[1:]:
        lines = block.strip().splitlines()
        if not lines:
            continue
        timing = next(line for line in lines if "-->" in line)
        start, end = (secs(x.strip()) for x in timing.split("-->"))
        cues.append((start, end, " ".join(lines[lines.index(timing) + 1 :])))
    return cues


@pytest.fixture(scope="session")
def deterministic_voice(tmp_path_factory) -> Path:
    """The Ernis voice with the engine's random noise switched off: identical audio every call."""
    folder = tmp_path_factory.mktemp("voice")
    text = (ROOT / "voices" / "ernis.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^noise_scale = .*$", "noise_scale = 0.0", text)
    text = re.sub(r"(?m)^noise_w_scale = .*$", "noise_w_scale = 0.0", text)
    text = re.sub(r'(?m)^lexicon = "(.*)"', lambda m: f'lexicon = "{ROOT / "voices" / m.group(1)}"', text)
    path = folder / "ernis-steady.toml"
    path.write_text(text, encoding="utf-8")
    return path


TINY_EPISODE = """---
title: "Tiny: a test"
season: 1
episode: 1
date: 2025-01-02
---

## One
Hello there.

## Two
Goodbye now.
"""


@pytest.fixture(scope="session")
def tiny_season(tmp_path_factory) -> Path:
    """A one-episode season (s1/01-tiny.md) rendered once by `paperledge season` with the heart
    voice: out/ holds the MP3, the sidecars, the season state and the GUID ledger; cache/ its
    sentences. Tests that damage it work on copies."""
    root = tmp_path_factory.mktemp("tiny-season")
    (root / "s1").mkdir()
    (root / "s1" / "01-tiny.md").write_text(TINY_EPISODE, encoding="utf-8")
    proc = run_cli("season", root / "s1", "-o", root / "out", "--voice", "heart", "--cache-dir", root / "cache")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return root


# `make test-fast` leaves these out with the other `slow` tests: each renders a video, a
# season with its alternates, or runs a studio or a season end to end (seconds each). Every
# stage keeps fast tests of its own (the video's chapter rules and captions, the alternates'
# setting, the studio's token and saves).
SLOW_FIXTURES = {"episode", "cast_episode", "sample", "alt_season"}
SLOW_TESTS = {
    "test_half_sent_requests_time_out_and_a_flood_under_few_descriptors_is_said_once",
    "test_studio_polling_while_it_renders_sees_and_writes_every_sentence",
    "test_low_limits_are_one_line_naming_the_limit",
    "test_a_season_shows_each_episode_and_stage_and_lists_what_it_rendered",
    "test_every_command_takes_dash_h",
    "test_a_cast_is_checked_by_ear_and_its_review_page_names_the_speakers",
    "test_a_script_without_chapters_gets_the_title_card_alone",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.originalname in SLOW_TESTS or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def with_nested_chapters(mp3: Path, depth: int) -> bytes:
    """The MP3's audio behind an ID3 v2.3 tag of CHAP frames each embedding the next, `depth`
    deep: a hostile tag that recursive readers overflow on."""
    import struct

    def frame(fid: bytes, data: bytes) -> bytes:
        return fid + struct.pack(">I", len(data)) + b"\0\0" + data

    inner = frame(b"TIT2", b"\x03t\x00")
    for i in range(depth):
        inner = frame(b"CHAP", f"c{i}".encode() + b"\0" + struct.pack(">IIII", 0, 1000, 0xFFFFFFFF, 0xFFFFFFFF) + inner)
    size = bytes((len(inner) >> s) & 0x7F for s in (21, 14, 7, 0))
    raw = mp3.read_bytes()
    return b"ID3\x03\x00\x00" + size + inner + raw[10 + sum(b << (7 * (3 - i)) for i, b in enumerate(raw[6:10])) :]
