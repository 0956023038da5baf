"""Voice profiles (voices/NAME.toml) -> engine + parameters + pauses + lexicon."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DEFAULT_WRITING, PAUSE_LIMITS_S, VOICES_DIR, Pauses
from .errors import VoiceError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_PROFILE_KEYS = {"name", "description", "lexicon", "engine", "pauses", "writing"}
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
    return sorted(p.stem for p in VOICES_DIR.glob("*.toml") if not p.stem.endswith("lexicon"))


def voice_path(spec: str) -> Path:
    """A profile name (voices/NAME.toml) or a path to a profile file."""
    if spec.endswith(".toml") or "/" in spec or "\\" in spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise VoiceError(f"voice profile {spec} not found; give a profile name or a path to a .toml file")
        return path
    path = VOICES_DIR / f"{spec}.toml"
    if not path.is_file():
        raise VoiceError(f"unknown voice {spec!r}; available: {', '.join(available_voices())}")
    return path


def load_voice(spec: str, device: str | None = None) -> VoiceProfile:
    path = voice_path(spec)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise VoiceError(f"{path}: cannot read the voice profile ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise VoiceError(f"{path}: malformed voice profile ({e})") from None
    unknown = sorted(set(data) - _PROFILE_KEYS)
    if unknown:
        raise VoiceError(f"{path}: unknown voice setting {unknown[0]!r}; allowed: {', '.join(sorted(_PROFILE_KEYS))}")
    table = data.get("engine", {})
    if not isinstance(table, dict) or not isinstance(table.get("name", "piper"), str):
        raise VoiceError(f"{path}: write the engine as an [engine] table with name = \"piper\" or \"coqui\"")
    params = {k: v for k, v in table.items() if k != "name"}
    for key in _PATH_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and (path.parent / value).exists():
            params[key] = str((path.parent / value).resolve())
    if device:
        params["device"] = device

    pauses = _pauses(data.get("pauses", {}), path)
    writing = data.get("writing", list(DEFAULT_WRITING))
    if not isinstance(writing, list) or not writing or not all(isinstance(w, str) and w.strip() for w in writing):
        raise VoiceError(f"{path}: writing must be a list of writing systems the voice speaks, e.g. [\"Latin\"]")

    lexicon = data.get("lexicon")
    lexicon_path = None
    if lexicon:
        lexicon_path = (path.parent / str(lexicon)).resolve()
        if not lexicon_path.is_file():
            raise VoiceError(f"{path}: lexicon {lexicon} not found beside the profile")
    return VoiceProfile(
        name=str(data.get("name", path.stem)),
        engine=table.get("name", "piper"),
        engine_params=params,
        pauses=pauses,
        path=path.resolve(),
        description=str(data.get("description", "")),
        lexicon_path=lexicon_path,
        writing=tuple(w.strip().upper() for w in writing),
    )


def _pauses(table: Any, path: Path) -> Pauses:
    """The [pauses] table, every value a finite number of seconds within its range."""
    if not isinstance(table, dict):
        raise VoiceError(f"{path}: write pauses as a [pauses] table of seconds")
    unknown = sorted(set(table) - set(PAUSE_LIMITS_S))
    if unknown:
        raise VoiceError(f"{path}: unknown pause {unknown[0]!r}; allowed: {', '.join(PAUSE_LIMITS_S)}")
    values = {}
    for key, value in table.items():
        low, high = PAUSE_LIMITS_S[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not low <= value <= high:
            raise VoiceError(f"{path}: pause {key!r} must be between {low:g} and {high:g} seconds, got {value!r}")
        values[key] = float(value)
    return Pauses(**values)


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
