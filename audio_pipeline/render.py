"""One episode, end to end on this machine: the stages of `stages` in order (prepare,
synthesise, assemble, master, encode, publish), with the output path kept clean on failure.
"""

from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .audio.assemble import Timeline
from .audio.ffmpeg import Loudness
from .config import RenderConfig, default_cache_dir
from .files import temp_beside
from .show import ShowSettings
from .stages import assemble_episode, default_output, encode, master, prepare, publish, synthesise
from .synthesis.cache import SentenceCache
from .synthesis.synthesize import SynthesisReport, default_jobs

__all__ = ["STAGES", "RenderOptions", "RenderResult", "default_output", "render"]


@dataclass
class RenderOptions:
    voice: str | None = None
    """Profile name or path; default: the script's `voice`, else ernis."""
    output: Path | None = None
    """Default: build/<script stem>.mp3."""
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    """None: no cache (sentences go to a temporary folder)."""
    show: ShowSettings | None = None
    """None: the show folder's show.toml, overridden by one beside the script."""
    jobs: int = field(default_factory=default_jobs)
    device: str | None = None
    config: RenderConfig = field(default_factory=RenderConfig)
    """Every target and setting of the pipeline: loudness (`master.target_lufs`), bitrate
    (`export.bitrate_kbps`) and the rest."""
    fixes: dict[str, str] = field(default_factory=dict)
    """Respellings for this render only (written word -> spoken form), over the lexicons."""
    keep_audio: bool = False
    """Leave the result's timeline open, for `render --check` to hear; the caller closes it."""
    stages: Callable[[str], None] | None = None
    """Told each stage's name as it begins (`STAGES`), for a progress display."""
    sign: bool = True
    """Sign the MP3 with Content Credentials (show.toml `sign = false` also turns it off)."""


STAGES = ("synthesis", "assembly", "mastering", "encoding", "tags and sidecars")


@dataclass
class RenderResult:
    output: Path
    transcript: Path
    chapters_file: Path
    duration: float
    loudness: Loudness
    chapters: int
    sentences: int
    synthesis: SynthesisReport
    timings: dict[str, float]
    timeline: Timeline
    watermarked: bool = False
    """Whether the inaudible mark is in it (the [watermark] extra installed, and the show wants it)."""


def render(
    script: Path, options: RenderOptions = RenderOptions(), progress: Callable[[int, int], None] | None = None
) -> RenderResult:
    """Render `script` to an MP3 with sidecars, stage by stage (`stages`). `progress(done, total)`
    follows the sentences; a `progress` with a `stage(name)` method is told each stage as it
    begins, as `options.stages` is."""
    t0 = time.perf_counter()
    stage = options.stages or getattr(progress, "stage", None) or (lambda name: None)
    prepared = prepare(
        script, options.output, options.voice, options.device, options.config, options.fixes, options.show, options.sign
    )
    timings = {"prepare": time.perf_counter() - t0}
    # One ExitStack removes every temporary file of a render that fails, whichever stage it fails in.
    with ExitStack() as stack:
        cache = SentenceCache.open(options.cache_dir, stack)
        total, done = len(prepared.said), [0]

        def step(n: int) -> None:
            done[0] += n
            if progress:
                progress(done[0], total)

        with timed(timings, "synthesis", stage):
            synthesised = synthesise(prepared, cache, options.jobs, step, record=options.cache_dir is not None)
        with timed(timings, "assembly", stage):
            assembled = assemble_episode(prepared, synthesised.entries)
        kept = [False]

        @stack.callback
        def close() -> None:
            if not kept[0]:
                assembled.timeline.close()

        with timed(timings, "master+encode"):
            mastered = master(assembled, stage)
            tmp = temp_beside(prepared.output, ".mp3.part")
            stack.callback(tmp.unlink, missing_ok=True)
            encoded = encode(prepared, assembled, mastered, tmp, stage)
        with timed(timings, "export"):
            published = publish(prepared, encoded, prepared.key, stack)
        kept[0] = options.keep_audio
    timings["total"] = time.perf_counter() - t0
    return RenderResult(
        output=published.output,
        transcript=published.transcript,
        chapters_file=published.chapters_file,
        duration=encoded.duration,
        loudness=encoded.loudness,
        chapters=encoded.chapters,
        sentences=total,
        synthesis=synthesised.report,
        timings=timings,
        timeline=assembled.timeline,
        watermarked=encoded.watermarked,
    )


@contextmanager
def timed(timings: dict[str, float], name: str, stage: Callable[[str], None] | None = None) -> Iterator[None]:
    """Time a stage into `timings[name]`, telling `stage` its name as it begins."""
    if stage is not None:
        stage(name)
    t = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - t
