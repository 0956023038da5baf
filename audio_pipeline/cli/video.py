"""`paperledge video` (the episode's MP4 and YouTube description) and `paperledge clip`."""

from __future__ import annotations

from pathlib import Path

import click

from .options import progress_bar


def _progress(display):
    """A callback that moves the bar by seconds of video encoded."""
    if display.bar is None:
        return None
    return lambda done, total: display.bar.update(display.task, completed=done, total=total, detail=f"{done:.0f}/{total:.0f} s")


def _say(result, quiet: bool) -> None:
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if quiet:
        return
    minutes, seconds = divmod(round(result.duration_s), 60)
    extra = f"; {result.youtube_txt.name}" if result.youtube_txt else ""
    click.echo(f"{result.mp4}: {minutes}:{seconds:02d}, {result.bytes / 1e6:.1f} MB{extra}")


@click.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="MP4 to write [default: beside the MP3, EPISODE.mp4].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary (notes still show).")
def video(mp3, output, quiet):
    """Make EPISODE.mp4 (1920x1080, captioned, chaptered) and EPISODE.youtube.txt from a
    rendered MP3 and its transcript and chapters beside it."""
    from ..video.episode import make_video

    with progress_bar(quiet, "Video") as display:
        result = make_video(mp3, output, progress=_progress(display))
    _say(result, quiet)


@click.command()
@click.argument("mp3", type=click.Path(path_type=Path))
@click.option("--from", "start", metavar="T", help="Start: seconds, M:SS or H:MM:SS (the sentence holding it starts the clip).")
@click.option("--to", "end", metavar="T", help="End: seconds, M:SS or H:MM:SS (the sentence holding it ends the clip).")
@click.option(
    "--vertical", "shape", flag_value="vertical", default=True, help="1080x1920, for Shorts, Reels and TikTok [default]."
)
@click.option("--square", "shape", flag_value="square", help="1080x1080.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="MP4 to write [default: EPISODE.clip-MmSSs-SHAPE.mp4 beside the MP3]."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def clip(mp3, start, end, shape, output, quiet):
    """Make a captioned clip of at most a minute from a rendered MP3 (without --from and
    --to: the episode's soundbite)."""
    from ..video.clip import make_clip, parse_time

    a = parse_time(start, "--from") if start is not None else None
    b = parse_time(end, "--to") if end is not None else None
    with progress_bar(quiet, "Clip") as display:
        result = make_clip(mp3, a, b, shape=shape, out=output, progress=_progress(display))
    _say(result, quiet)
