"""Published episode page -> one episode script per episode.

The page (as the show's host publishes it) lists episodes newest first. Each one is:

    Thursday Apr 10, 2025                  <- date line, repeated two or three times
    Artificial Intelligence - TxGemma ...  <- optional "Category - Title", between date lines
    Thursday Apr 10, 2025
    Hey PaperLedge crew, Ernis here! ...   <- body: one paragraph per line
    ... Let me know!Credit to Paper authors: A, B, C   <- credits glued to the last paragraph

Everything before the first date line (show name, blurb, "Episodes") is page chrome.
Scripts are written as `NN-slug.md` in the script format of DESIGN.md, with chapters
placed where the text turns: the welcome, the research, "why does this matter", and
the closing questions. Page text is escaped (markup.escape), so it is spoken and
transcribed exactly as the page has it: a line starting with "# " is no chapter, "{x}"
no pronunciation. A manifest (`.imported.json`) remembers what was written and for
which episode (its date and title), so a rerun never overwrites a script someone has
edited since, and an episode whose number moved (an older one was added to the page)
has its script renamed rather than written twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import yaml

from .config import DEFAULT_SHOW, DEFAULT_VOICE
from .errors import PaperLedgeError
from .files import read_text, write_atomic
from .markup import escape

MANIFEST_NAME: Final = ".imported.json"
"""Inside the output folder: {"format": 2, "scripts": {file name: {"sha256": hash of the
text the importer wrote, "episode": the episode's key}}}. The first format (file name ->
hash) is still read; it is rewritten in this one."""
MANIFEST_FORMAT: Final = 2
SEASON: Final = 1
MAX_SLUG_LEN: Final = 60
DESCRIPTION_SENTENCES: Final = 2

CHAPTER_WELCOME: Final = "Welcome"
CHAPTER_RESEARCH: Final = "The research"
CHAPTER_WHY: Final = "Why it matters"
CHAPTER_QUESTIONS: Final = "Questions to ponder"

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


@dataclass
class PageEpisode:
    """One episode as read from the page, before it becomes a script."""

    date: dt.date
    line: int
    """Line of its first date line on the page, for error messages."""
    title: str | None = None
    category: str | None = None
    paragraphs: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


# "Thursday Apr 10, 2025"; also full month names, which the page may switch to.
_DATE_LINE = re.compile(
    r"^(?P<weekday>Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?\s+"
    r"(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2}),\s*(?P<year>\d{4})$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CREDITS = re.compile(r"\s*Credits? to (?:the )?Paper(?:'s)? authors?\s*:\s*", re.IGNORECASE)
_TITLE_SEPARATOR = re.compile(r"\s+[-–—]\s+")
_NAME_SUFFIX = re.compile(r"^(?:Jr|Sr|I{2,3}|IV|PhD|Ph\.D|MD|M\.D)\.?$", re.IGNORECASE)
_ET_AL = re.compile(r"^et\.? al\.?$", re.IGNORECASE)
# Greeting sentences: skipped when the description is taken from the opening.
_GREETING = re.compile(r"\b(Ernis|PaperLedge|crew|welcome|gather 'round|everyone)\b", re.IGNORECASE)
_WHY_TURN = re.compile(
    r"\bwhy (?:does|is|should) (?:all of )?(?:this|that|it)(?: all)? "
    r"(?:matter|important|relevant)|\bwhy (?:this|it) matters\b|"
    r"\bwhat does (?:all of )?this mean for (?:you|us)\b",
    re.IGNORECASE,
)
_QUESTIONS_INTRO = re.compile(r"question|think about|ponder|popped into|wonder|made me think", re.IGNORECASE)
# "a new benchmark called FEABench", "something called adaptive Singular Value Decomposition"
_CALLED = re.compile(
    r"\b(?:called|named|dubbed)\s+(?P<name>(?:(?!(?:a|an|the)\s)[a-z]+\s+)?[A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|\d[\w.-]*))*)"
)
# Coined names: an inner capital (SkillFlow, TxGemma) or an acronym of three or more letters.
_COINED = re.compile(r"\b(?:[A-Z]+[a-z]+[A-Z][\w-]*|[A-Z][a-z]?[A-Z][A-Z\d]+[\w-]*)\b")
_COMMON_ACRONYMS: Final = frozenset(
    {"AI", "LLM", "LLMs", "GPT", "API", "APIs", "PhD", "PhDs", "GitHub", "ChatGPT", "OpenAI", "YouTube", "USA"}
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?[A-Z0-9])")


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

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise PaperLedgeError(f"{out_dir}: cannot create the output folder ({e.strerror})") from None
    manifest = _load_manifest(out_dir)
    existing = _existing_scripts(out_dir, manifest)
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
            manifest[target.path.name] = _Entry(_sha256(target.text), target.key)
    for script in existing.values():  # scripts left alone keep their entry, now with their episode
        entry = manifest.get(script.path.name)
        if entry is not None and entry.key is None and script.key is not None:
            manifest[script.path.name] = _Entry(entry.sha256, script.key)
    for name in [n for n in manifest if not (out_dir / n).is_file()]:
        del manifest[name]
    _save_manifest(out_dir, manifest)
    return plan.results


def episode_key(date: dt.date, title: str) -> str:
    """What names an episode across imports: its date and title, not its number or text."""
    return f"{date.isoformat()}/{slugify(title)}"


def _read_page(page_path: Path) -> str:
    return read_text(page_path, "episode page")


# --- reading the page --------------------------------------------------------------


def parse_page(text: str, source: Path | str = "<page>") -> list[PageEpisode]:
    """Split the page into episodes, in page order; malformed pages raise PaperLedgeError."""
    # Control characters (a stray tab or form feed) are spaces: a script may not hold them.
    lines = [_CONTROL.sub(" ", line).strip() for line in text.split("\n")]
    episodes: list[PageEpisode] = []
    current: PageEpisode | None = None
    in_header = False  # between an episode's date lines: a lone text line there is its title
    for i, line in enumerate(lines):
        number = i + 1
        if not line:
            continue
        date = _parse_date_line(line, number, source)
        if date is not None:
            if current is not None and in_header:
                if date != current.date:
                    raise PaperLedgeError(
                        f"{source}: line {number}: date {date:%b %d, %Y} comes before any text of the "
                        f"episode dated {current.date:%b %d, %Y} (line {current.line}); make the dates "
                        "agree or restore that episode's text"
                    )
                continue
            current = PageEpisode(date=date, line=number)
            episodes.append(current)
            in_header = True
            continue
        if current is None:
            continue  # page chrome before the first episode
        if in_header and current.title is None and _next_content_is_date(lines, i + 1, source):
            current.category, current.title = _split_title_line(line)
            continue
        in_header = False
        current.paragraphs.append(line)

    if not episodes:
        raise PaperLedgeError(
            f"{source}: no episode date lines (like 'Thursday Apr 10, 2025') found; "
            "is this the show's episode page?"
        )
    for episode in episodes:
        _extract_credits(episode, source)
        episode.paragraphs = _drop_pull_quotes(episode.paragraphs)
        if not episode.paragraphs:
            raise PaperLedgeError(
                f"{source}: line {episode.line}: the episode of {episode.date:%b %d, %Y} has no text; "
                "remove its date lines or restore its body"
            )
    return episodes


def _parse_date_line(line: str, number: int, source: Path | str) -> dt.date | None:
    m = _DATE_LINE.match(line)
    if m is None:
        return None
    try:
        date = dt.datetime.strptime(f"{m['month'][:3]} {m['day']} {m['year']}", "%b %d %Y").date()
    except ValueError:
        raise PaperLedgeError(f"{source}: line {number}: '{line}' is not a real date; correct it") from None
    if date.strftime("%a") != m["weekday"]:
        raise PaperLedgeError(
            f"{source}: line {number}: '{line}': {date:%b %d, %Y} is a {date:%A}; correct the weekday or the date"
        )
    return date


def _next_content_is_date(lines: list[str], start: int, source: Path | str) -> bool:
    for j in range(start, len(lines)):
        if lines[j]:
            return _parse_date_line(lines[j], j + 1, source) is not None
    return False


def _split_title_line(line: str) -> tuple[str | None, str]:
    """'Machine Learning - Process Reinforcement ...' -> (category, title)."""
    parts = _TITLE_SEPARATOR.split(line, maxsplit=1)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0].strip(), parts[1].strip()
    return None, line


def _extract_credits(episode: PageEpisode, source: Path | str) -> None:
    """Take every 'Credit to Paper authors: ...' out of the body; the names become authors."""
    kept: list[str] = []
    for paragraph in episode.paragraphs:
        m = _CREDITS.search(paragraph)
        if m is None:
            kept.append(paragraph)
            continue
        before, names = paragraph[: m.start()].rstrip(), paragraph[m.end() :]
        authors = parse_authors(names)
        if not authors:
            raise PaperLedgeError(
                f"{source}: the episode of {episode.date:%b %d, %Y} (line {episode.line}) has a "
                "'Credit to Paper authors:' with no names after it; add the names or remove it"
            )
        episode.authors.extend(a for a in authors if a not in episode.authors)
        if before:
            kept.append(before)
    episode.paragraphs = kept


def parse_authors(text: str) -> list[str]:
    """'A, B and C' -> [A, B, C]; keeps initials, hyphens and accents; drops 'et al.' and stray punctuation.

    A trailing 'Jr.'/'III'/'PhD' after a comma belongs to the name before it.
    """
    text = unicodedata.normalize("NFC", text.strip().rstrip("."))
    names: list[str] = []
    for chunk in re.split(r"\s*[,;]\s*|\s+(?:and|&)\s+", text):
        chunk = chunk.strip().strip("\"'“”")
        if not chunk or not any(c.isalpha() for c in chunk) or _ET_AL.match(chunk):
            continue  # "DeepSeek-AI, :, Xiao Bi": the ":" is a typesetting leftover
        if chunk.lower().startswith("and "):
            chunk = chunk[4:].strip()  # "A, B, and C"
        if _NAME_SUFFIX.match(chunk) and names:
            names[-1] = f"{names[-1]}, {chunk}"
            continue
        chunk = re.sub(r"\s+et\.? al\.?$", "", chunk, flags=re.IGNORECASE)
        if chunk not in names:
            names.append(chunk)
    return names


def _drop_pull_quotes(paragraphs: list[str]) -> list[str]:
    """Drop a paragraph that only repeats the one before it in fragments ('X... Y!').

    The page sets such pull quotes apart for readers; spoken, they would say the same
    sentence twice.
    """
    kept: list[str] = []
    for paragraph in paragraphs:
        fragments = [f.strip(" \"“”'.!?,") for f in re.split(r"\.\.\.|…", paragraph)]
        fragments = [f for f in fragments if f]
        if kept and len(fragments) > 1 and all(f in kept[-1] for f in fragments):
            continue
        kept.append(paragraph)
    return kept


# --- deriving metadata -------------------------------------------------------------


def derive_title(paragraphs: list[str]) -> str:
    """A short title for an episode the page did not title: the name of the paper's subject.

    First choice is something the opening paragraphs introduce by name ("a new
    benchmark called FEABench"); otherwise the coined name the episode repeats most
    (PaperBench, DeepSeek LLM). Deterministic; no guessing beyond the text.
    """
    opening = " ".join(paragraphs[:4])
    for m in _CALLED.finditer(opening):
        name = m["name"].strip(" .,-")
        if name.split()[0][0].islower():
            name = name[0].upper() + name[1:]
        if name not in _COMMON_ACRONYMS:
            return name
    body = " ".join(paragraphs)
    counts = Counter(w for w in _COINED.findall(body) if w not in _COMMON_ACRONYMS and w != DEFAULT_SHOW)
    if counts:
        top = max(counts.items(), key=lambda kv: (kv[1], -body.index(kv[0])))[0]
        # Keep a model-name tail that follows it: "DeepSeek LLM", "Qwen2.5 Math".
        m = re.search(re.escape(top) + r"(?:\s+(?:[A-Z]{2,}\b|\d[\w.]*))*", body)
        return m.group(0) if m else top
    first = _split_at_end_punctuation(paragraphs[0])
    words = _strip_greeting(first)[0].split() if first else ["Untitled"]
    return " ".join(words[:8]).rstrip(".,!?") or "Untitled episode"


def _split_at_end_punctuation(paragraph: str) -> list[str]:
    """Cut page text after each ".", "!" or "?" that a capital or digit follows: rough (no
    abbreviations), which is enough to pick a title or description from. The sentences a
    voice says are cut by text.sentences.split_sentences."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _strip_greeting(sentences: list[str]) -> list[str]:
    i = 0
    while i < len(sentences) - 1 and _GREETING.search(sentences[i]):
        i += 1
    return sentences[i:]


def derive_description(paragraphs: list[str]) -> str:
    """The first two sentences after the host's greeting."""
    sentences = _strip_greeting(_split_at_end_punctuation(paragraphs[0])) if paragraphs else []
    if sentences and _GREETING.search(sentences[0]) and len(paragraphs) > 1:
        sentences = []  # the opening paragraph was all greeting
    for paragraph in paragraphs[1:]:
        if len(sentences) >= DESCRIPTION_SENTENCES:
            break
        sentences.extend(_split_at_end_punctuation(paragraph))
    return " ".join(sentences[:DESCRIPTION_SENTENCES])


def place_chapters(paragraphs: list[str]) -> list[tuple[int, str]]:
    """(paragraph index, heading) where each chapter starts, in order.

    The welcome is the opening paragraph when it greets; "why it matters" starts at
    the paragraph that asks it; the closing questions start at the introduction of the
    last run of two or more question paragraphs after that.
    """
    marks: list[tuple[int, str]] = []
    if _GREETING.search(paragraphs[0]) and len(paragraphs) > 1:
        marks += [(0, CHAPTER_WELCOME), (1, CHAPTER_RESEARCH)]
    else:
        marks.append((0, CHAPTER_RESEARCH))
    why = next((i for i, p in enumerate(paragraphs) if i > marks[-1][0] and _WHY_TURN.search(p)), None)
    if why is not None:
        marks.append((why, CHAPTER_WHY))

    questions = None
    i = len(paragraphs) - 1
    while i > marks[-1][0]:
        if paragraphs[i].endswith("?") and paragraphs[i - 1].endswith("?"):
            start = i - 1
            while start - 1 > marks[-1][0] and paragraphs[start - 1].endswith("?"):
                start -= 1
            intro = paragraphs[start - 1]
            if start - 1 > marks[-1][0] and (intro.endswith(":") or _QUESTIONS_INTRO.search(intro)):
                start -= 1
            questions = start
            break
        i -= 1
    if questions is not None and questions > marks[-1][0]:
        marks.append((questions, CHAPTER_QUESTIONS))
    return marks


# --- writing scripts ---------------------------------------------------------------


def render_script(episode: PageEpisode, number: int, title: str) -> str:
    """The script text: YAML front matter, then chapters of blank-line-separated paragraphs."""
    meta: dict[str, object] = {"title": title, "show": DEFAULT_SHOW, "season": SEASON, "episode": number,
                               "date": episode.date}
    if episode.category:
        meta["category"] = episode.category
    if episode.authors:
        meta["authors"] = episode.authors
    description = derive_description(episode.paragraphs)
    if description:
        meta["description"] = description
    meta["voice"] = DEFAULT_VOICE
    front = yaml.safe_dump(
        meta, sort_keys=False, allow_unicode=True, default_flow_style=None, width=float("inf")
    )
    starts = dict(place_chapters(episode.paragraphs))
    blocks: list[str] = []
    for i, paragraph in enumerate(episode.paragraphs):
        paragraph = escape(paragraph)  # page text: spoken and transcribed exactly as written
        if i in starts:
            blocks.append(f"## {starts[i]}\n{paragraph}")
        else:
            blocks.append(paragraph)
    return f"---\n{front}---\n\n" + "\n\n".join(blocks) + "\n"


def slugify(title: str) -> str:
    """ASCII, lower-case, hyphen-separated, at most MAX_SLUG_LEN characters; never a path."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG_LEN:
        cut = slug[:MAX_SLUG_LEN]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "episode"


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
class _Entry:
    sha256: str
    key: str | None
    """None for entries of the first manifest format, which did not record it."""


@dataclass
class _Existing:
    """A script already in the output folder."""

    path: Path
    sha256: str
    pristine: bool
    """Exactly as the importer wrote it (its manifest hash matches)."""
    key: str | None
    """Its episode: from the manifest, else from its front matter (date and title)."""
    number: int | None
    """Its episode number: front matter, else the file name's leading digits."""
    date: dt.date | None
    from_importer: bool


@dataclass
class _Plan:
    results: list[ImportResult]
    remove: list[Path]


def _existing_scripts(out_dir: Path, manifest: dict[str, _Entry]) -> dict[str, _Existing]:
    found: dict[str, _Existing] = {}
    for path in sorted(out_dir.glob("*.md")):
        if not path.is_file():
            continue
        try:
            raw = path.read_bytes()
        except OSError as e:
            raise PaperLedgeError(f"{path}: cannot read the existing script ({e.strerror})") from None
        digest = hashlib.sha256(raw).hexdigest()
        entry = manifest.get(path.name)
        meta = _front_matter(raw)
        date = meta.get("date")
        date = date if isinstance(date, dt.date) and not isinstance(date, dt.datetime) else None
        title = meta.get("title")
        key = entry.key if entry is not None and entry.key else None
        if key is None and date is not None and isinstance(title, str) and title.strip():
            key = episode_key(date, title)
        number = meta.get("episode")
        if isinstance(number, bool) or not isinstance(number, int):
            m = re.match(r"(\d+)[-_ ]", path.name)
            number = int(m.group(1)) if m else None
        if entry is not None and entry.key and date is None:
            date = dt.date.fromisoformat(entry.key[:10]) if re.match(r"\d{4}-\d\d-\d\d/", entry.key) else None
        found[path.name] = _Existing(
            path=path, sha256=digest, pristine=entry is not None and entry.sha256 == digest, key=key,
            number=number, date=date, from_importer=entry is not None,
        )
    return found


def _front_matter(raw: bytes) -> dict:
    """A script's front matter as a dict; {} when it has none or it does not parse."""
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return {}
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    try:
        meta = yaml.safe_load(text[4:end])
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _plan(targets: list[_Target], existing: dict[str, _Existing], force: bool) -> _Plan:
    """What to write, rename and remove; raises before anything is touched when the
    result would give one episode two scripts or two scripts one number."""
    # Which existing script is which episode: by key; then, for a title changed on the
    # page, the one unmatched importer script of a date with one unmatched episode.
    by_key: dict[str, list[_Existing]] = {}
    for script in existing.values():
        if script.key is not None:
            by_key.setdefault(script.key, []).append(script)
    copies: dict[str, list[_Existing]] = {t.key: by_key.pop(t.key, []) for t in targets}
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
                f"{' and '.join(names)} are both the episode {key}; nothing was imported: "
                "keep one and delete the other"
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


def _load_manifest(out_dir: Path) -> dict[str, _Entry]:
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PaperLedgeError(
            f"{path}: unreadable import manifest; delete it (edited scripts will then be kept, "
            "use --force to regenerate them)"
        ) from None
    bad = PaperLedgeError(f"{path}: the import manifest is not one the importer wrote; delete it")
    if not isinstance(data, dict):
        raise bad
    if "scripts" in data and isinstance(data.get("format"), int):
        scripts = data["scripts"]
        if not isinstance(scripts, dict):
            raise bad
        entries: dict[str, _Entry] = {}
        for name, value in scripts.items():
            if not (isinstance(value, dict) and isinstance(value.get("sha256"), str)
                    and isinstance(value.get("episode"), (str, type(None)))):
                raise bad
            entries[name] = _Entry(value["sha256"], value.get("episode"))
        return entries
    # The first format: file name -> hash.
    if not all(isinstance(v, str) for v in data.values()):
        raise bad
    return {name: _Entry(digest, None) for name, digest in data.items()}


def _save_manifest(out_dir: Path, manifest: dict[str, _Entry]) -> None:
    scripts = {name: {"sha256": e.sha256, "episode": e.key} for name, e in sorted(manifest.items())}
    write_atomic(out_dir / MANIFEST_NAME, json.dumps({"format": MANIFEST_FORMAT, "scripts": scripts}, indent=2) + "\n")
