"""Inputs an attacker or a careless editor writes: each is one line naming what to fix and
exit 1, through the command a producer runs, never a hang, a traceback or a 4 MB message."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

BODY = "## One\nHello there, crew.\n"

# 354 bytes that a YAML loader that follows aliases expands to 9^6 strings.
ALIAS_BOMB = """---
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
authors: [*e,*e,*e,*e,*e,*e,*e,*e,*e]
---
"""


def _one_line(proc, *needles: str) -> str:
    assert proc.returncode == 1, proc.stdout[-500:]
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400, lines[:3]
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "show").mkdir()
    return tmp_path / "show"


def _text(folder: Path, script: str) -> object:
    path = folder / "ep.md"
    path.write_text(script, encoding="utf-8")
    return run_cli("text", path, "--show", folder)


@pytest.mark.parametrize(
    "script, needles",
    [
        (ALIAS_BOMB + BODY, ("line 3", "aliases")),
        ("---\ntitle: A\ntitle: B\n---\n" + BODY, ("line 3", "'title' is given twice")),
        ("---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n" + BODY, ("nests too deep",)),
        ("---\nepisode: 99999999999999999999\n---\n" + BODY, ("'episode'", "from 0 to 99999")),
        ('---\ntitle: "A\\u202eB"\n---\n' + BODY, ("'title'", "U+202E")),
        (BODY + "Say \u202eevil\u202c words.\n", ("line 3", "U+202E")),
        (BODY + "Say \u2067this\u2069 too.\n", ("line 3", "U+2067")),
        (BODY + "A " + "w" * 1_000_000 + " word.\n", ("line 3", "1,000,000 characters")),
        ("".join(f"## C{i}\nSentence {i}.\n\n" for i in range(300)), ("300 chapters", "at most 255")),
    ],
)
def test_hostile_script_is_one_line(folder, script, needles):
    _one_line(_text(folder, script), *needles)


def test_a_long_value_is_quoted_short(folder):
    line = _one_line(_text(folder, "---\ntitle: [" + ", ".join(["word"] * 100_000) + "]\n---\n" + BODY), "'title'")
    assert "…" in line


@pytest.mark.parametrize(
    "show_toml, needles",
    [
        ('artist = "A\\u0000B"\n', ("show.toml", "'artist'", "U+0000")),
        ('artist = "Ernis\\nand friends"\n', ("show.toml", "'artist'", "U+000A")),
        ("title = " + "[" * 3000 + "]" * 3000 + "\n", ("show.toml", "nests too deep")),
    ],
)
def test_hostile_show_settings_are_one_line(folder, show_toml, needles):
    (folder / "show.toml").write_text(show_toml, encoding="utf-8")
    _one_line(_text(folder, BODY), *needles)


@pytest.mark.parametrize(
    "lexicon, needles",
    [
        ('[words]\nfoo = "f\\u0000oo"\n', ("lexicon.toml", "U+0000")),
        ("[words]\nfoo = " + "[" * 3000 + "]" * 3000 + "\n", ("lexicon.toml", "nests too deep")),
    ],
)
def test_hostile_lexicon_is_one_line(folder, lexicon, needles):
    (folder / "lexicon.toml").write_text(lexicon, encoding="utf-8")
    _one_line(_text(folder, BODY), *needles)


def _cover_files(folder: Path) -> None:
    from PIL import Image

    (folder / "not-an-image.jpg").write_text("hello")
    Image.new("RGB", (500, 500)).save(folder / "small.jpg")
    Image.new("RGB", (1600, 1400)).save(folder / "wide.jpg")
    Image.new("RGBA", (1400, 1400)).save(folder / "alpha.png")
    Image.new("RGB", (1400, 1400)).save(folder / "cover.gif")


@pytest.mark.parametrize(
    "cover, needles",
    [
        ("/etc/passwd", ("show.toml", "outside the show folder")),
        ("../../../../../../etc/hostname", ("show.toml", "outside the show folder")),
        ("not-an-image.jpg", ("not a JPEG or PNG image",)),
        ("small.jpg", ("500x500 px", "square, 1400 to 3000 px")),
        ("wide.jpg", ("1600x1400 px",)),
        ("alpha.png", ("RGBA", "RGB without transparency")),
        ("cover.gif", ("GIF image", "JPEG or PNG")),
    ],
)
def test_a_cover_must_be_cover_art_of_the_show(folder, cover, needles):
    """Refused before anything is synthesised, and no MP3 is written."""
    _cover_files(folder)
    (folder / "show.toml").write_text(f'cover = "{cover}"\n', encoding="utf-8")
    script = folder / "ep.md"
    script.write_text(BODY, encoding="utf-8")
    out = folder / "out" / "ep.mp3"
    _one_line(run_cli("render", script, "-o", out, "--show", folder, "--no-cache", "-q"), *needles)
    assert not out.exists()


def test_a_voice_lexicon_outside_the_show_is_refused(folder):
    voices = folder / "voices"
    voices.mkdir()
    (voices / "odd.toml").write_text('lexicon = "/etc/hostname"\n[engine]\nname = "piper"\n', encoding="utf-8")
    _one_line(_text(folder, "---\nvoice: odd\n---\n" + BODY), "odd.toml", "outside the show folder")


def test_cache_commands_refuse_a_file_for_a_folder(tmp_path):
    afile = tmp_path / "not-a-cache"
    afile.write_text("x")
    for command in (["info"], ["prune", "--max-size", "1M"], ["clear"]):
        _one_line(run_cli("cache", *command, "--cache-dir", afile), "is a file, not a cache folder")
    assert afile.read_text() == "x"


@pytest.mark.parametrize("name", ["", "   "])
def test_init_needs_a_folder_name(tmp_path, name):
    _one_line(run_cli("init", name, cwd=tmp_path), "give the new show's folder")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["intro.flac", "outro.flac"])
def test_music_that_is_not_music_is_one_line_before_synthesis(folder, name):
    (folder / "assets").mkdir()
    (folder / "assets" / name).symlink_to("/etc/passwd")
    script = folder / "ep.md"
    script.write_text(BODY, encoding="utf-8")
    out = folder / "ep.mp3"
    _one_line(run_cli("render", script, "-o", out, "--show", folder, "--no-cache", "-q"), name, "not music")
    assert not out.exists()


@pytest.mark.parametrize("front", ["voice: {p}", "cast:\n  Ernis: ernis\n  Maya: {p}"])
def test_a_script_names_only_the_shows_voice_profiles(folder, tmp_path, front):
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[engine]\nname = "piper"\n', encoding="utf-8")
    body = BODY if "cast" not in front else "Maya: Hello there.\n"
    _one_line(_text(folder, f"---\n{front.format(p=elsewhere)}\n---\n{body}"), "outside the show folder", "--voice")
    # Named on the command line, the same file is a voice the producer chose.
    script = folder / "ep2.md"
    script.write_text(BODY, encoding="utf-8")
    assert run_cli("text", script, "--show", folder, "--voice", elsewhere).returncode == 0


def _run_bounded(*args, cwd=None):
    """`paperledge ARGS` that fails the test, rather than blocking it, if the command hangs."""
    import os
    import subprocess

    from .conftest import PAPERLEDGE, ROOT

    env = {k: v for k, v in os.environ.items() if k != "PAPERLEDGE_SHOW"}
    try:
        return subprocess.run(
            [*PAPERLEDGE, *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd or ROOT,
            env=env,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"paperledge {' '.join(map(str, args[:2]))} hung on a FIFO")


# Which file is a FIFO, and the command that reads it. Before: the first four hung for ever,
# the last four were silently skipped (the bundled lexicon, cover or music used instead).
FIFOS = [
    ("ep.md", ["text", "{show}/ep.md"]),
    ("page.txt", ["import-page", "{show}/page.txt", "-o", "{show}/imported"]),
    ("voices/odd.toml", ["text", "{show}/ep.md", "--voice", "odd"]),
    ("show.toml", ["text", "{show}/ep.md"]),
    ("lexicon.toml", ["text", "{show}/ep.md"]),
    ("voices/odd.lexicon.toml", ["text", "{show}/ep.md", "--voice", "odd"]),
    ("assets/cover.jpg", ["render", "{show}/ep.md", "-o", "{show}/ep.mp3", "--voice", "heart", "--no-cache", "-q"]),
    ("assets/intro.flac", ["render", "{show}/ep.md", "-o", "{show}/ep.mp3", "--voice", "heart", "--no-cache", "-q"]),
]


@pytest.mark.parametrize("fifo, command", FIFOS, ids=[f for f, _ in FIFOS])
def test_a_fifo_for_any_file_the_tool_reads_is_one_line_naming_it(folder, fifo, command):
    import os

    for sub in ("voices", "assets"):
        (folder / sub).mkdir()
    (folder / "ep.md").write_text(BODY, encoding="utf-8")
    if "odd" in fifo:
        (folder / "voices" / "odd.toml").write_text('lexicon = "odd.lexicon.toml"\n[engine]\nname = "hibari"\n', encoding="utf-8")
        (folder / "voices" / "odd.lexicon.toml").write_text("[words]\n", encoding="utf-8")
    (folder / fifo).unlink(missing_ok=True)
    os.mkfifo(folder / fifo)
    proc = _run_bounded("--show", folder, *(a.format(show=folder) for a in command))
    _one_line(proc, fifo.split("/")[-1], "not a regular file")
    assert not (folder / "ep.mp3").exists() and not (folder / "imported").exists()
