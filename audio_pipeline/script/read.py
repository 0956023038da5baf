"""Script file -> Episode (metadata, chapters > paragraphs > sentences and pauses).

The format is described in the README: optional YAML front matter, `## ` headings
as chapters, blank-line paragraphs, `[pause 1.5s]`, and `{written|spoken}`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Sequence

from ..config import MAX_CHAPTERS, MAX_PAUSE_S, MAX_WORD_CHARS, TextConfig
from ..errors import ScriptError
from ..files import read_text
from ..settings import CONTROL
from ..text.markup import INLINE as _INLINE
from ..text.markup import parse_blocks, written_form
from ..text.sentences import split_sentences
from .cast import check_labelled, episode_cast, host_of, take_label
from .chapter_links import apply_links, read_links
from .episode import Chapter, Episode, FrozenCast, Item, Paragraph, Pause, Sentence
from .episode import EpisodeMeta as EpisodeMeta  # read from here by the later stages, with the rest
from .front_matter import meta_from_fields, split_front_matter, title_from_stem

_PAUSE = re.compile(r"\[pause\s+(\d+(?:\.\d+)?)\s*(ms|s)\s*\]", re.IGNORECASE)
_PAUSE_LIKE = re.compile(r"\[\s*pause", re.IGNORECASE)
_HUGE_WORD = re.compile(r"\S{%d,}" % (MAX_WORD_CHARS + 1))
# Control characters other than tab (newlines are already split off or normalised), and
# the bidirectional overrides and isolates: the transcript would show other than is said.
_CONTROL = CONTROL


def read_script(path: Path, text_config: TextConfig = TextConfig(), show_cast: dict[str, str] | None = None) -> Episode:
    """Read and parse a script (`show_cast`: the show's [cast]); every problem is a ScriptError naming what to fix."""
    text = read_text(path, "script", ScriptError)
    return parse_script(text, path, text_config, show_cast)


def parse_script(text: str, path: Path, text_config: TextConfig = TextConfig(), show_cast: dict | None = None) -> Episode:
    _check_control_characters(text, path)
    meta_fields, body, body_line = split_front_matter(text, path)
    meta = meta_from_fields(meta_fields, path)
    own_cast, cast = episode_cast(meta_fields, show_cast, text, path)
    chapters, title = _parse_body(body, body_line, path, meta.title, text_config, cast)
    meta = replace(meta, title=title, cast=FrozenCast(own_cast))
    chapters = apply_links(chapters, read_links(meta_fields.get("chapters"), path), path)
    if not any(True for c in chapters for _ in c.sentences()):
        raise ScriptError(f"{path}: the script has no text to speak; write at least one sentence")
    _check_pause_runs(chapters, path)
    check_labelled(meta.cast, [p.labelled for c in chapters for p in c.paragraphs], path)
    host = host_of(cast)
    if meta.authors:
        credits = credits_sentence(meta.authors, text_config.max_spoken_authors)
        last = chapters[-1]
        chapters[-1] = replace(last, paragraphs=(*last.paragraphs, Paragraph((Sentence(credits, speaker=host),), host)))
    if text_config.spoken_disclosure.strip():  # the show's disclosure that the voice is synthetic, said first
        disclosure = Sentence(" ".join(text_config.spoken_disclosure.split()), speaker=host)
        first = chapters[0]
        chapters[0] = replace(first, paragraphs=(Paragraph((disclosure,), host), *first.paragraphs))
    return Episode(meta=meta, chapters=tuple(chapters), source=path, cast=FrozenCast(cast))


def credits_sentence(authors: Sequence[str], max_named: int | None = None) -> str:
    """The credit to the paper's authors, the one sentence the episode, its tags and the feed
    give. Spoken (`max_named` given): at most `max_named` names, the rest counted. Written
    (None, for the MP3's comment and the show notes): every name, comma-separated."""
    if max_named is None:
        return f"Credit to the paper's authors: {', '.join(authors)}."
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


def _parse_body(
    body: str, first_line: int, path: Path, title: str, tc: TextConfig, cast: Mapping[str, str]
) -> tuple[list[Chapter], str]:
    """(the chapters, the episode's title: `title`, or the script's leading '# Title')."""
    # Built as (title, paragraphs) here; each becomes a Chapter once it is whole.
    parts: list[tuple[str, list[Paragraph]]] = [("Intro", [])]
    previous = ""
    speaker = host_of(cast)  # before any label: the host (whose voice a script's `voice:` may choose)
    for block in parse_blocks(body, first_line, path):
        if block.kind == "heading":
            heading = " ".join(written_form(block.text).split())
            if not heading:
                raise ScriptError(f"{path}: line {block.line}: chapter heading has no title")
            first_block = previous == "" and not any(paragraphs for _, paragraphs in parts)
            if block.level == 1 and first_block and title == title_from_stem(path):
                title = heading  # a leading '# Title' names the episode; it is not spoken
            else:
                parts.append((heading, []))
        elif block.kind in ("paragraph", "item"):
            text, speaker, who, labelled = take_label(block.text, block.quote, cast, speaker, f"{path}: line {block.line}")
            items = _paragraph_items(text, block.line, path, tc, who)
            if items:
                # The items of one list share a paragraph: a sentence pause between them.
                paragraphs = parts[-1][1]
                last = paragraphs[-1] if paragraphs else None
                if block.kind == "item" and previous == "item" and last is not None and last.speaker == who:
                    paragraphs[-1] = replace(last, items=(*last.items, *items))
                else:
                    paragraphs.append(Paragraph(tuple(items), who, labelled))
        # a thematic break ends the paragraph: the next one starts after a paragraph pause
        previous = block.kind
    # The implicit "Intro" chapter exists only if text came before the first heading.
    if not parts[0][1] and len(parts) > 1:
        parts.pop(0)
    parts = [p for p in parts if p[1]] or parts[:1]
    chapters = [Chapter(heading, tuple(paragraphs)) for heading, paragraphs in parts]
    for c in chapters:
        if c.paragraphs and not any(True for _ in c.sentences()):
            raise ScriptError(f"{path}: chapter {c.title!r} holds only pauses; give it a sentence or remove it")
    if len(chapters) > MAX_CHAPTERS:
        raise ScriptError(
            f"{path}: {len(chapters)} chapters; an MP3's table of contents holds at most {MAX_CHAPTERS}: merge some headings"
        )
    return chapters, title


def _paragraph_items(text: str, first_line: int, path: Path, tc: TextConfig, speaker: str) -> list[Item]:
    for offset, line in enumerate(text.split("\n")):
        _check_inline(line, first_line + offset, path)
        _check_pauses(line, first_line + offset, path)
        huge = _HUGE_WORD.search(line)
        if huge:
            raise ScriptError(
                f"{path}: line {first_line + offset}: a word of {len(huge.group()):,} characters "
                f"({huge.group()[:20]}…); no word is longer than {MAX_WORD_CHARS}: add spaces"
            )
    flat = " ".join(text.split())
    items: list[Item] = []
    pos = 0
    for m in _PAUSE.finditer(flat):
        items.extend(_sentences(flat[pos : m.start()], first_line, tc, speaker))
        items.append(Pause(_pause_seconds(m.group(1), m.group(2))))
        pos = m.end()
    items.extend(_sentences(flat[pos:], first_line, tc, speaker))
    return items


def _sentences(text: str, line: int, tc: TextConfig, speaker: str) -> list[Sentence]:
    # Inline overrides become opaque words while splitting, so "{e.g.|for example}"
    # can never be cut in half.
    saved: list[str] = []

    def hide(m: re.Match) -> str:
        saved.append(m.group(0))
        return f"\ue000{len(saved) - 1}\ue001"

    hidden = _INLINE.sub(hide, text)
    out: list[Sentence] = []
    for clauses in split_sentences(hidden, tc.max_sentence_chars):
        for i, clause in enumerate(clauses):
            clause = re.sub("\ue000(\\d+)\ue001", lambda m: saved[int(m.group(1))], clause)
            if not any(ch.isalnum() for ch in _spoken_source(clause)):
                continue  # only symbols or emoji: nothing for a voice to say
            out.append(Sentence(clause, continues=i > 0 and bool(out), line=line, speaker=speaker))
    return out


def _spoken_source(markup: str) -> str:
    """The text the voice is given before normalisation: inline overrides resolved."""
    return _INLINE.sub(lambda m: m.group(2), markup)


def _check_inline(line: str, lineno: int, path: Path) -> None:
    stripped = _INLINE.sub("", line)
    if "{" in stripped or "}" in stripped:
        raise ScriptError(
            f"{path}: line {lineno}: write inline pronunciations as {{written|spoken}}, "
            "one '|' and no nesting (\\{ for a plain brace)"
        )
    for m in _INLINE.finditer(line):
        if not m.group(1).strip() or not m.group(2).strip():
            raise ScriptError(f"{path}: line {lineno}: {m.group(0)} needs both a written and a spoken form")


def _check_pauses(line: str, lineno: int, path: Path) -> None:
    """Anything that looks like a pause tag must be one: a typo is never read aloud."""
    good = {m.start(): m for m in _PAUSE.finditer(line)}
    for m in _PAUSE_LIKE.finditer(line):
        value = good.get(m.start())
        if value is None:
            tag = line[m.start() : line.find("]", m.start()) + 1 or len(line)]
            raise ScriptError(f"{path}: line {lineno}: write pauses as [pause 800ms] or [pause 1.5s], not {tag}")
        seconds = _pause_seconds(value.group(1), value.group(2))
        if seconds > MAX_PAUSE_S:
            raise ScriptError(f"{path}: line {lineno}: a pause of {seconds:g}s is longer than {MAX_PAUSE_S:g}s")


def _pause_seconds(number: str, unit: str) -> float:
    return float(number) / (1000 if unit.lower() == "ms" else 1)


def _check_control_characters(text: str, path: Path) -> None:
    bad = _CONTROL.search(text)  # one pass over the file, not a Python loop per character
    if bad:
        lineno = text.count("\n", 0, bad.start()) + 1
        raise ScriptError(f"{path}: line {lineno}: control character U+{ord(bad.group()):04X} in the text; delete it")


def _check_pause_runs(chapters: Sequence[Chapter], path: Path) -> None:
    """Pauses in a row add up; together they may not exceed one pause's cap."""
    run = 0.0
    for c in chapters:
        for p in c.paragraphs:
            for item in p.items:
                run = run + item.seconds if isinstance(item, Pause) else 0.0
                if run > MAX_PAUSE_S:
                    raise ScriptError(
                        f"{path}: chapter {c.title!r}: pauses in a row add up to {run:g}s, more than {MAX_PAUSE_S:g}s of silence"
                    )


def check_speakable(episode: Episode, scripts: tuple[str, ...], voice: str, speaker: str | None = None) -> None:
    """Every letter the voice is given is of a writing system it speaks (`scripts`
    are Unicode script names as they begin a character's name: LATIN, GREEK, …);
    `speaker`: only that cast member's sentences."""
    allowed = tuple(s.upper() for s in scripts)
    for s in episode.sentences():
        if speaker is not None and s.speaker != speaker:
            continue
        for ch in _spoken_source(s.markup):
            if ch.isascii() or not ch.isalpha():  # ASCII letters are Latin: skip the name lookup
                continue
            name = unicodedata.name(ch, "")
            if not name.startswith(allowed):
                writing = name.split(" ")[0].title() if name else f"U+{ord(ch):04X}"
                raise ScriptError(
                    f"{episode.source}: line {s.line}: the voice {voice!r} cannot speak {writing} text ({ch!r}); "
                    "write it in the voice's language or give {written|spoken}"
                )
