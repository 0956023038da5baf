"""Changes the studio writes: one sentence of a script, one word of a lexicon.

A script is edited by the exact source offsets of the sentence's text, so everything
else in the file (front matter, Markdown, comments, line breaks) stays byte for byte.
A sentence whose text cannot be found exactly as the parser read it (emphasis, inline
code or escapes inside it, the credits line the front matter makes) is refused, never
rewritten. Every write is checked by reading the result again before it is made, and
keeps the file's permissions and owner.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from ..check.retake import lexicon_line
from ..errors import PaperLedgeError, VoiceError
from ..files import checked_write, read_text, temp_beside, write_atomic, write_whole
from ..script.read import Sentence, parse_script

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


class Conflict(PaperLedgeError):
    """The file changed on disk since the page read it."""

    def __init__(self, path: Path, theirs: str, mine: str):
        super().__init__(f"{path.name} changed on disk since the page loaded it")
        self.path, self.theirs, self.mine = path, theirs, mine


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_file(path: Path, what: str) -> str:
    """The file as bytes-exact text (only UTF-8 with plain newlines is edited in place)."""
    text = read_text(path, what)
    if path.read_bytes() != text.encode("utf-8"):
        raise PaperLedgeError(f"{path.name} has a byte-order mark or CR line ends; the studio edits only plain UTF-8 files")
    return text


def _space(m: re.Match) -> str:
    return r"(?:[ \t]+\n?|\n)[ \t]*"


def sentence_spans(text: str, path: Path) -> list[tuple[int, int] | None]:
    """Source offsets (start, end) of every sentence of the script, None where the text
    cannot be found exactly as written."""
    sentences = parse_script(text, path).sentences()
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    spans: list[tuple[int, int] | None] = []
    cursor_line, cursor = -1, 0
    for s in sentences:
        if s.line != cursor_line:
            cursor_line = s.line
            cursor = line_starts[s.line - 1] if 0 < s.line <= len(line_starts) else len(text)
        pattern = re.sub(r"\\ ", _space, re.escape(s.markup))
        m = re.compile(pattern).search(text, cursor)
        # The match must lie in the sentence's own paragraph: no blank line before it.
        if m is None or "\n\n" in text[cursor : m.start()].replace(" ", "").replace("\t", ""):
            spans.append(None)
            continue
        spans.append((m.start(), m.end()))
        cursor = m.end()
    return spans


def edit_sentence(path: Path, index: int, new: str, expected_sha: str) -> str:
    """Replace sentence `index` (1-based) of the script with `new`; returns the new text."""
    text = read_file(path, "script")
    new = " ".join(new.split())
    if not new:
        raise PaperLedgeError("the new text is empty; to remove a sentence, edit the script")
    sentences = parse_script(text, path).sentences()
    if not 1 <= index <= len(sentences):
        raise PaperLedgeError(f"there is no sentence {index}")
    span = sentence_spans(text, path)[index - 1]
    if span is None:
        raise PaperLedgeError(
            f"sentence {index} cannot be located exactly in {path.name} (it holds Markdown, escapes, "
            "or comes from the front matter); edit it in the script itself"
        )
    result = text[: span[0]] + new + text[span[1] :]
    _check_only_that_sentence(result, path, sentences, index, new)
    if sha256_text(text) != expected_sha:
        raise Conflict(path, text, result)
    write_keeping(path, result)
    return result


def write_keeping(path: Path, text: str) -> None:
    """Replace the file at `path` with `text` atomically, keeping its mode (a 0600 script stays
    0600) and, where this process may, its owner; a new file gets the usual permissions."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        write_atomic(path, text)
        return
    tmp = temp_beside(path, ".part")
    try:
        write_whole(tmp, text, path)
        with checked_write(path):
            os.chmod(tmp, st.st_mode & 0o7777)
            if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
                os.chown(tmp, st.st_uid, st.st_gid)
                os.chmod(tmp, st.st_mode & 0o7777)  # chown clears set-id bits
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _check_only_that_sentence(result: str, path: Path, before: list[Sentence], index: int, new: str) -> None:
    after = [s.markup for s in parse_script(result, path).sentences()]
    old = [s.markup for s in before]
    head, tail = old[: index - 1], old[index:]
    middle = after[len(head) : len(after) - len(tail)]
    if after[: len(head)] != head or after[len(after) - len(tail) :] != tail or not middle or " ".join(middle) != new:
        raise PaperLedgeError(
            "that text would change the script beyond this sentence (a heading, list, pause "
            "or Markdown); write plain words, or edit the script itself"
        )


# ---------------------------------------------------------------------------------------
# Lexicons
# ---------------------------------------------------------------------------------------

_HEADER = re.compile(r"^[ \t]*\[[^\]\n]*\][ \t]*(#.*)?$", re.MULTILINE)
_WORDS = re.compile(r"^[ \t]*\[words\][ \t]*(#.*)?$", re.MULTILINE)


def lexicon_with(text: str, word: str, spoken: str) -> str:
    """The lexicon text with `word = "spoken"` under [words] (replacing the word's line
    if it has one); the rest of the file as it was."""
    line = lexicon_line(word, spoken)
    key = re.escape(line.split(" = ", 1)[0])
    head = _WORDS.search(text)
    if head is None:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return f"{text}{sep}[words]\n{line}\n"
    nxt = _HEADER.search(text, head.end())
    end = nxt.start() if nxt else len(text)
    table = text[head.end() : end]
    existing = re.compile(rf"^[ \t]*{key}[ \t]*=.*$", re.MULTILINE).search(table)
    table = table[: existing.start()] + line + table[existing.end() :] if existing else "\n" + line + table
    return text[: head.end()] + table + text[end:]


def edit_lexicon(path: Path, word: str, spoken: str, expected_sha: str | None, base: str | None = None) -> str:
    """Write `word = "spoken"` into the lexicon at `path` (made from `base`, the lexicon it
    stands in for, when it does not exist yet); returns the new text."""
    word, spoken = word.strip(), " ".join(spoken.split())
    if not word or not spoken or len(word) > 100 or len(spoken) > 200 or any(c in word for c in "\n\r\t"):
        raise PaperLedgeError("give a word (one line, up to 100 characters) and how to say it (up to 200)")
    text = read_file(path, "lexicon") if path.exists() else (base or "")
    result = lexicon_with(text, word, spoken)
    try:
        old, new = tomllib.loads(text), tomllib.loads(result)
    except tomllib.TOMLDecodeError as e:
        raise PaperLedgeError(f"{path.name}: the lexicon would not be valid TOML ({e}); edit it by hand") from None
    words = dict(old.get("words", {}))
    words[word] = spoken
    if {**old, "words": words} != new:
        raise PaperLedgeError(f"{path.name}: that entry would change other entries; edit the lexicon by hand")
    _check_lexicon(result, path, word, spoken)
    if (sha256_text(text) if path.exists() else "") != expected_sha:
        raise Conflict(path, text, result)
    write_keeping(path, result)
    return result


def _check_lexicon(result: str, path: Path, word: str, spoken: str) -> None:
    """Read the would-be lexicon with the loader every render uses, before anything is
    written: an entry the loader refuses never reaches the file."""
    from ..text.lexicon import load_lexicon

    with tempfile.TemporaryDirectory(prefix="paperledge-lexicon-") as folder:
        trial = Path(folder) / path.name
        trial.write_text(result, encoding="utf-8")
        try:
            entry = load_lexicon(None, trial).lookup(word)
        except VoiceError as e:
            why = str(e).replace(str(trial), path.name)
            raise PaperLedgeError(f"not saved, {path.name} is unchanged: {why}") from None
    if entry is None or entry.written != word or entry.spoken != spoken:
        raise PaperLedgeError(
            f"not saved, {path.name} is unchanged: the lexicon would not read {word[:40]!r} as written; edit it by hand"
        )
