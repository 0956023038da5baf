"""The `[engine]` table of a coqui voice profile, and the device it asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ...errors import VoiceError
from ...settings import ranged, table_values

_DEVICE_PATTERN: Final = re.compile(r"auto|cpu|cuda(:\d+)?")


@dataclass(frozen=True)
class CoquiSettings:
    """The `[engine]` table of a coqui voice profile."""

    model: str
    """A local model folder (or its checkpoint file), or a Coqui model name like
    `tts_models/multilingual/multi-dataset/xtts_v2`."""

    device: str = "auto"
    """`auto` (CUDA when PyTorch sees a GPU, else CPU), `cpu`, `cuda` or `cuda:N`."""

    speaker_wav: str = ""
    """Reference clip to clone the voice from (XTTS, YourTTS)."""

    language: str = ""
    """Language of the text, for multilingual models (XTTS: `en`)."""

    speaker: str = ""
    """Speaker name, for models with several built-in speakers."""

    config: str = ""
    """The model's config.json, where it does not sit beside the checkpoint."""

    batch_size: int = ranged(0, 0)
    """Sentences per forward pass for VITS-family models; 0 picks 16 on CUDA and 1 on CPU."""

    threads: int = ranged(0, 0)
    """CPU threads for PyTorch; 0 leaves PyTorch's default (one per core)."""


def parse_settings(params: dict[str, Any]) -> CoquiSettings:
    values = table_values(CoquiSettings, params, "the coqui engine", section="[engine]", error=VoiceError)
    if not values.get("model"):
        raise VoiceError(
            "a coqui voice needs [engine] model = a model folder (model.pth + config.json) or a Coqui "
            "model name like tts_models/multilingual/multi-dataset/xtts_v2"
        )
    device = values.get("device") or "auto"
    if not _DEVICE_PATTERN.fullmatch(device):
        raise VoiceError(f"the coqui engine: 'device' in [engine] must be auto, cpu, cuda or cuda:N, not {device!r}")
    values["device"] = device
    wav = values.get("speaker_wav")
    if wav and not Path(wav).is_file():
        raise VoiceError(
            f"reference clip {wav} not found: make it with `paperledge voices make-reference` "
            "or point [engine] speaker_wav at a WAV file"
        )
    return CoquiSettings(**values)


def resolve_device(requested: str, torch: Any) -> str:
    if requested == "cpu":
        return "cpu"
    available = torch.cuda.is_available()
    if requested.startswith("cuda"):
        if not available:
            raise VoiceError(
                f"[engine] device = {requested!r}, but PyTorch {torch.__version__} sees no CUDA GPU: use device = 'auto' or 'cpu'"
            )
        return requested
    return "cuda" if available else "cpu"
