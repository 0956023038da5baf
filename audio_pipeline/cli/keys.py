"""`paperledge keys`: the signing key for Content Credentials (make it, show it)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import fail


@click.group("keys")
def keys_group() -> None:
    """The key that signs every MP3, M4A and MP4 with Content Credentials (C2PA)."""


@keys_group.command("init")
@click.option("--renew", is_flag=True, help="Make a new key and certificate even if there is one (the old one is gone).")
def keys_init(renew: bool) -> None:
    """Make the signing key (P-256) and its certificate chain in ~/.config/paperledge/signing/."""
    from ..credentials.keys import CHAIN_FILE, KEY_FILE, fingerprint_line, init_keys, load_key

    folder, made = init_keys(force=renew)
    key = load_key(folder / KEY_FILE, folder / CHAIN_FILE)
    click.echo(("made " if made else "already there (--renew makes a new one): ") + fingerprint_line(key))


@keys_group.command("show")
def keys_show() -> None:
    """Print the subject and fingerprint of the key renders sign with (the show's own, if show.toml names one)."""
    from ..credentials.keys import CHAIN_FILE, KEY_FILE, fingerprint_line, load_key, signing_dir
    from ..show import load_settings

    show = load_settings()
    if not show.sign:
        click.echo("show.toml says sign = false: renders write no Content Credentials")
    if show.signing_certificate and show.signing_key:
        key = load_key(Path(show.signing_key), Path(show.signing_certificate))
    elif not (signing_dir() / KEY_FILE).exists():
        fail(f"no signing key in {signing_dir()}; make one with paperledge keys init (a first render makes it too)")
    else:
        key = load_key(signing_dir() / KEY_FILE, signing_dir() / CHAIN_FILE)
    click.echo(fingerprint_line(key))
