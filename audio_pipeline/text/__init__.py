"""Text front end. Takes a paragraph's text (inline Markdown); gives its sentences, and each
sentence's written form (transcripts) and spoken form (the engine), by a table of rules and the lexicons.
"""

from .. import lazy_exports

_EXPORTS = {
    "split_sentences": "sentences",
    "speak": "normalize",
    "Lexicon": "lexicon",
    "load_lexicon": "lexicon",
    "with_fixes": "lexicon",
    "parse_blocks": "markup",
    "written_form": "markup",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
