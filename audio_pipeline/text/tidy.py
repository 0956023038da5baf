"""The last step: keep letters and the punctuation that shapes prosody; everything else goes."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from .work import RESERVED as _RESERVED

_KEEP: Final = set(".,;:!?'- ")
# "Paul F. Jaeger": a period there would make the engine end the sentence.
_INITIAL: Final = re.compile(r"(?<![^\W\d_])([A-Z])\.\s*(?=[A-Za-z])")


def tidy(text: str) -> str:
    """Punctuation and spacing settled: run until nothing changes (at most four passes)."""
    for _ in range(4):
        tidier = _tidy_once(text)
        if tidier == text:
            break
        text = tidier
    return text


def _tidy_once(text: str) -> str:
    text = text.replace("...", " \u2026 ")
    text = re.sub(r"\s*[\u2026]\s*(?=[a-z])", ", ", text)  # trailing off mid-sentence: a pause
    text = re.sub(r"\s*[\u2026]\s*", ". ", text)  # at the end, or before a new sentence
    text = re.sub(r"\s+[–—-]+\s+|[–—]+|-{2,}", ", ", text)  # dashes in prose: a pause
    text = re.sub(r"[()\[\]{}]", ", ", text)  # asides: a pause on each side
    chars = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LM" or ch in _KEEP or _RESERVED.match(ch):
            chars.append(ch)
        else:
            chars.append(" ")
    text = "".join(chars)
    text = re.sub(r"(?<![^\W\d_])'|'(?![^\W\d_])", " ", text)  # quote marks, not apostrophes
    text = re.sub(r"(?<![^\W\d_])-|-(?![^\W\d_])", " ", text)  # hyphens only inside words
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<=[^\W\d_])\.(?=[^\W\d_])", " dot ", text)  # "Node.js"
    text = re.sub(r"\s+(?=[.,;:!?])", "", text)
    text = re.sub(r"[.,;:!?]{2,}", lambda m: _strongest(m.group(0)), text)
    text = re.sub(r"\s+(?=[.,;:!?])", "", text)
    # A space after , ; : ! ? but not after a period: "Dr.X" must not turn into "Dr. X",
    # which the abbreviation rule would read differently next time.
    text = re.sub(r"([,;:!?])(?=[^\s.,;:!?])", r"\1 ", text)
    text = re.sub(r"^[\s.,;:!?]+", "", text)
    text = _INITIAL.sub(r"\1 ", text)
    return re.sub(r"\s+", " ", text).strip()


def _strongest(run: str) -> str:
    for mark in "?!.;:":
        if mark in run:
            return mark
    return ","
