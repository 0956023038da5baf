"""The show folder: a producer's own settings, voices, lexicon, music and cover.

A show folder (`--show DIR`, else $PAPERLEDGE_SHOW, else the current folder) may hold

    show.toml       show name, artist, cover, feed settings, max_spoken_authors
    voices/         voice profiles (NAME.toml), their lexicons, reference clips
    lexicon.toml    the show lexicon (voices/lexicon.toml is read too, for this repository's layout)
    assets/         intro.flac, outro.flac, cover.jpg
    scripts/        episode scripts, one folder per season

Every file it holds overrides the bundled one of the same name, file by file; what it
lacks comes from the package (the PaperLedge show's own files). A season folder's own
show.toml, when there is one, overrides the show folder's key by key.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .config import (
    BUNDLED_ASSETS,
    BUNDLED_VOICES,
    COVER_PX_RANGE,
    DEFAULT_ARTIST,
    SHOW_ASSETS,
    SHOW_ENV,
    SHOW_FILE,
    SHOW_LEXICON,
    SHOW_SCRIPTS,
    SHOW_VOICES,
)
from .errors import PaperLedgeError

SHOW: str = "show"
BUNDLED: str = "bundled"


def show_root() -> Path:
    """The show folder: $PAPERLEDGE_SHOW (the CLI's --show sets it), else the current folder."""
    named = os.environ.get(SHOW_ENV)
    if not named:
        return Path.cwd()
    root = Path(named).expanduser()
    if not root.is_dir():
        raise PaperLedgeError(f"show folder {root} not found; check --show or ${SHOW_ENV}")
    return root.resolve()


def bundled_dir(package: str) -> Path:
    """The folder of a bundled data package (voices or assets) inside the installed package."""
    try:
        folder = resources.files(package)
    except ModuleNotFoundError:
        raise PaperLedgeError(f"the package's bundled data ({package}) is missing; reinstall paperledge-audio") from None
    if not isinstance(folder, Path):  # a zipped install: the engines need real files
        raise PaperLedgeError(f"{package} is not on the file system; install paperledge-audio unzipped (pip does)")
    return folder


@dataclass(frozen=True)
class Found:
    """A file the show folder or the package provides."""

    path: Path
    origin: str
    """"show" or "bundled"."""


def _own_folder(root: Path | None, show_folder: str, package: str) -> Path | None:
    """The show's folder of that kind; None when it is the bundled folder itself (this
    repository's checkout is the PaperLedge show folder, and its files are the bundled ones)."""
    own = (root or show_root()) / show_folder
    if not own.is_dir() or own.resolve() == bundled_dir(package).resolve():
        return None
    return own


def _find(name: str, show_folder: str, package: str, root: Path | None) -> Found | None:
    folder = _own_folder(root, show_folder, package)
    own = folder / name if folder else None
    if own and own.is_file():
        return Found(own, SHOW)
    bundled = bundled_dir(package) / name
    return Found(bundled, BUNDLED) if bundled.is_file() else None


def find_voice_file(name: str, root: Path | None = None) -> Found | None:
    """voices/NAME in the show folder, else in the package."""
    return _find(name, SHOW_VOICES, BUNDLED_VOICES, root)


def find_asset(name: str, root: Path | None = None) -> Found | None:
    """assets/NAME in the show folder, else in the package."""
    return _find(name, SHOW_ASSETS, BUNDLED_ASSETS, root)


def voice_profiles(root: Path | None = None) -> dict[str, Found]:
    """Every voice profile by name: the show's own, then the bundled ones it does not override."""
    found: dict[str, Found] = {}
    for folder, origin in ((_own_folder(root, SHOW_VOICES, BUNDLED_VOICES), SHOW), (bundled_dir(BUNDLED_VOICES), BUNDLED)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            if not path.stem.endswith("lexicon") and path.stem not in found:
                found[path.stem] = Found(path, origin)
    return dict(sorted(found.items()))


def show_lexicon_path(root: Path | None = None) -> Path:
    """The show lexicon: lexicon.toml in the show folder, else its voices/lexicon.toml, else the bundled one."""
    own = (root or show_root()) / SHOW_LEXICON
    if own.is_file():
        return own
    found = find_voice_file(SHOW_LEXICON, root)
    if found is None:
        raise PaperLedgeError("the bundled show lexicon is missing; reinstall paperledge-audio")
    return found.path


def show_files(script_folder: Path | None = None, root: Path | None = None) -> list[Path]:
    """The show.toml files that apply to scripts in `script_folder`, the later one winning."""
    folders = [root or show_root()] + ([script_folder] if script_folder is not None else [])
    files, seen = [], set()
    for folder in folders:
        path = Path(folder) / SHOW_FILE
        if path.is_file() and path.resolve() not in seen:
            seen.add(path.resolve())
            files.append(path)
    return files


def load_settings(script_folder: Path | None = None, root: Path | None = None):
    """The ShowSettings for scripts in `script_folder`: defaults, then the show folder's show.toml,
    then the season folder's own."""
    from .feed import load_show

    files = show_files(script_folder, root)
    settings = load_show(*[p.parent for p in files])
    settings.cast = load_cast(files)
    return settings


def load_cast(files: list[Path]) -> dict[str, str]:
    """The [cast] tables of these show.toml files merged in order, name by name (a season's
    show.toml adds to the show's regulars or changes one's voice); the host stays first."""
    import sys

    from .cast import read_cast

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    cast: dict[str, str] = {}
    for path in files:
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("cast")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue  # load_show has already named what is wrong with the file
        if table is not None:
            cast.update(read_cast(table, f"{path}: [cast]"))
    return cast


def cover_path(settings, root: Path | None = None) -> Path | None:
    """The cover art: show.toml's `cover`, else assets/cover.jpg of the show, else the bundled one."""
    from .assets import COVER

    if settings.cover:
        path = Path(settings.cover)
        if not path.is_file():
            raise PaperLedgeError(f"{SHOW_FILE}: cover {settings.cover} not found")
        cover_art(path)
        return path
    found = find_asset(COVER, root)
    if found:
        cover_art(found.path)
    return found.path if found else None


def inside_show(path: Path, *folders: Path, root: Path | None = None) -> bool:
    """Whether `path` (links resolved) lies in the show folder, the package's bundled files or
    one of `folders`: a settings file may name only files of the show, never /etc/passwd."""
    target = Path(path).resolve()
    allowed = [root or show_root(), bundled_dir(BUNDLED_VOICES), bundled_dir(BUNDLED_ASSETS), *folders]
    return any(target.is_relative_to(Path(folder).resolve()) for folder in allowed)


def cover_art(path: Path) -> tuple[bytes, str]:
    """The cover's bytes and MIME type, if it is what a podcast directory takes: a JPEG or PNG
    that decodes, square, 1400 to 3000 px, RGB. Anything else is one line saying what to fix."""
    from PIL import Image, UnidentifiedImageError

    low, high = COVER_PX_RANGE
    try:
        data = Path(path).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            kind, size, mode = image.format, image.size, image.mode
            image.load()  # a cut-off or damaged file fails here, not in a listener's app
    except OSError as e:
        if isinstance(e, UnidentifiedImageError) or not e.errno:
            raise PaperLedgeError(f"cover {path} is not a JPEG or PNG image that decodes; give the show's cover art") from None
        raise PaperLedgeError(f"cover {path}: cannot read it ({e.strerror})") from None
    except (ValueError, Image.DecompressionBombError, SyntaxError):
        raise PaperLedgeError(f"cover {path} is not a JPEG or PNG image that decodes; give the show's cover art") from None
    if kind not in ("JPEG", "PNG"):
        raise PaperLedgeError(f"cover {path} is a {kind} image; podcast directories take JPEG or PNG")
    if size[0] != size[1] or not low <= size[0] <= high:
        raise PaperLedgeError(f"cover {path} is {size[0]}x{size[1]} px; it must be square, {low} to {high} px")
    if mode != "RGB":
        raise PaperLedgeError(f"cover {path} is in {mode} colour; save it as RGB without transparency")
    return data, "image/jpeg" if kind == "JPEG" else "image/png"


# ---- paperledge init -------------------------------------------------------------------

_SHOW_TOML = '''\
# {title}: settings for every render, season and feed of this show.
# Every key is optional; a season folder may hold its own show.toml that overrides these.

title = "{title}"                 # the show's name: the MP3s' album tag and the feed's title
artist = "{artist}"               # the MP3s' artist tag: the voice listeners hear
author = "{artist}"               # itunes:author in the feed
cover = "assets/cover.jpg"        # square JPEG, at least 1400 px; default: assets/cover.jpg, else the bundled cover
description = "A new show made with PaperLedge."
language = "en-us"
category = "Science"
explicit = false
base_url = "https://example.com/{slug}/"   # where the MP3s and sidecars are published
# owner_email = "you@example.com"
max_spoken_authors = 3            # the spoken credits name this many authors, then "and N colleagues"
'''

_SAMPLE = '''\
---
title: "Hello, {title}"
season: 1
episode: 1
date: {date}
category: Science
authors: [First Author, Second Author]
description: The first episode of {title}, made from a script in this folder.
---

## Welcome
Hello and welcome to {title}! This is the very first episode, rendered from a script.

## How it works
Every heading becomes a chapter. [pause 600ms] Paragraphs get a longer pause than sentences.
'''

_README = '''\
# {title}

A PaperLedge show folder. Render the sample episode from here:

    paperledge render scripts/season-01/01-hello.md          # -> build/01-hello.mp3 (+ .vtt, .chapters.json)
    paperledge season scripts/season-01 -o build/season-01    # every episode, and feed.xml

What this folder may hold (each file overrides the bundled one of the same name):

    show.toml       show name, artist, cover, feed settings, max_spoken_authors
    scripts/        episode scripts, one folder per season (a season folder may hold its own show.toml)
    voices/         voice profiles NAME.toml, their lexicons (NAME.lexicon.toml), reference clips
    lexicon.toml    the show lexicon: how words are said by every voice
    assets/         intro.flac, outro.flac, cover.jpg

`paperledge voices list` shows each voice and where it comes from. To change a bundled
voice, copy its profile (the path is in that list) into voices/ and edit it there.
Outside this folder, name it with `--show DIR` or `PAPERLEDGE_SHOW=DIR`.
'''


def init_show(folder: Path, title: str | None = None, artist: str = DEFAULT_ARTIST) -> list[Path]:
    """Create a show folder: show.toml, a cover drawn with the show's name, a sample script, a README."""
    from .assets import COVER, cover_jpeg

    folder = Path(folder)
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").title()
    if any(c in title + artist for c in '"\\\n'):
        raise PaperLedgeError("the show's title and artist may not contain quotes, backslashes or line breaks")
    if (folder / SHOW_FILE).exists():
        raise PaperLedgeError(f"{folder / SHOW_FILE} already exists; {folder} is a show folder already")
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") or "show"
    files = {
        folder / SHOW_FILE: _SHOW_TOML.format(title=title, artist=artist, slug=slug).encode(),
        folder / SHOW_SCRIPTS / "season-01" / "01-hello.md": _SAMPLE.format(title=title, date=dt.date.today()).encode(),
        folder / "README.md": _README.format(title=title).encode(),
        folder / SHOW_ASSETS / COVER: cover_jpeg(title=title, subtitle=f"with {artist}"),
    }
    clash = [p for p in files if p.exists()]
    if clash:
        raise PaperLedgeError(f"{clash[0]} already exists; choose an empty or new folder")
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    except OSError as e:
        raise PaperLedgeError(f"cannot create the show folder {folder} ({e.strerror})") from None
    return list(files)
