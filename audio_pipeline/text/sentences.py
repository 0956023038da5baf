"""Cut paragraph text into sentences an engine reads well.

pysbd knows abbreviations ("e.g.", "vs.", "Dr.") and decimals ("3.5"), so it does
not split there. A sentence longer than the engine handles well is split again at
its clause boundaries; no text is ever dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from audio_pipeline.text.tables import table

# Clause boundaries, strongest first: a long sentence is cut at the first kind
# that gives a split near its middle.
_CLAUSE_BREAKS = [
    re.compile(r"(?<=[;:])\s+"),
    re.compile(r"\s+(?=[—–]\s)|(?<=\s[—–])\s+"),
    re.compile(r"(?<=,)\s+"),
    re.compile(r"\s+(?=(?:and|but|or|so|because|which|while|where|when)\s)"),
    re.compile(r"\s+"),
]


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


# "9:30 p.m. PST today": pysbd ends a sentence at "p.m." before a capital; a time zone there
# belongs to the time.
_ENDS_WITH_TIME: Final = re.compile(r"\d\s?[aApP]\.[mM]\.$")
_STARTS_WITH_ZONE: Final = re.compile(r"(?:" + "|".join(table("dates")["time_zones"]) + r")\b")


def split_sentences(text: str, max_chars: int) -> list[list[str]]:
    """Sentences of `text`, each as its clauses: one piece unless it is over `max_chars`."""
    text = " ".join(text.split())
    if not text:
        return []
    sentences: list[str] = []
    for s in _segmenter().segment(text):
        s = s.strip()
        if not s:
            continue
        if sentences and _ENDS_WITH_TIME.search(sentences[-1]) and _STARTS_WITH_ZONE.match(s):
            sentences[-1] += " " + s
        else:
            sentences.append(s)
    return [_split_long(s, max_chars) for s in sentences]


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
