"""EPISODE.check.json: whose it is, which MP3 it heard, and whether it still holds; and
the other files `render --check` writes beside the MP3 (the review page, the takes)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .errors import PaperLedgeError
from .files import sha256_file

CHECK_MARK = "paperledge check: what was heard in the MP3 with this checksum"


sha256 = sha256_file  # a check records the SHA-256 of the MP3 it heard


def check_path(mp3: Path) -> Path:
    return Path(mp3).with_suffix(".check.json")


def valid_report(mp3: Path) -> dict | None:
    """EPISODE.check.json beside `mp3` if it heard this very MP3 and found it whole; else None."""
    try:
        data = json.loads(check_path(mp3).read_text(encoding="utf-8"))
        ok = isinstance(data, dict) and data.get("mp3_sha256") == sha256(Path(mp3)) and not data.get("failures")
        return data if ok and isinstance(data.get("wer"), (int, float)) and math.isfinite(data["wer"]) else None
    except (OSError, ValueError):
        return None


def void_check(mp3: Path) -> None:
    """A new MP3 at this path: the check and review page of the old one go (if ours)."""
    for path in (check_path(mp3), Path(mp3).with_suffix(".review.html")):
        if path.is_file() and not path.is_symlink() and ours(path):
            path.unlink(missing_ok=True)


def ours(path: Path) -> bool:
    """Whether `path` (a check file, review page or takes file) was written by paperledge."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if path.name.endswith(".review.html"):
        return '<meta name="generator" content="paperledge review">' in text or "<header><h1>Review: " in text
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    if path.name.endswith(".takes.json"):
        return isinstance(data.get("takes"), dict) and "about" in data
    return isinstance(data.get("sentences"), list) and "wer" in data


def refuse_foreign(mp3: Path) -> None:
    """Refuse to replace a check file, review page or takes file that is not ours."""
    for suffix in (".check.json", ".review.html", ".takes.json"):
        path = Path(mp3).with_suffix(suffix)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise PaperLedgeError(f"{path} exists and is not a regular file; refusing to replace it, choose another -o")
        if path.is_file() and path.stat().st_size and not ours(path):
            raise PaperLedgeError(f"{path} exists and was not written by paperledge; move it away or choose another -o")


def write_check_json(path: Path, report, extra: dict | None = None) -> None:
    """`report` (a check.CheckReport) as EPISODE.check.json."""
    from .files import write_atomic

    write_atomic(path, json.dumps(report.as_file(extra), indent=1, ensure_ascii=False) + "\n")
