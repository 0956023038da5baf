"""`season --executor ray` on a small local Ray instance, with the real Piper voice.

Runs in the Ray environment (`make test-ray`); where Ray is not installed, as in the main
environment, only the check that `--executor ray` says how to install it runs.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import feedparser
import pytest

from .conftest import PAPERLEDGE, ROOT, ebur128, ffprobe, run_cli, vtt_cues

HAVE_RAY = importlib.util.find_spec("ray") is not None


def on_ray(test):
    """Marks a test that renders on Ray; skipped where Ray is not installed."""
    test = pytest.mark.skipif(not HAVE_RAY, reason="Ray is not installed here: `make test-ray` runs these in .venv-ray")(test)
    return pytest.mark.ray(pytest.mark.slow(test))


SCRIPT = """---
title: Cluster Episode {n}
season: 3
episode: {n}
date: 2025-07-0{n}
authors: [Ada Author, Ben Builder]
description: An episode rendered across a cluster.
---

## Hello
Hey crew, Ernis here, with episode {n} of our little cluster season.
{hello}

## The idea
{idea}

## Goodbye
Thanks for listening to episode {n}. See you next time!
"""

FACTS = [
    "The {w} model reads {k} papers before breakfast.",
    "Our {w} example has {k} moving parts, and each one matters.",
    "Picture {k} librarians sorting {w} books by colour.",
    "The {w} team ran {k} experiments to check that result.",
    "Every {w} sentence here is number {k} of its kind.",
]
WORDS = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "garnet", "harbor", "indigo", "juniper"]


def write_season(folder: Path, sentences: int = 2) -> list[Path]:
    """Three episodes; `sentences` distinct sentences in each of two paragraphs per episode."""
    folder.mkdir(parents=True, exist_ok=True)
    scripts = []
    for n in (1, 2, 3):
        lines = [FACTS[i % len(FACTS)].format(w=WORDS[(i + n) % len(WORDS)], k=10 * n + i) for i in range(2 * sentences)]
        path = folder / f"0{n}-cluster.md"
        path.write_text(SCRIPT.format(n=n, hello=" ".join(lines[:sentences]), idea=" ".join(lines[sentences:])), encoding="utf-8")
        scripts.append(path)
    (folder / "show.toml").write_text('base_url = "https://cdn.example.org/pl/"\n', encoding="utf-8")
    return scripts


def check_season(scripts: list[Path], out: Path) -> None:
    """What a listener and a podcast app would check: each MP3 plays for its whole script,
    has its chapters, is at the loudness target, and the feed lists it with the right size."""
    for script in scripts:
        mp3 = out / f"{script.stem}.mp3"
        info = ffprobe(mp3)
        duration = float(info["format"]["duration"])
        assert duration > 10, mp3
        assert [c["tags"]["title"] for c in info["chapters"]] == ["Hello", "The idea", "Goodbye"]
        assert float(info["chapters"][0]["start_time"]) == 0
        assert abs(float(info["chapters"][-1]["end_time"]) - duration) < 0.1
        assert info["format"]["tags"]["title"].startswith("Cluster Episode")
        lufs, peak = ebur128(mp3)
        assert abs(lufs - -16.0) <= 0.5 and peak <= -1.0, (mp3, lufs, peak)
        cues = vtt_cues(mp3.with_suffix(".vtt"))
        assert cues[0][2].startswith("Hey crew, Ernis here") and cues[-1][2].startswith("Credit to the paper")
        assert all(0 <= a < b <= duration for a, b, _ in cues)
        assert mp3.with_suffix(".chapters.json").is_file()
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert len(feed.entries) == len(scripts)
    for entry in feed.entries:
        enclosure = entry.enclosures[0]
        mp3 = out / enclosure.href.rsplit("/", 1)[1]
        assert int(enclosure.length) == mp3.stat().st_size
        h, m, s = (int(x) for x in entry.itunes_duration.split(":"))
        assert abs(h * 3600 + m * 60 + s - float(ffprobe(mp3)["format"]["duration"])) <= 1


def synthesised(stdout: str) -> int:
    """Sentences synthesised, as the season's summary line counts them (the validator's
    verdict follows it)."""
    counts = [int(m.group(1)) for m in re.finditer(r", (\d+) sentences? synthesised", stdout)]
    assert counts, stdout
    return sum(counts)


@pytest.fixture(scope="module")
def ray_address():
    """A local Ray instance for this module (two CPUs, no dashboard); renders join it."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, namespace="paperledge-tests", log_to_driver=False, logging_level="ERROR")
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def ray_season(season: Path, out: Path, cache: Path, address: str) -> list[str]:
    return [
        *PAPERLEDGE,
        "season",
        str(season),
        "-o",
        str(out),
        "--cache-dir",
        str(cache),
        "--executor",
        "ray",
        "--ray-address",
        address,
    ]


@on_ray
def test_season_on_ray_is_a_complete_season_sharing_the_local_cache(tmp_path, ray_address):
    season, out, cache = tmp_path / "season-03", tmp_path / "out", tmp_path / "cache"
    scripts = write_season(season)
    proc = subprocess.run(ray_season(season, out, cache, ray_address), capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "3 rendered, 0 unchanged" in proc.stdout and "synthesis actor" in proc.stdout, proc.stdout
    check_season(scripts, out)
    # The driver stored every sentence under the keys a local render looks for.
    from audio_pipeline.publish.season import render_season
    from audio_pipeline.render import RenderOptions

    local = render_season(season, tmp_path / "local", RenderOptions(cache_dir=cache))
    assert len(local.rendered) == 3 and local.synthesized == 0, local
    again = subprocess.run(ray_season(season, out, cache, ray_address), capture_output=True, text=True, cwd=ROOT)
    assert "0 rendered, 3 unchanged, 0 sentences synthesised" in again.stdout, again.stdout


def cache_entries(cache: Path) -> int:
    return sum(1 for p in cache.rglob("*.pcm") if not p.name.startswith("."))  # not a half-written one


def finished(out: Path) -> dict[str, str]:
    """The episodes the season state in `out` records as rendered (written whole, atomically)."""
    from audio_pipeline.publish.season import STATE

    try:
        return json.loads((out / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def sentences_in(script: Path) -> list[str]:
    from audio_pipeline.stages import load_episode

    return [s.spoken for s in load_episode(script)[0].sentences()]


def wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the render ended before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@on_ray
def test_an_actor_killed_mid_run_is_restarted_and_every_episode_is_complete(tmp_path, ray_address):
    """A worker that dies mid-batch must not cost an episode or a sentence."""
    import ray

    from audio_pipeline.cluster.worker import ACTOR_PREFIX
    from audio_pipeline.config import ClusterConfig

    season, out, cache = tmp_path / "season-03", tmp_path / "out", tmp_path / "cache"
    scripts = write_season(season, sentences=12)
    proc = subprocess.Popen(
        ray_season(season, out, cache, ray_address), cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    namespace = ClusterConfig().namespace

    def actors() -> list[str]:
        return [
            a["name"]
            for a in ray.util.list_named_actors(all_namespaces=True)
            if a["namespace"] == namespace and a["name"].startswith(ACTOR_PREFIX)
        ]

    # Once a first batch is back, the actors are busy with the next ones.
    wait_for(lambda: len(actors()) == 2 and cache_entries(cache) > 0, proc, "the first batch")
    victim = ray.get_actor(sorted(actors())[0], namespace=namespace)
    before = ray.get(victim.hello.remote())["pid"]
    ray.kill(victim, no_restart=False)
    # The kill is asynchronous: ask until a new process answers (the actor was restarted).
    deadline = time.monotonic() + 120
    while True:
        try:
            if ray.get(victim.hello.remote(), timeout=60)["pid"] != before:
                break
        except ray.exceptions.RayActorError:  # between the kill and the restart
            pass
        assert time.monotonic() < deadline, "the killed actor was not restarted"
        time.sleep(0.2)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    assert "3 rendered, 0 unchanged" in stdout, stdout
    check_season(scripts, out)
    for script in scripts:
        assert len(vtt_cues(out / f"{script.stem}.vtt")) == len(sentences_in(script))  # none lost


@on_ray
def test_a_killed_driver_leaves_no_partial_output_and_a_rerun_finishes_from_the_cache(tmp_path, ray_address):
    season, out, cache = tmp_path / "season-03", tmp_path / "out", tmp_path / "cache"
    scripts = write_season(season, sentences=12)
    proc = subprocess.Popen(
        ray_season(season, out, cache, ray_address), cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    # An episode is finished once the season state records it (written after its MP3).
    wait_for(lambda: finished(out), proc, "the first episode")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = sorted(out.glob("*.mp3"))
    recorded = len(finished(out))  # a rerun skips these; an MP3 killed before its record is made again
    assert 1 <= len(done) < 3, "the season finished before the driver was killed: make it longer"
    for mp3 in done:  # whatever is at an output path is whole, with its sidecars
        assert float(ffprobe(mp3)["format"]["duration"]) > 10
        assert mp3.with_suffix(".vtt").is_file() and mp3.with_suffix(".chapters.json").is_file()
    assert not [p for p in out.iterdir() if not p.name.startswith(".") and p.suffix not in (".mp3", ".vtt", ".srt", ".json")]
    stored = cache_entries(cache)
    total = len({s for script in scripts for s in sentences_in(script)})

    rerun = subprocess.run(ray_season(season, out, cache, ray_address), capture_output=True, text=True, cwd=ROOT)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{3 - recorded} rendered, {recorded} unchanged" in rerun.stdout, rerun.stdout
    assert synthesised(rerun.stdout) <= total - stored, rerun.stdout  # nothing stored is made again
    check_season(scripts, out)


@on_ray
def test_a_node_without_the_voice_or_at_another_version_is_named_in_one_line(ray_address):
    import ray

    from audio_pipeline.cluster.worker import EngineSpec, start_workers
    from audio_pipeline.errors import RenderError
    from audio_pipeline.synthesis.engines.base import create_engine
    from audio_pipeline.synthesis.voices import load_voice

    profile = load_voice("ernis")
    fingerprint = create_engine(profile.engine, profile.engine_params).fingerprint()
    good = EngineSpec(profile.engine, profile.engine_params, fingerprint)
    for specs, version, said in [
        ([good], "0.0.1", "the driver runs 0.0.1"),
        ([EngineSpec("piper", {"model": "/nowhere/voice.onnx"}, "piper-x")], None, "/nowhere/voice.onnx not found"),
        ([EngineSpec(profile.engine, profile.engine_params, "piper-other")], None, "voice model is not the driver's"),
    ]:
        kwargs = {"version": version} if version else {}
        with pytest.raises(RenderError) as e:
            start_workers(ray, specs, 1, gpu=False, **kwargs)
        message = str(e.value)
        assert message.startswith(f"worker node {os.uname().nodename}") and said in message, message
        assert "\n" not in message


def test_executor_ray_without_ray_says_how_to_install_it(tmp_path):
    if HAVE_RAY:
        pytest.skip("Ray is installed here")
    season = tmp_path / "season"
    write_season(season)
    proc = run_cli("season", season, "-o", tmp_path / "out", "--executor", "ray")
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "pip install 'paperledge-audio[ray]'" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


@on_ray
def test_several_season_folders_go_each_to_their_own_folder(tmp_path, ray_address):
    """A back catalogue is several seasons in one command, on Ray as locally."""
    seasons = []
    for name in ("season-a", "season-b"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "01-tiny.md").write_text(
            f"---\ntitle: Tiny {name}\ndate: 2025-08-01\n---\n\n## Hello\nHey crew, Ernis here, from {name}.\n",
            encoding="utf-8",
        )
        seasons.append(folder)
    cache = tmp_path / "cache"
    for executor, out in (("ray", tmp_path / "ray"), ("local", tmp_path / "local")):
        extra = ["--ray-address", ray_address] if executor == "ray" else []
        proc = run_cli("season", *seasons, "-o", out, "--cache-dir", cache, "--executor", executor, *extra)
        assert proc.returncode == 0, proc.stderr
        # Ray synthesised both; the local render after it finds them in the shared cache.
        done = 1 if executor == "ray" else 0
        for folder in seasons:
            said = f"{done} sentence{'' if done == 1 else 's'} synthesised"
            assert f"{out / folder.name}: 1 rendered, 0 unchanged, {said}" in proc.stdout, proc.stdout
            assert (out / folder.name / "01-tiny.mp3").is_file() and (out / folder.name / "feed.xml").is_file()


@on_ray
def test_ray_and_a_local_render_write_the_same_bytes(tmp_path, ray_address):
    """One render path: the Ray driver and task run the render's own stages, so one script in
    the heart voice (hibari is seeded) becomes the same MP3 and sidecars on Ray as locally, byte
    for byte, chapter picture included (the worker holds none of the show's files). Signing is
    off: a manifest carries its own time and identifiers."""
    from PIL import Image

    season = tmp_path / "season"
    season.mkdir()
    Image.new("RGB", (1400, 1400), (200, 60, 40)).save(season / "figure.png", "PNG")
    (season / "show.toml").write_text('base_url = "https://cdn.example.org/pl/"\n', encoding="utf-8")
    (season / "01-same.md").write_text(
        "---\ntitle: Same Bytes\nseason: 2\nepisode: 1\ndate: 2025-09-01\nauthors: [Ada Author]\n"
        "chapters:\n  The idea: {img: figure.png, url: 'https://example.org/paper'}\n---\n\n"
        "## Hello\nHey crew, Ernis here. Two paths, one episode.\n\n"
        "## The idea\nEvery stage runs the same code. [pause 0.5s] The bytes should agree.\n",
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    for executor in ("ray", "local"):
        extra = ["--ray-address", ray_address] if executor == "ray" else []
        proc = run_cli(
            "season", season, "-o", tmp_path / executor, "--cache-dir", cache, "--voice", "heart", "--no-sign",
            "--executor", executor, *extra,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in (tmp_path / "local").iterdir() if p.name.startswith("01-same"))
    assert {"01-same.mp3", "01-same.vtt", "01-same.chapters.json", "01-same.srt", "01-same.chapter2.png"} <= set(names), names
    assert sorted(p.name for p in (tmp_path / "ray").iterdir() if p.name.startswith("01-same")) == names
    for name in names:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert [c["tags"]["title"] for c in ffprobe(tmp_path / "ray" / "01-same.mp3")["chapters"]] == ["Hello", "The idea"]
    from mutagen.id3 import ID3

    pictures = [f for c in ID3(tmp_path / "ray" / "01-same.mp3").getall("CHAP") for f in c.sub_frames.getall("APIC")]
    assert [p.data for p in pictures] == [(season / "figure.png").read_bytes()]
