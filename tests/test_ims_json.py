"""Reading the IMS JSON (IMS_FORMAT §1, §5): shapes, encodings, flags, periods, identifiers, amounts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from conftest import (RTIN, SECTION_KEYS, SUP_KA, SUP_MH, download, export, import_new, record,
                      run, write_json)

from ims_xl.errors import InputError
from ims_xl.formats.ims_json import (load_download, load_portal_errors, normalise_rtnprd, parse_download,
                             parse_portal_errors, read_json_bytes)
from ims_xl.review.book import new_book
from ims_xl.review.upload import build_invdata, dumps, envelope


def parse(obj: object, name: str = "ims.json"):
    return parse_download(obj, name)


def parse_bytes(data: bytes, name: str = "ims.json"):
    return parse_download(read_json_bytes(data, name), name)


def upload_text(dl, actions: dict[int, str], rtin: str = RTIN) -> str:
    """The upload JSON text after typing ``actions`` (ref -> word) into a fresh book."""
    book = new_book(dl, rtin=rtin)
    rows = book.rows.copy()
    for ref, word in actions.items():
        rows.loc[rows["ref"] == ref, "action_text"] = word
    book = type(book)(meta=book.meta, rows=rows, originals=book.originals)
    return dumps(envelope(book.rtin, build_invdata(book))).decode("utf-8")


# ---------------------------------------------------------------- shapes

def test_offline_shape_reads_all_eight_sections() -> None:
    dl = parse(download({k: [record(k, 1), record(k, 2)] for k in SECTION_KEYS}, rtin=RTIN))
    assert list(dl.records["section"]) == [k for k in SECTION_KEYS for _ in (1, 2)]
    assert dl.rtin == RTIN
    assert list(dl.records["ref"]) == list(range(1, 17))
    assert dl.records.loc[dl.records["section"] == "b2bcna", "orig_doc_no"].tolist() == ["OCNA-1", "OCNA-2"]
    assert dl.records.loc[dl.records["section"] == "b2bdn", "doc_no"].tolist() == ["DN-1", "DN-2"]
    assert dl.records.loc[dl.records["section"] == "ecom", "inv_typ"].tolist() == ["", ""]


def test_api_shape_at_top_level() -> None:
    dl = parse({"b2b": [record("b2b", 1)], "b2bcn": [record("b2bcn", 1)]})
    assert list(dl.records["section"]) == ["b2b", "b2bcn"]
    assert dl.rtin == ""


def test_api_shape_under_data() -> None:
    # the GSP wrapper of the SANDBOX sample: GSTN's payload is the inner "data"
    dl = parse({"data": {"b2b": [record("b2b", 1, stin=SUP_KA)]}, "status_cd": "1"})
    assert dl.records["stin"].tolist() == [SUP_KA]


def test_offline_shape_under_data() -> None:
    dl = parse({"data": {"imsDetails": {"ecoma": [record("ecoma", 1)]}, "gstin": RTIN}})
    assert dl.records["section"].tolist() == ["ecoma"] and dl.rtin == RTIN


def test_rtin_inside_records_is_used() -> None:
    """RECONPRO takes the recipient GSTIN from ``rtin`` at top level or inside records."""
    dl = parse(download({"b2b": [record("b2b", 1, rtin=RTIN.lower())]}))
    assert dl.rtin == RTIN


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    data = json.dumps(download({"b2b": [record("b2b", 1, tradenm="Śrī Gaṇeśa Traders")]})).encode()
    p = tmp_path / "bom.json"
    p.write_bytes(b"\xef\xbb\xbf" + data)
    dl = load_download(p)
    assert dl.records["tradenm"].tolist() == ["Śrī Gaṇeśa Traders"]
    assert dl.source == "bom.json"


def test_empty_sections_and_missing_sections() -> None:
    dl = parse({"imsDetails": {"b2b": [], "b2bcn": [record("b2bcn", 1)]}})
    assert dl.records["section"].tolist() == ["b2bcn"]
    assert len(parse(download({})).records) == 0


# ---------------------------------------------------------------- flags

@pytest.mark.parametrize("value, expected", [("Y", True), ("N", False), (True, True), (False, False),
                                             ("y", True), ("true", True), ("false", False), (None, False)])
def test_flags_yes_no_and_boolean(value, expected) -> None:
    rec = record("b2bcn", 1, ispendactblocked=value, isRemarksBlocked=value, isItcRedReqBlocked=value)
    if value is None:
        rec = record("b2bcn", 1, ispendactblocked=None, isRemarksBlocked=None, isItcRedReqBlocked=None)
    dl = parse(download({"b2bcn": [rec]}))
    r = dl.records.iloc[0]
    assert (bool(r["pend_blocked"]), bool(r["remarks_blocked"]), bool(r["itc_blocked"])) == (expected,) * 3
    if value is not None:
        flag = "Y" if expected else "N"
        assert {k: dl.originals[0][k] for k in ("ispendactblocked", "isRemarksBlocked", "isItcRedReqBlocked")} \
            == dict.fromkeys(("ispendactblocked", "isRemarksBlocked", "isItcRedReqBlocked"), flag)


def test_itc_red_req_boolean_normalised() -> None:
    dl = parse(download({"b2bcn": [record("b2bcn", 1, itcRedReq=True)]}))
    assert dl.records["itc_red_req"].tolist() == ["Y"]


@pytest.mark.parametrize("key", ["isItcRedReqBlocked", "itcRedReqBlocked"])
def test_both_spellings_of_itc_blocked(key: str) -> None:
    rec = record("b2bcna", 1, isItcRedReqBlocked=None)
    rec[key] = "Y"
    dl = parse(download({"b2bcna": [rec]}))
    assert bool(dl.records["itc_blocked"].iloc[0]) is True
    assert dl.originals[0]["isItcRedReqBlocked"] == "Y"
    assert "itcRedReqBlocked" not in dl.originals[0]


@pytest.mark.parametrize("key", ["ispendactblocked", "ispendactnallwd"])
def test_both_spellings_of_pending_blocked(key: str) -> None:
    rec = record("b2b", 1, ispendactblocked=None)
    rec[key] = "Y"
    dl = parse(download({"b2b": [rec]}))
    assert bool(dl.records["pend_blocked"].iloc[0]) is True


def test_both_spellings_present_current_name_first() -> None:
    rec = record("b2b", 1)          # ispendactblocked "N" comes first
    rec["ispendactnallwd"] = "Y"
    dl = parse(download({"b2b": [rec]}))
    assert bool(dl.records["pend_blocked"].iloc[0]) is False


def test_both_spellings_present_legacy_name_first_current_wins() -> None:
    rec = record("b2b", 1, ispendactblocked=None)
    rec["ispendactnallwd"] = "N"
    rec["ispendactblocked"] = "Y"
    note = record("b2bcn", 1, isItcRedReqBlocked=None)
    note["itcRedReqBlocked"] = "N"
    note["isItcRedReqBlocked"] = "Y"
    dl = parse(download({"b2b": [rec], "b2bcn": [note]}))
    assert bool(dl.records["pend_blocked"].iloc[0]) is True
    assert bool(dl.records["itc_blocked"].iloc[1]) is True


# ---------------------------------------------------------------- periods

@pytest.mark.parametrize("rtnprd, doc_date, expected", [
    ("102025", "15-10-2025", "102025"),
    ("10", "15-10-2025", "102025"),
    ("11", "15-10-2025", "112025"),
    ("01", "15-12-2025", "012026"),       # a month before the document's: the next year
    ("3", "05-03-2024", "032024"),
])
def test_rtnprd_mmyyyy_and_mm(rtnprd: str, doc_date: str, expected: str) -> None:
    assert normalise_rtnprd(rtnprd, doc_date) == expected
    dl = parse(download({"b2b": [record("b2b", 1, rtnprd=rtnprd, idt=doc_date)]}))
    assert dl.records["rtnprd"].tolist() == [expected]
    assert dl.originals[0]["rtnprd"] == expected


# ---------------------------------------------------------------- identifiers

def test_identifiers_stay_strings() -> None:
    rec = record("b2bcna", 1, nt_num="000123", ont_num="0000456", pos="07", stin=SUP_KA.lower())
    dl = parse(download({"b2bcna": [rec]}))
    r = dl.records.iloc[0]
    assert (r["doc_no"], r["orig_doc_no"], r["pos"], r["stin"]) == ("000123", "0000456", "07", SUP_KA)
    assert dl.warnings == []


def test_numeric_identifiers_are_warned_about() -> None:
    rec = record("b2b", 1, inum=1234567, pos=7)
    dl = parse(download({"b2b": [rec]}))
    assert dl.records["doc_no"].tolist() == ["1234567"]
    assert dl.records["pos"].tolist() == ["07"]
    assert len(dl.warnings) == 1 and "leading zeros" in dl.warnings[0] and "ims.json" in dl.warnings[0]


def test_sixteen_digit_number_keeps_leading_zeros_end_to_end(tmp_path: Path) -> None:
    number = "0001234567890123"
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1, inum=number)]}, rtin=RTIN))
    ws = openpyxl.load_workbook(wb)["B2B"]
    c = ws["C2"]
    assert ws["C1"].value == "Invoice number"
    assert (c.value, c.data_type, c.number_format) == (number, "s", "@")
    ws.parent["B2B"]["G2"] = "Accept"
    ws.parent.save(wb)
    rc, up = export(wb, tmp_path / "up.json")
    assert rc == 0
    assert up["invdata"]["b2b"][0]["inum"] == number
    assert f'"inum":"{number}"'.encode() in (tmp_path / "up.json").read_bytes()


# ---------------------------------------------------------------- unknown keys

def test_unknown_keys_are_kept_and_echoed_in_the_upload() -> None:
    extra = {"irn": "ab12", "ackDt": "15-10-2025", "nested": {"k": [1, "02"]}, "flagX": "Y"}
    dl = parse(download({"b2bdn": [record("b2bdn", 1, **extra)]}))
    assert set(dl.records["unknown_keys"].iloc[0].split(",")) == set(extra)
    text = upload_text(dl, {1: "Reject"})
    rec = json.loads(text)["invdata"]["b2bdn"][0]
    assert {k: rec[k] for k in extra} == extra


def test_unknown_keys_survive_the_workbook(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download({"ecom": [record("ecom", 1, zeta="é", alpha=0)]}, rtin=RTIN))
    book = openpyxl.load_workbook(wb)
    book["ECO"]["F2"] = "Reject"
    assert book["ECO"]["F1"].value == "Action"
    book.save(wb)
    rc, up = export(wb, tmp_path / "up.json")
    assert rc == 0 and up["invdata"]["ecom"][0]["zeta"] == "é" and up["invdata"]["ecom"][0]["alpha"] == 0


def test_unknown_numbers_with_decimals_are_sent_by_run_as_export_sends_them(tmp_path: Path, capsys) -> None:
    """An unknown key holding 5.00 (a Decimal when parsed) made ``run``'s validation fail with an
    internal error (the upload contract could not encode it) while ``export`` of the workbook
    that run wrote sent it as 5: the download's values are now one form in memory and in the
    workbook, and ``run`` sends exactly what ``export`` sends."""
    assert run("sample", "--out-dir", tmp_path, "--records", 40, "--seed", 5) == 0
    src = tmp_path / "ims_download.json"
    text = src.read_text(encoding="utf-8")
    assert text.count('"stin"') == 40
    src.write_text(text.replace('"stin"', '"xrate": 5.00, "xfee": 1.50, "xobj": {"r": [2.50, 7]}, "stin"'),
                   encoding="utf-8")
    capsys.readouterr()
    rc = run("run", src, "--books", tmp_path / "purchase_register.csv", "--out-dir", tmp_path / "out",
             "--apply-suggestions")
    out = capsys.readouterr().out
    assert rc == 0 and "internal" not in out, out
    sent = (tmp_path / "out" / "upload.json").read_bytes()
    recs = [r for v in json.loads(sent)["invdata"].values() for r in v]
    assert recs and all(r["xrate"] == 5 and type(r["xrate"]) is int and r["xfee"] == 1.5
                        and r["xobj"] == {"r": [2.5, 7]} for r in recs)
    assert b'"xrate":5,"xfee":1.5,"xobj":{"r":[2.5,7]}' in sent
    assert run("export", tmp_path / "out" / "review.xlsx", "--out", tmp_path / "again.json") == 0
    assert (tmp_path / "again.json").read_bytes() == sent


@pytest.mark.parametrize("value, shown", [("NaN", "NaN"), ("-Infinity", "-Infinity"),
                                          ('{"y": [1, Infinity]}', '{"y": [1, Infinity]}'),
                                          ("1" + "0" * 400 + ".5", "1000000000")])
def test_a_number_no_workbook_can_keep_is_refused_at_import_naming_the_field(tmp_path: Path, capsys,
                                                                            value: str, shown: str) -> None:
    """NaN and Infinity are not JSON but ``json.loads`` takes them: such a record was imported
    into a workbook that no later command could read ("hidden sheet damaged; re-create the
    workbook with ims-xl import", which made the same workbook again)."""
    text = json.dumps(download({"b2b": [record("b2b", 1), record("b2b", 2)]}, rtin=RTIN))
    src = tmp_path / "ims.json"
    src.write_text(text.replace('"stin"', f'"xval": {value}, "stin"', 2), encoding="utf-8")
    capsys.readouterr()
    assert run("import", src, "--out", tmp_path / "r.xlsx") == 2
    err = capsys.readouterr().err
    assert "section b2b, record 1: field xval: " + shown in err and "download the JSON again" in err, err
    assert "Traceback" not in err and not (tmp_path / "r.xlsx").exists()


# ---------------------------------------------------------------- amounts

EXACT = b"""{"imsDetails": {"b2b": [
 {"stin": "%(s)s", "inum": "A1", "inv_typ": "R", "idt": "01-10-2025", "val": 0.3, "txval": 0.1,
  "iamt": 0.2, "camt": 0, "samt": 0, "cess": 0.0, "pos": "27", "action": "N", "srcform": "R1", "rtnprd": "102025"},
 {"stin": "%(s)s", "inum": "A2", "inv_typ": "R", "idt": "01-10-2025", "val": 142700, "txval": 120932.18,
  "iamt": 0, "camt": 10883.91, "samt": 10883.910, "cess": 0, "pos": "27", "action": "N", "srcform": "R1", "rtnprd": "102025"},
 {"stin": "%(s)s", "inum": "A3", "inv_typ": "R", "idt": "01-10-2025", "val": 1E7, "txval": 8474576.27,
  "iamt": 0, "camt": 762711.865e0, "samt": 762711.87, "cess": 1e-2, "pos": "27", "action": "N", "srcform": "R1", "rtnprd": "102025"},
 {"stin": "%(s)s", "inum": "A4", "inv_typ": "R", "idt": "01-10-2025", "val": 9999999999999.99,
  "txval": 1234567890123.45, "iamt": 0, "camt": 0.07, "samt": 0.07, "cess": 0, "pos": "27", "action": "N", "srcform": "R1", "rtnprd": "102025"}
]}}""".replace(b"%(s)s", SUP_MH.encode())


def test_amounts_are_exact_paise() -> None:
    dl = parse_bytes(EXACT.replace(b"762711.865e0", b"762711.87"))
    got = dl.records[["val", "txval", "iamt", "camt", "samt", "cess"]].values.tolist()
    assert got == [[30, 10, 20, 0, 0, 0],
                   [14270000, 12093218, 0, 1088391, 1088391, 0],
                   [1000000000, 847457627, 0, 76271187, 76271187, 1],
                   [999999999999999, 123456789012345, 0, 7, 7, 0]]


def test_upload_text_has_no_float_drift() -> None:
    dl = parse_bytes(EXACT.replace(b"762711.865e0", b"762711.87"))
    text = upload_text(dl, {1: "Accept", 2: "Accept", 3: "Accept", 4: "Accept"})
    for frag in ('"val":0.3,"pos":"27","txval":0.1,"iamt":0.2', '"camt":10883.91,"samt":10883.91',
                 '"val":142700,', '"val":10000000,', '"txval":8474576.27', '"cess":0.01',
                 '"val":9999999999999.99', '"txval":1234567890123.45', '"camt":0.07'):
        assert frag.replace('"pos":"27",', "") in text.replace('"pos":"27",', ""), frag
    numbers = re.findall(r'":(-?[0-9][0-9.eE+-]*)[,}]', text)
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d{1,2})?", n) for n in numbers), numbers


def test_amounts_survive_the_workbook_exactly(tmp_path: Path) -> None:
    src = tmp_path / "exact.json"
    src.write_bytes(EXACT.replace(b"762711.865e0", b"762711.87").replace(b'{"imsDetails"',
                                                                        b'{"rtin": "%s", "imsDetails"' % RTIN.encode()))
    wb = tmp_path / "review.xlsx"
    assert run("import", src, "--out", wb) == 0
    book = openpyxl.load_workbook(wb)
    ws = book["B2B"]
    assert [ws.cell(r, 6).value for r in range(2, 6)] == [0.3, 142700, 10000000, 9999999999999.99]
    for r in range(2, 6):
        ws.cell(r, 7).value = "Reject"
    book.save(wb)
    rc, _ = export(wb, tmp_path / "up.json")
    assert rc == 0
    text = (tmp_path / "up.json").read_text()
    assert '"val":0.3,' in text and '"camt":10883.91,' in text and '"val":9999999999999.99,' in text
    assert '"val":10000000,' in text and '"cess":0.01,' in text


def test_more_than_two_decimals_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError, match=r"ims.json: section b2b, record 3: field camt: .*more than 2 decimals"):
        parse_bytes(EXACT)


def test_amount_as_text_is_parsed() -> None:
    dl = parse(download({"b2b": [record("b2b", 1, val="1180.00", txval="1,000")]}))
    assert dl.records[["val", "txval"]].values.tolist() == [[118000, 100000]]


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("obj, words", [
    ([], "is a list"),
    ({"foo": 1, "bar": []}, "not an IMS download"),
    ({"imsDetailsErr": {"b2b": []}}, "error file"),
    ({"rtin": RTIN, "reqtyp": "SAVE", "invdata": {}}, "upload (SAVE) file"),
    ({"b2b": {"stin": "x"}}, "must be a list"),
    ({"b2b": ["INV-1"]}, "must be a JSON object"),
    ({"b2b": [record("b2b", 1, inum=None)]}, "document number (inum) is missing"),
    ({"b2b": [record("b2b", 1, action="X")]}, "action 'X' is not one of"),
])
def test_not_an_ims_download(obj, words: str) -> None:
    with pytest.raises(InputError, match="^ims.json: ") as exc:
        parse(obj)
    assert words in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b'{"imsDetails": {"b2b": [{"stin": "27AA', "download it again"),
    (b'{"imsDetails": {"b2b": [', "cut short"),
    (b"stin,inum,val\n27AAA,1,100\n", "CSV"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe", "Excel or zip"),
    (b'{"b2b": "\xff"}', "not UTF-8"),
    (b"\xff\xfe{\x00\x00", "starts as UTF-16 text"),
    (b"hello world", "not JSON"),
])
def test_unreadable_bytes(data: bytes, words: str) -> None:
    with pytest.raises(InputError, match="^ims.json: ") as exc:
        parse_bytes(data)
    assert words in str(exc.value)


def test_load_download_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_download(tmp_path / "nope.json")
    with pytest.raises(InputError, match="is a folder"):
        load_download(tmp_path)


# ---------------------------------------------------------------- portal error files

def test_portal_errors_request_status_shape() -> None:
    doc = {"status_cd": "PE", "error_report": {
        "b2b": [{"stin": SUP_MH, "error_cd": "IMSSAV0010", "error_msg": "Either previous action is incorrect",
                 "inv": [{"inum": "INV-1", "rtnprd": "102025"}, {"inum": "INV-2", "rtnprd": "102025"}]}],
        "dn": [{"stin": SUP_MH, "error_cd": "IMSSAV005", "error_msg": "Schema",
                "inv": [{"nt_num": "DN-1", "rtnprd": "102025"}]}],
        "b2bcna": [{"stin": SUP_KA.lower(), "error_cd": "X", "error_msg": "m", "inv": [{"inum": "CNA-1"}]}],
        "e_b2ba": [{"stin": SUP_KA, "error_cd": "Y", "error_msg": "n", "inv": [{"inum": "ECOA-1"}]}]}}
    e = parse_portal_errors({"data": doc}, "err.json")
    assert e.values.tolist() == [
        ["b2b", SUP_MH, "INV-1", "102025", "IMSSAV0010", "Either previous action is incorrect"],
        ["b2b", SUP_MH, "INV-2", "102025", "IMSSAV0010", "Either previous action is incorrect"],
        ["b2bdn", SUP_MH, "DN-1", "102025", "IMSSAV005", "Schema"],
        ["b2bcna", SUP_KA, "CNA-1", "", "X", "m"],
        ["ecoma", SUP_KA, "ECOA-1", "", "Y", "n"],
    ]


def test_portal_errors_offline_shape(tmp_path: Path) -> None:
    doc = {"imsDetailsErr": {"b2bcn": [record("b2bcn", 1, error_msg="Declared CGST is more than the note")],
                             "ecom": [record("ecom", 1, error_msg="Invalid previous status")]}}
    e = load_portal_errors(write_json(tmp_path / "err.json", doc))
    assert e[["section", "doc_no", "message"]].values.tolist() == [
        ["b2bcn", "CN-1", "Declared CGST is more than the note"], ["ecom", "ECO-1", "Invalid previous status"]]


@pytest.mark.parametrize("obj, words", [
    ([], "not an object"),
    ({"foo": 1}, "expected 'error_report'"),
    ({"error_report": {"isd": []}}, "not an IMS section"),
    ({"imsDetailsErr": {"impg": []}}, "not an IMS section"),
])
def test_portal_errors_refusals(obj, words: str) -> None:
    with pytest.raises(InputError, match="^err.json: ") as exc:
        parse_portal_errors(obj, "err.json")
    assert words in str(exc.value)


def test_a_document_repeated_in_the_download_gets_an_occurrence_key() -> None:
    """record_key + with_occurrence: the 2nd and 3rd copies of one document get #2 and #3 in
    download order, other keys stay as they are (a download without repeats is unchanged)."""
    import pandas as pd
    from ims_xl.formats.ims_json import with_occurrence
    rec = record("b2b", 7, inum="INV-7")
    other = record("b2b", 8, stin=SUP_KA, inum="INV-8")
    dl = parse(download({"b2b": [rec, other, dict(rec), dict(rec)]}))
    assert dl.records["key"].tolist() == [f"b2b|{SUP_MH}|INV-7", f"b2b|{SUP_KA}|INV-8",
                                          f"b2b|{SUP_MH}|INV-7#2", f"b2b|{SUP_MH}|INV-7#3"]
    plain = pd.Series(["a", "b", "c"], dtype=object)
    assert with_occurrence(plain).tolist() == ["a", "b", "c"]
    assert with_occurrence(pd.Series(["a", "b", "a", "b", "a"], dtype=object)).tolist() == ["a", "b", "a#2", "b#2", "a#3"]


def test_json_nested_too_deeply_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    """msgspec, which reads a strict JSON first, raises RecursionError on deep nesting (an
    internal error, exit 3, before it was read again by the standard library)."""
    src = tmp_path / "deep.json"
    src.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    capsys.readouterr()
    assert run("import", src, "--out", tmp_path / "r.xlsx") == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and "internal error" not in err, err
