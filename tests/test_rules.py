"""Each rule of the text front end, alone: its own example reads right with the whole front
end, and reads differently with that one rule switched off (so no rule is dead, and each
example shows what its rule is for). A failure names the rule a listener would hear wrong."""

from __future__ import annotations

import pytest

from audio_pipeline.text import tables
from audio_pipeline.text.lexicon import default_show_lexicon_path, load_lexicon
from audio_pipeline.text.normalize import normalize
from audio_pipeline.text.rules import RULES, without
from audio_pipeline.text.rules.cardinals import DIGITS
from audio_pipeline.text.tidy import tidy
from audio_pipeline.text.work import Work

SHOW = load_lexicon(default_show_lexicon_path())
IDS = [r.name for r in RULES]
# Safety nets: their examples read the same without them, but without "digits" a digit no
# earlier rule read would vanish without a word, and without "long-digits" a number of over
# 4,300 digits stops the render (Python's int() refuses it). Tested below, alone.
SAFETY_NETS = {"digits", "long-digits"}


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_rule_reads_its_example(rule):
    written, spoken = rule.example
    said, fired = normalize(written, SHOW)
    assert said == spoken
    if not rule.quiet and rule.name not in SAFETY_NETS:
        assert f"rule:{rule.name}" in fired


@pytest.mark.parametrize("rule", [r for r in RULES if r.name not in SAFETY_NETS], ids=[n for n in IDS if n not in SAFETY_NETS])
def test_rule_switched_off_changes_its_example(rule):
    written, spoken = rule.example
    said, fired = normalize(written, SHOW, without({rule.name}))
    assert said != spoken
    assert f"rule:{rule.name}" not in fired


def test_the_digits_net_reads_any_digits_left():
    work = Work("x_9", lexicon=SHOW)
    DIGITS.apply(work)
    assert tidy(work.unparked()) == "x nine" and work.fired == ["rule:digits"]


def test_a_number_of_thousands_of_digits_is_read_digit_by_digit():
    assert normalize("7" * 5000, SHOW)[0] == " ".join(["seven"] * 5000)
    assert normalize("7" * 5000 + "th", SHOW)[0] == " ".join(["seven"] * 5000) + " th"
    with pytest.raises(ValueError, match="4300 digits"):
        normalize("7" * 5000 + "th", SHOW, without({"long-digits"}))


def test_a_number_with_separators_is_words_as_far_as_numbers_have_names():
    assert normalize("15,000,000,000,000,000 copies", SHOW)[0] == "fifteen quadrillion copies"
    huge = "1" + ",000" * 2000  # past every number name, and past what int() converts
    assert normalize(huge, SHOW)[0] == "one " + " ".join(["zero"] * 6000)


def test_rule_names_are_unique_and_every_rule_has_a_class():
    assert len(set(IDS)) == len(IDS)
    assert all(r.reads and r.name == r.name.lower() and " " not in r.name for r in RULES)


def test_switching_off_an_unknown_rule_is_refused():
    with pytest.raises(KeyError, match="no rule named nonsense"):
        without({"nonsense"})


def test_every_table_loads_with_its_shape():
    for name in tables.SHAPES:
        assert tables.table(name)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[units]\nkg = "kilogram"\n[per]\ns = "second"\n[context]\nambiguous = []\n',
            r"\[units\] 'kg' = 'kilogram': expected \[singular, plural\]",
        ),
        ('[units]\nkg = ["kilogram", "kilograms"]\n[per]\ns = "second"\n', r"expected the keys"),
        ("[units\n", r"units.toml"),
    ],
)
def test_a_malformed_table_is_an_error_naming_file_and_key(tmp_path, monkeypatch, text, message):
    (tmp_path / "units.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(tables, "DATA", tmp_path)
    tables.table.cache_clear()
    try:
        with pytest.raises(tables.TableError, match=message):
            tables.table("units")
    finally:
        tables.table.cache_clear()


def test_a_bad_pattern_in_the_abbreviations_is_named(tmp_path, monkeypatch):
    (tmp_path / "abbreviations.toml").write_text(
        "may_end = ['x']\nnever_end = ['x']\nafter_a_name = {x = 'y'}\nentries = [['e\\\\.(g', 'for example']]\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(tables, "DATA", tmp_path)
    tables.table.cache_clear()
    try:
        with pytest.raises(tables.TableError, match=r"is not a regular expression"):
            tables.table("abbreviations")
    finally:
        tables.table.cache_clear()
