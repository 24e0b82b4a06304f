"""The month-end dates of a return period (docs/GSTR3B_WORKING.md §5, with their sources).

Statutory dates only: an extension notified for a period, or a holiday, is not applied (the
Summary says so). Pure core: a period ``MMYYYY`` and the recipient's state code in, rows out.
"""

from __future__ import annotations

from datetime import date

#: GSTR-3B of quarterly (QRMP) filers: due on the 22nd after the quarter for these state codes,
#: on the 24th for 01-21 and 38 (docs/GSTR3B_WORKING.md §5); others (97, 99): check the portal.
QRMP_22 = frozenset(f"{c:02d}" for c in range(22, 38))
QRMP_24 = frozenset({*(f"{c:02d}" for c in range(1, 22)), "38"})


def _next_month(year: int, month: int, day: int) -> date:
    return date(year + (month == 12), month % 12 + 1, day)


def parse_period(period: str) -> tuple[int, int] | None:
    """(year, month) of ``MMYYYY``, or None."""
    p = (period or "").strip()
    if len(p) != 6 or not p.isdigit() or not 1 <= int(p[:2]) <= 12:
        return None
    return int(p[2:]), int(p[:2])


def section_16_4(year: int, month: int) -> date:
    """30 November after the end of the financial year of the period (s.16(4))."""
    fy_end = year + 1 if month >= 4 else year
    return date(fy_end, 11, 30)


def month_end_dates(period: str, state: str) -> list[tuple[str, str]]:
    """``[(what, dd-mm-yyyy or a sentence)]`` for the period, in the order they fall."""
    ym = parse_period(period)
    if ym is None:
        return [("Month-end dates", "type the return period (MMYYYY) on row 4 to see them")]
    year, month = ym
    fmt = "%d-%m-%Y"
    quarter_end = month % 3 == 0
    rows = [("Suppliers' GSTR-1 (monthly filers)", _next_month(year, month, 11).strftime(fmt))]
    if quarter_end:
        rows.append(("Suppliers' GSTR-1 (quarterly filers)", _next_month(year, month, 13).strftime(fmt)))
    else:
        rows.append(("Suppliers' IFF (quarterly filers)", _next_month(year, month, 13).strftime(fmt)))
    rows.append(("Draft GSTR-2B generated (No Action records deemed accepted)",
                 _next_month(year, month, 14).strftime(fmt)))
    rows.append(("Your GSTR-3B (monthly filer)", _next_month(year, month, 20).strftime(fmt)))
    if quarter_end:
        day = 22 if state in QRMP_22 else 24 if state in QRMP_24 else 0
        rows.append((f"Your GSTR-3B (quarterly filer, state {state or '?'})",
                     _next_month(year, month, day).strftime(fmt) if day else
                     "22nd or 24th of the next month by your state: check the portal"))
    else:
        rows.append(("Your tax payment (quarterly filer, PMT-06)", _next_month(year, month, 25).strftime(fmt)))
    rows.append(("Section 16(4) time limit for this period's ITC (or your annual return, if earlier)",
                 section_16_4(year, month).strftime(fmt)))
    return rows
