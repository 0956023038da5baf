"""Scripts are Markdown: each construct has one fate, seen through `paperledge text` (what
is spoken, what the transcript holds) and, for one script, in a real render's VTT and
chapters as ffprobe reads them. A listener would hear a producer's notes, URLs, file
names or pause typos read aloud if these failed."""

from __future__ import annotations

import re

import pytest

from .conftest import ffprobe, run_cli, vtt_cues

HEAVY = """
---  
title: Markdown everywhere
---

# Part One
Welcome back <!-- TODO: cut this joke, legal said no --> to the *show*.
See [the paper](https://example.org/page) ![cover](cover.png) and `g++`[^1].

<!-- producer note:
spans two lines -->

* * *

1. First point
2. Second point

> A quote from the **paper**.

## Learning C#
Escaped \\{braces\\} stay, and {TxGemma|tee ex gemma} is a model. [pause 1s] Done.

🎉🎉

<!-- a note --> Text after a comment line is kept.

[^1]: A footnote that is not spoken.
"""


def _text(tmp_path, body: str, name: str = "ep.md"):
    script = tmp_path / name
    script.write_text(body, encoding="utf-8")
    return run_cli("text", script)


def _forms(out: str) -> tuple[list[str], list[str], list[str]]:
    written = re.findall(r"^\s*\d+ written: (.*)$", out, re.M)
    spoken = re.findall(r"^\s+spoken:  (.*)$", out, re.M)
    chapters = re.findall(r"^## (.*)$", out, re.M)
    return written, spoken, chapters


def test_markdown_heavy_script_speaks_only_its_words(tmp_path):
    proc = _text(tmp_path, HEAVY)
    assert proc.returncode == 0, proc.stderr
    written, spoken, chapters = _forms(proc.stdout)
    assert chapters == ["Part One", "Learning C#"]  # h1 kept as a chapter: the title is in front matter
    assert written == [
        "Welcome back to the show.",
        "See the paper and g++.",
        "First point",
        "Second point",
        "A quote from the paper.",
        "Escaped {braces} stay, and TxGemma is a model.",
        "Done.",
        "Text after a comment line is kept.",
    ]
    everything = " ".join(written + spoken).lower()
    for never in (
        "todo",
        "legal",
        "producer note",
        "example",
        "cover",
        "png",
        "footnote",
        "times",
        "**",
        "`",
        "<!--",
        "[",
        "title:",
        "pause",
    ):
        assert never not in everything, never
    assert "(pause 1s)" in proc.stdout


def test_markdown_render_transcript_and_chapters(tmp_path):
    script = tmp_path / "heavy.md"
    script.write_text(HEAVY, encoding="utf-8")
    out = tmp_path / "heavy.mp3"
    proc = run_cli("render", script, "-o", out, "--cache-dir", tmp_path / "cache", "-q")
    assert proc.returncode == 0, proc.stderr
    cues = [c[2] for c in vtt_cues(out.with_suffix(".vtt"))]
    assert cues[0] == "Welcome back to the show." and cues[-1] == "Text after a comment line is kept."
    assert not any(ch in " ".join(cues) for ch in "*`|<>[]"), cues
    titles = [c["tags"]["title"] for c in ffprobe(out)["chapters"]]
    assert titles == ["Part One", "Learning C#"]


@pytest.mark.parametrize("tag", ["[pause]", "[pause:2s]", "[Pause2s]", "[pause 2 seconds]", "[ pause 1s]"])
def test_pause_typos_are_errors_naming_the_line(tmp_path, tag):
    proc = _text(tmp_path, f"## One\nHello there.\n\nAnd then {tag} more.\n")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "line 4" in proc.stderr and tag in proc.stderr and "[pause 800ms]" in proc.stderr


def test_pauses_in_a_row_cannot_bypass_the_cap(tmp_path):
    proc = _text(tmp_path, "## One\nHello. [pause 10s] [pause 10s]\n\n[pause 10s] [pause 10s] Bye.\n")
    assert proc.returncode == 1 and "add up to 40s" in proc.stderr


@pytest.mark.parametrize("start", ["\n---\n", "---  \n", "\n\n---\t\n"])
def test_front_matter_after_blank_lines_or_with_trailing_spaces_is_not_spoken(tmp_path, start):
    proc = _text(tmp_path, start + "title: Leading blank line\nseason: 1\n---\n\nHello there.\n")
    assert proc.returncode == 0, proc.stderr
    written, spoken, _ = _forms(proc.stdout)
    assert written == ["Hello there."] and spoken == ["Hello there."]


def test_front_matter_that_does_not_close_is_an_error(tmp_path):
    proc = _text(tmp_path, "\n---\ntitle: Never closed\nHello there.\n")
    assert proc.returncode == 1 and "no closing '---'" in proc.stderr


def test_impossible_date_is_one_line(tmp_path):
    proc = _text(tmp_path, "---\ndate: 2025-13-45\n---\nHello.\n")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "front matter" in proc.stderr


@pytest.mark.parametrize(
    "body, words",
    [
        ("Hello.\n\n```\nprint(1)\n```\n", ["line 3", "code block"]),
        ("Hello.\n\n    indented code\n", ["line 3", "code block"]),
        ("Hello.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", ["line 3", "table"]),
        ("Hello.\n\n<div>hidden</div>\n", ["line 3", "HTML"]),
        ("Hello.\n\nA lone <!-- opens here.\n", ["line 3", "never closed"]),
        ("Hello.\n\n<!-- never closed\n\nmore text\n", ["line 3", "never closed"]),
        ("Hello.\n\n你好，世界。\n", ["line 3", "Cjk"]),
        ("Hello.\n\nمرحبا بالعالم\n", ["line 3", "Arabic"]),
        ("Hello.\n\nשלום עולם\n", ["line 3", "Hebrew"]),
        ("Hello \x1b[31mred\n", ["line 1", "control character"]),
        ('---\ntitle: "bad\\x07bell"\n---\nHello.\n', ["title", "control character"]),
    ],
)
def test_unspeakable_constructs_are_errors_naming_the_line(tmp_path, body, words):
    proc = _text(tmp_path, body)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line
    for w in words:
        assert w.lower() in line.lower(), line


def test_foreign_words_with_a_spoken_form_are_fine(tmp_path):
    proc = _text(tmp_path, "Say {你好|nee how} to everyone.\n")
    assert proc.returncode == 0, proc.stderr
    written, spoken, _ = _forms(proc.stdout)
    assert written == ["Say 你好 to everyone."] and spoken == ["Say nee how to everyone."]


def test_emoji_rules_and_lone_markers_do_not_stop_a_render(tmp_path):
    proc = _text(tmp_path, "## One\nHello there.\n\n🎉🎉🎉\n\n---\n\n* * *\n\nBye now.\n")
    assert proc.returncode == 0, proc.stderr
    written, _, _ = _forms(proc.stdout)
    assert written == ["Hello there.", "Bye now."]


def test_every_heading_level_keeps_its_full_text(tmp_path):
    body = "---\ntitle: Front title\n---\n# Part One\nA.\n\n## Learning C#\nB.\n\n### F# and C++ ###\nC.\n\n###### Six\nD.\n"
    proc = _text(tmp_path, body)
    assert proc.returncode == 0, proc.stderr
    assert _forms(proc.stdout)[2] == ["Part One", "Learning C#", "F# and C++", "Six"]


def test_leading_h1_names_the_episode_without_front_matter(tmp_path):
    proc = _text(tmp_path, "# The Title\n\n## One\nHello.\n")
    assert proc.returncode == 0
    assert _forms(proc.stdout)[2] == ["One"]


def test_paragraph_before_a_rule_is_not_a_heading(tmp_path):
    # CommonMark's setext heading would make "Spoken words" a silent chapter title.
    proc = _text(tmp_path, "## One\nSpoken words\n---\nMore words.\n")
    assert proc.returncode == 0
    written, _, chapters = _forms(proc.stdout)
    assert chapters == ["One"] and written == ["Spoken words", "More words."]
