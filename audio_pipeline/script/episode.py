"""An episode as the script reader gives it: metadata, chapters of paragraphs of sentences and pauses.

Every object here is frozen and holds tuples and frozen mappings: the episode one stage reads
is the episode the next stage reads. The render's forms of each sentence and each speaker's
voice come as a new episode (`Episode.prepared`), never as changes to the one the script gave.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence, TypeVar, Union

from ..config import DEFAULT_SHOW
from .soundbite import Soundbite

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A mapping that refuses every change, in the order it was given. Unlike
    `types.MappingProxyType` it pickles: an episode travels to Ray workers pickled."""

    __slots__ = ("_items",)
    _items: dict[K, V]

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        object.__setattr__(self, "_items", dict(items))

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} cannot be changed")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} cannot be changed")

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self._items,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


class FrozenCast(FrozenMap[str, str]):
    """A cast that refuses changes: speaker name -> voice profile, the host first, and `roles`
    (name -> role) as `settings.Cast` gives them, so that `cast.role_of` reads them the same."""

    __slots__ = ("roles",)
    roles: FrozenMap[str, str]

    def __init__(
        self, voices: Mapping[str, str] | Iterable[tuple[str, str]] = (), roles: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(voices)
        object.__setattr__(self, "roles", FrozenMap(getattr(voices, "roles", {}) if roles is None else roles))

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self._items, self.roles._items)

    def __repr__(self) -> str:
        return f"FrozenCast({self._items!r}, roles={self.roles._items!r})" if self.roles else super().__repr__()


def _freeze(obj: object, name: str, kind: type) -> None:
    """Field `name` of a frozen dataclass made a `kind` (a tuple, a frozen mapping) where a
    caller gave a list or a dict: nobody keeps a handle through which the episode could change."""
    value = getattr(obj, name)
    if type(value) is not kind:
        object.__setattr__(obj, name, kind(value))


@dataclass(frozen=True)
class Sentence:
    markup: str
    """As written in the script, inline {written|spoken} markup included."""
    written: str = ""
    """Transcript form (given by the text front end: `Episode.prepared`)."""
    spoken: str = ""
    """What the engine says (given by the text front end: `Episode.prepared`)."""
    fired: tuple[str, ...] = ()
    """Lexicon entries and rules that changed the spoken form."""
    continues: bool = False
    """A later clause of a sentence too long to synthesise whole: joined with a clause pause."""
    line: int = 0
    """Line of the script where its paragraph starts (for messages)."""
    speaker: str = ""
    """The cast member who says it ("" in a script without a cast)."""

    def __post_init__(self) -> None:
        _freeze(self, "fired", tuple)


@dataclass(frozen=True)
class Pause:
    seconds: float


Item = Union[Sentence, Pause]


@dataclass(frozen=True)
class Paragraph:
    items: tuple[Item, ...]
    speaker: str = ""
    """The cast member who says it ("" in a script without a cast)."""
    labelled: bool = False  # it begins with its speaker's label (`Maya: …`)

    def __post_init__(self) -> None:
        _freeze(self, "items", tuple)


@dataclass(frozen=True)
class Chapter:
    title: str
    paragraphs: tuple[Paragraph, ...] = ()
    img: Path | None = None
    """The chapter's image (front matter `chapters:`), checked like the cover; None: the episode's."""
    url: str | None = None
    """A web page about the chapter (front matter `chapters:`); None: none."""

    def __post_init__(self) -> None:
        _freeze(self, "paragraphs", tuple)

    def sentences(self) -> Iterator[Sentence]:
        for p in self.paragraphs:
            for item in p.items:
                if isinstance(item, Sentence):
                    yield item


@dataclass(frozen=True)
class EpisodeMeta:
    title: str
    show: str = DEFAULT_SHOW
    season: int | None = None
    episode: int | None = None
    date: dt.date | None = None
    category: str | None = None
    authors: tuple[str, ...] = ()
    description: str = ""
    voice: str | None = None
    cast: FrozenCast = FrozenCast()
    """The script's own `cast:` (speaker name -> voice profile), over the show's [cast]."""
    soundbite: Soundbite | None = None
    """The script's `soundbite:`: resolved to seconds by the render (`script.soundbite.resolve`)."""
    ai_content: bool | str | None = None
    """The script's `ai_content:` (true, false or "unanswered"); None: the show's setting decides."""

    def __post_init__(self) -> None:
        _freeze(self, "authors", tuple)
        _freeze(self, "cast", FrozenCast)


@dataclass(frozen=True)
class Episode:
    meta: EpisodeMeta
    chapters: tuple[Chapter, ...]
    source: Path
    cast: FrozenCast = FrozenCast()
    """Everyone who speaks: the show's [cast], the script's over it, the host first (empty: one voice)."""
    voices: FrozenMap[str, Any] = FrozenMap()
    """Speaker -> synthesis.VoiceProfile, given by `prepared` (typed loosely: the script comes
    before synthesis); empty in an episode as the script gives it."""

    def __post_init__(self) -> None:
        _freeze(self, "chapters", tuple)
        _freeze(self, "cast", FrozenCast)
        _freeze(self, "voices", FrozenMap)

    def sentences(self) -> list[Sentence]:
        """Every sentence, in script order."""
        return [s for c in self.chapters for s in c.sentences()]

    def prepared(self, voices: Mapping[str, Any], forms: Sequence[tuple[str, str, Sequence[str]]]) -> Episode:
        """A new episode as the render speaks it; this one is left as it is. `voices`: each
        speaker's voice profile (a synthesis.VoiceProfile); `forms`: each sentence's (written,
        spoken, fired), in `sentences()` order."""
        count = sum(1 for c in self.chapters for _ in c.sentences())
        if len(forms) != count:
            raise ValueError(f"{len(forms)} spoken forms for the episode's {count} sentences")
        given = iter(forms)

        def formed(item: Item) -> Item:
            if isinstance(item, Pause):
                return item
            written, spoken, fired = next(given)
            return replace(item, written=written, spoken=spoken, fired=tuple(fired))

        chapters = tuple(
            replace(c, paragraphs=tuple(replace(p, items=tuple(formed(i) for i in p.items)) for p in c.paragraphs))
            for c in self.chapters
        )
        return replace(self, chapters=chapters, voices=FrozenMap(voices))
