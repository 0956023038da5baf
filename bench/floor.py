"""A render against its floor (part of `make bench`; alone: `python bench/bench.py floor`).

The floor of any render is what it cannot avoid: synthesising its spoken sentences (in a
fresh process, the model load included) and one MP3 encode of that audio at the same
bitrate. For the sample episode and a 30-minute script, with each bundled voice, this
prints the render's wall time, the floor timed in the same run, their ratio, the peak
memory of the largest process, and where the render's own time went (its stage timings).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
PUBLISHED = ROOT / "scripts" / "published-2025"
LONG_WORDS = 30 * 150
"""A 30-minute script: about 150 spoken words a minute."""

# Bare synthesis as a user of the engine would write it, in a fresh interpreter: the
# engine loaded once, every sentence synthesised in order, the audio written raw for ffmpeg.
_BARE = """
import sys, time
import numpy as np
from pathlib import Path
start = time.perf_counter()
from audio_pipeline.stages import load_episode
from audio_pipeline.synthesis.engines.base import create_engine
episode, profile, _ = load_episode(Path(sys.argv[1]), sys.argv[2])
texts = [s.spoken for s in episode.sentences()]
t_load = time.perf_counter()
engine = create_engine(profile.engine, profile.engine_params)
with open(sys.argv[3], "wb") as out:
    for t in texts:
        out.write(np.asarray(engine.synthesize(t), dtype="<f4").tobytes())
print(engine.sample_rate, time.perf_counter() - start, time.perf_counter() - t_load)
"""

# The render in a fresh interpreter, as `paperledge render --no-cache` runs it, printing
# its own stage timings; the peak memory is that of its largest process.
_RENDER = """
import json, resource, sys, time
start = time.perf_counter()
from pathlib import Path
from audio_pipeline.render import RenderOptions, render
options = RenderOptions(voice=sys.argv[2], output=Path(sys.argv[3]), cache_dir=None)
if int(sys.argv[4]):
    options.jobs = int(sys.argv[4])
r = render(Path(sys.argv[1]), options)
wall = time.perf_counter() - start
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"wall": wall, "peak_mb": peak // 1024, "timings": r.timings, "audio_s": r.duration}))
"""


def _python(code: str, *args: str) -> str:
    p = subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"bench floor: {p.stderr.strip()[-800:]}")
    return p.stdout.strip().splitlines()[-1]


def floor_seconds(script: Path, voice: str, work: Path) -> tuple[float, float, float]:
    """(floor, synthesis with model load, encode) in seconds."""
    raw = work / f"{script.stem}-{voice}.f32"
    rate, synth, _ = _python(_BARE, script, voice, raw).split()
    from audio_pipeline.audio.ffmpeg import ffmpeg_exe
    from audio_pipeline.config import ExportConfig

    start = time.perf_counter()
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "f32le",
            "-ar",
            rate,
            "-ac",
            "1",
            "-i",
            str(raw),
            "-ar",
            "44100",
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{ExportConfig().bitrate_kbps}k",
            str(work / "floor.mp3"),
        ],
        check=True,
    )
    encode = time.perf_counter() - start
    raw.unlink()
    return float(synth) + encode, float(synth), encode


def long_script(work: Path) -> Path:
    """About 30 minutes of the show's own episodes, end to end, cut at a paragraph."""
    bodies, words = [], 0
    for script in sorted(PUBLISHED.glob("*.md")):
        for para in re.sub(r"(?s)^---.*?---\n", "", script.read_text(encoding="utf-8")).split("\n\n"):
            if words >= LONG_WORDS:
                break
            bodies.append(para)
            words += len(para.split()) if not para.lstrip().startswith("#") else 0
    path = work / "thirty-minutes.md"
    path.write_text("---\ntitle: Thirty minutes\n---\n" + "\n\n".join(bodies) + "\n", encoding="utf-8")
    return path


def voices() -> list[str]:
    from audio_pipeline.synthesis.voices import available_voices

    return [v for v in ("ernis", "heart") if v in available_voices()]


def main(work: Path | None = None, sample_only: bool = False, runs_each: int = 3) -> None:
    work = work or Path(tempfile.mkdtemp(prefix="paperledge-floor-"))
    print("== a render against its floor (bare synthesis with the model load + one MP3 encode) ==")
    print(f"   the sample: each render and its floor timed {runs_each} times, in turn; the run with the median ratio is shown")
    # The sample with one synthesis worker (a one-core machine, a container, a small CI runner)
    # and with the default (one per core); the long script with the default, once.
    runs = [(SAMPLE, 1), (SAMPLE, 0)] + ([] if sample_only else [(long_script(work), 0)])
    for script, jobs in runs:
        for voice in voices():
            # One run of this 2-core machine swings by a tenth either way: render and floor are
            # timed in turn, several times, and the pair with the median ratio is reported.
            tries = []
            for _ in range(runs_each if script == SAMPLE else 1):
                result = json.loads(_python(_RENDER, script, voice, work / f"{script.stem}-{voice}.mp3", jobs))
                floor, synth, encode = floor_seconds(script, voice, work)
                tries.append((result["wall"] / floor, result, floor, synth, encode))
            tries.sort(key=lambda t: t[0])
            ratio, result, floor, synth, encode = tries[len(tries) // 2]
            spread = f" (of {len(tries)}: {tries[0][0]:.2f}-{tries[-1][0]:.2f})" if len(tries) > 1 else ""
            stages = ", ".join(f"{k} {v:.2f}" for k, v in result["timings"].items() if k != "total")
            print(
                f"{script.stem[:22]:22} jobs {jobs or 'default':7} {voice:6} audio {result['audio_s'] / 60:5.1f} min  "
                f"render {result['wall']:6.1f} s  "
                f"floor {floor:6.1f} s (synthesis {synth:.1f} + encode {encode:.1f})  ratio {ratio:.2f}{spread}  "
                f"peak {max(t[1]['peak_mb'] for t in tries)} MB"
            )
            print(f"{'':36}stages (s): {stages}; imports and start-up {result['wall'] - result['timings']['total']:.2f}")


if __name__ == "__main__":
    main(sample_only="sample" in sys.argv[1:])
