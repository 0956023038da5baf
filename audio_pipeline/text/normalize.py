"""Text front end: a sentence's written form becomes the form the engine is given.

The written form (for transcripts) is never changed; the spoken form is what a careful
host would say: "ICML 2024" becomes "I-C-M-L twenty twenty-four", "LLaMA-2 7B" becomes
"Llama two seven billion", "https://github.com/google/feabench" becomes
"github dot com slash google slash feabench".

Precedence: inline ``{written|spoken}`` > voice lexicon > show lexicon > the rules.

How it works: the rules of `audio_pipeline.text.rules.RULES` run in that order. Each rule
that decides a span parks it (`audio_pipeline.text.work`), so later rules never re-read
words an earlier rule already decided (the "7" in "LLaMA-2 7B" is not a year, "I-C-M-L" is
not spelled twice). At the end the parked spans are put back and punctuation is tidied
(`audio_pipeline.text.tidy`). The output holds only letters, spaces and . , ; : ! ? ' -
(no digits, no symbols an engine would skip). The rules run again on their own output until
it stops changing (in practice one checking round), so normalising a spoken form again
changes nothing.

Spelled letters are joined by hyphens ("S-V-D", plural "L-L-M's"), and an "A" after
another letter is written "Eh" ("U-S-Eh"): espeak, which Piper uses, reads a lone or
inner "A" as the article "uh", but says the letter for "Eh".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from .lexicon import Lexicon, default_show_lexicon_path, load_lexicon
from .markup import INLINE, written_form
from .rule import Rule
from .rules import NUMBERS, RULES
from .rules.cardinals import LONG_DIGITS
from .rules.lexicon import RULES as LEXICON_RULES
from .tidy import tidy
from .work import PARK_BASE, RESERVED, Work, has_words, strip_reserved

__all__ = ["Spoken", "speak", "normalize", "default_lexicon"]

_MAX_INLINE: Final = 1000
_MAX_ROUNDS: Final = 3


@dataclass
class Spoken:
    """One sentence in both its forms."""

    written: str
    """Transcript form: inline ``{w|s}`` markup replaced by ``w``, otherwise untouched."""
    spoken: str
    """What the engine is given."""
    fired: list[str] = field(default_factory=list)
    """Names of the lexicon entries and rules that changed something, in firing order:
    ``"inline:TxGemma"``, ``"lexicon:ICML"``, ``"rule:url"``, ``"rule:acronym:SVD"``."""


def speak(markup: str, lexicon: Lexicon | None = None, rules: tuple[Rule, ...] = RULES) -> Spoken:
    """One sentence as written in a script (may hold ``{written|spoken}``) -> both forms.

    ``lexicon=None`` uses the show lexicon (`default_lexicon`).
    """
    written = written_form(markup)  # escaped braces are shown, and never spoken
    inline: list[str] = []
    fired: list[str] = []

    def protect(m: re.Match) -> str:
        if len(inline) >= _MAX_INLINE:
            return m.group(2)
        inline.append(" ".join(m.group(2).split()))
        name = f"inline:{m.group(1).strip()}"
        if name not in fired:
            fired.append(name)
        return chr(PARK_BASE + len(inline) - 1)

    text = INLINE.sub(protect, strip_reserved(markup))
    spoken, rule_fired = _to_fixed_point(text, inline, default_lexicon() if lexicon is None else lexicon, rules)
    return Spoken(written, spoken, fired + [f for f in rule_fired if f not in fired])


def normalize(text: str, lexicon: Lexicon | None = None, rules: tuple[Rule, ...] = RULES) -> tuple[str, list[str]]:
    """Plain text (no inline markup) -> (spoken form, names of what fired).

    ``lexicon=None`` uses the show lexicon (`default_lexicon`); pass ``Lexicon()`` for none.
    ``rules`` may leave rules out (`audio_pipeline.text.rules.without`).
    """
    return _to_fixed_point(strip_reserved(text), [], default_lexicon() if lexicon is None else lexicon, rules)


def default_lexicon() -> Lexicon:
    """The show lexicon at `default_show_lexicon_path`, re-read when the file changes."""
    path = default_show_lexicon_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return Lexicon()
    return _load_cached(path, stamp)


@lru_cache(maxsize=4)
def _load_cached(path: Path, stamp: int) -> Lexicon:
    return load_lexicon(path)


def _run(work: Work, rules: tuple[Rule, ...]) -> None:
    for rule in rules:
        rule.apply(work)


def _to_fixed_point(text: str, inline: list[str], lexicon: Lexicon, rules: tuple[Rule, ...]) -> tuple[str, list[str]]:
    """Run the rules until their output no longer changes (in practice: one round, checked).

    A rule late in the order can make a context that an earlier rule reads ("AAMr." splits
    into "A-A Mr."); running again settles it, so the spoken form is a fixed point and
    normalising it once more changes nothing. Inline spans stay parked throughout.
    """
    fired: list[str] = []
    keep = len(inline)
    current = text
    for round_ in range(_MAX_ROUNDS):
        work = Work(current, list(inline), lexicon=lexicon)
        # The lexicon reads the written text once: a spoken form is never looked up again
        # ("it" = "it it" would double every round).
        _run(work, rules if round_ == 0 else tuple(r for r in rules if r not in LEXICON_RULES))
        out = tidy(work.unparked(keep=keep))
        if round_ == 0 and not has_words(out) and has_words(text):
            # Nothing sayable survived (e.g. letters only in odd marks): keep the letters.
            out = " ".join("".join(c if c.isalnum() else " " for c in text).split())
            work = Work(out, list(inline), lexicon=lexicon)
            _run(work, tuple(r for r in (LONG_DIGITS, *NUMBERS) if r in rules))
            out = tidy(work.unparked(keep=keep))
        if round_ > 0 and out == current:
            break
        fired.extend(f for f in work.fired if f not in fired)
        current = out
    # Inline spoken forms go in last and verbatim: the author chose them.
    final = Work("", list(inline), lexicon=lexicon)
    spoken = RESERVED.sub(final.unpark_padded, current)
    return " ".join(spoken.split()), fired
