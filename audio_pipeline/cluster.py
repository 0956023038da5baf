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

Ray is imported only here, and only when asked for: it is an optional extra.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from collections import Counter, deque
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import __version__, assets
from .assemble import assemble
from .cache import SentenceCache, sentence_key
from .config import DEFAULT_ARTIST, DEFAULT_SHOW, ClusterConfig, Pauses
from .engines.base import create_engine, synthesize_batch
from .errors import PaperLedgeError, RenderError
from .export import check_complete, write_tags
from .ffmpeg import Loudness
from .files import checked_write, remove_stale_temps, temp_beside, write_atomic
from .render import RenderOptions, check_outputs, master_to_mp3, load_episode, show_config, stack_temp
from .script import Episode
from .season import STATE, SeasonReport, episode_scripts, input_stamp, rendered_intact, write_season_feed
from .show import cover_path, load_settings
from .sidecars import chapters_json, sidecar_paths, transcript_vtt

INSTALL_HINT = "--executor ray needs Ray: pip install 'paperledge-audio[ray]' (in a checkout: make setup-ray)"


def import_ray():
    """The ray module, or a one-line error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise PaperLedgeError(INSTALL_HINT) from None
    return ray


# -- what the driver hands out ----------------------------------------------------------------


@dataclass
class EpisodeWork:
    """Everything a worker needs to assemble, master and encode one episode."""

    name: str
    output: Path
    """Where the driver will write the MP3 (errors name it)."""
    episode: Episode
    """Parsed, with every sentence's written and spoken forms."""
    pauses: Pauses
    options: RenderOptions
    """Loudness target, bitrate and pipeline configuration (paths in it are not used)."""
    keys: list[str]
    """Cache key of each sentence, in script order."""
    layout: dict[str, tuple[int, int]]
    """Key -> (which audio source, which item in it)."""
    cover: bytes | None = None
    """The season's cover art (read by the driver: a worker node may not have the file)."""


@dataclass
class EpisodeOutput:
    """What an episode task hands back: the driver writes it."""

    mp3: bytes
    transcript: str
    chapters_json: str
    duration: float
    loudness: Loudness
    chapters: int
    sentences: int
    node: str


def node_name() -> str:
    import ray

    return f"{socket.gethostname()} ({ray.util.get_node_ip_address()})"


def produce_episode(work: EpisodeWork, music: tuple, *sources: tuple[int, list[np.ndarray]]) -> EpisodeOutput:
    """Assembly, mastering, encoding and tags of one episode, on a worker, in a temporary
    folder of its own. `sources` are (sample rate, waveforms) from the object store."""
    intro, outro, cover = music
    with tempfile.TemporaryDirectory(prefix="paperledge-episode-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        # The assembly reads sentences from cache entries: a private cache on this node.
        cache = SentenceCache(folder / "sentences")
        entries = {}
        for key in work.keys:
            if key not in entries:
                at, i = work.layout[key]
                rate, waves = sources[at]
                entries[key] = cache.put(key, waves[i], rate)
        cfg = work.options.config
        timeline = assemble(work.episode, [entries[k] for k in work.keys], work.pauses, cfg.assembly, intro, outro, folder)
        stack.callback(timeline.close)
        mp3 = folder / f"{work.name}.mp3"
        loudness = master_to_mp3(timeline, mp3, work.options, work.output)
        show = work.options.show
        meta = work.episode.meta
        if show is not None and meta.show == DEFAULT_SHOW:  # the show's own name, as a local render
            meta = replace(meta, show=show.title)
        write_tags(mp3, meta, timeline.chapters, show.artist if show else DEFAULT_ARTIST, work.cover or cover)
        check_complete(mp3, timeline.duration, work.output)  # tagged in place: still whole
        return EpisodeOutput(
            mp3=mp3.read_bytes(),
            transcript=transcript_vtt(timeline),
            chapters_json=chapters_json(timeline, work.episode.meta.title),
            duration=timeline.duration,
            loudness=loudness,
            chapters=len(timeline.chapters),
            sentences=len(work.keys),
            node=node_name(),
        )


@dataclass(frozen=True)
class EngineSpec:
    """One engine the actors load: name, parameters and the fingerprint the driver expects."""

    name: str
    params: dict[str, Any]
    fingerprint: str


class SynthesisWorker:
    """A Ray actor holding loaded engines; it synthesises batches of sentences.

    It checks its node at start (package version, engine fingerprints against the
    driver's) and reports a problem through `hello` instead of dying, so the driver
    can name the node in one line.
    """

    def __init__(self, specs: list[EngineSpec], version: str, threads: int | None):
        self.node = node_name()
        self.problem: str | None = None
        self.engines = []
        if version != __version__:
            self.problem = (
                f"paperledge-audio {__version__} is installed there but the driver runs {version}; "
                "install the same version on every node"
            )
            return
        try:
            for spec in specs:
                params = dict(spec.params)
                if threads:
                    params["threads"] = threads
                engine = create_engine(spec.name, params)
                got = engine.fingerprint()
                if got != spec.fingerprint:
                    self.problem = (
                        f"its {spec.name} voice model is not the driver's (fingerprint {got}, expected "
                        f"{spec.fingerprint}); install the same voice package or model file on every node"
                    )
                    return
                self.engines.append(engine)
        except PaperLedgeError as e:
            self.problem = str(e)
        except (ImportError, OSError) as e:
            self.problem = f"cannot load the voice ({e})"

    def hello(self) -> dict[str, Any]:
        return {"node": self.node, "pid": os.getpid(), "problem": self.problem}

    def synthesize(self, spec: int, texts: list[str]) -> tuple[int, list[np.ndarray]]:
        if self.problem:
            raise RenderError(f"worker node {self.node}: {self.problem}")
        engine = self.engines[spec]
        waves = [np.ascontiguousarray(w, dtype=np.float32) for w in synthesize_batch(engine, texts)]
        for text, wave in zip(texts, waves):
            if wave.size == 0:
                raise RenderError(f"the engine produced no audio for: {text[:80]!r}")
        return int(engine.sample_rate), waves


ACTOR_PREFIX = "paperledge-synthesis-"
"""Synthesis actors are named ACTOR_PREFIX + run + index, in the configured namespace."""


def start_workers(ray, specs: list[EngineSpec], count: int, gpu: bool, cfg: ClusterConfig = ClusterConfig(),
                  version: str = __version__) -> list:
    """`count` synthesis actors (one GPU each when `gpu`, else `cfg.actor_cpus` CPUs on
    `cfg.actor_threads` threads), restartable, each checked: a node that lacks the voice or
    runs another package version stops the render with one line naming it."""
    if gpu:
        resources, threads = {"num_gpus": 1, "num_cpus": 1}, None
    else:
        resources, threads = {"num_cpus": cfg.actor_cpus}, cfg.actor_threads
    worker = ray.remote(SynthesisWorker)
    run = os.urandom(4).hex()
    actors = [
        worker.options(
            name=f"{ACTOR_PREFIX}{run}-{i}",
            max_restarts=cfg.max_restarts,
            max_task_retries=cfg.max_task_retries,
            **resources,
        ).remote(specs, version, threads)
        for i in range(count)
    ]
    try:
        hellos = ray.get([a.hello.remote() for a in actors])
    except ray.exceptions.RayError as e:
        raise RenderError(f"a synthesis worker could not start: {_first_line(e)}; is paperledge-audio installed on every node?") from None
    for hello in hellos:
        if hello["problem"]:
            for actor in actors:
                ray.kill(actor)
            raise RenderError(f"worker node {hello['node']}: {hello['problem']}")
    return actors


# -- progress ---------------------------------------------------------------------------------


class ClusterProgress:
    """What the driver reports as it goes; the base class reports nothing."""

    def workers(self, n: int) -> None: ...

    def sentences(self, done: int, total: int) -> None: ...

    def episodes(self, done: int, total: int) -> None: ...


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
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
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


# -- the driver -------------------------------------------------------------------------------


@dataclass
class _Season:
    folder: Path
    out_dir: Path
    options: RenderOptions
    report: SeasonReport = field(default_factory=SeasonReport)
    state: dict[str, str] = field(default_factory=dict)
    cover: bytes | None = None


@dataclass
class _Job:
    season: _Season
    script: Path
    mp3: Path
    stamp: str
    episode: Episode
    pauses: Pauses
    spec: int
    keys: list[str]


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
) -> ClusterRun:
    """Render every (season folder, output folder) pair on a Ray cluster: a local instance
    when `address` is None, else the cluster at `address` ("auto", "host:port", "ray://...").
    `options.jobs`, when set, caps the number of synthesis actors."""
    ray = import_ray()
    plan = [_plan_season(folder, out, options) for folder, out in seasons]
    jobs, specs = _plan_jobs(plan)
    with ExitStack() as stack:
        cache = SentenceCache.open(options.cache_dir, stack)
        run = ClusterRun([s.report for s in plan])
        if jobs:
            _connect(ray, address, cluster)
            stack.callback(ray.shutdown)
            driver = _Driver(ray, cache, jobs, specs, options, progress, cluster)
            run.actors = driver.run()
            run.gpu, run.cpus, run.gpus = driver.gpu, driver.cpus, driver.gpus
            run.nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    for season in plan:
        season.report.feed = write_season_feed(season.folder, season.out_dir)
    return run


def _plan_season(folder: Path, out_dir: Path, options: RenderOptions) -> _Season:
    show = load_settings(folder)  # the same layers as a local season: defaults, show folder, season folder
    options = replace(options, show=show, config=show_config(show, options.config))
    episode_scripts(folder)  # a missing or empty folder is an error before any work
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create {out_dir} ({e.strerror})") from None
    remove_stale_temps(out_dir)  # what a killed driver was writing
    try:
        state = json.loads((out_dir / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    cover = cover_path(show)
    return _Season(folder, out_dir, options, state=state, cover=cover.read_bytes() if cover else None)


def _plan_jobs(plan: list[_Season]) -> tuple[list[_Job], list[EngineSpec]]:
    """Every episode that needs rendering, with its sentences' cache keys; unchanged
    episodes whose outputs are all there are skipped, as a local season render does."""
    jobs: list[_Job] = []
    specs: dict[tuple[str, str], EngineSpec] = {}
    outputs: set[Path] = set()
    for season in plan:
        opts = season.options
        for script in episode_scripts(season.folder):
            mp3 = season.out_dir / f"{script.stem}.mp3"
            if mp3.resolve() in outputs:
                raise PaperLedgeError(f"{mp3} would be written twice: render those season folders to separate -o folders")
            outputs.add(mp3.resolve())
            stamp = input_stamp(script, opts.voice, opts.show)
            if season.state.get(script.name) == stamp and rendered_intact(mp3):
                season.report.skipped.append(script)
                continue
            episode, profile, _ = load_episode(script, opts.voice, opts.device, opts.config)
            check_outputs(script, mp3)
            spec_id = (profile.engine, json.dumps(profile.engine_params, sort_keys=True, default=str))
            if spec_id not in specs:
                engine = create_engine(profile.engine, profile.engine_params)
                specs[spec_id] = EngineSpec(profile.engine, dict(profile.engine_params), engine.fingerprint())
            spec = specs[spec_id]
            keys = [sentence_key(spec.fingerprint, s.spoken) for s in episode.sentences()]
            jobs.append(_Job(season, script, mp3, stamp, episode, profile.pauses, list(specs).index(spec_id), keys))
    return jobs, list(specs.values())


def _connect(ray, address: str | None, cluster: ClusterConfig) -> None:
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR, "namespace": cluster.namespace}
    try:
        if address is None:  # "local": a new instance, even where `ray start` left one running
            ray.init(address="local", include_dashboard=False, **quiet)
        else:
            ray.init(address=address, **quiet)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = "start a local Ray instance" if address is None else f"join the Ray cluster at {address}"
        hint = "" if address is None else " (is it running? `ray start --head` starts one)"
        raise RenderError(f"cannot {where}{hint}: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return lines[0] if lines else type(e).__name__


class _Driver:
    """The loop that feeds the actors, stores their audio, starts episode tasks and writes
    what they return. Only this process touches the cache folder and the outputs."""

    def __init__(self, ray, cache: SentenceCache, jobs: list[_Job], specs: list[EngineSpec], options: RenderOptions,
                 progress: ClusterProgress, cluster: ClusterConfig):
        self.ray, self.cache, self.jobs, self.specs = ray, cache, jobs, specs
        self.options, self.progress, self.cfg = options, progress, cluster
        resources = ray.cluster_resources()
        self.cpus, self.gpus = int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
        self.gpu = self._wants_gpu()

    def _wants_gpu(self) -> bool:
        devices = {s.params.get("device", "auto") for s in self.specs if s.name != "piper"}
        if "cuda" in devices and not self.gpus:
            raise RenderError("the voice runs on CUDA but the Ray cluster has no GPU; add GPU workers or use --device cpu")
        return bool(self.gpus) and bool(devices - {"cpu"})

    # -- plan ----------------------------------------------------------------------------------

    def run(self) -> int:
        """Render every job; the number of synthesis actors used."""
        ray, cfg = self.ray, self.cfg
        self.users = Counter(k for job in self.jobs for k in set(job.keys))
        batches, owner = self._batches()
        total = sum(len(b[1]) for b in batches)
        self.progress.sentences(0, total)
        self.progress.episodes(0, len(self.jobs))
        actors = self._start_actors(len(batches)) if batches else []
        self.progress.workers(len(actors))
        rate = self.options.config.assembly.sample_rate
        music = ray.put((assets.load_music(assets.INTRO, rate), assets.load_music(assets.OUTRO, rate), assets.load_cover()))
        produce = ray.remote(num_cpus=cfg.episode_cpus, max_retries=cfg.episode_retries, scheduling_strategy="SPREAD")(
            produce_episode
        )
        at_once = cfg.episodes_at_once or max(2, self.cpus // 4)

        self.source: dict[str, tuple[Any, int]] = {}  # key -> (batch result ref, index)
        # An episode starts once none of its sentences is missing any more.
        missing_of = [len({k for k in job.keys if k in owner}) for job in self.jobs]
        jobs_of: dict[str, list[int]] = {}
        for j, job in enumerate(self.jobs):
            for key in set(job.keys):
                if key in owner:
                    jobs_of.setdefault(key, []).append(j)
        ready = deque(j for j, n in enumerate(missing_of) if n == 0)
        pending = deque(batches)
        load = {i: 0 for i in range(len(actors))}
        running_batches: dict[Any, tuple[int, tuple]] = {}
        running_episodes: dict[Any, _Job] = {}
        synthesised = finished = 0

        while pending or ready or running_batches or running_episodes:
            # Keep each actor's queue full, unless finished audio is piling up unmastered.
            while pending and len(ready) < 2 * at_once + 2:
                free = min(load, key=load.get)
                if load[free] >= cfg.batches_per_actor:
                    break
                batch = pending.popleft()
                spec, texts, _ = batch
                ref = actors[free].synthesize.remote(spec, texts)
                running_batches[ref] = (free, batch)
                load[free] += 1
            while ready and len(running_episodes) < at_once:
                job = self.jobs[ready.popleft()]
                running_episodes[self._start_episode(produce, music, job)] = job

            done, _ = ray.wait([*running_batches, *running_episodes], num_returns=1)
            ref = done[0]
            if ref in running_batches:
                actor, (spec, texts, keys) = running_batches.pop(ref)
                load[actor] -= 1
                rate_hz, waves = self._get(ref, "a synthesis worker")
                for i, (key, wave) in enumerate(zip(keys, waves)):
                    self.cache.put(key, wave, rate_hz)
                    self.source[key] = (ref, i)
                    owner[key].synthesized += 1
                    for j in jobs_of.pop(key, ()):
                        missing_of[j] -= 1
                        if not missing_of[j]:
                            ready.append(j)
                synthesised += len(keys)
                self.progress.sentences(synthesised, total)
            else:
                job = running_episodes.pop(ref)
                self._write(job, self._get(ref, f"the episode {job.script.name}"))
                finished += 1
                self.progress.episodes(finished, len(self.jobs))
        for actor in actors:
            ray.kill(actor)
        return len(actors)

    def _batches(self) -> tuple[list[tuple[int, list[str], list[str]]], dict[str, SeasonReport]]:
        """Cache misses, distinct, in script order, cut into batches per engine; and which
        season's report counts each one."""
        size = self.cfg.gpu_batch_sentences if self.gpu else self.cfg.batch_sentences
        seen: set[str] = set()
        todo: dict[int, list[tuple[str, str]]] = {}
        owner: dict[str, SeasonReport] = {}
        for job in self.jobs:
            for key, sentence in zip(job.keys, job.episode.sentences()):
                if key in seen:
                    continue
                seen.add(key)
                if self.cache.get(key) is None:
                    todo.setdefault(job.spec, []).append((key, sentence.spoken))
                    owner[key] = job.season.report
        batches = []
        for spec, items in todo.items():
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                batches.append((spec, [t for _, t in chunk], [k for k, _ in chunk]))
        return batches, owner

    def _start_actors(self, batches: int) -> list:
        cfg = self.cfg
        if self.gpu:
            count = self.gpus
        else:
            count = max(1, int(self.cpus // cfg.actor_cpus))
        if self.options.jobs:
            count = min(count, self.options.jobs)
        return start_workers(self.ray, self.specs, max(1, min(count, batches)), self.gpu, cfg)

    def _start_episode(self, produce, music, job: _Job):
        sources: list[Any] = []
        index: dict[Any, int] = {}
        layout: dict[str, tuple[int, int]] = {}
        cached_keys = []
        for key in dict.fromkeys(job.keys):
            if key in self.source:
                ref, i = self.source[key]
                if ref not in index:
                    index[ref] = len(sources)
                    sources.append(ref)
                layout[key] = (index[ref], i)
            else:
                cached_keys.append(key)
        if cached_keys:
            # Sentences that were in the cache already travel from here, in one object.
            entries = [self.cache.get(k) for k in cached_keys]
            if any(e is None for e in entries):
                raise RenderError(f"the cache folder {self.cache.root} changed under the render; run the command again")
            rates = {e.sample_rate for e in entries}
            if len(rates) > 1:
                raise RenderError(f"cached sentences disagree on sample rate {sorted(rates)}; clear the cache folder")
            for i, key in enumerate(cached_keys):
                layout[key] = (len(sources), i)
            sources.append(self.ray.put((rates.pop(), [SentenceCache.load(e) for e in entries])))
        for key in set(job.keys):
            self.users[key] -= 1
            if not self.users[key]:
                self.source.pop(key, None)  # the task holds its own reference now
        opts = job.season.options
        work = EpisodeWork(job.script.stem, job.mp3, job.episode, job.pauses, opts, job.keys, layout, job.season.cover)
        return produce.remote(work, music, *sources)

    def _write(self, job: _Job, out: EpisodeOutput) -> None:
        """The outputs, as a local render writes them: each in full beside its place, then
        renamed into it, the MP3 last (an MP3 there is always complete and its sidecars
        match it); then the state that lets a rerun skip this episode."""
        vtt, chapters = sidecar_paths(job.mp3)
        with ExitStack() as stack:
            staged = [(stack_temp(stack, vtt, out.transcript), vtt), (stack_temp(stack, chapters, out.chapters_json), chapters)]
            mp3 = temp_beside(job.mp3, ".mp3.part")
            stack.callback(mp3.unlink, missing_ok=True)
            with checked_write(job.mp3), open(mp3, "wb") as f:
                f.write(out.mp3)
                f.flush()
                os.fsync(f.fileno())
            for temp, final in [*staged, (mp3, job.mp3)]:
                with checked_write(final):
                    os.replace(temp, final)
        season = job.season
        season.state[job.script.name] = job.stamp
        write_atomic(season.out_dir / STATE, json.dumps(season.state, indent=1, sort_keys=True).encode())
        season.report.rendered.append(job.script)

    def _get(self, refs, what: str):
        """ray.get, with a failure turned into one line."""
        ray = self.ray
        try:
            return ray.get(refs)
        except ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, PaperLedgeError):
                raise type(cause)(str(cause)) from None
            raise RenderError(f"{what} failed: {_first_line(cause or e)}") from None
        except ray.exceptions.RayActorError as e:
            raise RenderError(
                f"{what} died {self.cfg.max_restarts + 1} times and was given up on "
                f"({_first_line(e)}); is the package installed on every node?"
            ) from None
        except ray.exceptions.RayError as e:
            raise RenderError(f"{what} failed on the Ray cluster: {_first_line(e)}") from None
