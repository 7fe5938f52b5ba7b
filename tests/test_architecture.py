"""The server's layout: who may import whom (every import counts, type-only ones too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "trading_server"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project's modules `path` imports, wherever in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the package, up a level per extra dot
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(candidate for candidate in candidates if candidate in modules)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imports_of(path, set(paths)) for name, path in paths.items()}


GRAPH = import_graph()


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for imported in GRAPH[todo.pop()] - seen:
            seen.add(imported)
            todo.append(imported)
    return seen


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_module_imports_itself_in_a_cycle(module: str) -> None:
    cycle_through = {other for other in reachable(module) if module in reachable(other)}
    assert not cycle_through, f"{module} and {sorted(cycle_through)} import each other"


def test_the_order_model_imports_nothing_of_the_project() -> None:
    assert GRAPH["trading_server.model"] == set()


def test_the_store_knows_the_model_but_not_the_lifecycle_or_http() -> None:
    for module in (name for name in GRAPH if name.startswith("trading_server.store")):
        outside = {
            name for name in reachable(module) if not name.startswith("trading_server.store")
        }
        assert outside <= {"trading_server.model"}, f"what {module} imports"
