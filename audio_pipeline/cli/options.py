"""What the `paperledge` commands share: the group that turns a user's mistake into one line
on stderr and exit status 1, the progress bar, and the option sets of render and season.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from ..config import CACHE_ENV, SHOW_ENV, CheckConfig, default_cache_dir
from ..errors import PaperLedgeError, ignore_signal

_STAGE_LABELS = {
    "synthesis": "Synthesising",
    "assembly": "Assembling",
    "mastering": "Mastering",
    "encoding": "Encoding",
    "tags and sidecars": "Writing tags and sidecars",
}


class Display:
    """What a render is doing, on stderr: the sentences synthesised, then each later stage by
    name, the timer running throughout; in a season, which episode ("3 of 8"). Called as
    `update(done, total)` for the sentences; `stage(name)` as each stage begins."""

    def __init__(self, bar=None, task=None, label: str = "", episodes: list[str] | None = None):
        self.bar, self.task, self.label = bar, task, label
        self.episodes = episodes or []
        self.episode = ""

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total or None, detail=f"{done}/{total} sentences")

    def stage(self, name: str) -> None:
        if self.bar is None:
            return
        self.label = _STAGE_LABELS.get(name, name.capitalize())
        # No total: the bar pulses and the timer keeps running while the stage works.
        self.bar.update(
            self.task, description=self._description(), total=None, completed=0, detail="" if name != "synthesis" else "starting"
        )

    def for_episode(self, name: str) -> None:
        """A season's next episode: named, with its place in the season."""
        if self.bar is not None and name != self.episode:
            self.episode = name
            self.bar.update(self.task, description=self._description())

    def _description(self) -> str:
        if not self.episode:
            return self.label
        place = f" ({self.episodes.index(self.episode) + 1} of {len(self.episodes)})" if self.episode in self.episodes else ""
        return f"{self.episode}{place}: {self.label}"


@contextmanager
def progress_bar(quiet: bool, label: str, episodes: list[str] | None = None):
    """A rich progress display on stderr (`Display`); nothing under --quiet, or when stderr is
    not a terminal (a log or a pipe would keep the bar's frames and its parting newline)."""
    if quiet or not sys.stderr.isatty():
        yield Display()
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        yield Display(bar, bar.add_task(label, total=None, detail=""), label, episodes)


def _interrupted(signum, frame):
    # SIGTERM (a CI timeout, `kill`, a stopped container) unwinds like Ctrl-C: every
    # temporary file is removed on the way out and nothing lands at the output path. A second
    # Ctrl-C or SIGTERM meanwhile is ignored: cut short, the unwinding would leave temporary
    # files (and the exit status of a signal); it is bounded, worker processes included.
    signal.signal(signal.SIGINT, ignore_signal)
    signal.signal(signal.SIGTERM, ignore_signal)
    raise KeyboardInterrupt


def fail(message: str) -> None:
    click.echo(f"paperledge: error: {message}", err=True)
    sys.exit(1)


class Group(click.Group):
    def __init__(self, *args, **kwargs):
        # `-h` as well as `--help`, on the group and (inherited by their contexts) every command.
        kwargs.setdefault("context_settings", {}).setdefault("help_option_names", ["-h", "--help"])
        super().__init__(*args, **kwargs)

    def invoke(self, ctx):
        signal.signal(signal.SIGTERM, _interrupted)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where the shell ignores Ctrl-C
            signal.signal(signal.SIGINT, _interrupted)
        from ..synthesis.limits import resource_problem

        try:
            return super().invoke(ctx)
        except PaperLedgeError as e:
            # A limit (`ulimit -v`, `ulimit -n`) behind our own error is what the user can change.
            fail(resource_problem(e) or str(e))
        except KeyboardInterrupt:
            # Unwound: from here to the exit they are blocked, never delivered (the interpreter resets
            # a Python handler to the default as it exits, and a late Ctrl-C would then kill it;
            # switching to SIG_IGN could raise "Signal N ignored due to race condition").
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            fail("interrupted; nothing was written at the output path")
        except Exception as e:
            # Memory or descriptors ran out inside a library (onnxruntime, numpy, an import):
            # one line naming the limit. Anything else is a bug and keeps its traceback.
            problem = resource_problem(e)
            if problem is None:
                raise
            fail(problem)


def _use_show(ctx, param, value):
    # The show folder travels in the environment, so every part of the pipeline (and every
    # worker process) resolves the same one; see show.py.
    if value is not None:
        if not value.is_dir():
            fail(f"--show {value}: no such folder")
        os.environ[SHOW_ENV] = str(value.resolve())


def show_option(f):
    return click.option(
        "--show",
        type=click.Path(path_type=Path),
        expose_value=False,
        callback=_use_show,
        help=f"Show folder (show.toml, voices/, assets/, lexicon.toml) [default: ${SHOW_ENV}, else the current folder].",
    )(f)


def cache_dir_default(ctx, param, value):
    return value if value is not None else default_cache_dir()


CACHE_DIR_HELP = f"Folder of cached sentence audio [default: ${CACHE_ENV}, else $XDG_CACHE_HOME/paperledge, ~/.cache/paperledge]."


def _jobs(ctx, param, value):
    if value is not None and value < 0:
        fail(f"--jobs {value}: give a number of worker processes, 1 or more (0: one per core)")
    return value or None


def cache_options(f):
    f = show_option(f)
    f = click.option("--no-cache", is_flag=True, help="Synthesise every sentence afresh; keep nothing.")(f)
    f = click.option(
        "--cache-dir", type=click.Path(path_type=Path), default=None, callback=cache_dir_default, help=CACHE_DIR_HELP
    )(f)
    f = click.option(
        "--jobs", "-j", type=int, default=None, callback=_jobs, help="Synthesis worker processes; 0 or none: the number of cores."
    )(f)
    f = click.option(
        "--device",
        type=click.Choice(["auto", "cpu", "cuda"]),
        default=None,
        help="Where a GPU-capable engine runs (overrides the voice profile).",
    )(f)
    return f


class Finite(click.ParamType):
    """A number within [low, high]: nan and infinities are refused (nan compares false to
    every bound, so click's FloatRange lets it through and a gate would never close)."""

    name = "number"

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def convert(self, value, param, ctx):
        import math

        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(f"{value!r} is not a finite number from {self.low:g} to {self.high:g}", param, ctx)
        return number


WER = Finite(0, 1)


def check_options(f):
    f = click.option(
        "--max-wer",
        type=WER,
        default=None,
        help="With --check: exit with status 3 when the WER is above this (season: leave such episodes out of the feed).",
    )(f)
    f = click.option("--asr-model", default=None, help="Recogniser for --check [default: bundled Whisper tiny.en].")(f)
    f = click.option(
        "--fix",
        is_flag=True,
        help="With --check: use the respellings found for words misheard in every take, for this render only.",
    )(f)
    f = click.option(
        "--retakes",
        type=click.IntRange(0, 8),
        default=None,
        help=f"With --check: extra takes of each flagged sentence; the best is kept [default: {CheckConfig.retakes}].",
    )(f)
    f = click.option(
        "--check", is_flag=True, help="After rendering, listen to the MP3; write EPISODE.check.json and EPISODE.review.html."
    )(f)
    return f


def with_asr_model(options, asr_model):
    from dataclasses import replace

    if not asr_model:
        return options
    return replace(options, config=replace(options.config, check=replace(options.config.check, asr_model=asr_model)))
