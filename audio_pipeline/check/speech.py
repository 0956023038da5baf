"""How much speech each cue's span holds, against what its words need.

Forced alignment scores the words a cue expects and cannot hear the words it does not:
a cue "Hello." over "Hello there. This is a short test." scores every expected word as
likely. So each cue's voiced time (20 ms frames well above the window's quiet, read
from the audio the aligner hears anyway: no extra decoding) is set against the time its
letters take at the episode's own pace (the median over its cues, so any voice and
speed fits). A cue with much more speech than its words explain, or speech and no
words at all, is decoded freely like a flagged sentence, and the words heard beyond
the written ones count as insertions.
"""

from __future__ import annotations

import re

import numpy as np

from ..config import CheckConfig
from .asr import RATE

FRAME_S = 0.02
"""Energy is measured in frames this long (of the episode's own time)."""


def voiced(audio: np.ndarray, rate: int, tempo: float, stretches: list[tuple[float, float]],
           cfg: CheckConfig) -> list[float]:
    """Voiced seconds (episode time) in each of `stretches` ((start, end) in seconds of
    `audio`, which is sped up by `tempo`). A frame is voiced when its level is within
    `cfg.voiced_below_db` of the loud frames of `audio` (its 95th percentile) and above
    `cfg.voiced_floor_db`: the pauses a voice leaves read as silence, whatever the level
    the episode was mastered to."""
    size = max(1, int(round(FRAME_S / tempo * rate)))
    n = audio.size // size
    if n == 0:
        return [0.0] * len(stretches)
    frames = audio[: n * size].reshape(n, size).astype(np.float64)
    level = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
    loud = float(np.percentile(level, 95))
    on = level > max(loud - cfg.voiced_below_db, cfg.voiced_floor_db)
    counts = np.concatenate([[0], np.cumsum(on)])
    out = []
    for a, b in stretches:
        i, j = (min(n, max(0, int(round(t * rate / size)))) for t in (a, b))
        out.append(float(counts[max(i, j)] - counts[i]) * FRAME_S)
    return out


def letters(words: list[str]) -> int:
    """Letters and digits of a sentence's spoken words: what its speaking time follows."""
    return sum(len(re.sub(r"\W", "", w)) for w in words)


def pace(seconds: list[float], sizes: list[int], cfg: CheckConfig) -> float:
    """Seconds of speech per letter in this episode: the median over its cues of some
    length, within `cfg.pace_range`; `cfg.pace_default` with too few cues to tell."""
    rates = [s / n for s, n in zip(seconds, sizes) if n >= cfg.pace_min_letters and s > 0]
    if len(rates) < cfg.pace_min_cues:
        return cfg.pace_default
    lo, hi = cfg.pace_range
    return min(hi, max(lo, float(np.median(rates))))


def unexplained(seconds: float, size: int, per_letter: float, cfg: CheckConfig) -> bool:
    """Whether a cue's voiced time is more than its `size` letters explain at `per_letter`."""
    return seconds > cfg.speech_ratio * size * per_letter + cfg.speech_slack_s


def note(seconds: float, size: int, per_letter: float) -> str:
    if size == 0:
        return f"holds {seconds:.1f} s of speech and no words to score"
    return f"holds {seconds:.1f} s of speech; its words take about {size * per_letter:.1f} s"


def in_pieces(audio: np.ndarray, w, cfg: CheckConfig) -> list[tuple[int, float]]:
    """(sentence, voiced seconds) of each piece of the alignment window `w`, from its audio
    (its pieces' stretches end to end, sped up by `cfg.tempo`): each piece's own span,
    without the padding around it."""
    tempo, stretches = cfg.tempo, []
    for p in w.pieces:
        room = (p.cut[1] - p.cut[0]) / tempo
        a = min(room, max(0.0, (p.start - p.cut[0]) / tempo))
        b = min(room, max(a, (p.end - p.cut[0]) / tempo))
        stretches.append((p.at + a, p.at + b))
    return list(zip((p.sentence for p in w.pieces), voiced(audio, RATE, tempo, stretches, cfg)))
