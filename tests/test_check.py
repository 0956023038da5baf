"""`paperledge check` and `render --check` on a real published episode, rendered with the
Ernis voice and heard by the bundled recogniser.

One sentence is sabotaged in the script ("accuracy" written, something else said) and
another sentence's audio is cut short in the cache (a truncated take): a producer
relies on the check to point at exactly those two.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from audio_pipeline.cache import SentenceCache, sentence_key
from audio_pipeline.engines.base import create_engine
from audio_pipeline.render import load_episode

from .conftest import ROOT, run_cli, vtt_cues

pytest.importorskip("faster_whisper", reason="needs the [check] extra: make setup installs it")
pytestmark = [pytest.mark.slow, pytest.mark.check]

EPISODE = ROOT / "scripts" / "published-2025" / "05-adaptive-singular-value-decomposition.md"
SABOTAGED = "They saw up to a 7% improvement in accuracy compared to other methods."
TRUNCATED_WORDS = "renovate your house"  # a long sentence, cut to its first third


def _index_of(cues, fragment: str) -> int:
    found = [i for i, (_, _, text) in enumerate(cues, 1) if fragment in text]
    assert len(found) == 1, (fragment, found)
    return found[0]


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """The episode rendered with one sentence said wrong and one sentence's audio cut short."""
    folder = tmp_path_factory.mktemp("check")
    script = folder / EPISODE.name
    text = EPISODE.read_text(encoding="utf-8")
    assert SABOTAGED in text
    script.write_text(text.replace("improvement in accuracy compared", "improvement in {accuracy|a sandwich} compared"),
                      encoding="utf-8")
    cache = folder / "cache"
    mp3 = folder / "ep.mp3"
    proc = run_cli("render", script, "-o", mp3, "--cache-dir", cache, "-q")
    assert proc.returncode == 0, proc.stderr

    # Cut one sentence's cached audio to its first third, as a faulty engine might.
    episode, profile, _ = load_episode(script)
    fingerprint = create_engine(profile.engine, profile.engine_params).fingerprint()
    target = next(s for s in episode.sentences() if TRUNCATED_WORDS in s.written)
    key = sentence_key(fingerprint, target.spoken)
    store = SentenceCache(cache)
    entry = store.get(key)
    audio = SentenceCache.load(entry)
    store.put(key, audio[: audio.size // 3], entry.sample_rate)
    proc = run_cli("render", script, "-o", mp3, "--cache-dir", cache, "-q")
    assert proc.returncode == 0, proc.stderr

    proc = run_cli("check", mp3, "--json")
    assert proc.returncode == 0, proc.stderr
    return {"folder": folder, "script": script, "cache": cache, "mp3": mp3, "stdout": proc.stdout,
            "cues": vtt_cues(mp3.with_suffix(".vtt"))}


def test_json_is_one_object_with_one_entry_per_cue_in_order(damaged):
    data = json.loads(damaged["stdout"])  # exactly one JSON document on stdout
    assert set(data) == {"wer", "sentences"}
    assert 0 < data["wer"] < 1
    cues = damaged["cues"]
    assert [s["index"] for s in data["sentences"]] == list(range(1, len(cues) + 1))
    for s, (start, end, text) in zip(data["sentences"], cues):
        assert set(s) == {"index", "start", "end", "written", "heard", "error", "flagged"}
        assert s["written"] == text
        assert abs(s["start"] - start) < 0.002 and abs(s["end"] - end) < 0.002


def test_the_sabotaged_sentence_is_flagged_with_few_false_flags(damaged):
    data = json.loads(damaged["stdout"])
    cues = damaged["cues"]
    sabotaged = _index_of(cues, "improvement in accuracy")
    truncated = _index_of(cues, TRUNCATED_WORDS)
    flagged = {s["index"] for s in data["sentences"] if s["flagged"]}
    assert sabotaged in flagged
    entry = data["sentences"][sabotaged - 1]
    assert "sandwich" in entry["heard"] and "accuracy" not in entry["heard"]
    false_flags = flagged - {sabotaged, truncated}
    # Piper samples noise (noise_scale), so no two renders sound alike and the recogniser's
    # misses move: 2 to 4 false flags out of 50 sentences have been seen. A tenth is the limit.
    assert len(false_flags) <= 5, [data["sentences"][i - 1] for i in sorted(false_flags)]


def test_a_truncated_take_is_flagged(damaged):
    data = json.loads(damaged["stdout"])
    truncated = _index_of(damaged["cues"], TRUNCATED_WORDS)
    entry = data["sentences"][truncated - 1]
    assert entry["flagged"]
    assert entry["error"] > 0.4, entry  # most of its words were never said


def test_table_names_the_flagged_sentences_and_max_wer_sets_status_3(damaged):
    proc = run_cli("check", damaged["mp3"], "--max-wer", "0.001")
    assert proc.returncode == 3
    assert "improvement in accuracy" in proc.stdout
    assert re.search(r"WER \d+\.\d%", proc.stdout)
    assert "above --max-wer" in proc.stderr
    assert run_cli("check", damaged["mp3"], "--max-wer", "0.9").returncode == 0


def test_render_check_retakes_the_truncated_sentence_and_writes_the_review_files(damaged):
    mp3, cache = damaged["mp3"], damaged["cache"]
    proc = run_cli("render", damaged["script"], "-o", mp3, "--cache-dir", cache, "--check", "--retakes", "2")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(mp3.with_suffix(".check.json").read_text(encoding="utf-8"))
    cues = vtt_cues(mp3.with_suffix(".vtt"))
    truncated = _index_of(cues, TRUNCATED_WORDS)
    sabotaged = _index_of(cues, "improvement in accuracy")
    assert truncated in report["retaken"]
    fixed = report["sentences"][truncated - 1]
    assert not fixed["flagged"] and fixed["take"] > 0, fixed
    # A retake never changes the text: the sentence said wrong is still said wrong.
    assert report["sentences"][sabotaged - 1]["flagged"]
    assert report["wer"] < report["first_wer"]
    assert mp3.with_suffix(".review.html").is_file()

    # A plain re-render to the same path plays the chosen take again (from the cache).
    proc = run_cli("render", damaged["script"], "-o", mp3, "--cache-dir", cache, "-q")
    assert proc.returncode == 0, proc.stderr
    again = json.loads(run_cli("check", mp3, "--json").stdout)
    assert not again["sentences"][truncated - 1]["flagged"]


def test_check_without_a_transcript_is_one_line(damaged, tmp_path):
    lone = tmp_path / "lone.mp3"
    shutil.copy(damaged["mp3"], lone)
    proc = run_cli("check", lone)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "lone.vtt" in proc.stderr and "Traceback" not in proc.stderr


SHORT = """---
title: A Short Episode
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


def test_season_check_lists_flagged_sentences_and_the_feed_refuses_an_episode_over_max_wer(tmp_path):
    import feedparser

    season, out = tmp_path / "season", tmp_path / "out"
    season.mkdir()
    (season / "01-good.md").write_text(SHORT.format(n=1, last="Thanks for listening, and see you next time!"), encoding="utf-8")
    (season / "02-bad.md").write_text(
        SHORT.format(n=2, last="Thanks for listening to our {accuracy special|purple elephant parade on ice}, see you next time!"), encoding="utf-8")
    proc = run_cli("season", season, "-o", out, "--cache-dir", tmp_path / "cache", "--check", "--retakes", "0",
                   "--max-wer", "0.1")
    assert proc.returncode == 3, proc.stderr
    assert "02-bad" in proc.stderr and "01-good" not in proc.stderr
    # The summary names the flagged sentence under its episode.
    bad = proc.stdout.index("02-bad:")
    assert "accuracy" in proc.stdout[bad:]
    feed = feedparser.parse(str(out / "feed.xml"))
    assert [e.title for e in feed.entries] == ["A Short Episode"] and len(feed.entries) == 1
    assert (out / "02-bad.mp3").exists() and (out / "02-bad.review.html").exists()
    # The feed command refuses it the same way, from the check files alone.
    proc = run_cli("feed", season, "-o", out, "--max-wer", "0.1")
    assert proc.returncode == 3 and "02-bad" in proc.stderr
