"""Importing the published episode page into episode scripts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.importer.episodes import import_page
from audio_pipeline.importer.manifest import MANIFEST_NAME
from audio_pipeline.importer.page import parse_authors
from audio_pipeline.importer.page_metadata import slugify

# The show's real episode page, eight episodes as published.
PAGE = Path(__file__).parent / "data" / "paperledge-episodes-page.txt"

# Oldest first, as numbered; dates and author counts as the page gives them.
EXPECTED = [
    (dt.date(2025, 4, 7), "DeepSeek", 87),
    (dt.date(2025, 4, 7), "Process Reinforcement through Implicit Rewards", 23),
    (dt.date(2025, 4, 7), "PaperBench", 13),
    (dt.date(2025, 4, 7), "Structural Alignment", 6),
    (dt.date(2025, 4, 10), "Singular Value Decomposition", 11),
    (dt.date(2025, 4, 10), "FEABench", 6),
    (dt.date(2025, 4, 10), "TxGemma Efficient and Agentic LLMs for Therapeutics", 9),
    (dt.date(2025, 4, 10), "SkillFlow", 3),
]


def read(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def page_credits() -> list[list[str]]:
    """Author lists straight from the page, newest first, by the simplest possible split."""
    lines = re.findall(r"Credit to Paper authors: (.*)", PAGE.read_text(encoding="utf-8"))
    return [[n for n in line.split(", ") if n != ":"] for line in lines]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("scripts")
    return out, import_page(PAGE, out)


def test_the_real_page_gives_eight_scripts_numbered_by_date(imported):
    """A listener's feed would show episodes out of order or missing."""
    out, results = imported
    assert len(results) == 8
    assert all(r.status == "written" for r in results)
    for number, (result, (date, title_part, n_authors)) in enumerate(zip(results, EXPECTED), start=1):
        meta, _ = read(result.path)
        assert set(meta) <= {"title", "show", "season", "episode", "date", "category", "authors", "description", "voice"}
        assert meta["episode"] == number and meta["season"] == 1
        assert meta["date"] == date
        assert title_part in meta["title"] == result.title
        assert len(meta["authors"]) == n_authors
        assert meta["description"] and "Credit to" not in meta["description"]
        assert result.path.name.startswith(f"{number:02d}-")
    assert sorted(p.name for p in out.glob("*.md")) == [r.path.name for r in results]


def test_titles_and_categories_come_from_the_page_where_it_has_them(imported):
    """The two titled episodes must keep the show's own titles and categories."""
    metas = {read(r.path)[0]["title"]: read(r.path)[0] for r in imported[1]}
    assert metas["TxGemma Efficient and Agentic LLMs for Therapeutics"]["category"] == "Artificial Intelligence"
    assert metas["Process Reinforcement through Implicit Rewards"]["category"] == "Machine Learning"
    assert sum("category" in m for m in metas.values()) == 2


def test_author_lists_are_complete(imported):
    """Credits would drop or mangle authors' names (the DeepSeek paper has 87)."""
    newest_first = list(reversed(imported[1]))
    for result, expected in zip(newest_first, page_credits()):
        assert read(result.path)[0]["authors"] == expected
    deepseek = read(imported[1][0].path)[0]["authors"]
    assert deepseek[:3] == ["DeepSeek-AI", "Xiao Bi", "Deli Chen"] and deepseek[-1] == "Yuheng Zou"
    assert "Y. K. Li" in deepseek and ":" not in deepseek


def test_no_credits_text_is_left_in_any_body(imported):
    """The host would read the credits twice (the renderer speaks them from the front matter)."""
    for result in imported[1]:
        _, body = read(result.path)
        assert "Credit to" not in body and "Paper authors" not in body
        assert body.strip().split("\n")[-1].endswith(("!", "?", "."))
    # The page repeats one SkillFlow sentence as a pull quote; spoken, it would be heard twice.
    _, skillflow = read(imported[1][-1].path)
    assert skillflow.count("SkillFlow led to significant improvements") == 1


def test_every_script_has_welcome_why_and_questions_chapters(imported):
    """Chapter markers in players would be missing or land mid-thought."""
    for result in imported[1]:
        _, body = read(result.path)
        headings = re.findall(r"^## (.+)$", body, re.MULTILINE)
        assert headings == ["Welcome", "The research", "Why it matters", "Questions to ponder"]
        why = body.split("## Why it matters\n", 1)[1].split("\n", 1)[0]
        assert "why" in why.lower()
        questions = body.split("## Questions to ponder\n", 1)[1]
        assert questions.count("?") >= 2
        assert "\n\n\n" not in body


def test_scripts_read_back_with_the_script_parser(imported):
    """A freshly imported script would fail to render."""
    script = pytest.importorskip("audio_pipeline.script.read")
    for result in imported[1]:
        episode = script.read_script(result.path)
        assert episode.meta.title == result.title
        assert [c.title for c in episode.chapters][:1] == ["Welcome"]


def test_rerun_keeps_edited_scripts_unless_forced(tmp_path):
    """Rerunning the import would destroy the host's hand edits."""
    first = import_page(PAGE, tmp_path)
    assert [r.status for r in import_page(PAGE, tmp_path)] == ["unchanged"] * 8

    edited = first[3].path
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more thought from the host.\n", encoding="utf-8")
    again = import_page(PAGE, tmp_path)
    assert again[3].status == "skipped-edited"
    assert [r.status for i, r in enumerate(again) if i != 3] == ["unchanged"] * 7
    assert "One more thought" in edited.read_text(encoding="utf-8")

    forced = import_page(PAGE, tmp_path, force=True)
    assert forced[3].status == "written"
    assert "One more thought" not in edited.read_text(encoding="utf-8")
    assert import_page(PAGE, tmp_path)[3].status == "unchanged"


def test_a_file_the_importer_did_not_write_is_not_overwritten(tmp_path):
    """A hand-written script that happens to share a name would be lost."""
    first = import_page(PAGE, tmp_path)
    (tmp_path / MANIFEST_NAME).unlink()
    first[0].path.write_text("my own script\n", encoding="utf-8")
    assert import_page(PAGE, tmp_path)[0].status == "skipped-edited"
    assert first[0].path.read_text(encoding="utf-8") == "my own script\n"


def synthetic_page(title_line: str | None, body: str, date_line: str = "Friday Apr 11, 2025") -> str:
    header = [date_line] + ([title_line, date_line] if title_line else []) + [date_line]
    return "PaperLedge\n\nEpisodes\n\n" + "\n".join(header) + "\n" + body + "\n"


BODY = (
    "Hey PaperLedge crew, Ernis here! Today we look at a new method called Quiet Tables. It sorts rows.\n"
    "It is fast.\n"
    "Why does this matter? Tables are everywhere.\n"
    "Here are a few questions:\n"
    "Will it scale?\n"
    "Will it last?Credit to Paper authors: José Álvarez, Zoë Müller-Lüdenscheidt, Martin Luther King, Jr., "
    "Ann Lee, and Bob Stone, et al."
)


def test_hostile_titles_cannot_escape_the_output_folder(tmp_path):
    """A crafted title would write files outside the scripts folder."""
    page = tmp_path / "page.txt"
    page.write_text(synthetic_page("Security - ../../etc/passwd", BODY), encoding="utf-8")
    out = tmp_path / "out"
    [result] = import_page(page, out)
    assert result.path.parent == out
    assert result.path.name == "01-etc-passwd.md"
    assert read(result.path)[0]["title"] == "../../etc/passwd"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [MANIFEST_NAME, "01-etc-passwd.md", "page.txt"]


@pytest.mark.parametrize(
    "title, slug",
    [
        ("../../etc/passwd", "etc-passwd"),
        ("..", "episode"),
        ("Ünïcödé: Ça va?", "unicode-ca-va"),
        ("a/b\\c", "a-b-c"),
        ("x" * 200, "x" * 60),
        ("word " * 40, ("word-" * 12)[:-1]),
    ],
)
def test_slugs_are_safe_ascii_file_names(title, slug):
    """Script file names would break on other systems or point elsewhere."""
    assert slugify(title) == slug


def test_titles_with_colons_and_accents_round_trip(tmp_path):
    """A title like 'X: Y' would turn into broken YAML or lose its colon."""
    page = tmp_path / "page.txt"
    page.write_text(synthetic_page("AI - SkillFlow: Agents That Learn: A #1 'Test'", BODY), encoding="utf-8")
    [result] = import_page(page, tmp_path / "out")
    meta, body = read(result.path)
    assert meta["title"] == "SkillFlow: Agents That Learn: A #1 'Test'"
    assert meta["category"] == "AI"
    assert meta["authors"] == ["José Álvarez", "Zoë Müller-Lüdenscheidt", "Martin Luther King, Jr.", "Ann Lee", "Bob Stone"]
    assert meta["description"] == "Today we look at a new method called Quiet Tables. It sorts rows."
    assert "Credit" not in body and body.rstrip().endswith("Will it last?")


def test_untitled_episode_gets_a_title_from_its_subject(tmp_path):
    """An untitled episode would get no title, or a whole sentence as one."""
    page = tmp_path / "page.txt"
    page.write_text(synthetic_page(None, BODY), encoding="utf-8")
    [result] = import_page(page, tmp_path / "out")
    assert result.title == "Quiet Tables"
    assert result.path.name == "01-quiet-tables.md"


@pytest.mark.parametrize(
    "text, message",
    [
        ("Just some notes\nwith no dates\n", "no episode date lines"),
        (synthetic_page(None, BODY, date_line="Friday Apr 31, 2025"), "not a real date"),
        (synthetic_page(None, BODY, date_line="Monday Apr 11, 2025"), "is a Friday"),
        (synthetic_page(None, BODY) + "\nThursday Apr 10, 2025\nThursday Apr 10, 2025\n", "has no text"),
        ("Friday Apr 11, 2025\nTitle - X\nThursday Apr 10, 2025\n" + BODY, "comes before any text"),
        (synthetic_page(None, "Hello there.Credit to Paper authors: "), "no names"),
    ],
)
def test_malformed_pages_raise_a_one_line_error(tmp_path, text, message):
    """The import would crash with a traceback or write garbage scripts."""
    page = tmp_path / "page.txt"
    page.write_text(text, encoding="utf-8")
    with pytest.raises(PaperLedgeError, match=message) as err:
        import_page(page, tmp_path / "out")
    assert "\n" not in str(err.value)
    assert not list((tmp_path / "out").glob("*.md"))


def test_missing_and_non_utf8_pages_raise(tmp_path):
    """A typo in the page path would show a traceback instead of a fix."""
    with pytest.raises(PaperLedgeError, match="no such episode page file"):
        import_page(tmp_path / "nope.txt", tmp_path / "out")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Friday Apr 11, 2025\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(PaperLedgeError, match="line 2 is not UTF-8"):
        import_page(bad, tmp_path / "out")


def test_author_names_split_on_commas_and_and():
    """Credits would merge two people or split one."""
    assert parse_authors("A. X. Liu, Y. K. Li and Ada Lovelace") == ["A. X. Liu", "Y. K. Li", "Ada Lovelace"]
    assert parse_authors("Mary Sanders & Ron Anderson") == ["Mary Sanders", "Ron Anderson"]
    assert parse_authors("Jane Doe et al.") == ["Jane Doe"]
    assert parse_authors("Sam Grant III, Lee Hall, PhD") == ["Sam Grant III", "Lee Hall, PhD"]


def dated_page(episodes: list[tuple[str, str | None, str]]) -> str:
    """A page in the published format: chrome, then (date line, title line or None, body), newest first."""
    parts = ["PaperLedge", "", "PaperLedge where research meets storytelling.", "Episodes", "Episodes", "", ""]
    for date_line, title_line, body in episodes:
        parts += [date_line] + ([title_line, date_line] if title_line else []) + [date_line, body]
    return "\n".join(parts) + "\n"


def episode_body(name: str, extra: str = "") -> str:
    return (
        f"Hey PaperLedge crew, Ernis here! Today it is a new method called {name}. It helps.\n"
        f"{name} works by sorting things.{extra}\n"
        f"Why does this matter? Because {name} is everywhere.\n"
        "Here are a few questions:\n"
        f"Will {name} scale?\n"
        f"Will {name} last?Credit to Paper authors: Ann Lee, Bob Stone"
    )


HOSTILE_LINES = [
    "# Not a heading, just a hash the page starts a line with.",
    "## Not a chapter either.",
    "The set {a, b} has two items, and {written|spoken} is only text here.",
    "[pause 2s] is written on the page, not a pause.",
    "A note <!-- x --> that the page shows.",
    "Some *stars* and _underscores_ and `ticks` stay.",
    "1. A numbered line, not a list.",
    "- A dash line, not a list.",
    "> Not a quote.",
    "A & B < C, back\\slash, [link](http://example.com) and ~tilde~.",
]


def test_page_text_is_spoken_and_transcribed_exactly_as_written(tmp_path):
    """A page line starting with '# ' would vanish, '## ' would become a chapter, and
    '{…}' would make a script that cannot be rendered."""
    from audio_pipeline.stages import load_episode

    body = "Hey PaperLedge crew, Ernis here! Today it is a new method called Quiet Tables.\n" + "\n".join(HOSTILE_LINES)
    body += "\nWhy does this matter? Tables.\nA question:\nWill it scale?\nWill it last?"
    page = tmp_path / "page.txt"
    page.write_text(dated_page([("Friday Apr 11, 2025", None, body)]), encoding="utf-8")
    [result] = import_page(page, tmp_path / "out")

    episode, _, _ = load_episode(result.path)
    assert [c.title for c in episode.chapters] == ["Welcome", "The research", "Why it matters", "Questions to ponder"]
    # The credits sentence comes from the front matter; the rest is the page, word for word.
    written = [s.written for s in episode.sentences() if "Ann Lee" not in s.written and "authors" not in s.written]
    # Compared without white space: sentences are split apart, and "<!" ends one.
    squeezed = "".join("".join(written).split())
    assert squeezed == "".join(body.split())
    for line in HOSTILE_LINES:
        assert "".join(line.split()) in squeezed


def test_reimport_after_an_older_episode_was_added_renumbers_without_duplicates(tmp_path):
    """Re-importing would leave two scripts for one episode and two scripts with one number."""
    page = tmp_path / "page.txt"
    out = tmp_path / "out"
    newer = ("Friday Apr 11, 2025", "AI - Beta Study", episode_body("Beta"))
    older = ("Thursday Apr 10, 2025", None, episode_body("Alpha"))
    oldest = ("Wednesday Apr 09, 2025", None, episode_body("Zeta"))
    page.write_text(dated_page([newer, older]), encoding="utf-8")
    first = import_page(page, out)
    assert [r.path.name for r in first] == ["01-alpha.md", "02-beta-study.md"]

    page.write_text(dated_page([newer, older, oldest]), encoding="utf-8")
    again = import_page(page, out)
    assert [(r.path.name, r.status) for r in again] == [
        ("01-zeta.md", "written"),
        ("02-alpha.md", "renamed"),
        ("03-beta-study.md", "renamed"),
    ]
    assert again[1].previous == out / "01-alpha.md"
    scripts = sorted(out.glob("*.md"))
    assert [p.name for p in scripts] == ["01-zeta.md", "02-alpha.md", "03-beta-study.md"]
    metas = [read(p)[0] for p in scripts]
    assert [m["episode"] for m in metas] == [1, 2, 3]
    assert [m["date"] for m in metas] == sorted(m["date"] for m in metas)
    bodies = "".join(read(p)[1] for p in scripts)
    for name in ("Zeta", "Alpha", "Beta"):
        assert bodies.count(f"{name} works by sorting things.") == 1
    assert [r.status for r in import_page(page, out)] == ["unchanged"] * 3
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["scripts"]) == [p.name for p in scripts]


def test_an_edited_script_whose_number_moved_is_refused_not_duplicated(tmp_path):
    """A hand-edited script would be overwritten, or a second copy written beside it."""
    page = tmp_path / "page.txt"
    out = tmp_path / "out"
    newer = ("Friday Apr 11, 2025", None, episode_body("Beta"))
    older = ("Thursday Apr 10, 2025", None, episode_body("Alpha"))
    page.write_text(dated_page([newer]), encoding="utf-8")
    import_page(page, out)
    page.write_text(dated_page([newer, older]), encoding="utf-8")
    assert [r.status for r in import_page(page, out)] == ["written", "renamed"]

    edited = out / "02-beta.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA thought from the host.\n", encoding="utf-8")
    # The same page again: the edited script is kept where it is.
    assert [r.status for r in import_page(page, out)] == ["unchanged", "skipped-edited"]

    oldest = ("Wednesday Apr 09, 2025", None, episode_body("Zeta"))
    page.write_text(dated_page([newer, older, oldest]), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(PaperLedgeError, match="02-beta.md was edited") as err:
        import_page(page, out)
    assert "\n" not in str(err.value) and "03-beta.md" in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing touched

    results = import_page(page, out, force=True)
    assert [r.path.name for r in results] == ["01-zeta.md", "02-alpha.md", "03-beta.md"]
    assert sorted(p.name for p in out.glob("*.md")) == ["01-zeta.md", "02-alpha.md", "03-beta.md"]
    assert "A thought from the host" not in "".join(p.read_text(encoding="utf-8") for p in out.glob("*.md"))


def test_first_format_manifest_is_read_and_duplicates_it_left_are_removed(tmp_path):
    """A folder imported before episodes were known by date and title would keep its
    duplicate scripts (from re-imports that numbered the same episode twice)."""
    page = tmp_path / "page.txt"
    out = tmp_path / "out"
    newer = ("Friday Apr 11, 2025", None, episode_body("Beta"))
    older = ("Thursday Apr 10, 2025", None, episode_body("Alpha"))
    page.write_text(dated_page([newer]), encoding="utf-8")
    [beta] = import_page(page, out)
    stale = beta.path.read_text(encoding="utf-8")
    page.write_text(dated_page([newer, older]), encoding="utf-8")
    import_page(page, out)
    # The state an earlier importer left: both 01-beta.md and 02-beta.md, manifest name -> hash.
    (out / "01-beta.md").write_text(stale, encoding="utf-8")
    (out / "01-alpha.md").unlink()
    old_manifest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.md")}
    (out / MANIFEST_NAME).write_text(json.dumps(old_manifest), encoding="utf-8")

    again = import_page(page, out)
    assert [(r.path.name, r.status) for r in again] == [("01-alpha.md", "written"), ("02-beta.md", "unchanged")]
    assert sorted(p.name for p in out.glob("*.md")) == ["01-alpha.md", "02-beta.md"]
    assert json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["format"] == 2


def _import_cli(tmp_path, episodes):
    from tests.conftest import run_cli

    page = tmp_path / "page.txt"
    page.write_text(dated_page(episodes), encoding="utf-8")
    return run_cli("import-page", page, "-o", tmp_path / "out")


def test_bidi_and_invisible_characters_never_reach_a_script_or_the_terminal(tmp_path):
    """Before: the scripts held U+202E and could not render, and the terminal showed it raw."""
    from audio_pipeline.script.read import read_script

    title = "AI - Tr\u202eicky\u202c Ti\u200btle"
    body = episode_body("Alpha", extra=" It \u2067flips\u2069 text\u200d.")
    done = _import_cli(tmp_path, [("Thursday Apr 10, 2025", title, body)])
    assert done.returncode == 0, done.stderr
    assert done.stdout.isprintable() or done.stdout.replace("\n", "").isprintable()
    (script,) = (tmp_path / "out").glob("*.md")
    assert read(script)[0]["title"] == "Tricky Title"
    read_script(script)  # parses, so it renders
    assert all(c.isprintable() or c == "\n" for c in script.read_text(encoding="utf-8"))


def test_a_page_whose_text_the_voice_cannot_say_is_refused_before_anything_is_written(tmp_path):
    """Before: a script in Chinese was written, and its first render failed."""
    cjk = episode_body("Alpha", extra=" 这是一个测试\u202e。")
    done = _import_cli(tmp_path, [("Thursday Apr 10, 2025", "AI - 中文", cjk)])
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "Apr 10, 2025" in line and "cannot speak Cjk text" in line and "correct the page" in line
    assert line.isprintable()
    assert not list((tmp_path / "out").glob("*.md"))


NO_LATIN = ("AI - 日本語モデル", "AI - 中国模型")


def test_reimport_tells_apart_same_day_titles_with_no_latin_letters(tmp_path):
    """Before: both keys were '2025-04-10/episode', so adding an older one on the same day
    wrote the first episode's text a second time and lost the new one."""
    page = tmp_path / "page.txt"
    out = tmp_path / "out"
    day = "Thursday Apr 10, 2025"
    alpha = (day, NO_LATIN[0], episode_body("Alpha"))
    beta = (day, NO_LATIN[1], episode_body("Beta"))
    page.write_text(dated_page([alpha]), encoding="utf-8")
    import_page(page, out)
    page.write_text(dated_page([alpha, beta]), encoding="utf-8")  # Beta is lower on the page: older
    again = import_page(page, out)
    assert [r.status for r in again] == ["written", "renamed"]
    bodies = [read(p)[1] for p in sorted(out.glob("*.md"))]
    assert ["Beta works" in b for b in bodies] == [True, False]
    assert ["Alpha works" in b for b in bodies] == [False, True]
    assert [r.status for r in import_page(page, out)] == ["unchanged", "unchanged"]


def test_an_edited_script_of_a_no_latin_title_is_never_duplicated(tmp_path):
    page = tmp_path / "page.txt"
    out = tmp_path / "out"
    day = "Thursday Apr 10, 2025"
    alpha = (day, NO_LATIN[0], episode_body("Alpha"))
    page.write_text(dated_page([alpha]), encoding="utf-8")
    (first,) = import_page(page, out)
    first.path.write_text(first.path.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    page.write_text(dated_page([alpha, (day, NO_LATIN[1], episode_body("Beta"))]), encoding="utf-8")
    with pytest.raises(PaperLedgeError, match="edited since it was imported"):
        import_page(page, out)
    assert [p.name for p in out.glob("*.md")] == [first.path.name]


@pytest.mark.parametrize("a, b", [("Café Models", "CAFE MODELS"), ("Straße", "STRASSE"), ("Ǆemal", "DŽEMAL")])
def test_a_title_changed_only_in_case_or_accents_is_the_same_episode(tmp_path, a, b):
    page = tmp_path / "page.txt"
    out = tmp_path / "out"
    day = "Thursday Apr 10, 2025"
    page.write_text(dated_page([(day, f"AI - {a}", episode_body("Alpha"))]), encoding="utf-8")
    (first,) = import_page(page, out)
    first.path.write_text(first.path.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
    page.write_text(dated_page([(day, f"AI - {b}", episode_body("Alpha"))]), encoding="utf-8")
    assert [r.status for r in import_page(page, out)] == ["skipped-edited"]
    assert len(list(out.glob("*.md"))) == 1
