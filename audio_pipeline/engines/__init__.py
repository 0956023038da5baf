"""Speech engines: a registry by name; each imports its heavy libraries lazily."""
