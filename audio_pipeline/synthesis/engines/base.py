"""What an engine is, and how engines are found by name.

An engine turns one spoken-form sentence into a float32 mono waveform at its own native
rate. Its class says what it is (the facts below), so the text front end, the cluster and
the feed ask the class without building an engine or loading a model; heavy libraries
(onnxruntime, torch) are imported inside the engine's methods, so asking costs an import
of a small module.

A new engine is one module with an `Engine` subclass that sets every fact, one line in
`_REGISTRY` (or a `register_engine` call), and a voice profile whose [engine] table names it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from ...errors import VoiceError

if TYPE_CHECKING:  # only annotations: the registry imports no numpy
    import numpy as np

# name -> "module:Class"; modules are imported only when the engine is asked for.
_REGISTRY: dict[str, str] = {
    "piper": "audio_pipeline.synthesis.engines.piper:PiperEngine",
    "coqui": "audio_pipeline.synthesis.engines.coqui:CoquiEngine",
    "hibari": "audio_pipeline.synthesis.engines.hibari:HibariEngine",
}

DEFAULT_ENGINE: Final = "piper"
"""The engine of a voice profile whose [engine] table names none."""

CPU_ONLY: Final = frozenset({"cpu"})
CPU_OR_GPU: Final = frozenset({"cpu", "cuda"})

TakeVariations = Sequence[Sequence[tuple[str, float]]]
"""Settings of take 1, 2, 3... (cycled), as `CheckConfig.take_variations` gives them."""


class Engine(ABC):
    """What every engine is (its class's facts) and does (an instance says one voice
    profile's sentences). The defaults: an engine on the CPU that says one sentence per
    call and reads respellings only."""

    name: ClassVar[str]
    """The name a voice profile's [engine] table gives it: its key in the registry."""
    display_name: ClassVar[str]
    """How a feed's disclosure names it ("Piper", "Coqui TTS")."""
    phoneme_family: ClassVar[str | None] = None
    """The phoneme alphabet it reads inline, so a lexicon's phonemes of that family reach it
    in place of the respelling: "espeak" (Piper's `[[ … ]]`), "misaki" (hibari's
    `[word](/…/)`); None: it is given respellings only."""
    runs_on: ClassVar[frozenset[str]] = CPU_ONLY
    """The devices it may use: `CPU_ONLY` (whatever --device says), or `CPU_OR_GPU` for an
    engine whose profile's `device` may put it on CUDA (a cluster gives its actors a GPU)."""
    supports_batch: ClassVar[bool] = False
    """Says several sentences in one call faster than one by one (a model on a GPU):
    callers hand it batches."""

    @property
    @abstractmethod
    def sample_rate(self) -> int:
        """Samples per second of what `synthesize` returns. A class that knows it sets it as
        a class attribute (hibari; Piper its bundled voice's, which another voice's config
        changes per instance); one whose model decides says it per instance (Coqui)."""

    @property
    def parallel(self) -> bool:
        """Worker processes may each load their own copy: not so for a model on the one GPU.
        An engine that never uses a GPU always may; one that may use it says per instance."""
        return "cuda" not in self.runs_on

    @classmethod
    @abstractmethod
    def from_params(cls, params: dict[str, Any]) -> Engine:
        """The engine of a voice profile's [engine] settings (all but `name`; `device` from
        --device), each checked: a mistake is one VoiceError naming the setting. Cheap: the
        model loads on first use."""

    @classmethod
    def take_params(cls, params: Mapping[str, Any], take: int, variations: TakeVariations) -> dict[str, Any] | None:
        """The [engine] settings of take `take` (1, 2, ...) of a sentence: the same text said
        another way, with `variations` cycled where the engine reads them. None: no setting
        gives another reading, and a take is made with the profile's own (an engine that
        samples afresh, as Coqui does, still says it anew)."""
        return None

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


def register_engine(name: str, target: str) -> None:
    """Make engine `name` known without editing this module: `target` is "module:Class",
    imported when the engine is first asked for (the built-in engines are in `_REGISTRY`)."""
    module_name, _, class_name = target.partition(":")
    if not name or not module_name or not class_name:
        raise ValueError(f'register_engine({name!r}, {target!r}): give a name and "module:Class"')
    _REGISTRY[name] = target


def engine_class(name: str) -> type[Engine]:
    """The class of engine `name`, its module imported (which imports no model library)."""
    target = _REGISTRY.get(name)
    if target is None:
        raise VoiceError(f"unknown engine {name!r}: use one of {', '.join(engine_names())}")
    module_name, _, class_name = target.partition(":")
    found = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(found, type) and issubclass(found, Engine)):
        raise TypeError(f"engine {name!r}: {target} is not an Engine class")
    return found


def create_engine(name: str, params: dict[str, Any]) -> Engine:
    """Build the engine `name` from a voice profile's [engine] parameters."""
    return engine_class(name).from_params(params)


def phoneme_family(engine_name: str) -> str | None:
    """The phoneme alphabet the engine takes inline ("espeak": Piper's `[[ … ]]`,
    "misaki": hibari's `[word](/…/)`), or None: it is given respellings only."""
    return engine_class(engine_name).phoneme_family


def display_name(engine_name: str) -> str:
    """How a feed names the engine ("Piper", "Coqui TTS")."""
    return engine_class(engine_name).display_name


def may_use_gpu(engine_name: str) -> bool:
    """Whether the engine may run on a GPU at all (Piper and hibari never do, whatever
    --device says): only such an engine's workers claim one."""
    return "cuda" in engine_class(engine_name).runs_on


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
