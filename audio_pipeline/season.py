"""A season folder -> every episode rendered (incrementally) -> feed.xml.

An episode is skipped when its script, voice profile, lexicons and assets are
unchanged since its last render and its outputs are still there: the stamp of
those inputs is kept in OUTDIR/.season-state.json.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from mutagen import MutagenError
from mutagen.mp3 import MP3

from . import __version__
from .assets import INTRO, OUTRO
from .config import DEFAULT_VOICE
from .errors import PaperLedgeError, RenderError
from .files import write_atomic
from .cast import guests_of, host_of
from .feed import FeedItem, ShowSettings, episode_guid, write_feed
from .render import RenderOptions, render
from .script import read_script
from .check import valid_report
from .export import check_complete
from .show import cover_path, find_asset, load_settings, show_files
from .sidecars import is_sidecar, sidecar_paths
from .studio.approval import is_approved
from .text.lexicon import default_show_lexicon_path
from .voices import load_voice

STATE = ".season-state.json"


@dataclass
class SeasonReport:
    rendered: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    synthesized: int = 0
    feed: Path | None = None
    checks: dict[str, dict] = field(default_factory=dict)
    """Episode name -> its EPISODE.check.json, with `season --check`."""
    refused: list[str] = field(default_factory=list)
    """Episodes left out of the feed: WER over --max-wer, or never checked."""


@dataclass
class SeasonCheck:
    """`season --check`: every episode is rendered with `render --check`."""

    retakes: int = 2
    fix: bool = False
    max_wer: float | None = None
    """Episodes heard worse than this stay out of the feed."""


def episode_scripts(season_dir: Path) -> list[Path]:
    if not season_dir.is_dir():
        raise PaperLedgeError(f"season folder {season_dir} not found")
    scripts = sorted(p for p in season_dir.iterdir() if p.suffix in (".md", ".txt") and p.is_file())
    if not scripts:
        raise PaperLedgeError(f"season folder {season_dir} has no .md or .txt scripts")
    seen: dict[str, Path] = {}
    for p in scripts:
        if p.stem in seen:  # both would render to one MP3 and share a feed URL and GUID
            raise PaperLedgeError(
                f"{seen[p.stem]} and {p} would both become {p.stem}.mp3; rename or remove one"
            )
        seen[p.stem] = p
    return scripts


def rendered_intact(mp3: Path) -> bool:
    """Whether an earlier render's MP3 and sidecars are all there and whole."""
    vtt, chapters = sidecar_paths(mp3)
    if not (is_sidecar(vtt) and is_sidecar(chapters)):
        return False
    try:
        check_complete(mp3, 0.0)
    except PaperLedgeError:
        return False
    return True


def input_stamp(script: Path, voice: str | None, show: ShowSettings) -> str:
    """Hash of everything an episode's audio and tags depend on."""
    episode = read_script(script, show_cast=show.cast)
    meta = episode.meta
    host = host_of(episode.cast)
    profile = load_voice(voice or meta.voice or episode.cast.get(host) or DEFAULT_VOICE)
    # With a cast, every member's profile and lexicon too.
    cast = [load_voice(v) for n, v in episode.cast.items() if n != host]
    files = [script, profile.path, default_show_lexicon_path()]
    files += [profile.lexicon_path] if profile.lexicon_path else []
    files += [f for p in cast for f in (p.path, p.lexicon_path) if f]
    files += [found.path for name in (INTRO, OUTRO) if (found := find_asset(name))]
    files += [cover] if (cover := cover_path(show)) else []
    files += show_files(script.parent)
    # What the show's settings change in the MP3 itself (feed settings change only feed.xml).
    tagged = (show.title, show.artist, show.max_spoken_authors)
    params = f"{profile.engine_params}" + (f"{[p.engine_params for p in cast]}" if cast else "")
    h = hashlib.sha256(f"{__version__}\0{tagged}\0{params}".encode())
    for f in files:
        h.update(str(f.name).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def render_season(
    season_dir: Path,
    out_dir: Path,
    options: RenderOptions,
    progress: Callable[[str, int, int], None] = lambda name, done, total: None,
    check: SeasonCheck | None = None,
) -> SeasonReport:
    show = load_settings(season_dir)
    options = replace(options, show=show)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create {out_dir} ({e.strerror})") from None
    state_path = out_dir / STATE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    report = SeasonReport()
    for script in episode_scripts(season_dir):
        mp3 = out_dir / f"{script.stem}.mp3"
        stamp = input_stamp(script, options.voice, show)
        checked = not check or valid_report(mp3) is not None
        if state.get(script.name) == stamp and rendered_intact(mp3) and checked:
            report.skipped.append(script)
            continue
        if check:
            from .retake import render_checked

            result = render_checked(script, replace(options, output=mp3), check.retakes, check.fix,
                                    lambda d, t, n=script.stem: progress(n, d, t)).result
        else:
            result = render(script, replace(options, output=mp3), lambda d, t, n=script.stem: progress(n, d, t))
        report.rendered.append(script)
        report.synthesized += result.synthesis.synthesized
        state[script.name] = stamp
        write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True).encode())
    if check:
        report.checks = season_checks(season_dir, out_dir)
    report.feed = write_season_feed(season_dir, out_dir, None if check is None else check.max_wer, report.refused)
    return report


def season_checks(season_dir: Path, out_dir: Path) -> dict[str, dict]:
    """Episode name -> its EPISODE.check.json, for the episodes whose check still holds."""
    out = {}
    for script in episode_scripts(season_dir):
        found = valid_report(out_dir / f"{script.stem}.mp3")  # void if it heard another MP3
        if found is not None:
            out[script.stem] = found
    return out


def _duration(mp3: Path) -> float:
    try:
        return MP3(mp3).info.length
    except (MutagenError, OSError) as e:
        raise PaperLedgeError(f"{mp3}: cannot read the MP3 ({e}); render it again") from None


def write_season_feed(season_dir: Path, out_dir: Path, max_wer: float | None = None, refused: list[str] | None = None,
                      approved_only: bool = False) -> Path:
    """feed.xml for every rendered episode of the season (times read from the outputs).
    With `max_wer`, an episode whose check heard a higher WER, or that was never checked,
    is left out (and named in `refused`)."""
    checks = season_checks(season_dir, out_dir) if max_wer is not None else {}
    show = load_settings(season_dir)
    items = []
    for script in episode_scripts(season_dir):
        mp3 = out_dir / f"{script.stem}.mp3"
        if not mp3.exists() or (approved_only and not is_approved(mp3)):  # approved: studio/approval.py
            continue
        if max_wer is not None and (script.stem not in checks or checks[script.stem]["wer"] > max_wer):
            if refused is not None:
                refused.append(script.stem)
            continue
        episode = read_script(script, show_cast=show.cast)
        meta = episode.meta
        vtt, chapters_file = sidecar_paths(mp3)
        if not rendered_intact(mp3):
            raise PaperLedgeError(
                f"{mp3} or its .vtt/.chapters.json is missing or damaged; render {script} again"
            )
        try:
            data = json.loads(chapters_file.read_text(encoding="utf-8"))
            chapters = [(float(c["startTime"]), str(c["title"])) for c in data["chapters"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise PaperLedgeError(f"{chapters_file} is damaged; render {script} again") from None
        if meta.date is None:
            raise PaperLedgeError(f"{script}: a feed item needs a publication date: add 'date: YYYY-MM-DD' to the front matter")
        items.append(
            FeedItem(
                title=meta.title,
                description=meta.description,
                authors=meta.authors,
                date=meta.date,
                season=meta.season,
                episode=meta.episode,
                mp3_path=mp3,
                duration_s=_duration(mp3),
                chapters=chapters,
                chapters_path=chapters_file,
                transcript_path=vtt,
                guid=episode_guid(show, mp3.name),
                guests=guests_of(episode.cast, {st.speaker for st in episode.sentences()}),
            )
        )
    feed = out_dir / "feed.xml"
    write_feed(feed, show, items)
    return feed
