"""`paperledge validate`: what a podcast directory checks, measured on the published files.

An MP3 (validate_mp3.py: stream, header, bitrate, loudness, tags, cover, chapters,
sidecars), an episode's video (validate_video.py: H.264, its duration and chapters the
MP3's), a feed.xml (validate_feed.py: enclosures, GUIDs, dates, durations, MIME
types, categories, the video alternates and soundbites, the ai-content mark and Podlove
chapters) or a season output folder (its feed, every MP3 and every episode video in it), with
a verdict per platform (platforms.py). Each problem is one line naming the file and what
to fix; errors make a directory refuse or mangle the episode, warnings are worth a look.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ..audio.sidecars import all_sidecar_paths
from ..config import RenderConfig
from ..errors import PaperLedgeError
from .platforms import platform_verdicts
from .validate_alternates import CODECS as ALTERNATES
from .validate_alternates import validate_alternate
from .validate_feed import validate_feed
from .validate_mp3 import mp3_seconds, validate_mp3
from .validate_problem import ERROR, WARNING, Problem, errors, plural
from .validate_problem import summary as closing_line
from .validate_video import validate_video
from .verdicts import Verdicts

__all__ = ["ERROR", "WARNING", "Problem", "errors", "plural", "summary", "validate_path", "validate_folder"]


def summary(problems: list[Problem], what: Path) -> str:
    """The closing lines: for a feed or a season folder, one verdict per platform (Apple,
    Spotify, YouTube, Podcast Index: what each still lacks, a warning for that platform
    alone), then how many errors and warnings, and whether a directory would accept it."""
    return "\n".join([*platform_verdicts(Path(what)), closing_line(problems, what)])


def validate_path(path: Path, config: RenderConfig = RenderConfig()) -> list[Problem]:
    """Every problem of an MP3, a feed.xml, or a season output folder (feed.xml and each MP3)."""
    path = Path(path)
    if path.is_dir():
        return validate_folder(path, config)
    if not path.is_file():
        raise PaperLedgeError(f"{path}: no such MP3, feed or season folder")
    if path.suffix.lower() == ".mp3":
        return validate_mp3(path, config)
    if path.suffix.lower() in ALTERNATES:
        return validate_alternate(path)
    if path.suffix.lower() == ".mp4":
        return validate_video(path)
    return validate_feed(path)


def validate_folder(folder: Path, config: RenderConfig = RenderConfig(), verdicts: Verdicts | None = None) -> list[Problem]:
    """A season output folder: its feed.xml, every MP3 in it, and every video beside an MP3.
    An MP3 or video whose bytes (and its sidecars') were checked before is not measured again
    (verdicts.py); the feed, which names every file, is read each time."""
    verdicts = verdicts or Verdicts(folder, config)
    mp3s = sorted(p for p in folder.glob("*.mp3") if p.is_file())
    # The MP3s first (their lengths are kept with their verdicts), reported after the feed.
    found: list[Problem] = []
    for mp3 in mp3s:
        found += verdicts.check(
            mp3.name, [mp3, *all_sidecar_paths(mp3)], partial(validate_mp3, mp3, config), partial(mp3_seconds, mp3)
        )
    # An episode's video is the MP4 named after its MP3 (a clip's name is its own).
    for mp4 in sorted(p for p in folder.glob("*.mp4") if p.is_file() and p.with_suffix(".mp3").is_file()):
        found += verdicts.check(mp4.name, [mp4, mp4.with_suffix(".mp3")], partial(validate_video, mp4))
    for alt in sorted(p for p in folder.iterdir() if p.suffix in ALTERNATES and p.is_file() and p.with_suffix(".mp3").is_file()):
        found += verdicts.check(alt.name, [alt, alt.with_suffix(".mp3")], partial(validate_alternate, alt))
    verdicts.save()
    problems: list[Problem] = []
    feed = folder / "feed.xml"
    if not feed.is_file():
        problems.append(Problem(feed, "missing: write it with `paperledge feed SEASON_DIR -o FOLDER`"))
    else:
        problems += validate_feed(feed, verdicts.seconds)
    if not mp3s:
        problems.append(Problem(folder, "holds no MP3: render the season into it"))
    return problems + found
