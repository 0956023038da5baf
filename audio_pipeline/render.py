"""One episode, end to end: script -> text front end -> synthesis -> assembly ->
mastering -> export. Each stage lives in the module named after it; this module
only passes their data along and keeps the output path clean on failure.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import assets
from .assemble import Timeline, assemble
from .cache import SentenceCache
from .cache_admin import record_use
from .config import DEFAULT_OUTPUT_DIR, DEFAULT_SHOW, DEFAULT_VOICE, RenderConfig, default_cache_dir
from .engines.base import create_engine
from .errors import RenderError
from .export import check_complete, encode_mp3, write_tags, written_by_us
from .feed import ShowSettings
from .files import checked_write, remove_stale_temps, temp_beside, write_whole
from .ffmpeg import Loudness
from .loudness import analyse, blocks_of
from .master import mastered_blocks, plan
from .script import Episode, check_speakable, read_script
from .show import cover_path, load_settings
from .sidecars import all_sidecar_paths, sidecar_paths, sidecar_texts
from .synthesize import SynthesisReport, default_jobs, synthesize_all
from .text.lexicon import Lexicon, default_show_lexicon_path, load_lexicon
from .text.normalize import speak
from .voices import VoiceProfile, load_voice


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


def default_output(script: Path) -> Path:
    return DEFAULT_OUTPUT_DIR / f"{script.stem}.mp3"


def show_config(show: ShowSettings, config: RenderConfig = RenderConfig()) -> RenderConfig:
    """`config` with what the show's settings decide (how many authors the credits name)."""
    return replace(config, text=replace(config.text, max_spoken_authors=show.max_spoken_authors,
                                        spoken_disclosure=show.spoken_disclosure))


def load_episode(script: Path, voice: str | None = None, device: str | None = None, config: RenderConfig = RenderConfig(),
            fixes: dict[str, str] | None = None) -> tuple[Episode, VoiceProfile, Lexicon]:
    """Parse the script and give every sentence its written and spoken forms."""
    episode = read_script(script, config.text)
    profile = load_voice(voice or episode.meta.voice or DEFAULT_VOICE, device)
    check_speakable(episode, profile.writing, profile.name)
    lexicon = load_lexicon(default_show_lexicon_path(), profile.lexicon_path)
    if fixes:
        from .retake import with_fixes

        lexicon = with_fixes(lexicon, fixes)
    for sentence in episode.sentences():
        result = speak(sentence.markup, lexicon)
        sentence.written, sentence.spoken, sentence.fired = result.written, result.spoken, result.fired
    return episode, profile, lexicon


def render(script: Path, options: RenderOptions = RenderOptions(), progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render `script` to an MP3 with sidecars. `progress(done, total)` follows the sentences."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    show = options.show or load_settings(Path(script).parent)
    cfg = show_config(show, options.config)
    episode, profile, _ = load_episode(script, options.voice, options.device, cfg, options.fixes)
    output = Path(options.output) if options.output else default_output(script)
    _check_output_folder(output, create=options.output is None)
    check_outputs(script, output)
    remove_stale_temps(output.parent)
    timings["prepare"] = time.perf_counter() - t0

    sentences = episode.sentences()
    with ExitStack() as stack:
        cache = SentenceCache.open(options.cache_dir, stack)
        engine = create_engine(profile.engine, profile.engine_params)
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(sentences))

        t = time.perf_counter()
        report = synthesize_all(
            engine, profile.engine, profile.engine_params, [s.spoken for s in sentences], cache, options.jobs, step
        )
        from .retake import apply_takes

        apply_takes(output, engine, profile, [s.spoken for s in sentences], report, cache, cfg.check)
        timings["synthesis"] = time.perf_counter() - t
        if options.cache_dir is not None:
            record_use(cache.root, engine.fingerprint(), profile.name, profile.engine, report.entries)

        t = time.perf_counter()
        rate = cfg.assembly.sample_rate
        timeline = assemble(
            episode,
            report.entries,
            profile.pauses,
            cfg.assembly,
            assets.load_music(assets.INTRO, rate),
            assets.load_music(assets.OUTRO, rate),
            work_dir=output.parent,
            work_name=output,
        )
        stack.callback(timeline.close)
        timings["assembly"] = time.perf_counter() - t

        t = time.perf_counter()
        tmp = temp_beside(output, ".mp3.part")
        stack.callback(tmp.unlink, missing_ok=True)
        loudness = _master_and_encode(timeline, tmp, cfg, output)
        timings["master+encode"] = time.perf_counter() - t

        t = time.perf_counter()
        meta = episode.meta if episode.meta.show != DEFAULT_SHOW else replace(episode.meta, show=show.title)
        cover = cover_path(show)
        write_tags(tmp, meta, timeline.chapters, show.artist, cover.read_bytes() if cover else None)
        check_complete(tmp, timeline.duration, output)  # the tags were written in place: the audio is still whole
        # Everything is written in full before anything is renamed into place, the MP3 last:
        # an MP3 at the output path is always complete, and its sidecars match it.
        staged = [(stack_temp(stack, path, text), path) for path, text in sidecar_texts(output, timeline, episode.meta.title)]
        for temp, final in [*staged, (tmp, output)]:
            with checked_write(final):
                os.replace(temp, final)
        transcript, chapters_file = sidecar_paths(output)
        timings["export"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return RenderResult(
        output=output,
        transcript=transcript,
        chapters_file=chapters_file,
        duration=timeline.duration,
        loudness=loudness,
        chapters=len(timeline.chapters),
        sentences=len(sentences),
        synthesis=report,
        timings=timings,
        timeline=timeline,
    )


def _master_and_encode(timeline: Timeline, dest: Path, cfg: RenderConfig, label: Path) -> Loudness:
    """Encode once; if the MP3 (as ebur128 reads it) misses the target, correct and encode again."""
    m = cfg.master
    target = m.target_lufs
    rate = timeline.sample_rate
    frames = analyse(blocks_of(timeline.read, timeline.length), rate)
    correction, ceiling_shift = 0.0, 0.0
    for _ in range(2):
        p = plan(frames, rate, m, correction, ceiling_shift)
        got = encode_mp3(mastered_blocks(timeline.read, timeline.length, rate, p, m), rate, dest, cfg.export, label)
        off = target - got.integrated_lufs
        over = got.true_peak_dbtp - m.true_peak_dbtp
        if abs(off) <= m.correct_above_lu and over <= 0:
            return got
        correction += off
        ceiling_shift += max(0.0, over + 0.1)
    if abs(target - got.integrated_lufs) > m.tolerance_lu or got.true_peak_dbtp > m.true_peak_dbtp:
        raise RenderError(
            f"could not reach {target} LUFS / {m.true_peak_dbtp} dBTP (got {got.integrated_lufs} LUFS, "
            f"{got.true_peak_dbtp} dBTP); is the script mostly silence?"
        )
    return got


def stack_temp(stack: ExitStack, path: Path, text: str) -> Path:
    """`text` written in full to a temporary file beside `path` (removed on failure)."""
    tmp = temp_beside(path, ".part")
    stack.callback(tmp.unlink, missing_ok=True)
    write_whole(tmp, text, path)
    return tmp


def check_outputs(script: Path, output: Path) -> None:
    """Refuse an output that would destroy something: the script itself, a file this
    tool did not write, anything that is not a regular file, or a name the file
    system cannot hold. (The outputs are the MP3 and its two sidecars.)"""
    if output.suffix.lower() != ".mp3":
        raise RenderError(f"output {output} must end in .mp3 (its transcript and chapters are written beside it)")
    outputs = [output, *all_sidecar_paths(output)]
    for path in outputs:
        if len(path.name.encode("utf-8")) > 255:
            raise RenderError(
                f"output name {output.name[:40]}... is too long: with {path.name.removeprefix(output.stem)!r} it passes the "
                "file system's 255 bytes; choose a shorter -o"
            )
        try:
            same = path.exists() and script.exists() and path.samefile(script)
        except OSError:
            same = False
        if same:
            raise RenderError(f"output {path} is the script itself; choose another -o")
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise RenderError(f"{path} exists and is not a regular file; refusing to replace it, choose another -o")
        if path.is_file() and path.stat().st_size and not written_by_us(path):
            raise RenderError(f"{path} exists and was not written by paperledge; move it away or choose another -o")


def _check_output_folder(output: Path, create: bool) -> None:
    folder = output.parent
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise RenderError(f"cannot create the output folder {folder} ({e.strerror})") from None
    if not folder.is_dir():
        raise RenderError(f"output folder {folder} does not exist; create it or choose another -o")
    if output.is_dir():
        raise RenderError(f"output {output} is a folder; give a file name ending in .mp3")
    temp_beside(output, ".check.part").unlink()  # raises a RenderError naming the folder if unwritable


def master_to_mp3(timeline: Timeline, dest: Path, options: RenderOptions, label: Path | None = None) -> Loudness:
    """Master an assembled timeline and encode it to `dest` (untagged), to the targets
    `options` ask for: the step `render` takes after assembly, for a render that
    writes its outputs elsewhere (a Ray worker hands the MP3 back to its driver).
    `label` is the path errors name (default: `dest`)."""
    return _master_and_encode(timeline, dest, options.config, label or dest)
