"""A user's mistake: one line saying what to fix, non-zero exit, nothing at the output path."""

from __future__ import annotations

from .conftest import SAMPLE, run_cli

GOOD_BODY = "## One\nHello there.\n"


def _assert_refused(proc, out, *words):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("paperledge: error:") and "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.stem}*")), "no temporary file left behind"


def _script(tmp_path, content, name="ep.md"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_missing_script(tmp_path):
    out = tmp_path / "o.mp3"
    _assert_refused(run_cli("render", tmp_path / "nope.md", "-o", out), out, "no such script")


def test_unreadable_script(tmp_path):
    out = tmp_path / "o.mp3"
    folder = tmp_path / "a-folder.md"
    folder.mkdir()
    _assert_refused(run_cli("render", folder, "-o", out), out, "folder")


def test_non_utf8_script(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, b"## One\nCaf\xe9 society.\n")
    _assert_refused(run_cli("render", script, "-o", out), out, "UTF-8", "line 2")


def test_empty_script(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, "---\ntitle: Empty\n---\n\n## Nothing here\n\n")
    _assert_refused(run_cli("render", script, "-o", out), out, "no text to speak")


def test_unknown_voice(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, GOOD_BODY)
    _assert_refused(run_cli("render", script, "-o", out, "--voice", "nobody"), out, "unknown voice", "ernis")


def test_malformed_front_matter(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, "---\ntitle: [unclosed\n---\n" + GOOD_BODY)
    _assert_refused(run_cli("render", script, "-o", out), out, "front matter")


def test_front_matter_without_closing_line(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, "---\ntitle: Open\n" + GOOD_BODY)
    _assert_refused(run_cli("render", script, "-o", out), out, "closing")


def test_unknown_front_matter_field(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, "---\ntitle: T\nguest: Someone\n---\n" + GOOD_BODY)
    _assert_refused(run_cli("render", script, "-o", out), out, "'guest'")


def test_bad_pause(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, "## One\nHello. [pause soon] Bye.\n")
    _assert_refused(run_cli("render", script, "-o", out), out, "[pause 800ms]")


def test_output_folder_that_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    out = tmp_path / "taken" / "o.mp3"
    proc = run_cli("render", SAMPLE, "-o", out)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and "cannot create the output folder" in lines[0]
    assert (tmp_path / "taken").read_text() == "a file, not a folder"


def test_output_folder_unwritable(tmp_path):
    # /proc refuses new files even to root, unlike a chmod'ed folder.
    out = __import__("pathlib").Path("/proc/paperledge-test.mp3")
    proc = run_cli("render", SAMPLE, "-o", out)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write" in lines[0] and "Traceback" not in proc.stderr
    assert not out.exists()


def test_chapter_of_pauses_only(tmp_path):
    out = tmp_path / "o.mp3"
    script = _script(tmp_path, "## One\nHello.\n\n## Two\n[pause 2s]\n")
    _assert_refused(run_cli("render", script, "-o", out), out, "'Two'", "only pauses")


def test_bad_voice_setting(tmp_path):
    out = tmp_path / "o.mp3"
    profile = tmp_path / "v.toml"
    profile.write_text('[engine]\nname = "piper"\nlength_scale = "slow"\n', encoding="utf-8")
    script = _script(tmp_path, GOOD_BODY)
    _assert_refused(run_cli("render", script, "-o", out, "--voice", profile), out, "length_scale")


def test_interrupted_render_leaves_nothing(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from .conftest import ROOT, ctrl_c_reaches

    out = tmp_path / "o.mp3"
    # The --no-cache render keeps its sentences in a temporary folder: under this TMPDIR,
    # so the test sees the first sentence stored and knows synthesis is under way.
    temp = tmp_path / "tmp"
    temp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "audio_pipeline.cli", "render", str(SAMPLE), "-o", str(out), "--no-cache", "-q"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "TMPDIR": str(temp)},
        preexec_fn=ctrl_c_reaches,
    )
    deadline = time.monotonic() + 120
    while not any(temp.rglob("*.pcm")):
        assert proc.poll() is None, f"the render ended before it was interrupted: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "no sentence was synthesised within 120 s"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".o.*"))
