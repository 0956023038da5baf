"""The season's GUID ledger (.episode-guids.json beside feed.xml): MP3 name -> {"guid",
"key", "engine"} for every episode a feed of that folder published. An episode's GUID is
for ever, so the ledger is never silently taken as empty: a damaged one is one line."""

from __future__ import annotations

from pathlib import Path

from ..files import check_shape, read_json
from .feed import GUID_LEDGER

_SHAPE = {str: {"guid": str, "key?": str, "engine?": str}}
_HINT = "restore it from a backup (without it the episodes would get new GUIDs and be downloaded again)"


def read_ledger(folder: Path) -> dict[str, dict]:
    """The ledger in `folder` ({} where there is none yet)."""
    path = Path(folder) / GUID_LEDGER
    if not path.exists() and not path.is_symlink():
        return {}
    return check_shape(read_json(path, "GUID ledger"), _SHAPE, str(path), hint=_HINT)
