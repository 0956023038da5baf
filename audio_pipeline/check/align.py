"""Forced alignment: how likely each sentence's own text is in its own audio.

The sentence spans (the cues of the transcript) are packed into windows of at most
Whisper's 30 s. Each window is encoded once; then one teacher-forced decoder pass reads
the intended text of every sentence in it, each sentence after the timestamp token of
its start (CTranslate2's `Whisper.align`, the call faster-whisper's `find_alignment`
makes). That gives the probability of every written token given the audio, with no
decoding: a word the voice did not say is improbable there. A sentence longer than a
window, or over the decoder's 448 tokens, is cut into pieces evenly by its words.
Audio is read window by window, so memory stays that of one window.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import asr
from ..config import CheckConfig
from ..errors import CheckError
from ..audio.ffmpeg import ffmpeg_exe

RATE = asr.RATE
WINDOW_S = 30.0
"""Whisper hears 30 s at once."""
MAX_TOKENS = 448
"""The decoder's longest sequence."""
_TS_STEP = 0.02


@dataclass
class Piece:
    sentence: int
    """Position of its sentence in the list given to `plan`."""
    start: float
    end: float
    words: list[str]
    tokens: list[list[int]]
    """Each word's tokens (said after a space)."""

    @property
    def size(self) -> int:
        return sum(len(t) for t in self.tokens) + 2  # and its two timestamps


@dataclass
class Window:
    start: float
    end: float
    pieces: list[Piece] = field(default_factory=list)


def plan(spans: list[tuple[float, float, list[str]]], tokens_of: Callable[[str], list[int]],
         cfg: CheckConfig) -> list[Window]:
    """The windows for `spans` ((start, end, words) in time order): every sentence in
    one window, or cut evenly by words into pieces that each fit one."""
    room_s = WINDOW_S - 2 * cfg.window_pad_s
    room_tokens = MAX_TOKENS - 8  # start of transcript, and slack
    pieces: list[Piece] = []
    for n, (start, end, words) in enumerate(spans):
        tokens = [tokens_of(w) for w in words]
        size = sum(map(len, tokens)) + 2
        parts = max(1, int(np.ceil((end - start) / room_s)), int(np.ceil(size / room_tokens)))
        parts = min(parts, max(1, len(words)))
        cuts = np.linspace(0, len(words), parts + 1).round().astype(int)
        total = max(1, len(words))
        for a, b in zip(cuts[:-1], cuts[1:]):
            # Each piece gets the time its share of the words takes.
            p0 = start + (end - start) * a / total
            p1 = start + (end - start) * b / total
            pieces.append(Piece(n, p0, p1, words[a:b], tokens[a:b]))
    windows: list[Window] = []
    for p in pieces:
        w = windows[-1] if windows else None
        if w and p.end + cfg.window_pad_s - w.start <= WINDOW_S and sum(q.size for q in w.pieces) + p.size <= room_tokens:
            w.pieces.append(p)
            w.end = p.end
        else:
            windows.append(Window(max(0.0, p.start - cfg.window_pad_s), p.end, [p]))
    for w in windows:
        w.end = min(w.start + WINDOW_S, w.end + cfg.window_pad_s)
    return windows


# ---------------------------------------------------------------------------------------
# Audio, window by window
# ---------------------------------------------------------------------------------------


class MP3Stream:
    """An MP3 decoded by ffmpeg to 16 kHz mono, read forward: only what is still to be
    read is kept (`forget` drops what came before)."""

    def __init__(self, path):
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
               "-ac", "1", "-ar", str(RATE), "-f", "f32le", "pipe:1"]
        self.path = path
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = np.zeros(0, dtype=np.float32)
        self.buf_start = 0
        """Sample number of buf[0]."""
        self.ended = False

    def _fill(self, until: int) -> None:
        while not self.ended and self.buf_start + self.buf.size < until:
            chunk = self.proc.stdout.read(4 * RATE * 10)
            if not chunk:
                self.ended = True
                self._finish()
                break
            self.buf = np.concatenate([self.buf, np.frombuffer(chunk[: len(chunk) // 4 * 4], dtype="<f4")])

    def _finish(self) -> None:
        err = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
        if self.proc.wait() != 0:
            raise CheckError(f"cannot decode {self.path}: {(err[-1:] or ['no output'])[0]}")

    def read(self, start: float, end: float) -> np.ndarray:
        a, b = max(0, int(start * RATE)), int(end * RATE)
        self._fill(b)
        a = max(a, self.buf_start)
        return self.buf[a - self.buf_start : max(a, b) - self.buf_start].copy()

    def forget(self, before: float) -> None:
        cut = int(before * RATE) - self.buf_start
        if cut > 0:
            self.buf = self.buf[cut:]
            self.buf_start += cut

    def duration(self) -> float:
        """Seconds in the whole MP3 (reads to its end)."""
        while not self.ended:
            self.forget((self.buf_start + self.buf.size) / RATE)
            self._fill(self.buf_start + self.buf.size + 1)
        return (self.buf_start + self.buf.size) / RATE

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class TimelineSource:
    """The rendered episode still in memory (render --check): no MP3 is decoded again."""

    def __init__(self, timeline):
        self.timeline = timeline

    def read(self, start: float, end: float) -> np.ndarray:
        sr = self.timeline.sample_rate
        a = max(0, int(start * sr))
        b = min(self.timeline.length, int(end * sr))
        return asr.resample(self.timeline.read(a, max(0, b - a)), sr)

    def forget(self, before: float) -> None:
        pass

    def duration(self) -> float:
        return self.timeline.duration

    def close(self) -> None:
        pass


# ---------------------------------------------------------------------------------------
# The aligner
# ---------------------------------------------------------------------------------------


class Aligner:
    def __init__(self, model_name: str, cfg: CheckConfig):
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        self.cfg = cfg
        self.model = asr.load_model(model_name, cfg.threads)
        self.tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language="en")
        self._pad_or_trim = pad_or_trim
        self._cache: dict[str, list[int]] = {}

    def tokens_of(self, word: str) -> list[int]:
        if word not in self._cache:
            self._cache[word] = self.tok.encode(" " + word)
        return self._cache[word]

    def _stamp(self, t: float) -> int:
        return self.tok.timestamp_begin + int(round(min(WINDOW_S, max(0.0, t)) / _TS_STEP))

    def _scored(self, token: int) -> bool:
        """Punctuation is left out: ':' ';' '!' are improbable even in clean speech."""
        return any(c.isalnum() for c in self.tok.decode([token]))

    def window(self, audio: np.ndarray, w: Window) -> list[list[tuple[str, float]]]:
        """(word, probability) of every word of each piece of `w`, from its 16 kHz audio."""
        feats = self.model.feature_extractor(audio)
        frames = min(feats.shape[-1], 3000)
        encoded = self.model.encode(self._pad_or_trim(feats))
        seq: list[int] = []
        owners: list[tuple[int, int] | None] = []
        for k, p in enumerate(w.pieces):
            seq.append(self._stamp(p.start - w.start))
            owners.append(None)
            for j, toks in enumerate(p.tokens):
                seq.extend(toks)
                owners.extend([(k, j) if self._scored(t) else None for t in toks])
            seq.append(self._stamp(p.end - w.start))
            owners.append(None)
        result = self.model.model.align(encoded, list(self.tok.sot_sequence), [seq], max(1, frames))[0]
        probs: list[list[list[float]]] = [[[] for _ in p.words] for p in w.pieces]
        for owner, prob in zip(owners, result.text_token_probs):
            if owner is not None:
                probs[owner[0]][owner[1]].append(float(prob))
        # A word's probability is its tokens' mean, as faster-whisper gives word probabilities.
        return [[(word, float(np.mean(ps))) for word, ps in zip(p.words, pp) if ps]
                for p, pp in zip(w.pieces, probs)]

    def heard(self, audio: np.ndarray) -> str:
        """What the recogniser hears in one sentence's audio when asked freely (beam search)."""
        pad = np.zeros(int(0.3 * RATE), dtype=np.float32)
        segments, _ = self.model.transcribe(
            np.concatenate([pad, audio, pad]), language="en", beam_size=self.cfg.beam_size,
            condition_on_previous_text=False, temperature=0.0, vad_filter=False, without_timestamps=True)
        return " ".join(s.text.strip() for s in segments).strip()


def speech_in(audio: np.ndarray, offset: float, min_s: float) -> list[tuple[float, float]]:
    """Stretches of speech (seconds, shifted by `offset`) in 16 kHz `audio`, by Silero VAD."""
    if audio.size < int(min_s * RATE):
        return []
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(min_speech_duration_ms=int(min_s * 1000)))
    return [(offset + s["start"] / RATE, offset + s["end"] / RATE) for s in found]
