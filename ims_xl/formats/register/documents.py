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


#: A document number that may be the books' own sequence number.
_SEQUENCE = re.compile(r"[0-9]{1,9}")


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
    # tested number by number, stopping at the first that is not all digits (in most
    # registers one of the first): 0.03 s less than a pandas pass over 100,000 numbers
    if (len(books) >= 10 and all(map(_SEQUENCE.fullmatch, map(str, books["doc_no"].tolist())))
            and books["stin"].nunique() >= 3):
        nums = books["doc_no"].astype(str)
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
        # a document of one line holds no copies: only the lines of documents of several are
        # compared (an eighth of a 100,000-line register's), grouped once for both uses
        in_several = np.bincount(gid)[gid] > 1
        sub = lines.loc[in_several]
        by_sig = sub.groupby(sig, sort=False)
        sig_n = by_sig["_line"].transform("size")
        g_min = sig_n.groupby(sub["_gid"]).transform("min")
        g_max = sig_n.groupby(sub["_gid"]).transform("max")
        copies = (g_min == g_max) & (g_min >= 2)
        if has_val and copies.any():
            # identical item lines under a value that adds them all up (Zoho's bill total on
            # every line) are one document's items, not k bookings of one invoice
            heads = sub[list(HEAD_KEYS)].sum(axis=1)
            g_heads = heads.groupby(sub["_gid"]).transform("sum")
            val = sub["val"]
            items = (val - g_heads).abs() < (val - g_heads / g_min.clip(lower=1)).abs()
            copies = copies & ~items
        if copies.any():  # without copies every copy number is 0 and the groups stay as they are
            copy_idx = np.zeros(len(lines), dtype=np.int64)
            copy_idx[in_several] = by_sig.cumcount().where(copies, 0).to_numpy()
            lines = lines.assign(_gid=lines.groupby(["_gid", pd.Series(copy_idx, index=lines.index)],
                                                    sort=False).ngroup())
    # groups are numbered 0, 1, ... in order of their first line (ngroup, sort=False), so a
    # line is its group's first when its number exceeds every number above it: the first
    # lines' values are each document's keys, number and first amounts, taken by position
    # rather than by pandas aggregations (with the copies compared on documents of several
    # lines only, 0.26 -> 0.13 s on 100,000 lines)
    gid = lines["_gid"].to_numpy()
    top = np.maximum.accumulate(gid)
    firstpos = np.flatnonzero(gid > np.concatenate(([-1], top[:-1])))
    g = lines.groupby("_gid", sort=False)
    out = pd.DataFrame(index=pd.Index(np.arange(len(firstpos), dtype=np.int64), name="_gid"))
    first_line = lines["_line"].to_numpy()[firstpos]
    out["books_row"] = first_line  # lines are in line order: a group's first is its least
    size = pd.Series(np.bincount(gid, minlength=len(firstpos)), index=out.index)
    joined = list(map(str, first_line.tolist()))
    in_several = (size.to_numpy() > 1)[gid]  # the lines of documents of several lines
    if in_several.any():
        # each document's line numbers in line order, gathered in one pass (a pandas
        # aggregation calls a Python join per group)
        parts: dict[int, list[str]] = {}
        for gid_, line in zip(gid[in_several].tolist(),
                              map(str, lines["_line"].to_numpy()[in_several].tolist())):
            parts.setdefault(gid_, []).append(line)
        for gid_, p in parts.items():
            joined[gid_] = ",".join(p)
    out["source_rows"] = joined
    for c in ("stin", "doc_kind", "doc_no", "doc_date"):
        out[c] = lines[c].to_numpy()[firstpos]
    for c in ("tradenm", "pos", "orig_doc_no"):
        # the first non-blank text of each document: its first line's, unless that one is
        # blank on a document of several lines
        values = lines[c].to_numpy()
        texts = values[firstpos]
        redo = np.flatnonzero((texts == "") & (size.to_numpy() > 1))
        if len(redo):
            at = np.flatnonzero(np.isin(gid, redo) & (values != ""))
            found, first_at = np.unique(gid[at], return_index=True)
            texts = texts.copy()
            texts[found] = values[at[first_at]]
        out[c] = texts
    sums = g[list(HEAD_KEYS)].sum()
    firsts = lines[list(HEAD_KEYS)].iloc[firstpos].set_axis(out.index)
    n_several = int((size > 1).sum())
    if n_several >= 2:
        g_several = lines.loc[in_several].groupby("_gid", sort=False)[list(HEAD_KEYS)]
        mins, maxs = g_several.min(), g_several.max()
    for c in HEAD_KEYS:
        once = n_several >= 2 and _repeated_total(mins, maxs, c)
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


def _repeated_total(mins: pd.DataFrame, maxs: pd.DataFrame, c: str) -> bool:
    """True when column ``c`` repeats the document's total on each of its item lines (Zoho
    Books' bill export repeats SubTotal and Total on every line): it is the same on every
    line of every document of several lines, while another amount varies within one.
    ``mins`` and ``maxs`` hold each amount's least and greatest per document of several
    lines (at least two such documents)."""
    lo, hi = mins[c], maxs[c]
    if not (lo == hi).all() or not (lo != 0).any():
        return False
    others = [o for o in HEAD_KEYS if o != c]
    return bool((mins[others] != maxs[others]).any().any())


def _empty_books() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in BOOKS_COLUMNS})
    df["books_row"] = df["books_row"].astype("int64")
    df["doc_date"] = df["doc_date"].astype("datetime64[ns]")
    for c in _AMOUNTS:
        df[c] = df[c].astype("int64")
    return df
