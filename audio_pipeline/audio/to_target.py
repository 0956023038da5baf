"""Master a timeline and encode it to the show's loudness target: encode once, measure the
MP3 as ebur128 reads it, and correct once more if it missed (the step between assembly and
the tags, the same for a local render and a Ray worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..config import RenderConfig
from ..errors import RenderError
from .assemble import Timeline, speaker_ranges
from .export import encode_mp3
from .ffmpeg import Loudness
from .levelling import evening_gains, scale_speakers, tapped
from .loudness import Frames, analyse, blocks_of
from .master import mastered_blocks, plan
from .watermark import marked_blocks


def analyse_mix(timeline: Timeline) -> Frames:
    """The loudness analysis mastering plans from: the assembled mix, as BS.1770 meters it."""
    return analyse(blocks_of(timeline.read, timeline.length), timeline.sample_rate)


def encode_to_target(
    timeline: Timeline,
    frames: Frames,
    dest: Path,
    cfg: RenderConfig,
    label: Path,
    stage: Callable[[str], None] = lambda name: None,
    mark: bool = False,
) -> Loudness:
    """Master by `frames` (`analyse_mix`) and encode once; if the MP3 (as ebur128 reads it) misses
    the target, correct and encode again. With a cast, the mastered speech is also measured speaker
    by speaker as it is encoded, and evened out where mastering moved one voice away from the others."""
    m = cfg.master
    target = m.target_lufs
    rate = timeline.sample_rate
    turns = speaker_ranges(timeline)
    correction, ceiling_shift = 0.0, 0.0
    tries = evened = 0
    while True:
        p = plan(frames, rate, m, correction, ceiling_shift)
        blocks = mastered_blocks(timeline.read, timeline.length, rate, p, m)
        heard = None
        if len(turns) > 1 and evened < m.speaker_rounds:
            blocks, heard = tapped(blocks, rate)
        stage("encoding")
        if mark:  # the inaudible mark goes into the mastered samples, before the one lossy encode
            blocks = marked_blocks(blocks, rate)
        got = encode_mp3(blocks, rate, dest, cfg.export, label)
        gains = evening_gains(heard(), turns, rate, m.speaker_spread_lu) if heard else {}
        if gains:
            evened += 1
            scale_speakers(
                timeline.voice_file,
                {k: [(a - timeline.voice_offset, b - timeline.voice_offset) for a, b in v] for k, v in turns.items()},
                gains,
            )
            frames = analyse_mix(timeline)
            continue
        tries += 1
        off = target - got.integrated_lufs
        over = got.true_peak_dbtp - m.true_peak_dbtp
        if abs(off) <= m.correct_above_lu and over <= 0:
            return got
        if tries == 2:
            break
        correction += off
        ceiling_shift += max(0.0, over + 0.1)
    if abs(target - got.integrated_lufs) > m.tolerance_lu or got.true_peak_dbtp > m.true_peak_dbtp:
        raise RenderError(
            f"could not reach {target} LUFS / {m.true_peak_dbtp} dBTP (got {got.integrated_lufs} LUFS, "
            f"{got.true_peak_dbtp} dBTP); is the script mostly silence?"
        )
    return got
