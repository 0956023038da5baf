"""`paperledge studio` under attack, over real HTTP to the real server: another local user
without the token, two saves racing, hostile lexicon entries and request bodies, a script
swapped for a link, and a flood of half-sent connections under few file descriptors."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import PAPERLEDGE, ROOT, ctrl_c_reaches, run_cli

pytest.importorskip("starlette", reason="needs the [studio] extra: make setup installs it")

SCRIPT = """---
title: Studio security
voice: heart
---
## Opening

Hello and welcome to the show.
Today we read a short paper.
"""
EP = "01-safe"


def make_show(root: Path) -> Path:
    """A show folder with one episode read by the heart voice, and its own voice lexicon."""
    (root / "voices").mkdir(parents=True)
    (root / "season").mkdir()
    shutil.copy(ROOT / "voices" / "heart.toml", root / "voices" / "heart.toml")
    (root / "voices" / "heart.lexicon.toml").write_text(
        '# heart\'s words\n[words]\nPaperLedge = "Paper Ledge"\n', encoding="utf-8"
    )
    (root / "season" / f"{EP}.md").write_text(SCRIPT, encoding="utf-8")
    return root


class Studio:
    """A running `paperledge studio`: its bare address, token, and what it wrote to stderr."""

    def __init__(self, show: Path, limit_files: int | None = None):
        env = {**os.environ, "PAPERLEDGE_CACHE_DIR": str(show / "cache"), "PAPERLEDGE_SHOW": str(show)}

        def start() -> None:
            ctrl_c_reaches()
            if limit_files:
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit_files, limit_files))

        self.err = open(show / f"studio-{time.monotonic_ns()}.err", "w+")
        self.proc = subprocess.Popen(
            [*PAPERLEDGE, "studio", "season", "--no-browser", "-o", "out"],
            cwd=show,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            preexec_fn=start,
        )
        line = self.proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:(\d+)/)\?token=([\w-]+)", line)
        assert m, line + self.stderr()
        self.address, self.base, self.port, self.token = m.group(0), m.group(1), int(m.group(2)), m.group(3)

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        return Path(self.err.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        assert self.proc.wait(timeout=20) == 0
        self.err.close()


def request(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    return make_show(tmp_path_factory.mktemp("studio-security"))


@pytest.fixture(scope="module")
def studio(show):
    s = Studio(show)
    yield s
    s.stop()
    assert "Traceback" not in s.stderr()  # no request, however hostile, reached the terminal as a crash


def api(studio: Studio, path: str, data: dict | None = None) -> tuple[int, dict | str]:
    body = None if data is None else json.dumps(data).encode()
    status, _, raw = request(studio.base + path, body, {"X-Studio-Token": studio.token, "Content-Type": "application/json"})
    text = raw.decode()
    return status, json.loads(text) if text.startswith(("{", "[")) else text


def script_sha(studio: Studio) -> str:
    status, data = api(studio, f"api/episode?ep={EP}")
    assert status == 200, data
    return data["script_sha"]


# Everything another local user could ask for: the page, its assets, the API, the audio.
PROBES = [
    "",
    "static/studio.js",
    "api/episodes",
    f"api/episode?ep={EP}",
    f"audio/sentence.wav?ep={EP}&i=1",
    f"audio/episode.mp3?ep={EP}",
    "api/job",
    f"api/plot?ep={EP}",
]


def test_nothing_is_answered_without_the_token(studio, show):
    """Without the token, nothing is read, synthesised or written, and the page does not give it away."""
    script = show / "season" / f"{EP}.md"
    before = script.read_bytes()
    cache_before = sorted(p.name for p in (show / "cache").rglob("*")) if (show / "cache").exists() else []
    for path in PROBES:
        for headers in ({}, {"X-Studio-Token": "guess"}, {"Cookie": f"paperledge-studio-{studio.port}=guess"}):
            status, _, raw = request(studio.base + path, headers=headers)
            assert status == 403 and studio.token.encode() not in raw and b"Hello" not in raw, (path, headers, raw[:200])
    status, _, raw = request(studio.base + "?token=guess")
    assert status == 403
    body = json.dumps({"ep": EP, "i": 1, "text": "Owned.", "sha": script_sha(studio)}).encode()
    assert request(studio.base + "api/save-sentence", body, {"Content-Type": "application/json"})[0] == 403
    assert script.read_bytes() == before
    # /audio/sentence.wav synthesises a sentence not yet cached: without the token it must not.
    cache_after = sorted(p.name for p in (show / "cache").rglob("*")) if (show / "cache").exists() else []
    assert cache_after == cache_before


def test_the_printed_address_stores_the_token_as_a_strict_httponly_cookie(studio):
    status, headers, raw = request(studio.address.replace("/?", "/?ep=01-safe&"))
    cookie = headers["set-cookie"]
    assert status == 200 and cookie.startswith(f"paperledge-studio-{studio.port}={studio.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert b'content="0;url=/?ep=01-safe"' in raw  # on to the bare address: the token leaves the address bar
    assert raw.count(studio.token.encode()) == 0
    status, _, page = request(studio.base, headers={"Cookie": f"paperledge-studio-{studio.port}={studio.token}"})
    assert status == 200 and b"<title>PaperLedge studio" in page and studio.token.encode() not in page


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser") or not shutil.which("curl"),
    reason="needs root (to act as user nobody), runuser and curl",
)
def test_another_local_user_gets_nothing(studio, show):
    """User nobody on the same machine, who can reach 127.0.0.1 but never saw the printed address."""
    script = show / "season" / f"{EP}.md"
    before = script.read_bytes()

    def as_nobody(*args: str) -> tuple[str, str]:
        proc = subprocess.run(
            ["runuser", "-u", "nobody", "--", "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "30", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        body, _, code = proc.stdout.rpartition("\n")
        return code, body

    for path in PROBES:
        code, body = as_nobody(studio.base + path)
        assert code == "403" and studio.token not in body and "Hello" not in body, (path, body[:200])
    save = json.dumps({"ep": EP, "i": 1, "text": "Owned by nobody.", "sha": script_sha(studio)})
    code, _ = as_nobody("-H", "Content-Type: application/json", "--data-binary", save, studio.base + "api/save-sentence")
    assert code == "403"
    assert script.read_bytes() == before


def test_every_answer_says_no_framing_no_sniffing_no_referrer(studio):
    for path, headers in [
        ("", {"X-Studio-Token": studio.token}),
        ("static/studio.css", {"X-Studio-Token": studio.token}),
        ("", {}),
        ("api/episode?ep=nope", {"X-Studio-Token": studio.token}),
        ("?token=x", {}),
    ]:
        _, got, _ = request(studio.base + path, headers=headers)
        got = {k.lower(): v for k, v in got.items()}
        assert got["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in got["content-security-policy"], path
        assert got["x-content-type-options"] == "nosniff" and got["referrer-policy"] == "no-referrer", path


def test_of_two_saves_from_the_same_version_exactly_one_is_written(studio, show):
    """Saves from several tabs at once, all made from the same version of the script: one
    wins, every other is told of the conflict with both versions, and no edit is lost unseen."""
    script = show / "season" / f"{EP}.md"
    original = script.read_bytes()
    try:

        def save(text: str, sha: str, start: threading.Barrier, answers: dict) -> None:
            start.wait()
            answers[text] = api(studio, "api/save-sentence", {"ep": EP, "i": 1, "text": text, "sha": sha})

        for trial in range(30):
            sha = script_sha(studio)
            texts = [f"Hello from tab {n} in trial {trial}." for n in range(6)]
            start = threading.Barrier(len(texts))
            answers: dict[str, tuple[int, dict | str]] = {}
            threads = [threading.Thread(target=save, args=(t, sha, start, answers)) for t in texts]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            won = [t for t, (status, _) in answers.items() if status == 200]
            assert len(answers) == len(texts) and len(won) == 1, (trial, answers)
            on_disk = script.read_text(encoding="utf-8")
            assert won[0] in on_disk
            for text, (status, data) in answers.items():
                if text != won[0]:
                    assert status == 409 and data["theirs"] == on_disk and text in data["mine"], (trial, text, data)
    finally:
        script.write_bytes(original)


HOSTILE_WORDS = [
    (".*", "anything"),
    ("---", "dash"),
    ("a\x00b", "ab"),
    ("Zor", "zor\x00blax"),
    ("a\x7fb", "ab"),
    ("Zor", "zor\x7f"),
    ("{a|b}", "ab"),
    ("Zor", "{a|b}"),
    ("Zor\u202e", "zor"),
    ("Zor", "zor\u202eblax"),
    # A spoken form that says nothing drops the word from the audio; invisible characters.
    ("hello", ".*"),
    ("Zor", "---"),
    ("Z\u200bor", "zor"),
    ("Zor", "zo\u2060r"),
]


@pytest.mark.parametrize("word, spoken", HOSTILE_WORDS, ids=[ascii(w + "=" + s) for w, s in HOSTILE_WORDS])
def test_a_word_the_lexicon_cannot_hold_is_refused_and_nothing_is_written(studio, show, word, spoken):
    lexicon = show / "voices" / "heart.lexicon.toml"
    before = lexicon.read_bytes()
    status, data = api(studio, f"api/episode?ep={EP}")
    sha = data["lexicons"]["voice"]["sha"]
    status, answer = api(studio, "api/save-word", {"ep": EP, "word": word, "spoken": spoken, "where": "voice", "sha": sha})
    assert status == 400 and isinstance(answer, str) and answer.count("\n") == 1, answer
    assert lexicon.read_bytes() == before
    assert api(studio, f"api/episode?ep={EP}")[0] == 200  # the episode still reads, so it still renders
    proc = run_cli("text", show / "season" / f"{EP}.md", cwd=show, env={"PAPERLEDGE_SHOW": str(show)})
    assert proc.returncode == 0, proc.stderr


def test_a_save_keeps_the_files_mode_and_owner(studio, show):
    script = show / "season" / f"{EP}.md"
    lexicon = show / "voices" / "heart.lexicon.toml"
    original = {p: p.read_bytes() for p in (script, lexicon)}
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())  # nobody, where we may
    try:
        for p in (script, lexicon):
            p.chmod(0o600)
            if os.geteuid() == 0:
                os.chown(p, *owner)
        status, answer = api(
            studio, "api/save-sentence", {"ep": EP, "i": 2, "text": "Today we read a paper.", "sha": script_sha(studio)}
        )
        assert status == 200, answer
        sha = api(studio, f"api/episode?ep={EP}")[1]["lexicons"]["voice"]["sha"]
        status, answer = api(
            studio, "api/save-word", {"ep": EP, "word": "paper", "spoken": "pay per", "where": "voice", "sha": sha}
        )
        assert status == 200, answer
        for p in (script, lexicon):
            st = p.stat()
            assert stat.S_IMODE(st.st_mode) == 0o600 and (st.st_uid, st.st_gid) == owner, p
        assert b"Today we read a paper." in script.read_bytes() and b'paper = "pay per"' in lexicon.read_bytes()
    finally:
        for p, data in original.items():
            p.write_bytes(data)
            p.chmod(0o644)
            os.chown(p, os.getuid(), os.getgid())


def test_a_link_put_in_place_of_a_script_is_not_followed(studio, show, tmp_path):
    script = show / "season" / f"{EP}.md"
    original = script.read_bytes()
    secret = tmp_path / "secret.md"
    secret.write_text("## Secret\n\nThe root password is hunter2.\n", encoding="utf-8")
    sha = script_sha(studio)
    script.unlink()
    script.symlink_to(secret)
    try:
        for path in (f"api/episode?ep={EP}", f"audio/sentence.wav?ep={EP}&i=1"):
            status, answer = api(studio, path)
            assert status == 400 and "hunter2" not in str(answer) and "link" in str(answer), answer
        status, answer = api(studio, "api/save-sentence", {"ep": EP, "i": 1, "text": "Written through.", "sha": sha})
        assert status == 400 and "link" in answer
        assert "hunter2" in secret.read_text(encoding="utf-8") and "Written" not in secret.read_text(encoding="utf-8")
    finally:
        script.unlink()
        script.write_bytes(original)
    assert api(studio, f"api/episode?ep={EP}")[0] == 200


def raw_exchange(port: int, head: bytes, chunks=(), timeout: float = 30) -> bytes:
    """Send a request head (and body chunks, as long as the server reads them); the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        try:
            for chunk in chunks:
                s.sendall(chunk)
        except OSError:  # the server stopped reading and closed: what a cap is for
            pass
        out = b""
        try:
            while b"\r\n\r\n" not in out or len(out) < 200:
                got = s.recv(65536)
                if not got:
                    break
                out += got
        except OSError:
            pass
        return out


def test_a_body_over_the_cap_is_refused_without_being_read(studio):
    head = (
        f"POST /api/approve HTTP/1.1\r\nHost: 127.0.0.1:{studio.port}\r\nX-Studio-Token: {studio.token}\r\n"
        "Content-Type: application/json\r\n"
    )
    # 400 MB announced and never sent: the answer comes at once, from the header alone.
    answer = raw_exchange(studio.port, (head + "Content-Length: 400000000\r\n\r\n").encode())
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Chunked, with no length: reading stops at the cap.
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
    answer = raw_exchange(studio.port, (head + "Transfer-Encoding: chunked\r\n\r\n").encode(), [chunk] * 400)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000,
        b'{"ep": ' * 50 + b"1" + b"}" * 50,
        b'{"ep": "01-safe", "i": 1, "text": "Hi \\ud800 there."}',
        b'{"ep": "\xff\xfe"}',
        b"[]",
        b'{"ep": 1e999}',
    ],
    ids=["deep-list", "deep-object", "lone-surrogate", "not-utf8", "not-an-object", "1e999"],
)
def test_a_hostile_json_body_is_one_line_400(studio, body):
    status, _, raw = request(
        studio.base + "api/preview", body, {"X-Studio-Token": studio.token, "Content-Type": "application/json"}
    )
    assert status == 400 and raw.count(b"\n") == 1 and b"Traceback" not in raw, raw[:200]


def test_half_sent_requests_time_out_and_a_flood_under_few_descriptors_is_said_once(tmp_path):
    """400 connections that each send half a request, at a studio allowed 40 file descriptors:
    it says once that it ran out, answers again once they close, and closes a half-sent request itself."""
    studio = Studio(make_show(tmp_path / "show"), limit_files=40)
    try:
        held = []
        for _ in range(400):
            try:
                s = socket.create_connection(("127.0.0.1", studio.port), timeout=5)
                s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                held.append(s)
            except OSError:
                pass
        time.sleep(3)
        for s in held:
            s.close()
        deadline = time.monotonic() + 60
        while True:  # on a loaded machine the server may still count the closed connections (503) a while
            try:
                status, _, _ = request(studio.base + "api/episodes", headers={"X-Studio-Token": studio.token})
                if status != 503:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the studio did not answer again after the connections closed"
            time.sleep(0.5)
        assert status == 200
        log = studio.stderr()
        assert len(log) < 2000 and "Traceback" not in log, log[:2000]
        # A request head that never ends is closed by the server, not held for ever.
        with socket.create_connection(("127.0.0.1", studio.port), timeout=90) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert s.recv(100) == b""
    finally:
        studio.stop()
