"""The show's own intro/outro music and cover art, made by code (`paperledge assets`).

Nothing here is a third-party recording: the music is additive synthesis of a
soft pad and a plucked arpeggio over a four-chord progression, the cover is drawn
with Pillow. The output is deterministic, so the committed files can be rebuilt.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from ..config import ASSET_COVER, ASSET_INTRO, ASSET_OUTRO, DEFAULT_SHOW, SHOW_ASSETS, ExportConfig
from ..errors import PaperLedgeError
from ..files import regular_file
from ..show import find_asset, show_root

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

RATE = 44_100
INTRO, OUTRO, COVER = ASSET_INTRO, ASSET_OUTRO, ASSET_COVER

# C major: Cmaj7 - Am7 - Fmaj7 - G6, as MIDI notes.
_CHORDS = [[48, 55, 60, 64, 71], [45, 52, 60, 64, 67], [41, 48, 57, 64, 69], [43, 50, 59, 62, 64]]


def _hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _pad(note: int, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    f = _hz(note)
    # Two slightly detuned partial stacks give the slow chorus of a warm pad.
    wave = sum(
        (0.5**k) * (np.sin(2 * np.pi * f * (k + 1) * t) + np.sin(2 * np.pi * f * (k + 1) * 1.003 * t + k)) for k in range(4)
    )
    env = np.minimum(1, t / 0.6) * np.minimum(1, (t[-1] - t) / 0.6 + 0.05)
    return wave * env


def _pluck(note: int, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    f = _hz(note)
    wave = sum((0.6**k) * np.sin(2 * np.pi * f * (k + 1) * t) * np.exp(-t * (3 + 2 * k)) for k in range(5))
    return wave * np.minimum(1, t / 0.004)


def music(bars: list[int], bar_s: float = 2.0, fade_in_s: float = 0.8, fade_out_s: float = 2.5) -> np.ndarray:
    total = round((len(bars) * bar_s + 1.5) * RATE)
    out = np.zeros(total)
    for i, chord_index in enumerate(bars):
        chord = _CHORDS[chord_index]
        at = round(i * bar_s * RATE)
        for note in chord:
            pad = _pad(note, bar_s + 0.8) * 0.08
            out[at : at + pad.size] += pad[: total - at]
        for j, note in enumerate(chord[1:] + [chord[2] + 12]):
            pat = at + round(j * bar_s / 5 * RATE)
            p = _pluck(note + 12, 1.5) * 0.12
            out[pat : pat + p.size] += p[: total - pat]
    t = np.arange(total) / RATE
    env = np.minimum(1, t / fade_in_s) * np.clip((t[-1] - t) / fade_out_s, 0, 1)
    out *= env
    return (out / np.max(np.abs(out)) * 0.7).astype(np.float32)


# Where the cover's words go, as fractions of its side: the title sits above the ledger
# lines (its last line's foot at TITLE_FOOT), the subtitle just under it.
_MARGIN = 0.1
_TITLE_TOP, _TITLE_FOOT = 0.12, 0.515
_SUBTITLE_TOP, _SUBTITLE_FOOT = 0.525, 0.575
_LEADING = 1.12


class CoverTextError(PaperLedgeError):
    """The show's name does not fit the cover even at the smallest size."""


def fit_text(text: str, width: float, height: float, largest: int, smallest: int) -> tuple[FreeTypeFont, list[str]]:
    """(font, lines): `text` wrapped at spaces (a word too wide is cut between letters) at the
    largest size from `largest` down to `smallest` whose lines fit `width` x `height` pixels.
    CoverTextError when even the smallest size does not fit."""
    from PIL import ImageFont

    size = largest
    while size >= smallest:
        font = ImageFont.load_default(size=size)
        assert isinstance(font, ImageFont.FreeTypeFont)  # given a size, the default font is always TrueType
        lines = _wrap(text, font, width)
        if len(lines) * size * _LEADING <= height:
            return font, lines
        size = min(size - 1, int(size * 0.92))
    raise CoverTextError(
        f"{text[:40]!r}{'…' if len(text) > 40 else ''} does not fit on the cover even at {smallest} px; give a shorter name"
    )


def _wrap(text: str, font: FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        while font.getlength(word) > width:  # a word wider than the cover: cut between letters
            cut = _widest_prefix(word, font, width)
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _widest_prefix(word: str, font: FreeTypeFont, width: float) -> int:
    """How many of `word`'s first letters fit `width` (at least one), by bisection."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    return low


def cover_layout(size: int, title: str, subtitle: str) -> list[tuple[tuple[float, float], str, FreeTypeFont, bool]]:
    """Where each line of the cover's title and subtitle is drawn: ((x, y), text, font, whether
    a title line). Each shrinks and wraps to fit within the margins (CoverTextError when it cannot)."""
    width = size * (1 - 2 * _MARGIN)
    placed: list[tuple[tuple[float, float], str, FreeTypeFont, bool]] = []
    for text, top, foot, largest, smallest in (
        (title, _TITLE_TOP, _TITLE_FOOT, size // 8, size // 30),
        (subtitle, _SUBTITLE_TOP, _SUBTITLE_FOOT, size // 22, size // 60),
    ):
        if not text.strip():
            continue
        font, lines = fit_text(text, width, size * (foot - top), largest, smallest)
        step = font.size * _LEADING
        y = size * foot - step * len(lines) if top == _TITLE_TOP else size * top
        for line in lines:
            placed.append(((size * _MARGIN, y), line, font, top == _TITLE_TOP))
            y += step
    return placed


def cover_jpeg(size: int = ExportConfig.cover_px, title: str = DEFAULT_SHOW, subtitle: str = "research, told warmly") -> bytes:
    from PIL import Image, ImageDraw

    layout = cover_layout(size, title, subtitle)  # before drawing: a name that cannot fit is refused
    y, x = np.mgrid[0:size, 0:size] / size
    r = 20 + 30 * x + 10 * y
    g = 40 + 70 * y
    b = 90 + 80 * (1 - x) * (1 - y) + 40 * y
    img = Image.fromarray(np.dstack([r, g, b]).clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    # Ledger lines of a notebook page, and an orbit for the show's sense of wonder.
    for k in range(9):
        yy = int(size * (0.58 + k * 0.045))
        draw.line([(int(size * 0.12), yy), (int(size * 0.88), yy)], fill=(235, 225, 200), width=3)
    draw.ellipse([size * 0.62, size * 0.1, size * 0.9, size * 0.38], outline=(250, 205, 120), width=10)
    draw.ellipse([size * 0.735, size * 0.215, size * 0.785, size * 0.265], fill=(250, 205, 120))
    for at, line, font, is_title in layout:
        draw.text(at, line, font=font, fill=(255, 250, 240) if is_title else (235, 225, 200))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, optimize=True)
    return buf.getvalue()


def generate(folder: Path | None = None) -> list[Path]:
    """Write the music and cover into `folder` (default: the show folder's assets/)."""
    folder = folder or show_root() / SHOW_ASSETS
    folder.mkdir(parents=True, exist_ok=True)
    intro = folder / INTRO
    outro = folder / OUTRO
    cover = folder / COVER
    sf.write(intro, music([0, 1, 2, 3]), RATE, subtype="PCM_16")
    sf.write(outro, music([2, 3, 0], fade_in_s=1.5, fade_out_s=4.0), RATE, subtype="PCM_16")
    cover.write_bytes(cover_jpeg())
    return [intro, outro, cover]


def asset_file(name: str, folder: Path | None = None) -> Path | None:
    """folder/NAME when a folder is given; else the show folder's assets/NAME, else the bundled one."""
    if folder is not None:  # a FIFO or a folder there is an error, never silently skipped
        return folder / name if regular_file(folder / name) else None
    found = find_asset(name)
    return found.path if found else None


def load_music(name: str, rate: int, folder: Path | None = None) -> np.ndarray | None:
    """A music asset at `rate`, mono float32 and read-only; None when the asset is absent.
    Decoded once per file version and rate: a season prepares every episode with the same music."""
    path = asset_file(name, folder)
    if path is None:
        return None
    if not regular_file(path):  # libsndfile would wait for ever on a FIFO
        raise PaperLedgeError(f"{path}: the music file is gone; restore it or remove it")
    st = path.stat()
    key = (str(path.resolve()), st.st_ino, st.st_mtime_ns, st.st_size, rate)
    with _MUSIC_LOCK:
        if key not in _MUSIC:
            audio = _decode_music(path, rate)
            audio.setflags(write=False)  # shared by every render of this process
            while len(_MUSIC) >= 8:  # an intro and an outro per show: a few shows' worth
                del _MUSIC[next(iter(_MUSIC))]
            _MUSIC[key] = audio
        return _MUSIC[key]


_MUSIC: dict[tuple[str, int, int, int, int], np.ndarray] = {}
_MUSIC_LOCK = threading.Lock()  # the studio renders on threads


def _decode_music(path: Path, rate: int) -> np.ndarray:
    try:
        audio, file_rate = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError):
        raise PaperLedgeError(f"{path}: not music that can be read (FLAC, WAV or OGG); replace it or remove it") from None
    if not audio.size or not np.isfinite(audio).all():
        raise PaperLedgeError(f"{path}: holds no music (empty, or samples that are not numbers); replace it")
    audio = audio.mean(axis=1)
    if file_rate != rate:
        import soxr

        audio = soxr.resample(audio, file_rate, rate, quality="HQ").astype(np.float32)
    return audio
