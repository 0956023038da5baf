"""The PaperLedge show's own voice profiles, lexicons and reference clip.

Data, not code: the wheel carries this folder as `audio_pipeline.bundled_voices`
(see pyproject.toml), read through importlib.resources.
"""
