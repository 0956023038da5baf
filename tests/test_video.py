"""The episode video: an episode rendered once (hibari "heart", fast), its MP4 made by
`paperledge video`, and the MP4 read back by ffprobe, ffmpeg's ebur128 and tesseract's OCR
of frames taken at each sentence's middle. The YouTube chapter rules are unit-tested."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from audio_pipeline.config import VIDEO_FPS
from audio_pipeline.video.frames import VERTICAL, WIDE, Painter, fit, undrawable, wrap
from audio_pipeline.video.youtube import timestamp, youtube_chapters, youtube_text
from tests.conftest import PAPERLEDGE, ROOT, ebur128, ffprobe, need, refused_in_one_line, render_result, run_cli, vtt_cues
from tests.test_faults import tmpfs  # noqa: F401  (the fixture)

SCRIPT = """\
---
title: Whales and Machines
date: 2025-05-02
description: A short look at how a small network learns to hear whale songs.
authors: [Maya Okafor, Lars Lindqvist]
---

## Welcome
Hello and welcome to the show. Today we listen to the ocean with a computer.

## The research
The researchers recorded the sea for a whole year. Almost nobody had time to label those recordings.

## Why it matters
Small labelled sets are everywhere. That is why this paper matters far beyond the sea.
"""

DIALOGUE = """\
---
title: A Conversation
cast:
  Ernis: heart
  Maya: heart
---

## Hello
Ernis: Welcome back to the studio, everyone.

Maya: Thank you for having me on the show today.

Ernis: Let us begin with the paper itself.
"""


def _render(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{name}.md"
    script.write_text(text, encoding="utf-8")
    mp3 = folder / f"{name}.mp3"
    render_result(script, mp3, folder / "cache", voice="heart")
    return mp3


@pytest.fixture(scope="module")
def episode(tmp_path_factory) -> Path:
    """A rendered episode and its video, made by the command a producer runs."""
    mp3 = _render(tmp_path_factory.mktemp("video"), "ep", SCRIPT)
    proc = run_cli("video", mp3, "-q")
    assert proc.returncode == 0, proc.stderr
    return mp3


@pytest.fixture(scope="module")
def cast_episode(tmp_path_factory) -> Path:
    mp3 = _render(tmp_path_factory.mktemp("cast"), "talk", DIALOGUE)
    assert run_cli("video", mp3, "-q").returncode == 0
    return mp3


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def ocr(video: Path, at: float, tmp: Path, box: tuple[int, int, int, int] | None = None) -> str:
    """The words tesseract reads on the frame on screen at `at` seconds (in `box`, x y width height, if given)."""
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr; `make system-deps` installs it)")
    png = tmp / f"frame-{at:.2f}.png"
    # `-ss T` decodes the first frame at or after T: the one on screen at T began up to a frame before.
    seek = max(0.0, at - 1 / VIDEO_FPS + 0.001)
    subprocess.run(
        [
            need("ffmpeg"),
            "-v",
            "error",
            "-y",
            "-ss",
            f"{seek:.3f}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            *(["-vf", "crop={2}:{3}:{0}:{1}".format(*box)] if box else []),
            str(png),
        ],
        check=True,
    )
    return subprocess.run(["tesseract", str(png), "-", "--psm", "3"], capture_output=True, text=True, check=True).stdout


def _seen(caption: str, read: str) -> float:
    """The share of the caption's words OCR found on the frame."""
    want, got = _words(caption), set(_words(read))
    return sum(w in got for w in want) / max(1, len(want))


def _atoms(path: Path) -> list[str]:
    """The MP4's top-level boxes in file order."""
    names, data, at = [], path.read_bytes(), 0
    while at + 8 <= len(data):
        size, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        names.append(kind)
        if size < 8:
            break
        at += size
    return names


def test_video_is_full_hd_h264_faststart_and_as_long_as_the_mp3(episode):
    mp4 = episode.with_suffix(".mp4")
    info, mp3 = ffprobe(mp4), ffprobe(episode)
    picture = [s for s in info["streams"] if s["codec_type"] == "video" and not s["disposition"]["attached_pic"]]
    assert len(picture) == 1
    v = picture[0]
    assert (v["codec_name"], v["width"], v["height"], v["pix_fmt"]) == ("h264", 1920, 1080, "yuv420p")
    atoms = _atoms(mp4)
    assert atoms.index("moov") < atoms.index("mdat"), atoms  # +faststart: a player starts before the download ends
    assert abs(float(info["format"]["duration"]) - float(mp3["format"]["duration"])) <= 0.1
    audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
    assert [s["codec_name"] for s in audio] == ["aac"]
    assert abs(float(audio[0]["duration"]) - float(mp3["format"]["duration"])) <= 0.1


def test_video_is_signed_as_made_from_the_mp3(episode):
    import c2pa

    with open(episode.with_suffix(".mp4"), "rb") as f:
        reader = c2pa.Reader("video/mp4", f)
        assert reader.get_validation_state() in ("Valid", "Trusted")
        active = reader.get_active_manifest()
    assert [i["title"] for i in active["ingredients"]] == [episode.with_suffix(".mp3").name]


def test_video_chapters_and_tags_are_the_mp3s(episode):
    info, mp3 = ffprobe(episode.with_suffix(".mp4")), ffprobe(episode)
    assert (
        [c["tags"]["title"] for c in info["chapters"]]
        == [c["tags"]["title"] for c in mp3["chapters"]]
        == ["Welcome", "The research", "Why it matters"]
    )
    for ours, theirs in zip(info["chapters"], mp3["chapters"]):
        assert abs(float(ours["start_time"]) - float(theirs["start_time"])) <= 0.01
    tags = {k.lower(): v for k, v in info["format"]["tags"].items()}
    want = {k.lower(): v for k, v in mp3["format"]["tags"].items()}
    for key in ("title", "artist", "album", "date"):
        assert tags[key] == want[key], key
    covers = [s for s in info["streams"] if s["disposition"]["attached_pic"]]
    assert len(covers) == 1 and covers[0]["codec_name"] in ("mjpeg", "png")


def test_video_loudness_is_the_episodes(episode):
    lufs, peak = ebur128(episode.with_suffix(".mp4"))
    assert abs(lufs + 16) <= 1, lufs
    assert peak <= -1.0, peak


def test_each_caption_is_on_screen_while_its_sentence_is_said(episode, tmp_path):
    mp4 = episode.with_suffix(".mp4")
    cues = vtt_cues(episode.with_suffix(".vtt"))
    assert len(cues) >= 6
    for start, end, text in cues:
        read = ocr(mp4, (start + end) / 2, tmp_path, WIDE.caption)
        assert _seen(text, read) >= 0.6, (text, read)
    # The first sentence shows from its start (within 0.1 s); before it, in the pause, it does not.
    start, end, text = cues[0]
    assert _seen(text, ocr(mp4, start + 0.1, tmp_path, WIDE.caption)) >= 0.6
    before = ocr(mp4, max(0.0, start - 0.15), tmp_path, WIDE.caption)
    assert _seen(text, before) < 0.3, before


def test_the_frame_names_the_show_episode_and_chapter(episode, tmp_path):
    mp4 = episode.with_suffix(".mp4")
    cues = vtt_cues(episode.with_suffix(".vtt"))
    start, end, _ = cues[-1]  # in the last chapter
    read = ocr(mp4, (start + end) / 2, tmp_path)
    assert _seen("Whales and Machines", read) == 1, read
    assert _seen("Why it matters", read) == 1, read


def test_a_cast_episode_shows_who_speaks(cast_episode, tmp_path):
    mp4 = cast_episode.with_suffix(".mp4")
    text = cast_episode.with_suffix(".vtt").read_text(encoding="utf-8")
    speakers = re.findall(r"<v ([^>]+)>", text)
    assert speakers[:3] == ["Ernis", "Maya", "Ernis"]
    for (start, end, _), who in zip(vtt_cues(cast_episode.with_suffix(".vtt")), speakers):
        assert who.lower() in _words(ocr(mp4, (start + end) / 2, tmp_path, WIDE.caption))


def test_youtube_description_holds_title_notes_chapters_and_disclosure(episode):
    text = episode.with_suffix(".youtube.txt").read_text(encoding="utf-8")
    assert text.startswith("Whales and Machines\n")
    assert "A short look at how a small network" in text and "Maya Okafor" in text
    assert "This episode's voice is synthetic" in text
    # The sentences of this episode's chapters are short: YouTube's 10 s rule may merge some.
    lines = re.findall(r"(?m)^(\d+:\d\d) (.+)$", text)
    assert not lines or (lines[0][0] == "0:00" and len(lines) >= 3)


def _copy(mp3: Path, folder: Path) -> Path:
    folder.mkdir()
    for suffix in (".mp3", ".vtt", ".chapters.json", ".srt"):
        shutil.copy(mp3.with_suffix(suffix), folder / f"ep{suffix}")
    return folder / "ep.mp3"


def test_sidecars_missing_or_from_another_render_are_refused(episode, tmp_path):
    mp3 = _copy(episode, tmp_path / "a")
    mp3.with_suffix(".vtt").unlink()
    refused_in_one_line(run_cli("video", mp3), "ep.vtt is missing")
    mp3 = _copy(episode, tmp_path / "b")
    chapters = mp3.with_suffix(".chapters.json")
    chapters.write_text(chapters.read_text(encoding="utf-8").replace("The research", "Another render"), encoding="utf-8")
    refused_in_one_line(run_cli("video", mp3), "another render")
    mp3 = _copy(episode, tmp_path / "c")
    vtt = mp3.with_suffix(".vtt")
    vtt.write_text(vtt.read_text(encoding="utf-8") + "\n99\n00:09:00.000 --> 00:09:02.000\nLater.\n", encoding="utf-8")
    refused_in_one_line(run_cli("video", mp3), "another render")
    mp3 = _copy(episode, tmp_path / "d")
    tags = ID3(mp3)
    tags.delall("TXXX")
    tags.save(mp3)
    refused_in_one_line(run_cli("video", mp3), "not rendered by paperledge")
    assert not any(p.suffix == ".mp4" for d in "abcd" for p in (tmp_path / d).iterdir())


def test_characters_the_font_cannot_draw_are_one_note(episode, tmp_path):
    mp3 = _copy(episode, tmp_path / "e")
    vtt = mp3.with_suffix(".vtt")
    lines = vtt.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if "-->" in line) + 1
    lines[at] = "שלום عالم 你好 🐋 " + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
    vtt.write_text("\n".join(lines), encoding="utf-8")
    proc = run_cli("video", mp3, "-q")
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "font" in line]
    assert len(notes) == 1 and "U+4F60" in notes[0] and "U+1F40B" in notes[0], proc.stderr
    assert "U+05E9" not in notes[0] and "U+0639" not in notes[0]  # Hebrew and Arabic are drawn
    # This episode's chapters are shorter than YouTube's 10 s: the command says what it merged.
    assert "merged" in proc.stderr and "no chapter list" in proc.stderr, proc.stderr
    assert "Chapters" not in mp3.with_suffix(".youtube.txt").read_text(encoding="utf-8")


def test_captions_wrap_inside_the_frame_whatever_the_text():
    assert undrawable("Hello, world — “quoted” café") == set()
    assert undrawable("你好🐋") == {"你", "好", "🐋"}
    for layout in (WIDE, VERTICAL):
        x, y, width, height = layout.caption
        for text in ("x" * 400, "مرحبا بالعالم " * 30, "word " * 300):
            font, lines = fit(text, width - 64, height - 40, layout.caption_px)
            assert all(font.getlength(line) <= width - 64 for line in lines)
            assert len(lines) * round(font.size * 1.25) <= height - 40
        painter = Painter(layout, None, "T " * 80, "Show")
        assert painter.still("Chapter " * 20, "Maya", "y" * 500).size == (layout.width, layout.height)
    assert wrap("a bb ccc", fit("a", 100, 100, 40)[0], 10_000) == ["a bb ccc"]


def test_full_disk_mid_video_leaves_nothing(episode, tmp_path, tmpfs):  # noqa: F811
    folder = tmpfs(300_000)  # room for the start of the MP4, not the whole of it
    out = folder / "ep.mp4"
    proc = run_cli("video", episode, "-o", out, "-q")
    refused_in_one_line(proc, "no space left")
    assert os.listdir(folder) == []


def test_killed_ffmpeg_leaves_nothing(episode, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "ep.mp4"
    proc = subprocess.Popen(
        [*PAPERLEDGE, "video", str(episode), "-o", str(out), "-q"], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    ffmpeg = None
    while ffmpeg is None:
        assert proc.poll() is None and time.monotonic() < deadline, "the video was made before ffmpeg could be killed"
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        ffmpeg = next(
            (
                int(c)
                for c in children
                if b"ffmpeg" in Path(f"/proc/{c}/cmdline").read_bytes()
                and any(p.name.endswith(".mp4.part") for p in out_dir.iterdir())
            ),
            None,
        )
        time.sleep(0.02)
    os.kill(ffmpeg, signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and len(err.strip().splitlines()) == 1 and "signal 9" in err, err
    assert os.listdir(out_dir) == []


# ---- YouTube's chapter rules: first at 0:00, at least three, ascending, each at least 10 s


def test_youtube_timestamps():
    assert [timestamp(s) for s in (0, 9, 65, 600, 3723)] == ["0:00", "0:09", "1:05", "10:00", "1:02:03"]


def test_good_chapters_are_kept_as_they_are():
    chapters, notes = youtube_chapters([(0, "A"), (30.4, "B"), (61.9, "C")], 120)
    assert chapters == [(0, "A"), (30, "B"), (61, "C")] and notes == []


def test_first_chapter_moves_to_zero_with_a_note():
    chapters, notes = youtube_chapters([(2.5, "A"), (30, "B"), (60, "C")], 120)
    assert chapters[0] == (0, "A") and len(notes) == 1 and "0:00" in notes[0]


def test_a_short_chapter_merges_into_the_one_before():
    chapters, notes = youtube_chapters([(0, "A"), (30, "B"), (35, "C"), (60, "D")], 120)
    assert chapters == [(0, "A / B"), (35, "C"), (60, "D")]
    assert len(notes) == 1 and "'B' (5 s) merged into 'A'" in notes[0] and "10 s" in notes[0]


def test_a_short_first_chapter_merges_into_the_next_and_keeps_zero():
    chapters, notes = youtube_chapters([(0, "Intro"), (4, "A"), (40, "B"), (80, "C")], 120)
    assert chapters == [(0, "Intro / A"), (40, "B"), (80, "C")] and len(notes) == 1


def test_a_short_last_chapter_is_measured_to_the_end():
    chapters, notes = youtube_chapters([(0, "A"), (30, "B"), (60, "C"), (115, "Outro")], 120)
    assert chapters == [(0, "A"), (30, "B"), (60, "C / Outro")] and len(notes) == 1


def test_chapters_in_the_same_second_merge():
    chapters, _ = youtube_chapters([(0, "A"), (20.1, "B"), (20.7, "C"), (40, "D")], 80)
    assert chapters == [(0, "A / B"), (20, "C"), (40, "D")]


def test_a_run_of_short_chapters_merges_until_each_is_long_enough():
    chapters, notes = youtube_chapters([(0, "A"), (20, "B"), (23, "C"), (26, "D"), (29, "E"), (50, "F")], 90)
    assert chapters == [(0, "A / B / C / D"), (29, "E"), (50, "F")] and len(notes) == 3
    assert all(b - a >= 10 for (a, _), (b, _) in zip(chapters, chapters[1:]))


def test_fewer_than_three_chapters_leave_the_list_out():
    for given in ([(0, "Only")], [(0, "A"), (40, "B")], [(0, "A"), (5, "B"), (8, "C")]):
        chapters, notes = youtube_chapters(given, 60)
        assert chapters == [] and "no chapter list" in notes[-1]
    assert "Chapters" not in youtube_text("T", "Notes.", [])


def test_no_chapters_at_all_is_a_note():
    chapters, notes = youtube_chapters([], 60)
    assert chapters == [] and len(notes) == 1


def test_description_lists_chapters_youtube_reads():
    text = youtube_text("Title", "Notes.", [(0, "A"), (30, "B"), (3723, "C")])
    assert "\nChapters\n0:00 A\n0:30 B\n1:02:03 C\n" in text and text.startswith("Title\n\nNotes.")


def test_video_facts_read_the_same_with_ffprobe_or_ffmpeg_alone(episode):
    from audio_pipeline.video.probe import _from_ffmpeg, video_facts

    mp4 = episode.with_suffix(".mp4")
    facts = video_facts(mp4)
    assert (facts.codec, facts.width, facts.height, facts.pix_fmt) == ("h264", 1920, 1080, "yuv420p")
    assert [t for _, t in facts.chapters] == ["Welcome", "The research", "Why it matters"]
    assert facts.bytes == mp4.stat().st_size
    alone = _from_ffmpeg(mp4)  # a machine without ffprobe
    assert (alone.codec, alone.width, alone.height, alone.pix_fmt, alone.bytes) == (
        facts.codec,
        facts.width,
        facts.height,
        facts.pix_fmt,
        facts.bytes,
    )
    assert abs(alone.duration_s - facts.duration_s) < 0.02
    assert [(round(a, 2), t) for a, t in alone.chapters] == [(round(a, 2), t) for a, t in facts.chapters]
