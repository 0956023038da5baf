"""`paperledge`: render, check, text, season, feed, validate, studio, video, clip, detect, keys,
import-page, voices, assets, init, cache.

This module holds the group and the commands on one episode (render, check, text);
season.py the season commands, admin.py the show folder and cache ones, and
options.py what they share. A user's mistake is one line on stderr and exit status
1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import __version__
from ..config import ExportConfig, MasterConfig
from ..files import counted
from .admin import assets_cmd, cache_group, init_cmd, voices
from .detect import detect
from .keys import keys_group
from .options import WER, Finite, Group, cache_options, check_options, progress_bar, show_option, with_asr_model
from .season import feed, import_page, season, validate
from .studio import studio
from .video import clip, video


@click.group(cls=Group)
@click.version_option(__version__, prog_name="paperledge")
@show_option
def main() -> None:
    """PaperLedge: episode scripts to finished podcast MP3s in the Ernis voice."""


for _command in (
    season,
    feed,
    validate,
    import_page,
    voices,
    assets_cmd,
    init_cmd,
    cache_group,
    studio,
    video,
    clip,
    keys_group,
    detect,
):
    main.add_command(_command)


def _video(mp3: Path, quiet: bool) -> None:
    """The video of an episode just rendered (the stage after the render: render.py never makes it)."""
    from ..video.episode import make_video

    made = make_video(mp3)
    if not quiet:
        for note in made.notes:
            click.echo(f"  {note}", err=True)
        click.echo(f"{made.mp4}: {made.duration_s:.1f} s, {made.bytes / 1e6:.1f} MB; {made.youtube_txt.name}")


def _render_checked(script, options, retakes, fix, max_wer, quiet, video=False):
    """Render with the check (and with `video`, make the video before the check's verdict exits)."""
    from ..check.retake import render_checked

    n = options.config.check.retakes if retakes is None else retakes
    say = (lambda msg: None) if quiet else (lambda msg: click.echo(f"  {msg}", err=True))
    with progress_bar(quiet, "Synthesising") as update:
        done = render_checked(script, options, n, fix, update, say)
    from ..check.listen import CheckReport  # loaded by the check by now
    from ..render import RenderResult

    report, result = done.report, done.result
    assert isinstance(report, CheckReport) and isinstance(result, RenderResult)  # CheckedRender holds them as object
    if not quiet:
        from ..check.listen import format_table, plural

        click.echo(format_table(report))
        minutes, seconds = divmod(round(result.duration), 60)
        retaken = sum(1 for o in (done.improve.outcomes.values() if done.improve else ()) if o.chosen)
        click.echo(
            f"{result.output}: {minutes}:{seconds:02d}, {result.loudness.integrated_lufs:.1f} LUFS, "
            f"true peak {result.loudness.true_peak_dbtp:.1f} dBTP; WER {done.first_wer:.1%} -> {report.wer:.1%}, "
            f"{plural(retaken, 'sentence')} retaken; {done.check_file.name}, {done.review_file.name}"
        )
        if done.improve and done.improve.fixes and not fix:
            click.echo("respellings the recogniser heard right (paste under [words] in the voice lexicon, or render with --fix):")
            from ..check.retake import lexicon_line

            for w, sp in done.improve.fixes.items():
                click.echo(f"  {lexicon_line(w, sp)}")
    if video:
        _video(result.output, quiet)
    _gate(report, max_wer, quiet=False)


def _gate(report, max_wer, quiet):
    """Exit status 3 when the check failed (whatever --max-wer says) or the WER is over it."""
    if report.failures:
        click.echo(f"paperledge: check failed: {report.failures[0]}", err=True)
        sys.exit(3)
    if max_wer is not None and report.wer > max_wer:
        if not quiet:
            click.echo(f"paperledge: WER {report.wer:.1%} is above --max-wer {max_wer:.1%}", err=True)
        sys.exit(3)


@main.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="MP3 to write [default: build/<script name>.mp3].")
@click.option("--voice", help="Voice profile name (voices/NAME.toml) or path to a profile file.")
@click.option("--target-lufs", type=Finite(-40, -5), help=f"Integrated loudness target [default: {MasterConfig.target_lufs:g}].")
@click.option(
    "--bitrate",
    type=click.Choice(["64", "96", "128", "160", "192", "256", "320"]),
    help=f"MP3 bitrate in kbps [default: {ExportConfig.bitrate_kbps}].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option("--video", is_flag=True, help="Also make the episode's video, EPISODE.mp4, once the MP3 is written.")
@click.option("--no-sign", is_flag=True, help="Write no Content Credentials (C2PA) into the MP3; validate then warns.")
@check_options
@cache_options
def render(
    script,
    output,
    voice,
    target_lufs,
    bitrate,
    quiet,
    video,
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
    """Render one episode SCRIPT to a tagged, chaptered MP3 with transcript and chapters file."""
    from dataclasses import replace

    from ..config import RenderConfig
    from ..render import RenderOptions
    from ..render import render as render_episode

    config = RenderConfig()
    if target_lufs is not None:
        config = replace(config, master=replace(config.master, target_lufs=target_lufs))
    if bitrate:
        config = replace(config, export=replace(config.export, bitrate_kbps=int(bitrate)))
    options = RenderOptions(
        voice=voice, output=output, cache_dir=None if no_cache else cache_dir, device=device, config=config, sign=not no_sign
    )
    if jobs:
        options.jobs = jobs
    if check or fix or retakes is not None:
        _render_checked(script, with_asr_model(options, asr_model), retakes, fix, max_wer, quiet, video)
        return
    with progress_bar(quiet, "Synthesising") as update:
        result = render_episode(script, options, update)
    if video:
        _video(result.output, quiet)
    if not quiet:
        s = result.synthesis
        minutes, seconds = divmod(round(result.duration), 60)
        click.echo(
            f"{result.output}: {minutes}:{seconds:02d}, {result.loudness.integrated_lufs:.1f} LUFS, "
            f"true peak {result.loudness.true_peak_dbtp:.1f} dBTP, {counted(result.chapters, 'chapter')}, "
            f"{counted(result.sentences, 'sentence')} ({s.synthesized} synthesised, {s.cached} cached)"
            + ("; watermarked" if result.watermarked else "")
        )


@main.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: the WER and every sentence's score.")
@click.option("--max-wer", type=WER, default=None, help="Exit with status 3 when the episode's WER is above this (0-1).")
@click.option(
    "--asr-model",
    default=None,
    help="Recogniser: a CTranslate2 Whisper folder or a model name (base.en, ...) [default: bundled tiny.en].",
)
def check(mp3, as_json, max_wer, asr_model):
    """Score every sentence of a rendered MP3 by forced alignment and flag those not said as written
    (EPISODE.vtt beside it gives their times and text). A check fails (exit 3) when the MP3 does not match its transcript."""
    import json

    from ..check.asr import keep_freed_memory, load_soon
    from ..config import CheckConfig

    keep_freed_memory()
    load_soon(asr_model or CheckConfig.asr_model, CheckConfig())  # loads while the rest is imported
    from ..check.listen import check_episode, format_table

    report = check_episode(mp3, model=asr_model)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        click.echo(format_table(report))
    _gate(report, max_wer, quiet=as_json)


@main.command()
@click.argument("script", type=click.Path(path_type=Path), required=False)
@click.option("--voice", help="Voice profile whose lexicon applies.")
@click.option("--changed-only", is_flag=True, help="Show only sentences the front end altered.")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON list of sentences: index, chapter, speaker, written, spoken, rules."
)
@click.option("--rules", "list_rules", is_flag=True, help="List the front end's rules in the order they fire, and stop.")
@show_option
def text(script, voice, changed_only, as_json, list_rules):
    """Show what will be spoken (spoken), what the transcript will hold (written), the
    pauses, and what changed each sentence."""
    if list_rules:
        if script is not None:
            raise click.UsageError("--rules lists the rules; give it without a SCRIPT")
        _list_rules()
        return
    if script is None:
        raise click.UsageError("give a SCRIPT, or --rules")
    from ..script.read import Pause
    from ..show import load_settings
    from ..stages import load_episode, show_config

    episode, _, _ = load_episode(script, voice, config=show_config(load_settings(script.parent)))
    if as_json:
        sentences = [
            (c.title, item) for c in episode.chapters for p in c.paragraphs for item in p.items if not isinstance(item, Pause)
        ]
        click.echo(
            json.dumps(
                [
                    {
                        "index": i,
                        "chapter": title,
                        "speaker": s.speaker,
                        "written": s.written,
                        "spoken": s.spoken,
                        "rules": s.fired,
                    }
                    for i, (title, s) in enumerate(sentences, 1)
                ],
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    # A cast's sentences name who says them, and in which voice (whose lexicon read them).
    voices = {name: profile.name for name, profile in episode.voices.items()} if episode.cast else {}
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
                if item.speaker in voices:
                    click.echo(f"     speaker: {item.speaker} ({voices[item.speaker]})")
                if item.fired:
                    click.echo(f"     rules:   {', '.join(item.fired)}")


def _list_rules() -> None:
    from ..text.rules import RULES

    # "parks": the rule's output is decided, later rules never re-read it.
    click.echo(f"{'':4} {'rule':<24} {'reads':<13} {'parks':<6} example (written -> spoken)")
    for i, rule in enumerate(RULES, 1):
        written, spoken = rule.example
        click.echo(f"{i:4d} {rule.name:<24} {rule.reads:<13} {'yes' if rule.park else 'no':<6} {written} -> {spoken}")


if __name__ == "__main__":  # pragma: no cover
    main()
