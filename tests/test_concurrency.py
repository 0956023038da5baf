"""Threads that share the text front end: the studio parses on its threadpool while its render
thread parses and synthesises. Every thread must get the same sentences a lone one gets."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import ROOT, vtt_cues

PAGE = ROOT / "tests" / "data" / "paperledge-episodes-page.txt"
SCRIPT = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"


def _paragraphs() -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return [" ".join(p.split()) for p in text.split("\n") if len(p) > 400]


def test_threads_splitting_the_same_text_get_the_same_sentences():
    from audio_pipeline.text.sentences import split_sentences

    long = " ".join(_paragraphs()[:12])
    expected = split_sentences(long, 400)
    assert len(expected) > 40

    def split(_):
        return split_sentences(long, 400)

    # pysbd keeps the text it is working on in the Segmenter: a shared one mixed threads' texts.
    with ThreadPoolExecutor(8) as pool:
        for _ in range(6):
            got = list(pool.map(split, range(16)))
            assert all(g == expected for g in got), "a thread got other sentences than a lone split gives"


def test_threads_parsing_a_script_get_the_same_sentences():
    from audio_pipeline.script.read import parse_script

    text = SCRIPT.read_text(encoding="utf-8")

    def sentences(_):
        return [s.markup for s in parse_script(text, SCRIPT).sentences()]

    expected = sentences(0)
    with ThreadPoolExecutor(6) as pool:
        for _ in range(5):
            assert all(g == expected for g in pool.map(sentences, range(12)))


@pytest.fixture
def heart_show(tmp_path):
    """A show with one long episode in the heart voice (fast), and its own cache."""
    season = tmp_path / "season"
    season.mkdir()
    body = SCRIPT.read_text(encoding="utf-8").split("---", 2)[2]
    (season / "01-ep.md").write_text("---\ntitle: Race test\ndate: 2026-01-05\nvoice: heart\n---\n" + body, encoding="utf-8")
    return tmp_path


def _serve(app):
    """The studio app on a real uvicorn in this process (a thread), as `paperledge studio` runs it."""
    import socket

    import uvicorn

    from audio_pipeline.studio.app import allow_hosts

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    allow_hosts(app, port)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the studio server did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _call(url: str, token: str, body: dict | None = None) -> tuple[int, dict | str]:
    req = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-Studio-Token": token, "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()[:200]


def test_studio_polling_while_it_renders_sees_and_writes_every_sentence(heart_show, monkeypatch):
    pytest.importorskip("starlette", reason="needs the [studio] extra: make setup installs it")
    from audio_pipeline.script.read import read_script
    from audio_pipeline.studio.app import create_app
    from audio_pipeline.studio.state import Studio

    monkeypatch.setenv("PAPERLEDGE_SHOW", str(heart_show))
    script = heart_show / "season" / "01-ep.md"
    expected = len(read_script(script).sentences())
    studio = Studio([script], heart_show / "out", cache_dir=heart_show / "cache", root=heart_show)
    token = "race-test-token"
    server, thread, base = _serve(create_app(studio, token=token))
    seen: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def poll():
        # What the page does while a render runs: the episode view, again and again.
        while not stop.is_set():
            status, data = _call(f"{base}/api/episode?ep=01-ep", token)
            if status != 200:
                failures.append(f"{status} {data}")
            else:
                seen.append(sum(len(c["sentences"]) for c in data["chapters"]))

    pollers = [threading.Thread(target=poll) for _ in range(3)]
    try:
        for t in pollers:
            t.start()
        status, job = _call(f"{base}/api/render", token, {"ep": "01-ep"})
        assert status == 202, job
        deadline = time.monotonic() + 300
        while (job := _call(f"{base}/api/job", token)[1])["state"] == "running":
            assert time.monotonic() < deadline, "the studio render did not finish in 300 s"
            time.sleep(0.1)
    finally:
        stop.set()
        for t in pollers:
            t.join()
        server.should_exit = True
        thread.join(timeout=30)
    assert job["state"] == "done", job
    assert not failures, failures[:3]
    assert seen and set(seen) == {expected}, f"the episode view showed {sorted(set(seen))} sentences, not {expected}"
    assert len(vtt_cues(heart_show / "out" / "01-ep.vtt")) == expected


def test_a_render_whose_timeline_lost_a_sentence_fails_and_writes_nothing(tmp_path, monkeypatch):
    # What the splitter race did: the timeline held fewer sentences than the script, and the
    # render said done. A stage that loses a sentence now fails the render in one line.
    import audio_pipeline.stages as render_module
    from audio_pipeline.errors import RenderError

    from .conftest import render_result

    real = render_module.assemble

    def losing_one(*args, **kwargs):
        timeline = real(*args, **kwargs)
        del timeline.sentences[1]
        return timeline

    monkeypatch.setattr(render_module, "assemble", losing_one)
    script = tmp_path / "ep.md"
    script.write_text("---\nvoice: heart\n---\nOne sentence here. A second one. And a third.\n", encoding="utf-8")
    out = tmp_path / "out" / "ep.mp3"
    with pytest.raises(RenderError) as failed:
        render_result(script, out, tmp_path / "cache")
    message = str(failed.value)
    assert "\n" not in message and "2 sentences where the script has 3" in message and "sentence 2" in message
    assert not out.exists() and list((tmp_path / "out").iterdir()) == []


def test_a_parallel_render_forks_its_workers_before_it_reports_cached_sentences(tmp_path):
    """With a few sentences already cached, the render's first progress report (where a caller may
    start a thread) came before the synthesis workers were forked; a worker forked
    while that thread held an import lock waited on it for ever (seen: an episode whose greeting
    an earlier one had cached, hung for 50 minutes). Every report now comes after the fork."""
    import multiprocessing

    from audio_pipeline.render import RenderOptions, render

    cache = tmp_path / "cache"
    first = tmp_path / "first.md"
    first.write_text("---\ntitle: First\nvoice: heart\n---\n\nHello there, crew. This is shared.\n", encoding="utf-8")
    render(first, RenderOptions(output=tmp_path / "first.mp3", cache_dir=cache, jobs=1))
    words = ["river", "stone", "cloud", "field", "light", "ember", "grove", "tide", "north", "quiet"]
    new = " ".join(f"Sentence {i} talks about the {words[i % 10]} and the {words[(i * 3) % 10]}." for i in range(24))
    second = tmp_path / "second.md"
    second.write_text(f"---\ntitle: Second\nvoice: heart\n---\n\nHello there, crew. This is shared. {new}\n", encoding="utf-8")
    workers_at_first_report: list[int] = []

    def progress(done: int, total: int) -> None:
        if not workers_at_first_report:
            workers_at_first_report.append(len(multiprocessing.active_children()))

    result = render(second, RenderOptions(output=tmp_path / "second.mp3", cache_dir=cache, jobs=2), progress)
    assert result.output.is_file()
    assert workers_at_first_report == [2]


@pytest.mark.check
def test_render_check_loads_the_recogniser_only_after_the_synthesis_workers_are_done(tmp_path, monkeypatch):
    """`render --check` loads the recogniser on a thread while the episode renders. Started before
    the synthesis workers were forked, a worker could be forked while that thread was inside an
    import, and wait on the module's lock for ever: it starts once synthesis is over."""
    import multiprocessing

    from audio_pipeline.check import asr
    from audio_pipeline.check.retake import render_checked
    from audio_pipeline.render import RenderOptions

    words = ["river", "stone", "cloud", "field", "light", "ember", "grove", "tide", "north", "quiet"]
    body = " ".join(f"Sentence {i} is about the {words[i % 10]} and the {words[(i * 7) % 10]}." for i in range(20))
    script = tmp_path / "ep.md"
    script.write_text(f"---\ntitle: Twenty\nvoice: heart\n---\n\n{body}\n", encoding="utf-8")
    stages: list[str] = []
    at_load: list[tuple[list[str], int]] = []
    real = asr.load_soon

    def load_soon(name, cfg):
        at_load.append((list(stages), len(multiprocessing.active_children())))
        return real(name, cfg)

    monkeypatch.setattr(asr, "load_soon", load_soon)
    options = RenderOptions(output=tmp_path / "ep.mp3", cache_dir=None, jobs=2, stages=stages.append)
    checked = render_checked(script, options, retakes=0, fix=False)
    assert checked.result.synthesis.workers == 2  # the render did fork its workers
    assert at_load and at_load[0] == (["synthesis"], 0), at_load
    assert checked.report.sentences and checked.check_file.is_file()
