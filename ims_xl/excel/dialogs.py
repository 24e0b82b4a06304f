"""File dialogs of the Excel shell: xlwings has no cross-platform one (tests replace them)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import InputError

JSON_FILES = (("JSON files", "*.json"),)
GSTR2B_FILES = (("GSTR-2B (JSON or Excel)", "*.json;*.xlsx"),)
REVIEW_FILES = (("Review workbooks", "*.xlsx"),)
REGISTER_FILES = (("Purchase register (Excel, OpenDocument or CSV)", "*.xlsx;*.xlsm;*.xls;*.xlsb;*.ods;*.csv;*.txt"),)


def ask_open_file(app: Any, title: str, kinds: tuple[tuple[str, str], ...]) -> str | None:
    """A file-open dialog; None when the user cancels. xlwings has no cross-platform one."""
    if sys.platform.startswith("win"):
        result = app.api.GetOpenFilename(",".join(f"{label} ({pat}),{pat}" for label, pat in kinds),
                                         1, title)
        return result if isinstance(result, str) and result else None
    if sys.platform == "darwin":  # the same StandardAdditions route as xlwings' own App.alert
        import osax  # noqa: PLC0415 - appscript's, installed with xlwings on macOS
        from appscript.reference import CommandError  # noqa: PLC0415
        sa = osax.OSAX(pid=app.pid)
        sa.activate()
        exts = [p.lstrip("*.") for _, pats in kinds for p in pats.split(";")]
        try:
            return sa.choose_file(with_prompt=title, of_type=exts).path
        except CommandError:  # -128: the user cancelled
            return None
    raise InputError("file dialogs need Excel on Windows or macOS")


def ask_save_file(app: Any, title: str, default: str) -> str | None:
    """A file-save dialog proposing ``default`` (a full path); None when cancelled."""
    if sys.platform.startswith("win"):
        result = app.api.GetSaveAsFilename(default, "JSON files (*.json),*.json", 1, title)
        return result if isinstance(result, str) and result else None
    if sys.platform == "darwin":
        import osax  # noqa: PLC0415
        from appscript.reference import CommandError  # noqa: PLC0415
        sa = osax.OSAX(pid=app.pid)
        sa.activate()
        try:
            return sa.choose_file_name(with_prompt=title, default_name=Path(default).name).path
        except CommandError:
            return None
    raise InputError("file dialogs need Excel on Windows or macOS")
