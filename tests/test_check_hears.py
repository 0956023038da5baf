"""`paperledge check` hears what is said in each sentence's span, not only the words its
transcript expects: a cue "Hello." over "Hello there. This is a short test." is a finding,
not a perfect score. And a transcript the audio cannot hold is refused at once.

One short episode is rendered with the heart voice; its transcript is then edited (a
cue's text cut short, emptied, or stretched over a sentence said twice), as an engine
that babbles, repeats or adds words would leave it. If these fail, a render that says
more than its script passes `--max-wer`.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from audio_pipeline.audio.sidecars import vtt_time

from .conftest import PAPERLEDGE, need, run_cli, vtt_cues

pytest.importorskip("faster_whisper", reason="needs the [check] extra: make setup installs it")
pytestmark = pytest.mark.check

SCRIPT = """---
title: Short Check
---

Hello there. This is a short test.

The ocean is full of strange and wonderful sounds. The ocean is full of strange and wonderful sounds.

Whales sing to each other across whole seas. Scientists record them with microphones under the water.

A computer can learn to find those songs in hours of noise. That saves people a lot of listening.
"""


def write_vtt(path, cues) -> None:
    lines = ["WEBVTT", ""]
    for n, (start, end, text) in enumerate(cues, 1):
        lines += [str(n), f"{vtt_time(start)} --> {vtt_time(end)}", text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hears")
    script = folder / "short.md"
    script.write_text(SCRIPT, encoding="utf-8")
    mp3 = folder / "short.mp3"
    proc = run_cli("render", script, "-o", mp3, "--voice", "heart", "--cache-dir", folder / "cache", "-q")
    assert proc.returncode == 0, proc.stderr
    cues = vtt_cues(mp3.with_suffix(".vtt"))
    assert [t for _, _, t in cues[:4]] == ["Hello there.", "This is a short test."] + [
        "The ocean is full of strange and wonderful sounds."
    ] * 2
    return mp3, cues


def checked(short, tmp_path, cues, *args):
    """`check --json` of the short episode's audio with `cues` as its transcript."""
    mp3 = tmp_path / "ep.mp3"
    shutil.copy(short[0], mp3)
    write_vtt(mp3.with_suffix(".vtt"), cues)
    proc = run_cli("check", mp3, "--json", "--max-wer", "0.05", *args)
    assert "Traceback" not in proc.stderr
    return proc, json.loads(proc.stdout)


@pytest.mark.slow
def test_the_clean_render_passes_with_nothing_flagged(short, tmp_path):
    proc, report = checked(short, tmp_path, short[1])
    assert proc.returncode == 0, proc.stderr
    assert report["wer"] == 0 and report["findings"] == [] and report["failures"] == []
    assert not [s for s in report["sentences"] if s["flagged"]]


@pytest.mark.slow
@pytest.mark.parametrize("others", ["alone", "among the others"])
def test_a_cue_holding_fewer_words_than_are_said_is_flagged_and_fails_max_wer(short, tmp_path, others):
    """The attack: the cue says "Hello." over "Hello there. This is a short test."."""
    cues = short[1]
    attack = [(cues[0][0], cues[1][1], "Hello.")] + (cues[2:] if others != "alone" else [])
    proc, report = checked(short, tmp_path, attack)
    assert proc.returncode == 3, proc.stderr
    s = report["sentences"][0]
    assert s["flagged"] and s["error"] >= 3, s  # the extra words count as insertions
    assert {"there", "short", "test"} <= set(s["heard"].split()), s
    assert report["wer"] > 0.05
    assert not [t for t in report["sentences"][1:] if t["flagged"]]


@pytest.mark.slow
@pytest.mark.parametrize("text", ["", "...", " — "])
def test_a_cue_with_no_words_over_speech_is_a_finding_never_a_perfect_score(short, tmp_path, text):
    cues = short[1]
    proc, report = checked(short, tmp_path, [(cues[0][0], cues[1][1], text)] + cues[2:])
    assert proc.returncode == 3, proc.stderr
    s = report["sentences"][0]
    assert s["flagged"] and s["score"] < 1 and s["error"] > 0, s
    assert "short" in s["heard"], s
    assert any("no words to score" in f and "cue 1 " in f for f in report["findings"]), report["findings"]


@pytest.mark.slow
def test_a_sentence_said_twice_under_one_cue_is_flagged(short, tmp_path):
    cues = short[1]
    said_twice = cues[:2] + [(cues[2][0], cues[3][1], cues[2][2])] + cues[4:]
    proc, report = checked(short, tmp_path, said_twice)
    assert proc.returncode == 3, proc.stderr
    s = report["sentences"][2]
    assert s["flagged"] and s["error"] > 0.5, s
    assert s["heard"].count("ocean") == 2, s
    assert not [t for i, t in enumerate(report["sentences"]) if t["flagged"] and i != 2]


@pytest.mark.slow
@pytest.mark.parametrize("later", [1.2, 2.7])
def test_a_cue_over_the_outro_music_is_flagged_not_heard_in_its_neighbour(short, tmp_path, later):
    """The attack: the last sentence again, its cue over music where nothing is said, passed
    at WER 0 (its words were heard in the sentence before it)."""
    cues = short[1]
    end = cues[-1][1]
    proc, report = checked(short, tmp_path, cues + [(end + later, end + later + 1.2, cues[-1][2])])
    assert proc.returncode == 3, proc.stderr
    s = report["sentences"][-1]
    assert s["flagged"] and s["error"] > 0.5, s
    assert not [t for t in report["sentences"][:-1] if t["flagged"]]


@pytest.mark.slow
@pytest.mark.parametrize("which, text", [(0, "Hello."), (1, "This is short.")])
def test_a_cue_short_by_a_word_or_two_is_flagged(short, tmp_path, which, text):
    """The attack: "Hello." over "Hello there", "This is short." over "This is a short test."."""
    cues = list(short[1][:2])  # the attack's two sentences: one word is over 5% of them
    cues[which] = (cues[which][0], cues[which][1], text)
    proc, report = checked(short, tmp_path, cues)
    assert proc.returncode == 3, proc.stderr
    s = report["sentences"][which]
    assert s["flagged"] and s["error"] > 0, s
    assert not [t for i, t in enumerate(report["sentences"]) if t["flagged"] and i != which]


# ---------------------------------------------------------------------------------------
# Transcripts the audio cannot hold: refused at once
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tone(tmp_path_factory):
    """15 s of MP3, made by ffmpeg."""
    mp3 = tmp_path_factory.mktemp("tone") / "tone.mp3"
    subprocess.run(
        [need("ffmpeg"), "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=15", "-c:a", "libmp3lame", str(mp3)], check=True
    )
    return mp3


def _check_at_once(mp3):
    # A generous bound: the attack ran past 300 s; refused, it takes the recogniser's start.
    return subprocess.run([*PAPERLEDGE, "check", str(mp3)], capture_output=True, text=True, timeout=120)


def test_ten_thousand_cues_over_fifteen_seconds_are_refused_in_one_line(tone):
    write_vtt(tone.with_suffix(".vtt"), [(n * 0.0015, n * 0.0015 + 0.001, f"Word {n}.") for n in range(10_000)])
    proc = _check_at_once(tone)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "10,000 cues for 15.0 s of audio" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "cues",
    [
        [(1.0, 3.27, "word " * 10_000)],
        [(n * 0.2, n * 0.2 + 0.15, "word " * 400) for n in range(74)],
        [(1.0, 2.0, "abcdefghij" * 80)],
    ],
)
def test_more_words_than_the_audio_can_hold_are_refused_in_one_line(tone, cues):
    write_vtt(tone.with_suffix(".vtt"), cues)
    proc = _check_at_once(tone)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "more than any voice says" in proc.stderr and "Traceback" not in proc.stderr


def test_a_transcript_running_hours_past_its_audio_fails_at_once(tone):
    write_vtt(tone.with_suffix(".vtt"), [(1.0, 2.0, "Hello."), (3.0, 36_000.0, "word " * 5_000)])
    proc = _check_at_once(tone)
    assert proc.returncode == 3 and "truncated" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------------------
# The transcript reader, on malformed files
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, says",
    [
        ("WEBVTT\n\n1\n" + "9" * 5000 + ":00:00.000 --> 00:00:01.000\nHi.\n", "bad cue time"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:00.500\nHi.\n", "ends before it starts"),
        ("WEBVTT\n\n00:00:01.000 -->\nHi.\n", "bad cue time"),
        ("WEBVTT\n\nnot a cue at all\n", "has no cues"),
        ("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nHi.\n", "not a WebVTT file"),
        ("", "not a WebVTT file"),
        ("WEBVTT\n\n00:00:02.000 --> 00:00:03.000\nB.\n\n00:00:01.000 --> 00:00:02.000\nA.\n", "time order"),
    ],
)
def test_a_malformed_transcript_is_one_check_error(tmp_path, body, says):
    from audio_pipeline.check.transcript import read_vtt
    from audio_pipeline.errors import CheckError

    path = tmp_path / "ep.vtt"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CheckError, match=says) as caught:
        read_vtt(path)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 300


def test_a_transcript_as_webvtt_allows_it_is_read(tmp_path):
    """A byte-order mark, CR line ends, minutes without hours, a voice span and a cue setting."""
    from audio_pipeline.check.transcript import read_vtt

    path = tmp_path / "ep.vtt"
    path.write_bytes("\ufeffWEBVTT - a title\r\r00:01.500 --> 00:02.250 align:start\r<v Maya>Hi &amp; bye.\r".encode())
    [cue] = read_vtt(path)
    assert (cue.start, cue.end, cue.text, cue.speaker) == (1.5, 2.25, "Hi & bye.", "Maya")


def test_a_malformed_transcript_through_the_command_is_one_line(tone):
    tone.with_suffix(".vtt").write_bytes(b"WEBVTT\n\n1\n" + b"9" * 5000 + b":00:00.000 --> 00:00:01.000\nHi.\n")
    proc = _check_at_once(tone)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "bad cue time" in proc.stderr, proc.stderr
