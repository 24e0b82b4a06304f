"""Every command end to end on a hostile download and a hostile purchase register.

README promises under test ("Exit codes", "Reliability and safety", "Re-import without losing
work", "The upload JSON"): every command ends in a result (exit 0 or 1) or one line on stderr
(exit 2), never an internal error (exit 3) or a traceback; text starting with ``=``, ``+``,
``-`` or ``@`` is never a formula (workbook cells carry Excel's quote prefix, ``matches.csv``
cells a leading ``'``); what validate passes, export sends exactly (the upload passes
``check-upload --against`` the download and echoes document numbers byte for byte as
downloaded); typed actions and remarks survive ``import --into`` and ``run`` into an existing
out-dir.

The hostile files are the sample generator's realistic output (``ims_xl.samples.download`` and
``ims_xl.samples.register``), rewritten field by field; each rewrite names what it models.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from conftest import SECTION_KEYS, SHEET_OF, header_map, run
from conftest import unsafe_cells as shared_unsafe_cells
from ims_xl.model import SECTION_BY_KEY
from ims_xl.samples.download import generate_download, write_download
from ims_xl.samples.register import generate_register, write_register_csv

# every command on hostile files, two seeds: the heavy tier (.ci/run) runs them
pytestmark = pytest.mark.slow

RECORDS = 60
#: 7 renders the register as a "sheet" export (Party GSTIN, Supplier Name, Bill No ...);
#: 2 as a Tally purchase register (title rows, Particulars, Voucher Type, a Grand Total row).
SEEDS = (7, 2)
FORMULA_START = ("=", "+", "-", "@")
NUM_KEYS = ("inum", "nt_num", "oinum", "ont_num")


# ---------------------------------------------------------------- the hostile transformation

class Hostile:
    """Rewrites text the way hostile or merely careless sources do, deterministically.

    * ``= + - @`` first: CSV/formula injection (OWASP "CSV Injection"); a supplier controls
      its trade name and document numbers, and a register export is pasted into Excel.
    * UPPER case: GSPs and ERP exports upper-case text.
    * stray leading/trailing spaces: copy-paste from portals, PDFs and fixed-width exports.
    """

    def __init__(self) -> None:
        self.i = 0
        self.g = 0

    def text(self, value: object, room: int | None = None, lead: bool | None = None) -> str:
        """``value`` upper-cased, behind a formula character, padded with spaces (a leading
        space on every other value unless ``lead`` says); within ``room`` characters in all
        (the portal's field length: the tail is kept, where a document's running number is)."""
        self.i += 1
        lead = " " if (self.i % 2 if lead is None else lead) else ""
        trail = " " * (1 + self.i % 2)
        core = str(value).upper()
        if room is not None:
            core = core[-(room - len(lead) - 1 - len(trail)):]
        return f"{lead}{FORMULA_START[self.i % 4]}{core}{trail}"

    def gstin(self, value: str) -> str:
        """A GSTIN as a careless source writes it: lower case, stray spaces. It stays a
        plausible GSTIN (the reader accepts it), so only case and spaces vary; every third
        one is left canonical so that some records can be acted on and uploaded (the upload
        schema requires 15 capital letters and digits)."""
        self.g += 1
        return (value, " " + value.lower(), value + "  ")[self.g % 3]


def hostile_download(seed: int) -> tuple[dict, dict]:
    """(the sample download rewritten, the sample download as generated)."""
    clean = generate_download(records=RECORDS, seed=seed)
    data = copy.deepcopy(clean)
    h = Hostile()
    for key, recs in data["imsDetails"].items():
        seen = set()
        for r in recs:
            r["stin"] = h.gstin(r["stin"])
            for k in NUM_KEYS:  # 16 characters: the portal's document-number length
                if k in r:
                    r[k] = h.text(r[k], 16)
            r["tradenm"] = h.text(r["tradenm"])
            if "remarks" in r:  # remarks saved earlier on the portal come back in the download
                r["remarks"] = h.text(r["remarks"])
            if "inv_typ" in r:
                r["inv_typ"] = h.text(r["inv_typ"], 15)
            r["srcform"] = h.text(r["srcform"], 6)
            r["srcfilstatus"] = h.text(r["srcfilstatus"])
            ident = (r["stin"].strip().upper(), r[SECTION_BY_KEY[key].num_key].strip().upper())
            assert ident not in seen, f"the rewrite made two {key} records alike: {ident}"
            seen.add(ident)
    return data, clean


def hostile_register(clean_download: dict, seed: int) -> list[list[object]]:
    """The sample register of the same download, its text cells rewritten: party names,
    bill numbers, title rows and a narration column added as Tally exports it; the GSTIN
    column in lower case with spaces; the document-type column upper-cased (an ERP export)."""
    grid, _ = generate_register(clean_download, seed)
    h = Hostile()
    hrow = next(i for i, row in enumerate(grid) if row and any(
        str(c).strip() in ("Party GSTIN", "GSTIN/UIN of Supplier") for c in row))
    header = [str(c) for c in grid[hrow]]
    col = {name: header.index(name) for name in header}
    gst = col.get("Party GSTIN", col.get("GSTIN/UIN of Supplier"))
    name = col.get("Supplier Name", col.get("Particulars"))
    num = col.get("Bill No", col.get("Supplier Invoice No."))
    kind = col.get("Document Type", col.get("Voucher Type"))
    out: list[list[object]] = []
    for i, row in enumerate(grid):
        row = list(row)
        if i < hrow:
            # title rows, the formula character first: the first cell of the grid is the
            # Books sheet's first row
            row = [h.text(c, lead=False) if str(c).strip() else c for c in row]
        elif i == hrow:
            row.append("Narration")
        elif str(row[gst]).strip():
            row[gst] = h.gstin(str(row[gst])) if h.g % 2 else f" {str(row[gst]).lower()} "
            row[name] = h.text(row[name])
            row[num] = h.text(row[num])
            row[kind] = f" {str(row[kind]).upper()} "
            row.append(h.text(f'HYPERLINK("HTTP://X.INVALID/?{i}","BILL {i}")'))
        else:  # a total line: Tally's own words, upper-cased
            row = [str(c).upper() if isinstance(c, str) else c for c in row] + [""]
        out.append(row)
    return out


# the second seed is the heavy tier's (.ci/run): one seed covers every field in the fast tier
@pytest.fixture(params=[pytest.param(s, marks=pytest.mark.slow) if k else s for k, s in enumerate(SEEDS)],
                ids=[f"seed{s}" for s in SEEDS])
def hostile(request, tmp_path: Path) -> dict:
    data, clean = hostile_download(request.param)
    folder = tmp_path / "in"
    folder.mkdir()
    write_download(folder / "ims_download.json", data)
    write_register_csv(folder / "purchase_register.csv", hostile_register(clean, request.param))
    return {"dir": folder, "json": folder / "ims_download.json", "books": folder / "purchase_register.csv",
            "data": data, "tmp": tmp_path}


# ---------------------------------------------------------------- helpers

def cli(capsys, *args: object, allowed: tuple[int, ...] = (0, 1)) -> tuple[int, str, str]:
    """``ims-xl ARGS`` in-process: the exit code is one of ``allowed``; never a traceback or
    an internal error; on exit 2 exactly one line on stderr (README, "Exit codes")."""
    capsys.readouterr()
    rc = run(*args)
    out, err = capsys.readouterr()
    assert rc != 3 and "Traceback" not in out + err and "internal error" not in err, (args, rc, err)
    assert rc in allowed, (args, rc, out[-2000:], err)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1, (args, err)
    return rc, out, err


def unsafe_cells(path: Path) -> list[str]:
    """conftest.unsafe_cells, each named with its file: the tests collect these and assert at
    the end, so one unsafe cell does not hide the later steps' results."""
    return [f"{path.name} {b}" for b in shared_unsafe_cells(path)]


def assert_hostile_shown(path: Path, data: dict) -> None:
    """Every downloaded record is on its sheet with its hostile number and trade name as
    text (the sheets show identifiers trimmed: README "Reading the IMS JSON")."""
    wb = openpyxl.load_workbook(path)
    for key in SECTION_KEYS:
        recs = data["imsDetails"].get(key, [])
        ws = wb[SHEET_OF[key]]
        hm = header_map(ws)
        num_col = hm["Invoice number" if SECTION_BY_KEY[key].num_key == "inum" else "Note number"]
        name_col = hm["Trade/Legal name"]
        shown = {}
        for r in range(2, ws.max_row + 1):
            c = ws.cell(r, num_col)
            if c.value is None:
                continue
            assert c.data_type == "s", (ws.title, c.coordinate, c.value)
            shown[c.value] = ws.cell(r, name_col)
        for rec in recs:
            doc = rec[SECTION_BY_KEY[key].num_key].strip()
            assert doc in shown, (key, doc, sorted(shown)[:5])
            name = shown[doc]
            assert name.data_type == "s" and str(name.value).strip() == rec["tradenm"].strip(), (key, doc, name.value)


def assert_matches_neutralised(path: Path) -> None:
    """Every matches.csv cell whose text would start a formula begins with ' instead
    (README, "Hostile files"); a plain signed number is a number, not a formula."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows and rows[0][:3] == ["section", "stin", "doc_no"], rows[:1]
    # every cell quoted: where ; separates fields, "a;=cmd" stays one cell (OWASP, CSV injection)
    quoted = io.StringIO()
    csv.writer(quoted, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    assert quoted.getvalue() == text
    hostile_seen = 0
    for row in rows:
        for v in row:
            if v.startswith("'"):
                hostile_seen += v[1:].startswith(FORMULA_START)
            if v.startswith(FORMULA_START):
                try:
                    Decimal(v)
                except ArithmeticError:
                    raise AssertionError(f"matches.csv cell {v!r} starts a formula") from None
    assert hostile_seen, "no hostile cell reached matches.csv: the test lost its teeth"


def assert_upload_exact(capsys, uploads: list[Path], src: Path, data: dict) -> list[dict]:
    """The upload passes check-upload against the download, and each record's document
    numbers are the downloaded strings byte for byte (README, "Reading the IMS JSON": the
    upload echoes them exactly as downloaded, a stray space included)."""
    rc, out, _ = cli(capsys, "check-upload", *uploads, "--against", src, allowed=(0,))
    downloaded = {(k, json.dumps(r.get(SECTION_BY_KEY[k].num_key), ensure_ascii=False))
                  for k, recs in data["imsDetails"].items() for r in recs}
    sent = []
    for u in uploads:
        raw = u.read_bytes()
        doc = json.loads(raw)
        for k, recs in doc["invdata"].items():
            for r in recs:
                num = r[SECTION_BY_KEY[k].num_key]
                assert (k, json.dumps(num, ensure_ascii=False)) in downloaded, (k, num)
                # the bytes of the file, not only the parsed value: no re-escaping, no trimming
                assert json.dumps(num, ensure_ascii=False).encode() in raw or json.dumps(num).encode() in raw
                sent.append({"section": k, **r})
    return sent


def type_cells(path: Path, edits: list[tuple[str, str, str, object]]) -> None:
    """Type into section sheets as an accountant does in Excel: (sheet, doc_no shown,
    header, value). Text starting with = + - @ is typed as Excel stores ``'=...``: a string
    cell with the quote prefix, never a formula."""
    wb = openpyxl.load_workbook(path)
    for sheet, doc, header, value in edits:
        ws = wb[sheet]
        hm = header_map(ws)
        num_col = hm.get("Invoice number") or hm["Note number"]
        rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, num_col).value == doc]
        assert len(rows) == 1, (sheet, doc, rows)
        c = ws.cell(rows[0], hm[header])
        c.value = value
        if isinstance(value, str):
            c.data_type = "s"
            c.quotePrefix = value.startswith(FORMULA_START)
    wb.save(path)


def read_typed(path: Path, edits: list[tuple[str, str, str, object]]) -> list[object]:
    wb = openpyxl.load_workbook(path)
    got = []
    for sheet, doc, header, _ in edits:
        ws = wb[sheet]
        hm = header_map(ws)
        num_col = hm.get("Invoice number") or hm["Note number"]
        rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, num_col).value == doc]
        assert len(rows) == 1, (sheet, doc, rows)
        v = ws.cell(rows[0], hm[header]).value
        got.append(v.strip() if isinstance(v, str) else v)
    return got


def typed(edits: list[tuple[str, str, str, object]]) -> list[object]:
    """What ``read_typed`` must give back: the values typed, spaces around text aside (the
    sheets show text trimmed; the words themselves are the work that must not be lost)."""
    return [v.strip() if isinstance(v, str) else v for *_, v in edits]


def sendable(rec: dict, action: str) -> bool:
    """A record the accountant can give ``action`` and upload: its GSTIN is canonical (the
    upload schema's 15 capital letters and digits), the action is a change, and the portal
    blocks neither that action, nor remarks with it, nor the ITC-reduction answer."""
    s = rec["stin"]
    return (s == s.strip().upper() and rec.get("action") != action
            and not (action == "P" and rec.get("ispendactblocked") != "N")
            and not (action in "RP" and rec.get("isRemarksBlocked") != "N")
            and rec.get("isItcRedReqBlocked", "N") == "N")


def pick_work(data: dict) -> list[tuple[str, str, str, object]]:
    """The accountant's typed work: a Reject and a Pending with hostile remarks, an Accept,
    and an Accept of a credit note answering the ITC-reduction question."""
    want = [("R", SECTION_KEYS), ("P", SECTION_KEYS),
            ("A", ("b2b", "b2bdn", "ecom")), ("A", ("b2bcn", "b2bcna", "b2bdna", "b2ba", "ecoma"))]
    words = {"A": "Accept", "R": "Reject", "P": "Pending"}
    remarks = {"R": '=HYPERLINK("HTTP://X.INVALID","CLICK")  ', "P": "  @SUPPLIER TO REISSUE -2 "}
    used, edits = set(), []
    for action, keys in want:
        hit = next(((k, r) for k in keys for r in data["imsDetails"].get(k, [])
                    if sendable(r, action) and id(r) not in used), None)
        assert hit, f"the sample has no record to {action} among {keys}"
        k, r = hit
        used.add(id(r))
        sheet, doc = SHEET_OF[k], r[SECTION_BY_KEY[k].num_key].strip()
        edits.append((sheet, doc, "Action", words[action]))
        if action in remarks:
            edits.append((sheet, doc, "Remarks", remarks[action]))
        if SECTION_BY_KEY[k].itc_reduction and action == "A":
            edits.append((sheet, doc, "Whether ITC to be reduced", "No"))
    return edits


# ---------------------------------------------------------------- the tests

def test_every_command_on_hostile_files(hostile, capsys):
    """import --out, the accountant's typing, validate (table and --json), reconcile
    --books --matches, export + check-upload, summary, apply-suggestions, import-errors,
    import --into: no crash, text stays text, the upload is the download's records exactly."""
    d, src, books, data = hostile["tmp"], hostile["json"], hostile["books"], hostile["data"]
    wb = d / "review.xlsx"
    unsafe: list[str] = []
    cli(capsys, "import", src, "--out", wb, allowed=(0,))
    unsafe += unsafe_cells(wb)
    assert_hostile_shown(wb, data)

    work = pick_work(data)
    type_cells(wb, work)
    assert read_typed(wb, work) == typed(work)

    cli(capsys, "validate", wb, allowed=(0,))
    _, out, _ = cli(capsys, "validate", wb, "--json", allowed=(0,))
    assert isinstance(json.loads(out), list)
    unsafe += unsafe_cells(wb)
    assert read_typed(wb, work) == typed(work)

    cli(capsys, "reconcile", wb, "--books", books, "--matches", d / "matches.csv", allowed=(0,))
    assert_matches_neutralised(d / "matches.csv")
    unsafe += unsafe_cells(wb)
    assert read_typed(wb, work) == typed(work)

    # what validate passed, export sends: the typed records, nothing else
    cli(capsys, "export", wb, "--out", d / "upload.json", allowed=(0,))
    sent = assert_upload_exact(capsys, [d / "upload.json"], src, data)
    actions = {(w[0], w[1]): w[3] for w in work if w[2] == "Action"}
    assert {(SHEET_OF[r["section"]], r[SECTION_BY_KEY[r["section"]].num_key].strip()): r["action"]
            for r in sent} == {k: v[0] for k, v in actions.items()}
    typed_remarks = {(w[0], w[1]): w[3] for w in work if w[2] == "Remarks"}
    for r in sent:
        key = (SHEET_OF[r["section"]], r[SECTION_BY_KEY[r["section"]].num_key].strip())
        if key in typed_remarks:  # typed text sent as shown (README, "The upload JSON")
            assert r.get("remarks", "").strip() == typed_remarks[key].strip(), (key, r.get("remarks"))

    cli(capsys, "summary", wb, allowed=(0,))
    cli(capsys, "apply-suggestions", wb, allowed=(0,))
    assert read_typed(wb, work) == typed(work), "apply-suggestions wrote over typed work"
    rc, _, _ = cli(capsys, "validate", wb)
    rc_exp, _, _ = cli(capsys, "export", wb, "--out", d / "upload2.json")
    assert rc_exp == rc, "export must refuse exactly when validate reports errors"
    if rc_exp == 0:
        assert_upload_exact(capsys, [d / "upload2.json"], src, data)
    else:
        assert not (d / "upload2.json").exists()

    # the portal's offline error file names hostile records by their downloaded values
    errs = {"imsDetailsErr": {k: [{**r, "error_msg": f"=ERROR {i}: {r['tradenm']}"}
                                  for i, r in enumerate(recs[:2])]
                              for k, recs in data["imsDetails"].items() if recs}}
    (d / "errors.json").write_text(json.dumps(errs, ensure_ascii=False, default=str), encoding="utf-8")
    cli(capsys, "import-errors", d / "errors.json", wb, allowed=(0,))
    unsafe += unsafe_cells(wb)

    # a newer download of the same records, and one with a record gone: the typed work stays
    cli(capsys, "import", src, "--into", wb, allowed=(0,))
    assert read_typed(wb, work) == typed(work)
    newer = copy.deepcopy(data)
    victim = next(r for recs in newer["imsDetails"].values() for r in recs
                  if r["stin"].strip().upper() not in {w[1] for w in work})
    for recs in newer["imsDetails"].values():
        if victim in recs:
            recs.remove(victim)
    write_download(d / "newer.json", newer)
    cli(capsys, "import", d / "newer.json", "--into", wb, allowed=(0,))
    assert read_typed(wb, work) == typed(work)
    unsafe += unsafe_cells(wb)
    assert not unsafe, "unsafe cells: " + "; ".join(dict.fromkeys(unsafe))


def leave_unsendable(capsys, wb: Path) -> int:
    """Do what validate says for ``download-value-unsendable`` (a downloaded GSTIN with
    spaces or lower case cannot be uploaded): set that row's Action back to its portal
    status. Returns how many rows were reset."""
    _, out, _ = cli(capsys, "validate", wb, "--json", "--dry-run")
    rows = [(f["sheet"], f["row"]) for f in json.loads(out) if f["code"] == "download-value-unsendable"]
    book = openpyxl.load_workbook(wb)
    for sheet, row in rows:
        ws = book[sheet]
        hm = header_map(ws)
        ws.cell(row, hm["Action"]).value = ws.cell(row, hm["Previous status"]).value
    book.save(wb)
    return len(rows)


def test_run_and_run_again_on_hostile_files(hostile, capsys):
    """run --books --apply-suggestions into a new folder; the accountant types and follows
    validate's advice; run again into the same folder: the typed work is kept (README, "The
    main job never overwrites a review"), every file stays text-safe, and the upload is the
    download's records exactly, carrying the typed actions."""
    d, src, books, data = hostile["tmp"], hostile["json"], hostile["books"], hostile["data"]
    out = d / "out"
    rc, _, _ = cli(capsys, "run", src, "--books", books, "--out-dir", out, "--apply-suggestions")
    wb = out / "review.xlsx"
    unsafe = unsafe_cells(wb)
    assert_hostile_shown(wb, data)
    assert_matches_neutralised(out / "matches.csv")
    assert (out / "upload.json").exists() == (rc == 0)
    if rc == 0:
        assert_upload_exact(capsys, [out / "upload.json"], src, data)

    work = pick_work(data)
    # the suggestions may have set some of these rows; the accountant's typing wins
    type_cells(wb, work)
    leave_unsendable(capsys, wb)
    # again into the same folder, without --apply-suggestions: it would set the rows just
    # put back at No Action to their suggestion again
    rc2, _, _ = cli(capsys, "run", src, "--books", books, "--out-dir", out, allowed=(0,))
    assert read_typed(wb, work) == typed(work), "run into an existing out-dir lost typed work"
    unsafe += unsafe_cells(wb)
    assert_matches_neutralised(out / "matches.csv")
    sent = assert_upload_exact(capsys, [out / "upload.json"], src, data)
    got = {(SHEET_OF[r["section"]], r[SECTION_BY_KEY[r["section"]].num_key].strip()): r["action"]
           for r in sent}
    for sheet, doc, header, value in work:
        if header == "Action":
            assert got.get((sheet, doc)) == value[0], (sheet, doc, got.get((sheet, doc)))
    assert len(sent) > len(work) // 2 + 1, "the suggestions applied by the first run were not uploaded"
    assert not unsafe, "unsafe cells: " + "; ".join(dict.fromkeys(unsafe))


def test_refusals_on_hostile_files_are_one_line(hostile, capsys):
    """Exit 2 paths reached with hostile input: one line each, no traceback."""
    d, src, books = hostile["tmp"], hostile["json"], hostile["books"]
    wb = d / "review.xlsx"
    cli(capsys, "import", src, "--out", wb, allowed=(0,))
    before = wb.read_bytes()
    cli(capsys, "import", src, "--out", wb, allowed=(2,))                      # exists, no --force
    cli(capsys, "export", wb, "--out", d / "missing" / "u.json", allowed=(2,))  # no such folder
    cli(capsys, "reconcile", wb, "--books", d / "nope.csv", allowed=(2,))       # no register
    # a register whose GSTIN column holds the hostile names: refused, naming the place
    rows = list(csv.reader(io.StringIO(books.read_text(encoding="utf-8"))))
    hrow = next(i for i, r in enumerate(rows) if "Party GSTIN" in r or "GSTIN/UIN of Supplier" in r)
    g = rows[hrow].index("Party GSTIN" if "Party GSTIN" in rows[hrow] else "GSTIN/UIN of Supplier")
    n = rows[hrow].index("Supplier Name" if "Supplier Name" in rows[hrow] else "Particulars")
    for r in rows[hrow + 1:]:
        if len(r) > max(g, n):
            r[g], r[n] = r[n], r[g]
    bad = d / "swapped.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    (d / "errors.json").write_text('{"imsDetailsErr": {"=B2B": []}}', encoding="utf-8")
    cli(capsys, "import-errors", d / "errors.json", wb, allowed=(2,))  # a section key that is a formula
    assert wb.read_bytes() == before, "a refused command changed the workbook"
    rc, _, _ = cli(capsys, "reconcile", wb, "--books", bad, allowed=(0, 2))
    assert rc == 0 or wb.read_bytes() == before
    cli(capsys, "run", src, "--books", bad, "--out-dir", d / "out2", allowed=(0, 1, 2))


@pytest.mark.parametrize("amount", ["1e307", "9" * 5000, "=1E307", " -1,00,000.001 "])
def test_hostile_register_amount_is_one_line(tmp_path, capsys, amount):
    """A register amount near the float limit, 5,000 digits long, a formula, or with three
    decimals: reconcile and run refuse it in one short line naming the row and column
    (README, "Reconciling": a register with text in an amount column is refused with the row
    and column named), and nothing is written."""
    data, clean = hostile_download(7)
    write_download(tmp_path / "ims.json", data)
    grid = hostile_register(clean, 7)
    hrow = next(i for i, r in enumerate(grid) if "Party GSTIN" in r)
    grid[hrow + 1][grid[hrow].index("Taxable Amount")] = amount
    write_register_csv(tmp_path / "books.csv", grid)
    wb = tmp_path / "review.xlsx"
    cli(capsys, "import", tmp_path / "ims.json", "--out", wb, allowed=(0,))
    before = wb.read_bytes()
    for args in (("reconcile", wb, "--books", tmp_path / "books.csv"),
                 ("run", tmp_path / "ims.json", "--books", tmp_path / "books.csv", "--out-dir", tmp_path / "out")):
        _, _, err = cli(capsys, *args, allowed=(2,))
        assert "Taxable Amount" in err and len(err) < 300, err
    assert wb.read_bytes() == before
    assert not (tmp_path / "out" / "review.xlsx").exists()
