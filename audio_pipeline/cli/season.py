"""`paperledge season`, `feed`, `validate` and `import-page`: the commands that work on a season folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..config import DEFAULT_EXECUTOR, DEFAULT_OUTPUT_DIR
from ..errors import PaperLedgeError
from ..publish.validate_problem import plural
from .options import WER, cache_options, check_options, progress_bar, show_option, with_asr_model


def _warn_placeholder(season_dir: Path) -> None:
    """One line when the feed would point every app at the placeholder address."""
    from ..show import load_settings

    show = load_settings(season_dir)
    if show.placeholder_url:
        click.echo(
            f"paperledge: warning: the feed's files are at the placeholder {show.base_url}; set base_url = "
            '"https://YOUR-HOST/PATH/" in show.toml',
            err=True,
        )


def _report_validation(out: Path, quiet: bool) -> bool:
    """Validate what a season wrote; print each problem on stderr (the placeholder address
    among them, as a warning). True when it passes."""
    return _print_validation(out, quiet=quiet, season=True)


@click.command()
@click.argument("season_dirs", metavar="SEASON_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Output folder [default: build/<season folder name>]; with several seasons, each goes in OUT/<season folder name>.",
)
@click.option("--voice", help="Voice profile for every episode (overrides the scripts').")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default=DEFAULT_EXECUTOR,
    show_default=True,
    help="local: worker processes on this machine; ray: a Ray cluster (the [ray] extra).",
)
@click.option(
    "--ray-address",
    metavar="ADDRESS",
    help="With --executor ray: 'auto', 'host:port' or 'ray://host:port' joins that cluster [default: start a local Ray instance].",
)
@click.option(
    "--video",
    is_flag=True,
    help="Also make each episode's video (EPISODE.mp4), again only where its MP3 changed or it is missing.",
)
@click.option(
    "--alternates",
    metavar="aac,opus",
    help="Also make EPISODE.m4a (AAC) and/or EPISODE.opus from each MP3, again only where its MP3 changed or "
    "they are missing; 'none' makes none [default: show.toml's [feed] alternates].",
)
@click.option("--no-sign", is_flag=True, help="Write no Content Credentials (C2PA) into the files; validate then warns.")
@check_options
@cache_options
def season(
    season_dirs,
    out_dir,
    voice,
    quiet,
    executor,
    ray_address,
    video,
    alternates,
    no_sign,
    check,
    retakes,
    fix,
    asr_model,
    max_wer,
    no_cache,
    cache_dir,
    jobs,
    device,
):
    """Render every script in each SEASON_DIR (skipping unchanged ones) and write its feed.xml.

    With --jobs and --executor ray, JOBS caps the number of synthesis actors."""
    from ..render import RenderOptions

    if ray_address and executor != "ray":
        raise PaperLedgeError("--ray-address needs --executor ray")
    if alternates is not None:
        from ..publish.alternates import parse_alternates

        alternates = parse_alternates(alternates)
    options = RenderOptions(voice=voice, cache_dir=None if no_cache else cache_dir, device=device, sign=not no_sign)
    checking = check or fix or retakes is not None or max_wer is not None
    if checking and executor == "ray":
        raise PaperLedgeError(
            "--check, --retakes, --fix and --max-wer run with --executor local; "
            "check a Ray render afterwards with `paperledge check EPISODE.mp3`"
        )
    if len(season_dirs) == 1:
        outs = [out_dir or DEFAULT_OUTPUT_DIR / season_dirs[0].resolve().name]
    else:
        outs = [(out_dir or DEFAULT_OUTPUT_DIR) / d.resolve().name for d in season_dirs]
    if executor == "ray":
        from ..cluster.plan import import_ray, render_seasons_on_ray, rich_progress

        import_ray()  # without the extra: one line saying how to install it
        options.jobs = jobs or 0  # 0: one actor per CPU (or GPU) of the cluster
        with rich_progress(quiet) as bars:
            run = render_seasons_on_ray(list(zip(season_dirs, outs)), options, ray_address, bars, video=video)
        reports = run.reports
        _alternates_after_ray(season_dirs, outs, reports, alternates)
        if not quiet and run.actors:
            click.echo(
                f"ray: {plural(run.actors, 'synthesis actor')} on "
                f"{'GPUs' if run.gpu else 'CPUs'}; cluster of {plural(run.nodes, 'node')}, "
                f"{plural(run.cpus, 'CPU')}, {plural(run.gpus, 'GPU')}"
            )
    else:
        from ..publish.season import SeasonCheck, render_season

        if jobs:
            options.jobs = jobs
        spec = None
        if checking:
            options = with_asr_model(options, asr_model)
            spec = SeasonCheck(options.config.check.retakes if retakes is None else retakes, fix, max_wer)
        from ..publish.season import episode_scripts

        reports = []
        for season_dir, out in zip(season_dirs, outs):
            names = [p.stem for p in episode_scripts(season_dir)] if season_dir.is_dir() else []
            with progress_bar(quiet, "Preparing", names) as display:

                def update(name, done, total, display=display):
                    display.for_episode(name)
                    display(done, total)

                options.stages = display.stage
                reports.append(render_season(season_dir, out, options, update, spec, video=video, alternates=alternates))
    refused = []
    for out, report in zip(outs, reports):
        if not quiet:
            for name, kept in report.checks.items():
                flagged = kept.flagged
                click.echo(f"{name}: WER {kept.wer:.1%}, {plural(len(flagged), 'sentence')} flagged")
                for s in flagged:
                    click.echo(f"  #{s.index} {s.start:.1f}s  {s.written[:70]}  (heard: {s.heard[:60]})")
            click.echo(
                f"{out}: {len(report.rendered)} rendered, {len(report.skipped)} unchanged, "
                f"{plural(report.synthesized, 'sentence')} synthesised; feed {report.feed}"
            )
            if video:
                click.echo(
                    f"  videos: {plural(len(report.videos), 'video')} made"
                    + (f" ({', '.join(p.stem for p in report.videos)})" if report.videos else ", every one current")
                )
            if report.alternates:
                click.echo(f"  alternates: {', '.join(p.name for p in report.alternates)}")
            for what, scripts in (("rendered", report.rendered), ("unchanged", report.skipped)):
                if scripts:
                    click.echo(f"  {what}: {', '.join(p.stem for p in scripts)}")
        refused += report.refused
    failed = [out for out in outs if not _report_validation(out, quiet)]
    if failed:
        click.echo(
            f"paperledge: {', '.join(map(str, failed))} would not pass a podcast directory's checks; fix the errors above",
            err=True,
        )
        sys.exit(1)
    if refused:
        click.echo(
            f"paperledge: left out of the feed (WER over --max-wer {max_wer:.1%}, or no check of the MP3 now there): "
            f"{', '.join(refused)}",
            err=True,
        )
        sys.exit(3)


def _alternates_after_ray(season_dirs, outs, reports, alternates) -> None:
    """The alternates of a season rendered on Ray, made here from its MP3s (where needed), then its feed again."""
    from ..publish.season import write_season_feed

    for season_dir, out, report in zip(season_dirs, outs, reports):
        made = _alternates_of(season_dir, out, alternates)
        if made:
            report.alternates += made
            report.feed = write_season_feed(season_dir, out)


def _alternates_of(season_dir: Path, out: Path, alternates: tuple[str, ...] | None) -> list[Path]:
    """Each rendered episode's alternates (given, else show.toml's), made where missing or made from another MP3."""
    from ..errors import PaperLedgeError as Unreadable
    from ..files import read_json
    from ..publish.alternates import SEASON_STATE, make_alternates, wanted_alternates
    from ..publish.season import episode_scripts
    from ..show import load_settings

    names = wanted_alternates(load_settings(season_dir), alternates)
    if not names:
        return []
    try:
        state = read_json(out / SEASON_STATE, "season state")
    except Unreadable:
        state = {}  # episodes rendered one by one (`make season`): the state holds only what alternates were made from
    made = []
    for script in episode_scripts(season_dir):
        if (mp3 := out / f"{script.stem}.mp3").is_file():
            made += make_alternates(mp3, names, state)
    return made


@click.command()
@click.argument("season_dir", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Folder holding the rendered episodes."
)
@click.option(
    "--max-wer",
    type=WER,
    default=None,
    help="Leave out episodes whose EPISODE.check.json WER is above this, or that have none (exit status 3).",
)
@click.option("--approved-only", is_flag=True, help="Publish only episodes approved in the studio, as approved (same MP3).")
@click.option(
    "--voice",
    help="The voice profile the episodes were rendered with, when not the scripts' own (for the "
    "disclosure that names the engine).",
)
@click.option(
    "--alternates",
    metavar="aac,opus",
    help="First make EPISODE.m4a and/or EPISODE.opus beside each MP3 where missing or made from another MP3 "
    "[default: show.toml's [feed] alternates].",
)
@click.option(
    "--validate",
    "then_validate",
    is_flag=True,
    help="Then validate OUTDIR as `paperledge validate OUTDIR` does, in this same process (exit status 1 on an error).",
)
@show_option
def feed(season_dir, out_dir, max_wer, approved_only, voice, alternates, then_validate):
    """Write OUTDIR/feed.xml for the episodes of SEASON_DIR already rendered there."""
    from ..publish.alternates import parse_alternates
    from ..publish.season import write_season_feed

    for made in _alternates_of(season_dir, out_dir, None if alternates is None else parse_alternates(alternates)):
        click.echo(f"made {made}", err=True)
    refused: list[str] = []
    click.echo(write_season_feed(season_dir, out_dir, max_wer, refused, approved_only=approved_only, voice=voice))
    _warn_placeholder(season_dir)
    if refused:
        click.echo(
            f"paperledge: left out of the feed (WER over --max-wer {max_wer:.1%}, or no check of the MP3 now there): "
            f"{', '.join(refused)}",
            err=True,
        )
        sys.exit(3)
    # `make season` validates what it just wrote: one process, not a second start-up and import.
    if then_validate and not _print_validation(out_dir):
        sys.exit(1)


@click.command()
@click.argument("path", type=click.Path())
@click.option("--bitrate", type=click.IntRange(8, 320), default=None, help="The bitrate the MP3s must have [default: 128].")
@click.option(
    "--target-lufs",
    type=click.FloatRange(-40, -5),
    default=None,
    help="The loudness target they must be within 1 LU of [default: -16].",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the problems.")
def validate(path, bitrate, target_lufs, quiet):
    """Check an MP3, a feed.xml or a season output folder the way Apple Podcasts, Spotify and
    the Podcast Index do, on the files as published. One line per problem; exit status 1
    when any is an error (warnings alone exit 0)."""
    from dataclasses import replace

    from ..config import RenderConfig

    config = RenderConfig()
    if bitrate:
        config = replace(config, export=replace(config.export, bitrate_kbps=bitrate))
    if target_lufs is not None:
        config = replace(config, master=replace(config.master, target_lufs=target_lufs))
    if not path.strip():  # Path("") would be the current folder
        raise PaperLedgeError("give the MP3, feed.xml or season output folder to validate")
    if not _print_validation(Path(path), config, quiet):
        sys.exit(1)


def _print_validation(path: Path, config=None, quiet: bool = False, season: bool = False) -> bool:
    """`validate`'s report of `path`: a line per problem, then the summary, on stdout. For a
    season, on stderr, without the notes (what needs nothing done, whose credentials, is
    `validate`'s to say), its summary on stderr only when it fails. True when nothing is an error."""
    from ..config import RenderConfig
    from ..publish.validate import errors, summary, validate_path
    from ..publish.validate_problem import NOTE

    problems = validate_path(path, config or RenderConfig())
    for p in problems:
        if not (season and p.severity == NOTE):
            click.echo(p.line(), err=season)
    if errors(problems) or not quiet:
        click.echo(summary(problems, path), err=season and bool(errors(problems)))
    return not errors(problems)


@click.command("import-page")
@click.argument("page", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True, help="Season folder to write scripts into."
)
@click.option("--force", is_flag=True, help="Overwrite scripts edited since they were imported.")
def import_page(page, out_dir, force):
    """Split a published episode PAGE into one script per episode."""
    from ..importer.episodes import import_page as run_import

    for r in run_import(page, out_dir, force=force):
        click.echo(f"{r.status:>15}  {r.path}  {r.title}")
