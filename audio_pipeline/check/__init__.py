"""Check by ear. Takes a rendered MP3 (or the render's timeline) and its transcript; gives each
sentence's alignment score, what was heard where it was flagged, retakes and fixes, and the review page.
"""

from .. import lazy_exports

_EXPORTS = {
    "check_episode": "listen",
    "check_audio": "listen",
    "CheckReport": "listen",
    "SentenceCheck": "listen",
    "format_table": "listen",
    "render_checked": "retake",
    "improve": "retake",
    "write_review": "review",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
