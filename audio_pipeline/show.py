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

import io
import os
import re
import sys
import uuid
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final
from urllib.parse import quote

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .config import (
    ASSET_COVER,
    BUNDLED_ASSETS,
    BUNDLED_VOICES,
    COVER_MAX_BYTES,
    COVER_PX_RANGE,
    DEFAULT_ARTIST,
    DEFAULT_SHOW,
    SHOW_ASSETS,
    SHOW_ENV,
    SHOW_FILE,
    SHOW_LEXICON,
    SHOW_VOICES,
)
from .errors import PaperLedgeError
from .files import read_bytes, read_text, regular_file
from .settings import Cast, base_url_problem, ranged, read_cast, table_values, url_problem  # noqa: F401 (show's own names)

PODCAST_GUID_NAMESPACE: Final = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""Podcasting 2.0's namespace for podcast:guid, a UUIDv5 of the feed URL without its scheme
(the spec's example: mp3s.nashownotes.com/pc20rss.xml -> 917393e3-1b1e-5cef-ace4-edaa54e1f810)."""
PLACEHOLDER_BASE_URL: Final = "https://example.com/"
"""The default base_url's host: a feed with it points every app at nothing."""

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
    if own and regular_file(own):
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
    if regular_file(own):
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
        if regular_file(path) and path.resolve() not in seen:
            seen.add(path.resolve())
            files.append(path)
    return files


@dataclass
class ShowSettings:
    """Channel-level settings, read from a season folder's show.toml; every field optional."""

    title: str = DEFAULT_SHOW
    """Show name: the feed's title and the iTunes show title."""
    description: str = (
        "PaperLedge, where research meets storytelling: each episode, Ernis turns a recent "
        "research paper into a warm, jargon-free story."
    )
    """Show notes for the whole podcast (channel description)."""
    author: str = DEFAULT_ARTIST
    """itunes:author, and the owner's name when owner_email is given."""
    image_url: str = ""
    """Square cover art URL (1400-3000 px for Apple); empty means base_url + "cover.jpg"."""
    language: str = "en-us"
    """RFC 5646 language tag of the spoken audio."""
    category: str = "Science"
    """iTunes top-level category, exactly as Apple spells it ("Science", "Technology", ...)."""
    subcategory: str | None = None
    """Optional iTunes subcategory under `category` (e.g. "Natural Sciences" under "Science")."""
    explicit: bool = False
    """itunes:explicit."""
    base_url: str = "https://example.com/paperledge/"
    """Where the files are published: enclosures and sidecars are base_url + file name."""
    link: str = ""
    """The show's web page; empty means base_url."""
    owner_email: str | None = None
    """Contact address for podcast directories (itunes:owner); omitted when None."""
    locked: bool | None = None
    """podcast:locked: True forbids other hosts from importing the feed; None omits the tag."""
    max_spoken_authors: int = ranged(3, 1)
    """How many authors the spoken credits name; the rest are "and N colleagues"."""
    artist: str = DEFAULT_ARTIST
    """The MP3s' artist tag: the voice listeners hear."""
    cover: str = ""
    """Cover art JPEG for the MP3s, relative to its show.toml; empty: the show folder's
    assets/cover.jpg, else the bundled cover."""
    cast: dict = field(default_factory=dict)
    """[cast]: the show's regular speakers, name -> voice profile, the host first (show.py reads it)."""
    feed_url: str = ""
    """Where feed.xml is published (atom:link self, and the source of podcast:guid); empty
    means base_url + "feed.xml"."""
    podcast_guid: str = ""
    """podcast:guid, the show's identity for ever; empty: the UUIDv5 of feed_url. Set it
    once the feed is public, so a move to another host keeps it."""
    ai_disclosure: bool = True
    """Say in every episode's show notes, and in podcast:txt, that the voice is synthetic."""
    ai_disclosure_text: str = "The voice in this episode is synthetic: {engine} reads the script aloud."
    """The disclosure line of the show notes; {engine} is replaced by the engine that made the voice."""
    spoken_disclosure: str = ""
    """A sentence said at the start of every episode, e.g. "Ernis is a synthetic voice."; empty: none."""
    feed: dict = field(default_factory=dict)
    """[feed]: alternates = ["aac", "opus"] (read by publish/alternates.py)."""
    ai_content: bool | str | None = None
    """podcast:txt ai-content where a script does not say: true, false or "unanswered" (None: true, every voice is TTS)."""
    sign: bool = True
    """Sign every MP3, M4A and MP4 with Content Credentials (C2PA); false writes none, and validate warns."""
    signing_certificate: str = ""
    """The producer's own certificate chain (PEM, the signing certificate first); empty: the key
    `paperledge keys init` made in the user's config folder."""
    signing_key: str = ""
    watermark: bool = True
    """Put the inaudible AI-content watermark into every render when the [watermark] extra is installed."""
    """The private key of signing_certificate (PEM, mode 0600, kept outside the show folder)."""

    def __post_init__(self) -> None:
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        if not self.link:
            self.link = self.base_url
        if not self.image_url:
            self.image_url = self.base_url + "cover.jpg"
        if not self.feed_url:
            self.feed_url = self.base_url + "feed.xml"
        if not self.podcast_guid:
            self.podcast_guid = show_guid(self.feed_url)

    @property
    def placeholder_url(self) -> bool:
        """Whether the files would be published at the placeholder address."""
        return self.base_url.startswith(PLACEHOLDER_BASE_URL)

    def people(self) -> list[tuple[str, str]]:
        """(name, role) of the show's people for podcast:person: the host; an episode adds its cast."""
        return [(self.artist, "host")]

    def url_for(self, path: Path | str) -> str:
        """The public URL of a published file (by its name)."""
        return self.base_url + quote(Path(path).name)


def load_show(*folders: Path) -> ShowSettings:
    """Settings from each folder's show.toml in turn, a later file winning key by key;
    defaults where there is no such file."""
    data: dict = {}
    for folder in folders:
        path = Path(folder) / SHOW_FILE
        if path.exists():
            data.update(_read_show_file(path))
    return ShowSettings(**data)


def _read_show_file(path: Path) -> dict:
    try:
        data = tomllib.loads(read_text(path, "show settings"))
    except ValueError as e:  # TOMLDecodeError, or an integer of thousands of digits
        raise PaperLedgeError(f"{path}: not valid TOML ({e})") from None
    except RecursionError:
        raise PaperLedgeError(f"{path}: nests too deep; write plain settings") from None
    except OSError as e:
        raise PaperLedgeError(f"{path}: cannot read ({e.strerror})") from None

    data = table_values(ShowSettings, data, str(path))
    for key in URL_SETTINGS:
        if data.get(key) and (problem := (base_url_problem if key == "base_url" else url_problem)(data[key])):
            raise PaperLedgeError(
                f'{path}: {key} {problem}; give an address such as "https://cdn.example.org/show/", not {data[key][:40]!r}'
            )
    if data.get("podcast_guid"):
        try:
            data["podcast_guid"] = str(uuid.UUID(data["podcast_guid"]))
        except ValueError:
            raise PaperLedgeError(
                f"{path}: 'podcast_guid' must be a UUID such as "
                f"917393e3-1b1e-5cef-ace4-edaa54e1f810, not {data['podcast_guid'][:40]!r}"
            ) from None
    if "ai_content" in data:
        data["ai_content"] = ai_answer(data["ai_content"], f"{path}: 'ai_content'")
    for key in ("signing_certificate", "signing_key"):
        if data.get(key):
            data[key] = str((path.parent / Path(data[key]).expanduser()).absolute())
    if data.get("cover"):
        cover = (path.parent / Path(data["cover"]).expanduser()).resolve()
        if not inside_show(cover, path.parent):
            raise PaperLedgeError(f"{path}: cover {data['cover']} is outside the show folder; put it in assets/")
        data["cover"] = str(cover)
    return data


URL_SETTINGS: Final = ("base_url", "link", "image_url", "feed_url")
"""show.toml's addresses: the feed hands each to every app."""
UNANSWERED: Final = "unanswered"  # ai_content's third answer: the feed says nothing either way


def ai_answer(value: object, where: str) -> bool | str:
    """An `ai_content` setting: true, false or "unanswered"; anything else is one line."""
    if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() == UNANSWERED):
        return value if isinstance(value, bool) else UNANSWERED
    raise PaperLedgeError(f'{where} must be true, false or "{UNANSWERED}", not {str(value)[:40]!r}')


def show_guid(feed_url: str) -> str:
    """podcast:guid as Podcasting 2.0 defines it: UUIDv5 of the feed URL without its scheme
    (and without trailing slashes)."""
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def load_settings(script_folder: Path | None = None, root: Path | None = None):
    """The ShowSettings for scripts in `script_folder`: defaults, then the show folder's show.toml,
    then the season folder's own."""
    files = show_files(script_folder, root)
    settings = load_show(*[p.parent for p in files])
    settings.cast = load_cast(files)
    return settings


def load_cast(files: list[Path]) -> dict[str, str]:
    """The [cast] tables of these show.toml files merged in order, name by name (a season's
    show.toml adds to the show's regulars or changes one's voice); the host stays first."""
    cast = Cast()  # keeps the roles of its members
    for path in files:
        try:
            table = tomllib.loads(read_text(path, "show settings")).get("cast")
        except (PaperLedgeError, ValueError, RecursionError):
            continue  # load_show has already named what is wrong with the file
        if table is not None:
            cast.update(read_cast(table, f"{path}: [cast]"))
    return cast


def cover_path(settings, root: Path | None = None) -> Path | None:
    """The cover art: show.toml's `cover`, else assets/cover.jpg of the show, else the bundled one."""
    found = _checked_cover(settings, root)
    return found[0] if found else None


def cover_data(settings, root: Path | None = None) -> bytes | None:
    """The cover art's bytes (`cover_path`), the very bytes its check read: what goes into the tags."""
    found = _checked_cover(settings, root)
    return found[1] if found else None


def _checked_cover(settings, root: Path | None) -> tuple[Path, bytes] | None:
    if settings.cover:
        path = Path(settings.cover)
        if not regular_file(path):
            raise PaperLedgeError(f"{SHOW_FILE}: cover {settings.cover} not found")
        return path, cover_art(path)[0]
    found = find_asset(ASSET_COVER, root)
    return (found.path, cover_art(found.path)[0]) if found else None


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
    data = read_bytes(Path(path), "cover", limit=64 * COVER_MAX_BYTES)
    if len(data) > COVER_MAX_BYTES:  # every MP3 carries it in its tag
        raise PaperLedgeError(
            f"cover {path} is {len(data):,} bytes; Spotify and NPR One take at most "
            f"{COVER_MAX_BYTES // 1024} KB: save it smaller (a JPEG of {low}-{high} px)"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked before decoding
            image = Image.open(io.BytesIO(data))  # lazy: it reads the header only
        with image:
            kind, size, mode = image.format, image.size, image.mode
            if max(size) <= high:  # a larger one is refused below, never decoded
                image.load()  # a cut-off or damaged file fails here, not in a listener's app
    except OSError as e:
        if isinstance(e, UnidentifiedImageError) or not e.errno:
            raise PaperLedgeError(f"cover {path} is not a JPEG or PNG image that decodes; give the show's cover art") from None
        raise PaperLedgeError(f"cover {path}: cannot read it ({e.strerror})") from None
    except (ValueError, Image.DecompressionBombError, SyntaxError, EOFError):
        raise PaperLedgeError(f"cover {path} is not a JPEG or PNG image that decodes; give the show's cover art") from None
    if kind not in ("JPEG", "PNG"):
        raise PaperLedgeError(f"cover {path} is a {kind} image; podcast directories take JPEG or PNG")
    if size[0] != size[1] or not low <= size[0] <= high:
        raise PaperLedgeError(f"cover {path} is {size[0]}x{size[1]} px; it must be square, {low} to {high} px")
    if mode != "RGB":
        raise PaperLedgeError(f"cover {path} is in {mode} colour; save it as RGB without transparency")
    return data, "image/jpeg" if kind == "JPEG" else "image/png"
