"""Hypothesis properties of the round trip, through real files (CLI in-process + openpyxl):

* import -> export with no edits gives an empty upload (``invdata == {}``);
* any set of valid edits round-trips exactly: each changed record appears once, with the typed
  action, ``prev_status`` = the downloaded action, the downloaded values echoed, remarks only on
  Reject/Pending when not blocked, the ITC-reduction block of IMS_FORMAT §2.3; unchanged
  records do not appear;
* re-importing the same or a modified download never loses an action or remark typed for a
  record still present, and a record gone from the new download takes its work to the
  'Removed records' sheet.

Each property keeps to a few seconds (small ``max_examples``, small downloads).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import (ITC_SECTIONS, NUM_KEY, ORIG_KEYS, DATE_KEY, RTIN, SECTION_KEYS, SHEET_OF, SUP_GJ, SUP_KA,
                      SUP_MH, apply_edits, budget, header_map, run, write_json)

# Every example here runs the real commands on real files (seconds each): the heavy tier
# (.ci/run, 12 examples each) runs them; the fast loop relies on the golden and trust tests.
pytestmark = __import__("pytest").mark.slow

# No shrink phase: a failure is reported as generated (with its reproduce blob), so that a
# regression costs seconds, not minutes of shrinking through real files.
PROPS = settings(max_examples=budget(3, 12), deadline=None, derandomize=True, print_blob=True,
                 phases=[Phase.explicit, Phase.reuse, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LABEL = {"A": "Accept", "R": "Reject", "P": "Pending", "N": "No Action"}
CODE = {v: k for k, v in LABEL.items()}
# Written out here, not imported: the keys a SAVE record never carries (IMS_FORMAT §2.2).
NOT_SENT = {"hash", "srcfilstatus", "ispendactblocked", "isRemarksBlocked", "isItcRedReqBlocked", "tradenm",
            "action", "remarks", "itcRedReq", "declIgst", "declCgst", "declSgst", "declCess"}
NUMBERS = ("INV/25-26/{:04d}", "{:016d}", "000{}", "a-{}", "{}", "=B{}", "SI {}/A")
NAMES = st.sampled_from(["=SUM(A1:A9)", "+91 Traders", "-Dash & Co", "@home", "Śrī Gaṇeśa", "Plain Ltd"])
REMARK_TEXT = st.text(st.characters(whitelist_categories=("L", "N", "P", "Zs"), max_codepoint=0x0FFF),
                      min_size=1, max_size=40).filter(lambda t: t.strip() != "")


def amount(paise: int) -> int | float:
    return paise // 100 if paise % 100 == 0 else paise / 100


@st.composite
def ims_record(draw, i: int) -> tuple[str, dict]:
    sec = draw(st.sampled_from(SECTION_KEYS))
    stin = draw(st.sampled_from([SUP_MH, SUP_KA, SUP_GJ]))
    txval = draw(st.integers(0, 10**10))
    rate = draw(st.sampled_from([0, 5, 12, 18, 28]))
    tax = txval * rate // 100
    intra = stin[:2] == "27"
    camt = samt = tax // 2 if intra else 0
    iamt = 0 if intra else tax
    cess = draw(st.sampled_from([0, 0, 1, 1250]))
    rec: dict = {}
    if sec in ORIG_KEYS:
        rec[ORIG_KEYS[sec][0]] = f"O-{i}"
        rec[ORIG_KEYS[sec][1]] = "02-09-2025"
    rec.update({"stin": stin, "tradenm": draw(NAMES), NUM_KEY[sec]: draw(st.sampled_from(NUMBERS)).format(i + 1)})
    if sec not in ("ecom", "ecoma"):
        rec["inv_typ"] = "R"
    rec[DATE_KEY[sec]] = "15-10-2025"
    rec.update({"val": amount(txval + iamt + camt + samt + cess), "action": draw(st.sampled_from("ANRP")),
                "pos": "27", "txval": amount(txval), "iamt": amount(iamt), "camt": amount(camt),
                "samt": amount(samt), "cess": amount(cess), "srcform": "R1", "rtnprd": "102025",
                "srcfilstatus": "Filed", "hash": f"{i:064x}",
                "ispendactblocked": draw(st.sampled_from("YN")), "isRemarksBlocked": draw(st.sampled_from("YN"))})
    if sec in ITC_SECTIONS:
        rec["isItcRedReqBlocked"] = draw(st.sampled_from("YN"))
    if draw(st.booleans()):
        rec["zz_unknown"] = draw(st.sampled_from([1, "x", {"k": [0.5, "07"]}]))
    return sec, rec


@st.composite
def downloads(draw, max_records: int = 8) -> list[tuple[str, dict]]:
    n = draw(st.integers(1, max_records))
    return [draw(ims_record(i)) for i in range(n)]


def to_json(records: list[tuple[str, dict]], rtin: str | None = RTIN) -> dict:
    secs: dict[str, list[dict]] = {k: [] for k in SECTION_KEYS}
    for sec, rec in records:
        secs[sec].append(rec)
    return ({"rtin": rtin} if rtin else {}) | {"imsDetails": secs}


def paise(v) -> int:
    return round(v * 100)


@st.composite
def typing(draw, records: list[tuple[str, dict]]) -> dict[int, dict]:
    """Valid entries for some records: index -> {Action, Remarks, ITC answer and amounts}."""
    out: dict[int, dict] = {}
    for i, (sec, rec) in enumerate(records):
        if not draw(st.booleans()):
            continue
        allowed = ["Accept", "Reject", "No Action"]
        if rec["ispendactblocked"] == "N" or rec["action"] == "P":
            allowed.append("Pending")
        e = {"Action": draw(st.sampled_from(allowed))}
        code = CODE[e["Action"]]
        if code in "RP" and draw(st.booleans()):
            e["Remarks"] = draw(REMARK_TEXT)
        if (code == "A" and rec["action"] != "A" and sec in ITC_SECTIONS and rec["isItcRedReqBlocked"] == "N"):
            kind = draw(st.sampled_from(["Yes", "No", "partial"]))
            e["Whether ITC to be reduced"] = "No" if kind == "No" else "Yes"
            head = "camt" if paise(rec["camt"]) else "iamt" if paise(rec["iamt"]) else None
            if kind == "partial" and head:
                x = draw(st.integers(1, paise(rec[head]))) / 100
                if head == "camt":
                    e["ITC reduction CGST"] = e["ITC reduction SGST"] = x
                else:
                    e["ITC reduction IGST"] = x
        out[i] = e
    return out


def edits_for(records, typed) -> list[dict]:
    return [{"sheet": SHEET_OF[records[i][0]], "doc_no": records[i][1][NUM_KEY[records[i][0]]],
             "column": col, "value": v}
            for i, e in typed.items() for col, v in e.items()]


def expected_itc(rec: dict, e: dict) -> dict:
    """IMS_FORMAT §2.3, written independently of ims_xl.review.upload."""
    if e.get("Whether ITC to be reduced") == "No":
        return {"itcRedReq": "N"}
    decl = {"declIgst": e.get("ITC reduction IGST", 0), "declCgst": e.get("ITC reduction CGST", 0),
            "declSgst": e.get("ITC reduction SGST", 0), "declCess": e.get("ITC reduction Cess", 0)}
    if all(paise(v) == 0 for v in decl.values()):
        return {"itcRedReq": "Y"}
    tax = {"declIgst": rec["iamt"], "declCgst": rec["camt"], "declSgst": rec["samt"], "declCess": rec["cess"]}
    if all(paise(decl[k]) == paise(tax[k]) for k in decl):
        return {"itcRedReq": "Y"}
    return {"itcRedReq": "Y", **{k: amount(paise(v)) for k, v in decl.items()}}


def expected_upload(records, typed) -> dict:
    inv: dict[str, list[dict]] = {}
    for sec in SECTION_KEYS:
        for i, (s, rec) in enumerate(records):
            if s != sec or i not in typed:
                continue
            e = typed[i]
            code = CODE[e["Action"]]
            if code == rec["action"]:
                continue
            out = {k: v for k, v in rec.items() if k not in NOT_SENT}
            out["action"] = code
            out["prev_status"] = rec["action"]
            if code in "RP" and rec["isRemarksBlocked"] == "N" and e.get("Remarks", "").strip():
                out["remarks"] = e["Remarks"].strip()
            if code == "A" and sec in ITC_SECTIONS and rec["isItcRedReqBlocked"] == "N":
                out.update(expected_itc(rec, e))
            inv.setdefault(sec, []).append(out)
    return inv


def cli_ok(*args) -> None:
    rc = run(*args)
    assert rc == 0, f"ims-xl {' '.join(map(str, args))} exited {rc}"


def do_export(wb: Path, out: Path) -> dict:
    cli_ok("export", wb, "--out", out)
    return json.loads(out.read_bytes())


# ---------------------------------------------------------------- properties

@PROPS
@given(records=downloads())
def test_no_edits_give_an_empty_upload(records) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = write_json(tmp / "ims.json", to_json(records))
        wb = tmp / "r.xlsx"
        cli_ok("import", src, "--out", wb)
        assert do_export(wb, tmp / "u.json") == {"rtin": RTIN, "reqtyp": "SAVE", "invdata": {}}
        cli_ok("validate", wb)
        cli_ok("import", src, "--into", wb)
        assert do_export(wb, tmp / "u2.json")["invdata"] == {}


@PROPS
@given(data=st.data())
def test_valid_edits_round_trip_exactly(data) -> None:
    records = data.draw(downloads())
    typed = data.draw(typing(records))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = write_json(tmp / "ims.json", to_json(records))
        wb = tmp / "r.xlsx"
        cli_ok("import", src, "--out", wb)
        apply_edits(wb, edits_for(records, typed))
        up = do_export(wb, tmp / "u.json")
        assert up["rtin"] == RTIN and up["reqtyp"] == "SAVE"
        assert up["invdata"] == expected_upload(records, typed)
        # validate (which rewrites the workbook) changes nothing in the upload
        rc = run("validate", wb)
        assert rc == 0
        assert do_export(wb, tmp / "u2.json") == up


def work_in(wb: Path) -> dict[tuple[str, str], tuple]:
    book = openpyxl.load_workbook(wb)
    out = {}
    for sec in SECTION_KEYS:
        ws = book[SHEET_OF[sec]]
        hm = header_map(ws)
        num = hm["Note number" if NUM_KEY[sec] == "nt_num" else "Invoice number"]
        for r in range(2, ws.max_row + 1):
            out[(sec, ws.cell(r, num).value)] = (ws.cell(r, hm["Action"]).value, ws.cell(r, hm["Remarks"]).value)
    return out


@st.composite
def modified(draw, records: list[tuple[str, dict]]) -> tuple[list[tuple[str, dict]], set[int]]:
    """A newer download: some records gone, some changed by the supplier or on the portal, some new."""
    out, gone = [], set()
    for i, (sec, rec) in enumerate(records):
        if draw(st.integers(0, 3)) == 0:
            gone.add(i)
            continue
        rec = dict(rec)
        if draw(st.booleans()):
            rec["txval"] = amount(paise(rec["txval"]) + 100)
            rec["val"] = amount(paise(rec["val"]) + 100)
        if draw(st.booleans()):
            rec["action"] = draw(st.sampled_from("ANRP"))
        out.append((sec, rec))
    extra = draw(st.lists(ims_record(1000 + len(records)), max_size=2))
    out += [(s, r | {NUM_KEY[s]: f"NEW-{k}"}) for k, (s, r) in enumerate(extra)]
    order = draw(st.permutations(range(len(out))))
    return [out[k] for k in order], gone


@PROPS
@given(data=st.data())
def test_reimport_never_loses_typed_work(data) -> None:
    records = data.draw(downloads())
    typed = data.draw(typing(records))
    newer, gone = data.draw(modified(records))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        wb = tmp / "r.xlsx"
        cli_ok("import", write_json(tmp / "ims.json", to_json(records)), "--out", wb)
        apply_edits(wb, edits_for(records, typed))
        cli_ok("import", write_json(tmp / "same.json", to_json(records)), "--into", wb)
        cli_ok("import", write_json(tmp / "newer.json", to_json(newer)), "--into", wb)
        work = work_in(wb)
        removed_rows = []
        book = openpyxl.load_workbook(wb)
        if "Removed records" in book.sheetnames:
            rows = list(book["Removed records"].iter_rows(values_only=True))
            removed_rows = [dict(zip(rows[0], r)) for r in rows[1:]]
        removed = {(r["Section"], r["Document number"]): (r["Your action"], r["Your remarks"]) for r in removed_rows}
        for i, e in typed.items():
            sec, rec = records[i]
            key = (sec, rec[NUM_KEY[sec]])
            want = (e["Action"], e.get("Remarks"))
            if i in gone:
                worked = CODE[e["Action"]] != rec["action"] or "Remarks" in e or "Whether ITC to be reduced" in e
                if worked:
                    assert removed.get(key) == want, (key, removed)
                assert key not in work
            else:
                assert work[key] == want, (key, work[key], want)
        for sec, rec in newer:
            assert (sec, rec[NUM_KEY[sec]]) in work
        assert len(work) == len(newer)


@PROPS
@given(data=st.data())
def test_deleted_records_take_their_work_to_removed_records(data) -> None:
    records = data.draw(downloads(max_records=6))
    i = data.draw(st.integers(0, len(records) - 1))
    sec, rec = records[i]
    remark = data.draw(REMARK_TEXT)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        wb = tmp / "r.xlsx"
        cli_ok("import", write_json(tmp / "ims.json", to_json(records)), "--out", wb)
        apply_edits(wb, [{"sheet": SHEET_OF[sec], "doc_no": rec[NUM_KEY[sec]], "column": "Action", "value": "Reject"},
                         {"sheet": SHEET_OF[sec], "doc_no": rec[NUM_KEY[sec]], "column": "Remarks", "value": remark}])
        rest = records[:i] + records[i + 1:]
        cli_ok("import", write_json(tmp / "newer.json", to_json(rest)), "--into", wb)
        book = openpyxl.load_workbook(wb)
        rows = list(book["Removed records"].iter_rows(values_only=True))
        found = [dict(zip(rows[0], r)) for r in rows[1:] if r[3] == rec[NUM_KEY[sec]] and r[0] == sec]
        assert len(found) == 1
        assert (found[0]["Your action"], found[0]["Your remarks"], found[0]["GSTIN of supplier"]) == \
            ("Reject", remark, rec["stin"])
        assert found[0]["Missing from download"] == "newer.json"
        assert rec[NUM_KEY[sec]] not in [ws.cell(r, c).value for ws in [book[SHEET_OF[sec]]]
                                         for c in [header_map(ws)["Note number" if NUM_KEY[sec] == "nt_num"
                                                                  else "Invoice number"]]
                                         for r in range(2, ws.max_row + 1)]
