"""The coqui engine: coqui-tts models, VITS family and XTTS v2, on CPU or a CUDA GPU.

A voice profile names the model in its `[engine]` table:

- a local model folder (`model.pth` + `config.json`, and for XTTS `vocab.json`, optionally
  `speakers_xtts.pth`), loaded with `TTS(model_path=..., config_path=...)`: the checkpoint
  file for VITS-family models, the folder itself for XTTS, which finds its files there;
- or a Coqui model name such as `tts_models/multilingual/multi-dataset/xtts_v2`, which
  Coqui downloads once into its own data folder.

torch and TTS are imported when the model is first needed, so a render whose sentences are
all in the cache never loads them, and the main install does not need them.

Batching: VITS-family models synthesise several sentences in one padded forward pass
(`Vits.inference` takes `x_lengths`; every layer masks the padding), 16 at a time on CUDA.
XTTS generates autoregressively one text at a time (coqui-tts has no batched XTTS
generation), so it goes sentence by sentence, with the reference clip's conditioning
latents computed once and reused.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import math
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final

import numpy as np

from ..errors import VoiceError
from .base import file_digest

INSTALL_HINT: Final = "the coqui engine needs the [coqui] extra: make setup-coqui (or pip install '.[coqui]')"

GPU_BATCH_SIZE: Final = 16
"""Sentences per forward pass for VITS-family models on CUDA."""

CPU_BATCH_SIZE: Final = 1
"""One sentence at a time on CPU, where a real model's convolutions already keep the cores
busy; a profile's batch_size turns batching on there too."""

MODEL_NAME_PREFIX: Final = "tts_models/"

_DEVICE_PATTERN: Final = re.compile(r"auto|cpu|cuda(:\d+)?")

# Files at most this big are hashed whole; bigger ones (an XTTS checkpoint is 1.8 GB) by
# size and both ends, which tells retrained weights apart without reading gigabytes.

# Files beside a checkpoint that change what it says: XTTS's vocabulary and built-in
# speakers, a multi-speaker or multilingual model's id tables.
_COMPANION_FILES: Final = ("vocab.json", "speakers*.pth", "speakers*.json", "speaker_ids.json", "language_ids.json")

# Config entries that hold paths of files a model folder carries with it.
_CONFIG_FILE_KEYS: Final = ("speakers_file", "d_vector_file", "language_ids_file", "speaker_encoder_config_path")


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

    batch_size: int = 0
    """Sentences per forward pass for VITS-family models; 0 picks 16 on CUDA and 1 on CPU."""

    threads: int = 0
    """CPU threads for PyTorch; 0 leaves PyTorch's default (one per core)."""


@dataclass(frozen=True)
class _ModelSource:
    """Where the model comes from: a local folder or a Coqui model name."""

    name: str = ""
    folder: Path | None = None
    checkpoint: Path | None = None  # what TTS(model_path=...) gets: the .pth file, or the folder for XTTS
    config_path: Path | None = None
    config: dict[str, Any] | None = None


class CoquiEngine:
    """One loaded (or loadable) Coqui model with the voice profile's synthesis settings."""

    name = "coqui"

    def __init__(self, settings: CoquiSettings) -> None:
        self.settings = settings
        self._source = _resolve_model(settings.model, settings.config)
        self._tts: Any = None
        self._device: str | None = None
        self._voice: tuple[Any, Any] | None = None  # XTTS conditioning latents of speaker_wav
        self._fingerprint: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CoquiEngine:
        for module in ("torch", "TTS"):
            if importlib.util.find_spec(module) is None:
                raise VoiceError(INSTALL_HINT)
        return cls(_parse_settings(params))

    # -- identity ---------------------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        if self._source.config is not None:
            return _config_sample_rate(self._source.config)
        return int(self._load().synthesizer.output_sample_rate)

    def fingerprint(self) -> str:
        """Model files, coqui-tts version, speaker, language and reference clip.

        The device and batch size are left out: they change the arithmetic, not the voice.
        """
        if self._fingerprint is None:
            source = self._source
            if source.folder is not None:
                model = {path.name: file_digest(path) for path in _model_files(source)}
            else:
                model = {"name": source.name}
            identity = {
                "engine": self.name,
                "coqui_tts": importlib.metadata.version("coqui-tts"),
                "model": model,
                "speaker": self.settings.speaker,
                "language": self.settings.language,
                "speaker_wav": file_digest(Path(self.settings.speaker_wav)) if self.settings.speaker_wav else "",
            }
            digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
            self._fingerprint = f"coqui-{digest[:20]}"
        return self._fingerprint

    # -- synthesis --------------------------------------------------------------------------

    @property
    def device(self) -> str:
        """The device the model runs on (loads the model)."""
        self._load()
        assert self._device is not None
        return self._device

    @property
    def parallel(self) -> bool:
        """Whether worker processes may each load this model: not onto one GPU."""
        if self.settings.device == "cpu":
            return True
        import torch

        return _resolve_device(self.settings.device, torch) == "cpu"

    def synthesize(self, text: str) -> np.ndarray:
        return self.synthesize_batch([text])[0]

    def synthesize_batch(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One float32 mono waveform per text, in order, at `sample_rate`."""
        results: list[np.ndarray] = [np.zeros(0, dtype=np.float32) for _ in texts]
        spoken = [(i, t.strip()) for i, t in enumerate(texts) if t.strip()]
        if not spoken:
            return results
        tts = self._load()
        model = tts.synthesizer.tts_model
        batch_size = self._batch_size()
        if _is_xtts(model):
            waves = [self._xtts(t) for _, t in spoken]
        elif _is_vits(model) and batch_size > 1 and len(spoken) > 1:
            waves = self._vits_batches([t for _, t in spoken], batch_size)
        else:
            waves = [self._coqui_tts(t) for _, t in spoken]
        for (i, _), wave in zip(spoken, waves, strict=True):
            results[i] = np.ascontiguousarray(wave, dtype=np.float32).reshape(-1)
        return results

    def _batch_size(self) -> int:
        if self.settings.batch_size > 0:
            return self.settings.batch_size
        return GPU_BATCH_SIZE if self.device.startswith("cuda") else CPU_BATCH_SIZE

    def _coqui_tts(self, text: str) -> np.ndarray:
        """Coqui's own single-text path (`TTS.tts`), for every model family."""
        from TTS.utils.synthesizer import PAD_SILENCE_SAMPLES

        tts = self._tts
        kwargs: dict[str, Any] = {}
        if tts.is_multi_lingual:
            kwargs["language"] = self.settings.language
        if self.settings.speaker:
            kwargs["speaker"] = self.settings.speaker
        if self.settings.speaker_wav:
            kwargs["speaker_wav"] = self.settings.speaker_wav
        wav = np.asarray(tts.tts(text, split_sentences=False, **kwargs), dtype=np.float32)
        # The synthesizer pads every text with silence for its own concatenation; the
        # pipeline places its own pauses.
        return wav[: max(0, len(wav) - PAD_SILENCE_SAMPLES)]

    def _vits_batches(self, texts: list[str], batch_size: int) -> list[np.ndarray]:
        """Padded batches through `Vits.inference`, texts of similar length grouped together.

        Each sentence comes out as Coqui's one-text path says it, sample for sample, except
        its last few hundred samples, where the decoder's convolutions reach into the padding.
        """
        import torch

        model = self._tts.synthesizer.tts_model
        config = self._tts.synthesizer.tts_config
        language = self.settings.language or None
        if language is None and model.language_manager.num_languages == 1:
            language = model.language_manager.language_names[0]
        ids = [model.tokenizer.text_to_ids(t, language=language) for t in texts]
        speaker_id, d_vector = model._get_speaker_id_or_dvector(
            self.settings.speaker or None, self.settings.speaker_wav or None, None
        )
        language_id = model._get_language_id(language)
        hop = math.prod(model.args.upsample_rates_decoder)
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        waves: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(texts)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            n = len(chunk)
            lengths = torch.tensor([len(ids[i]) for i in chunk], dtype=torch.long, device=model.device)
            x = torch.zeros(n, int(lengths.max()), dtype=torch.long, device=model.device)
            for row, i in enumerate(chunk):
                x[row, : len(ids[i])] = torch.as_tensor(ids[i], dtype=torch.long)
            aux = {
                "x_lengths": lengths,
                "speaker_ids": None if speaker_id is None else speaker_id.reshape(1).expand(n),
                "d_vectors": None if d_vector is None else d_vector.reshape(1, -1).expand(n, -1),
                "language_ids": None if language_id is None else torch.full((n,), language_id, device=model.device),
            }
            outputs = model.inference(x, aux_input=aux)
            audio = outputs["model_outputs"][:, 0, :].float().cpu().numpy()
            frames = outputs["y_mask"].sum(dim=(1, 2)).long().cpu().tolist()
            if model.max_inference_len is not None:
                frames = [min(f, model.max_inference_len) for f in frames]
            for row, i in enumerate(chunk):
                wave = audio[row, : frames[row] * hop]
                if config.audio.get("do_trim_silence"):  # as Coqui's synthesizer does
                    wave = wave[: model.ap.find_endpoint(wave)]
                waves[i] = wave
        return waves

    def _xtts(self, text: str) -> np.ndarray:
        """XTTS generation with the voice's conditioning computed once."""
        model = self._tts.synthesizer.tts_model
        config = model.config
        if self._voice is None:
            builtin = model.speaker_manager.speakers if model.speaker_manager is not None else {}
            if self.settings.speaker and self.settings.speaker in builtin:
                latents, embedding = builtin[self.settings.speaker].values()
            else:
                latents, embedding = _xtts_conditioning(model, Path(self.settings.speaker_wav))
            self._voice = (latents, embedding)
        latents, embedding = self._voice
        out = model.inference(
            text,
            self.settings.language,
            latents,
            embedding,
            temperature=config.temperature,
            length_penalty=config.length_penalty,
            repetition_penalty=config.repetition_penalty,
            top_k=config.top_k,
            top_p=config.top_p,
        )
        return np.asarray(out["wav"], dtype=np.float32)

    # -- loading ----------------------------------------------------------------------------

    def _load(self) -> Any:
        if self._tts is not None:
            return self._tts
        try:
            import torch
            from TTS.api import TTS
        except ImportError as error:
            raise VoiceError(f"{INSTALL_HINT} ({error})") from error

        device = _resolve_device(self.settings.device, torch)
        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        source = self._source
        try:
            if source.folder is not None:
                with _local_config(source) as config_path:
                    tts = TTS(model_path=str(source.checkpoint), config_path=str(config_path), progress_bar=False)
            else:
                tts = TTS(source.name, progress_bar=False)
        except EOFError as error:
            raise VoiceError(
                f"Coqui asks to accept the licence of {source.name} before downloading it: run once in a "
                "terminal to answer, or set COQUI_TOS_AGREED=1 if you accept it"
            ) from error
        except VoiceError:
            raise
        except Exception as error:  # Coqui raises many kinds; the user needs to know which model failed
            where = source.folder if source.folder is not None else source.name
            hint = "" if source.folder is not None else " (offline? point [engine] model at a folder with its files)"
            raise VoiceError(f"cannot load the Coqui model {where}{hint}: {type(error).__name__}: {error}") from error
        tts.to(device)
        self._check_voice_settings(tts)
        self._tts, self._device = tts, device
        return tts

    def _check_voice_settings(self, tts: Any) -> None:
        """Turn Coqui's assertions about speakers and languages into settings to fix."""
        settings = self.settings
        model = tts.synthesizer.tts_model
        if _is_xtts(model):
            languages = list(model.config.languages)
            if settings.language not in languages:
                raise VoiceError(f"XTTS needs [engine] language = one of {', '.join(languages)}")
            builtin = model.speaker_manager.speakers if model.speaker_manager is not None else {}
            if not settings.speaker_wav and settings.speaker not in builtin:
                raise VoiceError(
                    "XTTS clones a voice: set [engine] speaker_wav = a reference clip "
                    "(or speaker = a speaker of the model's speakers_xtts.pth)"
                )
            return
        if tts.is_multi_lingual and not settings.language:
            raise VoiceError(f"this model is multilingual: set [engine] language = one of {_some(tts.languages)}")
        if not tts.is_multi_lingual and settings.language:
            raise VoiceError("this model speaks one language: remove [engine] language")
        speakers = tts.speakers if tts.is_multi_speaker else None
        if speakers and not (settings.speaker or settings.speaker_wav):
            raise VoiceError(f"this model has several speakers: set [engine] speaker = one of {_some(speakers)}")
        if settings.speaker and not speakers:
            raise VoiceError("this model has a single speaker: remove [engine] speaker")
        if settings.speaker and speakers and settings.speaker not in speakers:
            raise VoiceError(f"speaker {settings.speaker!r} is not in this model: use one of {_some(speakers)}")


def _parse_settings(params: dict[str, Any]) -> CoquiSettings:
    known = {f.name: f for f in fields(CoquiSettings)}
    values: dict[str, Any] = {}
    for key, value in params.items():
        if key not in known:
            raise VoiceError(f"unknown [engine] setting {key!r} for coqui: use {', '.join(known)}")
        if value is None:
            continue
        if key in ("batch_size", "threads"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise VoiceError(f"[engine] {key} must be a whole number >= 0, not {value!r}")
        elif not isinstance(value, (str, Path)):
            raise VoiceError(f"[engine] {key} must be a string, not {value!r}")
        else:
            value = str(value)
        values[key] = value
    if not values.get("model"):
        raise VoiceError(
            "a coqui voice needs [engine] model = a model folder (model.pth + config.json) or a Coqui "
            "model name like tts_models/multilingual/multi-dataset/xtts_v2"
        )
    device = values.get("device") or "auto"
    if not _DEVICE_PATTERN.fullmatch(device):
        raise VoiceError(f"[engine] device must be auto, cpu or cuda, not {device!r}")
    values["device"] = device
    wav = values.get("speaker_wav")
    if wav and not Path(wav).is_file():
        raise VoiceError(
            f"reference clip {wav} not found: make it with `paperledge voices make-reference` "
            "or point [engine] speaker_wav at a WAV file"
        )
    return CoquiSettings(**values)


def _resolve_model(model: str, config: str = "") -> _ModelSource:
    path = Path(model).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix in {".pth", ".pt"}):
        folder = path if path.is_dir() else path.parent
        config_path = Path(config).expanduser() if config else folder / "config.json"
        if not config_path.is_file():
            raise VoiceError(f"model config {config_path} not found: set [engine] config = the model's config.json")
        settings = _read_config(config_path)
        # XTTS loads its files from the folder; the VITS family wants the checkpoint file.
        if path.is_dir() and "xtts" not in str(settings.get("model", "")).lower():
            path = _checkpoint_in(path)
        return _ModelSource(folder=folder, checkpoint=path, config_path=config_path, config=settings)
    # A model name; a profile loader may have joined it to the profile's folder.
    text = model.replace("\\", "/")
    if MODEL_NAME_PREFIX in text:
        return _ModelSource(name=text[text.index(MODEL_NAME_PREFIX) :])
    raise VoiceError(
        f"coqui model {model!r} is neither a folder with model.pth + config.json nor a Coqui model "
        "name like tts_models/multilingual/multi-dataset/xtts_v2"
    )


def _checkpoint_in(folder: Path) -> Path:
    checkpoint = folder / "model.pth"
    if checkpoint.is_file():
        return checkpoint
    candidates = sorted(p for p in folder.glob("*.pth") if not p.name.startswith("speakers"))
    if len(candidates) != 1:
        raise VoiceError(f"model folder {folder} has no model.pth")
    return candidates[0]


def _model_files(source: _ModelSource) -> list[Path]:
    """The files of a local model that decide how it sounds.

    Not every file in the folder: a training folder also holds older checkpoints and logs.
    """
    assert source.folder is not None and source.checkpoint is not None and source.config_path is not None
    checkpoint = source.checkpoint if source.checkpoint.is_file() else source.folder / "model.pth"
    files = {checkpoint, source.config_path}
    for pattern in _COMPANION_FILES:
        files.update(p for p in source.folder.glob(pattern) if p.is_file())
    return sorted(f for f in files if f.is_file())


def _read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VoiceError(f"cannot read the model config {path}: {error}") from error
    if not isinstance(config, dict) or "audio" not in config:
        raise VoiceError(f"{path} is not a Coqui model config (it has no 'audio' section)")
    return config


def _config_sample_rate(config: dict[str, Any]) -> int:
    audio = config["audio"]
    return int(audio.get("output_sample_rate") or audio["sample_rate"])


@contextmanager
def _local_config(source: _ModelSource) -> Iterator[Path]:
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


def _resolve_device(requested: str, torch: Any) -> str:
    if requested == "cpu":
        return "cpu"
    available = torch.cuda.is_available()
    if requested.startswith("cuda"):
        if not available:
            raise VoiceError(
                f"[engine] device = {requested!r}, but PyTorch {torch.__version__} sees no CUDA GPU: "
                "use device = 'auto' or 'cpu'"
            )
        return requested
    return "cuda" if available else "cpu"


def _xtts_conditioning(model: Any, wav_path: Path) -> tuple[Any, Any]:
    """GPT conditioning latents and speaker embedding of one reference clip.

    The same computation as `Xtts.get_conditioning_latents`, but the clip is read with
    soundfile: torchaudio >= 2.9 reads files through torchcodec, which needs FFmpeg's shared
    libraries, and a machine with only a static ffmpeg binary has none.
    """
    import soundfile
    import torch
    import torchaudio

    config = model.config
    rate = 22050  # XTTS conditions on 22.05 kHz audio
    try:
        data, source_rate = soundfile.read(str(wav_path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as error:
        raise VoiceError(f"cannot read the reference clip {wav_path}: {error}") from error
    audio = torch.from_numpy(data.mean(axis=1)).unsqueeze(0)
    if source_rate != rate:
        audio = torchaudio.functional.resample(audio, source_rate, rate)
    audio = audio.clamp(-1.0, 1.0)[:, : rate * config.max_ref_len].to(model.device)
    if config.sound_norm_refs:
        audio = audio / audio.abs().max() * 0.75
    with torch.inference_mode():
        embedding = model.get_speaker_embedding(audio, rate)
        latents = model.get_gpt_cond_latents(
            audio, rate, length=config.gpt_cond_len, chunk_length=config.gpt_cond_chunk_len
        )
    return latents, embedding


def _is_vits(model: Any) -> bool:
    from TTS.tts.models.vits import Vits

    return isinstance(model, Vits)


def _is_xtts(model: Any) -> bool:
    return type(model).__name__ == "Xtts"


def _some(names: Sequence[str] | None, limit: int = 8) -> str:
    names = list(names or [])
    shown = ", ".join(names[:limit])
    return shown + (f" … ({len(names)} in all)" if len(names) > limit else "")
