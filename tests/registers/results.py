"""Reading what a reconcile wrote, for the register tests: matches.csv rows, the IMS records'
statuses and the books-only rows (the plain twin's are compared with each layout's)."""

from __future__ import annotations

import csv
from pathlib import Path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def matches(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def ims_statuses(rows: list[dict[str, str]]) -> dict[tuple, str]:
    return {(r["section"], r["stin"], r["doc_no"], r["doc_date"]): r["status"]
            for r in rows if r["section"]}


def books_only(rows: list[dict[str, str]]) -> list[tuple]:
    return sorted((r["stin"], r["doc_no"], r["doc_date"], r["status"]) for r in rows if not r["section"])
