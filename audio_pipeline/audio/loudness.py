"""Loudness measurement: the BS.1770-4 meter mastering and assembly read.

The mix is read in 10 ms frames: K-weighted energy (BS.1770's filters, filters.py,
their state carried across blocks, so a long episode is never held in memory), plain
energy and sample peak. Integrated loudness is gated from those frames alone, so
mastering can try a gain on them without touching the audio again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from .filters import KWeighting

BLOCK = 1 << 18  # samples per processing block (~6 s at 44.1 kHz)
Reader = Callable[[int, int], np.ndarray]


def blocks_of(read: Reader, length: int, block: int = BLOCK) -> Iterator[np.ndarray]:
    for start in range(0, length, block):
        yield read(start, min(block, length - start))


@dataclass
class Frames:
    """Per-frame sums of the mix: the whole of what mastering needs to decide."""

    hop: int
    k_energy: np.ndarray
    """Sum of squares of the K-weighted signal in each frame."""
    energy: np.ndarray
    """Sum of squares of the signal itself in each frame."""
    peak: np.ndarray
    """Largest sample magnitude in each frame."""


def analyse(blocks: Iterable[np.ndarray], rate: int, hop_s: float = 0.010) -> Frames:
    hop = round(hop_s * rate)
    weigh = KWeighting(rate)
    k_parts, e_parts, p_parts = [], [], []
    carry_k = carry_x = np.zeros(0)
    for x in blocks:
        x = x.astype(np.float64)
        k = weigh(x)
        k, x = np.concatenate([carry_k, k]), np.concatenate([carry_x, x])
        whole = x.size // hop * hop
        k_parts.append(np.sum(k[:whole].reshape(-1, hop) ** 2, axis=1))
        e_parts.append(np.sum(x[:whole].reshape(-1, hop) ** 2, axis=1))
        p_parts.append(np.max(np.abs(x[:whole].reshape(-1, hop)), axis=1, initial=0.0))
        carry_k, carry_x = k[whole:], x[whole:]
    cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
    return Frames(hop, cat(k_parts), cat(e_parts), cat(p_parts))


def gated_loudness(k_energy: np.ndarray, hop: int, rate: int) -> float:
    """BS.1770-4 integrated loudness from per-frame K-weighted energies (400 ms blocks, 75 % overlap)."""
    per = round(0.1 * rate / hop)  # frames per 100 ms step
    n = k_energy.size // per
    if n < 4:
        return float("-inf")
    sub = k_energy[: n * per].reshape(n, per).sum(axis=1)
    z = (sub[:-3] + sub[1:-2] + sub[2:-1] + sub[3:]) / (4 * per * hop)
    with np.errstate(divide="ignore"):
        lj = -0.691 + 10 * np.log10(z)
    z, lj = z[lj >= -70.0], lj[lj >= -70.0]
    if z.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * np.log10(z.mean()) - 10.0
    return float(-0.691 + 10 * np.log10(z[lj > relative].mean()))


def integrated_loudness(blocks: Iterable[np.ndarray], rate: int) -> float:
    """BS.1770-4 integrated loudness (LUFS) of a mono signal arriving block by block."""
    frames = analyse(blocks, rate)
    return gated_loudness(frames.k_energy, frames.hop, rate)
