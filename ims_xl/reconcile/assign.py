"""One-to-one assignment of candidates (score, then gaps, then values, never positions)
and the duplicates among what is left."""

from __future__ import annotations

import numpy as np
import pandas as pd
from .base import _NO_DAY
from .numbers import years_apart


# --------------------------------------------------------------------------- assignment


def _assign(c: pd.DataFrame, I: pd.DataFrame, B: pd.DataFrame) -> pd.DataFrame:
    """One-to-one greedy assignment by (score desc, gap, |date gap|, ref, books_row).

    Computed as rounds of mutually-best pairs: with a strict total order this selects
    exactly the pairs of the sequential greedy, without a Python loop over candidates.
    """
    if c.empty:
        return c
    # numbers carrying two different financial-year tokens (INV/24-25/001, INV/25-26/001)
    # share a key but are two documents: never one pair (numbers restart every year)
    c = c[~years_apart(I["fy"].to_numpy()[c["i"].to_numpy()], B["fy"].to_numpy()[c["b"].to_numpy()])]
    if c.empty:
        return c
    c = c.assign(_ref=I["ref"].to_numpy()[c["i"].to_numpy()],
                 _row=B["books_row"].to_numpy()[c["b"].to_numpy()],
                 _add=np.abs(c["dd"].to_numpy()))
    c = c.sort_values(["score", "gap", "_add", "_ref", "_row"],
                      ascending=[False, True, True, True, True], kind="stable")
    c = c.reset_index(drop=True)
    ii = c["i"].to_numpy()
    bb = c["b"].to_numpy()
    alive = np.ones(len(c), dtype=bool)
    chosen: list[np.ndarray] = []
    for _ in range(64):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        ai, ab = ii[idx], bb[idx]
        _, fi = np.unique(ai, return_index=True)
        _, fb = np.unique(ab, return_index=True)
        mutual = np.intersect1d(idx[fi], idx[fb], assume_unique=True)
        chosen.append(mutual)
        alive[idx[np.isin(ai, ii[mutual]) | np.isin(ab, bb[mutual])]] = False
    else:  # long chains of near-equal candidates: finish the rest sequentially
        used_i: set[int] = set()
        used_b: set[int] = set()
        rest = []
        for k in np.flatnonzero(alive).tolist():
            if ii[k] not in used_i and bb[k] not in used_b:
                used_i.add(ii[k])
                used_b.add(bb[k])
                rest.append(k)
        chosen.append(np.asarray(rest, dtype=np.int64))
    take = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    return c.iloc[take].drop(columns=["_ref", "_row", "_add"]).reset_index(drop=True)


def _dup_order(frame: pd.DataFrame, key_cols: list[str], order_col: str) -> tuple[np.ndarray, np.ndarray]:
    """The rows :func:`_duplicates` looks at (those with a number), grouped by ``key_cols``
    and within a group ordered by date (unknown last), ``order_col`` and position; with the
    group of each (0, 1, ... in that order). The key columns are integers. The same for
    every call on one frame: sorted once, not grouped again at each call (4 calls took
    0.14 s at 100,000 records, now 0.06 s)."""
    rows = np.flatnonzero(frame["norm"].to_numpy() != "")
    day = frame["day"].to_numpy()[rows]
    day_k = np.where(day == _NO_DAY, np.iinfo(np.int64).max, day)
    # one code per distinct key tuple (pairs of codes < n*n fit int64): sorting on it alone
    # is cheaper than on six columns
    group = np.zeros(len(rows), dtype=np.int64)
    for c in key_cols:
        codes, uniques = pd.factorize(frame[c].to_numpy()[rows])
        group = pd.factorize(group * len(uniques) + codes)[0]
    o = np.lexsort((frame[order_col].to_numpy()[rows], day_k, group))  # stable: position last
    return rows[o], np.cumsum(_starts(group[o])) - 1


def _starts(a: np.ndarray) -> np.ndarray:
    """Where a run of equal values of ``a`` starts."""
    out = np.ones(len(a), dtype=bool)
    out[1:] = a[1:] != a[:-1]
    return out


def _duplicates(frame: pd.DataFrame, paired: np.ndarray, key_cols: list[str],
                order_col: str, order: tuple[np.ndarray, np.ndarray] | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Rows that repeat another row's document (same keys), not paired themselves.

    Returns (is_duplicate mask, position of the row it repeats). The row kept as the
    original in each group is a paired one when there is one, else the earliest by date
    then ``order_col``. ``order`` is :func:`_dup_order` of the frame, when already made.
    """
    n = len(frame)
    dup = np.zeros(n, dtype=bool)
    primary = np.full(n, -1, dtype=np.int64)
    rows, gid = order if order is not None else _dup_order(frame, key_cols, order_col)
    if not len(rows):
        return dup, primary
    # a group's original: its first paired row (paired rows come first), else its first row
    unpaired = ~paired[rows]
    first = np.flatnonzero(_starts(gid))  # group g starts at first[g]
    at = np.flatnonzero(~unpaired)
    lead = _starts(gid[at])
    first[gid[at][lead]] = at[lead]
    orig = first[gid]
    is_dup = unpaired & (orig != np.arange(len(rows)))
    dup[rows[is_dup]] = True
    primary[rows[is_dup]] = rows[orig[is_dup]]
    return dup, primary
