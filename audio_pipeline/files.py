"""Reading a user's text file, and writing files so that no reader ever sees half of one.

Everything is written to a temporary file beside its destination (same file system)
and renamed into place: a failed or interrupted write leaves the old file, or none.
A temporary file's name carries the writing process's id, so a later run removes
what a killed one left behind (`remove_stale_temps`).
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
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
    removed: list[Path] = []
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


# A file we read back is never larger than this: a larger one is hostile or not ours.
MAX_READ_BYTES = 64 * 1024 * 1024
# Our JSON files nest a few levels; deeper is hostile (and would exhaust Python's stack).
MAX_JSON_DEPTH = 32
# Our JSON files (state, ledgers, chapters, reports) are kilobytes; a cap keeps a hostile one cheap.
MAX_JSON_BYTES = 16 * 1024 * 1024


def read_bytes(path: Path, what: str, error: type[PaperLedgeError] = PaperLedgeError, limit: int = MAX_READ_BYTES) -> bytes:
    """A regular file's bytes, or one `error` line naming it: a FIFO, a device or a folder
    is refused without blocking (opened non-blocking, checked with fstat before reading),
    and so is a file over `limit` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what} file") from None
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({(e.strerror or str(e)).lower()})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{path}: is a folder, not a {what} file")
        if not stat.S_ISREG(st.st_mode):
            raise error(f"{path}: is not a regular file (a pipe or a device); give the {what} as a file")
        if st.st_size > limit:
            raise error(f"{path}: the {what} is {st.st_size:,} bytes, more than {limit:,}; is it the right file?")
        with os.fdopen(fd, "rb", closefd=True) as f:
            fd = -1
            data = f.read(limit + 1)
    except OSError as e:
        raise error(f"{path}: cannot read the {what} ({(e.strerror or str(e)).lower()})") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise error(f"{path}: the {what} is more than {limit:,} bytes; is it the right file?")
    return data


def regular_file(path: Path, error: type[PaperLedgeError] = PaperLedgeError) -> bool:
    """Whether `path` (links followed) is a regular file; False when nothing is there. A FIFO,
    a device or a folder there is one `error` line naming it: a reader would block on it, and
    skipping it would silently use another file instead."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as e:
        raise error(f"{path}: cannot read it ({(e.strerror or str(e)).lower()})") from None
    if not stat.S_ISREG(mode):
        raise error(f"{path}: is not a regular file (a pipe, a device or a folder); replace it with a file or remove it")
    return True


def read_text(path: Path, what: str, error: type[PaperLedgeError] = PaperLedgeError, limit: int = MAX_READ_BYTES) -> str:
    """A UTF-8 text file's contents with newlines made plain; `what` names it in errors."""
    raw = read_bytes(path, what, error, limit)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(f"{path}: line {line} is not UTF-8 text; save the {what} as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, strings skipped: measured
    before parsing, since the parser itself would overflow Python's stack."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def parse_json(text: str, where: str, error: type[PaperLedgeError] = PaperLedgeError, expect: type = dict):
    """`text` parsed as JSON of type `expect`, or one `error` line naming `where`: deep
    nesting, NaN, Infinity and numbers that overflow to infinity (1e999) are refused."""
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise error(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep; not a file this tool wrote")
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as e:
        why = "a number too long" if "int_max_str_digits" in str(e) else " ".join(str(e).split())[:120]
        raise error(f"{where}: not valid JSON ({why})") from None
    if not isinstance(data, expect):
        kinds: dict[type, str] = {dict: "a JSON object", list: "a JSON array"}
        kind = kinds.get(expect, expect.__name__)
        raise error(f"{where}: must hold {kind}, not {type(data).__name__}; not a file this tool wrote")
    return data


def read_json(
    path: Path, what: str, error: type[PaperLedgeError] = PaperLedgeError, expect: type = dict, limit: int = MAX_JSON_BYTES
):
    """A JSON file of ours read back: a regular file of at most `limit` bytes, UTF-8,
    parsed by `parse_json`; anything else is one `error` line naming the file."""
    return parse_json(read_text(path, what, error, limit), str(path), error, expect)


@dataclass(frozen=True)
class Number:
    """A JSON number from `low` to `high`; `whole`: an integer (never a bool)."""

    low: float = -math.inf
    high: float = math.inf
    whole: bool = False


def check_shape(
    value, shape, where: str, error: type[PaperLedgeError] = PaperLedgeError, hint: str = "not a file this tool wrote"
):
    """`value` (parsed JSON) when it has `shape`, else one `error` line naming `where`, the
    first field that differs and `hint`. A shape is str, bool, int, float (any finite number),
    type(None), a Number, a tuple of shapes (any one of them), [shape] (a list of those),
    {str: shape} (an object with any keys) or {"field": shape, "other?": shape} (an object
    with these fields, "?" marking one that may be missing; other fields are let be)."""
    problem = _shape_problem(value, shape, "")
    if problem:
        raise error(f"{where}: {problem}; {hint}")
    return value


_KINDS = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    type(None): "null",
    list: "a list",
    dict: "an object",
}


def _kind(shape) -> str:
    if isinstance(shape, tuple):
        return " or ".join(_kind(s) for s in shape)
    if isinstance(shape, Number):
        kind = "a whole number" if shape.whole else "a number"
        return f"{kind} from {shape.low:g} to {shape.high:g}"
    return _KINDS.get(shape if isinstance(shape, type) else type(shape), str(shape))


def _fits(value, shape) -> bool:
    """Whether `value` is of the scalar `shape` (a bool is no number)."""
    if isinstance(shape, Number):
        if isinstance(value, bool) or not isinstance(value, int if shape.whole else (int, float)):
            return False
        return shape.low <= value <= shape.high
    if shape in (int, float):
        return not isinstance(value, bool) and isinstance(value, int if shape is int else (int, float))
    return isinstance(value, shape)


def _shape_problem(value, shape, at: str) -> str:
    name = f"{at} " if at else ""
    if isinstance(shape, tuple):
        if any(not _shape_problem(value, s, at) for s in shape):
            return ""
    elif isinstance(shape, list):
        if isinstance(value, list):
            for n, item in enumerate(value):
                if problem := _shape_problem(item, shape[0], f"{at}[{n}]"):
                    return problem
            return ""
    elif isinstance(shape, dict):
        if isinstance(value, dict):
            if list(shape) == [str]:
                for key, item in value.items():
                    if problem := _shape_problem(item, shape[str], f"{at}[{_quoted(key)}]"):
                        return problem
                return ""
            for field, inner in shape.items():
                key = field.removesuffix("?")
                if key not in value:
                    if field.endswith("?"):
                        continue
                    return f"{name}has no field {key!r}".lstrip()
                if problem := _shape_problem(value[key], inner, f"{at}.{key}" if at else key):
                    return problem
            return ""
    elif _fits(value, shape):
        return ""
    return f"{name}must be {_kind(shape)}, not {_described(value)}".lstrip()


def _quoted(text: str) -> str:
    """A short, printable quote of a key read from a file (it may be hostile)."""
    return ascii(text[:30] + ("…" if len(text) > 30 else ""))


def _described(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = str(value) if not isinstance(value, int) or value.bit_length() < 64 else "a huge number"
        return text[:24]
    return {str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def counted(n: int, one: str, many: str | None = None) -> str:
    """ "1 entry", "2 entries": a count with its noun in the right number."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read a megabyte at a time: what a check or an approval
    records of the MP3 it belongs to."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
