"""Audio. Takes an Episode and its sentences' audio; gives the timeline (sentences, pauses, music,
every time known), mastered to the loudness target, encoded as a tagged MP3 with its sidecars.
"""

from .. import lazy_exports

_EXPORTS = {
    "Timeline": "assemble",
    "assemble": "assemble",
    "analyse": "loudness",
    "integrated_loudness": "loudness",
    "plan": "master",
    "mastered_blocks": "master",
    "encode_mp3": "export",
    "write_tags": "export",
    "check_complete": "export",
    "sidecar_texts": "sidecars",
    "read_cues": "sidecars",
    "read_check": "sidecars",
    "KeptCheck": "sidecars",
    "void_check": "sidecars",
    "load_music": "assets",
    "ffmpeg_exe": "ffmpeg",
    "Loudness": "ffmpeg",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
