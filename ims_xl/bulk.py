"""Process settings for work on many objects at once, shared by the shells.

Reading a 100,000-record workbook builds millions of lists, dicts and rows that live to the
end of the command. With CPython's default thresholds (700, 10, 10) the cyclic garbage
collector walks them thousands of times: 8-9% of an export, reconcile or run at 100,000
records (README "Speed and memory"). Almost nothing here forms reference cycles that must be
freed early (frames and arrays are freed by reference counting), so collections are made
rarer for the length of a command, then the thresholds found are put back (the Excel shell's
Python process outlives each button).

Pure standard library; no workbook library.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from operator import itemgetter
from typing import Callable, Iterator

#: Young-generation threshold for a command: a collection per 1,000,000 net new containers
#: rather than 700. Measured on ``run --apply-suggestions`` at 100,000 records: 700 cost
#: 2.5 s of GC in a 30 s run, 50,000 cost 0.45 s of 12.4 s (180 collections, which freed
#: 2,215 objects in all: the containers made here are almost never in a reference cycle),
#: 1,000,000 costs 0.05 s; peak memory the same (774 MB) at each.
THRESHOLDS = (1_000_000, 20, 10)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the block with :data:`THRESHOLDS`, restoring the previous thresholds after."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


#: Rows (records, grid rows) :func:`columns` takes at a time: few enough that a chunk's rows
#: are still in the processor's cache when their cells are turned into columns.
AT_ONCE = 5000


def columns(rows: list, width: int, cells: Callable[[object], tuple] | None = None) -> list[list]:
    """The ``width`` columns of ``rows``: each row's cells (``cells(row)``, or the row itself)
    taken together, :data:`AT_ONCE` rows at a time, and a chunk's turned into columns at once.

    A pass per column through 100,000 rows goes through them all again, out of the
    processor's cache: the download's 33 keys of 100,000 records took 0.41 s so, 0.18 s by
    chunks; the upload contract check's columns 0.074 -> 0.043 s; a run's workbook grids
    0.125 -> 0.075 s. Every row must give at least ``width`` cells (``zip`` stops at the
    shortest: the callers pad their rows, or read keys every record holds)."""
    out: list[list] = [[] for _ in range(width)]
    for a in range(0, len(rows), AT_ONCE):
        part = rows[a:a + AT_ONCE]
        for col, got in zip(out, zip(*(part if cells is None else map(cells, part)))):
            col += got
    return out


def picked(rows: list, at: tuple | list) -> list[list]:
    """The cells ``row[k]`` of each key or index ``k`` of ``at`` in every row (each row holds
    them all), a list per key: :func:`columns` of ``itemgetter(*at)``, which gives one cell,
    not a tuple, for a single key."""
    if len(at) < 2:
        return [list(map(itemgetter(k), rows)) for k in at]
    return columns(rows, len(at), itemgetter(*at))
