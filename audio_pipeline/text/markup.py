"""A script's body, read as CommonMark, -> the blocks the script stage lays out.

markdown-it-py parses the body once to tokens; this module walks them and gives
each construct one documented fate (the README's "What each Markdown construct
becomes"):

- spoken as its text: paragraphs, emphasis, links (their text), inline code (its
  text), list items (each on its own), block quotes;
- a paragraph pause: a thematic break (`---`, `* * *`);
- a chapter: a heading of any level (`#` to `######`), its full text;
- never spoken and in no output: HTML comments (the producer's notes), images,
  footnote markers and footnote definitions, HTML tags (their text is kept);
- an error naming the line: code blocks, tables, HTML blocks other than comments,
  an unclosed `<!--`.

`[pause …]` and `{written|spoken}` are the script's own syntax on top: they pass
through here as text. A backslash escape (`\\{`) makes `{` and `}` plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ScriptError

# Escaped braces (and "[" and "<", so "\\[pause 2s]" is no pause and "\\<!--" no comment) are parked on these code
# points so that `{written|spoken}` and `[pause …]` never see them; the transcript
# shows the character again and the voice skips it.
LITERAL_BRACES = {"{": "\U00100001", "}": "\U00100002", "[": "\U00100003", "<": "\U00100004"}
UNPARK_BRACES = str.maketrans({v: k for k, v in LITERAL_BRACES.items()})

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
INLINE = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")
"""The script's own `{written|spoken}` pronunciation."""


def written_form(markup: str) -> str:
    """What the transcript shows of script text: `written` of each override, escaped
    characters as themselves."""
    return INLINE.sub(lambda m: m.group(1), markup).translate(UNPARK_BRACES)


# What escape() protects: Markdown's own punctuation, and the script's { } [ syntax.
_ESCAPE = re.compile(r"([\\`*_{}\[\]#|&~]|<(?=[!/?A-Za-z]))")
_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+(?=[.)]))")


def escape(text: str) -> str:
    """Plain text -> script text that is spoken and transcribed exactly as written
    (no heading, list, emphasis, link, comment, pause or {written|spoken} in it)."""
    lines = []
    for line in text.split("\n"):
        line = _ESCAPE.sub(r"\\\1", line)
        m = _LINE_START.match(line)
        if m and m.group(2)[0].isdigit():  # "1. " would start a list: escape its dot
            end = m.end()
            line = line[:end] + "\\" + line[end:]
        elif m:
            line = line[: m.start(2)] + "\\" + line[m.start(2) :]
        lines.append(line)
    return "\n".join(lines)


@dataclass
class Block:
    kind: str
    """"heading", "paragraph", "item" (one list item) or "break" (a thematic break)."""
    line: int
    """1-based line in the script file where the block starts."""
    text: str = ""
    """Inline text, Markdown resolved; soft line breaks kept as "\\n" so lines can be told."""
    level: int = 0
    """Heading level, 1 to 6."""
    quote: bool = False
    """Inside a block quote (`> …`): a cast's `quote` voice says it."""


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"html": True})
    md.enable("table")  # only to refuse tables by name, rather than read their pipes aloud
    # Setext headings would turn a paragraph followed by `---` into a chapter title
    # that is never spoken; here `---` is always a thematic break.
    md.disable(["lheading", "text_join"])  # text_join would hide which characters were escaped
    return md.use(footnote_plugin)


def parse_blocks(body: str, first_line: int, path: Path) -> list[Block]:
    """The body's blocks in order; `first_line` is the script line the body starts on."""
    tokens = _parser().parse(body)
    blocks: list[Block] = []
    skip_depth = 0  # inside a footnote definition: nothing there is spoken
    in_item = 0
    in_quote = 0
    for i, tok in enumerate(tokens):
        line = first_line + (tok.map[0] if tok.map else 0)
        if tok.type == "footnote_block_open":
            skip_depth += 1
        elif tok.type == "footnote_block_close":
            skip_depth -= 1
        if skip_depth:
            continue
        if tok.type == "blockquote_open":
            in_quote += 1
        elif tok.type == "blockquote_close":
            in_quote -= 1
        elif tok.type == "list_item_open":
            in_item += 1
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type in ("fence", "code_block"):
            raise ScriptError(f"{path}: line {line}: a code block cannot be spoken; write what Ernis should say as plain text")
        elif tok.type == "table_open":
            raise ScriptError(f"{path}: line {line}: a table cannot be spoken; write it out as sentences")
        elif tok.type == "hr":
            blocks.append(Block("break", line))
        elif tok.type == "html_block":
            blocks.extend(_html_block(tok.content, line, path))
        elif tok.type == "inline":
            opener = tokens[i - 1]
            text = inline_text(tok.children or [], line, path)
            if opener.type == "heading_open":
                blocks.append(Block("heading", line, text, int(opener.tag[1])))
            else:
                blocks.append(Block("item" if in_item else "paragraph", line, text, quote=in_quote > 0))
    return blocks


def _html_block(content: str, line: int, path: Path) -> list[Block]:
    stripped = content.strip()
    if not stripped.startswith("<!--"):
        raise ScriptError(f"{path}: line {line}: HTML is not spoken; write plain text, or put notes in <!-- comments -->")
    rest = _COMMENT.sub(" ", content)
    if "<!--" in rest:
        raise ScriptError(f"{path}: line {line}: '<!--' is never closed; end the comment with '-->'")
    # CommonMark ends a comment block at the line holding '-->': text after it on that
    # line is still the script's own, so it is read as Markdown again.
    rest_text = " ".join(rest.split())
    if not rest_text:
        return []
    md = _parser()
    text = inline_text(md.parseInline(rest_text)[0].children or [], line, path)
    return [Block("paragraph", line, text)]


def inline_text(children: list, line: int, path: Path) -> str:
    """The words of one inline run: markup gone, escapes kept as plain characters."""
    out: list[str] = []
    for c in children:
        if c.type == "text":
            out.append(c.content)
        elif c.type == "text_special":
            out.append(LITERAL_BRACES.get(c.content, c.content) if c.info == "escape" else c.content)
        elif c.type == "code_inline":
            out.append(c.content)
        elif c.type == "softbreak":
            out.append("\n")
        elif c.type == "hardbreak":
            out.append("\n")
        elif c.type == "html_inline":
            if c.content.startswith("<!--"):
                out.append(" " if not out or not out[-1].endswith(" ") else "")
            # other tags (<b>, <br>, <span …>) go; the text between them stays
        # image (alt text included), link_open/close, em/strong open/close,
        # footnote_ref: no words of their own
    text = "".join(out)
    if "<!--" in text:
        offset = text[: text.index("<!--")].count("\n")
        raise ScriptError(f"{path}: line {line + offset}: '<!--' is never closed; end the comment with '-->'")
    return text
