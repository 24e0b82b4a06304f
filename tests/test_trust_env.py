"""The file shell keeps the README's promises when the environment misbehaves.

README ("The monthly job", exit codes; "Reliability and safety"): exit 2 with one line on
stderr naming the file and what to do, never a raw traceback, never a half-written file,
never lost typed work, never two writers on one workbook. Each test drives the CLI end to end
(``cli.main`` in-process, or real ``ims-xl`` processes for the lock) and checks exit codes,
the one line, and which files are there, byte for byte.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from conftest import RTIN, apply_edits, download, import_new, record, run, write_json
from ims_xl.files import safety, xlsx
from ims_xl.files.xlsx import read_review, write_review


# ---------------------------------------------------------------- helpers

def refused(capsys, rc: int, *names: str) -> str:
    """Exit 2, one line on stderr naming ``names``, no traceback; returns the line."""
    out, err = capsys.readouterr()
    assert rc == 2, (rc, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err + out and "internal error" not in err, err
    for n in names:
        assert str(n) in lines[0], (n, lines[0])
    return lines[0]


def files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (backups and hidden temporaries included), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder: Path) -> list[str]:
    """Temporary files a write may leave: ``.~<stem>-*`` beside a target, ``.~`` in the backups."""
    return [str(p.relative_to(folder)) for p in folder.rglob(".~*")]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """``ims-xl sample --records 50``: ims_download.json and purchase_register.csv."""
    d = tmp_path / "sample"
    assert run("sample", "--out-dir", d, "--records", 50) == 0
    return d


@pytest.fixture
def wb(tmp_path: Path) -> Path:
    """A small review workbook (one B2B and one B2B-CN record), recipient GSTIN known."""
    return import_new(tmp_path, download({"b2b": [record("b2b", 1), record("b2b", 2)],
                                          "b2bcn": [record("b2bcn", 1)]}, rtin=RTIN))


@pytest.fixture
def reconciled(tmp_path: Path, sample: Path) -> Path:
    """The sample download imported and reconciled with its register (suggestions present)."""
    w = tmp_path / "rev.xlsx"
    assert run("import", sample / "ims_download.json", "--out", w) == 0
    assert run("reconcile", w, "--books", sample / "purchase_register.csv") == 0
    return w


def ims_xl(*args: object, wait: float = 30.0) -> subprocess.Popen:
    """A real ``ims-xl`` process (the installed package), its lock wait set to ``wait``."""
    env = {**os.environ, safety.LOCK_WAIT_ENV: str(wait)}
    return subprocess.Popen([sys.executable, "-m", "ims_xl", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# ---------------------------------------------------------------- one writer at a time

def test_a_second_command_is_refused_while_another_holds_the_workbook(reconciled: Path) -> None:
    before = reconciled.read_bytes()
    with safety.hold_workbooks(reconciled):
        p = ims_xl("apply-suggestions", reconciled, wait=0.5)
        out, err = p.communicate(timeout=120)
    assert p.returncode == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "rev.xlsx is being changed by another ims-xl command" in lines[0]
    assert ".~ims-xl.rev.xlsx.lock" in lines[0] and "wait for it to finish and try again" in lines[0]
    assert reconciled.read_bytes() == before
    assert not safety.lock_file(reconciled).exists()  # released: no lock file left beside it


@pytest.mark.slow  # two ims-xl processes racing: the heavy tier (.ci/run)
def test_a_waiting_command_runs_once_the_first_is_done(reconciled: Path) -> None:
    before = reconciled.read_bytes()
    with safety.hold_workbooks(reconciled):
        p = ims_xl("apply-suggestions", reconciled, wait=60)
        time.sleep(3)
        assert p.poll() is None, p.communicate()  # still waiting
        assert reconciled.read_bytes() == before
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, (out, err)
    assert "Applied" in out
    assert reconciled.read_bytes() != before


def _typed(path: Path) -> dict[str, str]:
    rows = read_review(path).rows
    return {k: a for k, a in zip(rows["key"], rows["action_text"].astype(str)) if a not in ("", "No Action")}


@pytest.mark.slow  # two ims-xl processes racing: the heavy tier (.ci/run)
def test_two_commands_at_once_lose_no_work(tmp_path: Path, sample: Path, reconciled: Path) -> None:
    """``apply-suggestions`` and ``import --into`` started together on one workbook: both
    succeed, and the result holds both (the lock makes one run after the other)."""
    alone = tmp_path / "alone.xlsx"
    shutil.copy(reconciled, alone)
    assert run("apply-suggestions", alone) == 0
    applied = _typed(alone)
    assert applied
    newer = json.loads((sample / "ims_download.json").read_text(encoding="utf-8"))
    b2b = newer["imsDetails"]["b2b"]
    b2b.append({**b2b[0], "inum": "LATE-0001", "hash": "ab" * 32})
    newer_path = write_json(tmp_path / "newer.json", newer)
    a = ims_xl("apply-suggestions", reconciled)
    b = ims_xl("import", newer_path, "--into", reconciled)
    (oa, ea), (ob, eb) = a.communicate(timeout=300), b.communicate(timeout=300)
    assert (a.returncode, b.returncode) == (0, 0), (ea, eb)
    book = read_review(reconciled)
    assert "LATE-0001" in set(book.rows["doc_no"])  # the re-import's work
    assert _typed(reconciled) == applied  # the suggestions' work
    assert any("suggestion applied" in map(str, r) for r in book.log[1:])  # and its Log rows
    assert not safety.lock_file(reconciled).exists()


def test_libreoffice_lock_file_is_respected(tmp_path: Path, wb: Path, capsys) -> None:
    lock = tmp_path / f".~lock.{wb.name}#"
    lock.write_text(",someone,host,01.01.2026 10:00,file:///x;", encoding="utf-8")
    before = files(tmp_path)
    for argv in (("validate", wb), ("summary", wb), ("export", wb, "--out", tmp_path / "u.json")):
        capsys.readouterr()
        refused(capsys, run(*argv), wb.name, "open in LibreOffice", lock.name)
        assert files(tmp_path) == before


def test_lock_wait_is_a_named_constant_overridable_by_the_environment(monkeypatch) -> None:
    assert safety.LOCK_WAIT_SECONDS > 0
    monkeypatch.delenv(safety.LOCK_WAIT_ENV, raising=False)
    assert safety.lock_wait() == safety.LOCK_WAIT_SECONDS
    monkeypatch.setenv(safety.LOCK_WAIT_ENV, "0.25")
    assert safety.lock_wait() == 0.25


# ---------------------------------------------------------------- targets that cannot be written

def test_missing_output_folder(tmp_path: Path, wb: Path, capsys) -> None:
    src = write_json(tmp_path / "d.json", download({"b2b": [record("b2b", 1)]}, rtin=RTIN))
    before = files(tmp_path)
    for argv in (("import", src, "--out", tmp_path / "nowhere" / "r.xlsx"),
                 ("export", wb, "--out", tmp_path / "nowhere" / "u.json"),
                 ("reconcile", wb, "--out", tmp_path / "nowhere" / "r.xlsx")):
        capsys.readouterr()
        refused(capsys, run(*argv), "nowhere", "folder not found")
        assert files(tmp_path) == before
        assert not (tmp_path / "nowhere").exists()


def test_output_path_that_is_a_folder(tmp_path: Path, wb: Path, capsys) -> None:
    (tmp_path / "dir.xlsx").mkdir()
    (tmp_path / "dir.json").mkdir()
    (tmp_path / "afile").write_text("x")
    src = write_json(tmp_path / "d.json", download({"b2b": [record("b2b", 1)]}, rtin=RTIN))
    before = files(tmp_path)
    for argv in (("import", src, "--out", tmp_path / "dir.xlsx"),
                 ("import", src, "--out", tmp_path / "dir.xlsx", "--force"),
                 ("export", wb, "--out", tmp_path / "dir.json"),
                 ("run", src, "--out-dir", tmp_path / "afile")):
        capsys.readouterr()
        refused(capsys, run(*argv), "is a f")
        assert files(tmp_path) == before


def _fail_replace_of(monkeypatch, name: str, exc: OSError) -> None:
    real = os.replace

    def fake(src, dst, *a, **k):
        if Path(dst).name == name:
            raise exc
        return real(src, dst, *a, **k)
    monkeypatch.setattr(os, "replace", fake)


def test_read_only_folder_simulated(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    """Root (CI) can write into a read-only folder, so the refusal is simulated: the final
    rename raises PermissionError, as it does for an ordinary account."""
    before = files(tmp_path)
    _fail_replace_of(monkeypatch, wb.name, PermissionError(errno.EACCES, "Permission denied"))
    line = refused(capsys, run("validate", wb), str(wb), "no permission to write", "choose another folder")
    assert f"{wb.name} was not changed" in line
    assert files(tmp_path) == before  # no temporary file, no backup left behind


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_for_real(tmp_path: Path, wb: Path, capsys) -> None:
    before = files(tmp_path)
    tmp_path.chmod(0o555)
    try:
        capsys.readouterr()
        refused(capsys, run("validate", wb), wb.name)
        capsys.readouterr()
        refused(capsys, run("export", wb, "--out", tmp_path / "u.json"), "u.json")
    finally:
        tmp_path.chmod(0o755)
    assert files(tmp_path) == before


def _disk_full(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_disk_full_while_writing_the_workbook(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    run("validate", wb)  # a backup exists already: the failed write must not add or remove one
    before = files(tmp_path)
    monkeypatch.setattr(xlsx, "inject_rows", _disk_full)
    capsys.readouterr()
    line = refused(capsys, run("validate", wb), str(wb), "the disk is full", "free some space")
    assert f"{wb.name} was not changed" in line
    assert files(tmp_path) == before
    assert not temporaries(tmp_path)


@pytest.mark.parametrize("after", [0, 3])
def test_disk_full_while_a_sheet_is_compressed_behind_its_making(tmp_path: Path, wb: Path, capsys, monkeypatch,
                                                                  after: int) -> None:
    """The disk fills while the deflate worker writes a sheet (its first write, or a later
    one, with the next parts being made): the same refusal as any full disk, the
    workbook and its backups as they were, no temporary file, no worker thread left, and the
    interpreter's switch interval put back."""
    import threading
    run("validate", wb)
    before = files(tmp_path)
    switch = sys.getswitchinterval()
    real = zipfile._ZipWriteFile.write
    written: list[int] = []

    def fills(self, data):
        if self._zinfo.filename.startswith("xl/worksheets/") and threading.current_thread() is not threading.main_thread():
            written.append(len(data))
            if len(written) > after:
                _disk_full()
        return real(self, data)
    monkeypatch.setattr(zipfile._ZipWriteFile, "write", fills)
    capsys.readouterr()
    line = refused(capsys, run("validate", wb), str(wb), "the disk is full", "free some space")
    assert f"{wb.name} was not changed" in line
    # the failure came from the worker, at the write asked for; the one handed over beside it
    # (two wait at most) was finished before the entry was closed
    assert after < len(written) <= after + 2
    assert files(tmp_path) == before
    assert not temporaries(tmp_path)
    assert sys.getswitchinterval() == switch
    assert not [t for t in threading.enumerate() if t.name.startswith("ims-xl-deflate")]


def test_disk_full_while_copying_the_backup(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    before = files(tmp_path)

    def half_copy(src, dst, *a, **k):
        Path(dst).write_bytes(Path(src).read_bytes()[:100])
        _disk_full()
    monkeypatch.setattr(shutil, "copy2", half_copy)
    capsys.readouterr()
    refused(capsys, run("summary", wb), wb.name, "backup", "the disk is full", "nothing was changed")
    assert files(tmp_path) == before
    assert not (tmp_path / safety.BACKUP_DIR).exists()  # no partial backup, no empty folder


def test_disk_full_while_writing_the_upload(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"}])
    up = tmp_path / "upload.json"
    up.write_bytes(b'{"old": "upload"}')
    before = files(tmp_path)
    real = Path.write_bytes

    def half(self, data):
        real(self, data[: len(data) // 2])
        _disk_full()
    monkeypatch.setattr(Path, "write_bytes", half)
    capsys.readouterr()
    line = refused(capsys, run("export", wb, "--out", up), str(up), "the disk is full")
    assert "upload.json was not changed" in line
    after = files(tmp_path)
    assert after.get("upload.json") == before["upload.json"]
    assert not temporaries(tmp_path)


def test_disk_full_while_writing_matches_csv(tmp_path: Path, sample: Path, reconciled: Path, capsys,
                                             monkeypatch) -> None:
    import pandas as pd
    before = files(tmp_path)

    def half(self, path, *a, **k):
        Path(path).write_text("status,doc_no\n", encoding="utf-8")
        _disk_full()
    monkeypatch.setattr(pd.DataFrame, "to_csv", half)
    capsys.readouterr()
    refused(capsys, run("reconcile", reconciled, "--books", sample / "purchase_register.csv",
                        "--matches", tmp_path / "matches.csv"), "matches.csv", "the disk is full")
    assert files(tmp_path) == before
    assert not temporaries(tmp_path)


# ---------------------------------------------------------------- crashes that were exit 3

def _register_csv(path: Path, docs: list[str]) -> Path:
    lines = ["Party GSTIN,Supplier Name,Bill No,Bill Date,Document Type,POS,Taxable Amount,IGST,CGST,"
             "SGST/UTGST,Cess Amount,Total Amount"]
    lines += [f"{record('b2b')['stin']},Supplier,{d},15-10-2025,Invoice,27,1000,0,90,90,0,1180" for d in docs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_run_with_books_whose_numbers_start_with_formula_characters(tmp_path: Path, capsys) -> None:
    docs = ["=INV-1", "+INV-2", "-INV-3", "@INV-4"]
    src = write_json(tmp_path / "ims.json", download({"b2b": [record("b2b", i + 1, inum=d) for i, d in
                                                              enumerate(docs)]}, rtin=RTIN))
    reg = _register_csv(tmp_path / "books.csv", docs + ["=BOOKS-ONLY"])
    capsys.readouterr()
    rc = run("run", src, "--books", reg, "--out-dir", tmp_path / "out")
    out, err = capsys.readouterr()
    assert rc in (0, 1), (rc, out, err)
    assert "Traceback" not in err and "internal error" not in err
    text = (tmp_path / "out" / "matches.csv").read_text(encoding="utf-8")
    for d in docs + ["=BOOKS-ONLY"]:
        assert f"'{d}" in text
    assert read_review(tmp_path / "out" / "review.xlsx").rows["doc_no"].tolist() == docs


def _ods(path: Path, sheets: list[str]) -> Path:
    """A minimal OpenDocument spreadsheet (what LibreOffice's Save As .ods makes of a review
    workbook: the same sheet names, hidden ones included)."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join(f'<table:table table:name="{s}"><table:table-row><table:table-cell office:value-type="string">'
                   f"<text:p>key</text:p></table:table-cell></table:table-row></table:table>" for s in sheets)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
                                  f'office:version="1.2"><office:body><office:spreadsheet>{body}'
                                  "</office:spreadsheet></office:body></office:document-content>")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                   '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                   '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                   'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    return path


@pytest.mark.parametrize("name", ["review.ods", "review.xlsx"])
def test_a_workbook_saved_as_ods_is_refused_by_every_command(tmp_path: Path, sample: Path, capsys,
                                                             name: str) -> None:
    ods = _ods(tmp_path / name, ["Summary", "B2B", "_ims_data", "_ims_meta"])
    err = write_json(tmp_path / "err.json", {"imsDetailsErr": {"b2b": []}})
    before = files(tmp_path)
    for argv in (("validate", ods), ("validate", ods, "--dry-run"), ("summary", ods),
                 ("export", ods, "--out", tmp_path / "u.json"), ("apply-suggestions", ods),
                 ("reconcile", ods, "--books", sample / "purchase_register.csv"),
                 ("import", sample / "ims_download.json", "--into", ods), ("import-errors", err, ods)):
        capsys.readouterr()
        line = refused(capsys, run(*argv), name)
        assert "save it as an .xlsx" in line, line
        assert "LibreOffice" in line or name.endswith(".xlsx"), line
        assert files(tmp_path) == before, argv


def test_ods_message_says_how_to_save_it(tmp_path: Path, capsys) -> None:
    ods = _ods(tmp_path / "review.ods", ["_ims_data", "_ims_meta"])
    line = refused(capsys, run("validate", ods, "--dry-run"), "review.ods")
    assert "File > Save As > Excel 2007-365" in line


def _boom(*_a, **_k):
    raise KeyboardInterrupt


def test_ctrl_c_while_writing_the_workbook(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    run("summary", wb)  # a backup exists already
    before = files(tmp_path)
    monkeypatch.setattr(xlsx, "inject_rows", _boom)
    capsys.readouterr()
    line = refused(capsys, run("validate", wb), "interrupted", f"{wb} was not changed")
    assert "written before" not in line
    assert files(tmp_path) == before
    assert not temporaries(tmp_path)


def test_ctrl_c_after_the_review_names_what_was_written(tmp_path: Path, sample: Path, capsys,
                                                        monkeypatch) -> None:
    """run writes the review first, then matches.csv: stopped between them, the review is
    named as written and nothing else is left."""
    import ims_xl.cli as cli
    out = tmp_path / "out"
    monkeypatch.setattr(cli, "write_csv", _boom)
    capsys.readouterr()
    line = refused(capsys, run("run", sample / "ims_download.json", "--books", sample / "purchase_register.csv",
                               "--out-dir", out), "interrupted")
    assert f"written before the interruption: {out / 'review.xlsx'}" in line
    assert "no file was changed" not in line
    assert sorted(p.name for p in out.iterdir()) == ["review.xlsx"]


def test_ctrl_c_while_the_review_is_written_leaves_no_matches_of_this_run(tmp_path: Path, sample: Path, capsys,
                                                                         monkeypatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(xlsx, "inject_rows", _boom)
    capsys.readouterr()
    line = refused(capsys, run("run", sample / "ims_download.json", "--books", sample / "purchase_register.csv",
                               "--out-dir", out), "interrupted")
    assert f"{out / 'review.xlsx'} was not changed" in line
    assert not out.exists() or list(out.iterdir()) == []


def test_ctrl_c_before_anything_is_written(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    import ims_xl.cli as cli
    before = files(tmp_path)
    monkeypatch.setattr(cli, "read_review", _boom)
    line = refused(capsys, run("summary", wb), "interrupted")
    assert f"{wb} was not changed" in line
    assert files(tmp_path) == before


# ---------------------------------------------------------------- export logs typed actions

def _log_rows(path: Path) -> list[list[str]]:
    return [[str(v) for v in r] for r in read_review(path).log[1:]]


def test_export_logs_actions_typed_by_hand(tmp_path: Path, wb: Path, capsys) -> None:
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Accept"}])
    assert not _log_rows(wb)
    capsys.readouterr()
    assert run("export", wb, "--out", tmp_path / "upload.json") == 0
    out = capsys.readouterr().out
    assert "Log sheet" in out and f"wrote {wb}" in out
    rows = _log_rows(wb)
    assert any("INV-2" in r and "typed" in r for r in rows), rows
    assert (tmp_path / "upload.json").exists()
    # logged once: a second export has nothing new to log and leaves the workbook alone
    before = wb.read_bytes()
    assert run("export", wb, "--out", tmp_path / "upload.json") == 0
    assert wb.read_bytes() == before


def test_export_writing_the_log_back_keeps_books_reports_and_added_sheets(tmp_path: Path, reconciled: Path) -> None:
    # export reads only what it checks; when it must write the Log back, the workbook is
    # written whole: the Books, the report sheets and a sheet the accountant added stay
    book = openpyxl.load_workbook(reconciled)
    book.create_sheet("My notes")["A1"] = "call the supplier"
    book.save(reconciled)
    first = read_review(reconciled)
    doc = first.rows.loc[first.rows["section"] == "b2b", "doc_no"].iloc[0]
    apply_edits(reconciled, [{"sheet": "B2B", "doc_no": doc, "column": "Action", "value": "Reject"}])
    before = read_review(reconciled)
    assert run("export", reconciled, "--out", tmp_path / "upload.json") == 0
    after = read_review(reconciled)
    assert len(after.log) > len(before.log)  # the typed action was logged: the workbook was rewritten
    assert after.books == before.books and len(after.books) > 1
    assert after.reports.keys() == before.reports.keys() and after.reports == before.reports
    assert after.extra_sheets == {"My notes": [["call the supplier"]]}


def test_export_that_refuses_does_not_write_the_workbook(tmp_path: Path, capsys) -> None:
    w = import_new(tmp_path, download({"b2b": [record("b2b", 1, ispendactblocked="Y")]}, rtin=RTIN))
    apply_edits(w, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Pending"}])
    before = files(tmp_path)
    capsys.readouterr()
    assert run("export", w, "--out", tmp_path / "upload.json") == 1
    assert files(tmp_path) == before


# ---------------------------------------------------------------- run never overwrites a review

def test_run_again_keeps_the_accountants_work(tmp_path: Path, sample: Path, capsys) -> None:
    out = tmp_path / "out"
    args = ("run", sample / "ims_download.json", "--books", sample / "purchase_register.csv", "--out-dir", out)
    assert run(*args) == 0
    review = out / "review.xlsx"
    book = read_review(review)
    rows = book.rows.copy()
    pick = rows.index[(rows["section"] == "b2b") & (rows["action"] == "N") & rows["action_text"].isin(["", "No Action"])
                      & ~rows["remarks_blocked"].astype(bool)][0]
    doc, stin = rows.at[pick, "doc_no"], rows.at[pick, "stin"]
    rows.at[pick, "action_text"] = "Reject"
    rows.at[pick, "remarks_text"] = "Goods not received"
    write_review(replace(book, rows=rows), review)
    capsys.readouterr()
    assert run(*args) == 0
    said = capsys.readouterr().out
    assert "review workbook already existed" in said and "keeping your entries on 1 record" in said
    again = read_review(review).rows
    hit = again[(again["doc_no"] == doc) & (again["stin"] == stin)]
    assert hit["action_text"].tolist() == ["Reject"] and hit["remarks_text"].tolist() == ["Goods not received"]
    up = json.loads((out / "upload.json").read_bytes())
    sent = [r for recs in up["invdata"].values() for r in recs if r.get("inum", r.get("nt_num")) == doc]
    assert sent and sent[0]["action"] == "R" and sent[0]["remarks"] == "Goods not received"


def test_run_refuses_a_review_xlsx_that_is_not_a_review_workbook(tmp_path: Path, sample: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    other = openpyxl.Workbook()
    other.active["A1"] = "my own notes"
    other.save(out / "review.xlsx")
    before = files(out)
    capsys.readouterr()
    line = refused(capsys, run("run", sample / "ims_download.json", "--out-dir", out), "review.xlsx",
                   "already exists", "choose another --out-dir")
    assert "not an ims-xl review workbook" in line
    assert files(out) == before


# ---------------------------------------------------------------- .xlsm and other formats

@pytest.mark.parametrize("ext", [".xlsm", ".xlsb", ".xls", ".ods"])
def test_review_workbook_targets_other_than_xlsx_are_refused(tmp_path: Path, ext: str, capsys) -> None:
    src = write_json(tmp_path / "d.json", download({"b2b": [record("b2b", 1)]}, rtin=RTIN))
    before = files(tmp_path)
    refused(capsys, run("import", src, "--out", tmp_path / f"r{ext}"), f"r{ext}", "save it as an .xlsx")
    assert files(tmp_path) == before


def test_an_xlsm_review_is_not_rewritten_but_can_be_read(tmp_path: Path, wb: Path, capsys) -> None:
    xlsm = tmp_path / "review.xlsm"
    shutil.copy(wb, xlsm)
    before = files(tmp_path)
    for argv in (("validate", xlsm), ("summary", xlsm), ("export", xlsm, "--out", tmp_path / "u.json")):
        capsys.readouterr()
        refused(capsys, run(*argv), "review.xlsm", "Excel Workbook")
        assert files(tmp_path) == before
    assert run("validate", xlsm, "--dry-run") == 0


def test_a_register_in_xlsm_still_reads(tmp_path: Path, sample: Path, reconciled: Path) -> None:
    grid = [line.split(",") for line in (sample / "purchase_register.csv").read_text(encoding="utf-8").splitlines()]
    book = openpyxl.Workbook()
    for r in grid:
        book.active.append(r)
    for row in book.active.iter_rows():
        for c in row:  # the sample's "=1+1 Printers" is a name: openpyxl would write a formula
            if c.data_type == "f":
                c.data_type = "s"
    book.save(tmp_path / "books.xlsm")
    assert run("reconcile", reconciled, "--books", tmp_path / "books.xlsm") == 0


def test_disk_full_inside_xlsxwriter_leaves_no_zip_open(tmp_path: Path, wb: Path, capsys, monkeypatch) -> None:
    """XlsxWriter's package zip, cut off by a full disk mid-write, is closed by us: its
    finaliser would otherwise retry the write later and print "Exception ignored" (and an
    open handle keeps Windows from deleting the temporary file)."""
    import gc
    import sys
    import zipfile

    real_write, real_close = zipfile.ZipFile.write, zipfile.ZipFile._write_end_record

    def write(self, *a, **k):  # XlsxWriter adds each part from a temporary file
        if len(self.filelist) >= 2:
            _disk_full()
        return real_write(self, *a, **k)

    def end_record(self):  # the end record of a cut-off zip cannot be written either
        if self.filename and self.filename.endswith(".pkg"):
            _disk_full()
        return real_close(self)
    before = files(tmp_path)
    monkeypatch.setattr(zipfile.ZipFile, "write", write)
    monkeypatch.setattr(zipfile.ZipFile, "_write_end_record", end_record)
    seen: list = []
    hook, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        capsys.readouterr()
        refused(capsys, run("summary", wb), wb.name, "the disk is full")
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert not seen, [f"{u.object!r}: {u.exc_value!r}" for u in seen]
    assert files(tmp_path) == before and not temporaries(tmp_path)
