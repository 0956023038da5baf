"""Looking after the sentence cache: what it holds (`cache info`), keeping it under a size
(`cache prune`, least recently used first) and emptying it (`cache clear`).

The entries themselves (cache.py) are named by a hash of the engine's fingerprint and the
spoken text, so they do not say whose they are. Each render therefore notes, under
CACHE/index/, the fingerprint of the voice it used (engine, voice names) and the keys of
the entries it used; `info` reads that to group entries by voice. The notes are
bookkeeping only: an entry missing from them is still a good entry.

Last use is the entry's modification time: the cache touches an entry each time it serves
it, and `prune` never removes one used in the last CACHE_PRUNE_GRACE_S, so it is safe to
run while renders are running (a render reads the entries it was served within that time).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import CACHE_PRUNE_GRACE_S
from ..errors import PaperLedgeError
from ..files import check_shape, read_json, read_text

INDEX = "index"
_SHARD = re.compile(r"[0-9a-f]{2}")
_ENTRY = re.compile(r"[0-9a-f]{64}\.pcm")
_KEY = re.compile(r"[0-9a-f]{64}")
UNATTRIBUTED = "(no record of its voice)"


def _index_name(fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode()).hexdigest()[:24]


def record_use(root: Path, fingerprint: str, voice: str, engine: str, entries: Iterable) -> None:
    """Note that `voice` (on `engine`, with this fingerprint) used these cache entries."""
    index = Path(root) / INDEX
    name = _index_name(fingerprint)
    try:
        index.mkdir(parents=True, exist_ok=True)
        meta_path = index / f"{name}.json"
        meta = _read_meta(meta_path) or {"fingerprint": fingerprint, "engine": engine, "voices": []}
        if voice not in meta["voices"]:
            meta = {**meta, "voices": sorted({*meta["voices"], voice})}
            _write_atomic(meta_path, json.dumps(meta, indent=1).encode())
        keys_path = index / f"{name}.keys"
        known = set(_read_keys(keys_path))
        new = dict.fromkeys(Path(e.path).stem for e in entries if Path(e.path).stem not in known)
        if new:
            # One O_APPEND write: renders running at once add their lines without clobbering each other's.
            fd = os.open(keys_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, "".join(f"{k}\n" for k in new).encode())
            finally:
                os.close(fd)
    except OSError:
        # Bookkeeping for `cache info` only: the render's audio is already safely cached.
        pass


@dataclass
class VoiceUsage:
    label: str
    entries: int = 0
    bytes: int = 0


@dataclass
class CacheInfo:
    root: Path
    entries: int = 0
    bytes: int = 0
    oldest_use: float | None = None
    newest_use: float | None = None
    by_voice: list[VoiceUsage] = field(default_factory=list)


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    used: float


def _entries(root: Path) -> Iterator[_Entry]:
    if not root.is_dir():
        return
    for shard in root.iterdir():
        if not (shard.is_dir() and _SHARD.fullmatch(shard.name)):
            continue
        for path in shard.iterdir():
            if _ENTRY.fullmatch(path.name):
                try:
                    st = path.stat()
                except FileNotFoundError:  # removed by a prune or a damaged-entry check meanwhile
                    continue
                yield _Entry(path, st.st_size, st.st_mtime)


_META_SHAPE = {"engine": str, "voices": [str]}


def _read_meta(path: Path) -> dict | None:
    """An index note ({"fingerprint", "engine", "voices"}), or None where it is missing or
    damaged: the index is bookkeeping, written again by the next render."""
    try:
        return check_shape(read_json(path, "cache index"), _META_SHAPE, str(path))
    except PaperLedgeError:
        return None


def _read_keys(path: Path) -> list[str]:
    """The entry keys an index note lists (only well-formed ones; none where it is damaged)."""
    try:
        text = read_text(path, "cache index")
    except PaperLedgeError:
        return []
    return [k for k in text.split() if _KEY.fullmatch(k)]


def _owners(root: Path) -> dict[str, str]:
    """Entry key -> 'voice, voice (engine)' from the index."""
    owners: dict[str, str] = {}
    index = root / INDEX
    if not index.is_dir():
        return owners
    for meta_path in sorted(index.glob("*.json")):
        meta = _read_meta(meta_path)
        if meta is None:
            continue
        label = f"{', '.join(meta['voices'])} ({meta['engine']})"
        for key in _read_keys(meta_path.with_suffix(".keys")):
            owners.setdefault(key, label)
    return owners


def _check_root(root: Path) -> Path:
    """A cache folder, or none yet (an empty cache); a file there is a mistake, not 0 entries."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise PaperLedgeError(f"{root} is a file, not a cache folder; give --cache-dir a folder")
    return root


def cache_info(root: Path) -> CacheInfo:
    root = _check_root(root)
    info = CacheInfo(root)
    owners = _owners(root)
    usage: dict[str, VoiceUsage] = {}
    for e in _entries(root):
        info.entries += 1
        info.bytes += e.size
        info.oldest_use = e.used if info.oldest_use is None else min(info.oldest_use, e.used)
        info.newest_use = e.used if info.newest_use is None else max(info.newest_use, e.used)
        label = owners.get(e.path.stem, UNATTRIBUTED)
        u = usage.setdefault(label, VoiceUsage(label))
        u.entries += 1
        u.bytes += e.size
    info.by_voice = sorted(usage.values(), key=lambda u: -u.bytes)
    return info


@dataclass
class PruneReport:
    removed: int = 0
    freed: int = 0
    kept: int = 0
    kept_bytes: int = 0
    kept_recent: int = 0
    """Entries over the size that were kept because a render used them within the grace time."""


def prune(root: Path, max_bytes: int, grace_s: float = CACHE_PRUNE_GRACE_S, now: float | None = None) -> PruneReport:
    """Remove least recently used entries until the cache holds at most `max_bytes`,
    never one used in the last `grace_s` seconds."""
    root = _check_root(root)
    root = Path(root)
    now = time.time() if now is None else now
    entries = sorted(_entries(root), key=lambda e: e.used)
    total = sum(e.size for e in entries)
    report = PruneReport()
    for e in entries:
        if total <= max_bytes:
            break
        if e.used > now - grace_s:
            report.kept_recent += 1
            continue
        _remove(e.path)
        total -= e.size
        report.removed += 1
        report.freed += e.size
    _remove_stale_temps(root, now - grace_s)
    _compact_index(root)
    report.kept_bytes = total
    report.kept = len(entries) - report.removed
    return report


def _remove(path: Path) -> bool:
    """Delete one entry; False if it was already gone (another prune got there first)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as err:
        raise PaperLedgeError(f"cannot remove {path} ({err.strerror})") from None
    return True


def clear(root: Path) -> PruneReport:
    """Remove every entry and the index; only files the cache itself names are touched."""
    root = _check_root(root)
    root = Path(root)
    report = PruneReport()
    for e in _entries(root):
        if not _remove(e.path):
            continue
        report.removed += 1
        report.freed += e.size
    _remove_stale_temps(root, time.time())
    index = root / INDEX
    if index.is_dir():
        for path in index.iterdir():
            if path.suffix in (".json", ".keys"):
                path.unlink(missing_ok=True)
    for folder in [*(p for p in root.iterdir() if _SHARD.fullmatch(p.name)), index] if root.is_dir() else []:
        try:
            folder.rmdir()
        except OSError:  # not empty (a render wrote meanwhile) or already gone
            pass
    return report


def _remove_stale_temps(root: Path, before: float) -> None:
    """Temporary files a killed render left behind in the cache's folders."""
    if not root.is_dir():
        return
    for shard in root.iterdir():
        if shard.is_dir() and _SHARD.fullmatch(shard.name):
            for path in shard.glob(".tmp-*"):
                try:
                    if path.stat().st_mtime < before:
                        path.unlink()
                except OSError:
                    pass


def _compact_index(root: Path) -> None:
    """Drop the keys of removed entries from the index (a key a render adds meanwhile may be
    lost: that entry is then only reported without its voice)."""
    index = root / INDEX
    if not index.is_dir():
        return
    present = {e.path.stem for e in _entries(root)}
    for keys_path in index.glob("*.keys"):
        keys = _read_keys(keys_path)
        kept = [k for k in dict.fromkeys(keys) if k in present]
        if len(kept) != len(keys):
            try:
                _write_atomic(keys_path, "".join(f"{k}\n" for k in kept).encode())
            except OSError:
                pass


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(text: str) -> int:
    """'2G', '500M', '1.5GiB', '0', '123456' -> bytes (K, M, G, T are powers of 1024)."""
    m = _SIZE.fullmatch(text)
    if not m:
        raise PaperLedgeError(f"size {text!r} not understood; write e.g. 2G, 500M or 0")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def format_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
