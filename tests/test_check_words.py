"""The check's word comparison: equal things are equal, a different word is an error.

If these fail, `paperledge check` flags sentences that were said right (a number heard
as digits, a hyphen dropped) or lets a wrong word through.
"""

from __future__ import annotations

import pytest

from audio_pipeline.asr import Word
from audio_pipeline.check import Cue, assign, check_words, score, words_of
from audio_pipeline.config import CheckConfig


@pytest.mark.parametrize("written, heard", [
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
])
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


def test_words_go_to_the_sentence_whose_time_holds_them_and_edges_settle():
    cues = [Cue(1, 0.0, 2.0, "One two three."), Cue(2, 2.3, 4.0, "Four five six.")]
    # "four" starts a little early: its midpoint falls in the first cue.
    words = [Word(" one", 0.1, 0.5), Word(" two", 0.6, 1.0), Word(" three", 1.1, 1.6),
             Word(" four", 1.7, 2.2), Word(" five", 2.5, 3.0), Word(" six", 3.1, 3.6)]
    assert [len(w) for w in assign(words, cues)] == [4, 2]
    sentences, errors, n = check_words(cues, words, CheckConfig())
    assert errors == 0 and n == 6
    assert [s.heard for s in sentences] == ["one two three", "four five six"]
    assert not any(s.flagged for s in sentences)


def test_a_sentence_missing_most_of_its_words_is_flagged():
    cues = [Cue(1, 0.0, 3.0, "The researchers built a judge for every paper.")]
    sentences, errors, n = check_words(cues, [Word(" the", 0.1, 0.3), Word(" researchers", 0.3, 0.9)], CheckConfig())
    assert sentences[0].flagged and errors == 6 and n == 8


def test_check_without_the_recogniser_says_how_to_install_it(tmp_path):
    """The default install has no recogniser: `check` says so in one line, no traceback."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['faster_whisper'] = None; "
            "sys.argv = ['paperledge', 'check', 'episode.mp3']; "
            "from audio_pipeline.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "pip install" in proc.stderr and "[check]" in proc.stderr
