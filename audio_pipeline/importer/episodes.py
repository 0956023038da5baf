"""Published episode page -> one episode script per episode.

The page (as the show's host publishes it) lists episodes newest first. Each one is:

    Thursday Apr 10, 2025                  <- date line, repeated two or three times
    Artificial Intelligence - TxGemma ...  <- optional "Category - Title", between date lines
    Thursday Apr 10, 2025
    Hey PaperLedge crew, Ernis here! ...   <- body: one paragraph per line
    ... Let me know!Credit to Paper authors: A, B, C   <- credits glued to the last paragraph

Everything before the first date line (show name, blurb, "Episodes") is page chrome.
Scripts are written as `NN-slug.md` in the script format of docs/script-format.md, with chapters
placed where the text turns: the welcome, the research, "why does this matter", and
the closing questions. Page text is escaped (markup.escape), so it is spoken and
transcribed exactly as the page has it: a line starting with "# " is no chapter, "{x}"
no pronunciation. A manifest (`.imported.json`) remembers what was written and for
which episode (its date and title), so a rerun never overwrites a script someone has
edited since, and an episode whose number moved (an older one was added to the page)
has its script renamed rather than written twice.

Reading the page is page.py, what is derived from its text (titles, descriptions,
chapters, file names) page_metadata.py, the manifest and the scripts already there
manifest.py; this module decides what to write, rename and remove, and does it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import yaml

from ..config import DEFAULT_SHOW, DEFAULT_VOICE
from ..errors import PaperLedgeError
from ..files import read_text, write_atomic
from ..text.markup import escape
from .manifest import ExistingScript, ManifestEntry, existing_scripts, load_manifest, save_manifest
from .page import PageEpisode, parse_page
from .page_metadata import derive_description, derive_title, episode_key, place_chapters, slugify

SEASON: Final = 1

Status = Literal["written", "renamed", "unchanged", "skipped-edited"]


@dataclass
class ImportResult:
    path: Path
    status: Status
    """written: new or regenerated; renamed: its number moved, so the script was rewritten
    under the new name and `previous` removed; unchanged: already identical;
    skipped-edited: edited since import (or not the importer's), left alone."""
    title: str
    previous: Path | None = None
    """For "renamed": the script it replaced."""


def import_page(page_path: Path, out_dir: Path, force: bool = False) -> list[ImportResult]:
    """Write one script per episode of the page into out_dir; see the module docstring.

    Episodes are numbered in date order (oldest = 1; the page lists newest first, so
    among episodes of one day the lower one on the page is the older). An episode is
    known again by its date and title, so when its number moves its script is renamed,
    never written a second time. A script whose file was edited since the importer wrote
    it is left alone unless `force`; when leaving it would give one episode two scripts
    or two scripts one number, nothing is written and PaperLedgeError names the files.
    """
    page_path = Path(page_path)
    out_dir = Path(out_dir)
    episodes = parse_page(_read_page(page_path), page_path)
    # Oldest first; ties keep reverse page order (newest-first page).
    ordered = sorted(enumerate(episodes), key=lambda pair: (pair[1].date, -pair[0]))

    targets: list[_Target] = []
    keys: Counter[str] = Counter()
    for number, (_, episode) in enumerate(ordered, start=1):
        title = episode.title or derive_title(episode.paragraphs)
        key = episode_key(episode.date, title)
        keys[key] += 1
        if keys[key] > 1:  # one day, one title, twice: told apart by their order
            key = f"{key}#{keys[key]}"
        path = out_dir / f"{number:02d}-{slugify(title)}.md"
        # slugify already forbids separators and dots-only names; this guards the rule.
        if path.resolve().parent != out_dir.resolve():
            raise PaperLedgeError(f"{path}: refusing to write outside {out_dir}")
        targets.append(_Target(number, title, key, episode.date, path, render_script(episode, number, title)))
    _check_renders(targets, page_path)

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PaperLedgeError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    manifest = load_manifest(out_dir)
    existing = existing_scripts(out_dir, manifest)
    plan = _plan(targets, existing, force)

    for path in plan.remove:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise PaperLedgeError(f"{path}: cannot remove the old script ({e.strerror})") from None
        manifest.pop(path.name, None)
    for target, result in zip(targets, plan.results):
        if result.status in ("written", "renamed"):
            write_atomic(target.path, target.text)
        if result.status != "skipped-edited":
            manifest[target.path.name] = ManifestEntry(_sha256(target.text), target.key)
    for script in existing.values():  # scripts left alone keep their entry, now with their episode
        entry = manifest.get(script.path.name)
        if entry is not None and entry.key is None and script.key is not None:
            manifest[script.path.name] = ManifestEntry(entry.sha256, script.key)
    for name in [n for n in manifest if not (out_dir / n).is_file()]:
        del manifest[name]
    save_manifest(out_dir, manifest)
    return plan.results


def _read_page(page_path: Path) -> str:
    return read_text(page_path, "episode page")


def _check_renders(targets: list[_Target], page_path: Path) -> None:
    """Every script to be written parses, and its voice can say it; else nothing is written
    and one line names the episode: a script that cannot render is no import."""
    from ..script.read import check_speakable, parse_script
    from ..synthesis.voices import load_voice

    writing = load_voice(DEFAULT_VOICE).writing
    for target in targets:
        try:
            check_speakable(parse_script(target.text, target.path), writing, DEFAULT_VOICE)
        except PaperLedgeError as e:
            problem = _escaped(str(e).removeprefix(f"{target.path}: "))
            raise PaperLedgeError(
                f"{page_path}: the episode of {target.date:%b %d, %Y} would be a script that "
                f"cannot render ({target.path.name}: {problem}); correct the page"
            ) from None


def _escaped(text: str) -> str:
    """`text` with anything a terminal would not show as written (controls, bidirectional
    overrides, zero-width characters) as \\uXXXX."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def render_script(episode: PageEpisode, number: int, title: str) -> str:
    """The script text: YAML front matter, then chapters of blank-line-separated paragraphs."""
    meta: dict[str, object] = {"title": title, "show": DEFAULT_SHOW, "season": SEASON, "episode": number, "date": episode.date}
    if episode.category:
        meta["category"] = episode.category
    if episode.authors:
        meta["authors"] = episode.authors
    description = derive_description(episode.paragraphs)
    if description:
        meta["description"] = description
    meta["voice"] = DEFAULT_VOICE
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None, width=float("inf"))
    starts = dict(place_chapters(episode.paragraphs))
    blocks: list[str] = []
    for i, paragraph in enumerate(episode.paragraphs):
        paragraph = escape(paragraph)  # page text: spoken and transcribed exactly as written
        if i in starts:
            blocks.append(f"## {starts[i]}\n{paragraph}")
        else:
            blocks.append(paragraph)
    return f"---\n{front}---\n\n" + "\n\n".join(blocks) + "\n"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Target:
    """One episode of the page as it is to be written."""

    number: int
    title: str
    key: str
    date: dt.date
    path: Path
    text: str


@dataclass
class _Plan:
    results: list[ImportResult]
    remove: list[Path]


def _plan(targets: list[_Target], existing: dict[str, ExistingScript], force: bool) -> _Plan:
    """What to write, rename and remove; raises before anything is touched when the
    result would give one episode two scripts or two scripts one number."""
    # One walk over the page's episodes, deciding each file's fate (new, same, changed, kept)
    # against the manifest; every branch needs the same few sets.
    # Which existing script is which episode: by key; then, for a title changed on the
    # page, the one unmatched importer script of a date with one unmatched episode.
    by_key: dict[str, list[ExistingScript]] = {}
    for script in existing.values():
        if script.key is not None:
            by_key.setdefault(script.key, []).append(script)
    copies: dict[str, list[ExistingScript]] = {t.key: by_key.pop(t.key, []) for t in targets}
    unmatched = [t for t in targets if not copies[t.key]]
    leftovers = [s for group in by_key.values() for s in group if s.from_importer]
    for date in {t.date for t in unmatched}:
        ts = [t for t in unmatched if t.date == date]
        ss = [s for s in leftovers if s.date == date]
        if len(ts) == 1 and len(ss) == 1:
            copies[ts[0].key] = ss
    claimed = {s.path.name for group in copies.values() for s in group}

    results: list[ImportResult] = []
    remove: list[Path] = []
    final: dict[str, tuple[int | None, str | None]] = {}  # file name -> (number, key) after the import
    for name, script in existing.items():
        final[name] = (script.number, script.key)
    for target in targets:
        group = copies[target.key]
        # The copy to keep: the one already at its name, else one the importer wrote unedited.
        group.sort(key=lambda s: (s.path != target.path, not s.pristine, s.path.name))
        keep = group[0] if group else None
        for extra in group[1:]:  # copies an earlier import left behind
            if extra.pristine or extra.sha256 == _sha256(target.text):
                remove.append(extra.path)
                final.pop(extra.path.name, None)
        text_hash = _sha256(target.text)
        occupant = existing.get(target.path.name)
        if occupant is not None and occupant is not keep:
            if occupant.path.name in claimed:
                # Another episode's script, which must move away to free the name.
                if not (occupant.pristine or force):
                    raise PaperLedgeError(
                        f"{occupant.path} was edited since it was imported, and its name now belongs to "
                        f"episode {target.number}; rerun with --force to regenerate it, or rename and "
                        "renumber it by hand"
                    )
            elif not (occupant.pristine or force or occupant.sha256 == text_hash):
                # Someone's own file under this name: left alone.
                results.append(ImportResult(target.path, "skipped-edited", target.title))
                continue
        if keep is not None and keep.path != target.path:
            if keep.pristine or force:
                remove.append(keep.path)
                final.pop(keep.path.name, None)
                results.append(ImportResult(target.path, "renamed", target.title, previous=keep.path))
                final[target.path.name] = (target.number, target.key)
                continue
            if keep.number == target.number and occupant is None:
                # Edited, and only its title changed: it keeps its name and number.
                results.append(ImportResult(keep.path, "skipped-edited", target.title))
                continue
            raise PaperLedgeError(
                f"{keep.path} was edited since it was imported and its episode is now number "
                f"{target.number} ({target.path.name}); rerun with --force to regenerate it, "
                "or rename and renumber it by hand"
            )
        if occupant is not None and occupant.sha256 == text_hash:
            status: Status = "unchanged"
        elif occupant is not None and occupant is keep and not (keep.pristine or force):
            results.append(ImportResult(target.path, "skipped-edited", target.title))
            continue
        else:
            status = "written"
        results.append(ImportResult(target.path, status, target.title))
        final[target.path.name] = (target.number, target.key)

    _check_final(final, targets)
    return _Plan(results, remove)


def _check_final(final: dict[str, tuple[int | None, str | None]], targets: list[_Target]) -> None:
    """One script per episode and per number, or a one-line error naming the files."""
    page_keys = {t.key for t in targets}
    by_number: dict[int, list[str]] = {}
    by_key: dict[str, list[str]] = {}
    for name, (number, key) in sorted(final.items()):
        if number is not None:
            by_number.setdefault(number, []).append(name)
        if key in page_keys:
            by_key.setdefault(key, []).append(name)
    for key, names in by_key.items():
        if len(names) > 1:
            raise PaperLedgeError(
                f"{' and '.join(names)} are both the episode {key}; nothing was imported: keep one and delete the other"
            )
    written = {t.path.name for t in targets}
    for number, names in by_number.items():
        if len(names) > 1:
            others = [n for n in names if n not in written] or names
            raise PaperLedgeError(
                f"{' and '.join(names)} would both be episode {number}; nothing was imported: "
                f"{', '.join(others)} is no script the importer can update (edited, not its own, or "
                "its episode left the page), so rename, renumber or delete it"
            )
