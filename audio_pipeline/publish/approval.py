"""Approval: EPISODE.approved.json beside the MP3 records the checksum of the MP3 a
producer approved. An MP3 changed since (rendered again, edited, replaced) is no longer
approved, whatever the file says."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from ..errors import PaperLedgeError
from ..files import check_shape, read_json, sha256_file, write_atomic

APPROVED_SUFFIX = ".approved.json"
_AGAIN = "move it away and approve the episode again"


def approval_path(mp3: Path) -> Path:
    return Path(mp3).with_suffix(APPROVED_SUFFIX)


def approve(mp3: Path) -> dict:
    """Record `mp3` as approved, as it is now; returns what was written."""
    mp3 = Path(mp3)
    if not mp3.is_file():
        raise PaperLedgeError(f"{mp3} is not rendered yet; render the episode before approving it")
    record = {
        "about": "this episode was approved as the MP3 with this SHA-256; any other MP3 is not approved",
        "mp3": mp3.name,
        "sha256": sha256_file(mp3),
        "approved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_atomic(approval_path(mp3), json.dumps(record, indent=1) + "\n")
    return record


def is_approved(mp3: Path) -> bool:
    """True when `mp3` is exactly the MP3 a producer approved."""
    mp3, path = Path(mp3), approval_path(mp3)
    if not path.exists() and not path.is_symlink():
        return False
    # An approval that cannot be read is one line naming it, never silently "not approved".
    record = check_shape(read_json(path, "approval"), {"sha256": str}, str(path), hint=_AGAIN)
    try:
        return mp3.is_file() and record["sha256"] == sha256_file(mp3)
    except OSError:
        return False
