"""Every speaker of a cast at one loudness.

Before mastering, each voice's sentences in the voice track are brought to the speakers'
mean loudness (`level_speakers`). Mastering's compressor and limiter then take more from a
voice with more low end or sharper peaks, so the mastered episode is measured speaker by
speaker on its way to the encoder (`tapped`), and evened out again where they drifted apart
(`evening_gains`, `scale_speakers`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .loudness import Frames, analyse, gated_loudness, integrated_loudness


def level_speakers(voice_file: Path, spans: list[tuple[str, int, int]], rate: int) -> dict[str, float]:
    """Bring every speaker's speech to one loudness (the mean of theirs), in place in the voice
    track: two voices of two engines come out at their own levels, and mastering then moves the
    whole episode at once. Returns each speaker's gain in dB (nothing to do for one voice)."""
    by_speaker: dict[str, list[tuple[int, int]]] = {}
    for speaker, start, end in spans:  # (speaker, first sample, end sample) of each sentence
        by_speaker.setdefault(speaker, []).append((start, end))
    if len(by_speaker) < 2:
        return {}

    def speech(mine: list[tuple[int, int]]):
        with open(voice_file, "rb") as f:
            for start, end in mine:
                f.seek(4 * start)
                yield np.fromfile(f, dtype="<f4", count=end - start)

    # Each speaker is measured on their sentences alone, joined, as a listener hears them.
    loudness = {name: integrated_loudness(speech(mine), rate) for name, mine in by_speaker.items()}
    known = [v for v in loudness.values() if np.isfinite(v)]
    if not known:
        return {}
    target = float(np.mean(known))
    gains = {name: (target - v if np.isfinite(v) else 0.0) for name, v in loudness.items()}
    scale_speakers(voice_file, by_speaker, gains)
    return gains


def scale_speakers(voice_file: Path, ranges: dict[str, list[tuple[int, int]]], gains_db: dict[str, float]) -> None:
    """Each speaker's sample ranges of the voice track times their gain, in place."""
    with open(voice_file, "r+b") as f:
        for name, spans in ranges.items():
            gain = np.float32(10 ** (gains_db.get(name, 0.0) / 20))
            if gain == 1:
                continue
            for start, end in spans:
                f.seek(4 * start)
                chunk = np.fromfile(f, dtype="<f4", count=end - start) * gain
                f.seek(4 * start)
                f.write(chunk.astype("<f4").tobytes())


def tapped(blocks, rate: int):
    """The same blocks, measured on the way to the encoder (in a thread, so nothing is held
    whole): returns them and a function giving the measured frames once they are all through."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=4)
    result: list[Frames] = []

    def feed():
        while (block := q.get()) is not None:
            yield block

    worker = threading.Thread(target=lambda: result.append(analyse(feed(), rate)), daemon=True)
    worker.start()

    def passing():
        try:
            for block in blocks:
                q.put(block.copy())
                yield block
        finally:
            q.put(None)

    def frames() -> Frames:
        worker.join()
        return result[0]

    return passing(), frames


def evening_gains(frames, turns: dict[str, list[tuple[int, int]]], rate: int, spread: float) -> dict[str, float]:
    """Gain (dB) per speaker that brings each to the speakers' mean loudness in the mastered
    episode; empty when they are already within `spread` LU of each other."""
    hop = frames.hop
    loud = {}
    for name, ranges in turns.items():
        k = np.concatenate([frames.k_energy[a // hop : b // hop] for a, b in ranges])
        loud[name] = gated_loudness(k, hop, rate)
    known = {n: v for n, v in loud.items() if np.isfinite(v)}
    if len(known) < 2 or max(known.values()) - min(known.values()) <= spread:
        return {}
    mean = float(np.mean(list(known.values())))
    # The compressor answers less than 1 dB per dB: step further, as mastering's own plan does.
    return {n: 1.5 * (mean - v) for n, v in known.items()}
