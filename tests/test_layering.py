"""The layering of the code: the core library below `rl` and `evals`, the study wiring above them, no cycles.

The walk reads every import statement in the AST, function-local ones included. `from P import x` is an edge to P
itself (for a package: its `__init__`), plus to `P.x` when that is a module; `import P.x` is an edge to `P.x`.
So a module that imports a sibling through its package's `__init__` forms a cycle with that `__init__`.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("midalign_jax", "rl", "evals", "study")
# Who may import whom (top-level packages). Everything may import the core; only the study imports rl and evals.
ALLOWED = {
    "midalign_jax": {"midalign_jax"},
    "rl": {"midalign_jax", "rl"},
    "evals": {"midalign_jax", "evals"},
    "study": {"midalign_jax", "rl", "evals", "study", "configs"},
}
MAX_LINES = 400


def module_files(root: Path = ROOT) -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module this one names in an import statement (see the module docstring for the rule)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = (name if is_pkg else name.rpartition(".")[0]).split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in modules)
    out.discard(name)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root] & graph.keys())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w] & graph.keys()))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return found


def test_imports_flow_one_way():
    bad = sorted((src, dst) for src, dsts in import_graph().items() for dst in dsts
                 if dst.split(".")[0] in ALLOWED.keys() | {"configs"}
                 and dst.split(".")[0] not in ALLOWED[src.split(".")[0]])
    assert not bad, "imports against the layering (core < rl, evals < study):\n" + "\n".join(
        f"  {a} -> {b}" for a, b in bad)


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join("  " + " <-> ".join(c) for c in found)


def test_source_files_stay_small():
    big = [(str(p.relative_to(ROOT)), n) for p in module_files().values()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not big, f"files over {MAX_LINES} lines: {big}"


def test_the_walk_sees_cycles_and_upward_imports(tmp_path):
    """Positive control: a package whose module imports back through its `__init__`, and a function-local
    upward import, are both found."""
    pkg = tmp_path / "midalign_jax" / "toy"
    pkg.mkdir(parents=True)
    (tmp_path / "midalign_jax" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("from midalign_jax.toy.a import f\n")
    (pkg / "a.py").write_text("def f():\n    from midalign_jax.toy import b\n    from evals import suite\n")
    (pkg / "b.py").write_text("")
    for name in ("rl", "evals", "study"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    graph = import_graph(tmp_path)
    assert ["midalign_jax.toy", "midalign_jax.toy.a"] in cycles(graph)
    assert "evals" in graph["midalign_jax.toy.a"]
