"""`paperledge studio` in a real headless Chromium (Debian's chromium, driven by playwright):
edit a sentence, preview it, fix a word in a lexicon, choose a take, render, approve; and
the server's guards (token, origin, host, ids never paths, one-line errors)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from .conftest import PAPERLEDGE, ROOT, ctrl_c_reaches, ffprobe, run_cli

pytest.importorskip("starlette", reason="needs the [studio] extra: make setup installs it")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is part of the [dev] extra")
pytestmark = [pytest.mark.slow]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("chromium is not installed: `make system-deps` installs it (apt-get install chromium)")
    return found


SCRIPT = """---
title: Studio test
date: 2026-01-05
voice: steady
---
<!-- producer's note: keep this line as it is -->
## Opening

Hello and welcome to the show.
Today   we read a short paper.

## Findings

The *authors* measured Zorblax waves.  They found a clear signal.
"""


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """A show folder with one season of one episode and the steady voice (no engine noise)."""
    root = tmp_path_factory.mktemp("studio-show")
    (root / "voices").mkdir()
    (root / "season").mkdir()
    profile = (ROOT / "voices" / "ernis.toml").read_text(encoding="utf-8")
    profile = re.sub(r"(?m)^noise_scale = .*$", "noise_scale = 0.0", profile)
    profile = re.sub(r"(?m)^noise_w_scale = .*$", "noise_w_scale = 0.0", profile)
    profile = re.sub(r'(?m)^name = "ernis"', 'name = "steady"', profile)
    profile = profile.replace("ernis.lexicon.toml", "steady.lexicon.toml")
    (root / "voices" / "steady.toml").write_text(profile, encoding="utf-8")
    (root / "voices" / "steady.lexicon.toml").write_text(
        '# the steady voice\'s words\n[words]\nPaperLedge = "Paper Ledge"\n', encoding="utf-8"
    )
    (root / "season" / "01-studio.md").write_text(SCRIPT, encoding="utf-8")
    return root


STUDIO: dict[str, str] = {}  # the address the studio printed, and its token


@pytest.fixture(scope="module")
def server(show):
    env = {**os.environ, "PAPERLEDGE_CACHE_DIR": str(show / "cache"), "PAPERLEDGE_SHOW": str(show)}
    proc = subprocess.Popen(
        [*PAPERLEDGE, "studio", "season", "--no-browser", "-o", "out"],
        cwd=show,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_reaches,
    )
    line = proc.stdout.readline()
    m = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=([\w-]+)", line)
    assert m, line + proc.stderr.read() if proc.poll() is not None else line
    STUDIO.update(address=m.group(0), token=m.group(2))
    yield m.group(1)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(timeout=20) == 0
    assert "stopped" in proc.stdout.read() and "Traceback" not in proc.stderr.read()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=["--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


# A 409 answer is a resource that "failed to load" to Chromium's console: the conflict test makes exactly one.
CONFLICT_LINE = "the server responded with a status of 409"
ERRORS: list[str] = []
FAILED: list[str] = []  # the address and status of every answer the console calls an error


@pytest.fixture(scope="module")
def page(browser, server):
    page = browser.new_page()
    page.on("console", lambda m: ERRORS.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: ERRORS.append(str(e)))
    page.on("response", lambda r: FAILED.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(STUDIO["address"])  # the printed address: its token becomes a cookie, then the bare address
    page.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert page.url == server
    return page


def token(page) -> str:
    return STUDIO["token"]


def post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get(url: str, headers: dict | None = None) -> tuple[int, str]:
    """GET `url` with the studio's token, as the page's cookie sends it."""
    headers = {"X-Studio-Token": STUDIO["token"], **(headers or {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            return r.status, r.read().decode("latin-1")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def select(page, n: int) -> None:
    page.get_by_role("button", name=re.compile(f"^Play sentence {n}:")).click()
    page.wait_for_function(f"() => document.getElementById('detail-title').textContent === 'Sentence {n}'")


def clip_duration(page, before: float | None = None) -> float:
    cond = "c.readyState >= 1 && isFinite(c.duration)" + ("" if before is None else f" && Math.abs(c.duration - {before}) > 0.05")
    page.wait_for_function(f"() => {{ const c = document.getElementById('clip'); return {cond}; }}", timeout=60_000)
    return page.evaluate("document.getElementById('clip').duration")


def test_changes_need_the_token_and_the_servers_own_origin(page, server, show):
    approve = server + "api/approve"
    body = b'{"ep": "01-studio"}'
    own = server.rstrip("/")
    assert post(approve, body, {})[0] == 403
    assert post(approve, body, {"X-Studio-Token": "guess"})[0] == 403
    status, text = post(approve, body, {"X-Studio-Token": token(page), "Origin": "http://evil.example"})
    assert status == 403 and text.count("\n") == 1 and "origin" in text
    assert get(server, {"Host": "evil.example"})[0] == 403  # DNS rebinding
    assert get(server + "audio/sentence.wav?ep=01-studio&i=1", {"Sec-Fetch-Site": "cross-site"})[0] == 403
    # With the token, from the page's origin: bad requests are 4xx with one line, never a traceback.
    good = {"X-Studio-Token": token(page), "Origin": own}
    for path, data in [
        ("api/approve", b"{not json"),
        ("api/approve", b'{"ep": "../../etc/passwd"}'),
        ("api/preview", b'{"ep": "01-studio", "i": 99, "text": "x"}'),
        ("api/save-sentence", b'{"ep": "01-studio", "i": "1; rm", "text": "x", "sha": ""}'),
    ]:
        status, text = post(server + path, data, good)
        assert 400 <= status < 500 and text.count("\n") == 1 and "Traceback" not in text, (path, text)
    for path in [
        "audio/entry/..%2F..%2Fetc%2Fpasswd.wav",
        "static/..%2Fapp.py",
        "audio/sentence.wav?ep=/etc/passwd&i=1",
        "api/episode?ep=..%2F..%2Fseason%2F01-studio",
    ]:
        status, text = get(server + path)
        assert 400 <= status < 500 and "root:" not in text and "Traceback" not in text, path
    assert not (show / "out" / "01-studio.approved.json").exists()


def test_another_site_in_the_browser_cannot_change_anything(browser, server, show, tmp_path):
    import functools
    import http.server
    import threading

    (tmp_path / "index.html").write_text("<!doctype html><title>elsewhere</title>", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{other.server_address[1]}/index.html")
        # A form-like request needs no CORS preflight: the browser sends it, the studio refuses it.
        page.evaluate(
            """(url) => fetch(url, {method: 'POST', mode: 'no-cors', body: '{"ep": "01-studio", "i": 1, "take": 1}',
                                               headers: {'Content-Type': 'text/plain'}}).catch(() => null)""",
            server + "api/choose-take",
        )
        # One that would need a preflight is stopped there.
        refused = page.evaluate(
            """(url) => fetch(url, {method: 'POST', body: '{"ep": "01-studio", "i": 1, "take": 1}',
                                  headers: {'Content-Type': 'application/json', 'X-Studio-Token': 'x'}})
                                  .then(() => false, () => true)""",
            server + "api/choose-take",
        )
        page.close()
    finally:
        other.shutdown()
    assert refused
    assert not (show / "out" / "01-studio.takes.json").exists()


def test_the_browser_opened_through_a_private_file_reaches_the_studio(browser, server, tmp_path, monkeypatch):
    """The studio opens the browser through a file only its user can read (a command line is
    public); from there the address's token must still become the page's cookie."""
    import webbrowser

    from audio_pipeline.cli.studio import _open_privately

    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    _open_privately(STUDIO["address"], tmp_path)
    assert len(opened) == 1 and STUDIO["token"] not in opened[0]
    assert oct((tmp_path / "open-studio.html").stat().st_mode & 0o777) == "0o600"
    page = browser.new_page()
    try:
        page.goto(opened[0])
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert page.url == server
    finally:
        page.close()


def test_edit_preview_and_save_change_exactly_that_sentence(page, show):
    script = show / "season" / "01-studio.md"
    before = script.read_bytes()
    select(page, 2)
    first = clip_duration(page)
    new = "Today we read a short paper about the deep ocean and the whales that sing there."
    page.fill("#edit-text", new)
    page.get_by_role("button", name="Preview", exact=True).click()
    assert clip_duration(page, first) > first + 1.0  # the audio of the new, longer text
    assert script.read_bytes() == before  # a preview writes nothing
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('saved to')")
    assert script.read_bytes() == before.replace(b"Today   we read a short paper.", new.encode())


def test_an_edit_that_cannot_be_placed_exactly_is_refused(page, server, show):
    script = show / "season" / "01-studio.md"
    before = script.read_bytes()
    sha = json.loads(get(server + "api/episode?ep=01-studio")[1])["script_sha"]
    good = {"X-Studio-Token": token(page), "Origin": server.rstrip("/")}
    for i, text, why in [
        (3, "The authors measured waves.", "cannot be located exactly"),  # *authors* is Markdown
        (1, "## A new chapter", "beyond this sentence"),  # at a line's start: a heading
        (1, "- a list item", "beyond this sentence"),
        (4, "They found [pause 2s] a signal.", "beyond this sentence"),
    ]:
        body = json.dumps({"ep": "01-studio", "i": i, "text": text, "sha": sha}).encode()
        status, answer = post(server + "api/save-sentence", body, good)
        assert status == 400 and why in answer, answer
    assert script.read_bytes() == before


def test_a_word_saved_from_the_page_is_in_the_lexicon_and_in_paperledge_text(page, show):
    lexicon = show / "voices" / "steady.lexicon.toml"
    before = lexicon.read_text(encoding="utf-8")
    select(page, 3)
    # Select the word in the sentence's text (read-only here: *authors* is Markdown the studio does not rewrite).
    page.locator("#edit-text").evaluate("""(t) => { const i = t.value.indexOf('Zorblax'); t.focus();
                                           t.setSelectionRange(i, i + 7); t.dispatchEvent(new Event('select')); }""")
    assert page.input_value("#word") == "Zorblax"
    page.fill("#say-as", "Zor-blacks")
    page.get_by_role("button", name="Preview word").click()
    page.wait_for_function("() => document.getElementById('spoken').textContent.includes('Zor-blacks')")
    clip_duration(page)
    page.get_by_role("button", name="Save to voice lexicon").click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('marked for re-synthesis')")
    after = lexicon.read_text(encoding="utf-8")
    assert after == before.replace("[words]\n", '[words]\nZorblax = "Zor-blacks"\n')
    proc = run_cli("text", show / "season" / "01-studio.md", "--json", cwd=show, env={"PAPERLEDGE_SHOW": str(show)})
    assert proc.returncode == 0, proc.stderr
    third = json.loads(proc.stdout)[2]
    assert "Zor-blacks" in third["spoken"] and any("Zorblax" in r for r in third["rules"])
    assert "new reading" in page.locator(".row[data-index='3'] .mark").inner_text()  # marked for the next render
    assert "new reading" not in page.locator(".row[data-index='4']").inner_text()


def test_the_show_lexicon_is_made_from_the_bundled_one_and_never_overwritten_blind(page, server, show):
    bundled = (ROOT / "voices" / "lexicon.toml").read_text(encoding="utf-8")
    good = {"X-Studio-Token": token(page), "Origin": server.rstrip("/")}
    lexicons = json.loads(get(server + "api/episode?ep=01-studio")[1])["lexicons"]
    assert lexicons["show"]["sha"] == ""  # the show has no lexicon.toml of its own yet
    body = {"ep": "01-studio", "word": "signal", "spoken": "sig-nal", "where": "show", "sha": ""}
    status, answer = post(server + "api/save-word", json.dumps(body).encode(), good)
    assert status == 200, answer
    made = (show / "lexicon.toml").read_text(encoding="utf-8")
    assert made == bundled.replace("[words]\n", '[words]\nsignal = "sig-nal"\n', 1)
    proc = run_cli("text", show / "season" / "01-studio.md", "--json", cwd=show, env={"PAPERLEDGE_SHOW": str(show)})
    assert "sig-nal" in json.loads(proc.stdout)[3]["spoken"]
    # Saved again with the checksum of a file that has since changed: 409, both versions, nothing written.
    status, answer = post(server + "api/save-word", json.dumps({**body, "spoken": "sig-nul"}).encode(), good)
    assert status == 409 and json.loads(answer)["theirs"] == made and 'signal = "sig-nul"' in json.loads(answer)["mine"]
    assert (show / "lexicon.toml").read_text(encoding="utf-8") == made
    (show / "lexicon.toml").unlink()  # the rest of the module hears the bundled lexicon


def test_a_file_changed_on_disk_is_shown_not_overwritten(page, show):
    script = show / "season" / "01-studio.md"
    theirs = script.read_text(encoding="utf-8").replace("<!-- producer's note", "<!-- edited elsewhere; producer's note")
    script.write_text(theirs, encoding="utf-8")
    select(page, 1)
    page.fill("#edit-text", "Hello and welcome back.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector("#conflict[open]")
    assert "edited elsewhere" in page.locator("#theirs").inner_text()
    assert "Hello and welcome back." in page.locator("#mine").inner_text()
    assert script.read_text(encoding="utf-8") == theirs
    # Asked, the producer keeps both changes: theirs on disk, with this sentence edited.
    page.get_by_role("button", name="Save mine over it").click()
    page.wait_for_selector("#conflict", state="hidden")
    page.wait_for_function("() => document.getElementById('status').textContent.includes('saved to')")
    assert script.read_text(encoding="utf-8") == theirs.replace("Hello and welcome to the show.", "Hello and welcome back.")


def test_a_chosen_take_is_the_one_in_the_rendered_mp3(page, show):
    from audio_pipeline.synthesis.cache import sentence_key
    from audio_pipeline.synthesis.engines.base import create_engine
    from audio_pipeline.synthesis.voices import load_voice

    select(page, 4)
    page.get_by_role("button", name="Make more takes").click()
    page.wait_for_selector("text=Choose take 2", timeout=120_000)
    page.get_by_role("button", name="Choose take 2").click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('Take 2 chosen')")
    mp3 = show / "out" / "01-studio.mp3"
    assert json.loads(mp3.with_suffix(".takes.json").read_text())["takes"]
    button = page.get_by_role("button", name="Render and check")
    button.click()
    page.wait_for_selector("body[data-job]", timeout=240_000)
    assert page.evaluate("document.body.dataset.job") == "done", page.locator("#status").inner_text()
    # The player plays the new MP3.
    page.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=30_000)
    duration = float(ffprobe(mp3)["format"]["duration"])
    assert page.evaluate("document.getElementById('player').duration") == pytest.approx(duration, abs=0.1)
    page.wait_for_selector("#plot-box svg polyline.lufs")  # the loudness plot of the new MP3
    # The cache entry the render used for sentence 4 is take 2's.
    profile = load_voice(str(show / "voices" / "steady.toml"))
    fingerprint = create_engine(profile.engine, profile.engine_params).fingerprint()
    job = json.loads(get(page.url + "api/job")[1])
    assert job["entries"][3] == sentence_key(fingerprint, "They found a clear signal.", 2)
    assert job["entries"][3] != sentence_key(fingerprint, "They found a clear signal.", 0)
    # ...and that take is other audio than the first one.
    from audio_pipeline.synthesis.cache import SentenceCache

    cache = SentenceCache(show / "cache")
    take0 = cache.get(sentence_key(fingerprint, "They found a clear signal.", 0))
    take2 = cache.get(job["entries"][3])
    a, b = SentenceCache.load(take0), SentenceCache.load(take2)
    assert a.size != b.size or not (a == b).all()
    assert mp3.with_suffix(".check.json").exists()
    # The check of the new MP3 is shown: each sentence's alignment score.
    assert page.locator(".row .score").first.inner_text().startswith("score ")


def test_the_page_says_before_a_render_that_the_check_goes(page, show):
    """A producer pressing Render after a check is told that the scores and the review page
    go with the old MP3, and keeps them by saying no."""
    report = show / "out" / "01-studio.check.json"
    before = report.read_bytes()
    assert "check and review page" in page.get_by_role("button", name="Render", exact=True).get_attribute("title")
    asked = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="Render", exact=True).click()
    page.wait_for_function("() => document.getElementById('status').textContent.includes('Not rendered')")
    assert asked and "removes this episode's check and review page; check again afterwards" in asked[0]
    assert report.read_bytes() == before
    assert page.evaluate("document.cookie") == ""  # the token's cookie is HttpOnly: no script reads it
    assert STUDIO["token"] not in page.content()


def test_approval_publishes_only_the_approved_mp3(page, show):
    import feedparser

    mp3 = show / "out" / "01-studio.mp3"
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("#approved:has-text('Approved')")
    # The page shows the MP3's Content Credentials as validate reads them.
    assert page.text_content("#credentials") == "Signed"
    assert "Content Credentials valid" in page.get_attribute("#credentials", "title")
    from audio_pipeline.publish.approval import is_approved

    assert is_approved(mp3)
    env = {"PAPERLEDGE_SHOW": str(show)}
    proc = run_cli("feed", "season", "-o", "out", "--approved-only", cwd=show, env=env)
    assert proc.returncode == 0, proc.stderr
    assert len(feedparser.parse(str(show / "out" / "feed.xml")).entries) == 1
    saved = mp3.read_bytes()
    mp3.write_bytes(saved[:-1] + bytes([saved[-1] ^ 1]))  # changed after approval
    try:
        assert not is_approved(mp3)
        proc = run_cli("feed", "season", "-o", "out", "--approved-only", cwd=show, env=env)
        assert proc.returncode == 1 and "no episode is approved" in proc.stderr  # nothing left to publish
    finally:
        mp3.write_bytes(saved)


def test_every_control_has_a_name_and_is_reached_by_keyboard(page):
    select(page, 1)
    page.get_by_role("button", name="Make more takes").click()
    page.wait_for_selector("text=Choose take 1")
    controls = page.evaluate("""() => [...document.querySelectorAll('button, input, select, textarea, audio[controls], [tabindex]')]
        .filter((el) => el.offsetParent !== null && !el.disabled && !el.closest('dialog:not([open])'))
        .map((el, i) => { el.dataset.k = i; return {k: String(i), tag: el.tagName,
            name: (el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent)
                   || el.textContent || '').trim()}; })""")
    assert len(controls) > 20
    nameless = [c for c in controls if not c["name"]]
    assert not nameless
    page.locator("body").focus()
    page.evaluate("document.activeElement.blur()")
    reached = set()
    for _ in range(3 * len(controls)):
        page.keyboard.press("Tab")
        k = page.evaluate(
            "(() => { let el = document.activeElement; while (el && !el.dataset.k && el.parentElement)"
            " el = el.parentElement; return el && el.dataset.k || null; })()"
        )
        if k is not None:
            reached.add(k)
    missing = [c for c in controls if c["k"] not in reached]
    assert not missing


def test_no_console_errors(page):
    assert [e for e in ERRORS if CONFLICT_LINE not in e] == [], FAILED
    assert sum(CONFLICT_LINE in e for e in ERRORS) <= 1
