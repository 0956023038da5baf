"""The transcript a check reads: the cues of `EPISODE.vtt`, each a sentence's time and text.

Whatever the file holds, reading it gives the cues or one CheckError line: the check
reads a file it may not have written (a hand-edited or hostile transcript).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..audio.sidecars import cue_body
from ..config import CheckConfig
from ..errors import CheckError
from ..files import read_text

MAX_VTT_BYTES = 16 * 1024 * 1024
"""A transcript is text: an episode of several hours has well under a megabyte of it."""

MAX_WORDS_PER_S = 8.0
MAX_LETTERS_PER_S = 40.0
"""No voice says more than this in an episode (the eight published episodes' densest cue,
heart voice: 5.2 words, 18.8 letters a second)..."""
DENSITY_SLACK = (20, 100)
"""...plus this many words and letters: a transcript with more is not this audio's, and the
check's cost grows with its words. Counted over the whole audio, not per cue: a take cut
short by the engine holds its sentence's words in a span too short for them (the check
flags it; speech.py)."""


@dataclass
class Cue:
    index: int
    """The cue's number in the VTT (1 for the first sentence)."""
    start: float
    end: float
    text: str
    speaker: str = ""
    """Who says it (the cue's WebVTT voice span; "" without a cast)."""


# [hours:]minutes:seconds.fraction, with bounded digits: a cue time of 5,000 digits is no
# time (and int() of it is refused by Python itself).
_TIME = re.compile(r"^\s*(?:(\d{1,6}):)?(\d{1,2}):(\d{1,2}(?:\.\d{1,9})?)(?:\s|$)")


def _seconds(path: Path, text: str) -> float:
    m = _TIME.match(text)
    if not m:
        raise CheckError(f"{path}: bad cue time {text.strip()[:40]!r}")
    return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))


def read_vtt(path: Path) -> list[Cue]:
    """The cues of the WebVTT file `path`, in time order."""
    if not path.exists() and not path.is_symlink():
        raise CheckError(f"no transcript {path} beside the MP3: check reads sentence times from it (render writes it)")
    text = read_text(path, "transcript", CheckError, MAX_VTT_BYTES)  # a FIFO is refused, never opened
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not re.match(r"WEBVTT(?:[ \t\n]|$)", text):
        raise CheckError(f"{path} is not a WebVTT file")
    cues: list[Cue] = []
    for block in re.split(r"\n[ \t]*\n", text)[1:]:
        lines = [line for line in block.strip().splitlines() if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        a, b = lines[timing].split("-->")[:2]
        speaker, words = cue_body(" ".join(lines[timing + 1 :]))
        cue = Cue(len(cues) + 1, _seconds(path, a), _seconds(path, b), words, speaker)
        if cue.start > cue.end:
            raise CheckError(f"{path}: cue {cue.index} ends before it starts")
        if cues and cue.start < cues[-1].start:
            raise CheckError(f"{path}: cue {cue.index} starts before cue {cue.index - 1}; a transcript's cues are in time order")
        cues.append(cue)
    if not cues:
        raise CheckError(f"{path} has no cues")
    return cues


def plausible(cues: list[Cue], duration: float, where: Path | str, cfg: CheckConfig) -> None:
    """Refuse, before anything is heard, a transcript the audio cannot hold: more cues than
    one per `cfg.min_cue_s` of its `duration` (the check's cost grows with its cues)."""
    most = int(duration / cfg.min_cue_s) + 1
    if len(cues) > most:
        raise CheckError(
            f"{where}: {len(cues):,} cues for {duration:.1f} s of audio (at most {most:,}, one per "
            f"{cfg.min_cue_s:g} s): not this audio's transcript"
        )
    # Over the transcript's own length where it is longer: an MP3 cut short is reported
    # as truncated (past_the_end), not as the wrong transcript.
    span = max([duration] + [c.end for c in cues])
    words = sum(len(c.text.split()) for c in cues)
    letters = sum(ch.isalnum() for c in cues for ch in c.text)
    if words > MAX_WORDS_PER_S * span + DENSITY_SLACK[0] or letters > MAX_LETTERS_PER_S * span + DENSITY_SLACK[1]:
        raise CheckError(
            f"{where}: {words:,} words ({letters:,} letters) for {span:.1f} s of audio, more than "
            f"any voice says (at most {MAX_WORDS_PER_S:g} words, {MAX_LETTERS_PER_S:g} letters a "
            "second): not this audio's transcript"
        )


def past_the_end(cues: list[Cue], duration: float) -> str | None:
    """The failure of a transcript that runs past the end of its audio, said at once: none
    of its sentences beyond the end can be heard."""
    last = max(c.end for c in cues)
    if duration * 1.02 + 0.5 < last:  # a header without a Xing frame is an estimate
        return (
            f"the audio is {duration:.1f} s long but its transcript runs to {last:.1f} s: truncated, or not this transcript's MP3"
        )
    return None
