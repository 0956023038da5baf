"""Cut paragraph text into sentences an engine reads well.

pysbd knows abbreviations ("e.g.", "vs.", "Dr.") and decimals ("3.5"), so it does
not split there. A sentence longer than the engine handles well is split again at
its clause boundaries; no text is ever dropped.
"""

from __future__ import annotations

import re
import threading
from typing import Final

from .rules.abbreviations import name_before
from .tables import alternation, table

# Clause boundaries, strongest first: a long sentence is cut at the first kind
# that gives a split near its middle.
_CLAUSE_BREAKS = [
    re.compile(r"(?<=[;:])\s+"),
    re.compile(r"\s+(?=[—–]\s)|(?<=\s[—–])\s+"),
    re.compile(r"(?<=,)\s+"),
    re.compile(r"\s+(?=(?:and|but|or|so|because|which|while|where|when)\s)"),
    re.compile(r"\s+"),
]


_per_thread = threading.local()


def _segmenter():
    """This thread's own pysbd Segmenter: `segment()` keeps the text it is working on in the
    Segmenter, so one shared across threads (the studio's) mixed their texts and dropped
    sentences. One per thread costs microseconds and, unlike a lock, never makes a thread wait."""
    segmenter = getattr(_per_thread, "segmenter", None)
    if segmenter is None:
        import pysbd

        segmenter = _per_thread.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


# "9:30 p.m. PST today": pysbd ends a sentence at "p.m." before a capital; a time zone there
# belongs to the time.
_ENDS_WITH_TIME: Final = re.compile(r"\d\s?[aApP]\.[mM]\.$")
_STARTS_WITH_ZONE: Final = re.compile(r"(?:" + "|".join(table("dates")["time_zones"]) + r")\b")
# "See Eq." | "(2) for the loss": pysbd ends a sentence at an abbreviation that never ends one
# before a number or "(" ("Fig. 3", "No. 5", "et al. 2024").
_ENDS_WITH_NEVER_END: Final = re.compile(r"(?<![\w.])(?:" + alternation(table("abbreviations")["never_end"]) + r")\.$")
_STARTS_WITH_NUMBER: Final = re.compile(r"[(\[]?\d")
# "lived on Elm St. It was quiet.": pysbd reads every "St." as "Saint"; after a name it is a
# street, and a capital after it starts a new sentence.
_STREET_END: Final = re.compile(r"\bSt\.\s+(?=[\"'(]*[A-Z])")


def split_sentences(text: str, max_chars: int) -> list[list[str]]:
    """Sentences of `text`, each as its clauses: one piece unless it is over `max_chars`."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    for s in (s for chunk in _chunks(text) for s in _segmenter().segment(chunk)):
        s = s.strip()
        if not s:
            continue
        tail = sentences[-1][-16:] if sentences else ""
        if tail and (
            _ENDS_WITH_TIME.search(tail)
            and _STARTS_WITH_ZONE.match(s)
            or _ENDS_WITH_NEVER_END.search(tail)
            and _STARTS_WITH_NUMBER.match(s)
        ):
            sentences[-1] += " " + s
        else:
            sentences.extend(_after_streets(s))
    return [_split_long(s, max_chars) for s in sentences]


def _chunks(text: str) -> list[str]:
    """A very long paragraph in pieces of about `_CHUNK` characters, cut where a sentence
    surely ends ("quiet. It"): pysbd's time grows with the square of what it is given."""
    chunks, start = [], 0
    while len(text) - start > 2 * _CHUNK:
        end = _SURE_END.search(text, start + _CHUNK, start + 2 * _CHUNK)
        # No sure end in a thousand characters: a run-on that `_split_long` cuts up anyway.
        cut = end.start() if end else text.find(" ", start + 2 * _CHUNK)
        if cut < 0:
            break
        chunks.append(text[start:cut])
        start = cut
    return chunks + [text[start:]]


_CHUNK: Final = 1000
_SURE_END: Final = re.compile(r"(?<=[a-z]{3}[.!?])\s+(?=[A-Z][a-z])")


def _after_streets(sentence: str) -> list[str]:
    pieces, start = [], 0
    for m in _STREET_END.finditer(sentence):
        if name_before(sentence, m.start()):
            pieces.append(sentence[start : m.start() + 3])
            start = m.end()
    return pieces + [sentence[start:]]


def _split_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    middle = len(sentence) / 2
    for pattern in _CLAUSE_BREAKS:
        cuts = [m for m in pattern.finditer(sentence) if 0 < m.start() < len(sentence) - 1]
        if not cuts:
            continue
        best = min(cuts, key=lambda m: abs(m.start() - middle))
        # Only a cut that leaves both halves a reasonable length is a clause boundary.
        if pattern is not _CLAUSE_BREAKS[-1] and min(best.start(), len(sentence) - best.end()) < max_chars / 5:
            continue
        head, tail = sentence[: best.start()].strip(), sentence[best.end() :].strip()
        return _split_long(head, max_chars) + _split_long(tail, max_chars)
    return [sentence]  # one enormous word: nothing to split at, say it whole
