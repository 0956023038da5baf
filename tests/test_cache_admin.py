"""`paperledge cache info | prune | clear`, and where the cache lives when nobody says."""

from __future__ import annotations

import os
import re
import time

import pytest

from audio_pipeline.config import default_cache_dir
from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.synthesis.cache_admin import parse_size

from .conftest import render_result, run_cli

SCRIPT = """---
title: Cache
---
## One
The first sentence is here. The second one follows it.

## Two
A third sentence closes the chapter. And a fourth to finish.
"""


def _entries(cache):
    return sorted(cache.rglob("*.pcm"))


def test_cache_folder_precedence(monkeypatch, tmp_path):
    """--cache-dir aside: PAPERLEDGE_CACHE_DIR, then $XDG_CACHE_HOME, then ~/.cache."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PAPERLEDGE_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "paperledge"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: only absolute paths count
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "paperledge"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "paperledge"
    monkeypatch.setenv("PAPERLEDGE_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def test_sizes_are_read_as_powers_of_1024():
    assert parse_size("2G") == 2 * 1024**3
    assert parse_size("500M") == 500 * 1024**2
    assert parse_size("1.5GiB") == int(1.5 * 1024**3)
    assert parse_size("0") == 0
    with pytest.raises(PaperLedgeError):
        parse_size("two gigs")


@pytest.mark.slow
def test_default_cache_is_in_xdg_cache_home_and_the_environment_overrides_it(tmp_path):
    (tmp_path / "ep.md").write_text(SCRIPT, encoding="utf-8")
    xdg, named = tmp_path / "xdg", tmp_path / "named"
    env = {"XDG_CACHE_HOME": str(xdg), "PAPERLEDGE_CACHE_DIR": None}
    proc = run_cli("render", "ep.md", "-o", "a.mp3", cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert len(_entries(xdg / "paperledge")) == 4
    info = run_cli("cache", "info", cwd=tmp_path, env=env)
    assert info.stdout.startswith(f"{xdg / 'paperledge'}: 4 entries"), info.stdout
    proc = run_cli("render", "ep.md", "-o", "a.mp3", cwd=tmp_path, env={**env, "PAPERLEDGE_CACHE_DIR": str(named)})
    assert proc.returncode == 0, proc.stderr
    assert len(_entries(named)) == 4, "every sentence synthesised again into the named cache"
    assert not (tmp_path / ".cache").exists(), "nothing cached in the current folder"


@pytest.mark.slow
def test_info_prune_and_clear(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    (tmp_path / "ep.md").write_text(SCRIPT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the show folder: nothing of the checkout's
    monkeypatch.delenv("PAPERLEDGE_SHOW", raising=False)

    def synthesised() -> int:
        """Render; how many sentences were synthesised (the rest came from the cache)."""
        return render_result(tmp_path / "ep.md", tmp_path / "ep.mp3", cache).synthesis.synthesized

    assert synthesised() == 4
    info = run_cli("cache", "--cache-dir", cache, "info")
    assert info.returncode == 0, info.stderr
    assert f"{cache}: 4 entries" in info.stdout
    assert re.search(r"^\s+4 entries .* ernis \(piper\)$", info.stdout, re.M), info.stdout

    # A render that is served an entry marks it used: last use, not creation, decides what goes.
    entries = _entries(cache)
    hour = 3600
    for age, path in enumerate(entries):
        os.utime(path, (time.time() - (5 + age) * hour,) * 2)
    assert synthesised() == 0
    assert all(time.time() - p.stat().st_mtime < 600 for p in entries), "served entries were touched"

    # Least recently used first; entries[0] is made the newest.
    for age, path in enumerate(entries):
        os.utime(path, (time.time() - (2 + age) * hour,) * 2)
    keep = entries[0].stat().st_size
    pruned = run_cli("cache", "--cache-dir", cache, "prune", "--max-size", str(keep))
    assert pruned.returncode == 0, pruned.stderr
    assert "removed 3 entries" in pruned.stdout
    assert _entries(cache) == [entries[0]]
    assert synthesised() == 3, "exactly the pruned sentences are synthesised again"

    # Entries used within the last hour stay, whatever the size: a render may be about to read them.
    recent = run_cli("cache", "--cache-dir", cache, "prune", "--max-size", "0")
    assert "removed 0 entries" in recent.stdout and "kept" in recent.stdout
    assert len(_entries(cache)) == 4

    (cache / "notes.txt").write_text("mine", encoding="utf-8")
    cleared = run_cli("cache", "clear", "--cache-dir", cache)  # after the name works too
    assert cleared.returncode == 0 and "removed 4 entries" in cleared.stdout
    assert _entries(cache) == []
    assert (cache / "notes.txt").read_text(encoding="utf-8") == "mine", "clear removes only cache entries"
    assert "0 entries" in run_cli("cache", "--cache-dir", cache, "info").stdout


def test_a_bad_size_is_one_line():
    proc = run_cli("cache", "prune", "--max-size", "lots")
    assert proc.returncode == 1 and "lots" in proc.stderr and "Traceback" not in proc.stderr
