"""`paperledge detect AUDIO`: whether a file carries the show's inaudible mark.

Exit status 0 when it does, 3 when it does not, 1 when the file cannot be read as audio.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.argument("audio", type=click.Path(path_type=Path))
def detect(audio):
    """Look for the inaudible AI-content mark in AUDIO (any file ffmpeg decodes): exit 0 when
    it is there, 3 when it is not."""
    from ..audio.watermark import detect_file

    found = detect_file(audio)
    if found is None:
        click.echo(f"{audio}: no mark found")
        sys.exit(3)
    click.echo(
        f"{audio}: marked as synthetic speech (PerthNet mark in {found.windows} of {found.heard} windows "
        f"with sound, score {found.score:.2f}); the mark carries no ids: the show and episode are in the "
        f"signed credentials"
    )
