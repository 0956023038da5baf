"""Synthesis. Takes each sentence's spoken form and its speaker's voice profile; gives one cache
entry (a waveform at the engine's rate) per sentence, synthesised only where the cache lacks it.
"""

from .. import lazy_exports

_EXPORTS = {
    "synthesize_all": "synthesize",
    "SynthesisReport": "synthesize",
    "default_jobs": "synthesize",
    "SentenceCache": "cache",
    "CacheEntry": "cache",
    "sentence_key": "cache",
    "VoiceProfile": "voices",
    "load_voice": "voices",
    "available_voices": "voices",
    "apply_takes": "takes",
    "read_takes": "takes",
    "write_takes": "takes",
    "TakeMaker": "takes",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
