"""One pure core, thin shells (STYLE.md, Architecture 1): an ``ast`` scan of ims_xl/*.py.

Core modules never import a workbook library, xlwings or a CLI framework, nor a shell module;
only the shells may. Every module must be classified here, so a new one cannot slip through.
Imports inside functions count too (``ast.walk`` sees them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "ims_xl"

CORE = ("__init__", "model", "money", "gstin", "ims_json", "review", "checks", "upload", "actions", "sheets",
        "layout", "registry", "errors", "inputs", "sample", "sample_books", "register", "reconcile", "matching", "schema", "audit")
SHELLS = ("xlsx", "sheetxml", "xl", "cli", "__main__", "doctor", "safety")
FORBIDDEN = ("xlwings", "openpyxl", "xlsxwriter", "python_calamine", "argparse", "click")


def imports_of(path: Path) -> set[str]:
    """Top-level names of every module imported by ``path``; relative imports as ``.name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:                       # from . import x / from .x import y
                if node.module:
                    out.add("." + node.module.split(".")[0])
                else:
                    out |= {"." + a.name for a in node.names}
            elif node.module:
                out.add(node.module.split(".")[0])
                if node.module.split(".")[0] == "ims_xl":
                    rest = node.module.split(".")[1:]
                    out |= {"." + rest[0]} if rest else {"." + a.name for a in node.names}
    return out


def modules() -> list[str]:
    return sorted(p.stem for p in PKG.glob("*.py"))


def test_every_module_is_classified() -> None:
    unknown = set(modules()) - set(CORE) - set(SHELLS)
    assert not unknown, f"classify {sorted(unknown)} as core or shell in tests/test_layering.py"


def test_the_lists_are_disjoint_and_the_core_exists() -> None:
    assert not set(CORE) & set(SHELLS)
    for m in ("model", "ims_json", "review", "checks", "upload", "actions"):
        assert (PKG / f"{m}.py").exists()


@pytest.mark.parametrize("module", [m for m in CORE])
def test_core_imports_no_workbook_or_cli_library(module: str) -> None:
    path = PKG / f"{module}.py"
    if not path.exists():
        pytest.skip(f"{module}.py does not exist (yet)")
    found = imports_of(path)
    assert not found & set(FORBIDDEN), f"{module}.py imports {sorted(found & set(FORBIDDEN))}"
    shells = {"." + s for s in SHELLS}
    assert not found & shells, f"{module}.py imports the shell module(s) {sorted(found & shells)}"


def test_shells_are_where_the_libraries_are() -> None:
    """The scan really sees imports: the shells do use the libraries the core may not."""
    assert "xlsxwriter" in imports_of(PKG / "xlsx.py") and "python_calamine" in imports_of(PKG / "xlsx.py")
    assert "argparse" in imports_of(PKG / "cli.py")


def test_scanner_sees_nested_and_relative_imports(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text("import os.path\nfrom . import xlsx\nfrom .cli import main\n"
                   "def f():\n    import openpyxl\n    from ims_xl.xl import x\n    from ims_xl import sheetxml\n")
    assert imports_of(src) == {"os", ".xlsx", ".cli", "openpyxl", "ims_xl", ".xl", ".sheetxml"}


#: The shells that face the user: the Excel shell and the command line never import each
#: other (what both need lives in the file shell, ``xlsx``/``safety``), so there is no circle
#: cli -> doctor -> xl -> cli; ``ims-xl doctor`` is a command, so cli may import doctor.
FRONTS = {"cli": (".xl",), "xl": (".cli",), "doctor": (".cli",)}


@pytest.mark.parametrize("module", sorted(FRONTS))
def test_no_user_facing_shell_imports_another(module: str) -> None:
    found = imports_of(PKG / f"{module}.py")
    assert not found & set(FRONTS[module]), f"{module}.py imports {sorted(found & set(FRONTS[module]))}"
