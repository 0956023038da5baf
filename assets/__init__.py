"""The PaperLedge show's own intro/outro music and cover art (made by `paperledge assets`).

Data, not code: the wheel carries this folder as `audio_pipeline.bundled_assets`
(see pyproject.toml), read through importlib.resources.
"""
