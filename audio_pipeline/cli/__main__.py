"""`python -m audio_pipeline.cli`: the `paperledge` command."""

from .main import main

main()
