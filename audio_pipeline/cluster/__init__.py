"""Cluster. Takes season folders; gives the same renders as `season`, with synthesis spread over a
Ray cluster's actors and each episode's assembly run as a Ray task; only the driver writes outputs.
"""

from .. import lazy_exports

_EXPORTS = {
    "render_seasons_on_ray": "plan",
    "ClusterRun": "plan",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
