"""Synthesis: one waveform per sentence, from the cache or the engine.

Every sentence's audio lands in the sentence cache (a temporary one under
--no-cache), so the episode is never held in memory as a whole: assembly reads the
entries one at a time. Misses are synthesised across worker processes, each loading
the engine once; results are keyed by content and collected in script order, so a
parallel render has the same sentences, in the same order, as a serial one.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import RenderError, ignore_signal
from .cache import CacheEntry, SentenceCache, sentence_key
from .engines.base import Engine, create_engine


@dataclass
class SynthesisReport:
    entries: list[CacheEntry]
    """One per sentence, in script order."""
    sample_rate: int
    synthesized: int
    """Engine calls made (distinct sentences missing from the cache)."""
    cached: int
    """Sentences served from the cache."""
    workers: int
    """Processes that synthesised (1: this one)."""


_BATCH = 32  # sentences handed at once to an engine with its own batch call


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def synthesize_all(
    engine: Engine,
    engine_name: str,
    engine_params: dict[str, Any],
    spoken: Sequence[str],
    cache: SentenceCache,
    jobs: int = 1,
    progress: Callable[[int], None] = lambda n: None,
    sentences_per_worker: int = 8,
) -> SynthesisReport:
    fingerprint = engine.fingerprint()
    rate = engine.sample_rate
    keys = [sentence_key(fingerprint, s) for s in spoken]
    found: dict[str, CacheEntry] = {}
    todo: dict[str, str] = {}
    for key, text in zip(keys, spoken):
        if key in found or key in todo:
            continue
        entry = cache.get(key, rate)  # an entry at another rate is damaged: made again
        if entry is None:
            todo[key] = text
        else:
            found[key] = entry
    uses = Counter(keys)  # a sentence said twice is synthesised once and counts twice
    cached = sum(n for k, n in uses.items() if k in found)

    # An engine on a GPU says so: one process feeds it batches instead.
    # A worker costs a process and a model load (about a second): give each enough to do.
    workers = max(1, min(jobs, len(todo) // max(1, sentences_per_worker))) if engine.parallel else 1
    # Even one worker is a process of its own where it can be: the model's memory (300 MB for
    # a Piper voice) then never adds to the mastering's in the render's process.
    if workers == 1 and not (engine.parallel and not engine.supports_batch and todo):
        # One process: hand the engine several sentences at once where it can batch
        # them (a GPU model); otherwise this is one call per sentence.
        progress(cached)
        pending = list(todo.items())
        size = _BATCH if engine.supports_batch else 1
        for i in range(0, len(pending), size):
            chunk = pending[i : i + size]
            for (key, text), audio in zip(chunk, engine.synthesize_batch([t for _, t in chunk])):
                found[key] = _store(engine, cache, key, text, audio)
                progress(uses[key])
    else:
        # Each worker gets one thread: processes scale across cores better than one
        # engine's intra-op threads do.
        worker_params = {**engine_params, "threads": 1} if workers > 1 else dict(engine_params)
        pool = ProcessPoolExecutor(
            max_workers=workers,
            initializer=_worker_init,
            initargs=(engine_name, worker_params, str(cache.root), os.getpid()),
        )
        try:
            futures = {pool.submit(_worker_synthesize, key, text): key for key, text in todo.items()}
            # Only now, with every worker forked (at the first submit), may the caller start
            # threads (from its progress callback): a worker forked while another thread held
            # an import lock waited on it for ever.
            progress(cached)
            for future in as_completed(futures):
                key = futures[future]
                found[key] = future.result()
                progress(uses[key])
        except BrokenProcessPool:
            stop_workers(pool)
            # Killed from outside (the kernel's out-of-memory killer, `kill -9`): every
            # sentence stored so far is a whole cache entry; nothing else was written.
            raise RenderError(
                f"a synthesis worker was killed ({len(found)} of {len(keys)} sentences done); "
                "nothing was written at the output path; render again, or lower --jobs "
                "if the machine ran out of memory"
            ) from None
        except BaseException:
            # Ctrl-C, SIGTERM or an engine's error: the queue is dropped, not worked through
            # (leaving the pool's `with` waits for every pending sentence: minutes on a long script).
            stop_workers(pool)
            raise
        pool.shutdown()

    if any(e.sample_rate != rate for e in found.values()):
        raise RenderError(f"the {engine_name} engine returned audio at a rate other than its own {rate} Hz")
    return SynthesisReport(
        entries=[found[k] for k in keys],
        sample_rate=engine.sample_rate,
        synthesized=len(todo),
        cached=cached,
        workers=workers,
    )


def _synthesize_one(engine: Engine, cache: SentenceCache, key: str, text: str) -> CacheEntry:
    return _store(engine, cache, key, text, engine.synthesize(text))


def _store(engine: Engine, cache: SentenceCache, key: str, text: str, audio) -> CacheEntry:
    if audio.size == 0:
        raise RenderError(f"the engine produced no audio for: {text[:80]!r}")
    if not np.isfinite(audio).all():  # mastered, NaN would reach the encoder as noise or silence
        raise RenderError(
            f"the engine produced samples that are not numbers (NaN or infinity) for: {text[:80]!r}; "
            "nothing was written at the output path"
        )
    return cache.put(key, audio, engine.sample_rate)


def stop_workers(pool: ProcessPoolExecutor, grace: float = 1.0) -> None:
    """Cancel what `pool` has not started and end its workers now: each is told to stop
    (SIGTERM), and killed if it has not within `grace` seconds. A second Ctrl-C or SIGTERM
    meanwhile is ignored, so that no worker is ever left behind; the render is stopping
    anyway. The sentences already in the cache stay there."""
    # Only the main thread may set handlers (a studio render runs on another thread).
    main = threading.current_thread() is threading.main_thread()
    handlers = {s: signal.signal(s, ignore_signal) for s in (signal.SIGINT, signal.SIGTERM)} if main else {}
    try:
        processes = list((getattr(pool, "_processes", None) or {}).values())
        manager = getattr(pool, "_executor_manager_thread", None)
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(grace)
            if process.is_alive():
                process.kill()
                process.join(grace)
        if manager is not None:
            # The pool's own thread closes its pipes as it sees the workers gone; done before the
            # program exits, so Python's exit hook never writes to a pipe being closed (3.11).
            manager.join(grace)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


_worker: tuple[Engine, SentenceCache] | None = None


def _worker_init(engine_name: str, params: dict[str, Any], cache_root: str, parent: int) -> None:
    global _worker
    # The render (this worker's parent) handles Ctrl-C and SIGTERM and ends its workers: a
    # terminal's Ctrl-C, sent to the whole group, must not make each worker print a traceback,
    # and a SIGTERM from the parent ends a worker at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    _worker = (create_engine(engine_name, params), SentenceCache(Path(cache_root)))


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel ends this worker if the render is killed outright (SIGKILL), which
    no handler of the render's can see."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: such a worker ends when it next reads its closed queue
    if os.getppid() != parent:  # the render died before the line above ran
        os._exit(1)


def _worker_synthesize(key: str, text: str) -> CacheEntry:
    assert _worker is not None
    engine, cache = _worker
    return _synthesize_one(engine, cache, key, text)
