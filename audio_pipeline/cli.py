"""`paperledge`: render, check, season, feed, text, import-page, voices, assets, init, cache.

A user's mistake is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from .config import (
    CACHE_ENV, DEFAULT_ARTIST, DEFAULT_EXECUTOR, DEFAULT_OUTPUT_DIR, DEFAULT_VOICE, SHOW_ENV, CheckConfig, ExportConfig,
    MasterConfig, default_cache_dir,
)
from .errors import PaperLedgeError


@contextmanager
def _progress(quiet: bool, label: str):
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


def _fail(message: str) -> None:
    click.echo(f"paperledge: error: {message}", err=True)
    sys.exit(1)


class _Group(click.Group):
    def invoke(self, ctx):
        signal.signal(signal.SIGTERM, _terminated)
        try:
            return super().invoke(ctx)
        except PaperLedgeError as e:
            _fail(str(e))
        except KeyboardInterrupt:
            _fail("interrupted; nothing was written at the output path")


def _use_show(ctx, param, value):
    # The show folder travels in the environment, so every part of the pipeline (and every
    # worker process) resolves the same one; see show.py.
    if value is not None:
        if not value.is_dir():
            _fail(f"--show {value}: no such folder")
        os.environ[SHOW_ENV] = str(value.resolve())


def _show_option(f):
    return click.option(
        "--show", type=click.Path(path_type=Path), expose_value=False, callback=_use_show,
        help=f"Show folder (show.toml, voices/, assets/, lexicon.toml) [default: ${SHOW_ENV}, else the current folder].",
    )(f)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="paperledge")
@_show_option
def main() -> None:
    """PaperLedge: episode scripts to finished podcast MP3s in the Ernis voice."""


def _cache_dir(ctx, param, value):
    return value if value is not None else default_cache_dir()


_CACHE_DIR_HELP = f"Folder of cached sentence audio [default: ${CACHE_ENV}, else $XDG_CACHE_HOME/paperledge, ~/.cache/paperledge]."


def _jobs(ctx, param, value):
    if value is not None and value < 0:
        _fail(f"--jobs {value}: give a number of worker processes, 1 or more (0: one per core)")
    return value or None


def _cache_options(f):
    f = _show_option(f)
    f = click.option("--no-cache", is_flag=True, help="Synthesise every sentence afresh; keep nothing.")(f)
    f = click.option("--cache-dir", type=click.Path(path_type=Path), default=None, callback=_cache_dir,
                     help=_CACHE_DIR_HELP)(f)
    f = click.option("--jobs", "-j", type=int, default=None, callback=_jobs,
                     help="Synthesis worker processes; 0 or none: the number of cores.")(f)
    f = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                     help="Where a GPU-capable engine runs (overrides the voice profile).")(f)
    return f


def _check_options(f):
    f = click.option("--max-wer", type=click.FloatRange(0, 1), default=None,
                     help="With --check: exit with status 3 when the WER is above this (season: leave such episodes out of the feed).")(f)
    f = click.option("--asr-model", default=None, help="Recogniser for --check [default: bundled Whisper tiny.en].")(f)
    f = click.option("--fix", is_flag=True, help="With --check: use the respellings found for words misheard in every take, for this render only.")(f)
    f = click.option("--retakes", type=click.IntRange(0, 8), default=None,
                     help=f"With --check: extra takes of each flagged sentence; the best is kept [default: {CheckConfig.retakes}].")(f)
    f = click.option("--check", is_flag=True, help="After rendering, listen to the MP3; write EPISODE.check.json and EPISODE.review.html.")(f)
    return f


def _with_asr_model(options, asr_model):
    from dataclasses import replace

    if not asr_model:
        return options
    return replace(options, config=replace(options.config, check=replace(options.config.check, asr_model=asr_model)))


def _render_checked(script, options, retakes, fix, max_wer, quiet):
    from .retake import render_checked

    n = options.config.check.retakes if retakes is None else retakes
    say = (lambda msg: None) if quiet else (lambda msg: click.echo(f"  {msg}", err=True))
    with _progress(quiet, "Synthesising") as update:
        done = render_checked(script, options, n, fix, update, say)
    report, result = done.report, done.result
    if not quiet:
        from .check import format_table

        click.echo(format_table(report))
        minutes, seconds = divmod(round(result.duration), 60)
        retaken = sum(1 for o in (done.improve.outcomes.values() if done.improve else ()) if o.chosen)
        click.echo(
            f"{result.output}: {minutes}:{seconds:02d}, {result.loudness.integrated_lufs:.1f} LUFS, "
            f"true peak {result.loudness.true_peak_dbtp:.1f} dBTP; WER {done.first_wer:.1%} -> {report.wer:.1%}, "
            f"{retaken} sentences retaken; {done.check_file.name}, {done.review_file.name}"
        )
        if done.improve and done.improve.fixes and not fix:
            click.echo("respellings the recogniser heard right (paste under [words] in the voice lexicon, or render with --fix):")
            from .retake import lexicon_line

            for w, sp in done.improve.fixes.items():
                click.echo(f"  {lexicon_line(w, sp)}")
    if max_wer is not None and report.wer > max_wer:
        click.echo(f"paperledge: WER {report.wer:.1%} is above --max-wer {max_wer:.1%}", err=True)
        sys.exit(3)


@main.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="MP3 to write [default: build/<script name>.mp3].")
@click.option("--voice", help="Voice profile name (voices/NAME.toml) or path to a profile file.")
@click.option("--target-lufs", type=click.FloatRange(-40, -5), help=f"Integrated loudness target [default: {MasterConfig.target_lufs:g}].")
@click.option("--bitrate", type=click.Choice(["64", "96", "128", "160", "192", "256", "320"]), help=f"MP3 bitrate in kbps [default: {ExportConfig.bitrate_kbps}].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@_check_options
@_cache_options
def render(script, output, voice, target_lufs, bitrate, quiet, check, retakes, fix, asr_model, max_wer, no_cache, cache_dir, jobs, device):
    """Render one episode SCRIPT to a tagged, chaptered MP3 with transcript and chapters file."""
    from dataclasses import replace

    from .config import RenderConfig
    from .render import RenderOptions, render as render_episode

    config = RenderConfig()
    if target_lufs is not None:
        config = replace(config, master=replace(config.master, target_lufs=target_lufs))
    if bitrate:
        config = replace(config, export=replace(config.export, bitrate_kbps=int(bitrate)))
    options = RenderOptions(voice=voice, output=output, cache_dir=None if no_cache else cache_dir, device=device, config=config)
    if jobs:
        options.jobs = jobs
    if check or fix or retakes is not None:
        _render_checked(script, _with_asr_model(options, asr_model), retakes, fix, max_wer, quiet)
        return
    with _progress(quiet, "Synthesising") as update:
        result = render_episode(script, options, update)
    if not quiet:
        s = result.synthesis
        minutes, seconds = divmod(round(result.duration), 60)
        click.echo(
            f"{result.output}: {minutes}:{seconds:02d}, {result.loudness.integrated_lufs:.1f} LUFS, "
            f"true peak {result.loudness.true_peak_dbtp:.1f} dBTP, {result.chapters} chapters, "
            f"{result.sentences} sentences ({s.synthesized} synthesised, {s.cached} cached)"
        )


@main.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the WER and every sentence's score.")
@click.option("--max-wer", type=click.FloatRange(0, 1), default=None, help="Exit with status 3 when the episode's WER is above this (0-1).")
@click.option("--asr-model", default=None, help="Recogniser: a CTranslate2 Whisper folder or a model name (base.en, ...) [default: bundled tiny.en].")
def check(mp3, as_json, max_wer, asr_model):
    """Listen to a rendered MP3 and flag the sentences that were not said as written (EPISODE.vtt beside it gives their times)."""
    import json

    from .check import check_episode, format_table

    report = check_episode(mp3, model=asr_model)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        click.echo(format_table(report))
    if max_wer is not None and report.wer > max_wer:
        if not as_json:
            click.echo(f"paperledge: WER {report.wer:.1%} is above --max-wer {max_wer:.1%}", err=True)
        sys.exit(3)


@main.command()
@click.argument("season_dirs", metavar="SEASON_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path),
              help="Output folder [default: build/<season folder name>]; with several seasons, each goes in OUT/<season folder name>.")
@click.option("--voice", help="Voice profile for every episode (overrides the scripts').")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default=DEFAULT_EXECUTOR, show_default=True,
              help="local: worker processes on this machine; ray: a Ray cluster (the [ray] extra).")
@click.option("--ray-address", metavar="ADDRESS",
              help="With --executor ray: 'auto', 'host:port' or 'ray://host:port' joins that cluster [default: start a local Ray instance].")
@_check_options
@_cache_options
def season(season_dirs, out_dir, voice, quiet, executor, ray_address, check, retakes, fix, asr_model, max_wer,
           no_cache, cache_dir, jobs, device):
    """Render every script in each SEASON_DIR (skipping unchanged ones) and write its feed.xml.

    With --jobs and --executor ray, JOBS caps the number of synthesis actors."""
    from .render import RenderOptions

    if ray_address and executor != "ray":
        raise PaperLedgeError("--ray-address needs --executor ray")
    options = RenderOptions(voice=voice, cache_dir=None if no_cache else cache_dir, device=device)
    checking = check or fix or retakes is not None or max_wer is not None
    if checking and executor == "ray":
        raise PaperLedgeError("--check, --retakes, --fix and --max-wer run with --executor local; "
                              "check a Ray render afterwards with `paperledge check EPISODE.mp3`")
    if len(season_dirs) == 1:
        outs = [out_dir or DEFAULT_OUTPUT_DIR / season_dirs[0].resolve().name]
    else:
        outs = [(out_dir or DEFAULT_OUTPUT_DIR) / d.resolve().name for d in season_dirs]
    if executor == "ray":
        from .cluster import import_ray, render_seasons_on_ray, rich_progress

        import_ray()  # without the extra: one line saying how to install it
        options.jobs = jobs or 0  # 0: one actor per CPU (or GPU) of the cluster
        with rich_progress(quiet) as bars:
            run = render_seasons_on_ray(list(zip(season_dirs, outs)), options, ray_address, bars)
        reports = run.reports
        if not quiet and run.actors:
            click.echo(
                f"ray: {run.actors} synthesis actor{'s' if run.actors != 1 else ''} on "
                f"{'GPUs' if run.gpu else 'CPUs'}; cluster of {run.nodes} node{'s' if run.nodes != 1 else ''}, "
                f"{run.cpus} CPUs, {run.gpus} GPUs"
            )
    else:
        from .season import SeasonCheck, render_season

        if jobs:
            options.jobs = jobs
        spec = None
        if checking:
            options = _with_asr_model(options, asr_model)
            spec = SeasonCheck(options.config.check.retakes if retakes is None else retakes, fix, max_wer)
        reports = []
        for season_dir, out in zip(season_dirs, outs):
            with _progress(quiet, "Season") as update:
                reports.append(render_season(season_dir, out, options, lambda name, done, total: update(done, total), spec))
    refused = []
    for out, report in zip(outs, reports):
        if not quiet:
            for name, data in report.checks.items():
                flagged = [s for s in data["sentences"] if s["flagged"]]
                click.echo(f"{name}: WER {data['wer']:.1%}, {len(flagged)} flagged")
                for s in flagged:
                    click.echo(f"  #{s['index']} {s['start']:.1f}s  {s['written'][:70]}  (heard: {s['heard'][:60]})")
            click.echo(
                f"{out}: {len(report.rendered)} rendered, {len(report.skipped)} unchanged, "
                f"{report.synthesized} sentences synthesised; feed {report.feed}"
            )
        refused += report.refused
    if refused:
        click.echo(f"paperledge: left out of the feed (WER over --max-wer {max_wer:.1%}, or not checked): "
                   f"{', '.join(refused)}", err=True)
        sys.exit(3)


@main.command()
@click.argument("season_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder holding the rendered episodes.")
@click.option("--max-wer", type=click.FloatRange(0, 1), default=None,
              help="Leave out episodes whose EPISODE.check.json WER is above this, or that have none (exit status 3).")
@_show_option
def feed(season_dir, out_dir, max_wer):
    """Write OUTDIR/feed.xml for the episodes of SEASON_DIR already rendered there."""
    from .season import write_season_feed

    refused: list[str] = []
    click.echo(write_season_feed(season_dir, out_dir, max_wer, refused))
    if refused:
        click.echo(f"paperledge: left out of the feed (WER over --max-wer {max_wer:.1%}, or not checked): "
                   f"{', '.join(refused)}", err=True)
        sys.exit(3)


@main.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--voice", help="Voice profile whose lexicon applies.")
@click.option("--changed-only", is_flag=True, help="Show only sentences the front end altered.")
@_show_option
def text(script, voice, changed_only):
    """Show what will be spoken (spoken), what the transcript will hold (written), the
    pauses, and what changed each sentence."""
    from .render import load_episode, show_config
    from .script import Pause
    from .show import load_settings

    episode, _, _ = load_episode(script, voice, config=show_config(load_settings(script.parent)))
    n = 0
    for chapter in episode.chapters:
        click.secho(f"## {chapter.title}", bold=True)
        for pi, paragraph in enumerate(chapter.paragraphs):
            if pi and not changed_only:
                click.echo("     (paragraph)")
            for item in paragraph.items:
                if isinstance(item, Pause):
                    if not changed_only:
                        click.echo(f"     (pause {item.seconds:g}s)")
                    continue
                n += 1
                if changed_only and item.spoken == item.written:
                    continue
                click.echo(f"{n:4d} written: {item.written}")
                click.echo(f"     spoken:  {item.spoken}")
                if item.fired:
                    click.echo(f"     rules:   {', '.join(item.fired)}")


@main.command("import-page")
@click.argument("page", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Season folder to write scripts into.")
@click.option("--force", is_flag=True, help="Overwrite scripts edited since they were imported.")
def import_page(page, out_dir, force):
    """Split a published episode PAGE into one script per episode."""
    from .importer import import_page as run_import

    for r in run_import(page, out_dir, force=force):
        click.echo(f"{r.status:>15}  {r.path}  {r.title}")


@main.group()
@_show_option
def voices() -> None:
    """Voice profiles."""


@voices.command("list")
def voices_list():
    """List the voice profiles: the show folder's voices/ first, then the bundled ones."""
    from .show import voice_profiles
    from .voices import load_voice

    for name, found in voice_profiles().items():
        try:
            v = load_voice(name)
            click.echo(f"{name:16} {v.engine:8} {found.origin:8} {v.description}  [{found.path}]")
        except PaperLedgeError as e:
            click.echo(f"{name:16} {'-':8} {found.origin:8} (unusable: {e})  [{found.path}]")


@voices.command("make-reference")
@click.option("--voice", default=DEFAULT_VOICE, show_default=True, help="Profile whose voice is recorded.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="WAV to write [default: the show folder's voices/<voice>-reference.wav].")
def voices_make_reference(voice, output):
    """Record a reference clip of a voice, for engines that clone a speaker (XTTS)."""
    from .config import SHOW_VOICES
    from .show import show_root
    from .voices import make_reference

    if output is None:
        output = show_root() / SHOW_VOICES / f"{voice}-reference.wav"
        output.parent.mkdir(parents=True, exist_ok=True)
    path = make_reference(voice, output)
    click.echo(path)


@main.command("assets")
@click.option("-o", "--output", "folder", type=click.Path(path_type=Path), default=None,
              help="Folder [default: the show folder's assets/].")
@_show_option
def assets_cmd(folder):
    """Regenerate the show's intro/outro music and cover art (all made by code)."""
    from . import assets

    for path in assets.generate(folder):
        click.echo(path)


@main.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--title", help="The show's name [default: from the folder's name].")
@click.option("--artist", default=DEFAULT_ARTIST, show_default=True, help="The MP3s' artist: the voice listeners hear.")
def init_cmd(folder, title, artist):
    """Create a show folder: show.toml, a cover, a sample script and a README of the layout."""
    from .show import init_show

    for path in init_show(folder, title, artist):
        click.echo(path)
    click.echo(f"next: cd {folder} && paperledge render scripts/season-01/01-hello.md")


def _cache_root(f):
    """--cache-dir before or after the subcommand's name: `cache --cache-dir D info` or `cache info --cache-dir D`."""
    def pick(ctx, param, value):
        return value if value is not None else ctx.obj

    return click.option("--cache-dir", "root", type=click.Path(path_type=Path), default=None, callback=pick,
                        help=_CACHE_DIR_HELP)(f)


@main.group("cache")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, callback=_cache_dir, help=_CACHE_DIR_HELP)
@click.pass_context
def cache_group(ctx, cache_dir) -> None:
    """The sentence audio cache: what it holds, keeping it small, emptying it."""
    ctx.obj = cache_dir


@cache_group.command("info")
@_cache_root
def cache_info_cmd(root):
    """Size, entries, and the voices (engines) they belong to."""
    import datetime as dt

    from .cache_admin import cache_info, format_size

    info = cache_info(root)
    click.echo(f"{info.root}: {info.entries} entries, {format_size(info.bytes)}")
    if info.entries:
        def when(t):
            return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")

        click.echo(f"last used between {when(info.oldest_use)} and {when(info.newest_use)}")
    for u in info.by_voice:
        click.echo(f"{u.entries:8d} entries  {format_size(u.bytes):>10}  {u.label}")


@cache_group.command("prune")
@click.option("--max-size", required=True, help="Keep at most this much, e.g. 2G, 500M (K, M, G: powers of 1024).")
@_cache_root
def cache_prune_cmd(root, max_size):
    """Remove the least recently used entries until the cache fits MAX_SIZE. Safe while renders
    run: an entry used within the grace time (an hour) is kept."""
    from .cache_admin import format_size, parse_size, prune
    from .config import CACHE_PRUNE_GRACE_S

    r = prune(root, parse_size(max_size))
    click.echo(f"{root}: removed {r.removed} entries ({format_size(r.freed)}); {r.kept} left, {format_size(r.kept_bytes)}")
    if r.kept_recent:
        click.echo(f"{r.kept_recent} entries used in the last {CACHE_PRUNE_GRACE_S / 60:g} minutes were kept "
                   "although over the size: renders may be reading them")


@cache_group.command("clear")
@_cache_root
def cache_clear_cmd(root):
    """Remove every entry. Renders running meanwhile may fail: stop them first."""
    from .cache_admin import clear, format_size

    r = clear(root)
    click.echo(f"{root}: removed {r.removed} entries ({format_size(r.freed)})")


if __name__ == "__main__":  # pragma: no cover
    main()
