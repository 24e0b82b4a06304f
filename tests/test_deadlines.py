"""Month-end dates on the Summary (docs/GSTR3B_WORKING.md §5): computed by hand below."""

from __future__ import annotations

import openpyxl
import pytest

from conftest import RTIN, apply_edits, download, import_new, record, run

from ims_xl.review.deadlines import month_end_dates


@pytest.mark.parametrize("period, state, want", [
    # October: IFF on the 13th, PMT-06 on the 25th, 16(4) on 30-11 after FY 2025-26
    ("102025", "27", {"Suppliers' GSTR-1 (monthly filers)": "11-11-2025",
                      "Suppliers' IFF (quarterly filers)": "13-11-2025",
                      "Draft GSTR-2B generated (No Action records deemed accepted)": "14-11-2025",
                      "Your GSTR-3B (monthly filer)": "20-11-2025",
                      "Your tax payment (quarterly filer, PMT-06)": "25-11-2025"}),
    # December, quarter end: across the year; Maharashtra (27) files on the 22nd
    ("122025", "27", {"Suppliers' GSTR-1 (quarterly filers)": "13-01-2026",
                      "Your GSTR-3B (monthly filer)": "20-01-2026",
                      "Your GSTR-3B (quarterly filer, state 27)": "22-01-2026"}),
    # Uttar Pradesh (09) files on the 24th; March closes FY 2025-26: 16(4) on 30-11-2026
    ("032026", "09", {"Your GSTR-3B (quarterly filer, state 09)": "24-04-2026",
                      "Section 16(4) time limit for this period's ITC (or your annual return, if earlier)":
                          "30-11-2026"}),
    # April opens FY 2026-27: 16(4) a year later
    ("042026", "29", {"Section 16(4) time limit for this period's ITC (or your annual return, if earlier)":
                          "30-11-2027"}),
])
def test_dates(period, state, want):
    got = dict(month_end_dates(period, state))
    for what, when in want.items():
        assert got[what] == when, what


def test_unknown_period_says_what_to_do():
    assert "type the return period" in month_end_dates("13-2025", "27")[0][1]
    assert "check the portal" in dict(month_end_dates("062026", "97"))["Your GSTR-3B (quarterly filer, state 97)"]


def test_summary_shows_dates_and_what_rides_on_open_records(tmp_path):
    data = download({"b2b": [record("b2b", 1), record("b2b", 2, action="P"), record("b2b", 3)]}, rtin=RTIN)
    wb = import_new(tmp_path, data)
    apply_edits(wb, [{"sheet": "Summary", "row": 4, "column": "B", "value": "102025"}])
    assert run("summary", wb) == 0
    rows = [r for r in openpyxl.load_workbook(wb)["Summary"].iter_rows(values_only=True)]
    by_label = {r[0]: r for r in rows if r and r[0]}
    assert by_label["Draft GSTR-2B generated (No Action records deemed accepted)"][1] == "14-11-2025"
    open_n = by_label["Records still at No Action: deemed accepted when GSTR-2B is generated"]
    assert open_n[1] == 2 and open_n[3] == pytest.approx(360.0)          # 2 x (CGST 90 + SGST 90)
    pend = by_label["Records kept Pending: out of GSTR-2B until acted on"]
    assert pend[1] == 1 and pend[3] == pytest.approx(180.0)
