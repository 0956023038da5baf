"""What a render may write, and where: the output's folder made and writable, and nothing
destroyed on the way (the script, a file this tool did not write, anything not a regular file).
Checked in the prepare stage, before any audio is made."""

from __future__ import annotations

from pathlib import Path

from ..errors import RenderError
from ..files import reason, temp_beside
from .export import written_by_us
from .sidecars import all_sidecar_paths


def check_outputs(script: Path, output: Path) -> None:
    """Refuse an output that would destroy something: the script itself, a file this
    tool did not write, anything that is not a regular file, or a name the file
    system cannot hold. (The outputs are the MP3 and its two sidecars.)"""
    if output.suffix.lower() != ".mp3":
        raise RenderError(f"output {output} must end in .mp3 (its transcript and chapters are written beside it)")
    outputs = [output, *all_sidecar_paths(output)]
    for path in outputs:
        if len(path.name.encode("utf-8")) > 255:
            raise RenderError(
                f"output name {output.name[:40]}... is too long: with {path.name.removeprefix(output.stem)!r} it passes the "
                "file system's 255 bytes; choose a shorter -o"
            )
        try:
            same = path.exists() and script.exists() and path.samefile(script)
        except OSError:
            same = False
        if same:
            raise RenderError(f"output {path} is the script itself; choose another -o")
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise RenderError(f"{path} exists and is not a regular file; refusing to replace it, choose another -o")
        if path.is_file() and path.stat().st_size and not written_by_us(path):
            raise RenderError(f"{path} exists and was not written by paperledge; move it away or choose another -o")


def check_output_folder(output: Path) -> None:
    """The output's folder, made as `mkdir -p` would (`-o out/ep.mp3` in a fresh checkout)."""
    folder = output.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create the output folder {folder} ({reason(e)})") from None
    if not folder.is_dir():
        raise RenderError(f"output folder {folder} is not a folder; choose another -o")
    if output.is_dir():
        raise RenderError(f"output {output} is a folder; give a file name ending in .mp3")
    temp_beside(output, ".check.part").unlink()  # raises a RenderError naming the folder if unwritable
