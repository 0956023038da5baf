"""A sentence being rewritten: its text, the spans already decided, and what fired.

A rule that decides how a span is said parks the spoken words behind one placeholder
character from a private-use plane, so later rules see a single word-like mark there
and never re-read words an earlier rule already decided.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Final

if TYPE_CHECKING:
    from .lexicon import Lexicon

PARK_BASE: Final = 0xF0000  # Supplementary Private Use Area-A: never in a real script
PARK_MAX: Final = 0xFFFFD
P: Final = "\U000f0000-\U000ffffd"
"""Regex class body of the placeholder characters, for rules' look-arounds: ``[\\w{P}]``."""
RESERVED: Final = re.compile(f"[{P}\U00100000-\U0010fffd]")
_WORDS: Final = re.compile(r"\w+")
NUM: Final = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"
"""A written number: 1,234,567.89 / 3.14 / .5 / 42."""


LOOK: Final = 64
"""How far a rule looks before or after its match for the words that decide it: a bounded
window, so that a long sentence with many matches stays linear, never quadratic."""


def before(text: str, start: int) -> str:
    return text[max(0, start - LOOK) : start]


def after(text: str, end: int) -> str:
    return text[end : end + LOOK]


def strip_reserved(text: str) -> str:
    return RESERVED.sub(" ", text)


def has_words(text: str) -> bool:
    return any(c.isalnum() or RESERVED.match(c) for c in text)


class Work:
    """The sentence being rewritten, the spans already decided, and what fired."""

    def __init__(self, text: str, parked: list[str] | None = None, *, lexicon: Lexicon) -> None:
        self.text = text
        self.parked: list[str] = parked if parked is not None else []
        self.written: dict[int, str] = {}
        """What each parked span was before it was decided (by its index), for rules that ask
        what word came before ("Fig." before "3b", "NumPy" before "1.26")."""
        self.fired: list[str] = []
        self.lexicon = lexicon

    def fire(self, name: str) -> None:
        if name not in self.fired:
            self.fired.append(name)

    def park(self, spoken: str, name: str | None = None, written: str = "") -> str:
        """Decide a span: later rules see one word-like placeholder in its place."""
        if name:
            self.fire(name)
        if PARK_BASE + len(self.parked) > PARK_MAX:  # absurdly long input: stop parking
            return f" {spoken} "
        if written:
            self.written[len(self.parked)] = written
        self.parked.append(spoken)
        return chr(PARK_BASE + len(self.parked) - 1)

    def word_before(self, start: int) -> str:
        """The written word just before `start` ("Fig" for "Fig. 3b", also once "Fig." is
        decided), looking back a short way only, so that asking stays cheap on long text."""
        words = self.words_before(start)
        return words[-1] if words else ""

    def words_before(self, start: int) -> list[str]:
        """The written words a short way before `start`, decided spans put back as written."""
        text = before(self.text, start)
        for _ in range(3):  # a decided span may hold decided spans
            if not RESERVED.search(text):
                break
            text = RESERVED.sub(lambda m: " " + self.written.get(ord(m.group(0)) - PARK_BASE, "") + " ", text)
        return _WORDS.findall(text)

    def words_after(self, end: int) -> list[str]:
        """The written words a short way after `end`, decided spans put back as written."""
        text = after(self.text, end)
        for _ in range(3):
            if not RESERVED.search(text):
                break
            text = RESERVED.sub(lambda m: " " + self.written.get(ord(m.group(0)) - PARK_BASE, "") + " ", text)
        return _WORDS.findall(text)

    def sub(
        self, pattern: re.Pattern, repl: Callable[[re.Match], str | None], name: str | None = None, park: bool = True
    ) -> None:
        """Replace every match; ``repl`` returning None leaves that match as it was."""

        def one(m: re.Match) -> str:
            out = repl(m)
            if out is None:
                return m.group(0)
            if park:
                return self.park(out, name, m.group(0))
            if name:
                self.fire(name)
            return out

        self.text = pattern.sub(one, self.text)

    def unparked(self, keep: int = 0) -> str:
        """The text with parked spans put back; the first ``keep`` stay parked."""
        text = self.text
        for _ in range(3):  # parked spans may hold parked spans (nested rules)
            if not RESERVED.search(text):
                break
            text = RESERVED.sub(lambda m: self.unpark_padded(m, keep), text)
        return text

    def unpark_padded(self, m: re.Match, keep: int = 0) -> str:
        """The parked words, with a space only where they would touch a word."""
        if ord(m.group(0)) - PARK_BASE < keep:
            return m.group(0)
        before = m.string[m.start() - 1 : m.start()]
        after = m.string[m.end() : m.end() + 1]
        pad_before = " " if before and (before.isalnum() or RESERVED.match(before)) else ""
        pad_after = " " if after and (after.isalnum() or RESERVED.match(after)) else ""
        return pad_before + self._unpark(m.group(0)) + pad_after

    def _unpark(self, ch: str) -> str:
        i = ord(ch) - PARK_BASE
        return self.parked[i] if 0 <= i < len(self.parked) else " "
