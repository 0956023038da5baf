"""Every file the tool reads back, fed arbitrary and hostile contents (Hypothesis): each
reader gives a result or one PaperLedgeError line, never another exception, and in
bounded time. What a user would notice otherwise: a traceback, or a command that hangs,
where a damaged file should have been named in one line.

The files start from the real ones a season render wrote; the strategies change a field
anywhere in them to a hostile value (the wrong type, a huge number, 1e999, deep nesting,
lone surrogates, control characters, a huge string) or replace the whole file (random
bytes, deep nesting, JSON of another shape)."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mutagen import MutagenError
from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags

from audio_pipeline.audio.sidecars import check_path, is_sidecar, ours, parse_chapters, read_chapters, read_check, read_cues
from audio_pipeline.check.listen import read_vtt
from audio_pipeline.errors import PaperLedgeError
from audio_pipeline.files import sha256_file
from audio_pipeline.importer.manifest import MANIFEST_NAME, load_manifest
from audio_pipeline.publish.approval import approval_path, approve, is_approved
from audio_pipeline.publish.ledger import read_ledger
from audio_pipeline.publish.season import STATE
from audio_pipeline.publish.validate_mp3 import validate_mp3
from audio_pipeline.render import RenderOptions
from audio_pipeline.show import load_show
from audio_pipeline.synthesis import cache_admin
from audio_pipeline.synthesis.cache import SentenceCache
from audio_pipeline.synthesis.takes import read_takes, takes_path
from audio_pipeline.synthesis.voices import load_voice
from audio_pipeline.text import tables
from audio_pipeline.text.lexicon import load_lexicon

from .conftest import ROOT, run_cli

pytestmark = pytest.mark.slow


# Generous for a loaded two-core machine: a reader that hangs or goes quadratic still fails.
FAST = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=False)
SLOW = settings(FAST, max_examples=25, deadline=5000)


@pytest.fixture(scope="module")
def season(tiny_season) -> Path:
    return tiny_season


# ---- strategies ---------------------------------------------------------------------

# Replaced by raw JSON after json.dumps: values json.dumps cannot write.
_RAW = {
    "\x00INF": "1e999",
    "\x00NINF": "-1e999",
    "\x00NAN": "NaN",
    "\x00DEEP": "[" * 3000 + "]" * 3000,
    "\x00DEEPOBJ": '{"a":' * 2000 + "1" + "}" * 2000,
    "\x00BIGINT": "9" * 5000,
}

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=20),  # lone surrogates, controls
    st.sampled_from(
        [
            "\ud800",
            "a\udfffb",
            "\x00",
            "\x1b[2J",
            "line\nbreak",
            "\u202etxt",
            "\u2028",
            "",
            "x" * 200_000,
            "../../etc/passwd",
            "%s%n{0}",
        ]
    ),
)
hostile_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
    st.sampled_from(sorted(_RAW)),
)
json_values = st.recursive(
    hostile_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def _dumps(value) -> str:
    text = json.dumps(value)
    for mark, raw in _RAW.items():
        text = text.replace(json.dumps(mark), raw)
    return text


@st.composite
def _mutated(draw, doc):
    """`doc` with one node somewhere in it (or a new field) replaced by a hostile value."""

    def walk(node):
        if isinstance(node, dict) and node and draw(st.integers(0, 3)):
            key = draw(st.sampled_from(sorted(node)) | hostile_text)
            return {**node, key: walk(node.get(key))}
        if isinstance(node, list) and node and draw(st.integers(0, 3)):
            i = draw(st.integers(0, len(node) - 1))
            return [*node[:i], walk(node[i]), *node[i + 1 :]]
        return draw(json_values)

    return walk(doc)


def documents(valid: dict) -> st.SearchStrategy[bytes]:
    """File contents: `valid` with a field made hostile, or any JSON, or hostile raw bytes."""
    return st.one_of(
        _mutated(valid).map(_dumps).map(lambda t: t.encode("utf-8", "surrogatepass")),
        json_values.map(_dumps).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
        st.sampled_from(
            [
                b"",
                b"\xef\xbb\xbf{}",
                b"\xed\xa0\x80",
                b"[" * 200_000,
                b"{" * 50_000 + b"}" * 50_000,
                b'{"a": 1e999}',
                b"1e999",
                b"NaN",
                b'"' + b"x" * 100_000,
            ]
        ),
    )


def one_line(call):
    """The reader's result, or its PaperLedgeError: one line a terminal can print."""
    try:
        return call()
    except PaperLedgeError as e:
        message = str(e)
        assert message.strip() and "\n" not in message and "\r" not in message, message[:300]
        assert len(message) < 1000, message[:300]
        message.encode("utf-8")  # a lone surrogate here would be a traceback at the terminal
        return e


def _fresh(season: Path) -> Path:
    """A scratch copy of the rendered output folder."""
    folder = Path(tempfile.mkdtemp(dir=season))
    shutil.copytree(season / "out", folder / "out")
    return folder / "out"


# ---- our JSON files -----------------------------------------------------------------


def test_takes(season):
    out = _fresh(season)
    mp3 = out / "01-tiny.mp3"

    @FAST
    @given(documents({"about": "chosen retakes", "takes": {"a" * 64: 1, "b" * 64: 2}}))
    def check(raw):
        takes_path(mp3).write_bytes(raw)
        got = one_line(lambda: read_takes(mp3))
        if not isinstance(got, PaperLedgeError):
            assert all(isinstance(k, str) and isinstance(v, int) and 0 <= v <= 1000 for k, v in got.items())

    check()


def test_approval(season):
    out = _fresh(season)
    mp3 = out / "01-tiny.mp3"
    approve(mp3)
    valid = json.loads(approval_path(mp3).read_text(encoding="utf-8"))

    @FAST
    @given(documents(valid))
    def check(raw):
        approval_path(mp3).write_bytes(raw)
        got = one_line(lambda: is_approved(mp3))
        assert isinstance(got, (bool, PaperLedgeError))

    check()


def test_import_manifest(season):
    out = _fresh(season)
    valid = {"format": 2, "scripts": {"01-tiny.md": {"sha256": "0" * 64, "episode": "2025-01-02/tiny"}}}

    @FAST
    @given(documents(valid))
    def check(raw):
        (out / MANIFEST_NAME).write_bytes(raw)
        got = one_line(lambda: load_manifest(out))
        if not isinstance(got, PaperLedgeError):
            assert all(isinstance(e.sha256, str) and isinstance(e.key, (str, type(None))) for e in got.values())

    check()


def test_guid_ledger(season):
    out = _fresh(season)
    valid = json.loads((out / ".episode-guids.json").read_text(encoding="utf-8"))

    @FAST
    @given(documents(valid))
    def check(raw):
        (out / ".episode-guids.json").write_bytes(raw)
        got = one_line(lambda: read_ledger(out))
        if not isinstance(got, PaperLedgeError):
            assert all(isinstance(v["guid"], str) for v in got.values())

    check()


def test_chapters_json(season):
    out = _fresh(season)
    path = out / "01-tiny.chapters.json"
    valid = json.loads(path.read_text(encoding="utf-8"))

    @FAST
    @given(documents(valid))
    def check(raw):
        path.write_bytes(raw)
        got = one_line(lambda: read_chapters(path))
        if not isinstance(got, PaperLedgeError):
            assert all(0 <= start < float("inf") and isinstance(title, str) for start, title in got[1])
        assert is_sidecar(path) in (True, False)

    check()


def test_check_report(season):
    out = _fresh(season)
    mp3 = out / "01-tiny.mp3"
    sentence = {
        "index": 1,
        "start": 0.5,
        "end": 1.5,
        "written": "Hello there.",
        "heard": "hello there",
        "error": 0.0,
        "flagged": False,
        "score": 0.9,
        "weakest": [["hello", 0.8]],
        "scored": "",
        "differs": [],
        "take": 0,
        "fix": None,
        "note": "",
    }
    valid = {
        "about": "paperledge check",
        "mp3_sha256": sha256_file(mp3),
        "wer": 0.0,
        "errors": 0,
        "words": 2,
        "model": "tiny.en",
        "seconds": 1.0,
        "failures": [],
        "findings": [],
        "sentences": [sentence],
    }

    @FAST
    @given(documents(valid))
    def check(raw):
        check_path(mp3).write_bytes(raw)
        got = read_check(mp3)  # a report is the check's result kept: a damaged one is no check
        if got is not None:
            for s in got.sentences:
                assert isinstance(s.flagged, bool) and isinstance(s.heard, str) and s.index >= 1
        assert ours(check_path(mp3)) in (True, False)

    check()


def test_cache_index(season):
    cache = Path(tempfile.mkdtemp(dir=season)) / "cache"
    shutil.copytree(season / "cache", cache)
    meta = next((cache / "index").glob("*.json"))
    valid = json.loads(meta.read_text(encoding="utf-8"))
    fingerprint = valid["fingerprint"]

    @FAST
    @given(documents(valid), st.binary(max_size=300))
    def check(raw, keys):
        meta.write_bytes(raw)
        meta.with_suffix(".keys").write_bytes(keys)
        # The index is bookkeeping: a damaged one is written again, never an error.
        cache_admin.record_use(cache, fingerprint, "heart", "hibari", [])
        info = cache_admin.cache_info(cache)
        assert info.entries >= 1
        cache_admin.record_use(cache, fingerprint, "heart", "hibari", [])

    check()


def test_cache_entries(season):
    """A cache entry of any bytes is served intact or discarded (and synthesised again)."""
    cache = Path(tempfile.mkdtemp(dir=season)) / "cache"
    shutil.copytree(season / "cache", cache)
    entry = sorted(cache.glob("??/*.pcm"))[0]
    good = entry.read_bytes()

    @FAST
    @given(
        st.one_of(
            st.binary(max_size=200),
            st.builds(
                lambda i, b: good[:i] + b + good[i + len(b) :], st.integers(0, len(good)), st.binary(min_size=1, max_size=8)
            ),
        )
    )
    def check(raw):
        entry.write_bytes(raw)
        got = SentenceCache(cache).get(entry.stem)
        assert got is None or raw == good

    check()


def test_season_state(season):
    from audio_pipeline.cluster.plan import _plan_season

    out = _fresh(season)
    valid = json.loads((out / STATE).read_text(encoding="utf-8"))
    options = RenderOptions(voice="heart")

    @SLOW
    @given(documents(valid))
    def check(raw):
        (out / STATE).write_bytes(raw)
        plan = _plan_season(season / "s1", out, replace(options))  # a cache: a damaged one is ignored
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in plan.state.items())

    check()


def test_validate_reads_hostile_sidecars(season):
    out = _fresh(season)
    mp3 = out / "01-tiny.mp3"
    chapters = json.loads((out / "01-tiny.chapters.json").read_text(encoding="utf-8"))

    @SLOW
    @given(documents(chapters), vtt_texts)
    def check(raw, vtt):
        (out / "01-tiny.chapters.json").write_bytes(raw)
        (out / "01-tiny.vtt").write_bytes(vtt.encode("utf-8", "surrogatepass"))
        problems = one_line(lambda: validate_mp3(mp3))
        assert isinstance(problems, (list, PaperLedgeError))

    check()


# ---- VTT --------------------------------------------------------------------------

_cue_time = st.one_of(
    st.builds(
        lambda h, m, s, ms: f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}",
        st.integers(0, 10**6),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 999),
    ),
    st.sampled_from(["99999999999999999999:00:00.000", "00:00:1e999", "nan", "", "-01:00:00.000", "00:00:00.0000001"]),
    hostile_text,
)
_cue = st.builds(
    lambda n, a, b, text: f"{n}\n{a} --> {b}\n{text}\n", st.integers(0, 10**9) | hostile_text, _cue_time, _cue_time, hostile_text
)
vtt_texts = st.one_of(
    st.lists(_cue, max_size=8).map(lambda cues: "WEBVTT\n\n" + "\n".join(cues)),
    st.text(max_size=300),
    st.sampled_from(["WEBVTT\n\n" + "1\n00:00:00.000 --> 00:00:01.000\n<v " * 5000, "WEBVTT" + "\n" * 100_000]),
)


@FAST
@given(vtt_texts)
def test_vtt_the_check_reads(vtt):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "episode.vtt"
        path.write_bytes(vtt.encode("utf-8", "surrogatepass"))
        got = one_line(lambda: read_vtt(path))
        if not isinstance(got, PaperLedgeError):
            assert all(0 <= c.start <= c.end < float("inf") for c in got)


@FAST
@given(vtt_texts)
def test_vtt_cues_as_sidecars_reads_them(vtt):
    got = one_line(lambda: read_cues(vtt))
    if not isinstance(got, PaperLedgeError):
        assert all(isinstance(text, str) for _, _, text in got)


@FAST
@given(documents({"version": "1.2.0", "title": "x", "chapters": [{"startTime": 0, "title": "One"}]}))
def test_chapters_text(raw):
    one_line(lambda: parse_chapters(raw.decode("utf-8", "replace"), "episode.chapters.json"))


# ---- TOML -------------------------------------------------------------------------

_toml_value = st.one_of(
    st.integers().map(str),
    st.sampled_from(
        [
            "inf",
            "-inf",
            "nan",
            "1e999",
            "9" * 5000,
            "true",
            "1979-05-27",
            "[" * 3000 + "]" * 3000,
            "{a={a={a={}}}}",
            '"\\ud800"',
            "'''x'''",
        ]
    ),
    hostile_text.map(json.dumps),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
_toml_key = st.sampled_from(
    [
        "title",
        "artist",
        "base_url",
        "cover",
        "language",
        "explicit",
        "max_spoken_authors",
        "name",
        "lexicon",
        "engine",
        "pauses",
        "sentence",
        "rate",
        "model",
        "x",
        "words",
        "words_nocase",
        '"a\\u0000b"',
        "cast",
    ]
) | st.from_regex(r"[a-z_]{1,12}", fullmatch=True)


@st.composite
def toml_texts(draw, valid: str):
    lines = valid.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        line = f"{draw(_toml_key)} = {draw(_toml_value)}"
        lines.insert(draw(st.integers(0, len(lines))), line if draw(st.booleans()) else f"[{draw(_toml_key)}]\n{line}")
    return "\n".join(lines)


def _toml_documents(valid: str):
    return st.one_of(
        toml_texts(valid),
        st.text(max_size=200),
        st.sampled_from(["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b=" * 2000 + "1" + "}" * 2000, "[" + "a." * 3000 + "b]"]),
    )


@FAST
@given(st.data())
def test_show_toml(data):
    valid = 'title = "PaperLedge"\nartist = "Ernis"\nbase_url = "https://cdn.example.org/pl/"\n'
    text = data.draw(_toml_documents(valid))
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "show.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
        one_line(lambda: load_show(Path(folder)))


@SLOW
@given(st.data())
def test_voice_profile(data):
    valid = (ROOT / "voices" / "heart.toml").read_text(encoding="utf-8")
    text = data.draw(_toml_documents(valid))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        shutil.copy(ROOT / "voices" / "heart.lexicon.toml", Path(folder) / "heart.lexicon.toml")
        one_line(lambda: load_voice(str(path)))


@FAST
@given(st.data())
def test_lexicons(data):
    valid = (ROOT / "voices" / "lexicon.toml").read_text(encoding="utf-8")
    text = data.draw(_toml_documents(valid))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "lexicon.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        one_line(lambda: load_lexicon(path))  # the show lexicon
        one_line(lambda: load_lexicon(None, path))  # a voice's lexicon


@FAST
@given(st.data())
def test_front_end_tables(data):
    """The front end's own tables (text/data/*.toml) are package data: a damaged one is a
    TableError naming the file (a ValueError), never another exception."""
    name = data.draw(st.sampled_from(sorted(tables.SHAPES)))
    valid = (tables.DATA / f"{name}.toml").read_text(encoding="utf-8")
    text = data.draw(_toml_documents(valid))
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / f"{name}.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
        saved, tables.DATA = tables.DATA, Path(folder)
        try:
            tables.table.__wrapped__(name)
        except tables.TableError as e:
            assert "\n" not in str(e)
        finally:
            tables.DATA = saved


# ---- the MP3's tags ---------------------------------------------------------------

_frame_ids = st.sampled_from(
    [
        "TIT2",
        "TALB",
        "TPE1",
        "TRCK",
        "TPOS",
        "TDRC",
        "TYER",
        "TCON",
        "COMM",
        "APIC",
        "CHAP",
        "CTOC",
        "TXXX",
        "PCST",
        "TLEN",
        "WXXX",
    ]
)


@st.composite
def _tagged(draw, mp3: bytes) -> bytes:
    """The rendered MP3 with its ID3 tag's bytes changed, or frames of any content written."""
    tag_size = 10 + sum((mp3[6 + i] & 0x7F) << (7 * (3 - i)) for i in range(4))
    how = draw(st.integers(0, 2))
    if how == 0:  # flip, insert or cut bytes inside the tag
        tag = bytearray(mp3[:tag_size])
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, len(tag) - 1))
            tag[i] = draw(st.integers(0, 255))
        return bytes(tag) + mp3[tag_size:]
    if how == 1:  # a random frame body under a real frame id, in a valid ID3v2.3 header
        body = draw(st.binary(min_size=1, max_size=300))
        frame = draw(_frame_ids).encode() + len(body).to_bytes(4, "big") + b"\0\0" + body
        size = len(frame)
        header = b"ID3\x03\x00\x00" + bytes((size >> s) & 0x7F for s in (21, 14, 7, 0))
        return header + frame + mp3[tag_size:]
    return mp3[:tag_size] + draw(st.binary(max_size=64)) + mp3[tag_size + draw(st.integers(0, 4000)) :]


def test_mp3_tags_validate_reads(season):
    out = _fresh(season)
    mp3 = out / "01-tiny.mp3"
    good = mp3.read_bytes()

    @SLOW
    @given(_tagged(good))
    def check(raw):
        mp3.write_bytes(raw)
        assert isinstance(one_line(lambda: validate_mp3(mp3)), (list, PaperLedgeError))

    check()


def test_mp3_chapter_frames_validate_reads(season):
    """CHAP and CTOC frames of any content mutagen writes: times, flags, children, nesting."""
    out = _fresh(season)
    mp3 = out / "01-tiny.mp3"
    good = mp3.read_bytes()
    ms = st.integers(0, 2**32 - 1)

    @SLOW
    @given(
        st.lists(st.tuples(hostile_text.filter(lambda t: t and "\0" not in t), ms, ms, hostile_text), max_size=6),
        st.lists(hostile_text.filter(lambda t: t and "\0" not in t), max_size=6),
        st.integers(0, 3),
        st.integers(0, 40),
    )
    def check(chaps, children, flags, nest):
        mp3.write_bytes(good)
        tags = ID3(mp3)
        tags.delall("CHAP")
        tags.delall("CTOC")
        for element, start, end, title in chaps:
            frame = CHAP(element_id=element[:60], start_time=start, end_time=end, sub_frames=[TIT2(text=[title])])
            tags.add(frame)
        inner = None
        for depth in range(nest):  # CHAP frames nested inside each other's sub-frames
            inner = CHAP(element_id=f"n{depth}", start_time=0, end_time=1000, sub_frames=[inner] if inner is not None else [])
        if inner is not None:
            tags.add(inner)
        tags.add(CTOC(element_id="toc", flags=CTOCFlags(flags), child_element_ids=[c[:60] for c in children], sub_frames=[]))
        try:
            tags.save(mp3, v2_version=3)
        except (ValueError, MutagenError):
            return  # mutagen refuses to write it (a lone surrogate): nothing to read back
        assert isinstance(one_line(lambda: validate_mp3(mp3)), (list, PaperLedgeError))

    check()


def test_a_hostile_file_through_the_cli_is_one_line(season, tmp_path):
    """The same, as a producer sees it: `paperledge feed` with a damaged GUID ledger."""
    out = _fresh(season)
    (out / ".episode-guids.json").write_text('{"01-tiny.mp3": {"guid": 5}}', encoding="utf-8")
    proc = run_cli("feed", season / "s1", "-o", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert len(proc.stderr.strip().splitlines()) == 1 and ".episode-guids.json" in proc.stderr
