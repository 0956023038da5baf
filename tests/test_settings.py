"""Every settings table says a mistake the same way: a user learns one message, not six."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from audio_pipeline.errors import PaperLedgeError, VoiceError
from audio_pipeline.settings import Range, ranged, read_table, table_values

from .conftest import run_cli


@dataclass(frozen=True)
class Knobs:
    volume: float = ranged(1.0, 0.1, 4.0)
    pause: float = ranged(0.3, 0.0, 2.0, unit="seconds")
    count: int = ranged(3, 1)
    loud: bool = False
    label: str = "x"
    names: list[str] = field(default_factory=list)
    speaker: int | None = None


def test_a_table_becomes_the_dataclass_with_defaults_for_what_it_leaves_out():
    knobs = read_table(Knobs, {"volume": 2, "loud": True, "names": ["a"], "speaker": 4}, "k.toml")
    assert knobs == Knobs(volume=2.0, loud=True, names=["a"], speaker=4)
    assert isinstance(knobs.volume, float)
    assert read_table(Knobs, {}, "k.toml") == Knobs()
    assert table_values(Knobs, {"count": 5, "speaker": None}, "k.toml") == {"count": 5}, "None is not given"


def test_an_unknown_key_names_the_known_ones_and_the_closest():
    with pytest.raises(VoiceError) as err:
        read_table(Knobs, {"volme": 1}, "k.toml", section="[engine]", error=VoiceError)
    assert str(err.value) == (
        "k.toml: unknown setting 'volme' in [engine]; known: volume, pause, count, loud, label, names, speaker;"
        " did you mean 'volume'?"
    )
    with pytest.raises(PaperLedgeError) as err:
        read_table(Knobs, {"zzz": 1}, "k.toml")
    assert "did you mean" not in str(err.value) and "unknown setting 'zzz'; known: volume" in str(err.value)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"volume": "loud"}, "k.toml: 'volume' must be a number from 0.1 to 4, not 'loud'"),
        ({"volume": 9}, "k.toml: 'volume' must be a number from 0.1 to 4, not 9"),
        ({"volume": float("nan")}, "k.toml: 'volume' must be a number from 0.1 to 4, not nan"),
        ({"volume": True}, "k.toml: 'volume' must be a number from 0.1 to 4, not True"),
        ({"count": True}, "k.toml: 'count' must be a whole number of at least 1, not True"),
        ({"count": 2.5}, "k.toml: 'count' must be a whole number of at least 1, not 2.5"),
        ({"count": 0}, "k.toml: 'count' must be a whole number of at least 1, not 0"),
        ({"pause": "1s"}, "k.toml: 'pause' must be a number of seconds from 0 to 2, not '1s'"),
        ({"loud": 1}, "k.toml: 'loud' must be true or false, not 1"),
        ({"label": 3}, "k.toml: 'label' must be a string, not 3"),
        ({"names": ["a", 1]}, "k.toml: 'names' must be a list of strings, not ['a', 1]"),
        ({"speaker": "one"}, "k.toml: 'speaker' must be a whole number, not 'one'"),
    ],
)
def test_a_wrong_value_says_what_it_must_be(table, message):
    with pytest.raises(PaperLedgeError) as err:
        read_table(Knobs, table, "k.toml")
    assert str(err.value) == message


def test_the_callers_ranges_win_and_carry_a_hint():
    ranges = {"volume": Range(0.5, 1.5, hint="1 is the voice's own level")}
    assert read_table(Knobs, {"volume": 1.5}, "k.toml", ranges=ranges).volume == 1.5
    with pytest.raises(PaperLedgeError) as err:
        read_table(Knobs, {"volume": 2}, "k.toml", ranges=ranges)
    assert str(err.value) == "k.toml: 'volume' must be a number from 0.5 to 1.5, not 2; 1 is the voice's own level"


def test_text_scalars_take_yaml_guesses_as_text_only_when_asked():
    assert read_table(Knobs, {"label": 2024}, "ep.md", text_scalars=True).label == "2024"
    with pytest.raises(PaperLedgeError, match="'label' must be a string, not 2024"):
        read_table(Knobs, {"label": 2024}, "ep.md")


def test_a_table_that_is_not_a_table_is_refused():
    with pytest.raises(PaperLedgeError, match=r"k.toml: \[pauses\] must be a table of settings, not 3"):
        read_table(Knobs, 3, "k.toml", section="[pauses]")


# ---- each table through the command a user runs ------------------------------------------

BODY = "## One\nHello there.\n"


def _one_line(proc) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("paperledge: error: ")
    return lines[0].removeprefix("paperledge: error: ")


@pytest.fixture
def script(tmp_path):
    path = tmp_path / "season" / "ep.md"
    path.parent.mkdir()
    path.write_text(BODY, encoding="utf-8")
    return path


def test_front_matter(script):
    script.write_text("---\ntitel: Hello\n---\n" + BODY, encoding="utf-8")
    line = _one_line(run_cli("text", script))
    assert line.startswith(f"{script}: unknown setting 'titel' in front matter; known: title, show, season")
    assert line.endswith("; did you mean 'title'?")
    script.write_text("---\nseason: -1\n---\n" + BODY, encoding="utf-8")
    assert _one_line(run_cli("text", script)) == (
        f"{script}: 'season' in front matter must be a whole number from 0 to 99999, not -1"
    )


def test_lexicon(script, tmp_path):
    show = tmp_path / "show"
    show.mkdir()
    (show / "lexicon.toml").write_text('[acronym]\nspell = ["NASA"]\n', encoding="utf-8")
    line = _one_line(run_cli("text", script, env={"PAPERLEDGE_SHOW": str(show)}))
    assert line == (
        f"{show / 'lexicon.toml'}: unknown setting 'acronym'; known: words, words_nocase, acronyms; did you mean 'acronyms'?"
    )


def test_voice_profile_and_its_pauses(script, tmp_path):
    profile = tmp_path / "v.toml"
    profile.write_text('lexicon_file = "x.toml"\n[engine]\nname = "piper"\n', encoding="utf-8")
    line = _one_line(run_cli("text", script, "--voice", profile))
    assert line.startswith(f"{profile}: unknown setting 'lexicon_file'; known: name, description, lexicon, engine")
    profile.write_text('[engine]\nname = "piper"\n[pauses]\nclause = 3\n', encoding="utf-8")
    assert _one_line(run_cli("text", script, "--voice", profile)) == (
        f"{profile}: 'clause' in [pauses] must be a number of seconds from 0 to 2, not 3"
    )


def test_piper_settings(script, tmp_path):
    profile = tmp_path / "v.toml"
    out = tmp_path / "o.mp3"
    profile.write_text('[engine]\nname = "piper"\nvolume = "loud"\n', encoding="utf-8")
    line = _one_line(run_cli("render", script, "-o", out, "--voice", profile, "--no-cache"))
    assert line.startswith("the piper engine: 'volume' in [engine] must be a number from 0.1 to 4, not 'loud'; ")
    profile.write_text('[engine]\nname = "piper"\nlenght_scale = 1.1\n', encoding="utf-8")
    line = _one_line(run_cli("render", script, "-o", out, "--voice", profile, "--no-cache"))
    assert line.startswith("the piper engine: unknown setting 'lenght_scale' in [engine]; known: model, length_scale")
    assert line.endswith("did you mean 'length_scale'?") and not out.exists()


def test_coqui_settings(script, tmp_path):
    # The settings are read before coqui-tts is looked for, so this runs without the extra.
    profile = tmp_path / "v.toml"
    profile.write_text('[engine]\nname = "coqui"\nmodel = "tts_models/x"\nbatch_size = -2\n', encoding="utf-8")
    line = _one_line(run_cli("render", script, "-o", tmp_path / "o.mp3", "--voice", profile, "--no-cache"))
    assert line == "the coqui engine: 'batch_size' in [engine] must be a whole number of at least 0, not -2"


def test_show_settings(script):
    (script.parent / "show.toml").write_text("max_spoken_authors = 0\n", encoding="utf-8")
    assert _one_line(run_cli("text", script)) == (
        f"{script.parent / 'show.toml'}: 'max_spoken_authors' must be a whole number of at least 1, not 0"
    )
    (script.parent / "show.toml").write_text('explicit = "no"\n', encoding="utf-8")
    assert _one_line(run_cli("text", script)) == f"{script.parent / 'show.toml'}: 'explicit' must be true or false, not 'no'"


@pytest.mark.parametrize(
    "value, message",
    [
        ("Ma\u200bya", "'title' in front matter holds the invisible character U+200B; delete it"),
        ("\ufeffMaya", "'title' in front matter holds the invisible character U+FEFF; delete it"),
        ("x" * 300, "'title' in front matter is 300 characters long; keep it to at most 255"),
    ],
)
def test_a_title_with_invisible_characters_or_of_any_length_is_refused(script, value, message):
    """Before: a zero-width space made two titles that look the same differ, and any length went."""
    script.write_text(f'---\ntitle: "{value}"\n---\n' + BODY, encoding="utf-8")
    assert _one_line(run_cli("text", script)) == f"{script}: {message}"
    (script.parent / "show.toml").write_text(f'title = "{value}"\n', encoding="utf-8")
    script.write_text(BODY, encoding="utf-8")
    assert _one_line(run_cli("text", script)) == f"{script.parent / 'show.toml'}: {message.replace(' in front matter', '')}"
