"""The architecture's layer rules (issue 12), checked on the source tree with the standard `ast` module.

Rules, for the packages `routing`, `ride_pool` and `simulations` (tests and benchmarks are not checked):

1. `routing` imports nothing from `ride_pool` or `simulations`; `simulations` and `ride_pool.dispatch`
   never import `ride_pool.api` or `ride_pool.db`. Every import counts, also one inside a function or
   under `if TYPE_CHECKING:` (it is still a dependency on the other layer).
2. No module uses a name starting with one underscore (dunders such as `__version__` are public) that
   lives in another package, a package being the directory of the module: `from a.b import _c` and
   `import a.b` followed by `a.b._c`. A private module counts like a private name (`from a import _m`,
   `import a._m`).
3. No import cycle between modules. Every import statement counts, also one inside a function, except
   those under `if TYPE_CHECKING:` (never run). Relative imports are resolved; `from pkg import name`
   imports the submodule `pkg.name` when there is one, else `pkg`; a package is its `__init__`.

The checkers take a directory, so the tests at the bottom prove on a small tree written to `tmp_path`
that each rule finds what it should (a checker that cannot fail is a defect).

grimp (import-linter's graph) was considered: it records imports from module to module but not the
imported names, so rule 2 would still need `ast`; one small parser for all three rules is simpler.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("routing", "ride_pool", "simulations")

# (importer prefix, forbidden target prefixes)
FORBIDDEN = (
    ("routing", ("ride_pool", "simulations")),
    ("simulations", ("ride_pool.api", "ride_pool.db")),
    ("ride_pool.dispatch", ("ride_pool.api", "ride_pool.db")),
)


@dataclass(frozen=True)
class Module:
    name: str  # dotted; a package by its own name (its __init__)
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        """The directory the module lies in, as a dotted name."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Import:
    importer: str
    target: str  # the module imported (dotted, resolved), also for modules outside the tree
    name: str | None  # the name taken from `target` (`from target import name`, `target.name`), or None
    line: int
    in_function: bool = False
    type_checking: bool = False
    attribute: bool = False  # `target.name` used after `import target` (not an import statement)

    def where(self) -> str:
        how = ", in a function" if self.in_function else ""
        how += ", under TYPE_CHECKING" if self.type_checking else ""
        return f"{self.importer} (line {self.line}{how})"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def find_modules(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Module]:
    modules = {}
    for top in packages:
        for path in sorted((root / top).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            modules[name] = Module(name, path, is_package)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _dotted(node: ast.expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"]; None for anything but a chain of names."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _longest_module(parts: list[str], modules: dict[str, Module]) -> int:
    """How many leading parts name a module of the tree (0: none)."""
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in modules:
            return n
    return 0


def module_imports(module: Module, modules: dict[str, Module]) -> list[Import]:
    """Every import of one module (statements anywhere, and `mod._name` uses of imported modules)."""
    tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
    found: list[Import] = []
    bound: dict[str, str] = {}  # local name -> module of the tree it is bound to by an import

    def add(target: str, name: str | None, node: ast.stmt, in_function: bool, type_checking: bool) -> None:
        found.append(Import(module.name, target, name, node.lineno, in_function, type_checking))

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, None, node, in_function, type_checking)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    bound.setdefault(top, top)
            return
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source == "__future__":
                return
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in modules:  # `from pkg import submodule` imports the submodule
                    add(sub, None, node, in_function, type_checking)
                    if _is_private(alias.name):  # a private module is a private name of its package
                        add(source, alias.name, node, in_function, type_checking)
                    bound[alias.asname or alias.name] = sub
                else:
                    add(source, alias.name, node, in_function, type_checking)
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, in_function, True)
            for child in node.orelse:
                visit(child, in_function, type_checking)
            return
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner, type_checking)

    visit(tree, False, False)

    # `import a.b` then `a.b._c`: the longest chain of names that is a module, then the attribute used.
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts = _dotted(node)
        if not parts or parts[0] not in bound:
            continue
        parts = bound[parts[0]].split(".") + parts[1:]
        n = _longest_module(parts, modules)
        if n and n < len(parts):
            found.append(Import(module.name, ".".join(parts[:n]), parts[n], node.lineno, attribute=True))
    return found


def collect(root: Path, packages: tuple[str, ...] = PACKAGES) -> tuple[dict[str, Module], list[Import]]:
    modules = find_modules(root, packages)
    imports = [imp for module in modules.values() for imp in module_imports(module, modules)]
    return modules, imports


# --- the rules: each returns one message per violation ---------------------------------------------


def layer_violations(imports: list[Import]) -> list[str]:
    out = []
    for imp in imports:
        if imp.attribute:
            continue
        for importer, targets in FORBIDDEN:
            full = f"{imp.target}.{imp.name}" if imp.name else imp.target
            bad = [t for t in targets if _within(imp.target, t) or _within(full, t)]
            if _within(imp.importer, importer) and bad:
                what = f"{imp.name} from {imp.target}" if imp.name else imp.target
                out.append(f"{imp.where()} imports {what}: {importer} must not import {bad[0]}")
    return sorted(set(out))


def private_violations(modules: dict[str, Module], imports: list[Import]) -> list[str]:
    out = []
    for imp in imports:
        if imp.target not in modules:
            continue
        importer_pkg = modules[imp.importer].package
        # the private names on the way: `_m` in a module path, and the name taken from the module
        parts = imp.target.split(".") + ([imp.name] if imp.name else [])
        for i in range(1, len(parts)):
            if not _is_private(parts[i]):
                continue
            owner = ".".join(parts[:i])
            owner_pkg = modules[owner].package if owner in modules else owner
            if owner_pkg != importer_pkg:
                how = "uses" if imp.attribute else "imports"
                out.append(
                    f"{imp.where()} {how} the private {parts[i]} of {owner} "
                    f"(package {owner_pkg}, not {importer_pkg}): make it public or move the code"
                )
    return sorted(set(out))


def import_graph(modules: dict[str, Module], imports: list[Import]) -> dict[str, dict[str, Import]]:
    """Module -> {imported module: the first import of it}; TYPE_CHECKING imports left out."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in modules}
    for imp in imports:
        if imp.attribute or imp.type_checking or imp.target not in modules or imp.target == imp.importer:
            continue
        graph[imp.importer].setdefault(imp.target, imp)
    return graph


def _strongly_connected(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); only the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _shortest_cycle(graph: dict[str, dict[str, Import]], start: str, within: set[str]) -> list[str]:
    """The shortest path start -> ... -> start inside one component (breadth first)."""
    previous: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for child in sorted(graph[node]):
            if child not in within:
                continue
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child not in previous:
                previous[child] = node
                queue.append(child)
    raise AssertionError(f"{start} is in a cycle but none was found")


def import_cycles(modules: dict[str, Module], imports: list[Import]) -> list[str]:
    """One message per cycle; the cycles together cover every module of every strongly connected set."""
    graph = import_graph(modules, imports)
    out = []
    for component in _strongly_connected(graph):
        members = set(component)
        covered: set[str] = set()
        for start in component:
            if start in covered:
                continue
            cycle = _shortest_cycle(graph, start, members)
            covered.update(cycle)
            steps = [graph[a][b].where() + f" imports {b}" for a, b in zip(cycle, cycle[1:])]
            out.append("import cycle " + " -> ".join(cycle) + ":\n    " + "\n    ".join(steps))
    return out


def _fail(rule: str, violations: list[str]) -> None:
    assert not violations, f"{len(violations)} {rule}:\n" + "\n".join(violations)


# --- the real tree ---------------------------------------------------------------------------------


def test_layers_are_respected():
    _, imports = collect(ROOT)
    _fail("layer violation(s)", layer_violations(imports))


def test_no_private_names_from_other_packages():
    modules, imports = collect(ROOT)
    _fail("private name(s) used across packages", private_violations(modules, imports))


def test_no_import_cycles():
    modules, imports = collect(ROOT)
    _fail("import cycle(s)", import_cycles(modules, imports))


def test_the_real_tree_is_seen():
    """Guards the checks above against an empty or mis-parsed tree: they would pass on nothing."""
    modules, imports = collect(ROOT)
    assert {"routing.kernels", "ride_pool.dispatch", "simulations.run"} <= set(modules)
    graph = import_graph(modules, imports)
    assert sum(map(len, graph.values())) > len(modules)


# --- the checkers on a synthetic tree --------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for top in PACKAGES:  # every directory a package
        for d in [root / top, *(p for p in (root / top).rglob("*") if p.is_dir())]:
            (d / "__init__.py").touch()
    return root


CLEAN = {
    "routing/kernels.py": "_heap_push = None\n__version__ = '1'\nPUBLIC = 1\n",
    "routing/ch.py": "from routing.kernels import _heap_push, PUBLIC\nfrom .kernels import __version__\n",
    "routing/darp/_y.py": "X = 1\n",
    "routing/darp/x.py": "from routing.darp import _y\nfrom . import _y as y\nfrom ._y import X\n",
    "ride_pool/db/store.py": "import routing.kernels\nV = routing.kernels.PUBLIC\n",
    "ride_pool/api/app.py": "from ride_pool.db import store\nfrom ride_pool.dispatch import core\n",
    "ride_pool/dispatch/core.py": (
        "from typing import TYPE_CHECKING\nfrom routing import ch\n"
        "if TYPE_CHECKING:\n    from ride_pool.dispatch import uses_core\n"
    ),
    "ride_pool/dispatch/uses_core.py": "from . import core\n",
    "simulations/run.py": "import ride_pool.dispatch.core\nfrom ride_pool import dispatch\n",
}


def test_a_clean_tree_passes(tmp_path):
    modules, imports = collect(_write(tmp_path, CLEAN))
    assert "ride_pool.dispatch" in modules and modules["ride_pool.dispatch"].is_package
    assert layer_violations(imports) == []
    assert private_violations(modules, imports) == []
    assert import_cycles(modules, imports) == []


def test_layer_violations_are_found(tmp_path):
    files = dict(CLEAN)
    files["routing/geo.py"] = "def f():\n    from ride_pool.dispatch import core\n"
    files["routing/sim_user.py"] = "import simulations.run\n"
    files["simulations/db_user.py"] = "from ride_pool import db\n"
    files["simulations/api_user.py"] = "from ride_pool.api.app import X\n"
    files["ride_pool/dispatch/bad.py"] = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..db.store import V\n"
    )
    found = layer_violations(collect(_write(tmp_path, files))[1])
    assert len(found) == 5, found
    text = "\n".join(found)
    assert "routing.geo (line 2, in a function) imports ride_pool.dispatch.core: routing must not" in text
    assert "routing.sim_user (line 1) imports simulations.run: routing must not import simulations" in text
    assert "simulations.db_user (line 1) imports ride_pool.db: simulations must not import ride_pool.db" in text
    assert "simulations.api_user (line 1) imports X from ride_pool.api.app" in text
    assert "ride_pool.dispatch.bad (line 3, under TYPE_CHECKING) imports V from ride_pool.db.store" in text


def test_private_names_from_other_packages_are_found(tmp_path):
    files = dict(CLEAN)
    files["ride_pool/dispatch/locations.py"] = "from routing.kernels import _heap_push, PUBLIC\n"
    files["ride_pool/dispatch/attr.py"] = "import routing.kernels as rk\n\ndef f():\n    return rk._heap_push\n"
    files["ride_pool/dispatch/attr2.py"] = "import routing.kernels\nX = routing.kernels._heap_push\n"
    files["simulations/privmod.py"] = "from routing.darp import _y\n"
    files["simulations/privmod2.py"] = "from routing.darp._y import X\n"
    files["routing/darp/sub/z.py"] = "from .._y import X\n"  # another directory, same top package
    modules, imports = collect(_write(tmp_path, files))
    found = private_violations(modules, imports)
    text = "\n".join(found)
    assert len(found) == 6, text
    assert (
        "ride_pool.dispatch.locations (line 1) imports the private _heap_push of routing.kernels "
        "(package routing, not ride_pool.dispatch)"
    ) in text
    assert "ride_pool.dispatch.attr (line 4) uses the private _heap_push of routing.kernels" in text
    assert "ride_pool.dispatch.attr2 (line 2) uses the private _heap_push of routing.kernels" in text
    assert "simulations.privmod (line 1) imports the private _y of routing.darp" in text
    assert "simulations.privmod2 (line 1) imports the private _y of routing.darp" in text
    assert "routing.darp.sub.z (line 1) imports the private _y of routing.darp" in text


def test_import_cycles_are_found(tmp_path):
    files = dict(CLEAN)
    # a two-module cycle, one side inside a function (as simulations.agents <-> simulations.run)
    files["simulations/agents.py"] = "def f():\n    from simulations import run\n"
    files["simulations/run.py"] = "from .agents import f\n"
    # a three-module cycle through a package's __init__, with a relative `from . import`
    files["routing/darp/__init__.py"] = "from routing.darp.x import X\n"
    files["routing/darp/x.py"] = "from routing import network as X\n"
    files["routing/network.py"] = "import routing.darp\n"
    modules, imports = collect(_write(tmp_path, files))
    found = import_cycles(modules, imports)
    assert len(found) == 2, found
    assert found[0].startswith("import cycle routing.darp -> routing.darp.x -> routing.network -> routing.darp:")
    assert "routing.network (line 1) imports routing.darp" in found[0]
    assert found[1].startswith("import cycle simulations.agents -> simulations.run -> simulations.agents:")
    assert "simulations.agents (line 2, in a function) imports simulations.run" in found[1]


def test_type_checking_imports_make_no_cycle(tmp_path):
    files = dict(CLEAN)
    files["simulations/agents.py"] = (
        "import typing\nif typing.TYPE_CHECKING:\n    from simulations.run import R\nelse:\n    R = None\n"
    )
    files["simulations/run.py"] = "from simulations.agents import R\n"
    modules, imports = collect(_write(tmp_path, files))
    assert import_cycles(modules, imports) == []
    # ... but a runtime import in the `else:` of TYPE_CHECKING does count
    files["simulations/agents.py"] = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n    import simulations.run\n"
    )
    modules, imports = collect(_write(tmp_path, files))
    assert len(import_cycles(modules, imports)) == 1
