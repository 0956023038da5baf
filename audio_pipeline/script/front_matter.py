"""A script's YAML front matter: safe, alias-free, every field checked, read into EpisodeMeta."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config import DEFAULT_SHOW, MAX_EPISODE_NUMBER
from ..errors import PaperLedgeError, ScriptError
from ..settings import CONTROL, ranged, shown, table_values
from ..show import ai_answer
from .episode import EpisodeMeta
from .soundbite import read_soundbite

_FENCE = re.compile(r"---[ \t]*$")


class _FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML without aliases (a few hundred bytes of `*a` can expand to gigabytes) and
    without repeated keys (the last would silently win)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(problem="aliases (*name) are not allowed; write the value out", problem_mark=mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.MarkedYAMLError(problem=f"{shown(key)} is given twice; keep one", problem_mark=key_node.start_mark)
            seen.add(key if isinstance(key, (str, int, float, bool)) else id(key))
        return super().construct_mapping(node, deep=deep)


def split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    """(fields, body, line the body starts on). Blank lines before the opening '---'
    and spaces after either '---' are forgiven; a start that looks like front matter
    but does not parse is an error, never speech."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not _FENCE.match(lines[first]):
        return {}, text, 1
    close = next((i for i in range(first + 1, len(lines)) if _FENCE.match(lines[i])), None)
    if close is None:
        raise ScriptError(f"{path}: line {first + 1}: front matter starts with '---' but has no closing '---' line")
    block = "\n".join(lines[first + 1 : close])
    body = "\n".join(lines[close + 1 :])
    try:
        fields = yaml.load(block, Loader=_FrontMatterLoader) if block.strip() else {}
    except RecursionError:
        raise ScriptError(f"{path}: front matter nests too deep; write plain 'key: value' lines") from None
    except yaml.MarkedYAMLError as e:
        where = f"line {e.problem_mark.line + first + 2}" if e.problem_mark else "front matter"
        raise ScriptError(f"{path}: {where}: malformed front matter ({e.problem or 'invalid YAML'})") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
        # PyYAML builds dates itself: an unquoted 2025-13-45 is a ValueError here.
        raise ScriptError(f"{path}: malformed front matter ({e}); quote values that are not what they look like") from None
    if not isinstance(fields, dict):
        raise ScriptError(f"{path}: front matter must be 'key: value' lines")
    return fields, body, close + 2


@dataclass
class _FrontMatter:
    """The front matter as written; `meta_from_fields` makes it an EpisodeMeta."""

    title: str | None = None
    show: str | None = None
    season: int | None = ranged(None, 0, MAX_EPISODE_NUMBER)
    episode: int | None = ranged(None, 0, MAX_EPISODE_NUMBER)
    date: object = None
    """A date, or text in YYYY-MM-DD form."""
    category: str | None = None
    authors: object = None
    """A list of names, or one string of comma-separated names."""
    description: str | None = None
    voice: str | None = None
    cast: object = None
    """Speaker name -> voice profile (read by `read_cast`)."""
    soundbite: object = None
    """A start and a duration, or a passage of the script (read by `read_soundbite`)."""
    ai_content: object = None
    """true, false or "unanswered": podcast:txt purpose="ai-content" of this episode (show.ai_answer)."""
    chapters: object = None
    """Chapter title -> {img, url} (read by `chapter_links.read_links`)."""


def meta_from_fields(table: dict, path: Path) -> EpisodeMeta:
    # YAML guesses types: `title: 2024` is a number the writer meant as text.
    given = table_values(_FrontMatter, table, str(path), section="front matter", error=ScriptError, text_scalars=True)

    def text_field(name: str) -> str | None:
        value = given.get(name)
        return None if value is None else _plain(value.strip(), name, path)

    date = given.get("date")
    if date is not None and not isinstance(date, dt.date):
        try:
            date = dt.date.fromisoformat(str(date))
        except ValueError:
            raise ScriptError(f"{path}: 'date' in front matter must be a date (YYYY-MM-DD), not {shown(date)}") from None
    if isinstance(date, dt.datetime):
        date = date.date()

    authors = given.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",")]
    if not isinstance(authors, list) or not all(isinstance(a, (str, int, float)) for a in authors):
        raise ScriptError(f"{path}: 'authors' in front matter must be a list of names, not {shown(authors)}")
    authors = [_plain(str(a).strip(), "authors", path) for a in authors if str(a).strip()]

    return EpisodeMeta(
        title=text_field("title") or title_from_stem(path),
        show=text_field("show") or DEFAULT_SHOW,
        season=given.get("season"),
        episode=given.get("episode"),
        date=date,
        category=text_field("category"),
        authors=tuple(authors),
        description=text_field("description") or "",
        voice=text_field("voice"),
        soundbite=read_soundbite(given.get("soundbite"), str(path)),
        ai_content=_ai_content(given.get("ai_content"), path),
    )


def _ai_content(value: object, path: Path) -> bool | str | None:
    try:
        return None if value is None else ai_answer(value, f"{path}: 'ai_content' in front matter")
    except PaperLedgeError as e:
        raise ScriptError(str(e)) from None


def _plain(value: str, name: str, path: Path) -> str:
    """A front-matter value without control characters (YAML escapes can write them)."""
    bad = CONTROL.search(value)  # tabs and line breaks (a `|` block description) are text
    if bad:
        ch = value[bad.start()]
        raise ScriptError(f"{path}: front-matter field {name!r} holds control character U+{ord(ch):04X}; delete it")
    return value


def title_from_stem(path: Path) -> str:
    stem = re.sub(r"^\d+[-_ ]+", "", path.stem)
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else path.stem
