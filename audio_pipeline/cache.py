"""Content-addressed audio per sentence.

Key: the engine's fingerprint (model file identity + synthesis parameters) and the
spoken text, so a changed voice parameter or lexicon entry invalidates exactly the
sentences whose key it changes. Entries carry a checksum of their samples and are
written atomically (temp file + rename), so concurrent renders may share a folder
and a truncated or corrupt entry is detected, removed and synthesised again.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import RenderError

_MAGIC = b"PLSC1\n"
# magic, sample rate, sample count, sha256 of the float32 payload
_HEADER = struct.Struct("<6sIQ32s")


def sentence_key(fingerprint: str, spoken: str, take: int = 0) -> str:
    """Take 0 is the first synthesis; a retake of the same text is kept apart under its number."""
    if take:
        fingerprint = f"{fingerprint}\0take {take}"
    return hashlib.sha256(f"{fingerprint}\0{spoken}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    path: Path
    sample_rate: int
    samples: int


class SentenceCache:
    def __init__(self, root: Path):
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RenderError(f"cannot create the cache folder {self.root} ({e.strerror}); use --cache-dir") from None

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pcm"

    def get(self, key: str) -> CacheEntry | None:
        """The entry for `key` if present and intact; a damaged entry is removed."""
        path = self.path_for(key)
        try:
            with path.open("rb") as f:
                header = f.read(_HEADER.size)
                magic, rate, count, digest = _HEADER.unpack(header)
                payload = f.read()
        except FileNotFoundError:
            return None
        except (OSError, struct.error):
            self._discard(path)
            return None
        if magic != _MAGIC or len(payload) != 4 * count or hashlib.sha256(payload).digest() != digest:
            self._discard(path)
            return None
        return CacheEntry(path, rate, count)

    def put(self, key: str, audio: np.ndarray, sample_rate: int) -> CacheEntry:
        audio = np.ascontiguousarray(audio, dtype="<f4")
        payload = audio.tobytes()
        header = _HEADER.pack(_MAGIC, sample_rate, audio.size, hashlib.sha256(payload).digest())
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pcm")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(header)
                f.write(payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return CacheEntry(path, sample_rate, audio.size)

    @staticmethod
    def load(entry: CacheEntry) -> np.ndarray:
        """Samples of an entry that `get` or `put` returned."""
        with entry.path.open("rb") as f:
            f.seek(_HEADER.size)
            return np.fromfile(f, dtype="<f4", count=entry.samples)

    @staticmethod
    def _discard(path: Path) -> None:
        try:
            path.unlink()
        except OSError:
            pass
