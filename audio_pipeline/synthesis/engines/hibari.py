"""hibari (hibari-tts: Kokoro-82M distilled to 7.9 MB, ONNX) engine, with the "heart" voice
bundled inside the package.

The model file is always handed to hibari by path: its own voice registry would download
a voice that is not in the package on first use, and nothing is fetched at run time here.
The G2P reads misaki phonemes inline as `[word](/phonemes/)`; the lexicon gives them
(`phoneme_family`). Its noise component is seeded, so a sentence says the same every
time and a cache entry is what a fresh render would make.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import VoiceError
from ...settings import Range, read_table
from ..limits import resource_problem
from .base import Engine, TakeVariations, file_digest, quiet_onnxruntime, silent_stderr

if TYPE_CHECKING:
    from hibari import Hibari

BUNDLED = "bundled:hibari-tts"
INSTALL_HINT = "the hibari engine is not installed: pip install hibari-tts"
SAMPLE_RATE = 24_000  # hibari.SAMPLE_RATE; known here so fingerprint() needs no import


@dataclass(frozen=True)
class HibariParams:
    model: str = BUNDLED
    """`bundled:hibari-tts` (the heart voice inside the package), or a path to a
    hibari-compatible .onnx voice."""
    british: bool = False
    """British spelling-to-sound rules (for a British voice such as emma or fable)."""
    speed: float = 1.0
    """Speaking pace: above 1 is faster (the teacher's own pace is 1)."""
    seed: int = 0
    """Seed of the voice's noise component: the same seed says a sentence the same way."""
    volume: float = 1.0
    """Gain on the raw output (mastering sets the final level)."""
    threads: int = 0
    """ONNX Runtime threads; 0 lets it choose. Parallel renders give each worker one."""


_RANGES = {
    "speed": Range(0.5, 2.0, hint="1 is the voice's own pace"),
    "seed": Range(0, 2**32 - 1, hint="any whole number; another seed is another take"),
    "volume": Range(0.1, 4.0, hint="1 is the voice's own level; mastering sets the episode's loudness"),
    "threads": Range(0, 256, hint="0 lets ONNX Runtime choose"),
}


class HibariEngine(Engine):
    name = "hibari"
    display_name = "hibari"
    sample_rate = SAMPLE_RATE
    phoneme_family = "misaki"  # misaki phonemes, inline as [word](/…/)

    def __init__(self, params: HibariParams):
        self.params = params
        self.model_path = _resolve_model(params.model)
        self._tts: Hibari | None = None
        self._fingerprint: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "HibariEngine":
        # `device` is given to every engine by --device; hibari runs on the CPU whatever it says.
        table = {k: v for k, v in params.items() if k != "device"}
        settings = read_table(HibariParams, table, "the hibari engine", section="[engine]", error=VoiceError, ranges=_RANGES)
        if importlib.util.find_spec("hibari") is None:  # a mistake in the profile is named first
            raise VoiceError(INSTALL_HINT)
        return cls(settings)

    @classmethod
    def take_params(cls, params: Mapping[str, Any], take: int, variations: TakeVariations) -> dict[str, Any] | None:
        """Another seed: its noise is seeded, so another seed is another reading."""
        return {**params, "seed": int(params.get("seed", 0)) + 1 + (take - 1) % len(variations)}

    def _load(self) -> Hibari:
        try:
            from hibari import Hibari
        except ImportError as e:  # pragma: no cover - hibari-tts is a base dependency
            raise VoiceError(f"{INSTALL_HINT} ({e})") from None
        # The voice name only picks the G2P variant; the model path given means hibari's
        # registry never looks for (or downloads) a file of its own.
        voice = "emma" if self.params.british else "heart"
        import onnxruntime

        quiet_onnxruntime(onnxruntime)
        try:
            with silent_stderr():
                self._tts = Hibari(voice=voice, model=str(self.model_path), threads=self.params.threads)
        except Exception as e:  # onnxruntime raises its own types for a file that is not a model
            problem = resource_problem(e, "load the voice")  # a limit, not the model, is to blame
            raise VoiceError(
                problem
                or f"hibari model {self.model_path} cannot be loaded ({(str(e).splitlines() or [type(e).__name__])[0][:200]})"
            ) from None
        return self._tts

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            h = hashlib.sha256()
            h.update(file_digest(self.model_path).encode())
            p = self.params
            # threads changes speed, never the samples: left out of the key.
            h.update(repr((_package_version(), p.british, p.speed, p.seed, p.volume)).encode())
            self._fingerprint = "hibari-" + h.hexdigest()[:32]
        return self._fingerprint

    def synthesize(self, text: str) -> np.ndarray:
        tts = self._tts if self._tts is not None else self._load()
        audio = tts(text, speed=self.params.speed, seed=self.params.seed)
        if self.params.volume != 1.0:
            audio = audio * np.float32(self.params.volume)
        return np.asarray(audio, dtype=np.float32)


def _package_version() -> str:
    """hibari's G2P (its lexicons and rules) decides the sounds as much as the model does."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hibari-tts")
    except PackageNotFoundError:
        return "missing"


def _resolve_model(model: str) -> Path:
    if model == BUNDLED:
        spec = importlib.util.find_spec("hibari")
        if spec is None or not spec.origin:
            raise VoiceError(INSTALL_HINT)
        path = Path(spec.origin).parent / "assets" / "hibari.onnx"
        if not path.is_file():
            raise VoiceError(f"the bundled hibari voice {path} is missing: pip install --force-reinstall hibari-tts")
        return path
    path = Path(model).expanduser()
    if not path.is_file():
        raise VoiceError(f"hibari model {path} not found; give a path to a hibari .onnx voice or {BUNDLED!r}")
    return path
