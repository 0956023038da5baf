"""The hibari engine and the bundled heart voice, rendered for real and read back by
ffprobe and ffmpeg; its pronunciations given as misaki phonemes."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLE, ebur128, ffprobe, run_cli, vtt_cues


@pytest.mark.slow
def test_heart_renders_the_sample_episode_end_to_end(tmp_path):
    # A producer choosing the second bundled voice gets the same finished episode: MP3,
    # chapters, transcript, loudness, with no download (the model is inside the wheel).
    out = tmp_path / "ep.mp3"
    done = run_cli(
        "render",
        SAMPLE,
        "-o",
        out,
        "--voice",
        "heart",
        "--cache-dir",
        tmp_path / "cache",
        env={"HIBARI_HOME": str(tmp_path / "no-downloads")},
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "no-downloads").exists()  # hibari's own voice cache is never touched
    probe = ffprobe(out)
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["Welcome", "The research", "Why it matters", "Questions to ponder"]
    stream = probe["streams"][0]
    assert stream["codec_name"] == "mp3" and stream["sample_rate"] == "44100" and stream["channels"] == 1
    lufs, peak = ebur128(out)
    assert abs(lufs + 16.0) <= 0.5 and peak <= -1.0
    cues = vtt_cues(out.with_suffix(".vtt"))
    assert cues[0][2].startswith("Hey PaperLedge crew, Ernis here")
    assert all(b > a for a, b, _ in cues) and cues[-1][1] <= float(probe["format"]["duration"])
    chapters = json.loads(out.with_suffix(".chapters.json").read_text(encoding="utf-8"))
    assert len(chapters["chapters"]) == 4


def test_text_shows_each_voice_its_own_pronunciation(tmp_path):
    # `paperledge text --voice` shows what that voice is given: misaki phonemes for hibari,
    # espeak phonemes for Piper, from the same lexicon entry.
    heart = run_cli("text", SAMPLE, "--voice", "heart", "--json")
    ernis = run_cli("text", SAMPLE, "--voice", "ernis", "--json")
    assert heart.returncode == 0 and ernis.returncode == 0, heart.stderr + ernis.stderr
    first_heart, first_ernis = json.loads(heart.stdout)[0], json.loads(ernis.stdout)[0]
    assert "[Ernis](/ˈɜɹnɪs/)" in first_heart["spoken"] and "lexicon:Ernis" in first_heart["rules"]
    assert "[[ ˈɜːnɪs ]]" in first_ernis["spoken"]
    assert first_heart["written"] == first_ernis["written"]


def test_a_missing_model_file_is_one_line_naming_it(tmp_path, script_file):
    profile = tmp_path / "v.toml"
    profile.write_text('[engine]\nname = "hibari"\nmodel = "voices/nowhere.onnx"\n', encoding="utf-8")
    done = run_cli("render", script_file, "-o", tmp_path / "o.mp3", "--voice", profile, "--no-cache")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "nowhere.onnx not found" in lines[0] and not (tmp_path / "o.mp3").exists()
    profile.write_text('[engine]\nname = "hibari"\nspeed = 9\n', encoding="utf-8")
    done = run_cli("render", script_file, "-o", tmp_path / "o.mp3", "--voice", profile, "--no-cache")
    assert done.returncode == 1 and "'speed' in [engine] must be a number from 0.5 to 2" in done.stderr


def test_fingerprint_covers_model_and_settings(tmp_path):
    # A cache entry is never served to a voice that would say it differently.
    from audio_pipeline.synthesis.engines.base import create_engine
    from audio_pipeline.synthesis.engines.hibari import BUNDLED, _resolve_model

    base = create_engine("hibari", {}).fingerprint()
    assert create_engine("hibari", {"threads": 2}).fingerprint() == base  # speed of work, not the sound
    assert create_engine("hibari", {"speed": 1.1}).fingerprint() != base
    assert create_engine("hibari", {"seed": 7}).fingerprint() != base
    copy = tmp_path / "voice.onnx"
    data = bytearray(_resolve_model(BUNDLED).read_bytes())
    data[-1] ^= 1
    copy.write_bytes(bytes(data))
    assert create_engine("hibari", {"model": str(copy)}).fingerprint() != base


@pytest.fixture
def script_file(tmp_path):
    path = tmp_path / "ep.md"
    path.write_text("Hello there. This is a short episode.\n", encoding="utf-8")
    return path
