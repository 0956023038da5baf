"""Check by ear: is each sentence of an episode said as written?

Every sentence (a cue of `EPISODE.vtt`, written from the render's timeline) is scored by
forced alignment of its text against its own time span (align.py): the probability of
each written word in that audio. A sentence with too many improbable words, or one word
the audio all but rules out, is flagged, and so is one whose span holds more speech
than its words take (speech.py: extra words, a repetition, speech under a cue of no
words); only flagged sentences are decoded freely, to report what was heard and to count
their word errors, the words heard beyond the written ones among them. The MP3's length must match its
transcript's, and speech outside every cue is reported.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

from ..audio.sidecars import CHECK_MARK
from ..config import CheckConfig
from ..errors import CheckError
from ..files import sha256_file
from . import align, speech
from .transcript import Cue, past_the_end, plausible, read_vtt
from .words import Score, reading, score, scoring_words, words_of

__all__ = ["Score", "score", "words_of", "check_episode", "check_clip", "Cue", "read_vtt"]


@dataclass
class SentenceCheck:
    index: int
    start: float
    end: float
    written: str
    heard: str
    """What the recogniser heard when asked freely; for a sentence not flagged, the written words."""
    error: float
    flagged: bool
    score: float = 1.0
    """Share of the sentence's words the audio makes likely (probability at least CheckConfig.low_p)."""
    weakest: list[tuple[str, float]] = field(default_factory=list)
    """Its least likely words, with their probabilities, lowest first."""
    scored: str = ""
    """The spoken form it was scored in, where that differs from the written one (numbers, a URL)."""
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
    findings: list[str] = field(default_factory=list)
    """Speech outside every cue."""
    failures: list[str] = field(default_factory=list)
    """The MP3 does not match its transcript (length, truncation): fails whatever the WER."""
    mp3_sha256: str = ""

    @property
    def flagged(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.flagged]

    def as_json(self) -> dict:
        """The object `check --json` prints: the WER and one entry per VTT cue."""
        keys = ("index", "start", "end", "written", "heard", "error", "flagged", "score", "weakest")
        return {
            "wer": self.wer,
            "failures": self.failures,
            "findings": self.findings,
            "sentences": [{k: getattr(s, k) for k in keys} for s in self.sentences],
        }

    def as_file(self, extra: dict | None = None) -> dict:
        """EPISODE.check.json: the same, with the differing words, takes and fixes, and the
        checksum of the MP3 it heard (a check of another MP3 is void)."""
        return {
            "about": CHECK_MARK,
            "mp3_sha256": self.mp3_sha256,
            "wer": self.wer,
            "errors": self.errors,
            "words": self.words,
            "model": self.model,
            "seconds": round(self.seconds, 2),
            "failures": self.failures,
            "findings": self.findings,
            **(extra or {}),
            "sentences": [asdict(s) for s in self.sentences],
        }


# ---------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------


def judge(words: list[tuple[str, float]], cfg: CheckConfig) -> tuple[float, list[tuple[str, float]], bool]:
    """(score, weakest words, flagged) of a sentence from its words' probabilities."""
    if not words:
        return 1.0, [], False
    low = sum(p < cfg.low_p for _, p in words)
    weakest = sorted(((w.strip(".,;:!?\"'()[]—–"), round(p, 4)) for w, p in words), key=lambda x: x[1])
    flagged = low / len(words) > cfg.flag_share or weakest[0][1] < cfg.floor_p
    return round(1 - low / len(words), 3), weakest[: cfg.weakest_words], flagged


def _decoded(s: SentenceCheck, heard: str, cfg: CheckConfig) -> Score:
    """Fill `s` from what the recogniser heard freely; a flagged sentence heard word for
    word as written keeps no flag (the recogniser, asked openly, agrees with the text)."""
    sc = score(words_of(s.written), words_of(heard), cfg.near_miss)
    s.heard, s.error, s.differs = " ".join(words_of(heard)), round(sc.rate, 4), sc.differs
    s.flagged = sc.errors > 0
    if s.flagged and sc.severe == 0:
        s.note = "only near misses (names are often heard so)"
    return sc


def check_audio(
    source: align.Stream, cues: list[Cue], cfg: CheckConfig, aligner: align.Aligner, speakers: list[str | None] | None = None
) -> tuple[list[SentenceCheck], int, int, list[str]]:
    """Score every cue in `source`. Returns (sentences, word errors, words, findings)."""
    speakers = speakers or [None] * len(cues)
    forms = [scoring_words(c.text, sp) for c, sp in zip(cues, speakers)]
    windows = align.plan([(c.start, c.end, f) for c, f in zip(cues, forms)], aligner.tokens_of, cfg)
    left = [0] * len(cues)
    for w in windows:
        for p in w.pieces:
            left[p.sentence] += 1
    heard_words: list[list[tuple[str, float]]] = [[] for _ in cues]
    out: list[SentenceCheck | None] = [None] * len(cues)
    errors = 0
    sizes = [speech.letters(f) for f in forms]
    voiced, vad, beyond = [0.0] * len(cues), [0.0] * len(cues), [0.0] * len(cues)
    extra: dict[int, str] = {}
    gaps = [(0.0, cues[0].start)] + [(a.end, b.start) for a, b in zip(cues, cues[1:])]
    outside: list[tuple[float, float]] = []
    more_speech: list[str] = []
    g = 0
    # The model works on `workers` windows at once; the audio is read here, in order, one
    # window ahead, so that a worker never waits for it.
    pool = ThreadPoolExecutor(aligner.workers)
    running: deque = deque()
    relistens: list = []
    ahead = iter(windows)
    try:
        for k, w in enumerate(windows):
            while len(running) <= aligner.workers and (nxt_w := next(ahead, None)) is not None:
                audio = align.window_audio(source, nxt_w)
                for i, seconds, heard_s in speech.in_pieces(audio, nxt_w, cfg):
                    voiced[i] += seconds
                    vad[i] += heard_s
                running.append((audio, pool.submit(aligner.window, audio, nxt_w)))
            audio, found = running.popleft()
            for i, seconds in speech.beyond_words(audio, w, [t for _, t in found.result()], cues, cfg):
                beyond[i] += seconds
            for p, (words, _) in zip(w.pieces, found.result()):
                heard_words[p.sentence].extend(words)
                left[p.sentence] -= 1
                if left[p.sentence]:
                    continue
                i = p.sentence
                c = cues[i]
                sc_, weakest, flagged = judge(heard_words[i], cfg)
                spoken = reading(c.text, speakers[i])
                s = SentenceCheck(
                    c.index,
                    round(c.start, 3),
                    round(c.end, 3),
                    c.text,
                    " ".join(words_of(c.text)),
                    0.0,
                    flagged,
                    sc_,
                    weakest,
                    spoken if _plain(spoken) != _plain(c.text) else "",
                )
                if flagged:  # decoded freely beside the windows still to align
                    relistens.append((s, i, pool.submit(_relisten, source, aligner, c, cfg)))
                out[i] = s
            nxt = windows[k + 1].start if k + 1 < len(windows) else math.inf
            while g < len(gaps) and gaps[g][0] < nxt:
                a, b = gaps[g]
                if b - a >= cfg.outside_min_s:
                    outside += align.speech_in(source.read(a, b), a, cfg.outside_min_s, cfg.tempo)
                g += 1
            source.forget(min([nxt, cues[-1].end, *(a for a, _ in gaps[g : g + 1])]))
        # Speech the expected words do not explain (extra words, a repetition, babble, a
        # cue with no words) is decoded freely too: the words heard beyond them are errors.
        # So is a cue whose words are not heard in its own span (music, silence, too few words).
        for i, why in speech.suspects(voiced, vad, beyond, sizes, cfg).items():
            if (suspect := out[i]) is not None:
                extra[i] = why
                if not suspect.flagged:
                    suspect.flagged = True
                    relistens.append((suspect, i, pool.submit(_relisten, source, aligner, cues[i], cfg)))
        for s, i, heard in relistens:
            errors += _decoded(s, heard.result(), cfg).errors
            if s.flagged and _names_only(heard_words[i], cfg):
                s.note = "its improbable words are all names, which the recogniser seldom knows: listen to them"
            elif s.flagged and i in extra:
                s.note = extra[i]
            elif i in extra:  # heard as written: a sound the recogniser writes no words for (babble, noise)
                more_speech.append(f"cue {s.index} at {_clock(s.start)} {extra[i]}, but is heard as written: listen to it")
            if s.flagged and not sizes[i]:  # speech and nothing to score: never a perfect score
                s.score = 0.0
                more_speech.append(
                    f"cue {s.index} at {_clock(s.start)} has no words to score, but speech is heard in it: {s.heard[:60]!r}"
                )
    finally:
        pool.shutdown(cancel_futures=True)
    t = cues[-1].end
    while True:  # the tail, up to the end of the audio
        chunk = source.read(t, t + align.WINDOW_S)
        if chunk.size == 0:
            break
        outside += align.speech_in(chunk, t, cfg.outside_min_s, cfg.tempo)
        source.forget(t + align.WINDOW_S)
        t += align.WINDOW_S
    findings = [f"speech at {_clock(a)}–{_clock(b)}, outside every cue of the transcript" for a, b in outside]
    n = sum(len(words_of(c.text)) for c in cues)
    findings += more_speech
    return [s for s in out if s is not None], errors, n, findings


def _relisten(source: align.Stream, aligner: align.Aligner, c: Cue, cfg: CheckConfig) -> str:
    """What the recogniser hears in cue `c` when asked freely, at the audio's own pace."""
    return aligner.heard(source.clip(c.start - cfg.relisten_pad_s, c.end + cfg.relisten_pad_s))


def _names_only(words: list[tuple[str, float]], cfg: CheckConfig) -> bool:
    """Whether every improbable word after the first is capitalised (a name, as in the credits)."""
    weak = [n for n, (_, p) in enumerate(words) if p < cfg.low_p]
    return bool(weak) and 0 not in weak and all(words[n][0][:1].isupper() for n in weak)


def _plain(text: str) -> tuple[str, ...]:
    """The written words themselves, lower case, without the front end's readings."""
    return tuple(re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("'", "").replace("-", " ")).split())


def _clock(t: float) -> str:
    m, s = divmod(t, 60)
    return f"{int(m)}:{s:04.1f}"


def duration_failures(duration: float, cues: list[Cue], cfg: CheckConfig) -> list[str]:
    """The ways the audio's length does not match its transcript."""
    out = []
    last, first = cues[-1].end, cues[0].start
    if duration + 0.05 < last:
        out.append(
            f"the audio is {duration:.1f} s long but its transcript runs to {last:.1f} s: truncated, or not this transcript's MP3"
        )
    elif duration - last > cfg.max_tail_s:
        out.append(
            f"the audio runs {duration - last:.0f} s past the transcript's last sentence (at most "
            f"{cfg.max_tail_s:g} s of music expected): not this transcript's MP3"
        )
    if first > cfg.max_head_s:
        out.append(
            f"the transcript's first sentence starts at {first:.1f} s (at most {cfg.max_head_s:g} s of "
            "intro expected): not this transcript's MP3"
        )
    return out


def cut_off(mp3: Path, heard: float) -> list[str]:
    """An MP3 cut short: its header (the Xing/Info frame) counts more than it holds."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3, MPEGInfo

    try:
        declared = cast(MPEGInfo, MP3(mp3).info).length  # mutagen declares FileType.info as None
    except (MutagenError, OSError) as e:
        return [f"{mp3} is not a readable MP3 ({e})"]
    if declared - heard > 0.5:
        return [f"the MP3 is truncated: its header says {declared:.1f} s, it holds {heard:.1f} s"]
    return []


def check_episode(mp3: Path, cfg: CheckConfig = CheckConfig(), model: str | None = None, timeline=None) -> CheckReport:
    """Score each sentence of `EPISODE.vtt` beside `mp3` in its audio. With `timeline` (the
    render's, still open), the audio is read from it rather than decoded from the MP3."""
    from .asr import load_soon

    t0 = time.perf_counter()
    model = model or cfg.asr_model
    loading = load_soon(model, cfg)  # the model loads while the transcript is read
    mp3 = Path(mp3)
    source = None
    try:
        if not mp3.exists():
            raise CheckError(f"{mp3}: no such MP3")
        if not mp3.is_file():
            raise CheckError(f"{mp3} is not a regular file: give the MP3 that render wrote")
        if timeline is None:
            source = align.Stream(cfg.tempo, path=mp3)  # ffmpeg decodes ahead meanwhile
        cues = read_vtt(mp3.with_suffix(".vtt"))
        length = timeline.duration if timeline is not None else _declared(mp3)
        plausible(cues, length, mp3.with_suffix(".vtt"), cfg)
        early = past_the_end(cues, length)
        if early:  # nothing past the end can be heard: failed at once, not listened to
            if source is not None:
                source.close()
            return _unheard(mp3, cues, model, early, time.perf_counter() - t0)
    except CheckError:
        if source is not None:
            source.close()
        loading.result()  # a missing recogniser is reported first
        raise
    failures = []
    try:
        aligner = align.Aligner(model, cfg)
        source = source or align.Stream(cfg.tempo, timeline=timeline)
        sentences, errors, n, findings = check_audio(source, cues, cfg, aligner, [c.speaker or None for c in cues])
        heard = source.duration()
        failures += cut_off(mp3, heard) + duration_failures(heard, cues, cfg) + source.damage()
    finally:
        if source is not None:
            source.close()
    wer = round(errors / n, 4) if n else float(errors > 0)
    return CheckReport(mp3, wer, sentences, model, time.perf_counter() - t0, errors, n, findings, failures, sha256_file(mp3))


def _declared(mp3: Path) -> float:
    """The MP3's length as its header says, read without decoding; never more than its
    bytes hold at MP3's lowest bitrate (8 kbit/s), whatever a damaged header claims."""
    from mutagen.mp3 import MPEGInfo

    most = mp3.stat().st_size * 8 / 8000
    try:
        with open(mp3, "rb") as f:
            return min(most, MPEGInfo(f).length)  # the stream's header only: its tags are not parsed
    except Exception:  # no header to be found, or a damaged one: the bound by its bytes holds
        return most


def _unheard(mp3: Path, cues: list[Cue], model: str, failure: str, seconds: float) -> CheckReport:
    """The report of a transcript that runs past the end of its audio: every sentence unheard."""
    sentences = [
        SentenceCheck(
            c.index,
            round(c.start, 3),
            round(c.end, 3),
            c.text,
            "",
            float(bool(words_of(c.text))),
            True,
            0.0,
            note="not heard: the audio ends before its transcript",
        )
        for c in cues
    ]
    n = sum(len(words_of(c.text)) for c in cues)
    return CheckReport(mp3, float(n > 0), sentences, model, seconds, n, n, [], [failure], sha256_file(mp3))


def check_clip(written: str, audio, rate: int, cfg: CheckConfig, model: str) -> tuple[str, Score, SentenceCheck]:
    """One sentence's audio alone (a take): its alignment score, and what was heard when flagged."""
    from .asr import resample

    clip = resample(audio, rate)
    pad = cfg.window_pad_s
    span = clip.size / align.RATE
    source = align.Stream(cfg.tempo, timeline=_Clip(clip, pad))
    cue = Cue(1, pad, pad + span, written)
    try:
        sentences, _, _, _ = check_audio(source, [cue], cfg, align.Aligner(model, cfg))
    finally:
        source.close()
    s = sentences[0]
    return s.heard, score(words_of(written), words_of(s.heard), cfg.near_miss), s


class _Clip:
    """A clip with `pad` seconds of silence around it, read like a render's timeline."""

    def __init__(self, audio, pad: float):
        self.audio, self.sample_rate = audio, align.RATE
        self.offset = int(pad * align.RATE)
        self.length = audio.size + 2 * self.offset
        self.duration = self.length / align.RATE

    def read(self, start: int, count: int):
        import numpy as np

        out = np.zeros(count, dtype=np.float32)
        lo, hi = max(start, self.offset), min(start + count, self.offset + self.audio.size)
        if hi > lo:
            out[lo - start : hi - start] = self.audio[lo - self.offset : hi - self.offset]
        return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def format_table(report: CheckReport) -> str:
    """The flagged sentences (time, score, weakest words, written, heard) and the episode WER."""
    lines = []
    for s in report.flagged:
        m, sec = divmod(s.start, 60)
        weak = ", ".join(f"{w} {p:.3f}" for w, p in s.weakest)
        lines.append(
            f"#{s.index:<4d} {int(m):d}:{sec:05.2f}  score {s.score:.0%}  error {s.error:.0%}"
            + (f"  (take {s.take})" if s.take else "")
        )
        lines.append(f"  written: {s.written}")
        if s.scored:
            lines.append(f"  scored:  {s.scored}")
        lines.append(f"  heard:   {s.heard}")
        lines.append(f"  weakest: {weak or '-'}")
        lines.append(f"  differs: {', '.join(s.differs) or '-'}")
        if s.fix:
            lines.append(f"  fix:     {s.fix}")
        if s.note:
            lines.append(f"  note:    {s.note}")
    lines += [f"finding: {f}" for f in report.findings]
    lines += [f"FAILED: {f}" for f in report.failures]
    lines.append(
        f"{report.mp3}: WER {report.wer:.1%} ({report.errors} of {plural(report.words, 'word')}), "
        f"{len(report.flagged)} of {plural(len(report.sentences), 'sentence')} flagged, checked in {report.seconds:.0f} s"
    )
    return "\n".join(lines)
