"""The modules of digest/ import one another without a circle.

Read with ast, not by importing: every `import digest...` and `from digest... import ...` counts,
at module level and inside functions (a lazy import still ties two modules together); imports under
`if TYPE_CHECKING:` are left out, as they never run. `from digest.x import y` counts as an import of
`digest.x.y` when that is a module, else of `digest.x`. A package's own modules importing it back
(the implicit import of a parent package) are not counted.

KNOWN names packages allowed to close a circle through their own modules; it is empty, and the test
says when an entry is no longer needed.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "digest"
KNOWN: set[str] = set()  # packages whose function-level imports of their own modules are allowed to close a circle


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, known: dict[str, Path], text: str | None = None) -> set[str]:
    """The digest modules `path` (or `text` as if it were there) imports, wherever in the file (TYPE_CHECKING blocks aside)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    stack: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8") if text is None else text, str(path))]
    while stack:
        node = stack.pop()
        if _type_checking(node):
            stack.extend(node.orelse)  # type: ignore[attr-defined]
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
        stack.extend(ast.iter_child_nodes(node))
    return {target for target in found if target in known and target != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) for name, path in known.items()}


def circle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def allowed(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """`edges` without the KNOWN packages' imports of their own modules."""
    return {name: {t for t in targets if not (name in KNOWN and t.startswith(name + "."))} for name, targets in edges.items()}


def test_digest_has_no_import_circle() -> None:
    edges = graph()
    assert "digest.delivery.base" in edges["digest.delivery.smtp"]  # the reader sees imports
    found = circle(allowed(edges))
    assert found is None, "import circle: " + " -> ".join(found or [])
    for package in KNOWN:
        still = circle({name: targets for name, targets in edges.items() if name == package or name.startswith(package + ".")})
        assert still, f"{package} has no import circle any more: drop it from KNOWN"


@pytest.mark.parametrize("edges, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
])
def test_the_circle_finder_finds_circles(edges: dict[str, set[str]], expected: list[str] | None) -> None:
    assert circle(edges) == expected


def test_a_function_level_import_counts() -> None:
    source = PACKAGE / "delivery" / "__init__.py"  # its services are imported inside a function
    assert {"digest.delivery.postmark", "digest.delivery.ses", "digest.delivery.smtp"} <= imports(source, modules())


def test_type_checking_imports_do_not_count() -> None:
    text = "if TYPE_CHECKING:\n    import digest.store\nelse:\n    import digest.files\n"
    assert imports(PACKAGE / "probe.py", modules(), text) == {"digest.files"}
