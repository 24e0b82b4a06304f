"""The accountant's own columns on a sheet ims-xl rebuilds (README "Limits, stated plainly").

The report sheets (``Missing in IMS``, ``Suppliers``, ``Ageing``, the GSTR-2B and GSTR-3B
workings) are made afresh by reconcile, import and the GSTR-2B check. An accountant adds
columns to them ("Chased on", "Reply"), and those cells are typed work: rebuilt without
them, they would be lost. A column whose header is none of the new sheet's is carried onto
the new sheet, beside the row of the same document (or supplier), found by the key columns
of :data:`KEYS`; a row whose document is no longer on the sheet keeps its cells on the sheet
``<name> your columns``, with its key, so nothing typed is dropped.

Pure: grids in, grids out.
"""

from __future__ import annotations

from .inputs import cell_text, is_blank
from .layout import AGEING_SHEET, MISSING_SHEET, SUPPLIERS_SHEET

#: The columns that name a row's document (or supplier) on each report sheet; a sheet not
#: listed keeps the typed cells on its "your columns" sheet only, beside its first columns.
KEYS: dict[str, tuple[str, ...]] = {
    MISSING_SHEET: ("GSTIN of supplier", "Document type", "Document number", "Document date"),
    SUPPLIERS_SHEET: ("GSTIN of supplier",),
    AGEING_SHEET: ("Item", "GSTIN of supplier", "Document number", "Document date"),
}

SUFFIX = " your columns"


def _keys(grid: list[list[object]], at: list[int]) -> list[tuple]:
    """Each body row's key (the texts of the key columns), a repeated key numbered by
    occurrence so the n-th row of a key meets the n-th row of it on the other sheet."""
    seen: dict[tuple, int] = {}
    out = []
    for row in grid[1:]:
        k = tuple(cell_text(row[j]) if j < len(row) else "" for j in at)
        seen[k] = seen.get(k, 0) + 1
        out.append((*k, seen[k]))
    return out


def keep_your_columns(name: str, old: list[list[object]] | None, new: list[list[object]]
                      ) -> tuple[list[list[object]], list[list[object]] | None, str | None]:
    """(``new`` with the typed columns of ``old`` carried beside their rows, the rows whose
    typed cells found no row on ``new`` as the "your columns" grid or None, the message or
    None). A typed column is one whose header is not among ``new``'s headers and which holds
    a header or any cell."""
    if not old or not new:
        return new, None, None
    head_new = [cell_text(h) for h in new[0]]
    head_old = [cell_text(h) for h in old[0]]
    width = max(len(r) for r in old)
    known = set(head_new)
    typed = [j for j in range(width)
             if (head_old[j] if j < len(head_old) else "") not in known
             and not all(is_blank(r[j]) if j < len(r) else True for r in old)]
    if not typed:
        return new, None, None
    labels = [head_old[j] if j < len(head_old) and head_old[j] else f"Column {j + 1}" for j in typed]
    keys = KEYS.get(name, ())
    if keys and all(k in head_old and k in head_new for k in keys):
        old_at, new_at = [head_old.index(k) for k in keys], [head_new.index(k) for k in keys]
    else:  # no key to carry by: every typed cell goes beside the sheet's first columns
        keys = tuple(h for h in head_old[:3] if h and h in known) or ()
        old_at, new_at = [head_old.index(k) for k in keys], []
    cells = {}
    for k, row in zip(_keys(old, old_at), old[1:]):
        vals = [row[j] if j < len(row) else None for j in typed]
        if any(not is_blank(v) for v in vals):
            cells[k] = vals
    used = set()
    if new_at:
        out = [list(new[0]) + [None] * (len(head_new) - len(new[0])) + labels]
        for k, row in zip(_keys(new, new_at), new[1:]):
            vals = cells.get(k)
            if vals is not None:
                used.add(k)
            out.append(list(row) + [None] * (len(head_new) - len(row)) + (vals or [None] * len(typed)))
    else:
        out = new
    left = [[*k[:-1], *v] for k, v in cells.items() if k not in used]
    rest = [list(keys) + labels, *left] if left else None
    msg = (f"Sheet '{name}': your column(s) {', '.join(map(repr, labels))} "
           + ("kept beside their rows" if new_at else "are not ims-xl's")
           + (f"; the cells of {len(left):,} row(s) no longer on it are on sheet '{name}{SUFFIX}'" if left else ""))
    return out, rest, msg
