"""The process's resource limits, named when they stop a render.

Under `ulimit -v` (RLIMIT_AS) or `ulimit -n` (RLIMIT_NOFILE) the libraries below us fail in
their own words: onnxruntime's `std::bad_alloc`, "failed to map segment from shared object"
from an import, numpy's MemoryError, "can't start new thread", espeak-ng's "Failed to set
voice" when it cannot open its data. A user can act only on the limit itself, so each of
these becomes one line that names it.
"""

from __future__ import annotations

import errno
import os
import resource

from ..errors import PaperLedgeError

_MEMORY_WORDS = (
    "bad_alloc",
    "failed to map segment",
    "cannot allocate memory",
    "out of memory",
    "can't start new thread",
    "unable to allocate",
    "failed to allocate memory",
)
_FILES_WORDS = ("too many open files",)


def _soft(limit: int) -> int | None:
    soft, _ = resource.getrlimit(limit)
    return None if soft == resource.RLIM_INFINITY else soft


def out_of_memory(what: str = "") -> str:
    """One line for memory that ran out: the limit when one is set, else what to free."""
    doing = f" to {what}" if what else ""
    limit = _soft(resource.RLIMIT_AS)
    if limit is not None:
        return (
            f"not enough memory{doing} (the process is limited to {limit // (1 << 20)} MB: ulimit -v); "
            "raise the limit, or lower --jobs"
        )
    return f"not enough memory{doing}; close other programs, or lower --jobs"


def too_many_files() -> str:
    limit = _soft(resource.RLIMIT_NOFILE)
    shown = "no limit" if limit is None else f"limit {limit}"
    return f"too many open files ({shown}: ulimit -n); raise the limit, e.g. ulimit -n 1024"


def near_file_limit() -> bool:
    """Whether this process has (nearly) all the files it may open open now."""
    limit = _soft(resource.RLIMIT_NOFILE)
    if limit is None:
        return False
    try:
        return len(os.listdir("/proc/self/fd")) >= limit - 4
    except OSError:
        try:
            os.close(os.dup(0))
        except OSError as e:
            return e.errno == errno.EMFILE
        return False


def resource_problem(error: BaseException, what: str = "") -> str | None:
    """The one line that names the limit behind `error` (or an error it was raised from,
    or while handling), or None when no limit is to blame. `what`: what was being done
    ("load the voice")."""
    seen = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, PaperLedgeError):  # our own line may quote a script's words: only its cause counts
            e = e.__cause__ or e.__context__
            continue
        text = str(e).lower()
        if isinstance(e, MemoryError) or isinstance(e, OSError) and e.errno == errno.ENOMEM:
            return out_of_memory(what)
        if isinstance(e, OSError) and e.errno in (errno.EMFILE, errno.ENFILE) or any(w in text for w in _FILES_WORDS):
            return too_many_files()
        if any(w in text for w in _MEMORY_WORDS):
            # A library could not map or allocate; an exhausted descriptor table reads alike.
            return too_many_files() if near_file_limit() else out_of_memory(what)
        if "failed to set voice" in text:  # espeak-ng could not open its voice data
            return too_many_files() if near_file_limit() else None
        e = e.__cause__ or e.__context__
    return None
