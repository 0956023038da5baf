"""What an engine is, said by its class: a new engine is one module, one registry line and a
voice profile. A fake engine defined here (tones whose length follows the text) is registered
without editing any module and renders an episode through the real pipeline; every built-in
engine declares every fact.

If these fail, a user would notice: a new engine that needs edits all over the package, an
engine whose pronunciations (lexicon phonemes) go to the wrong front end, a cluster that
gives Piper a GPU, a feed that names the engine wrongly, or an import of the package that
loads onnxruntime or torch before any voice is asked for.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audio_pipeline.config import CheckConfig
from audio_pipeline.errors import VoiceError
from audio_pipeline.synthesis.engines import base
from audio_pipeline.synthesis.engines.base import (
    CPU_OR_GPU,
    Engine,
    create_engine,
    display_name,
    engine_class,
    engine_names,
    may_use_gpu,
    phoneme_family,
    register_engine,
)

from .conftest import ffprobe

RATE = 16_000
SAMPLES_PER_CHAR = 400  # 25 ms of tone per character: an episode's length follows its text


class ToneEngine(Engine):
    """A voice of tones: each sentence a 220 Hz sine under a little seeded noise, as long as
    its text. It writes every text it is given to the file its `said` setting names (the
    render synthesises in a worker process, where the test cannot look)."""

    name = "tone"
    display_name = "Tone"
    sample_rate = RATE
    phoneme_family = None

    def __init__(self, seed: int = 0, said: str = ""):
        self.seed, self.said = seed, said

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ToneEngine:
        unknown = sorted(set(params) - {"seed", "said", "device"})
        if unknown:
            raise VoiceError(f"the tone engine has no setting {unknown[0]!r}")
        return cls(int(params.get("seed", 0)), str(params.get("said", "")))

    @classmethod
    def take_params(cls, params: Mapping[str, Any], take: int, variations) -> dict[str, Any] | None:
        return {**params, "seed": int(params.get("seed", 0)) + take}

    def fingerprint(self) -> str:
        return f"{self.name}-{self.seed}"  # `said` is bookkeeping, not the sound

    def synthesize(self, text: str) -> np.ndarray:
        if self.said:
            with open(self.said, "a", encoding="utf-8") as f:
                f.write(text + "\n")
        n = SAMPLES_PER_CHAR * len(text)
        noise = np.random.default_rng(self.seed).standard_normal(n)
        return (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / RATE) + 0.02 * noise).astype(np.float32)


class EspeakToneEngine(ToneEngine):
    """The same tones, from an engine that reads espeak phonemes inline as Piper does."""

    name = "tone-espeak"
    display_name = "Tone (espeak)"
    phoneme_family = "espeak"


SCRIPT = """\
---
title: Two Tones
show: Tone Test
date: 2025-05-02
---

## First
Hello, this is the tone voice. Zorblax is a made-up word.

## Second
The second chapter is short. Goodbye!
"""

LEXICON = """\
[words]
Zorblax = { say = "Zorb lacks", espeak = "zˈɔːblæks" }
"""


def _profile(folder: Path, engine: str, said: Path) -> Path:
    (folder / "tone.lexicon.toml").write_text(LEXICON, encoding="utf-8")
    path = folder / "tone.toml"
    path.write_text(
        f'name = "tone-voice"\ndescription = "tones, for the engine contract"\nlexicon = "tone.lexicon.toml"\n\n'
        f'[engine]\nname = "{engine}"\nseed = 0\nsaid = "{said}"\n\n'
        "[pauses]\nsentence = 0.30\nparagraph = 0.70\nchapter = 1.20\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def tone_engines(monkeypatch):
    """The fake engines registered for this test only: the registry is put back after it."""
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    register_engine("tone", f"{__name__}:ToneEngine")
    register_engine("tone-espeak", f"{__name__}:EspeakToneEngine")


def _render(tmp_path: Path, engine: str):
    from audio_pipeline.render import RenderOptions, render

    said = tmp_path / "said.txt"
    script = tmp_path / "two-tones.md"
    script.write_text(SCRIPT, encoding="utf-8")
    profile = _profile(tmp_path, engine, said)
    options = RenderOptions(voice=str(profile), output=tmp_path / "ep.mp3", cache_dir=tmp_path / "cache", sign=False, jobs=1)
    result = render(script, options)
    return result, said.read_text(encoding="utf-8").splitlines()


def test_a_registered_engine_renders_an_episode(tone_engines, tmp_path):
    from audio_pipeline.synthesis.cache import sentence_key
    from audio_pipeline.synthesis.cache_admin import cache_info

    result, said = _render(tmp_path, "tone")

    # The engine's facts were read from its class: no phonemes reach an engine of no family,
    # the lexicon's respelling does.
    assert said and not any("[[" in text or "](/" in text for text in said), said
    assert any("Zorb lacks" in text for text in said), said
    # Every sentence's audio is the engine's, cached under its fingerprint, at its rate.
    entries = result.synthesis.entries
    assert {e.sample_rate for e in entries} == {RATE}
    assert {Path(e.path).stem for e in entries} == {sentence_key("tone-0", text) for text in said}
    assert sorted(e.samples for e in entries) == sorted(SAMPLES_PER_CHAR * len(text) for text in said)
    assert [u.label for u in cache_info(tmp_path / "cache").by_voice] == ["tone-voice (tone)"]

    # The MP3 holds every tone, the pauses between them and the music: longer than the tones.
    speech = sum(e.samples for e in entries) / RATE
    probe = ffprobe(result.output)
    duration = float(probe["format"]["duration"])
    assert duration > speech + 2 * 1.2, (duration, speech)
    assert abs(duration - result.duration) < 0.2
    assert [c["tags"]["title"] for c in probe["chapters"]] == ["First", "Second"]


def test_the_phoneme_family_on_the_class_reaches_the_text_front_end(tone_engines, tmp_path):
    _, said = _render(tmp_path, "tone-espeak")
    assert any("[[ zˈɔːblæks ]]" in text for text in said), said
    assert not any("Zorb lacks" in text for text in said), said


def test_a_registered_engine_answers_every_question_by_its_class(tone_engines):
    assert "tone" in engine_names()
    assert engine_class("tone") is ToneEngine
    assert (phoneme_family("tone"), phoneme_family("tone-espeak")) == (None, "espeak")
    assert display_name("tone") == "Tone"
    assert may_use_gpu("tone") is False
    engine = create_engine("tone", {"seed": 3, "device": "cuda"})
    assert engine.fingerprint() == "tone-3" and engine.parallel

    from audio_pipeline.synthesis.takes import take_params

    assert take_params("tone", {"seed": 3}, 0, CheckConfig()) == {"seed": 3}
    assert take_params("tone", {"seed": 3}, 2, CheckConfig()) == {"seed": 5}


def test_an_engine_registered_by_a_test_is_gone_after_it():
    assert "tone" not in engine_names()
    with pytest.raises(VoiceError, match=r"^unknown engine 'tone': use one of coqui, hibari, piper$"):
        create_engine("tone", {})


def test_register_engine_wants_a_module_and_a_class(monkeypatch):
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    with pytest.raises(ValueError):
        register_engine("tone", "tests.test_engine_contract.ToneEngine")
    register_engine("tone", f"{__name__}:SCRIPT")
    with pytest.raises(TypeError, match="not an Engine class"):
        engine_class("tone")


# -- every built-in engine -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["coqui", "hibari", "piper"])
def test_every_engine_declares_every_fact(name):
    from audio_pipeline.text.lexicon import PHONEME_FAMILIES
    from audio_pipeline.text.rules.lexicon import INLINE_PHONEMES

    cls = engine_class(name)
    assert cls.name == name, "the registry's key is the name a profile gives"
    assert isinstance(cls.display_name, str) and cls.display_name.strip()
    assert cls.phoneme_family is None or (cls.phoneme_family in PHONEME_FAMILIES and cls.phoneme_family in INLINE_PHONEMES)
    assert cls.runs_on and cls.runs_on <= CPU_OR_GPU and "cpu" in cls.runs_on
    assert isinstance(cls.supports_batch, bool)
    rate = inspect.getattr_static(cls, "sample_rate")
    assert isinstance(rate, property) or (isinstance(rate, int) and 8_000 <= rate <= 192_000), rate
    assert not cls.__abstractmethods__, "fingerprint, synthesize, from_params and sample_rate are its own"
    cfg = CheckConfig()
    for take in range(1, 2 * len(cfg.take_variations) + 1):
        varied = cls.take_params({"seed": 1}, take, cfg.take_variations)
        assert varied is None or (isinstance(varied, dict) and varied != {"seed": 1}), (take, varied)


def test_the_built_in_engines_facts():
    facts = {n: (display_name(n), phoneme_family(n), may_use_gpu(n), engine_class(n).supports_batch) for n in engine_names()}
    assert facts == {
        "coqui": ("Coqui TTS", None, True, True),
        "hibari": ("hibari", "misaki", False, False),
        "piper": ("Piper", "espeak", False, False),
    }


def test_another_take_is_another_reading():
    from audio_pipeline.synthesis.takes import take_params

    cfg = CheckConfig()
    assert take_params("hibari", {"seed": 4}, 1, cfg) == {"seed": 5}
    assert take_params("hibari", {"seed": 4}, 1 + len(cfg.take_variations), cfg) == {"seed": 5}, "cycled"
    assert take_params("piper", {"volume": 1.0}, 2, cfg) == {"volume": 1.0, **dict(cfg.take_variations[1])}
    assert take_params("coqui", {"model": "m"}, 2, cfg) == {"model": "m"}, "sampled anew with its own settings"
    for name in engine_names():
        assert take_params(name, {"seed": 4}, 0, cfg) == {"seed": 4}


def test_asking_for_an_engine_imports_no_model_library():
    code = (
        "import sys, json\n"
        "from audio_pipeline.synthesis.engines.base import engine_class, engine_names, phoneme_family\n"
        "for name in engine_names():\n"
        "    engine_class(name); phoneme_family(name)\n"
        "heavy = {'onnxruntime', 'torch', 'TTS', 'piper', 'hibari'} & set(sys.modules)\n"
        "print(json.dumps(sorted(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []


def test_an_unknown_engine_is_one_line_naming_the_known_ones():
    for ask in (create_engine, phoneme_family, display_name, may_use_gpu):
        args = ("nope", {}) if ask is create_engine else ("nope",)
        with pytest.raises(VoiceError) as caught:
            ask(*args)
        assert str(caught.value) == "unknown engine 'nope': use one of coqui, hibari, piper"
