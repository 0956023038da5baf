"""Importer. Takes the show's published episode page; gives one episode script per episode, and a
manifest of what it wrote.
"""

from .. import lazy_exports

_EXPORTS = {
    "import_page": "episodes",
    "ImportResult": "episodes",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
