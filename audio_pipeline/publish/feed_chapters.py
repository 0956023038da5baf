"""An episode's chapters in the feed itself: Podlove Simple Chapters (psc:chapters, version
1.2), the form Spotify reads; each with the link and image of the chapters JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Final

from ..audio.sidecars import read_chapter_links, vtt_time
from .feed_text import plain

PSC_NS: Final = "http://podlove.org/simple-chapters"
PSC_VERSION: Final = "1.2"

ET.register_namespace("psc", PSC_NS)


def psc(tag: str) -> str:
    return f"{{{PSC_NS}}}{tag}"


def chapter_links(chapters: list[tuple[float, str]], chapters_path: Path | None) -> list[tuple[str | None, str | None]]:
    """(image URL, link) of each chapter, as the episode's chapters JSON gives them; none
    where there is no such file or it lists other chapters (the feed's validation names that)."""
    none: list[tuple[str | None, str | None]] = [(None, None)] * len(chapters)
    if chapters_path is None or not Path(chapters_path).is_file():
        return none
    links = read_chapter_links(Path(chapters_path))  # a link no app could open is one line
    return links if len(links) == len(chapters) else none


def add_psc_chapters(node: ET.Element, chapters: list[tuple[float, str]], chapters_path: Path | None) -> None:
    """<psc:chapters version="1.2"> with a <psc:chapter start="HH:MM:SS.mmm" title=…/> per
    chapter (the first at zero), and its href and image where the script gives them."""
    if not chapters:
        return
    parent = ET.SubElement(node, psc("chapters"), {"version": PSC_VERSION})
    for n, ((start, title), (img, url)) in enumerate(zip(chapters, chapter_links(chapters, chapters_path))):
        attrs = {"start": vtt_time(0.0 if n == 0 else start), "title": " ".join(title.split())}
        if url:
            attrs["href"] = url
        if img:
            attrs["image"] = img
        ET.SubElement(parent, psc("chapter"), {k: plain(v) for k, v in attrs.items()})
