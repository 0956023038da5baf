"""Forced alignment: how likely each sentence's own text is in its own audio.

The sentence spans (the cues of the transcript) are packed end to end, sped up by
CheckConfig.tempo, into windows of at most Whisper's 30 s. Each window is encoded once; then one teacher-forced decoder pass reads
the intended text of every sentence in it, each sentence after the timestamp token of
its start (CTranslate2's `Whisper.align`, the call faster-whisper's `find_alignment`
makes). That gives the probability of every written token given the audio, with no
decoding: a word the voice did not say is improbable there. A sentence longer than a
window, or over the decoder's 448 tokens, is cut into pieces evenly by its words, each
given the time its letters take.
Audio is read window by window, so memory stays that of a few windows.
"""

from __future__ import annotations

import re
import subprocess
import threading
from dataclasses import dataclass, field
from typing import IO, Callable

import numpy as np

from ..audio.ffmpeg import ffmpeg_exe
from ..config import CheckConfig
from ..errors import CheckError
from . import asr

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
    cut: tuple[float, float] = (0.0, 0.0)
    """The stretch of the episode (seconds) its window holds for it: its span, padded."""
    at: float = 0.0
    """Where that stretch begins in its window (window seconds, after the tempo change)."""

    @property
    def size(self) -> int:
        return sum(len(t) for t in self.tokens) + 2  # and its two timestamps


@dataclass
class Window:
    pieces: list[Piece] = field(default_factory=list)
    length: float = 0.0
    """Seconds of audio in it, after the tempo change."""
    tokens: int = 0
    """Its pieces' tokens (kept as it fills: no sum over its pieces per piece)."""

    @property
    def start(self) -> float:
        return self.pieces[0].cut[0]


def plan(spans: list[tuple[float, float, list[str]]], tokens_of: Callable[[str], list[int]], cfg: CheckConfig) -> list[Window]:
    """The windows for `spans` ((start, end, words) in time order): every sentence in
    one window, or cut evenly by words into pieces that each fit one. A window holds its
    pieces' audio end to end (the pauses between sentences are left out), sped up by
    `cfg.tempo`: fewer windows for the encoder, whose cost is per window."""
    tempo, pad = cfg.tempo, cfg.window_pad_s
    room_s = WINDOW_S * tempo - 2 * pad  # episode seconds of speech one window holds
    room_tokens = MAX_TOKENS - 8  # start of transcript, and slack
    pieces: list[Piece] = []
    for n, (start, end, words) in enumerate(spans):
        # A sentence's padding stops halfway to its neighbours, so no window hears another's words.
        lo = max(0.0, start - pad, (spans[n - 1][1] + start) / 2 if n else 0.0)
        hi = min(end + pad, (end + spans[n + 1][0]) / 2) if n + 1 < len(spans) else end + pad
        hi = max(hi, lo)  # cues that overlap (a hand-edited transcript) give an empty stretch, not a negative one
        tokens = [tokens_of(w) for w in words]
        size = sum(map(len, tokens)) + 2
        parts = max(1, int(np.ceil((end - start) / room_s)), int(np.ceil(size / room_tokens)))
        parts = min(parts, max(1, len(words)))
        cuts = np.linspace(0, len(words), parts + 1).round().astype(int)
        total = len(words)
        # A word's time is taken as its share of the letters (a long word takes longer to say).
        said = np.concatenate([[0], np.cumsum([len(w) + 1 for w in words])]) if words else np.zeros(1)
        for a, b in zip(cuts[:-1], cuts[1:]):
            p0 = start + (end - start) * said[a] / max(1, said[-1])
            p1 = end if b == total else start + (end - start) * said[b] / said[-1]  # a cue of no words: all of it
            cut = (lo if a == 0 else max(lo, p0 - pad), hi if b == total else min(hi, p1 + pad))
            pieces.append(Piece(n, p0, p1, words[a:b], tokens[a:b], cut))
    windows: list[Window] = []
    for p in pieces:
        seconds = (p.cut[1] - p.cut[0]) / tempo
        w = windows[-1] if windows else None
        if not w or w.length + seconds > WINDOW_S or w.tokens + p.size > room_tokens:
            w = Window()
            windows.append(w)
        p.at = w.length
        w.pieces.append(p)
        w.length += seconds
        w.tokens += p.size
    return windows


# ---------------------------------------------------------------------------------------
# Audio, window by window
# ---------------------------------------------------------------------------------------


def _widen(pipe) -> None:
    """The pipe's buffer at 1 MB (Linux's F_SETPIPE_SZ; the most an unprivileged process
    may ask): where that is not to be had, the default does, only later."""
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass


class Stream:
    """An episode as the recogniser hears it: 16 kHz mono, sped up by `tempo` (ffmpeg's
    atempo, which keeps the pitch), read forward: only what is still to be read is kept
    (`forget` drops what came before). Times given and returned are the episode's own.

    The audio is an MP3 (`path`) or a render's timeline still in memory (`timeline`, fed
    to ffmpeg as it goes: no MP3 is decoded again)."""

    def __init__(self, tempo: float, path=None, timeline=None):
        self.path, self.timeline, self.tempo = path, timeline, tempo
        # Resampled first: atempo on 16 kHz costs a third of what it costs on 44.1 kHz.
        out = ["-af", f"aresample={RATE},atempo={tempo:g}"] if tempo != 1 else []
        # 16-bit samples, and a pipe of 1 MB: ffmpeg decodes the first window (32 s) ahead,
        # while the recogniser loads, before anything reads it.
        out += ["-ac", "1", "-ar", str(RATE), "-f", "s16le", "pipe:1"]
        if timeline is None:
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), *out]
        else:
            cmd = [
                ffmpeg_exe(),
                "-hide_banner",
                "-v",
                "error",
                "-f",
                "f32le",
                "-ar",
                str(timeline.sample_rate),
                "-ac",
                "1",
                "-i",
                "pipe:0",
                *out,
            ]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE if timeline is not None else None, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        # Both pipes were asked for (PIPE), so Popen opened them.
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._stdout, self._stderr = self.proc.stdout, self.proc.stderr
        _widen(self._stdout)
        # ffmpeg's complaints are read as they come: a badly damaged MP3 says more than a
        # pipe holds (and a file for them could not be written on a full disk).
        self._said: list[str] = []
        self._told = 0
        self._listener = threading.Thread(target=self._listen, daemon=True)
        self._listener.start()
        if timeline is not None:
            assert self.proc.stdin is not None  # PIPE, with a timeline
            self._feeder = threading.Thread(target=self._feed, args=(self.proc.stdin,), daemon=True)
            self._feeder.start()
        self.buf = np.zeros(0, dtype=np.float32)
        self.buf_start = 0
        """Sample number of buf[0]."""
        self.ended = False

    def _feed(self, stdin: IO[bytes]) -> None:
        step = self.timeline.sample_rate * 10
        try:
            for at in range(0, self.timeline.length, step):
                chunk = self.timeline.read(at, min(step, self.timeline.length - at))
                stdin.write(chunk.astype("<f4", copy=False).tobytes())
        except (BrokenPipeError, ValueError, OSError):  # closed early: the check stopped
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _n(self, t: float) -> int:
        return max(0, int(round(t / self.tempo * RATE)))

    def _fill(self, until: int) -> None:
        while not self.ended and self.buf_start + self.buf.size < until:
            chunk = self._stdout.read(2 * RATE * 10)
            if not chunk:
                self.ended = True
                self._finish()
                break
            samples = np.frombuffer(chunk[: len(chunk) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
            self.buf = np.concatenate([self.buf, samples])

    def _listen(self) -> None:
        for line in self._stderr:
            if line.strip():
                self._told += 1
                if len(self._said) < 8:  # the first few say what is wrong; the rest are counted
                    self._said.append(line.decode(errors="replace").strip())
                else:
                    self._said[-1] = line.decode(errors="replace").strip()

    def _complaints(self) -> list[str]:
        self._listener.join(timeout=5)
        return self._said

    def _finish(self) -> None:
        if self.proc.wait() != 0:
            raise CheckError(f"cannot decode {self.path or 'the render'}: {(self._complaints()[-1:] or ['no output'])[0]}")

    def damage(self) -> list[str]:
        """What the decoder said of damaged frames (read to the end first): it skips or
        patches them and goes on, and the recogniser may hear the rest as fine."""
        said = self._complaints()
        if not said:
            return []
        first = re.sub(r"^\[[^]]*\]\s*", "", said[0])
        what = "the MP3 has damaged frames" if self.path else "the render's audio would not decode whole"
        return [f"{what}: ffmpeg reports {self._told} decoding error(s), the first: {first}"]

    def read(self, start: float, end: float) -> np.ndarray:
        """The stretch from `start` to `end` (episode seconds), at the tempo."""
        a, b = self._n(start), self._n(end)
        self._fill(b)
        a = max(a, self.buf_start)
        return self.buf[a - self.buf_start : max(a, b) - self.buf_start].copy()

    def forget(self, before: float) -> None:
        cut = min(self._n(before) - self.buf_start, self.buf.size)  # never past what was read
        if cut > 0:
            self.buf = self.buf[cut:]
            self.buf_start += cut

    def clip(self, start: float, end: float) -> np.ndarray:
        """The stretch at its own pace (what a flagged sentence is decoded freely from)."""
        start = max(0.0, start)
        if self.timeline is not None:
            sr = self.timeline.sample_rate
            a, b = int(start * sr), min(self.timeline.length, int(end * sr))
            return asr.resample(self.timeline.read(a, max(0, b - a)), sr)
        return asr.decode(self.path, start, end - start)

    def duration(self) -> float:
        """Seconds in the whole episode (reads to its end)."""
        if self.timeline is not None:
            return self.timeline.duration
        while not self.ended:
            self.forget((self.buf_start + self.buf.size) / RATE * self.tempo)
            self._fill(self.buf_start + self.buf.size + 1)
        return (self.buf_start + self.buf.size) / RATE * self.tempo

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            if f:
                try:
                    f.close()
                except OSError:
                    pass


# ---------------------------------------------------------------------------------------
# The aligner
# ---------------------------------------------------------------------------------------


class Aligner:
    """Forced alignment with the recogniser `model_name`. The model loads meanwhile
    (asr.load_soon): planning needs only its tokenizer."""

    def __init__(self, model_name: str, cfg: CheckConfig):
        self.cfg = cfg
        self.workers = asr.workers_and_threads(cfg)[0]
        self._model = asr.load_soon(model_name, cfg)
        self._tok = None
        found = asr.tokenizer_file(model_name)
        if found is not None:
            import tokenizers

            self._hf = tokenizers.Tokenizer.from_file(str(found))
        else:  # a model faster-whisper fetches itself: its tokenizer comes with it
            self._hf = self.model.hf_tokenizer
        self._cache: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    @property
    def model(self):
        return self._model.result()

    @property
    def tok(self):
        if self._tok is None:
            from faster_whisper.tokenizer import Tokenizer

            self._tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language="en")
        return self._tok

    def tokens_of(self, word: str) -> list[int]:
        if word not in self._cache:
            self._cache[word] = self._hf.encode(" " + word, add_special_tokens=False).ids
        return self._cache[word]

    def _stamp(self, t: float) -> int:
        return self.tok.timestamp_begin + int(round(min(WINDOW_S, max(0.0, t)) / _TS_STEP))

    def _scored(self, token: int) -> bool:
        """Punctuation is left out: ':' ';' '!' are improbable even in clean speech."""
        return any(c.isalnum() for c in self.tok.decode([token]))

    def window(self, audio: np.ndarray, w: Window) -> list[tuple[list[tuple[str, float]], tuple[float, float] | None]]:
        """(word, probability) of every word of each piece of `w`, and where in the window
        its words are heard (seconds, from the alignment; None without words), from its 16 kHz audio
        (its pieces' stretches end to end, at the tempo). Safe to call from several threads:
        the model runs `workers` windows at once."""
        from faster_whisper.audio import pad_or_trim

        feats = self.model.feature_extractor(audio)
        frames = min(feats.shape[-1], 3000)
        encoded = self.model.encode(pad_or_trim(feats))
        tempo = self.cfg.tempo
        seq: list[int] = []
        owners: list[tuple[int, int] | None] = []
        with self._lock:  # the tokenizer is not for two threads at once
            for k, p in enumerate(w.pieces):
                seq.append(self._stamp(p.at + (p.start - p.cut[0]) / tempo))
                owners.append(None)
                for j, toks in enumerate(p.tokens):
                    seq.extend(toks)
                    owners.extend([(k, j) if self._scored(t) else None for t in toks])
                seq.append(self._stamp(p.at + (p.end - p.cut[0]) / tempo))
                owners.append(None)
        result = self.model.model.align(encoded, list(self.tok.sot_sequence), [seq], max(1, frames), median_filter_width=7)[0]
        probs: list[list[list[float]]] = [[[] for _ in p.words] for p in w.pieces]
        for owner, prob in zip(owners, result.text_token_probs):
            if owner is not None:
                probs[owner[0]][owner[1]].append(float(prob))
        # Where each piece's words are heard (window seconds): its first scored token's
        # first frame to its last one's last frame (encoder frames of 20 ms).
        said: list[list[float]] = [[] for _ in w.pieces]
        for token, frame in result.alignments:
            if 0 <= token < len(owners) and owners[token] is not None:
                said[owners[token][0]].append(frame * _TS_STEP)
        # A word's probability is its tokens' mean, as faster-whisper gives word probabilities.
        return [
            ([(word, float(np.mean(ps))) for word, ps in zip(p.words, pp) if ps], (min(t), max(t) + _TS_STEP) if t else None)
            for p, pp, t in zip(w.pieces, probs, said)
        ]

    def heard(self, audio: np.ndarray) -> str:
        """What the recogniser hears in one sentence's audio (at its own pace) when asked
        freely (beam search)."""
        pad = np.zeros(int(0.3 * RATE), dtype=np.float32)
        segments, _ = self.model.transcribe(
            np.concatenate([pad, audio, pad]),
            language="en",
            beam_size=self.cfg.beam_size,
            condition_on_previous_text=False,
            temperature=0.0,
            vad_filter=False,
            without_timestamps=True,
        )
        return " ".join(s.text.strip() for s in segments).strip()


def window_audio(source: Stream, w: Window) -> np.ndarray:
    """`w`'s audio: its pieces' stretches read from `source` and put end to end."""
    parts = [source.read(*p.cut) for p in w.pieces]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def speech_in(audio: np.ndarray, offset: float, min_s: float, tempo: float = 1.0) -> list[tuple[float, float]]:
    """Stretches of speech (episode seconds, from `offset`) in 16 kHz `audio` sped up by
    `tempo`, by Silero VAD."""
    if audio.size < int(min_s / tempo * RATE):
        return []
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(min_speech_duration_ms=int(min_s / tempo * 1000)))
    return [(offset + s["start"] / RATE * tempo, offset + s["end"] / RATE * tempo) for s in found]
