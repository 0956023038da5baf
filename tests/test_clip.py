"""`paperledge clip`: a vertical or square MP4 of a passage of a rendered episode (the sample,
hibari "heart", rendered once), its ends on sentence boundaries, read back by ffprobe and OCR."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mutagen.id3 import ID3, TXXX

from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.video.clip import parse_time
from audio_pipeline.video.frames import SQUARE, VERTICAL
from tests.conftest import SAMPLE, ffprobe, refused_in_one_line, render_result, run_cli, vtt_cues
from tests.test_video import _seen, ocr


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("clip")
    mp3 = folder / "ep.mp3"
    render_result(SAMPLE, mp3, folder / "cache", voice="heart")
    return mp3


def _picture(info: dict) -> dict:
    return next(s for s in info["streams"] if s["codec_type"] == "video" and not s["disposition"]["attached_pic"])


def test_times_read_as_seconds_m_ss_and_h_mm_ss():
    assert [parse_time(t) for t in ("75", "75.5", "1:15", "01:15.5", "0:01:15", "1:00:00")] == [75, 75.5, 75, 75.5, 75, 3600]
    for bad in ("1h2m", "1:75", "1:2", "-3", "", "1:60:00", "abc", "1:02:03:04"):
        with pytest.raises(PaperLedgeError, match="is not a time"):
            parse_time(bad)


def test_vertical_clip_snaps_to_sentences_and_shows_captions_and_title(sample, tmp_path):
    cues = vtt_cues(sample.with_suffix(".vtt"))
    # --from inside the 4th sentence, --to inside the 6th: the clip is sentences 4 to 6 whole.
    a, b = cues[3], cues[5]
    out = tmp_path / "clip.mp4"
    proc = run_cli("clip", sample, "--from", f"{(a[0] + a[1]) / 2:.2f}", "--to", f"{(b[0] + b[1]) / 2:.2f}", "-o", out)
    assert proc.returncode == 0, proc.stderr
    info = ffprobe(out)
    v = _picture(info)
    assert (v["codec_name"], v["width"], v["height"], v["pix_fmt"]) == ("h264", 1080, 1920, "yuv420p")
    assert abs(float(info["format"]["duration"]) - (b[1] - a[0])) <= 0.1
    assert float(info["format"]["duration"]) <= 60
    mid = (a[1] - a[0]) / 2
    assert _seen(a[2], ocr(out, mid, tmp_path, VERTICAL.caption)) >= 0.6
    assert _seen(b[2], ocr(out, b[0] - a[0] + (b[1] - b[0]) / 2, tmp_path, VERTICAL.caption)) >= 0.6
    assert _seen("Listening to the Ocean", ocr(out, 0.5, tmp_path)) == 1  # the title card


def test_square_clip(sample, tmp_path):
    proc = run_cli("clip", sample, "--from", "0:30", "--to", "0:40", "--square", "-q")
    assert proc.returncode == 0, proc.stderr
    made = [p for p in sample.parent.iterdir() if p.name.endswith("-square.mp4")]
    assert len(made) == 1
    v = _picture(ffprobe(made[0]))
    assert (v["width"], v["height"]) == (SQUARE.width, SQUARE.height) == (1080, 1080)


def test_clip_mistakes_are_one_line(sample, tmp_path):
    refused_in_one_line(run_cli("clip", sample, "--from", "1h", "--to", "2:00"), "--from", "is not a time")
    refused_in_one_line(run_cli("clip", sample, "--from", "9:00", "--to", "9:30"), "after the episode's end")
    refused_in_one_line(run_cli("clip", sample, "--from", "0", "--to", "1:50"), "at most 60 s")
    refused_in_one_line(run_cli("clip", sample, "--from", "0:40", "--to", "0:20"), "before its end")
    refused_in_one_line(run_cli("clip", sample, "--from", "10"), "give both --from and --to")
    refused_in_one_line(run_cli("clip", sample), "no soundbite", "--from")
    assert not list(tmp_path.iterdir())


def test_the_soundbite_is_the_default_clip(sample, tmp_path):
    mp3 = tmp_path / "ep.mp3"
    for suffix in (".mp3", ".vtt", ".chapters.json"):
        shutil.copy(sample.with_suffix(suffix), mp3.with_suffix(suffix))
    tags = ID3(mp3)
    tags.add(TXXX(encoding=3, desc="PaperLedge soundbite", text="30 12"))
    tags.save(mp3)
    proc = run_cli("clip", mp3, "-q")
    assert proc.returncode == 0, proc.stderr
    (out,) = [p for p in tmp_path.iterdir() if p.suffix == ".mp4"]
    cues = vtt_cues(mp3.with_suffix(".vtt"))
    first = next(c for c in cues if c[1] > 30)
    last = next(c for c in reversed(cues) if c[0] < 42)
    assert abs(float(ffprobe(out)["format"]["duration"]) - (last[1] - first[0])) <= 0.1


def test_a_script_without_chapters_gets_the_title_card_alone(tmp_path):
    script = tmp_path / "plain.md"
    script.write_text(
        "---\ntitle: Plain Talk\n---\n\nHello there, everyone. This episode has no chapters at all.\n", encoding="utf-8"
    )
    mp3 = tmp_path / "plain.mp3"
    render_result(script, mp3, tmp_path / "cache", voice="heart")
    cues = vtt_cues(mp3.with_suffix(".vtt"))
    out = tmp_path / "plain-clip.mp4"
    proc = run_cli("clip", mp3, "--from", "0", "--to", f"{cues[-1][1]:.2f}", "-o", out, "-q")
    assert proc.returncode == 0, proc.stderr
    assert _seen("Plain Talk", ocr(out, 0.3, tmp_path)) == 1
