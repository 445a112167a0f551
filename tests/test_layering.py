"""The core never imports Qt: every ``trainer`` module outside ``trainer.ui`` loads without it."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import trainer


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(trainer.__path__, "trainer."):
        if info.name.startswith("trainer.ui") or info.name in ("trainer.__main__",):
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_qt() -> None:
    modules = core_modules()
    assert "trainer.rubric.scoring" in modules and "trainer.audio.recorder" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).parent.parent, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_core_has_no_side_effects(tmp_path: Path) -> None:
    """No folders are created and no model is loaded just by importing the core."""
    code = (
        "import importlib, os\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(os.listdir(os.environ['TRAINER_DATA_DIR'])))\n"
    )
    data = tmp_path / "d"
    data.mkdir()
    env = {"TRAINER_DATA_DIR": str(data), "TRAINER_CACHE_DIR": str(tmp_path / "c"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert not (tmp_path / "c").exists()


# -- layers as folders (issue 16) -----------------------------------------------------------
# Lowest first. A module may import from a lower layer or from its own folder, never upward
# or sideways, and no set of modules may import each other in a circle (imports inside
# functions count: a late import hides a circle, it does not remove it).
LAYERS: dict[str, int] = {
    "common": 0,
    "audio": 1, "store": 1,
    "speech": 2,
    "rubric": 3,
    "coaching": 4,
    "bench": 5, "ui": 5,
    "": 6,  # trainer/cli.py, trainer/selftest.py, trainer/__main__.py: the entry points
}
PACKAGE = Path(__file__).parent.parent / "trainer"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Every ``trainer`` module and the ``trainer`` modules it imports, anywhere in its code."""
    files = {module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in files else node.module)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def room(module: str) -> str:
    """The layer folder of a module (``""`` for the entry points at the top)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYERS) else ""


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, targets in graph.items():
        here = room(module)
        for target in targets:
            there = room(target)
            if there == here or target == "trainer" or target == f"trainer.{there}":
                continue
            if LAYERS[there] >= LAYERS[here]:
                bad.append(f"{module} imports {target}")
    return sorted(bad)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_lives_in_a_layer_folder() -> None:
    graph = import_graph()
    stray = sorted(m for m in graph if m.count(".") == 1 and room(m) == ""
                   and m not in ("trainer.cli", "trainer.selftest", "trainer.__main__"))
    assert stray == [], "modules outside a layer folder: " + ", ".join(stray)
    assert {room(m) for m in graph} == set(LAYERS)


def test_imports_only_go_down() -> None:
    assert upward_imports(import_graph()) == []


def test_no_import_circles() -> None:
    assert circles(import_graph()) == []


def test_the_checks_catch_an_upward_import_and_a_circle(tmp_path: Path) -> None:
    """The two checks above can fail: a store module importing the rubric, and two coaching
    modules importing each other inside a function."""
    root = tmp_path / "trainer"
    for folder in ("store", "rubric", "coaching"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "rubric" / "drills.py").write_text("X = 1\n")
    (root / "store" / "database.py").write_text("from trainer.rubric.drills import X\n")
    (root / "coaching" / "a.py").write_text("def f():\n    from trainer.coaching import b\n")
    (root / "coaching" / "b.py").write_text("import trainer.coaching.a\n")
    graph = import_graph(root)
    assert upward_imports(graph) == ["trainer.store.database imports trainer.rubric.drills"]
    assert circles(graph) == [["trainer.coaching.a", "trainer.coaching.b"]]


def test_the_architecture_document_lists_every_module_as_it_is() -> None:
    """docs/architecture.md's module tables are the code's docstrings: a new, moved or
    renamed module fails this until ``uv run python tools/module_map.py --write`` is run."""
    sys.path.insert(0, str(Path(__file__).parent.parent / "tools"))
    try:
        import module_map
    finally:
        sys.path.pop(0)
    assert module_map.documented() == module_map.module_map(), (
        "docs/architecture.md is out of date: run uv run python tools/module_map.py --write")
    assert "`shell.py`" in module_map.documented()
