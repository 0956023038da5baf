"""What the studio knows and does, without the web: its episodes, their sentences with
check scores and cache entries, previews, takes, saves, renders and approval.

Requests name episodes, sentences, takes and cache entries by id; every path is made
here, from the episode list the studio was started with, and is checked to lie in the
show folder or the output folder before it is read or written.
"""

from __future__ import annotations

import io
import json
import os
import stat
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from ..config import CheckConfig, default_cache_dir
from ..credentials import read_credentials
from ..errors import PaperLedgeError
from ..files import read_text
from ..publish.approval import is_approved
from ..show import show_lexicon_path, show_root
from ..synthesis.cache import SentenceCache, sentence_key
from ..synthesis.engines.base import create_engine
from ..synthesis.takes import TakeMaker, read_takes, take_params, write_takes
from ..text.lexicon import with_fixes
from ..text.normalize import speak
from . import edits

_KEY_CHARS = set("0123456789abcdef")
MAX_TAKES = 4


def check_available() -> bool:
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return False
    return True


class Busy(RuntimeError):
    """A render is already running."""


@dataclass
class Job:
    """The one render (or render and check) running, or the last one."""

    state: str = "idle"  # idle, running, done, failed
    kind: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    entries: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "state": self.state,
            "kind": self.kind,
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "entries": self.entries,
        }


class Studio:
    def __init__(
        self,
        scripts: list[Path],
        out_dir: Path,
        cache_dir: Path | None = None,
        voice: str | None = None,
        root: Path | None = None,
    ):
        self.root = (root or show_root()).resolve()
        self.out_dir = Path(out_dir).resolve()
        self.scripts = {s.stem: Path(s).resolve() for s in scripts}
        for s in self.scripts.values():
            if not self._allowed(s):
                raise PaperLedgeError(
                    f"{s} is outside the show folder {self.root}; start the studio in the show folder or give --show"
                )
        self.cache = SentenceCache(Path(cache_dir) if cache_dir else default_cache_dir())
        self.voice = voice
        self.cfg = CheckConfig()
        self.job = Job()
        self._engines: dict[str, TakeMaker] = {}
        self._lock = threading.Lock()  # one synthesis at a time: the engine is not shared across threads
        # Requests run on a thread pool: a save reads, compares the page's checksum and writes
        # under this lock, so two saves made from the same version cannot both succeed.
        self._save_lock = threading.Lock()
        self._credentials_lock = threading.Lock()
        self._credentials_seen: dict[Path, tuple] = {}

    # -- paths ---------------------------------------------------------------------------

    def _allowed(self, path: Path) -> bool:
        target = Path(path).resolve()
        return target.is_relative_to(self.root) or target.is_relative_to(self.out_dir)

    def _known(self, ep: str) -> Path:
        if ep not in self.scripts:
            raise PaperLedgeError(f"no episode {str(ep)[:40]!r} in this studio")
        return self.scripts[ep]

    def script(self, ep: str) -> Path:
        """The episode's script, checked again at each use: still a plain file in the show folder."""
        path = self._known(ep)
        self.still_plain(path, "script")
        return path

    def still_plain(self, path: Path, what: str) -> None:
        """Refuse `path` unless it is a regular file (not a link, a pipe or a device) that lies
        in the show or output folder now: a link put in its place after the start is never followed."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            raise PaperLedgeError(f"{path.name}: the {what} is no longer there") from None
        except OSError as e:
            raise PaperLedgeError(f"{path.name}: cannot read the {what} ({e.strerror})") from None
        if not stat.S_ISREG(st.st_mode) or Path(os.path.realpath(path)) != Path(path) or not self._allowed(path):
            raise PaperLedgeError(
                f"{path.name}: the {what} is no longer a plain file in the show folder "
                "(a link, a pipe or a device was put in its place); the studio does not follow it"
            )

    def mp3(self, ep: str) -> Path:
        return self.out_dir / f"{self._known(ep).stem}.mp3"

    def output_file(self, ep: str, suffix: str) -> Path:
        """The MP3's sidecar with `suffix` (.vtt, .chapters.json, .check.json)."""
        return self.mp3(ep).with_suffix(suffix)

    # -- the episode -----------------------------------------------------------------------

    def load(self, ep: str, fixes: dict[str, str] | None = None):
        from ..show import load_settings
        from ..stages import load_episode, show_config

        script = self.script(ep)
        return load_episode(script, self.voice, config=show_config(load_settings(script.parent)), fixes=fixes)

    def maker(self, profile) -> TakeMaker:
        key = json.dumps([profile.name, profile.engine, profile.engine_params], sort_keys=True, default=str)
        if key not in self._engines:
            engine = create_engine(profile.engine, profile.engine_params)
            self._engines[key] = TakeMaker(engine, profile.engine, profile.engine_params, self.cache, self.cfg)
        return self._engines[key]

    def lexicon_files(self, profile) -> dict[str, dict]:
        """The show and voice lexicons the page may save to, with their checksums ('' when not made yet)."""
        out = {}
        for where, path in (("show", self._show_lexicon()), ("voice", profile.lexicon_path)):
            if path is None or not self._allowed(path):
                continue
            text = edits.read_file(path, "lexicon") if path.exists() else ""
            out[where] = {"name": path.name, "sha": edits.sha256_text(text) if path.exists() else ""}
        return out

    def _show_lexicon(self) -> Path:
        found = show_lexicon_path(self.root)
        return found if self._allowed(found) else self.root / "lexicon.toml"

    def episode(self, ep: str) -> dict:
        episode, profile, _ = self.load(ep)
        script = self.script(ep)
        text = edits.read_file(script, "script")
        spans = edits.sentence_spans(text, script)
        maker = self.maker(profile)
        mp3 = self.mp3(ep)
        book = read_takes(mp3)
        checked = self._check_scores(ep)
        chapters, n = [], 0
        for c in episode.chapters:
            rows = []
            for s in c.sentences():
                n += 1
                key = sentence_key(maker.fingerprint, s.spoken)
                score = checked.get(n)
                rows.append(
                    {
                        "index": n,
                        "speaker": getattr(s, "speaker", None) or profile.name,
                        "written": s.written,
                        "markup": s.markup,
                        "spoken": s.spoken,
                        "rules": s.fired,
                        "editable": spans[n - 1] is not None,
                        "cached": self.cache.path_for(key).is_file(),
                        "take": book.get(key, 0),
                        "score": score,
                    }
                )
            chapters.append({"title": c.title, "sentences": rows})
        return {
            "id": ep,
            "title": episode.meta.title,
            "voice": profile.name,
            "script": script.name,
            "script_sha": edits.sha256_text(text),
            "chapters": chapters,
            "lexicons": self.lexicon_files(profile),
            "mp3": mp3.is_file(),
            "mp3_version": int(mp3.stat().st_mtime_ns) if mp3.is_file() else 0,
            "approved": is_approved(mp3),
            "check": check_available(),
            "marks": self._chapter_marks(ep),
            # a render removes these: the page says so before it renders
            "checked": any(self.output_file(ep, s).is_file() for s in (".check.json", ".review.html")),
            "credentials": self._credentials(mp3),
        }

    def _credentials(self, mp3: Path) -> dict | None:
        """The MP3's Content Credentials as validate reports them, read again only when the file
        changes (the page asks for the episode every second while a render runs)."""
        try:
            st = mp3.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._credentials_lock:
            if self._credentials_seen.get(mp3, (None,))[0] != stamp:
                found = read_credentials(mp3)
                self._credentials_seen[mp3] = (stamp, {"ok": found.ok, "verdict": found.verdict, "line": found.line()})
            return self._credentials_seen[mp3][1]

    def _check_scores(self, ep: str) -> dict[int, dict]:
        """Each sentence's scores from a check of the MP3 now there (a check of an older render is void)."""
        from ..audio.sidecars import read_check

        kept = read_check(self.mp3(ep))
        if kept is None:
            return {}
        return {
            s.index: {
                "error": s.error,
                "flagged": s.flagged,
                "heard": s.heard,
                "score": s.score,
                "weakest": [word for word, _ in s.weakest[:3]],
            }
            for s in kept.sentences
        }

    def _chapter_marks(self, ep: str) -> list[dict]:
        from ..audio.sidecars import read_chapters

        try:
            return [{"start": start, "title": title} for start, title in read_chapters(self.output_file(ep, ".chapters.json"))[1]]
        except PaperLedgeError:
            return []

    def plot(self, ep: str) -> str:
        """The review page's loudness plot of the MP3 (empty when there is none)."""
        mp3 = self.mp3(ep)
        if not mp3.is_file():
            return ""
        from mutagen.mp3 import MP3, MPEGInfo, MutagenError

        from ..check.review import plot_svg, short_term_loudness, waveform
        from ..config import MasterConfig

        try:
            # the Xing/Info frame's count, as players read it (mutagen declares FileType.info as None)
            length = cast(MPEGInfo, MP3(mp3).info).length
        except (MutagenError, OSError):
            return ""
        lo, hi, duration = waveform(mp3, length)
        marks = [(m["start"], m["title"]) for m in self._chapter_marks(ep)]
        return plot_svg(short_term_loudness(mp3), lo, hi, duration, MasterConfig.target_lufs, marks)

    # -- audio -------------------------------------------------------------------------------

    def sentence(self, ep: str, index: int, fixes: dict[str, str] | None = None):
        episode, profile, lexicon = self.load(ep, fixes)
        sentences = episode.sentences()
        if not 1 <= index <= len(sentences):
            raise PaperLedgeError(f"there is no sentence {index}")
        return sentences[index - 1], profile, lexicon

    def entry_key(self, ep: str, index: int, take: int = 0) -> str:
        """The cache key of take `take` of sentence `index`, synthesised now if it is not cached."""
        if not 0 <= take <= MAX_TAKES:
            raise PaperLedgeError(f"takes are numbered 0 to {MAX_TAKES}")
        s, profile, _ = self.sentence(ep, index)
        return self._synthesise(profile, s.spoken, take)

    def _synthesise(self, profile, spoken: str, take: int = 0) -> str:
        maker = self.maker(profile)
        with self._lock:
            maker.entry(spoken, take)
        return sentence_key(maker.fingerprint, spoken, take)

    def wav(self, key: str) -> bytes:
        if len(key) != 64 or not set(key) <= _KEY_CHARS:
            raise PaperLedgeError("an audio id is 64 hexadecimal characters")
        entry = self.cache.get(key)
        if entry is None:
            raise LookupError("no such sentence audio in the cache")
        import soundfile as sf

        buf = io.BytesIO()
        sf.write(buf, SentenceCache.load(entry), entry.sample_rate, format="WAV", subtype="PCM_16")
        return buf.getvalue()

    def preview(self, ep: str, index: int, text: str) -> dict:
        """Sentence `index` said as `text` (not saved): its forms, rules and audio id."""
        text = " ".join(str(text).split())
        if not text or len(text) > 2000:
            raise PaperLedgeError("give the sentence's new text (up to 2000 characters)")
        _, profile, lexicon = self.sentence(ep, index)
        said = speak(text, lexicon)
        return {
            "written": said.written,
            "spoken": said.spoken,
            "rules": said.fired,
            "audio": self._synthesise(profile, said.spoken),
        }

    def preview_word(self, ep: str, index: int, word: str, spoken: str) -> dict:
        word, spoken = str(word).strip(), " ".join(str(spoken).split())
        if not word or not spoken:
            raise PaperLedgeError("give the word and how to say it")
        s, profile, lexicon = self.sentence(ep, index)
        said = speak(s.markup, with_fixes(lexicon, {word: spoken}))
        if said.spoken == s.spoken:
            raise PaperLedgeError(f"sentence {index} does not say {word[:40]!r} as a word of its own; select a whole word")
        return {
            "written": said.written,
            "spoken": said.spoken,
            "rules": said.fired,
            "audio": self._synthesise(profile, said.spoken),
        }

    # -- takes -----------------------------------------------------------------------------

    def takes(self, ep: str, index: int, count: int, score: bool) -> list[dict]:
        """Takes 0..count of sentence `index` (made where missing), with their check scores when asked."""
        count = max(1, min(int(count), MAX_TAKES))
        s, profile, _ = self.sentence(ep, index)
        maker = self.maker(profile)
        chosen = read_takes(self.mp3(ep)).get(sentence_key(maker.fingerprint, s.spoken), 0)
        out = []
        for take in range(count + 1):
            key = self._synthesise(profile, s.spoken, take)
            row = {
                "take": take,
                "audio": key,
                "chosen": take == chosen,
                "settings": {k: v for k, v in take_params(profile.engine, {}, take, self.cfg).items()},
            }
            if score and check_available():
                from ..check.listen import check_clip

                entry = self.cache.get(key)
                if entry is None:  # removed since it was made: damaged, or the cache was cleared
                    raise LookupError("no such sentence audio in the cache")
                heard, sc, judged = check_clip(
                    s.written, SentenceCache.load(entry), entry.sample_rate, self.cfg, self.cfg.asr_model
                )
                row["error"], row["heard"] = round(sc.rate, 4), heard
                row["score"], row["flagged"] = round(judged.score, 3), judged.flagged
            out.append(row)
        return out

    def choose_take(self, ep: str, index: int, take: int) -> None:
        if not 0 <= take <= MAX_TAKES:
            raise PaperLedgeError(f"takes are numbered 0 to {MAX_TAKES}")
        s, profile, _ = self.sentence(ep, index)
        maker = self.maker(profile)
        self._synthesise(profile, s.spoken, take)  # the render finds it in the cache
        mp3 = self.mp3(ep)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        book = read_takes(mp3)
        book[sentence_key(maker.fingerprint, s.spoken)] = take
        write_takes(mp3, book)

    # -- saving ----------------------------------------------------------------------------

    def save_sentence(self, ep: str, index: int, text: str, sha: str) -> None:
        with self._save_lock:
            edits.edit_sentence(self.script(ep), index, str(text), str(sha))

    def save_word(self, ep: str, word: str, spoken: str, where: str, sha: str) -> list[int]:
        """Save to the show or voice lexicon; returns the sentences whose spoken form changed."""
        before, profile, _ = self.load(ep)
        if where == "show":
            path = self._show_lexicon()
            base = read_text(show_lexicon_path(self.root), "show lexicon") if not path.exists() else None
        elif where == "voice" and profile.lexicon_path is not None:
            path, base = profile.lexicon_path, None
        else:
            raise PaperLedgeError("save a word to the 'show' lexicon or the 'voice' lexicon (this voice has none)")
        if not self._allowed(path):
            raise PaperLedgeError(f"the {where} lexicon {path.name} is not in the show folder; copy it there to edit it")
        with self._save_lock:
            if os.path.lexists(path):
                self.still_plain(path, f"{where} lexicon")
            edits.edit_lexicon(path, str(word), str(spoken), str(sha), base)
        after, _, _ = self.load(ep)
        return [i for i, (a, b) in enumerate(zip(before.sentences(), after.sentences()), 1) if a.spoken != b.spoken]

    def approve(self, ep: str) -> dict:
        from ..publish.approval import approve

        return approve(self.mp3(ep))

    # -- render ----------------------------------------------------------------------------

    def start_render(self, ep: str, check: bool) -> None:
        with self._lock:
            if self.job.state == "running":
                raise Busy("a render is running; wait for it to finish")
            if check and not check_available():
                raise PaperLedgeError("the check needs the [check] extra: pip install 'paperledge-audio[check]'")
            self.job = Job("running", "render and check" if check else "render", message="starting")
        threading.Thread(target=self._render, args=(ep, check, self.job), daemon=True).start()

    def _render(self, ep: str, check: bool, job: Job) -> None:
        from ..render import RenderOptions, render

        def progress(done: int, total: int) -> None:
            job.done, job.total, job.message = done, total, f"synthesising {done}/{total}"

        try:
            options = RenderOptions(voice=self.voice, output=self.mp3(ep), cache_dir=self.cache.root)
            self.out_dir.mkdir(parents=True, exist_ok=True)
            if check:
                from ..check.retake import render_checked

                result = render_checked(self.script(ep), options, 0, False, progress, lambda m: setattr(job, "message", m)).result
            else:
                result = render(self.script(ep), options, progress)
            job.entries = [e.path.stem for e in result.synthesis.entries]
            job.state, job.message = "done", f"{result.output.name}: {result.duration:.1f} s, {result.sentences} sentences"
        except PaperLedgeError as e:
            job.state, job.message = "failed", str(e)
        except Exception as e:  # shown on the page in one line; the detail goes to the terminal
            traceback.print_exc()
            job.state, job.message = "failed", f"render failed: {type(e).__name__}: {e}"
