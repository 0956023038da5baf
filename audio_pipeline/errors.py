"""The one exception family: every message says what the user should fix."""


class PaperLedgeError(Exception):
    """A problem the user can act on; the CLI prints it as one line and exits 1."""


class ScriptError(PaperLedgeError):
    """The episode script cannot be read or parsed."""


class VoiceError(PaperLedgeError):
    """The voice profile, lexicon or engine cannot be used."""


class RenderError(PaperLedgeError):
    """Rendering failed for a reason outside the script (disk, ffmpeg, engine)."""


class CheckError(PaperLedgeError):
    """An episode cannot be checked (no recogniser, no transcript beside the MP3)."""
