"""Text front end: a sentence's written form becomes the form the engine is given.

The written form (for transcripts) is never changed; the spoken form is what a careful
host would say: "ICML 2024" becomes "I-C-M-L twenty twenty-four", "LLaMA-2 7B" becomes
"Llama two seven billion", "https://github.com/google/feabench" becomes
"github dot com slash google slash feabench".

Precedence: inline ``{written|spoken}`` > voice lexicon > show lexicon > the rules here.

How it works: the rules run in a fixed order. Each rule that produces a spoken span
parks it behind a placeholder character, so later rules never re-read words that an
earlier rule already decided (the "7" in "LLaMA-2 7B" is not a year, "I-C-M-L" is not
spelled twice). At the end the placeholders are expanded and punctuation is tidied.
The output holds only letters, spaces and . , ; : ! ? ' - (no digits, no symbols an
engine would skip). The rules run again on their own output until it stops changing
(in practice one checking round), so normalising a spoken form again changes nothing.

Spelled letters are joined by hyphens ("S-V-D", plural "L-L-M's"), and an "A" after
another letter is written "Eh" ("U-S-Eh"): espeak, which Piper uses, reads a lone or
inner "A" as the article "uh", but says the letter for "Eh".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Final

from num2words import num2words

from audio_pipeline.markup import INLINE, written_form
from audio_pipeline.text.lexicon import Lexicon, default_show_lexicon_path, load_lexicon

__all__ = ["Spoken", "speak", "normalize", "default_lexicon"]


@dataclass
class Spoken:
    """One sentence in both its forms."""

    written: str
    """Transcript form: inline ``{w|s}`` markup replaced by ``w``, otherwise untouched."""
    spoken: str
    """What the engine is given."""
    fired: list[str] = field(default_factory=list)
    """Names of the lexicon entries and rules that changed something, in firing order:
    ``"inline:TxGemma"``, ``"lexicon:ICML"``, ``"rule:url"``, ``"rule:acronym:SVD"``."""


# ---------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------



def speak(markup: str, lexicon: Lexicon | None = None) -> Spoken:
    """One sentence as written in a script (may hold ``{written|spoken}``) -> both forms.

    ``lexicon=None`` uses the show lexicon (`default_lexicon`).
    """
    written = written_form(markup)  # escaped braces are shown, and never spoken
    inline: list[str] = []
    fired: list[str] = []

    def protect(m: re.Match) -> str:
        if len(inline) >= _MAX_INLINE:
            return m.group(2)
        inline.append(" ".join(m.group(2).split()))
        name = f"inline:{m.group(1).strip()}"
        if name not in fired:
            fired.append(name)
        return chr(_PARK_BASE + len(inline) - 1)

    text = INLINE.sub(protect, _strip_reserved(markup))
    spoken, rule_fired = _to_fixed_point(text, inline, default_lexicon() if lexicon is None else lexicon)
    return Spoken(written, spoken, fired + [f for f in rule_fired if f not in fired])


def normalize(text: str, lexicon: Lexicon | None = None) -> tuple[str, list[str]]:
    """Plain text (no inline markup) -> (spoken form, names of what fired).

    ``lexicon=None`` uses the show lexicon (`default_lexicon`); pass ``Lexicon()`` for none.
    """
    return _to_fixed_point(_strip_reserved(text), [], default_lexicon() if lexicon is None else lexicon)


def default_lexicon() -> Lexicon:
    """The show lexicon at `default_show_lexicon_path`, re-read when the file changes."""
    path = default_show_lexicon_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return Lexicon()
    return _load_cached(path, stamp)


@lru_cache(maxsize=4)
def _load_cached(path: Path, stamp: int) -> Lexicon:
    return load_lexicon(path)


# ---------------------------------------------------------------------------------------
# Work in progress: text plus parked spans
# ---------------------------------------------------------------------------------------

_PARK_BASE: Final = 0xF0000  # Supplementary Private Use Area-A: never in a real script
_PARK_MAX: Final = 0xFFFFD
_P: Final = "\U000F0000-\U000FFFFD"
_RESERVED: Final = re.compile(f"[{_P}\U00100000-\U0010FFFD]")


def _strip_reserved(text: str) -> str:
    return _RESERVED.sub(" ", text)


class _Work:
    """The sentence being rewritten, the spans already decided, and what fired."""

    def __init__(self, text: str, parked: list[str] | None = None) -> None:
        self.text = text
        self.parked: list[str] = parked if parked is not None else []
        self.fired: list[str] = []

    def fire(self, name: str) -> None:
        if name not in self.fired:
            self.fired.append(name)

    def park(self, spoken: str, name: str | None = None) -> str:
        """Decide a span: later rules see one word-like placeholder in its place."""
        if name:
            self.fire(name)
        if _PARK_BASE + len(self.parked) > _PARK_MAX:  # absurdly long input: stop parking
            return f" {spoken} "
        self.parked.append(spoken)
        return chr(_PARK_BASE + len(self.parked) - 1)

    def sub(self, pattern: re.Pattern, repl: Callable[[re.Match], str | None],
            name: str | None = None, park: bool = True) -> None:
        """Replace every match; ``repl`` returning None leaves that match as it was."""

        def one(m: re.Match) -> str:
            out = repl(m)
            if out is None:
                return m.group(0)
            if park:
                return self.park(out, name)
            if name:
                self.fire(name)
            return out

        self.text = pattern.sub(one, self.text)

    def result(self, keep: int = 0) -> str:
        """The text with parked spans put back; the first ``keep`` stay parked."""
        text = self.text
        for _ in range(3):  # parked spans may hold parked spans (nested rules)
            if not _RESERVED.search(text):
                break
            text = _RESERVED.sub(lambda m: self._unpark_padded(m, keep), text)
        return _tidy(text)

    def _unpark_padded(self, m: re.Match, keep: int = 0) -> str:
        """The parked words, with a space only where they would touch a word."""
        if ord(m.group(0)) - _PARK_BASE < keep:
            return m.group(0)
        before = m.string[m.start() - 1:m.start()]
        after = m.string[m.end():m.end() + 1]
        pad_before = " " if before and (before.isalnum() or _RESERVED.match(before)) else ""
        pad_after = " " if after and (after.isalnum() or _RESERVED.match(after)) else ""
        return pad_before + self._unpark(m.group(0)) + pad_after

    def _unpark(self, ch: str) -> str:
        i = ord(ch) - _PARK_BASE
        return self.parked[i] if 0 <= i < len(self.parked) else " "


_MAX_INLINE: Final = 1000
_MAX_ROUNDS: Final = 3


def _to_fixed_point(text: str, inline: list[str], lexicon: Lexicon) -> tuple[str, list[str]]:
    """Run the rules until their output no longer changes (in practice: one round, checked).

    A rule late in the order can make a context that an earlier rule reads ("AAMr." splits
    into "A-A Mr."); running again settles it, so the spoken form is a fixed point and
    normalising it once more changes nothing. Inline spans stay parked throughout.
    """
    fired: list[str] = []
    keep = len(inline)
    current = text
    for round_ in range(_MAX_ROUNDS):
        work = _Work(current, list(inline))
        _run(work, lexicon)
        out = work.result(keep=keep)
        if round_ == 0 and not _has_words(out) and _has_words(text):
            # Nothing sayable survived (e.g. letters only in odd marks): keep the letters.
            out = " ".join("".join(c if c.isalnum() else " " for c in text).split())
            work = _Work(out, list(inline))
            _numbers(work)
            out = work.result(keep=keep)
        if round_ > 0 and out == current:
            break
        fired.extend(f for f in work.fired if f not in fired)
        current = out
    # Inline spoken forms go in last and verbatim: the author chose them.
    final = _Work("", list(inline))
    spoken = _RESERVED.sub(final._unpark_padded, current)
    return " ".join(spoken.split()), fired


def _has_words(text: str) -> bool:
    return any(c.isalnum() or _RESERVED.match(c) for c in text)


def _run(work: _Work, lexicon: Lexicon) -> None:
    work.text = _prepare(work.text)
    _urls(work, lexicon)
    work.text = work.text.replace("_", " ")  # snake_case reads as words; URLs are done
    _lexicon_words(work, lexicon)
    _abbreviations(work)
    _dates_and_times(work)
    _money(work)
    _numbers(work)
    _symbols(work)
    _words(work, lexicon)


# ---------------------------------------------------------------------------------------
# Number words
# ---------------------------------------------------------------------------------------

_DIGITS: Final = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_BIGGEST: Final = 10**15  # beyond this, a number is read digit by digit


def _clean(words: str) -> str:
    """num2words speaks British ("one hundred and five", commas): say it the American way."""
    words = words.replace(",", " ").replace(" and ", " ")
    return " ".join(words.split())


def _digits(s: str) -> str:
    return " ".join(_DIGITS[int(c)] for c in s if c.isdecimal())


def _cardinal(n: int) -> str:
    if abs(n) >= _BIGGEST:
        return ("minus " if n < 0 else "") + _digits(str(abs(n)))
    return _clean(num2words(n))


def _ordinal(n: int) -> str:
    if n >= _BIGGEST:
        return "number " + _digits(str(n))
    return _clean(num2words(n, to="ordinal"))


def _year(n: int) -> str:
    if 2000 <= n <= 2009 or not 1000 <= n <= 2099 or n % 1000 == 0:
        return _cardinal(n)
    return _clean(num2words(n, to="year"))


def _number(s: str) -> str:
    """A written number (may hold thousands commas, a decimal point) -> words."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if frac:
        head = _cardinal(int(whole)) if whole else ""
        return f"{head} point {_digits(frac)}".strip()
    if len(whole) > 1 and whole.startswith("0"):
        return _digits(whole)  # "007", "05": a code, not a quantity
    return _cardinal(int(whole))


def _plural(words: str) -> str:
    """ "nineteen ninety" -> "nineteen nineties", "one hundred" -> "hundreds"."""
    if words.startswith("one ") and words.endswith(("hundred", "thousand", "million", "billion")):
        words = words[4:]
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x"):
        return words + "es"
    return words + "s"


def _is_one(s: str) -> bool:
    return s.lstrip("+-") in ("1",)


# A written number: 1,234,567.89 / 3.14 / .5 / 42
_NUM: Final = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+"

# ---------------------------------------------------------------------------------------
# Step 1: Unicode and typography
# ---------------------------------------------------------------------------------------

_CITATION: Final = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_SUPERSCRIPT: Final = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPER_RUN: Final = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")

_BEFORE_NFKC: Final = {
    "™": " ", "®": " ", "©": " ", "℠": " ",
    "…": "...", "⋯": "...",
    "\u2212": "-",  # minus sign
    "‐": "-", "‑": "-", "‒": "–", "―": "—",
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"',
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "″": '"', "`": "'", "´": "'",
    "⁄": "/", "∕": "/",
    "µ": "μ",
}
_BEFORE_NFKC_RE: Final = re.compile("|".join(map(re.escape, _BEFORE_NFKC)))


def _prepare(text: str) -> str:
    """Typography to plain characters, so the rules see one spelling of each thing."""
    text = _CITATION.sub("", text)  # "[12]", "[3, 4]": reference markers are not read
    text = _SUPER_RUN.sub(lambda m: "^" + m.group(0).translate(_SUPERSCRIPT) + " ", text)
    text = _BEFORE_NFKC_RE.sub(lambda m: _BEFORE_NFKC[m.group(0)], text)
    text = unicodedata.normalize("NFKC", text)
    text = _BEFORE_NFKC_RE.sub(lambda m: _BEFORE_NFKC[m.group(0)], text)  # NFKC can make some
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f" or cat in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif cat in ("Cc", "Cf", "Cn", "Cs") or (cat == "Co" and not _RESERVED.match(ch)):
            continue
        elif ch.isdecimal() and not ch.isascii():
            out.append(str(unicodedata.decimal(ch)))
        elif cat in ("No", "Nl") and unicodedata.numeric(ch, None) is not None:
            out.append(f" {_numeric_char(ch)} ")
        else:
            out.append(ch)
    return "".join(out)


def _numeric_char(ch: str) -> str:
    value = unicodedata.numeric(ch)
    if value == int(value):
        return _cardinal(int(value))
    return _number(f"{value:.4f}".rstrip("0"))


# ---------------------------------------------------------------------------------------
# Step 2: URLs and e-mail addresses
# ---------------------------------------------------------------------------------------

_TLD: Final = (r"com|org|net|edu|gov|io|ai|co|uk|de|fr|jp|cn|eu|us|ca|au|in|ch|nl|se|it|es|"
               r"info|dev|app|me|tv|xyz|ly|sh|gg|fm|so|to|tech|science|page")
_URL: Final = re.compile(
    r"(?<![\w@./])(?:(?:https?|ftp)://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"
    r"|(?<![\w@./-])(?:[a-zA-Z0-9-]+\.)+(?:" + _TLD + r")(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?"
    r"(?![\w@-])"
)
_EMAIL: Final = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z]{2,}(?![\w])")
_URL_SEPARATORS: Final = {".": "dot", "/": "slash", "-": "dash", "_": "underscore",
                          ":": "colon", "@": "at", "?": "question mark", "=": "equals",
                          "&": "and", "#": "hash", "~": "tilde", "%": "percent", "+": "plus"}
_SPELLED_TLDS: Final = {"io", "ai", "uk", "de", "fr", "jp", "cn", "eu", "us", "ca", "au",
                        "ch", "nl", "se", "tv", "fm", "gg", "ly", "sh"}
_VOWELS: Final = set("aeiouyAEIOUY")


def _urls(work: _Work, lexicon: Lexicon) -> None:
    work.sub(_EMAIL, lambda m: _say_address(m.group(0), lexicon), "rule:email")
    work.sub(_URL, lambda m: _say_address(m.group(0), lexicon), "rule:url")


def _say_address(address: str, lexicon: Lexicon) -> str:
    """Read an address as a person would: scheme and "www." dropped, separators named."""
    address = re.sub(r"^(?:https?|ftp)://", "", address, flags=re.I)
    address = re.sub(r"^www\.", "", address, flags=re.I).rstrip("/")
    words = []
    for part in re.split(r"([./\-_:@?=&#~%+])", address):
        if not part:
            continue
        if part in _URL_SEPARATORS:
            words.append(_URL_SEPARATORS[part])
        elif entry := lexicon.lookup(part):
            words.append(entry.spoken)
        elif part.lower() in _SPELLED_TLDS and words and words[-1] == "dot":
            words.append(_spell(part.upper()))
        else:
            for piece in re.findall(r"\d+|[^\W\d_]+", part):
                if piece.isdecimal():
                    words.append(_digits(piece) if len(piece) > 2 else _cardinal(int(piece)))
                elif not _VOWELS.intersection(piece) and len(piece) <= 5:
                    words.append(_spell(piece.upper()))
                else:
                    words.append(_respoken(piece.lower(), lexicon))
    return " ".join(words)


# ---------------------------------------------------------------------------------------
# Step 3: lexicon entries
# ---------------------------------------------------------------------------------------

def _lexicon_words(work: _Work, lexicon: Lexicon) -> None:
    for case_sensitive in (True, False):
        keys = sorted((e.written for e in lexicon.entries if e.case_sensitive == case_sensitive),
                      key=len, reverse=True)
        if not keys:
            continue
        pattern = _lexicon_pattern(tuple(keys), case_sensitive)

        def repl(m: re.Match) -> str | None:
            entry = lexicon.lookup(m.group("key"))
            if entry is None:
                return None
            if m.group("plural"):
                if not entry.written[-1:].isupper():
                    return None  # "Erniss" is not the plural of "Ernis"
                last = entry.spoken.split()[-1].split("-")[-1]
                suffix = "'s" if len(last) == 1 and last.isupper() else "s"
                work.fire(f"lexicon:{entry.written}")
                return entry.spoken + suffix
            work.fire(f"lexicon:{entry.written}")
            return entry.spoken

        work.sub(pattern, repl)


@lru_cache(maxsize=16)
def _lexicon_pattern(keys: tuple[str, ...], case_sensitive: bool) -> re.Pattern:
    alternation = "|".join(map(re.escape, keys))
    # A digit may touch a key where a letter meets it: "Qwen2.5" holds "Qwen".
    start = r"(?<![^\W\d])(?!(?<=\d)\d)"
    end = r"(?![^\W\d])(?!(?<=\d)\d)"
    return re.compile(rf"{start}(?P<key>{alternation})(?P<plural>s)?{end}",
                      0 if case_sensitive else re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Step 4: abbreviations
# ---------------------------------------------------------------------------------------

# written (regex, case-sensitive) -> spoken. The final period is part of the abbreviation;
# where it also ends the sentence, a period is put back.
_ABBREVIATIONS: Final = [
    (r"e\.\s?g\.?", "for example"),
    (r"i\.\s?e\.?", "that is"),
    (r"[Vv]s\.?", "versus"),
    (r"et al\.?", "et al"),
    (r"[Ee]tc\.", "et cetera"),
    (r"[Cc]f\.", "compare"),
    (r"a\.k\.a\.?", "also known as"),
    (r"w\.r\.t\.?", "with respect to"),
    (r"[Aa]pprox\.", "approximately"),
    (r"resp\.", "respectively"),
    (r"incl\.", "including"),
    (r"esp\.", "especially"),
    (r"viz\.", "namely"),
    (r"Dr\.", "Doctor"),
    (r"Drs\.", "Doctors"),
    (r"Prof\.", "Professor"),
    (r"Mr\.", "Mister"),
    (r"Mrs\.", "Missus"),
    (r"Ms\.", "Miz"),
    (r"Jr\.", "Junior"),
    (r"Sr\.", "Senior"),
    (r"Mt\.", "Mount"),
    (r"Figs\.", "Figures"),
    (r"Fig\.", "Figure"),
    (r"Eqs\.", "Equations"),
    (r"Eqn?\.", "Equation"),
    (r"Secs?\.", "Section"),
    (r"Tab\.", "Table"),
    (r"Ch\.", "Chapter"),
    (r"Vol\.", "Volume"),
    (r"Inc\.", "Inc"),
    (r"Corp\.", "Corp"),
    (r"Ltd\.", "Limited"),
    (r"Ph\.\s?D\.?", "P-H-D"),
    (r"[Nn]o\.(?=\s?\d)", "number"),
    (r"pp\.(?=\s?\d)", "pages"),
    (r"p\.(?=\s?\d)", "page"),
    (r"ca?\.(?=\s?\d)", "circa"),
    (r"w/o", "without"),
    (r"w/(?=\s)", "with"),
]
_ABBREVIATION_RE: Final = re.compile(
    r"(?<![^\W\d])(?:" + "|".join(f"(?P<a{i}>{p})" for i, (p, _) in enumerate(_ABBREVIATIONS))
    + r")(?P<end>(?=[\"')\]]*\s*$))?" + rf"(?![\w{_P}])"
)
_DOTTED_INITIALS: Final = re.compile(r"(?<![^\W\d])((?:[A-Za-z]\.){2,}|(?:[A-Z]\.)+[A-Z](?![\w.]))(?P<end>(?=[\"')\]]*\s*$))?")
_INITIAL: Final = re.compile(r"(?<![^\W\d_])([A-Z])\.\s*(?=[A-Za-z])")


def _abbreviations(work: _Work) -> None:
    def named(m: re.Match) -> str:
        for i, (_, spoken) in enumerate(_ABBREVIATIONS):
            if m.group(f"a{i}") is not None:
                return spoken + ("." if m.group("end") is not None else "")
        return m.group(0)

    work.sub(_ABBREVIATION_RE, named, "rule:abbreviation")

    def dotted(m: re.Match) -> str:
        letters = m.group(1).replace(".", "")
        if letters.lower() in ("am", "pm"):
            letters = letters.upper()
        return _spell(letters.upper()) + ("." if m.group("end") is not None else "")

    work.sub(_DOTTED_INITIALS, dotted, "rule:abbreviation")


# ---------------------------------------------------------------------------------------
# Step 5: dates and times
# ---------------------------------------------------------------------------------------

_MONTHS: Final = ["January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"]
_MONTH_BY_PREFIX: Final = {m[:3]: m for m in _MONTHS} | {"Sept": "September"}
_MONTH: Final = (r"(?P<month>January|February|March|April|May|June|July|August|September|"
                 r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)")
_DAY: Final = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR: Final = r"(?P<year>\d{4})"
_MONTH_DAY: Final = re.compile(
    rf"(?<![\w{_P}]){_MONTH}\.?\s+{_DAY}(?:,?\s+{_YEAR})?(?![\w{_P}:.,]\d|[\w{_P}])")
_DAY_MONTH: Final = re.compile(
    rf"(?<![\w{_P}.,]){_DAY}\s+(?:of\s+)?{_MONTH}\.?(?:,?\s+{_YEAR})?(?![\w{_P}])")
_MONTH_YEAR: Final = re.compile(rf"(?<![\w{_P}]){_MONTH}\.?,?\s+{_YEAR}(?![\w{_P}]|[.,]\d)")
_ISO_DATE: Final = re.compile(r"(?<![\w.-])(\d{4})-(\d{2})-(\d{2})(?![\w-]|\.\d)")
_US_DATE: Final = re.compile(r"(?<![\w./-])(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?![\w/]|\.\d)")

# The final period of "p.m." stays where it also ends the sentence.
_AMPM: Final = (r"(?:\s?(?P<ampm>[ap])\.?m\b(?:\.(?!\s*$))?"
                r"|\s?(?P<AMPM>[AP])\.?M\b(?:\.(?!\s*$))?)")
_CLOCK: Final = re.compile(
    r"(?<![\w:.,])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?" + f"(?:{_AMPM})?" + r"(?![\w:]|\.\d)")
_HOUR_AMPM: Final = re.compile(r"(?<![\w:.,])(?P<h>\d{1,2})" + _AMPM + r"(?![\w])")
_RATIO: Final = re.compile(r"(?<![\w:.])(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)(?![\w:]|\.\d)")


def _month(name: str) -> str:
    return _MONTH_BY_PREFIX.get(name, name) if len(name) <= 4 else name


def _dates_and_times(work: _Work) -> None:
    def iso(m: re.Match) -> str | None:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return f"{_MONTHS[month - 1]} {_ordinal(day)}, {_year(year)}"

    def us(m: re.Match) -> str | None:
        month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        year_words = _year(int(year)) if len(year) == 4 else _number(year)
        return f"{_MONTHS[month - 1]} {_ordinal(day)}, {year_words}"

    def month_day(m: re.Match) -> str | None:
        day = int(m.group("day"))
        if not 1 <= day <= 31:
            return None
        out = f"{_month(m.group('month'))} {_ordinal(day)}"
        return out + (f", {_year(int(m.group('year')))}" if m.group("year") else "")

    def day_month(m: re.Match) -> str | None:
        day = int(m.group("day"))
        if not 1 <= day <= 31:
            return None
        out = f"the {_ordinal(day)} of {_month(m.group('month'))}"
        return out + (f", {_year(int(m.group('year')))}" if m.group("year") else "")

    def month_year(m: re.Match) -> str:
        return f"{_month(m.group('month'))} {_year(int(m.group('year')))}"

    work.sub(_ISO_DATE, iso, "rule:date")
    work.sub(_US_DATE, us, "rule:date")
    work.sub(_MONTH_DAY, month_day, "rule:date")
    work.sub(_DAY_MONTH, day_month, "rule:date")
    work.sub(_MONTH_YEAR, month_year, "rule:date")

    def clock(m: re.Match) -> str | None:
        h, mins = int(m.group("h")), int(m.group("m"))
        ampm = (m.group("ampm") or m.group("AMPM") or "").upper()
        if h > 24 or mins > 59 or (m.group("s") and int(m.group("s")) > 59):
            return None
        if mins == 0:
            out = _cardinal(h) + ("" if ampm else (" o'clock" if h <= 12 else " hundred"))
        elif mins < 10:
            out = f"{_cardinal(h)} oh {_cardinal(mins)}"
        else:
            out = f"{_cardinal(h)} {_cardinal(mins)}"
        if m.group("s"):
            out += f" and {_cardinal(int(m.group('s')))} seconds"
        return out + (f" {_spell(ampm + 'M')}" if ampm else "")

    def hour(m: re.Match) -> str | None:
        h = int(m.group("h"))
        if not 1 <= h <= 12:
            return None
        ampm = (m.group("ampm") or m.group("AMPM")).upper()
        return f"{_cardinal(h)} {_spell(ampm + 'M')}"

    work.sub(_CLOCK, clock, "rule:time")
    work.sub(_HOUR_AMPM, hour, "rule:time")
    work.sub(_RATIO, lambda m: f"{_number(m.group(1))} to {_number(m.group(2))}", "rule:ratio")


# ---------------------------------------------------------------------------------------
# Step 6: money
# ---------------------------------------------------------------------------------------

_CURRENCIES: Final = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", None, None),
    "₹": ("rupee", "rupees", None, None),
    "₩": ("won", "won", None, None),
    "₽": ("ruble", "rubles", None, None),
    "₿": ("bitcoin", "bitcoin", None, None),
}
_SCALES: Final = {"k": "thousand", "K": "thousand", "thousand": "thousand",
                  "m": "million", "M": "million", "mn": "million", "MM": "million",
                  "million": "million",
                  "b": "billion", "B": "billion", "bn": "billion", "billion": "billion",
                  "t": "trillion", "T": "trillion", "tn": "trillion", "trillion": "trillion"}
_SCALE: Final = r"(?:\s?(?P<scale>thousand|million|billion|trillion)|(?P<short>[kKmMbBtT]|mn|MM|bn|tn))"
_MONEY_BEFORE: Final = re.compile(
    r"(?<![\w" + _P + r"])(?P<sign>-)?(?P<cur>US\$|[$€£¥₹₩₽₿])\s?(?P<num>" + _NUM + ")"
    + f"(?:{_SCALE})?" + r"(?![\w])")
_MONEY_AFTER: Final = re.compile(
    r"(?<![\w" + _P + r".,])(?P<sign>-)?(?P<num>" + _NUM + r")" + f"(?:{_SCALE})?"
    + r"\s?(?P<cur>[€£¥₹₩₽₿])(?![\w])")


def _money(work: _Work) -> None:
    def say(m: re.Match) -> str:
        one, many, sub_one, sub_many = _CURRENCIES[m.group("cur")]
        if _after_article(work.text, m.start()):  # "a $10k prize": a ten thousand dollar prize
            many = one
        num = m.group("num")
        scale = m.group("scale") or _SCALES.get(m.group("short") or "", "")
        sign = "minus " if m.group("sign") else ""
        if scale:
            return f"{sign}{_number(num)} {scale} {many}"
        whole, _, cents = num.replace(",", "").partition(".")
        if len(cents) == 2 and sub_one:
            c = int(cents)
            cents_words = f"{_cardinal(c)} {sub_one if c == 1 else sub_many}"
            if not whole or int(whole) == 0:
                return sign + cents_words
            w = int(whole)
            return f"{sign}{_cardinal(w)} {one if w == 1 else many} and {cents_words}"
        return f"{sign}{_number(num)} {one if _is_one(num) else many}"

    work.sub(_MONEY_BEFORE, say, "rule:money")
    work.sub(_MONEY_AFTER, say, "rule:money")


# ---------------------------------------------------------------------------------------
# Step 7: numbers with what sticks to them
# ---------------------------------------------------------------------------------------

# unit -> (singular, plural). Matched case-sensitively right after a number.
_UNITS: Final = {
    "ns": ("nanosecond", "nanoseconds"), "μs": ("microsecond", "microseconds"),
    "us": ("microsecond", "microseconds"), "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"), "PB": ("petabyte", "petabytes"),
    "KiB": ("kibibyte", "kibibytes"), "MiB": ("mebibyte", "mebibytes"),
    "GiB": ("gibibyte", "gibibytes"), "TiB": ("tebibyte", "tebibytes"),
    "Kb": ("kilobit", "kilobits"), "Mb": ("megabit", "megabits"), "Gb": ("gigabit", "gigabits"),
    "bps": ("bit per second", "bits per second"), "kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "FLOPs": ("flop", "flops"), "FLOPS": ("flop", "flops"), "GFLOPS": ("gigaflop", "gigaflops"),
    "TFLOPS": ("teraflop", "teraflops"), "TFLOPs": ("teraflop", "teraflops"),
    "PFLOPS": ("petaflop", "petaflops"), "PFLOPs": ("petaflop", "petaflops"),
    "TFLOP": ("teraflop", "teraflops"), "PFLOP": ("petaflop", "petaflops"),
    "GFLOP": ("gigaflop", "gigaflops"),
    "fps": ("frame per second", "frames per second"), "dB": ("decibel", "decibels"),
    "dBFS": ("decibel full scale", "decibels full scale"), "LUFS": ("L-U-F-S", "L-U-F-S"),
    "LU": ("L-U", "L-U"), "dBTP": ("decibel true peak", "decibels true peak"),
    "px": ("pixel", "pixels"), "pt": ("point", "points"),
    "nm": ("nanometer", "nanometers"), "μm": ("micrometer", "micrometers"),
    "mm": ("millimeter", "millimeters"), "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"), "km": ("kilometer", "kilometers"),
    "mg": ("milligram", "milligrams"), "μg": ("microgram", "micrograms"), "g": ("gram", "grams"),
    "kg": ("kilogram", "kilograms"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"), "mL": ("milliliter", "milliliters"), "ml": ("milliliter", "milliliters"),
    "L": ("liter", "liters"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "GW": ("gigawatt", "gigawatts"), "Wh": ("watt hour", "watt hours"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "MWh": ("megawatt hour", "megawatt hours"),
    "GWh": ("gigawatt hour", "gigawatt hours"),
    "V": ("volt", "volts"), "mV": ("millivolt", "millivolts"), "kV": ("kilovolt", "kilovolts"),
    "mA": ("milliamp", "milliamps"), "Pa": ("pascal", "pascals"), "kPa": ("kilopascal", "kilopascals"),
    "MPa": ("megapascal", "megapascals"), "GPa": ("gigapascal", "gigapascals"),
    "mol": ("mole", "moles"), "mM": ("millimolar", "millimolar"), "μM": ("micromolar", "micromolar"),
    "nM": ("nanomolar", "nanomolar"), "ppm": ("part per million", "parts per million"),
    "ppb": ("part per billion", "parts per billion"), "mph": ("mile per hour", "miles per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "kcal": ("kilocalorie", "kilocalories"), "cal": ("calorie", "calories"),
    "kJ": ("kilojoule", "kilojoules"), "J": ("joule", "joules"),
    "Ω": ("ohm", "ohms"), "kΩ": ("kilohm", "kilohms"),
    "°C": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"), "K": None, "Å": ("angstrom", "angstroms"),
    "mmHg": ("millimeter of mercury", "millimeters of mercury"),  # "300K" is three hundred thousand, see _SCALES
    "mi": ("mile", "miles"), "ft": ("foot", "feet"), "yd": ("yard", "yards"),
}
_PER: Final = {"s": "second", "sec": "second", "ms": "millisecond", "min": "minute",
               "h": "hour", "hr": "hour", "day": "day", "d": "day", "yr": "year", "GPU": "G-P-U",
               "token": "token", "step": "step", "iter": "iteration", "epoch": "epoch",
               "m": "meter", "km": "kilometer", "kg": "kilogram", "L": "liter", "mL": "milliliter",
               "W": "watt", "kWh": "kilowatt hour", "person": "person", "user": "user",
               "month": "month", "year": "year", "week": "week", "hour": "hour",
               "second": "second", "query": "query", "sample": "sample", "image": "image",
               "m²": "square meter"}
_UNIT_ALT: Final = "|".join(sorted((re.escape(u) for u, v in _UNITS.items() if v), key=len, reverse=True))
_PER_ALT: Final = "|".join(sorted(map(re.escape, _PER), key=len, reverse=True))

_SIGN: Final = r"(?<![\w" + _P + r".,)\]/])(?P<sign>[-+±])?"
_QUANTITY_START: Final = r"(?<![\w" + _P + r".,])"

_SCIENTIFIC: Final = re.compile(_QUANTITY_START + r"(?P<m>\d+(?:\.\d+)?)[eE](?P<e>[-+]?\d+)(?!\w|\.\d)")
_POWER: Final = re.compile(r"\^\s?(?P<e>-?\+?\d+(?:\.\d+)?|[^\W\d_]\w*)")
_RANGE: Final = re.compile(
    r"(?<![\w" + _P + r".,:/-])(?P<a>" + _NUM + r")(?P<suffix>%|[xX×]|[KMBT]\b)?"
    r"(?:\s?[–—]\s?|-)(?=\d)")
_PERCENT: Final = re.compile(_SIGN + r"(?P<num>" + _NUM + r")\s?(?P<unit>%|‰)")
_DIMENSIONS: Final = re.compile(rf"(?<=\d)\s?[xX×]\s?(?=\d)(?!10[{_P}])")  # not "3×10⁸"
_TIMES: Final = re.compile(_QUANTITY_START + r"(?P<num>" + _NUM + r")\s?[xX×](?![\w" + _P + r"])")
_SCALED: Final = re.compile(
    _SIGN + r"(?P<num>" + _NUM + r")(?P<short>[KMBT]|[kb]|bn|mn|tn)(?![\w" + _P + r"])")
_UNIT: Final = re.compile(
    _SIGN + r"(?P<num>" + _NUM + r")(?P<space>\s?)(?P<unit>" + _UNIT_ALT + r")"
    r"(?:/(?P<per>" + _PER_ALT + r"))?(?![\w" + _P + r"°])")
# A unit after a number that another rule already read: "120/80 mmHg", "3×10⁸ m/s".
_UNIT_AFTER_PARKED: Final = re.compile(
    rf"(?<=[{_P}])\s*(?P<unit>{_UNIT_ALT})(?:/(?P<per>{_PER_ALT}))?(?![\w{_P}°])")
_AMBIGUOUS_UNITS: Final = {"us", "min", "mi", "pt", "ft", "yd", "cal", "mol", "px", "LU"}
_WORD_PER: Final = re.compile(r"(?<![\w" + _P + r"/])(?P<word>[^\W\d_]{2,})/(?P<per>" + _PER_ALT
                              + r")(?![\w" + _P + r"/])")
_ORDINAL: Final = re.compile(_QUANTITY_START + r"(?P<num>\d+)(?:st|nd|rd|th)(?![\w" + _P + r"])")
_DECADE: Final = re.compile(r"(?<![\w" + _P + r".,])(?P<apos>')?(?P<num>\d*0)'?s(?![\w" + _P + r"])")
_VERSION: Final = re.compile(r"(?<![\w" + _P + r"])[vV](?P<num>\d+(?:\.\d+)*)(?![\w" + _P + r"]|\.\d)")
_FRACTION: Final = re.compile(_QUANTITY_START + r"(?P<a>\d+)/(?P<b>\d+)(?![\w" + _P + r"/]|\.\d)")
_MULTI_DOT: Final = re.compile(_QUANTITY_START + r"\d+(?:\.\d+){2,}(?![\w" + _P + r"])")
_GLUE_LETTER_DIGIT: Final = re.compile(rf"(?<=[^\W\d_]|[{_P}])(?=\d)")
_GLUE_DIGIT_LETTER: Final = re.compile(rf"(?<=\d)(?=[^\W\d_]|[{_P}])")
_HYPHEN_NEAR_DIGIT: Final = re.compile(
    rf"(?<=[\w{_P}])-(?=\d)|(?<=\d)-(?=[\w{_P}])|(?<=[{_P}])-(?=[\w{_P}])|(?<=\w)-(?=[{_P}])")
_LETTER_NUMBER: Final = re.compile(
    rf"(?<![\w{_P}-])(?P<l>[A-Z])-?(?P<num>\d+(?:\.\d+)?)(?![\w{_P}]|\.\d)")
_CODE_LETTERS: Final = re.compile(rf"(?<![\w{_P}])[b-df-hj-np-tv-xz]{{2,4}}(?=\d)")
_PLAIN: Final = re.compile(r"(?<![\w" + _P + r"])(?P<sign>[-+±])?(?P<num>" + _NUM + r")")
_ANY_DIGITS: Final = re.compile(r"\d+")

_AFTER_SPACED_UNIT: Final = (r"\s(?:and|or|of|per|to|in|on|at|for|with|from|each|later|ago|after|"
                             r"before|long|apart|earlier)\b")
_DECADE_CUES: Final = {"the", "her", "his", "their", "my", "your", "our", "its", "early",
                       "late", "mid", "in", "of"}
_FRACTION_NAMES: Final = {2: ("half", "halves"), 3: ("third", "thirds"), 4: ("quarter", "quarters")}
_COUNT_CUES: Final = {"over", "nearly", "than", "approximately", "roughly", "exactly", "almost",
                      "under", "total", "only", "just", "some", "about", "least", "most"}
_STRONG_YEAR_CUES: Final = {"in", "since", "until", "till", "year", "during", "circa"} | {
    m.lower() for m in _MONTHS}
_POWERS_OF_TWO: Final = {1024, 1536, 2048}
_NOT_PLURAL: Final = {"was", "has", "does", "this", "its", "his", "yes", "thus", "plus", "always",
                      "perhaps", "sometimes", "across", "whereas", "towards", "afterwards"}


def _signed(m: re.Match, words: str) -> str:
    sign = m.groupdict().get("sign")
    return {"-": "minus ", "+": "plus ", "±": "plus or minus "}.get(sign or "", "") + words


def _numbers(work: _Work) -> None:

    def scientific(m: re.Match) -> str:
        e = m.group("e")
        exp = ("minus " if e.startswith("-") else "") + _cardinal(int(e.lstrip("+-")))
        return f"{_number(m.group('m'))} e {exp}"

    work.sub(_SCIENTIFIC, scientific, "rule:number")

    def power(m: re.Match) -> str:
        e = m.group("e")
        if re.fullmatch(r"-?\+?\d+", e):
            n = int(e.replace("+", ""))
            if n == 2:
                return " squared "
            if n == 3:
                return " cubed "
            if n < 0:
                return f" to the minus {_cardinal(-n)} "
            return f" to the {_ordinal(n)} "
        if re.fullmatch(r"-?\d+\.\d+", e):
            return f" to the power of {_signed_number(e)} "
        return f" to the {e} "

    work.sub(_POWER, power, "rule:power")

    def range_(m: re.Match) -> str:
        between = re.search(r"\bbetween\s*$", work.text[:m.start()], re.IGNORECASE)
        return f"{m.group('a')}{m.group('suffix') or ''} {'and' if between else 'to'} "

    work.sub(_RANGE, range_, "rule:range", park=False)

    def percent(m: re.Match) -> str:
        unit = "percent" if m.group("unit") == "%" else "per mille"
        return _signed(m, f"{_number(m.group('num'))} {unit}")

    work.sub(_PERCENT, percent, "rule:percent")
    work.sub(_DIMENSIONS, lambda m: " by ", "rule:dimensions", park=False)
    work.sub(_TIMES, lambda m: f"{_number(m.group('num'))} times", "rule:multiplier")

    def decade(m: re.Match) -> str | None:
        num = m.group("num")
        if len(num) == 2 and not m.group("apos"):
            # "in her 30s" is an age, "after 30s" is thirty seconds
            prev = re.search(r"(\w+)\W*$", work.text[:m.start()])
            if not (prev and prev.group(1).lower() in _DECADE_CUES):
                return None
        if m.group("apos") or len(num) == 2:
            return _plural(_cardinal(int(num[-2:]))) if num[-2:] != "00" else "hundreds"
        n = int(num)
        if len(num) == 4 and 1000 <= n <= 2090:
            return _plural(_year(n))
        return _plural(_cardinal(n))

    work.sub(_DECADE, decade, "rule:decade")

    def scaled(m: re.Match) -> str:
        return _signed(m, f"{_number(m.group('num'))} {_SCALES[m.group('short')]}")

    work.sub(_SCALED, scaled, "rule:parameter-count")

    def unit(m: re.Match) -> str | None:
        u = m.group("unit")
        if u in ("s", "m", "h", "L", "W", "V", "J", "g", "pt") and m.group("space") and not m.group("per"):
            # "5 s", "3 m": only when nothing else could be meant, i.e. at the end of a clause
            rest = work.text[m.end():]
            if re.match(r"\s*[\w" + _P + "]", rest) and not re.match(_AFTER_SPACED_UNIT, rest):
                return None
        singular, plural = _UNITS[u]
        one = _is_one(m.group("num")) or _after_article(work.text, m.start())
        words = f"{_number(m.group('num'))} {singular if one else plural}"
        if m.group("per"):
            words += f" per {_PER[m.group('per')]}"
        return _signed(m, words)

    work.sub(_UNIT, unit, "rule:unit")
    work.sub(_WORD_PER, lambda m: f"{m.group('word')} per {_PER[m.group('per')]}", "rule:unit",
             park=False)
    work.sub(_ORDINAL, lambda m: _ordinal(int(m.group("num"))), "rule:ordinal")

    work.sub(_VERSION, lambda m: "version " + _point_joined(m.group("num")), "rule:version")

    def fraction(m: re.Match) -> str:
        a, b = int(m.group("a")), int(m.group("b"))
        if a == b or (a, b) == (24, 7):
            return f"{_cardinal(a)} {_cardinal(b)}"
        if 0 < a < b and b in _FRACTION_NAMES:
            one, many = _FRACTION_NAMES[b]
            return f"{_cardinal(a)} {one if a == 1 else many}"
        return f"{_cardinal(a)} {'out of' if a < b else 'over'} {_cardinal(b)}"

    work.sub(_FRACTION, fraction, "rule:fraction")

    def unit_after(m: re.Match) -> str | None:
        u = m.group("unit")
        if not m.group("per") and (len(u) < 2 or u in _AMBIGUOUS_UNITS):
            return None
        words = _UNITS[u][1]
        return words + (f" per {_PER[m.group('per')]}" if m.group("per") else "")

    work.sub(_UNIT_AFTER_PARKED, unit_after, "rule:unit")
    work.sub(_MULTI_DOT, lambda m: _point_joined(m.group(0)), "rule:number")

    # Model and chip names: "A100" -> "A-one hundred" (a lone "A" would be the article),
    # "mp3" -> "M-P three", "Qwen2.5-Math-7B" -> "Qwen 2.5 Math 7B" (the 7B was parked above).
    work.sub(_LETTER_NUMBER, lambda m: f"{m.group('l')}-{_number(m.group('num'))}", "rule:number")
    work.sub(_CODE_LETTERS, lambda m: _spell(m.group(0).upper()), "rule:acronym", park=False)
    work.text = _GLUE_LETTER_DIGIT.sub(" ", work.text)
    work.text = _GLUE_DIGIT_LETTER.sub(" ", work.text)
    work.text = _HYPHEN_NEAR_DIGIT.sub(" ", work.text)

    def plain(m: re.Match) -> str:
        num = m.group("num")
        if "," not in num and "." not in num and _looks_like_year(work.text, m):
            work.fire("rule:year")
            return _signed(m, _year(int(num)))
        return _signed(m, _number(num))

    work.sub(_PLAIN, plain, "rule:number")
    work.sub(_ANY_DIGITS, lambda m: _number(m.group(0)), "rule:number")


def _after_article(text: str, start: int) -> bool:
    """ "a 16GB card": a quantity used as an adjective takes the singular unit."""
    return bool(re.search(r"(?<![\w'])(?:a|an|A|An)\s+$", text[:start]))


def _signed_number(s: str) -> str:
    return ("minus " if s.startswith("-") else "") + _number(s.lstrip("-"))


def _point_joined(s: str) -> str:
    return " point ".join(_number(part) if part else "" for part in s.split("."))


def _is_plural(word: str) -> bool:
    return word not in _NOT_PLURAL and not word.endswith(("ss", "us", "is"))


def _looks_like_year(text: str, m: re.Match) -> bool:
    """1100-2099 said as a year ("twenty twenty-four") unless it looks like a count."""
    num = m.group("num")
    if len(num) != 4 or m.group("sign") or not 1100 <= int(num) <= 2099:
        return False
    prev = re.search(rf"([\w{_P}]+)\W*$", text[:m.start()])
    prev_word = prev.group(1).lower() if prev else ""
    following = re.match(r"\s*([a-z]{3,}s)\b", text[m.end():])
    if prev_word in _COUNT_CUES or (following and _is_plural(following.group(1))):
        return False  # "over 2000 samples", "2048 tokens"
    if int(num) in _POWERS_OF_TWO:  # "a 2048-dimensional embedding", unless "in 2048"
        return prev_word in _STRONG_YEAR_CUES
    return True


# ---------------------------------------------------------------------------------------
# Step 8: symbols
# ---------------------------------------------------------------------------------------

_SYMBOLS: Final = [
    # (pattern, spoken); applied in order, outputs are plain lowercase words
    # "O(n log n)", "f(x)", "p(y|x)": a one-letter function and its argument
    (r"(?<![\w" + _P + r"])O\(([^()]*)\)", r" big O of \1 "),
    (r"(?<![\w" + _P + r"])([A-Za-z])\(([^()|]{1,40})\|([^()|]{1,40})\)", r" \1 of \2 given \3 "),
    (r"(?<![\w" + _P + r"])([A-Za-z])\(([^()]{1,40})\)", r" \1 of \2 "),
    (r"\s*(?:<->|↔|⟷|⇔)\s*", " to and from "),
    (r"\s*(?:->|→|⟶|=>|⇒|⟹)\s*", " to "),
    (r"\s*(?:<-|←|⟵)\s*", " from "),
    (r"\s*(?:<=|≤|⩽)\s*", " at most "),
    (r"\s*(?:>=|≥|⩾)\s*", " at least "),
    (r"\s*(?:!=|≠)\s*", " is not equal to "),
    (r"\s*(?:==|=)\s*", " equals "),
    (r"\s*≈\s*", " approximately "),
    (r"\s*~\s*(?=[\w" + _P + r"])", " about "),
    (r"\s*±\s*", " plus or minus "),
    (r"(?<=[\w" + _P + r"])\s*&\s*(?=[\w" + _P + r"])|\s+&\s+", " and "),
    (r"\s+<\s+|\s*<\s*(?=[" + _P + r"])", " less than "),
    (r"\s+>\s+|\s*>\s*(?=[" + _P + r"])", " more than "),
    (r"(?<=[\w" + _P + r"])\s*\+\s*(?=[\w" + _P + r"])", " plus "),
    (r"(?<![\w" + _P + r"])\+(?=[" + _P + r"])", " plus "),
    (r"(?<=[" + _P + r"])\+(?![\w" + _P + r"])", " plus "),
    (r"(?<=[" + _P + r"])\s*\*\s*(?=[" + _P + r"])|\s+\*\s+", " times "),
    (r"\s*×\s*", " times "),
    (r"\s*÷\s*", " divided by "),
    (r"√\s*", " square root of "),
    (r"∞", " infinity "),
    (r"\s*∈\s*", " in "),
    (r"\s*∝\s*", " proportional to "),
    (r"\s*°", " degrees "),
    (r"§\s*", " section "),
    (r"#(?=\s?[" + _P + r"])", " number "),
    (r"(?<![\w" + _P + r"])#(?=[^\W\d_])", " hashtag "),
    (r"(?<![\w" + _P + r"])@(?=\w)", " at "),
    (r"\s@\s", " at "),
    (r"%", " percent "),
    (r"‰", " per mille "),
    (r"(?<=[a-z])/(?=[a-z])", " or "),
    (r"/", " "),
]
_SYMBOL_RE: Final = [(re.compile(p), s) for p, s in _SYMBOLS]

_GREEK: Final = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma",
    "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi",
    "ω": "omega", "Γ": "gamma", "Δ": "delta", "Θ": "theta", "Λ": "lambda", "Ξ": "xi",
    "Π": "pi", "Σ": "sigma", "Φ": "phi", "Ψ": "psi", "Ω": "omega", "∑": "sum", "∏": "product",
    "∂": "partial", "∇": "nabla", "∀": "for all", "∃": "there exists",
}
_GREEK_RE: Final = re.compile(r"(?<![^\W\d_])[" + "".join(_GREEK) + r"](?![^\W\d_])")


def _symbols(work: _Work) -> None:
    for pattern, spoken in _SYMBOL_RE:
        work.sub(pattern, lambda m, s=spoken: m.expand(s), "rule:symbol", park=False)
    work.sub(_GREEK_RE, lambda m: _GREEK[m.group(0)], "rule:symbol")


# ---------------------------------------------------------------------------------------
# Step 9: words: acronyms, roman numerals, odd capitals
# ---------------------------------------------------------------------------------------

_ROMAN: Final = {"II": 2, "III": 3, "IV": 4, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "XI": 11,
                 "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XX": 20}
_ROMAN_CUES: Final = {"part", "type", "phase", "stage", "class", "grade", "level", "world",
                      "war", "chapter", "volume", "act", "book", "season", "step"}
_TOKEN: Final = re.compile(r"(?<!\w)(?P<w>[^\W\d_]+(?:'[^\W\d_]+)*)(?P<apos>')?(?!\w)")
_NOT_INITIALS: Final = {"hmm", "hm", "mm", "mmm", "mhm", "shh", "sh", "ssh", "psst", "pst", "tsk",
                        "brr", "grr", "zzz", "zz", "bzz", "nth", "pfft", "pff", "hmph", "cwm",
                        "st", "nd", "rd", "th", "ch", "ph", "ff", "pp", "ll"}
_LONG_WORD: Final = 7  # an all-caps token this long with a vowel is a shouted word, not initials


def _spell(letters: str) -> str:
    """ "SVD" -> "S-V-D"; "LLMs" is handled by the caller.

    espeak reads an "A" after another letter of a hyphenated spelling as the article
    ("V-A-E" says "vee-uh-ee", "M-R-N-A" ends in "uh"); written "Eh" it says the letter.
    A first "A" reads fine ("A-P-I").
    """
    return "-".join("Eh" if c == "A" and i else c for i, c in enumerate(letters))


def _words(work: _Work, lexicon: Lexicon) -> None:
    def token(m: re.Match) -> str | None:
        word, trailing = m.group("w"), m.group("apos")
        return _say_token(word, trailing, work.text[:m.start()], work, lexicon)

    work.sub(_TOKEN, token)


def _say_token(word: str, trailing: str | None, before: str, work: _Work,
               lexicon: Lexicon) -> str | None:
    """The spoken form of one word, or None to leave it to the engine."""
    if not word.isascii():
        return None
    base, suffix = word, ""
    if word.endswith("'s") or word.endswith("'S"):
        base, suffix = word[:-2], "'s"
    elif trailing:
        suffix = "'s" if word.endswith("s") else ""
        base = word[:-1] if word.endswith("s") else word

    if base in _ROMAN:
        prev = re.search(rf"([\w{_P}]+)\W*$", before)
        if prev and (prev.group(1).lower() in _ROMAN_CUES or prev.group(1)[0].isupper()):
            work.fire("rule:roman-numeral")
            return _cardinal(_ROMAN[base])

    if lexicon.reads_as_word(base):
        work.fire(f"lexicon:{base}")
        return _respoken(_as_word(base), lexicon) + suffix
    if base.endswith("s") and len(base) > 2 and lexicon.reads_as_word(base[:-1]):
        work.fire(f"lexicon:{base[:-1]}")
        return _respoken(_as_word(base[:-1]), lexicon) + "s" + suffix

    # All capitals: initials, spelled ("SVD"), with plural ("LLMs") and possessive forms.
    plural = base.endswith("s") and base[:-1].isupper() and len(base) > 2
    letters = base[:-1] if plural else base
    if letters.isupper() and len(letters) >= 2:
        if len(letters) >= _LONG_WORD and _VOWELS.intersection(letters):
            work.fire(f"rule:shouted-word:{letters}")
            return _respoken(_as_word(letters), lexicon) + ("s" if plural else "") + suffix
        work.fire(f"rule:acronym:{letters}")
        return _spell(letters) + ("'s" if plural or suffix else "")

    # "mRNA", "vLLM", "iOS": a lowercase prefix of one or two letters, then initials.
    if re.fullmatch(r"[a-z]{1,2}[A-Z]{2,}s?", base):
        plural = base.endswith("s")
        letters = (base[:-1] if plural else base).upper()
        work.fire(f"rule:acronym:{base}")
        return _spell(letters) + ("'s" if plural or suffix else "")

    # "lr", "mp", "fn": lowercase letters with no vowel cannot be a word; spell them.
    if re.fullmatch(r"[b-df-hj-np-tv-xz]{2,4}", base) and base not in _NOT_INITIALS:
        work.fire(f"rule:acronym:{base}")
        return _spell(base.upper()) + suffix

    # "IMplicit rEwards": capitals used to mark an acronym's letters inside ordinary words.
    if re.fullmatch(r"[A-Z]{2}[a-z]{3,}", base):
        work.fire("rule:capitals")
        return _respoken(base.capitalize(), lexicon) + suffix
    if re.fullmatch(r"[a-df-hj-z][A-Z][a-z]{3,}", base):
        work.fire("rule:capitals")
        return _respoken(base.lower(), lexicon) + suffix

    # "ChatGPT", "FEABench", "OpenAI": split out runs of capitals and spell them.
    if re.search(r"[A-Z]{2}", base) and re.search(r"[a-z]", base):
        parts = _split_caps(base, before, lexicon, work)
        if parts is not None:
            return parts + suffix
    return None


def _respoken(word: str, lexicon: Lexicon) -> str:
    """A word a rule just made may itself be in the lexicon ("ERnis" -> "Ernis")."""
    entry = lexicon.lookup(word)
    return entry.spoken if entry else word


def _as_word(token: str) -> str:
    return token[0].upper() + token[1:].lower()


def _split_caps(word: str, before: str, lexicon: Lexicon, work: _Work) -> str | None:
    pieces = re.findall(r"[A-Z]{2,}(?=[A-Z][a-z])|[A-Z]{2,}s?$|[A-Z]?[a-z]+|[A-Z]+", word)
    if len(pieces) < 2:
        return None
    return " ".join(_say_token(p, None, before, work, lexicon) or _respoken(p, lexicon)
                    for p in pieces)


# ---------------------------------------------------------------------------------------
# Step 10: punctuation and spacing
# ---------------------------------------------------------------------------------------

_KEEP: Final = set(".,;:!?'- ")


def _tidy(text: str) -> str:
    """Keep letters and the punctuation that shapes prosody; everything else goes."""
    for _ in range(4):
        tidier = _tidy_once(text)
        if tidier == text:
            break
        text = tidier
    return text


def _tidy_once(text: str) -> str:
    text = text.replace("...", " \u2026 ")
    text = re.sub(r"\s*[\u2026]\s*(?=[a-z])", ", ", text)   # trailing off mid-sentence: a pause
    text = re.sub(r"\s*[\u2026]\s*", ". ", text)            # at the end, or before a new sentence
    text = re.sub(r"\s+[–—-]+\s+|[–—]+|-{2,}", ", ", text)  # dashes in prose: a pause
    text = re.sub(r"[()\[\]{}]", ", ", text)              # asides: a pause on each side
    chars = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LM" or ch in _KEEP or _RESERVED.match(ch):
            chars.append(ch)
        else:
            chars.append(" ")
    text = "".join(chars)
    text = re.sub(r"(?<![^\W\d_])'|'(?![^\W\d_])", " ", text)  # quote marks, not apostrophes
    text = re.sub(r"(?<![^\W\d_])-|-(?![^\W\d_])", " ", text)  # hyphens only inside words
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(?<=[^\W\d_])\.(?=[^\W\d_])", " dot ", text)  # "Node.js"
    text = re.sub(r"\s+(?=[.,;:!?])", "", text)
    text = re.sub(r"[.,;:!?]{2,}", lambda m: _strongest(m.group(0)), text)
    text = re.sub(r"\s+(?=[.,;:!?])", "", text)
    # A space after , ; : ! ? but not after a period: "Dr.X" must not turn into "Dr. X",
    # which the abbreviation rule would read differently next time.
    text = re.sub(r"([,;:!?])(?=[^\s.,;:!?])", r"\1 ", text)
    text = re.sub(r"^[\s.,;:!?]+", "", text)
    # "Paul F. Jaeger": a period there would make the engine end the sentence.
    text = _INITIAL.sub(r"\1 ", text)
    return re.sub(r"\s+", " ", text).strip()


def _strongest(run: str) -> str:
    for mark in "?!.;:":
        if mark in run:
            return mark
    return ","
