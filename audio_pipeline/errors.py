"""The one exception family: every message says what the user should fix; and how a stop is
kept quiet while a render unwinds."""


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


def ignore_signal(signum: int, frame: object) -> None:
    """A handler that does nothing: a second Ctrl-C or SIGTERM while a render unwinds. Not SIG_IGN:
    a signal that arrived just before the switch, not yet handled, would then be raised by
    CPython as "OSError: Signal N ignored due to race condition" in whatever runs next."""
