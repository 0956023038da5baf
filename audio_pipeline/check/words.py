"""The check's words: the form a sentence is scored in, and word error rate.

One normaliser serves both sides: the front end's own number, symbol and abbreviation
rules, then case, punctuation and hyphens, so "8%" and "eight percent" are the same
words. The aligner is given the same reading with its case and punctuation kept (what
the recogniser writes best); the WER of a freely decoded sentence compares lower-case words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from ..config import CHECK_EQUIVALENT_WORDS, CHECK_LETTER_NAMES


@dataclass
class Score:
    errors: int
    """Substitutions + deletions + insertions, after normalisation."""
    words: int
    """Words in the written form."""
    severe: int
    """Errors that are not near misses (a word heard as one that sounds nothing like it)."""
    differs: list[str]
    """The words that differ: "written→heard", "-dropped", "+added"."""
    misheard: list[str]
    """Written words heard wrong (substituted or dropped), in order."""

    @property
    def rate(self) -> float:
        return self.errors / self.words if self.words else float(self.errors > 0)


@lru_cache(maxsize=8)
def sentence_lexicon(speaker: str | None = None):
    """The lexicon a sentence is read with for the check: which acronyms the show reads as
    words (NASA), none of its respellings (those are for the voice, not for the
    recogniser). The one place a speaker's own lexicon would be looked up."""
    from ..text.lexicon import Lexicon
    from ..text.normalize import default_lexicon

    return Lexicon(read_as_word=default_lexicon().read_as_word)


@lru_cache(maxsize=4096)
def reading(text: str, speaker: str | None = None) -> str:
    """`text` as it is said, in the recogniser's own spelling: numbers, symbols, spelled
    sequences and URLs in their spoken form, case and punctuation kept."""
    from ..text.normalize import normalize

    text = text.replace("\u2019", "'").replace("\u2018", "'")
    # Tomás -> Tomas: the recogniser seldom writes accents the script has.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    spoken, _ = normalize(text, sentence_lexicon(speaker))
    spoken = re.sub(r"(?<=\b[A-Za-z])-Eh\b", "-A", spoken)  # the spelled "A" the voice says as "Eh"
    spoken = re.sub(r"\bEh-(?=[A-Za-z])", "A-", spoken)
    spoken = _SPELLED.sub(lambda m: m.group(0).replace("-", ""), spoken)  # I-C-M-L -> ICML
    # A name in mixed case the front end reads in parts ("LLaMA" as "LL a MA") is scored as
    # written: the recogniser writes such names whole.
    for name in set(_MIXED.findall(text)):
        spoken = re.sub(r"\b" + r"[ -]?".join(map(re.escape, name)) + r"\b", name, spoken)
    return _EQUIVALENT.sub(lambda m: _same_case(m.group(0), CHECK_EQUIVALENT_WORDS[m.group(0).lower()]), spoken)


def _same_case(word: str, other: str) -> str:
    return other.capitalize() if word[:1].isupper() else other


def scoring_words(text: str, speaker: str | None = None) -> list[str]:
    """The words the aligner scores for a sentence (punctuation stays on them)."""
    return reading(text, speaker).split()


_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_SPELLED = re.compile(r"\b[A-Za-z](?:-[A-Za-z])+\b")
_MIXED = re.compile(r"\b[A-Za-z][a-z]*[A-Z][A-Za-z]*\b|\b[A-Z]+[a-z][A-Za-z]*[A-Z]\b")
_EQUIVALENT = re.compile(r"\b(?:" + "|".join(CHECK_EQUIVALENT_WORDS) + r")\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def words_of(text: str) -> tuple[str, ...]:
    """Text as comparable words: numbers, symbols and abbreviations said out, lower case,
    no punctuation, hyphenated and camel-case compounds split."""
    spoken = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", reading(text))  # PaperLedge -> Paper Ledge
    spoken = _NOT_WORD.sub(" ", spoken.lower().replace("'", "").replace("-", " "))
    out: list[str] = []
    for w in spoken.split():
        out.extend(CHECK_EQUIVALENT_WORDS.get(w, w).split())
    # A run of single letters is one spelled word: "c m l" -> "cml".
    joined: list[str] = []
    run: list[str] = []
    for w in out + [""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        joined.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        if w:
            joined.append(w)
    return tuple(joined)


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def _join_cost(a: list[str], b: list[str], near: float) -> int | None:
    """0 when the joined words spell the same ("paper ledge" / "paperledge", "i see ml" /
    "icml"), 1 (a near miss) when they are much alike, else None."""
    ja, jb = "".join(a), "".join(b)
    if ja == jb or _letters(a) == _letters(b):
        return 0
    if min(len(ja), len(jb)) / max(len(ja), len(jb)) < 0.75:
        return None
    return 1 if _similar(ja, jb) >= max(near, 0.8) else None


def _letters(words: list[str]) -> str:
    """Words with letter names read as letters: "i see m l" -> "icml"."""
    return "".join(CHECK_LETTER_NAMES.get(w, w) for w in words)


def score(written: tuple[str, ...] | list[str], heard: tuple[str, ...] | list[str], near: float = 0.6) -> Score:
    """Word-level edit distance with its alignment. Two heard words that spell one written
    word (or the reverse: "paper ledge" / "paperledge") count as one word."""
    r, h = list(written), list(heard)
    n, m = len(r), len(h)
    INF = 10**9
    cost = [[INF] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0
    for i in range(n + 1):
        for j in range(m + 1):
            c = cost[i][j]
            if c == INF:
                continue
            steps = []
            if i < n and j < m:
                steps.append((i + 1, j + 1, 0 if r[i] == h[j] else 1, "sub"))
            if i < n:
                steps.append((i + 1, j, 1, "del"))
            if j < m:
                steps.append((i, j + 1, 1, "ins"))
            for k in (2, 3):  # one word heard as k, or k written words heard as one
                if i + k <= n and j < m:
                    d = _join_cost(r[i : i + k], h[j : j + 1], near)
                    if d is not None:
                        steps.append((i + k, j + 1, d, "join"))
                if i < n and j + k <= m:
                    d = _join_cost(r[i : i + 1], h[j : j + k], near)
                    if d is not None:
                        steps.append((i + 1, j + k, d, "join"))
            for a, b, d, kind in steps:
                if c + d < cost[a][b]:
                    cost[a][b] = c + d
                    back[a][b] = (i, j, kind)
    ops = []
    i, j = n, m
    while (i, j) != (0, 0):
        step = back[i][j]
        assert step is not None  # deletions and insertions reach every cell
        pi, pj, kind = step
        ops.append((kind, r[pi:i], h[pj:j]))
        i, j = pi, pj
    ops.reverse()
    severe, differs, misheard = 0, [], []
    for kind, rw, hw in ops:
        if kind == "join":
            if _join_cost(rw, hw, near):
                differs.append(f"{' '.join(rw)}→{' '.join(hw)}")
                misheard.extend(rw)
            continue
        if kind == "sub" and rw == hw:
            continue
        if kind == "sub":
            differs.append(f"{rw[0]}→{hw[0]}")
            misheard.append(rw[0])
            if _similar(rw[0], hw[0]) < near:
                severe += 1
        elif kind == "del":
            differs.append(f"-{rw[0]}")
            misheard.append(rw[0])
            severe += 1
        else:
            differs.append(f"+{hw[0]}")
            severe += 1
    return Score(cost[n][m], n, severe, differs, misheard)
