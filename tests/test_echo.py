"""The upload echoes downloaded identifiers exactly, even with stray spaces (the portal
matches records on them), while the workbook shows them trimmed."""

from __future__ import annotations

import json

import openpyxl

from ims_xl.cli import main
from ims_xl.gstin import check_char

SUP = "27AABCS1429B1Z"
SUP += check_char(SUP)
RTIN = "27AAPFU0939F1ZV"


def test_identifier_with_spaces_is_echoed_exactly(tmp_path):
    rec = {"stin": SUP, "inum": " INV 7 ", "inv_typ": "R", "idt": "15-10-2025", "val": 1180, "action": "N",
           "pos": "27", "txval": 1000, "iamt": 0, "camt": 90, "samt": 90, "cess": 0, "srcform": "R1",
           "rtnprd": "102025", "ispendactblocked": "N", "isRemarksBlocked": "N"}
    (tmp_path / "ims.json").write_text(json.dumps({"rtin": RTIN, "imsDetails": {"b2b": [rec]}}), encoding="utf-8")
    wb = tmp_path / "r.xlsx"
    assert main(["import", str(tmp_path / "ims.json"), "--out", str(wb)]) == 0
    x = openpyxl.load_workbook(wb)
    ws = x["B2B"]
    hdr = [c.value for c in ws[1]]
    assert ws.cell(2, hdr.index("Invoice number") + 1).value == "INV 7"
    ws.cell(2, hdr.index("Action") + 1).value = "Accept"
    x.save(wb)
    assert main(["export", str(wb), "--out", str(tmp_path / "up.json")]) == 0
    up = json.loads((tmp_path / "up.json").read_text(encoding="utf-8"))
    assert up["invdata"]["b2b"][0]["inum"] == " INV 7 "
    assert main(["check-upload", str(tmp_path / "up.json"), "--against", str(tmp_path / "ims.json")]) == 0
