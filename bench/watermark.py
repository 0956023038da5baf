"""The inaudible mark against issue 29's goals (a benchmark, never a test).

Two published scripts rendered with each bundled voice (ernis on Piper, heart on hibari) at
320 kbps stand in for the mastered samples. Ten 20-second windows of each render are marked
with audio_pipeline.audio.watermark (40 marked excerpts) and put through real ffmpeg:
  the MP3 itself (128 kbps); metadata stripped and re-encoded at 96 kbps; AAC 64 kbps;
  Opus 32 kbps; a 10 s excerpt; +6 dB and -6 dB of gain; mixed under the intro music.
Goal: at least 95 % found after each. Then 40 unmarked files (the same windows unmarked,
the intro and outro music, silence, noise): goal 0 found. PESQ (wideband, 16 kHz) between
marked and unmarked voice: goal at least 4.3. Cost: seconds of marking per minute of audio
against the render's own seconds per minute: goal at most +10 %.

Needs the `watermark` extra and the `pesq` package.
`.venv/bin/python bench/watermark.py [quick]`: `quick` takes three windows per render.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audio_pipeline.audio.assets import INTRO, OUTRO  # noqa: E402
from audio_pipeline.audio.ffmpeg import ffmpeg_exe  # noqa: E402
from audio_pipeline.audio.watermark import detect_file, marked_blocks, missing  # noqa: E402
from audio_pipeline.show import find_asset  # noqa: E402

RATE = 44_100
SCRIPTS = [ROOT / "scripts/published-2025/08-skillflow.md", ROOT / "scripts/published-2025/06-feabench.md"]
VOICES = ["heart", "ernis"]
SURVIVE, PESQ_MIN, COST = 0.95, 4.3, 0.10


def ff(*args, stdin: bytes | None = None) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", *map(str, args)], input=stdin, capture_output=True, check=True
    ).stdout


def decode(path: Path) -> np.ndarray:
    return np.frombuffer(ff("-i", path, "-f", "f32le", "-ac", "1", "-ar", RATE, "-"), "<f4").copy()


def write(samples: np.ndarray, dest: Path, *codec) -> Path:
    ff("-f", "f32le", "-ar", RATE, "-ac", "1", "-i", "-", *codec, dest, stdin=samples.astype("<f4").tobytes())
    return dest


MP3 = ("-c:a", "libmp3lame", "-b:a", "128k")


def transformed(mp3: Path, music: Path) -> dict[str, Path]:
    """The marked MP3 through each transformation the goal names."""
    out, stem = {"mp3": mp3}, mp3.with_suffix("")
    steps = {
        "strip+96k": (["-map_metadata", "-1", "-c:a", "libmp3lame", "-b:a", "96k"], ".96.mp3"),
        "aac 64k": (["-c:a", "aac", "-b:a", "64k"], ".m4a"),
        "opus 32k": (["-c:a", "libopus", "-b:a", "32k"], ".opus"),
        "10 s cut": (["-ss", "3.37", "-t", "10", *MP3], ".cut.mp3"),
        "+6 dB": (["-af", "volume=6dB", *MP3], ".up.mp3"),
        "-6 dB": (["-af", "volume=-6dB", *MP3], ".down.mp3"),
    }
    for name, (args, suffix) in steps.items():
        out[name] = Path(f"{stem}{suffix}")
        ff("-i", mp3, *args, out[name])
    out["under music"] = Path(f"{stem}.mix.mp3")
    ff(
        "-i",
        mp3,
        "-stream_loop",
        "-1",
        "-i",
        music,
        "-filter_complex",
        "[1:a]volume=-12dB[m];[0:a][m]amix=inputs=2:duration=first:normalize=0",
        *MP3,
        out["under music"],
    )
    return out


def pesq_wb(clean: np.ndarray, marked: np.ndarray) -> float:
    from pesq import pesq

    a, b = resample_poly(clean, 160, 441), resample_poly(marked, 160, 441)
    return float(pesq(16_000, a, b, "wb"))


def main() -> None:
    if why := missing():
        sys.exit(f"bench/watermark.py: {why}")
    per = 3 if "quick" in sys.argv[1:] else 10
    work = Path(tempfile.mkdtemp(prefix="paperledge-watermark-"))
    music = find_asset(INTRO).path
    renders, render_s, render_min = [], 0.0, 0.0
    # The renders are the unmarked voice: a folder of their own whose show.toml turns the
    # render's own mark off (with the extra installed, every render would carry it).
    season = work / "unmarked"
    season.mkdir()
    (season / "show.toml").write_text("watermark = false\n", encoding="utf-8")
    for voice in VOICES:
        for original in SCRIPTS:
            script = season / original.name
            script.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
            mp3 = work / f"{voice}-{script.stem}.mp3"
            t = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "audio_pipeline.cli",
                    "render",
                    script,
                    "-o",
                    mp3,
                    "--voice",
                    voice,
                    "--bitrate",
                    "320",
                    "-q",
                    "--cache-dir",
                    work / "cache",
                ],
                check=True,
                cwd=ROOT,
            )
            render_s += time.perf_counter() - t
            samples = decode(mp3)
            render_min += samples.size / RATE / 60
            renders.append((voice, samples))
    found: dict[str, list[bool]] = {}
    pesqs, mark_s, mark_min, clean = [], 0.0, 0.0, []
    for r, (_voice, samples) in enumerate(renders):
        step = max(20 * RATE, (samples.size - 25 * RATE) // per)
        for k in range(per):
            x = samples[5 * RATE + k * step :][: 20 * RATE]
            if x.size < 20 * RATE:
                continue
            t = time.perf_counter()
            y = np.concatenate(list(marked_blocks([x[i : i + 4096] for i in range(0, x.size, 4096)], RATE)))
            mark_s += time.perf_counter() - t
            mark_min += x.size / RATE / 60
            pesqs.append(pesq_wb(x, y))
            clean.append(write(x, work / f"plain{r}-{k}.mp3", *MP3))
            for name, path in transformed(write(y, work / f"marked{r}-{k}.mp3", *MP3), music).items():
                found.setdefault(name, []).append(detect_file(path) is not None)
    # 40 unmarked files: voice windows, both pieces of music, silence and noise
    rng = np.random.default_rng(29)
    extra = [
        find_asset(INTRO).path,
        find_asset(OUTRO).path,
        write(np.zeros(20 * RATE), work / "silence.mp3", *MP3),
        *(write(rng.standard_normal(20 * RATE) * a, work / f"noise{a}.mp3", *MP3) for a in (0.01, 0.1)),
    ]
    negatives = clean[: 40 - len(extra)] + extra
    alarms = sum(detect_file(p) is not None for p in negatives)
    cost = (mark_s / mark_min) / (render_s / render_min)
    print(f"{'transformation':16s} found   goal >= {SURVIVE:.0%}")
    for name, hits in found.items():
        rate = sum(hits) / len(hits)
        print(f"{name:16s} {sum(hits):2d}/{len(hits):2d}   {'ok' if rate >= SURVIVE else 'MISSED'}")
    print(f"false positives  {alarms}/{len(negatives)}   {'ok' if alarms == 0 else 'MISSED'} (goal 0)")
    print(
        f"PESQ wideband    min {min(pesqs):.2f}, mean {np.mean(pesqs):.2f}   "
        f"{'ok' if min(pesqs) >= PESQ_MIN else 'MISSED'} (goal >= {PESQ_MIN})"
    )
    print(
        f"cost             {mark_s / mark_min:.2f} s per audio minute against the render's "
        f"{render_s / render_min:.2f}: +{cost:.0%}   {'ok' if cost <= COST else 'MISSED'} (goal <= +{COST:.0%})"
    )


if __name__ == "__main__":
    main()
