"""Voice profiles (voices/NAME.toml) -> engine + parameters + pauses + lexicon."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import BUNDLED_VOICES, DEFAULT_WRITING, PAUSE_LIMITS_S, Pauses
from ..errors import VoiceError
from ..files import read_text, regular_file
from ..settings import Range, read_table
from ..show import bundled_dir, inside_show, voice_profiles
from .engines.base import DEFAULT_ENGINE

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
        if not regular_file(path, VoiceError):
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
        data = tomllib.loads(read_text(path, "voice profile", VoiceError))
    except ValueError as e:  # TOMLDecodeError, or an integer of thousands of digits
        raise VoiceError(f"{path}: malformed voice profile ({e})") from None
    except RecursionError:
        raise VoiceError(f"{path}: the voice profile nests too deep; write plain settings") from None
    profile = read_table(_ProfileFile, data, str(path), error=VoiceError)
    table = profile.engine
    engine = table.get("name", DEFAULT_ENGINE)
    if not isinstance(engine, str):
        raise VoiceError(f'{path}: write the engine as an [engine] table with name = "piper" or "coqui"')
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
        raise VoiceError(f'{path}: writing must be a list of writing systems the voice speaks, e.g. ["Latin"]')

    lexicon_path = None
    if profile.lexicon:
        lexicon_path = _beside(path, profile.lexicon).resolve()
        if not regular_file(lexicon_path, VoiceError):
            raise VoiceError(f"{path}: lexicon {profile.lexicon} not found beside the profile")
        if not inside_show(lexicon_path, path.parent):
            raise VoiceError(f"{path}: lexicon {profile.lexicon} is outside the show folder; put it in voices/")
    return VoiceProfile(
        name=profile.name or path.stem,
        engine=engine,
        engine_params=params,
        pauses=pauses,
        path=path.resolve(),
        description=profile.description,
        lexicon_path=lexicon_path,
        writing=tuple(w.strip().upper() for w in writing),
    )


# Varied sentences, about fifteen seconds: what a cloning engine needs to learn a voice.
