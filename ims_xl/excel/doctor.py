"""``ims-xl doctor``: check an Excel installation of ims-xl and say how to fix what is wrong.

Each check returns ``(name, ok, message)``. A check that cannot apply on this platform
(Excel does not run on Linux) passes with a message starting ``not applicable:``.
The paths are the ones the installers in ``install/`` write:

=================  =====================================================  ===========================================================================
what               Windows                                                macOS
=================  =====================================================  ===========================================================================
xlwings.conf       ``%USERPROFILE%\\.xlwings\\xlwings.conf``               ``~/Library/Containers/com.microsoft.Excel/Data/xlwings.conf`` (sandbox)
Excel start-up     ``%APPDATA%\\Microsoft\\Excel\\XLSTART``                 ``~/Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel``
=================  =====================================================  ===========================================================================

Standard library plus ``xlwings`` (imported lazily, so a broken xlwings is reported, not raised).
This is a shell module: no GST logic, nothing here is used by the core.
"""

from __future__ import annotations

import codecs
import locale
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

Check = tuple[str, bool, str]

#: Fallback when the installed distribution's metadata cannot be read (a plain checkout).
PINNED_XLWINGS = "0.37.8"
MIN_PYTHON = (3, 11)
ADDIN_NAME = "ims_xl.xlam"
XLWINGS_ADDIN = "xlwings.xlam"
NOT_APPLICABLE = "not applicable: "
REINSTALL_WIN = r"run install\install_windows.bat again"
REINSTALL_MAC = "run install/install_macos.sh again"

#: One line of xlwings.conf, as VBA's ``Write #`` writes it and xlwings' ``config create``
#: does: ``"KEY","VALUE"``.
_CONF_LINE = re.compile(r'^\s*"([^"]*)"\s*,\s*"([^"]*)"\s*$')


def pinned_xlwings_version() -> str:
    """The xlwings version ims-xl pins (``xlwings==X`` in its installed metadata)."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        for req in requires("ims-xl") or ():
            match = re.match(r"^xlwings\s*==\s*([\w.]+)", req)
            if match:
                return match.group(1)
    except PackageNotFoundError:
        pass
    return PINNED_XLWINGS


def conf_path(platform: str, home: Path) -> Path:
    """Where the xlwings add-in reads its user configuration (see xlwings ``USER_CONFIG_FILE``)."""
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "xlwings.conf"
    return home / ".xlwings" / "xlwings.conf"


def xlstart_dir(platform: str, home: Path, env: Mapping[str, str]) -> Path | None:
    """The per-user folder whose add-ins Excel opens at start, or None off Windows/macOS."""
    if platform == "win32":
        appdata = env.get("APPDATA") or str(home / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return (home / "Library" / "Group Containers" / "UBF8T346G9.Office"
                / "User Content.localized" / "Startup.localized" / "Excel")
    return None


#: Byte-order marks the xlwings add-in cannot read: it reads the file with VBA's Input #, in
#: the ANSI code page, so a marked file's first key is never found (install_windows.ps1
#: writes it without one, in that code page).
_CONF_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _conf_text(data: bytes) -> str:
    """The text of xlwings.conf: UTF-8 when it is that (xlwings' own ``config create``), else
    the Windows ANSI code page the installer writes it in (a profile path such as
    ``C:\\Users\\Jörg`` is not UTF-8 there); a marked file is decoded by its mark."""
    for bom, codec in _CONF_BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode(locale.getpreferredencoding(False) if sys.platform == "win32" else "cp1252",
                           errors="replace")


def read_conf(path: Path) -> dict[str, str]:
    """Parse xlwings.conf into ``{KEY: value}`` (keys upper-cased, as the add-in compares them)."""
    out: dict[str, str] = {}
    for line in _conf_text(path.read_bytes()).splitlines():
        match = _CONF_LINE.match(line)
        if match:
            out[match.group(1).upper()] = match.group(2)
    return out


def _check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    need = ".".join(map(str, MIN_PYTHON))
    return ("Python version", ok,
            f"Python {version} at {sys.executable}" if ok else
            f"Python {version} is too old: ims-xl needs {need} or newer. Install Python {need}+ "
            "from python.org, then run the installer again.")


def _check_ims_xl() -> Check:
    try:
        import ims_xl.excel.shell as shell
    except Exception as exc:  # noqa: BLE001 - any import failure is the finding
        return ("ims_xl importable", False,
                f"import ims_xl.excel.shell failed ({type(exc).__name__}: {exc}). Run the installer again "
                "(it reinstalls ims-xl into its virtual environment).")
    if not callable(getattr(shell, "run_action", None)):
        return ("ims_xl importable", False,
                "ims_xl.excel.shell has no run_action(): the ribbon buttons cannot reach Python. "
                "Reinstall ims-xl with the installer.")
    return ("ims_xl importable", True, f"ims_xl from {Path(shell.__file__).parents[1]}")


def _check_xlwings(pinned: str) -> Check:
    try:
        import xlwings
    except Exception as exc:  # noqa: BLE001
        return ("xlwings version", False,
                f"xlwings cannot be imported ({exc}). Install it: pip install xlwings=={pinned}")
    ok = xlwings.__version__ == pinned
    return ("xlwings version", ok,
            f"xlwings {xlwings.__version__}" if ok else
            f"xlwings {xlwings.__version__} is installed but ims-xl pins {pinned}: the add-in's VBA "
            f"names its own version's DLL/AppleScript. Fix: pip install xlwings=={pinned}, then "
            "run: xlwings addin install")


def _conf_interpreter(conf: dict[str, str], platform: str) -> str | None:
    key = "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"
    return conf.get(key) or conf.get("INTERPRETER")


def _check_conf(platform: str, home: Path) -> tuple[Check, Path | None]:
    path = conf_path(platform, home)
    fix = REINSTALL_MAC if platform == "darwin" else REINSTALL_WIN
    name = "xlwings.conf interpreter"
    if not path.is_file():
        return (name, False, f"{path} does not exist, so Excel would start the wrong Python. "
                f"Fix: {fix} (or run: xlwings config create)."), None
    head = path.read_bytes()[:4]
    if any(head.startswith(bom) for bom, _ in _CONF_BOMS):
        return (name, False, f"{path} starts with a byte-order mark (saved as Unicode), which the xlwings "
                f"add-in cannot read. Fix: {fix}."), None
    conf = read_conf(path)
    interpreter = _conf_interpreter(conf, platform)
    if not interpreter:
        if conf.get("CONDA PATH"):
            return (name, True, f"{path} uses conda at {conf['CONDA PATH']}"), None
        key = "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"
        return (name, False, f"{path} has no {key} line. Fix: {fix}."), None
    exe = Path(os.path.expanduser(os.path.expandvars(interpreter)))
    if exe.is_dir():
        return (name, False, f"{path} names the folder {exe}, not a python program in it. Fix: {fix}."), None
    if not exe.is_file():
        return (name, False, f"{path} names {exe}, which does not exist. Fix: {fix}."), None
    return (name, True, f"{path} -> {exe}"), exe


def _check_interpreter_has_ims_xl(exe: Path, pinned: str) -> Check:
    name = "Excel's Python has ims-xl"
    code = ("import sys, xlwings, ims_xl.excel.shell; "
            "print(xlwings.__version__); print(sys.executable)")
    try:
        run = subprocess.run([str(exe), "-c", code], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return (name, False, f"could not run {exe}: {exc}")
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return (name, False, f"{exe} cannot import ims_xl.excel.shell ({last}). Fix: run the installer again.")
    version = run.stdout.split()[0] if run.stdout.split() else "?"
    if version != pinned:
        return (name, False, f"{exe} has xlwings {version}, ims-xl pins {pinned}. "
                f"Fix: {exe} -m pip install xlwings=={pinned}")
    return (name, True, f"{exe} imports ims_xl.excel.shell with xlwings {version}")


def _check_addins(platform: str, home: Path, env: Mapping[str, str], pinned: str) -> list[Check]:
    folder = xlstart_dir(platform, home, env)
    if folder is None:
        return [("Excel add-ins", True, NOT_APPLICABLE + f"Excel not available on {platform}; "
                 "the ribbon needs Excel on Windows or macOS (see install/CHECKLIST.md).")]
    fix = REINSTALL_MAC if platform == "darwin" else REINSTALL_WIN
    out = []
    xw_addin = folder / XLWINGS_ADDIN
    if not xw_addin.is_file():
        out.append(("xlwings add-in", False, f"{xw_addin} is missing, so the buttons cannot reach "
                    f"Python. Fix: quit Excel, then run: xlwings addin install (or {fix})."))
    else:
        out.append(("xlwings add-in", *_same_as_package_addin(xw_addin, pinned)))
    ours = folder / ADDIN_NAME
    if not ours.is_file():
        out.append(("GST IMS ribbon add-in", False,
                    f"{ours} is missing, so Excel shows no GST IMS tab. Fix: quit Excel, then {fix}."))
    elif not _has_ribbon(ours):
        out.append(("GST IMS ribbon add-in", False,
                    f"{ours} is damaged (no ribbon inside). Fix: quit Excel, then {fix}."))
    else:
        out.append(("GST IMS ribbon add-in", True, f"{ours}"))
    if platform == "darwin":
        script_dir = home / "Library" / "Application Scripts" / "com.microsoft.Excel"
        script = script_dir / f"xlwings-{pinned}.applescript"
        out.append(("xlwings AppleScript", script.is_file(),
                    f"{script}" if script.is_file() else
                    f"{script} is missing: RunPython cannot start Python on macOS. "
                    "Fix: xlwings runpython install"))
    return out


def _has_ribbon(path: Path) -> bool:
    """Is ``path`` a zip package holding the customUI part and a VBA project?"""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False
    return {"customUI/customUI14.xml", "xl/vbaProject.bin"} <= names


def _same_as_package_addin(installed: Path, pinned: str) -> tuple[bool, str]:
    """Is the xlwings.xlam in the start-up folder the one shipped with the pinned xlwings?"""
    try:
        import xlwings
    except Exception:  # noqa: BLE001 - reported by the version check
        return True, f"{installed} (version not checked: xlwings not importable)"
    shipped = Path(xlwings.__file__).parent / "addin" / XLWINGS_ADDIN
    if shipped.is_file() and shipped.read_bytes() != installed.read_bytes():
        return False, (f"{installed} is not the add-in of xlwings {xlwings.__version__} (another "
                       f"version?). Fix: quit Excel, then run: xlwings addin install")
    return True, f"{installed}"


def _check_windows_dll(exe: Path | None, pinned: str) -> list[Check]:
    """xlwings' VBA loads xlwings64-<version>.dll beside the interpreter or one folder up (venv)."""
    if exe is None:
        return []
    names = (f"xlwings64-{pinned}.dll", f"xlwings32-{pinned}.dll")
    folders = (exe.parent, exe.parent.parent)
    found = [f / n for f in folders for n in names if (f / n).is_file()]
    return [("xlwings DLL", bool(found),
             f"{found[0]}" if found else
             f"no {names[0]} in {folders[0]} or {folders[1]}: Excel cannot load xlwings. "
             f"Fix: {exe} -m pip install --force-reinstall xlwings=={pinned}")]


def doctor_checks(platform: str | None = None, home: Path | None = None,
                  env: Mapping[str, str] | None = None) -> list[Check]:
    """Run every installation check.

    Args:
        platform: ``sys.platform`` value to check for (default: this machine's).
        home: the user's home folder (default: ``Path.home()``).
        env: environment variables (default: ``os.environ``); Windows reads ``APPDATA``.

    Returns:
        ``(check name, ok, message)`` per check; a failing message says how to fix it.
    """
    platform = platform or sys.platform
    home = home or Path.home()
    env = os.environ if env is None else env
    pinned = pinned_xlwings_version()
    checks = [_check_python(), _check_ims_xl(), _check_xlwings(pinned)]
    if xlstart_dir(platform, home, env) is None:
        checks.append(("xlwings.conf interpreter", True, NOT_APPLICABLE +
                       f"Excel not available on {platform}; the command line needs no xlwings.conf."))
        checks += _check_addins(platform, home, env, pinned)
        return checks
    conf_check, exe = _check_conf(platform, home)
    checks.append(conf_check)
    if exe is not None:
        checks.append(_check_interpreter_has_ims_xl(exe, pinned))
        if platform == "win32":
            checks += _check_windows_dll(exe, pinned)
    checks += _check_addins(platform, home, env, pinned)
    return checks


def format_checks(checks: list[Check]) -> str:
    """One line per check: ``OK``, ``--`` (not applicable) or ``FAIL``, name and message."""
    lines = []
    for name, ok, message in checks:
        mark = "--  " if message.startswith(NOT_APPLICABLE) else ("OK  " if ok else "FAIL")
        lines.append(f"{mark} {name}: {message}")
    return "\n".join(lines)


def main() -> int:
    """Print the checks; exit 1 if any failed."""
    checks = doctor_checks()
    print(format_checks(checks))
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
