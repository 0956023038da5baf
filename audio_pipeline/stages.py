"""The render's stages, in order: prepare, synthesise, assemble, master, encode, publish.

Each is a function from the results before it to a frozen dataclass of its own; print one to
see what its stage made. `render.render` runs them in order for one episode on this machine. A
Ray season runs the same functions (`cluster/`): prepare and publish on its driver, which alone
holds the show's files and signing key; assemble, master and encode in each episode's task on
a worker. Synthesis there is the actors' own (one loaded engine each), into the same cache keys.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from .audio import assets
from .audio.assemble import Timeline, assemble
from .audio.export import check_complete, write_tags
from .audio.ffmpeg import Loudness
from .audio.loudness import Frames, gated_loudness
from .audio.outputs import check_output_folder, check_outputs
from .audio.sidecars import sidecar_paths, sidecar_texts, void_check
from .audio.to_target import analyse_mix, encode_to_target
from .audio.watermark import MARK
from .audio.watermark import missing as watermark_missing
from .config import COVER_MAX_BYTES, DEFAULT_OUTPUT_DIR, DEFAULT_SHOW, DEFAULT_VOICE, RenderConfig
from .credentials import EpisodeFacts, SigningKey, manifest, sign_in_place, signing_key_for
from .errors import PaperLedgeError, RenderError, VoiceError
from .files import checked_write, read_bytes, remove_stale_temps, sha256_file, temp_beside, write_whole
from .script.cast import host_of, people_of
from .script.episode import Episode
from .script.read import check_speakable, read_script
from .script.soundbite import check_passage, resolve
from .show import ShowSettings, cover_data, inside_show, load_settings
from .synthesis.cache import CacheEntry, SentenceCache
from .synthesis.cache_admin import record_use
from .synthesis.engines.base import create_engine, phoneme_family
from .synthesis.synthesize import SynthesisReport, synthesize_all
from .synthesis.takes import apply_takes
from .synthesis.voices import VoiceProfile, load_voice, names_a_file
from .text.lexicon import Lexicon, default_show_lexicon_path, load_lexicon, with_fixes
from .text.normalize import Spoken, speak
from .text.rules.lexicon import with_phonemes


class Brief:
    """A stage result prints as its fields, with the episode, audio and bytes in it abridged."""

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={_brief(getattr(self, f.name))}" for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__name__}({shown})"


def _brief(value: Any) -> str:
    if isinstance(value, Episode):
        return f"<episode {value.meta.title!r}: {len(value.chapters)} chapters, {len(value.sentences())} sentences>"
    if isinstance(value, np.ndarray):
        return f"<{value.size} samples>"
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, Timeline):
        return f"<timeline {value.duration:.1f} s, {len(value.sentences)} sentences, {len(value.chapters)} chapters>"
    if isinstance(value, SynthesisReport):
        return f"<{value.synthesized} synthesised, {value.cached} cached, on {value.workers} processes>"
    if isinstance(value, ShowSettings):
        return f"<show {value.title!r}>"
    if isinstance(value, VoiceProfile):
        return f"<voice {value.name} ({value.engine})>"
    if isinstance(value, RenderConfig):
        return f"<config {value.master.target_lufs} LUFS, {value.export.bitrate_kbps} kbps>"
    if isinstance(value, tuple) and len(value) > 4:
        return f"<{len(value)} items>"
    return repr(value)


# ---- prepare: the script read, every sentence given its forms, every input checked -------------------


@dataclass(frozen=True, repr=False, eq=False)
class Prepared(Brief):
    """An episode ready to synthesise: nothing after this stage reads the script again (an edit
    made meanwhile is the next render's), and nothing changes the episode (every sentence carries
    its written form, for the transcript, and its spoken form, in its speaker's engine's form)."""

    script: Path
    output: Path
    """Where the MP3 goes; its sidecars go beside it."""
    episode: Episode
    host: VoiceProfile
    """The host's voice profile: its pauses lay out the episode."""
    show: ShowSettings
    config: RenderConfig
    """The render's settings with the show's decisions in them (`show_config`)."""
    said: tuple[str, ...]
    """What the script says, as read before any audio is made: the timeline must hold exactly these."""
    script_sha256: str
    """The script as read: the Content Credentials name this text."""
    intro: np.ndarray | None = None
    outro: np.ndarray | None = None
    cover: bytes | None = None
    pictures: tuple[tuple[Path, bytes], ...] = ()
    """Each chapter picture's path and bytes, read here for a worker that holds none of the show's
    files (`portable`); empty in a local render, which reads them where they are."""
    key: SigningKey | None = field(default=None, repr=False)
    """The key `publish` signs with (checked here, before any audio); never sent to a worker."""

    def portable(self) -> Prepared:
        """The same for a worker on another machine: the chapter pictures' bytes in it, no key."""
        paths = dict.fromkeys(c.img for c in self.episode.chapters if c.img is not None)
        pictures = tuple((p, read_bytes(p, "chapter image", limit=COVER_MAX_BYTES)) for p in paths)
        return replace(self, pictures=pictures, key=None)

    def unpacked(self, folder: Path) -> Prepared:
        """On the worker: the chapter pictures written into `folder`, and the chapters naming them there."""
        local: dict[Path | None, Path] = {}
        for n, (path, data) in enumerate(self.pictures):
            local[path] = folder / f"chapter-picture-{n}{path.suffix}"
            local[path].write_bytes(data)
        chapters = tuple(replace(c, img=local.get(c.img, c.img)) for c in self.episode.chapters)
        return replace(self, episode=replace(self.episode, chapters=chapters), pictures=())


def default_output(script: Path) -> Path:
    return DEFAULT_OUTPUT_DIR / f"{script.stem}.mp3"


def show_config(show: ShowSettings, config: RenderConfig = RenderConfig()) -> RenderConfig:
    """`config` with what the show's settings decide (how many authors the credits name)."""
    return replace(
        config,
        text=replace(config.text, max_spoken_authors=show.max_spoken_authors, spoken_disclosure=show.spoken_disclosure),
    )


def prepare(
    script: Path,
    output: Path | None = None,
    voice: str | None = None,
    device: str | None = None,
    config: RenderConfig = RenderConfig(),
    fixes: dict[str, str] | None = None,
    show: ShowSettings | None = None,
    sign: bool = False,
) -> Prepared:
    """Read and check everything a render needs before any audio is made: the show's settings,
    cover and music, the script with its voices and spoken forms, with `sign` the signing key,
    and the output paths."""
    script = Path(script)
    show = show or load_settings(script.parent)
    cfg = show_config(show, config)
    cover = cover_data(show)  # checked before anything is synthesised, as the music is
    rate = cfg.assembly.sample_rate
    intro, outro = assets.load_music(assets.INTRO, rate), assets.load_music(assets.OUTRO, rate)
    episode, host, _ = load_episode(script, voice, device, cfg, fixes, show)
    script_sha256 = sha256_file(script)  # the text just read (a script that cannot be read is said above)
    key = signing_key_for(show, sign, script.parent)  # a key that cannot sign: said before any audio
    output = Path(output) if output else default_output(script)
    check_output_folder(output)
    check_outputs(script, output)
    remove_stale_temps(output.parent)
    said = tuple(s.written or s.markup for s in episode.sentences())
    check_passage(episode.meta.soundbite, list(said), str(script))
    return Prepared(script, output, episode, host, show, cfg, said, script_sha256, intro, outro, cover, key=key)


def load_episode(
    script: Path,
    voice: str | None = None,
    device: str | None = None,
    config: RenderConfig = RenderConfig(),
    fixes: dict[str, str] | None = None,
    show: ShowSettings | None = None,
) -> tuple[Episode, VoiceProfile, Lexicon]:
    """Parse the script and give every sentence its written and spoken forms, each in the
    form its own speaker's engine understands. Returns the episode (`episode.voices`: each
    speaker's profile), the host's profile and the host's lexicon."""
    if show is None:
        show = load_settings(Path(script).parent)
    parsed = read_script(script, config.text, show.cast)
    _check_named_voices(parsed)
    host = host_of(parsed.cast)
    host_voice = voice or parsed.meta.voice or parsed.cast.get(host) or DEFAULT_VOICE
    host_profile = _cast_voice(parsed, host, host_voice, device)
    profiles: dict[str, VoiceProfile] = {}
    for name in {s.speaker for s in parsed.sentences()}:
        # A --voice or `voice:` chooses the host's voice; every other member speaks in their own.
        profiles[name] = host_profile if name == host else _cast_voice(parsed, name, parsed.cast[name], device)
    for name, profile in profiles.items():
        check_speakable(parsed, profile.writing, profile.name, name)
    lexicons: dict[Path, Lexicon] = {}

    def lexicon_of(profile: VoiceProfile) -> Lexicon:
        if profile.path not in lexicons:
            lexicon = load_lexicon(default_show_lexicon_path(), profile.lexicon_path)
            lexicons[profile.path] = with_fixes(lexicon, fixes) if fixes else lexicon
        return lexicons[profile.path]

    forms = []
    for sentence in parsed.sentences():
        profile = profiles[sentence.speaker]
        result = spoken_form(sentence.markup, lexicon_of(profile), profile.engine)
        forms.append((result.written, result.spoken, tuple(result.fired)))
    return parsed.prepared(profiles, forms), host_profile, lexicon_of(host_profile)


def spoken_form(markup: str, lexicon: Lexicon, engine_name: str) -> Spoken:
    """A sentence's written and spoken forms for one engine: lexicon words that carry phonemes
    of the engine's family go to it as phonemes, in the inline form it reads."""
    marked, given = with_phonemes(markup, lexicon, phoneme_family(engine_name))
    result = speak(marked, lexicon)
    named = {f"inline:{w}": f"lexicon:{w}" for w in given}  # phonemes from the lexicon, not the script
    return replace(result, fired=[named.get(f, f) for f in result.fired])


def _check_named_voices(episode: Episode) -> None:
    """A script's `voice:` and a cast (the script's or show.toml's) name profiles, or profile
    files of the show: a settings file never reads a file from elsewhere (only --voice may)."""
    for spec in [episode.meta.voice or "", *episode.cast.values()]:
        if names_a_file(spec):
            path = Path(spec).expanduser()  # as voices.voice_path reads it
            if path.exists() and not inside_show(path, Path(episode.source).parent):
                raise VoiceError(
                    f"{episode.source}: voice profile {spec} is outside the show folder; "
                    "put it in voices/ and give its name, or choose it with --voice"
                )


def _cast_voice(episode: Episode, name: str, spec: str, device: str | None) -> VoiceProfile:
    """A speaker's voice profile, its engine's settings checked and its library found; when
    the cast named it, a mistake names the cast entry."""
    try:
        profile = load_voice(spec, device)
        create_engine(profile.engine, profile.engine_params)  # cheap: models load on first use
        return profile
    except PaperLedgeError as e:
        if episode.cast.get(name) != spec:
            raise
        where = f"{episode.source}: cast entry {name!r}" if name in episode.meta.cast else f"show.toml [cast] {name!r}"
        raise type(e)(f"{where}: {e}") from None


# ---- synthesise: every sentence's audio, in its speaker's voice -----------------------------------


@dataclass(frozen=True, repr=False)
class Synthesised(Brief):
    report: SynthesisReport

    @property
    def entries(self) -> list[CacheEntry]:
        """Each sentence's audio in the cache, in script order."""
        return self.report.entries

    @property
    def synthesised(self) -> int:
        """Engine calls made (sentences missing from the cache)."""
        return self.report.synthesized

    @property
    def cached(self) -> int:
        return self.report.cached


def synthesise(
    prepared: Prepared,
    cache: SentenceCache,
    jobs: int,
    step: Callable[[int], None],
    record: bool = True,
) -> Synthesised:
    """Every sentence's audio, each speaker's voice by its own engine (one engine load per
    voice), with the takes chosen earlier for this output; `step(n)` as sentences are done;
    `record`: note each entry's use in the cache's ledger (`paperledge cache`)."""
    episode = prepared.episode
    sentences = episode.sentences()
    groups: dict[Path, list[int]] = {}
    for i, s in enumerate(sentences):
        groups.setdefault(episode.voices[s.speaker].path, []).append(i)
    by_path = {p.path: p for p in episode.voices.values()}
    entries: list[CacheEntry | None] = [None] * len(sentences)
    parts: list[SynthesisReport] = []
    for path, indices in groups.items():
        profile = by_path[path]
        engine = create_engine(profile.engine, profile.engine_params)
        spoken = [sentences[i].spoken for i in indices]
        part = synthesize_all(engine, profile.engine, profile.engine_params, spoken, cache, jobs, step)
        apply_takes(prepared.output, engine, profile, spoken, part, cache, prepared.config.check)
        if record:
            record_use(cache.root, engine.fingerprint(), profile.name, profile.engine, part.entries)
        for i, entry in zip(indices, part.entries):
            entries[i] = entry
        parts.append(part)
    done = [e for e in entries if e is not None]
    if len(done) < len(entries):  # a gap would shift every later sentence's audio
        raise RenderError(f"{prepared.script}: {len(entries) - len(done)} sentences came back without audio; render again")
    report = SynthesisReport(
        done,
        parts[0].sample_rate,
        sum(p.synthesized for p in parts),
        sum(p.cached for p in parts),
        max(p.workers for p in parts),
    )
    return Synthesised(report)


# ---- assemble: one timeline of speech, pauses and music --------------------------------------------


@dataclass(frozen=True, repr=False)
class Assembled(Brief):
    timeline: Timeline
    """Open until closed: its voice track is a file beside the output (or in `work_dir`). One
    encode per assembly: with a cast, encoding evens the speakers' levels in that file."""


def assemble_episode(prepared: Prepared, entries: Sequence[CacheEntry], work_dir: Path | None = None) -> Assembled:
    """The episode laid out in time, refused unless it holds exactly the script's sentences, in
    order (a render that lost or mixed up sentences must never be reported done). The voice
    track goes beside the output, or into `work_dir` (a worker's own folder)."""
    timeline = assemble(
        prepared.episode,
        list(entries),
        prepared.host.pauses,
        prepared.config.assembly,
        prepared.intro,
        prepared.outro,
        work_dir=work_dir,
        work_name=None if work_dir else prepared.output,
    )
    try:
        same_sentences(list(prepared.said), [s.written for s in timeline.sentences], prepared.script)
    except RenderError:
        timeline.close()
        raise
    return Assembled(timeline)


def same_sentences(script_says: list[str], timeline_says: list[str], script: Path) -> None:
    """Refuse a timeline whose sentences are not the script's, in order."""
    if timeline_says == script_says:
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(script_says, timeline_says)) if a != b), min(map(len, (script_says, timeline_says)))
    )
    raise RenderError(
        f"{script}: the rendered episode holds {len(timeline_says)} sentences where the script has "
        f"{len(script_says)}, first differing at sentence {at + 1}; nothing was written, render again"
    )


# ---- master: the analysis mastering plans from -----------------------------------------------------


@dataclass(frozen=True, repr=False)
class Mastered(Brief):
    frames: Frames = field(repr=False)
    """Per-frame sums of the mix (`audio.loudness.Frames`): what the gain and limiter plans follow."""
    mix_lufs: float = 0.0
    """The assembled mix's integrated loudness, before mastering."""


def master(assembled: Assembled, stage: Callable[[str], None] = lambda name: None) -> Mastered:
    stage("mastering")
    frames = analyse_mix(assembled.timeline)
    return Mastered(frames, round(gated_loudness(frames.k_energy, frames.hop, assembled.timeline.sample_rate), 2))


# ---- encode: the MP3 at its loudness target, tagged, proven whole -------------------------------------


@dataclass(frozen=True, repr=False)
class Encoded(Brief):
    mp3: Path
    """The finished MP3, tagged and not yet signed, in a temporary file (not yet at the output path)."""
    loudness: Loudness
    duration: float
    chapters: int
    sentences: int
    watermarked: bool
    """Whether the inaudible mark is in it (the [watermark] extra installed, and the show wants it)."""
    sidecars: tuple[tuple[Path, str | bytes], ...] = field(default=(), repr=False)
    """Each sidecar's final path and contents: transcript, chapters file, subtitles, chapter pictures."""


def encode(
    prepared: Prepared,
    assembled: Assembled,
    mastered: Mastered,
    dest: Path,
    stage: Callable[[str], None] = lambda name: None,
) -> Encoded:
    """Master and encode to `dest` at the show's loudness target, write the tags, prove the MP3
    whole, and make the sidecars' texts from the same timeline."""
    timeline = assembled.timeline
    cfg, show, episode, output = prepared.config, prepared.show, prepared.episode, prepared.output
    marked = show.watermark and watermark_missing() is None
    loudness = encode_to_target(timeline, mastered.frames, dest, cfg, output, stage, mark=marked)
    stage("tags and sidecars")
    meta = episode.meta if episode.meta.show != DEFAULT_SHOW else replace(episode.meta, show=show.title)
    spans = [(s.written, s.start, s.end) for s in timeline.sentences]
    bite = episode.meta.soundbite and resolve(episode.meta.soundbite, spans, timeline.duration, str(prepared.script))
    people = people_of(episode.cast, set(episode.voices))
    write_tags(dest, meta, timeline.chapters, host_of(episode.cast) or show.artist, prepared.cover, people, bite or None)
    check_complete(dest, timeline.duration, output)  # the tags were written in place: the audio is still whole
    sidecars = sidecar_texts(output, timeline, episode.meta.title, show.url_for)
    return Encoded(dest, loudness, timeline.duration, len(timeline.chapters), len(timeline.sentences), marked, tuple(sidecars))


# ---- publish: signed, and every file renamed into place, the MP3 last -------------------------------


@dataclass(frozen=True, repr=False)
class Published(Brief):
    output: Path
    transcript: Path
    chapters_file: Path
    signed: bool


class Staging(Protocol):
    def __call__(self, signed_mp3: Path) -> list[tuple[Path, Path]]: ...


def publish(
    prepared: Prepared,
    encoded: Encoded,
    key: SigningKey | None,
    stack: ExitStack,
    also: Staging | None = None,
) -> Published:
    """Sign the MP3 (last: the manifest's hash binding covers the tags), write every sidecar in
    full beside its place, then rename each into place, the MP3 last: an MP3 at the output path
    is always complete and its sidecars match it. `also(mp3)`: more files made from the signed
    MP3 (still in its temporary file), staged as (temporary file, final path) to go in with it."""
    output = prepared.output
    if key:
        facts = replace(episode_facts(prepared), mark=MARK if encoded.watermarked else None)
        sign_in_place(encoded.mp3, manifest(facts), key, output)
        check_complete(encoded.mp3, encoded.duration, output)
    staged = [(stack_temp(stack, path, text), path) for path, text in encoded.sidecars]
    if also is not None:
        staged += also(encoded.mp3)
    for temp, final in [*staged, (encoded.mp3, output)]:
        with checked_write(final):
            os.replace(temp, final)
    void_check(output)  # the check and review page of the MP3 just replaced no longer hold
    transcript, chapters_file = sidecar_paths(output)
    return Published(output, transcript, chapters_file, key is not None)


def episode_facts(prepared: Prepared) -> EpisodeFacts:
    """What the episode's Content Credentials say of it: its title, each speaker's engine and
    voice, and the script's SHA-256."""
    episode, show = prepared.episode, prepared.show
    return EpisodeFacts(
        title=episode.meta.title,
        show=show.title,
        script_sha256=prepared.script_sha256,
        speakers=[(name or host_of(episode.cast) or show.artist, p.engine, p.name) for name, p in episode.voices.items()],
    )


def stack_temp(stack: ExitStack, path: Path, content: str | bytes) -> Path:
    """`content` written in full to a temporary file beside `path` (removed on failure)."""
    tmp = temp_beside(path, ".part")
    stack.callback(tmp.unlink, missing_ok=True)
    write_whole(tmp, content, path)
    return tmp
