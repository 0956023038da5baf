"""`paperledge text`: what Ernis will say, sentence by sentence, and which rules decided it.

The rows are the readings a new user found wrong (written -> what a careful host says); a
failure here is a sentence a listener would hear read badly.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from audio_pipeline.cli.main import main
from audio_pipeline.text.rules import RULES

# (written, spoken): each is said inside "We said ... here." so that it sits mid-sentence.
READINGS = [
    ("on the 14th March", "on the fourteenth of March"),
    ("2025/07/03", "July third, twenty twenty-five"),
    ("03.07.2025", "the third of July, twenty twenty-five"),
    ("SEPT. 9", "September ninth"),
    ("FEB 3 2025", "February third, twenty twenty-five"),
    ("the 1970s-90s", "the nineteen seventies to nineties"),
    ("$3.00", "three dollars"),
    ("$15/mo", "fifteen dollars per month"),
    ("$0.75/hr", "seventy-five cents per hour"),
    ("$40-$60", "forty to sixty dollars"),
    ("6pm-9pm", "six P-M to nine P-M"),
    ("3 1/2", "three and a half"),
    ("15/16", "fifteen sixteenths"),
    ("5KG", "five kilograms"),
    ("3/kg", "three per kilogram"),
    ("8 km³", "eight cubic kilometers"),
    ("1,000,000th", "one millionth"),
    ("2:03:04", "two hours, three minutes and four seconds"),
    ("9:30 p.m. PST today", "nine thirty P-M Pacific today"),
    ("g++", "g plus plus"),
    ("#hashtag", "hashtag"),
    ("403(b)", "four oh three b"),
    ("june 3", "June third"),
    ("25 july 2012", "the twenty-fifth of July, twenty twelve"),
    ("Fig. 3b", "Figure three B"),
    ("Eq. (2)", "Equation two"),
    ("Smith et al. 2024", "Smith et al twenty twenty-four"),
    ("No. 5", "number five"),
    ("arXiv:2404.12345", "archive two four zero four dot one two three four five"),
    ("Python 3.12", "Python three point twelve"),
    ("100 million kg", "one hundred million kilograms"),
    ("1-2=5", "one minus two equals five"),
    ("US$76.3 trillion", "seventy-six point three trillion U-S dollars"),
    ("the 1980 s", "the nineteen eighties"),
]


def _text(tmp_path, body: str, *args: str):
    script = tmp_path / "episode.md"
    script.write_text(f"---\ntitle: Readings\n---\n\n{body}\n", encoding="utf-8")
    return CliRunner().invoke(main, ["text", str(script), *args])


def test_every_reading_through_paperledge_text(tmp_path):
    body = "\n\n".join(f"We said {written} here." for written, _ in READINGS)
    result = _text(tmp_path, body, "--json")
    assert result.exit_code == 0, result.output
    sentences = json.loads(result.output)
    # One sentence each: "9:30 p.m. PST today" is not cut after "p.m.".
    assert [s["written"] for s in sentences] == [f"We said {w} here." for w, _ in READINGS]
    assert [s["spoken"] for s in sentences] == [f"We said {s} here." for _, s in READINGS]


def test_a_street_ends_its_sentence_and_reads_street(tmp_path):
    result = _text(tmp_path, "She lived on Elm St. It was quiet.", "--json")
    assert [(s["written"], s["spoken"]) for s in json.loads(result.output)] == [
        ("She lived on Elm St.", "She lived on Elm Street."),
        ("It was quiet.", "It was quiet."),
    ]


def test_text_names_the_rules_that_fired_per_sentence(tmp_path):
    result = _text(tmp_path, "It cost $15/mo from 6pm-9pm.\n\nNothing to change here.", "--json")
    first, second = json.loads(result.output)
    assert first["rules"] == ["rule:time-range", "rule:money"]
    assert second["rules"] == [] and second["spoken"] == second["written"]
    plain = _text(tmp_path, "It cost $15/mo from 6pm-9pm.")
    assert "rules:   rule:time-range, rule:money" in plain.output


def test_rules_lists_every_rule_in_firing_order():
    result = CliRunner().invoke(main, ["text", "--rules"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line[:4].strip().isdigit()]
    assert [line.split()[1] for line in lines] == [r.name for r in RULES]
    money = next(line for line in lines if line.split()[1] == "money")
    assert "money" in money.split()[2] and "$4.2 million" in money


@pytest.mark.parametrize("args", [["--rules", "x.md"], []])
def test_rules_and_a_script_are_asked_for_one_at_a_time(args):
    result = CliRunner().invoke(main, ["text", *args])
    assert result.exit_code == 2 and "Traceback" not in result.output


CAST_SCRIPT = """\
---
title: Two voices
cast:
  Ann: ann
  Bob: bob
---

Ann: Foo said it.

Bob: Foo said it too.
"""


def _cast_show(tmp_path):
    """A show whose two voices (both hibari heart) each have their own lexicon."""
    voices = tmp_path / "voices"
    voices.mkdir()
    for name, lexicon in (("ann", '[words]\nFoo = "Fooann"\nit = "it it"\n'), ("bob", '[words]\nFoo = "Foobob"\n')):
        (voices / f"{name}.toml").write_text(f'lexicon = "{name}.lexicon.toml"\n[engine]\nname = "hibari"\n', encoding="utf-8")
        (voices / f"{name}.lexicon.toml").write_text(lexicon, encoding="utf-8")
    script = tmp_path / "two.md"
    script.write_text(CAST_SCRIPT, encoding="utf-8")
    return script


def test_text_on_a_cast_names_each_speaker_and_reads_with_their_own_lexicon(tmp_path):
    script = _cast_show(tmp_path)
    result = CliRunner().invoke(main, ["--show", str(tmp_path), "text", str(script), "--json"])
    assert result.exit_code == 0, result.output
    said = [(s["speaker"], s["spoken"]) for s in json.loads(result.output)]
    # Each entry is applied once, to the written text: "it it", never "it it it it".
    assert said == [("Ann", "Fooann said it it."), ("Bob", "Foobob said it too.")]
    plain = CliRunner().invoke(main, ["--show", str(tmp_path), "text", str(script)])
    assert "speaker: Ann (ann)" in plain.output and "speaker: Bob (bob)" in plain.output
