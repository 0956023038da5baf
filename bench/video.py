"""The episode video's cost against the audio render (a benchmark, never a test).

1. The sample episode rendered with ernis (no cache), then `paperledge video` of it:
   wall and CPU seconds of each, the ratio (goal: at most 1.0), and the video's peak memory.
2. The long script (the eight real episodes as one, about half an hour), the same (goal:
   at most 0.5).
Where the time goes: drawing the distinct stills (Pillow, PNG), and ffmpeg (the concat
demuxer, the fps filter and overlay, libx264, AAC).

`.venv/bin/python bench/video.py [sample]`: `sample` skips the long script.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from audio_pipeline.video.encode import scenes  # noqa: E402
from audio_pipeline.video.frames import WIDE, Painter  # noqa: E402
from audio_pipeline.video.source import read_source  # noqa: E402
from bench import CLI, PAGE, SAMPLE, cpu_timed, long_script_of  # noqa: E402

# The goals of issue 28: the video's cost over the audio render's, and the peak memory (MB).
GOALS = {"sample": 1.0, "long": 0.5}
PEAK_MB = 350


def drawing_seconds(mp3: Path, work: Path) -> tuple[int, float]:
    """(distinct stills, seconds to draw and save them) for the video of `mp3`."""
    source = read_source(mp3)
    painter = Painter(WIDE, source.cover, source.title, source.album)
    shown = scenes(source, 0.0, source.duration_s)
    keys = list(dict.fromkeys((s.chapter, s.speaker, s.caption) for s in shown))
    start = time.perf_counter()
    for n, key in enumerate(keys):
        painter.still(*key).save(work / f"still{n}.png", compress_level=1)
    return len(keys), time.perf_counter() - start


def one(name: str, script: Path, work: Path) -> None:
    mp3 = work / f"{name}.mp3"
    r_wall, r_cpu, r_peak, _ = cpu_timed([*CLI, "render", str(script), "-o", str(mp3), "--voice", "ernis", "--no-cache", "-q"])
    v_wall, v_cpu, v_peak, _ = cpu_timed([*CLI, "video", str(mp3), "-q"])
    audio = read_source(mp3).duration_s
    stills, draw = drawing_seconds(mp3, work)
    goal = GOALS[name]
    print(f"== {name}: {audio / 60:.1f} min of audio ==")
    print(f"render (ernis): {r_wall:.1f} s wall, {r_cpu:.1f} s CPU, peak {r_peak} MB")
    print(
        f"video:          {v_wall:.1f} s wall, {v_cpu:.1f} s CPU, peak {v_peak} MB "
        f"({'within' if v_peak <= PEAK_MB else 'OVER'} {PEAK_MB} MB)"
    )
    print(
        f"video / render: {v_wall / r_wall:.2f} wall, {v_cpu / r_cpu:.2f} CPU (goal <= {goal}: "
        f"{'met' if v_wall / r_wall <= goal else 'NOT met'})"
    )
    print(
        f"where it goes:  {stills} distinct stills drawn in {draw:.1f} s ({draw / max(1, stills) * 1000:.0f} ms each); "
        f"ffmpeg (decode, fps, overlay, libx264, AAC, faststart) the other {max(0.0, v_wall - draw):.1f} s; "
        f"{(work / f'{name}.mp4').stat().st_size / 1e6:.1f} MB"
    )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="paperledge-bench-video-"))
    try:
        one("sample", SAMPLE, work)
        if sys.argv[1:] != ["sample"]:
            if PAGE.exists():
                one("long", long_script_of(work), work)
            else:
                print(f"(no {PAGE}: skipping the long script)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
