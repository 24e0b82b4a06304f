"""The IMS reader never drops records silently (IMS_FORMAT §1.1, §1.3, §5).

Every spelling of a section key a portal or GSP returns is read; records under any other key,
a section given twice, a large-download token instead of records, a lone surrogate and a
5,000-digit amount are refused with exit 2 and one line naming the place, and no workbook is
written. Tests run the CLI the accountant runs (``ims-xl import``) and the reader function.

Fixtures are small dicts written here, each shaped after the source named beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import NUM_KEY, RTIN, SECTION_KEYS, SUP_KA, SUP_MH, record

from ims_xl.cli import main
from ims_xl.errors import InputError
from ims_xl.formats.ims_json import parse_download, read_json_bytes
from ims_xl.files.xlsx import read_review

#: Nine records over the eight sections (two invoices), as in the GSTN API sample of all
#: eight sections (IMS_FORMAT §1.1, EY ImsInvoicesDataParserImpl.java).
NINE = {"b2b": 2, "b2ba": 1, "b2bdn": 1, "b2bdna": 1, "b2bcn": 1, "b2bcna": 1, "ecom": 1, "ecoma": 1}

#: Each canonical key and the spellings that must map to it, written out by hand:
#: response keys, the ``section=`` query / category names (IMS_FORMAT §1.1 table; IC builds
#: ``B2BCN`` etc.), and the older short keys (§2.1 "older IC version used dn/cn/dna/cna").
SPELLINGS = {
    "b2b": ["b2b", "B2B", "B2b"],
    "b2ba": ["b2ba", "B2BA", "b2bA"],
    "b2bdn": ["b2bdn", "B2BDN", "B2bDn", "DN", "dn", "Dn"],
    "b2bdna": ["b2bdna", "B2BDNA", "B2bDnA", "DNA", "dna", "DnA"],
    "b2bcn": ["b2bcn", "B2BCN", "B2bCn", "CN", "cn", "Cn"],
    "b2bcna": ["b2bcna", "B2BCNA", "B2bCnA", "CNA", "cna", "cNa"],
    "ecom": ["ecom", "ECOM", "Ecom"],
    "ecoma": ["ecoma", "ECOMA", "EcomA"],
}

#: Ways a GSP or an older tool spells the eight keys together.
KEY_STYLES = {
    "upper": {k: k.upper() for k in SECTION_KEYS},                       # IC category.value
    "mixed": {"b2b": "B2b", "b2ba": "B2bA", "b2bdn": "B2bDn", "b2bdna": "B2bDnA",
              "b2bcn": "B2bCn", "b2bcna": "B2bCnA", "ecom": "Ecom", "ecoma": "EcomA"},
    "query": {"b2b": "B2B", "b2ba": "B2BA", "b2bdn": "DN", "b2bdna": "DNA",  # SANDBOX "Possible
              "b2bcn": "CN", "b2bcna": "CNA", "ecom": "ECOM", "ecoma": "ECOMA"},  # values" (§1.1)
    "legacy": {"b2b": "b2b", "b2ba": "b2ba", "b2bdn": "dn", "b2bdna": "dna",  # older IC keys (§2.1)
               "b2bcn": "cn", "b2bcna": "cna", "ecom": "ecom", "ecoma": "ecoma"},
}


def nine_records() -> dict[str, list[dict]]:
    """Records of the GSTN API sample's sections, keyed by canonical section."""
    return {k: [record(k, i + 1, stin=SUP_MH if i == 0 else SUP_KA) for i in range(n)]
            for k, n in NINE.items()}


def spelled(recs: dict[str, list[dict]], style: dict[str, str]) -> dict[str, list[dict]]:
    return {style[k]: v for k, v in recs.items()}


def api_top(secs: dict) -> dict:
    # GSTN API sample for all eight sections: sections at top level (IMS_FORMAT §1.1)
    return dict(secs)


def sandbox(secs: dict) -> dict:
    # SANDBOX literal GET response: {"data": {"b2b": [...]}, "status_cd": "1"} (IMS_FORMAT §1.1)
    return {"data": dict(secs), "status_cd": "1"}


def sandbox_wrapped(secs: dict) -> dict:
    # SANDBOX's own code/data/timestamp wrapper around GSTN's data/status_cd (IMS_FORMAT §1.1)
    return {"code": 200, "timestamp": 1731400000000, "transaction_id": "5b0f",
            "data": {"data": dict(secs), "status_cd": "1"}}


def offline(secs: dict) -> dict:
    # offline download envelope {"imsDetails": {...}} (IMS_FORMAT §1.3, RECONPRO / VBA-DOC)
    return {"rtin": RTIN, "imsDetails": dict(secs)}


SHAPES = {"api": api_top, "sandbox": sandbox, "sandbox_wrapped": sandbox_wrapped, "offline": offline}


def write(tmp_path: Path, obj: object, name: str = "ims.json", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(json.dumps(obj, ensure_ascii=False).encode(encoding))
    return p


def cli_import(tmp_path: Path, src: Path, capsys) -> tuple[int, str, Path]:
    """``ims-xl import SRC --out r.xlsx``: (exit code, stderr, the workbook path)."""
    out = tmp_path / "r.xlsx"
    capsys.readouterr()
    rc = main(["import", str(src), "--out", str(out), "--rtin", RTIN])
    return rc, capsys.readouterr().err, out


def section_counts(workbook: Path) -> dict[str, int]:
    rows = read_review(workbook).rows
    return {k: int(v) for k, v in rows["section"].value_counts().items()}


def refused(rc: int, err: str, out: Path, *words: str) -> None:
    """Exit 2, one line on stderr naming the file and ``words``, no workbook written."""
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ims-xl: error: ims.json: "), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert len(lines[0]) < 600, lines[0]
    assert not out.exists()


# ---------------------------------------------------------------- section-key spellings

@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("style", sorted(KEY_STYLES))
def test_cli_imports_all_nine_records_whatever_the_key_spelling(tmp_path: Path, capsys, style: str,
                                                               shape: str) -> None:
    src = write(tmp_path, SHAPES[shape](spelled(nine_records(), KEY_STYLES[style])))
    rc, err, out = cli_import(tmp_path, src, capsys)
    assert rc == 0, err
    assert section_counts(out) == NINE


@pytest.mark.parametrize("canonical, spelling", [(k, s) for k, ss in SPELLINGS.items() for s in ss])
def test_reader_maps_each_spelling_to_its_section(canonical: str, spelling: str) -> None:
    recs = [record(canonical, 1), record(canonical, 2)]
    for shape in (api_top, sandbox, offline):
        dl = parse_download(shape({spelling: recs}), "ims.json")
        assert list(dl.records["section"]) == [canonical, canonical]
        assert list(dl.records["doc_no"]) == [r[NUM_KEY[canonical]] for r in recs]
        assert dl.originals[0]["stin"] == SUP_MH


def test_empty_list_under_one_spelling_and_records_under_another_is_read() -> None:
    # offline envelope lists all eight keys, often empty (IMS_FORMAT §1.3); a GSP adds "CN"
    secs = {k: [] for k in SECTION_KEYS} | {"CN": [record("b2bcn", 1), record("b2bcn", 2)]}
    dl = parse_download(offline(secs), "ims.json")
    assert list(dl.records["section"]) == ["b2bcn", "b2bcn"]


def test_sections_split_between_top_level_and_data_are_all_read() -> None:
    # SANDBOX wrapper (IMS_FORMAT §1.1) with one more section beside it at top level
    doc = {"data": {"b2b": [record("b2b", 1)]}, "status_cd": "1", "B2BCN": [record("b2bcn", 1)]}
    dl = parse_download(doc, "ims.json")
    assert sorted(dl.records["section"]) == ["b2b", "b2bcn"]


@pytest.mark.parametrize("doc, names", [
    # GSTN API sample keys (§1.1) plus the older IC key (§2.1), both holding records
    ({"b2bcn": [record("b2bcn", 1)], "cn": [record("b2bcn", 2)]}, ("'b2bcn'", "'cn'")),
    # SANDBOX data wrapper (§1.1) with upper- and lower-case spellings
    ({"data": {"b2b": [record("b2b", 1)], "B2B": [record("b2b", 1)]}, "status_cd": "1"}, ("'b2b'", "'B2B'")),
    # offline envelope (§1.3) and the same section again at top level
    ({"imsDetails": {"b2bdn": [record("b2bdn", 1)]}, "DN": [record("b2bdn", 2)]}, ("'b2bdn'", "'DN'")),
])
def test_a_section_given_twice_with_records_is_refused(tmp_path: Path, capsys, doc: dict, names) -> None:
    rc, err, out = cli_import(tmp_path, write(tmp_path, doc), capsys)
    refused(rc, err, out, "given twice", *names)


# ---------------------------------------------------------------- records under other keys

@pytest.mark.parametrize("doc, key", [
    # GSTN API sample (§1.1) with a typo in one key
    ({"b2b": [record("b2b", 1)], "b2bcnn": [record("b2bcn", 1)]}, "'b2bcnn'"),
    # SANDBOX wrapper (§1.1) carrying an ISD list: counted in IMS, not actionable (§1.1)
    ({"data": {"b2b": [record("b2b", 1)], "isd": [record("b2b", 2)]}, "status_cd": "1"}, "'isd'"),
    # offline envelope (§1.3) with the offline tool's sheet name used as a key
    ({"imsDetails": {"b2b": [], "B2B-CN": [record("b2bcn", 1)]}}, "'B2B-CN'"),
    # records identified only by a note number (dicts with nt_num, no stin)
    ({"b2b": [record("b2b", 1)], "notes": [{"nt_num": "CN-9", "val": 10}]}, "'notes'"),
    # sections one level too deep, under a wrapper key that is not 'data' or 'imsDetails'
    ({"status_cd": "1", "result": {"b2b": [record("b2b", 1)]}}, "'b2b'"),
    # the whole download as a list under 'data'
    ({"data": [record("b2b", 1)], "status_cd": "1"}, "'data'"),
])
def test_records_under_a_key_that_is_not_a_section_are_refused(tmp_path: Path, capsys, doc: dict,
                                                               key: str) -> None:
    rc, err, out = cli_import(tmp_path, write(tmp_path, doc), capsys)
    refused(rc, err, out, key)
    assert "does not leave records out" in err


def test_harmless_envelope_keys_are_still_ignored(tmp_path: Path, capsys) -> None:
    # SANDBOX wrapper (§1.1) with the envelope keys GSPs add, and an empty unknown list
    doc = {"code": 200, "timestamp": 1731400000000, "status_cd": "1", "rtin": RTIN, "gstin": RTIN,
           "ret_period": "102025", "isd": [], "messages": ["ok"], "header": {"gstin": RTIN},
           "data": {"b2b": [record("b2b", 1)], "B2BCN": [record("b2bcn", 1)], "status_cd": "1"}}
    rc, err, out = cli_import(tmp_path, write(tmp_path, doc), capsys)
    assert rc == 0, err
    assert section_counts(out) == {"b2b": 1, "b2bcn": 1}


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-8-sig",
                                      "utf-32", "utf-32-be-bom", "utf-16-le"])
def test_unicode_saved_files_are_read(tmp_path: Path, capsys, encoding: str) -> None:
    # offline envelope (§1.3) re-saved by Notepad: "Unicode" is UTF-16 LE with a BOM
    recs = nine_records()
    recs["b2b"][0]["tradenm"] = "मेहता ट्रेडर्स"
    text = json.dumps(offline(recs), ensure_ascii=False)
    boms = {"utf-16-le-bom": (b"\xff\xfe", "utf-16-le"), "utf-16-be-bom": (b"\xfe\xff", "utf-16-be"),
            "utf-32-be-bom": (b"\x00\x00\xfe\xff", "utf-32-be")}
    bom, codec = boms.get(encoding, (b"", encoding))
    src = tmp_path / "ims.json"
    src.write_bytes(bom + text.encode(codec))
    rc, err, out = cli_import(tmp_path, src, capsys)
    assert rc == 0, err
    assert section_counts(out) == NINE
    rows = read_review(out).rows
    assert "मेहता ट्रेडर्स" in set(rows["tradenm"])


# ---------------------------------------------------------------- large-download token

@pytest.mark.parametrize("doc", [
    {"data": {"token": "f1c3e9a2b7", "est": "20"}, "status_cd": "1"},   # GETINV large data (§1.1)
    {"data": {"token": "f1c3e9a2b7", "est": 20}},                         # same, no status_cd
    {"token": "f1c3e9a2b7", "est": "20"},                                 # GSTN payload unwrapped
    {"code": 200, "data": {"data": {"token": "f1c3e9a2b7", "est": "20"}, "status_cd": "1"}},  # SANDBOX wrapper
])
def test_a_large_download_token_is_refused_saying_what_to_do(tmp_path: Path, capsys, doc: dict) -> None:
    rc, err, out = cli_import(tmp_path, write(tmp_path, doc), capsys)
    refused(rc, err, out, "token for a large download", "FILEDET", "Download JSON", "20 minutes")


# ---------------------------------------------------------------- lone surrogates

@pytest.mark.parametrize("doc, place", [
    ({"b2b": [record("b2b", 1, inum="INV-X")]}, "section b2b, record 1, field inum"),
    ({"data": {"b2bcn": [record("b2bcn", 1), record("b2bcn", 2, tradenm="X-X")]}, "status_cd": "1"},
     "section b2bcn, record 2, field tradenm"),
    ({"imsDetails": {"CN": [record("b2bcn", 1, remarks="ok X")]}}, "section b2bcn, record 1, field remarks"),
    ({"rtin": "X", "imsDetails": {"b2b": [record("b2b", 1)]}}, "rtin"),
])
def test_a_lone_surrogate_is_refused_naming_the_field(tmp_path: Path, capsys, doc: dict, place: str) -> None:
    # JSON text "\ud800": valid JSON syntax, no character; it cannot be written as UTF-8
    text = json.dumps(doc).replace("X", "\\ud800")
    src = tmp_path / "ims.json"
    src.write_text(text, encoding="utf-8")
    rc, err, out = cli_import(tmp_path, src, capsys)
    refused(rc, err, out, place, "broken character")
    with pytest.raises(InputError, match=place):
        parse_download(read_json_bytes(text.encode(), "ims.json"), "ims.json")


def test_a_lone_surrogate_in_a_field_name_is_refused(tmp_path: Path, capsys) -> None:
    text = json.dumps({"b2b": [record("b2b", 1, note="x")]}).replace('"note"', '"no\\udc00te"')
    src = tmp_path / "ims.json"
    src.write_text(text, encoding="utf-8")
    rc, err, out = cli_import(tmp_path, src, capsys)
    refused(rc, err, out, "section b2b, record 1", "field name")


def test_an_escaped_surrogate_pair_is_a_character_and_is_read(tmp_path: Path, capsys) -> None:
    text = json.dumps({"b2b": [record("b2b", 1, tradenm="Tea X")]}).replace("X", "\\ud83c\\udf75")
    src = tmp_path / "ims.json"
    src.write_text(text, encoding="utf-8")
    rc, err, out = cli_import(tmp_path, src, capsys)
    assert rc == 0, err
    assert list(read_review(out).rows["tradenm"]) == ["Tea \U0001f375"]


# ---------------------------------------------------------------- absurd numbers

HUGE = "1" + "0" * 5000


@pytest.mark.parametrize("field", ["val", "txval", "declIgst"])
@pytest.mark.parametrize("as_text", [False, True])
def test_a_5000_digit_amount_is_refused_on_one_short_line(tmp_path: Path, capsys, field: str,
                                                          as_text: bool) -> None:
    # GSTN API sample (§1.1): amounts are JSON numbers; some GSPs send them as text
    doc = {"b2bcn": [record("b2bcn", 1), record("b2bcn", 2, **{field: 7})]}
    number = f'"{HUGE}"' if as_text else HUGE
    text = json.dumps(doc).replace(f'"{field}": 7', f'"{field}": {number}')
    src = tmp_path / "ims.json"
    src.write_text(text, encoding="utf-8")
    rc, err, out = cli_import(tmp_path, src, capsys)
    refused(rc, err, out, "section b2bcn, record 2", f"field {field}", "5,001 characters")
    with pytest.raises(InputError, match=f"field {field}"):
        parse_download(read_json_bytes(text.encode(), "ims.json"), "ims.json")


def test_a_5000_digit_number_outside_the_records_does_not_crash(tmp_path: Path, capsys) -> None:
    # SANDBOX wrapper (§1.1) with an absurd status_cd: nothing the review uses
    text = json.dumps({"data": {"b2b": [record("b2b", 1)]}, "status_cd": 7}).replace(": 7", ": " + HUGE)
    src = tmp_path / "ims.json"
    src.write_text(text, encoding="utf-8")
    rc, err, out = cli_import(tmp_path, src, capsys)
    assert rc == 0, err
    assert section_counts(out) == {"b2b": 1}


def test_a_5000_digit_document_number_does_not_crash(tmp_path: Path) -> None:
    text = json.dumps({"b2b": [record("b2b", 1, inum=7)]}).replace('"inum": 7', '"inum": ' + HUGE)
    dl = parse_download(read_json_bytes(text.encode(), "ims.json"), "ims.json")
    assert dl.records["doc_no"].iloc[0] == HUGE
    assert any("arrived as a number" in w for w in dl.warnings)


def test_an_escaped_backslash_before_ud800_is_plain_text_and_is_read(tmp_path: Path, capsys) -> None:
    # the JSON text "C:\\ud800\\x" is the characters C : \ u d 8 0 0 \ x, no surrogate
    doc = {"b2b": [record("b2b", 1, remarks="C:\\ud800\\x")]}
    src = write(tmp_path, doc)
    assert b"\\\\ud800" in src.read_bytes()
    rc, err, out = cli_import(tmp_path, src, capsys)
    assert rc == 0, err
    assert list(read_review(out).rows["remarks"]) == ["C:\\ud800\\x"]


def test_an_escaped_backslash_then_a_lone_low_surrogate_is_refused() -> None:
    # "\\ud800" (plain text) followed by the escape "\udc00" (a lone low surrogate)
    text = json.dumps({"b2b": [record("b2b", 1, remarks="RMK")]}).replace('"RMK"', '"\\\\ud800\\udc00"')
    with pytest.raises(InputError, match="section b2b, record 1, field remarks"):
        parse_download(read_json_bytes(text.encode(), "ims.json"), "ims.json")


@pytest.mark.parametrize("doc, refused_", [
    # token and est beside records: the records may be partial, the rest waits behind FILEDET
    ({"data": {"b2b": [record("b2b", 1)], "token": "f1c3", "est": "5"}, "status_cd": "1"}, True),
    # a bare token with no records at all (est missing)
    ({"data": {"token": "f1c3"}, "status_cd": "1"}, True),
    # a key named token with records and no est: not a large-download answer
    ({"data": {"b2b": [record("b2b", 1)]}, "token": "session-1"}, False),
])
def test_token_refusal_reader(doc: dict, refused_: bool) -> None:
    if refused_:
        with pytest.raises(InputError, match="token for a large download"):
            parse_download(doc, "ims.json")
    else:
        assert len(parse_download(doc, "ims.json").records) == 1


def test_offline_error_file_with_upper_case_section_keys() -> None:
    # offline error file: download-shaped records with error_msg under imsDetailsErr (§2.6)
    from ims_xl.formats.ims_json import parse_portal_errors
    doc = {"imsDetailsErr": {"B2BCN": [dict(record("b2bcn", 1), error_msg="bad note")],
                             "dn": [dict(record("b2bdn", 1), error_msg="bad debit note")]}}
    df = parse_portal_errors(doc, "err.json")
    assert sorted(zip(df["section"], df["message"])) == [("b2bcn", "bad note"), ("b2bdn", "bad debit note")]


def test_a_float_amount_near_the_float_limit_is_refused_not_a_crash() -> None:
    # originals read back from a review workbook may hold floats (not the download's Decimals)
    from ims_xl.formats.ims_json import build_records
    from ims_xl.model import SECTION_BY_KEY
    with pytest.raises(InputError, match="section b2b, record 1: field val: 1e\\+307 is not a realistic amount"):
        build_records([(SECTION_BY_KEY["b2b"], record("b2b", 1, val=1e307))], "r.xlsx")


def test_an_offline_file_without_any_section_is_an_empty_download(tmp_path) -> None:
    """The offline envelope of a month with no records (IMS_FORMAT §1.3) imports as an empty
    review, while a JSON with neither 'imsDetails' nor a section is still refused."""
    from ims_xl.cli import main
    ok = tmp_path / "empty.json"
    ok.write_text('{"rtin": "27AAPFU0939F1ZV", "imsDetails": {}}', encoding="utf-8")
    assert main(["import", str(ok), "--out", str(tmp_path / "r.xlsx")]) == 0
    bad = tmp_path / "other.json"
    bad.write_text('{"rtin": "27AAPFU0939F1ZV", "details": {}}', encoding="utf-8")
    assert main(["import", str(bad), "--out", str(tmp_path / "s.xlsx")]) == 2
    assert not (tmp_path / "s.xlsx").exists()
