"""One render path: `render` is a short pipeline over the stages of audio_pipeline/stages.py,
each a frozen result you can print, and the Ray path runs the same stages (tests/test_ray.py
proves the bytes agree) without reaching past them into the audio modules."""

from __future__ import annotations

import ast
import dataclasses
from contextlib import ExitStack
from pathlib import Path

import pytest

from audio_pipeline import stages
from audio_pipeline.render import render
from audio_pipeline.synthesis.cache import SentenceCache

from .conftest import ebur128, ffprobe

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audio_pipeline"


def test_render_is_a_short_pipeline_that_calls_every_stage_in_order():
    tree = ast.parse((PACKAGE / "render.py").read_text(encoding="utf-8"))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "render")
    assert fn.end_lineno - fn.lineno + 1 <= 60
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    called = [n.func.id for n in sorted(calls, key=lambda n: (n.lineno, n.col_offset))]
    order = ["prepare", "synthesise", "assemble_episode", "master", "encode", "publish"]
    assert [c for c in called if c in order] == order


def imported(path: Path) -> set[str]:
    """Every module a file imports, resolved to audio_pipeline.x.y."""
    found = set()
    package = ["audio_pipeline", *path.relative_to(PACKAGE).parent.parts]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found |= {module, *(f"{module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_the_ray_path_reaches_the_audio_only_through_the_stages():
    barred = ("audio_pipeline.audio.export", "audio_pipeline.audio.master", "audio_pipeline.audio.levelling")
    for path in (PACKAGE / "cluster").glob("*.py"):
        reached = {m for m in imported(path) if m.startswith(barred)}
        assert not reached, f"{path.name} imports {sorted(reached)}"
    # the check itself sees a real import
    assert "audio_pipeline.stages.publish" in imported(PACKAGE / "cluster" / "driver.py")


def test_each_stage_result_is_frozen_and_prints_in_brief(tmp_path):
    """The stages called one by one, as render calls them, on a real script in the heart voice."""
    script = tmp_path / "ep.md"
    script.write_text(
        "---\ntitle: Stage by Stage\nvoice: heart\n---\n\n## One\nHello there, stage one.\n\n## Two\nAnd stage two.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "ep.mp3"
    with ExitStack() as stack:
        prepared = stages.prepare(script, out, voice="heart")
        cache = SentenceCache(tmp_path / "cache")
        synthesised = stages.synthesise(prepared, cache, 1, lambda n: None)
        assembled = stages.assemble_episode(prepared, synthesised.entries, out.parent)
        stack.callback(assembled.timeline.close)
        mastered = stages.master(assembled)
        encoded = stages.encode(prepared, assembled, mastered, out.with_suffix(".mp3.part"))
        published = stages.publish(prepared, encoded, None, stack)
    results = [prepared, synthesised, assembled, mastered, encoded, published]
    for result in results:
        assert dataclasses.is_dataclass(result)
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(result, dataclasses.fields(result)[0].name, None)
        shown = repr(result)
        assert shown.startswith(type(result).__name__ + "(") and "\n" not in shown and len(shown) < 800, shown
    assert "<episode 'Stage by Stage': 2 chapters, 2 sentences>" in repr(prepared)
    assert prepared.said == ("Hello there, stage one.", "And stage two.")
    assert synthesised.synthesised == 2 and len(synthesised.entries) == 2
    assert -45 < mastered.mix_lufs < -5  # measured, before any gain
    # what the stages made is what a listener's tools read
    info = ffprobe(published.output)
    assert [c["tags"]["title"] for c in info["chapters"]] == ["One", "Two"]
    assert abs(float(info["format"]["duration"]) - encoded.duration) < 0.1
    lufs, peak = ebur128(published.output)
    assert abs(lufs - encoded.loudness.integrated_lufs) <= 0.2 and peak <= -1.0
    assert published.transcript.is_file() and published.chapters_file.is_file() and not encoded.mp3.exists()


def test_render_and_the_stages_one_by_one_write_the_same_mp3(tmp_path):
    """render adds nothing of its own between the stages: the same MP3, byte for byte (hibari is seeded)."""
    script = tmp_path / "ep.md"
    script.write_text("---\ntitle: Same\nvoice: heart\n---\n\nOne short line to say.\n", encoding="utf-8")
    by_hand = tmp_path / "hand" / "ep.mp3"
    with ExitStack() as stack:
        prepared = stages.prepare(script, by_hand)
        synthesised = stages.synthesise(prepared, SentenceCache(tmp_path / "cache"), 1, lambda n: None)
        assembled = stages.assemble_episode(prepared, synthesised.entries, by_hand.parent)
        stack.callback(assembled.timeline.close)
        encoded = stages.encode(prepared, assembled, stages.master(assembled), by_hand.with_suffix(".mp3.part"))
        stages.publish(prepared, encoded, None, stack)
    from audio_pipeline.render import RenderOptions

    result = render(script, RenderOptions(output=tmp_path / "render" / "ep.mp3", cache_dir=tmp_path / "cache", sign=False))
    result.timeline.close()
    assert result.output.read_bytes() == by_hand.read_bytes()
