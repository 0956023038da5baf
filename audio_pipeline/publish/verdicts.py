"""What `paperledge validate` found in each published file, kept so that a file is measured
again only when its bytes change.

OUTDIR/.validate-verdicts.json maps the SHA-256 of everything one file's checks read (its
name, its bytes, its sidecars' bytes, the validator's version and settings) to the problems
found. Size and mtime are never trusted: only the bytes are. The file is a cache: one that is
damaged, of another shape, version or settings is ignored and rebuilt, never believed.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Callable

from .. import __version__
from ..config import COVER_MAX_BYTES, RenderConfig
from ..credentials.read import trust_anchors
from ..errors import PaperLedgeError
from ..files import read_json, write_atomic
from .validate_problem import ERROR, NOTE, WARNING, Problem

VERDICTS = ".validate-verdicts.json"
_SCHEMA = 1
_KEPT_UNUSED = 256
"""Verdicts of files no longer there, kept so that a restored copy is not measured again."""
_CODE = (
    "publish/validate_mp3.py",
    "publish/validate_video.py",
    "publish/validate_problem.py",
    "publish/verdicts.py",
    "audio/sidecars.py",
    "audio/ffmpeg.py",
    "audio/export.py",
    "video/probe.py",
    "publish/validate_alternates.py",
    "publish/alternates.py",
    "credentials/read.py",
    "credentials/sign.py",
)


def code_digest(names: tuple[str, ...]) -> str:
    """SHA-256 of the package's own modules a cached result was computed by: a changed checker
    never trusts what an older one found, even within one version number."""
    code = hashlib.sha256(__version__.encode())
    for name in names:
        code.update(name.encode() + b"\0" + (Path(__file__).parents[1] / name).read_bytes())
    return code.hexdigest()


def settings_key(config: RenderConfig) -> str:
    """What a verdict depends on besides the files: the validator's code and its settings."""
    e, m = config.export, config.master
    # Whether a signature is trusted depends on the anchors this user trusts (their own show CA).
    anchors = hashlib.sha256(trust_anchors().encode()).hexdigest()
    return json.dumps(
        [_SCHEMA, code_digest(_CODE), e.bitrate_kbps, e.sample_rate, m.target_lufs, m.true_peak_dbtp, COVER_MAX_BYTES, anchors]
    )


def file_digest(path: Path) -> str | None:
    """'missing', or the SHA-256 of a regular file's bytes; None where it is neither (a FIFO,
    a device, unreadable): such a file is checked every time, never from the cache."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return "missing"
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            h = hashlib.sha256()  # hashlib.file_digest is Python 3.11's
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
            return h.hexdigest()
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


class Verdicts:
    """The verdicts of one folder, loaded once, saved once (`save`)."""

    def __init__(self, folder: Path, config: RenderConfig = RenderConfig()):
        self.folder = Path(folder)
        self.path = self.folder / VERDICTS
        self.settings = settings_key(config)
        self.old = self._load()
        self.used: dict[str, dict] = {}
        self.lengths: dict[str, float | None] = {}
        self.hits = 0
        self.misses = 0

    def _load(self) -> dict[str, dict]:
        try:
            data = read_json(self.path, "validation verdicts")
        except PaperLedgeError:
            return {}  # none yet, or damaged: measured again
        if data.get("settings") != self.settings or not isinstance(data.get("files"), dict):
            return {}
        return {k: v for k, v in data["files"].items() if _well_formed(v)}

    def key(self, name: str, parts: list[Path]) -> str | None:
        """The key of file `name` checked with `parts` (the file first), or None: not cacheable."""
        h = hashlib.sha256(f"{self.settings}\0{name}".encode())
        for part in parts:
            digest = file_digest(part)
            if digest is None:
                return None
            h.update(f"\0{part.name}\0{digest}".encode())
        return h.hexdigest()

    def check(
        self, name: str, parts: list[Path], run: Callable[[], list[Problem]], measure: Callable[[], float | None] | None = None
    ) -> list[Problem]:
        """The problems `run` finds in `parts`, from the cache where these very bytes were checked.
        `measure`: the file's length in seconds, kept with the verdict (see `seconds`)."""
        key = self.key(name, parts)
        if key is not None and key in self.old:
            self.hits += 1
            self.used[key] = found = self.old[key]
            self.lengths[name] = found["seconds"]
            return [Problem(self.folder / n, message, severity) for n, message, severity in found["problems"]]
        self.misses += 1
        problems = run()
        seconds = measure() if measure else None
        if measure:
            self.lengths[name] = seconds
        # Kept only when nothing changed while it was checked: the verdict is of these bytes.
        if key is not None and self.key(name, parts) == key and all(p.path.parent == self.folder for p in problems):
            self.used[key] = {"problems": [[p.path.name, p.message, p.severity] for p in problems], "seconds": seconds}
        return problems

    def seconds(self, mp3: Path) -> float | None:
        """An MP3's length as apps read it: as measured with its verdict, else read now."""
        if mp3.parent == self.folder and mp3.name in self.lengths:
            return self.lengths[mp3.name]
        from .validate_mp3 import mp3_seconds

        return mp3_seconds(mp3)

    def save(self) -> None:
        """Write the verdicts (those used now first, then a few of files gone); a folder that
        cannot be written only costs the next run its measuring."""
        files = dict(self.used)
        for key, value in self.old.items():
            if len(files) >= len(self.used) + _KEPT_UNUSED:
                break
            files.setdefault(key, value)
        if files == self.old and not self.misses:
            return
        try:
            write_atomic(self.path, json.dumps({"settings": self.settings, "files": files}, indent=0).encode())
        except (OSError, PaperLedgeError):
            pass


def _well_formed(value) -> bool:
    """A verdict as `save` writes it: its problems, a list of [name, message, severity], and a length."""
    if not isinstance(value, dict) or set(value) != {"problems", "seconds"}:
        return False
    seconds, value = value["seconds"], value["problems"]
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))):
        return False
    return isinstance(value, list) and all(
        isinstance(p, list)
        and len(p) == 3
        and all(isinstance(s, str) for s in p)
        and p[2] in (ERROR, WARNING, NOTE)
        and p[0]
        and "/" not in p[0]
        and "\\" not in p[0]
        and p[0] not in (".", "..")
        for p in value
    )
