"""From line rows to documents: a combined tax column split into IGST or CGST + SGST (by
the tax name, else the place of supply against the recipient's state), the plausibility
check that refuses a read that looks wrong (no taxable value, taxes not read, the books' own
sequence numbers), the grouping of line rows into one row per document (duplicate bookings,
totals repeated on every line, negative notes), and the empty books frame."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .cells import _cached, _pos, _rows_list
from .headers import _Header, _unused
from .vocabulary import _AMOUNTS, BOOKS_COLUMNS, HEAD_KEYS, RegisterError


_IGST_NAME = re.compile(r"igst|integrated|inter")
_GST_NAME = re.compile(r"gst|cgst|sgst|utgst|central|state")


_TAX_PART = re.compile(r"(igst|cgst|sgst|utgst|gst|cess)\s*@?\s*(\d+(?:\.\d+)?)")


def _tax_name(text: str) -> tuple[bool | None, int, int]:
    """(inter-state?, cess rate, all rates) from a tax name: ``IGST18``, ``GST18``,
    ``GST28 + CESS22`` (rates in hundredths of a per cent; 0, 0 when the name has none)."""
    w = text.lower()
    inter = True if _IGST_NAME.search(w) else False if _GST_NAME.search(w) else None
    cess = total = 0
    for head, rate in _TAX_PART.findall(w):
        r = int(round(float(rate) * 100))
        total += r
        if head == "cess":
            cess += r
    return inter, cess, total


def _split_tax(amounts: dict[str, np.ndarray], names: list[str] | None, pos: list[object] | None,
               recipient_state: str, lines: list[int], where: str, tax_label: str) -> None:
    """Split one combined tax column into IGST or CGST + SGST, line by line: by the tax name
    (``IGST18`` / ``GST18``; a cess named beside it, ``GST28 + CESS22``, takes its share of
    the rates), else by the place of supply against the recipient's state."""
    tax = amounts["tax"]
    n = len(tax)
    inter = np.zeros(n, dtype=bool)
    cess = np.zeros(n, dtype=np.int64)
    unknown: list[int] = []
    pos_codes = _cached(_pos, pos) if pos is not None else [""] * n
    name_cache: dict[str, tuple[bool | None, int, int]] = {}
    for j in range(n):
        if tax[j] == 0:
            continue
        decided: bool | None = None
        if names is not None:
            t = names[j]
            if t not in name_cache:
                name_cache[t] = _tax_name(t)
            decided, c_rate, all_rates = name_cache[t]
            if c_rate and all_rates:
                cess[j] = (int(tax[j]) * c_rate * 2 + all_rates) // (2 * all_rates)  # rounded
        if decided is None and pos_codes[j] and recipient_state:
            decided = pos_codes[j] != recipient_state
        if decided is None:
            unknown.append(lines[j])
            continue
        inter[j] = decided
    if unknown:
        raise RegisterError(
            f"{where}: column {tax_label} holds one tax amount, and nothing tells IGST from "
            f"CGST + SGST on rows {_rows_list(unknown)} (no tax name such as IGST18 / GST18, and "
            "no place of supply with a known recipient GSTIN): map the tax name column with "
            "--map \"tax_name=<header>\", or the tax heads with --map \"iamt=<header>,camt=<header>,"
            "samt=<header>\"")
    gst = tax - cess
    half = gst // 2
    amounts["iamt"] = np.where(inter, gst, 0).astype(np.int64)
    amounts["camt"] = np.where(inter, 0, gst - half).astype(np.int64)
    amounts["samt"] = np.where(inter, 0, half).astype(np.int64)
    if cess.any():
        amounts["cess"] = amounts.get("cess", np.zeros(n, dtype=np.int64)) + cess


def _check_plausible(books: pd.DataFrame, first: _Header, flags: dict[str, bool],
                     where: str) -> None:
    """Refuse a read that looks wrong, naming the suspect column and how to map it
    (a wrong read would make every suggestion wrong, quietly)."""
    if books.empty:
        return
    unused = _unused(first)
    spare = f" Columns not used: {', '.join(repr(u) for u in unused[:12])}." if unused else ""
    tx, val = books["txval"].to_numpy(), books["val"].to_numpy()
    taxes = books[["iamt", "camt", "samt", "cess"]].sum(axis=1).to_numpy()
    if not (tx != 0).any() and ((val != 0).any() or (taxes != 0).any()):
        what = (f"column {first.named('txval')} is zero or blank on every document"
                if "txval" in first.cols else "no taxable-value column was recognised")
        raise RegisterError(f"{where}: {what}, so every document would differ from the IMS.{spare} "
                            "Map the taxable value with --map \"txval=<header>\" (several "
                            "columns: \"txval=<header>+<header>\").")
    if not flags["tax"] and flags["val"]:
        gap = val - tx - taxes
        if (gap > np.maximum(tx // 200, 100)).mean() > 0.5:
            raise RegisterError(
                f"{where}: no tax column was recognised, yet the value exceeds the taxable value "
                f"on most documents: the taxes are in columns not read.{spare} Map them with "
                "--map \"iamt=<header>,camt=<header>,samt=<header>\" or one combined column with "
                "--map \"tax=<header>\".")
    nums = books["doc_no"].astype(str)
    if len(nums) >= 10 and nums.str.fullmatch(r"[0-9]{1,9}").all() and books["stin"].nunique() >= 3:
        v = np.sort(nums.astype(np.int64).unique())
        # distinct per kind, and nearly all of them: Tally numbers each voucher type on its
        # own (Purchase 1, 2 ... beside Debit Note 1, 2 ...), and a voucher whose lines carry
        # different dates reads as two documents of one number
        pairs = len(books[["doc_kind", "doc_no"]].drop_duplicates())
        if pairs >= 0.9 * len(nums) and v[-1] - v[0] + 1 <= 1.5 * len(v):
            raise RegisterError(
                f"{where}: column {first.named('doc_no')} holds what look like the books' own "
                f"sequence numbers ({v[0]} to {v[-1]}, one run across "
                f"{books['stin'].nunique()} suppliers), not the suppliers' invoice numbers.{spare} "
                "Map the supplier's invoice number with --map \"doc_no=<header>\" (and the "
                "voucher number with \"voucher_no=<header>\").")


def _group_documents(lines: pd.DataFrame, *, has_val: bool, has_vch: bool, has_kind: bool,
                     warnings: list[str], where: str, header: _Header) -> pd.DataFrame:
    """Group line rows (one per tax rate or item) into documents.

    One document = same GSTIN + kind + number + date (+ the buyer's voucher number when the
    register has one). Without a voucher number, a group made of k identical copies of the
    same lines is k bookings of one invoice (a duplicate), not one document k times as large.
    """
    if lines.empty:
        return _empty_books()
    lines = lines.sort_values("_line", kind="stable").reset_index(drop=True)
    keys = ["stin", "doc_kind", "doc_no", "doc_date"] + (["_vch"] if has_vch else [])
    gid = lines.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    lines = lines.assign(_gid=gid)
    sig = ["_gid", *_AMOUNTS] if has_val else ["_gid", *HEAD_KEYS]
    if not has_vch:
        sig_n = lines.groupby(sig, sort=False)["_line"].transform("size")
        g_min = sig_n.groupby(lines["_gid"]).transform("min")
        g_max = sig_n.groupby(lines["_gid"]).transform("max")
        copies = (g_min == g_max) & (g_min >= 2)
        if has_val and copies.any():
            # identical item lines under a value that adds them all up (Zoho's bill total on
            # every line) are one document's items, not k bookings of one invoice
            heads = lines[list(HEAD_KEYS)].sum(axis=1)
            g_heads = heads.groupby(lines["_gid"]).transform("sum")
            val = lines["val"]
            items = (val - g_heads).abs() < (val - g_heads / g_min.clip(lower=1)).abs()
            copies = copies & ~items
        copy_idx = lines.groupby(sig, sort=False).cumcount().where(copies, 0)
        lines = lines.assign(_gid=lines.groupby(["_gid", copy_idx], sort=False).ngroup())
    g = lines.groupby("_gid", sort=False)
    first = g.first()  # first non-null per column; strings are never null here
    out = pd.DataFrame(index=first.index)
    out["books_row"] = g["_line"].min()
    size = g["_line"].size()
    src = lines["_line"].astype(str)
    multi = size[size > 1].index
    joined = pd.Series(out["books_row"].astype(str), index=out.index)
    if len(multi):
        m = lines["_gid"].isin(multi).to_numpy()
        # each document's line numbers in line order, gathered in one pass (a pandas
        # aggregation calls a Python join per group)
        parts: dict[int, list[str]] = {}
        for gid_, line in zip(lines["_gid"].to_numpy()[m].tolist(), src[m].tolist()):
            parts.setdefault(gid_, []).append(line)
        joined.loc[list(parts)] = [",".join(p) for p in parts.values()]
    out["source_rows"] = joined
    for c in ("stin", "doc_kind", "doc_no", "doc_date"):
        out[c] = first[c]
    for c in ("tradenm", "pos", "orig_doc_no"):
        nonblank = lines[c].where(lines[c] != "")
        out[c] = nonblank.groupby(lines["_gid"], sort=False).first().reindex(out.index).fillna("")
    sums = g[list(HEAD_KEYS)].sum()
    firsts = g[list(HEAD_KEYS)].first()
    for c in HEAD_KEYS:
        once = _repeated_total(g, c, size)
        out[c] = (firsts[c] if once else sums[c]).astype("int64")
    heads = sums.sum(axis=1).astype("int64")
    if has_val:
        vsum = g["val"].sum()
        vmin, vmax = g["val"].min(), g["val"].max()
        # a value repeated on every line of a split document is the document's value once
        once = (size > 1) & (vmin == vmax) & ((vmin - heads).abs() < (vsum - heads).abs())
        out["val"] = vsum.where(~once, vmin).astype("int64")
    else:
        out["val"] = heads
    # notes are often typed as negative amounts; the IMS shows them positive
    neg = (out["txval"] + out["val"]) < 0
    if not has_kind and len(out) >= 2 and neg.all():
        raise RegisterError(
            f"{where}: every document is negative and there is no document type column, so "
            "every one would be read as a credit note. If the register prints purchases as "
            "negative amounts, map its document or voucher type column with --map "
            "\"doc_type=<header>\" (or \"voucher_type=<header>\").")
    if neg.any():
        for c in _AMOUNTS:
            out[c] = out[c].where(~neg, -out[c])
        if not has_kind:
            out["doc_kind"] = out["doc_kind"].where(~neg, "credit_note")
            warnings.append(f"{where}: {int(neg.sum())} document(s) with negative amounts were "
                            "read as credit notes (there is no document type column)")
    out = out.sort_values("books_row", kind="stable").reset_index(drop=True)
    out["books_row"] = out["books_row"].astype("int64")
    out["doc_date"] = out["doc_date"].astype("datetime64[ns]")
    for c in ("source_rows", "stin", "tradenm", "doc_kind", "doc_no", "pos", "orig_doc_no"):
        out[c] = out[c].astype(object)
    return out[list(BOOKS_COLUMNS)]


def _repeated_total(g, c: str, size: pd.Series) -> bool:
    """True when column ``c`` repeats the document's total on each of its item lines (Zoho
    Books' bill export repeats SubTotal and Total on every line): it is the same on every
    line of every document of several lines, while another amount varies within one."""
    multi = size[size > 1].index
    if len(multi) < 2:
        return False
    lo, hi = g[c].min().loc[multi], g[c].max().loc[multi]
    if not (lo == hi).all() or not (lo != 0).any():
        return False
    others = [o for o in HEAD_KEYS if o != c]
    omin, omax = g[others].min().loc[multi], g[others].max().loc[multi]
    return bool((omin != omax).any().any())


def _empty_books() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in BOOKS_COLUMNS})
    df["books_row"] = df["books_row"].astype("int64")
    df["doc_date"] = df["doc_date"].astype("datetime64[ns]")
    for c in _AMOUNTS:
        df[c] = df[c].astype("int64")
    return df
