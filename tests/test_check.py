"""`paperledge check` on real renders of the sample episode (the Ernis voice with its
noise off, so every render sounds the same), heard by the bundled recogniser.

The episode is rendered once. Its damaged copies are made with tools that are not ours:
ffmpeg silences stretches of the MP3 (a sentence cut to half its words, a sentence that
is silence), and the transcript is edited (a sentence replaced by another, one word
swapped, a cue dropped, several sentences merged into one longer than a window).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from audio_pipeline.audio.sidecars import vtt_time

from .conftest import PAPERLEDGE, SAMPLE, need, run_cli, vtt_cues

pytest.importorskip("faster_whisper", reason="needs the [check] extra: make setup installs it")
pytestmark = [pytest.mark.slow, pytest.mark.check]

REPLACED = "Can a computer learn to find those songs"
REPLACEMENT = "Doctors have hours of heart recordings"
SWAPPED = ("trying to predict it", "trying to forget it")
HALVED = "On their test recordings"
SILENT = "Until next time, keep learning!"
DROPPED = "Let me know what you think, crew."
MERGED = ("So, why should you care", "If a network can learn")  # first and last of the merged cues


def write_vtt(path, cues) -> None:
    lines = ["WEBVTT", ""]
    for n, (start, end, text) in enumerate(cues, 1):
        lines += [str(n), f"{vtt_time(start)} --> {vtt_time(end)}", text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def find(cues, fragment: str) -> int:
    found = [i for i, (_, _, text) in enumerate(cues) if fragment in text]
    assert len(found) == 1, (fragment, found)
    return found[0]


def silence(src, dest, spans) -> None:
    """`src` re-encoded by ffmpeg with the audio of `spans` (seconds) silenced."""
    where = "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in spans)
    subprocess.run(
        [
            need("ffmpeg"),
            "-v",
            "error",
            "-y",
            "-i",
            str(src),
            "-af",
            f"volume=0:enable='{where}'",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
            str(dest),
        ],
        check=True,
    )


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, deterministic_voice):
    folder = tmp_path_factory.mktemp("checked")
    mp3 = folder / "ocean.mp3"
    proc = run_cli("render", SAMPLE, "-o", mp3, "--voice", deterministic_voice, "--cache-dir", folder / "cache", "-q")
    assert proc.returncode == 0, proc.stderr
    return mp3


@pytest.fixture(scope="session")
def clean(rendered):
    proc = run_cli("check", rendered, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def damaged(rendered, tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    cues = vtt_cues(rendered.with_suffix(".vtt"))
    halved = cues[find(cues, HALVED)]
    silent = cues[find(cues, SILENT)]
    mp3 = folder / "ocean.mp3"
    silence(rendered, mp3, [((halved[0] + halved[1]) / 2, halved[1] + 0.2), (silent[0] - 0.1, silent[1] + 0.2)])
    edited = list(cues)
    replaced = find(edited, REPLACED)
    edited[replaced] = (*edited[replaced][:2], edited[find(edited, REPLACEMENT)][2])
    i = find(edited, SWAPPED[0])
    edited[i] = (*edited[i][:2], edited[i][2].replace(*SWAPPED))
    a, b = find(edited, MERGED[0]), find(edited, MERGED[1])
    merged = (edited[a][0], edited[b][1], " ".join(t for _, _, t in edited[a : b + 1]))
    assert merged[1] - merged[0] > 30  # longer than one window
    edited[a : b + 1] = [merged]
    dropped = edited.pop(find(edited, DROPPED))
    write_vtt(mp3.with_suffix(".vtt"), edited)
    proc = run_cli("check", mp3, "--json")
    assert proc.returncode == 0, proc.stderr
    return {"report": json.loads(proc.stdout), "cues": edited, "dropped": dropped, "mp3": mp3, "replaced": replaced}


def entry(damaged, fragment):
    return damaged["report"]["sentences"][find(damaged["cues"], fragment)]


def test_json_keeps_its_shape_and_adds_each_sentences_score_and_weakest_words(clean, rendered):
    cues = vtt_cues(rendered.with_suffix(".vtt"))
    assert {"wer", "sentences"} <= set(clean) and clean["failures"] == [] and clean["findings"] == []
    assert [s["index"] for s in clean["sentences"]] == list(range(1, len(cues) + 1))
    for s, (start, end, text) in zip(clean["sentences"], cues):
        assert {"index", "start", "end", "written", "heard", "error", "flagged", "score", "weakest"} == set(s)
        assert s["written"] == text and abs(s["start"] - start) < 0.002 and abs(s["end"] - end) < 0.002
        assert 0 <= s["score"] <= 1 and s["weakest"] and all(0 <= p <= 1 for _, p in s["weakest"])


def test_clean_speech_has_at_most_one_false_flag_in_25_sentences(clean):
    flagged = [s for s in clean["sentences"] if s["flagged"]]
    assert len(flagged) <= len(clean["sentences"]) / 25, flagged
    assert clean["wer"] < 0.02


def test_a_sentence_replaced_by_another_is_flagged_and_what_was_heard_is_said(damaged):
    s = damaged["report"]["sentences"][damaged["replaced"]]
    assert s["flagged"], s
    assert "computer" in s["heard"], s  # decoded freely: the audio's own words


def test_one_swapped_word_in_a_long_sentence_is_flagged_and_named(damaged):
    s = entry(damaged, SWAPPED[1])
    assert len(s["written"].split()) > 25
    assert s["flagged"], s
    assert s["weakest"][0][0] == "forget", s


def test_a_sentence_cut_to_half_its_words_is_flagged(damaged):
    s = entry(damaged, HALVED)
    assert s["flagged"] and s["error"] > 0.3, s


def test_a_sentence_whose_audio_is_silence_is_flagged(damaged):
    s = entry(damaged, SILENT)
    assert s["flagged"] and s["error"] > 0.5, s


def test_a_sentence_longer_than_a_window_is_checked_whole(damaged):
    s = entry(damaged, MERGED[0])
    assert s["end"] - s["start"] > 30
    assert not s["flagged"], s
    assert s["score"] > 0.9


def test_speech_outside_every_cue_is_a_finding(damaged):
    start, end, _ = damaged["dropped"]
    findings = damaged["report"]["findings"]
    assert len(findings) == 1, findings
    m, s = divmod(start, 60)
    assert f"{int(m)}:{int(s):02d}" in findings[0] or f"{int(m)}:{int(s) - 1:02d}" in findings[0], findings


def test_few_false_flags_around_the_damage(damaged):
    meant = {damaged["replaced"], *(find(damaged["cues"], f) for f in (SWAPPED[1], HALVED, SILENT))}
    false = [s for i, s in enumerate(damaged["report"]["sentences"]) if s["flagged"] and i not in meant]
    assert len(false) <= 1, false


def _check(mp3, *args):
    proc = run_cli("check", mp3, *args)
    assert "Traceback" not in proc.stderr
    return proc


def test_an_mp3_longer_than_its_transcript_fails_whatever_max_wer_says(rendered, tmp_path):
    long = tmp_path / "long.mp3"
    subprocess.run(
        [
            need("ffmpeg"),
            "-v",
            "error",
            "-i",
            str(rendered),
            "-i",
            str(rendered),
            "-filter_complex",
            "concat=n=2:v=0:a=1",
            "-c:a",
            "libmp3lame",
            str(long),
        ],
        check=True,
    )
    shutil.copy(rendered.with_suffix(".vtt"), long.with_suffix(".vtt"))
    proc = _check(long, "--max-wer", "1")
    assert proc.returncode == 3, proc.stderr
    assert "past the transcript's last sentence" in proc.stderr and proc.stderr.count("\n") == 1
    assert "outside every cue" in proc.stdout


@pytest.mark.parametrize("how", ["cut", "tone"])
def test_a_truncated_mp3_or_a_tone_fails(rendered, tmp_path, how):
    bad = tmp_path / f"{how}.mp3"
    source = ["-i", str(rendered), "-t", "60"] if how == "cut" else ["-f", "lavfi", "-i", "sine=f=440:d=10"]
    subprocess.run([need("ffmpeg"), "-v", "error", *source, "-c:a", "libmp3lame", str(bad)], check=True)
    shutil.copy(rendered.with_suffix(".vtt"), bad.with_suffix(".vtt"))
    proc = _check(bad)
    assert proc.returncode == 3, proc.stderr
    assert "check failed" in proc.stderr and "truncated" in proc.stderr


def test_an_mp3_with_damaged_frames_fails_though_every_sentence_is_heard(rendered, tmp_path):
    """Bytes flipped in the middle of the MP3: the decoder patches the frames over and the
    recogniser hears the sentences fine, but the MP3 is damaged and the check says so."""
    bad = tmp_path / "flipped.mp3"
    data = bytearray(rendered.read_bytes())
    # Three frames' sync words a third of the way in: flipped payload bytes alone do not always
    # make the decoder complain (it depends on where the render's frames fall).
    from audio_pipeline.publish.validate_mp3 import _audio_start, _frame

    starts, at = [], _audio_start(bytes(data))
    while (frame := _frame(bytes(data), at)) is not None:
        starts.append(at)
        at += frame[2]
    for at in starts[len(starts) // 3 :: 7][:3]:
        data[at] = 0
    for i in range(len(data) // 2, len(data) // 2 + 60_000, 997):
        data[i] ^= 0xFF
    bad.write_bytes(bytes(data))
    shutil.copy(rendered.with_suffix(".vtt"), bad.with_suffix(".vtt"))
    proc = _check(bad)
    assert proc.returncode == 3, proc.stderr
    assert "check failed" in proc.stderr and "damaged frames" in proc.stderr, proc.stderr


def test_max_wer_must_be_a_finite_number_in_range(rendered, tmp_path):
    for args in (
        ("check", rendered, "--max-wer", "nan"),
        ("check", rendered, "--max-wer", "inf"),
        ("feed", tmp_path, "--max-wer", "nan"),
        ("season", tmp_path, "--max-wer", "nan"),
        ("render", SAMPLE, "--target-lufs", "nan"),
    ):
        proc = run_cli(*args)
        assert proc.returncode == 2 and "is not a finite number" in proc.stderr, (args, proc.stderr)


def test_bad_transcripts_and_mp3s_are_one_line(rendered, tmp_path):
    utf16 = tmp_path / "utf16.mp3"
    shutil.copy(rendered, utf16)
    utf16.with_suffix(".vtt").write_text(rendered.with_suffix(".vtt").read_text(encoding="utf-8"), encoding="utf-16")
    fifo = tmp_path / "fifo.mp3"
    shutil.copy(rendered, fifo)
    os.mkfifo(fifo.with_suffix(".vtt"))
    folder = tmp_path / "folder.mp3"
    folder.mkdir()
    pipe = tmp_path / "pipe.mp3"
    os.mkfifo(pipe)
    lone = tmp_path / "lone.mp3"
    shutil.copy(rendered, lone)
    shuffled = tmp_path / "shuffled.mp3"
    shutil.copy(rendered, shuffled)
    write_vtt(shuffled.with_suffix(".vtt"), vtt_cues(rendered.with_suffix(".vtt"))[::-1])
    for mp3, says in (
        (utf16, "not UTF-8"),
        (fifo, "not a regular file"),
        (folder, "not a regular file"),
        (pipe, "not a regular file"),
        (lone, "lone.vtt"),
        (shuffled, "time order"),
    ):
        # A FIFO is never opened: the check would wait for a writer forever.
        proc = subprocess.run([*PAPERLEDGE, "check", str(mp3)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and says in proc.stderr, (mp3, proc.stderr)
        assert "no such MP3" not in proc.stderr


@pytest.mark.parametrize("suffix", [".check.json", ".review.html", ".takes.json"])
def test_render_check_refuses_a_check_review_or_takes_file_it_did_not_write(tmp_path, suffix):
    mine = tmp_path / f"ep{suffix}"
    mine.write_text('{"notes": "my own"}\n', encoding="utf-8")
    proc = run_cli("render", SAMPLE, "-o", tmp_path / "ep.mp3", "--check", "-q")
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "was not written by paperledge" in proc.stderr and mine.name in proc.stderr
    assert mine.read_text(encoding="utf-8") == '{"notes": "my own"}\n'
    assert not (tmp_path / "ep.mp3").exists()


def test_render_check_retakes_a_truncated_sentence_and_a_plain_render_voids_the_check(rendered, deterministic_voice, tmp_path):
    from audio_pipeline.stages import load_episode
    from audio_pipeline.synthesis.cache import SentenceCache, sentence_key
    from audio_pipeline.synthesis.engines.base import create_engine

    cache = tmp_path / "cache"
    shutil.copytree(rendered.parent / "cache", cache)
    episode, profile, _ = load_episode(SAMPLE, str(deterministic_voice))
    fingerprint = create_engine(profile.engine, profile.engine_params).fingerprint()
    target = next(s for s in episode.sentences() if s.written.startswith("Think of it like teaching"))
    key = sentence_key(fingerprint, target.spoken)
    store = SentenceCache(cache)
    found = store.get(key)
    store.put(key, SentenceCache.load(found)[: found.samples // 3], found.sample_rate)  # a take cut short
    mp3 = tmp_path / "ep.mp3"
    args = (SAMPLE, "-o", mp3, "--voice", deterministic_voice, "--cache-dir", cache)
    assert run_cli("render", *args, "-q").returncode == 0
    proc = run_cli("render", *args, "--check", "--retakes", "2")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(mp3.with_suffix(".check.json").read_text(encoding="utf-8"))
    truncated = find(vtt_cues(mp3.with_suffix(".vtt")), "Think of it like teaching") + 1
    assert truncated in report["retaken"], report["retaken"]
    fixed = report["sentences"][truncated - 1]
    assert not fixed["flagged"] and fixed["take"] > 0, fixed
    assert report["wer"] <= report["first_wer"]
    n = len(report["retaken"])
    assert f"{n} sentence{'s' if n != 1 else ''} retaken" in proc.stdout

    # A plain render to the same path: the check and review page of the old MP3 go.
    assert run_cli("render", *args, "-q").returncode == 0
    assert not mp3.with_suffix(".check.json").exists() and not mp3.with_suffix(".review.html").exists()


SHORT = """---
title: A Short Episode {n}
season: 2
episode: {n}
date: 2025-06-0{n}
description: A handful of sentences.
---

## Hello
Hey crew, welcome back to the show. Today we look at how a computer learns to listen.

## Goodbye
{last}
"""


def test_season_and_feed_gates_leave_out_bad_and_stale_checks(tmp_path):
    import feedparser

    season, out = tmp_path / "season", tmp_path / "out"
    season.mkdir()
    good = season / "01-good.md"
    good.write_text(SHORT.format(n=1, last="Thanks for listening, and see you next time!"), encoding="utf-8")
    (season / "02-bad.md").write_text(
        SHORT.format(
            n=2, last="Thanks for listening to our {accuracy special|purple elephant parade on ice}, see you next time!"
        ),
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    proc = run_cli("season", season, "-o", out, "--cache-dir", cache, "--check", "--retakes", "0", "--max-wer", "0.1")
    assert proc.returncode == 3, proc.stderr
    assert "02-bad" in proc.stderr and "01-good" not in proc.stderr
    assert "accuracy" in proc.stdout[proc.stdout.index("02-bad:") :]
    assert [e.title for e in feedparser.parse(str(out / "feed.xml")).entries] == ["A Short Episode 1"]
    proc = run_cli("feed", season, "-o", out, "--max-wer", "0.1")
    assert proc.returncode == 3 and "02-bad" in proc.stderr and "01-good" not in proc.stderr

    # The good episode's script changes and it is rendered again without a check: its old
    # check heard another MP3, so the gate no longer trusts it.
    old_check = (out / "01-good.check.json").read_text(encoding="utf-8")
    good.write_text(SHORT.format(n=1, last="Purple elephants parade on thin ice tonight, and nobody listens."), encoding="utf-8")
    assert run_cli("season", season, "-o", out, "--cache-dir", cache).returncode == 0
    assert not (out / "01-good.check.json").exists()  # the plain render removed it
    # Nothing is left to publish, and directories refuse an empty feed: no feed is written (exit 1).
    proc = run_cli("feed", season, "-o", out, "--max-wer", "0.1")
    assert proc.returncode == 1 and "01-good" in proc.stderr and "no feed written" in proc.stderr, proc.stderr
    # Put back (a backup, a copy from elsewhere), it is still void: it names another MP3's checksum.
    (out / "01-good.check.json").write_text(old_check, encoding="utf-8")
    proc = run_cli("feed", season, "-o", out, "--max-wer", "0.1")
    assert proc.returncode == 1 and "01-good" in proc.stderr, proc.stderr
