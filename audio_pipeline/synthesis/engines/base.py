"""What an engine is, and how engines are found by name.

An engine turns one spoken-form sentence into a float32 mono waveform at its own
native rate. Heavy libraries (onnxruntime, torch) are imported inside the engine's
module, so importing this registry costs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ...errors import VoiceError

# name -> "module:Class"; modules are imported only when the engine is asked for.
_REGISTRY: dict[str, str] = {
    "piper": "audio_pipeline.synthesis.engines.piper:PiperEngine",
    "coqui": "audio_pipeline.synthesis.engines.coqui:CoquiEngine",
    "hibari": "audio_pipeline.synthesis.engines.hibari:HibariEngine",
}

# Which phoneme alphabet each engine reads inline (see `phoneme_family`), known without
# importing the engine: the text front end asks before any engine is built.
_PHONEME_FAMILIES: dict[str, str] = {"piper": "espeak", "hibari": "misaki"}


def phoneme_family(engine_name: str) -> str | None:
    """The phoneme alphabet the engine takes inline ("espeak": Piper's `[[ … ]]`,
    "misaki": hibari's `[word](/…/)`), or None: it is given respellings only."""
    return _PHONEME_FAMILIES.get(engine_name)


class Engine(ABC):
    """What every engine does, and the abilities it declares (the defaults: an engine on
    the CPU that says one sentence per call)."""

    name: str
    sample_rate: int

    supports_batch: bool = False
    """Says several sentences in one call faster than one by one (a model on a GPU):
    callers hand it batches."""
    parallel: bool = True
    """Worker processes may each load their own copy: not so for a model on the one GPU."""

    @abstractmethod
    def fingerprint(self) -> str:
        """Stable identity of model file + synthesis parameters (the cache key's root)."""

    @abstractmethod
    def synthesize(self, text: str) -> np.ndarray:
        """One sentence of spoken-form text -> float32 mono samples at `sample_rate`."""

    def synthesize_batch(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One waveform per text, in order; an engine that batches says them together."""
        return [self.synthesize(t) for t in texts]


def engine_names() -> list[str]:
    return sorted(_REGISTRY)


def create_engine(name: str, params: dict[str, Any]) -> Engine:
    """Build the engine `name` from a voice profile's [engine] parameters."""
    target = _REGISTRY.get(name)
    if target is None:
        raise VoiceError(f"unknown engine {name!r}: use one of {', '.join(engine_names())}")
    module_name, class_name = target.split(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name).from_params(params)


# Model files past this size are identified by their size, head and tail: hashing a
# multi-gigabyte checkpoint on every render would cost seconds for no safety gained.
_FULL_HASH_LIMIT = 256 * 1024 * 1024
_END_HASH_BYTES = 16 * 1024 * 1024
_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """Stable identity of a model file (memoised per process by path, size and mtime)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with path.open("rb") as f:
            if st.st_size <= _FULL_HASH_LIMIT:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            else:
                h.update(f.read(_END_HASH_BYTES))
                f.seek(st.st_size - _END_HASH_BYTES)
                h.update(f.read(_END_HASH_BYTES))
        _DIGESTS[key] = f"{st.st_size}:{h.hexdigest()}"
    return _DIGESTS[key]


def quiet_onnxruntime(onnxruntime) -> None:
    """ONNX Runtime writes its own coloured error lines to stderr (a failed allocation under
    `ulimit -v`, a file it cannot open) before it raises: the exception is turned into the one
    line the user reads, so only fatal messages of its own are let through."""
    onnxruntime.set_default_logger_severity(4)


@contextlib.contextmanager
def silent_stderr():
    """The process's own stderr (fd 2) closed off while a native library loads a model: under
    `ulimit -v` ONNX Runtime may print its allocation failure from a logger that the severity
    setting does not reach, and the exception it raises becomes the one line the user reads."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
