"""The eight published episodes (scripts/published-2025, imported from the show's page),
through the same parse and front end that `paperledge render` uses."""

from __future__ import annotations

import re

import pytest

from audio_pipeline.stages import load_episode

from .conftest import ROOT

SCRIPTS = sorted((ROOT / "scripts" / "published-2025").glob("*.md"))


def test_all_eight_are_there():
    assert len(SCRIPTS) == 8


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_spoken_forms_hold_nothing_the_engine_would_misread(script):
    episode, _, _ = load_episode(script)
    for s in episode.sentences():
        assert not re.search(r"https?|www\.|://", s.spoken, re.I), s.spoken
        # A lexicon word's phonemes go to Piper as `[[ ... ]]`, the one markup it is meant to read.
        words = re.sub(r"\[\[ [^\[\]]+ \]\]", "", s.spoken)
        assert not re.search(r"[&+=~→°#@%$€£/\\<>|*_^{}\[\]]", words), s.spoken
        assert not re.search(r"\d", s.spoken), f"digits left in: {s.spoken}"
        assert "Credit to Paper authors" not in s.written
    assert episode.sentences()[-1].written.startswith("Credit to the paper's authors")
