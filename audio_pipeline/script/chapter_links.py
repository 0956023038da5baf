"""A chapter's image and link, given in the script's front matter:

    chapters:
      Results: {img: figures/results.png, url: https://example.org/paper#results}

Keyed by the chapter's title as its heading gives it. The image is read like the cover
(a JPEG or PNG, square, within the cover's size) and must lie in the show folder or beside
the script; the link must be an http(s) address an app can open. The render copies the
image beside the episode and the chapters JSON, the feed's psc:chapters and the MP3's
chapters name both.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..errors import PaperLedgeError, ScriptError
from ..settings import url_problem
from ..show import cover_art, inside_show
from .episode import Chapter

LINK_KEYS = ("img", "url")


def read_links(value: object, path: Path) -> dict[str, tuple[Path | None, str | None]]:
    """The front matter's `chapters:` map as title -> (image, link); each mistake is one line."""
    if value is None:
        return {}
    where = f"{path}: 'chapters' in front matter"
    if not isinstance(value, dict):
        raise ScriptError(
            f"{where} must map a chapter's title to its img and url, such as "
            "'Results: {img: figures/results.png, url: https://example.org/}'"
        )
    links: dict[str, tuple[Path | None, str | None]] = {}
    for title, entry in value.items():
        name = " ".join(str(title).split())
        here = f"{path}: chapter {name[:60]!r} in front matter"
        if not isinstance(entry, dict) or not entry or any(k not in LINK_KEYS for k in entry):
            raise ScriptError(f"{here}: give img: and/or url: only, as 'img: figures/x.png, url: https://…'")
        img, url = entry.get("img"), entry.get("url")
        if (img is not None and not isinstance(img, str)) or (url is not None and not isinstance(url, str)):
            raise ScriptError(f"{here}: img and url are text (a file in the show folder; an https:// address)")
        links[name] = (_image(img.strip(), path, here) if img else None, _url(url.strip(), here) if url else None)
    return links


def apply_links(chapters: Sequence[Chapter], links: dict[str, tuple[Path | None, str | None]], path: Path) -> list[Chapter]:
    """The chapters, each one named in `links` with its image and link; a title that names no
    chapter, or two chapters, is one line."""
    linked = list(chapters)
    for title, (img, url) in links.items():
        named = [i for i, c in enumerate(linked) if c.title == title]
        if len(named) != 1:
            what = "no chapter" if not named else f"{len(named)} chapters"
            raise ScriptError(
                f"{path}: 'chapters' in front matter names {title[:60]!r}, but that heading is "
                f"{what}: write the title exactly as its heading (and headings once each)"
            )
        linked[named[0]] = replace(linked[named[0]], img=img, url=url)
    return linked


def _image(name: str, path: Path, here: str) -> Path:
    image = (path.parent / Path(name).expanduser()).resolve()  # links resolved: none leads out
    if not inside_show(image, path.parent):
        raise ScriptError(
            f"{here}: image {name[:60]!r} is outside the show folder; put it beside the script or in the show's assets/"
        )
    try:
        cover_art(image)
    except PaperLedgeError as e:
        raise ScriptError(f"{here}: {str(e).replace('cover ', 'image ', 1)}") from None
    return image


def _url(url: str, here: str) -> str:
    if problem := url_problem(url):
        raise ScriptError(f"{here}: url {problem}; give an address such as https://example.org/paper, not {url[:40]!r}")
    return url
