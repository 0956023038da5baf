"""Season renders on a Ray cluster: `paperledge season DIR... --executor ray`.

The driver (the machine running the command) parses every script, looks each
sentence up in its own cache, and sends the misses in batches to a pool of Ray
actors, each holding one loaded engine (one per GPU for an engine on CUDA, one
per CPU core otherwise, each on one thread). Audio comes back through Ray's
object store and the driver stores it in its cache under the keys a local render
uses, so a cluster render and a local one share one cache and the nodes share no
file system. When all of an episode's sentences are there, its assembly,
mastering and encoding run as a Ray task fed straight from the object store; the
task returns the tagged MP3 and its sidecars as bytes, and only the driver
writes outputs, each atomically, the MP3 last, then the season's state file.

Faults are Ray's to handle: a dead actor is restarted and its batch retried
(`max_restarts`, `max_task_retries`), a dead episode task is run again
(`max_retries`). A killed driver leaves whole outputs or none; a rerun skips the
finished episodes and finds the synthesised sentences in the cache. Every actor
checks at start that its node runs the driver's package version and has the
same voice model (engine fingerprint), and the driver stops with one line naming
the node otherwise.

Ray is imported only here, and only when asked for: it is an optional extra. What runs
on the nodes (the actors and the episode task) is cluster/worker.py; the loop that feeds
them and writes their results is cluster/driver.py. Both run the render's own stages
(`stages`): the driver prepares and publishes, the episode task assembles, masters and encodes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from ..audio.sidecars import sidecar_paths, srt_path
from ..config import ClusterConfig
from ..errors import PaperLedgeError, RenderError
from ..files import check_shape, read_bytes, read_json, read_text, remove_stale_temps
from ..publish.season import STATE, SeasonReport, episode_scripts, input_stamp, rendered_intact, video_current, write_season_feed
from ..render import RenderOptions
from ..show import load_settings
from ..stages import prepare, show_config
from ..synthesis.cache import SentenceCache, sentence_key
from ..synthesis.engines.base import create_engine
from .driver import ClusterProgress, Driver, EpisodeJob, SeasonPlan, get_one, write_video
from .worker import EngineSpec, first_line, produce_video

INSTALL_HINT = "--executor ray needs Ray: pip install 'paperledge-audio[ray]' (in a checkout: make setup-ray)"


def import_ray():
    """The ray module, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise PaperLedgeError(INSTALL_HINT) from None
    return ray


@contextmanager
def rich_progress(quiet: bool) -> Iterator[ClusterProgress]:
    """Two bars on stderr: sentences synthesised across the cluster (with the number of
    workers), and episodes finished."""
    if quiet:
        yield ClusterProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        sentences = bar.add_task("Sentences", total=None)
        episodes = bar.add_task("Episodes", total=None)

        class Bars(ClusterProgress):
            def workers(self, n: int) -> None:
                bar.update(sentences, description=f"Sentences ({n} worker{'s' if n != 1 else ''})")

            def sentences(self, done: int, total: int) -> None:
                bar.update(sentences, completed=done, total=total)

            def episodes(self, done: int, total: int) -> None:
                bar.update(episodes, completed=done, total=total)

        yield Bars()


@dataclass
class ClusterRun:
    """What a Ray render did: one report per season, and the cluster it ran on."""

    reports: list[SeasonReport]
    actors: int = 0
    """Synthesis actors started (0: every sentence was cached or every episode unchanged)."""
    gpu: bool = False
    """Whether the actors ran on GPUs."""
    nodes: int = 0
    cpus: int = 0
    gpus: int = 0


def render_seasons_on_ray(
    seasons: list[tuple[Path, Path]],
    options: RenderOptions,
    address: str | None = None,
    progress: ClusterProgress = ClusterProgress(),
    cluster: ClusterConfig = ClusterConfig(),
    video: bool = False,
) -> ClusterRun:
    """Render every (season folder, output folder) pair on a Ray cluster: a local instance
    when `address` is None, else the cluster at `address` ("auto", "host:port", "ray://...").
    `options.jobs`, when set, caps the number of synthesis actors. With `video`, each episode's
    video is made on the workers too: in the episode's task, or alone for an episode rendered
    earlier whose video is missing or was made from another MP3."""
    ray = import_ray()
    plan = [replace(_plan_season(folder, out, options), video=video) for folder, out in seasons]
    jobs, specs = _plan_jobs(plan)
    videos = [
        (season, season.out_dir / f"{script.stem}.mp3")
        for season in plan
        for script in season.report.skipped
        if video and not video_current(season.out_dir / f"{script.stem}.mp3", season.state)
    ]
    with ExitStack() as stack:
        cache = SentenceCache.open(options.cache_dir, stack)
        run = ClusterRun([s.report for s in plan])
        if jobs or videos:
            _connect(ray, address, cluster)
            stack.callback(ray.shutdown)
        if jobs:
            driver = Driver(ray, cache, jobs, specs, options, progress, cluster)
            run.actors = driver.run()
            run.gpu, run.cpus, run.gpus = driver.gpu, driver.cpus, driver.gpus
        if videos:
            _videos_on_ray(ray, videos, cluster)
        if jobs or videos:
            run.nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    for season in plan:
        season.report.feed = write_season_feed(season.folder, season.out_dir, voice=options.voice)
    return run


def _videos_on_ray(ray, videos: list[tuple[SeasonPlan, Path]], cluster: ClusterConfig) -> None:
    """The videos of episodes rendered earlier, each made by a Ray task from the MP3 and sidecars
    the driver reads here (the nodes share no file system); only the driver writes them."""
    task = ray.remote(num_cpus=cluster.episode_cpus, max_retries=cluster.episode_retries)(produce_video)
    refs = []
    for season, mp3 in videos:
        data = read_bytes(mp3, "episode MP3", limit=mp3.stat().st_size + 1)
        sidecars = [(p.name, read_text(p, "sidecar")) for p in (*sidecar_paths(mp3), srt_path(mp3)) if p.is_file()]
        refs.append((season, mp3, hashlib.sha256(data).hexdigest(), task.remote(mp3.stem, data, sidecars)))
    for season, mp3, digest, ref in refs:
        write_video(season, mp3, get_one(ray, ref, f"the video of {mp3.name}", cluster), digest)


def _plan_season(folder: Path, out_dir: Path, options: RenderOptions) -> SeasonPlan:
    show = load_settings(folder)  # the same layers as a local season: defaults, show folder, season folder
    options = replace(options, show=show, config=show_config(show, options.config))
    episode_scripts(folder)  # a missing or empty folder is an error before any work
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create {out_dir} ({e.strerror})") from None
    remove_stale_temps(out_dir)  # what a killed driver was writing
    try:
        state = check_shape(read_json(out_dir / STATE, "season state"), {str: str}, str(out_dir / STATE))
    except PaperLedgeError:
        state = {}  # what was rendered, kept to skip it: without it every episode is rendered again
    return SeasonPlan(folder, out_dir, options, state=state)


def _plan_jobs(plan: list[SeasonPlan]) -> tuple[list[EpisodeJob], list[EngineSpec]]:
    """Every episode that needs rendering, with its sentences' cache keys; unchanged
    episodes whose outputs are all there are skipped, as a local season render does."""
    jobs: list[EpisodeJob] = []
    specs: dict[tuple[str, str], EngineSpec] = {}
    outputs: set[Path] = set()
    for season in plan:
        opts, show = season.options, season.show  # the season's settings (`_plan_season` put them in its options)
        for script in episode_scripts(season.folder):
            mp3 = season.out_dir / f"{script.stem}.mp3"
            if mp3.resolve() in outputs:
                raise PaperLedgeError(f"{mp3} would be written twice: render those season folders to separate -o folders")
            outputs.add(mp3.resolve())
            stamp = input_stamp(script, opts.voice, show)
            if season.state.get(script.name) == stamp and rendered_intact(mp3):
                season.report.skipped.append(script)
                continue
            prepared = prepare(script, mp3, opts.voice, opts.device, opts.config, show=show)
            episode = prepared.episode
            # Each sentence goes to its own speaker's engine (one spec, and one actor pool, per engine).
            of_sentence = []
            for sentence in episode.sentences():
                voice = episode.voices[sentence.speaker]
                spec_id = (voice.engine, json.dumps(voice.engine_params, sort_keys=True, default=str))
                if spec_id not in specs:
                    engine = create_engine(voice.engine, voice.engine_params)
                    specs[spec_id] = EngineSpec(voice.engine, dict(voice.engine_params), engine.fingerprint())
                of_sentence.append(list(specs).index(spec_id))
            spec_list = list(specs.values())
            keys = [sentence_key(spec_list[i].fingerprint, s.spoken) for i, s in zip(of_sentence, episode.sentences())]
            jobs.append(EpisodeJob(season, prepared, stamp, of_sentence, keys))
    return jobs, list(specs.values())


def _connect(ray, address: str | None, cluster: ClusterConfig) -> None:
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR, "namespace": cluster.namespace}
    # ray.init puts a sys.exit of its own on SIGTERM; ours unwinds as Ctrl-C does (outputs whole
    # or absent, "interrupted" said once), so it goes back once Ray is up.
    ours = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    try:
        if address is None:  # "local": a new instance, even where `ray start` left one running
            ray.init(address="local", include_dashboard=False, **quiet)
        else:
            ray.init(address=address, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = "start a local Ray instance" if address is None else f"join the Ray cluster at {address}"
        hint = "" if address is None else " (is it running? `ray start --head` starts one)"
        raise RenderError(f"cannot {where}{hint}: {first_line(e)}") from None
    finally:
        if ours is not None:
            signal.signal(signal.SIGTERM, ours)
