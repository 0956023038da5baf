"""Mastering: integrated loudness to target, true peak held under the ceiling.

One analysis pass reads the mix in 10 ms frames (loudness.py: K-weighted energy,
plain RMS level and peak). The gain, a gentle frame-based compressor and the
loudness they give are then solved on those frames alone, without touching the
audio again. One processing pass applies them and a look-ahead, 4x-oversampled
true-peak limiter catches what is left; it never clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import soxr

from ..config import MasterConfig
from .filters import moving_average, running_minimum
from .loudness import BLOCK, Frames, Reader, gated_loudness


@dataclass
class MasterPlan:
    ceiling_dbtp: float
    """The limiter's true-peak ceiling."""
    hop: int
    frame_gain_db: np.ndarray
    """Gain and compression together, per frame; interpolated between frame centres."""


def compressor_db(level_db: np.ndarray, threshold_db: float, config: MasterConfig, hop_s: float) -> np.ndarray:
    """Gain change of a gentle speech compressor, per frame.

    Short-term levels above the threshold rise 1 dB per `ratio` dB. The curve is
    smoothed with no phase lag (offline, so no attack delay), which keeps consonants
    from being squashed ahead of the vowel that follows.
    """
    reduction = np.minimum(0.0, (threshold_db - level_db) * (1 - 1 / config.compressor_ratio))
    return moving_average(reduction, max(1, round(config.compressor_smooth_s / hop_s)))


def plan(
    frames: Frames, rate: int, config: MasterConfig, correction_db: float = 0.0, ceiling_shift_db: float = 0.0
) -> MasterPlan:
    """Find the gain that, through the compressor, lands on `config.target_lufs` plus the MP3's loss."""
    target_lufs = config.target_lufs
    ceiling = config.true_peak_dbtp - config.limiter_headroom_db - ceiling_shift_db
    hop_s = frames.hop / rate
    measured = gated_loudness(frames.k_energy, frames.hop, rate)
    if not np.isfinite(measured):  # silence: nothing to scale
        return MasterPlan(ceiling, frames.hop, np.zeros(frames.energy.size))
    aim = target_lufs + config.mp3_loudness_loss_lu + correction_db
    with np.errstate(divide="ignore"):
        level = 10 * np.log10(frames.energy / frames.hop + 1e-12)
    threshold = target_lufs + config.compressor_threshold_lu

    with np.errstate(divide="ignore"):
        peak_db = 20 * np.log10(frames.peak + 1e-12) + config.true_peak_allowance_db
    hold = round(config.release_s / hop_s) + 1

    def outcome(gain: float) -> tuple[np.ndarray, float]:
        g = gain + compressor_db(level + gain, threshold, config, hop_s)
        # What the limiter will take, frame by frame, held through its release.
        limit = running_minimum(np.minimum(0.0, ceiling - (peak_db + g)), hold + 2, origin=hold - (hold + 2) // 2)
        return g, gated_loudness(frames.k_energy * 10 ** ((g + limit) / 10), frames.hop, rate)

    gain = aim - measured
    for _ in range(12):  # on frames this is cheap; it converges in three or four steps
        g, got = outcome(gain)
        if abs(aim - got) < 0.02:
            break
        # Compression makes the response flatter than 1 dB per dB: step further.
        gain += (aim - got) * 1.5
    return MasterPlan(ceiling, frames.hop, g.astype(np.float32))


def oversampled_peaks(x: np.ndarray, oversample: int) -> np.ndarray:
    """Per-sample magnitude of the signal interpolated `oversample` times (soxr, HQ):
    the largest of the sample itself and the interpolated points that follow it."""
    up = soxr.resample(x.astype(np.float32), 1, oversample, quality="HQ")
    n = min(x.size, up.size // oversample)
    peaks = np.abs(x).astype(np.float32)
    phases = np.abs(up[: n * oversample]).reshape(n, oversample)
    # Column by column: numpy's max(axis=1) over rows of four is several times slower.
    head = peaks[:n]
    for k in range(oversample):
        np.maximum(head, phases[:, k], out=head)
    return peaks


def mastered_blocks(read: Reader, length: int, rate: int, plan_: MasterPlan, config: MasterConfig) -> Iterator[np.ndarray]:
    """The mastered episode, block by block, for the encoder."""
    ceiling = 10 ** (plan_.ceiling_dbtp / 20)
    ramp = max(1, round(config.lookahead_s * rate))
    hold = round(config.release_s * rate)
    margin = hold + 2 * ramp + 64
    hop = plan_.hop
    centres = (np.arange(plan_.frame_gain_db.size) + 0.5) * hop
    frame_gain = 10 ** (plan_.frame_gain_db / 20)
    for start in range(0, length, BLOCK):
        count = min(BLOCK, length - start)
        lo = max(0, start - margin)
        x = read(lo, start + count + margin - lo)
        x *= np.interp(np.arange(lo, lo + x.size), centres, frame_gain).astype(np.float32)
        env = limiter_gain(x, ceiling, ramp, hold, config.oversample)
        offset = start - lo
        yield x[offset : offset + count] * env[offset : offset + count]


def limiter_gain(x: np.ndarray, ceiling: float, ramp: int, hold: int, oversample: int = MasterConfig.oversample) -> np.ndarray:
    """Per-sample gain (<= 1) that keeps the true peak of x * gain under `ceiling`.

    needed[n] is the gain sample n's own true peak asks for. A running minimum over
    [n - hold, n + ramp] holds each reduction through the release time and starts it
    `ramp` early; a moving average of width `ramp` then smooths the steps. Every
    value averaged at n is a minimum over a window containing n, so the smoothed
    gain never exceeds needed[n]: peaks are caught, never clipped.
    """
    ones = np.ones(x.size, dtype=np.float32)
    # Interpolation adds at most a few dB over the sample peak: only look closer there.
    if x.size == 0 or np.max(np.abs(x)) < ceiling * 0.5:
        return ones
    peaks = oversampled_peaks(x, oversample)
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12)).astype(np.float32)
    if needed.min() >= 1.0:
        return ones
    half = ramp // 2 + 1
    size = hold + 2 * half + 1
    # origin shifts the window so it spans [n - hold - half, n + half].
    held = running_minimum(needed, size, origin=(hold + half) - size // 2)
    return moving_average(held, 2 * half - 1)
