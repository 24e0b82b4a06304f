"""Run families of trust cases through the ims-xl command line and print what held.

    python bench/trust_report.py [--only FAMILY_WORD] [-v]

The "trust" promises of the README ("Exit codes", "Re-import without losing work", "The
upload JSON", "Reliability and safety"): what validate passes, export sends exactly; no typed
work is ever lost; every failure is one line and exit 2, never a traceback or exit 3. Each
case is a small function that builds its inputs in a fresh temporary folder (from
``ims_xl.samples.download``'s realistic generator, or the golden cases of ``tests/cases``), drives the
CLI the way an accountant would (``ims_xl.cli.main`` in-process; real ``ims-xl`` processes
where the operating system is part of the promise: locks, SIGKILL, SIGINT) and returns
``(held, note)``. Cells are typed with openpyxl, as Excel leaves them.

Prints a Markdown table ``family | cases | held | broke`` and each broken case with its note;
exits 0 when every case held, 1 otherwise. A script, not a test: tests never import it.
Runs in about a minute or two on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from ims_xl import cli  # noqa: E402
from ims_xl.model import SECTION_BY_KEY  # noqa: E402
from ims_xl.samples.download import generate_download, write_download  # noqa: E402
from ims_xl.samples.register import generate_register, write_register_csv  # noqa: E402

CASES_DIR = ROOT / "tests" / "cases"
FORMULA_START = ("=", "+", "-", "@")
WORDS = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "No Action"}
SHEET = {"b2b": "B2B", "b2ba": "B2BA", "b2bdn": "B2B-DN", "b2bdna": "B2B-DNA", "b2bcn": "B2B-CN",
         "b2bcna": "B2B-CNA", "ecom": "ECO", "ecoma": "ECOA"}
SECTION_OF = {v: k for k, v in SHEET.items()}
#: Real ``ims-xl`` processes: the installed console script beside this interpreter, else -m.
_SCRIPT = Path(sys.executable).with_name("ims-xl")
IMS_XL = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "ims_xl"]

FAMILIES = ("1. edits between runs", "2. hostile files and environment", "3. interruption and concurrency",
            "4. the Log", "5. upload safety")
CASES: list[tuple[str, str, object]] = []


def case(family: int, name: str | None = None):
    def deco(fn):
        CASES.append((FAMILIES[family - 1], name or fn.__name__, fn))
        return fn
    return deco


class Broke(Exception):
    """A promise did not hold; the message is the note."""


def need(cond: object, note: str) -> None:
    if not cond:
        raise Broke(note)


# ---------------------------------------------------------------- the command line

class Res:
    def __init__(self, rc: int, out: str, err: str) -> None:
        self.rc, self.out, self.err = rc, out, err

    def __repr__(self) -> str:
        return f"exit {self.rc}: {(self.err or self.out).strip()[-300:]!r}"


def ims(*args: object) -> Res:
    """``ims-xl ARGS`` in-process. A traceback or exit 3 is always a broken promise."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            rc = int(exc.code or 0)
    r = Res(rc, out.getvalue(), err.getvalue())
    need(rc != 3 and "Traceback" not in r.out + r.err, f"ims-xl {args[0]}: internal error: {r}")
    return r


def ok(*args: object, codes: tuple[int, ...] = (0,)) -> Res:
    r = ims(*args)
    need(r.rc in codes, f"ims-xl {' '.join(map(str, args[:1]))} gave {r}, expected exit {codes}")
    return r


def one_line(r: Res, *words: str) -> str:
    """Exit 2 with exactly one short line on stderr holding ``words`` (README, "Exit codes")."""
    lines = r.err.strip().splitlines()
    need(r.rc == 2, f"expected exit 2, got {r}")
    need(len(lines) == 1, f"{len(lines)} lines on stderr: {r.err[:300]!r}")
    need(len(lines[0]) < 400, f"a {len(lines[0]):,}-character line: {lines[0][:120]!r}...")
    for w in words:
        need(w.lower() in lines[0].lower(), f"{w!r} not in {lines[0]!r}")
    return lines[0]


def proc(*args: object, env: dict | None = None, **kw) -> subprocess.Popen:
    return subprocess.Popen([*IMS_XL, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, **kw)


# ---------------------------------------------------------------- inputs and cells

def sample(tmp: Path, records: int = 40, seed: int = 5, books: bool = False) -> dict:
    data = generate_download(records=records, seed=seed)
    write_download(tmp / "ims.json", data)
    if books:
        grid, _ = generate_register(data, seed)
        write_register_csv(tmp / "books.csv", grid)
    return data


def num_key(section: str) -> str:
    return SECTION_BY_KEY[section].num_key


def header_map(ws) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value is not None}


def _row_of(ws, doc: str) -> int:
    hm = header_map(ws)
    col = hm.get("Invoice number") or hm["Note number"]
    rows = [r for r in range(2, ws.max_row + 1) if str(ws.cell(r, col).value or "").strip() == doc.strip()]
    need(len(rows) == 1, f"{doc!r} is on rows {rows} of {ws.title}")
    return rows[0]


def type_cells(path: Path, edits: list[tuple[str, str, str, object]]) -> None:
    """(sheet, doc_no, header, value) typed as Excel stores it: text starting with = + - @
    as a string with the quote prefix, never a formula."""
    wb = openpyxl.load_workbook(path)
    for sheet, doc, header, value in edits:
        ws = wb[sheet]
        c = ws.cell(_row_of(ws, doc), header_map(ws)[header])
        c.value = value
        if isinstance(value, str):
            c.data_type = "s"
            c.quotePrefix = value.startswith(FORMULA_START)
    wb.save(path)


def read_cells(path: Path, edits: list[tuple[str, str, str, object]]) -> list[object]:
    wb = openpyxl.load_workbook(path, read_only=False)
    out = []
    for sheet, doc, header, _ in edits:
        ws = wb[sheet]
        v = ws.cell(_row_of(ws, doc), header_map(ws)[header]).value
        out.append(v.strip() if isinstance(v, str) else v)
    return out


def typed_values(edits) -> list[object]:
    return [v.strip() if isinstance(v, str) else v for *_, v in edits]


def kept(path: Path, edits, when: str) -> None:
    got = read_cells(path, edits)
    lost = [(e[0], e[1], e[2], e[3], g) for e, g in zip(edits, got) if g != (e[3].strip() if isinstance(e[3], str) else e[3])]
    need(not lost, f"{when}: typed work lost: " + "; ".join(f"{s}/{d} {h}: typed {v!r}, now {g!r}" for s, d, h, v, g in lost[:4]))


def actable(rec: dict, action: str, itc_answer: bool = False) -> bool:
    return (rec.get("action") != action and rec["stin"] == rec["stin"].strip().upper()
            and not (action == "P" and rec.get("ispendactblocked") != "N")
            and not (action in "RP" and rec.get("isRemarksBlocked") != "N")
            and rec.get("isItcRedReqBlocked", "N") == "N")


def work_for(data: dict, remarks: tuple[str, str] = ("Price differs from PO", "Awaiting credit note")) -> tuple[list, dict]:
    """The accountant's typing on a download: a Reject and a Pending with remarks, an Accept,
    and an Accept of a credit note answering 'Whether ITC to be reduced' = Yes (full
    reversal). Returns (edits, {(section, doc_no raw): expected upload fields})."""
    plan = [("R", ("b2b", "b2bdn", "ecom", "b2ba", "b2bcn")), ("P", ("b2b", "b2bdn", "ecom", "b2ba", "b2bcn")),
            ("A", ("b2b", "b2bdn", "ecom")), ("A", ("b2bcn", "b2bcna", "b2bdna"))]
    used: set[int] = set()
    edits, expect = [], {}
    for action, keys in plan:
        hit = next(((k, r) for k in keys for r in data["imsDetails"].get(k, [])
                    if actable(r, action) and id(r) not in used), None)
        need(hit, f"the sample has no record to {action} in {keys}")
        k, r = hit
        used.add(id(r))
        doc = r[num_key(k)]
        edits.append((SHEET[k], doc.strip(), "Action", WORDS[action]))
        fields: dict = {"action": action}
        if action in "RP":
            text = remarks[0] if action == "R" else remarks[1]
            edits.append((SHEET[k], doc.strip(), "Remarks", text))
            fields["remarks"] = text.strip()
        if SECTION_BY_KEY[k].itc_reduction and action == "A":
            edits.append((SHEET[k], doc.strip(), "Whether ITC to be reduced", "Yes"))
            fields["itcRedReq"] = "Y"
        expect[(k, doc)] = fields
    return edits, expect


def upload_records(paths: list[Path]) -> dict[tuple[str, str], dict]:
    out: dict[tuple[str, str], dict] = {}
    for p in paths:
        for k, recs in json.loads(p.read_bytes())["invdata"].items():
            for r in recs:
                need((k, r[num_key(k)]) not in out, f"{k} {r[num_key(k)]!r} uploaded twice")
                out[(k, r[num_key(k)])] = r
    return out


def upload_is(paths: list[Path], src: Path, expect: dict, exact: bool = True) -> None:
    """check-upload passes against ``src``, and the upload carries the decisions: exactly
    those records (``exact``) with their action, remarks and ITC answer."""
    r = ims("check-upload", *paths, "--against", src)
    need(r.rc == 0, f"check-upload: {r.out.strip()[-300:]}")
    got = upload_records(paths)
    if exact:
        need(set(got) == set(expect), f"uploaded {sorted(set(got) ^ set(expect))[:4]} differ from the decisions")
    for key, fields in expect.items():
        need(key in got, f"{key} decided but not uploaded")
        for f, v in fields.items():
            need(got[key].get(f) == v, f"{key}: {f} is {got[key].get(f)!r} in the upload, decided {v!r}")
        if "remarks" not in fields:
            need("remarks" not in got[key] or fields["action"] in "RP", f"{key}: remarks sent with {fields['action']}")


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[str]:
    return [str(p.relative_to(folder)) for p in folder.rglob(".~*") if not p.name.startswith(".~ims-xl.")]


def log_rows(path: Path) -> list[list[object]]:
    wb = openpyxl.load_workbook(path)
    if "Log" not in wb.sheetnames:
        return []
    return [[c.value for c in row] for row in wb["Log"].iter_rows()]


def records_in(path: Path) -> int:
    from ims_xl.files.xlsx import read_review
    return len(read_review(path).rows)


def fresh(tmp: Path, records: int = 40, seed: int = 5, books: bool = False) -> tuple[dict, Path, Path]:
    data = sample(tmp, records, seed, books)
    wb = tmp / "review.xlsx"
    ok("import", tmp / "ims.json", "--out", wb)
    return data, tmp / "ims.json", wb


# ================================================================ 1. edits between runs

@case(1, "typed work, re-import of the same download, validate, export")
def c_same_download(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, expect = work_for(data)
    type_cells(wb, edits)
    ok("import", src, "--into", wb)
    kept(wb, edits, "import --into (same download)")
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    upload_is([tmp / "upload.json"], src, expect)
    return "4 decisions kept and uploaded exactly; check-upload passes"


@case(1, "typed work, re-import of a newer download (a changed and a new record)")
def c_newer_download(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, expect = work_for(data)
    type_cells(wb, edits)
    newer = copy.deepcopy(data)
    (acc_key, acc_doc) = next(k for k, f in expect.items() if f["action"] == "A" and "itcRedReq" not in f)
    rec = next(r for r in newer["imsDetails"][acc_key] if r[num_key(acc_key)] == acc_doc)
    rec["txval"] = rec["txval"] + 1
    rec["val"] = rec["val"] + 1
    extra = copy.deepcopy(newer["imsDetails"]["b2b"][0])
    extra["inum"] = "NEW/2025/0001"
    newer["imsDetails"]["b2b"].append(extra)
    write_download(tmp / "newer.json", newer)
    r = ok("import", tmp / "newer.json", "--into", wb)
    kept(wb, edits, "import --into (newer download)")
    need(records_in(wb) == len(_all(data)) + 1, "the new record was not appended")
    wbx = openpyxl.load_workbook(wb)
    ws = wbx[SHEET[acc_key]]
    note = ws.cell(_row_of(ws, acc_doc), header_map(ws)["Re-import note"]).value
    need(note, f"the record the supplier changed after review has no Re-import note ({r.out[-200:]!r})")
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    upload_is([tmp / "upload.json"], tmp / "newer.json", expect)
    return "typed work kept, changed record noted, upload equals the decisions against the newer download"


def _all(data: dict) -> list[tuple[str, dict]]:
    return [(k, r) for k, recs in data["imsDetails"].items() for r in recs]


@case(1, "partial download parks typed work on Removed records; the full one gives it back")
def c_partial_download(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, expect = work_for(data)
    type_cells(wb, edits)
    gone_key = next(k for k, f in expect.items() if f["action"] == "R")
    partial = copy.deepcopy(data)
    partial["imsDetails"][gone_key[0]] = [r for r in partial["imsDetails"][gone_key[0]]
                                          if r[num_key(gone_key[0])] != gone_key[1]]
    write_download(tmp / "partial.json", partial)
    ok("import", tmp / "partial.json", "--into", wb)
    wbx = openpyxl.load_workbook(wb)
    need("Removed records" in wbx.sheetnames, "no Removed records sheet for a record that carried work")
    cells = [str(c.value) for row in wbx["Removed records"].iter_rows() for c in row if c.value is not None]
    need(any(gone_key[1].strip() in c for c in cells) and "Reject" in cells,
         "the removed record's work is not on Removed records")
    rest = [e for e in edits if e[1] != gone_key[1].strip()]
    kept(wb, rest, "import --into (partial download)")
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    upload_is([tmp / "upload.json"], tmp / "partial.json", {k: v for k, v in expect.items() if k != gone_key})
    ok("import", src, "--into", wb)
    kept(wb, edits, "import --into (the full download again: the work parked on Removed records)")
    return "work parked, the rest uploaded exactly, all of it back with the full download"


@case(1, "apply-suggestions after typing never writes over a typed action")
def c_apply_after_typing(tmp: Path):
    data, src, wb = fresh(tmp, books=True)
    ok("reconcile", wb, "--books", tmp / "books.csv")
    edits, expect = work_for(data)
    type_cells(wb, edits)
    r = ok("apply-suggestions", wb)
    kept(wb, edits, "apply-suggestions")
    v = ok("validate", wb, codes=(0, 1))
    e = ims("export", wb, "--out", tmp / "upload.json")
    need(e.rc == v.rc, f"validate exit {v.rc} but export {e}")
    if e.rc == 0:
        upload_is([tmp / "upload.json"], src, expect, exact=False)
        n = len(upload_records([tmp / "upload.json"]))
        need(n > len(expect), "no suggestion was uploaded")
        return f"typed actions kept; {n} records uploaded (typed + suggestions), check-upload passes"
    need(not (tmp / "upload.json").exists(), "export refused but wrote an upload")
    return f"typed actions kept; validation errors stop the export ({r.out.strip().splitlines()[0][:60]})"


@case(1, "validate then export: export refuses exactly what validate reports")
def c_validate_then_export(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, expect = work_for(data)
    wrong = [(s, d, h, "Acept" if v == "Accept" else v) for s, d, h, v in edits]
    type_cells(wb, wrong)
    need(ims("validate", wb).rc == 1, "an unknown action word passed validation")
    e = ims("export", wb, "--out", tmp / "upload.json")
    need(e.rc == 1 and not (tmp / "upload.json").exists(), f"export with a validation error: {e}")
    type_cells(wb, edits)
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    upload_is([tmp / "upload.json"], src, expect)
    return "exit 1 and nothing written while 'Acept' stands; fixed, the upload is the decisions"


@case(1, "re-import of another GSTIN's download is refused unless --force")
def c_other_gstin(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    other = copy.deepcopy(data)
    other["rtin"] = "27AAPFU0939F1ZV" if data["rtin"] != "27AAPFU0939F1ZV" else "29AAFCC9980M1ZR"
    write_download(tmp / "other.json", other)
    before = wb.read_bytes()
    one_line(ims("import", tmp / "other.json", "--into", wb), "GSTIN")
    need(wb.read_bytes() == before, "the refused re-import changed the workbook")
    ok("import", tmp / "other.json", "--into", wb, "--force")
    return "exit 2, one line, workbook unchanged; --force goes ahead"


# ================================================================ 2. hostile files and environment

def _hostile(text: object, i: int, room: int | None = None) -> str:
    """Formula character first (CSV/formula injection), UPPER case (GSP exports), stray
    spaces (copy-paste); within the portal's field length."""
    lead, trail = (" " if i % 2 else ""), " " * (1 + i % 2)
    core = str(text).upper()
    if room:
        core = core[-(room - len(lead) - 1 - len(trail)):]
    return f"{lead}{FORMULA_START[i % 4]}{core}{trail}"


def hostile_files(tmp: Path, seed: int = 7, records: int = 50) -> dict:
    clean = generate_download(records=records, seed=seed)
    data = copy.deepcopy(clean)
    i = 0
    for k, recs in data["imsDetails"].items():
        for n, r in enumerate(recs):
            i += 1
            r["stin"] = (r["stin"], " " + r["stin"].lower(), r["stin"] + "  ")[n % 3]  # a plausible GSTIN
            for key in ("inum", "nt_num", "oinum", "ont_num"):
                if key in r:
                    i += 1
                    r[key] = _hostile(r[key], i, 16)
            r["tradenm"] = _hostile(r["tradenm"], i + 1)
            r["srcform"] = _hostile(r["srcform"], i + 2, 6)
            r["srcfilstatus"] = _hostile(r["srcfilstatus"], i + 3)
            if "inv_typ" in r:
                r["inv_typ"] = _hostile(r["inv_typ"], i + 1, 15)
            if "remarks" in r:
                r["remarks"] = _hostile(r["remarks"], i)
    write_download(tmp / "ims.json", data)
    grid, _ = generate_register(clean, seed)
    h = next(j for j, row in enumerate(grid) if "Party GSTIN" in row or "GSTIN/UIN of Supplier" in row)
    hdr = grid[h]
    g = hdr.index("Party GSTIN" if "Party GSTIN" in hdr else "GSTIN/UIN of Supplier")
    nm = hdr.index("Supplier Name" if "Supplier Name" in hdr else "Particulars")
    no = hdr.index("Bill No" if "Bill No" in hdr else "Supplier Invoice No.")
    for j, row in enumerate(grid):
        if j < h:
            grid[j] = [_hostile(c, j * 2) if str(c).strip() else c for c in row]
        elif j > h and str(row[g]).strip():
            row[g] = f" {row[g].lower()} "
            row[nm], row[no] = _hostile(row[nm], j), _hostile(row[no], j + 1)
    write_register_csv(tmp / "books.csv", grid)
    return data


def unsafe_cells(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    bad = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    bad.append(f"{ws.title}!{c.coordinate} is a formula")
                elif isinstance(c.value, str) and c.value.startswith(FORMULA_START) and not c.quotePrefix:
                    bad.append(f"{ws.title}!{c.coordinate} {c.value[:20]!r} has no quote prefix")
    return bad


def csv_formulas(path: Path) -> list[str]:
    from decimal import Decimal
    bad = []
    for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
        for v in row:
            if v.startswith(FORMULA_START):
                try:
                    Decimal(v)
                except ArithmeticError:
                    bad.append(v[:30])
    return bad


@case(2, "hostile text: run --books --apply-suggestions, then every cell is text")
def c_hostile_run(tmp: Path):
    hostile_files(tmp)
    r = ok("run", tmp / "ims.json", "--books", tmp / "books.csv", "--out-dir", tmp / "out",
           "--apply-suggestions", codes=(0, 1))
    bad = unsafe_cells(tmp / "out" / "review.xlsx")
    need(not bad, f"{len(bad)} unsafe cell(s): {'; '.join(bad[:3])}")
    bad = csv_formulas(tmp / "out" / "matches.csv")
    need(not bad, f"matches.csv cells start a formula: {bad[:3]}")
    if r.rc == 0:
        upload_is([tmp / "out" / "upload.json"], tmp / "ims.json", {}, exact=False)
    return f"exit {r.rc}; no formula, every = + - @ cell quote-prefixed; matches.csv neutralised"


@case(2, "hostile text: typed decisions uploaded with the numbers byte for byte")
def c_hostile_export(tmp: Path):
    data = hostile_files(tmp)
    wb = tmp / "review.xlsx"
    ok("import", tmp / "ims.json", "--out", wb)
    edits, expect = work_for(data, remarks=("=HYPERLINK(\"HTTP://X.INVALID\")", "@CALL SUPPLIER -2"))
    type_cells(wb, edits)
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    upload_is([tmp / "upload.json"], tmp / "ims.json", expect)
    raw = (tmp / "upload.json").read_bytes()
    for (_, doc) in expect:
        need(json.dumps(doc, ensure_ascii=False).encode() in raw, f"{doc!r} not echoed byte for byte")
    return "decisions uploaded exactly; ' =X ' numbers echoed with their spaces; check-upload passes"


@case(2, "UTF-16 download with a byte-order mark (Notepad's 'Unicode')")
def c_utf16(tmp: Path):
    data = sample(tmp)
    text = (tmp / "ims.json").read_text(encoding="utf-8")
    (tmp / "u16.json").write_bytes(text.encode("utf-16"))
    ok("import", tmp / "u16.json", "--out", tmp / "r16.xlsx")
    ok("import", tmp / "ims.json", "--out", tmp / "r8.xlsx")
    need(records_in(tmp / "r16.xlsx") == records_in(tmp / "r8.xlsx") == len(_all(data)), "record counts differ")
    return f"{len(_all(data))} records, as from UTF-8"


@case(2, "upper-case section keys (B2B, B2BCN ...)")
def c_upper_keys(tmp: Path):
    data = sample(tmp)
    up = {**data, "imsDetails": {k.upper(): v for k, v in data["imsDetails"].items()}}
    write_download(tmp / "up.json", up)
    ok("import", tmp / "up.json", "--out", tmp / "r.xlsx")
    need(records_in(tmp / "r.xlsx") == len(_all(data)), "records lost under upper-case keys")
    return f"all {len(_all(data))} records read"


@case(2, "the portal's large-download token response")
def c_token(tmp: Path):
    (tmp / "t.json").write_text(json.dumps({"status_cd": "1", "data": {"token": "a1b2c3", "est": "20"}}))
    line = one_line(ims("import", tmp / "t.json", "--out", tmp / "r.xlsx"), "token")
    need(not (tmp / "r.xlsx").exists(), "a workbook was written")
    return line[:90]


@case(2, "a lone surrogate escape in a trade name")
def c_surrogate(tmp: Path):
    sample(tmp, records=10)
    text = (tmp / "ims.json").read_text(encoding="utf-8")
    i = text.index('"tradenm": "') + len('"tradenm": "') if '"tradenm": "' in text else text.index('"tradenm":"') + 11
    (tmp / "s.json").write_text(text[:i] + "\\ud800" + text[i:], encoding="utf-8")
    line = one_line(ims("import", tmp / "s.json", "--out", tmp / "r.xlsx"))
    return line[:90]


@case(2, "a 5,000-digit amount in the download")
def c_long_amount(tmp: Path):
    sample(tmp, records=10)
    text = (tmp / "ims.json").read_text(encoding="utf-8")
    i = text.index('"txval":') + len('"txval":')
    j = min(text.index(",", i), text.index("}", i))
    (tmp / "a.json").write_text(text[:i] + " " + "9" * 5000 + text[j:], encoding="utf-8")
    line = one_line(ims("import", tmp / "a.json", "--out", tmp / "r.xlsx"), "txval")
    return line[:90]


def _register_with(tmp: Path, amount: str) -> Res:
    data = sample(tmp, books=True)
    rows = list(csv.reader(io.StringIO((tmp / "books.csv").read_text(encoding="utf-8"))))
    h = next(j for j, r in enumerate(rows) if "Party GSTIN" in r or "GSTIN/UIN of Supplier" in r)
    col = next(i for i, c in enumerate(rows[h]) if c in ("Taxable Amount", "Taxable Value"))
    rows[h + 1][col] = amount
    with open(tmp / "books.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    ok("import", tmp / "ims.json", "--out", tmp / "review.xlsx")
    del data
    return ims("reconcile", tmp / "review.xlsx", "--books", tmp / "books.csv")


@case(2, "a register amount near the float limit (1e307)")
def c_register_float_limit(tmp: Path):
    return one_line(_register_with(tmp, "1e307"), "Taxable")[:90]


@case(2, "a 5,000-digit amount in the register")
def c_register_long_amount(tmp: Path):
    return one_line(_register_with(tmp, "9" * 5000), "Taxable")[:90]


def _ods(path: Path) -> Path:
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join(f'<table:table table:name="{s}"><table:table-row><table:table-cell office:value-type="string">'
                   f"<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
                   for s in ("Summary", "B2B", "_ims_data", "_ims_meta"))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}>'
                                  f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
                                  "</office:document-content>")
    return path


@case(2, "a review saved as .ods (LibreOffice's default)")
def c_ods(tmp: Path):
    ods = _ods(tmp / "review.ods")
    before = ods.read_bytes()
    for args in (("validate", ods), ("export", ods, "--out", tmp / "u.json"), ("apply-suggestions", ods)):
        one_line(ims(*args), "xlsx")
    need(ods.read_bytes() == before and not (tmp / "u.json").exists(), "something was written")
    return "validate, export, apply-suggestions: exit 2, one line saying to save as .xlsx"


@case(2, "an output folder that does not exist")
def c_missing_folder(tmp: Path):
    data, src, wb = fresh(tmp)
    type_cells(wb, work_for(data)[0])
    one_line(ims("export", wb, "--out", tmp / "nope" / "upload.json"), "nope")
    one_line(ims("import", src, "--out", tmp / "nope" / "r.xlsx"), "nope")
    one_line(ims("reconcile", wb, "--books", src, "--matches", tmp / "nope" / "m.csv"), "nope")
    need(not (tmp / "nope").exists(), "the missing folder was created")
    return "export, import, reconcile --matches: exit 2, one line, nothing created"


@case(2, "an output path that is a folder")
def c_output_is_folder(tmp: Path):
    data, src, wb = fresh(tmp)
    type_cells(wb, work_for(data)[0])
    (tmp / "upload.json").mkdir()
    (tmp / "r.xlsx").mkdir()
    one_line(ims("export", wb, "--out", tmp / "upload.json"), "upload.json")
    one_line(ims("import", src, "--out", tmp / "r.xlsx", "--force"), "r.xlsx")
    need((tmp / "upload.json").is_dir() and not any((tmp / "upload.json").iterdir()), "the folder was changed")
    return "export and import --force: exit 2, one line, the folder untouched"


@contextlib.contextmanager
def disk_with_room(folder: Path, room: int):
    """A disk that fills up: files opened for writing under ``folder`` take ``room`` bytes
    in all, then every write fails with ENOSPC (a tmpfs is not available here, so the
    open() of this process is wrapped; shutil's sendfile copies bypass it)."""
    import builtins
    state = {"left": room}
    real_open = builtins.open
    folder = str(folder)

    class Full:
        def __init__(self, f):
            self._f = f

        def write(self, b):
            state["left"] -= len(b)
            if state["left"] < 0:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self._f.write(b)

        def __getattr__(self, n):
            return getattr(self._f, n)

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return self._f.__exit__(*a)

        def __iter__(self):
            return iter(self._f)

    def fake_open(file, mode="r", *a, **k):
        f = real_open(file, mode, *a, **k)
        name = os.fspath(file) if isinstance(file, (str, os.PathLike)) else ""
        if any(m in mode for m in "wax+") and str(name).startswith(folder):
            return Full(f)
        return f
    builtins.open = io.open = fake_open
    try:
        yield
    finally:
        builtins.open = io.open = real_open


def _open_files_left() -> str:
    """What a failed write left open: objects whose finaliser still writes (a zip never
    closed prints 'Exception ignored in ZipFile.__del__' when collected). An open handle
    keeps Windows from deleting the temporary file, and leaks in a long Excel session."""
    import gc
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        gc.collect()
    text = err.getvalue()
    return text.strip().splitlines()[0][:80] if "Exception ignored" in text else ""


@case(2, "a full disk while writing the workbook and the upload (simulated in-process)")
def c_disk_full(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    ok("validate", wb)
    (tmp / "upload.json").write_bytes(b'{"old": true}')
    before = files(tmp)
    with disk_with_room(tmp, 3000):
        r1 = ims("summary", wb)
        leak = _open_files_left()
        r2 = ims("export", wb, "--out", tmp / "upload.json")
    one_line(r1, "full")
    one_line(r2, "full")
    after = files(tmp)
    need(after.get("review.xlsx") == before["review.xlsx"], "the workbook changed")
    need(after.get("upload.json") == before["upload.json"], "the old upload changed")
    kept(wb, edits, "a full disk")
    problems = []
    if temporaries(tmp):
        problems.append(f"temporary files left: {temporaries(tmp)}")
    partial = [k for k, v in after.items() if ".ims-xl-backups" in k and k not in before and v != before["review.xlsx"]]
    if partial:
        problems.append(f"a partial backup was left: {partial}")
    if leak:
        problems.append(f"the failed workbook write left its package zip open (XlsxWriter's ZipFile, never "
                        f"closed): {leak}")
    need(not problems, "exit 2 and one line, files intact, but " + "; ".join(problems))
    return "exit 2, one line saying the disk is full; workbook and old upload byte-identical; no temporaries"


@case(2, "a write failing in a real process (file-size limit: EFBIG from the OS)")
def c_fsize(tmp: Path):
    import resource

    data = sample(tmp)

    def limit():  # SIGXFSZ ignored: the write returns EFBIG instead of killing the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))
    p = subprocess.run([*IMS_XL, "import", tmp / "ims.json", "--out", tmp / "review.xlsx"],
                       capture_output=True, text=True, preexec_fn=limit, timeout=120)
    line = one_line(Res(p.returncode, p.stdout, p.stderr), "review.xlsx")
    need(not (tmp / "review.xlsx").exists(), "a workbook was written")
    need(not temporaries(tmp), f"one line ({line[-60:]!r}) but temporary files left: {temporaries(tmp)}")
    del data
    return line[:90]


# ================================================================ 3. interruption and concurrency

_HOLDER = ("import sys, time; from ims_xl.files.safety import hold_workbooks\n"
           "with hold_workbooks(sys.argv[1], wait=0):\n"
           "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n")


def _hold(wb: Path, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", _HOLDER, str(wb), str(seconds)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=ROOT)
    need(p.stdout.readline().strip() == b"held", "the holder did not take the lock")
    return p


@case(3, "a second command while another holds the workbook: refused, nothing lost")
def c_lock_refused(tmp: Path):
    data, src, wb = fresh(tmp, books=True)
    ok("reconcile", wb, "--books", tmp / "books.csv")
    type_cells(wb, work_for(data)[0])
    before = wb.read_bytes()
    holder = _hold(wb, 3)
    try:
        p = proc("apply-suggestions", wb, env={"IMS_XL_LOCK_WAIT": "0.5"})
        out, err = p.communicate(timeout=60)
    finally:
        holder.wait(timeout=30)
    one_line(Res(p.returncode, out.decode(), err.decode()), "another ims-xl")
    need(wb.read_bytes() == before, "the refused command changed the workbook")
    ok("apply-suggestions", wb)  # the lock is gone once the holder ends
    return "exit 2, one line naming the other command; workbook unchanged; works afterwards"


@case(3, "two ims-xl processes on one workbook at once: one waits, both changes kept")
def c_two_processes(tmp: Path):
    data, src, wb = fresh(tmp, records=1500, books=True)
    ok("reconcile", wb, "--books", tmp / "books.csv")
    edits, _ = work_for(data)
    type_cells(wb, edits)
    a = proc("apply-suggestions", wb, env={"IMS_XL_LOCK_WAIT": "60"})
    b = proc("validate", wb, env={"IMS_XL_LOCK_WAIT": "60"})
    ra = Res(a.wait(timeout=120), *(x.decode() for x in a.communicate()))
    rb = Res(b.wait(timeout=120), *(x.decode() for x in b.communicate()))
    for r in (ra, rb):
        need(r.rc in (0, 1, 2) and "Traceback" not in r.err, f"a concurrent command: {r}")
        if r.rc == 2:
            one_line(r, "another ims-xl")
    kept(wb, edits, "two commands at once")
    if ra.rc == 0:
        rows = log_rows(wb)
        applied = [r for r in rows if "suggestion applied" in [str(c) for c in r]]
        need(applied, "apply-suggestions said it wrote, but its changes are gone (lost update)")
    r = ims("validate", wb, "--json", "--dry-run")
    need(r.rc in (0, 1), f"the workbook is unusable afterwards: {r}")
    return f"apply-suggestions exit {ra.rc}, validate exit {rb.rc}; typed work and applied suggestions kept"


def _kill_at(args: list[object], delay: float) -> tuple[int, float]:
    p = proc(*args)
    t0 = time.monotonic()
    try:
        p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
    p.communicate()
    return p.returncode, time.monotonic() - t0


@case(3, "SIGKILL during a write: the workbook is the old or the new file, never half")
def c_sigkill(tmp: Path):
    data, src, wb = fresh(tmp, records=3000)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    old = wb.read_bytes()
    shutil.copyfile(wb, tmp / "old.xlsx")
    # the full run, measured, gives the new file and the time a write takes
    rc, took = _kill_at(["import", src, "--into", tmp / "old.xlsx"], 120)
    need(rc == 0, f"re-import exit {rc}")
    outcomes = []
    for k, frac in enumerate((0.35, 0.55, 0.7, 0.8, 0.9, 0.97)):
        wb.write_bytes(old)
        rc, _ = _kill_at(["import", src, "--into", wb], took * frac)
        now = wb.read_bytes()
        if now == old:
            outcomes.append("old")
        else:
            need(records_in(wb) == len(_all(data)), f"kill {k}: the new file is incomplete")
            kept(wb, edits, f"SIGKILL {k}")
            outcomes.append("new")
        ok("validate", wb, "--dry-run", codes=(0, 1))
    killed = [o for o in outcomes]
    ok("summary", wb)  # no lock left behind by the killed processes
    return f"{len(killed)} kills over a {took:.1f}s re-import: {', '.join(outcomes)}; next command runs"


@case(3, "Ctrl-C (SIGINT) during a write: one line, the workbook old or new")
def c_sigint(tmp: Path):
    data, src, wb = fresh(tmp, records=3000)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    old = wb.read_bytes()
    p = proc("import", src, "--into", wb)
    time.sleep(1.6)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    r = Res(p.returncode, out.decode(), err.decode())
    need(r.rc in (0, 2), f"Ctrl-C gave {r}")
    if r.rc == 2:
        one_line(r, "interrupted")
    need(wb.read_bytes() == old or records_in(wb) == len(_all(data)), "the workbook is half-written")
    kept(wb, edits, "Ctrl-C")
    return f"exit {r.rc}: {(r.err.strip() or 'finished before the signal')[:80]}"


# ================================================================ 4. the Log

def _logged(wb: Path, doc: str, new: str, source_word: str) -> bool:
    for row in log_rows(wb)[1:]:
        cells = [str(c) if c is not None else "" for c in row]
        if any(c.strip() == doc.strip() for c in cells) and new in cells and any(source_word in c for c in cells):
            return True
    return False


@case(4, "an action typed by hand is logged by validate")
def c_log_validate(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    ok("validate", wb)
    missing = [e for e in edits if e[2] == "Action" and not _logged(wb, e[1], e[3], "typed")]
    need(not missing, f"not logged: {missing[:2]}")
    return f"{sum(e[2] == 'Action' for e in edits)} typed changes logged with old and new action"


@case(4, "an action typed by hand is logged by export")
def c_log_export(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    ok("export", wb, "--out", tmp / "upload.json")
    missing = [e for e in edits if e[2] == "Action" and not _logged(wb, e[1], e[3], "typed")]
    need(not missing, f"not logged: {missing[:2]}")
    return "logged at export, the workbook written back"


@case(4, "apply-suggestions logs the typed changes and the suggestions it applied")
def c_log_apply(tmp: Path):
    data, src, wb = fresh(tmp, books=True)
    ok("reconcile", wb, "--books", tmp / "books.csv")
    edits, _ = work_for(data)
    type_cells(wb, edits)
    ok("apply-suggestions", wb)
    missing = [e for e in edits if e[2] == "Action" and not _logged(wb, e[1], e[3], "typed")]
    need(not missing, f"typed changes not logged: {missing[:2]}")
    n = sum("suggestion applied" in [str(c) for c in r] for r in log_rows(wb))
    need(n > 0, "no suggestion applied was logged")
    return f"typed changes and {n} applied suggestions logged"


def _edit_log(wb: Path, how: str) -> None:
    book = openpyxl.load_workbook(wb)
    ws = book["Log"]
    if how == "edit":
        hm = header_map(ws)
        ws.cell(2, hm["New action"]).value = "Reject" if ws.cell(2, hm["New action"]).value != "Reject" else "Accept"
    else:
        ws.delete_rows(ws.max_row)
    book.save(wb)


@case(4, "an edited Log row is detected and reported")
def c_log_edited(tmp: Path):
    data, src, wb = fresh(tmp)
    type_cells(wb, work_for(data)[0])
    ok("validate", wb)
    _edit_log(wb, "edit")
    r = ok("validate", wb)
    need("log" in (r.out + r.err).lower() and "row 2" in (r.out + r.err).lower(),
         f"validate did not report the edited Log row: {r.out[-300:]!r}")
    need(any("log check" in [str(c) for c in row] for row in log_rows(wb)), "no 'log check' row appended")
    return "validate reports 'Log row 2 was changed ...' and appends a log check row"


@case(4, "a deleted Log row is detected")
def c_log_deleted(tmp: Path):
    data, src, wb = fresh(tmp)
    type_cells(wb, work_for(data)[0])
    ok("validate", wb)
    _edit_log(wb, "delete")
    r = ok("validate", wb)
    need("log" in (r.out + r.err).lower() and "removed" in (r.out + r.err).lower(),
         f"validate did not report the removed Log row: {r.out[-300:]!r}")
    return "reported as removed"


# ================================================================ 5. upload safety

def _apply_golden_edits(path: Path, edits: list[dict]) -> None:
    wb = openpyxl.load_workbook(path)
    for e in edits:
        ws = wb[e["sheet"]]
        value = e["value"]
        if isinstance(value, dict) and "date" in value:
            value = datetime.fromisoformat(value["date"])
        row = _row_of(ws, e["doc_no"]) if "doc_no" in e else int(e["row"])
        hm = header_map(ws) if ws.title in SECTION_OF else {}
        if e["column"] in hm:
            ws.cell(row, hm[e["column"]]).value = value
        else:
            ws[f"{e['column']}{row}"].value = value
    wb.save(path)


def _golden(name: str):
    def run_case(tmp: Path):
        src = CASES_DIR / name
        shutil.copyfile(src / "ims.json", tmp / "ims.json")
        wb = tmp / "review.xlsx"
        ok("import", tmp / "ims.json", "--out", wb)
        _apply_golden_edits(wb, json.loads((src / "edits.json").read_text(encoding="utf-8")))
        v = ok("validate", wb, codes=(0, 1))
        e = ims("export", wb, "--out", tmp / "upload.json")
        need(e.rc == v.rc, f"validate exit {v.rc}, export {e}")
        if e.rc:
            need(not list(tmp.glob("upload*.json")), "a refused export wrote a file")
            return "validation errors; export refuses, writes nothing"
        parts = sorted(tmp.glob("upload*.json"))
        r = ims("check-upload", *parts, "--against", tmp / "ims.json")
        need(r.rc == 0, f"check-upload: {r.out.strip()[-200:]}")
        return f"no errors; export ok; check-upload ok ({len(upload_records(parts))} records)"
    return run_case


for _name in sorted(p.name for p in CASES_DIR.iterdir() if (p / "ims.json").exists()) if CASES_DIR.exists() else []:
    case(5, f"golden case {_name}")(_golden(_name))


@case(5, "a record twice in the download is uploaded once")
def c_twice(tmp: Path):
    data = generate_download(records=20, seed=5)
    rec = next(r for r in data["imsDetails"]["b2b"] if actable(r, "A"))
    data["imsDetails"]["b2b"].append(copy.deepcopy(rec))
    write_download(tmp / "ims.json", data)
    wb = tmp / "review.xlsx"
    ok("import", tmp / "ims.json", "--out", wb)
    book = openpyxl.load_workbook(wb)
    ws = book["B2B"]
    hm = header_map(ws)
    rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, hm["Invoice number"]).value == rec["inum"].strip()]
    need(len(rows) == 2, f"the record is on {len(rows)} rows")
    for r in rows:
        ws.cell(r, hm["Action"]).value = "Accept"
    book.save(wb)
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    got = upload_records([tmp / "upload.json"])  # refuses a key seen twice
    need(("b2b", rec["inum"]) in got, "the record was not uploaded")
    ok("check-upload", tmp / "upload.json", "--against", tmp / "ims.json")
    return "two rows accepted, one record uploaded, check-upload passes"


@case(5, "remarks typed as a number are sent as text")
def c_numeric_remarks(tmp: Path):
    data, src, wb = fresh(tmp)
    k, rec = next((k, r) for k, r in _all(data) if actable(r, "R"))
    doc = rec[num_key(k)]
    type_cells(wb, [(SHEET[k], doc.strip(), "Action", "Reject"), (SHEET[k], doc.strip(), "Remarks", 12345)])
    ok("validate", wb)
    ok("export", wb, "--out", tmp / "upload.json")
    upload_is([tmp / "upload.json"], src, {(k, doc): {"action": "R", "remarks": "12345"}})
    return 'remarks "12345" (a JSON string)'


@case(5, "an edited hidden copy (_ims_data) stops the export")
def c_hidden_edit(tmp: Path):
    data, src, wb = fresh(tmp)
    edits, _ = work_for(data)
    type_cells(wb, edits)
    book = openpyxl.load_workbook(wb)
    ws = book["_ims_data"]
    col = header_map(ws)["record"]
    rec = json.loads(ws.cell(2, col).value)
    rec["txval"] = (rec.get("txval") or 0) + 1000
    ws.cell(2, col).value = json.dumps(rec)
    book.save(wb)
    v = ims("validate", wb, "--json", "--dry-run")
    codes = {f["code"] for f in json.loads(v.out or "[]")}
    need("hidden-record-edited" in codes, f"validate found {sorted(codes)}, not hidden-record-edited")
    e = ims("export", wb, "--out", tmp / "upload.json")
    need(e.rc == 1 and not (tmp / "upload.json").exists(), f"export with an edited hidden copy: {e}")
    return "hidden-record-edited; export exit 1, nothing written"


# ================================================================ the runner

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="run the families or cases whose name contains this text")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case as it ends")
    a = ap.parse_args(argv)
    os.environ.setdefault("IMS_XL_LOCK_WAIT", "30")
    results: list[tuple[str, str, bool, str, float]] = []
    t_all = time.monotonic()
    for family, name, fn in CASES:
        if a.only and a.only.lower() not in f"{family} {name}".lower():
            continue
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="ims-trust-") as d:
            try:
                note = fn(Path(d))
                held = True
            except Broke as exc:
                held, note = False, str(exc)
            except Exception as exc:  # the case itself failed: report it, never hide it
                held, note = False, f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=-2).strip().splitlines()[-3][:200]}"
        results.append((family, name, held, str(note), time.monotonic() - t0))
        if a.verbose:
            print(f"[{'held' if held else 'BROKE'}] {family} / {name} ({time.monotonic() - t0:.1f}s): {note}",
                  file=sys.stderr, flush=True)
    print("| family | cases | held | broke |")
    print("|---|---|---|---|")
    for fam in FAMILIES:
        rs = [r for r in results if r[0] == fam]
        if rs:
            held = sum(r[2] for r in rs)
            print(f"| {fam} | {len(rs)} | {held} | {len(rs) - held} |")
    total = len(results)
    held = sum(r[2] for r in results)
    print(f"| **all** | **{total}** | **{held}** | **{total - held}** |")
    print(f"\n{total} cases in {time.monotonic() - t_all:.0f} s; not run: a real full disk (no tmpfs here; "
          "simulated in-process by failing writes with ENOSPC).")
    broken = [r for r in results if not r[2]]
    if broken:
        print("\nBroken:")
        for fam, name, _, note, _ in broken:
            print(f"- {fam} / {name}: {note}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
