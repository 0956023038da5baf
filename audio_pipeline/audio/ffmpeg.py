"""Where ffmpeg is, and what its ebur128 filter reads of a file.

The system ffmpeg is used when on PATH; otherwise the static build that the
imageio-ffmpeg package ships, so no system package is needed to render.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from functools import lru_cache

from ..errors import RenderError


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as e:  # the package raises RuntimeError when its binary is missing
        raise RenderError(f"ffmpeg not found: install it or `pip install imageio-ffmpeg` ({e})") from None


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


_I = re.compile(r"Integrated loudness:\s*\n\s*I:\s*(-?[\d.]+|-inf)\s*LUFS")
_TP = re.compile(r"True peak:\s*\n\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS")


def measure_command(source: str, input_format: str | None = None) -> list[str]:
    """ffmpeg reading `source` (a path, or pipe:0) through ebur128, printing only its summary."""
    fmt = ["-f", input_format] if input_format else []
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostats",
        *fmt,
        "-i",
        source,
        "-af",
        "ebur128=peak=true:framelog=verbose",
        "-f",
        "null",
        "-",
    ]


def parse_measurement(stderr: str, returncode: int, what: str) -> Loudness:
    i, tp = _I.search(stderr), _TP.search(stderr)
    if returncode != 0 or not i or not tp:
        tail = stderr.strip().splitlines()[-1:] or ["no output"]
        raise RenderError(f"ffmpeg could not measure {what}: {tail[0]}")
    return Loudness(float(i.group(1)), float(tp.group(1)))
