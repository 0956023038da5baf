"""Content Credentials: the signing key (keys.py), signing a finished file (sign.py) and
reading a file's credentials back (read.py)."""

from __future__ import annotations

from pathlib import Path

from ..config import SHOW_FILE
from ..show import ShowSettings, show_root
from .keys import CHAIN_FILE, KEY_FILE, KeyError_, SigningKey, init_keys, load_key, say
from .read import Credentials, read_credentials
from .sign import EpisodeFacts, derived_manifest, manifest, prove, sign_in_place

__all__ = [
    "Credentials",
    "EpisodeFacts",
    "SigningKey",
    "derived_manifest",
    "manifest",
    "read_credentials",
    "sign_derived",
    "sign_derived_with",
    "sign_in_place",
    "signing_key_for",
]


def signing_key_for(show: ShowSettings, sign: bool = True, show_folder: Path | None = None) -> SigningKey | None:
    """The key a render signs with, checked before anything is synthesised; None when the
    show or the command asks for no signing. The show's own certificate when show.toml names
    one; else this user's key, made on first use (and said in one line)."""
    if not (sign and show.sign):
        return None
    if show.signing_certificate or show.signing_key:
        if not (show.signing_certificate and show.signing_key):
            raise KeyError_("show.toml names only one of signing_certificate and signing_key; give both")
        key_path, chain_path = Path(show.signing_key), Path(show.signing_certificate)
        if show_folder is not None and _within(key_path, show_folder):
            raise KeyError_(
                f"{key_path}: the signing key is inside the show folder, which travels and is "
                "published; keep it in your config folder (~/.config/paperledge/)"
            )
        key = load_key(key_path, chain_path)
        prove(key)
        return key
    folder, made = init_keys()
    if made:
        say(f"made a signing key for Content Credentials in {folder} (paperledge keys show prints it)")
    return load_key(folder / KEY_FILE, folder / CHAIN_FILE)


def sign_derived(path: Path, parent: Path, show: ShowSettings, sign: bool = True, label: Path | None = None) -> bool:
    """Sign `path` (an M4A or MP4 made from the signed MP3 `parent`), with the MP3 as its parent
    ingredient: its manifest says it was transcoded from a file made by AI. False when the show
    or the command asks for no signing."""
    key = signing_key_for(show, sign)
    if key is None:
        return False
    sign_derived_with(path, parent, key, label)
    return True


def sign_derived_with(path: Path, parent: Path, key: SigningKey, label: Path | None = None) -> None:
    """`sign_derived` with a key already checked (the Ray driver holds one per season)."""
    sign_in_place(path, derived_manifest(read_credentials(parent).title or parent.stem), key, label, parent=parent)


def _within(path: Path, script_folder: Path) -> bool:
    """Whether `path` lies in the script's folder or in a show folder (one with a show.toml):
    the files that travel with the show and are published."""
    target = path.resolve()
    folders = [script_folder] + ([show_root()] if (show_root() / SHOW_FILE).is_file() else [])
    return any(target.is_relative_to(f.resolve()) for f in folders)
