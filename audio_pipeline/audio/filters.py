"""The three filters the meter and the limiter need, on numpy alone.

scipy.signal and scipy.ndimage cost three quarters of a second of CPU to import, in every
render, on the cores its voices synthesise on. What is used of them is small:

- BS.1770's K-weighting: two biquads (RBJ's cookbook, as pyloudnorm designs them). Its
  impulse response falls below 1e-16 within 150 ms at any rate, so it is applied exactly,
  to double precision, as that FIR by FFT overlap-add, its tail carried from block to block;
- a moving average (a cumulative sum);
- a running minimum (van Herk / Gil-Werman: three passes whatever the window).

Edges repeat the nearest sample, as scipy.ndimage's mode="nearest" does; the tests hold
each filter to scipy's own result.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

_K_SECTIONS: tuple[tuple[float, float, float, str], ...] = (
    (4.0, 1 / np.sqrt(2), 1500.0, "high_shelf"),
    (0.0, 0.5, 38.0, "high_pass"),
)
"""BS.1770-4's pre-filter (G dB, Q, fc Hz): the head's high shelf, then the RLB high-pass."""
_K_SECONDS = 0.15
"""Length of the K-weighting's impulse response kept: what follows is below 1e-16."""


def biquad(gain_db: float, q: float, fc: float, rate: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(b, a), normalised so a[0] == 1: RBJ's "Audio EQ Cookbook" high shelf or high-pass."""
    A = 10 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * (fc / rate)
    alpha = np.sin(w0) / (2.0 * q)
    cos = np.cos(w0)
    if kind == "high_shelf":
        b = A * np.array(
            [
                (A + 1) + (A - 1) * cos + 2 * np.sqrt(A) * alpha,
                -2 * ((A - 1) + (A + 1) * cos),
                (A + 1) + (A - 1) * cos - 2 * np.sqrt(A) * alpha,
            ]
        )
        a = np.array(
            [
                (A + 1) - (A - 1) * cos + 2 * np.sqrt(A) * alpha,
                2 * ((A - 1) - (A + 1) * cos),
                (A + 1) - (A - 1) * cos - 2 * np.sqrt(A) * alpha,
            ]
        )
    elif kind == "high_pass":
        b = np.array([(1 + cos) / 2, -(1 + cos), (1 + cos) / 2])
        a = np.array([1 + alpha, -2 * cos, 1 - alpha])
    else:
        raise ValueError(kind)
    return b / a[0], a / a[0]


def _impulse_response(sections: list[tuple[np.ndarray, np.ndarray]], taps: int) -> np.ndarray:
    """The chain's response to a unit impulse, by the difference equation (once per rate)."""
    x = np.zeros(taps)
    x[0] = 1.0
    for b, a in sections:
        b0, b1, b2, a1, a2 = (float(c) for c in (*b, *a[1:]))  # Python floats: numpy scalars are slow here
        y = []
        x1 = x2 = y1 = y2 = 0.0
        for xn in x.tolist():
            yn = b0 * xn + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            y.append(yn)
            x1, x2, y1, y2 = xn, x1, yn, y1
        x = np.array(y)
    return x


@lru_cache(maxsize=8)
def _k_kernel(rate: int) -> tuple[int, int, np.ndarray]:
    """(taps, FFT size, the response's spectrum at that size) for `rate`."""
    taps = int(np.ceil(_K_SECONDS * rate))
    h = _impulse_response([biquad(gain, q, fc, rate, kind) for gain, q, fc, kind in _K_SECTIONS], taps)
    size = 1 << int(np.ceil(np.log2(4 * taps)))  # a segment of three times the taps per FFT
    return taps, size, np.fft.rfft(h, size)


class KWeighting:
    """BS.1770-4's K-weighting of a signal handed over block by block, as one lfilter call
    over the whole signal from rest would give it (to double precision)."""

    def __init__(self, rate: int):
        self.taps, self.size, self.spectrum = _k_kernel(rate)
        self.tail = np.zeros(self.taps - 1)
        """What the blocks so far contribute to samples not yet handed over."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        n = x.size
        step = self.size - self.taps + 1
        out = np.zeros(n + self.taps - 1)
        for start in range(0, n, step):
            seg = x[start : start + step]
            y = np.fft.irfft(np.fft.rfft(seg, self.size) * self.spectrum, self.size)[: seg.size + self.taps - 1]
            out[start : start + y.size] += y
        out[: self.tail.size] += self.tail  # the earlier blocks ring on into this one (and past it)
        self.tail = out[n:].copy()
        return out[:n]


def _padded(x: np.ndarray, size: int, origin: int) -> np.ndarray:
    """`x` with its edge samples repeated so that window i is padded[i : i + size], the window
    scipy.ndimage places for output i (`origin` shifting it left)."""
    left = size // 2 + origin
    if size < 1 or not 0 <= left < size:
        raise ValueError("a window of at least one sample, with its origin inside it")
    return np.concatenate([np.repeat(x[:1], left), x, np.repeat(x[-1:], size - 1 - left)])


def moving_average(x: np.ndarray, size: int, origin: int = 0) -> np.ndarray:
    """scipy.ndimage.uniform_filter1d(x, size, mode="nearest", origin=origin)."""
    x = np.asarray(x)
    _padded(x[:0], size, origin)  # the window itself is checked even where no sample needs it
    if x.size == 0 or size == 1:
        return x.copy()
    sums = np.concatenate([[0.0], np.cumsum(_padded(x, size, origin), dtype=np.float64)])
    return ((sums[size:] - sums[:-size]) / size).astype(x.dtype, copy=False)


def running_minimum(x: np.ndarray, size: int, origin: int = 0) -> np.ndarray:
    """scipy.ndimage.minimum_filter1d(x, size, mode="nearest", origin=origin)."""
    x = np.asarray(x)
    _padded(x[:0], size, origin)  # the window itself is checked even where no sample needs it
    if x.size == 0 or size == 1:
        return x.copy()
    p = _padded(x, size, origin)
    blocks = -(-p.size // size)
    padded = np.full(blocks * size, np.inf, dtype=p.dtype)
    padded[: p.size] = p
    # Blocks of `size` as columns (a row at a time is one vector operation): the minimum so far
    # from each block's start (g) and from its end (h). The window starting at i spans the end
    # of one block and the start of the next.
    columns = padded.reshape(blocks, size).T
    g = np.minimum.accumulate(columns, axis=0).T.ravel()
    h = np.minimum.accumulate(columns[::-1], axis=0)[::-1].T.ravel()
    n = x.size
    return np.minimum(h[:n], g[size - 1 : size - 1 + n])
