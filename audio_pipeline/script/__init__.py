"""Script. Takes an episode script (Markdown with front matter); gives an Episode: its metadata,
cast, and chapters of paragraphs of sentences and pauses.
"""

from .. import lazy_exports

_EXPORTS = {
    "Episode": "read",
    "EpisodeMeta": "read",
    "Chapter": "read",
    "Paragraph": "read",
    "Sentence": "read",
    "Pause": "read",
    "FrozenCast": "episode",
    "FrozenMap": "episode",
    "read_script": "read",
    "parse_script": "read",
    "credits_sentence": "read",
    "check_speakable": "read",
    "host_of": "cast",
    "guests_of": "cast",
    "role_of": "cast",
    "people_of": "cast",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
