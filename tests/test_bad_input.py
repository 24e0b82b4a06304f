"""Bad input gets one line naming the file (and sheet/row/field), exit code 2, no traceback,
and no output file written; an existing workbook is left byte-identical (README, exit code 2 and "No command ever shows a raw traceback")."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from conftest import RTIN, apply_edits, download, header_map, import_new, record, run, write_json


def refused(capsys, rc: int, *names: str) -> str:
    """Assert the refusal contract; return the one-line message."""
    out, err = capsys.readouterr()
    assert rc == 2, (rc, out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    msg = lines[0]
    assert msg.startswith("ims-xl: error: ")
    for n in names:
        assert n in msg, (n, msg)
    return msg


@pytest.fixture
def wb(tmp_path: Path) -> Path:
    return import_new(tmp_path, download({"b2b": [record("b2b", 1), record("b2b", 2)],
                                          "b2bcn": [record("b2bcn", 1)]}, rtin=RTIN))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ---------------------------------------------------------------- the IMS JSON

BAD_JSON = {
    "truncated.json": b'{"imsDetails": {"b2b": [{"stin": "27AABCS1429B1ZU", "inum": "INV-1", "val": 11',
    "not_ims.json": b'{"gstin": "27AAPFU0939F1ZV", "ret_period": "102025", "docdata": {"b2b": []}}',
    "register.json": b"GSTIN,Invoice No,Date,Value\n27AABCS1429B1ZU,INV-1,15-10-2025,1180\n",
    "empty.json": b"",
    "list.json": b"[1, 2, 3]",
    "upload.json": b'{"rtin": "27AAPFU0939F1ZV", "reqtyp": "SAVE", "invdata": {}}',
    "errors.json": b'{"imsDetailsErr": {"b2b": []}}',
    "workbook.json": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
}
WHAT = {"truncated.json": "broken JSON", "not_ims.json": "not an IMS download", "register.json": "CSV",
        "empty.json": "empty", "list.json": "not an IMS download", "upload.json": "upload (SAVE) file",
        "errors.json": "import-errors", "workbook.json": "not JSON"}


@pytest.mark.parametrize("name", sorted(BAD_JSON))
def test_import_refuses_bad_json(tmp_path: Path, capsys, name: str) -> None:
    src = tmp_path / name
    src.write_bytes(BAD_JSON[name])
    capsys.readouterr()
    rc = run("import", src, "--out", tmp_path / "review.xlsx")
    refused(capsys, rc, name, WHAT[name])
    assert not (tmp_path / "review.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_import_refuses_a_workbook_given_as_json(tmp_path: Path, wb: Path, capsys) -> None:
    capsys.readouterr()
    refused(capsys, run("import", wb, "--out", tmp_path / "new.xlsx"), wb.name, "Excel or zip")
    assert not (tmp_path / "new.xlsx").exists()


@pytest.mark.parametrize("name", ["truncated.json", "not_ims.json", "register.json", "empty.json"])
def test_reimport_of_bad_json_leaves_the_workbook_alone(tmp_path: Path, wb: Path, capsys, name: str) -> None:
    src = tmp_path / name
    src.write_bytes(BAD_JSON[name])
    before = snapshot(tmp_path)
    capsys.readouterr()
    refused(capsys, run("import", src, "--into", wb), name)
    assert snapshot(tmp_path) == before


def test_run_refuses_bad_json(tmp_path: Path, capsys) -> None:
    src = tmp_path / "truncated.json"
    src.write_bytes(BAD_JSON["truncated.json"])
    capsys.readouterr()
    refused(capsys, run("run", src, "--out-dir", tmp_path / "out"), "truncated.json")
    assert not any((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_bad_record_names_section_record_and_field(tmp_path: Path, capsys) -> None:
    src = write_json(tmp_path / "ims.json", download({"b2bcn": [record("b2bcn", 1), record("b2bcn", 2, camt=9.999)]}))
    capsys.readouterr()
    refused(capsys, run("import", src, "--out", tmp_path / "r.xlsx"), "ims.json", "b2bcn", "record 2", "camt")
    assert not (tmp_path / "r.xlsx").exists()


def test_missing_json_file(tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    refused(capsys, run("import", tmp_path / "nowhere.json", "--out", tmp_path / "r.xlsx"), "nowhere.json",
            "not found")
    assert not (tmp_path / "r.xlsx").exists()


def test_existing_output_is_not_replaced(tmp_path: Path, wb: Path, capsys) -> None:
    src = write_json(tmp_path / "other.json", download({"ecom": [record("ecom", 1)]}))
    before = wb.read_bytes()
    capsys.readouterr()
    refused(capsys, run("import", src, "--out", wb), wb.name, "--into", "--force")
    assert wb.read_bytes() == before


# ---------------------------------------------------------------- the workbook

COMMANDS = {
    "validate": lambda wb, tmp: ("validate", wb),
    "export": lambda wb, tmp: ("export", wb, "--out", tmp / "upload.json"),
    "summary": lambda wb, tmp: ("summary", wb),
    "import-into": lambda wb, tmp: ("import", write_json(tmp / "ims.json", download({"b2b": [record("b2b", 1)]})),
                                    "--into", wb),
    "import-errors": lambda wb, tmp: ("import-errors", write_json(tmp / "err.json", {"imsDetailsErr": {"b2b": []}}),
                                      wb),
}


def check_workbook_refused(tmp_path: Path, capsys, wb: Path, *names: str) -> list[str]:
    msgs = []
    for cmd, args in COMMANDS.items():
        argv = args(wb, tmp_path)
        before = snapshot(tmp_path)
        capsys.readouterr()
        msgs.append(refused(capsys, run(*argv), wb.name, *names))
        assert snapshot(tmp_path) == before, cmd
        assert not (tmp_path / "upload.json").exists()
    return msgs


def test_xlsx_that_is_not_a_review_workbook(tmp_path: Path, capsys) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Purchases"
    book.active.append(["GSTIN", "Invoice", "Value"])
    book.active.append(["27AABCS1429B1ZU", "INV-1", 1180])
    other = tmp_path / "purchases.xlsx"
    book.save(other)
    msgs = check_workbook_refused(tmp_path, capsys, other, "not an ims-xl review workbook")
    assert "ims-xl import" in msgs[0]


@pytest.mark.parametrize("content, words", [(b"", "cannot be opened"), (b"{}", "a JSON file"),
                                            (b"GSTIN,Value\n1,2\n", "not an Excel")])
def test_file_that_is_not_xlsx(tmp_path: Path, capsys, content: bytes, words: str) -> None:
    fake = tmp_path / "review.xlsx"
    fake.write_bytes(content)
    check_workbook_refused(tmp_path, capsys, fake, words)


def test_missing_workbook(tmp_path: Path, capsys) -> None:
    for cmd, args in COMMANDS.items():
        argv = args(tmp_path / "gone.xlsx", tmp_path)
        capsys.readouterr()
        refused(capsys, run(*argv), "gone.xlsx", "not found")
    assert not (tmp_path / "gone.xlsx").exists() and not (tmp_path / "upload.json").exists()


def test_deleted_column(tmp_path: Path, wb: Path, capsys) -> None:
    book = openpyxl.load_workbook(wb)
    ws = book["B2B"]
    ws.delete_cols(header_map(ws)["Remarks"])
    book.save(wb)
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B'", "column 'Remarks'", "missing")


def test_deleted_downloaded_column(tmp_path: Path, wb: Path, capsys) -> None:
    book = openpyxl.load_workbook(wb)
    ws = book["B2B-CN"]
    ws.delete_cols(header_map(ws)["Note number"])
    book.save(wb)
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B-CN'", "column 'Note number'")


def test_deleted_section_sheet(tmp_path: Path, wb: Path, capsys) -> None:
    book = openpyxl.load_workbook(wb)
    del book["B2B-CN"]
    book.save(wb)
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B-CN' is missing")


@pytest.mark.parametrize("sheet", ["_ims_data", "_ims_meta"])
def test_deleted_hidden_sheet(tmp_path: Path, wb: Path, capsys, sheet: str) -> None:
    book = openpyxl.load_workbook(wb)
    del book[sheet]
    book.save(wb)
    check_workbook_refused(tmp_path, capsys, wb, f"not an ims-xl review workbook (no hidden '{sheet}' sheet)")


def copy_row(wb: Path, sheet: str, src_row: int, dst_row: int) -> None:
    book = openpyxl.load_workbook(wb)
    ws = book[sheet]
    for c in range(1, ws.max_column + 1):
        ws.cell(dst_row, c).value = ws.cell(src_row, c).value
    book.save(wb)


def test_copied_row(tmp_path: Path, wb: Path, capsys) -> None:
    copy_row(wb, "B2B", 2, 4)
    msgs = check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B', row 4", "row 2", "copied")
    assert "delete the copy" in msgs[0]


def test_row_copied_to_another_sheet(tmp_path: Path, wb: Path, capsys) -> None:
    book = openpyxl.load_workbook(wb)
    src, dst = book["B2B"], book["B2B-CN"]
    ref_src, ref_dst = header_map(src)["IMS ref (do not edit)"], header_map(dst)["IMS ref (do not edit)"]
    dst.cell(3, ref_dst).value = src.cell(2, ref_src).value
    dst.cell(3, header_map(dst)["Action"]).value = "Accept"
    book.save(wb)
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B-CN', row 3")


def test_row_added_by_hand(tmp_path: Path, wb: Path, capsys) -> None:
    apply_edits(wb, [{"sheet": "B2B", "row": 5, "column": "Invoice number", "value": "NEW-1"},
                     {"sheet": "B2B", "row": 5, "column": "Action", "value": "Accept"}])
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B', row 5", "IMS ref")


def test_edited_ims_ref(tmp_path: Path, wb: Path, capsys) -> None:
    apply_edits(wb, [{"sheet": "B2B", "row": 3, "column": "IMS ref (do not edit)", "value": "abc"}])
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B', row 3", "'abc'")
    apply_edits(wb, [{"sheet": "B2B", "row": 3, "column": "IMS ref (do not edit)", "value": 999}])
    check_workbook_refused(tmp_path, capsys, wb, "sheet 'B2B', row 3", "999")


def test_unknown_action_word_at_export(tmp_path: Path, wb: Path, capsys) -> None:
    """An unknown action word is a validation error (V1): export refuses with exit 1, as the
    README's exit codes say, names the cell, and writes nothing."""
    apply_edits(wb, [{"sheet": "B2B", "row": 3, "column": "Action", "value": "Approved"},
                     {"sheet": "B2B", "row": 2, "column": "Action", "value": "Accept"}])
    before = snapshot(tmp_path)
    capsys.readouterr()
    rc = run("export", wb, "--out", tmp_path / "upload.json")
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for part in ("sheet 'B2B'", "row 3", "'Action'", "'Approved'", "Accept, Reject, Pending or No Action"):
        assert part in err
    assert snapshot(tmp_path) == before


def test_unknown_action_message_names_the_file(tmp_path: Path, wb: Path, capsys) -> None:
    apply_edits(wb, [{"sheet": "B2B", "row": 3, "column": "Action", "value": "Approved"}])
    capsys.readouterr()
    assert run("export", wb, "--out", tmp_path / "upload.json") == 1
    err = capsys.readouterr().err
    assert wb.name in err and "row 3" in err


def test_open_in_excel_lock_file(tmp_path: Path, wb: Path, capsys) -> None:
    (tmp_path / f"~${wb.name}").write_bytes(b"lock")
    before = wb.read_bytes()
    capsys.readouterr()
    refused(capsys, run("validate", wb), wb.name, "open in Excel")
    assert wb.read_bytes() == before


def test_portal_error_file_problems(tmp_path: Path, wb: Path, capsys) -> None:
    for name, data in (("err.json", b'{"error_report": {"isd": []}}'), ("err2.json", b""),
                       ("err3.json", json.dumps({"foo": 1}).encode())):
        (tmp_path / name).write_bytes(data)
        before = wb.read_bytes()
        capsys.readouterr()
        refused(capsys, run("import-errors", tmp_path / name, wb), name)
        assert wb.read_bytes() == before
