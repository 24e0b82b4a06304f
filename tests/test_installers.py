"""The desktop installers in ``install/`` and ``ims_xl.excel.doctor``, as far as Linux can check them.

- Static checks: each installer pins the xlwings version of ``pyproject.toml``, installs the
  add-in into the start-up folder, writes the xlwings.conf key the xlwings add-in reads (checked
  against xlwings' own VBA source), and has an uninstall path.
- ``install_macos.sh`` is parsed by bash (and shellcheck when installed), then run for real in a
  throw-away HOME with a stub Python/pip/xlwings: install twice (idempotent), uninstall.
- ``install_windows.ps1``: no PowerShell here, so a small tokenizer checks what it can
  (ASCII only, balanced brackets, no PowerShell 7-only operators, every called function defined).
- ``ims_xl.excel.doctor`` against fake Windows and macOS home folders.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ims_xl.excel import doctor  # noqa: E402

INSTALL = REPO / "install"
PS1 = INSTALL / "install_windows.ps1"
BAT = INSTALL / "install_windows.bat"
SH = INSTALL / "install_macos.sh"
CHECKLIST = INSTALL / "CHECKLIST.md"
ADDIN = REPO / "workbook" / "dist" / "ims_xl.xlam"
MAC_STARTUP = ("Library/Group Containers/UBF8T346G9.Office/User Content.localized/"
               "Startup.localized/Excel")
MAC_CONF = "Library/Containers/com.microsoft.Excel/Data/xlwings.conf"


def pinned_xlwings() -> str:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    [pin] = [d for d in deps if d.replace(" ", "").startswith("xlwings==")]
    return pin.split("==")[1].strip()


def xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).parent


# ---------------------------------------------------------------- static checks, both installers


@pytest.mark.parametrize("script", [PS1, SH], ids=["windows", "macos"])
def test_installer_pins_the_pyproject_xlwings_version(script):
    text = script.read_text()
    version = pinned_xlwings()
    assigned = re.findall(r"""(?:\$XlwingsVersion|XLWINGS_VERSION)\s*=\s*['"]([\w.]+)['"]""", text)
    assert assigned == [version]
    assert "xlwings==$XlwingsVersion" in text or "xlwings==$XLWINGS_VERSION" in text
    assert doctor.PINNED_XLWINGS == version


@pytest.mark.parametrize("script", [PS1, SH], ids=["windows", "macos"])
def test_installer_installs_addins_conf_and_workbook(script):
    text = script.read_text()
    for needle in ("ims_xl.xlam", "xlwings.xlam", "xlwings.conf", "xlwings\" addin install"
                   if script == SH else "addin install", "IMS Review.xlsx",
                   "ims_review_template.xlsx", "venv", "ims_xl.excel.doctor"):
        assert needle in text, needle


def test_windows_paths_match_xlwings_and_excel():
    text = PS1.read_text()
    config_bas = (xlwings_dir() / "addin" / "Config.bas").read_text()
    main_bas = (xlwings_dir() / "addin" / "Main.bas").read_text()
    # The add-in reads %USERPROFILE%\.xlwings\xlwings.conf and the INTERPRETER_WIN key.
    assert 'Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & ".conf"' in config_bas
    assert "Join-Path $env:USERPROFILE '.xlwings'" in text and "'xlwings.conf'" in text
    assert 'GetConfig("INTERPRETER_WIN"' in main_bas and "$ConfKey     = 'INTERPRETER_WIN'" in text
    assert r"Join-Path $env:APPDATA 'Microsoft\Excel\XLSTART'" in text
    assert r"Join-Path $env:LOCALAPPDATA 'ims-xl'" in text


def test_macos_paths_match_xlwings_and_excel():
    text = SH.read_text()
    import xlwings

    # xlwings' USER_CONFIG_FILE on macOS is inside Excel's sandbox container.
    init = (xlwings_dir() / "__init__.py").read_text()
    assert '"Containers",\n        "com.microsoft.Excel",\n        "Data",\n        "xlwings.conf"' in init
    assert 'CONF_DIR="$HOME/Library/Containers/com.microsoft.Excel/Data"' in text
    main_bas = (xlwings_dir() / "addin" / "Main.bas").read_text()
    assert 'GetConfig("INTERPRETER_MAC"' in main_bas and 'CONF_KEY="INTERPRETER_MAC"' in text
    assert f'STARTUP="$HOME/{MAC_STARTUP}"' in text
    # RunPython on macOS calls this AppleScript, which "xlwings runpython install" copies.
    assert (xlwings_dir() / f"xlwings-{xlwings.__version__}.applescript").is_file()
    assert 'APPLESCRIPT_TARGET="$SCRIPTS_DIR/xlwings-$XLWINGS_VERSION.applescript"' in text


def test_uninstall_paths_exist_and_spare_workbooks():
    ps1, sh = PS1.read_text(), SH.read_text()
    assert "[switch]$Uninstall" in ps1 and "if ($Uninstall) { Uninstall-ImsXl }" in ps1
    assert "--uninstall) uninstall ;;" in sh
    for text, body in ((ps1, _between(ps1, "function Uninstall-ImsXl", "\n}\n")),
                       (sh, _between(sh, "uninstall() {", "\n}\n"))):
        assert "Workbook" in body or "WORKBOOK" in body  # mentioned in the closing message only
        assert not re.search(r"(Remove-Item|rm )[^\n]*(\$Workbook|\$WORKBOOK|Documents)", body)


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i:text.index(end, i)]


def test_bat_wrapper_bypasses_policy_for_this_script_only():
    raw = BAT.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "a .bat needs CRLF"
    text = raw.decode("ascii")
    assert 'powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0install_windows.ps1" %*' in text
    assert "Set-ExecutionPolicy" not in text and "pause" in text


# ---------------------------------------------------------------- macOS shell script


def test_macos_script_parses():
    assert subprocess.run(["bash", "-n", str(SH)], capture_output=True).returncode == 0
    assert os.access(SH, os.X_OK) or SH.read_text().startswith("#!/bin/bash")


def test_macos_script_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (Debian: apt-get install shellcheck)")
    run = subprocess.run(["shellcheck", "--shell=bash", str(SH)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


STUB_PYTHON = """#!/bin/bash
# Stands in for the venv's python: pip and doctor are recorded, the rest runs on the real one.
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "pip ${*:3}" >> "$HOME/calls.log"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "ims_xl.excel.doctor" ]; then echo "doctor" >> "$HOME/calls.log"; exit 1; fi
exec "%s" "$@"
"""
STUB_XLWINGS = """#!/bin/bash
echo "xlwings $*" >> "$HOME/calls.log"
echo "Error: no Excel on this machine"
"""


@pytest.fixture
def mac_sandbox(tmp_path):
    """A fake repository (with the built add-in) and a fake HOME with a stub venv."""
    if ADDIN.exists():
        addin = ADDIN.read_bytes()
    else:
        pytest.skip("workbook/dist/ims_xl.xlam not built")
    repo, home = tmp_path / "repo", tmp_path / "home"
    (repo / "install").mkdir(parents=True)
    (repo / "workbook" / "dist").mkdir(parents=True)
    shutil.copy(SH, repo / "install" / SH.name)
    (repo / "workbook" / "dist" / "ims_xl.xlam").write_bytes(addin)
    (repo / "workbook" / "dist" / "ims_review_template.xlsx").write_bytes(b"blank template")
    venv_bin = home / "Library" / "Application Support" / "ims-xl" / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").write_text(STUB_PYTHON % sys.executable)
    (venv_bin / "xlwings").write_text(STUB_XLWINGS)
    for stub in venv_bin.iterdir():
        stub.chmod(0o755)
    (home / "Documents").mkdir()
    conf = home / MAC_CONF
    conf.parent.mkdir(parents=True)
    conf.write_text('"LICENSE_KEY","keep-me"\n"INTERPRETER_MAC","/usr/bin/python3"\n')
    return repo, home


def run_mac(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(["bash", str(repo / "install" / SH.name), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_macos_install_is_idempotent_and_uninstall_removes_only_its_files(mac_sandbox):
    repo, home = mac_sandbox
    venv_py = home / "Library" / "Application Support" / "ims-xl" / "venv" / "bin" / "python"
    for _ in range(2):
        run = run_mac(repo, home)
        assert run.returncode == 0, run.stderr + run.stdout
    startup = home / MAC_STARTUP
    assert (startup / "ims_xl.xlam").read_bytes() == ADDIN.read_bytes()
    assert (startup / "xlwings.xlam").read_bytes() == (xlwings_dir() / "addin" / "xlwings.xlam").read_bytes()
    script = home / "Library/Application Scripts/com.microsoft.Excel" / f"xlwings-{pinned_xlwings()}.applescript"
    assert script.is_file()
    conf = (home / MAC_CONF).read_text().splitlines()
    assert conf == ['"LICENSE_KEY","keep-me"', f'"INTERPRETER_MAC","{venv_py}"']
    assert doctor.read_conf(home / MAC_CONF)["INTERPRETER_MAC"] == str(venv_py)
    workbook = home / "Documents" / "IMS Review.xlsx"
    assert workbook.read_bytes() == b"blank template"
    calls = (home / "calls.log").read_text().splitlines()
    assert calls.count(f"pip install --disable-pip-version-check --quiet {repo}[build] "
                       f"xlwings=={pinned_xlwings()}") == 2
    assert calls.count("xlwings addin install") == 2

    workbook.write_bytes(b"the accountant's work")
    run = run_mac(repo, home)  # a third run never overwrites the user's workbook
    assert run.returncode == 0 and workbook.read_bytes() == b"the accountant's work"

    run = run_mac(repo, home, "--uninstall")
    assert run.returncode == 0, run.stderr
    assert not (startup / "ims_xl.xlam").exists()
    assert not (startup / "xlwings.xlam").exists()  # this installer had put it there
    assert not script.exists()
    assert not (home / "Library" / "Application Support" / "ims-xl").exists()
    assert (home / MAC_CONF).read_text().splitlines() == ['"LICENSE_KEY","keep-me"']
    assert workbook.read_bytes() == b"the accountant's work"


def test_macos_uninstall_keeps_an_xlwings_addin_it_did_not_install(mac_sandbox):
    repo, home = mac_sandbox
    startup = home / MAC_STARTUP
    startup.mkdir(parents=True)
    (startup / "xlwings.xlam").write_bytes(b"the user's own xlwings add-in")
    assert run_mac(repo, home).returncode == 0
    assert run_mac(repo, home, "--uninstall").returncode == 0
    assert (startup / "xlwings.xlam").read_bytes() == b"the user's own xlwings add-in"
    assert not (startup / "ims_xl.xlam").exists()


def test_macos_script_rejects_unknown_options(mac_sandbox):
    repo, home = mac_sandbox
    run = run_mac(repo, home, "--frobnicate")
    assert run.returncode == 1 and "unknown option" in run.stderr


# ---------------------------------------------------------------- PowerShell (static)


def ps_tokens(text: str) -> list[tuple[str, str]]:
    """Split PowerShell source into (kind, text): code, string, comment. Enough to check nesting."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("<#", i):
            j = text.index("#>", i) + 2
            out.append(("comment", text[i:j]))
        elif c == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(("comment", text[i:j]))
        elif text.startswith(("@'", '@"'), i) and text[i + 2:i + 3] in ("\r", "\n"):
            close = "\n" + text[i + 1] + "@"
            j = text.index(close, i) + len(close)
            out.append(("string", text[i:j]))
        elif c == "'":
            j = i + 1
            while True:
                j = text.index("'", j)
                if text[j + 1:j + 2] == "'":
                    j += 2
                    continue
                break
            out.append(("string", text[i:j + 1]))
            j += 1
        elif c == '"':
            j = i + 1
            while text[j] != '"' or text[j - 1] == "`":
                if text.startswith("$(", j):  # sub-expression: skip to its matching paren
                    depth, j = 1, j + 2
                    while depth:
                        depth += {"(": 1, ")": -1}.get(text[j], 0)
                        j += 1
                    continue
                j += 1
            out.append(("string", text[i:j + 1]))
            j += 1
        else:
            j = i + 1
            while j < n and text[j] not in "'\"#" and not text.startswith("<#", j):
                j += 1
            out.append(("code", text[i:j]))
        i = j
    return out


def test_powershell_script_is_plain_ascii_with_balanced_brackets():
    raw = PS1.read_bytes()
    # Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page: stay ASCII.
    assert raw.isascii()
    code = "".join(t for kind, t in ps_tokens(raw.decode("ascii")) if kind == "code")
    stack = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in code:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            assert stack and stack[-1] == pairs[ch], f"unbalanced {ch!r}"
            stack.pop()
    assert not stack, f"unclosed {stack}"


def test_powershell_script_avoids_powershell_7_only_syntax_and_defines_what_it_calls():
    text = PS1.read_text()
    code = "".join(t for kind, t in ps_tokens(text) if kind == "code")
    for op in ("??", "?.", "&&", "||", " ? "):  # PS 7 null-coalescing, pipeline chains, ternary
        assert op not in code, f"{op!r} needs PowerShell 7; Windows ships 5.1"
    assert code.lstrip().startswith("[CmdletBinding()]")
    assert "Set-StrictMode -Version 2.0" in code and "$ErrorActionPreference = 'Stop'" in text
    defined = set(re.findall(r"^function ([\w-]+)", text, re.M))
    called = set(re.findall(r"\b([A-Z][a-z]+-[A-Z][A-Za-z]+)\b", code))
    cmdlets = {"Set-StrictMode", "Get-Process", "Get-Command", "Get-Content", "Add-Content",
               "Test-Path", "New-Item", "Out-Null", "Copy-Item", "Remove-Item", "Unblock-File",
               "Write-Host", "Where-Object", "Select-Object", "Resolve-Path", "Join-Path",
               "New-Object"}
    assert called - defined - cmdlets == set(), "called but neither defined nor a known cmdlet"
    for needed in ("Install-ImsXl", "Uninstall-ImsXl", "Find-Python", "Set-ConfLines", "Say", "Fail"):
        assert needed in defined
    # The conf file is written without a byte-order mark, which VBA's Input # would read as text.
    assert "[System.IO.File]::WriteAllLines($ConfFile, $Lines, (Get-AnsiEncoding))" in text
    assert "Set-Content" not in code and "Out-File" not in code


# ---------------------------------------------------------------- doctor


def test_doctor_is_stdlib_plus_xlwings():
    tree = ast.parse((REPO / "ims_xl" / "excel" / "doctor.py").read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    assert roots - set(sys.stdlib_module_names) <= {"xlwings", "ims_xl"}


def test_doctor_on_linux_reports_excel_not_applicable(tmp_path):
    checks = doctor.doctor_checks("linux", tmp_path, {})
    names = [name for name, _, _ in checks]
    assert names[:3] == ["Python version", "ims_xl importable", "xlwings version"]
    excel = [c for c in checks if c[2].startswith(doctor.NOT_APPLICABLE)]
    assert excel and all(ok for _, ok, _ in excel)
    assert any("Excel not available on linux" in msg for _, _, msg in excel)
    assert dict((n, ok) for n, ok, _ in checks)["xlwings version"] is True


def test_doctor_windows_missing_everything_says_how_to_fix(tmp_path):
    checks = doctor.doctor_checks("win32", tmp_path, {"APPDATA": str(tmp_path / "AppData")})
    failed = {name: msg for name, ok, msg in checks if not ok}
    for name in ("xlwings.conf interpreter", "xlwings add-in", "GST IMS ribbon add-in"):
        assert name in failed and "Fix:" in failed[name]
    assert "install_windows.bat" in failed["GST IMS ribbon add-in"]


def test_doctor_windows_installed(tmp_path):
    appdata = tmp_path / "AppData"
    xlstart = appdata / "Microsoft" / "Excel" / "XLSTART"
    xlstart.mkdir(parents=True)
    shutil.copy(xlwings_dir() / "addin" / "xlwings.xlam", xlstart / "xlwings.xlam")
    if not ADDIN.exists():
        pytest.skip("workbook/dist/ims_xl.xlam not built")
    shutil.copy(ADDIN, xlstart / "ims_xl.xlam")
    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    conf.write_text(f'"LICENSE_KEY","x"\n"INTERPRETER_WIN","{sys.executable}"\n')
    checks = {name: (ok, msg) for name, ok, msg in
              doctor.doctor_checks("win32", tmp_path, {"APPDATA": str(appdata)})}
    assert checks["xlwings.conf interpreter"][0], checks["xlwings.conf interpreter"]
    assert checks["xlwings add-in"][0] and checks["GST IMS ribbon add-in"][0]
    assert "Excel's Python has ims-xl" in checks  # its result depends on ims_xl.excel.shell being there
    assert checks["xlwings DLL"][0] is False  # no xlwings64-<version>.dll on Linux

    (xlstart / "xlwings.xlam").write_bytes(b"an older add-in")
    (xlstart / "ims_xl.xlam").write_bytes(b"not a zip")
    checks = {name: (ok, msg) for name, ok, msg in
              doctor.doctor_checks("win32", tmp_path, {"APPDATA": str(appdata)})}
    assert not checks["xlwings add-in"][0] and "xlwings addin install" in checks["xlwings add-in"][1]
    assert not checks["GST IMS ribbon add-in"][0] and "damaged" in checks["GST IMS ribbon add-in"][1]


def test_doctor_reads_the_conf_the_way_xlwings_writes_it(tmp_path):
    conf = tmp_path / "xlwings.conf"
    conf.write_text('"INTERPRETER_WIN","C:\\Users\\a b\\venv\\Scripts\\python.exe"\n'
                    '"conda path",""\nnot a conf line\n')
    assert doctor.read_conf(conf) == {"INTERPRETER_WIN": "C:\\Users\\a b\\venv\\Scripts\\python.exe",
                                      "CONDA PATH": ""}


def test_doctor_reads_the_conf_the_windows_installer_writes(tmp_path):
    """install_windows.ps1 writes xlwings.conf in the ANSI code page (VBA's Input # reads it
    so): a profile folder such as C:\\Users\\Jörg is one byte (0xF6) there, not UTF-8."""
    conf = tmp_path / "xlwings.conf"
    conf.write_bytes('"INTERPRETER_WIN","C:\\Users\\Jörg\\venv\\Scripts\\python.exe"\r\n'.encode("cp1252"))
    assert doctor.read_conf(conf) == {"INTERPRETER_WIN": "C:\\Users\\Jörg\\venv\\Scripts\\python.exe"}


@pytest.mark.parametrize("bom, codec", [(b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le")])
def test_doctor_says_a_conf_saved_as_unicode_cannot_be_read_by_the_add_in(tmp_path, bom, codec):
    home = tmp_path / "home"
    conf = doctor.conf_path("win32", home)
    conf.parent.mkdir(parents=True)
    conf.write_bytes(bom + '"INTERPRETER_WIN","C:\\py\\python.exe"\r\n'.encode(codec))
    assert doctor.read_conf(conf) == {"INTERPRETER_WIN": "C:\\py\\python.exe"}
    checks = {n: (ok, msg) for n, ok, msg in doctor.doctor_checks("win32", home, {"APPDATA": str(tmp_path)})}
    ok, msg = checks["xlwings.conf interpreter"]
    assert not ok and "byte-order mark" in msg, msg


def test_doctor_format_marks_each_check():
    text = doctor.format_checks([("a", True, "fine"), ("b", False, "broken. Fix: x"),
                                 ("c", True, doctor.NOT_APPLICABLE + "no Excel")])
    assert text.splitlines() == ["OK   a: fine", "FAIL b: broken. Fix: x",
                                 "--   c: not applicable: no Excel"]


def test_checklist_covers_every_ribbon_button():
    from ims_xl.registry import ACTIONS

    text = CHECKLIST.read_text()
    for action in ACTIONS:
        assert action.label in text, action.label
    for needle in ("GST IMS", "install_windows.bat", "install_macos.sh", "ims-xl doctor", "--uninstall"):
        assert needle in text
