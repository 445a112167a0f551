"""Write the "folders, module by module" tables of docs/architecture.md from the code.

Each folder's table is its ``__init__.py`` docstring and one row per module: the first
sentence of the module's docstring. Run it after adding or moving a module:

    uv run python tools/module_map.py --write

``tests/test_layering.py`` fails while the document and the code disagree.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trainer"
DOC = ROOT / "docs" / "architecture.md"
START, END = "<!-- modules:start -->", "<!-- modules:end -->"
ORDER = ("common", "audio", "store", "speech", "rubric", "coaching", "bench", "ui",
         "ui/seller", "ui/manager", "ui/team", "ui/widgets")


def _docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def _summary(path: Path) -> str:
    first = " ".join(_docstring(path).split("\n\n")[0].split())
    return first.replace("``", "`").replace("|", "\\|")


def _table(folder: Path) -> list[str]:
    rows = ["| module | what it is for |", "|---|---|"]
    for path in sorted(folder.glob("*.py")):
        if path.name != "__init__.py":
            rows.append(f"| `{path.name}` | {_summary(path)} |")
    return rows


def module_map() -> str:
    """The section, as markdown."""
    lines: list[str] = []
    for name in ORDER:
        folder = PACKAGE / name
        lines += [f"### `trainer/{name}/`", "", _docstring(folder / "__init__.py"), ""]
        lines += _table(folder) + [""]
    lines += ["### The entry points (`trainer/`)", ""] + _table(PACKAGE)
    return "\n".join(lines)


def documented(doc: Path = DOC) -> str:
    """The section as the document has it now."""
    text = doc.read_text(encoding="utf-8")
    return text[text.index(START) + len(START):text.index(END)].strip("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {DOC.name} in place")
    args = parser.parse_args(argv)
    section = module_map()
    if not args.write:
        print(section)
        return 0
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{START}\n{section}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
