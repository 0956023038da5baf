"""What runs on the nodes of a Ray cluster: the synthesis actors (one loaded engine each,
checked against the driver at start) and the episode task (the assemble, master and encode
stages of one episode, handed back to the driver as bytes). See cluster/plan.py.
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
from ..config import ClusterConfig
from ..errors import PaperLedgeError, RenderError
from ..stages import Encoded, Prepared, assemble_episode, encode, master
from ..synthesis.cache import SentenceCache
from ..synthesis.engines.base import create_engine


@dataclass
class EpisodeWork:
    """Everything a worker needs to assemble, master and encode one episode."""

    name: str
    prepared: Prepared
    """The episode as the driver prepared it (`Prepared.portable`: no file of the show is read
    here; its chapter pictures travel in it), without its music, which travels once beside it."""
    keys: list[str]
    """Cache key of each sentence, in script order."""
    layout: dict[str, tuple[int, int]]
    """Key -> (which audio source, which item in it)."""
    video: bool = False
    """Also make the episode's video (`season --video`), beside the MP3 bytes."""


@dataclass
class EpisodeOutput:
    """What an episode task hands back: the driver signs and writes it (`stages.publish`)."""

    mp3: bytes
    encoded: Encoded
    """The encode stage's result; its `mp3` names the worker's temporary file, gone by now."""
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
    """The assemble, master and encode stages of one episode, on a worker, in a temporary
    folder of its own. `music`: its (intro, outro), `sources`: (sample rate, waveforms), each
    from the object store."""
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
        prepared = replace(work.prepared, intro=music[0], outro=music[1]).unpacked(folder)
        assembled = assemble_episode(prepared, [entries[k] for k in work.keys], folder)
        stack.callback(assembled.timeline.close)
        mp3 = folder / f"{work.name}.mp3"
        encoded = encode(prepared, assembled, master(assembled), mp3)
        sidecars = [(path.name, text) for path, text in encoded.sidecars]
        return EpisodeOutput(
            mp3=mp3.read_bytes(),
            encoded=encoded,
            video=video_beside(mp3, sidecars) if work.video else None,
            node=node_name(),
        )


def video_beside(mp3: Path, sidecars: list[tuple[str, str | bytes]]) -> VideoOutput:
    """The video of the MP3 at `mp3` (in a task's own folder), its sidecars (file name, contents)
    written beside it first."""
    from ..video.episode import make_video

    for name, content in sidecars:
        (mp3.parent / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    made = make_video(mp3, sign=False)  # the driver signs it: the show's key never leaves its machine
    return VideoOutput(made.mp4.read_bytes(), made.youtube_txt.read_text(encoding="utf-8"), tuple(made.notes))


def produce_video(name: str, mp3: bytes, sidecars: list[tuple[str, str | bytes]]) -> VideoOutput:
    """The video of an episode rendered earlier (its MP3 and sidecars as bytes), on a worker."""
    with tempfile.TemporaryDirectory(prefix="paperledge-video-") as tmp:
        path = Path(tmp) / f"{name}.mp3"
        path.write_bytes(mp3)
        return video_beside(path, sidecars)


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
    resources: dict[str, float]
    threads: int | None
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
