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
from ..errors import PaperLedgeError


@contextmanager
def progress_bar(quiet: bool, label: str):
    """A rich progress bar on stderr; `update(done, total)` moves it."""
    if quiet:
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _terminated(signum, frame):
    # SIGTERM (a CI timeout, `kill`, a stopped container) unwinds like Ctrl-C: every
    # temporary file is removed on the way out and nothing lands at the output path.
    raise KeyboardInterrupt


def fail(message: str) -> None:
    click.echo(f"paperledge: error: {message}", err=True)
    sys.exit(1)


class Group(click.Group):
    def invoke(self, ctx):
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().invoke(ctx)
        except PaperLedgeError as e:
            fail(str(e))
        except KeyboardInterrupt:
            fail("interrupted; nothing was written at the output path")


def _use_show(ctx, param, value):
    # The show folder travels in the environment, so every part of the pipeline (and every
    # worker process) resolves the same one; see show.py.
    if value is not None:
        if not value.is_dir():
            fail(f"--show {value}: no such folder")
        os.environ[SHOW_ENV] = str(value.resolve())


def show_option(f):
    return click.option(
        "--show", type=click.Path(path_type=Path), expose_value=False, callback=_use_show,
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
    f = click.option("--cache-dir", type=click.Path(path_type=Path), default=None, callback=cache_dir_default,
                     help=CACHE_DIR_HELP)(f)
    f = click.option("--jobs", "-j", type=int, default=None, callback=_jobs,
                     help="Synthesis worker processes; 0 or none: the number of cores.")(f)
    f = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                     help="Where a GPU-capable engine runs (overrides the voice profile).")(f)
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
    f = click.option("--max-wer", type=WER, default=None,
                     help="With --check: exit with status 3 when the WER is above this (season: leave such episodes out of the feed).")(f)
    f = click.option("--asr-model", default=None, help="Recogniser for --check [default: bundled Whisper tiny.en].")(f)
    f = click.option("--fix", is_flag=True, help="With --check: use the respellings found for words misheard in every take, for this render only.")(f)
    f = click.option("--retakes", type=click.IntRange(0, 8), default=None,
                     help=f"With --check: extra takes of each flagged sentence; the best is kept [default: {CheckConfig.retakes}].")(f)
    f = click.option("--check", is_flag=True, help="After rendering, listen to the MP3; write EPISODE.check.json and EPISODE.review.html.")(f)
    return f


def with_asr_model(options, asr_model):
    from dataclasses import replace

    if not asr_model:
        return options
    return replace(options, config=replace(options.config, check=replace(options.config.check, asr_model=asr_model)))
