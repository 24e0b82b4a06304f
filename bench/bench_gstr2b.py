"""Benchmark the GSTR-2B check: reading the 2B JSON, the three-way status and Table 4.

For each size N: a sample download of N records (``samples.download``), the GSTR-2B the portal
would generate from it (``samples.gstr2b``: N documents plus 5 % reverse-charge, ISD and import
documents), and a review book built from the download. A fresh Python process then times

* ``read``: ``load_gstr2b`` on the JSON file (exact decimals, one row per document);
* ``check``: ``review.month_end.three_way`` + ``table4`` (every IMS record looked up, checked
  and traced to its Table 4 row on each basis);
* ``sheets``: the GSTR-2B and GSTR-3B ITC sheet grids;

and reports wall and CPU seconds and the peak resident memory of that process (inputs
included). The workbook I/O around them is the same as every command's (README, "Speed and
memory").

Usage::

    python bench/bench_gstr2b.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from decimal import Decimal
from ims_xl.formats.gstr2b import load_gstr2b
from ims_xl.formats.ims_json import parse_download
from ims_xl.review.book import new_book
from ims_xl.review.month_end import gstr2b_grid, gstr3b_grid, table4, three_way
work = sys.argv[1]
book = new_book(parse_download(json.load(open(work + "/ims.json"), parse_float=Decimal), "ims.json"))
out = {}
def step(name, fn):
    t, c = time.perf_counter(), time.process_time()
    r = fn()
    out[name] = (time.perf_counter() - t, time.process_time() - c)
    return r
g = step("read", lambda: load_gstr2b(work + "/gstr2b.json"))
recs = step("check", lambda: three_way(book.rows, g.docs, book.log, g.generated_date, None))
table = table4(recs, g.summary)
step("sheets", lambda: (gstr2b_grid(recs, {}), gstr3b_grid(table, {})))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"steps": out, "docs": len(g.docs), "records": len(book.rows), "rss_mb": rss}))
"""


def run(n: int, seed: int) -> dict:
    from ims_xl.samples.download import generate_download, write_download
    from ims_xl.samples.gstr2b import gstr2b_from_download
    with tempfile.TemporaryDirectory() as d:
        data = generate_download(n, seed)
        write_download(Path(d) / "ims.json", data)
        write_download(Path(d) / "gstr2b.json", gstr2b_from_download(data, seed))
        res = subprocess.run([sys.executable, "-c", CHILD, d], capture_output=True, text=True, cwd=ROOT,
                             check=True)
        return json.loads(res.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print("| IMS records | 2B documents | read 2B (s) | three-way + Table 4 (s) | sheets (s) | total (s) | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(x) for x in a.sizes.split(",")):
        r = run(n, a.seed)
        s = r["steps"]
        total = sum(v[0] for v in s.values())
        print(f"| {r['records']:,} | {r['docs']:,} | {s['read'][0]:.2f} | {s['check'][0]:.2f} | "
              f"{s['sheets'][0]:.2f} | {total:.2f} | {r['rss_mb']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
