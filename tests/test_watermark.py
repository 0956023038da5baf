"""The inaudible mark: put into a real heart render's samples, it is found by `paperledge
detect` after real ffmpeg encodes (MP3, AAC, Opus); an unmarked render reads as unmarked; a
file that is not audio, or any bytes at all, is one line, never a traceback."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import need, refused_in_one_line, run_cli

SCRIPT = """---
title: Marked
---

## One
Hello crew, this is a short episode about the tide, the moon and the patient sea.
Every wave that reaches the beach has travelled a long way to get here, and it brings news.
Tonight we listen to what it says, one sentence at a time, slowly and calmly.
"""


def _decode(path, rate: int) -> np.ndarray:
    out = subprocess.run(
        [need("ffmpeg"), "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, "<f4").copy()


def _encode(samples: np.ndarray, rate: int, dest, *codec: str):
    subprocess.run(
        [need("ffmpeg"), "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-", *codec, str(dest)],
        input=samples.astype("<f4").tobytes(),
        check=True,
    )
    return dest


@pytest.fixture(scope="module")
def heart_render(tmp_path_factory):
    """A short episode in the heart voice, rendered for real and decoded back to floats."""
    d = tmp_path_factory.mktemp("watermark")
    (d / "marked.md").write_text(SCRIPT, encoding="utf-8")
    (d / "show.toml").write_text("watermark = false\n", encoding="utf-8")  # the plain render: marked below
    done = run_cli("render", d / "marked.md", "-o", d / "plain.mp3", "--voice", "heart", "--cache-dir", d / "cache", "-q")
    assert done.returncode == 0, done.stderr
    return d, d / "plain.mp3", _decode(d / "plain.mp3", 44_100)


@pytest.fixture(scope="module")
def marked(heart_render):
    pytest.importorskip("perth", reason="the watermark extra is not installed")
    from audio_pipeline.audio.watermark import marked_blocks

    d, _, samples = heart_render
    blocks = [samples[i : i + 4096] for i in range(0, samples.size, 4096)]  # as the render streams them
    out = np.concatenate(list(marked_blocks(blocks, 44_100)))
    assert out.size == samples.size and np.all(np.isfinite(out))
    return d, out


@pytest.mark.parametrize(
    "name, codec",
    [
        ("marked.mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
        ("marked.m4a", ["-c:a", "aac", "-b:a", "64k"]),
        ("marked.opus", ["-c:a", "libopus", "-b:a", "32k"]),
        ("quieter.mp3", ["-af", "volume=-6dB", "-c:a", "libmp3lame", "-b:a", "96k"]),
        ("louder.mp3", ["-af", "volume=6dB", "-c:a", "libmp3lame", "-b:a", "96k"]),
        ("excerpt.mp3", ["-ss", "3", "-t", "10", "-c:a", "libmp3lame", "-b:a", "96k"]),
    ],
)
@pytest.mark.watermark
def test_the_mark_is_found_after_a_real_encode(marked, name, codec):
    d, samples = marked
    path = _encode(samples, 44_100, d / name, *codec)
    done = run_cli("detect", path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "marked as synthetic speech" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.watermark
def test_a_render_carries_the_mark_and_says_so_in_its_credentials(heart_render):
    pytest.importorskip("perth", reason="the watermark extra is not installed")
    import c2pa

    d, _, _ = heart_render
    (d / "show.toml").unlink()
    done = run_cli("render", d / "marked.md", "-o", d / "rendered.mp3", "--voice", "heart", "--cache-dir", d / "cache")
    (d / "show.toml").write_text("watermark = false\n", encoding="utf-8")
    assert done.returncode == 0 and "watermarked" in done.stdout, done.stdout + done.stderr
    assert run_cli("detect", d / "rendered.mp3").returncode == 0
    with open(d / "rendered.mp3", "rb") as f:
        episode = next(
            a for a in c2pa.Reader("audio/mpeg", f).get_active_manifest()["assertions"] if a["label"] == "org.paperledge.episode"
        )["data"]
    assert "PerthNet" in episode["watermark"]["library"]


@pytest.mark.watermark
def test_an_unmarked_render_reads_as_unmarked(heart_render):
    pytest.importorskip("perth", reason="the watermark extra is not installed")
    _, plain, _ = heart_render
    done = run_cli("detect", plain)
    assert done.returncode == 3, done.stdout + done.stderr
    assert done.stdout.strip().endswith("no mark found") and not done.stderr.strip()


def test_a_file_that_is_not_audio_is_one_line(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n" * 50)
    refused_in_one_line(run_cli("detect", text), str(text))
    refused_in_one_line(run_cli("detect", tmp_path / "gone.mp3"), "gone.mp3")
    refused_in_one_line(run_cli("detect", tmp_path), str(tmp_path))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_any_bytes_are_one_line_or_unmarked(tmp_path, data):
    path = tmp_path / "any.mp3"
    path.write_bytes(data)
    done = run_cli("detect", path)
    assert done.returncode in (1, 3), done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert len((done.stdout + done.stderr).strip().splitlines()) == 1
