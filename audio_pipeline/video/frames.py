"""The picture: one still per distinct moment (chapter, speaker, caption), drawn with Pillow.

The background, cover, title and progress track are drawn once; each still adds the
chapter, the speaker and the caption. Text is shaped by Raqm (right-to-left and joined
scripts come out in reading order) in the bundled DejaVu Sans, so every machine draws
the same; a character that font has no glyph for is left out and reported, never drawn
as an empty box.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

from ..config import BUNDLED_ASSETS

BAR_PX = 12
"""Height of the progress bar along the bottom edge (its fill is drawn by ffmpeg, by time)."""
ACCENT = (242, 163, 58)
_TEXT = (255, 255, 255)
_MUTED = (200, 206, 214)


@dataclass(frozen=True)
class Layout:
    """Where things go on a frame of this shape; sizes in pixels."""

    width: int
    height: int
    cover: tuple[int, int, int]  # x, y, side
    heading: tuple[int, int, int]  # x, y, width of the show name / title / chapter column
    title_px: int
    caption: tuple[int, int, int, int]  # x, y, width, height of the caption box
    caption_px: int


WIDE = Layout(
    1920, 1080, cover=(110, 100, 460), heading=(640, 112, 1170), title_px=64, caption=(110, 640, 1700, 370), caption_px=62
)
VERTICAL = Layout(
    1080, 1920, cover=(240, 170, 600), heading=(90, 830, 900), title_px=60, caption=(60, 1250, 960, 560), caption_px=66
)
SQUARE = Layout(1080, 1080, cover=(60, 60, 300), heading=(400, 70, 620), title_px=46, caption=(50, 560, 980, 460), caption_px=54)


def font_path(bold: bool = False) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(str(resources.files(BUNDLED_ASSETS) / "fonts" / name))


@lru_cache(maxsize=64)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(font_path(bold)), size, layout_engine=engine)


@lru_cache(maxsize=2)
def _cmap(bold: bool) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path(bold)), lazy=True) as font:
        return frozenset(font.getBestCmap())


def undrawable(text: str) -> set[str]:
    """The characters of `text` the bundled fonts have no glyph for (spaces, joiners and
    other invisible format characters need none)."""
    have = _cmap(False) & _cmap(True)
    return {c for c in set(text) if ord(c) not in have and not c.isspace() and unicodedata.category(c) not in ("Cf", "Mn", "Cc")}


def drawable(text: str) -> str:
    """`text` without the characters the font cannot draw."""
    missing = undrawable(text)
    return "".join(c for c in text if c not in missing) if missing else text


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """`text` in lines no wider than `width`: words go whole where they fit, and a word
    wider than a line is broken between characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}" if line else word
        if font.getlength(trial) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        line = ""
        while font.getlength(word) > width:  # a word longer than a line: break it
            cut = 1
            while cut < len(word) and font.getlength(word[: cut + 1]) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def fit(
    text: str, width: int, height: int, size: int, bold: bool = True, min_size: int = 28
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font (from `size` down to `min_size`) at which `text` wraps into the box;
    at the smallest, the lines that fit, the last one ending in an ellipsis."""
    while True:
        font = _font(size, bold)
        lines = wrap(text, font, width)
        step = round(size * 1.25)
        if len(lines) * step <= height or size <= min_size:
            break
        size = max(min_size, size - 6)
    keep = max(1, height // step)
    if len(lines) > keep:
        lines = lines[:keep]
        while lines[-1] and font.getlength(lines[-1] + " …") > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] += " …"
    return font, lines


class Painter:
    """Draws the stills of one video: `still(chapter, speaker, caption)` -> an RGB image."""

    def __init__(self, layout: Layout, cover: bytes | None, title: str, show: str) -> None:
        self.layout = layout
        self.base = self._base(cover, drawable(title), drawable(show))

    def _base(self, cover: bytes | None, title: str, show: str) -> Image.Image:
        lay = self.layout
        art = _cover_image(cover)
        # The cover, blurred and darkened, fills the frame: the show's colours without its detail.
        side = max(lay.width, lay.height)
        back = (
            art.resize((side // 8, side // 8)).filter(ImageFilter.GaussianBlur(6)).resize((side, side), Image.Resampling.BILINEAR)
        )
        back = back.crop(((side - lay.width) // 2, (side - lay.height) // 2, (side + lay.width) // 2, (side + lay.height) // 2))
        frame = Image.blend(back, Image.new("RGB", back.size, (8, 12, 20)), 0.72)
        x, y, s = lay.cover
        frame.paste(art.resize((s, s), Image.Resampling.LANCZOS), (x, y))
        draw = ImageDraw.Draw(frame)
        hx, hy, hw = lay.heading
        small = _font(round(lay.title_px * 0.55), False)
        if show:
            draw.text((hx, hy), wrap(show, small, hw)[0], font=small, fill=_MUTED)
            hy += round(small.size * 1.6)
        font, lines = fit(title, hw, round(lay.title_px * 1.25 * 3), lay.title_px, min_size=32)
        for line in lines:
            draw.text((hx, hy), line, font=font, fill=_TEXT)
            hy += round(font.size * 1.22)
        self.chapter_y = hy + round(lay.title_px * 0.35)
        draw.rectangle((0, lay.height - BAR_PX, lay.width, lay.height), fill=(60, 64, 72))
        return frame

    def still(self, chapter: str, speaker: str, caption: str) -> Image.Image:
        lay = self.layout
        frame = self.base.copy()
        draw = ImageDraw.Draw(frame)
        hx, _, hw = lay.heading
        if chapter:
            font, lines = fit(
                drawable(chapter), hw, round(lay.title_px * 0.75 * 1.25 * 2), round(lay.title_px * 0.75), min_size=24
            )
            y = self.chapter_y
            for line in lines:
                draw.text((hx, y), line, font=font, fill=ACCENT)
                y += round(font.size * 1.22)
        cx, cy, cw, ch = lay.caption
        if speaker:
            name = _font(round(lay.caption_px * 0.7), True)
            draw.text((cx + 24, cy), drawable(speaker), font=name, fill=ACCENT)
        caption = drawable(caption)
        if caption:
            top = cy + (round(lay.caption_px * 0.95) if speaker else 0)
            font, lines = fit(caption, cw - 64, cy + ch - top - 40, lay.caption_px)
            step = round(font.size * 1.25)
            height = len(lines) * step + 40
            panel = Image.new("RGBA", frame.size)
            ImageDraw.Draw(panel).rounded_rectangle((cx, top, cx + cw, top + height), radius=18, fill=(0, 0, 0, 178))
            frame.paste(panel, mask=panel)
            y = top + 20
            for line in lines:
                draw.text((cx + cw // 2, y), line, font=font, fill=_TEXT, anchor="ma")
                y += step
        return frame


def _cover_image(cover: bytes | None) -> Image.Image:
    """The cover as a square RGB image; a plain panel when the MP3 has none or it does not decode."""
    if cover:
        try:
            with Image.open(io.BytesIO(cover)) as image:
                art = image.convert("RGB")
            side = min(art.size)
            return art.crop(
                ((art.width - side) // 2, (art.height - side) // 2, (art.width + side) // 2, (art.height + side) // 2)
            )
        except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
            pass
    return Image.new("RGB", (1000, 1000), (28, 44, 66))
