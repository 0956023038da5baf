"""What runs on the nodes of a Ray cluster: the synthesis actors (one loaded engine each,
checked against the driver at start) and the episode task (assembly, mastering, encoding
and tags of one episode, handed back to the driver as bytes). See cluster.py.
"""

from __future__ import annotations

import os
import socket
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..audio.assemble import assemble
from ..audio.export import check_complete, write_tags
from ..audio.ffmpeg import Loudness
from ..audio.sidecars import chapters_json, sidecar_paths, srt_from_vtt, srt_path, transcript_vtt
from ..config import DEFAULT_ARTIST, DEFAULT_SHOW, ClusterConfig, Pauses
from ..errors import PaperLedgeError, RenderError
from ..render import RenderOptions, master_to_mp3
from ..script.cast import host_of, people_of
from ..script.read import Episode
from ..script.soundbite import resolve
from ..synthesis.cache import SentenceCache
from ..synthesis.engines.base import create_engine


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
    video: bool = False
    """Also make the episode's video (`season --video`), beside the MP3 bytes."""


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
    video: VideoOutput | None = None
    """The episode's video, with `season --video`."""


@dataclass
class VideoOutput:
    """An episode's video as a task hands it back: the driver writes it."""

    mp4: bytes
    youtube: str
    """EPISODE.youtube.txt."""
    notes: tuple[str, ...] = ()


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
        cast = work.episode.cast  # with a cast: the host is the artist, the comment credits the guests
        artist = host_of(cast) or (show.artist if show else DEFAULT_ARTIST)
        bite = meta.soundbite and resolve(
            meta.soundbite, [(s.written, s.start, s.end) for s in timeline.sentences], timeline.duration, work.name
        )
        # A node need not hold the show's files: chapter pictures stay with the driver's renders.
        chapters = [replace(c, img=None) for c in timeline.chapters]
        write_tags(
            mp3,
            meta,
            chapters,
            artist,
            work.cover or cover,
            people=people_of(cast, {s.speaker for s in work.episode.sentences()}),
            soundbite=bite or None,
        )
        check_complete(mp3, timeline.duration, work.output)  # tagged in place: still whole
        transcript, chapters = transcript_vtt(timeline), chapters_json(timeline, work.episode.meta.title)
        return EpisodeOutput(
            mp3=mp3.read_bytes(),
            transcript=transcript,
            chapters_json=chapters,
            video=video_beside(mp3, transcript, chapters) if work.video else None,
            duration=timeline.duration,
            loudness=loudness,
            chapters=len(timeline.chapters),
            sentences=len(work.keys),
            node=node_name(),
        )


def video_beside(mp3: Path, transcript: str, chapters: str) -> VideoOutput:
    """The video of the MP3 at `mp3` (in a task's own folder), its sidecars written beside it first."""
    from ..video.episode import make_video

    vtt, chapters_file = sidecar_paths(mp3)
    vtt.write_text(transcript, encoding="utf-8")
    chapters_file.write_text(chapters, encoding="utf-8")
    srt_path(mp3).write_text(srt_from_vtt(transcript), encoding="utf-8")
    made = make_video(mp3, sign=False)  # the driver signs it: the show's key never leaves its machine
    return VideoOutput(made.mp4.read_bytes(), made.youtube_txt.read_text(encoding="utf-8"), tuple(made.notes))


def produce_video(name: str, mp3: bytes, transcript: str, chapters: str) -> VideoOutput:
    """The video of an episode rendered earlier (its MP3 and sidecars as bytes), on a worker."""
    with tempfile.TemporaryDirectory(prefix="paperledge-video-") as tmp:
        path = Path(tmp) / f"{name}.mp3"
        path.write_bytes(mp3)
        return video_beside(path, transcript, chapters)


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
        waves = [np.ascontiguousarray(w, dtype=np.float32) for w in engine.synthesize_batch(texts)]
        for text, wave in zip(texts, waves):
            if wave.size == 0:
                raise RenderError(f"the engine produced no audio for: {text[:80]!r}")
        return int(engine.sample_rate), waves


ACTOR_PREFIX = "paperledge-synthesis-"
"""Synthesis actors are named ACTOR_PREFIX + run + index, in the configured namespace."""


def start_workers(
    ray, specs: list[EngineSpec], count: int, gpu: bool, cfg: ClusterConfig = ClusterConfig(), version: str = __version__
) -> list:
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
        raise RenderError(
            f"a synthesis worker could not start: {first_line(e)}; is paperledge-audio installed on every node?"
        ) from None
    for hello in hellos:
        if hello["problem"]:
            for actor in actors:
                ray.kill(actor)
            raise RenderError(f"worker node {hello['node']}: {hello['problem']}")
    return actors


def first_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return lines[0] if lines else type(e).__name__
