"""The upload (SAVE) JSON (IMS_FORMAT §2): what is sent, how, and when export refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import (RTIN, SECTION_KEYS, SUP_KA, SUP_MH, apply_edits, download, export, import_new,
                      record, run, typed_book)

from ims_xl import cli
from ims_xl.model import NOT_SENT_KEYS, Settings
from ims_xl.review.upload import build_invdata, build_upload, dumps, envelope, itc_block, split_upload

SENDABLE_B2B = ["stin", "inum", "inv_typ", "idt", "val", "pos", "txval", "iamt", "camt", "samt", "cess",
                "srcform", "rtnprd"]


def invdata(records, typed) -> dict:
    return build_invdata(typed_book(records, typed))


# ---------------------------------------------------------------- what is sent

def test_only_changed_records_with_prev_status() -> None:
    recs = {"b2b": [record("b2b", 1), record("b2b", 2, action="A"), record("b2b", 3, action="R"),
                    record("b2b", 4, action="P")]}
    typed = {("b2b", "INV-1"): {"action_text": "Accept"}, ("b2b", "INV-2"): {"action_text": "Accept"},
             ("b2b", "INV-3"): {"action_text": "Pending"}, ("b2b", "INV-4"): {"action_text": "Pending"}}
    out = invdata(recs, typed)
    assert [(r["inum"], r["action"], r["prev_status"]) for r in out["b2b"]] == [
        ("INV-1", "A", "N"), ("INV-3", "P", "R")]


def test_record_keys_echo_the_download_minus_unsent_keys() -> None:
    rec = record("b2b", 1, remarks="saved before", tradenm="Name", srcfilstatus="Not Filed")
    out = invdata({"b2b": [rec]}, {("b2b", "INV-1"): {"action_text": "Reject"}})
    sent = out["b2b"][0]
    assert list(sent) == SENDABLE_B2B + ["action", "prev_status"]
    assert not set(sent) & (NOT_SENT_KEYS - {"action", "prev_status", "remarks"})
    assert {k: sent[k] for k in SENDABLE_B2B} == {k: rec[k] for k in SENDABLE_B2B}


def test_ecom_has_no_inv_typ_and_amendments_keep_originals() -> None:
    out = invdata({"ecom": [record("ecom", 1)], "b2bcna": [record("b2bcna", 1)]},
                  {("ecom", "ECO-1"): {"action_text": "Reject"}, ("b2bcna", "CNA-1"): {"action_text": "Reject"}})
    assert "inv_typ" not in out["ecom"][0]
    assert (out["b2bcna"][0]["ont_num"], out["b2bcna"][0]["ont_dt"]) == ("OCNA-1", "01-09-2025")
    assert list(out) == ["b2bcna", "ecom"]


def test_sections_in_fixed_order_and_envelope_keys() -> None:
    recs = {k: [record(k, 1)] for k in reversed(SECTION_KEYS)}
    typed = {(k, record(k, 1)["inum" if "inum" in record(k, 1) else "nt_num"]): {"action_text": "Reject"}
             for k in SECTION_KEYS}
    book = typed_book(recs, typed)
    doc = json.loads(build_upload(book)[0])
    assert list(doc) == ["rtin", "reqtyp", "invdata"]
    assert doc["rtin"] == RTIN and doc["reqtyp"] == "SAVE"
    assert list(doc["invdata"]) == list(SECTION_KEYS)


@pytest.mark.parametrize("prev", ["A", "R", "P"])
def test_no_action_after_an_action_is_sent_as_n(prev: str) -> None:
    out = invdata({"b2bdn": [record("b2bdn", 1, action=prev)]}, {("b2bdn", "DN-1"): {"action_text": "No Action"}})
    assert (out["b2bdn"][0]["action"], out["b2bdn"][0]["prev_status"]) == ("N", prev)


def test_remarks_only_on_reject_and_pending_and_never_when_blocked() -> None:
    recs = {"b2b": [record("b2b", 1), record("b2b", 2), record("b2b", 3), record("b2b", 4, isRemarksBlocked="Y"),
                    record("b2b", 5, isRemarksBlocked="Y"), record("b2b", 6, action="A")]}
    typed = {("b2b", "INV-1"): {"action_text": "Accept", "remarks_text": "a"},
             ("b2b", "INV-2"): {"action_text": "Reject", "remarks_text": " r  "},
             ("b2b", "INV-3"): {"action_text": "Pending", "remarks_text": "पेंडिंग"},
             ("b2b", "INV-4"): {"action_text": "Reject", "remarks_text": "blocked"},
             ("b2b", "INV-5"): {"action_text": "Pending", "remarks_text": "blocked"},
             ("b2b", "INV-6"): {"action_text": "No Action", "remarks_text": "n"}}
    out = invdata(recs, typed)
    assert [(r["inum"], r.get("remarks")) for r in out["b2b"]] == [
        ("INV-1", None), ("INV-2", "r"), ("INV-3", "पेंडिंग"), ("INV-4", None), ("INV-5", None), ("INV-6", None)]
    assert "पेंडिंग".encode() in dumps(envelope(RTIN, out))


# ---------------------------------------------------------------- the ITC-reduction block (§2.3)

def _row(section: str = "b2bcn", **typed):
    rec = record(section, 1, stin=SUP_KA if section == "b2ba" else SUP_MH)
    book = typed_book({section: [rec]}, {(section, rec.get("inum", rec.get("nt_num"))): typed})
    return book.rows.iloc[0]


@pytest.mark.parametrize("typed, expected", [
    ({"itc_red_text": "No"}, {"itcRedReq": "N"}),
    ({"itc_red_text": "No", "decl_cgst_in": 0.0}, {"itcRedReq": "N"}),
    ({"itc_red_text": "Yes"}, {"itcRedReq": "Y"}),
    # every amount typed 0 reduces nothing (IMS_FORMAT §2.3); validate warns itc-declared-zero
    ({"itc_red_text": "Yes", "decl_cgst_in": 0, "decl_sgst_in": 0}, {"itcRedReq": "N"}),
    ({"itc_red_text": "Yes", "decl_cgst_in": 90.0, "decl_sgst_in": 90.0}, {"itcRedReq": "Y"}),
    ({"itc_red_text": "Yes", "decl_cgst_in": 90.0, "decl_sgst_in": 90.0, "decl_igst_in": 0.0, "decl_cess_in": 0.0},
     {"itcRedReq": "Y"}),
    ({"itc_red_text": "Yes", "decl_cgst_in": 12.34, "decl_sgst_in": "12.34"},
     {"itcRedReq": "Y", "declIgst": 0, "declCgst": 12.34, "declSgst": 12.34, "declCess": 0}),
    ({"itc_red_text": "Yes", "decl_cgst_in": 45, "decl_sgst_in": 45},
     {"itcRedReq": "Y", "declIgst": 0, "declCgst": 45, "declSgst": 45, "declCess": 0}),
])
def test_itc_block(typed: dict, expected: dict) -> None:
    assert itc_block(_row(**typed)) == expected


def test_itc_block_key_order_is_igst_cgst_sgst_cess() -> None:
    block = itc_block(_row(itc_red_text="Yes", decl_cgst_in=1, decl_sgst_in=1))
    assert list(block) == ["itcRedReq", "declIgst", "declCgst", "declSgst", "declCess"]


def test_itc_block_only_on_accept_of_a_specified_unblocked_record() -> None:
    assert itc_block(_row("b2b", itc_red_text="Yes")) == {}
    recs = {"b2bcn": [record("b2bcn", 1), record("b2bcn", 2, isItcRedReqBlocked="Y"), record("b2bcn", 3)],
            "b2ba": [record("b2ba", 1, stin=SUP_KA)], "ecom": [record("ecom", 1)]}
    typed = {("b2bcn", "CN-1"): {"action_text": "Accept", "itc_red_text": "Yes"},
             ("b2bcn", "CN-2"): {"action_text": "Accept"},
             ("b2bcn", "CN-3"): {"action_text": "Reject"},
             ("b2ba", "INVA-1"): {"action_text": "Accept", "itc_red_text": "Yes", "decl_igst_in": 18},
             ("ecom", "ECO-1"): {"action_text": "Accept"}}
    out = invdata(recs, typed)
    keys = ("itcRedReq", "declIgst", "declCgst", "declSgst", "declCess")
    assert [{k: r[k] for k in keys if k in r} for r in out["b2bcn"]] == [{"itcRedReq": "Y"}, {}, {}]
    assert {k: out["b2ba"][0][k] for k in keys} == {"itcRedReq": "Y", "declIgst": 18, "declCgst": 0,
                                                    "declSgst": 0, "declCess": 0}
    assert not set(out["ecom"][0]) & set(keys)


# ---------------------------------------------------------------- determinism and size

def test_same_workbook_gives_byte_identical_upload(tmp_path: Path) -> None:
    data = download({k: [record(k, 1), record(k, 2, stin=SUP_KA)] for k in SECTION_KEYS}, rtin=RTIN)
    wb = import_new(tmp_path, data)
    apply_edits(wb, [{"sheet": s, "row": 2, "column": "Action", "value": "Reject"}
                     for s in ("B2B", "B2BA", "B2B-DN", "B2B-DNA", "B2B-CN", "B2B-CNA", "ECO", "ECOA")]
                + [{"sheet": "B2B", "row": 3, "column": "Remarks", "value": "x"},
                   {"sheet": "B2B", "row": 3, "column": "Action", "value": "Pending"}])
    assert run("export", wb, "--out", tmp_path / "a.json") == 0   # logs the typed actions
    before = wb.read_bytes()
    assert run("export", wb, "--out", tmp_path / "b.json") == 0
    a, b = (tmp_path / "a.json").read_bytes(), (tmp_path / "b.json").read_bytes()
    assert a == b and len(json.loads(a)["invdata"]) == 8
    assert wb.read_bytes() == before, "with nothing new to log, export must not rewrite the workbook"
    # and a validate in between (which rewrites the workbook) changes nothing either
    assert run("validate", wb) == 0
    assert run("export", wb, "--out", tmp_path / "c.json") == 0
    assert (tmp_path / "c.json").read_bytes() == a


def _many(n: int) -> tuple[dict, dict]:
    recs = {"b2b": [record("b2b", i) for i in range(1, n + 1)],
            "b2bcn": [record("b2bcn", i) for i in range(1, n // 2 + 1)],
            "ecom": [record("ecom", i) for i in range(1, 4)]}
    typed = {("b2b", f"INV-{i}"): {"action_text": "Reject", "remarks_text": f"reason {i}"} for i in range(1, n + 1)}
    typed.update({("b2bcn", f"CN-{i}"): {"action_text": "Reject"} for i in range(1, n // 2 + 1)})
    typed.update({("ecom", f"ECO-{i}"): {"action_text": "Accept"} for i in range(1, 4)})
    return recs, typed


@pytest.mark.parametrize("limit", [700, 1000, 2500, 6000])
def test_split_parts_under_the_limit_hold_every_record_once(limit: int) -> None:
    recs, typed = _many(30)
    book = typed_book(recs, typed)
    whole = build_invdata(book)
    parts = build_upload(book, Settings(upload_max_bytes=limit))
    assert len(parts) > 1
    seen: list[tuple[str, str]] = []
    for p in parts:
        assert len(p) <= limit
        doc = json.loads(p)
        assert list(doc) == ["rtin", "reqtyp", "invdata"] and doc["rtin"] == RTIN and doc["reqtyp"] == "SAVE"
        assert doc["invdata"] and all(doc["invdata"].values())
        for sec, rs in doc["invdata"].items():
            seen += [(sec, json.dumps(r, sort_keys=True)) for r in rs]
    expected = [(sec, json.dumps(r, sort_keys=True)) for sec, rs in whole.items() for r in rs]
    assert seen == expected                     # every record once, in order
    for p in parts:  # each part the very bytes of its envelope encoded whole
        assert p == dumps(json.loads(p))
    assert split_upload(RTIN, whole, 10 ** 9) == [dumps(envelope(RTIN, whole))]


def test_no_split_below_the_limit_and_empty_upload() -> None:
    recs, typed = _many(5)
    book = typed_book(recs, typed)
    parts = build_upload(book)
    assert len(parts) == 1 and parts[0] == dumps(envelope(RTIN, build_invdata(book)))
    assert split_upload(RTIN, {}, 1000) == [b'{"rtin":"%s","reqtyp":"SAVE","invdata":{}}' % RTIN.encode()]


def test_a_record_larger_than_the_limit_is_refused() -> None:
    recs, typed = _many(2)
    with pytest.raises(ValueError, match="larger than the upload limit"):
        build_upload(typed_book(recs, typed), Settings(upload_max_bytes=150))


def test_cli_writes_numbered_parts_and_removes_stale_ones(tmp_path: Path, monkeypatch) -> None:
    recs, _ = _many(12)
    wb = import_new(tmp_path, download(recs, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": f"INV-{i}", "column": "Action", "value": "Reject"}
                     for i in range(1, 13)])
    # parts left by an earlier, larger export, and a file that is not an upload
    for i in range(1, 9):
        (tmp_path / f"up_{i}.json").write_bytes(b'{"rtin":"x","reqtyp":"SAVE","invdata":{}}')
    (tmp_path / "up_9.json").write_bytes(b"not ours")
    monkeypatch.setattr(cli, "Settings", lambda: Settings(upload_max_bytes=1500))
    assert run("export", wb, "--out", tmp_path / "up.json") == 0
    assert not (tmp_path / "up.json").exists()
    written = []
    for i in range(1, 9):
        p = tmp_path / f"up_{i}.json"
        if p.exists():
            written.append(p)
    assert [p.name for p in written] == [f"up_{i}.json" for i in range(1, len(written) + 1)]
    assert 1 < len(written) < 8
    assert (tmp_path / "up_9.json").read_bytes() == b"not ours"
    nums = [r["inum"] for p in written for r in json.loads(p.read_bytes())["invdata"].get("b2b", [])]
    assert nums == [f"INV-{i}" for i in range(1, 13)]
    assert all(len(p.read_bytes()) <= 1500 for p in written)


# ---------------------------------------------------------------- refusals

def test_pending_where_blocked_refuses(tmp_path: Path, capsys) -> None:
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1, ispendactblocked="Y"), record("b2b", 2)]},
                                       rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Pending"},
                     {"sheet": "B2B", "doc_no": "INV-2", "column": "Action", "value": "Accept"}])
    capsys.readouterr()
    rc, up = export(wb, tmp_path / "up.json")
    out, err = capsys.readouterr()
    assert (rc, up) == (1, None)
    assert "pending-blocked" in out and "nothing was written" in err
    assert not list(tmp_path.glob("up*.json"))


def test_validation_errors_refuse_and_leave_an_earlier_upload_alone(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download({"b2bcn": [record("b2bcn", 1)], "b2b": [record("b2b", 1)]}, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"}])
    rc, first = export(wb, tmp_path / "up.json")
    assert rc == 0 and first["invdata"]["b2b"][0]["action"] == "A"
    before = (tmp_path / "up.json").read_bytes()
    apply_edits(wb, [{"sheet": "B2B-CN", "doc_no": "CN-1", "column": "Action", "value": "Accept"}])
    rc, _ = export(wb, tmp_path / "up.json")
    assert rc == 1
    assert (tmp_path / "up.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == ["review.json", "up.json"]


def test_export_rtin_option_overrides_summary(tmp_path: Path) -> None:
    wb = import_new(tmp_path, download({"b2b": [record("b2b", 1)]}))
    apply_edits(wb, [{"sheet": "B2B", "doc_no": "INV-1", "column": "Action", "value": "Accept"}])
    rc, up = export(wb, tmp_path / "no.json")
    assert (rc, up) == (1, None)
    assert run("export", wb, "--out", tmp_path / "up.json", "--rtin", RTIN.lower()) == 0
    assert json.loads((tmp_path / "up.json").read_bytes())["rtin"] == RTIN


def test_upload_ignores_edited_downloaded_cells(tmp_path: Path) -> None:
    rec = record("b2b", 1, inum="007", val=1180.5, txval=1000.5)
    wb = import_new(tmp_path, download({"b2b": [rec]}, rtin=RTIN))
    apply_edits(wb, [{"sheet": "B2B", "row": 2, "column": c, "value": v} for c, v in (
        ("Action", "Accept"), ("Invoice number", 7), ("Invoice value", 1), ("GSTIN of supplier", SUP_KA),
        ("Place of supply", "29"), ("Invoice date", "01-01-2020"), ("Previous status", "Reject"))])
    rc, up = export(wb, tmp_path / "up.json")
    assert rc == 0
    sent = up["invdata"]["b2b"][0]
    assert {k: sent[k] for k in SENDABLE_B2B} == {k: rec[k] for k in SENDABLE_B2B}
    assert sent["prev_status"] == "N"


@pytest.mark.parametrize("limit", [900, 10 ** 9])
def test_parts_joined_from_encoded_records_are_the_bytes_of_their_envelopes(limit: int) -> None:
    """Split or whole, each part is dumps() of its envelope, hostile remarks included."""
    hostile = ['quote " and \\\\ backslash', "हिंदी ₹ 1,000", "line\u2028sep\ttab", "</script>{}[],:"]
    recs = {"b2b": [record("b2b", i) for i in range(1, 9)], "b2bcn": [record("b2bcn", 1)]}
    typed = {("b2b", f"INV-{i}"): {"action_text": "Reject", "remarks_text": hostile[i % 4]} for i in range(1, 9)}
    typed[("b2bcn", "CN-1")] = {"action_text": "Reject", "remarks_text": hostile[0]}
    invdata = build_invdata(typed_book(recs, typed))
    parts = split_upload(RTIN, invdata, limit)
    assert (len(parts) > 1) == (limit == 900)
    got = {}
    for p in parts:
        doc = json.loads(p)
        assert p == dumps(envelope(RTIN, doc["invdata"]))
        for sec, rs in doc["invdata"].items():
            got.setdefault(sec, []).extend(rs)
    assert got == invdata and {r["remarks"] for r in got["b2b"]} == set(hostile)


def test_parts_replace_every_earlier_upload_file_of_that_name(tmp_path) -> None:
    """An export split in parts beside last month's single upload.json left that file there,
    to be uploaded by mistake; one file after parts removes the parts. Another JSON of
    those names (not an ims-xl upload) is never touched."""
    from ims_xl.files.atomic import write_parts
    part = dumps(envelope(RTIN, {}))
    out = tmp_path / "upload.json"
    write_parts([part], out)
    assert write_parts([part, part], out) == [tmp_path / "upload_1.json", tmp_path / "upload_2.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload_1.json", "upload_2.json"]
    assert write_parts([part], out) == [out]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload.json"]
    out.write_text('{"mine": true}', encoding="utf-8")
    write_parts([part, part], out)
    assert out.read_text(encoding="utf-8") == '{"mine": true}'
