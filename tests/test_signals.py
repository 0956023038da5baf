"""What a user sees when a render is stopped or short of resources, and while it runs.

Signals during a parallel render: SIGTERM (a CI timeout, `kill`) and Ctrl-C, once or twice,
stop the render promptly, leave no worker process behind and keep what was synthesised. Low
limits (`ulimit -v`, `ulimit -n`) are one line naming the limit. The progress display names
every stage and, in a season, the episode; an error is one line with nothing before it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import PAPERLEDGE, ROOT, ctrl_c_reaches, run_cli

LONG = "---\ntitle: A long one\nvoice: heart\n---\n" + "\n\n".join(
    f"Paragraph {p} begins here. " + " ".join(f"Sentence {p * 10 + i} says something about thing {p}-{i}." for i in range(10))
    for p in range(40)
)


def _entries(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*.pcm") if not p.name.startswith(".")]


def _group(pgid: int) -> list[int]:
    """Processes still in the process group `pgid` (the render and anything it started)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                found.append(int(d.name))
    return found


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [*PAPERLEDGE, *args, "--cache-dir", str(cache), "-j", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=ctrl_c_reaches,
    )
    deadline = time.monotonic() + 120
    while len(_entries(cache)) < 4:  # the workers are synthesising
        assert proc.poll() is None, f"the command ended before the signal: {proc.communicate()[1][-2000:]}"
        assert time.monotonic() < deadline, "nothing was synthesised within 120 s"
        time.sleep(0.05)
    return proc, cache


def _stops(proc: subprocess.Popen, bound: float = 10) -> str:
    """The command's stderr once it has exited; it must exit within `bound` seconds, not finish
    the queue (or hang), and leave no process of its group behind."""
    try:
        _, err = proc.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"still running {bound:g} s after the signal")
    deadline = time.monotonic() + 5
    while (left := _group(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"worker processes left behind: {left}"
    assert proc.returncode == 1, err
    assert "Traceback" not in err, err[-3000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("paperledge: error: interrupted"), err[-2000:]
    return err


@pytest.fixture
def long_script(tmp_path) -> Path:
    script = tmp_path / "long.md"
    script.write_text(LONG, encoding="utf-8")
    return script


def test_sigterm_stops_a_parallel_render_at_once_and_keeps_finished_sentences(tmp_path, long_script):
    out = tmp_path / "out" / "long.mp3"
    proc, cache = _start(tmp_path, "render", str(long_script), "-o", str(out), "-q")
    before = len(_entries(cache))
    proc.send_signal(signal.SIGTERM)  # as `kill PID` does: the render alone, not its group
    _stops(proc)
    assert not out.exists() and not list(out.parent.iterdir())
    kept = len(_entries(cache))
    # Not the whole queue: 400 sentences would take far longer than the seconds it ran.
    assert before <= kept < 400


def test_ctrl_c_twice_during_a_parallel_render_never_hangs(tmp_path, long_script):
    out = tmp_path / "out" / "long.mp3"
    proc, _ = _start(tmp_path, "render", str(long_script), "-o", str(out))
    os.killpg(proc.pid, signal.SIGINT)  # a terminal sends Ctrl-C to every process of the group
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _stops(proc)
    assert not out.exists()


def test_ctrl_c_twice_and_sigterm_during_a_parallel_season_never_hang(tmp_path, long_script):
    season = tmp_path / "season"
    season.mkdir()
    long_script.rename(season / "01-long.md")
    proc, _ = _start(tmp_path, "season", str(season), "-o", str(tmp_path / "out"), "-q")
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    proc.send_signal(signal.SIGTERM)
    _stops(proc)
    assert not list((tmp_path / "out").glob("*.mp3"))


TINY = "---\ntitle: Tiny\n---\nHello there. This is a short test.\n"


def _limited(limit: int, value: int, *args: str) -> subprocess.CompletedProcess:
    """`paperledge ARGS` with one resource limit lowered, as `ulimit` does in a shell."""
    import resource

    def lower():
        resource.setrlimit(limit, (value, resource.getrlimit(limit)[1]))

    env = {k: v for k, v in os.environ.items() if k != "PAPERLEDGE_SHOW"}
    return subprocess.run([*PAPERLEDGE, *args], cwd=ROOT, capture_output=True, text=True, preexec_fn=lower, env=env, timeout=300)


def _one_line(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("paperledge: error: "), proc.stderr[-3000:]
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize("voice", ["heart", "ernis"])
def test_low_limits_are_one_line_naming_the_limit(tmp_path, voice):
    import resource

    script = tmp_path / "tiny.md"
    script.write_text(TINY, encoding="utf-8")
    # Each limit stops a different library at a different point: the engine's model load, an
    # import, numpy, espeak-ng's data files, the encoder's pipe.
    # At 300 MB the render ran out importing the meter after its voice track was written, and
    # left that file behind. Whether a render fits in 400 or 500 MB varies from run to run: it
    # renders, or says in one line which limit stopped it (OpenBLAS may first print a line of its
    # own when its buffers cannot be had); 200 MB always stops it.
    refused = 0
    for megabytes in (200, 300, 400, 500):
        out = tmp_path / f"m{megabytes}"  # a folder each: the next render there would tidy up
        proc = _limited(
            resource.RLIMIT_AS,
            megabytes << 20,
            "render",
            str(script),
            "--voice",
            voice,
            "-j",
            "1",
            "-o",
            str(out / "m.mp3"),
            "--cache-dir",
            str(tmp_path / f"cache{megabytes}"),
            "-q",
        )
        if proc.returncode == 0 and (out / "m.mp3").is_file():
            continue
        refused += 1
        native = [line for line in proc.stderr.splitlines() if line.startswith("OpenBLAS")]
        _one_line(
            subprocess.CompletedProcess(
                proc.args,
                proc.returncode,
                proc.stdout,
                "".join(line + "\n" for line in proc.stderr.splitlines() if line not in native),
            ),
            "not enough memory",
            f"limited to {megabytes} MB",
            "ulimit -v",
        )
        assert not [p.name for p in out.glob("*")], "nothing may be left in the output folder"
    assert refused >= 1
    # How many descriptors a render needs varies by a few from run to run: at each limit it
    # renders, or says in one line which limit stopped it; the lowest always stops it.
    refused = 0
    for files in (8, 10, 12):  # below 8, native libraries print warnings of their own first
        out = tmp_path / f"n{files}"
        proc = _limited(
            resource.RLIMIT_NOFILE,
            files,
            "render",
            str(script),
            "--voice",
            voice,
            "-o",
            str(out / "n.mp3"),
            "--cache-dir",
            str(tmp_path / f"ncache{files}"),
            "-q",
        )
        if proc.returncode == 0 and (out / "n.mp3").is_file():
            assert proc.stderr == "", proc.stderr
            continue
        _one_line(proc, "too many open files", f"limit {files}", "ulimit -n")
        refused += 1
    assert refused >= 1
    assert not list(tmp_path.glob("*/.*part"))


def test_render_check_under_a_memory_limit_says_so_and_leaves_no_temporary_file(tmp_path):
    pytest.importorskip("faster_whisper", reason="needs the [check] extra")
    import resource

    script = tmp_path / "tiny.md"
    script.write_text(TINY.replace("---\n\n", "---\n").replace("title: Tiny", "title: Tiny\nvoice: heart"), encoding="utf-8")
    out = tmp_path / "out"
    # Enough to render, not enough to load the recogniser and hear the episode.
    for megabytes in (680, 1024):  # near 1 GB CTranslate2 could crash outright, leaving its files
        proc = _limited(
            resource.RLIMIT_AS,
            megabytes << 20,
            "render",
            str(script),
            "--check",
            "-o",
            str(out / "t.mp3"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-q",
        )
        _one_line(proc, "not enough memory", "ulimit -v")
        assert "interrupted" not in proc.stderr
        assert not [p.name for p in out.rglob("*") if p.name.endswith("part")]


def _in_terminal(*args: str) -> tuple[int, str]:
    """`paperledge ARGS` on a pseudo-terminal, as a user at a terminal runs it: its exit status
    and everything the terminal was sent."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.environ.pop("PAPERLEDGE_SHOW", None)
        os.execv(PAPERLEDGE[0], [*PAPERLEDGE, *args])
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def _screen(raw: str) -> list[str]:
    """The lines a terminal shows after `raw`: as much of one as a progress display uses
    (carriage return, newline, cursor up, erase line)."""
    import re

    lines, row, col = [""], 0, 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]+", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            row, col = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        elif token.startswith("\x1b"):
            if token.endswith("A"):
                row = max(0, row - int(token[2:-1] or 1))
            elif token.endswith("K"):
                lines[row] = ""
        else:
            lines[row] = lines[row][:col].ljust(col) + token + lines[row][col + len(token) :]
            col += len(token)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def test_a_season_shows_each_episode_and_stage_and_lists_what_it_rendered(tmp_path):
    import re

    season = tmp_path / "season"
    season.mkdir()
    for n, words in ((1, "The first one speaks."), (2, "The second one speaks too.")):
        (season / f"0{n}-ep.md").write_text(
            f"---\ntitle: Ep {n}\ndate: 2026-01-0{n}\nvoice: heart\n---\n{words}\n", encoding="utf-8"
        )
    out, cache = tmp_path / "out", tmp_path / "cache"
    status, shown = _in_terminal("season", str(season), "-o", str(out), "--cache-dir", str(cache))
    assert status == 0, shown[-2000:]
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)
    for words in ("01-ep (1 of 2)", "02-ep (2 of 2)", "Synthesising", "Encoding", "Writing tags and sidecars"):
        assert words in shown, f"the progress display never showed {words!r}"
    (season / "02-ep.md").write_text(
        (season / "02-ep.md").read_text(encoding="utf-8").replace("too", "as well"), encoding="utf-8"
    )
    again = run_cli("season", str(season), "-o", str(out), "--cache-dir", str(cache))
    assert again.returncode == 0, again.stderr
    assert "  rendered: 02-ep\n" in again.stdout and "  unchanged: 01-ep\n" in again.stdout, again.stdout
    quiet = run_cli("season", str(season), "-o", str(out), "--cache-dir", str(cache), "-q")
    assert quiet.returncode == 0 and quiet.stdout == "", quiet.stdout


def test_an_error_is_one_line_with_nothing_before_it(tmp_path):
    # The progress display had started: it left an empty line above the error.
    for args in (
        ["render", str(tmp_path / "missing.md"), "-o", str(tmp_path / "x.mp3")],
        ["season", str(tmp_path / "missing"), "-o", str(tmp_path / "out")],
    ):
        proc = run_cli(*args)
        assert proc.returncode == 1 and proc.stderr.startswith("paperledge: error: "), repr(proc.stderr[:200])
        assert proc.stderr.count("\n") == 1
        status, shown = _in_terminal(*args)
        screen = _screen(shown)
        assert status == 1 and len(screen) == 1 and screen[0].startswith("paperledge: error: "), screen


def test_every_command_takes_dash_h():
    from audio_pipeline.cli import main

    commands = [[]] + [[name] for name in main.commands]
    commands += [[name, sub] for name, group in main.commands.items() for sub in getattr(group, "commands", {})]
    for words in commands:
        for flag in ("-h", "--help"):
            proc = run_cli(*words, flag)
            assert proc.returncode == 0 and proc.stdout.startswith("Usage: "), (words, flag, proc.stderr[-300:])


def test_onnx_runtime_running_out_of_its_arena_names_the_memory_limit():
    """Under ulimit -v a Piper sentence failed inside ONNX Runtime's arena ("Failed to allocate
    memory for requested buffer"), a traceback where the limit should have been named."""
    from audio_pipeline.synthesis.limits import resource_problem

    error = RuntimeError(
        "[ONNXRuntimeError] : 1 : FAIL : Non-zero status code returned while running ConvTranspose "
        "node. Status Message: bfc_arena.cc:360 Failed to allocate memory for requested buffer of size 4718592"
    )
    assert resource_problem(error).startswith("not enough memory")
