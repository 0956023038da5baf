"""A cast: one episode with a Piper speaker (Ernis, joe) and a hibari speaker (Maya, heart),
rendered once, measured on the MP3 as ffmpeg decodes it, the transcript read by webvtt-py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PAPERLEDGE, ROOT, ebur128, ffprobe, need, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DIALOGUE = """\
---
title: A Conversation
date: 2025-04-10
cast:
  Ernis: ernis
  Maya: heart
---

## Hello
Hey PaperLedge crew, Ernis here, and today I have a guest with me in the studio.

**Maya:** Hi everyone, I'm Maya. I build calendar software, and this paper felt like it was about my job.

It describes agents that learn new skills from each other while they work.

Ernis: So what did the researchers actually measure in their experiment?

Maya: They scheduled meetings with groups of agents, and sharing skills made them about a quarter more efficient.

Ernis: That is a wonderful result, and a lovely place to stop for today.
"""

SPEAKERS = ["Ernis", "Maya", "Maya", "Ernis", "Maya", "Ernis"]


@pytest.fixture(scope="session")
def dialogue(tmp_path_factory):
    """The dialogue rendered once, as a season of one episode: (MP3, its VTT, feed.xml)."""
    folder = tmp_path_factory.mktemp("cast")
    (folder / "season").mkdir()
    (folder / "season" / "conversation.md").write_text(DIALOGUE, encoding="utf-8")
    done = run_cli("season", folder / "season", "-o", folder / "out", "--cache-dir", folder / "cache")
    assert done.returncode == 0, done.stderr
    out = folder / "out" / "conversation.mp3"
    return out, out.with_suffix(".vtt"), folder / "out" / "feed.xml"


def _decoded(mp3: Path, rate: int) -> np.ndarray:
    raw = subprocess.run(
        [need("ffmpeg"), "-v", "error", "-i", str(mp3), "-ac", "1", "-ar", str(rate), "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<f4")


def _by_speaker(vtt: Path, audio: np.ndarray, rate: int) -> dict[str, np.ndarray]:
    import webvtt

    parts: dict[str, list[np.ndarray]] = {}
    for c in webvtt.read(str(vtt)).captions:
        parts.setdefault(c.voice, []).append(audio[round(c.start_in_seconds * rate) : round(c.end_in_seconds * rate)])
    return {k: np.concatenate(v) for k, v in parts.items()}


def _median_pitch(x: np.ndarray, rate: int) -> float:
    """Median f0 (Hz) of the voiced 40 ms frames, by normalised autocorrelation (60-400 Hz)."""
    frame, hop = round(0.04 * rate), round(0.01 * rate)
    lo, hi = rate // 400, rate // 60
    loud = np.sqrt(np.mean(x**2)) * 0.5
    f0 = []
    for start in range(0, x.size - frame, hop):
        w = x[start : start + frame].astype(np.float64)
        if np.sqrt(np.mean(w**2)) < loud:
            continue
        w = w - w.mean()
        ac = np.correlate(w, w, "full")[frame - 1 :]
        if ac[0] <= 0:
            continue
        ac = ac / ac[0]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5:
            f0.append(rate / lag)
    return float(np.median(f0))


@pytest.mark.slow
def test_vtt_voice_spans_name_each_speaker_and_hide_the_labels(dialogue):
    import webvtt

    _, vtt, _ = dialogue
    captions = webvtt.read(str(vtt)).captions
    # One cue per sentence; the first two paragraphs' sentences are Ernis's and Maya's.
    voices = [c.voice for c in captions]
    assert voices[0] == "Ernis" and "Maya" in voices and set(voices) == {"Ernis", "Maya"}
    assert not any(c.text.startswith(("Maya:", "Ernis:", "**")) for c in captions)
    assert captions[1].text.startswith("Hi everyone, I'm Maya") and captions[1].voice == "Maya"
    # Paragraphs after a label stay that speaker's until the next label.
    assert next(c for c in captions if c.text.startswith("It describes")).voice == "Maya"


@pytest.mark.slow
def test_two_engines_two_pitches(dialogue):
    # Ernis (Piper joe, a man's voice) and Maya (hibari heart, a woman's) are heard as two people.
    mp3, vtt, _ = dialogue
    rate = 16_000
    speech = _by_speaker(vtt, _decoded(mp3, rate), rate)
    ernis, maya = _median_pitch(speech["Ernis"], rate), _median_pitch(speech["Maya"], rate)
    assert 70 <= ernis <= 150, ernis
    assert 150 <= maya <= 300, maya
    assert maya > 1.4 * ernis


@pytest.mark.slow
def test_every_speaker_at_the_same_loudness(dialogue, tmp_path):
    # Levelled per voice before mastering: neither speaker is quieter than the other on the MP3.
    mp3, vtt, _ = dialogue
    rate = 44_100
    lufs = {}
    for name, samples in _by_speaker(vtt, _decoded(mp3, rate), rate).items():
        wav = tmp_path / f"{name}.wav"
        subprocess.run(
            [need("ffmpeg"), "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-", str(wav)],
            input=samples.astype("<f4").tobytes(),
            check=True,
        )
        lufs[name] = ebur128(wav)[0]
    assert abs(lufs["Ernis"] - lufs["Maya"]) <= 1.0, lufs
    whole, peak = ebur128(mp3)
    assert abs(whole + 16.0) <= 0.5 and peak <= -1.0


@pytest.mark.slow
def test_tags_name_the_host_and_credit_the_guest(dialogue):
    tags = ffprobe(dialogue[0])["format"]["tags"]
    assert tags["artist"] == "Ernis"
    assert "Guest: Maya." in tags["comment"]


@pytest.mark.slow
def test_feed_names_the_guest_as_a_podcast_person(dialogue):
    import feedparser

    feed = feedparser.parse(dialogue[2].read_text(encoding="utf-8"))
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    assert entry.podcast_person["role"] == "guest"  # feedparser keeps the attributes
    import xml.etree.ElementTree as ET

    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    item = ET.parse(dialogue[2]).getroot().find("channel/item")
    guests = [p.text for p in item.findall("podcast:person", ns) if p.get("role") == "guest"]
    assert guests == ["Maya"]  # the host is not a guest, and the name is the cast's


def _fails(tmp_path: Path, text: str) -> str:
    script = tmp_path / "bad.md"
    script.write_text(text, encoding="utf-8")
    done = run_cli("render", script, "-o", tmp_path / "bad.mp3", "--no-cache")
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "bad.mp3").exists()
    return lines[0]


def test_bad_casts_are_one_line_naming_the_line(tmp_path):
    head = "---\ntitle: T\ncast:\n  Ernis: ernis\n  Maya: {voice}\n---\n\n"
    line = _fails(tmp_path, head.format(voice="nosuch") + "Maya: Hello there.\n")
    assert "cast entry 'Maya'" in line and "unknown voice 'nosuch'" in line
    line = _fails(tmp_path, head.format(voice="heart") + "Hello.\n\n**Maya:**\n\nHello there.\n")
    assert "line 10" in line and "the label 'Maya:' has nothing after it" in line
    line = _fails(tmp_path, "---\ntitle: T\ncast: [ernis, heart]\n---\n\nMaya: Hello.\n")
    assert "line 3" in line and "'cast' must be a mapping of speaker names to voice profiles" in line
    line = _fails(tmp_path, head.format(voice="heart") + "Nobody is labelled here.\n")
    assert "names a cast (Ernis, Maya) but no paragraph begins with a speaker's label" in line


def test_a_voice_whose_engine_is_not_installed(tmp_path):
    import importlib.util

    if importlib.util.find_spec("TTS") is not None:
        pytest.skip("the coqui engine is installed in this environment")
    (tmp_path / "guest.toml").write_text('[engine]\nname = "coqui"\nmodel = "tts_models/x"\n', encoding="utf-8")
    line = _fails(tmp_path, f"---\ncast:\n  Ernis: ernis\n  Guest: {tmp_path / 'guest.toml'}\n---\n\nGuest: Hello.\n")
    assert "cast entry 'Guest'" in line and "coqui" in line and "pip install" in line


def test_show_cast_labels_quotes_and_plain_colons(tmp_path):
    # show.toml's [cast] holds the regulars (host first); the script's cast adds to it by name;
    # a label not in the cast is text; a block quote goes to the cast's quote voice.
    from audio_pipeline.stages import load_episode

    (tmp_path / "show.toml").write_text('[cast]\nErnis = "ernis"\nquote = "heart"\n', encoding="utf-8")
    script = tmp_path / "ep.md"
    script.write_text(
        "---\ncast:\n  Maya: heart\n---\n\nWelcome back.\n\nMaya: Thanks!\n\nBob: is not here.\n\n"
        "> A quoted line.\n\nErnis: Bye.\n",
        encoding="utf-8",
    )
    episode, host, _ = load_episode(script)
    said = [(s.speaker, s.written) for s in episode.sentences()]
    assert said == [
        ("Ernis", "Welcome back."),
        ("Maya", "Thanks!"),
        ("Maya", "Bob: is not here."),
        ("quote", "A quoted line."),
        ("Ernis", "Bye."),
    ]
    assert host.name == "ernis" and episode.voices["Maya"].engine == "hibari"
    assert "[Ernis]" not in said[0][1]


def test_sample_dialogue_ships_and_parses():
    # The sample conversation in scripts/dialogues/ names its cast and labels its speakers.
    from audio_pipeline.script.read import read_script

    script = ROOT / "scripts" / "dialogues" / "01-skillflow-with-maya.md"
    episode = read_script(script)
    assert list(episode.cast) == ["Ernis", "Maya"]
    assert {s.speaker for s in episode.sentences()} == {"Ernis", "Maya"}
    assert tomllib.loads((ROOT / "voices" / "heart.toml").read_text(encoding="utf-8"))["engine"]["name"] == "hibari"


@pytest.mark.ray
@pytest.mark.slow
def test_a_cast_on_ray_one_pool_per_engine_sharing_the_local_cache(tmp_path):
    # A season mixing a Piper-only episode and a Piper + hibari dialogue renders on Ray with
    # one actor pool per engine, and stores every sentence under the local render's keys.
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed here: `make test-ray` runs this in .venv-ray")
    import ray
    import webvtt

    season, out, cache = tmp_path / "season", tmp_path / "out", tmp_path / "cache"
    season.mkdir()
    (season / "01-conversation.md").write_text(DIALOGUE, encoding="utf-8")
    (season / "02-alone.md").write_text(
        "---\ndate: 2025-04-11\n---\n\nErnis here, alone this time. Short and sweet.\n", encoding="utf-8"
    )
    ray.init(num_cpus=2, include_dashboard=False, namespace="paperledge-tests", log_to_driver=False, logging_level="ERROR")
    try:
        address = ray.get_runtime_context().gcs_address
        done = subprocess.run(
            [
                *PAPERLEDGE,
                "season",
                str(season),
                "-o",
                str(out),
                "--cache-dir",
                str(cache),
                "--executor",
                "ray",
                "--ray-address",
                address,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    finally:
        ray.shutdown()
    assert done.returncode == 0, done.stderr
    for name in ("01-conversation", "02-alone"):
        lufs, peak = ebur128(out / f"{name}.mp3")
        assert abs(lufs + 16.0) <= 0.5 and peak <= -1.0
    voices = {c.voice for c in webvtt.read(str(out / "01-conversation.vtt")).captions}
    assert voices == {"Ernis", "Maya"}
    assert ffprobe(out / "01-conversation.mp3")["format"]["tags"]["artist"] == "Ernis"
    from audio_pipeline.publish.season import render_season
    from audio_pipeline.render import RenderOptions

    local = render_season(season, tmp_path / "local", RenderOptions(cache_dir=cache))
    assert len(local.rendered) == 2 and local.synthesized == 0, local


def test_a_quote_voice_alone_needs_no_labels():
    # A cast of only a `quote` voice reads block quotes in it; the rest is the script's voice.
    from audio_pipeline.script.read import parse_script

    episode = parse_script("---\ncast:\n  quote: heart\n---\n\nHi there.\n\n> Quoted words.\n", Path("q.md"))
    assert [(s.speaker, s.markup) for s in episode.sentences()] == [("", "Hi there."), ("quote", "Quoted words.")]


@pytest.mark.check
def test_a_cast_is_checked_by_ear_and_its_review_page_names_the_speakers(dialogue, tmp_path):
    """The check hears both engines' speech against the written text of each speaker's cue
    (the VTT voice span is not read as words), and the review page says who speaks."""
    pytest.importorskip("faster_whisper", reason="needs the [check] extra: make setup installs it")
    import json
    import shutil

    mp3, _, _ = dialogue
    for f in mp3.parent.glob("conversation.*"):
        if f.suffix in (".mp3", ".vtt", ".srt") or f.name.endswith(".chapters.json"):
            shutil.copy(f, tmp_path / f.name)
    proc = run_cli("check", tmp_path / "conversation.mp3", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["sentences"]) == 7 and not any(s["written"].startswith("<v") for s in report["sentences"])
    assert sum(s["flagged"] for s in report["sentences"]) <= 1, report["sentences"]
    script = tmp_path / "conversation.md"
    script.write_text(DIALOGUE, encoding="utf-8")
    out = tmp_path / "checked.mp3"
    proc = run_cli("render", script, "-o", out, "--cache-dir", mp3.parent.parent / "cache", "--check", "--retakes", "0", "-q")
    assert proc.returncode in (0, 3), proc.stderr
    page = out.with_suffix(".review.html").read_text(encoding="utf-8")
    assert page.count('<b class="who">Maya:</b>') == 2 and page.count('<b class="who">Ernis:</b>') == 3


def test_a_cast_member_is_host_co_host_or_guest(tmp_path):
    """Before: every member beside the host was credited as a guest, a co-host too."""
    from audio_pipeline.script.cast import people_of, role_of
    from audio_pipeline.script.read import read_script
    from audio_pipeline.show import load_settings

    (tmp_path / "show.toml").write_text(
        '[cast]\nErnis = "ernis"\nMaya = { voice = "heart", role = "co-host" }\n', encoding="utf-8"
    )
    script = tmp_path / "ep.md"
    script.write_text(
        "---\ncast:\n  Sam: {voice: heart, role: guest}\n  Ann: heart\n---\n\nErnis: Hello.\n\n"
        "Maya: Hi.\n\nSam: Hey.\n\nAnn: Yo.\n",
        encoding="utf-8",
    )
    episode = read_script(script, show_cast=load_settings(tmp_path, root=tmp_path).cast)
    assert [role_of(episode.cast, n) for n in episode.cast] == ["host", "co-host", "guest", "guest"]
    assert people_of(episode.cast, {"Ernis", "Maya", "Sam"}) == [("Maya", "co-host"), ("Sam", "guest")]


@pytest.mark.parametrize(
    "cast, needles",
    [
        ("  Ernis: ernis\n  Maya: {voice: heart, role: boss}", ("'Maya' has role 'boss'", "host, co-host, guest")),
        ("  Ernis: ernis\n  Maya: {voice: heart, role: host}", ("'Maya' cannot be host", "first member (Ernis)")),
        ("  Ernis: ernis\n  Maya: {voice: heart, rol: guest}", ("unknown setting 'rol'", "did you mean 'role'")),
        # Look-alikes: a Cyrillic "М" in a Latin name, and an all-Cyrillic "Мауа" beside "Maya".
        ("  Ernis: ernis\n  \u041caya: heart", ("mixes Cyrillic and Latin letters",)),
        ("  Ernis: ernis\n  Maya: heart\n  \u041c\u0430\u0443\u0430: heart", ("'Maya' and 'Мауа' look alike",)),
        ("  Ernis: ernis\n  Ma\u200bya: heart", ("must be a name",)),
        # A no-break or em space after a name made a second "Maya" that took over the first one's lines.
        ('  Ernis: ernis\n  Maya: heart\n  "Maya\u00a0": ernis', ("must be a name",)),
        ('  Ernis: ernis\n  Maya: heart\n  "Maya\u2003": ernis', ("must be a name",)),
        ('  Ernis: ernis\n  Maya: heart\n  "Maya ": ernis', ("named twice",)),
    ],
)
def test_bad_roles_and_look_alike_names_are_one_line(tmp_path, cast, needles):
    line = _fails(tmp_path, f"---\ntitle: T\ncast:\n{cast}\n---\n\nErnis: Hello.\n")
    for needle in needles:
        assert needle in line, line
