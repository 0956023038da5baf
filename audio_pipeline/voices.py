"""Voice profiles (voices/NAME.toml) -> engine + parameters + pauses + lexicon."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import BUNDLED_VOICES, DEFAULT_WRITING, PAUSE_LIMITS_S, Pauses
from .errors import VoiceError
from .settings import Range, read_table
from .show import bundled_dir, inside_show, voice_profiles

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class _ProfileFile:
    """A voice profile as written; `load_voice` makes it a VoiceProfile."""

    name: str = ""
    description: str = ""
    lexicon: str = ""
    engine: dict = field(default_factory=dict)
    """The engine's own settings, checked by the engine."""
    pauses: dict = field(default_factory=dict)
    writing: list[str] = field(default_factory=lambda: list(DEFAULT_WRITING))


_PAUSE_RANGES = {key: Range(low, high, unit="seconds") for key, (low, high) in PAUSE_LIMITS_S.items()}
# Engine settings that name files: resolved against the profile's own folder.
_PATH_PARAMS = ("model", "config", "speaker_wav")


@dataclass(frozen=True)
class VoiceProfile:
    name: str
    engine: str
    engine_params: dict[str, Any]
    pauses: Pauses
    path: Path
    description: str = ""
    lexicon_path: Path | None = None
    """This voice's own lexicon (over the show lexicon, under inline overrides)."""
    writing: tuple[str, ...] = DEFAULT_WRITING
    """Writing systems the voice speaks (Unicode script names: LATIN, GREEK, ...)."""


def available_voices() -> list[str]:
    """Profile names: the show folder's voices/ and the bundled ones (see show.py)."""
    return list(voice_profiles())


def names_a_file(spec: str) -> bool:
    """Whether a voice is given as a profile file's path rather than a profile name."""
    return spec.endswith(".toml") or "/" in spec or "\\" in spec


def voice_path(spec: str) -> Path:
    """A profile name (voices/NAME.toml) or a path to a profile file."""
    if names_a_file(spec):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise VoiceError(f"voice profile {spec} not found; give a profile name or a path to a .toml file")
        return path
    found = voice_profiles().get(spec)
    if found is None:
        raise VoiceError(f"unknown voice {spec!r}; available: {', '.join(available_voices())}")
    return found.path


def _beside(path: Path, name: str) -> Path:
    """A file a profile names: beside the profile, else among the bundled voice files, so a
    show's own copy of a bundled profile still finds the bundled lexicon and clips."""
    own = path.parent / name
    if own.exists():
        return own
    bundled = bundled_dir(BUNDLED_VOICES) / name
    return bundled if bundled.exists() and Path(name).name == name else own


def load_voice(spec: str, device: str | None = None) -> VoiceProfile:
    path = voice_path(spec)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise VoiceError(f"{path}: cannot read the voice profile ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise VoiceError(f"{path}: malformed voice profile ({e})") from None
    except RecursionError:
        raise VoiceError(f"{path}: the voice profile nests too deep; write plain settings") from None
    profile = read_table(_ProfileFile, data, str(path), error=VoiceError)
    table = profile.engine
    if not isinstance(table.get("name", "piper"), str):
        raise VoiceError(f"{path}: write the engine as an [engine] table with name = \"piper\" or \"coqui\"")
    params = {k: v for k, v in table.items() if k != "name"}
    for key in _PATH_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and _beside(path, value).exists():
            params[key] = str(_beside(path, value).resolve())
    clip = params.get("speaker_wav")
    if isinstance(clip, str) and clip and not inside_show(Path(clip), path.parent):
        raise VoiceError(f"{path}: speaker_wav {clip} is outside the show folder; put the clip in voices/")
    if device:
        params["device"] = device

    pauses = read_table(Pauses, profile.pauses, str(path), section="[pauses]", error=VoiceError, ranges=_PAUSE_RANGES)
    writing = profile.writing
    if not writing or not all(w.strip() for w in writing):
        raise VoiceError(f"{path}: writing must be a list of writing systems the voice speaks, e.g. [\"Latin\"]")

    lexicon_path = None
    if profile.lexicon:
        lexicon_path = _beside(path, profile.lexicon).resolve()
        if not lexicon_path.is_file():
            raise VoiceError(f"{path}: lexicon {profile.lexicon} not found beside the profile")
        if not inside_show(lexicon_path, path.parent):
            raise VoiceError(f"{path}: lexicon {profile.lexicon} is outside the show folder; put it in voices/")
    return VoiceProfile(
        name=profile.name or path.stem,
        engine=table.get("name", "piper"),
        engine_params=params,
        pauses=pauses,
        path=path.resolve(),
        description=profile.description,
        lexicon_path=lexicon_path,
        writing=tuple(w.strip().upper() for w in writing),
    )


# Varied sentences, about fifteen seconds: what a cloning engine needs to learn a voice.
REFERENCE_TEXT = (
    "Hey PaperLedge crew, Ernis here, and today we're diving into something wonderful.",
    "Imagine a library where every book quietly rewrites itself as you read it.",
    "That's the big idea behind this paper, and honestly, it made me smile.",
    "So, why does this matter to you?",
)


def make_reference(spec: str, output: Path) -> Path:
    """Render REFERENCE_TEXT with a voice to a 16-bit WAV, for engines that clone a speaker."""
    import numpy as np
    import soundfile as sf

    from .assemble import fade, trim_silence
    from .engines.base import create_engine
    from .files import temp_beside

    profile = load_voice(spec)
    engine = create_engine(profile.engine, profile.engine_params)
    rate = engine.sample_rate
    gap = np.zeros(round(profile.pauses.sentence * rate), dtype=np.float32)
    parts = []
    for text in REFERENCE_TEXT:
        parts += [fade(trim_silence(engine.synthesize(text), rate, -50.0, 0.02), rate, 0.008), gap]
    audio = np.concatenate(parts)
    audio *= 10 ** (-3 / 20) / max(1e-9, float(np.max(np.abs(audio))))  # peak at -3 dBFS
    tmp = temp_beside(output, ".wav")
    try:
        sf.write(tmp, audio, rate, subtype="PCM_16", format="WAV")
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return output


# What a producer hears first from each voice: the show's greeting, a number, a name.
PREVIEW_TEXT = (
    "Hey PaperLedge crew, Ernis here! Today's paper trained a network on just 200 labelled clips, "
    "and it found nine out of ten whale songs. So, why does this matter to you?"
)


def preview(spec: str, output: Path, text: str = PREVIEW_TEXT, level_lufs: float = -16.0) -> Path:
    """Say `text` in a voice, through the same front end and lexicons as a render, into a
    16-bit WAV at the episode rate, levelled to `level_lufs` so previews compare fairly."""
    import numpy as np
    import soundfile as sf

    from .assemble import fade, trim_silence
    from .config import AssemblyConfig, TextConfig
    from .engines.base import create_engine, phoneme_family
    from .errors import RenderError
    from .files import temp_beside, write_problem
    from .loudness import integrated_loudness
    from .text.lexicon import default_show_lexicon_path, load_lexicon
    from .text.normalize import speak
    from .text.rules.lexicon import with_phonemes
    from .text.sentences import split_sentences

    profile = load_voice(spec)
    lexicon = load_lexicon(default_show_lexicon_path(), profile.lexicon_path)
    family = phoneme_family(profile.engine)
    engine = create_engine(profile.engine, profile.engine_params)
    rate = AssemblyConfig().sample_rate
    gap = np.zeros(round(profile.pauses.sentence * rate), dtype=np.float32)
    parts = []
    for clauses in split_sentences(" ".join(text.split()), TextConfig().max_sentence_chars):
        for clause in clauses:
            spoken = speak(with_phonemes(clause, lexicon, family)[0], lexicon).spoken
            audio = fade(trim_silence(engine.synthesize(spoken), engine.sample_rate, -50.0, 0.02), engine.sample_rate, 0.008)
            if engine.sample_rate != rate:
                import soxr

                audio = soxr.resample(audio, engine.sample_rate, rate, quality="HQ").astype(np.float32)
            parts += [audio, gap]
    if not parts:
        raise RenderError("the preview text has nothing to say; give --text a sentence")
    audio = np.concatenate(parts)
    loudness = integrated_loudness([audio], rate)
    gain = 10 ** ((level_lufs - loudness) / 20) if np.isfinite(loudness) else 1.0
    audio = audio * min(gain, 10 ** (-1 / 20) / max(1e-9, float(np.max(np.abs(audio)))))  # never past -1 dBFS
    tmp = temp_beside(output, ".wav.part")
    try:
        sf.write(tmp, audio.astype(np.float32), rate, subtype="PCM_16", format="WAV")
        tmp.replace(output)
    except OSError as e:
        raise RenderError(write_problem(output, e)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return output
