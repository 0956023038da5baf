"""`paperledge`: render, check, season, text, import-page, voices, assets.

A user's mistake is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import click

from .config import DEFAULT_CACHE_DIR
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


def _fail(message: str) -> None:
    click.echo(f"paperledge: error: {message}", err=True)
    sys.exit(1)


class _Group(click.Group):
    def invoke(self, ctx):
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


def _cache_options(f):
    f = click.option("--no-cache", is_flag=True, help="Synthesise every sentence afresh; keep nothing.")(f)
    f = click.option("--cache-dir", type=click.Path(path_type=Path), default=DEFAULT_CACHE_DIR, show_default=True,
                     help="Folder of cached sentence audio.")(f)
    f = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
                     help="Synthesis worker processes [default: number of cores].")(f)
    f = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None,
                     help="Where a GPU-capable engine runs (overrides the voice profile).")(f)
    return f


def _check_options(f):
    f = click.option("--max-wer", type=click.FloatRange(0, 1), default=None,
                     help="With --check: exit with status 3 when the WER is above this (season: leave such episodes out of the feed).")(f)
    f = click.option("--asr-model", default=None, help="Recogniser for --check [default: bundled Whisper tiny.en].")(f)
    f = click.option("--fix", is_flag=True, help="With --check: use the respellings found for words misheard in every take, for this render only.")(f)
    f = click.option("--retakes", type=click.IntRange(0, 8), default=None,
                     help="With --check: extra takes of each flagged sentence; the best is kept [default: 2].")(f)
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
@click.option("--target-lufs", type=click.FloatRange(-40, -5), help="Integrated loudness target [default: -16].")
@click.option("--bitrate", type=click.Choice(["64", "96", "128", "160", "192", "256", "320"]), help="MP3 bitrate in kbps [default: 128].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@_check_options
@_cache_options
def render(script, output, voice, target_lufs, bitrate, quiet, check, retakes, fix, asr_model, max_wer, no_cache, cache_dir, jobs, device):
    """Render one episode SCRIPT to a tagged, chaptered MP3 with transcript and chapters file."""
    from .render import RenderOptions, render as render_episode

    options = RenderOptions(
        voice=voice, output=output, target_lufs=target_lufs, bitrate_kbps=int(bitrate) if bitrate else None,
        cache_dir=None if no_cache else cache_dir, device=device,
    )
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
@click.argument("season_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), help="Output folder [default: build/<season folder name>].")
@click.option("--voice", help="Voice profile for every episode (overrides the scripts').")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@_check_options
@_cache_options
def season(season_dir, out_dir, voice, quiet, check, retakes, fix, asr_model, max_wer, no_cache, cache_dir, jobs, device):
    """Render every script in SEASON_DIR (skipping unchanged ones) and write feed.xml."""
    from .render import RenderOptions
    from .season import SeasonCheck, render_season

    options = RenderOptions(voice=voice, cache_dir=None if no_cache else cache_dir, device=device)
    if jobs:
        options.jobs = jobs
    checking = check or fix or retakes is not None or max_wer is not None
    spec = None
    if checking:
        options = _with_asr_model(options, asr_model)
        spec = SeasonCheck(options.config.check.retakes if retakes is None else retakes, fix, max_wer)
    out_dir = out_dir or Path("build") / season_dir.resolve().name
    with _progress(quiet, "Season") as update:
        report = render_season(season_dir, out_dir, options, lambda name, done, total: update(done, total), spec)
    if not quiet:
        for name, data in report.checks.items():
            flagged = [s for s in data["sentences"] if s["flagged"]]
            click.echo(f"{name}: WER {data['wer']:.1%}, {len(flagged)} flagged")
            for s in flagged:
                click.echo(f"  #{s['index']} {s['start']:.1f}s  {s['written'][:70]}  (heard: {s['heard'][:60]})")
        click.echo(
            f"{out_dir}: {len(report.rendered)} rendered, {len(report.skipped)} unchanged, "
            f"{report.synthesized} sentences synthesised; feed {report.feed}"
        )
    if report.refused:
        click.echo(f"paperledge: left out of the feed (WER over --max-wer {max_wer:.1%}, or not checked): "
                   f"{', '.join(report.refused)}", err=True)
        sys.exit(3)


@main.command()
@click.argument("season_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder holding the rendered episodes.")
@click.option("--max-wer", type=click.FloatRange(0, 1), default=None,
              help="Leave out episodes whose EPISODE.check.json WER is above this, or that have none (exit status 3).")
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
def text(script, voice, changed_only):
    """Show each sentence's written and spoken forms, and what changed them."""
    from .render import prepare

    episode, _, _ = prepare(script, voice)
    n = 0
    for ci, chapter in enumerate(episode.chapters):
        click.secho(f"## {chapter.title}", bold=True)
        for s in chapter.sentences():
            n += 1
            if changed_only and s.spoken == s.written:
                continue
            click.echo(f"{n:4d} written: {s.written}")
            click.echo(f"     spoken:  {s.spoken}")
            if s.fired:
                click.echo(f"     rules:   {', '.join(s.fired)}")


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
