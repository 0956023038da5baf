"""PaperLedge audio toolkit: episode script to finished podcast MP3.

The package is one folder per stage, in the order the data flows (docs/how-it-works.md):
text, script, synthesis, audio, credentials, then stages.py (a render's stages, each a frozen
result) and render.py (one episode end to end), check, video, publish, and the ways in:
importer, cluster, studio, cli. A package imports only from those before
it and from the modules every stage shares (config, errors, files, settings, show);
tests/test_layout.py keeps it so.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable

__version__ = "0.1.0"

# numpy's OpenBLAS starts a thread per core at import; under `ulimit -v` it cannot, and its
# calls then spun for ever waiting for those threads. Nothing here leans on BLAS threads (the
# voices run in ONNX Runtime's own), so one is asked for unless the user chose otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """A stage package's `__getattr__` and `__dir__`: each public name (name -> module of the
    package) is imported on first use, so `import audio_pipeline.audio.ffmpeg` does not pay
    for mastering, and `paperledge --help` imports nothing heavy."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
