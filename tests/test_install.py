"""The package as a user installs it: the built wheel in a fresh virtual environment (not
editable), run from an empty folder far from this checkout.

Slow (it builds the wheel and installs every dependency); PAPERLEDGE_INSTALL_PYTHON picks
the interpreter the environment is made with (default: the one running the tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audio_pipeline import __version__

from .conftest import ROOT, ffprobe

pytestmark = [pytest.mark.slow, pytest.mark.install]

PYTHON = os.environ.get("PAPERLEDGE_INSTALL_PYTHON", sys.executable)

SCRIPT = """---
title: From Anywhere
season: 1
episode: 4
authors: [Ada One, Ben Two]
---
## Hello
An installed tool renders this from an empty folder.

## Goodbye
Nothing lands here but the episode.
"""


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(paperledge executable, environment) from the wheel `python -m build` makes of this checkout."""
    base = tmp_path_factory.mktemp("install")
    # Built from a copy: a build writes build/ and *.egg-info beside its sources.
    src = base / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "dist", ".cache", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis"
        ),
    )
    dist = base / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "-o", dist, src])
    wheel = next(dist.glob("paperledge_audio-*.whl"))
    venv = base / "venv"
    _run([PYTHON, "-m", "venv", venv])
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel])
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERLEDGE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(base / "xdg-cache"))
    return venv / "bin" / "paperledge", env, base


def test_installed_version(installed):
    exe, env, _ = installed
    assert _run([exe, "--version"], env=env).stdout.strip() == f"paperledge, version {__version__}"


def test_installed_voices_come_from_the_package_not_the_checkout(installed, tmp_path):
    exe, env, base = installed
    listed = _run([exe, "voices", "list"], env=env, cwd=tmp_path).stdout
    ernis = next(line for line in listed.splitlines() if line.startswith("ernis "))
    assert " bundled " in ernis and str(base / "venv") in ernis and str(ROOT) not in ernis


def test_render_from_an_empty_folder_writes_only_the_episode_there(installed, tmp_path):
    exe, env, base = installed
    work = tmp_path / "empty"
    work.mkdir()
    (work / "ep.md").write_text(SCRIPT, encoding="utf-8")
    _run([exe, "render", "ep.md", "-q"], env=env, cwd=work)

    written = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    assert written == ["build", "build/ep.chapters.json", "build/ep.mp3", "build/ep.srt", "build/ep.vtt", "ep.md"]
    info = ffprobe(work / "build" / "ep.mp3")
    assert [c["tags"]["title"] for c in info["chapters"]] == ["Hello", "Goodbye"]
    tags = {k.lower(): v for k, v in info["format"]["tags"].items()}
    assert tags["artist"] == "Ernis" and tags["album"] == "PaperLedge, Season 1"
    assert any(s["codec_type"] == "video" for s in info["streams"]), "the bundled cover is attached"
    cache = Path(env["XDG_CACHE_HOME"]) / "paperledge"
    assert len(list(cache.rglob("*.pcm"))) == 3, "two sentences and the credits, cached in $XDG_CACHE_HOME"


def test_the_wheel_ships_its_type_information(installed):
    """py.typed (PEP 561): a program that imports the package gets its annotations checked."""
    _, _, base = installed
    import zipfile

    wheel = next((base / "dist").glob("paperledge_audio-*.whl"))
    assert "audio_pipeline/py.typed" in zipfile.ZipFile(wheel).namelist()
