"""PaperLedge audio toolkit: episode script to finished podcast MP3."""

__version__ = "0.1.0"
