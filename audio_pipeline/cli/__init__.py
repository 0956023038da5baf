"""Command line. Takes the user's command; gives one line per result, or one line saying what to
fix and a non-zero exit. One module per command group; `paperledge` is `main`."""

from .main import main

__all__ = ["main"]
