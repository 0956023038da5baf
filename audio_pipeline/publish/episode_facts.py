"""What a season reads of each episode, kept so that the back catalogue is not read again.

OUTDIR/.episode-facts.json holds, keyed by content (SHA-256), what the season and its feed
take from each script (its voices, its feed item's text) and from each rendered episode (its
MP3 and sidecars whole, its duration, chapters and soundbite). A script or an MP3 whose bytes
changed is read again; size and mtime are never trusted. The file is a cache: a damaged one,
or one of another version, is ignored and rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import cast

from mutagen import MutagenError
from mutagen.mp3 import MP3, MPEGInfo

from ..audio.export import check_complete, soundbite_of
from ..audio.sidecars import all_sidecar_paths, is_sidecar, read_chapters, sidecar_paths
from ..errors import PaperLedgeError
from ..files import read_json, write_atomic
from ..script.cast import host_of, people_of
from ..script.read import read_script
from ..show import ShowSettings
from .alternates import KINDS, SEASON_STATE, Alternate, state_key
from .verdicts import code_digest, file_digest

FACTS = ".episode-facts.json"
_SCHEMA = 2
_CODE = (
    "publish/episode_facts.py",
    "script/read.py",
    "script/front_matter.py",
    "script/cast.py",
    "script/episode.py",
    "audio/sidecars.py",
    "audio/export.py",
    "publish/alternates.py",
)


class EpisodeFacts:
    """The facts of one output folder: loaded once, read by content, saved with `save`."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / FACTS
        self.version = f"{_SCHEMA} {code_digest(_CODE)}"
        old = self._load()
        self.scripts: dict[str, dict] = old.get("scripts", {})
        self.mp3s: dict[str, dict] = old.get("mp3s", {})
        self.alts: dict[str, dict] = old.get("alternates", {})
        self.state: dict | None = None
        self.used: set[str] = set()
        self.known: dict[Path, dict | None] = {}
        self.changed = False

    def _load(self) -> dict:
        try:
            data = read_json(self.path, "episode facts")
        except PaperLedgeError:
            return {}
        ok = (
            data.get("version") == self.version
            and isinstance(data.get("scripts"), dict)
            and isinstance(data.get("mp3s"), dict)
            and isinstance(data.get("alternates"), dict)
            and all(isinstance(v, dict) for part in ("scripts", "mp3s", "alternates") for v in data[part].values())
        )
        return data if ok else {}

    def script(self, script: Path, show: ShowSettings) -> dict:
        """Voices and feed text of a script (a script that does not read raises, as read_script)."""
        digest = file_digest(script)
        key = (
            hashlib.sha256(
                f"{self.version}\0{script.name}\0{digest}\0{json.dumps(show.cast, sort_keys=True)}".encode()
            ).hexdigest()
            if digest and digest != "missing"
            else None
        )
        if key and key in self.scripts and _script_shape(self.scripts[key]):
            self.used.add(key)
            return self.scripts[key]
        facts = script_facts(script, show)
        if key and file_digest(script) == digest:  # unchanged while read: the facts are of these bytes
            self.scripts[key] = facts
            self.used.add(key)
            self.changed = True
        return facts

    def rendered(self, mp3: Path) -> dict | None:
        """{"duration", "chapters", "soundbite"} of a whole render (MP3 and sidecars there and
        whole), or None where it is not. Read once per run: `forget` it once it is rendered again."""
        if mp3 in self.known:
            return self.known[mp3]
        self.known[mp3] = found = self._rendered(mp3)
        return found

    def forget(self, mp3: Path) -> None:
        self.known.pop(mp3, None)

    def _rendered(self, mp3: Path) -> dict | None:
        parts = [mp3, *all_sidecar_paths(mp3)]
        digests = [file_digest(p) for p in parts]
        if any(d in (None, "missing") for d in digests):
            return None
        key = hashlib.sha256(f"{self.version}\0{mp3.name}\0{digests}".encode()).hexdigest()
        if key in self.mp3s and _mp3_shape(self.mp3s[key]):
            self.used.add(key)
            return self.mp3s[key]
        facts = _read_render(mp3)
        if facts is not None and [file_digest(p) for p in parts] == digests:
            self.mp3s[key] = facts
            self.used.add(key)
            self.changed = True
        return facts

    def alternates(self, mp3: Path) -> list[Alternate]:
        """The alternates beside `mp3` made from these very bytes (the season state says which MP3
        made each): what the feed lists of each, kept by content so that no audio is read again."""
        if self.state is None:
            try:
                self.state = read_json(self.path.parent / SEASON_STATE, "season state")
            except PaperLedgeError:
                self.state = {}
        source, out = file_digest(mp3), []
        for kind in KINDS.values():
            path = mp3.with_suffix(kind.suffix)
            digest = file_digest(path) if self.state.get(state_key(path)) == source else None
            if digest in (None, "missing"):
                continue
            key = hashlib.sha256(f"{self.version}\0{path.name}\0{digest}".encode()).hexdigest()
            if not _alternate_shape(self.alts.get(key)):
                self.alts[key] = {
                    "mime": kind.mime,
                    "bitrate": kind.bitrate,
                    "length": path.stat().st_size,
                    "title": kind.title,
                    "codecs": kind.codecs,
                }
                self.changed = True
            self.used.add(key)
            out.append(Alternate(path, **self.alts[key]))
        return out

    def save(self) -> None:
        """Keep the facts used now (those of scripts and files gone are dropped)."""
        scripts = {k: v for k, v in self.scripts.items() if k in self.used}
        mp3s = {k: v for k, v in self.mp3s.items() if k in self.used}
        alts = {k: v for k, v in self.alts.items() if k in self.used}
        if not self.changed and len(scripts) == len(self.scripts) and len(mp3s) == len(self.mp3s) and len(alts) == len(self.alts):
            return
        try:
            write_atomic(
                self.path, json.dumps({"version": self.version, "scripts": scripts, "mp3s": mp3s, "alternates": alts}).encode()
            )
        except (OSError, PaperLedgeError):
            pass  # the next run reads the episodes again


def script_facts(script: Path, show: ShowSettings) -> dict:
    """What the season and its feed take from a script, read now (a script that does not read raises)."""
    episode = read_script(script, show_cast=show.cast)
    meta, host = episode.meta, host_of(episode.cast)
    return {
        "voice": meta.voice,
        "host_voice": episode.cast.get(host),
        "cast": [v for n, v in episode.cast.items() if n != host],
        "title": meta.title,
        "description": meta.description,
        "authors": list(meta.authors),
        "date": meta.date.isoformat() if meta.date else None,
        "season": meta.season,
        "episode": meta.episode,
        "category": meta.category,
        "soundbite_title": meta.soundbite.title if meta.soundbite else None,
        "people": [list(p) for p in people_of(episode.cast, {st.speaker for st in episode.sentences()})],
        "ai_content": meta.ai_content,
    }


def _read_render(mp3: Path) -> dict | None:
    if not all(is_sidecar(p) for p in all_sidecar_paths(mp3)):
        return None
    try:
        check_complete(mp3, 0.0)
        chapters = read_chapters(sidecar_paths(mp3)[1])[1]
        duration = cast(MPEGInfo, MP3(mp3).info).length  # mutagen declares FileType.info as None
    except (PaperLedgeError, MutagenError, OSError):
        return None
    bite = soundbite_of(mp3)
    return {"duration": duration, "chapters": [[t, title] for t, title in chapters], "soundbite": list(bite) if bite else None}


def _script_shape(f: dict) -> bool:
    try:
        if f["date"] is not None:
            dt.date.fromisoformat(f["date"])
        return (
            isinstance(f["title"], str)
            and isinstance(f["description"], str)
            and isinstance(f["authors"], list)
            and isinstance(f["cast"], list)
            and isinstance(f["people"], list)
            and all(isinstance(p, list) and len(p) == 2 for p in f["people"])
        )
    except (KeyError, TypeError, ValueError):
        return False


def _alternate_shape(f) -> bool:
    return (
        isinstance(f, dict)
        and set(f) == {"mime", "bitrate", "length", "title", "codecs"}
        and all(isinstance(f[k], int) and not isinstance(f[k], bool) for k in ("bitrate", "length"))
        and all(isinstance(f[k], str) for k in ("mime", "title", "codecs"))
    )


def _mp3_shape(f: dict) -> bool:
    try:
        return (
            isinstance(f["duration"], (int, float))
            and all(len(c) == 2 for c in f["chapters"])
            and (f["soundbite"] is None or len(f["soundbite"]) == 2)
        )
    except (KeyError, TypeError):
        return False
