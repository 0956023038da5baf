"""The sample episode, rendered with the real Piper voice and read back by ffprobe/ffmpeg."""

from __future__ import annotations

import json

import pytest

from audio_pipeline.script.read import read_script

from .conftest import SAMPLE, ebur128, ffprobe, run_cli, vtt_cues

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    # -o into folders that do not exist yet: the render makes them, as `mkdir -p` would.
    out = tmp_path_factory.mktemp("render") / "out" / "season" / "episode.mp3"
    cache = tmp_path_factory.mktemp("cache")
    proc = run_cli("render", SAMPLE, "-o", out, "--cache-dir", cache)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_summary_line_names_duration_loudness_chapters_and_path(rendered):
    out, proc = rendered
    line = proc.stdout.strip().splitlines()[-1]
    assert str(out) in line and "LUFS" in line and "4 chapters" in line


def test_chapters_are_the_scripts_headings_in_order(rendered):
    out, _ = rendered
    info = ffprobe(out)
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == ["Welcome", "The research", "Why it matters", "Questions to ponder"]
    starts = [float(c["start_time"]) for c in info["chapters"]]
    ends = [float(c["end_time"]) for c in info["chapters"]]
    assert starts[0] == 0.0
    assert ends[:-1] == starts[1:], "each chapter ends where the next starts"
    assert abs(ends[-1] - float(info["format"]["duration"])) < 0.1


def test_loudness_and_true_peak_on_the_final_mp3(rendered):
    out, _ = rendered
    integrated, peak = ebur128(out)
    assert -16.5 <= integrated <= -15.5, integrated
    assert peak <= -1.0, peak


def test_mp3_format_tags_and_cover(rendered):
    out, _ = rendered
    info = ffprobe(out)
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"][0]
    assert audio["codec_name"] == "mp3" and audio["sample_rate"] == "44100" and audio["channels"] == 1
    assert int(audio["bit_rate"]) == 128000
    tags = {k.lower(): v for k, v in info["format"]["tags"].items()}
    meta = read_script(SAMPLE).meta
    assert tags["title"] == meta.title
    assert tags["artist"] == "Ernis"
    assert tags["album"].startswith("PaperLedge")
    assert tags["genre"] == "Podcast"
    assert tags["track"] == "1" and tags["disc"] == "1"
    assert tags["date"].startswith("2025")
    assert all(a in tags["comment"] for a in meta.authors), "full credits in the comment"
    cover = [s for s in info["streams"] if s.get("disposition", {}).get("attached_pic") == 1]
    assert cover and cover[0]["width"] == cover[0]["height"] >= 1400
    raw = out.read_bytes()
    # ID3 v2.4: the C2PA library writes the tag that carries the signed manifest (an unsigned
    # render keeps v2.3: test_credentials).
    assert raw[:3] == b"ID3" and raw[3] == 4 and b"application/c2pa" in raw[:200_000], "signed, ID3v2.4"
    tag_size = (raw[6] << 21) | (raw[7] << 14) | (raw[8] << 7) | raw[9]  # syncsafe integer
    assert b"Info" in raw[10 + tag_size : 10 + tag_size + 64], "Xing/Info header in the first frame"


def test_transcript_cues_in_order_within_the_file(rendered):
    out, _ = rendered
    duration = float(ffprobe(out)["format"]["duration"])
    cues = vtt_cues(out.with_suffix(".vtt"))
    episode = read_script(SAMPLE)
    assert len(cues) == len(episode.sentences())
    for (s0, e0, _), (s1, _, _) in zip(cues, cues[1:]):
        assert s0 < e0 <= s1
    assert cues[-1][1] < duration
    text = " ".join(c[2] for c in cues)
    assert "self-supervised" in text and "{" not in text, "the written form, not the spoken one"


def test_chapters_json_agrees_with_the_mp3(rendered):
    out, _ = rendered
    data = json.loads(out.with_suffix(".chapters.json").read_text(encoding="utf-8"))
    assert data["version"] == "1.2.0"
    probe = ffprobe(out)["chapters"]
    assert [c["title"] for c in data["chapters"]] == [c["tags"]["title"] for c in probe]
    for ours, theirs in zip(data["chapters"], probe):
        assert abs(ours["startTime"] - float(theirs["start_time"])) < 0.002


def test_chapter_starts_at_first_sentence_onset(rendered):
    out, _ = rendered
    cues = vtt_cues(out.with_suffix(".vtt"))
    onsets = [c[0] for c in cues]
    for chapter in ffprobe(out)["chapters"][1:]:
        start = float(chapter["start_time"])
        assert min(abs(start - o) for o in onsets) < 0.002, chapter["tags"]["title"]


def test_plain_text_script_renders_as_one_chapter(tmp_path):
    script = tmp_path / "a-short-note.txt"
    script.write_text("Hello crew. This is a plain text script with no front matter.\n", encoding="utf-8")
    out = tmp_path / "note.mp3"
    proc = run_cli("render", script, "-o", out, "--quiet", "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    info = ffprobe(out)
    assert info["format"]["tags"]["title"] == "A short note"
    assert len(info["chapters"]) == 1
