"""The importer's manifest (which scripts it wrote, for which episode) and the scripts
already in the output folder, as the importer sees them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

from ..errors import PaperLedgeError
from ..files import check_shape, read_bytes, read_json, write_atomic
from .page_metadata import episode_key

MANIFEST_NAME: Final = ".imported.json"
"""Inside the output folder: {"format": 2, "scripts": {file name: {"sha256": hash of the
text the importer wrote, "episode": the episode's key}}}. The first format (file name ->
hash) is still read; it is rewritten in this one."""
MANIFEST_FORMAT: Final = 2


@dataclass
class ManifestEntry:
    sha256: str
    key: str | None
    """None for entries of the first manifest format, which did not record it."""


@dataclass
class ExistingScript:
    """A script already in the output folder."""

    path: Path
    sha256: str
    pristine: bool
    """Exactly as the importer wrote it (its manifest hash matches)."""
    key: str | None
    """Its episode: from the manifest, else from its front matter (date and title)."""
    number: int | None
    """Its episode number: front matter, else the file name's leading digits."""
    date: dt.date | None
    from_importer: bool


def existing_scripts(out_dir: Path, manifest: dict[str, ManifestEntry]) -> dict[str, ExistingScript]:
    found: dict[str, ExistingScript] = {}
    for path in sorted(out_dir.glob("*.md")):
        if not path.is_file():
            continue
        raw = read_bytes(path, "existing script")
        digest = hashlib.sha256(raw).hexdigest()
        entry = manifest.get(path.name)
        meta = _front_matter(raw)
        date = meta.get("date")
        date = date if isinstance(date, dt.date) and not isinstance(date, dt.datetime) else None
        title = meta.get("title")
        key = entry.key if entry is not None and entry.key else None
        if key is None and date is not None and isinstance(title, str) and title.strip():
            key = episode_key(date, title)
        number = meta.get("episode")
        if isinstance(number, bool) or not isinstance(number, int):
            m = re.match(r"(\d+)[-_ ]", path.name)
            number = int(m.group(1)) if m else None
        if entry is not None and entry.key and date is None:
            date = _key_date(entry.key)
        found[path.name] = ExistingScript(
            path=path,
            sha256=digest,
            pristine=entry is not None and entry.sha256 == digest,
            key=key,
            number=number,
            date=date,
            from_importer=entry is not None,
        )
    return found


def _key_date(key: str) -> dt.date | None:
    """The date an episode key starts with ("2025-04-10/title"), if a real one."""
    if not re.match(r"[0-9]{4}-[0-9]{2}-[0-9]{2}/", key):
        return None
    try:
        return dt.date.fromisoformat(key[:10])
    except ValueError:  # a key from a damaged manifest: "2025-13-45/..."
        return None


def _front_matter(raw: bytes) -> dict:
    """A script's front matter as a dict; {} when it has none or it does not parse."""
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return {}
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    try:
        meta = yaml.safe_load(text[4:end])
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return {}
    return meta if isinstance(meta, dict) else {}


def load_manifest(out_dir: Path) -> dict[str, ManifestEntry]:
    path = out_dir / MANIFEST_NAME
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        data = read_json(path, "import manifest")
        if "scripts" in data and isinstance(data.get("format"), int):
            scripts = check_shape(data, _SHAPE, str(path))["scripts"]
            return {name: ManifestEntry(value["sha256"], value.get("episode")) for name, value in scripts.items()}
        # The first format: file name -> hash.
        return {name: ManifestEntry(digest, None) for name, digest in check_shape(data, {str: str}, str(path)).items()}
    except PaperLedgeError as e:
        raise PaperLedgeError(f"{e}; delete it (edited scripts will then be kept, use --force to regenerate them)") from None


_SHAPE = {"format": int, "scripts": {str: {"sha256": str, "episode?": (str, type(None))}}}


def save_manifest(out_dir: Path, manifest: dict[str, ManifestEntry]) -> None:
    scripts = {name: {"sha256": e.sha256, "episode": e.key} for name, e in sorted(manifest.items())}
    write_atomic(out_dir / MANIFEST_NAME, json.dumps({"format": MANIFEST_FORMAT, "scripts": scripts}, indent=2) + "\n")
