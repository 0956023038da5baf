"""Takes: another reading of a sentence, and the ones a producer chose (EPISODE.takes.json).

A take is a cache entry of its own (its number is part of the key); every render swaps in
the takes chosen for its output, and the check's retakes (retake.py) make new ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import MAX_TAKE, CheckConfig
from ..errors import RenderError
from ..files import Number, check_shape, read_json, write_atomic
from .cache import SentenceCache, sentence_key
from .engines.base import Engine, create_engine, engine_class

TAKES_SUFFIX = ".takes.json"


def takes_path(mp3: Path) -> Path:
    return mp3.with_suffix(TAKES_SUFFIX)


def take_params(engine_name: str, params: dict, take: int, cfg: CheckConfig) -> dict:
    """The engine settings of take `take` (0: the profile's own; the engine says how another
    take differs, `Engine.take_params`)."""
    varied = engine_class(engine_name).take_params(params, take, cfg.take_variations) if take else None
    return dict(params) if varied is None else varied


_TAKES_SHAPE = {"takes": {str: Number(0, MAX_TAKE, whole=True)}}


def read_takes(mp3: Path) -> dict[str, int]:
    """Take-0 cache key -> chosen take, from EPISODE.takes.json (empty when absent). The
    producer chose these takes: a file that cannot be read is one line naming it, never
    silently the first takes."""
    path = takes_path(mp3)
    if not path.exists() and not path.is_symlink():
        return {}
    hint = "move it away to use the first takes, or choose the retakes again"
    return dict(check_shape(read_json(path, "takes"), _TAKES_SHAPE, str(path), hint=hint)["takes"])


def write_takes(mp3: Path, takes: dict[str, int]) -> None:
    data = {
        "about": "chosen retakes of this episode's sentences (take-0 cache key -> take)",
        "takes": {k: v for k, v in sorted(takes.items()) if v},
    }
    write_atomic(takes_path(mp3), json.dumps(data, indent=1) + "\n")


class TakeMaker:
    """Synthesises (or finds in the cache) take n of a sentence."""

    def __init__(self, engine: Engine, engine_name: str, params: dict, cache: SentenceCache, cfg: CheckConfig):
        self.base, self.engine_name, self.params, self.cache, self.cfg = engine, engine_name, params, cache, cfg
        self.fingerprint = engine.fingerprint()
        self._engines: dict[int, Engine] = {}  # by variation slot; take 0 is `base`

    def engine(self, take: int) -> Engine:
        """The engine of take `take`: the base one where the engine's settings give no other
        reading (no second copy of its model is loaded for it)."""
        varied = engine_class(self.engine_name).take_params(self.params, take, self.cfg.take_variations) if take else None
        if varied is None:
            return self.base
        slot = 1 + (take - 1) % len(self.cfg.take_variations)
        if slot not in self._engines:
            self._engines[slot] = create_engine(self.engine_name, varied)
        return self._engines[slot]

    def entry(self, spoken: str, take: int):
        key = sentence_key(self.fingerprint, spoken, take)
        found = self.cache.get(key)
        if found is not None:
            return found
        engine = self.engine(take)
        audio = engine.synthesize(spoken)
        if audio.size == 0:
            raise RenderError(f"the engine produced no audio for: {spoken[:80]!r}")
        return self.cache.put(key, audio, engine.sample_rate)


def apply_takes(output: Path, engine: Engine, profile, spoken: list[str], report, cache: SentenceCache, cfg: CheckConfig) -> int:
    """Swap in the takes chosen earlier for this output (EPISODE.takes.json); returns how many."""
    book = read_takes(Path(output))
    if not book:
        return 0
    maker = TakeMaker(engine, profile.engine, profile.engine_params, cache, cfg)
    swapped = 0
    for i, text in enumerate(spoken):
        take = book.get(sentence_key(maker.fingerprint, text), 0)
        if take:
            report.entries[i] = maker.entry(text, take)
            swapped += 1
    return swapped
