"""Pronunciation lexicons: the show's and a voice's, and what happens when one is wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audio_pipeline.errors import VoiceError
from audio_pipeline.text.lexicon import Entry, Lexicon, default_show_lexicon_path, load_lexicon
from audio_pipeline.text.normalize import normalize

VOICES = Path(__file__).resolve().parents[1] / "voices"
ERNIS = VOICES / "ernis.lexicon.toml"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_show_lexicon_is_the_repository_file():
    assert default_show_lexicon_path() == VOICES / "lexicon.toml"
    assert default_show_lexicon_path().is_file()


def test_shipped_lexicons_load():
    lex = load_lexicon(default_show_lexicon_path(), ERNIS)
    assert lex.lookup("ICML").spoken == "I-C-M-L"
    assert lex.lookup("ICML").source == "show"
    assert lex.lookup("Rimbaud").source == "voice"
    assert lex.reads_as_word("NASA")


def test_every_shipped_spoken_form_survives_the_normaliser_unchanged():
    # Otherwise the engine would hear something other than what the lexicon says.
    lex = load_lexicon(default_show_lexicon_path(), ERNIS)
    for entry in lex.entries:
        assert normalize(entry.spoken, lex)[0] == entry.spoken, entry
        assert not re.search(r"\d", entry.spoken), entry


def test_voice_entries_override_show_entries(tmp_path):
    show = write(tmp_path, "show.toml", '[words]\nErnis = "Ur-niss"\nICML = "I-C-M-L"\n')
    voice = write(tmp_path, "voice.toml", '[words]\nErnis = "Erniss"\n')
    lex = load_lexicon(show, voice)
    assert lex.lookup("Ernis") == Entry("Ernis", "Erniss", True, "voice")
    assert lex.lookup("ICML").source == "show"
    assert normalize("Ernis at ICML", lex) == ("Erniss at I-C-M-L", ["lexicon:Ernis", "lexicon:ICML"])


def test_a_voice_can_undo_a_word_acronym(tmp_path):
    show = write(tmp_path, "show.toml", '[acronyms]\nread_as_word = ["NASA", "SOTA"]\n')
    voice = write(tmp_path, "voice.toml", '[acronyms]\nspell = ["SOTA"]\n')
    lex = load_lexicon(show, voice)
    assert normalize("NASA SOTA", lex)[0] == "Nasa S-O-T-Eh"


def test_words_are_whole_and_case_sensitive_words_nocase_are_not(tmp_path):
    lex = load_lexicon(write(tmp_path, "l.toml", '[words]\nUS = "the States"\n[words_nocase]\narxiv = "archive"\n'))
    assert normalize("US and us and USB", lex)[0] == "the States and us and U-S-B"
    assert normalize("ArXiv, ARXIV, arxiv", lex)[0] == "archive, archive, archive"


def test_plural_and_possessive_of_an_entry(tmp_path):
    lex = load_lexicon(write(tmp_path, "l.toml", '[words]\nLLM = "L-L-M"\nLoRA = "lora"\n'))
    assert normalize("LLMs, the LLM's, LoRAs", lex)[0] == "L-L-M's, the L-L-M's, loras"


def test_entries_with_digits_and_symbols(tmp_path):
    lex = load_lexicon(write(tmp_path, "l.toml", '[words]\n"GPT-4o" = "G-P-T four oh"\n"C++" = "C plus plus"\n'))
    assert normalize("GPT-4o in C++, not GPT-4", lex)[0] == "G-P-T four oh in C plus plus, not G-P-T four"


def test_lexicon_beats_the_generic_rules(tmp_path):
    lex = load_lexicon(write(tmp_path, "l.toml", '[words]\n"7B" = "seven bee"\n'))
    assert normalize("a 7B model", lex)[0] == "a seven bee model"


def test_fingerprint_follows_content_not_files(tmp_path):
    a = load_lexicon(write(tmp_path, "a.toml", '[words]\nICML = "I-C-M-L"\n'))
    b = load_lexicon(write(tmp_path, "b.toml", '# same words\n[words]\nICML  =  "I-C-M-L"\n'))
    c = load_lexicon(write(tmp_path, "c.toml", '[words]\nICML = "I C M L"\n'))
    assert re.fullmatch(r"[0-9a-f]{64}", a.fingerprint())
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()
    assert Lexicon().fingerprint() != a.fingerprint()


def test_no_files_gives_an_empty_lexicon():
    assert load_lexicon(None) == Lexicon()


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("[words\nICML = 1", "not valid TOML"),
        ('[sounds]\nICML = "x"\n', "unknown setting 'sounds'; known: words, words_nocase, acronyms"),
        ("[words]\nICML = 3\n", "'ICML' must map to a non-empty string"),
        ('[words]\nICML = ""\n', "'ICML' must map to a non-empty string"),
        ('[words]\n" ICML" = "x"\n', "no spaces at either end"),
        ('[words]\n"{x}" = "x"\n', "may not contain"),
        ('[words]\nICML = "{I|C}"\n', "may not contain"),
        ("words = 3\n", "'words' must be a table, not 3"),
        ('[acronyms]\nread_as_word = "NASA"\n', "'read_as_word' in [acronyms] must be a list of strings"),
        ('[acronyms]\nread_as_word = ["NA SA"]\n', "must be one word"),
        ('[acronyms]\nwords = ["NASA"]\n', "unknown setting 'words' in [acronyms]"),
    ],
)
def test_a_malformed_file_names_itself_and_what_to_fix(tmp_path, text, fix):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(VoiceError) as err:
        load_lexicon(path)
    assert str(err.value).startswith(f"{path}: ")
    assert fix in str(err.value)


def test_a_missing_voice_lexicon_is_an_error(tmp_path):
    with pytest.raises(VoiceError, match="lexicon file not found"):
        load_lexicon(default_show_lexicon_path(), tmp_path / "nope.toml")


# A spoken form is said once: an entry never applies to its own output, or to another's.
ECHO = '[words]\nit = "it it"\n'


def test_an_entry_whose_spoken_form_holds_its_own_word_is_said_once(tmp_path):
    show = write(tmp_path, "show.toml", ECHO)
    assert normalize("Say it.", load_lexicon(show))[0] == "Say it it."


def test_an_entry_is_applied_to_the_written_text_only_not_to_other_entries_output(tmp_path):
    # "PaperLedge" -> "Paper Ledge"; "Ledge" (voice) must not then respell what the show said.
    show = write(tmp_path, "show.toml", '[words]\nPaperLedge = "Paper Ledge"\n[words_nocase]\nledge = "lej"\n')
    voice = write(tmp_path, "voice.toml", ECHO)
    lex = load_lexicon(show, voice)
    assert normalize("PaperLedge: a ledge, and it.", lex)[0] == "Paper Ledge: a lej, and it it."


def test_a_small_hostile_entry_cannot_multiply_into_a_huge_spoken_form(tmp_path):
    # Before: a 213-byte entry of 66 words said 66**3 = 287,496 words.
    words = " ".join(["a"] * 66)
    show = write(tmp_path, "show.toml", f'[words_nocase]\na = "{words}"\n')
    assert len(show.read_bytes()) < 220
    spoken = normalize("a", load_lexicon(show))[0]
    assert len(spoken.split()) == 66
