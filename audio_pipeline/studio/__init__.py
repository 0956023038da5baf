"""Studio. Takes a script or a season folder; gives the review page made live: hear, fix, retake,
render, approve (app.py needs the [studio] extra)."""

from .. import lazy_exports

_EXPORTS = {"create_app": "app"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
