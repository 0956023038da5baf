"""`paperledge studio`: hear, fix, retake, render and approve an episode in the browser."""

from __future__ import annotations

import html
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import click

from ..config import DEFAULT_OUTPUT_DIR
from ..errors import PaperLedgeError
from .options import show_option


def _port(wanted: int) -> int:
    """`wanted` if it is free on 127.0.0.1 (0: any free port)."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            raise PaperLedgeError(f"port {wanted} on 127.0.0.1 is in use; choose another --port, or leave it out") from None
        return s.getsockname()[1]


def _open_privately(url: str, folder: Path) -> None:
    """Open `url` in the browser through a file only this user can read: a browser started
    with the address on its command line would show the token to every local user (/proc)."""
    import webbrowser

    page = folder / "open-studio.html"
    target = html.escape(url, quote=True)
    page.write_text(
        f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={target}">'
        f'<title>PaperLedge studio</title><a href="{target}">Open the studio</a>\n',
        encoding="utf-8",
    )
    page.chmod(0o600)
    webbrowser.open(page.as_uri())


@click.command()
@click.argument("target", metavar="SCRIPT|SEASON_DIR", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder of the rendered episodes [default: build/ for a script, build/<season folder name> for a season].",
)
@click.option("--voice", help="Voice profile (overrides the script's).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port on 127.0.0.1 [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Sentence cache folder [default: as render's].")
@show_option
def studio(target, out_dir, voice, port, no_browser, cache_dir):
    """Open SCRIPT (or a SEASON_DIR's episodes) in the studio: a page on 127.0.0.1 to hear every
    sentence, fix its text or a word, choose takes, render and approve. Ctrl-C stops it."""
    try:
        from ..studio.app import address, allow_hosts, create_app
        from ..studio.server import make_server
    except ImportError:
        raise PaperLedgeError("the studio needs the [studio] extra: pip install 'paperledge-audio[studio]'") from None
    from ..studio.state import Studio

    if target.is_dir():
        from ..publish.season import episode_scripts

        scripts = episode_scripts(target)
        out_dir = out_dir or DEFAULT_OUTPUT_DIR / target.resolve().name
    elif target.is_file():
        scripts, out_dir = [target], out_dir or DEFAULT_OUTPUT_DIR
    else:
        raise PaperLedgeError(f"{target}: no such script or season folder")
    app = create_app(Studio(scripts, out_dir, cache_dir, voice))
    port = _port(port)
    allow_hosts(app, port)
    url = address(app, port)  # holds a fresh token: every request needs it, as Jupyter's does
    server = make_server(app, port)

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            click.echo(f"studio: {url} (Ctrl-C stops it)", err=False)
            if not no_browser:
                _open_privately(url, private)

    private = Path(tempfile.mkdtemp(prefix="paperledge-studio-"))  # 0700: this user's only
    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run()  # on Ctrl-C (or SIGTERM) uvicorn finishes the requests under way, then raises the signal again
    except KeyboardInterrupt:
        pass
    except SystemExit:  # uvicorn could not start (it has said why)
        pass
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if not server.started:
        raise PaperLedgeError(f"could not listen on 127.0.0.1:{port}; choose another --port")
    click.echo("studio: stopped")
