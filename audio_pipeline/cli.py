"""`paperledge`: render, season, text, import-page, voices, assets.

A user's mistake is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from .config import DEFAULT_CACHE_DIR, DEFAULT_EXECUTOR
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


@click.group(cls=_Group)
@click.version_option(package_name="paperledge-audio")
def main() -> None:
    """PaperLedge: episode scripts to finished podcast MP3s in the Ernis voice."""


def _jobs(ctx, param, value):
    if value is not None and value < 0:
        _fail(f"--jobs {value}: give a number of worker processes, 1 or more (0: one per core)")
    return value or None


def _cache_options(f):
    f = click.option("--no-cache", is_flag=True, help="Synthesise every sentence afresh; keep nothing.")(f)
    f = click.option("--cache-dir", type=click.Path(path_type=Path), default=DEFAULT_CACHE_DIR, show_default=True,
                     help="Folder of cached sentence audio.")(f)
    f = click.option("--jobs", "-j", type=int, default=None, callback=_jobs,
                     help="Synthesis worker processes; 0 or none: the number of cores.")(f)
    f = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                     help="Where a GPU-capable engine runs (overrides the voice profile).")(f)
    return f


@main.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="MP3 to write [default: build/<script name>.mp3].")
@click.option("--voice", help="Voice profile name (voices/NAME.toml) or path to a profile file.")
@click.option("--target-lufs", type=click.FloatRange(-40, -5), help="Integrated loudness target [default: -16].")
@click.option("--bitrate", type=click.Choice(["64", "96", "128", "160", "192", "256", "320"]), help="MP3 bitrate in kbps [default: 128].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@_cache_options
def render(script, output, voice, target_lufs, bitrate, quiet, no_cache, cache_dir, jobs, device):
    """Render one episode SCRIPT to a tagged, chaptered MP3 with transcript and chapters file."""
    from .render import RenderOptions, render as render_episode

    options = RenderOptions(
        voice=voice, output=output, target_lufs=target_lufs, bitrate_kbps=int(bitrate) if bitrate else None,
        cache_dir=None if no_cache else cache_dir, device=device,
    )
    if jobs:
        options.jobs = jobs
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
@click.argument("season_dirs", metavar="SEASON_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path),
              help="Output folder [default: build/<season folder name>]; with several seasons, each goes in OUT/<season folder name>.")
@click.option("--voice", help="Voice profile for every episode (overrides the scripts').")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.option("--executor", type=click.Choice(["local", "ray"]), default=DEFAULT_EXECUTOR, show_default=True,
              help="local: worker processes on this machine; ray: a Ray cluster (the [ray] extra).")
@click.option("--ray-address", metavar="ADDRESS",
              help="With --executor ray: 'auto', 'host:port' or 'ray://host:port' joins that cluster [default: start a local Ray instance].")
@_cache_options
def season(season_dirs, out_dir, voice, quiet, executor, ray_address, no_cache, cache_dir, jobs, device):
    """Render every script in each SEASON_DIR (skipping unchanged ones) and write its feed.xml.

    With --jobs and --executor ray, JOBS caps the number of synthesis actors."""
    from .render import RenderOptions

    if ray_address and executor != "ray":
        raise PaperLedgeError("--ray-address needs --executor ray")
    options = RenderOptions(voice=voice, cache_dir=None if no_cache else cache_dir, device=device)
    if len(season_dirs) == 1:
        outs = [out_dir or Path("build") / season_dirs[0].resolve().name]
    else:
        outs = [(out_dir or Path("build")) / d.resolve().name for d in season_dirs]
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
        from .season import render_season

        if jobs:
            options.jobs = jobs
        reports = []
        for season_dir, out in zip(season_dirs, outs):
            with _progress(quiet, "Season") as update:
                reports.append(render_season(season_dir, out, options, lambda name, done, total: update(done, total)))
    if not quiet:
        for out, report in zip(outs, reports):
            click.echo(
                f"{out}: {len(report.rendered)} rendered, {len(report.skipped)} unchanged, "
                f"{report.synthesized} sentences synthesised; feed {report.feed}"
            )


@main.command()
@click.argument("season_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder holding the rendered episodes.")
def feed(season_dir, out_dir):
    """Write OUTDIR/feed.xml for the episodes of SEASON_DIR already rendered there."""
    from .season import write_season_feed

    click.echo(write_season_feed(season_dir, out_dir))


@main.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--voice", help="Voice profile whose lexicon applies.")
@click.option("--changed-only", is_flag=True, help="Show only sentences the front end altered.")
def text(script, voice, changed_only):
    """Show what will be spoken (spoken), what the transcript will hold (written), the
    pauses, and what changed each sentence."""
    from .render import prepare

    from .script import Pause

    episode, _, _ = prepare(script, voice)
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
def voices() -> None:
    """Voice profiles."""


@voices.command("list")
def voices_list():
    """List the voice profiles in voices/."""
    from .voices import available_voices, load_voice

    for name in available_voices():
        try:
            v = load_voice(name)
            click.echo(f"{name:16} {v.engine:8} {v.description}")
        except PaperLedgeError as e:
            click.echo(f"{name:16} (unusable: {e})")


@voices.command("make-reference")
@click.option("--voice", default="ernis", show_default=True, help="Profile whose voice is recorded.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="WAV to write [default: voices/<voice>-reference.wav].")
def voices_make_reference(voice, output):
    """Record a reference clip of a voice, for engines that clone a speaker (XTTS)."""
    from .config import VOICES_DIR
    from .voices import make_reference

    path = make_reference(voice, output or VOICES_DIR / f"{voice}-reference.wav")
    click.echo(path)


@main.command("assets")
@click.option("-o", "--output", "folder", type=click.Path(path_type=Path), default=None, help="Folder [default: assets/].")
def assets_cmd(folder):
    """Regenerate the show's intro/outro music and cover art (all made by code)."""
    from . import assets
    from .config import ASSETS_DIR

    for path in assets.generate(folder or ASSETS_DIR):
        click.echo(path)


if __name__ == "__main__":  # pragma: no cover
    main()
