"""`paperledge voices`, `assets`, `init` and `cache`: looking after the show folder and the cache."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEFAULT_ARTIST, DEFAULT_VOICE
from ..errors import PaperLedgeError
from ..files import counted
from .options import CACHE_DIR_HELP, cache_dir_default, show_option


@click.group()
@show_option
def voices() -> None:
    """Voice profiles."""


@voices.command("list")
def voices_list():
    """List the voice profiles: the show folder's voices/ first, then the bundled ones."""
    from ..show import voice_profiles
    from ..synthesis.voices import load_voice

    for name, found in voice_profiles().items():
        try:
            v = load_voice(name)
            click.echo(f"{name:16} {v.engine:8} {found.origin:8} {v.description}  [{found.path}]")
        except PaperLedgeError as e:
            click.echo(f"{name:16} {'-':8} {found.origin:8} (unusable: {e})  [{found.path}]")


@voices.command("preview")
@click.argument("names", nargs=-1)
@click.option("--text", "text", default=None, help="What each voice says [default: a short sample in the show's style].")
@click.option(
    "-o",
    "--output",
    "folder",
    type=click.Path(path_type=Path),
    default=Path("build/voices"),
    show_default=True,
    help="Folder for the samples (one NAME.wav per voice).",
)
def voices_preview(names, text, folder):
    """Say a short sample in each voice (default: every voice) into NAME.wav files to play
    side by side: the first thing to do when choosing a voice."""
    from ..audio.preview import PREVIEW_TEXT, preview
    from ..errors import RenderError
    from ..show import voice_profiles

    names = names or tuple(voice_profiles())
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create the folder {folder} ({e.strerror})") from None
    for name in names:
        stem = Path(name).stem if name.endswith(".toml") else name
        try:
            path = preview(name, folder / f"{stem}.wav", text if text is not None else PREVIEW_TEXT)
        except PaperLedgeError as e:
            if len(names) == 1:
                raise
            click.echo(f"{name}: skipped ({e})", err=True)  # one unusable voice does not stop the others
            continue
        click.echo(path)


@voices.command("make-reference")
@click.option("--voice", default=DEFAULT_VOICE, show_default=True, help="Profile whose voice is recorded.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="WAV to write [default: the show folder's voices/<voice>-reference.wav].",
)
def voices_make_reference(voice, output):
    """Record a reference clip of a voice, for engines that clone a speaker (XTTS)."""
    from ..audio.preview import make_reference
    from ..config import SHOW_VOICES
    from ..show import show_root

    if output is None:
        output = show_root() / SHOW_VOICES / f"{voice}-reference.wav"
        output.parent.mkdir(parents=True, exist_ok=True)
    path = make_reference(voice, output)
    click.echo(path)


@click.command("assets")
@click.option(
    "-o", "--output", "folder", type=click.Path(path_type=Path), default=None, help="Folder [default: the show folder's assets/]."
)
@show_option
def assets_cmd(folder):
    """Regenerate the show's intro/outro music and cover art (all made by code)."""
    from ..audio import assets

    for path in assets.generate(folder):
        click.echo(path)


@click.command("init")
@click.argument("folder")
@click.option("--title", help="The show's name [default: from the folder's name].")
@click.option("--artist", default=DEFAULT_ARTIST, show_default=True, help="The MP3s' artist: the voice listeners hear.")
def init_cmd(folder, title, artist):
    """Create a show folder: show.toml, a cover, a sample script and a README of the layout."""
    from .init import init_show

    if not folder.strip():
        raise PaperLedgeError("give the new show's folder, e.g. `paperledge init night-owls`")
    for path in init_show(Path(folder), title, artist):
        click.echo(path)
    click.echo(f"next: cd {folder} && paperledge render scripts/season-01/01-hello.md")


def _cache_root(f):
    """--cache-dir before or after the subcommand's name: `cache --cache-dir D info` or `cache info --cache-dir D`."""

    def pick(ctx, param, value):
        return value if value is not None else ctx.obj

    return click.option("--cache-dir", "root", type=click.Path(path_type=Path), default=None, callback=pick, help=CACHE_DIR_HELP)(
        f
    )


@click.group("cache")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None, callback=cache_dir_default, help=CACHE_DIR_HELP)
@click.pass_context
def cache_group(ctx, cache_dir) -> None:
    """The sentence audio cache: what it holds, keeping it small, emptying it."""
    ctx.obj = cache_dir


@cache_group.command("info")
@_cache_root
def cache_info_cmd(root):
    """Size, entries, and the voices (engines) they belong to."""
    import datetime as dt

    from ..synthesis.cache_admin import cache_info, format_size

    info = cache_info(root)
    click.echo(f"{info.root}: {counted(info.entries, 'entry', 'entries')}, {format_size(info.bytes)}")
    if info.entries:

        def when(t):
            return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")

        click.echo(f"last used between {when(info.oldest_use)} and {when(info.newest_use)}")
    for u in info.by_voice:
        click.echo(f"{u.entries:8d} {'entry  ' if u.entries == 1 else 'entries'}  {format_size(u.bytes):>10}  {u.label}")


@cache_group.command("prune")
@click.option("--max-size", required=True, help="Keep at most this much, e.g. 2G, 500M (K, M, G: powers of 1024).")
@_cache_root
def cache_prune_cmd(root, max_size):
    """Remove the least recently used entries until the cache fits MAX_SIZE. Safe while renders
    run: an entry used within the grace time (an hour) is kept."""
    from ..config import CACHE_PRUNE_GRACE_S
    from ..synthesis.cache_admin import format_size, parse_size, prune

    r = prune(root, parse_size(max_size))
    click.echo(
        f"{root}: removed {counted(r.removed, 'entry', 'entries')} ({format_size(r.freed)}); "
        f"{r.kept} left, {format_size(r.kept_bytes)}"
    )
    if r.kept_recent:
        click.echo(
            f"{counted(r.kept_recent, 'entry', 'entries')} used in the last {CACHE_PRUNE_GRACE_S / 60:g} minutes were kept "
            "although over the size: renders may be reading them"
        )


@cache_group.command("clear")
@_cache_root
def cache_clear_cmd(root):
    """Remove every entry. Renders running meanwhile may fail: stop them first."""
    from ..synthesis.cache_admin import clear, format_size

    r = clear(root)
    click.echo(f"{root}: removed {counted(r.removed, 'entry', 'entries')} ({format_size(r.freed)})")
