"""Reading a user's text file, and writing files so that no reader ever sees half of one.

Everything is written to a temporary file beside its destination (same file system)
and renamed into place: a failed or interrupted write leaves the old file, or none.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import PaperLedgeError, RenderError

_UMASK = os.umask(0o022)
os.umask(_UMASK)


def temp_beside(path: Path, suffix: str) -> Path:
    """A fresh temporary file in `path`'s folder, with the usual permissions."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    except OSError as e:
        raise RenderError(f"cannot write in {path.parent} ({e.strerror}); choose another output folder") from None
    os.close(fd)
    os.chmod(name, 0o666 & ~_UMASK)  # mkstemp makes 0600
    return Path(name)


def write_atomic(path: Path, data: bytes | str) -> None:
    tmp = temp_beside(path, ".part")
    try:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_text(path: Path, what: str, error: type[PaperLedgeError] = PaperLedgeError) -> str:
    """A UTF-8 text file's contents with newlines made plain; `what` names it in errors."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what} file") from None
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(f"{path}: line {line} is not UTF-8 text; save the {what} as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
