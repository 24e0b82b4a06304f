"""A labelled purchase register for an IMS download: the benchmark of the matcher.

:func:`generate_register` books every record of an IMS download the way a real purchase
register would, with the perturbations real data has (RECONCILE_NOTES.md "Why people
reconcile"), and says for each IMS record which register row it belongs to and what was done
to it (the ground truth). :data:`EXPECTED_STATUS` gives the status the matcher should reach for
each perturbation, so a benchmark can report pair precision, recall and status accuracy.

Everything comes from one ``random.Random(seed)``: same download + seed -> same register.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..gstin import STATE_CODES, check_char
from ..model import SECTIONS
from ..money import format_inr, paise_from_json
from ..reconcile.matcher import normalise_doc_no

__all__ = [
    "EXPECTED_STATUS",
    "GROUND_TRUTH_COLUMNS",
    "add_ims_duplicates",
    "generate_register",
    "ims_frame_from_download",
    "write_ground_truth_csv",
    "write_register_csv",
]

GROUND_TRUTH_COLUMNS: tuple[str, ...] = ("section", "stin", "doc_no", "books_row", "perturbation")

#: Perturbation -> the status the matcher should give (IMS rows; books-only rows last).
EXPECTED_STATUS: dict[str, str] = {
    "none": "Matched",
    "number-format": "Matched",
    "split-rate": "Matched",
    "rounding": "Matched within tolerance",
    "date-shift-small": "Matched within tolerance",
    "amended-original": "Matched within tolerance",
    "date-shift": "Date mismatch",
    "value-diff": "Value mismatch",
    "tax-head-swap": "Tax-head mismatch",
    "gstin-same-pan": "GSTIN mismatch (same PAN)",
    "number-prefix": "Suggested",
    "number-typo": "Suggested",
    "missing-in-books": "Missing in books",
    "decoy-only": "Missing in books",
    "duplicate-in-ims": "Duplicate in IMS",
    "booked-twice": "Matched",
    "decoy-present": "Matched",
    "recurring-present": "Matched",
    "prior-year-present": "Matched",
    "format-and-rounding": "Matched within tolerance",
    # hard cases: what a careful matcher should say, not always what it can say
    "recurring-only": "Missing in books",
    "typo-and-value": "Missing in books",
    # books-only rows
    "missing-in-ims": "Missing in IMS",
    "decoy": "Missing in IMS",
    "recurring": "Missing in IMS",
    "prior-year": "Missing in IMS",
    "duplicate-in-books": "Duplicate in books",
}

#: Share of IMS records per perturbation (the rest is "none"), in percent.
_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("number-format", 14), ("rounding", 5), ("date-shift-small", 4), ("date-shift", 2),
    ("value-diff", 2), ("tax-head-swap", 2), ("gstin-same-pan", 1.5), ("number-prefix", 2),
    ("number-typo", 1), ("split-rate", 6), ("booked-twice", 1), ("missing-in-books", 4),
    ("decoy-present", 1.5), ("decoy-only", 1), ("recurring-present", 1),
    ("prior-year-present", 1), ("format-and-rounding", 2), ("recurring-only", 0.5),
    ("typo-and-value", 0.5),
)
#: Books-only documents (not in the IMS), as a share of IMS records.
_EXTRA_SHARE = 0.03
_RUN = re.compile(r"[0-9]+")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_STATES = tuple(c for c in STATE_CODES if c not in ("96", "97", "99", "25", "28"))


def _num(rec: dict, key: str | None) -> str:
    if not key:
        return ""
    v = rec.get(key)
    return "" if v is None else str(v)


def _records(download: dict) -> list[dict[str, Any]]:
    """Flat records of a download, in section order, with amounts in paise."""
    details = download.get("imsDetails", download)
    out = []
    for sec in SECTIONS:
        for rec in details.get(sec.key, []) or []:
            row = {
                "section": sec.key,
                "kind": sec.kind,
                "stin": str(rec.get("stin", "")).strip().upper(),
                "tradenm": str(rec.get("tradenm", "") or ""),
                "doc_no": _num(rec, sec.num_key),
                "doc_date": _num(rec, sec.date_key),
                "orig_doc_no": _num(rec, sec.orig_num_key),
                "orig_doc_date": _num(rec, sec.orig_date_key),
                "pos": str(rec.get("pos", "") or ""),
                "action": str(rec.get("action", "N") or "N"),
                "ispendactblocked": str(rec.get("ispendactblocked",
                                                rec.get("ispendactnallwd", "N"))).upper() == "Y",
                "rtnprd": str(rec.get("rtnprd", "") or ""),
            }
            for k in ("txval", "iamt", "camt", "samt", "cess", "val"):
                v = rec.get(k, 0)
                row[k] = paise_from_json(v if v is not None else 0)
            out.append(row)
    return out


def ims_frame_from_download(download: dict) -> pd.DataFrame:
    """The IMS input frame of :func:`ims_xl.reconcile.matcher.reconcile` from a download dict.

    ``ref`` numbers the records 1, 2, ... in section order (b2b, b2ba, ... ecoma) then
    download order. A stand-in for the real reader (``ims_json``) in benchmarks and tests.
    """
    rows = _records(download)
    cols = ["ref", "section", "stin", "tradenm", "doc_no", "doc_date", "orig_doc_no",
            "orig_doc_date", "pos", "txval", "iamt", "camt", "samt", "cess", "val", "action",
            "ispendactblocked", "rtnprd"]
    df = pd.DataFrame(rows, columns=[c for c in cols if c != "ref"])
    df.insert(0, "ref", range(1, len(df) + 1))
    for k in ("txval", "iamt", "camt", "samt", "cess", "val"):
        df[k] = df[k].astype("int64")
    df["ispendactblocked"] = df["ispendactblocked"].astype(bool)
    for c in ("section", "stin", "tradenm", "doc_no", "doc_date", "orig_doc_no",
              "orig_doc_date", "pos", "action", "rtnprd"):
        df[c] = df[c].astype(object)
    return df


def _reformat(doc_no: str, rng: random.Random) -> str | None:
    """Another spelling of the same number (same normalised key), or None."""
    target = normalise_doc_no(doc_no)
    options = []
    if "/" in doc_no:
        options.append(doc_no.replace("/", "-"))
    if "-" in doc_no:
        options.append(doc_no.replace("-", "/"))
    if doc_no.lower() != doc_no:
        options.append(doc_no.lower())
    if doc_no.upper() != doc_no:
        options.append(doc_no.upper())
    # leading zeros on the last numeric run added, or dropped
    runs = [m for m in _RUN.finditer(doc_no)]
    if runs:
        m = runs[-1]
        options.append(doc_no[:m.start()] + "00" + doc_no[m.start():])
        if m.group(0).startswith("0") and m.group(0).strip("0"):
            options.append(doc_no[:m.start()] + m.group(0).lstrip("0") + doc_no[m.end():])
    if any(c.isdigit() for c in doc_no):
        options.append(f"FY25-26/{doc_no}")
        options.append(f"{doc_no} ")
        options.append(doc_no.replace("/", " / "))
    rng.shuffle(options)
    for o in options:
        if o != doc_no and o.strip() != doc_no and normalise_doc_no(o) == target:
            return o
    return None


def _typo(doc_no: str, rng: random.Random) -> str | None:
    """The number with one digit of its last numeric run changed."""
    digits = [k for k, c in enumerate(doc_no) if c.isdigit()]
    if not digits:
        return None
    last = digits[-1]
    run = [k for k in digits if k > last - 4]
    k = run[int(rng.random() * len(run))]
    new = str((int(doc_no[k]) + 1 + int(rng.random() * 8)) % 10)
    return doc_no[:k] + new + doc_no[k + 1:]


_FY_TOKEN = re.compile(r"(?<![0-9])(20)?(\d\d)([-/])(\d\d)(?![0-9])")


def _previous_fy(m: re.Match[str]) -> str:
    """``2025-26`` -> ``2024-25`` (other digit pairs unchanged)."""
    a, b = int(m.group(2)), int(m.group(4))
    if b != (a + 1) % 100:
        return m.group(0)
    return f"{m.group(1) or ''}{(a - 1) % 100:02d}{m.group(3)}{a:02d}"


def _other_gstin(stin: str, rng: random.Random) -> str:
    """A GSTIN with the same PAN in another state (a supplier's other registration)."""
    states = [s for s in _STATES if s != stin[:2]]
    first14 = states[int(rng.random() * len(states))] + stin[2:14]
    return first14 + check_char(first14)


def _date_text(day: pd.Timestamp, style: str) -> str:
    if style == "tally":
        return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"
    return day.strftime("%d/%m/%Y")


def _amount_cell(paise: int, style: str) -> object:
    if style == "tally":
        return format_inr(paise) if paise else ""
    return paise / 100


def _split(paise: int, share: float) -> tuple[int, int]:
    a = int(paise * share)
    return a, paise - a


def generate_register(download: dict, seed: int) -> tuple[list[list[object]], list[dict]]:
    """A purchase register grid for ``download`` and the ground truth of every record.

    Args:
        download: an IMS offline download dict (``{"rtin", "imsDetails": {section: [...]}}``).
        seed: the random seed; the layout (Tally-like CSV text or an Excel-like sheet of
            numbers) also follows from it.

    Returns:
        ``(grid, truth)``: the grid (title rows, a header row, one row per document line) as
        the shell would read it, and one dict per IMS record (download order) then per
        books-only document: ``section`` ("" for books-only), ``stin``, ``doc_no``,
        ``books_row`` (file line of the document's first row, or None), ``perturbation``
        (a key of :data:`EXPECTED_STATUS`).
    """
    rng = random.Random(seed)
    rand = rng.random
    recs = _records(download)
    style = "tally" if seed % 2 == 0 else "sheet"
    names, cum, acc = [], [], 0.0
    for name, w in _WEIGHTS:
        acc += w / 100
        names.append(name)
        cum.append(acc)

    # numbers in use per (supplier, kind): decoys and typos must not hit a real document
    used: dict[tuple[str, str], set[str]] = {}
    for r in recs:
        used.setdefault((r["stin"], r["kind"]), set()).add(normalise_doc_no(r["doc_no"]))
        if r["orig_doc_no"]:
            used[(r["stin"], r["kind"])].add(normalise_doc_no(r["orig_doc_no"]))
    # records repeating an earlier record (same supplier, kind, number key, amounts)
    seen: dict[tuple, int] = {}
    dup_of: list[bool] = []
    has_dup: set[int] = set()
    for idx, r in enumerate(recs):
        key = (r["stin"], r["kind"], normalise_doc_no(r["doc_no"]), r["txval"], r["val"])
        is_dup = key in seen and key[2] != ""
        dup_of.append(is_dup)
        if is_dup:
            has_dup.add(seen[key])
        else:
            seen[key] = idx
    twins: list[tuple[dict, dict]] = []  # (IMS truth, books-only truth) of booked-twice

    docs: list[dict[str, Any]] = []  # each: lines (list of amount dicts) + header fields
    truth: list[dict[str, Any]] = []

    def add_doc(r: dict, *, doc_no: str, stin: str | None = None, day: pd.Timestamp | None = None,
                amounts: dict[str, int] | None = None, lines: int = 1, owner: int | None = None,
                label: str = "") -> int:
        am = dict(amounts or {k: r[k] for k in ("txval", "iamt", "camt", "samt", "cess", "val")})
        docs.append({"r": r, "doc_no": doc_no, "stin": stin or r["stin"],
                     "day": day if day is not None else pd.Timestamp(_parse(r["doc_date"])),
                     "am": am, "lines": lines, "owner": owner, "label": label})
        return len(docs) - 1

    for idx, r in enumerate(recs):
        tr = {"section": r["section"], "stin": r["stin"], "doc_no": r["doc_no"],
              "books_row": None, "perturbation": "none", "_doc": None}
        truth.append(tr)
        if dup_of[idx]:
            tr["perturbation"] = "duplicate-in-ims"
            continue
        u = rand()
        p = "none"
        for name, c in zip(names, cum):
            if u < c:
                p = name
                break
        day = pd.Timestamp(_parse(r["doc_date"]))
        am = {k: r[k] for k in ("txval", "iamt", "camt", "samt", "cess", "val")}
        if idx in has_dup:
            p = "none"  # keep the labels of a record reported twice unambiguous
        doc_no = r["doc_no"]
        key = (r["stin"], r["kind"])
        stin = None
        lines = 1
        if p == "none" and r["orig_doc_no"] and normalise_doc_no(r["orig_doc_no"]) != \
                normalise_doc_no(doc_no) and rand() < 0.5:
            p, doc_no = "amended-original", r["orig_doc_no"]
        elif p == "number-format":
            new = _reformat(doc_no, rng)
            if new is None:
                p = "none"
            else:
                doc_no = new
        elif p == "format-and-rounding":
            new = _reformat(doc_no, rng)
            if new is None:
                p = "rounding"
            else:
                doc_no = new
        if p in ("rounding", "format-and-rounding"):
            h = ("txval", "val", "iamt" if am["iamt"] else "camt")[int(rand() * 3)]
            delta = (1 + int(rand() * 100)) * (1 if rand() < 0.5 else -1)
            if am[h] + delta < 0:
                delta = -delta
            am[h] += delta
        elif p == "date-shift-small":
            day = day + pd.Timedelta(days=(1 + int(rand() * 3)) * (1 if rand() < 0.5 else -1))
        elif p == "date-shift":
            day = day + pd.Timedelta(days=(5 + int(rand() * 26)) * (1 if rand() < 0.5 else -1))
        elif p == "value-diff":
            delta = max(int(am["txval"] * (0.05 + rand() * 0.2)), 1000)
            am["txval"] += delta
            am["val"] += delta
        elif p == "tax-head-swap":
            if am["iamt"] > 1000:
                am["camt"] = am["iamt"] // 2
                am["samt"] = am["iamt"] - am["camt"]
                am["iamt"] = 0
            elif am["camt"] + am["samt"] > 1000:
                am["iamt"] = am["camt"] + am["samt"]
                am["camt"] = am["samt"] = 0
            else:
                p = "none"
        elif p == "gstin-same-pan":
            stin = _other_gstin(r["stin"], rng)
        elif p == "number-prefix":
            if any(c.isdigit() for c in doc_no):
                digits = "".join(c for c in doc_no if c.isdigit()).lstrip("0") or "0"
                alpha = any(c.isalpha() for c in doc_no)
                doc_no = digits if alpha and rand() < 0.5 else f"PUR-{doc_no}"
                if normalise_doc_no(doc_no) in used[key]:
                    p, doc_no = "none", r["doc_no"]
            else:
                p = "none"
        elif p in ("number-typo", "typo-and-value"):
            new = _typo(doc_no, rng)
            if new is None or normalise_doc_no(new) in used[key]:
                p = "none"
            else:
                doc_no = new
                used[key].add(normalise_doc_no(new))
            if p == "typo-and-value":
                # the true document is booked with a mistyped number and another amount: nothing
                # tells it apart from a different document (a recall loss by construction)
                delta = max(int(am["txval"] * (0.05 + rand() * 0.2)), 1000)
                am["txval"] += delta
                am["val"] += delta
        elif p == "split-rate":
            lines = 2 + (1 if rand() < 0.3 else 0)
        tr["perturbation"] = p
        if p in ("missing-in-books", "decoy-only", "recurring-only"):
            pass
        else:
            tr["_doc"] = add_doc(r, doc_no=doc_no, stin=stin, day=day, amounts=am, lines=lines)
        if p == "booked-twice":
            d = add_doc(r, doc_no=doc_no, day=day, amounts=am, label="duplicate-in-books")
            twin = {"section": "", "stin": r["stin"], "doc_no": doc_no, "books_row": None,
                    "perturbation": "duplicate-in-books", "_doc": d}
            truth.append(twin)
            twins.append((tr, twin))
        if p in ("recurring-present", "recurring-only"):
            # a monthly bill of the same supplier: same amounts, the neighbouring number, a
            # month earlier, not in this IMS
            new = _typo(r["doc_no"], rng)
            if new is not None and normalise_doc_no(new) not in used[key]:
                used[key].add(normalise_doc_no(new))
                d = add_doc(r, doc_no=new, day=day - pd.Timedelta(days=28 + int(rand() * 6)),
                            amounts=am, label="recurring")
                truth.append({"section": "", "stin": r["stin"], "doc_no": new,
                              "books_row": None, "perturbation": "recurring", "_doc": d})
        if p == "prior-year-present":
            # last year's document with the same serial (numbers restart every April)
            old_no = _FY_TOKEN.sub(_previous_fy, r["doc_no"])
            dam = {k: int(v * (0.4 + rand())) for k, v in am.items()}
            d = add_doc(r, doc_no=old_no, day=day - pd.Timedelta(days=365 + int(rand() * 10)),
                        amounts=dam, label="prior-year")
            truth.append({"section": "", "stin": r["stin"], "doc_no": old_no,
                          "books_row": None, "perturbation": "prior-year", "_doc": d})
        if p in ("decoy-present", "decoy-only"):
            new = _typo(r["doc_no"], rng)
            if new is not None and normalise_doc_no(new) not in used[key]:
                used[key].add(normalise_doc_no(new))
                factor = 1.3 + rand() * 1.5
                dam = {k: int(v * factor) for k, v in am.items()}
                d = add_doc(r, doc_no=new, day=day, amounts=dam, label="decoy")
                truth.append({"section": "", "stin": r["stin"], "doc_no": new, "books_row": None,
                              "perturbation": "decoy", "_doc": d})

    # books-only documents: purchases the suppliers have not reported (yet)
    n_extra = int(len(recs) * _EXTRA_SHARE)
    for _ in range(n_extra):
        if not recs:
            break
        r = recs[int(rand() * len(recs))]
        key = (r["stin"], r["kind"])
        new = None
        for _try in range(5):
            cand = f"{r['doc_no'][:3].strip('/-') or 'BL'}/{100000 + int(rand() * 899999)}"
            if normalise_doc_no(cand) not in used[key]:
                new = cand
                break
        if new is None:
            continue
        used[key].add(normalise_doc_no(new))
        factor = 0.5 + rand() * 2
        if 0.9 < factor < 1.1:  # never the same amounts as the record it was modelled on
            factor += 0.3
        am = {k: int(r[k] * factor) for k in ("txval", "iamt", "camt", "samt", "cess")}
        am["val"] = sum(am.values())
        day = pd.Timestamp(_parse(r["doc_date"])) + pd.Timedelta(days=int(rand() * 20) - 10)
        d = add_doc(r, doc_no=new, day=day, amounts=am, label="missing-in-ims")
        truth.append({"section": "", "stin": r["stin"], "doc_no": new, "books_row": None,
                      "perturbation": "missing-in-ims", "_doc": d})

    grid, first_line = _render(docs, style, rng, download)
    for tr in truth:
        d = tr.pop("_doc")
        tr["books_row"] = first_line[d] if d is not None else None
    # of two identical bookings, the earlier line is the one the IMS record pairs with
    for ims_tr, twin in twins:
        if twin["books_row"] < ims_tr["books_row"]:
            ims_tr["books_row"], twin["books_row"] = twin["books_row"], ims_tr["books_row"]
    return grid, truth


def _parse(ddmmyyyy: str) -> str:
    d, m, y = ddmmyyyy.split("-")
    return f"{y}-{m}-{d}"


def _render(docs: list[dict], style: str, rng: random.Random,
            download: dict) -> tuple[list[list[object]], list[int]]:
    """Lay the documents out as a register grid; returns the grid and each doc's first line."""
    rand = rng.random
    if style == "tally":
        header = ["Date", "Particulars", "Voucher Type", "Voucher No.", "GSTIN/UIN of Supplier",
                  "Supplier Invoice No.", "Supplier Invoice Date", "Place Of Supply",
                  "Taxable Value", "Integrated Tax", "Central Tax", "State/UT Tax", "Cess",
                  "Invoice Value"]
        top: list[list[object]] = [["Purchase Register"], [f"Recipient {download.get('rtin', '')}"],
                                   ["1-Apr-2025 to 31-Mar-2026"], []]
    else:
        header = ["Party GSTIN", "Supplier Name", "Bill No", "Bill Date", "Document Type",
                  "POS", "Taxable Amount", "IGST", "CGST", "SGST/UTGST", "Cess Amount",
                  "Total Amount"]
        top = [["Purchases by vendor"], []]
    order = list(range(len(docs)))
    rng.shuffle(order)
    order.sort(key=lambda k: docs[k]["day"])
    grid: list[list[object]] = [*top, header]
    first_line = [0] * len(docs)
    vch = 0
    # Tally books a supplier's credit note as a Debit Note voucher (a purchase return) and a
    # supplier's debit note as a Credit Note voucher (register.VOUCHER_KINDS)
    kind_word = {"invoice": "Purchase", "credit_note": "Debit Note", "debit_note": "Credit Note"}
    for k in order:
        d = docs[k]
        r = d["r"]
        am = d["am"]
        vch += 1
        # split by tax rate: 2 or 3 lines whose heads add up exactly
        n = d["lines"]
        shares = [1.0] if n == 1 else ([0.6, 0.4] if n == 2 else [0.5, 0.3, 0.2])
        rest = dict(am)
        line_am: list[dict[str, int]] = []
        for j, sh in enumerate(shares):
            if j == len(shares) - 1:
                line_am.append(rest)
            else:
                part = {h: int(am[h] * sh) for h in am}
                rest = {h: rest[h] - part[h] for h in am}
                line_am.append(part)
        first_line[k] = len(grid) + 1
        sign = -1 if (style == "sheet" and r["kind"] == "credit_note") else 1
        for j, la in enumerate(line_am):
            if style == "tally":
                grid.append([
                    _date_text(d["day"] + pd.Timedelta(days=int(rand() * 3)), style),
                    r["tradenm"], kind_word[r["kind"]], str(vch), d["stin"], d["doc_no"],
                    _date_text(d["day"], style), r["pos"],
                    *(_amount_cell(la[h], style) for h in ("txval", "iamt", "camt", "samt", "cess")),
                    _amount_cell(am["val"], style),  # Tally repeats the voucher total per line
                ])
            else:
                grid.append([
                    d["stin"], r["tradenm"], d["doc_no"], _date_text(d["day"], style),
                    ("Invoice", "Credit Note", "Debit Note")[
                        ("invoice", "credit_note", "debit_note").index(r["kind"])],
                    r["pos"],
                    *(sign * la[h] / 100 for h in ("txval", "iamt", "camt", "samt", "cess")),
                    sign * la["val"] / 100,
                ])
    if style == "tally":
        grid.append(["", "Grand Total", "", "", "", "", "", "", "", "", "", "", "", ""])
    return grid, first_line


def add_ims_duplicates(download: dict, seed: int, share: float = 0.01) -> dict:
    """A copy of ``download`` where ``share`` of the records are reported a second time.

    The repeat has the same amounts and date and another spelling of the number (same
    normalised key), as when a supplier reports one invoice twice. The input is not changed.
    """
    rng = random.Random(seed)
    details = download.get("imsDetails", {})
    out = {k: v for k, v in download.items() if k != "imsDetails"}
    new: dict[str, list] = {}
    for sec in SECTIONS:
        recs = list(details.get(sec.key, []) or [])
        extra = []
        for rec in recs:
            if rng.random() < share:
                num = str(rec.get(sec.num_key, ""))
                alt = _reformat(num, rng)
                if alt:
                    copy = dict(rec)
                    copy[sec.num_key] = alt
                    extra.append(copy)
        new[sec.key] = recs + extra
    out["imsDetails"] = new
    return out


def write_register_csv(path: str | Path, grid: list[list[object]]) -> None:
    """Write a register grid as CSV (UTF-8; ``None`` as an empty cell)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        for row in grid:
            w.writerow(["" if c is None else c for c in row])


def write_ground_truth_csv(path: str | Path, rows: list[dict]) -> None:
    """Write ground-truth rows with the columns :data:`GROUND_TRUTH_COLUMNS`."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(GROUND_TRUTH_COLUMNS), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in GROUND_TRUTH_COLUMNS})

