"""The review page, opened in a real headless Chromium (Debian's chromium, driven by
playwright): a producer clicks a sentence and hears it from its start."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from .conftest import SAMPLE, ffprobe, run_cli, vtt_cues

pytest.importorskip("faster_whisper", reason="needs the [check] extra: make setup installs it")
pytestmark = [pytest.mark.slow, pytest.mark.check]


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.fail("chromium is not installed: `make system-deps` installs it (apt-get install chromium)")


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review")
    mp3 = folder / "ocean #1.mp3"  # a name that must be URL-encoded in the page
    proc = run_cli("render", SAMPLE, "-o", mp3, "--cache-dir", folder / "cache", "--check", "--retakes", "0", "-q")
    assert proc.returncode == 0, proc.stderr
    return mp3


def test_review_page_is_self_contained(reviewed):
    page = reviewed.with_suffix(".review.html").read_text(encoding="utf-8")
    # Nothing is fetched from anywhere: the only external reference is the MP3 beside it.
    assert not re.search(r"https?://", page.replace("http://www.w3.org/2000/svg", ""))
    assert 'src="ocean%20%231.mp3"' in page
    # The summary shows the duration as the player does: whole seconds, cut down.
    seconds = int(float(ffprobe(reviewed)["format"]["duration"]))
    assert f"<b>duration</b>{seconds // 60}:{seconds % 60:02d}<" in page
    assert "<b>retaken</b>0 sentences" in page and "of 25 sentences" in page
    assert "<svg" in page and "target -16 LUFS" in page
    report = json.loads(reviewed.with_suffix(".check.json").read_text(encoding="utf-8"))
    assert len(report["sentences"]) == len(vtt_cues(reviewed.with_suffix(".vtt")))


def test_page_plays_the_mp3_and_a_click_seeks_to_the_sentence(reviewed):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is part of the [dev] extra")
    cues = vtt_cues(reviewed.with_suffix(".vtt"))
    duration = float(ffprobe(reviewed)["format"]["duration"])
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--autoplay-policy=no-user-gesture-required"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(reviewed.with_suffix(".review.html").as_uri())
            page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=30_000)
            assert page.evaluate("document.getElementById('player').duration") == pytest.approx(duration, abs=0.1)
            assert page.locator("#transcript .s").count() == len(cues)
            page.locator("#transcript .s").nth(2).click()
            start = cues[2][0]
            page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {start}) < 0.5", timeout=10_000)
            assert page.evaluate("document.getElementById('player').currentTime") == pytest.approx(start, abs=0.5)
            assert errors == []
        finally:
            browser.close()
