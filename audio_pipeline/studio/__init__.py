"""`paperledge studio`: the review page made live (hear, fix, retake, render, approve).

This package's web app (app.py) needs the [studio] extra; approval.py does not, so the
feed can ask `is_approved` without it.
"""

from .approval import approve, is_approved

__all__ = ["approve", "is_approved"]
