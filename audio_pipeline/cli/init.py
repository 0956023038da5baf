"""`paperledge init`: a new show folder, ready to render."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..audio.assets import COVER, CoverTextError, cover_jpeg
from ..config import DEFAULT_ARTIST, MAX_NAME_CHARS, SHOW_ASSETS, SHOW_FILE, SHOW_SCRIPTS
from ..errors import PaperLedgeError
from ..settings import check_text

_SHOW_TOML = """\
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
"""

_SAMPLE = """\
---
title: "{episode_title}"
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
"""

_README = """\
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
"""


def init_show(folder: Path, title: str | None = None, artist: str = DEFAULT_ARTIST) -> list[Path]:
    """Create a show folder: show.toml, a cover drawn with the show's name, a sample script, a README."""
    folder = Path(folder)
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").title()
    # As show.toml's values are checked: the first render reads them back from there.
    for option, value in (("--title", title), ("--artist", artist)):
        check_text(value, f"the show's {option[2:]}", f"init {option}", max_chars=MAX_NAME_CHARS)
        if not value.strip():
            raise PaperLedgeError(f"init {option}: the show's {option[2:]} is empty; give one")
    if any(c in title + artist for c in '"\\'):
        raise PaperLedgeError("the show's title and artist may not contain quotes or backslashes")
    if (folder / SHOW_FILE).exists():
        raise PaperLedgeError(f"{folder / SHOW_FILE} already exists; {folder} is a show folder already")
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-") or "show"
    files = {
        folder / SHOW_FILE: _SHOW_TOML.format(title=title, artist=artist, slug=slug).encode(),
        folder / SHOW_SCRIPTS / "season-01" / "01-hello.md": _SAMPLE.format(
            title=title, date=dt.date.today(), episode_title=_episode_title(title)
        ).encode(),
        folder / "README.md": _README.format(title=title).encode(),
        folder / SHOW_ASSETS / COVER: _cover(title, artist),
    }
    _check_sample_speaks(files[folder / SHOW_SCRIPTS / "season-01" / "01-hello.md"].decode(), title)
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


def _check_sample_speaks(text: str, title: str) -> None:
    """The sample says the show's name: a name the default voice cannot say (CJK, Cyrillic,
    one 255-letter word) would make a show whose first render fails, so it is refused here."""
    from ..config import DEFAULT_VOICE
    from ..script.read import check_speakable, parse_script
    from ..synthesis.voices import load_voice

    try:
        check_speakable(parse_script(text, Path("01-hello.md")), load_voice(DEFAULT_VOICE).writing, DEFAULT_VOICE)
    except PaperLedgeError as e:
        why = str(e).removeprefix("01-hello.md: ")
        raise PaperLedgeError(
            f"init --title: the sample episode says the show's name, and {DEFAULT_VOICE} "
            f"could not say it ({why[:160]}); choose a title in letters the voice speaks"
        ) from None


def _episode_title(title: str) -> str:
    """The sample episode's title: "Hello, <show>", within the longest title a script takes."""
    named = f"Hello, {title}"
    return named if len(named) <= MAX_NAME_CHARS else "Hello"


def _cover(title: str, artist: str) -> bytes:
    """The cover with the show's name fitted to it; a name too long to fit at the smallest
    size is refused here, since nothing later could tell that the cover cuts it."""
    try:
        return cover_jpeg(title=title, subtitle=f"with {artist}")
    except CoverTextError as e:
        raise PaperLedgeError(f"init --title: {e}") from None
