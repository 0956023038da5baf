"""Loudness measurement: the BS.1770-4 meter mastering and assembly read.

The mix is read in 10 ms frames: K-weighted energy (pyloudnorm's BS.1770 filters,
state carried across blocks, so a long episode is never held in memory), plain
energy and sample peak. Integrated loudness is gated from those frames alone, so
mastering can try a gain on them without touching the audio again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

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


_preloading: list[threading.Thread] = []
_preload_lock = threading.Lock()


def preload() -> threading.Thread:
    """Import the meter's and the mastering's libraries in the background (scipy takes about
    a second), so that a render pays for it while its voices synthesise, not after."""

    def load() -> None:
        try:
            import pyloudnorm  # noqa: F401
            import scipy.ndimage  # noqa: F401
            import scipy.signal  # noqa: F401
        except Exception:  # noqa: BLE001 - missing, or no file descriptors left: analyse()
            pass  # imports them again on the main thread and says what went wrong

    # scipy's package itself (70 ms) is imported here, on the caller's thread: a thread that
    # touches scipy.fft (hibari) or scipy.ndimage while another is still initialising the
    # package fails (KeyError: 'scipy', no attribute '_lib'); its submodules import safely.
    try:
        import scipy  # noqa: F401
    except Exception:  # noqa: BLE001 - analyse() says what is missing
        pass
    thread = threading.Thread(target=load, name="preload-meter", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (ulimit -v): analyse() imports them itself
        return thread
    with _preload_lock:
        _preloading.append(thread)
    return thread


def meter_ready() -> None:
    """Wait for a background import to finish before importing scipy on this thread:
    scipy's lazily loaded submodules are not safe to import from two threads at once
    (seen as KeyError: 'scipy' in a render)."""
    with _preload_lock:
        threads = list(_preloading)
    for thread in threads:
        thread.join()


def analyse(blocks: Iterable[np.ndarray], rate: int, hop_s: float = 0.010) -> Frames:
    hop = round(hop_s * rate)
    # Imported here: scipy.signal costs a second to import, and `paperledge text` never measures.
    meter_ready()
    import pyloudnorm
    from scipy.signal import lfilter, lfilter_zi

    filters = [(f.b, f.a, f.passband_gain) for f in pyloudnorm.Meter(rate)._filters.values()]
    states = [lfilter_zi(b, a) * 0.0 for b, a, _ in filters]
    k_parts, e_parts, p_parts = [], [], []
    carry_k = carry_x = np.zeros(0)
    for x in blocks:
        x = x.astype(np.float64)
        k = x
        for i, (b, a, g) in enumerate(filters):
            k, states[i] = lfilter(b, a, k, zi=states[i])
            k = k * g
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
