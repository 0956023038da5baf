"""Reading a user's text file, and writing files so that no reader ever sees half of one.

Everything is written to a temporary file beside its destination (same file system)
and renamed into place: a failed or interrupted write leaves the old file, or none.
A temporary file's name carries the writing process's id, so a later run removes
what a killed one left behind (`remove_stale_temps`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import PaperLedgeError, RenderError

_UMASK = os.umask(0o022)
os.umask(_UMASK)


# .<stem>.pl<pid>-<random><suffix>: the stem is cut so that any legal output name fits.
_TEMP = re.compile(r"^\..*\.pl(\d+)-[A-Za-z0-9_]+\.[\w.]*part$")
_STEM_MAX = 100


def temp_beside(path: Path, suffix: str) -> Path:
    """A fresh temporary file in `path`'s folder, with the usual permissions.
    `suffix` must end in "part", the mark `remove_stale_temps` looks for."""
    prefix = f".{path.stem[:_STEM_MAX]}.pl{os.getpid()}-"
    try:
        fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    except OSError as e:
        raise RenderError(f"cannot write in {path.parent} ({e.strerror}); choose another output folder") from None
    os.close(fd)
    os.chmod(name, 0o666 & ~_UMASK)  # mkstemp makes 0600
    return Path(name)


def remove_stale_temps(folder: Path) -> list[Path]:
    """Remove temporary files in `folder` whose writing process is gone (killed, or
    the machine restarted); files of running processes are left alone."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _TEMP.match(name)
        if m and not _alive(int(m.group(1))):
            try:
                (folder / name).unlink()
                removed.append(folder / name)
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def reason(e: OSError) -> str:
    """An OSError in a few plain words."""
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    if e.errno == errno.ENAMETOOLONG:
        return "the file name is too long for the file system"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "not allowed to write there"
    return (e.strerror or str(e)).lower()


def write_problem(path: Path | str, e: OSError) -> str:
    """What went wrong writing `path`, said so that a user can act on it."""
    if e.errno == errno.ENAMETOOLONG:
        return f"cannot write {path}: {reason(e)}; choose a shorter name"
    return f"cannot write {path}: {reason(e)}; free some space or choose another folder"


@contextmanager
def checked_write(path: Path | str):
    """Every OSError inside becomes one RenderError naming `path`."""
    try:
        yield
    except OSError as e:
        raise RenderError(write_problem(path, e)) from None


def write_whole(tmp: Path, data: bytes | str, path: Path) -> None:
    """`data` into `tmp`, flushed to the disk; a failure is a RenderError naming `path`."""
    with checked_write(path), open(tmp, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())  # a full disk shows here, not after the rename


def write_atomic(path: Path, data: bytes | str) -> None:
    tmp = temp_beside(path, ".part")
    try:
        write_whole(tmp, data, path)
        with checked_write(path):
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


def counted(n: int, one: str, many: str | None = None) -> str:
    """"1 entry", "2 entries": a count with its noun in the right number."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time: what a check or an approval
    records of the MP3 it belongs to."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
