"""Where a Coqui model comes from, and which of its files decide how it sounds.

A voice profile's `model` is a local folder (`model.pth` + `config.json`, and for XTTS
`vocab.json`, optionally `speakers_xtts.pth`) or a Coqui model name such as
`tts_models/multilingual/multi-dataset/xtts_v2`. Nothing here imports torch or TTS.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ...errors import VoiceError

MODEL_NAME_PREFIX: Final = "tts_models/"

# Files beside a checkpoint that change what it says: XTTS's vocabulary and built-in
# speakers, a multi-speaker or multilingual model's id tables.
_COMPANION_FILES: Final = ("vocab.json", "speakers*.pth", "speakers*.json", "speaker_ids.json", "language_ids.json")

# Config entries that hold paths of files a model folder carries with it.
_CONFIG_FILE_KEYS: Final = ("speakers_file", "d_vector_file", "language_ids_file", "speaker_encoder_config_path")


@dataclass(frozen=True)
class ModelSource:
    """Where the model comes from: a local folder or a Coqui model name."""

    name: str = ""
    folder: Path | None = None
    checkpoint: Path | None = None  # what TTS(model_path=...) gets: the .pth file, or the folder for XTTS
    config_path: Path | None = None
    config: dict[str, Any] | None = None


def resolve_model(model: str, config: str = "") -> ModelSource:
    path = Path(model).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix in {".pth", ".pt"}):
        folder = path if path.is_dir() else path.parent
        config_path = Path(config).expanduser() if config else folder / "config.json"
        if not config_path.is_file():
            raise VoiceError(f"model config {config_path} not found: set [engine] config = the model's config.json")
        settings = read_config(config_path)
        # XTTS loads its files from the folder; the VITS family wants the checkpoint file.
        if path.is_dir() and "xtts" not in str(settings.get("model", "")).lower():
            path = checkpoint_in(path)
        return ModelSource(folder=folder, checkpoint=path, config_path=config_path, config=settings)
    # A model name; a profile loader may have joined it to the profile's folder.
    text = model.replace("\\", "/")
    if MODEL_NAME_PREFIX in text:
        return ModelSource(name=text[text.index(MODEL_NAME_PREFIX) :])
    raise VoiceError(
        f"coqui model {model!r} is neither a folder with model.pth + config.json nor a Coqui model "
        "name like tts_models/multilingual/multi-dataset/xtts_v2"
    )


def checkpoint_in(folder: Path) -> Path:
    checkpoint = folder / "model.pth"
    if checkpoint.is_file():
        return checkpoint
    candidates = sorted(p for p in folder.glob("*.pth") if not p.name.startswith("speakers"))
    if len(candidates) != 1:
        raise VoiceError(f"model folder {folder} has no model.pth")
    return candidates[0]


def model_files(source: ModelSource) -> list[Path]:
    """The files of a local model that decide how it sounds.

    Not every file in the folder: a training folder also holds older checkpoints and logs.
    """
    assert source.folder is not None and source.checkpoint is not None and source.config_path is not None
    checkpoint = source.checkpoint if source.checkpoint.is_file() else source.folder / "model.pth"
    files = {checkpoint, source.config_path}
    for pattern in _COMPANION_FILES:
        files.update(p for p in source.folder.glob(pattern) if p.is_file())
    return sorted(f for f in files if f.is_file())


def read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VoiceError(f"cannot read the model config {path}: {error}") from error
    if not isinstance(config, dict) or "audio" not in config:
        raise VoiceError(f"{path} is not a Coqui model config (it has no 'audio' section)")
    return config


def config_sample_rate(config: dict[str, Any]) -> int:
    audio = config["audio"]
    return int(audio.get("output_sample_rate") or audio["sample_rate"])


@contextmanager
def local_config(source: ModelSource) -> Iterator[Path]:
    """The config to load, with the files the folder carries pointed into the folder.

    A config written by training or by Coqui's downloader names its speaker and language
    files by absolute paths; once the folder is copied elsewhere those paths are stale.
    """
    assert source.folder is not None and source.config_path is not None and source.config is not None
    folder = source.folder
    patched = json.loads(json.dumps(source.config))
    changed = False
    for table in (patched, patched.get("model_args") or {}):
        for key in _CONFIG_FILE_KEYS:
            value = table.get(key)
            if isinstance(value, str) and value and not Path(value).exists():
                local = folder / Path(value).name
                if local.exists():
                    table[key] = str(local)
                    changed = True
    if not changed:
        yield source.config_path
        return
    with tempfile.TemporaryDirectory(prefix="coqui-config-") as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(patched), encoding="utf-8")
        yield path
