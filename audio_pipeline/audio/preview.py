"""A voice heard alone: a reference clip for a cloning engine, a preview WAV at one loudness."""

from __future__ import annotations

from pathlib import Path

from ..synthesis.voices import load_voice

REFERENCE_TEXT = (
    "Hey PaperLedge crew, Ernis here, and today we're diving into something wonderful.",
    "Imagine a library where every book quietly rewrites itself as you read it.",
    "That's the big idea behind this paper, and honestly, it made me smile.",
    "So, why does this matter to you?",
)


def make_reference(spec: str, output: Path) -> Path:
    """Render REFERENCE_TEXT with a voice to a 16-bit WAV, for engines that clone a speaker."""
    import numpy as np
    import soundfile as sf

    from ..files import temp_beside
    from ..synthesis.engines.base import create_engine
    from .assemble import fade, trim_silence

    profile = load_voice(spec)
    engine = create_engine(profile.engine, profile.engine_params)
    rate = engine.sample_rate
    gap = np.zeros(round(profile.pauses.sentence * rate), dtype=np.float32)
    parts = []
    for text in REFERENCE_TEXT:
        parts += [fade(trim_silence(engine.synthesize(text), rate, -50.0, 0.02), rate, 0.008), gap]
    audio = np.concatenate(parts)
    audio *= 10 ** (-3 / 20) / max(1e-9, float(np.max(np.abs(audio))))  # peak at -3 dBFS
    tmp = temp_beside(output, ".wav")
    try:
        sf.write(tmp, audio, rate, subtype="PCM_16", format="WAV")
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    return output


# What a producer hears first from each voice: the show's greeting, a number, a name.
PREVIEW_TEXT = (
    "Hey PaperLedge crew, Ernis here! Today's paper trained a network on just 200 labelled clips, "
    "and it found nine out of ten whale songs. So, why does this matter to you?"
)


def preview(spec: str, output: Path, text: str = PREVIEW_TEXT, level_lufs: float = -16.0) -> Path:
    """Say `text` in a voice, through the same front end and lexicons as a render, into a
    16-bit WAV at the episode rate, levelled to `level_lufs` so previews compare fairly."""
    import numpy as np
    import soundfile as sf

    from ..config import AssemblyConfig, TextConfig
    from ..errors import RenderError
    from ..files import temp_beside, write_problem
    from ..synthesis.engines.base import create_engine, phoneme_family
    from ..text.lexicon import default_show_lexicon_path, load_lexicon
    from ..text.normalize import speak
    from ..text.rules.lexicon import with_phonemes
    from ..text.sentences import split_sentences
    from .assemble import fade, trim_silence
    from .loudness import integrated_loudness

    profile = load_voice(spec)
    lexicon = load_lexicon(default_show_lexicon_path(), profile.lexicon_path)
    family = phoneme_family(profile.engine)
    engine = create_engine(profile.engine, profile.engine_params)
    rate = AssemblyConfig().sample_rate
    gap = np.zeros(round(profile.pauses.sentence * rate), dtype=np.float32)
    parts = []
    for clauses in split_sentences(" ".join(text.split()), TextConfig().max_sentence_chars):
        for clause in clauses:
            spoken = speak(with_phonemes(clause, lexicon, family)[0], lexicon).spoken
            audio = fade(trim_silence(engine.synthesize(spoken), engine.sample_rate, -50.0, 0.02), engine.sample_rate, 0.008)
            if engine.sample_rate != rate:
                import soxr

                audio = soxr.resample(audio, engine.sample_rate, rate, quality="HQ").astype(np.float32)
            parts += [audio, gap]
    if not parts:
        raise RenderError("the preview text has nothing to say; give --text a sentence")
    audio = np.concatenate(parts)
    loudness = integrated_loudness([audio], rate)
    gain = 10 ** ((level_lufs - loudness) / 20) if np.isfinite(loudness) else 1.0
    audio = audio * min(gain, 10 ** (-1 / 20) / max(1e-9, float(np.max(np.abs(audio)))))  # never past -1 dBFS
    tmp = temp_beside(output, ".wav.part")
    try:
        sf.write(tmp, audio.astype(np.float32), rate, subtype="PCM_16", format="WAV")
        tmp.replace(output)
    except OSError as e:
        raise RenderError(write_problem(output, e)) from None
    finally:
        tmp.unlink(missing_ok=True)
    return output
