"""What the importer derives from an episode's page text: its title when the page gives
none, its description, where its chapters start, and its file name and key."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter
from typing import Final

from ..config import DEFAULT_SHOW

MAX_SLUG_LEN: Final = 60
DESCRIPTION_SENTENCES: Final = 2

CHAPTER_WELCOME: Final = "Welcome"
CHAPTER_RESEARCH: Final = "The research"
CHAPTER_WHY: Final = "Why it matters"
CHAPTER_QUESTIONS: Final = "Questions to ponder"

# Greeting sentences: skipped when the description is taken from the opening.
_GREETING = re.compile(r"\b(Ernis|PaperLedge|crew|welcome|gather 'round|everyone)\b", re.IGNORECASE)
_WHY_TURN = re.compile(
    r"\bwhy (?:does|is|should) (?:all of )?(?:this|that|it)(?: all)? "
    r"(?:matter|important|relevant)|\bwhy (?:this|it) matters\b|"
    r"\bwhat does (?:all of )?this mean for (?:you|us)\b",
    re.IGNORECASE,
)
_QUESTIONS_INTRO = re.compile(r"question|think about|ponder|popped into|wonder|made me think", re.IGNORECASE)
# "a new benchmark called FEABench", "something called adaptive Singular Value Decomposition"
_CALLED = re.compile(
    r"\b(?:called|named|dubbed)\s+(?P<name>(?:(?!(?:a|an|the)\s)[a-z]+\s+)?[A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|\d[\w.-]*))*)"
)
# Coined names: an inner capital (SkillFlow, TxGemma) or an acronym of three or more letters.
_COINED = re.compile(r"\b(?:[A-Z]+[a-z]+[A-Z][\w-]*|[A-Z][a-z]?[A-Z][A-Z\d]+[\w-]*)\b")
_COMMON_ACRONYMS: Final = frozenset(
    {"AI", "LLM", "LLMs", "GPT", "API", "APIs", "PhD", "PhDs", "GitHub", "ChatGPT", "OpenAI", "YouTube", "USA"}
)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?\s+(?=[\"“‘']?[A-Z0-9])")


def derive_title(paragraphs: list[str]) -> str:
    """A short title for an episode the page did not title: the name of the paper's subject.

    First choice is something the opening paragraphs introduce by name ("a new
    benchmark called FEABench"); otherwise the coined name the episode repeats most
    (PaperBench, DeepSeek LLM). Deterministic; no guessing beyond the text.
    """
    opening = " ".join(paragraphs[:4])
    for m in _CALLED.finditer(opening):
        name = m["name"].strip(" .,-")
        if name.split()[0][0].islower():
            name = name[0].upper() + name[1:]
        if name not in _COMMON_ACRONYMS:
            return name
    body = " ".join(paragraphs)
    counts = Counter(w for w in _COINED.findall(body) if w not in _COMMON_ACRONYMS and w != DEFAULT_SHOW)
    if counts:
        top = max(counts.items(), key=lambda kv: (kv[1], -body.index(kv[0])))[0]
        # Keep a model-name tail that follows it: "DeepSeek LLM", "Qwen2.5 Math".
        tail = re.search(re.escape(top) + r"(?:\s+(?:[A-Z]{2,}\b|\d[\w.]*))*", body)
        return tail.group(0) if tail else top
    first = _split_at_end_punctuation(paragraphs[0])
    words = _strip_greeting(first)[0].split() if first else ["Untitled"]
    return " ".join(words[:8]).rstrip(".,!?") or "Untitled episode"


def _split_at_end_punctuation(paragraph: str) -> list[str]:
    """Cut page text after each ".", "!" or "?" that a capital or digit follows: rough (no
    abbreviations), which is enough to pick a title or description from. The sentences a
    voice says are cut by text.sentences.split_sentences."""
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _strip_greeting(sentences: list[str]) -> list[str]:
    i = 0
    while i < len(sentences) - 1 and _GREETING.search(sentences[i]):
        i += 1
    return sentences[i:]


def derive_description(paragraphs: list[str]) -> str:
    """The first two sentences after the host's greeting."""
    sentences = _strip_greeting(_split_at_end_punctuation(paragraphs[0])) if paragraphs else []
    if sentences and _GREETING.search(sentences[0]) and len(paragraphs) > 1:
        sentences = []  # the opening paragraph was all greeting
    for paragraph in paragraphs[1:]:
        if len(sentences) >= DESCRIPTION_SENTENCES:
            break
        sentences.extend(_split_at_end_punctuation(paragraph))
    return " ".join(sentences[:DESCRIPTION_SENTENCES])


def place_chapters(paragraphs: list[str]) -> list[tuple[int, str]]:
    """(paragraph index, heading) where each chapter starts, in order.

    The welcome is the opening paragraph when it greets; "why it matters" starts at
    the paragraph that asks it; the closing questions start at the introduction of the
    last run of two or more question paragraphs after that.
    """
    marks: list[tuple[int, str]] = []
    if _GREETING.search(paragraphs[0]) and len(paragraphs) > 1:
        marks += [(0, CHAPTER_WELCOME), (1, CHAPTER_RESEARCH)]
    else:
        marks.append((0, CHAPTER_RESEARCH))
    why = next((i for i, p in enumerate(paragraphs) if i > marks[-1][0] and _WHY_TURN.search(p)), None)
    if why is not None:
        marks.append((why, CHAPTER_WHY))

    questions = None
    i = len(paragraphs) - 1
    while i > marks[-1][0]:
        if paragraphs[i].endswith("?") and paragraphs[i - 1].endswith("?"):
            start = i - 1
            while start - 1 > marks[-1][0] and paragraphs[start - 1].endswith("?"):
                start -= 1
            intro = paragraphs[start - 1]
            if start - 1 > marks[-1][0] and (intro.endswith(":") or _QUESTIONS_INTRO.search(intro)):
                start -= 1
            questions = start
            break
        i -= 1
    if questions is not None and questions > marks[-1][0]:
        marks.append((questions, CHAPTER_QUESTIONS))
    return marks


def slugify(title: str) -> str:
    """ASCII, lower-case, hyphen-separated, at most MAX_SLUG_LEN characters; never a path."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG_LEN:
        cut = slug[:MAX_SLUG_LEN]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "episode"


def episode_key(date: dt.date, title: str) -> str:
    """What names an episode across imports: its date and title, not its number or text.

    The title is compared caseless and without accents ("Café" is "CAFE"); a title with
    letters beyond ASCII ("日本語モデル", "AI 中国") also carries a hash of its folded
    form, since its ASCII slug alone ("episode", "ai") would make two episodes one."""
    folded = _folded(title)
    if folded and folded.isascii():
        return f"{date.isoformat()}/{slugify(folded)}"
    basis = folded or unicodedata.normalize("NFKC", title).strip()  # "???": no letters to fold
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:12]
    return f"{date.isoformat()}/{slugify(folded)}-{digest}"


def _folded(title: str) -> str:
    """`title` caseless, accents stripped, punctuation and spacing made single spaces."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", title).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", text).split())
