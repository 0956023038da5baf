"""Tiny, randomly initialised Coqui models written to disk like real ones.

They sound like noise, but they are built from Coqui's own config and model classes and
saved in the layout of a real model folder, so the coqui engine loads them through exactly
the code path a user's model takes. Tests and the GPU check use them where no model hub
can be reached.

- `build_tiny_vits(folder)`: a VITS (stochastic duration predictor, flow, HiFi-GAN decoder)
  32 channels wide, 1.4 M parameters; `model.pth` + `config.json`, about 6 MB, built in
  about a second on a CPU.
- `build_tiny_xtts(folder)`: an XTTS v2 with a one-layer GPT and a BPE vocabulary of single
  characters; `model.pth` + `config.json` + `vocab.json`. XTTS fixes the size of its HiFi-GAN
  decoder and speaker encoder (22 M parameters), so the checkpoint is about 90 MB; it builds
  in a second or two and speaks at most `max_audio_tokens` GPT codes per sentence.

Both need the [coqui] extra; torch and TTS are imported only when a builder is called.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Final

VITS_SAMPLE_RATE: Final = 22050
"""The rate of the tiny VITS; different from 44.1 kHz, so the resampling path is exercised."""

XTTS_LANGUAGE: Final = "en"

_XTTS_SPECIAL_TOKENS: Final = ("[STOP]", "[UNK]", "[SPACE]", "[START]", f"[{XTTS_LANGUAGE}]")
_XTTS_CHARACTERS: Final = string.ascii_lowercase + string.digits + ".,!?'\"-:;()"


def build_tiny_vits(folder: str | Path, *, deterministic: bool = False, seed: int = 0) -> Path:
    """Write a tiny VITS model folder (model.pth + config.json) and return the folder.

    `deterministic=True` zeroes the inference noise scales, so the same text always gives
    the same samples (used to compare batched and one-by-one synthesis).
    """
    import torch
    from TTS.config.shared_configs import BaseAudioConfig
    from TTS.tts.configs.vits_config import VitsArgs, VitsConfig
    from TTS.tts.models.vits import Vits

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    noise = {"inference_noise_scale": 0.0, "inference_noise_scale_dp": 0.0} if deterministic else {}
    args = VitsArgs(
        hidden_channels=32,
        hidden_channels_ffn_text_encoder=64,
        num_heads_text_encoder=2,
        num_layers_text_encoder=1,
        num_layers_posterior_encoder=1,
        num_layers_flow=1,
        kernel_size_flow=3,
        resblock_kernel_sizes_decoder=[3],
        resblock_dilation_sizes_decoder=[[1, 3, 5]],
        # 8 * 8 * 4 = 256 = hop_length: one decoder frame per spectrogram frame.
        upsample_rates_decoder=[8, 8, 4],
        upsample_kernel_sizes_decoder=[16, 16, 8],
        upsample_initial_channel_decoder=32,
        spec_segment_size=8,
        init_discriminator=False,  # only used in training
        **noise,
    )
    audio = BaseAudioConfig(sample_rate=VITS_SAMPLE_RATE, hop_length=256, win_length=1024, fft_size=1024, do_trim_silence=False)
    # Graphemes with the basic cleaner: no espeak, and no number expansion (the text front
    # end has already written numbers out).
    config = VitsConfig(model_args=args, audio=audio, use_phonemes=False, phoneme_language="en", text_cleaner="basic_cleaners")
    torch.manual_seed(seed)
    model = Vits(config)
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder


def build_tiny_xtts(folder: str | Path, *, max_audio_tokens: int = 40, seed: int = 0) -> Path:
    """Write a tiny XTTS v2 model folder (model.pth + config.json + vocab.json).

    Random GPT weights rarely emit the stop token, so each sentence runs to
    `max_audio_tokens` codes (1024 samples at 22.05 kHz each before the decoder's 24 kHz).
    """
    import torch
    from tokenizers import Tokenizer
    from tokenizers.models import BPE
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts, XttsArgs, XttsAudioConfig

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab_path = folder / "vocab.json"
    tokens = [*_XTTS_SPECIAL_TOKENS, *sorted(set(_XTTS_CHARACTERS))]
    tokenizer = Tokenizer(BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=[], unk_token="[UNK]"))
    tokenizer.add_special_tokens(list(_XTTS_SPECIAL_TOKENS))
    tokenizer.save(str(vocab_path))

    args = XttsArgs(
        gpt_layers=1,
        gpt_n_model_channels=64,
        gpt_n_heads=2,
        gpt_max_audio_tokens=max_audio_tokens,
        # XTTS v2's audio code book and perceiver conditioning.
        gpt_num_audio_tokens=1026,
        gpt_start_audio_token=1024,
        gpt_stop_audio_token=1025,
        gpt_use_perceiver_resampler=True,
        decoder_input_dim=64,
    )
    config = XttsConfig(model_args=args, audio=XttsAudioConfig(), languages=[XTTS_LANGUAGE])
    torch.manual_seed(seed)
    model = Xtts(config)
    # The GPT's text embedding is sized from the vocabulary, as when a real checkpoint loads.
    model.tokenizer = VoiceBpeTokenizer(vocab_file=vocab_path)
    model.init_models()
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder
