"""Speech engines: a registry by name (base.py); each imports its heavy libraries lazily."""
