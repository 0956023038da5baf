"""A rule of the text front end: what it matches, how it rewrites, whether its output is
decided (parked, so later rules never re-read it). The rules run in the order of
`audio_pipeline.text.rules.RULES`; ``paperledge text --rules`` lists them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Union

from .work import Work

if TYPE_CHECKING:
    from .lexicon import Lexicon

Pattern = Union[re.Pattern, Callable[["Lexicon"], "re.Pattern | None"]]


@dataclass(frozen=True)
class Rule:
    name: str
    """Unique, kebab-case; what ``paperledge text`` reports as ``rule:NAME`` when it fired."""
    reads: str
    """The class of written form it reads (cardinal, date, money, measure, electronic, ...)."""
    pattern: Pattern
    """What it matches: a compiled regex, or a function of the lexicon that builds one."""
    rewrite: Callable[[re.Match, Work], str | None]
    """The spoken form of one match, or None to leave that match alone."""
    example: tuple[str, str]
    """(written, spoken): read with the show lexicon, the whole front end gives ``spoken``,
    and something else when this rule is switched off."""
    park: bool = True
    """Whether the output is decided: later rules see one placeholder in its place."""
    quiet: bool = False
    """A clean-up that names nothing, or a rule whose rewrite names what it used itself."""

    def compiled(self, lexicon: Lexicon) -> re.Pattern | None:
        """The regex it matches with `lexicon`; None: nothing to match (a lexicon without entries)."""
        return self.pattern if isinstance(self.pattern, re.Pattern) else self.pattern(lexicon)

    def apply(self, work: Work) -> None:
        pattern = self.compiled(work.lexicon)
        if pattern is not None:
            work.sub(pattern, lambda m: self.rewrite(m, work), None if self.quiet else f"rule:{self.name}", self.park)


def template(spoken: str) -> Callable[[re.Match, Work], str]:
    """A rewrite that is a fixed replacement (``\\1`` refers to the match's groups)."""
    return lambda m, _work: m.expand(spoken)
