"""The check's word comparison (equal things are equal, a different word is an error) and
how sentences are planned into alignment windows.

If these fail, `paperledge check` flags sentences that were said right (a number heard
as digits, a hyphen dropped) or lets a wrong word through.
"""

from __future__ import annotations

import pytest

from audio_pipeline.check.align import MAX_TOKENS, WINDOW_S, plan
from audio_pipeline.check.words import score, words_of
from audio_pipeline.config import CheckConfig


@pytest.mark.parametrize(
    "written, heard",
    [
        ("They saw a 7% improvement.", "they saw a seven percent improvement"),
        ("GPT-4 vs. Claude", "GPT four versus Claude"),
        ("It scored 8,000 points in 2024!", "It scored eight thousand points in twenty twenty-four."),
        ("A super-smart, cutting-edge AI.", "a super smart cutting edge A.I."),
        ("From ICML, the top venue.", "from I see ML the top venue"),
        ("Hey PaperLedge crew", "hey paper ledge crew"),
        ("It’s the paper's point", "its the papers point"),
        ("Tomás Ferreira", "Tomas Ferreira"),
        ("The behaviour was OK", "the behavior was okay"),
        ("LLaMA-2 7B and NASA", "Llama 2 7B and NASA"),
        ("a VAE model", "a V A E model"),
    ],
)
def test_equal_things_score_no_error(written, heard):
    s = score(words_of(written), words_of(heard))
    assert s.errors == 0, s.differs


def test_a_different_word_is_a_severe_error():
    s = score(words_of("an improvement in accuracy compared"), words_of("an improvement in something else compared"))
    assert s.errors == 2 and s.severe == 2
    assert "accuracy" in s.misheard


def test_a_near_miss_counts_in_wer_but_is_not_severe():
    s = score(words_of("Hey PaperLedge crew, Ernis here!"), words_of("Hey Paper Ludge crew, Ernest here"))
    assert s.errors == 2 and s.severe == 0


def test_every_word_of_a_sentence_longer_than_a_window_is_planned_into_windows_that_fit():
    """A 70 s sentence of 300 words becomes pieces of at most one window (at the tempo) and
    the decoder's 448 tokens; no word is left out, and the pieces keep their order and times,
    each piece's audio holding its span."""
    cfg = CheckConfig()
    words = [f"word{i}" for i in range(300)]
    spans = [(0.0, 2.0, ["Hello", "there."]), (2.5, 72.5, words), (73.0, 75.0, ["Goodbye."])]
    windows = plan(spans, lambda w: [1, 2], cfg)
    pieces = [p for w in windows for p in w.pieces]
    assert [w for p in pieces if p.sentence == 1 for w in p.words] == words
    for w in windows:
        seconds = sum(p.cut[1] - p.cut[0] for p in w.pieces) / cfg.tempo
        assert abs(w.length - seconds) < 1e-9 and w.length <= WINDOW_S and sum(p.size for p in w.pieces) <= MAX_TOKENS
        assert all(p.cut[0] <= p.start < p.end <= p.cut[1] for p in w.pieces)
        assert [p.at for p in w.pieces] == sorted(p.at for p in w.pieces) and w.pieces[0].at == 0
    assert len({p.sentence for p in pieces}) == 3 and len(pieces) >= 4
    assert [p.start for p in pieces] == sorted(p.start for p in pieces)
    # A sentence's padding stops halfway to the next: no window hears a neighbour's words.
    assert all(a.cut[1] <= b.cut[0] for a, b in zip(pieces, pieces[1:]) if a.sentence != b.sentence)


def test_check_without_the_recogniser_says_how_to_install_it(tmp_path):
    """The default install has no recogniser: `check` says so in one line, no traceback."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['faster_whisper'] = None; "
        "sys.argv = ['paperledge', 'check', 'episode.mp3']; "
        "from audio_pipeline.cli import main; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "pip install" in proc.stderr and "[check]" in proc.stderr


def test_a_cue_with_no_words_is_planned_over_its_whole_span():
    """Its span is still heard: speech under an empty cue must be measured, not skipped."""
    [w] = plan([(1.0, 3.0, [])], lambda word: [1], CheckConfig())
    assert (w.pieces[0].start, w.pieces[0].end) == (1.0, 3.0)


def test_voiced_time_counts_the_sound_in_a_span_and_not_its_silence():
    import numpy as np

    from audio_pipeline.check.speech import voiced

    rate = 16_000
    sound = 0.1 * np.random.default_rng(1).standard_normal(rate).astype(np.float32)
    audio = np.concatenate([np.zeros(rate, np.float32), sound, np.zeros(rate, np.float32)])
    whole, first = voiced(audio, rate, 1.0, [(0.0, 3.0), (0.0, 1.0)], CheckConfig())
    assert abs(whole - 1.0) < 0.05 and first == 0
    # Sped up 1.5 times (as the aligner hears it), the same sound is still 1 s of the episode.
    n = rate * 2 // 3
    faster = np.concatenate([np.zeros(n, np.float32), sound[:n], np.zeros(n, np.float32)])
    [fast] = voiced(faster, rate, 1.5, [(0.0, 3 * n / rate)], CheckConfig())
    assert abs(fast - 1.0) < 0.05


def test_the_pace_is_the_episodes_own_and_a_lone_cue_gets_the_default():
    from audio_pipeline.check.speech import pace

    cfg = CheckConfig()
    assert pace([6.0] * 10, [100] * 10, cfg) == 0.06
    assert pace([60.0], [5], cfg) == cfg.pace_default
