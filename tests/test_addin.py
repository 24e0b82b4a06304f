"""The "GST IMS" ribbon add-in, checked by readers independent of the tool that wrote it.

``workbook/build_addin.py`` writes the add-in with pyOpenVBA and zipfile. Here it is read
back with zipfile + ElementTree (package parts, content types, relationships, customUI),
oletools' olevba (the VBA source), olefile (the CFB streams) and, when installed,
LibreOffice headless (a second VBA reader). What Linux cannot show -- Excel drawing the tab
and a click reaching Python -- is in ``install/CHECKLIST.md``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import olefile
import pytest
from oletools.olevba import VBA_Parser

REPO = Path(__file__).resolve().parents[1]
WORKBOOK = REPO / "workbook"
BAS = WORKBOOK / "ims_xl_ribbon.bas"
COMMITTED = WORKBOOK / "dist" / "ims_xl.xlam"

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
UI_NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
OFFICE_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
ADDIN_CT = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_CT = "application/vnd.ms-office.vbaProject"
OFFICE_TYPELIB = "{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}"  # declares IRibbonControl

CALLBACK_RE = re.compile(
    r"^[ \t]*Public[ \t]+Sub[ \t]+(\w+)[ \t]*\([ \t]*(?:ByRef[ \t]+|ByVal[ \t]+)?"
    r"control[ \t]+As[ \t]+(?:Office\.)?IRibbonControl[ \t]*\)",
    re.IGNORECASE | re.MULTILINE,
)


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_addin", WORKBOOK / "build_addin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_addin = _load_builder()  # also puts the checkout on sys.path when not installed

from ims_xl.registry import ACTIONS, GROUPS  # noqa: E402


def lf(text: str) -> str:
    """Normalise line endings."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin.build_addin(tmp_path_factory.mktemp("addin") / "ims_xl.xlam")


@pytest.fixture(scope="module")
def package(addin) -> dict[str, bytes]:
    with zipfile.ZipFile(addin) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def vba_modules(addin) -> dict[str, str]:
    """Module name -> source, as oletools' olevba reads them."""
    parser = VBA_Parser(str(addin))
    try:
        assert parser.detect_vba_macros()
        return {Path(vba_name).stem: code for _, _, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.fixture(scope="module")
def ole(package):
    with olefile.OleFileIO(io.BytesIO(package["xl/vbaProject.bin"])) as f:
        yield f


def content_type(package: dict[str, bytes], part: str) -> str | None:
    """Resolve a part's content type the OPC way: Override first, then Default by extension."""
    root = ET.fromstring(package["[Content_Types].xml"])
    for o in root.iter(f"{CT_NS}Override"):
        if o.get("PartName").lstrip("/").lower() == part.lower():
            return o.get("ContentType")
    ext = PurePosixPath(part).suffix.lstrip(".").lower()
    for d in root.iter(f"{CT_NS}Default"):
        if d.get("Extension").lower() == ext:
            return d.get("ContentType")
    return None


def relationships(package: dict[str, bytes], rels_part: str) -> list[tuple[str, str]]:
    """(type, target part) pairs of a .rels part, targets resolved against its source part."""
    source_dir = PurePosixPath(rels_part).parent.parent  # "_rels/.rels" -> "", "xl/_rels/x" -> "xl"
    out = []
    for r in ET.fromstring(package[rels_part]).iter(f"{REL_NS}Relationship"):
        assert r.get("TargetMode") != "External"
        target = r.get("Target")
        path = target.lstrip("/") if target.startswith("/") else str(source_dir / target)
        out.append((r.get("Type"), path.removeprefix("./")))
    return out


def customui(package) -> ET.Element:
    [(_, part)] = [r for r in relationships(package, "_rels/.rels") if r[0] == UI_REL]
    return ET.fromstring(package[part])


# ---------------------------------------------------------------- package structure


def test_parts_content_types_and_relationships(package):
    assert set(package) >= {
        "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
        "xl/vbaProject.bin", "customUI/customUI14.xml",
    }
    root_rels = relationships(package, "_rels/.rels")
    [main] = [t for kind, t in root_rels if kind == OFFICE_DOC_REL]
    assert content_type(package, main) == ADDIN_CT  # an add-in, not a workbook
    [ui] = [t for kind, t in root_rels if kind == UI_REL]
    assert ui == "customUI/customUI14.xml"
    assert content_type(package, ui) == "application/xml"
    for _, target in root_rels:
        assert target in package, f"dangling relationship to {target}"
    [vba] = [t for kind, t in relationships(package, "xl/_rels/workbook.xml.rels") if kind == VBA_REL]
    assert vba == "xl/vbaProject.bin"
    assert content_type(package, vba) == VBA_CT
    for name in package:
        if name.endswith((".xml", ".rels")):
            ET.fromstring(package[name])  # every XML part is well-formed


def test_only_the_template_parts_change(package):
    """Every part except the VBA project, the root rels and the new customUI is the template's."""
    with zipfile.ZipFile(io.BytesIO(_template_bytes())) as z:
        template = {n: z.read(n) for n in z.namelist()}
    changed = {n for n in template if template[n] != package.get(n)}
    assert changed == {"xl/vbaProject.bin", "_rels/.rels"}
    assert set(package) - set(template) == {"customUI/customUI14.xml"}


def _template_bytes() -> bytes:
    from pyopenvba import ExcelFile

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.xlam"
        ExcelFile.create_new(path).close()
        return path.read_bytes()


# ---------------------------------------------------------------- ribbon XML


def test_customui_is_the_2009_namespace_with_one_tab(package):
    root = customui(package)
    assert root.tag == f"{UI_NS}customUI"
    [tab] = root.iter(f"{UI_NS}tab")
    assert tab.get("label") == "GST IMS"
    assert [g.get("label") for g in tab.iter(f"{UI_NS}group")] == list(GROUPS)


def test_one_button_per_registry_action(package):
    root = customui(package)
    buttons = []
    for group in root.iter(f"{UI_NS}group"):
        for b in group.iter(f"{UI_NS}button"):
            buttons.append((group.get("label"), b.get("tag"), b.get("label"), b.get("imageMso"),
                            b.get("size"), b.get("screentip"), b.get("supertip")))
    assert buttons == [(a.group, a.name, a.label, a.image_mso, "large", a.label, a.help)
                       for a in ACTIONS]
    ids = [e.get("id") for e in root.iter() if e.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", i) for i in ids)
    for b in root.iter(f"{UI_NS}button"):  # Office's limits on these attributes
        assert all(len(b.get(k) or "") <= 1024 for k in ("label", "screentip", "supertip", "tag"))


def test_every_on_action_is_a_ribbon_callback_in_the_vba_project(package, vba_modules):
    callbacks = {m.group(1).lower() for code in vba_modules.values() for m in CALLBACK_RE.finditer(code)}
    on_actions = {e.get("onAction") for e in customui(package).iter() if e.get("onAction")}
    assert on_actions == {"IMSXL_OnAction"}
    assert {a.lower() for a in on_actions} <= callbacks


# ---------------------------------------------------------------- VBA project


def test_vba_module_read_back_equals_committed_bas(vba_modules):
    assert set(vba_modules) == {"ThisWorkbook", "Sheet1", "IMSXL_Ribbon"}
    assert lf(vba_modules["IMSXL_Ribbon"]).rstrip("\n") == lf(BAS.read_text()).rstrip("\n")


def test_bas_is_crlf_and_dispatches_the_tag_through_xlwings_runpython():
    raw = BAS.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "the .bas must be CRLF only"
    src = raw.decode("ascii")
    assert src.startswith('Attribute VB_Name = "IMSXL_Ribbon"\r\n')
    assert "Public Sub IMSXL_OnAction(control As IRibbonControl)" in src
    assert '"import ims_xl.excel.shell; ims_xl.excel.shell.run_action(\'" & control.Tag & "\')"' in src
    assert re.search(r'Application\.Run XLWINGS_ADDIN & "!RunPython", pythonCommand', src)
    assert 'Private Const XLWINGS_ADDIN As String = "xlwings.xlam"' in src
    assert "On Error GoTo" in src and "MsgBox" in src


def test_xlwings_runpython_signature_is_what_the_dispatcher_calls():
    """The installed xlwings add-in still exposes Public RunPython(PythonCommand As String)."""
    import xlwings

    main_bas = (Path(xlwings.__file__).parent / "addin" / "Main.bas").read_text(encoding="utf-8")
    assert re.search(r"^Public Function RunPython\(PythonCommand As String\)", main_bas, re.M)


def test_vba_project_is_source_only_with_the_office_reference(ole):
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000000")
    streams = {"/".join(s) for s in ole.listdir()}
    assert streams == {"PROJECT", "PROJECTwm", "VBA/_VBA_PROJECT", "VBA/dir",
                       "VBA/ThisWorkbook", "VBA/Sheet1", "VBA/IMSXL_Ribbon"}
    project = ole.openstream("PROJECT").read().decode("latin-1")
    assert "Module=IMSXL_Ribbon\r\n" in project  # a standard module, not a class
    assert "Document=ThisWorkbook/&H00000000" in project
    from oletools.olevba import decompress_stream

    dir_stream = decompress_stream(bytearray(ole.openstream("VBA/dir").read()))
    assert OFFICE_TYPELIB.encode() in dir_stream  # IRibbonControl resolves


# ---------------------------------------------------------------- reproducibility


def test_rebuild_gives_identical_bytes(addin, tmp_path):
    again = build_addin.build_addin(tmp_path / "again.xlam")
    assert again.read_bytes() == addin.read_bytes()


def test_committed_addin_matches_a_fresh_build(package):
    """workbook/dist/ims_xl.xlam is not stale (part contents; deflate bytes may vary by zlib)."""
    if not COMMITTED.exists():
        pytest.skip("workbook/dist/ims_xl.xlam not built; run python workbook/build_addin.py")
    with zipfile.ZipFile(COMMITTED) as z:
        committed = {n: z.read(n) for n in z.namelist()}
    assert list(committed) == list(package)
    stale = [n for n in package if committed[n] != package[n]]
    assert not stale, f"rebuild and commit workbook/dist/ims_xl.xlam (stale: {stale})"


def test_build_script_prints_what_it_built(tmp_path):
    out = tmp_path / "cli.xlam"
    run = subprocess.run([sys.executable, str(WORKBOOK / "build_addin.py"), "--out", str(out)],
                         capture_output=True, text=True, check=True)
    assert out.is_file() and str(out) in run.stdout
    for a in ACTIONS:
        assert f"tag={a.name}" in run.stdout


# ---------------------------------------------------------------- LibreOffice (optional reader)

LO_READER = r'''
import json, os, subprocess, sys, time, uuid
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

soffice, path, profile = sys.argv[1:4]
pipe = "imsxl" + uuid.uuid4().hex[:8]
proc = subprocess.Popen([soffice, "--headless", "--invisible", "--nologo", "--norestore",
                         "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
                         "--accept=pipe,name=%s;urp;" % pipe],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
desktop = None
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.25)
    else:
        raise SystemExit("soffice did not accept a connection")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    # LibreOffice's type detection refuses .xlam files: name the filter explicitly.
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
        (prop("Hidden", True), prop("FilterName", "Calc MS Excel 2007 XML"),
         prop("MacroExecutionMode", 0)))  # never run macros
    out = {"loaded": doc is not None, "modules": {}}
    if doc is not None:
        libs = doc.BasicLibraries
        for lib in libs.ElementNames:
            libs.loadLibrary(lib)
            for name in libs.getByName(lib).ElementNames:
                out["modules"][lib + "/" + name] = libs.getByName(lib).getByName(name)
        out["sheets"] = list(doc.Sheets.ElementNames)
        doc.close(True)
    print(json.dumps(out))
finally:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:
            pass
    try:
        proc.wait(timeout=30)
    except Exception:
        proc.kill()
'''


def _uno_python() -> str | None:
    """A Python interpreter that can import LibreOffice's ``uno`` (Debian: python3-uno)."""
    for candidate in ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", sys.executable):
        if Path(candidate).exists():
            ok = subprocess.run([candidate, "-c", "import uno"], capture_output=True).returncode == 0
            if ok:
                return candidate
    return None


def test_libreoffice_reads_the_module_back(addin, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed (Debian: apt-get install libreoffice-calc-nogui "
                    "python3-uno); the olevba and olefile readers above still ran")
    python = _uno_python()
    if python is None:
        pytest.skip("LibreOffice found but no Python can import uno (Debian: python3-uno)")
    script = tmp_path / "lo_read.py"
    script.write_text(LO_READER)
    run = subprocess.run([python, str(script), soffice, str(addin), str(tmp_path / "profile")],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["loaded"]
    modules = result["modules"]
    assert {"VBAProject/ThisWorkbook", "VBAProject/Sheet1", "VBAProject/IMSXL_Ribbon"} <= set(modules)
    assert "VBA_ModuleType=VBADocumentModule" in modules["VBAProject/ThisWorkbook"]
    lo = lf(modules["VBAProject/IMSXL_Ribbon"]).split("\n")
    # LibreOffice prefixes its own two lines and keeps the body; the Attribute line is metadata.
    assert lo[:2] == ["Rem Attribute VBA_ModuleType=VBAModule", "Option VBASupport 1"]
    body = lf(BAS.read_text()).split("\n", 1)[1]
    assert "\n".join(lo[2:]).rstrip("\n") == body.rstrip("\n")
