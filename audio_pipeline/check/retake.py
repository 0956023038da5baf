"""Retakes and pronunciation fixes: what `render --check` does with a flagged sentence.

A retake says the same text again with other engine settings (Piper: noise and pace
from `CheckConfig.take_variations`; Coqui samples afresh). Each take is a cache entry
of its own (`sentence_key(..., take=n)`; take 0 is the ordinary key), each is scored
alone by the same forced alignment as the episode, and a retake replaces the take in
the episode only if it scores better. The chosen takes are written to `EPISODE.takes.json`
beside the MP3, so any later render to that path plays the same takes.

A word misheard in every take gets a few respellings (spelled-out letters, syllables
apart); the one the recogniser hears as the written word is reported as a lexicon line.
`--fix` uses the found respellings for this render; lexicon files are never changed.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..config import CheckConfig
from ..errors import PaperLedgeError
from ..synthesis.cache import SentenceCache, sentence_key
from ..synthesis.engines.base import create_engine
from ..synthesis.takes import TakeMaker, read_takes, write_takes
from ..text.lexicon import Lexicon, with_fixes

if TYPE_CHECKING:
    from ..render import RenderResult
    from .listen import CheckReport

# ---------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------


@dataclass
class SentenceOutcome:
    index: int
    takes: list[tuple[int, float, str]] = field(default_factory=list)
    """(take, error, heard) of every take checked alone."""
    chosen: int = 0
    fix: tuple[str, str] | None = None
    """(written word, spoken form) the recogniser heard as the written word."""
    tried: list[str] = field(default_factory=list)


@dataclass
class ImproveReport:
    outcomes: dict[int, SentenceOutcome]
    takes: dict[str, int]
    """Take-0 key -> chosen take, for EPISODE.takes.json."""
    fixes: dict[str, str]
    seconds: float


def _tokens(text: str) -> list[str]:
    return re.findall(r"[\w'’.-]+", text)


def _written_word(written: str, normal: str) -> str | None:
    """The word of `written` whose comparable form is `normal` (the script's own spelling)."""
    from .listen import words_of

    for tok in _tokens(written):
        tok = tok.strip(".'’-")
        if tok and normal in words_of(tok):
            return tok
    return None


_VOWELS = "aeiouy"
_OPEN = {"a": "ah", "e": "eh", "i": "ee", "o": "oh", "u": "oo", "ei": "ay", "ai": "eye", "ia": "ee-ah", "io": "ee-oh"}


def syllables(word: str) -> list[str]:
    """A rough split into syllables: one vowel group each; of the consonants between two
    groups, the last starts the next syllable ("lindqvist" -> lindq-vist, "okafor" -> o-ka-for)."""
    groups = re.findall(rf"[^{_VOWELS}]*[{_VOWELS}]+", word)
    if not groups:
        return [word]
    tail = word[len("".join(groups)) :]
    out = [groups[0]]
    for g in groups[1:]:
        lead = re.split(rf"[{_VOWELS}]", g, maxsplit=1)[0]  # the consonants before its vowels
        if len(lead) >= 2:
            out[-1] += lead[:-1]
            g = g[len(lead) - 1 :]
        out.append(g)
    out[-1] += tail
    return out


def _respell(syllable: str, last: bool) -> str:
    s = syllable.replace("qu", "kw").replace("q", "k")
    m = re.search(rf"[{_VOWELS}]+$", s)
    if m and m.group(0) in _OPEN and not (last and m.group(0) == "e"):
        s = s[: m.start()] + _OPEN[m.group(0)]
    return s


def candidates(word: str) -> list[str]:
    """A few respellings of `word` for the engine to try, most likely first."""
    out: list[str] = []
    letters = re.sub(r"[^A-Za-z]", "", word)
    if letters.isupper() and 1 < len(letters) <= 6:
        # Spelled letter by letter; a lone A reads as "uh" after another letter.
        out.append("-".join("Eh" if (c == "A" and i) else c for i, c in enumerate(letters)))
        out.append(" ".join(f"{c}." for c in letters))
        out.append(letters.capitalize())
    else:
        syl = syllables(letters.lower())
        if len(syl) > 1:
            out.append("-".join(syl).capitalize())
        # Open syllables with their vowel said plainly, as a producer would respell a name.
        said = [_respell(x, last=i == len(syl) - 1) for i, x in enumerate(syl)]
        if len(said) > 1 or said[0] != syl[0]:
            out.append("-".join(said).capitalize())
        if len(syl) > 1:
            out.append(" ".join(syl).capitalize())
    seen, unique = set(), []
    for c in out:
        if c != word and c not in seen:
            seen.add(c)
            unique.append(c)
    return unique[:3]


def improve(
    script: Path,
    options,
    output: Path,
    report,
    retakes: int,
    fix: bool,
    progress: Callable[[str], None] = lambda msg: None,
) -> ImproveReport:
    """Retake the flagged sentences of `report` and look for respellings of words misheard in every take."""
    # The retake loop: take after take, then fix after fix, each judged by the same score;
    # the rounds share what was tried and kept.
    from ..stages import load_episode, spoken_form
    from ..text.lexicon import default_show_lexicon_path, load_lexicon
    from .listen import check_clip

    t0 = time.perf_counter()
    cfg = options.config.check
    model = cfg.asr_model
    episode, profile, lexicon = load_episode(script, options.voice, options.device, options.config, options.fixes)
    sentences = episode.sentences()
    cache = SentenceCache(Path(options.cache_dir))
    makers: dict[Path, tuple[TakeMaker, Lexicon]] = {}

    def voice_of(speaker: str) -> tuple[TakeMaker, Lexicon, str]:
        """Each cast member's takes come from their own engine, fixes from their own lexicon."""
        p = episode.voices.get(speaker, profile)
        if p.path not in makers:
            own = (
                lexicon
                if p.path == profile.path
                else with_fixes(load_lexicon(default_show_lexicon_path(), p.lexicon_path), options.fixes)
            )
            makers[p.path] = (TakeMaker(create_engine(p.engine, p.engine_params), p.engine, p.engine_params, cache, cfg), own)
        return (*makers[p.path], p.engine)

    book = read_takes(Path(output))
    outcomes: dict[int, SentenceOutcome] = {}
    fixes: dict[str, str] = {}
    for s in report.flagged:
        sentence = sentences[s.index - 1]
        spoken, written = sentence.spoken, sentence.written
        maker, own_lexicon, engine_name = voice_of(sentence.speaker)
        key0 = sentence_key(maker.fingerprint, spoken)
        out = SentenceOutcome(s.index)
        misheard_everywhere: set[str] | None = None
        current = book.get(key0, 0)
        ranks: dict[int, tuple] = {}
        for take in sorted({current, *range(0, retakes + 1)}):
            progress(f"sentence {s.index}: take {take}")
            entry = maker.entry(spoken, take)
            heard, sc, judged = check_clip(written, SentenceCache.load(entry), entry.sample_rate, cfg, model)
            out.takes.append((take, round(sc.rate, 4), heard))
            ranks[take] = rank(judged)
            misheard = set(sc.misheard)
            misheard_everywhere = misheard if misheard_everywhere is None else misheard_everywhere & misheard
        # A retake replaces the take in the episode only if it scores better than that one.
        best = min(ranks, key=lambda t: (ranks[t], t != current, t))
        out.chosen = best
        book[key0] = out.chosen
        if misheard_everywhere and ranks[best][0]:
            for normal in sorted(misheard_everywhere, key=lambda w: -len(w))[: cfg.max_fix_words]:
                word = _written_word(written, normal)
                if not word or word in fixes:
                    continue
                for candidate in candidates(word):
                    out.tried.append(candidate)
                    progress(f"sentence {s.index}: {word} as {candidate!r}")
                    trial = with_fixes(own_lexicon, {word: candidate})
                    respoken = spoken_form(sentence.markup, trial, engine_name).spoken
                    if respoken == spoken:
                        continue
                    entry = maker.entry(respoken, 0)  # cached: a render with the fix reuses it
                    heard, sc, judged = check_clip(written, SentenceCache.load(entry), entry.sample_rate, cfg, model)
                    if normal not in sc.misheard and rank(judged) < ranks[best]:
                        out.fix = (word, candidate)
                        fixes[word] = candidate
                        break
                if out.fix:
                    break
        outcomes[s.index] = out
    return ImproveReport(outcomes, book, fixes, time.perf_counter() - t0)


def rank(judged) -> tuple:
    """How a take scores (lower is better): unflagged first, then by the alignment score,
    then by its least likely word."""
    weakest = judged.weakest[0][1] if judged.weakest else 1.0
    return (judged.flagged, -judged.score, -weakest)


def lexicon_line(word: str, spoken: str) -> str:
    """A line to paste under [words] in a lexicon file."""
    key = word if re.fullmatch(r"[A-Za-z0-9_-]+", word) else json.dumps(word)
    return f"{key} = {json.dumps(spoken)}"


# ---------------------------------------------------------------------------------------
# render --check
# ---------------------------------------------------------------------------------------


@dataclass
class CheckedRender:
    result: RenderResult
    """The render of the MP3 now at the output path."""
    report: CheckReport
    """Its check."""
    first_wer: float
    """The WER of the first render, before retakes and fixes."""
    improve: ImproveReport | None
    check_file: Path
    review_file: Path
    seconds: dict[str, float]


def _heard(result, cfg: CheckConfig):
    """The check of a render just made, heard from its timeline (no MP3 decoded again)."""
    from .asr import keep_freed_memory
    from .listen import check_episode

    keep_freed_memory()  # after the render: its worker processes are not affected
    try:
        return check_episode(result.output, cfg, timeline=result.timeline)
    finally:
        result.timeline.close()


def render_checked(
    script: Path,
    options,
    retakes: int,
    fix: bool,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] = lambda msg: None,
) -> CheckedRender:
    """Render, check, retake and fix what was flagged, render again if anything changed,
    and write EPISODE.check.json and EPISODE.review.html beside the MP3."""
    from ..audio.sidecars import refuse_foreign, write_check_json
    from ..render import default_output, render
    from .review import measure, write_review

    cfg = options.config.check
    if options.cache_dir is None and (retakes > 0 or fix):
        raise PaperLedgeError("retakes and fixes keep their takes in the sentence cache: drop --no-cache, or use --retakes 0")
    refuse_foreign(Path(options.output) if options.output else default_output(script))
    from .asr import enough_address_space, load_soon

    enough_address_space(cfg)  # a limit too low for the recogniser is said before any synthesis
    told = options.stages or getattr(progress, "stage", None) or (lambda name: None)

    def stage(name: str) -> None:
        # The recogniser loads on a thread of its own while the episode is assembled and
        # mastered: not sooner, since a synthesis worker forked while that thread was inside
        # an import would wait on the module's lock for ever.
        if name == "assembly":
            load_soon(cfg.asr_model, cfg)
        told(name)

    options = replace(options, keep_audio=True, stages=stage)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    result = render(script, options, progress)
    seconds["render"] = time.perf_counter() - t
    try:
        measured = measure(result.output, result.duration)  # the review page's pictures, beside the check
    except BaseException:
        result.timeline.close()  # its voice track is a temporary file beside the MP3
        raise
    say("checking")
    report = _heard(result, cfg)
    seconds["check"] = report.seconds
    first_wer = report.wer
    improved = None
    if report.flagged and (retakes > 0 or fix):
        improved = improve(script, options, result.output, report, retakes, fix, say)
        seconds["retakes"] = improved.seconds
        write_takes(result.output, improved.takes)
        changed = any(o.chosen for o in improved.outcomes.values()) or (fix and improved.fixes)
        if changed:
            say("rendering the chosen takes")
            t = time.perf_counter()
            again = replace(options, fixes={**options.fixes, **(improved.fixes if fix else {})})
            result = render(script, again, None)
            seconds["render again"] = time.perf_counter() - t
            try:
                measured = measure(result.output, result.duration)
            except BaseException:
                result.timeline.close()
                raise
            report = _heard(result, cfg)
            seconds["check again"] = report.seconds
        for s in report.sentences:
            o = improved.outcomes.get(s.index)
            if o is None:
                continue
            s.take = o.chosen if not (fix and o.fix) else 0
            if o.fix:
                s.fix = lexicon_line(*o.fix)
                s.note = "respelled for this render (--fix)" if fix else "try the fix: paste it into the voice lexicon"
            elif s.flagged:
                s.note = f"heard alike in {len(o.takes)} takes" + (
                    f"; respellings tried: {', '.join(o.tried)}" if o.tried else ""
                )
    extra = {
        "first_wer": first_wer,
        "retaken": sorted(i for i, o in (improved.outcomes.items() if improved else ()) if o.chosen),
        "fixes": [lexicon_line(w, sp) for w, sp in (improved.fixes.items() if improved else ())],
        "fixes_applied": bool(fix),
    }
    check_file = result.output.with_suffix(".check.json")
    kept = write_check_json(check_file, report, extra)
    review_file = write_review(result, kept, cfg, measured)  # drawn from what was kept
    return CheckedRender(result, report, first_wer, improved, check_file, review_file, seconds)
