"""The command line, in-process through ``cli.main``: import, validate, export, import-errors,
summary, sample, run; exit codes 0 / 1 / 2 / 3 and what each command writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import (RTIN, SECTION_KEYS, SUP_KA, apply_edits, cell, download, export, header_map, import_new,
                      record, run, validate_findings, write_json)

from ims_xl import __version__, actions, cli

SMALL = {"b2b": [record("b2b", 1), record("b2b", 2, stin=SUP_KA)], "b2bcn": [record("b2bcn", 1)]}


# ---------------------------------------------------------------- import

def test_import_new_workbook(tmp_path: Path, capsys) -> None:
    src = write_json(tmp_path / "ims.json", download(SMALL, rtin=RTIN))
    capsys.readouterr()
    assert run("import", src, "--out", tmp_path / "r.xlsx") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Imported 3 records from ims.json"
    assert out[-1] == f"Wrote {tmp_path / 'r.xlsx'}"
    assert not any("GSTIN" in line for line in out)


def test_import_without_rtin_says_where_to_type_it(tmp_path: Path, capsys) -> None:
    src = write_json(tmp_path / "ims.json", download(SMALL))
    capsys.readouterr()
    assert run("import", src, "--out", tmp_path / "r.xlsx") == 0
    assert "Summary sheet (cell B3) or pass --rtin" in capsys.readouterr().out


def test_import_rtin_and_period_options(tmp_path: Path) -> None:
    src = write_json(tmp_path / "ims.json", download(SMALL))
    assert run("import", src, "--out", tmp_path / "r.xlsx", "--rtin", RTIN.lower(), "--period", "102025") == 0
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"]
    assert (ws["B3"].value, ws["B4"].value) == (RTIN, "102025")


def test_a_period_excel_made_a_number_is_read_as_typed(tmp_path: Path, capsys) -> None:
    """Excel stores 092025 typed into Summary B4 as the number 92025: five digits can only be
    MYYYY with its leading zero dropped."""
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    apply_edits(wb, [{"sheet": "Summary", "row": 4, "column": "B", "value": 92025}])
    capsys.readouterr()
    assert run("validate", wb, "--dry-run") == 0
    assert "period-invalid" not in capsys.readouterr().out
    assert run("validate", wb) == 0
    assert openpyxl.load_workbook(wb)["Summary"]["B4"].value == "092025"


@pytest.mark.parametrize("cmd", ["import", "import --into", "run"])
def test_rtin_other_than_the_downloads_is_refused(tmp_path: Path, capsys, cmd: str) -> None:
    """--rtin names the recipient only for a download that does not carry it: an upload
    goes out under the download's rtin (IMS_FORMAT.md §2.1), so a different one given by
    hand (or in a batch client's rtin.txt) would send the month's actions for another
    taxpayer. The same GSTIN in lower case is the same GSTIN."""
    src = write_json(tmp_path / "ims.json", download(SMALL, rtin=RTIN))
    other = "29AAFCC9980M1ZR"
    wb = tmp_path / "r.xlsx"
    if cmd == "import --into":
        assert run("import", src, "--out", wb) == 0
    before = wb.read_bytes() if wb.exists() else None
    args = {"import": ["import", src, "--out", wb], "import --into": ["import", src, "--into", wb],
            "run": ["run", src, "--out-dir", tmp_path / "job"]}[cmd]
    capsys.readouterr()
    assert run(*args, "--rtin", other) == 2
    err = capsys.readouterr().err
    assert f"download of {RTIN}, not of {other}" in err and len(err.strip().splitlines()) == 1, err
    assert (wb.read_bytes() if wb.exists() else None) == before
    assert not (tmp_path / "job").exists() or not any((tmp_path / "job").iterdir())
    assert run(*args, "--rtin", RTIN.lower(), *(["--force"] if cmd == "import" and before is None and wb.exists() else [])) == 0


@pytest.mark.parametrize("args", [[], ["--out", "a.xlsx", "--into", "b.xlsx"]])
def test_import_needs_exactly_one_target(tmp_path: Path, capsys, args: list[str]) -> None:
    src = write_json(tmp_path / "ims.json", download(SMALL))
    capsys.readouterr()
    assert run("import", src, *[str(tmp_path / a) if a.endswith(".xlsx") else a for a in args]) == 2
    assert "--out" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.xlsx"))


def test_import_force_replaces(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    src = write_json(tmp_path / "other.json", download({"ecom": [record("ecom", 1)]}, rtin=RTIN))
    assert run("import", src, "--out", wb) == 2
    assert run("import", src, "--out", wb, "--force") == 0
    assert openpyxl.load_workbook(wb)["ECO"].max_row == 2
    assert openpyxl.load_workbook(wb)["B2B"].max_row == 1


def test_import_accepts_sample_examples(tmp_path: Path) -> None:
    assert run("sample", "--out-dir", tmp_path, "--records", 40, "--seed", 11) == 0
    assert run("import", tmp_path / "ims_download.json", "--out", tmp_path / "r.xlsx") == 0
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    n = sum(book[s].max_row - 1 for s in ("B2B", "B2BA", "B2B-DN", "B2B-DNA", "B2B-CN", "B2B-CNA", "ECO", "ECOA"))
    assert n == 40


# ---------------------------------------------------------------- validate

def test_validate_exit_codes_and_table(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    capsys.readouterr()
    assert run("validate", wb) == 0
    assert capsys.readouterr().out.strip() == "No problems found in 3 records"
    apply_edits(wb, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B", "doc_no": "INV-1", "column": "Remarks", "value": "fine"}])
    capsys.readouterr()
    assert run("validate", wb) == 1
    out = capsys.readouterr().out.splitlines()
    assert re.split(r"\s+", out[0]) == ["severity", "sheet", "row", "field", "code", "message"]
    assert any(re.match(r"error\s+B2B-CN\s+2\s+Whether ITC to be reduced\s+itc-reduction-answer-missing", ln)
               for ln in out)
    assert any(re.match(r"warning\s+B2B\s+2\s+Remarks\s+remarks-not-sent", ln) for ln in out)
    assert out[-1] == "1 error(s), 1 warning(s) in 3 records"


def test_validate_json(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download(SMALL))
    rc, findings = validate_findings(wb, capsys)
    assert rc == 1
    assert findings == [{"code": "rtin-missing", "severity": "error", "sheet": "Summary", "row": 3,
                         "field": "Recipient GSTIN", "message": findings[0]["message"], "value": ""}]


def test_validate_dry_run_writes_nothing(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"}])
    before = wb.read_bytes()
    rc, findings = validate_findings(wb, capsys, "--dry-run")
    assert rc == 1 and [f["code"] for f in findings] == ["itc-reduction-answer-missing"]
    assert wb.read_bytes() == before
    assert cell(wb, "B2B-CN", "CN-1", "Sheet validation errors") is None
    rc, written = validate_findings(wb, capsys)
    assert rc == 1 and wb.read_bytes() != before
    assert written == findings  # the dry run (a lean read, as export's) finds what validate finds
    assert "itc-reduction-answer-missing" in cell(wb, "B2B-CN", "CN-1", "Sheet validation errors")
    assert cell(wb, "B2B", "INV-1", "Sheet validation errors") is None


def test_validate_dry_run_of_a_reconciled_workbook_finds_what_validate_finds(tmp_path: Path, capsys) -> None:
    # the dry run reads the workbook lean (no Books sheet, no reports), as export does
    assert run("sample", "--out-dir", tmp_path, "--records", 80, "--seed", 6) == 0
    wb = tmp_path / "review.xlsx"
    assert run("import", tmp_path / "ims_download.json", "--out", wb) == 0
    assert run("reconcile", wb, "--books", tmp_path / "purchase_register.csv") == 0
    edits = [{"sheet": "B2B-CN", "row": 2, "column": "Action", "value": "Accept"},
             {"sheet": "B2B", "row": 3, "column": "Action", "value": "maybe"},
             {"sheet": "B2B", "row": 4, "column": "Remarks", "value": "x" * 300}]
    apply_edits(wb, edits)
    capsys.readouterr()
    rc_dry, dry = validate_findings(wb, capsys, "--dry-run")
    rc, found = validate_findings(wb, capsys)
    assert rc_dry == rc == 1 and dry == found and len({f["code"] for f in found}) >= 2


def test_validate_keeps_typed_cells_added_sheets_and_books(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Whether ITC to be reduced", "value": "Yes"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "ITC reduction CGST", "value": "45.50"},
                     {"sheet": "B2B-CN", "doc_no": "CN-1", "column": "ITC reduction SGST", "value": 45.5},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Reject"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Remarks", "value": "Not ordered, ₹ wrong"}])
    book = openpyxl.load_workbook(wb)
    notes = book.create_sheet("My notes")
    notes.append(["Call supplier", "Monday"])
    book["Books"].append([SUP_KA, "Karnataka supplier", "Invoice", "INV-2", "15-10-2025"])
    book.save(wb)
    rc, first = export(wb, tmp_path / "a.json")
    assert rc == 0
    for _ in range(2):
        assert run("validate", wb) == 0
    book = openpyxl.load_workbook(wb)
    assert [c.value for c in book["My notes"][1]] == ["Call supplier", "Monday"]
    assert [c.value for c in book["Books"][2]][:4] == [SUP_KA, "Karnataka supplier", "Invoice", "INV-2"]
    ws = book["B2B-CN"]
    hm = header_map(ws)
    assert [ws.cell(2, hm[h]).value for h in ("Action", "Whether ITC to be reduced", "ITC reduction CGST",
                                              "ITC reduction SGST")] == ["Accept", "Yes", "45.50", 45.5]
    assert cell(wb, "B2B", "INV-2", "Remarks") == "Not ordered, ₹ wrong"
    rc, second = export(wb, tmp_path / "b.json")
    assert rc == 0 and second == first
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


# ---------------------------------------------------------------- export

def test_export_messages(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Reject"}])
    capsys.readouterr()
    assert run("export", wb, "--out", tmp_path / "upload.json") == 0
    out = capsys.readouterr().out.splitlines()
    assert "1 changed record(s) to upload in 1 file(s)" in out
    assert out[-1] == f"Wrote {tmp_path / 'upload.json'}"


def test_export_with_nothing_changed_is_empty(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download({k: [record(k, 1, action=a)] for k, a in zip(SECTION_KEYS, "ANRPANRP")},
                                       rtin=RTIN))
    rc, up = export(wb, tmp_path / "up.json")
    assert (rc, up) == (0, {"rtin": RTIN, "reqtyp": "SAVE", "invdata": {}})


# ---------------------------------------------------------------- summary

def test_summary_command(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"}])
    capsys.readouterr()
    assert run("summary", wb) == 0
    out = capsys.readouterr().out
    accepted = next(ln for ln in out.splitlines() if ln.startswith("Accepted"))
    assert accepted.split()[-1] == "180.00"        # INV-1: CGST 90 + SGST 90
    assert cell(wb, "B2B", "INV-1", "Action") == "Accept"
    rows = list(openpyxl.load_workbook(wb)["Summary"].iter_rows(values_only=True))
    assert ("B2B", "Accept", 1) in [r[:3] for r in rows]


# ---------------------------------------------------------------- sample and run

def test_sample_is_deterministic(tmp_path: Path, capsys) -> None:
    assert run("sample", "--out-dir", tmp_path / "a", "--records", 25, "--seed", 3) == 0
    assert run("sample", "--out-dir", tmp_path / "b", "--records", 25, "--seed", 3) == 0
    assert run("sample", "--out-dir", tmp_path / "c", "--records", 25, "--seed", 4) == 0
    a, b, c = ((tmp_path / d / "ims_download.json").read_bytes() for d in "abc")
    assert a == b and a != c
    doc = json.loads(a)
    assert set(doc["imsDetails"]) == set(SECTION_KEYS)
    assert sum(len(v) for v in doc["imsDetails"].values()) == 25
    assert "Wrote" in capsys.readouterr().out


def test_run_main_job(tmp_path: Path, capsys) -> None:
    assert run("sample", "--out-dir", tmp_path, "--records", 30, "--seed", 5) == 0
    capsys.readouterr()
    rc = run("run", tmp_path / "ims_download.json", "--out-dir", tmp_path / "out")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert (tmp_path / "out" / "review.xlsx").exists()
    up = json.loads((tmp_path / "out" / "upload.json").read_bytes())
    assert up["reqtyp"] == "SAVE" and up["invdata"] == {}
    assert "downloaded-value-edited" not in out
    book = openpyxl.load_workbook(tmp_path / "out" / "review.xlsx")
    for s in ("B2B", "B2B-CN"):
        ws = book[s]
        col = header_map(ws)["Sheet validation errors"]
        texts = [ws.cell(r, col).value or "" for r in range(2, ws.max_row + 1)]
        assert not any("downloaded-value-edited" in t for t in texts)


def test_run_stops_before_export_on_errors(tmp_path: Path, capsys) -> None:
    src = write_json(tmp_path / "ims.json", download(SMALL))          # no recipient GSTIN
    capsys.readouterr()
    assert run("run", src, "--out-dir", tmp_path / "out") == 1
    out = capsys.readouterr().out
    assert "no upload JSON written" in out
    assert (tmp_path / "out" / "review.xlsx").exists() and not (tmp_path / "out" / "upload.json").exists()
    assert run("run", src, "--out-dir", tmp_path / "out2", "--rtin", RTIN) == 0
    assert json.loads((tmp_path / "out2" / "upload.json").read_bytes())["rtin"] == RTIN


@pytest.mark.parametrize("option, value, said", [
    ("--amount-tolerance", "abc", "give rupees as a number"),
    ("--amount-tolerance", "-1", "give rupees as a number"),
    ("--amount-tolerance", "NaN", "give rupees as a number"),
    ("--date-window", "-2", "give a number of days"),
])
def test_run_refuses_a_bad_tolerance_before_writing(tmp_path: Path, capsys, option, value, said) -> None:
    assert run("sample", "--out-dir", tmp_path, "--records", 10, "--seed", 3) == 0
    capsys.readouterr()
    rc = run("run", tmp_path / "ims_download.json", "--books", tmp_path / "purchase_register.csv",
             "--out-dir", tmp_path / "out", option, value)
    err = capsys.readouterr().err
    assert rc == 2 and said in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_run_with_a_tolerance_in_rupees_and_paise(tmp_path: Path, capsys) -> None:
    assert run("sample", "--out-dir", tmp_path, "--records", 10, "--seed", 3) == 0
    rc = run("run", tmp_path / "ims_download.json", "--books", tmp_path / "purchase_register.csv",
             "--out-dir", tmp_path / "out", "--amount-tolerance", "0.50", "--date-window", "0")
    assert rc == 0 and (tmp_path / "out" / "matches.csv").exists()
    from ims_xl.reconcile.base import MatchSettings
    s = MatchSettings.from_options("0.50", 0)
    assert s.tolerance("txval") == 50 and s.tolerance("val") == 50 and s.date_window_days == 0


# ---------------------------------------------------------------- the boundary

def test_internal_error_is_one_line_and_logged(tmp_path: Path, capsys, monkeypatch) -> None:
    wb = import_new(tmp_path, download(SMALL, rtin=RTIN))
    before = wb.read_bytes()

    def broken(*a, **k):
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(actions, "validate", broken)
    monkeypatch.delenv("IMS_XL_DEBUG", raising=False)
    capsys.readouterr()
    assert run("validate", wb) == 3
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    m = re.search(r"details in (\S+\.log); please send that file", err)
    assert m and "RuntimeError" in err
    log = Path(m.group(1))
    try:
        text = log.read_text(encoding="utf-8")
        assert "Traceback" in text and "something unexpected" in text and __version__ in text
    finally:
        log.unlink(missing_ok=True)
    assert wb.read_bytes() == before


def test_version_and_help(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"ims-xl {__version__}"
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2


def test_console_script_and_module_entry_points() -> None:
    exe = Path(sys.executable).parent / "ims-xl"
    if exe.exists():
        r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == f"ims-xl {__version__}"
    r = subprocess.run([sys.executable, "-m", "ims_xl", "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"ims-xl {__version__}"


@pytest.mark.parametrize("fails", [False, True])
def test_a_command_runs_with_fewer_collections_and_puts_the_thresholds_back(fails, tmp_path, monkeypatch, capsys) -> None:
    """ims_xl.bulk: the thresholds hold for the command's length, whatever its ending (a
    batch runs many commands in one process)."""
    import gc
    from ims_xl.bulk import THRESHOLDS
    seen = []

    def spy(a):
        seen.append(gc.get_threshold())
        if fails:
            raise actions.InputError("refused")
        return 0

    before = gc.get_threshold()
    monkeypatch.setitem(cli.COMMANDS, "validate", spy)
    rc = cli.main(["validate", str(tmp_path / "r.xlsx")])
    assert seen == [THRESHOLDS] and gc.get_threshold() == before != THRESHOLDS
    assert rc == (cli.EXIT_INPUT if fails else 0)
