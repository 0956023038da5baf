"""An episode as the script reader gives it: metadata, chapters of paragraphs of sentences and pauses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Union

from ..config import DEFAULT_SHOW
from .soundbite import Soundbite


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
    line: int = 0
    """Line of the script where its paragraph starts (for messages)."""
    speaker: str = ""
    """The cast member who says it ("" in a script without a cast)."""


@dataclass
class Pause:
    seconds: float


Item = Union[Sentence, Pause]


@dataclass
class Paragraph:
    items: list[Item]
    speaker: str = ""
    """The cast member who says it ("" in a script without a cast)."""
    labelled: bool = False  # it begins with its speaker's label (`Maya: …`)


@dataclass
class Chapter:
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    img: Path | None = None
    """The chapter's image (front matter `chapters:`), checked like the cover; None: the episode's."""
    url: str | None = None
    """A web page about the chapter (front matter `chapters:`); None: none."""

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
    cast: dict[str, str] = field(default_factory=dict)
    """The script's own `cast:` (speaker name -> voice profile), over the show's [cast]."""
    soundbite: Soundbite | None = None
    """The script's `soundbite:`: resolved to seconds by the render (`script.soundbite.resolve`)."""
    ai_content: bool | str | None = None
    """The script's `ai_content:` (true, false or "unanswered"); None: the show's setting decides."""


@dataclass
class Episode:
    meta: EpisodeMeta
    chapters: list[Chapter]
    source: Path
    cast: dict[str, str] = field(default_factory=dict)
    """Everyone who speaks: the show's [cast], the script's over it, the host first (empty: one voice)."""
    voices: dict = field(default_factory=dict)  # speaker -> VoiceProfile, filled in by render.load_episode

    def sentences(self) -> list[Sentence]:
        return [s for c in self.chapters for s in c.sentences()]
