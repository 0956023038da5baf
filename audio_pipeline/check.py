"""Check by ear: what the recogniser hears in an episode, sentence by sentence.

The MP3 is transcribed once with word times; each word goes to the sentence whose
exact span (the cues of `EPISODE.vtt`, written from the render's timeline) holds
it. The recogniser's word times are approximate, so a word at a sentence's edge may
move to the neighbour where it matches better. Each sentence is then scored against
its written form, both put through one normaliser (the front end's own number,
symbol and abbreviation rules, then case, punctuation and hyphens), so "8%" and
"eight percent" are the same words.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

from . import asr
from .config import CHECK_EQUIVALENT_WORDS, CHECK_LETTER_NAMES, CheckConfig
from .errors import CheckError


@dataclass
class Cue:
    index: int
    """The cue's number in the VTT (1 for the first sentence)."""
    start: float
    end: float
    text: str


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


@dataclass
class SentenceCheck:
    index: int
    start: float
    end: float
    written: str
    heard: str
    error: float
    flagged: bool
    differs: list[str] = field(default_factory=list)
    take: int = 0
    """The take now in the episode (0: the first)."""
    fix: str | None = None
    """A lexicon line that made the recogniser hear the written word, if one was found."""
    note: str = ""


@dataclass
class CheckReport:
    mp3: Path
    wer: float
    sentences: list[SentenceCheck]
    model: str
    seconds: float
    """Time the check took."""
    errors: int = 0
    words: int = 0

    @property
    def flagged(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.flagged]

    def as_json(self) -> dict:
        """The object `check --json` prints: the WER and one entry per VTT cue."""
        keys = ("index", "start", "end", "written", "heard", "error", "flagged")
        return {"wer": self.wer, "sentences": [{k: getattr(s, k) for k in keys} for s in self.sentences]}

    def as_file(self, extra: dict | None = None) -> dict:
        """EPISODE.check.json: the same, with the differing words, takes and fixes."""
        return {
            "wer": self.wer, "errors": self.errors, "words": self.words, "model": self.model,
            "seconds": round(self.seconds, 2), **(extra or {}),
            "sentences": [asdict(s) for s in self.sentences],
        }


# ---------------------------------------------------------------------------------------
# Reading the transcript
# ---------------------------------------------------------------------------------------

_TIME = re.compile(r"(\d+):(\d\d):(\d\d(?:\.\d+)?)")


def read_vtt(path: Path) -> list[Cue]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckError(f"no transcript {path} beside the MP3: check reads sentence times from it (render writes it)") from None
    except OSError as e:
        raise CheckError(f"cannot read {path} ({e.strerror})") from None
    if not text.startswith("WEBVTT"):
        raise CheckError(f"{path} is not a WebVTT file")

    def secs(t: str) -> float:
        m = _TIME.search(t)
        if not m:
            raise CheckError(f"{path}: bad cue time {t.strip()!r}")
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))

    cues = []
    for block in text.replace("\r\n", "\n").split("\n\n")[1:]:
        lines = [line for line in block.strip().splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        a, b = lines[timing].split("-->")
        cues.append(Cue(len(cues) + 1, secs(a), secs(b), " ".join(lines[timing + 1 :])))
    if not cues:
        raise CheckError(f"{path} has no cues")
    return cues


# ---------------------------------------------------------------------------------------
# Normalising and comparing words
# ---------------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_SPELLED = re.compile(r"\b[A-Za-z](?:-[A-Za-z])+\b")


@lru_cache(maxsize=4096)
def words_of(text: str) -> tuple[str, ...]:
    """Text as comparable words: numbers, symbols and abbreviations said out, lower case,
    no punctuation, hyphenated and camel-case compounds split."""
    from .text.lexicon import Lexicon
    from .text.normalize import default_lexicon, normalize

    text = text.replace("\u2019", "'").replace("\u2018", "'")
    # Tomás -> Tomas: the recogniser seldom writes accents the script has.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    # The front end's rules, and which acronyms the show reads as words (NASA), but none of
    # its respellings: those are for the voice, not for the comparison.
    spoken, _ = normalize(text, Lexicon(read_as_word=default_lexicon().read_as_word))
    spoken = re.sub(r"(?<=\b[A-Za-z])-Eh\b", "-A", spoken)  # the spelled "A" the voice says as "Eh"
    spoken = re.sub(r"\bEh-(?=[A-Za-z]\b)", "A-", spoken)
    spoken = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", spoken)  # PaperLedge -> Paper Ledge
    spoken = _SPELLED.sub(lambda m: m.group(0).replace("-", ""), spoken)  # I-C-M-L -> ICML
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
    back: list[list[tuple | None]] = [[None] * (m + 1) for _ in range(n + 1)]
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
        pi, pj, kind = back[i][j]
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


def is_flagged(s: Score, cfg: CheckConfig) -> bool:
    """Near misses count towards WER only; a flag needs words heard as something else."""
    return s.severe >= cfg.flag_words or (s.severe > 0 and s.severe / max(1, s.words) > cfg.flag_error)


# ---------------------------------------------------------------------------------------
# Placing heard words in sentences
# ---------------------------------------------------------------------------------------


def assign(words: list[asr.Word], cues: list[Cue]) -> list[list[asr.Word]]:
    """Each word to the cue holding its midpoint; a word between cues to the nearer one."""
    out: list[list[asr.Word]] = [[] for _ in cues]
    k = 0
    for w in words:
        mid = (w.start + w.end) / 2
        while k + 1 < len(cues) and mid >= cues[k + 1].start:
            k += 1
        if k + 1 < len(cues) and mid > cues[k].end and (cues[k + 1].start - mid) < (mid - cues[k].end):
            out[k + 1].append(w)
        else:
            out[k].append(w)
    return out


def _settle_edges(written: list[tuple[str, ...]], heard: list[list[str]], span: int, near: float) -> None:
    """Move up to `span` words across each sentence boundary where that lowers the errors of the pair."""
    for i in range(len(heard) - 1):
        a, b = heard[i], heard[i + 1]
        best = (score(written[i], a, near).errors + score(written[i + 1], b, near).errors, 0)
        for k in range(1, span + 1):
            if k <= len(b):  # first k words of b belong to a
                e = score(written[i], a + b[:k], near).errors + score(written[i + 1], b[k:], near).errors
                best = min(best, (e, k))
            if k <= len(a):  # last k words of a belong to b
                e = score(written[i], a[:-k], near).errors + score(written[i + 1], a[-k:] + b, near).errors
                best = min(best, (e, -k))
        k = best[1]
        if k > 0:
            heard[i], heard[i + 1] = a + b[:k], b[k:]
        elif k < 0:
            heard[i], heard[i + 1] = a[:k], a[k:] + b


def check_words(cues: list[Cue], words: list[asr.Word], cfg: CheckConfig) -> tuple[list[SentenceCheck], int, int]:
    """Score every cue against the words heard in its span. Returns (sentences, errors, words)."""
    placed = assign(words, cues)
    written = [words_of(c.text) for c in cues]
    heard_norm = [list(words_of("".join(w.text for w in ws))) for ws in placed]
    _settle_edges(written, heard_norm, cfg.boundary_words, cfg.near_miss)
    out, total_e, total_n = [], 0, 0
    for cue, ref, hyp in zip(cues, written, heard_norm):
        s = score(ref, hyp, cfg.near_miss)
        total_e += s.errors
        total_n += s.words
        out.append(SentenceCheck(cue.index, round(cue.start, 3), round(cue.end, 3), cue.text, " ".join(hyp),
                                 round(s.rate, 4), is_flagged(s, cfg), s.differs))
    return out, total_e, total_n


def check_episode(mp3: Path, cfg: CheckConfig = CheckConfig(), model: str | None = None) -> CheckReport:
    """Transcribe `mp3` and score each sentence of `EPISODE.vtt` beside it."""
    t0 = time.perf_counter()
    model = model or cfg.asr_model
    asr.load_model(model, cfg.threads)  # a missing recogniser is reported first
    mp3 = Path(mp3)
    if not mp3.is_file():
        raise CheckError(f"{mp3}: no such MP3")
    cues = read_vtt(mp3.with_suffix(".vtt"))
    audio = asr.decode(mp3)
    # Only the voice's span: the intro and outro music is not speech.
    lo = max(0, int((cues[0].start - 0.5) * asr.RATE))
    hi = min(audio.size, int((cues[-1].end + 0.5) * asr.RATE))
    words = asr.transcribe_words(audio[lo:hi], lo / asr.RATE, cfg, model)
    sentences, errors, n = check_words(cues, words, cfg)
    errors -= relisten(sentences, audio, cfg, model)
    wer = round(errors / n, 4) if n else 0.0
    return CheckReport(mp3, wer, sentences, model, time.perf_counter() - t0, errors, n)


def relisten(sentences: list[SentenceCheck], audio, cfg: CheckConfig, model: str) -> int:
    """Hear each flagged sentence again on its own, cut at its exact times.

    Over a whole episode the recogniser now and then skips or merges a stretch it would
    hear plainly alone; a sentence keeps its flag only if it is also misheard alone.
    Returns how many word errors this took back."""
    saved = 0
    pad = int(cfg.relisten_pad_s * asr.RATE)
    for s in sentences:
        if not s.flagged:
            continue
        a = max(0, int(s.start * asr.RATE) - pad)
        b = min(audio.size, int(s.end * asr.RATE) + pad)
        heard = asr.transcribe_text(audio[a:b], cfg, model)
        ref = words_of(s.written)
        before = score(ref, words_of(s.heard), cfg.near_miss)
        again = score(ref, words_of(heard), cfg.near_miss)
        if again.errors < before.errors:
            saved += before.errors - again.errors
            s.heard, s.error, s.flagged, s.differs = " ".join(words_of(heard)), round(again.rate, 4), is_flagged(again, cfg), again.differs
    return saved


def check_clip(written: str, audio, rate: int, cfg: CheckConfig, model: str) -> tuple[str, Score]:
    """What the recogniser hears in one sentence's audio alone, and its score."""
    heard = asr.transcribe_text(asr.resample(audio, rate), cfg, model)
    return heard, score(words_of(written), words_of(heard), cfg.near_miss)


def format_table(report: CheckReport) -> str:
    """The flagged sentences (time, written, heard, differing words) and the episode WER."""
    lines = []
    for s in report.flagged:
        m, sec = divmod(s.start, 60)
        lines.append(f"#{s.index:<4d} {int(m):d}:{sec:05.2f}  error {s.error:.0%}" + (f"  (take {s.take})" if s.take else ""))
        lines.append(f"  written: {s.written}")
        lines.append(f"  heard:   {s.heard}")
        lines.append(f"  differs: {', '.join(s.differs) or '-'}")
        if s.fix:
            lines.append(f"  fix:     {s.fix}")
        if s.note:
            lines.append(f"  note:    {s.note}")
    lines.append(
        f"{report.mp3}: WER {report.wer:.1%} ({report.errors} of {report.words} words), "
        f"{len(report.flagged)} of {len(report.sentences)} sentences flagged, checked in {report.seconds:.0f} s"
    )
    return "\n".join(lines)


def write_check_json(path: Path, report: CheckReport, extra: dict | None = None) -> None:
    from .files import write_atomic

    write_atomic(path, json.dumps(report.as_file(extra), indent=1, ensure_ascii=False) + "\n")
