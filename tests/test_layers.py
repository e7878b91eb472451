"""The package's layers read as the data flow, and imports only ever point up the list.

    core (config, io, formatting) -> stats -> records -> derive -> analyses -> outputs -> synthetic -> cli

A module may import from its own layer and the layers before it, never from a later one (docs/
architecture.md). Every import counts, including those inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "her2rwe"
LAYERS = ["core", "stats", "records", "derive", "analyses", "outputs", "synthetic", "cli"]
CORE = {"config", "io", "formatting", "__init__"}


def layer_of(module: str) -> str:
    """'her2rwe.stats.km' -> 'stats'; 'her2rwe.io' -> 'core'; 'her2rwe.cli' -> 'cli'."""
    parts = module.split(".")
    assert parts[0] == "her2rwe", module
    if len(parts) == 1 or parts[1] in CORE:
        return "core"
    if parts[1] in LAYERS:
        return parts[1]
    raise AssertionError(f"{module}: not in any layer; place it in one of {LAYERS}")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported her2rwe module) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("her2rwe")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if not target.startswith("her2rwe"):
                continue
            if target in ("her2rwe",) or target.count(".") == 1 and layer_of(target) != "core":
                # `from her2rwe import io` / `from her2rwe.stats import km`: the names are modules
                found += [(node.lineno, f"{target}.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, target))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    for path in MODULES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_only_to_this_or_earlier_layers(path):
    own = LAYERS.index(layer_of(module_name(path)))
    wrong = [
        f"line {line}: {target} ({layer_of(target)})"
        for line, target in imports(path)
        if LAYERS.index(layer_of(target)) > own
    ]
    assert not wrong, f"{module_name(path)} ({LAYERS[own]}) imports a later layer: {wrong}"


def test_no_import_cycles_between_modules():
    graph = {}
    for path in MODULES:
        name = module_name(path)
        graph[name] = {
            t for _, t in imports(path) if t != name and t in {module_name(p) for p in MODULES}
        }
    seen, stack = set(), []

    def visit(node):
        if node in stack:
            cycle = stack[stack.index(node) :] + [node]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if node in seen:
            return
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt)
        stack.pop()
        seen.add(node)

    for node in sorted(graph):
        visit(node)


def test_the_check_can_fail():
    """A stats module importing an analysis would be caught (the rule is not vacuous)."""
    assert LAYERS.index(layer_of("her2rwe.analyses.survival")) > LAYERS.index(
        layer_of("her2rwe.stats.km")
    )
    assert layer_of("her2rwe.outputs.plotting.km") == "outputs"
