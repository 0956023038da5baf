"""One episode, end to end: script -> text front end -> synthesis -> assembly ->
mastering -> export. Each stage lives in the module named after it; this module
only passes their data along and keeps the output path clean on failure.
"""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .audio import assets
from .audio.assemble import Timeline, assemble
from .audio.export import check_complete, write_tags, written_by_us
from .audio.ffmpeg import Loudness
from .audio.sidecars import all_sidecar_paths, sidecar_paths, sidecar_texts, void_check
from .audio.to_target import master_and_encode
from .audio.watermark import MARK
from .audio.watermark import missing as watermark_missing
from .config import DEFAULT_OUTPUT_DIR, DEFAULT_SHOW, DEFAULT_VOICE, RenderConfig, default_cache_dir
from .credentials import EpisodeFacts, manifest, sign_in_place, signing_key_for
from .errors import PaperLedgeError, RenderError, VoiceError
from .files import checked_write, reason, remove_stale_temps, sha256_file, temp_beside, write_whole
from .script.cast import host_of, people_of
from .script.read import Episode, check_speakable, read_script
from .script.soundbite import check_passage, resolve
from .show import ShowSettings, cover_path, inside_show, load_settings
from .synthesis.cache import SentenceCache
from .synthesis.cache_admin import record_use
from .synthesis.engines.base import create_engine, phoneme_family
from .synthesis.synthesize import SynthesisReport, default_jobs, synthesize_all
from .synthesis.takes import apply_takes
from .synthesis.voices import VoiceProfile, load_voice, names_a_file
from .text.lexicon import Lexicon, default_show_lexicon_path, load_lexicon, with_fixes
from .text.normalize import speak
from .text.rules.lexicon import with_phonemes


@dataclass
class RenderOptions:
    voice: str | None = None
    """Profile name or path; default: the script's `voice`, else ernis."""
    output: Path | None = None
    """Default: build/<script stem>.mp3."""
    cache_dir: Path | None = field(default_factory=default_cache_dir)
    """None: no cache (sentences go to a temporary folder)."""
    show: ShowSettings | None = None
    """None: the show folder's show.toml, overridden by one beside the script."""
    jobs: int = field(default_factory=default_jobs)
    device: str | None = None
    config: RenderConfig = field(default_factory=RenderConfig)
    """Every target and setting of the pipeline: loudness (`master.target_lufs`), bitrate
    (`export.bitrate_kbps`) and the rest."""
    fixes: dict[str, str] = field(default_factory=dict)
    """Respellings for this render only (written word -> spoken form), over the lexicons."""
    keep_audio: bool = False
    """Leave the result's timeline open, for `render --check` to hear; the caller closes it."""
    stages: Callable[[str], None] | None = None
    """Told each stage's name as it begins (`STAGES`), for a progress display."""
    sign: bool = True
    """Sign the MP3 with Content Credentials (show.toml `sign = false` also turns it off)."""


STAGES = ("synthesis", "assembly", "mastering", "encoding", "tags and sidecars")


@dataclass
class RenderResult:
    output: Path
    transcript: Path
    chapters_file: Path
    duration: float
    loudness: Loudness
    chapters: int
    sentences: int
    synthesis: SynthesisReport
    timings: dict[str, float]
    timeline: Timeline
    watermarked: bool = False
    """Whether the inaudible mark is in it (the [watermark] extra installed, and the show wants it)."""


def default_output(script: Path) -> Path:
    return DEFAULT_OUTPUT_DIR / f"{script.stem}.mp3"


def show_config(show: ShowSettings, config: RenderConfig = RenderConfig()) -> RenderConfig:
    """`config` with what the show's settings decide (how many authors the credits name)."""
    return replace(
        config, text=replace(config.text, max_spoken_authors=show.max_spoken_authors, spoken_disclosure=show.spoken_disclosure)
    )


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
    episode = read_script(script, config.text, show.cast)
    _check_named_voices(episode)
    host_voice = voice or episode.meta.voice or episode.cast.get(host_of(episode.cast)) or DEFAULT_VOICE
    profiles: dict[str, VoiceProfile] = {}
    lexicons: dict[Path, Lexicon] = {}
    host_profile = _cast_voice(episode, host_of(episode.cast), host_voice, device)
    for name in {s.speaker for s in episode.sentences()}:
        # A --voice or `voice:` chooses the host's voice; every other member speaks in their own.
        profiles[name] = host_profile if name == host_of(episode.cast) else _cast_voice(episode, name, episode.cast[name], device)
    episode.voices = profiles
    for name, profile in profiles.items():
        check_speakable(episode, profile.writing, profile.name, name)
    for sentence in episode.sentences():
        profile = profiles[sentence.speaker]
        if profile.path not in lexicons:
            lexicon = load_lexicon(default_show_lexicon_path(), profile.lexicon_path)
            if fixes:
                lexicon = with_fixes(lexicon, fixes)
            lexicons[profile.path] = lexicon
        lexicon = lexicons[profile.path]
        result = spoken_form(sentence.markup, lexicon, profile.engine)
        sentence.written, sentence.spoken, sentence.fired = result.written, result.spoken, result.fired
    return (
        episode,
        host_profile,
        lexicons.get(host_profile.path) or load_lexicon(default_show_lexicon_path(), host_profile.lexicon_path),
    )


def spoken_form(markup: str, lexicon: Lexicon, engine_name: str):
    """A sentence's written and spoken forms for one engine: lexicon words that carry phonemes
    of the engine's family go to it as phonemes, in the inline form it reads."""
    marked, given = with_phonemes(markup, lexicon, phoneme_family(engine_name))
    result = speak(marked, lexicon)
    named = {f"inline:{w}": f"lexicon:{w}" for w in given}  # phonemes from the lexicon, not the script
    result.fired = [named.get(f, f) for f in result.fired]
    return result


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


def render(
    script: Path, options: RenderOptions = RenderOptions(), progress: Callable[[int, int], None] | None = None
) -> RenderResult:
    """Render `script` to an MP3 with sidecars. `progress(done, total)` follows the sentences; a
    `progress` with a `stage(name)` method is told each stage as it begins, as `options.stages` is."""
    # Every stage in order in one place, so that one ExitStack removes every temporary file
    # of a render that fails, whichever stage it fails in.
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    show = options.show or load_settings(Path(script).parent)
    cfg = show_config(show, options.config)
    cover = cover_path(show)  # checked before anything is synthesised, as the music is
    rate = cfg.assembly.sample_rate
    intro, outro = assets.load_music(assets.INTRO, rate), assets.load_music(assets.OUTRO, rate)
    episode, profile, _ = load_episode(script, options.voice, options.device, cfg, options.fixes, show)
    key = signing_key_for(show, options.sign, Path(script).parent)  # a key that cannot sign: said before any audio
    output = Path(options.output) if options.output else default_output(script)
    _check_output_folder(output)
    check_outputs(script, output)
    remove_stale_temps(output.parent)
    timings["prepare"] = time.perf_counter() - t0

    sentences = episode.sentences()
    # What the script says, as read before any audio is made: the finished timeline must hold
    # exactly these sentences, or the render is wrong and fails rather than say it is done.
    script_says = [s.written or s.markup for s in sentences]
    check_passage(episode.meta.soundbite, script_says, str(script))
    stage = options.stages or getattr(progress, "stage", None) or (lambda name: None)
    with ExitStack() as stack:
        cache = SentenceCache.open(options.cache_dir, stack)
        done = 0

        def step(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(sentences))

        t = time.perf_counter()
        stage("synthesis")
        report = synthesize_cast(episode, output, cache, options, cfg, step)
        timings["synthesis"] = time.perf_counter() - t

        t = time.perf_counter()
        stage("assembly")
        timeline = assemble(
            episode,
            report.entries,
            profile.pauses,
            cfg.assembly,
            intro,
            outro,
            work_dir=output.parent,
            work_name=output,
        )
        kept = [False]
        stack.callback(lambda: kept[0] or timeline.close())
        same_sentences(script_says, [s.written for s in timeline.sentences], script)
        timings["assembly"] = time.perf_counter() - t

        t = time.perf_counter()
        tmp = temp_beside(output, ".mp3.part")
        stack.callback(tmp.unlink, missing_ok=True)
        marked = show.watermark and watermark_missing() is None
        loudness = master_and_encode(timeline, tmp, cfg, output, stage, mark=marked)
        timings["master+encode"] = time.perf_counter() - t

        t = time.perf_counter()
        stage("tags and sidecars")
        meta = episode.meta if episode.meta.show != DEFAULT_SHOW else replace(episode.meta, show=show.title)
        host = host_of(episode.cast)
        bite = episode.meta.soundbite and resolve(
            episode.meta.soundbite, [(s.written, s.start, s.end) for s in timeline.sentences], timeline.duration, str(script)
        )
        write_tags(
            tmp,
            meta,
            timeline.chapters,
            host or show.artist,
            cover.read_bytes() if cover else None,
            people=people_of(episode.cast, set(episode.voices)),
            soundbite=bite or None,
        )
        check_complete(tmp, timeline.duration, output)  # the tags were written in place: the audio is still whole
        if key:  # last: the manifest's hash binding covers the tags too
            sign_in_place(
                tmp, manifest(replace(episode_facts(script, episode, show), mark=MARK if marked else None)), key, output
            )
            check_complete(tmp, timeline.duration, output)
        # Everything is written in full before anything is renamed into place, the MP3 last:
        # an MP3 at the output path is always complete, and its sidecars match it.
        staged = [
            (stack_temp(stack, path, text), path)
            for path, text in sidecar_texts(output, timeline, episode.meta.title, show.url_for)
        ]
        for temp, final in [*staged, (tmp, output)]:
            with checked_write(final):
                os.replace(temp, final)
        void_check(output)  # the check and review page of the MP3 just replaced no longer hold
        kept[0] = options.keep_audio
        transcript, chapters_file = sidecar_paths(output)
        timings["export"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return RenderResult(
        output=output,
        transcript=transcript,
        chapters_file=chapters_file,
        duration=timeline.duration,
        loudness=loudness,
        chapters=len(timeline.chapters),
        sentences=len(sentences),
        synthesis=report,
        timings=timings,
        timeline=timeline,
        watermarked=marked,
    )


def episode_facts(script: Path, episode: Episode, show: ShowSettings) -> EpisodeFacts:
    """What the episode's Content Credentials say of it: its title, each speaker's engine and
    voice, and the script's SHA-256."""
    return EpisodeFacts(
        title=episode.meta.title,
        show=show.title,
        script_sha256=sha256_file(Path(script)),
        speakers=[(name or host_of(episode.cast) or show.artist, p.engine, p.name) for name, p in episode.voices.items()],
    )


def synthesize_cast(
    episode: Episode, output: Path, cache: SentenceCache, options: RenderOptions, cfg: RenderConfig, step: Callable[[int], None]
) -> SynthesisReport:
    """Every sentence's audio, each speaker's voice by its own engine (one engine load per
    voice), with the takes chosen earlier for this output; one report in script order."""
    sentences = episode.sentences()
    groups: dict[Path, list[int]] = {}
    for i, s in enumerate(sentences):
        groups.setdefault(episode.voices[s.speaker].path, []).append(i)
    by_path = {p.path: p for p in episode.voices.values()}
    entries: list = [None] * len(sentences)
    parts: list[SynthesisReport] = []
    for path, indices in groups.items():
        profile = by_path[path]
        engine = create_engine(profile.engine, profile.engine_params)
        spoken = [sentences[i].spoken for i in indices]
        part = synthesize_all(engine, profile.engine, profile.engine_params, spoken, cache, options.jobs, step)
        apply_takes(output, engine, profile, spoken, part, cache, cfg.check)
        if options.cache_dir is not None:
            record_use(cache.root, engine.fingerprint(), profile.name, profile.engine, part.entries)
        for i, entry in zip(indices, part.entries):
            entries[i] = entry
        parts.append(part)
    return SynthesisReport(
        entries,
        parts[0].sample_rate,
        sum(p.synthesized for p in parts),
        sum(p.cached for p in parts),
        max(p.workers for p in parts),
    )


def same_sentences(script_says: list[str], timeline_says: list[str], script: Path) -> None:
    """Refuse a timeline whose sentences are not the script's, in order (a render that lost or
    mixed up sentences must never be reported done)."""
    if timeline_says == script_says:
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(script_says, timeline_says)) if a != b), min(map(len, (script_says, timeline_says)))
    )
    raise RenderError(
        f"{script}: the rendered episode holds {len(timeline_says)} sentences where the script has "
        f"{len(script_says)}, first differing at sentence {at + 1}; nothing was written, render again"
    )


def stack_temp(stack: ExitStack, path: Path, text: str) -> Path:
    """`text` written in full to a temporary file beside `path` (removed on failure)."""
    tmp = temp_beside(path, ".part")
    stack.callback(tmp.unlink, missing_ok=True)
    write_whole(tmp, text, path)
    return tmp


def check_outputs(script: Path, output: Path) -> None:
    """Refuse an output that would destroy something: the script itself, a file this
    tool did not write, anything that is not a regular file, or a name the file
    system cannot hold. (The outputs are the MP3 and its two sidecars.)"""
    if output.suffix.lower() != ".mp3":
        raise RenderError(f"output {output} must end in .mp3 (its transcript and chapters are written beside it)")
    outputs = [output, *all_sidecar_paths(output)]
    for path in outputs:
        if len(path.name.encode("utf-8")) > 255:
            raise RenderError(
                f"output name {output.name[:40]}... is too long: with {path.name.removeprefix(output.stem)!r} it passes the "
                "file system's 255 bytes; choose a shorter -o"
            )
        try:
            same = path.exists() and script.exists() and path.samefile(script)
        except OSError:
            same = False
        if same:
            raise RenderError(f"output {path} is the script itself; choose another -o")
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise RenderError(f"{path} exists and is not a regular file; refusing to replace it, choose another -o")
        if path.is_file() and path.stat().st_size and not written_by_us(path):
            raise RenderError(f"{path} exists and was not written by paperledge; move it away or choose another -o")


def _check_output_folder(output: Path) -> None:
    """The output's folder, made as `mkdir -p` would (`-o out/ep.mp3` in a fresh checkout)."""
    folder = output.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot create the output folder {folder} ({reason(e)})") from None
    if not folder.is_dir():
        raise RenderError(f"output folder {folder} is not a folder; choose another -o")
    if output.is_dir():
        raise RenderError(f"output {output} is a folder; give a file name ending in .mp3")
    temp_beside(output, ".check.part").unlink()  # raises a RenderError naming the folder if unwritable


def master_to_mp3(timeline: Timeline, dest: Path, options: RenderOptions, label: Path | None = None) -> Loudness:
    """Master an assembled timeline and encode it to `dest` (untagged), to the targets
    `options` ask for: the step `render` takes after assembly, for a render that
    writes its outputs elsewhere (a Ray worker hands the MP3 back to its driver).
    `label` is the path errors name (default: `dest`)."""
    show = options.show or load_settings()
    return master_and_encode(timeline, dest, options.config, label or dest, mark=show.watermark and watermark_missing() is None)
