"""`python -m audio_pipeline`: the `paperledge` command."""

from .cli.main import main

main()
