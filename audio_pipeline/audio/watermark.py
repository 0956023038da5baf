"""The inaudible mark that says an episode's voice is synthetic, and reading it back.

The mark is Resemble AI's PerthNet (the `resemble-perth` package, MIT, its weights inside
the wheel, so nothing is fetched at run time). It needs torch, so it sits behind the
`watermark` extra: without it a render passes its audio through unmarked and says so.

PerthNet marks presence only: it carries no payload, so the show's and the episode's ids
travel in the signed metadata, not in the mark. The bench (bench/watermark.py) holds the
figures that chose it over the libraries that do carry bits.

The network works at 32 kHz. Only the difference it makes is resampled back and added to
the mastered samples, so the band above 16 kHz passes through untouched. Audio is marked
in windows of WATERMARK_WINDOW_S with WATERMARK_CONTEXT_S of real audio either side, so
memory stays bounded and no window edge is heard.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np

from ..errors import PaperLedgeError
from ..files import regular_file
from .ffmpeg import ffmpeg_exe

MODEL_RATE = 32_000
EXTRA = "pip install 'paperledge-audio[watermark]'"
MARK: Final = {"library": "resemble-perth 1.0.1 (PerthNet)", "carries": "presence only: made by a speech model"}
"""What the Content Credentials say of the mark (a soft binding: the mark survives where the manifest is stripped)."""
# The mark's settings live here, not in config.py: that module is at the layout's 400 lines.
WATERMARK_WINDOW_S: Final = 20.0
"""Seconds of audio the watermark marks (and `detect` reads) at a time: bounds the memory."""

WATERMARK_CONTEXT_S: Final = 1.0
"""Real audio either side of a window while it is marked, so no window edge is heard."""

WATERMARK_MIN_RMS: Final = 1e-4
"""Below this RMS (-80 dBFS) a window is silence: nothing to mark, nothing to read."""

WATERMARK_THRESHOLD: Final = 0.5
"""Share of a window's frames that must carry the mark for `detect` to call it marked
(marked speech reads 1.0 after every transformation measured, unmarked 0.0)."""


class DetectError(PaperLedgeError):
    """A file `detect` cannot read as audio."""


@dataclass(frozen=True)
class Found:
    """A mark found: the share of the strongest window's frames that carry it, and how many
    windows (of those with sound in them) carry it."""

    score: float
    windows: int
    heard: int


def missing() -> str | None:
    """Why the watermark cannot be made here (one line), or None when it can."""
    try:
        _model()
    except ImportError as e:
        return f"the watermark is off: {e.name or 'its library'} is not installed ({EXTRA})"
    return None


@lru_cache(maxsize=1)
def _model():
    import perth
    import torch

    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    if perth.PerthImplicitWatermarker is None:  # its import failed inside the package
        raise ImportError("resemble-perth's network could not load", name="torch")
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a line as it loads
        return perth.PerthImplicitWatermarker(device="cpu")


def _to(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    if rate == to:
        return x.astype(np.float64)
    from scipy.signal import resample_poly  # a second to import: only a marked render pays it

    g = np.gcd(rate, to)
    return resample_poly(x.astype(np.float64), to // g, rate // g)


def mark(samples: np.ndarray, rate: int) -> np.ndarray:
    """`samples` (float mono at `rate`) with the mark added; silence and very short audio
    come back as they were (the network has nothing to hide a mark in)."""
    x = np.asarray(samples, dtype=np.float32)
    if x.size < rate or float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) < WATERMARK_MIN_RMS:
        return x
    x32 = _to(x, rate, MODEL_RATE)
    y32 = np.asarray(_model().apply_watermark(x32.astype(np.float32), sample_rate=MODEL_RATE), dtype=np.float64)
    n = min(x32.size, y32.size)
    delta = _to(y32[:n] - x32[:n], MODEL_RATE, rate)[: x.size]
    if not np.all(np.isfinite(delta)):
        return x
    out = x.copy()
    out[: delta.size] += delta.astype(np.float32)
    return out


def marked_blocks(blocks: Iterable[np.ndarray], rate: int) -> Iterator[np.ndarray]:
    """The render's mastered float32 mono blocks with the mark in them, streamed: windows of
    WATERMARK_WINDOW_S, each marked with WATERMARK_CONTEXT_S of its neighbours around it.
    Without the library the blocks pass through unchanged (`missing()` says why)."""
    if missing():
        yield from blocks
        return
    window, pad = round(WATERMARK_WINDOW_S * rate), round(WATERMARK_CONTEXT_S * rate)
    before = np.zeros(0, np.float32)
    pending: list[np.ndarray] = []
    held = 0
    for block in blocks:
        pending.append(np.asarray(block, dtype=np.float32).ravel())
        held += pending[-1].size
        while held >= window + pad:
            buf = np.concatenate(pending)
            seg = np.concatenate([before, buf[: window + pad]])
            yield mark(seg, rate)[before.size : before.size + window]
            before = buf[max(0, window - pad) : window]
            pending, held = [buf[window:]], buf.size - window
    if held:
        buf = np.concatenate(pending)
        yield mark(np.concatenate([before, buf]), rate)[before.size :]


def _decoded(path: Path) -> Iterator[np.ndarray]:
    """The file as float mono at the model's rate, a window at a time, through ffmpeg."""
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-i",
        f"file:{path}",
        "-map",
        "0:a:0",
        "-f",
        "f32le",
        "-ac",
        "1",
        "-ar",
        str(MODEL_RATE),
        "pipe:1",
    ]
    size = round(WATERMARK_WINDOW_S * MODEL_RATE) * 4
    # stderr goes to a file: a damaged file can make ffmpeg say more than a pipe holds
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        try:
            while chunk := proc.stdout.read(size):
                yield np.frombuffer(chunk[: len(chunk) // 4 * 4], "<f4")
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if rc != 0:
            err.seek(0)
            said = err.read().decode("utf-8", "replace").strip().splitlines()
            raise DetectError(f"{path}: ffmpeg cannot decode it as audio ({(said[-1] if said else 'no audio')[:120]})")


def detect_file(path: Path) -> Found | None:
    """The mark in any file ffmpeg decodes, or None. A missing or unreadable file, or one
    with no audio in it, is one DetectError line."""
    path = Path(path)
    if not regular_file(path, DetectError):
        raise DetectError(f"{path}: no such file")
    best, windows, heard, samples = 0.0, 0, 0, 0
    for x in _decoded(path):
        samples += x.size
        if x.size < MODEL_RATE or float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) < WATERMARK_MIN_RMS:
            continue
        if heard == 0 and (why := missing()) is not None:
            raise DetectError(f"{path}: cannot look for the mark: {why}")
        heard += 1
        frames = np.asarray(_model().get_watermark(x.astype(np.float32), sample_rate=MODEL_RATE), dtype=np.float64)
        score = float(np.mean(frames)) if frames.size and np.all(np.isfinite(frames)) else 0.0
        best = max(best, score)
        windows += score >= WATERMARK_THRESHOLD
    if samples == 0:
        raise DetectError(f"{path}: no audio in it")
    return Found(best, windows, heard) if windows else None
