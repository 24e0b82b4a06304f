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

#: Every module, by its path below ims_xl, in its wing (docs/ARCHITECTURE.md).
WINGS: dict[str, tuple[str, ...]] = {
    "vocabulary": ("__init__", "model", "money", "gstin", "errors", "registry", "bulk", "jsontext"),
    "formats": ("formats/__init__", "formats/ims_json", "formats/schema", "formats/register/__init__",
                "formats/register/vocabulary", "formats/register/headers", "formats/register/cells",
                "formats/register/reader", "formats/register/documents", "formats/gstr2b",
                "formats/gstr2b_excel"),
    "review": ("review/__init__", "review/book", "review/inputs", "review/checks", "review/upload",
               "review/audit", "review/sheets", "review/layout", "review/month_end", "review/deadlines",
               "review/letters", "review/carry", "review/your_columns"),
    "reconcile": ("reconcile/__init__", "reconcile/base", "reconcile/numbers", "reconcile/prepare",
                  "reconcile/candidates", "reconcile/assign", "reconcile/explain", "reconcile/matcher",
                  "reconcile/matching"),
    "actions": ("actions",),
    "samples": ("samples/__init__", "samples/download", "samples/register", "samples/gstr2b"),
    "files": ("files/__init__", "files/xlsx", "files/read", "files/atomic", "files/sheetxml", "files/notes", "files/safety",
              "files/letters"),
    "excel": ("excel/__init__", "excel/shell", "excel/workbook", "excel/dialogs", "excel/doctor"),
    "cli": ("cli", "cli_parser", "__main__", "batch"),
}
CORE = tuple(m for w in ("vocabulary", "formats", "review", "reconcile", "actions", "samples") for m in WINGS[w])
SHELLS = tuple(m for w in ("files", "excel", "cli") for m in WINGS[w])
#: What each core wing may import of ims_xl (besides itself): no shell, and no wing "above" it.
MAY_IMPORT: dict[str, set[str]] = {
    "vocabulary": set(),
    "formats": {"vocabulary"},
    "review": {"vocabulary", "formats"},
    "reconcile": {"vocabulary", "formats", "review"},
    "actions": {"vocabulary", "formats", "review", "reconcile"},
    "samples": {"vocabulary", "formats", "reconcile"},
}
FORBIDDEN = ("xlwings", "openpyxl", "xlsxwriter", "python_calamine", "argparse", "click")


def imports_of(path: Path) -> set[str]:
    """What ``path`` imports: third-party modules by their top-level name, ims_xl's by their
    path below ims_xl (``review/book``, ``cli``, ``excel/__init__``), relative imports resolved.
    Imports inside functions count too (``ast.walk`` sees them)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = list(path.resolve().relative_to(PKG).with_suffix("").parts[:-1]) if path.resolve().is_relative_to(PKG) else []
    out: set[str] = set()

    def ours(parts: list[str]) -> str:
        cand = "/".join(parts)
        if cand and (PKG / cand).is_dir():
            return cand + "/__init__"
        return cand or "__init__"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                out.add(ours(parts[1:]) if parts[0] == "ims_xl" and len(parts) > 1 else parts[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                mod = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "ims_xl":
                mod = node.module.split(".")[1:]
            else:
                if node.module:
                    out.add(node.module.split(".")[0])
                continue
            for a in node.names:  # a name is a module (from . import xlsx) or an attribute
                cand = mod + [a.name]
                is_mod = (PKG.joinpath(*cand).with_suffix(".py")).exists() or (PKG.joinpath(*cand)).is_dir()
                out.add(ours(cand) if is_mod else ours(mod))
    return out


def all_modules() -> list[str]:
    return sorted(str(p.relative_to(PKG).with_suffix("")) for p in PKG.rglob("*.py"))


def wing_of(module: str) -> str:
    return next(w for w, ms in WINGS.items() if module in ms)


def test_every_module_is_in_a_wing() -> None:
    listed = set(CORE) | set(SHELLS)
    unknown = set(all_modules()) - listed
    assert not unknown, f"put {sorted(unknown)} in a wing in tests/test_layering.py (docs/ARCHITECTURE.md)"
    assert not listed - set(all_modules()), f"listed but gone: {sorted(listed - set(all_modules()))}"
    assert not set(CORE) & set(SHELLS)


@pytest.mark.parametrize("module", CORE)
def test_core_imports_no_workbook_or_cli_library_nor_a_wing_above_it(module: str) -> None:
    found = imports_of(PKG / f"{module}.py")
    assert not found & set(FORBIDDEN), f"{module}.py imports {sorted(found & set(FORBIDDEN))}"
    wing = wing_of(module)
    ours = {m for m in found if m in set(CORE) | set(SHELLS)}
    shells = sorted(m for m in ours if m in SHELLS)
    assert not shells, f"{module}.py imports the shell module(s) {shells}"
    above = sorted(m for m in ours if wing_of(m) not in MAY_IMPORT[wing] | {wing})
    assert not above, f"{module}.py ({wing}) imports {above}; it may import {sorted(MAY_IMPORT[wing])}"


def test_the_wings_import_each_other_without_a_circle() -> None:
    """The allowed imports between core wings form no circle (a wing never needs itself back)."""
    seen: dict[str, int] = {}

    def visit(w: str) -> None:
        assert seen.get(w) != 1, f"a circle through the {w} wing"
        if seen.get(w) == 2:
            return
        seen[w] = 1
        for v in MAY_IMPORT[w]:
            visit(v)
        seen[w] = 2
    for w in MAY_IMPORT:
        visit(w)


def test_shells_are_where_the_libraries_are() -> None:
    """The scan really sees imports: the shells do use the libraries the core may not."""
    assert "xlsxwriter" in imports_of(PKG / "files" / "xlsx.py")
    assert "python_calamine" in imports_of(PKG / "files" / "read.py")
    assert "argparse" in imports_of(PKG / "cli_parser.py")
    assert "review/book" in imports_of(PKG / "actions.py")


def test_scanner_sees_nested_and_relative_imports() -> None:
    src = PKG / "review" / "_scan_probe.py"
    src.write_text("import os.path\nfrom . import checks\nfrom ..files.xlsx import x\n"
                   "def f():\n    import openpyxl\n    from ims_xl.excel.shell import x\n"
                   "    from ims_xl import cli\n    from .. import __version__\n", encoding="utf-8")
    try:
        assert imports_of(src) == {"os", "review/checks", "files/xlsx", "openpyxl", "excel/shell",
                                   "cli", "__init__"}
    finally:
        src.unlink()


#: The shells that face the user: the Excel shell and the command line never import each
#: other (what both need lives in the file shell), so there is no circle cli -> doctor ->
#: shell -> cli; ``ims-xl doctor`` is a command, so cli may import doctor.
FRONTS = {"cli": ("excel/shell",), "excel/shell": ("cli",), "excel/doctor": ("cli",),
          "files/xlsx": ("cli", "excel/shell", "excel/doctor"),
          "files/safety": ("cli", "excel/shell", "excel/doctor")}


@pytest.mark.parametrize("module", sorted(FRONTS))
def test_no_shell_imports_the_shell_it_serves(module: str) -> None:
    found = imports_of(PKG / f"{module}.py")
    assert not found & set(FRONTS[module]), f"{module}.py imports {sorted(found & set(FRONTS[module]))}"


def test_every_sub_command_runs_something() -> None:
    """The parser (``cli_parser``) and the commands (``cli.COMMANDS``) name the same commands."""
    import argparse

    from ims_xl import cli
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(cli.COMMANDS)


@pytest.mark.parametrize("shell", ["cli.py", "excel/shell.py"])
def test_the_shells_stay_thin(shell: str) -> None:
    """A shell reads inputs, calls one action, writes outputs and reports (docs/ARCHITECTURE.md):
    anything else belongs in a wing. The bound leaves room for a command or two, not a rule."""
    n = len((PKG / shell).read_text(encoding="utf-8").splitlines())
    assert n <= 400, f"{shell} has {n} lines: move what is not reading, one action, writing and reporting"
