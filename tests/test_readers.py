"""Our own files read back (takes, approval, import manifest, GUID ledger, chapters JSON,
check report, season state, cache index and entries), damaged the ways an attack found:
deep nesting, the wrong type, 1e999, a FIFO, a huge file. A file that is a record of
something (which take, which MP3 was approved, which GUID) is one line naming it; a file
that is a cache is ignored and written again. What a user would notice otherwise: a
traceback, or a command that never returns."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from audio_pipeline.audio.sidecars import check_path, is_sidecar, ours, read_chapters, read_check
from audio_pipeline.cluster.plan import _plan_season
from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.files import MAX_JSON_BYTES, Number, check_shape, sha256_file
from audio_pipeline.importer.manifest import MANIFEST_NAME, load_manifest
from audio_pipeline.publish.approval import approval_path, is_approved
from audio_pipeline.publish.season import STATE, read_ledger
from audio_pipeline.publish.validate_feed import _ledger
from audio_pipeline.publish.validate_mp3 import validate_mp3
from audio_pipeline.render import RenderOptions
from audio_pipeline.show import load_show
from audio_pipeline.synthesis import cache_admin
from audio_pipeline.synthesis.cache import SentenceCache
from audio_pipeline.synthesis.takes import read_takes, takes_path
from audio_pipeline.synthesis.voices import load_voice
from audio_pipeline.text.lexicon import load_lexicon

from .conftest import run_cli

pytestmark = pytest.mark.slow


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def rendered(tiny_season) -> Path:
    return tiny_season


@pytest.fixture
def show(rendered, tmp_path) -> Path:
    """A fresh copy of the rendered season, to damage."""
    for name in ("s1", "out", "cache"):
        shutil.copytree(rendered / name, tmp_path / name)
    return tmp_path


def _mp3(show: Path) -> Path:
    return show / "out" / "01-tiny.mp3"


# (the file, how the tool reads it) for each record that must never be silently lost.
RECORDS = {
    "takes": (lambda s: takes_path(_mp3(s)), lambda s: read_takes(_mp3(s))),
    "approval": (lambda s: approval_path(_mp3(s)), lambda s: is_approved(_mp3(s))),
    "import manifest": (lambda s: s / "out" / MANIFEST_NAME, lambda s: load_manifest(s / "out")),
    "GUID ledger (feed)": (lambda s: s / "out" / ".episode-guids.json", lambda s: read_ledger(s / "out")),
    "GUID ledger (validate)": (lambda s: s / "out" / ".episode-guids.json", lambda s: _ledger(s / "out" / "feed.xml")),
    "chapters": (lambda s: _mp3(s).with_suffix(".chapters.json"), lambda s: read_chapters(_mp3(s).with_suffix(".chapters.json"))),
}

ATTACKS = {
    "takes": [
        '{"takes": []}',
        '{"takes": {"k": "x"}}',
        '{"takes": {"k": 1e999}}',
        '{"takes": {"k": -5}}',
        '{"takes": {"k": 1.7}}',
        '{"takes": {"k": true}}',
    ],
    "approval": ['{"sha256": 5}', '{"sha256": 1e999}', '{"sha256": ["a"]}', "{}"],
    "import manifest": [
        '{"format": 2, "scripts": [1, 2]}',
        '{"a.md": 1e999}',
        '{"format": 2, "scripts": {"a.md": {"sha256": 5}}}',
        '{"format": 2, "scripts": {"a.md": "x"}}',
    ],
    "GUID ledger (feed)": [
        '{"01-tiny.mp3": {"guid": 5}}',
        '{"01-tiny.mp3": 1e999}',
        '{"01-tiny.mp3": {"guid": "g", "engine": [1]}}',
        '"abc"',
    ],
    "GUID ledger (validate)": ['{"01-tiny.mp3": {"guid": 5}}', '{"01-tiny.mp3": [1e999]}'],
    "chapters": [
        '{"version": "1.2.0", "chapters": [5]}',
        '{"version": "1.2.0", "chapters": "ab"}',
        '{"version": "1.2.0", "chapters": [{"startTime": 1e999, "title": "x"}]}',
        '{"version": "1.2.0", "chapters": [{"startTime": "nan", "title": "x"}]}',
        '{"version": "1.2.0", "chapters": [{"startTime": -1, "title": "x"}]}',
        '{"chapters": []}',
        # feed wrote these on into feed.xml: no chapter at all, a right-to-left override
        '{"version": "1.2.0", "chapters": []}',
        '{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "a\\u202eb"}]}',
    ],
}


def _one_line_naming(call, path: Path) -> str:
    with pytest.raises(PaperLedgeError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and len(message) < 400, message
    return message


@pytest.mark.parametrize("name, content", [(n, c) for n in RECORDS for c in [DEEP, "[]", "1e999", "NaN", *ATTACKS[n]]])
def test_a_damaged_record_is_one_line_naming_it(show, name, content):
    where, read = RECORDS[name]
    where(show).write_text(content, encoding="utf-8")
    _one_line_naming(lambda: read(show), where(show))


def test_records_as_the_tool_writes_them_still_read(show):
    mp3 = _mp3(show)
    assert read_takes(mp3) == {} and is_approved(mp3) is False and load_manifest(show / "out") == {}
    assert list(read_ledger(show / "out")) == ["01-tiny.mp3"]
    assert [title for _, title in read_chapters(mp3.with_suffix(".chapters.json"))[1]] == ["One", "Two"]


@pytest.mark.parametrize(
    "content",
    [
        DEEP,
        "[]",
        "1e999",
        '{"mp3_sha256": "SHA", "wer": 0, "sentences": [5]}',
        '{"mp3_sha256": "SHA", "wer": 1e999, "sentences": []}',
        '{"mp3_sha256": "SHA", "wer": 0, "sentences": [{"index": 1, "flagged": "no"}]}',
        '{"mp3_sha256": "SHA", "sentences": "abc", "wer": 0}',
    ],
)
def test_a_damaged_check_report_counts_as_no_check(show, content):
    """The report is the check's result kept for later: a damaged one is checked again
    (its sentences were read by the studio and the season's summary: a traceback)."""
    path = check_path(_mp3(show))
    path.write_text(content.replace("SHA", sha256_file(_mp3(show))), encoding="utf-8")
    assert read_check(_mp3(show)) is None
    if not content.startswith("{"):
        assert ours(path) is False


@pytest.mark.parametrize(
    "content",
    [
        DEEP,
        "[]",
        '{"voices": 5, "engine": "hibari"}',
        '{"voices": "abc", "engine": "x"}',
        '{"voices": [1e999], "engine": "x"}',
        '{"voices": [], "engine": 5}',
    ],
)
def test_a_damaged_cache_index_is_written_again(show, content):
    meta = next((show / "cache" / "index").glob("*.json"))
    fingerprint = json.loads(meta.read_text(encoding="utf-8"))["fingerprint"]
    meta.write_text(content, encoding="utf-8")
    cache_admin.record_use(show / "cache", fingerprint, "heart", "hibari", [])
    assert json.loads(meta.read_text(encoding="utf-8"))["voices"] == ["heart"]
    assert [u.label for u in cache_admin.cache_info(show / "cache").by_voice] == ["heart (hibari)"]


@pytest.mark.parametrize("content", [DEEP, "[]", '{"01-tiny.md": 5}', '{"01-tiny.md": 1e999}', '"x"'])
def test_a_damaged_season_state_is_ignored(show, content):
    """The state only says what need not be rendered again: without it, everything is."""
    (show / "out" / STATE).write_text(content, encoding="utf-8")
    assert _plan_season(show / "s1", show / "out", RenderOptions(voice="heart")).state == {}


def test_a_season_renders_past_a_damaged_state(show):
    (show / "out" / STATE).write_text("[]", encoding="utf-8")  # was: AttributeError, a traceback
    proc = run_cli("season", show / "s1", "-o", show / "out", "--voice", "heart", "--cache-dir", show / "cache")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert json.loads((show / "out" / STATE).read_text(encoding="utf-8"))["01-tiny.md"]


@pytest.mark.parametrize("command", ["feed", "validate"])
def test_a_damaged_ledger_or_chapters_file_is_one_line_at_the_command(show, command):
    (show / "out" / ".episode-guids.json").write_text(DEEP, encoding="utf-8")
    args = ("feed", show / "s1", "-o", show / "out") if command == "feed" else ("validate", show / "out" / "feed.xml")
    proc = run_cli(*args)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    if command == "validate":  # one problem among the others it lists
        assert any(".episode-guids.json" in line and "nested more than" in line for line in proc.stdout.splitlines())
    else:
        assert len(proc.stderr.strip().splitlines()) == 1 and ".episode-guids.json" in proc.stderr
    if command == "feed":
        (show / "out" / ".episode-guids.json").unlink()
        _mp3(show).with_suffix(".chapters.json").write_text('{"version": "1.2.0", "chapters": [5]}', encoding="utf-8")
        proc = run_cli(*args)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
        assert len(proc.stderr.strip().splitlines()) == 1 and "chapters.json" in proc.stderr


def test_validate_names_damaged_chapters_json(show):
    _mp3(show).with_suffix(".chapters.json").write_text(DEEP, encoding="utf-8")  # was: RecursionError
    assert any("chapters.json" in str(p.path) and "Podcasting 2.0" in p.message for p in validate_mp3(_mp3(show)))


# ---- a FIFO or a huge file where one of our files belongs ----------------------------


def _first_entry(show: Path) -> Path:
    return sorted((show / "cache").glob("??/*.pcm"))[0]


FIFO_READERS = {
    **{name: (where, read, PaperLedgeError) for name, (where, read) in RECORDS.items()},
    "check report": (lambda s: check_path(_mp3(s)), lambda s: read_check(_mp3(s)), None),
    "check report owner": (lambda s: check_path(_mp3(s)), lambda s: ours(check_path(_mp3(s))), False),
    "sidecar": (lambda s: _mp3(s).with_suffix(".vtt"), lambda s: is_sidecar(_mp3(s).with_suffix(".vtt")), False),
    "season state": (
        lambda s: s / "out" / STATE,
        lambda s: _plan_season(s / "s1", s / "out", RenderOptions(voice="heart")).state,
        {},
    ),
    "cache index": (
        lambda s: next((s / "cache" / "index").glob("*.json")),
        lambda s: cache_admin.cache_info(s / "cache").by_voice[0].label,
        cache_admin.UNATTRIBUTED,
    ),
    "cache index keys": (
        lambda s: next((s / "cache" / "index").glob("*.keys")),
        lambda s: cache_admin.cache_info(s / "cache").by_voice[0].label,
        cache_admin.UNATTRIBUTED,
    ),
    "cache entry": (lambda s: _first_entry(s), lambda s: SentenceCache(s / "cache").get(_first_entry(s).stem), None),
}


@pytest.mark.parametrize("name", list(FIFO_READERS))
def test_a_fifo_is_never_waited_on(show, name):
    where, read, expected = FIFO_READERS[name]
    path = where(show)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    outcome: list = []

    def attempt():
        try:
            outcome.append(read(show))
        except PaperLedgeError as e:
            outcome.append(e)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(20)  # generous: a read of a FIFO without a writer would block for ever
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # set a blocked reader free
    except OSError:
        pass
    assert outcome, f"the {name} reader waited on a FIFO"
    if expected is PaperLedgeError:
        assert isinstance(outcome[0], PaperLedgeError) and "not a regular file" in str(outcome[0])
    else:
        assert outcome[0] == expected


def test_a_huge_file_is_refused_unread(show):
    path = takes_path(_mp3(show))
    with open(path, "wb") as f:
        f.truncate(MAX_JSON_BYTES + 1)  # sparse: nothing is written, a reader would still read it all
    assert "bytes" in _one_line_naming(lambda: read_takes(_mp3(show)), path)


# ---- TOML files with an integer of thousands of digits ------------------------------


@pytest.mark.parametrize("reader", ["show", "voice", "lexicon"])
def test_a_huge_integer_in_toml_is_one_line(tmp_path, reader):
    """Python refuses to convert an integer of over 4,300 digits (a ValueError that is not
    a TOMLDecodeError): it was a traceback."""
    huge = "9" * 5000
    if reader == "show":
        (tmp_path / "show.toml").write_text(f"title = {huge}\n", encoding="utf-8")
        path, read = tmp_path / "show.toml", lambda: load_show(tmp_path)
    elif reader == "voice":
        (tmp_path / "v.toml").write_text(f"[pauses]\nsentence = {huge}\n", encoding="utf-8")
        path, read = tmp_path / "v.toml", lambda: load_voice(str(tmp_path / "v.toml"))
    else:
        (tmp_path / "lexicon.toml").write_text(f"[words]\nx = {huge}\n", encoding="utf-8")
        path, read = tmp_path / "lexicon.toml", lambda: load_lexicon(tmp_path / "lexicon.toml")
    _one_line_naming(read, path)


# ---- the shape check itself -------------------------------------------------------


def test_check_shape_names_the_field_and_quotes_a_hostile_key_printably():
    shape = {"takes": {str: Number(0, 10, whole=True)}, "about?": str}
    assert check_shape({"takes": {"a": 3}}, shape, "f") == {"takes": {"a": 3}}
    with pytest.raises(PaperLedgeError) as caught:
        check_shape({"takes": {"a\n\u202e\ud800" + "x" * 500: True}}, shape, "f")
    message = str(caught.value)
    assert message.startswith("f: takes['a\\n\\u202e\\ud800") and "\n" not in message and len(message) < 200
    message.encode("utf-8")  # printable at any terminal
    for value, words in [
        ({"takes": {"a": 11}}, "from 0 to 10, not 11"),
        ({"takes": {"a": 2**70}}, "a huge number"),
        ({}, "has no field 'takes'"),
        ({"takes": {}, "about": 5}, "about must be a string"),
    ]:
        with pytest.raises(PaperLedgeError, match=words):
            check_shape(value, shape, "f")
