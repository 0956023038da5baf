"""Script file -> Episode (metadata, chapters > paragraphs > sentences and pauses).

The format is described in the README: optional YAML front matter, `## ` headings
as chapters, blank-line paragraphs, `[pause 1.5s]`, and `{written|spoken}`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

import yaml

from .config import DEFAULT_SHOW, TextConfig
from .errors import ScriptError
from .files import read_text
from .text.sentences import split_sentences

FRONT_MATTER_FIELDS = (
    "title", "show", "season", "episode", "date", "category", "authors", "description", "voice",
)

_PAUSE = re.compile(r"\[pause\s+([^\]]*)\]", re.IGNORECASE)
_PAUSE_VALUE = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s)$")
_INLINE = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
MAX_PAUSE_S = 30.0


@dataclass
class Sentence:
    markup: str
    """As written in the script, inline {written|spoken} markup included."""
    written: str = ""
    """Transcript form (set by the text front end)."""
    spoken: str = ""
    """What the engine says (set by the text front end)."""
    fired: list[str] = field(default_factory=list)
    """Lexicon entries and rules that changed the spoken form."""
    continues: bool = False
    """A later clause of a sentence too long to synthesise whole: joined with a clause pause."""


@dataclass
class Pause:
    seconds: float


Item = Union[Sentence, Pause]


@dataclass
class Paragraph:
    items: list[Item]


@dataclass
class Chapter:
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)

    def sentences(self) -> Iterator[Sentence]:
        for p in self.paragraphs:
            for item in p.items:
                if isinstance(item, Sentence):
                    yield item


@dataclass
class EpisodeMeta:
    title: str
    show: str = DEFAULT_SHOW
    season: int | None = None
    episode: int | None = None
    date: dt.date | None = None
    category: str | None = None
    authors: list[str] = field(default_factory=list)
    description: str = ""
    voice: str | None = None


@dataclass
class Episode:
    meta: EpisodeMeta
    chapters: list[Chapter]
    source: Path

    def sentences(self) -> list[Sentence]:
        return [s for c in self.chapters for s in c.sentences()]


def read_script(path: Path, text_config: TextConfig = TextConfig()) -> Episode:
    """Read and parse a script file; every problem is a ScriptError naming what to fix."""
    text = read_text(path, "script", ScriptError)
    return parse_script(text, path, text_config)


def parse_script(text: str, path: Path, text_config: TextConfig = TextConfig()) -> Episode:
    meta_fields, body, body_line = _split_front_matter(text, path)
    meta = _meta_from_fields(meta_fields, path)
    chapters = _parse_body(body, body_line, path, meta, text_config)
    if not any(True for c in chapters for _ in c.sentences()):
        raise ScriptError(f"{path}: the script has no text to speak; write at least one sentence")
    if meta.authors:
        credits = credits_sentence(meta.authors, text_config.max_spoken_authors)
        chapters[-1].paragraphs.append(Paragraph([Sentence(credits)]))
    return Episode(meta=meta, chapters=chapters, source=path)


def credits_sentence(authors: list[str], max_named: int) -> str:
    """The spoken credit: at most `max_named` names, the rest counted."""
    named = authors[: max(1, max_named)]
    if len(authors) - len(named) == 1:
        named = authors  # "and 1 colleague" says less than the name would
    rest = len(authors) - len(named)
    if rest:
        names = ", ".join(named) + f", and {rest} colleague{'s' if rest > 1 else ''}"
    elif len(named) == 1:
        names = named[0]
    else:
        names = ", ".join(named[:-1]) + f" and {named[-1]}"
    return f"Credit to the paper's authors: {names}."


def _split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    if not text.startswith("---\n"):
        return {}, text, 1
    end = re.search(r"^---\s*$", text[4:], re.MULTILINE)
    if end is None:
        raise ScriptError(f"{path}: front matter starts with '---' but has no closing '---' line")
    block = text[4 : 4 + end.start()]
    body = text[4 + end.end() :]
    try:
        fields = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark else "front matter"
        problem = getattr(e, "problem", None) or "invalid YAML"
        raise ScriptError(f"{path}: {where}: malformed front matter ({problem})") from None
    if not isinstance(fields, dict):
        raise ScriptError(f"{path}: front matter must be 'key: value' lines")
    return fields, body, block.count("\n") + 3


def _meta_from_fields(fields: dict, path: Path) -> EpisodeMeta:
    unknown = [str(k) for k in fields if k not in FRONT_MATTER_FIELDS]
    if unknown:
        raise ScriptError(
            f"{path}: unknown front-matter field {unknown[0]!r}; "
            f"allowed: {', '.join(FRONT_MATTER_FIELDS)}"
        )

    def text_field(name: str) -> str | None:
        value = fields.get(name)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            raise ScriptError(f"{path}: front-matter field {name!r} must be plain text")
        return str(value).strip()

    def int_field(name: str) -> int | None:
        value = fields.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ScriptError(f"{path}: front-matter field {name!r} must be a whole number, got {value!r}")
        return value

    date = fields.get("date")
    if date is not None and not isinstance(date, dt.date):
        try:
            date = dt.date.fromisoformat(str(date))
        except ValueError:
            raise ScriptError(f"{path}: front-matter 'date' must be YYYY-MM-DD, got {date!r}") from None
    if isinstance(date, dt.datetime):
        date = date.date()

    authors = fields.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",")]
    if not isinstance(authors, list) or not all(isinstance(a, (str, int, float)) for a in authors):
        raise ScriptError(f"{path}: front-matter 'authors' must be a list of names")
    authors = [str(a).strip() for a in authors if str(a).strip()]

    return EpisodeMeta(
        title=text_field("title") or _title_from_stem(path),
        show=text_field("show") or DEFAULT_SHOW,
        season=int_field("season"),
        episode=int_field("episode"),
        date=date,
        category=text_field("category"),
        authors=authors,
        description=text_field("description") or "",
        voice=text_field("voice"),
    )


def _title_from_stem(path: Path) -> str:
    stem = re.sub(r"^\d+[-_ ]+", "", path.stem)
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else path.stem


def _parse_body(body: str, first_line: int, path: Path, meta: EpisodeMeta, tc: TextConfig) -> list[Chapter]:
    chapters = [Chapter("Intro")]
    paragraph: list[tuple[int, str]] = []

    def flush() -> None:
        if paragraph:
            items = _paragraph_items(paragraph, path, tc)
            if items:
                chapters[-1].paragraphs.append(Paragraph(items))
            paragraph.clear()

    for offset, line in enumerate(body.split("\n")):
        lineno = first_line + offset
        heading = _HEADING.match(line)
        if heading:
            flush()
            level, title = len(heading.group(1)), heading.group(2).strip()
            if level == 1:
                if not meta.title or meta.title == _title_from_stem(path):
                    meta.title = title  # a '# Title' line names the episode; it is not spoken
                continue
            if not title:
                raise ScriptError(f"{path}: line {lineno}: chapter heading has no title")
            chapters.append(Chapter(title))
        elif line.strip():
            paragraph.append((lineno, line.strip()))
        else:
            flush()
    flush()
    # The implicit "Intro" chapter exists only if text came before the first heading.
    if not chapters[0].paragraphs and len(chapters) > 1:
        chapters.pop(0)
    chapters = [c for c in chapters if c.paragraphs] or chapters[:1]
    for c in chapters:
        if c.paragraphs and not any(True for _ in c.sentences()):
            raise ScriptError(f"{path}: chapter {c.title!r} holds only pauses; give it a sentence or remove it")
    return chapters


def _paragraph_items(lines: list[tuple[int, str]], path: Path, tc: TextConfig) -> list[Item]:
    for lineno, line in lines:
        _check_inline(line, lineno, path)
        for m in _PAUSE.finditer(line):
            _pause_seconds(m.group(1), lineno, path)
    text = " ".join(line for _, line in lines)
    lineno = lines[0][0]
    items: list[Item] = []
    pos = 0
    for m in _PAUSE.finditer(text):
        items.extend(_sentences(text[pos : m.start()], tc))
        items.append(Pause(_pause_seconds(m.group(1), lineno, path)))
        pos = m.end()
    items.extend(_sentences(text[pos:], tc))
    return items


def _sentences(text: str, tc: TextConfig) -> list[Sentence]:
    # Inline overrides become opaque words while splitting, so "{e.g.|for example}"
    # can never be cut in half.
    saved: list[str] = []

    def hide(m: re.Match) -> str:
        saved.append(m.group(0))
        return f"\ue000{len(saved) - 1}\ue001"

    hidden = _INLINE.sub(hide, text)
    out = []
    for clauses in split_sentences(hidden, tc.max_sentence_chars):
        for i, clause in enumerate(clauses):
            clause = re.sub("\ue000(\\d+)\ue001", lambda m: saved[int(m.group(1))], clause)
            out.append(Sentence(clause, continues=i > 0))
    return out


def _check_inline(line: str, lineno: int, path: Path) -> None:
    stripped = _INLINE.sub("", line)
    if "{" in stripped or "}" in stripped:
        raise ScriptError(
            f"{path}: line {lineno}: write inline pronunciations as {{written|spoken}}, "
            "one '|' and no nesting"
        )
    for m in _INLINE.finditer(line):
        if not m.group(1).strip() or not m.group(2).strip():
            raise ScriptError(f"{path}: line {lineno}: {m.group(0)} needs both a written and a spoken form")


def _pause_seconds(value: str, lineno: int, path: Path) -> float:
    m = _PAUSE_VALUE.match(value.strip().lower())
    if not m:
        raise ScriptError(f"{path}: line {lineno}: write pauses as [pause 800ms] or [pause 1.5s], not [pause {value}]")
    seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
    if seconds > MAX_PAUSE_S:
        raise ScriptError(f"{path}: line {lineno}: a pause of {seconds:g}s is longer than {MAX_PAUSE_S:g}s")
    return seconds
