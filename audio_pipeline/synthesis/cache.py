"""Content-addressed audio per sentence.

Key: the engine's fingerprint (model file identity + synthesis parameters) and the
spoken text, so a changed voice parameter or lexicon entry invalidates exactly the
sentences whose key it changes. Entries carry a checksum of everything they hold
(sample rate, length and samples) and of their own key, so an entry under another's name
(two files swapped or copied) is never served as it; they are written atomically (temp file + rename),
so concurrent renders may share a folder and a truncated or corrupt entry is
detected, removed and synthesised again: a damaged entry is never played.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import PaperLedgeError, RenderError
from ..files import read_bytes, reason

_MAGIC = b"PLSC3\n"
# magic, sample rate, sample count, then a sha256 of those, the entry's key and the float32 payload
_FIELDS = struct.Struct("<6sIQ")
_HEADER = struct.Struct("<6sIQ32s")
# An engine's native rate is within these; anything else is a damaged entry.
_RATES = range(8_000, 192_001)


def _digest(fields: bytes, key: str, payload: bytes) -> bytes:
    return hashlib.sha256(fields + key.encode("ascii") + payload).digest()


_CACHE_HINT = "free some space, or choose another with --cache-dir, or render with --no-cache"


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
            raise RenderError(f"cannot create the cache folder {self.root}: {reason(e)}; {_CACHE_HINT}") from None

    def path_for(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pcm"

    def get(self, key: str, sample_rate: int | None = None) -> CacheEntry | None:
        """The entry for `key` if present, intact and (when given) at `sample_rate`;
        a damaged entry is removed."""
        path = self.path_for(key)
        if not os.path.lexists(path):
            return None
        try:
            # A regular file of bounded size: a FIFO or device under an entry's name is damage.
            data = read_bytes(path, "cache entry")
            header, payload = data[: _HEADER.size], data[_HEADER.size :]
            magic, rate, count, digest = _HEADER.unpack(header)
        except (PaperLedgeError, struct.error):
            self._discard(path)
            return None
        if (
            magic != _MAGIC
            or len(payload) != 4 * count
            or rate not in _RATES
            or (sample_rate is not None and rate != sample_rate)
            or _digest(header[: _FIELDS.size], key, payload) != digest
        ):
            self._discard(path)
            return None
        _touch(path)
        return CacheEntry(path, rate, count)

    def put(self, key: str, audio: np.ndarray, sample_rate: int) -> CacheEntry:
        audio = np.ascontiguousarray(audio, dtype="<f4")
        payload = audio.tobytes()
        fields = _FIELDS.pack(_MAGIC, sample_rate, audio.size)
        path = self.path_for(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pcm")
            with os.fdopen(fd, "wb") as f:
                f.write(fields + _digest(fields, key, payload))
                f.write(payload)
            os.replace(tmp, path)
        except OSError as e:
            raise RenderError(f"cannot write to the cache folder {self.root}: {reason(e)}; {_CACHE_HINT}") from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        return CacheEntry(path, sample_rate, audio.size)

    @classmethod
    def open(cls, root: Path | None, stack: ExitStack) -> "SentenceCache":
        """The cache at `root`; None: a temporary one that `stack` removes (--no-cache)."""
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="paperledge-")))
        return cls(root)

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


def _touch(path: Path) -> None:
    """Mark an entry as just used: `cache prune` removes the least recently used first and
    spares what a running render has just been served."""
    try:
        os.utime(path)
    except OSError:  # a read-only cache still serves its entries
        pass
