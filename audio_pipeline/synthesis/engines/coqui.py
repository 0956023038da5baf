"""The coqui engine: coqui-tts models, VITS family and XTTS v2, on CPU or a CUDA GPU.

A voice profile names the model in its `[engine]` table:

- a local model folder (`model.pth` + `config.json`, and for XTTS `vocab.json`, optionally
  `speakers_xtts.pth`), loaded with `TTS(model_path=..., config_path=...)`: the checkpoint
  file for VITS-family models, the folder itself for XTTS, which finds its files there;
- or a Coqui model name such as `tts_models/multilingual/multi-dataset/xtts_v2`, which
  Coqui downloads once into its own data folder (see coqui_model.py; the other settings
are in coqui_settings.py).

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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from ...errors import VoiceError
from .base import CPU_OR_GPU, Engine, file_digest
from .coqui_model import config_sample_rate, local_config, model_files, resolve_model
from .coqui_settings import CoquiSettings, parse_settings, resolve_device

INSTALL_HINT: Final = "the coqui engine needs the [coqui] extra: make setup-coqui (or pip install '.[coqui]')"

GPU_BATCH_SIZE: Final = 16
"""Sentences per forward pass for VITS-family models on CUDA."""

CPU_BATCH_SIZE: Final = 1
"""One sentence at a time on CPU, where a real model's convolutions already keep the cores
busy; a profile's batch_size turns batching on there too."""


class CoquiEngine(Engine):
    """One loaded (or loadable) Coqui model with the voice profile's synthesis settings."""

    name = "coqui"
    display_name = "Coqui TTS"
    runs_on = CPU_OR_GPU  # the profile's `device`, or --device
    supports_batch = True  # VITS in padded batches; XTTS one by one, its voice computed once
    # phoneme_family None: its own front end reads the text. take_params None: a take is the
    # profile's own settings, sampled anew.

    def __init__(self, settings: CoquiSettings) -> None:
        self.settings = settings
        self._source = resolve_model(settings.model, settings.config)
        self._tts: Any = None
        self._device: str | None = None
        self._voice: tuple[Any, Any] | None = None  # XTTS conditioning latents of speaker_wav
        self._fingerprint: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CoquiEngine:
        settings = parse_settings(params)  # a mistake in the profile is worth knowing before installing
        for module in ("torch", "TTS"):
            if importlib.util.find_spec(module) is None:
                raise VoiceError(INSTALL_HINT)
        return cls(settings)

    # -- identity ---------------------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        if self._source.config is not None:
            return config_sample_rate(self._source.config)
        return int(self._load().synthesizer.output_sample_rate)

    def fingerprint(self) -> str:
        """Model files, coqui-tts version, speaker, language and reference clip.

        The device and batch size are left out: they change the arithmetic, not the voice.
        """
        if self._fingerprint is None:
            source = self._source
            if source.folder is not None:
                model = {path.name: file_digest(path) for path in model_files(source)}
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

        return resolve_device(self.settings.device, torch) == "cpu"

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

        device = resolve_device(self.settings.device, torch)
        if self.settings.threads:
            torch.set_num_threads(self.settings.threads)
        source = self._source
        try:
            if source.folder is not None:
                with local_config(source) as config_path:
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
        latents = model.get_gpt_cond_latents(audio, rate, length=config.gpt_cond_len, chunk_length=config.gpt_cond_chunk_len)
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
