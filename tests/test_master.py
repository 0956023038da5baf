"""Mastering's own measurements against the reference implementations."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import soundfile
import soxr

from audio_pipeline.audio.loudness import integrated_loudness
from audio_pipeline.audio.master import limiter_gain

from .conftest import ebur128

RATE = 44_100


def _speechlike(seconds: float, seed: int = 0, rate: int = RATE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * rate)) / rate
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 3.7 * t) ** 2
    phrases = (np.sin(2 * np.pi * 0.25 * t) > -0.3).astype(float)  # pauses between phrases
    x = (0.2 * np.sin(2 * np.pi * 180 * t) + 0.05 * rng.standard_normal(t.size)) * syllables * phrases
    return x.astype(np.float32)


def test_block_wise_loudness_matches_pyloudnorm():
    """The streaming meter (any block size) reads what pyloudnorm reads on the whole signal."""
    x = _speechlike(30)
    reference = pyloudnorm.Meter(RATE).integrated_loudness(x.astype(np.float64))
    for block in (4410, 100_003, x.size):
        ours = integrated_loudness((x[i : i + block] for i in range(0, x.size, block)), RATE)
        assert abs(ours - reference) < 0.02, (block, ours, reference)


def test_limiter_keeps_true_peak_under_ceiling_without_clipping(tmp_path):
    # Like a voice: made at the engine's 22.05 kHz, resampled to the episode rate; peaks
    # far over full scale.
    x = soxr.resample(_speechlike(10, rate=22_050), 22_050, RATE).astype(np.float32) * 6.0
    ceiling = 10 ** (-1.7 / 20)
    gain = limiter_gain(x, ceiling, ramp=220, hold=2646)
    y = x * gain
    wav = tmp_path / "limited.wav"
    soundfile.write(wav, y, RATE, subtype="FLOAT")
    _, peak = ebur128(wav)  # ffmpeg's own true-peak meter
    # True-peak meters' interpolators differ by a tenth of a dB or so; mastering keeps
    # 0.7 dB of headroom under the -1 dBTP target and re-checks the MP3 with ebur128.
    assert peak <= -1.7 + 0.2, peak
    assert gain.max() <= 1.0 and gain.min() > 0.05
    # Smooth gain: no step larger than a smoothing ramp allows (a clipper would jump).
    assert np.max(np.abs(np.diff(gain))) < 0.05


def test_limiter_leaves_quiet_audio_alone():
    x = _speechlike(5) * 0.5
    assert np.all(limiter_gain(x, 10 ** (-1.7 / 20), ramp=220, hold=2646) == 1.0)
