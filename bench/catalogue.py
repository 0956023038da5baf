"""A growing back catalogue: what one edit costs as the season grows (a benchmark, never a test).

One short episode (two sentences, the heart voice) is rendered for real; a catalogue of N
episodes is made of copies of it, each with its own script, name and title, recorded in the
season state as rendered. Then, at each N:

- `paperledge season` after a one-sentence edit of one episode (render, feed, validation),
  against `paperledge render` of that one episode alone after a one-sentence edit (goal: 1.5x);
- `paperledge validate` of the folder unchanged (goal: 0.5 s at 40 episodes).

And the show's eight published episodes as `make season` renders them: cold, then after a
one-sentence edit of one episode (goal: at most 0.05 of the cold season), in each voice.

`python bench/catalogue.py [N ...]` (default: 40 200 500); `python bench/catalogue.py eight`: only
the eight episodes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "scripts" / "published-2025"
sys.path.insert(0, str(ROOT))

from audio_pipeline.publish.season import STATE, input_stamp  # noqa: E402
from audio_pipeline.show import load_settings  # noqa: E402

CLI = [sys.executable, "-m", "audio_pipeline"]
SCRIPT = """---
title: Episode {n}
episode: {n}
date: 2025-06-01
voice: heart
description: A short one.
---

## Hello
Hello and welcome to the show.
{last}
"""
LAST = "Thanks for listening."
EDITED = "Thanks for listening, see you on {day}."  # a sentence no cache holds yet
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def run(*args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return took


def catalogue(work: Path, n: int, cache: Path) -> tuple[Path, Path]:
    """A season of n episodes and its output folder, every one rendered (copies of the first)."""
    season, out = work / f"season-{n}", work / f"out-{n}"
    season.mkdir()
    for i in range(1, n + 1):
        (season / f"{i:04d}-episode.md").write_text(SCRIPT.format(n=i, last=LAST), encoding="utf-8")
    first = season / "0001-episode.md"
    run("render", str(first), "-o", str(out / "0001-episode.mp3"), "--cache-dir", str(cache), "-q")
    show = load_settings(season)
    state = {first.name: input_stamp(first, None, show)}
    for i in range(2, n + 1):
        name = f"{i:04d}-episode"
        for suffix in (".mp3", ".vtt", ".srt", ".chapters.json"):
            shutil.copyfile(out / f"0001-episode{suffix}", out / f"{name}{suffix}")
        state[f"{name}.md"] = input_stamp(season / f"{name}.md", None, show)
    (out / STATE).write_text(json.dumps(state), encoding="utf-8")
    run("season", str(season), "-o", str(out), "--cache-dir", str(cache), "-q")  # feed, ledger, verdicts
    return season, out


def make_season(season: Path, out: Path, voice: str, cache: Path) -> float:
    """`make season` of `season` into `out` in `voice`, with its own sentence cache: seconds."""
    env = {**os.environ, "PAPERLEDGE_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run(
        ["make", "-s", "season", f"SEASON={season}", f"OUT={out}", f"VOICE={voice}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    took = time.perf_counter() - start
    if proc.returncode:
        sys.exit(f"make season failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return took


def eight_episodes(work: Path) -> None:
    """The eight published episodes: `make season` cold, then after one sentence of one episode changed."""
    print("== the eight published episodes: make season cold, then after a one-sentence edit (goal: 0.05) ==")
    for voice in ("heart", "ernis"):
        season, out, cache = work / f"eight-{voice}", work / f"eight-{voice}-out", work / f"eight-{voice}-cache"
        shutil.copytree(PUBLISHED, season)
        cold = make_season(season, out, voice, cache)
        script = sorted(season.glob("*.md"))[3]
        text = script.read_text(encoding="utf-8")
        heading = text.index("\n## ")  # one sentence more at the end of the first chapter's first paragraph
        end = text.index("\n\n", text.index("\n", heading + 1) + 1)
        script.write_text(text[:end] + " Here is one new sentence, just for today." + text[end:], encoding="utf-8")
        edit = make_season(season, out, voice, cache)
        print(f"{voice:6} cold {cold:7.1f} s   after the edit {edit:6.1f} s   {edit / cold:.3f} of cold", flush=True)


def main() -> None:
    if sys.argv[1:] == ["eight"]:
        with tempfile.TemporaryDirectory(prefix="catalogue-") as tmp:
            eight_episodes(Path(tmp))
        return
    sizes = [int(a) for a in sys.argv[1:]] or [40, 200, 500]
    with tempfile.TemporaryDirectory(prefix="catalogue-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "cache"
        alone = work / "alone.md"
        alone.write_text(SCRIPT.format(n=1, last=LAST), encoding="utf-8")
        run("render", str(alone), "-o", str(work / "alone.mp3"), "--cache-dir", str(cache), "-q")
        alone.write_text(SCRIPT.format(n=1, last=EDITED.format(day=DAYS[0])), encoding="utf-8")
        single = run("render", str(alone), "-o", str(work / "alone.mp3"), "--cache-dir", str(cache), "-q")
        print(f"render of one episode after a one-sentence edit: {single:.2f} s")
        print(f"{'episodes':>8}  {'season after edit':>17}  {'x render':>8}  {'validate unchanged':>18}")
        for k, n in enumerate(sizes, 1):
            season, out = catalogue(work, n, cache)
            script = season / f"{n // 2:04d}-episode.md"
            script.write_text(SCRIPT.format(n=n // 2, last=EDITED.format(day=DAYS[k % len(DAYS)])), encoding="utf-8")
            edit = run("season", str(season), "-o", str(out), "--cache-dir", str(cache), "-q")
            check = run("validate", str(out), "-q")
            print(f"{n:>8}  {edit:>15.2f} s  {edit / single:>7.2f}x  {check:>16.2f} s", flush=True)
            shutil.rmtree(season)
            shutil.rmtree(out)
        if not sizes or sys.argv[1:] == []:
            eight_episodes(work)


if __name__ == "__main__":
    main()
