"""EPISODE.check.json, the check kept for later, read back as one typed, frozen object
(sidecars.KeptCheck) by the season, the feed's --max-wer, the studio and the review page.
What a user would notice otherwise: a season that trusts a check of another MP3, a feed that
lets a failed episode through, or a traceback where a damaged report should count as no check."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio_pipeline.audio.sidecars import KeptCheck, KeptSentence, check_path, read_check, write_check_json
from audio_pipeline.check.listen import CheckReport, SentenceCheck
from audio_pipeline.check.review import Line, review_html
from audio_pipeline.files import sha256_file
from audio_pipeline.publish.season import season_checks

PROPERTY = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def _mp3(folder: Path, name: str = "01-ep.mp3", data: bytes = b"ID3 not really an MP3, but bytes to hash") -> Path:
    mp3 = folder / name
    mp3.write_bytes(data)
    return mp3


def _report(mp3: Path, failures: list[str] | None = None) -> CheckReport:
    """A report as check_episode and render --check leave it: one sentence heard as written,
    one flagged with a retake and a fix."""
    clean = SentenceCheck(1, 0.5, 2.25, "Hello there.", "hello there", 0.0, False, 1.0, [("hello", 0.91), ("there", 0.95)])
    flagged = SentenceCheck(
        2,
        2.55,
        5.0,
        "Okafor wrote it.",
        "oak offer wrote it",
        0.3333,
        True,
        0.667,
        [("Okafor", 0.0012), ("wrote", 0.7)],
        scored="",
        differs=["okafor→oak offer"],
        take=2,
        fix='Okafor = "oh-KAH-for"',
        note="try the fix: paste it into the voice lexicon",
    )
    return CheckReport(
        mp3,
        0.2,
        [clean, flagged],
        "tiny.en",
        3.14159,
        errors=1,
        words=5,
        findings=["speech at 0:06–0:07, outside every cue of the transcript"],
        failures=failures or [],
        mp3_sha256=sha256_file(mp3),
    )


# render --check's extras, as retake.render_checked writes them
EXTRA = {"first_wer": 0.4, "retaken": [2], "fixes": ['Okafor = "oh-KAH-for"'], "fixes_applied": False}


def test_a_written_check_reads_back_as_the_same_typed_values(tmp_path):
    mp3 = _mp3(tmp_path)
    report = _report(mp3)
    written = write_check_json(check_path(mp3), report, EXTRA)
    kept = read_check(mp3)
    assert kept == written and isinstance(kept, KeptCheck)
    assert (kept.mp3_sha256, kept.wer, kept.model) == (sha256_file(mp3), 0.2, "tiny.en")
    assert kept.failures == () and kept.findings == tuple(report.findings)
    assert (kept.first_wer, kept.retaken, kept.fixes, kept.fixes_applied) == (0.4, (2,), ('Okafor = "oh-KAH-for"',), False)
    assert kept.sentences == tuple(
        KeptSentence(
            s.index,
            s.start,
            s.end,
            s.written,
            s.heard,
            s.error,
            s.flagged,
            s.score,
            tuple(s.weakest),
            tuple(s.differs),
            s.take,
            s.fix,
            s.note,
        )
        for s in report.sentences
    )
    assert [s.index for s in kept.flagged] == [2]


def test_every_field_the_object_names_is_one_the_writer_writes(tmp_path):
    """The object describes the file: no field of it that CheckReport.as_file does not write."""
    mp3 = _mp3(tmp_path)
    data = _report(mp3).as_file(EXTRA)
    sentence_keys = set(data["sentences"][0])
    assert {f.name for f in dataclasses.fields(KeptSentence)} <= sentence_keys
    assert {f.name for f in dataclasses.fields(KeptCheck)} <= set(data)


def test_a_kept_check_is_frozen(tmp_path):
    mp3 = _mp3(tmp_path)
    kept = write_check_json(check_path(mp3), _report(mp3), EXTRA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        kept.wer = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        kept.sentences[0].flagged = True
    assert isinstance(kept.sentences, tuple) and isinstance(kept.sentences[1].weakest, tuple)
    assert all(isinstance(pair, tuple) for pair in kept.sentences[1].weakest)
    hash(kept)  # every part immutable: it can key a dict


def test_a_check_written_without_render_checks_extras_still_reads(tmp_path):
    """`paperledge check`'s report (no retakes, no fixes) and files written before the extras."""
    mp3 = _mp3(tmp_path)
    write_check_json(check_path(mp3), _report(mp3))
    kept = read_check(mp3)
    assert kept is not None and kept.first_wer is None and kept.retaken == () and kept.fixes == ()
    # An older file: the sentences' later fields missing too.
    data = json.loads(check_path(mp3).read_text(encoding="utf-8"))
    for s in data["sentences"]:
        for key in ("scored", "differs", "take", "fix", "note"):
            del s[key]
    for key in ("findings", "model", "errors", "words", "seconds"):
        del data[key]
    check_path(mp3).write_text(json.dumps(data), encoding="utf-8")
    old = read_check(mp3)
    assert old is not None and old.sentences[1].take == 0 and old.sentences[1].fix is None and old.model == ""
    assert [(s.index, s.flagged, s.weakest) for s in old.sentences] == [(s.index, s.flagged, s.weakest) for s in kept.sentences]


def test_a_check_of_another_mp3_is_no_check(tmp_path):
    mp3 = _mp3(tmp_path)
    write_check_json(check_path(mp3), _report(mp3), EXTRA)
    assert read_check(mp3) is not None
    mp3.write_bytes(b"a render since: other bytes")
    assert read_check(mp3) is None


def test_a_check_with_failures_is_no_check(tmp_path):
    mp3 = _mp3(tmp_path)
    written = write_check_json(check_path(mp3), _report(mp3, ["the MP3 is truncated: its header says 9.0 s, it holds 4.0 s"]))
    assert written.failures  # what was kept says so (the review page shows it) ...
    assert read_check(mp3) is None  # ... and a season or a feed does not take it as a pass


def test_no_report_or_no_mp3_is_no_check(tmp_path):
    mp3 = _mp3(tmp_path)
    assert read_check(mp3) is None
    write_check_json(check_path(mp3), _report(mp3))
    mp3.unlink()
    assert read_check(mp3) is None


@pytest.mark.parametrize(
    "weakest",
    [[[]], [["hello"]], [["hello", 0.5, 0.1]], [[0.5, "hello"]], [["hello", "0.5"]], [["hello", True]]],
)
def test_a_weakest_word_that_is_not_a_word_and_a_probability_is_no_check(tmp_path, weakest):
    """The studio shows each weakest word: a pair it could not read was a traceback."""
    mp3 = _mp3(tmp_path)
    write_check_json(check_path(mp3), _report(mp3))
    data = json.loads(check_path(mp3).read_text(encoding="utf-8"))
    data["sentences"][0]["weakest"] = weakest
    check_path(mp3).write_text(json.dumps(data), encoding="utf-8")
    assert read_check(mp3) is None


def test_the_season_and_max_wer_read_the_typed_check(tmp_path):
    season, out = tmp_path / "s1", tmp_path / "out"
    season.mkdir()
    out.mkdir()
    for name in ("01-ep", "02-other", "03-never"):
        (season / f"{name}.md").write_text("Hello there.\n", encoding="utf-8")
    for name in ("01-ep", "02-other"):
        mp3 = _mp3(out, f"{name}.mp3", name.encode())
        write_check_json(check_path(mp3), _report(mp3), EXTRA)
    (out / "02-other.mp3").write_bytes(b"rendered again since")
    checks = season_checks(season, out)
    assert list(checks) == ["01-ep"] and checks["01-ep"].wer == 0.2 and checks["01-ep"] == read_check(out / "01-ep.mp3")


def test_the_review_page_is_drawn_from_the_kept_check(tmp_path):
    mp3 = _mp3(tmp_path)
    kept = write_check_json(check_path(mp3), _report(mp3), EXTRA)
    lines = [Line(s, 0, "") for s in kept.sentences]
    page = review_html("Ep", mp3.name, lines, [(0.0, "Intro")], [("WER", "20.0%")], "<svg/>", 5.0)
    assert page.count('class="heard"') == 1  # only the flagged sentence says what was heard
    assert "oak offer wrote it" in page and "okafor→oak offer" in page and "Okafor 0.001" in page
    assert "fix: <code>Okafor = &quot;oh-KAH-for&quot;</code>" in page and "take 2" in page


# ---- any file at EPISODE.check.json: a KeptCheck or None, never an exception -----------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "\x00", "a" * 5000]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_GONE = object()


def _places(value, at=()):
    """Every place in a parsed JSON document: the path to it."""
    yield at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _places(v, (*at, k))
    elif isinstance(value, list):
        for n, v in enumerate(value):
            yield from _places(v, (*at, n))


def _changed(doc, at, new):
    """`doc` with the value at path `at` replaced by `new` (or removed: _GONE)."""
    if not at:
        return None if new is _GONE else new
    doc = json.loads(json.dumps(doc))
    parent = doc
    for step in at[:-1]:
        parent = parent[step]
    if new is _GONE:
        del parent[at[-1]]
    else:
        parent[at[-1]] = new
    return doc


@pytest.fixture(scope="module")
def kept_file(tmp_path_factory) -> tuple[Path, dict]:
    mp3 = _mp3(tmp_path_factory.mktemp("check"))
    write_check_json(check_path(mp3), _report(mp3), EXTRA)
    return mp3, json.loads(check_path(mp3).read_text(encoding="utf-8"))


def _read(mp3: Path) -> KeptCheck | None:
    got = read_check(mp3)
    assert got is None or isinstance(got, KeptCheck)
    if got is not None:  # what the readers rely on, whatever the file held
        assert isinstance(got.wer, float) and isinstance(got.sentences, tuple)
        for s in got.sentences:
            assert isinstance(s.index, int) and s.index >= 1 and isinstance(s.flagged, bool) and isinstance(s.heard, str)
            assert all(isinstance(w, str) and isinstance(p, float) for w, p in s.weakest)
    return got


@PROPERTY
@given(raw=st.binary(max_size=300) | st.sampled_from([b"", b"\xff\xfe", b"[" * 5000, b"{}", b"null", b'{"wer": 1e999}']))
def test_any_bytes_read_as_a_check_or_none(kept_file, raw):
    mp3, _ = kept_file
    check_path(mp3).write_bytes(raw)
    assert _read(mp3) is None


@PROPERTY
@given(value=json_values)
def test_any_json_reads_as_a_check_or_none(kept_file, value):
    mp3, _ = kept_file
    check_path(mp3).write_text(json.dumps(value), encoding="utf-8")
    _read(mp3)


@PROPERTY
@given(data=st.data())
def test_a_written_check_changed_anywhere_reads_as_a_check_or_none(kept_file, data):
    mp3, doc = kept_file
    at = data.draw(st.sampled_from(list(_places(doc))))
    new = data.draw(json_values | st.just(_GONE))
    changed = _changed(doc, at, new)
    check_path(mp3).write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8", errors="surrogatepass")
    _read(mp3)
