"""A show folder of one's own: `paperledge init`, and files there overriding the bundled ones.

Everything goes through the CLI, run inside the show folder as a producer would, and the
MP3s are read back with ffprobe/ffmpeg.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from .conftest import ROOT, attached_cover, ffprobe, run_cli, vtt_cues

pytestmark = pytest.mark.slow

SCRIPT = """---
title: Overrides
season: 2
episode: 1
authors: [Ada One, Ben Two, Cy Three, Di Four]
---
## Opening
Hello there, this is a short test of the show folder.

## Closing
That is all for now.
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def _render(folder, script, cache, **kw):
    proc = run_cli("render", script, "--cache-dir", cache, "-q", cwd=folder, **kw)
    assert proc.returncode == 0, proc.stderr
    return folder / "build" / f"{Path(script).stem}.mp3"


def _tags(mp3):
    return {k.lower(): v for k, v in ffprobe(mp3)["format"]["tags"].items()}


def _cover_width(mp3) -> int:
    pictures = [s for s in ffprobe(mp3)["streams"] if s["codec_type"] == "video"]
    assert len(pictures) == 1, "one attached cover"
    return int(pictures[0]["width"])


def _duration(mp3) -> float:
    return float(ffprobe(mp3)["format"]["duration"])


@pytest.fixture(scope="module")
def plain(tmp_path_factory, cache):
    """The script rendered in a folder holding nothing but it: every default is the bundled one."""
    folder = tmp_path_factory.mktemp("plain")
    (folder / "ep.md").write_text(SCRIPT, encoding="utf-8")
    return folder, _render(folder, "ep.md", cache)


def test_init_makes_a_show_whose_sample_renders_at_once(tmp_path, cache):
    made = run_cli("init", "night-owls", "--title", "Night Owls", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    show = tmp_path / "night-owls"
    for name in ("show.toml", "README.md", "scripts/season-01/01-hello.md", "assets/cover.jpg"):
        assert (show / name).is_file(), name
    mp3 = _render(show, "scripts/season-01/01-hello.md", cache)
    info = ffprobe(mp3)
    assert [c["tags"]["title"] for c in info["chapters"]] == ["Welcome", "How it works"]
    tags = _tags(mp3)
    assert tags["album"] == "Night Owls, Season 1", "the show's name from show.toml"
    assert tags["artist"] == "Ernis"
    cover = attached_cover(mp3, tmp_path)
    assert cover == (show / "assets" / "cover.jpg").read_bytes(), "the show's own cover, drawn with its name"
    assert cover != (ROOT / "assets" / "cover.jpg").read_bytes()


def test_init_never_overwrites_a_show(tmp_path):
    assert run_cli("init", "s", cwd=tmp_path).returncode == 0
    (tmp_path / "s" / "show.toml").write_text('title = "Mine"\n', encoding="utf-8")
    again = run_cli("init", "s", cwd=tmp_path)
    assert again.returncode == 1 and "already" in again.stderr and "Traceback" not in again.stderr
    assert (tmp_path / "s" / "show.toml").read_text(encoding="utf-8") == 'title = "Mine"\n'


def test_a_voice_in_the_show_folder_overrides_the_bundled_one(tmp_path, plain, cache):
    _, plain_mp3 = plain
    (tmp_path / "ep.md").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "voices").mkdir()
    bundled = (ROOT / "voices" / "ernis.toml").read_text(encoding="utf-8")
    slow = re.sub(r"(?m)^length_scale = .*$", "length_scale = 1.8", bundled)
    assert slow != bundled
    # Only the profile is copied: its lexicon still comes from the package.
    (tmp_path / "voices" / "ernis.toml").write_text(slow, encoding="utf-8")

    listed = run_cli("voices", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    ernis = next(line for line in listed.stdout.splitlines() if line.startswith("ernis "))
    assert " show " in ernis and str(tmp_path / "voices" / "ernis.toml") in ernis
    xtts = next(line for line in listed.stdout.splitlines() if line.startswith("ernis-xtts "))
    assert " bundled " in xtts

    mp3 = _render(tmp_path, "ep.md", cache)
    assert _duration(mp3) > _duration(plain_mp3) + 1.5, "the show's slower Ernis was used"


@pytest.fixture(scope="module")
def own_show(tmp_path_factory, cache):
    """A show folder with its own show.toml and cover, and a season folder with its own show.toml."""
    show = tmp_path_factory.mktemp("show")
    (show / "assets").mkdir()
    Image.new("RGB", (1600, 1600), (200, 40, 40)).save(show / "assets" / "cover.jpg", "JPEG")
    (show / "show.toml").write_text('title = "Own Show"\nartist = "Guest Host"\nmax_spoken_authors = 1\n', encoding="utf-8")
    season = show / "scripts" / "season-02"
    season.mkdir(parents=True)
    (season / "show.toml").write_text('title = "Own Show Extra"\n', encoding="utf-8")
    (season / "ep.md").write_text(SCRIPT, encoding="utf-8")
    return show, _render(show, "scripts/season-02/ep.md", cache)


def test_a_cover_in_the_show_folder_overrides_the_bundled_one(own_show, plain):
    assert _cover_width(plain[1]) == 1400, "the bundled cover"
    assert _cover_width(own_show[1]) == 1600, "the show's assets/cover.jpg"


def test_render_reads_show_toml_and_the_season_folder_overrides_it(own_show):
    show, mp3 = own_show
    tags = _tags(mp3)
    assert tags["artist"] == "Guest Host", "artist from the show folder's show.toml"
    assert tags["album"] == "Own Show Extra, Season 2", "title from the season folder's show.toml"
    last = vtt_cues(mp3.with_suffix(".vtt"))[-1][2]
    assert last == "Credit to the paper's authors: Ada One, and 3 colleagues.", "max_spoken_authors = 1"


def test_show_folder_named_by_option_or_environment(own_show, tmp_path):
    show, _ = own_show
    (show / "voices").mkdir(exist_ok=True)
    (show / "voices" / "guest.toml").write_text((ROOT / "voices" / "ernis.toml").read_text(encoding="utf-8"), encoding="utf-8")
    try:
        by_option = run_cli("--show", show, "voices", "list", cwd=tmp_path)
        by_env = run_cli("voices", "list", cwd=tmp_path, env={"PAPERLEDGE_SHOW": str(show)})
        elsewhere = run_cli("voices", "list", cwd=tmp_path)
    finally:
        (show / "voices" / "guest.toml").unlink()
    assert "guest " in by_option.stdout and "guest " in by_env.stdout
    assert "guest " not in elsewhere.stdout
    missing = run_cli("--show", tmp_path / "nope", "voices", "list", cwd=tmp_path)
    assert missing.returncode == 1 and "nope" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.parametrize(
    "option, value, needle",
    [
        ("--title", "Evil\u202eTitle", "holds control character U+202E"),
        ("--title", "x" * 5000, "5,000 characters long; keep it to at most 255"),
        ("--title", "Zero\u200bWidth", "invisible character U+200B"),
        ("--artist", "A\u2060B", "invisible character U+2060"),
        ("--title", "W" * 255, "does not fit on the cover"),
        # The sample episode says the name: one the default voice cannot say is refused at init.
        ("--title", "A" * 255, "no word is longer than 200"),
        ("--title", "\u65e5\u672c\u8a9e\u306e\u30b7\u30e7\u30fc", "cannot speak Cjk"),
        ("--title", "Ma\u0443a", "cannot speak Cyrillic"),
    ],
)
def test_init_refuses_a_name_the_show_could_not_use(tmp_path, option, value, needle):
    """Before: init wrote the show, and its first render failed on the name."""
    made = run_cli("init", "s", option, value, cwd=tmp_path)
    assert made.returncode == 1 and "Traceback" not in made.stderr
    (line,) = made.stderr.strip().splitlines()
    assert needle in line and option in line and len(line) < 300
    assert not (tmp_path / "s").exists()


def test_the_longest_title_init_takes_gives_a_show_that_reads(tmp_path):
    title = " ".join(["Wonderful"] * 30)[:255]
    assert run_cli("init", "s", "--title", title, cwd=tmp_path).returncode == 0
    done = run_cli("text", "scripts/season-01/01-hello.md", cwd=tmp_path / "s")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "title",
    [
        "Newcomer Notes",
        "PaperLedge",
        "The Extremely Long Title of a Show About Everything Under the Sun",
        "Supercalifragilisticexpialidocious" * 4,
    ],
)
def test_the_cover_fits_the_whole_title_within_its_margins(title):
    """Before: the name was drawn at one size and cut at the edge ("Newcomer Note")."""
    from PIL import Image, ImageDraw

    from audio_pipeline.audio.assets import cover_layout

    size = 1400
    layout = cover_layout(size, title, "with Ernis")
    lines = [line for _, line, _, is_title in layout if is_title]
    assert "".join(lines).replace(" ", "") == title.replace(" ", "")  # every letter drawn, none cut off
    draw = ImageDraw.Draw(Image.new("RGB", (size, size)))
    margin = size * 0.05
    for at, line, font, _ in layout:
        left, top, right, bottom = draw.textbbox(at, line, font=font)
        assert margin <= left and right <= size - margin and margin <= top and bottom <= size - margin, line
    titles = [draw.textbbox(at, line, font=font) for at, line, font, is_title in layout if is_title]
    subtitle_top = min(draw.textbbox(at, line, font=font)[1] for at, line, font, is_title in layout if not is_title)
    assert max(box[3] for box in titles) <= subtitle_top  # the title never runs into the subtitle
