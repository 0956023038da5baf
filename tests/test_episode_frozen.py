"""An episode, once read, is the same episode for every stage: nothing can change it after the
script gives it, and the render's forms of each sentence come as a new episode. If this failed,
one stage (or one Ray worker) could change what another synthesises, tags or transcribes."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest
from PIL import Image

from audio_pipeline.script.episode import Chapter, Episode, EpisodeMeta, FrozenCast, FrozenMap, Paragraph, Pause, Sentence
from audio_pipeline.script.read import parse_script, read_script

ROOT = Path(__file__).resolve().parents[1]
OCEAN = ROOT / "scripts" / "season-01" / "01-listening-to-the-ocean.md"
DIALOGUE = ROOT / "scripts" / "dialogues" / "01-skillflow-with-maya.md"


def _linked(tmp_path: Path, monkeypatch) -> Episode:
    """A script whose front matter gives a chapter an image and a link, and which pauses."""
    show = tmp_path / "show"
    (show / "s1").mkdir(parents=True)
    monkeypatch.setenv("PAPERLEDGE_SHOW", str(show))
    Image.new("RGB", (1400, 1400), (20, 90, 160)).save(show / "s1" / "art.png", "PNG")
    text = (
        "---\nchapters:\n  The research: {img: art.png, url: 'https://example.org/paper'}\n---\n"
        "## Welcome\nHi. [pause 1s] Hello.\n\n## The research\nMore.\n"
    )
    return parse_script(text, show / "s1" / "ep.md")


@pytest.fixture(params=["ocean", "dialogue", "linked"])
def episode(request, tmp_path, monkeypatch) -> Episode:
    if request.param == "linked":
        return _linked(tmp_path, monkeypatch)
    return read_script(OCEAN if request.param == "ocean" else DIALOGUE, show_cast={})


def _objects(episode: Episode) -> list[object]:
    """The episode and every object it holds: metadata, chapters, paragraphs, sentences, pauses."""
    found: list[object] = [episode, episode.meta]
    for c in episode.chapters:
        found.append(c)
        for p in c.paragraphs:
            found.append(p)
            found.extend(p.items)
    return found


def test_every_field_of_every_object_refuses_to_change(episode):
    kinds = {type(o) for o in _objects(episode)}
    assert {Episode, EpisodeMeta, Chapter, Paragraph, Sentence} <= kinds
    for obj in _objects(episode):
        for f in dataclasses.fields(obj):
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(obj, f.name, getattr(obj, f.name))
            with pytest.raises(dataclasses.FrozenInstanceError):
                delattr(obj, f.name)


def test_collections_are_tuples_and_mappings_that_refuse_changes(episode):
    assert isinstance(episode.chapters, tuple) and isinstance(episode.meta.authors, tuple)
    for c in episode.chapters:
        assert isinstance(c.paragraphs, tuple)
        assert all(isinstance(p.items, tuple) for p in c.paragraphs)
    assert all(isinstance(s.fired, tuple) for s in episode.sentences())
    for mapping in (episode.cast, episode.meta.cast, episode.cast.roles, episode.voices):
        with pytest.raises(TypeError):
            mapping["Someone"] = "heart"
        with pytest.raises(AttributeError):
            mapping.update({"Someone": "heart"})
        with pytest.raises(AttributeError):
            mapping._items = {}


def test_the_parser_gives_what_it_gave_before(tmp_path, monkeypatch):
    """Building without changing a built object keeps every sentence, speaker, link and title."""
    ocean = read_script(OCEAN, show_cast={})
    assert ocean.meta.title.startswith("Listening to the Ocean")
    assert ocean.meta.authors == ("Maya Okafor", "Lars Lindqvist", "Priya Raman", "Tomás Ferreira")
    assert ocean.sentences()[-1].markup.startswith("Credit to the paper's authors: Maya Okafor")
    assert [s.markup for s in ocean.sentences()] == [s.markup for c in ocean.chapters for s in c.sentences()]

    dialogue = read_script(DIALOGUE, show_cast={})
    assert dict(dialogue.cast) == {"Ernis": "ernis", "Maya": "heart"} == dialogue.meta.cast
    assert {s.speaker for s in dialogue.sentences()} == {"Ernis", "Maya"}
    assert dialogue.sentences()[0].speaker == "Ernis"

    linked = _linked(tmp_path, monkeypatch)
    assert [(c.title, c.img and c.img.name, c.url) for c in linked.chapters] == [
        ("Welcome", None, None),
        ("The research", "art.png", "https://example.org/paper"),
    ]
    assert [type(i).__name__ for i in linked.chapters[0].paragraphs[0].items] == ["Sentence", "Pause", "Sentence"]


def test_roles_survive_in_the_frozen_cast():
    """The feed's podcast:person and the tags' credits read a member's role from the episode's cast."""
    from audio_pipeline.script.cast import role_of

    text = "---\ncast:\n  Ernis: ernis\n  Maya: {voice: heart, role: co-host}\n---\nErnis: Hi.\n\nMaya: Hello.\n"
    episode = parse_script(text, Path("ep.md"))
    assert role_of(episode.cast, "Maya") == "co-host" and role_of(episode.meta.cast, "Maya") == "co-host"
    assert role_of(episode.cast, "Ernis") == "host"
    assert pickle.loads(pickle.dumps(episode.cast)).roles == {"Maya": "co-host"}


def test_prepared_is_a_new_episode_and_the_read_one_is_unchanged(episode):
    before = pickle.dumps(episode)
    sentences = episode.sentences()
    forms = [(f"w{i}", f"s{i}", [f"rule:{i}"]) for i in range(len(sentences))]
    voices = {s.speaker: f"profile of {s.speaker or 'the host'}" for s in sentences}
    prepared = episode.prepared(voices, forms)

    assert prepared is not episode and prepared != episode
    assert pickle.dumps(episode) == before and episode.voices == {}
    assert all(s.written == s.spoken == "" and s.fired == () for s in episode.sentences())
    assert [(s.written, s.spoken, s.fired) for s in prepared.sentences()] == [
        (f"w{i}", f"s{i}", (f"rule:{i}",)) for i in range(len(sentences))
    ]
    # Everything but the forms and the voices is as the script gave it, pauses in their places.
    assert [dataclasses.replace(s, written="", spoken="", fired=()) for s in prepared.sentences()] == sentences
    assert [[type(i) for p in c.paragraphs for i in p.items] for c in prepared.chapters] == [
        [type(i) for p in c.paragraphs for i in p.items] for c in episode.chapters
    ]
    assert prepared.meta == episode.meta and prepared.cast == episode.cast and prepared.source == episode.source
    assert dict(prepared.voices) == voices and isinstance(prepared.voices, FrozenMap)
    voices["Someone"] = "added after"  # the caller's dict is copied, not held
    assert "Someone" not in prepared.voices
    with pytest.raises(ValueError, match="spoken forms for the episode's"):
        episode.prepared(voices, forms[:-1])


def test_an_episode_pickles_and_unpickles_equal(episode):
    """Ray sends episodes to its workers pickled: they must arrive as they left."""
    prepared = episode.prepared({"": "p"}, [("w", "s", ("f",))] * len(episode.sentences()))
    for ep in (episode, prepared):
        back = pickle.loads(pickle.dumps(ep))
        assert back == ep and back.sentences() == ep.sentences()
        assert type(back.cast) is FrozenCast and type(back.voices) is FrozenMap


def test_lists_and_dicts_given_by_hand_are_frozen_too():
    """A caller that builds an episode from lists keeps no handle through which it could change."""
    fired, items, authors, cast = ["rule:x"], [Sentence("Hi."), Pause(0.5)], ["A"], {"Ernis": "ernis"}
    sentence = Sentence("Hi.", fired=fired)
    paragraph = Paragraph(items)
    chapter = Chapter("One", [paragraph])
    meta = EpisodeMeta("T", authors=authors, cast=cast)
    episode = Episode(meta, [chapter], Path("ep.md"), cast=cast, voices={"": "p"})
    fired.append("rule:y")
    items.append(Pause(1.0))
    authors.append("B")
    cast["Maya"] = "heart"
    assert sentence.fired == ("rule:x",) and len(paragraph.items) == 2 and meta.authors == ("A",)
    assert dict(episode.cast) == {"Ernis": "ernis"} == dict(meta.cast)
    assert isinstance(episode.chapters, tuple) and isinstance(chapter.paragraphs, tuple)
    assert episode == Episode(meta, (chapter,), Path("ep.md"), cast=FrozenCast({"Ernis": "ernis"}), voices=FrozenMap({"": "p"}))
