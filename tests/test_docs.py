"""The README, the manual (docs/) and the package's docstrings name only what exists: every
repository path, every `paperledge` command and option, every `make` target. A newcomer who
copies a line from them gets a file that is there and a command that runs. Fast: nothing is
rendered; the CLI is read from its click group.

What counts as a repository path (`paths_named`):
- a token that starts with one of the repository's top-level folders and a slash
  (`audio_pipeline/render.py`, `tests/data/`, `.ci/run`), or is a top-level file name
  (`Makefile`, `pyproject.toml`, `mkdocs.yml`);
- a token that starts with one of the package's stage folders and ends in `.py` or `/`
  (`audio/filters.py`, `text/rules/`): the package's own layout, read under audio_pipeline/;
- a bare module name (`master.py`): some file of that name must be in the repository;
- a bare document name in capitals (`README.md`, `DESIGN.md`): at the top or in docs/.
Not counted: placeholders (`voices/NAME.toml`, `build/<name>.mp3`, `scripts/*`), paths
outside the repository (`~/...`, `$XDG_...`, `CACHE/index/`, `night-owls/...`), output
paths a command writes (after `-o` / `--output`; `build/`, `site/`, `dist/` are never
repository folders here), MIME types (`audio/mpeg`, `text/vtt`), and the few example files
a show folder may hold, listed in NOT_IN_REPOSITORY.

Commands are read only inside code: inline code spans and the lines of shell code blocks.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

import click
import yaml

from audio_pipeline.cli import main as paperledge

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audio_pipeline"

TOP_FOLDERS = (
    "audio_pipeline",
    "tests",
    "scripts",
    "voices",
    "assets",
    "docs",
    "bench",
    "mk",
    "deploy",
    "tools",
    ".ci",
    ".github",
)
"""Folders of the repository whose paths the docs may name (build/, site/, dist/, .venv are outputs)."""
TOP_FILES = {
    "Makefile",
    "pyproject.toml",
    "mkdocs.yml",
    "README.md",
    ".gitignore",
    ".pre-commit-config.yaml",
    "setup.py",
    "setup.cfg",
    "tox.ini",
    "requirements.txt",
    "LICENSE",
    "CHANGELOG.md",
}
"""Names that, written alone, mean a file at the repository's top; each must be there. (`show.toml` and
`lexicon.toml` are a show folder's files, which this checkout does without.)"""
STAGES = tuple(sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
"""The package's own folders (`audio`, `text`, ...): `audio/filters.py` means audio_pipeline/audio/filters.py."""
NOT_IN_REPOSITORY = {
    "voices/guest.toml": "a profile a show folder may add (the hibari example in the manual)",
    "voices/v.toml": "the file an example error line names",
    "scripts/season-01/01-hello.md": "the sample script `paperledge init` writes in a new show folder",
}
"""Paths the text names as examples of a show folder's own files; they are not this repository's."""
UPPERCASE_FILES = {
    "README",
    "LICENSE",
    "CHANGELOG",
    "CONTRIBUTING",
    "NOTICE",
    "AUTHORS",
    "DESIGN",
    "STYLE",
    "INSTALL",
    "SECURITY",
    "TODO",
}
"""Document names in capitals; any other capitalised name (`NAME.toml`, `EPISODE.mp3`) is a placeholder."""

SHELL_BLOCKS = {"", "sh", "bash", "shell", "console"}
"""Code blocks whose lines are commands; Markdown, TOML and YAML blocks are examples of files."""


@dataclass(frozen=True)
class Named:
    where: str
    """file:line, and for a docstring the thing it documents."""
    text: str


# --- Reading the texts -----------------------------------------------------------------------------


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def markdown_parts(text: str, where: str) -> tuple[list[Named], list[Named]]:
    """A Markdown text as (lines, code): every line, for paths; and the code a reader would run
    (inline code spans, which may run over a line break, and the lines of shell code blocks), for commands."""
    lines: list[Named] = []
    code: list[Named] = []
    prose: list[str] = []  # the text outside code blocks, line for line, for the inline spans
    fence: str | None = None
    shell = False
    for number, line in enumerate(text.splitlines(), 1):
        lines.append(Named(f"{where}:{number}", line))
        opening = re.match(r"\s*(```+|~~~+)\s*([\w+-]*)", line)
        if fence is None and opening:
            fence, shell = opening.group(1), opening.group(2).lower() in SHELL_BLOCKS
            line = ""
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            elif shell:
                code.append(Named(f"{where}:{number}", re.sub(r"(^|\s)#.*", "", line)))
            line = ""
        prose.append(line)
    joined = "\n".join(prose)
    for match in SPAN.finditer(joined):
        number = joined.count("\n", 0, match.start()) + 1
        code.append(Named(f"{where}:{number}", " ".join(match.group(2).split())))
    return lines, code


SPAN = re.compile(r"(`+)((?:(?!\n\s*\n).)+?)\1", re.S)
"""An inline code span: `code` or ``code``, within one paragraph."""


def docstring_parts(path: Path) -> tuple[list[Named], list[Named]]:
    """Every module, class and function docstring of one module as (lines, code spans), each
    named by its own line in the file."""
    lines: list[Named] = []
    code: list[Named] = []
    where = path.relative_to(ROOT)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if not doc:
                continue
            first = node.body[0].lineno  # the line the string opens on
            name = getattr(node, "name", "module docstring")
            lines += [Named(f"{where}:{first + i} ({name})", line) for i, line in enumerate(doc.splitlines())]
            for match in SPAN.finditer(doc):
                at = f"{where}:{first + doc.count(chr(10), 0, match.start())} ({name})"
                code.append(Named(at, " ".join(match.group(2).split())))
    return lines, code


# --- Paths -----------------------------------------------------------------------------------------


def paths_named(text: str) -> list[str]:
    """The repository paths a text names, as written (see the module's docstring for the rule)."""
    found = []
    words = text.split()
    for before, word in zip(["", *words], words):
        if before in ("-o", "--output", ">", ">>") or re.match(r"--?o(utput)?=", word):
            continue  # a path the command writes
        for token in re.split(r"[`'\"()\[\]{},;|=:!?]+", word):
            token = token.strip("*").rstrip(".")
            if re.search(r"[<>*$~…]", token) or any(placeholder(part) for part in token.split("/")):
                continue
            head = token.split("/")[0]
            if (
                token in TOP_FILES
                or (head in TOP_FOLDERS and "/" in token)
                or (head in STAGES and (token.endswith("/") or token.endswith(".py")))
                or re.fullmatch(r"\w+\.py", token)
                or (token.endswith(".md") and token[:-3] in UPPERCASE_FILES)
            ):
                found.append(token)
    return found


def placeholder(part: str) -> bool:
    stem = part.split(".")[0]
    return len(stem) > 1 and re.fullmatch(r"[A-Z][A-Z0-9_]*", stem) is not None and stem not in UPPERCASE_FILES


def in_repository(path: str, modules: set[str]) -> bool:
    if re.fullmatch(r"\w+\.py", path):
        return path in modules  # a bare module name: some file of that name
    if "/" not in path and path.endswith(".md"):
        return (ROOT / path).is_file() or (ROOT / "docs" / path).is_file()
    if path.split("/")[0] in STAGES:
        return (PACKAGE / path).exists()  # the package's own layout: audio/filters.py
    return (ROOT / path).exists()


def module_names() -> set[str]:
    """The name of every .py file of the repository (not of its virtual environments or outputs)."""
    names = set()
    for _, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d not in ("build", "dist", "site", "__pycache__")]
        names |= {f for f in files if f.endswith(".py")}
    return names


def missing_paths(named: list[Named]) -> list[str]:
    modules = module_names()
    problems = []
    for item in named:
        for path in paths_named(item.text):
            if path not in NOT_IN_REPOSITORY and not in_repository(path, modules):
                problems.append(f"{item.where}: names {path}, which is not in the repository")
    return problems


# --- Commands and make targets ---------------------------------------------------------------------

COMMAND = re.compile(r"(?:^|[\s(;&|])(?:[\w.\-/]*bin/)?paperledge[ \t]+(.+)")
"""`paperledge ...`, `.venv/bin/paperledge ...`: a command line."""
MAKE = re.compile(r"(?:^|[\s(;&|])make[ \t]+(.+)")
END_OF_COMMAND = {"|", "||", "&&", ";", ")", ">", ">>", "2>", "#", "->", "→"}


def options_of(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")} | {"--help"}


def command_problems(line: str) -> list[str]:
    """What a code line names that the `paperledge` CLI does not have: a command, or an option of it."""
    problems = []
    for match in COMMAND.finditer(line):
        command: click.Command = paperledge
        name = "paperledge"
        for word in re.sub(r"([;|)])", r" \1 ", match.group(1)).split():
            if word in END_OF_COMMAND:
                break
            word = word.strip("[],.")
            if re.match(r"--?[A-Za-z]", word):
                option = word.split("=")[0].split("/")[0]
                if option not in options_of(command):
                    problems.append(f"`{name}` has no option {option}")
            elif isinstance(command, click.Group) and re.fullmatch(r"[a-z][a-z0-9-]*", word):
                if word not in command.commands:
                    problems.append(f"`{name}` has no command {word!r}")
                    break
                command, name = command.commands[word], f"{name} {word}"
            elif isinstance(command, click.Group):
                break  # `paperledge SUBCOMMAND`, `paperledge ...`: a placeholder
    return problems


def short_command_problems(span: str) -> list[str]:
    """`render --check`, `season DIR --video`: a command named without `paperledge`, with options."""
    words = span.split()
    if not words or words[0] not in paperledge.commands or not any(w.startswith("--") for w in words[1:]):
        return []
    return command_problems(f"paperledge {span}")


def make_targets() -> set[str]:
    targets = set()
    for path in [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            rule = re.match(r"([^\s:=#][^:=]*?)\s*::?(?!=)", line)
            if rule:
                targets |= {t for t in rule.group(1).split() if not re.search(r"[$%]", t)}
    return targets


def make_problems(line: str, targets: set[str]) -> list[str]:
    problems = []
    for match in MAKE.finditer(line):
        for word in re.sub(r"([;|)])", r" \1 ", match.group(1)).split():
            word = word.rstrip(",.")
            if word in END_OF_COMMAND or word.startswith("["):
                break
            if word.startswith("-") or "=" in word:
                continue  # make's own options, variables
            if not re.fullmatch(r"[a-z][\w.-]*", word):
                break
            if word not in targets:
                problems.append(f"`make {word}`: no such target in Makefile or mk/*.mk")
    return problems


def code_problems(code: list[Named]) -> list[str]:
    targets = make_targets()
    problems = []
    for item in code:
        found = command_problems(item.text) + short_command_problems(item.text) + make_problems(item.text, targets)
        problems += [f"{item.where}: {p}" for p in dict.fromkeys(found)]
    return problems


# --- The tests -------------------------------------------------------------------------------------


def all_texts() -> tuple[list[Named], list[Named]]:
    """(every text to read for paths, every piece of code to read for commands)"""
    lines: list[Named] = []
    code: list[Named] = []
    for path in doc_files():
        more_lines, more_code = markdown_parts(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        lines += more_lines
        code += more_code
    for module in sorted(PACKAGE.rglob("*.py")):
        more_lines, more_code = docstring_parts(module)
        lines += more_lines
        code += more_code
    return lines, code


def test_every_path_the_docs_name_is_in_the_repository():
    lines, _ = all_texts()
    problems = missing_paths(lines)
    assert not problems, "stale paths in the docs:\n" + "\n".join(problems)


def test_every_command_option_and_make_target_the_docs_name_exists():
    _, code = all_texts()
    problems = code_problems(code)
    assert not problems, "commands the docs name that do not exist:\n" + "\n".join(problems)


def test_every_page_of_the_manual_is_in_its_navigation():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def pages(nav) -> list[str]:
        if isinstance(nav, str):
            return [nav]
        if isinstance(nav, list):
            return [p for entry in nav for p in pages(entry)]
        if isinstance(nav, dict):
            return [p for value in nav.values() for p in pages(value)]
        return []

    listed = pages(config["nav"])
    on_disk = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(listed) == on_disk, "every docs/*.md page once in mkdocs.yml's nav, and nothing else"


def test_the_readme_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, "the README is the front door: the manual in docs/ holds the rest"


def test_the_examples_named_as_outside_the_repository_are_not_in_it():
    assert not [p for p in NOT_IN_REPOSITORY if (ROOT / p).exists()], "a listed example exists now: drop it from the list"


def test_the_checks_catch_stale_names_and_let_placeholders_pass():
    """The rules above, on a text with one of each thing they must catch and must let pass."""
    stale = [
        Named("x:1", "See `audio_pipeline/no_such_module.py` and tests/test_nothing.py."),
        Named("x:2", "the meter (`audio/no_such_filters.py`), `no_such_module.py`, `text/no_such_rules/`"),
        Named("x:3", "[the old page](docs/no-such-page.md) and `setup.py`, in the format of DESIGN.md"),
    ]
    assert len(missing_paths(stale)) == 8, missing_paths(stale)
    fine = [
        Named("y:1", "`paperledge render SCRIPT -o build/<name>.mp3` writes build/ep.mp3 and site/index.html"),
        Named("y:2", "`voices/NAME.toml`, `voices/<voice>.lexicon.toml`, `scripts/*`, `~/.cache/paperledge`"),
        Named("y:3", "`$XDG_CACHE_HOME/paperledge`, CACHE/index/, night-owls/scripts/x.md, `audio/mpeg`, `text/vtt`"),
        Named("y:4", "import-page page.txt -o scripts/season-99, https://docs.ray.io/en/latest/x.py"),
        Named("y:5", "`audio_pipeline/render.py`, `audio/filters.py`, `text/rules/`, `master.py`, Makefile"),
    ]
    assert missing_paths(fine) == []

    code = [
        Named("c:1", "paperledge frobnicate ep.md"),
        Named("c:2", ".venv/bin/paperledge render SCRIPT --frob 2 [--retakes 2]"),
        Named("c:3", "paperledge keys burn"),
        Named("c:4", "make frobnicate SEASON=scripts/season-01"),
        Named("c:5", "render --no-such-option"),
    ]
    assert len(code_problems(code)) == 5, code_problems(code)
    good = [
        Named("g:1", "paperledge render SCRIPT -o out/ep.mp3 --voice ernis --target-lufs -16 --bitrate 128"),
        Named("g:2", ".venv-ray/bin/paperledge season scripts/* -o build --executor ray [--ray-address auto]"),
        Named("g:3", "paperledge keys init --renew; paperledge cache info | prune --max-size 2G | clear"),
        Named("g:4", "make season SEASON=scripts/season-01 [OUT=build/season-01] [VOICE=ernis]"),
        Named("g:5", "render --check --retakes 0"),
        Named("g:6", "paperledge --version"),
    ]
    assert code_problems(good) == []
