"""The driver of a Ray season render: the loop that feeds the synthesis actors, stores
their audio in the cache, starts episode tasks and writes what they return. See plan.py.
"""

from __future__ import annotations

import json
import os
from collections import Counter, deque
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..config import ClusterConfig
from ..credentials import SigningKey, sign_derived_with, signing_key_for
from ..errors import PaperLedgeError, RenderError
from ..files import checked_write, sha256_file, temp_beside, write_atomic
from ..publish.season import STATE, SeasonReport, video_key
from ..render import RenderOptions
from ..show import ShowSettings, load_settings
from ..stages import Prepared, publish, stack_temp
from ..synthesis.cache import SentenceCache
from ..synthesis.engines.base import may_use_gpu
from .worker import EngineSpec, EpisodeOutput, EpisodeWork, VideoOutput, first_line, produce_episode, start_workers


class ClusterProgress:
    """What the driver reports as it goes; the base class reports nothing."""

    def workers(self, n: int) -> None: ...

    def sentences(self, done: int, total: int) -> None: ...

    def episodes(self, done: int, total: int) -> None: ...


@dataclass
class SeasonPlan:
    """One season folder of the render: where its episodes go, its options, and
    the state and report the driver updates as episodes are written."""

    folder: Path
    out_dir: Path
    options: RenderOptions
    report: SeasonReport = field(default_factory=SeasonReport)
    state: dict[str, str] = field(default_factory=dict)
    video: bool = False
    """`season --video`: each episode's video too."""

    @cached_property
    def show(self) -> ShowSettings:
        return self.options.show or load_settings(self.folder)

    @cached_property
    def key(self) -> SigningKey | None:
        """The season's signing key, checked once; only the driver holds it: the workers hand
        back unsigned MP3s and videos, signed here as they are written."""
        return signing_key_for(self.show, self.options.sign, self.folder)


@dataclass
class EpisodeJob:
    """One episode to render: its prepared script and the cache key of each sentence."""

    season: SeasonPlan
    prepared: Prepared
    stamp: str
    specs: list[int]
    """The engine (index into the driver's specs) of each sentence: its speaker's."""
    keys: list[str]


class Driver:
    """The loop that feeds the actors, stores their audio, starts episode tasks and writes
    what they return. Only this process touches the cache folder and the outputs."""

    def __init__(
        self,
        ray,
        cache: SentenceCache,
        jobs: list[EpisodeJob],
        specs: list[EngineSpec],
        options: RenderOptions,
        progress: ClusterProgress,
        cluster: ClusterConfig,
    ):
        self.ray, self.cache, self.jobs, self.specs = ray, cache, jobs, specs
        self.options, self.progress, self.cfg = options, progress, cluster
        resources = ray.cluster_resources()
        self.cpus, self.gpus = int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
        self.gpu = self._wants_gpu()
        self.music: dict[tuple[int, int], Any] = {}  # an intro and outro -> their object
        for job in jobs:
            _ = job.season.key  # each season's signing key, checked (once) before any audio is made

    def _wants_gpu(self) -> bool:
        devices = {s.params.get("device", "auto") for s in self.specs if may_use_gpu(s.name)}
        if "cuda" in devices and not self.gpus:
            raise RenderError("the voice runs on CUDA but the Ray cluster has no GPU; add GPU workers or use --device cpu")
        return bool(self.gpus) and bool(devices - {"cpu"})

    # -- plan ----------------------------------------------------------------------------------

    def run(self) -> int:
        """Render every job; the number of synthesis actors used."""
        # The driver's one loop: batches out to the actors, audio back into the cache, episodes
        # out to tasks as they complete; its state is shared by every branch of the loop.
        ray, cfg = self.ray, self.cfg
        self.users = Counter(k for job in self.jobs for k in set(job.keys))
        batches, owner = self._batches()
        total = sum(len(b[1]) for b in batches)
        self.progress.sentences(0, total)
        self.progress.episodes(0, len(self.jobs))
        actors, pools = self._start_actors(batches) if batches else ([], {})
        self.progress.workers(len(actors))
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
        running_episodes: dict[Any, EpisodeJob] = {}
        synthesised = finished = 0

        while pending or ready or running_batches or running_episodes:
            # Keep each actor's queue full, unless finished audio is piling up unmastered.
            while pending and len(ready) < 2 * at_once + 2:
                # The first waiting batch whose engine's pool has an actor with room.
                pick = None
                for at, batch in enumerate(pending):
                    free = min(pools[batch[0]], key=load.__getitem__)
                    if load[free] < cfg.batches_per_actor:
                        pick = at, free
                        break
                if pick is None:
                    break
                at, free = pick
                batch = pending[at]
                del pending[at]
                _, texts, _ = batch
                ref = actors[free].synthesize.remote(0, texts)  # each actor holds its pool's one engine
                running_batches[ref] = (free, batch)
                load[free] += 1
            while ready and len(running_episodes) < at_once:
                job = self.jobs[ready.popleft()]
                running_episodes[self._start_episode(produce, job)] = job

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
                self._write(job, self._get(ref, f"the episode {job.prepared.script.name}"))
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
            for key, spec, sentence in zip(job.keys, job.specs, job.prepared.episode.sentences()):
                if key in seen:
                    continue
                seen.add(key)
                if self.cache.get(key) is None:
                    todo.setdefault(spec, []).append((key, sentence.spoken))
                    owner[key] = job.season.report
        batches = []
        for spec, items in todo.items():
            for i in range(0, len(items), size):
                chunk = items[i : i + size]
                batches.append((spec, [t for _, t in chunk], [k for k, _ in chunk]))
        return batches, owner

    def _start_actors(self, batches: list) -> tuple[list, dict[int, list[int]]]:
        """One pool of actors per engine, sized by its share of the batches: each actor loads
        one engine only. Returns the actors and, per spec, the indices of its pool's actors."""
        cfg = self.cfg
        if self.gpu:
            count = self.gpus
        else:
            count = max(1, int(self.cpus // cfg.actor_cpus))
        if self.options.jobs:
            count = min(count, self.options.jobs)
        per_spec = Counter(b[0] for b in batches)
        actors: list = []
        pools: dict[int, list[int]] = {}
        for spec, n in sorted(per_spec.items()):
            size = max(1, min(n, round(count * n / len(batches))))
            gpu = self.gpu and may_use_gpu(self.specs[spec].name)
            started = start_workers(self.ray, [self.specs[spec]], size, gpu, cfg)
            pools[spec] = list(range(len(actors), len(actors) + len(started)))
            actors += started
        return actors, pools

    def _start_episode(self, produce, job: EpisodeJob):
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
            # Sentences that were in the cache already travel from here, one object per sample
            # rate (a cast's engines have their own).
            found = [self.cache.get(k) for k in cached_keys]
            entries = [e for e in found if e is not None]
            if len(entries) < len(found):
                raise RenderError(f"the cache folder {self.cache.root} changed under the render; run the command again")
            by_rate: dict[int, list[tuple[str, Any]]] = {}
            for key, entry in zip(cached_keys, entries):
                by_rate.setdefault(entry.sample_rate, []).append((key, entry))
            for rate_hz, items in by_rate.items():
                for i, (key, _) in enumerate(items):
                    layout[key] = (len(sources), i)
                sources.append(self.ray.put((rate_hz, [SentenceCache.load(e) for _, e in items])))
        for key in set(job.keys):
            self.users[key] -= 1
            if not self.users[key]:
                self.source.pop(key, None)  # the task holds its own reference now
        prepared = job.prepared
        work = EpisodeWork(prepared.output.stem, replace(prepared.portable(), intro=None, outro=None), job.keys, layout,
                           job.season.video)  # fmt: skip
        return produce.remote(work, self._music(prepared), *sources)

    def _music(self, prepared: Prepared) -> Any:
        """The episode's intro and outro in the object store, put there once for every episode
        that has the same music (seconds of samples: not sent again with each episode). Music
        is decoded once per file and shared (`assets.load_music`): the same arrays, the same object."""
        key = (id(prepared.intro), id(prepared.outro))  # the plan's episodes hold the arrays: ids stay theirs
        if key not in self.music:
            self.music[key] = self.ray.put((prepared.intro, prepared.outro))
        return self.music[key]

    def _write(self, job: EpisodeJob, out: EpisodeOutput) -> None:
        """The outputs, as a local render writes them (`stages.publish`: signed here, each file in
        full beside its place, then renamed into it, the MP3 last); then the state that lets a
        rerun skip this episode."""
        season, mp3 = job.season, job.prepared.output
        with ExitStack() as stack:
            encoded = replace(out.encoded, mp3=stage_bytes(stack, mp3, out.mp3))
            video = out.video
            also = None if video is None else (lambda signed: stage_video(stack, mp3, video, signed, season.key))
            publish(job.prepared, encoded, season.key, stack, also)
        season.state[job.prepared.script.name] = job.stamp
        if out.video is not None:
            season.state[video_key(mp3)] = sha256_file(mp3)  # the MP3 as written, signed
            season.report.videos.append(mp3.with_suffix(".mp4"))
        write_atomic(season.out_dir / STATE, json.dumps(season.state, indent=1, sort_keys=True).encode())
        season.report.rendered.append(job.prepared.script)

    def _get(self, refs, what: str):
        return get_one(self.ray, refs, what, self.cfg)


def get_one(ray, refs, what: str, cfg: ClusterConfig):
    """ray.get, with a failure turned into one line."""
    try:
        return ray.get(refs)
    except ray.exceptions.RayTaskError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, PaperLedgeError):
            raise type(cause)(str(cause)) from None
        raise RenderError(f"{what} failed: {first_line(cause or e)}") from None
    except ray.exceptions.RayActorError as e:
        raise RenderError(
            f"{what} died {cfg.max_restarts + 1} times and was given up on "
            f"({first_line(e)}); is the package installed on every node?"
        ) from None
    except ray.exceptions.RayError as e:
        raise RenderError(f"{what} failed on the Ray cluster: {first_line(e)}") from None


def stage_bytes(stack: ExitStack, path: Path, data: bytes) -> Path:
    """`data` written in full (and synced) to a temporary file beside `path`, removed on failure."""
    tmp = temp_beside(path, path.suffix + ".part")  # as a local render's MP3: .mp3.part
    stack.callback(tmp.unlink, missing_ok=True)
    with checked_write(path), open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def stage_video(stack: ExitStack, mp3: Path, video: VideoOutput, parent: Path, key: SigningKey | None) -> list[tuple[Path, Path]]:
    """The video and its YouTube text staged beside their places: (temporary file, final path).
    With a `key`, the video is signed here, on the driver, as made from `parent` (the MP3 as
    written, perhaps still in its temporary file)."""
    mp4, youtube = mp3.with_suffix(".mp4"), mp3.with_name(f"{mp3.stem}.youtube.txt")
    staged = stage_bytes(stack, mp4, video.mp4)
    if key is not None:
        sign_derived_with(staged, parent, key, label=mp4)
    return [(staged, mp4), (stack_temp(stack, youtube, video.youtube), youtube)]


def write_video(season: SeasonPlan, mp3: Path, video: VideoOutput, digest: str) -> None:
    """A video made on a worker for an episode rendered earlier: written atomically, then the state."""
    with ExitStack() as stack:
        for temp, final in stage_video(stack, mp3, video, mp3, season.key):
            with checked_write(final):
                os.replace(temp, final)
    season.state[video_key(mp3)] = digest
    write_atomic(season.out_dir / STATE, json.dumps(season.state, indent=1, sort_keys=True).encode())
    season.report.videos.append(mp3.with_suffix(".mp4"))
