"""Faults injected for real: a tiny full file system, killed renders, flipped bytes in the
cache. Whatever happens, a producer gets one line and a non-zero exit, and never an MP3
that is not the whole episode at the output path."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from audio_pipeline.synthesis.cache import SentenceCache

from .conftest import PAPERLEDGE, ROOT, ffprobe, render_result, run_cli, vtt_cues

SHORT = "---\ntitle: Short one\n---\n## One\nHello there, crew. Welcome in.\n\n## Two\nThis is a short episode. Thanks for listening.\n"

pytestmark = pytest.mark.slow


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) -> a fresh tmpfs of that many bytes (root only); unmounted afterwards."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        where = tmp_path / f"fs{len(mounted)}"
        where.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _one_line_error(proc, *words):
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("paperledge: error:") and "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


def _whole(mp3: Path) -> None:
    """ffprobe's duration covers every cue of the transcript beside it."""
    duration = float(ffprobe(mp3)["format"]["duration"])
    assert duration >= vtt_cues(mp3.with_suffix(".vtt"))[-1][1]


def test_full_disk_at_every_stage_never_publishes_a_cut_off_mp3(tmp_path, tmpfs):
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    cache = tmp_path / "cache"
    roomy = tmp_path / "roomy.mp3"
    assert run_cli("render", script, "-o", roomy, "--cache-dir", cache, "-q").returncode == 0
    mp3 = roomy.stat().st_size
    # The voice track (float32 samples from the voice's entry, 5 s into the intro) is
    # written first and kept until the MP3 and its sidecars are in place.
    # Pauses are holes in it (it is written with seeks), so only speech takes space.
    voice_track = 4 * 44_100 * sum(end - start for start, end, _ in vtt_cues(roomy.with_suffix(".vtt")))
    # Too small for anything; the voice track; the MP3 being encoded (the tee muxer hides
    # that failure); the tags and cover written into it; the signed copy written beside it
    # (Content Credentials); then room for everything.
    sizes = [
        8_192,
        int(voice_track * 0.5),
        int(voice_track + mp3 * 0.5),
        int(voice_track + mp3 * 0.97),
        int(voice_track + mp3 * 1.6),
        int(voice_track + 3 * mp3),
    ]
    outcomes = []
    for size in sizes:
        folder = tmpfs(size)
        out = folder / "ep.mp3"
        proc = run_cli("render", script, "-o", out, "--cache-dir", cache, "-q")
        if proc.returncode == 0:
            _whole(out)
            outcomes.append("ok")
        else:
            _one_line_error(proc, "no space left")
            assert not out.exists(), "nothing at the output path"
            assert os.listdir(folder) == [], f"litter left: {os.listdir(folder)}"
            outcomes.append("refused")
    assert outcomes == ["refused"] * 5 + ["ok"], outcomes
    # The cache is still whole: a render elsewhere synthesises nothing and is complete.
    assert render_result(script, tmp_path / "again.mp3", cache).synthesis.synthesized == 0
    _whole(tmp_path / "again.mp3")


def test_full_cache_disk_leaves_no_partial_entry(tmp_path, tmpfs):
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    cache = tmpfs(120_000)  # room for a sentence or two, not the episode
    out = tmp_path / "ep.mp3"
    proc = run_cli("render", script, "-o", out, "--cache-dir", cache, "-q", "-j", "1")
    _one_line_error(proc, "no space left", "cache")
    assert not out.exists()
    store = SentenceCache(cache)
    entries = list(cache.rglob("*.pcm"))
    assert not [p for p in entries if p.name.startswith(".tmp-")], "no half-written entry"
    assert all(store.get(p.stem) is not None for p in entries)


def test_full_temp_folder_is_not_a_traceback(tmp_path, tmpfs):
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    tmp = tmpfs(4096)
    env = {**os.environ, "TMPDIR": str(tmp)}
    out = tmp_path / "ep.mp3"
    proc = subprocess.run(
        [*PAPERLEDGE, "render", str(script), "-o", str(out), "--cache-dir", str(tmp_path / "c"), "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:
        _whole(out)
    else:
        _one_line_error(proc)
        assert not out.exists()


def test_read_only_cache_is_one_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes through read-only permissions; the tmpfs test covers a cache that cannot be written")
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    proc = run_cli("render", script, "-o", tmp_path / "ep.mp3", "--cache-dir", cache, "-q")
    _one_line_error(proc, "cache")


def test_read_only_cache_mount_is_one_line(tmp_path, tmpfs):
    cache = tmpfs(1 << 20)
    subprocess.run(["mount", "-o", "remount,ro", str(cache)], check=True)
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    out = tmp_path / "ep.mp3"
    proc = run_cli("render", script, "-o", out, "--cache-dir", cache, "-q")
    _one_line_error(proc, "cache", "--no-cache")
    assert not out.exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killed_render_leaves_nothing_the_next_run_keeps(tmp_path, signum):
    script = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "ep.mp3"
    cache = tmp_path / "cache"
    # Warm the cache so the kill lands in assembly/mastering, where temporary files exist.
    assert run_cli("render", script, "-o", tmp_path / "warm.mp3", "--cache-dir", cache, "-q").returncode == 0
    proc = subprocess.Popen(
        [*PAPERLEDGE, "render", str(script), "-o", str(out), "--cache-dir", str(cache), "-q"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".mp3.part") for p in out_dir.iterdir()):  # encoding has begun
        assert proc.poll() is None and time.monotonic() < deadline, "the render ended before it could be killed"
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert not out.exists()
    if signum == signal.SIGTERM:
        assert proc.returncode == 1 and "interrupted" in err and "Traceback" not in err
        assert os.listdir(out_dir) == []
    else:
        assert os.listdir(out_dir), "SIGKILL cannot clean up: the files are there for the next run"
    again = run_cli("render", script, "-o", out, "--cache-dir", cache, "-q")
    assert again.returncode == 0, again.stderr
    assert sorted(os.listdir(out_dir)) == ["ep.chapters.json", "ep.mp3", "ep.srt", "ep.vtt"]
    _whole(out)


def test_killed_synthesis_worker_is_one_line_and_the_next_run_keeps_its_sentences(tmp_path):
    # What the kernel's out-of-memory killer does: one of the render's worker processes dies.
    script = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
    out, cache = tmp_path / "ep.mp3", tmp_path / "cache"
    proc = subprocess.Popen(
        [*PAPERLEDGE, "render", str(script), "-o", str(out), "--cache-dir", str(cache), "-q", "--jobs", "2"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not _entries(cache):  # the workers are synthesising
        assert proc.poll() is None and time.monotonic() < deadline, "the render ended before a worker could be killed"
        time.sleep(0.02)
    workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert workers, "the render synthesises in worker processes"
    os.kill(int(workers[0]), signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    _one_line_error(
        subprocess.CompletedProcess(proc.args, proc.returncode, "", err), "synthesis worker was killed", "nothing was written"
    )
    assert not out.exists()
    kept = len(_entries(cache))
    again = render_result(script, out, cache)
    assert again.synthesis.cached >= kept > 0
    _whole(out)


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.pcm"))


def test_damaged_cache_entries_are_made_again_never_played(tmp_path, deterministic_voice):
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    cache = tmp_path / "cache"
    first = tmp_path / "first.mp3"
    voice = ["--voice", deterministic_voice]  # identical audio each take: timelines comparable
    assert run_cli("render", script, "-o", first, "--cache-dir", cache, "-q", *voice).returncode == 0
    entries = _entries(cache)
    assert len(entries) == 4
    # One flipped bit in the sample rate (22050 -> 22051: 0.005% fast), and 44100 written
    # into another entry (double speed): the checksum now covers the header too.
    a = bytearray(entries[0].read_bytes())
    a[6] ^= 1
    entries[0].write_bytes(bytes(a))
    b = bytearray(entries[1].read_bytes())
    b[6:10] = (44_100).to_bytes(4, "little")
    entries[1].write_bytes(bytes(b))
    c = bytearray(entries[2].read_bytes())
    c[6:10] = (0).to_bytes(4, "little")
    entries[2].write_bytes(bytes(c))
    second = tmp_path / "second.mp3"
    report = render_result(script, second, cache, voice=str(deterministic_voice)).synthesis
    assert (report.synthesized, report.cached) == (3, 1)
    # Same timeline: every cue at the same time as in the first render.
    assert vtt_cues(second.with_suffix(".vtt")) == vtt_cues(first.with_suffix(".vtt"))


def test_cache_entries_swapped_on_disk_are_made_again(tmp_path, deterministic_voice):
    """Each entry's checksum covers its own key: a whole, valid entry under another
    sentence's name is never served as that sentence."""
    script = tmp_path / "short.md"
    script.write_text(SHORT, encoding="utf-8")
    cache = tmp_path / "cache"
    first = tmp_path / "first.mp3"
    assert render_result(script, first, cache, voice=str(deterministic_voice)).synthesis.synthesized == 4
    a, b = _entries(cache)[:2]
    data_a, data_b = a.read_bytes(), b.read_bytes()
    a.write_bytes(data_b)
    b.write_bytes(data_a)
    second = tmp_path / "second.mp3"
    report = render_result(script, second, cache, voice=str(deterministic_voice)).synthesis
    assert (report.synthesized, report.cached) == (2, 2)
    assert vtt_cues(second.with_suffix(".vtt")) == vtt_cues(first.with_suffix(".vtt"))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_an_engine_that_returns_samples_that_are_not_numbers_is_one_error_never_an_mp3(tmp_path, monkeypatch, bad):
    """A damaged model can return NaN or infinite samples: mastering would carry them to the
    encoder. The real voice is run, with one of its sentences damaged on the way out."""
    from audio_pipeline.errors import RenderError
    from audio_pipeline.synthesis.engines.hibari import HibariEngine

    real = HibariEngine.synthesize

    def damaged(self, text):
        audio = real(self, text)
        if "second" in text:
            audio = audio.copy()
            audio[audio.size // 2] = bad
        return audio

    monkeypatch.setattr(HibariEngine, "synthesize", damaged)
    script = tmp_path / "ep.md"
    script.write_text("---\ntitle: Damaged\nvoice: heart\n---\n\nThe first sentence. The second sentence.\n", encoding="utf-8")
    out = tmp_path / "out" / "ep.mp3"
    with pytest.raises(RenderError, match="not numbers") as failed:
        render_result(script, out, tmp_path / "cache", jobs=1)
    assert "\n" not in str(failed.value) and "second sentence" in str(failed.value)
    assert (list(out.parent.iterdir()) if out.parent.exists() else []) == []
