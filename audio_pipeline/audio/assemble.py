"""Assembly: sentences + pauses + intro/outro music -> one timeline.

Each sentence is trimmed of its own leading/trailing silence, faded at both ends
(no clicks at any join) and resampled once, from the engine's rate to the episode
rate, with soxr. The voice track is written to a temporary file as it is built,
so a long episode never sits in memory whole; `Timeline.read` mixes any stretch of
it with the music on demand. Every sentence's start and end are known here, and
chapters, transcript and feed read their times from this timeline only.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soxr

from ..config import AssemblyConfig, Pauses
from ..errors import RenderError
from ..files import temp_beside, write_problem
from ..script.read import Episode, Pause, Sentence
from ..synthesis.cache import CacheEntry, SentenceCache
from .levelling import level_speakers
from .loudness import blocks_of, integrated_loudness


@dataclass
class SentenceSpan:
    written: str
    spoken: str
    chapter: int
    start: float
    """Seconds from the start of the episode."""
    end: float
    speaker: str = ""
    """The cast member who says it ("" without a cast)."""


@dataclass
class _Placed:
    """A sentence as laid down in the voice track: `start` and `end` in samples of the track
    (a SentenceSpan's are seconds of the episode, known once the intro is placed)."""

    written: str
    spoken: str
    chapter: int
    start: int
    end: int
    speaker: str


@dataclass
class ChapterMark:
    title: str
    start: float
    end: float
    img: Path | None = None
    """The script's image for the chapter (copied beside the episode by sidecars.py)."""
    url: str | None = None
    """The script's link for the chapter."""


@dataclass
class Timeline:
    sample_rate: int
    length: int
    """Samples in the whole episode."""
    sentences: list[SentenceSpan]
    chapters: list[ChapterMark]
    voice_file: Path
    """float32 samples of the voice alone, starting at `voice_offset`."""
    voice_offset: int
    voice_length: int
    music: list[tuple[int, np.ndarray]] = field(default_factory=list)
    """(start sample, samples) of the intro and outro, ducking already applied."""

    @property
    def duration(self) -> float:
        return self.length / self.sample_rate

    def read(self, start: int, count: int) -> np.ndarray:
        """The mixed episode from sample `start`, `count` samples long (zeros outside)."""
        out = np.zeros(count, dtype=np.float32)
        lo, hi = max(start, self.voice_offset), min(start + count, self.voice_offset + self.voice_length)
        if hi > lo:
            with open(self.voice_file, "rb") as f:
                f.seek(4 * (lo - self.voice_offset))
                chunk = np.fromfile(f, dtype="<f4", count=hi - lo)
            out[lo - start : lo - start + chunk.size] = chunk
        for at, samples in self.music:
            lo, hi = max(start, at), min(start + count, at + samples.size)
            if hi > lo:
                out[lo - start : hi - start] += samples[lo - at : hi - at]
        return out

    def close(self) -> None:
        self.voice_file.unlink(missing_ok=True)


def speaker_ranges(timeline: Timeline) -> dict[str, list[tuple[int, int]]]:
    """Each speaker's sentences as sample ranges of the episode."""
    rate = timeline.sample_rate
    out: dict[str, list[tuple[int, int]]] = {}
    for s in timeline.sentences:
        out.setdefault(s.speaker, []).append((round(s.start * rate), round(s.end * rate)))
    return out


def assemble(
    episode: Episode,
    entries: list[CacheEntry],
    pauses: Pauses,
    config: AssemblyConfig,
    intro: np.ndarray | None,
    outro: np.ndarray | None,
    work_dir: Path | None = None,
    work_name: Path | None = None,
) -> Timeline:
    """Lay out `episode` (whose sentences have their audio in `entries`, in order).
    The voice track is written beside `work_name` (the output), where a later run
    finds it if this one is killed; without it, in `work_dir` or the system's temp."""
    # One pass over the script's items writes the voice track as it goes; the cursor, the gap
    # owed and the chapter starts are its state, plainer in one loop than passed between helpers.
    rate = config.sample_rate
    if work_name is not None:
        voice_file = temp_beside(work_name, ".voice.part")
        fd = os.open(voice_file, os.O_WRONLY)
    else:
        fd, name = tempfile.mkstemp(prefix=".voice-", suffix=".f32", dir=work_dir)
        voice_file = Path(name)
    spans: list[_Placed] = []
    chapter_starts: list[int] = []
    cursor = 0  # samples into the voice track
    entry_iter = iter(entries)
    gap: float | None = None  # silence owed before the next sentence
    explicit: float | None = None
    try:
        with os.fdopen(fd, "wb") as track:
            for ci, chapter in enumerate(episode.chapters):
                new_chapter = ci > 0
                if ci:
                    gap = pauses.chapter
                for pi, paragraph in enumerate(chapter.paragraphs):
                    if pi:
                        gap = pauses.paragraph
                    for item in paragraph.items:
                        if isinstance(item, Pause):
                            explicit = (explicit or 0.0) + item.seconds
                            continue
                        assert isinstance(item, Sentence)
                        # An explicit [pause] replaces the default gap where it sits.
                        if item.continues and explicit is None:
                            gap = pauses.clause
                        if spans and item.speaker != spans[-1].speaker and not new_chapter:
                            gap = pauses.speaker  # a turn in the conversation
                        new_chapter = False
                        owed = explicit if explicit is not None else (gap or 0.0)
                        if spans or explicit is not None:
                            cursor += round(owed * rate)
                        gap, explicit = pauses.sentence, None
                        entry = next(entry_iter)  # each speaker's engine has its own rate
                        audio = _trim_fade_resample(SentenceCache.load(entry), entry.sample_rate, config)
                        if audio.size < round(config.shortest_sentence_s * rate):
                            raise RenderError(
                                f"line {item.line}: the voice said nothing audible for {item.written or item.markup!r}; "
                                "check the voice profile (volume, model) or the sentence's spoken form"
                            )
                        if len(chapter_starts) == ci:
                            chapter_starts.append(cursor)
                        track.seek(4 * cursor)
                        track.write(audio.astype("<f4").tobytes())
                        spans.append(
                            _Placed(item.written or item.markup, item.spoken, ci, cursor, cursor + audio.size, item.speaker)
                        )
                        cursor += audio.size
            if explicit:
                cursor += round(explicit * rate)
            track.truncate(4 * cursor)
        level_speakers(voice_file, [(s.speaker, s.start, s.end) for s in spans], rate)
    except OSError as e:
        voice_file.unlink(missing_ok=True)
        raise RenderError(write_problem(work_name or voice_file, e)) from None
    except BaseException:
        voice_file.unlink(missing_ok=True)
        raise

    voice_length = cursor
    try:
        level = _music_level(voice_file, voice_length, intro, outro, config)
    except BaseException:  # out of memory importing the meter, Ctrl-C: the track goes too
        voice_file.unlink(missing_ok=True)
        raise
    intro_len = 0 if intro is None else intro.size
    voice_offset = min(round(config.intro_voice_entry_s * rate), intro_len)
    music: list[tuple[int, np.ndarray]] = []
    end = voice_offset + voice_length
    if intro is not None:
        music.append((0, _duck_intro(intro * level, voice_offset, config)))
        end = max(end, intro_len)
    if outro is not None:
        outro_at = voice_offset + voice_length + round(config.outro_gap_s * rate)
        music.append((outro_at, _rise_outro(outro * level, config)))
        end = max(end, outro_at + outro.size)
    else:
        end += round(config.outro_gap_s * rate)

    def sec(samples: int) -> float:
        return (voice_offset + samples) / rate

    sentences = [SentenceSpan(s.written, s.spoken, s.chapter, sec(s.start), sec(s.end), s.speaker) for s in spans]
    starts = [0.0] + [sec(s) for s in chapter_starts[1:]]
    total = end / rate
    chapters = [
        ChapterMark(c.title, starts[i], starts[i + 1] if i + 1 < len(starts) else total, c.img, c.url)
        for i, c in enumerate(episode.chapters)
    ]
    return Timeline(rate, end, sentences, chapters, voice_file, voice_offset, voice_length, music)


def _trim_fade_resample(audio: np.ndarray, native_rate: int, config: AssemblyConfig) -> np.ndarray:
    """One sentence's audio ready to lay down: its silence trimmed, faded at both ends, at the episode rate."""
    audio = trim_silence(audio, native_rate, config.trim_threshold_db, config.trim_keep_s)
    audio = fade(audio, native_rate, config.fade_s)
    if native_rate != config.sample_rate:
        audio = soxr.resample(audio, native_rate, config.sample_rate, quality="HQ").astype(np.float32)
    return audio


def trim_silence(audio: np.ndarray, rate: int, threshold_db: float, keep_s: float) -> np.ndarray:
    """Cut leading/trailing audio quieter than `threshold_db` below the sentence's loudest 10 ms."""
    frame = max(1, rate // 100)
    n = audio.size // frame
    if n == 0:
        return audio
    rms = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (threshold_db / 20))
    if loud.size == 0:
        return audio[:0]
    keep = round(keep_s * rate)
    start = max(0, loud[0] * frame - keep)
    end = min(audio.size, (loud[-1] + 1) * frame + keep)
    return audio[start:end]


def fade(audio: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """Raised-cosine fade in and out, so every join starts and ends at zero."""
    n = min(round(seconds * rate), audio.size // 2)
    if n <= 0:
        return audio
    audio = audio.astype(np.float32, copy=True)
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n, dtype=np.float64))).astype(np.float32)
    audio[:n] *= ramp
    audio[-n:] *= ramp[::-1]
    return audio


def _ramp(length: int, ramp: int, start_gain: float, end_gain: float, at: int) -> np.ndarray:
    """Gain curve: start_gain until `at`, then a raised-cosine move to end_gain over `ramp` samples."""
    gain = np.full(length, start_gain, dtype=np.float32)
    at = max(0, min(at, length))
    stop = min(length, at + ramp)
    if stop > at:
        t = np.linspace(0, np.pi, stop - at, dtype=np.float64)
        gain[at:stop] = start_gain + (end_gain - start_gain) * (0.5 - 0.5 * np.cos(t))
    gain[stop:] = end_gain
    return gain


def _music_level(voice_file: Path, voice_length: int, intro, outro, config: AssemblyConfig) -> float:
    """Gain that puts the music `music_below_voice_lu` under this episode's voice."""
    pieces = [m for m in (intro, outro) if m is not None]
    if not pieces:
        return 1.0
    rate = config.sample_rate

    def read(start: int, count: int) -> np.ndarray:
        with open(voice_file, "rb") as f:
            f.seek(4 * start)
            return np.fromfile(f, dtype="<f4", count=count)

    voice = integrated_loudness(blocks_of(read, voice_length), rate)
    music = integrated_loudness(pieces, rate)
    if not (np.isfinite(voice) and np.isfinite(music)):
        return 1.0
    return float(10 ** ((voice - config.music_below_voice_lu - music) / 20))


def _duck_intro(intro: np.ndarray, voice_at: int, config: AssemblyConfig) -> np.ndarray:
    ducked = 10 ** (config.music_duck_db / 20)
    ramp = round(config.duck_ramp_s * config.sample_rate)
    # The music is already under the voice when the first word lands.
    gain = _ramp(intro.size, ramp, 1.0, ducked, voice_at - ramp)
    return (intro * gain).astype(np.float32)


def _rise_outro(outro: np.ndarray, config: AssemblyConfig) -> np.ndarray:
    ducked = 10 ** (config.music_duck_db / 20)
    ramp = round(config.duck_ramp_s * config.sample_rate)
    gain = _ramp(outro.size, ramp, ducked, 1.0, 0)
    return (outro * gain).astype(np.float32)
