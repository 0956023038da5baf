"""The house shows the pipeline: no import circle, no stage importing one after it, no module
over 500 lines. A newcomer reading the folders reads the data flow (docs/how-it-works.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "audio_pipeline"

SHARED = {"config", "errors", "files", "settings", "show", ""}
"""What every stage may import: the package's own __init__, and these modules at its top."""
LAYERS = [
    "text",
    "script",
    "synthesis",
    "audio",
    "credentials",
    "stages",
    "render",
    "check",
    "video",
    "publish",
    ("importer", "cluster", "studio"),
    "cli",
]
"""The data flow, first to last; a package imports only from those before it (or its own)."""
RANK = {name: i for i, layer in enumerate(LAYERS) for name in ([layer] if isinstance(layer, str) else layer)}
MAX_LINES = 500  # as ruff format lays a module out (400 before the formatter, which adds about a tenth)


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of the package that `name` imports, at the top or inside a function."""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            target = (
                ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else []))
                if node.level
                else node.module or ""
            )
            candidates = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        out |= {c for c in candidates if c in known and c != name and not name.startswith(c + ".")}
    return out


def stage(module: str) -> str:
    """The stage a module belongs to: its package under audio_pipeline, or its own name at the top."""
    parts = module.split(".")
    if parts[1:] == ["__main__"]:
        return "cli"  # `python -m audio_pipeline` is the command line
    return parts[1] if len(parts) > 1 else ""


GRAPH = {name: imports(name, path, modules()) for name, path in modules().items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components: any component of two or more is a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports of a later stage (or of a stage beside it), and imports of a stage by a shared module."""
    found = []
    for module, targets in graph.items():
        for target in targets:
            here, there = stage(module), stage(target)
            if there in SHARED or here == there:
                continue
            if here in SHARED or RANK[there] >= RANK[here]:
                found.append(f"{module} -> {target}")
    return sorted(found)


def test_no_module_imports_itself_round_a_circle():
    assert circles(GRAPH) == []


def test_every_module_has_a_stage_in_the_flow():
    unknown = {m for m in GRAPH if stage(m) not in SHARED and stage(m) not in RANK}
    assert unknown == set()


def test_no_stage_imports_one_after_it_and_the_shared_modules_import_no_stage():
    assert upward(GRAPH) == []


def test_no_module_is_over_400_lines():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_the_rules_catch_a_circle_and_an_upward_import():
    made_up = {
        "audio_pipeline.audio.a": {"audio_pipeline.audio.b"},
        "audio_pipeline.audio.b": {"audio_pipeline.audio.a"},
        "audio_pipeline.synthesis.c": {"audio_pipeline.check.d"},
        "audio_pipeline.check.d": {"audio_pipeline.render"},
        "audio_pipeline.render": set(),
        "audio_pipeline.show": {"audio_pipeline.audio.a"},
    }
    assert circles(made_up) == [["audio_pipeline.audio.a", "audio_pipeline.audio.b"]]
    assert upward(made_up) == [
        "audio_pipeline.show -> audio_pipeline.audio.a",
        "audio_pipeline.synthesis.c -> audio_pipeline.check.d",
    ]


def test_every_entry_point_a_stage_names_is_there():
    import importlib

    missing = []
    for name in sorted(m for m, p in modules().items() if p.name == "__init__.py" and m.count(".") == 1):
        package = importlib.import_module(name)
        for entry in getattr(package, "__all__", []):
            try:
                getattr(package, entry)
            except (AttributeError, ImportError):
                missing.append(f"{name}.{entry}")
    assert missing == []
