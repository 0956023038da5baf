"""The text front end: what the engine is given for each written sentence.

A failure here is something a listener would hear: "Mikem" for ICML, "LLNA27B" for
LLaMA-2 7B, "https colon slash slash" read out, or a symbol silently skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pysbd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_pipeline.text.lexicon import Lexicon, default_show_lexicon_path, load_lexicon
from audio_pipeline.text.normalize import Spoken, normalize, speak
from audio_pipeline.text.sentences import split_sentences

DATA = Path(__file__).parent / "data"
EPISODES_PAGE = DATA / "paperledge-episodes-page.txt"

SHOW = load_lexicon(default_show_lexicon_path())


def _cases() -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / "normalize_cases.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            written, spoken = line.split("\t")
            rows.append((written, spoken))
    return rows


def _class_cases() -> list[tuple[str, str, str]]:
    rows = []
    for line in (DATA / "normalize_classes.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cls, written, spoken = line.split("\t")
            rows.append((cls, written, spoken))
    return rows


CASES = _cases()
CLASS_CASES = _class_cases()
# The semiotic classes of the open normalisers (NeMo, Kestrel), plus the show's own.
CLASSES = {
    "cardinal",
    "ordinal",
    "decimal",
    "fraction",
    "money",
    "measure",
    "date",
    "time",
    "range",
    "electronic",
    "telephone",
    "serial",
    "roman",
    "whitelist",
    "math",
    "acronym",
    "symbol",
    "abbreviation",
}


def test_corpus_is_large_enough_across_every_class():
    assert len(CASES) >= 150
    assert len(CASES) + len(CLASS_CASES) >= 500
    per_class = {c: sum(1 for cls, _, _ in CLASS_CASES if cls == c) for c in CLASSES}
    assert {cls for cls, _, _ in CLASS_CASES} == CLASSES
    assert min(per_class.values()) >= 12, per_class


@pytest.mark.parametrize(("written", "spoken"), CASES, ids=[w[:40] for w, _ in CASES])
def test_corpus(written, spoken):
    assert normalize(written, SHOW)[0] == spoken


@pytest.mark.parametrize(("cls", "written", "spoken"), CLASS_CASES, ids=[f"{c}:{w[:36]}" for c, w, _ in CLASS_CASES])
def test_class_corpus(cls, written, spoken):
    assert normalize(written, SHOW)[0] == spoken


# --- the interface ------------------------------------------------------------------------


def test_speak_keeps_the_written_form_and_reports_what_fired():
    out = speak("At ICML 2024, {TxGemma|tee ex gemma} beat SVD: see https://a.org/x.", SHOW)
    assert isinstance(out, Spoken)
    assert out.written == "At ICML 2024, TxGemma beat SVD: see https://a.org/x."
    assert out.spoken == ("At I-C-M-L twenty twenty-four, tee ex gemma beat S-V-D: see a dot org slash X.")
    assert out.fired[0] == "inline:TxGemma"
    for name in ("lexicon:ICML", "rule:url", "rule:year", "rule:acronym:SVD"):
        assert name in out.fired


def test_inline_spoken_form_is_used_verbatim_and_wins_over_the_lexicon():
    out = speak("{ICML|the machine learning conference} and ICML", SHOW)
    assert out.spoken == "the machine learning conference and I-C-M-L"
    assert out.written == "ICML and ICML"


def test_inline_spoken_form_is_not_normalised_again():
    # An author who writes digits in an inline spoken form gets exactly that.
    assert speak("{v2|vee 2}", SHOW).spoken == "vee 2"


def test_empty_inline_spoken_form_drops_the_word():
    assert speak("Hello {[laughs]|} there", SHOW).spoken == "Hello there"


def test_plain_text_without_markup_is_unchanged_in_the_written_form():
    text = "LLaMA-2 7B costs $4.2 million – roughly."
    assert speak(text, SHOW).written == text


def test_default_lexicon_is_the_show_lexicon():
    assert normalize("ICML")[0] == normalize("ICML", SHOW)[0] == "I-C-M-L"


def test_without_a_lexicon_the_generic_rules_still_apply():
    assert normalize("ICML", Lexicon())[0] == "I-C-M-L"
    assert normalize("LLaMA-2 7B", Lexicon())[0] != normalize("LLaMA-2 7B", SHOW)[0]


def test_case_matters_for_initialisms():
    assert normalize("The US and us.", SHOW)[0] == "The U-S and us."


def test_a_word_acronym_is_read_as_a_word_and_others_are_spelled():
    lex = load_lexicon(default_show_lexicon_path())
    assert normalize("NASA and SVD", lex)[0] == "Nasa and S-V-D"
    assert normalize("NASA and SVD", Lexicon())[0] == "N-Eh-S-Eh and S-V-D"


def test_letter_a_inside_a_spelling_is_said_as_the_letter():
    # espeak reads "V-A-E" as "vee-uh-ee"; "Eh" gives the letter's sound.
    assert normalize("VAE and API and USA", Lexicon())[0] == "V-Eh-E and Eh-P-I and U-S-Eh"


def test_no_period_after_an_initial_so_the_sentence_does_not_end_there():
    assert normalize("Paul F. Jaeger wrote it.", SHOW)[0] == "Paul F Jaeger wrote it."


def test_an_abbreviation_at_the_end_keeps_the_sentence_end():
    assert normalize("Cells, proteins, etc.", SHOW)[0] == "Cells, proteins, et cetera."
    assert normalize("It ends at 5 p.m.", SHOW)[0] == "It ends at five P-M."


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("See Eq. (2) for the loss. Next.", ["See Eq. (2) for the loss.", "Next."]),
        ("See Figs. 2a and 2b. Then stop.", ["See Figs. 2a and 2b.", "Then stop."]),
        ("See Sec. 3 and Tab. 2 here.", ["See Sec. 3 and Tab. 2 here."]),
        ("Use approx. 5 mL daily.", ["Use approx. 5 mL daily."]),
        ("Patient No. 5 is well.", ["Patient No. 5 is well."]),
        ("Smith et al. 2024 showed it.", ["Smith et al. 2024 showed it."]),
        ("As Smith et al. said. They agree.", ["As Smith et al. said.", "They agree."]),
        ("She lived on Elm St. It was quiet.", ["She lived on Elm St.", "It was quiet."]),
        ("We met at 5th St. Then we left.", ["We met at 5th St.", "Then we left."]),
        ("Visit St. Louis today.", ["Visit St. Louis today."]),
        ("Born in St. Louis. He left.", ["Born in St. Louis.", "He left."]),
        ("I was born in 1990. 2020 was hard.", ["I was born in 1990.", "2020 was hard."]),
    ],
)
def test_sentences_end_where_a_host_ends_them(text, sentences):
    assert [s for clauses in split_sentences(text, 400) for s in clauses] == sentences


def test_a_long_paragraph_is_cut_where_pysbd_would_cut_it():
    text = " ".join(f"Sentence {i} ends here, quietly. It has Fig. {i} too." for i in range(100))
    assert split_sentences(text, 400) == [[s] for s in (segment(text))]


def segment(text: str) -> list[str]:
    return [s.strip() for s in pysbd.Segmenter(language="en", clean=False).segment(text)]


@pytest.mark.parametrize(
    "piece",
    [
        "june 3 ",
        "25 july 2012 ",
        "Fig. 3b, 4c, ",
        "Figure 1a-c and ",
        "Eq. (2) ",
        "arXiv:2404.12345 ",
        "10.1038/s41586-020-2649-2 ",
        "ISBN 978-0-13-110362-7 ",
        "Python 3.12 ",
        "ID 123456 ",
        "1,",
        ",000",
        "100 million kg ",
        "five mL ",
        "1-2=5 ",
        "1=",
        "x-",
        "US$76.3 trillion ",
        "C$",
        "the 1980 s ",
        "Elm St. It ",
        "etc. The ",
    ],
)
def test_a_long_run_of_one_pattern_is_read_and_cut(piece):
    text = (piece * (5000 // len(piece) + 1))[:5000]
    spoken, _ = normalize(text, SHOW)
    assert spoken.strip() and not re.search(r"\d", spoken)
    said = "".join(s for clauses in split_sentences(text, 400) for s in clauses)
    assert said.replace(" ", "") == text.replace(" ", "")  # nothing dropped


# --- properties ----------------------------------------------------------------------------

PAPER_PIECES = st.sampled_from(
    [
        "LLM",
        "LLMs",
        "GPU's",
        "ICML",
        "2024",
        "7B",
        "1.5",
        "67",
        "x",
        "×",
        "%",
        "$",
        "€",
        "°C",
        "https://",
        "www.",
        "github.com/a_b",
        "a@b.org",
        "e.g.",
        "Dr.",
        "Apr",
        "10:30",
        "LLaMA",
        "Ernis",
        "I",
        "A",
        "II",
        "'s",
        "-",
        "–",
        "—",
        "…",
        "(",
        ")",
        "[1]",
        "{",
        "|",
        "}",
        "&",
        "+",
        "=",
        "~",
        "→",
        "#",
        "@",
        "/",
        "^",
        "²",
        "½",
        "1,000",
        "-5",
        "1e-4",
        "GPT-4o",
        "Qwen2.5-Math-7B",
        "naïve",
        "Schrödinger",
        "’",
        "“",
        " ",
        " ",
        ".",
        ",",
        "?",
        "AAMr.",
        "ß",
        "ﬁ",
        "Ⅻ",
        "٣",
        "\u200b",
        "\u00a0",
        "\t",
        "\n",
        # dates, references, identifiers, units, equations, money, decades and abbreviations
        "june",
        "may",
        "25",
        "3",
        "Sept.",
        "Fig.",
        "3b",
        "7b",
        "Eq.",
        "(2)",
        "Model",
        "arXiv:",
        "2404.12345",
        "10.1038/s4-1",
        "ISBN",
        "978-0-13-110362-7",
        "Python",
        "3.12",
        "ID",
        "124,444,234",
        "13000",
        "million",
        "kg",
        "five",
        "mL",
        "1-2=5",
        "-",
        "=",
        "US$",
        "USD",
        "1980 s",
        "'80s",
        "Elm",
        "St.",
        "It",
        "etc.",
        "et al.",
        "n=5-10",
    ]
)
PAPER_TEXT = st.lists(PAPER_PIECES, max_size=25).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=80), PAPER_TEXT)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(ANY_TEXT)
def test_never_raises_and_never_empty_when_there_is_something_to_say(text):
    spoken, fired = normalize(text, SHOW)
    assert isinstance(spoken, str) and isinstance(fired, list)
    if any(c.isalnum() for c in text):
        assert spoken.strip()


@PROPERTY_SETTINGS
@given(ANY_TEXT)
def test_normalising_the_spoken_form_again_changes_nothing(text):
    spoken, _ = normalize(text, SHOW)
    assert normalize(spoken, SHOW)[0] == spoken


@PROPERTY_SETTINGS
@given(st.text(max_size=60), st.text(alphabet=st.characters(exclude_characters="{}|"), max_size=20))
def test_speak_never_raises_on_markup(text, spoken_part):
    out = speak(f"{text}{{word|{spoken_part}}}{text}", SHOW)
    assert "word" in out.written


# --- the show's real episodes -----------------------------------------------------------------

SCHEME = re.compile(r"https?|www\.|://", re.IGNORECASE)
SKIPPED_SYMBOL = re.compile(r"[&+=~→°#@%$€£¥<>*^|\\/_{}\[\]()\"“”‘’…–—]")
DIGIT_LETTER = re.compile(r"\d")  # every number is read out, so no digit is left at all


def _episode_sentences() -> list[str]:
    text = EPISODES_PAGE.read_text(encoding="utf-8")
    segmenter = pysbd.Segmenter(language="en", clean=False)
    return [s.strip() for line in text.splitlines() if line.strip() for s in segmenter.segment(line) if s.strip()]


def test_every_sentence_of_the_real_episodes_reads_cleanly():
    sentences = _episode_sentences()
    assert len(sentences) > 300
    problems = []
    for sentence in sentences:
        spoken = speak(sentence, SHOW).spoken
        if not spoken or SCHEME.search(spoken) or SKIPPED_SYMBOL.search(spoken) or DIGIT_LETTER.search(spoken):
            problems.append((sentence, spoken))
    assert problems == []


def test_real_episode_vocabulary():
    said = {s: speak(s, SHOW).spoken for s in _episode_sentences()}
    joined = "\n".join(said.values())
    for expected in (
        "L-L-M's",
        "I-C-M-L twenty twenty-four",
        "Llama two seven billion",
        "github dot com slash google slash feabench",
        "Kwen two point five Math seven billion Base",
        "sixty-seven billion",
        "G-P-T three point five",
        "eighty-eight percent",
        "Erniss here",
        "F-E-Eh Bench",
        "T-five Large",
    ):
        assert expected in joined, expected
    for unwanted in ("LLMs", "ICML", "7B", "https", "Ernis "):
        assert unwanted not in joined, unwanted
