"""The upload's JSON Schema (ims_xl.formats.schema): it accepts every upload the product builds, refuses
mutated ones with a plain message naming the JSON path, and check_upload proves an upload
equals its download except action, prev_status, remarks and the ITC-reduction fields."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from conftest import budget
from ims_xl import actions
from ims_xl.formats import schema
from ims_xl.formats.ims_json import load_download, read_json_bytes
from ims_xl.model import Settings
from ims_xl.samples.download import generate_download, write_download
from ims_xl.formats.schema import UPLOAD_SCHEMA, check_upload, validate_upload

ITC = ("b2ba", "b2bdna", "b2bcn", "b2bcna", "ecoma")


def _decide(rows):
    """Typed decisions on a freshly imported book, as an accountant would make them: every
    action and an ITC answer on accepted specified records (Yes with partial amounts on some)."""
    rows = rows.copy()
    for n, i in enumerate(rows.index):
        r = rows.loc[i]
        choice = ("Accept", "Reject", "Pending", "No Action")[n % 4]
        if choice == "Pending" and r["pend_blocked"]:
            choice = "Reject"
        rows.at[i, "action_text"] = choice
        if choice in ("Reject", "Pending") and n % 3 == 0:
            rows.at[i, "remarks_text"] = f"Checked by =A1 {n}"  # formula-looking text too
        if r["section"] in ITC:
            rows.at[i, "itc_red_text"] = ""
            for c in ("decl_igst_in", "decl_cgst_in", "decl_sgst_in", "decl_cess_in"):
                rows.at[i, c] = None
            if choice == "Accept" and not r["itc_blocked"]:
                if n % 3 == 0 and (r["iamt"] >= 100 or (r["camt"] >= 100 and r["camt"] == r["samt"])):
                    rows.at[i, "itc_red_text"] = "Yes"  # partial: 1 rupee of the tax head
                    rows.at[i, "decl_igst_in"] = 1.0 if r["iamt"] >= 100 else 0.0
                    rows.at[i, "decl_cgst_in"] = 1.0 if r["iamt"] < 100 else 0.0
                    rows.at[i, "decl_sgst_in"] = 1.0 if r["iamt"] < 100 else 0.0
                    rows.at[i, "decl_cess_in"] = 0.0
                else:
                    rows.at[i, "itc_red_text"] = ("Yes", "No")[(n // 4) % 2]
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(download, upload parts as bytes) for a 600-record sample with varied decisions."""
    d = tmp_path_factory.mktemp("schema")
    write_download(d / "ims.json", generate_download(records=600, seed=11))
    dl = load_download(d / "ims.json")
    out, _ = actions.import_download(dl)
    book = replace(out.book, rows=_decide(out.book.rows))
    parts, _ = actions.export(book, Settings())
    small, _ = actions.export(book, Settings(upload_max_bytes=30_000))
    return dl, parts, small


def _doc(part: bytes) -> dict:
    return read_json_bytes(part, "upload.json")


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(UPLOAD_SCHEMA)
    assert json.loads(json.dumps(UPLOAD_SCHEMA)) == UPLOAD_SCHEMA
    assert UPLOAD_SCHEMA["$schema"].endswith("2020-12/schema")


def test_product_uploads_are_valid(built):
    dl, parts, small = built
    doc = _doc(parts[0])
    n = sum(len(v) for v in doc["invdata"].values())
    assert n > 300 and set(doc["invdata"]) == {"b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma"}
    recs = [r for v in doc["invdata"].values() for r in v]
    assert any("declIgst" in r or "declCgst" in r for r in recs), "a partial ITC reduction is exercised"
    assert any(r.get("itcRedReq") == "N" for r in recs) and any("remarks" in r for r in recs)
    assert any(r["action"] == "N" for r in recs), "No Action on an acted record is exercised"
    assert validate_upload(doc) == []
    assert validate_upload(json.loads(parts[0])) == []  # floats as well as Decimals
    assert len(small) > 3
    for p in small:
        assert validate_upload(_doc(p)) == [], "every split part is valid on its own"


def test_empty_upload_is_valid(built):
    dl, parts, _ = built
    assert validate_upload({"rtin": _doc(parts[0])["rtin"], "reqtyp": "SAVE", "invdata": {}}) == []


def _set(path: str, value):
    def f(d):
        *head, last = path.split(".")
        o = d
        for p in head:
            o = o[int(p)] if p.isdigit() else o[p]
        if value is KeyError:
            del o[last]
        else:
            o[int(last) if last.isdigit() else last] = value
    return f


def _first(doc: dict, sec: str, pred=lambda r: True) -> int:
    return next(i for i, r in enumerate(doc["invdata"][sec]) if pred(r))


MUTATIONS = [
    ("missing inum", lambda d: _set("invdata.b2b.0.inum", KeyError)(d), "invdata.b2b[0]: the key 'inum' is missing"),
    ("missing nt_dt", lambda d: _set("invdata.b2bcn.0.nt_dt", KeyError)(d), "the key 'nt_dt' is missing"),
    ("missing oinum on b2ba", lambda d: _set("invdata.b2ba.0.oinum", KeyError)(d), "the key 'oinum' is missing"),
    ("missing ont_dt on b2bcna", lambda d: _set("invdata.b2bcna.0.ont_dt", KeyError)(d), "the key 'ont_dt' is missing"),
    ("missing inv_typ", lambda d: _set("invdata.b2bdn.0.inv_typ", KeyError)(d), "the key 'inv_typ' is missing"),
    ("missing prev_status", lambda d: _set("invdata.b2b.0.prev_status", KeyError)(d), "'prev_status' is missing"),
    ("inum as number", lambda d: _set("invdata.b2b.0.inum", 1234)(d), "invdata.b2b[0].inum: the invoice number: text"),
    ("nt_num as number", lambda d: _set("invdata.b2bdn.0.nt_num", 77)(d), "invdata.b2bdn[0].nt_num"),
    ("stin as number", lambda d: _set("invdata.b2b.0.stin", 27)(d), "invdata.b2b[0].stin"),
    ("pos as number", lambda d: _set("invdata.b2b.0.pos", 7)(d), "invdata.b2b[0].pos: the place of supply"),
    ("bad rtnprd", lambda d: _set("invdata.b2b.0.rtnprd", "132025")(d), "rtnprd: the supplier's return period: text MMYYYY"),
    ("rtnprd MM only", lambda d: _set("invdata.b2b.0.rtnprd", "10")(d), "rtnprd"),
    ("bad date", lambda d: _set("invdata.b2b.0.idt", "2025-10-15")(d), "idt: the invoice date: text dd-mm-yyyy"),
    ("amount as text", lambda d: _set("invdata.b2b.0.txval", "1000")(d), "txval: a JSON number"),
    ("3 decimals", lambda d: _set("invdata.b2b.0.camt", Decimal("10.005"))(d), "camt: a JSON number with at most 2 decimals"),
    ("float noise", lambda d: _set("invdata.b2b.0.val", 0.1 + 0.2)(d), "val: a JSON number with at most 2 decimals"),
    ("beyond Decimal(15,2)", lambda d: _set("invdata.b2b.0.val", Decimal("12345678901234.5"))(d), "invdata.b2b[0].val"),
    ("bad action", lambda d: _set("invdata.b2b.0.action", "Accept")(d), "invdata.b2b[0].action: the action: one of A, R, P, N"),
    ("bad prev_status", lambda d: _set("invdata.b2b.0.prev_status", "X")(d), "invdata.b2b[0].prev_status"),
    ("unchanged record", lambda d: _set("invdata.b2b.0.prev_status", d["invdata"]["b2b"][0]["action"])(d),
     "action equals prev_status"),
    ("remarks too long", lambda d: _set(f"invdata.b2b.{_first(d, 'b2b', lambda r: r['action'] == 'R')}.remarks", "x" * 251)(d),
     "remarks: text of at most 250 characters"),
    ("remarks with Accept", lambda d: _set(f"invdata.b2b.{_first(d, 'b2b', lambda r: r['action'] == 'A')}.remarks", "ok")(d),
     "remarks are sent only with Reject (R) or Pending (P)"),
    ("remarks as number", lambda d: _set(f"invdata.b2b.{_first(d, 'b2b', lambda r: r['action'] == 'R')}.remarks", 5)(d),
     "remarks: text"),
    ("ITC keys on b2b", lambda d: _set("invdata.b2b.0.itcRedReq", "N")(d), "'itcRedReq' is not allowed on b2b"),
    ("decl on ecom", lambda d: _set("invdata.ecom.0.declIgst", 0)(d), "'declIgst' is not allowed on ecom"),
    ("decl on b2bdn", lambda d: _set("invdata.b2bdn.0.declCess", 0)(d), "'declCess' is not allowed on b2bdn"),
    ("decl without Y", lambda d: d["invdata"]["b2bcn"][_first(d, "b2bcn", lambda r: r.get("itcRedReq") == "N")].update(
        {"declIgst": 0, "declCgst": 0, "declSgst": 0, "declCess": 0}), "declared ITC-reduction amounts need itcRedReq Y"),
    ("decl alone", lambda d: d["invdata"]["b2bcn"][_first(d, "b2bcn", lambda r: r.get("itcRedReq") == "Y" and "declIgst" not in r)].update(
        {"declIgst": 0}), "the key 'declCgst' is missing"),
    ("itcRedReq with Reject", lambda d: _set(f"invdata.b2bcn.{_first(d, 'b2bcn', lambda r: r['action'] == 'R')}.itcRedReq", "N")(d),
     "the ITC-reduction answer is sent only with Accept"),
    ("itcRedReq maybe", lambda d: _set(f"invdata.b2bcn.{_first(d, 'b2bcn', lambda r: 'itcRedReq' in r)}.itcRedReq", "Yes")(d),
     "itcRedReq: Y or N"),
    ("negative decl", lambda d: _set(f"invdata.{_partial(d)}.declCess", -1)(d), "0 or more"),
    ("CGST != SGST (V7)", lambda d: _set(f"invdata.{_partial(d)}.declCgst", 0.5)(d), "must equal declared SGST"),
    ("decl above tax (V6)", lambda d: _set(f"invdata.{_partial(d)}.declIgst", 10 ** 9)(d), "(V6)"),
    ("hash present", lambda d: _set("invdata.b2b.0.hash", "ab" * 32)(d), "invdata.b2b[0].hash: 'hash' is not sent on SAVE"),
    ("srcfilstatus present", lambda d: _set("invdata.b2b.0.srcfilstatus", "Filed")(d), "'srcfilstatus' is not sent on SAVE"),
    ("blocked flag present", lambda d: _set("invdata.b2bcn.0.isItcRedReqBlocked", "N")(d), "'isItcRedReqBlocked' is not sent"),
    ("tradenm present", lambda d: _set("invdata.ecom.0.tradenm", "X")(d), "'tradenm' is not sent on SAVE"),
    ("pending flag present", lambda d: _set("invdata.b2b.0.ispendactblocked", "N")(d), "'ispendactblocked' is not sent"),
    ("remarks flag present", lambda d: _set("invdata.b2b.0.isRemarksBlocked", "N")(d), "'isRemarksBlocked' is not sent"),
    ("bad rtin", lambda d: _set("rtin", "27AAPFU0939F1Z")(d), "rtin: the recipient GSTIN"),
    ("rtin check character", lambda d: _set("rtin", d["rtin"][:14] + ("X" if d["rtin"][14] != "X" else "Y"))(d),
     "rtin: GSTIN check character"),
    ("missing rtin", lambda d: _set("rtin", KeyError)(d), "(the document): the key 'rtin' is missing"),
    ("reqtyp RESET", lambda d: _set("reqtyp", "RESET")(d), "reqtyp must be SAVE"),
    ("old section key", lambda d: d["invdata"].__setitem__("dn", d["invdata"].pop("b2bdn")), "invdata: a section key: one of b2b, b2ba"),
    ("empty section", lambda d: _set("invdata.b2bdn", [])(d), "invdata.b2bdn: an empty section"),
    ("section not a list", lambda d: _set("invdata.b2bdn", {})(d), "invdata.b2bdn: b2bdn: a non-empty list"),
    ("record not an object", lambda d: _set("invdata.b2b.0", "x")(d), "invdata.b2b[0]"),
    ("extra envelope key", lambda d: _set("imsDetails", {})(d), "only rtin, reqtyp and invdata"),
    ("download wrapper", lambda d: d.update({"imsDetails": d.pop("invdata")}), "the key 'invdata' is missing"),
]


def _partial(d: dict) -> str:
    for sec in ITC:
        for i, r in enumerate(d["invdata"].get(sec, [])):
            if "declIgst" in r:
                return f"{sec}.{i}"
    raise AssertionError("no partial ITC reduction in the fixture")


@pytest.mark.parametrize("name,mutate,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutated_upload_is_refused(built, name, mutate, expected):
    doc = _doc(built[1][0])
    mutate(doc)
    msgs = validate_upload(doc)
    assert msgs, f"{name}: accepted"
    assert any(expected in m for m in msgs), msgs


@pytest.mark.parametrize("name,mutate,expected", MUTATIONS[:40:3], ids=[m[0] for m in MUTATIONS[:40:3]])
def test_large_upload_path_gives_the_same_messages(built, monkeypatch, name, mutate, expected):
    """Above FULL_CHECK_RECORDS the compiled checker screens records and jsonschema explains
    the refused ones: the messages must be the same as a full jsonschema pass."""
    doc = _doc(built[1][0])
    mutate(doc)
    full = validate_upload(doc)
    monkeypatch.setattr(schema, "FULL_CHECK_RECORDS", 0)
    assert validate_upload(doc) == full


def test_unknown_download_keys_are_allowed(built):
    doc = _doc(built[1][0])
    doc["invdata"]["b2b"][0]["portal_new_key"] = {"x": 1}
    assert validate_upload(doc) == []


def test_exact_multiple_of():
    """multipleOf 0.01 is judged on the decimal text: plain float division would refuse 4049.76."""
    v = schema._Validator({"multipleOf": 0.01})
    for ok in (4049.76, 0.07, 1e15, 5, Decimal("1.10"), Decimal("1E+3"), 1000.1):
        assert v.is_valid(ok), ok
    for bad in (4049.765, 0.001, Decimal("0.005"), 0.1 + 0.2):
        assert not v.is_valid(bad), bad


# ---------------------------------------------------------------- the compiled checker

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-10**16, 10**16) | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(-1e7, 1e7)  # amounts in range: a multiple of 0.01 or not
    | st.decimals(allow_nan=False, allow_infinity=False, places=3) | st.text(max_size=20)
    | st.sampled_from(["A", "R", "P", "N", "Y", "", "102025", "15-10-2025", "27", "R1", "27AAPFU0939F1ZV"]),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=5)
_keys = st.sampled_from(sorted({k for s in UPLOAD_SCHEMA["$defs"].values() for k in s["properties"]} | {"zz"}))


@settings(max_examples=budget(150, 1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_checker_agrees_with_jsonschema(built, data):
    """The fast path's verdict equals jsonschema's on randomly mutated product records."""
    doc = _doc(built[1][0])
    sec = data.draw(st.sampled_from(sorted(doc["invdata"])))
    rec = copy.deepcopy(data.draw(st.sampled_from(doc["invdata"][sec])))
    for _ in range(data.draw(st.integers(0, 3))):
        k = data.draw(_keys)
        if data.draw(st.booleans()) and k in rec:
            del rec[k]
        else:
            rec[k] = data.draw(_json)
    expected = schema._SECTION_VALIDATORS[sec].is_valid(rec)
    assert schema._FAST[sec](rec) is expected, rec
    whole = {**doc, "invdata": {sec: [rec]}}
    assert schema.compile_schema(UPLOAD_SCHEMA)(whole) is schema._VALIDATOR.is_valid(whole)


def test_compiler_refuses_unknown_keywords():
    with pytest.raises(ValueError, match="not supported"):
        schema.compile_schema({"oneOf": [{}]})


# ---------------------------------------------------------------- check_upload

def test_check_upload_proves_the_product_upload(built):
    dl, parts, small = built
    assert check_upload(_doc(parts[0]), dl) == []
    for p in small:
        assert check_upload(_doc(p), dl) == []


def _rec(doc, sec="b2b", i=0):
    return doc["invdata"][sec][i]


def test_check_upload_catches_an_edited_amount(built):
    dl, parts, _ = built
    doc = _doc(parts[0])
    r = _rec(doc)
    r["txval"] = Decimal(str(r["txval"])) + Decimal("0.01")
    msgs = check_upload(doc, dl)
    assert len(msgs) == 1 and "invdata.b2b[0]" in msgs[0] and "txval: uploaded" in msgs[0], msgs


def test_check_upload_catches_a_changed_prev_status(built):
    dl, parts, _ = built
    doc = _doc(parts[0])
    r = _rec(doc)
    r["prev_status"] = next(a for a in "ARPN" if a not in (r["prev_status"], r["action"]))
    msgs = check_upload(doc, dl)
    assert len(msgs) == 1 and "prev_status: uploaded" in msgs[0] and "IMSSAV0010" in msgs[0], msgs


def test_check_upload_catches_an_extra_record(built):
    dl, parts, _ = built
    doc = _doc(parts[0])
    extra = copy.deepcopy(_rec(doc))
    extra["inum"] = "NOT-DOWNLOADED-1"
    doc["invdata"]["b2b"].append(extra)
    msgs = check_upload(doc, dl)
    assert msgs == [f"invdata.b2b[{len(doc['invdata']['b2b']) - 1}] (inum NOT-DOWNLOADED-1 of {extra['stin']}): "
                    "not in the download"]


def test_check_upload_catches_a_duplicate(built):
    dl, parts, _ = built
    doc = _doc(parts[0])
    doc["invdata"]["b2bcn"].append(copy.deepcopy(_rec(doc, "b2bcn")))
    msgs = check_upload(doc, dl)
    assert len(msgs) == 1 and "uploaded twice (also at invdata.b2bcn[0])" in msgs[0], msgs


@pytest.mark.parametrize("change,expected", [
    (lambda r: r.__setitem__("inum", int(r["inum"])) if r["inum"].isdigit() else r.__setitem__("stin", 5),
     "must be text to be matched"),
    (lambda r: r.__setitem__("idt", "01-01-2020"), "idt: uploaded '01-01-2020'"),
    (lambda r: r.__setitem__("pos", "99"), "pos: uploaded '99'"),
    (lambda r: r.pop("srcform"), "srcform: missing (downloaded 'R1')"),
    (lambda r: r.__setitem__("hash", "00"), "hash: not sent on SAVE"),
    (lambda r: r.__setitem__("made_up", 1), "made_up: not in the downloaded record"),
    (lambda r: r.__setitem__("rtnprd", "011999"), "return period 011999 differs"),
    (lambda r: r.__setitem__("val", str(r["val"])), "val: uploaded"),
])
def test_check_upload_reports_each_difference(built, change, expected):
    dl, parts, _ = built
    doc = _doc(parts[0])
    change(_rec(doc))
    msgs = check_upload(doc, dl)
    assert any(expected in m for m in msgs), msgs


def test_check_upload_allows_the_changeable_fields(built):
    dl, parts, _ = built
    doc = _doc(parts[0])
    r = _rec(doc, "b2bcn")
    r.update({"action": "A", "itcRedReq": "Y", "declIgst": 0, "declCgst": 0, "declSgst": 0, "declCess": 0,
              "remarks": "changed"})
    assert check_upload(doc, dl) == []


def test_check_upload_other_recipient_and_not_an_upload(built):
    dl, parts, _ = built
    doc = _doc(parts[0])
    doc["rtin"] = "27AAPFU0939F1ZV"
    assert check_upload(doc, dl)[0].startswith("rtin: the upload is for 27AAPFU0939F1ZV")
    assert check_upload({"imsDetails": {}}, dl) == ["the upload has no 'invdata' object: it is not an IMS SAVE file"]
    assert check_upload({"invdata": {"dn": [], "b2b": "x", "b2bcn": [5]}}, dl) == [
        "invdata.dn: not an IMS section", "invdata.b2b: not a list of records",
        "invdata.b2bcn[0]: not a record (an object)"]


def test_upload_cli_like_round_trip(tmp_path, built):
    """What ``ims-xl check-upload`` will do: read both files, validate, check."""
    dl, parts, _ = built
    p = tmp_path / "upload.json"
    p.write_bytes(parts[0])
    doc = read_json_bytes(Path(p).read_bytes(), p.name)
    assert validate_upload(doc) == [] and check_upload(doc, dl) == []


def test_check_upload_of_split_parts(built):
    """The parts of a split upload are checked together: a record in two parts is a duplicate."""
    dl, _, small = built
    docs = [_doc(p) for p in small]
    assert check_upload(docs, dl) == []
    first_sec = next(iter(docs[0]["invdata"]))
    docs[-1]["invdata"].setdefault(first_sec, []).append(copy.deepcopy(docs[0]["invdata"][first_sec][0]))
    msgs = check_upload(docs, dl)
    assert len(msgs) == 1 and msgs[0].startswith(f"part {len(docs)}: ") and \
        f"uploaded twice (also at part 1: invdata.{first_sec}[0])" in msgs[0], msgs
