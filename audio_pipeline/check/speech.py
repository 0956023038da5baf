"""How much speech each cue's span holds, against what its words need.

Forced alignment scores the words a cue expects and cannot hear the words it does not:
a cue "Hello." over "Hello there. This is a short test." scores every expected word as
likely. So each cue's voiced time (20 ms frames well above the window's quiet, read
from the audio the aligner hears anyway: no extra decoding) is set against the time its
letters take at the episode's own pace (the median over its cues, so any voice and
speed fits). A cue with much more speech than its words explain, or speech and no
words at all, is decoded freely like a flagged sentence, and the words heard beyond
the written ones count as insertions.

The other way round, a cue's words must be heard in its own span: one whose span holds
far less speech than its words take (Silero VAD: music and silence are no speech, however
loud), or voiced time past its aligned words (renders trim each sentence's silence, so a
cue's speech ends with its last word), is decoded freely too.
"""

from __future__ import annotations

import re

import numpy as np

from ..config import CheckConfig
from .asr import RATE

FRAME_S = 0.02
"""Energy is measured in frames this long (of the episode's own time)."""

# Thresholds of the other direction (CheckConfig is at its module's size limit):
SPEECH_SHORT_RATIO = 0.4
"""A cue whose span holds less speech (VAD) than this share of what its letters take at
the episode's pace cannot hold its words."""
BEYOND_WORDS_S = 0.25
BEYOND_SHARE = 0.3
"""Voiced time (episode seconds) in a cue's span before its first aligned word or after
its last beyond both this and this share of its voiced time: words its text does not have.
(Word times from the alignment are rough in long cues: clean renders of the published
episodes reach 0.58 s, but at most 0.22 of a cue's voiced time; a word or two missing
from a short cue, 0.4.)"""
VAD_CHUNK = 512
"""Silero VAD's samples per probability (32 ms at 16 kHz)."""


def voiced(audio: np.ndarray, rate: int, tempo: float, stretches: list[tuple[float, float]], cfg: CheckConfig) -> list[float]:
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


def _spans(w, tempo: float) -> list[tuple[float, float]]:
    """Each piece's own span in the window's audio (seconds), without its padding."""
    out = []
    for p in w.pieces:
        room = (p.cut[1] - p.cut[0]) / tempo
        a = min(room, max(0.0, (p.start - p.cut[0]) / tempo))
        b = min(room, max(a, (p.end - p.cut[0]) / tempo))
        out.append((p.at + a, p.at + b))
    return out


def speech_seconds(audio: np.ndarray, stretches: list[tuple[float, float]], tempo: float) -> list[float]:
    """Seconds (episode time) Silero VAD calls speech in each of `stretches` of 16 kHz `audio`."""
    from faster_whisper.vad import get_vad_model

    if audio.size == 0:
        return [0.0] * len(stretches)
    probs = np.asarray(get_vad_model()(np.pad(audio, (0, -audio.size % VAD_CHUNK)))).reshape(-1)
    counts = np.concatenate([[0], np.cumsum(probs >= 0.5)])
    step = VAD_CHUNK / RATE
    out = []
    for a, b in stretches:
        i, j = (min(probs.size, max(0, int(round(t / step)))) for t in (a, b))
        out.append(float(counts[max(i, j)] - counts[i]) * step * tempo)
    return out


def in_pieces(audio: np.ndarray, w, cfg: CheckConfig) -> list[tuple[int, float, float]]:
    """(sentence, voiced seconds, speech seconds by VAD) of each piece of the alignment
    window `w`, from its audio (its pieces' stretches end to end, sped up by
    `cfg.tempo`): each piece's own span, without the padding around it."""
    spans = _spans(w, cfg.tempo)
    return list(
        zip((p.sentence for p in w.pieces), voiced(audio, RATE, cfg.tempo, spans, cfg), speech_seconds(audio, spans, cfg.tempo))
    )


def short_of_speech(seconds: float, size: int, per_letter: float) -> bool:
    """Whether a cue's span holds far less speech than its `size` letters take."""
    return size > 0 and seconds < SPEECH_SHORT_RATIO * size * per_letter


def beyond_words(audio: np.ndarray, w, said: list, cues, cfg: CheckConfig) -> list[tuple[int, float]]:
    """(sentence, voiced seconds) in each piece's own span of `w` before its cue's first
    aligned word and after its last (`said`: each piece's words' (start, end) in the
    window, or None where it has none)."""
    stretches, owners = [], []
    for p, (a, b), t in zip(w.pieces, _spans(w, cfg.tempo), said):
        if t is None:
            continue
        if p.start <= cues[p.sentence].start:  # the cue's first piece: before its first word
            stretches.append((a, min(b, max(a, t[0]))))
            owners.append(p.sentence)
        if p.end >= cues[p.sentence].end:  # its last piece: after its last word
            stretches.append((max(a, min(b, t[1])), b))
            owners.append(p.sentence)
    return list(zip(owners, voiced(audio, RATE, cfg.tempo, stretches, cfg)))


def suspects(
    voiced_s: list[float], vad_s: list[float], beyond: list[float], sizes: list[int], cfg: CheckConfig
) -> dict[int, str]:
    """The cues whose speech their words do not explain, each with why: more voiced time
    than its letters take, far less speech than they take, or speech past its words."""
    per_letter = pace(voiced_s, sizes, cfg)
    out = {}
    for i, (seconds, heard, past, size) in enumerate(zip(voiced_s, vad_s, beyond, sizes)):
        if unexplained(seconds, size, per_letter, cfg):
            out[i] = note(seconds, size, per_letter)
        elif short_of_speech(heard, size, per_letter):
            out[i] = f"holds {heard:.1f} s of speech; its words take about {size * per_letter:.1f} s"
        elif past > max(BEYOND_WORDS_S, BEYOND_SHARE * seconds):
            out[i] = f"holds {past:.1f} s of speech before or after its words"
    return out
