"""A long sentence is said by Piper in parts, so that one call's memory stays bounded."""

from __future__ import annotations

import numpy as np
import pytest

from audio_pipeline.config import PIPER_MAX_CLAUSE_PHONEMES, PIPER_MAX_PHONEMES
from audio_pipeline.synthesis.engines.base import create_engine
from audio_pipeline.synthesis.engines.piper import spoken_parts
from audio_pipeline.synthesis.voices import load_voice

# The longest sentence of the eight published episodes, as the front end speaks it.
LONG = (
    "They even created a new model called Eurus two seven billion Prime that outperformed a more "
    "advanced model, Kwen two point five Math seven billion Instruct, using only ten percent of the training data."
)


@pytest.fixture(scope="module")
def engine():
    profile = load_voice("ernis")
    return create_engine(profile.engine, {**profile.engine_params, "threads": 1})


def test_a_sentence_under_the_limit_is_one_part():
    phonemes = list("ab, cd")
    assert spoken_parts(phonemes, 6) == [phonemes]
    assert spoken_parts([], 6) == []


def test_parts_split_after_the_clause_mark_nearest_the_middle():
    phonemes = list("aaaa, bb, cccccc, dd")
    parts = spoken_parts(phonemes, 12)
    assert ["".join(p) for p in parts] == ["aaaa, bb,", "cccccc, dd"]


def test_a_clause_is_split_at_a_word_only_past_its_own_limit():
    assert spoken_parts(list("aaa bbb ccc"), 6, 12) == [list("aaa bbb ccc")]  # 11 phonemes: said whole
    assert ["".join(p) for p in spoken_parts(list("aaa bbb ccc ddd"), 6, 12)] == ["aaa bbb", "ccc ddd"]
    assert [len(p) for p in spoken_parts(list("x" * 20), 6, 12)] == [10, 10]  # one enormous word, halved


def test_the_longest_published_sentence_is_said_in_clauses(engine):
    engine.synthesize("Hello.")  # loads the voice
    (phonemes,) = engine._voice.phonemize(LONG)
    assert len(phonemes) > PIPER_MAX_PHONEMES
    parts = spoken_parts(phonemes)
    assert len(parts) > 1
    assert all(len(p) <= PIPER_MAX_PHONEMES or (len(p) <= PIPER_MAX_CLAUSE_PHONEMES and not set(p) & set(",;:")) for p in parts)
    assert all(p[-1] in ",;:" for p in parts[:-1])  # every cut follows a comma
    # Nothing lost: the parts are the sentence, less the spaces at the cuts.
    assert " ".join("".join(p) for p in parts) == "".join(phonemes)


def test_a_long_sentence_in_parts_sounds_as_long_with_no_gap_at_the_join(engine):
    rate = engine.sample_rate
    parts = engine.synthesize(LONG)
    whole = np.concatenate([c.audio_float_array for c in engine._voice.synthesize(LONG, engine._syn)])
    assert abs(len(parts) - len(whole)) / len(whole) < 0.15
    # The longest silence (10 ms frames under -45 dBFS) is a comma's pause, not a hole.
    frames = parts[: len(parts) // 220 * 220].reshape(-1, 220)
    quiet = 20 * np.log10(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)) + 1e-9) < -45
    longest = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        longest = max(longest, run)
    assert longest * 220 / rate < 0.7
    assert float(np.abs(parts).max()) <= 1.0
