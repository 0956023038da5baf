"""The coqui engine, driven through tiny models built on the spot and loaded like a user's.

Runs in the coqui environment (`make test-coqui`); where coqui-tts is not installed, as in
the main environment, the whole module is skipped.
"""

from __future__ import annotations

import importlib.util
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest

from audio_pipeline.errors import VoiceError
from audio_pipeline.synthesis.engines.base import create_engine
from audio_pipeline.synthesis.voices import load_voice

from .conftest import ebur128, ffprobe, run_cli

pytestmark = [
    pytest.mark.coqui,
    pytest.mark.skipif(
        importlib.util.find_spec("TTS") is None,
        reason="coqui-tts is not installed here: `make test-coqui` runs these in .venv-coqui",
    ),
]

SENTENCES = [
    "Hey PaperLedge crew, Ernis here.",
    "Today we listen to the ocean.",
    "Why does it matter?",
    "Because sound travels a long way under water, and whales know it.",
]


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.fixture(scope="module")
def vits_folder(tmp_path_factory) -> Path:
    from audio_pipeline.synthesis.engines.tiny_models import build_tiny_vits

    return build_tiny_vits(tmp_path_factory.mktemp("models") / "tiny-vits")


@pytest.fixture(scope="module")
def steady_vits_folder(tmp_path_factory) -> Path:
    from audio_pipeline.synthesis.engines.tiny_models import build_tiny_vits

    return build_tiny_vits(tmp_path_factory.mktemp("models") / "steady-vits", deterministic=True)


@pytest.fixture(scope="module")
def xtts_folder(tmp_path_factory) -> Path:
    from audio_pipeline.synthesis.engines.tiny_models import build_tiny_xtts

    return build_tiny_xtts(tmp_path_factory.mktemp("models") / "tiny-xtts")


@pytest.fixture(scope="module")
def reference_wav(tmp_path_factory) -> Path:
    """Four seconds of a voiced-sounding tone: enough for XTTS's conditioning latents."""
    import soundfile as sf

    rate = 22050
    t = np.arange(4 * rate) / rate
    wave = 0.3 * np.sin(2 * np.pi * 140 * t) * (1 + 0.5 * np.sin(2 * np.pi * 4 * t))
    path = tmp_path_factory.mktemp("ref") / "reference.wav"
    sf.write(path, wave.astype(np.float32), rate)
    return path


def write_profile(folder: Path, model: str, **engine: object) -> Path:
    """A voice profile as a user writes one: model path relative to the profile's folder."""
    lines = [f'model = "{model}"'] + [
        f"{key} = {value}" if isinstance(value, int) else f'{key} = "{value}"' for key, value in engine.items()
    ]
    text = textwrap.dedent(
        """\
        name = "tiny"
        description = "a tiny random Coqui model"

        [engine]
        name = "coqui"
        {engine}

        [pauses]
        sentence = 0.30
        paragraph = 0.70
        chapter = 1.20
        """
    ).format(engine="\n".join(lines))
    path = folder / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def engine_from_profile(profile: Path, device: str | None = "cpu"):
    voice = load_voice(str(profile), device=device)
    assert voice.engine == "coqui"
    return create_engine(voice.engine, voice.engine_params)


def assert_audio(wave: np.ndarray) -> None:
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert wave.size > 0 and np.isfinite(wave).all()
    assert np.abs(wave).max() > 0, "silence instead of speech"


def test_local_vits_folder_loads_through_a_voice_profile_and_speaks(vits_folder, tmp_path):
    """A user's own VITS folder named in voices/NAME.toml gives float32 audio at the model's rate."""
    (tmp_path / "voices").mkdir()
    profile = write_profile(tmp_path / "voices", f"../{vits_folder.parent.name}/{vits_folder.name}")
    shutil.copytree(vits_folder, tmp_path / vits_folder.parent.name / vits_folder.name)
    engine = engine_from_profile(profile)
    assert engine.name == "coqui"
    assert engine.sample_rate == 22050
    wave = engine.synthesize(SENTENCES[0])
    assert_audio(wave)
    assert engine.device == "cpu"
    # Coqui pads each text with 10 000 zeros for its own joins: none may reach the pipeline.
    assert np.abs(wave[-2000:]).max() > 0


def test_checkpoint_file_and_config_can_be_named_separately(vits_folder, tmp_path):
    """A checkpoint whose config.json lives elsewhere loads when the profile names both."""
    shutil.copy(vits_folder / "model.pth", tmp_path / "checkpoint_5000.pth")
    shutil.copy(vits_folder / "config.json", tmp_path / "training-config.json")
    (tmp_path / "voices").mkdir()
    profile = write_profile(tmp_path / "voices", "../checkpoint_5000.pth", config="../training-config.json")
    assert_audio(engine_from_profile(profile).synthesize(SENTENCES[1]))


def test_fingerprint_follows_model_files_and_voice_settings(vits_folder, tmp_path, reference_wav):
    """Cached sentences are reused only while the model and the voice settings are unchanged."""
    from audio_pipeline.synthesis.engines.tiny_models import build_tiny_vits

    base = {"model": str(vits_folder), "device": "cpu"}
    first = create_engine("coqui", base).fingerprint()
    assert first == create_engine("coqui", dict(base)).fingerprint(), "stable across loads"
    # Device, batch size and threads change the arithmetic, not the voice.
    assert first == create_engine("coqui", {**base, "device": "auto", "batch_size": 4, "threads": 1}).fingerprint()
    changed = {
        "speaker": {**base, "speaker": "someone"},
        "language": {**base, "language": "en"},
        "speaker_wav": {**base, "speaker_wav": str(reference_wav)},
    }
    prints = {name: create_engine("coqui", params).fingerprint() for name, params in changed.items()}
    assert first not in prints.values() and len(set(prints.values())) == len(prints)

    other = build_tiny_vits(tmp_path / "retrained", seed=1)
    assert create_engine("coqui", {**base, "model": str(other)}).fingerprint() != first, "new weights, new audio"


def test_batched_vits_matches_one_sentence_at_a_time(steady_vits_folder):
    """A padded batch says each sentence exactly as Coqui's own one-text path does."""
    single = create_engine("coqui", {"model": str(steady_vits_folder), "device": "cpu", "batch_size": 1})
    batched = create_engine("coqui", {"model": str(steady_vits_folder), "device": "cpu", "batch_size": 3})
    texts = [*SENTENCES, "", "OK."]
    one_by_one = [single.synthesize(t) for t in texts]
    together = batched.synthesize_batch(texts)
    assert len(together) == len(texts)
    for text, a, b in zip(texts, one_by_one, together, strict=True):
        assert a.shape == b.shape, text
        if not text:
            assert a.size == 0
            continue
        assert_audio(b)
        # The decoder's last few hundred samples see the batch's padding instead of zeros.
        body = max(0, a.size - 1024)
        np.testing.assert_allclose(b[:body], a[:body], atol=1e-5)


def test_mistakes_in_the_profile_are_reported_as_settings_to_fix(vits_folder, tmp_path):
    with pytest.raises(VoiceError, match=r"unknown .*'speed'"):
        create_engine("coqui", {"model": str(vits_folder), "speed": 1.0})
    with pytest.raises(VoiceError, match="neither a folder"):
        create_engine("coqui", {"model": str(tmp_path / "missing")})
    with pytest.raises(VoiceError, match=r"needs \[engine\] model"):
        create_engine("coqui", {"device": "cpu"})
    with pytest.raises(VoiceError, match="device"):
        create_engine("coqui", {"model": str(vits_folder), "device": "tpu"})
    with pytest.raises(VoiceError, match="make-reference"):
        create_engine("coqui", {"model": str(vits_folder), "speaker_wav": str(tmp_path / "none.wav")})
    with pytest.raises(VoiceError, match="single speaker"):
        create_engine("coqui", {"model": str(vits_folder), "device": "cpu", "speaker": "x"}).synthesize("Hi.")
    if not cuda_available():
        with pytest.raises(VoiceError, match="sees no CUDA GPU"):
            create_engine("coqui", {"model": str(vits_folder), "device": "cuda"}).synthesize("Hi.")


def test_model_names_survive_the_profile_loaders_path_resolution():
    """`tts_models/...` names stay names even when joined to the profile's folder."""
    from audio_pipeline.synthesis.engines.coqui_model import resolve_model

    name = "tts_models/multilingual/multi-dataset/xtts_v2"
    assert resolve_model(name).name == name
    assert resolve_model(f"/home/me/show/voices/{name}").name == name


def test_xtts_folder_clones_the_reference_clip(xtts_folder, reference_wav, tmp_path):
    """XTTS v2 loads from its folder (vocab.json beside model.pth) and speaks at 24 kHz."""
    shutil.copy(reference_wav, tmp_path / "ernis-reference.wav")
    profile = write_profile(tmp_path, str(xtts_folder), speaker_wav="ernis-reference.wav", language="en")
    engine = engine_from_profile(profile)
    assert engine.sample_rate == 24000
    waves = engine.synthesize_batch(SENTENCES[:2])
    for wave in waves:
        assert_audio(wave)


def test_xtts_without_a_reference_clip_says_what_to_set(xtts_folder):
    engine = create_engine("coqui", {"model": str(xtts_folder), "device": "cpu", "language": "en"})
    with pytest.raises(VoiceError, match="speaker_wav"):
        engine.synthesize("Hello.")


@pytest.mark.slow
def test_render_with_a_coqui_profile_gives_a_finished_mp3(vits_folder, tmp_path):
    """The CLI renders an episode with a Coqui voice: chapters in place, loudness on target."""
    (tmp_path / "voices").mkdir()
    profile = write_profile(tmp_path / "voices", str(vits_folder))
    script = tmp_path / "tiny-episode.md"
    script.write_text(
        textwrap.dedent(
            """\
            ---
            title: "A tiny episode"
            season: 1
            episode: 9
            ---

            ## Welcome
            Hey PaperLedge crew, Ernis here. Today is a short one.

            ## The research
            The model speaks noise, but the pipeline around it is real. [pause 500ms] That is the point.
            """
        ),
        encoding="utf-8",
    )
    out = tmp_path / "episode.mp3"
    proc = run_cli("render", script, "-o", out, "--voice", profile, "--device", "cpu", "--cache-dir", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    info = ffprobe(out)
    assert [c["tags"]["title"] for c in info["chapters"]] == ["Welcome", "The research"]
    integrated, peak = ebur128(out)
    assert -16.5 <= integrated <= -15.5, integrated
    assert peak <= -1.0, peak


@pytest.mark.gpu
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_cuda_renders_batches_and_xtts(vits_folder, xtts_folder, reference_wav):
    """On a GPU machine, `device = auto` picks CUDA; VITS batches and XTTS both speak there."""
    if not cuda_available():
        pytest.skip("no CUDA GPU visible to PyTorch")
    vits = create_engine("coqui", {"model": str(vits_folder), "device": "auto"})
    waves = vits.synthesize_batch(SENTENCES)
    assert vits.device.startswith("cuda")
    for wave in waves:
        assert_audio(wave)
    xtts = create_engine(
        "coqui", {"model": str(xtts_folder), "device": "cuda", "speaker_wav": str(reference_wav), "language": "en"}
    )
    for wave in xtts.synthesize_batch(SENTENCES[:2]):
        assert_audio(wave)
