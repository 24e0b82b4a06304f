"""Build the "GST IMS" ribbon add-in ``workbook/dist/ims_xl.xlam`` reproducibly, on any OS.

Usage::

    python workbook/build_addin.py [--out PATH]

The route (``../shared/docs/EXCEL_ADDIN.md``, "Building the add-in on Linux", which was
checked by three independent readers):

1. Start from an Excel-authored add-in template: the one pyOpenVBA's public
   ``ExcelFile.create_new("x.xlam")`` writes (captured from a fresh Excel add-in: the add-in
   content type ``application/vnd.ms-excel.addin.macroEnabled.main+xml``, the ThisWorkbook
   and Sheet1 document modules, the stdole and Office references -- Office is what
   ``IRibbonControl`` needs). Licence: pyOpenVBA is MIT, which permits shipping copies
   provided its copyright and permission notice go with them; the build writes it to
   ``THIRD_PARTY_NOTICES.txt`` beside the add-in.
   ``--template PATH`` takes another Excel-made add-in instead, e.g. xlwings'
   ``quickstart_addin.xlam`` (xlwings' open-source part, BSD 3-clause: redistribution in
   binary form is allowed if the copyright notice, conditions and disclaimer are reproduced;
   nothing from ``xlwings/pro`` is used). It is not the default because it carries its
   author's metadata, the project name "MyAddin" and a "_myaddin.conf" sheet into the product.
2. With pyOpenVBA (pinned 6.5.0, pure Python) delete the template's code modules (keep the
   ThisWorkbook / SheetN document modules) and add ``workbook/ims_xl_ribbon.bas`` as one
   standard module, ``IMSXL_Ribbon``.
3. Reset ``VBA/_VBA_PROJECT`` to the 7-byte source-only header ``CC 61 FF FF 00 00 00``
   ([MS-OVBA] 2.3.4.1: version 0xFFFF on write and no performance cache), so Excel compiles
   the module from source on first load. xlwings' own add-ins ship in this state.
4. Generate ``customUI/customUI14.xml`` from ``ims_xl.registry.ACTIONS`` (buttons and actions
   cannot drift) and link it from ``_rels/.rels`` with the ``ui/extensibility`` relationship,
   by rewriting the zip: every other part is copied unchanged (never re-saved through
   openpyxl, which drops that relationship), in the template's order with fixed timestamps,
   so a rebuild gives the same bytes.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:  # run as a script from a checkout, without installing
    sys.path.insert(0, str(REPO))

from ims_xl.registry import ACTIONS, GROUPS, ActionInfo  # noqa: E402

BAS_PATH = HERE / "ims_xl_ribbon.bas"
DEFAULT_OUT = HERE / "dist" / "ims_xl.xlam"
NOTICE_NAME = "THIRD_PARTY_NOTICES.txt"

#: The VBA module name; must equal the ``Attribute VB_Name`` line of the ``.bas`` file.
MODULE_NAME = "IMSXL_Ribbon"
#: The one ribbon callback every button calls (a ``Sub ...(control As IRibbonControl)``).
ON_ACTION = "IMSXL_OnAction"
TAB_LABEL = "GST IMS"

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_PART = "customUI/customUI14.xml"
UI_EXTENSIBILITY_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
VBA_PART = "xl/vbaProject.bin"

#: [MS-OVBA] 2.3.4.1 _VBA_PROJECT: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00,
#: Reserved3 0x0000 and no PerformanceCache: Excel recompiles the modules from source.
VBA_PROJECT_SOURCE_ONLY = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00])

#: The template's document modules (workbook and sheet code-behind) stay; code modules go.
KEEP_MODULE_RE = re.compile(r"^(ThisWorkbook|Sheet\d+)$")

#: Every zip entry gets this timestamp (the zip format's epoch), so rebuilds are identical.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def xlwings_template() -> Path:
    """xlwings' Excel-made ``quickstart_addin.xlam`` (BSD 3-clause), an alternative template."""
    import xlwings

    path = Path(xlwings.__file__).resolve().parent / "quickstart_addin.xlam"
    if not path.is_file():
        raise FileNotFoundError(f"xlwings {xlwings.__version__} does not ship {path.name}")
    return path


def pyopenvba_template(workdir: Path) -> Path:
    """Write pyOpenVBA's Excel-authored blank add-in into ``workdir`` and return its path."""
    from pyopenvba import ExcelFile

    path = workdir / "template.xlam"
    ExcelFile.create_new(path).close()
    return path


def licence_text(distribution_name: str, stop: str | None = None) -> str:
    """The licence file text of an installed distribution (up to ``stop``), or ``""``."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(distribution_name)
    except PackageNotFoundError:
        return ""
    for file in dist.files or ():
        if "licen" in file.name.lower():
            text = file.read_text(encoding="utf-8") or ""
            return (text.split(stop)[0] if stop else text).strip()
    return ""


def notices(template: Path | None) -> str:
    """THIRD_PARTY_NOTICES.txt text for the parts of the add-in we did not write."""
    if template is None:
        origin = ("ims_xl.xlam is built from the blank Excel add-in template shipped with "
                  "pyOpenVBA 6.5.0 (MIT licence):")
        text = licence_text("pyopenvba")
    else:
        origin = f"ims_xl.xlam is built from the add-in template {template.name}"
        # xlwings' licence file holds the BSD part first, then the PRO EULA (not shipped).
        text = licence_text("xlwings", stop="xlwings PRO") if "xlwings" in str(template) else ""
    return origin + "\n\n" + text + "\n"


def vba_source(bas_text: str) -> tuple[str, str]:
    """Split a ``.bas`` export into (module name, body with CRLF line endings).

    The body excludes the ``Attribute VB_Name`` line: pyOpenVBA writes that header itself.
    """
    lines = bas_text.replace("\r\n", "\n").split("\n")
    match = re.fullmatch(r'Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]*)"', lines[0])
    if not match:
        raise ValueError("the .bas file must start with Attribute VB_Name = \"...\"")
    body = "\r\n".join(lines[1:])
    return match.group(1), body


def customui_xml(actions: tuple[ActionInfo, ...] = ACTIONS, groups: tuple[str, ...] = GROUPS) -> bytes:
    """The ribbon XML: tab "GST IMS", one group per registry group, one large button per action.

    Each button's ``tag`` is the action name, which the VBA dispatcher hands to
    ``ims_xl.excel.shell.run_action``. Attribute values are escaped; ids are ``imsxl_<name>``.
    """
    # The dispatcher pastes the tag into Python source: run_action('<tag>'). Keep it an identifier.
    bad = [a.name for a in actions if not re.fullmatch(r"[a-z][a-z0-9_]*", a.name)]
    if bad:
        raise ValueError(f"action names must be snake_case identifiers: {bad}")
    unknown = {a.group for a in actions} - set(groups)
    if unknown:
        raise ValueError(f"actions in unknown ribbon groups: {sorted(unknown)}")
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<customUI xmlns="{CUSTOMUI_NS}">',
        "  <ribbon>",
        "    <tabs>",
        f'      <tab id="imsxl_tab" label={quoteattr(TAB_LABEL)}>',
    ]
    for group in groups:
        members = [a for a in actions if a.group == group]
        if not members:
            continue
        out.append(f'        <group id="imsxl_group_{group.lower()}" label={quoteattr(group)}>')
        for a in members:
            out.append(
                f'          <button id="imsxl_{a.name}" label={quoteattr(a.label)}'
                f" tag={quoteattr(a.name)} imageMso={quoteattr(a.image_mso)} size=\"large\""
                f" screentip={quoteattr(a.label)} supertip={quoteattr(a.help)}"
                f' onAction="{ON_ACTION}"/>'
            )
        out.append("        </group>")
    out += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    xml = "\r\n".join(out).encode("utf-8")
    ET.fromstring(xml)  # fail the build, not Excel, on malformed XML
    return xml


def add_ui_relationship(rels_xml: bytes) -> bytes:
    """Return ``_rels/.rels`` with the customUI relationship added (once, with a fresh Id)."""
    text = rels_xml.decode("utf-8")
    root = ET.fromstring(rels_xml)
    rels = root.findall(f"{{{RELS_NS}}}Relationship")
    if any(r.get("Type") == UI_EXTENSIBILITY_REL for r in rels):
        raise ValueError("the template already has a customUI relationship")
    ids = {r.get("Id") for r in rels}
    n = 1
    while f"rId{n}" in ids:
        n += 1
    # Insert as text, so the template's own bytes stay as Excel wrote them.
    new = f'<Relationship Id="rId{n}" Type="{UI_EXTENSIBILITY_REL}" Target="{CUSTOMUI_PART}" />'
    if text.count("</Relationships>") != 1:
        raise ValueError("unexpected _rels/.rels layout")
    return text.replace("</Relationships>", new + "</Relationships>").encode("utf-8")


def build_vba_project(template: Path, bas_text: str, workdir: Path) -> bytes:
    """Return the new ``xl/vbaProject.bin``: template documents + our module, source only."""
    from pyopenvba import ExcelFile
    from pyopenvba.cfb import CFB

    name, body = vba_source(bas_text)
    if name != MODULE_NAME:
        raise ValueError(f"{BAS_PATH.name} names module {name!r}, expected {MODULE_NAME!r}")
    staged = workdir / "staged.xlam"
    staged.write_bytes(template.read_bytes())
    with ExcelFile(staged) as book:
        project = book.vba_project()
        for module in list(project.module_names()):
            if not KEEP_MODULE_RE.match(module):
                project.delete_module(module)
        project.add_module(MODULE_NAME, body)
        book.save(workdir / "edited.xlam")
    with zipfile.ZipFile(workdir / "edited.xlam") as z:
        cfb = CFB.from_bytes(z.read(VBA_PART))
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_SOURCE_ONLY)
    return cfb.to_bytes()


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0  # MS-DOS, as Office writes; independent of the build OS
    info.external_attr = 0
    return info


def build_addin(out: Path = DEFAULT_OUT, template: Path | None = None) -> Path:
    """Build the add-in at ``out`` and return its path. Same inputs give the same bytes.

    ``template`` defaults to pyOpenVBA's blank Excel add-in (see the module docstring).
    """
    bas_text = BAS_PATH.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        source = template or pyopenvba_template(Path(tmp))
        template_bytes = source.read_bytes()
        vba_bin = build_vba_project(source, bas_text, Path(tmp))

    with zipfile.ZipFile(io.BytesIO(template_bytes)) as src:
        content_types = src.read("[Content_Types].xml").decode("utf-8")
        if ADDIN_CONTENT_TYPE not in content_types:
            raise ValueError(f"the template is not an Excel add-in (no {ADDIN_CONTENT_TYPE})")
        names = src.namelist()
        if any(n.lower().startswith("customui/") for n in names):
            raise ValueError("the template already has a customUI part")
        parts: list[tuple[str, bytes]] = []
        for name in names:
            data = src.read(name)
            if name == VBA_PART:
                data = vba_bin
            elif name == "_rels/.rels":
                data = add_ui_relationship(data)
            parts.append((name, data))
    # ".xml" parts default to application/xml in the template's [Content_Types].xml,
    # which is what Office expects for a customUI part: no Override is needed.
    parts.append((CUSTOMUI_PART, customui_xml()))
    # [Content_Types].xml first, as Office writes packages (stable sort keeps the rest).
    parts.sort(key=lambda p: p[0] != "[Content_Types].xml")

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in parts:
            z.writestr(_zip_info(name), data)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())
    (out.parent / NOTICE_NAME).write_text(notices(template), encoding="utf-8", newline="\n")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build the add-in and print what was built."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="where to write the add-in (default: workbook/dist/ims_xl.xlam)")
    parser.add_argument("--template", type=Path, default=None,
                        help="an Excel-made .xlam to start from instead of pyOpenVBA's blank "
                             "add-in (e.g. xlwings' quickstart_addin.xlam)")
    args = parser.parse_args(argv)
    out = build_addin(args.out, args.template)
    import hashlib

    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"built {out} ({out.stat().st_size} bytes, sha256 {digest[:16]})")
    print(f"  template: {args.template or 'pyOpenVBA 6.5.0 blank Excel add-in (create_new)'}")
    print(f"  VBA module {MODULE_NAME} from {BAS_PATH.relative_to(REPO)}; callback {ON_ACTION}")
    print(f"  ribbon tab {TAB_LABEL!r}: " + ", ".join(
        f"{g} ({sum(a.group == g for a in ACTIONS)})" for g in GROUPS))
    for a in ACTIONS:
        print(f"    [{a.group}] {a.label}  tag={a.name}  imageMso={a.image_mso}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
