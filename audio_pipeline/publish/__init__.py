"""Publishing. Takes rendered episodes; gives a season rendered incrementally, its RSS feed, the
producer's approvals, and a validator that reads MP3s, feeds and season folders as a directory does.
"""

from .. import lazy_exports

_EXPORTS = {
    "render_season": "season",
    "SeasonReport": "season",
    "write_season_feed": "season",
    "FeedItem": "feed",
    "build_feed": "feed",
    "write_feed": "feed",
    "validate_path": "validate",
    "approve": "approval",
    "is_approved": "approval",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
