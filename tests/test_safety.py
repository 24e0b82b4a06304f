"""ims_xl.files.safety: backups and their rotation, formula-injection neutralisation for CSV, hostile
workbooks refused before any parser sees them (zip bombs, lying zip directories, XML entity
attacks, non-zip files), and the download size limit."""

from __future__ import annotations

import csv
import io
import os
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from ims_xl.files import safety
from ims_xl.errors import ImsXlError, InputError
from ims_xl.files.safety import (BACKUP_DIR, backup, backups_of, check_json_size, check_xlsx_safe, neutralise_csv_cell,
                           neutralise_frame, remove_stale_temp_files, stale_temp_files)


# ---------------------------------------------------------------- backups

def test_backup_of_a_missing_file_is_none(tmp_path):
    assert backup(tmp_path / "review.xlsx") is None
    assert not (tmp_path / BACKUP_DIR).exists()


def test_backup_copies_and_rotates(tmp_path):
    wb = tmp_path / "review.xlsx"
    other = tmp_path / "review2.xlsx"
    other.write_bytes(b"other")
    backup(other)
    made = []
    for i in range(7):
        wb.write_bytes(f"version {i}".encode())
        made.append(backup(wb, keep=3))
    kept = backups_of(wb)
    assert kept == made[-3:], "the newest three are kept, oldest first"
    assert [p.read_bytes() for p in kept] == [b"version 4", b"version 5", b"version 6"]
    assert all(p.parent == tmp_path / BACKUP_DIR and p.name.startswith("review.") and p.suffix == ".xlsx"
               for p in kept)
    assert len(backups_of(other)) == 1, "another workbook's backups are not rotated away"
    assert not list((tmp_path / BACKUP_DIR).glob(".~*")), "no temporary copy is left"
    assert wb.read_bytes() == b"version 6", "the workbook itself is untouched"


def test_backup_names_sort_by_time_and_never_collide(tmp_path):
    wb = tmp_path / "a.b.xlsx"  # a dotted stem
    wb.write_bytes(b"x")
    names = [backup(wb, keep=50).name for _ in range(20)]
    assert len(set(names)) == 20
    assert [p.name for p in backups_of(wb)] == names


def test_backup_refuses_bad_keep_and_reports_failure(tmp_path):
    wb = tmp_path / "review.xlsx"
    wb.write_bytes(b"x")
    with pytest.raises(ValueError):
        backup(wb, keep=0)
    (tmp_path / BACKUP_DIR).write_bytes(b"a file where the folder should be")
    with pytest.raises(InputError, match="cannot keep a backup.*nothing was changed"):
        backup(wb)


def test_stale_temp_files(tmp_path):
    wb = tmp_path / "review.xlsx"
    wb.write_bytes(b"x")
    old = tmp_path / ".~review-abc123.xlsx"
    pkg = tmp_path / ".~review-abc123.xlsx.pkg"
    new = tmp_path / ".~review-def456.xlsx"
    mine_not = tmp_path / ".~other-abc.xlsx"
    for f in (old, pkg, new, mine_not):
        f.write_bytes(b"partial")
    past = time.time() - 7200
    os.utime(old, (past, past))
    os.utime(pkg, (past, past))
    assert stale_temp_files(wb) == sorted([old, pkg, new])
    assert remove_stale_temp_files(wb) == sorted([old, pkg])
    assert new.exists() and mine_not.exists() and wb.exists()


# ---------------------------------------------------------------- formula injection

@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"),
    ("+91 98765 43210", "'+91 98765 43210"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ('=HYPERLINK("http://evil","x")', "'=HYPERLINK(\"http://evil\",\"x\")"),
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ("\uff1dSUM(A1)", "'\uff1dSUM(A1)"),
    ("Supplier = Ltd", "Supplier = Ltd"),
    ("INV-001", "INV-001"),
    ("-1500.00", "-1500.00"),
    ("+12", "+12"),
    ("", ""),
    (None, ""),
    (float("nan"), ""),
    (-12.5, "-12.5"),
    (7, "7"),
    (True, "True"),
])
def test_neutralise_csv_cell(value, expected):
    assert neutralise_csv_cell(value) == expected


def test_neutralise_frame_and_csv_round_trip():
    df = pd.DataFrame({
        "doc_no": ["=2+5", "INV-1", None, "@x"],
        "tradenm": ["-A Traders", "B", "C", "+D"],
        "txval": [-100.5, 20.0, 0.0, 1.0],
        "books_row": [1, 2, 3, 4],
        "=bad header": ["x", "y", "z", "w"],
    })
    out = neutralise_frame(df)
    assert df["doc_no"][0] == "=2+5", "the input frame is not changed"
    assert out["doc_no"].tolist()[:2] == ["'=2+5", "INV-1"] and pd.isna(out["doc_no"][2])
    assert out["tradenm"].tolist() == ["'-A Traders", "B", "C", "'+D"]
    assert out["txval"].tolist() == [-100.5, 20.0, 0.0, 1.0] and out["books_row"].dtype == df["books_row"].dtype
    assert list(out.columns)[-1] == "'=bad header"
    buf = io.StringIO()
    out.to_csv(buf, index=False, quoting=csv.QUOTE_ALL)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    for row in rows:
        for cell in row:
            assert not cell.startswith(safety.DANGEROUS_START) or safety._PLAIN_NUMBER.match(cell), cell


def test_written_csv_quotes_every_cell(tmp_path):
    """matches.csv and table4.csv as the commands write them: where ; separates fields (a
    comma-decimal locale), "Acme;=cmd" must stay one quoted cell, never split into "=cmd"."""
    from ims_xl.files.atomic import write_csv, write_rows_csv
    df = pd.DataFrame({"tradenm": ["Acme;=HYPERLINK(\"http://x\")", "=1+1"], "txval": [1.5, None]})
    write_csv(df, tmp_path / "m.csv")
    assert (tmp_path / "m.csv").read_text(encoding="utf-8") == (
        '"tradenm","txval"\n"Acme;=HYPERLINK(""http://x"")","1.5"\n"\'=1+1",""\n')
    write_rows_csv([["row", "igst"], ["a;@SUM(1)", "-5"]], tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == '"row","igst"\n"a;@SUM(1)","-5"\n'


def test_neutralise_frame_judges_each_text_by_its_start_only():
    """The one search per column may only send a column to the cell-by-cell test: text with
    a dangerous character after a line feed inside it is not changed, one starting so is."""
    df = pd.DataFrame({"a": ["INV\n=1", "B\n@x", None], "b": ["ok", "\tTAB", "x\n-y"], "c": ["p", "q", "r"]})
    out = neutralise_frame(df)
    assert out["a"].tolist()[:2] == ["INV\n=1", "B\n@x"] and pd.isna(out["a"][2])
    assert out["b"].tolist() == ["ok", "'\tTAB", "x\n-y"] and out["c"].tolist() == ["p", "q", "r"]


# ---------------------------------------------------------------- hostile workbooks

@pytest.fixture(scope="module")
def good_xlsx(tmp_path_factory) -> Path:
    from ims_xl import actions
    from ims_xl.formats.ims_json import load_download
    from ims_xl.samples.download import generate_download, write_download
    from ims_xl.files.xlsx import write_review
    d = tmp_path_factory.mktemp("safe")
    write_download(d / "ims.json", generate_download(records=50, seed=2))
    wb = d / "review.xlsx"
    write_review(actions.import_download(load_download(d / "ims.json"))[0].book, wb)
    return wb


def _rewrite(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            zout.writestr(i.filename, replace.get(i.filename, zin.read(i.filename)))
    return dst


def test_review_workbook_passes(good_xlsx):
    check_xlsx_safe(good_xlsx)
    check_xlsx_safe(good_xlsx, verify_data=False)


def test_zip_bomb_of_zeros_is_refused(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<?xml version='1.0'?><Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(200):  # 200 MB of zeros
                f.write(chunk)
    assert bomb.stat().st_size < 300_000
    t = time.perf_counter()
    with pytest.raises(InputError, match=r"sheet1.xml is compressed [\d,]+:1 \(a zip bomb\)"):
        check_xlsx_safe(bomb)
    assert time.perf_counter() - t < 1, "refused from the directory, without unpacking"
    with pytest.raises(InputError, match="unpacks to 210 MB"):
        check_xlsx_safe(bomb, max_uncompressed=100_000_000)


def test_too_many_parts_and_total_size(tmp_path, good_xlsx):
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(50):
            z.writestr(f"xl/media/{i}.bin", b"x")
    with pytest.raises(InputError, match="has 50 parts"):
        check_xlsx_safe(many, max_members=20)
    with pytest.raises(InputError, match="more than ims-xl opens safely"):
        check_xlsx_safe(good_xlsx, max_uncompressed=10_000)


def test_lying_zip_directory_is_refused(tmp_path):
    """A part that claims to be 200 KB but inflates to 21 MB: the directory passes every
    size check, the streamed read catches it."""
    path = tmp_path / "liar.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<?xml version='1.0'?><worksheet>" + b"<row/>" * 3_500_000
                   + b"</worksheet>")
    declared = 200_000  # more than the first chunk the prolog check reads, ratio about 10:1
    data = bytearray(path.read_bytes())
    assert data[:4] == b"PK\x03\x04"
    struct.pack_into("<I", data, 22, declared)             # local header: uncompressed size
    cd = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, declared)        # central directory: uncompressed size
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as z:
        assert z.infolist()[0].file_size == declared
    check_xlsx_safe(path, verify_data=False)  # the directory alone looks harmless
    with pytest.raises(InputError, match="damaged or not a real .xlsx"):
        check_xlsx_safe(path)


@pytest.fixture(scope="module")
def worked_xlsx(tmp_path_factory) -> Path:
    """A reconciled review workbook whose section, hidden and Books sheets are each larger
    than the first chunk the safety check unpacks of a part (64 KB)."""
    from conftest import run
    d = tmp_path_factory.mktemp("worked")
    assert run("sample", "--out-dir", d, "--records", 400, "--seed", 4) == 0
    assert run("run", d / "ims_download.json", "--books", d / "purchase_register.csv", "--out-dir", d / "job",
               "--apply-suggestions") in (0, 1)
    return d / "job" / "review.xlsx"


def _altered(src: Path, dst: Path, part: str, stored: bool, keep_crc: bool = True) -> Path:
    """``src`` with one byte of ``part`` past its middle changed without changing what it
    says (the space before a cell's style attribute made a line feed), the part stored or
    deflated, and (``keep_crc``) the CRC-32 of the unchanged part left in both of the zip's
    headers: a package damaged the way only the CRC shows."""
    with zipfile.ZipFile(src) as z:
        data = z.read(part)
    k = data.index(b'" s="', len(data) // 2) + 1
    changed = data[:k] + b"\n" + data[k + 1:]
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            if i.filename == part:
                zout.writestr(zipfile.ZipInfo(part, i.date_time), changed,
                              compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
            else:
                zout.writestr(i, zin.read(i.filename))
    if keep_crc:
        _patch_headers(dst, part, 14, 16, zlib.crc32(data))
    return dst


def _patch_headers(path: Path, part: str, local_at: int, central_at: int, value: int) -> None:
    """Write ``value`` (4 bytes) into ``part``'s local header and its central directory entry."""
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(part).header_offset
    raw = bytearray(path.read_bytes())
    struct.pack_into("<I", raw, offset + local_at, value)
    cd = raw.find(b"PK\x01\x02")
    while raw[cd + 46:cd + 46 + len(part)] != part.encode():
        cd = raw.find(b"PK\x01\x02", cd + 4)
    struct.pack_into("<I", raw, cd + central_at, value)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("stored", [True, False])
@pytest.mark.parametrize("sheet", ["B2B", "_ims_data", "Books", "Log"])
def test_a_part_damaged_so_only_its_crc_shows_is_refused_by_the_reader(tmp_path, worked_xlsx, sheet, stored):
    """A review workbook is read without the safety check unpacking every part (files.read:
    open_workbook): python-calamine checks the CRC-32 of each part it reads. A lean read
    (export) does not read the Books sheet, so does not see its damage; a full read does."""
    from ims_xl.files.read import sheet_parts
    from ims_xl.files.xlsx import read_review
    part = sheet_parts(worked_xlsx)[sheet]
    with zipfile.ZipFile(worked_xlsx) as z:
        assert z.getinfo(part).file_size > 1 << 16, "larger than the safety check's first chunk"
    fine = _altered(worked_xlsx, tmp_path / "fine.xlsx", part, stored, keep_crc=False)
    assert read_review(fine).rows.equals(read_review(worked_xlsx).rows)  # the change says nothing
    bad = _altered(worked_xlsx, tmp_path / "bad.xlsx", part, stored)
    with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        zipfile.ZipFile(bad).read(part)
    check_xlsx_safe(bad, verify_data=False)  # what the reader's safety check looks at passes
    # a section sheet is unpacked by the search for error cells, which checks its CRC first
    said = ("the workbook is damaged or not a real .xlsx .*save it again" if sheet == "B2B" else
            rf"sheet '{sheet}' is damaged .*re-save it in Excel")
    with pytest.raises(InputError, match=rf"bad.xlsx: {said}"):
        read_review(bad)
    if sheet == "Books":
        assert read_review(bad, lean=True).rows.equals(read_review(worked_xlsx, lean=True).rows)
    else:
        with pytest.raises(InputError, match=rf"bad.xlsx: {said}"):
            read_review(bad, lean=True)


def test_a_review_sheet_larger_than_declared_is_refused_by_the_reader(tmp_path, worked_xlsx):
    """The zip's directory says the hidden sheet unpacks to less than it does: the directory
    checks pass, python-calamine refuses it when reading."""
    from ims_xl.files.read import sheet_parts
    from ims_xl.files.xlsx import read_review
    part = sheet_parts(worked_xlsx)["_ims_data"]
    bad = _rewrite(worked_xlsx, tmp_path / "liar.xlsx", {})
    with zipfile.ZipFile(bad) as z:
        declared = z.getinfo(part).file_size // 2
    _patch_headers(bad, part, 22, 24, declared)
    check_xlsx_safe(bad, verify_data=False)
    with pytest.raises(InputError, match=r"liar.xlsx: sheet '_ims_data' is damaged"):
        read_review(bad)


BILLION_LAUGHS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
                  b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&xxe;</t></si></sst>')


@pytest.mark.parametrize("part,content", [
    ("xl/worksheets/sheet3.xml", BILLION_LAUGHS),
    ("xl/workbook.xml", XXE),
    ("[Content_Types].xml", b'<!DOCTYPE Types SYSTEM "http://evil.invalid/x.dtd"><Types/>'),
    ("xl/_rels/workbook.xml.rels", b"<?xml version='1.0'?><!-- " + b"x" * 200_000 + b" --><!DOCTYPE r [<!ENTITY a 'b'>]><r/>"),
    ("xl/styles.xml", BILLION_LAUGHS.decode("utf-8").replace("UTF-8", "UTF-16").encode("utf-16")),
    ("xl/worksheets/sheet4.xml", b"\x00\x01<!DOCTYPE x [<!ENTITY a 'b'>]><x/>"),  # malformed before it
])
def test_xml_entity_declarations_are_refused(tmp_path, good_xlsx, part, content):
    bad = _rewrite(good_xlsx, tmp_path / "bad.xlsx", {part: content})
    with pytest.raises(InputError, match=r"(DOCTYPE|entity)"):
        check_xlsx_safe(bad)


def test_entity_attack_gets_a_clear_message(tmp_path, good_xlsx):
    """python-calamine does not expand the entities, it fails on them with its own XmlError,
    which read_review lets through (see the xfail below); the check names the problem first."""
    bad = _rewrite(good_xlsx, tmp_path / "bad.xlsx", {"xl/worksheets/sheet3.xml": BILLION_LAUGHS})
    with pytest.raises(InputError, match=r"bad.xlsx: part xl/worksheets/sheet3.xml declares a DOCTYPE"):
        check_xlsx_safe(bad)


def test_malformed_sheet_xml_is_an_input_error(tmp_path, good_xlsx):
    from ims_xl.files.xlsx import read_review
    with zipfile.ZipFile(good_xlsx) as z:
        xml = z.read("xl/worksheets/sheet3.xml")
    bad = _rewrite(good_xlsx, tmp_path / "bad.xlsx", {"xl/worksheets/sheet3.xml": xml[: len(xml) // 2]})
    check_xlsx_safe(bad)  # a cut sheet is not hostile: the check lets it through to the reader
    with pytest.raises(ImsXlError):
        read_review(bad)


def test_long_prolog_is_refused(tmp_path, good_xlsx):
    bad = _rewrite(good_xlsx, tmp_path / "bad.xlsx",
                   {"xl/workbook.xml": b"<?xml version='1.0'?><!-- " + os.urandom(1 << 20).hex().encode()
                    + b" --><workbook/>"})
    with pytest.raises(InputError, match="before its first element"):
        check_xlsx_safe(bad)


@pytest.mark.parametrize("content,expected", [
    (b'{"imsDetails": {}}', "a JSON file"),
    (b"GSTIN,Invoice\n27AAA,1\n", "not an Excel .xlsx file"),
    (b"", "not an Excel .xlsx file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "old .xls workbook or a password-protected one"),
    (b"PK\x03\x04garbage", "damaged or not a real .xlsx"),
])
def test_non_zip_files_are_refused(tmp_path, content, expected):
    p = tmp_path / "x.xlsx"
    p.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        check_xlsx_safe(p)


def test_truncated_workbook_and_missing_file(tmp_path, good_xlsx):
    p = tmp_path / "cut.xlsx"
    p.write_bytes(good_xlsx.read_bytes()[: good_xlsx.stat().st_size // 2])
    with pytest.raises(InputError, match="damaged"):
        check_xlsx_safe(p)
    with pytest.raises(InputError, match="file not found"):
        check_xlsx_safe(tmp_path / "none.xlsx")
    with pytest.raises(InputError, match="is a folder"):
        check_xlsx_safe(tmp_path)


def test_encrypted_part_is_refused(tmp_path, good_xlsx):
    data = bytearray(good_xlsx.read_bytes())
    cd = data.find(b"PK\x01\x02")
    flags = struct.unpack_from("<H", data, cd + 8)[0]
    struct.pack_into("<H", data, cd + 8, flags | 1)
    p = tmp_path / "enc.xlsx"
    p.write_bytes(bytes(data))
    with pytest.raises(InputError, match="encrypted"):
        check_xlsx_safe(p)


# ---------------------------------------------------------------- large downloads

def test_json_size_limit(tmp_path, monkeypatch):
    small = tmp_path / "ims.json"
    small.write_bytes(b"{}")
    check_json_size(small)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:  # a sparse file the size of a 1,000,000-record download
        f.truncate(1_000_000 * 401)
    t = time.perf_counter()
    with pytest.raises(InputError) as e:
        check_json_size(huge)
    assert time.perf_counter() - t < 0.5, "refused up front, without reading it"
    msg = str(e.value)
    assert msg.startswith("huge.json: 401 MB is more than ims-xl can review safely in memory (")
    assert safety.MAX_JSON_ENV in msg and isinstance(e.value, ImsXlError)
    monkeypatch.setenv(safety.MAX_JSON_ENV, "500")
    check_json_size(huge)
    monkeypatch.setenv(safety.MAX_JSON_ENV, "not a number")
    assert safety.json_limit() == safety.MAX_JSON_BYTES
    with pytest.raises(InputError, match="file not found"):
        check_json_size(tmp_path / "none.json")
    with pytest.raises(InputError, match="1 MB is more"):
        check_json_size(huge, max_bytes=1)


def test_limits_are_consistent(monkeypatch):
    """The workbook limit admits the reconciled review workbook (3.85 KB a record unpacked) of
    the largest accepted download, and both follow IMS_XL_MAX_JSON_MB; the largest accepted
    download stays under 4 GB at the measured 82 MiB + 10.3 KiB a record."""
    records = safety.MAX_JSON_BYTES // 401
    assert records * 3851 <= safety.xlsx_limit()
    assert (82 * 1024 + 10.3 * records) * 1024 < 4.0e9
    monkeypatch.setenv(safety.MAX_JSON_ENV, "1000")
    assert safety.xlsx_limit() >= (1000 * 1000 * 1000 // 401) * 3851
