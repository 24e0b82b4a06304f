"""Benchmark ``ims-xl batch``: a firm's clients in one run.

Makes CLIENTS client folders (default 50) of RECORDS records each (default 1,000): a sample
IMS download and its purchase register (``samples.download``, ``samples.register``), each
client with its own seed and GSTIN; one client's download is cut short (a broken download).
A fresh Python process then runs ``ims_xl.batch.run_batch`` on them and reports

* the wall time of the whole batch, and the mean time per client (wall / clients, and the
  mean of each client's own time in its worker);
* the peak resident memory of that batch process (the parent: discovery, the progress bar,
  the dashboard) and of the largest worker (``getrusage(RUSAGE_CHILDREN)``: the largest child
  waited for; the workers are forked on Linux);
* the results: how many clients were done and that the broken one is reported, with its
  error line, on the dashboard.

Usage::

    python bench/bench_batch.py [--clients 50] [--records 1000] [--jobs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from ims_xl.batch import run_batch
root, jobs = Path(sys.argv[1]), (int(sys.argv[2]) or None)
t = time.perf_counter()
code, results = run_batch(root, jobs=jobs, progress=False)
wall = time.perf_counter() - t
print(json.dumps({
    "code": code, "wall": wall,
    "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "results": [{k: r[k] for k in ("client", "result", "records", "seconds", "errors")} for r in results]}))
"""


def make_clients(root: Path, clients: int, records: int) -> str:
    """The client folders; returns the name of the one with a broken download."""
    from ims_xl.samples.download import generate_download, write_download
    from ims_xl.samples.register import generate_register, write_register_csv
    broken = f"client {clients // 2:03d}"
    for i in range(clients):
        folder = root / f"client {i:03d}"
        folder.mkdir(parents=True)
        data = generate_download(records=records, seed=5000 + i)
        grid, _ = generate_register(data, 5000 + i)
        write_register_csv(folder / "purchase_register.csv", grid)
        write_download(folder / "ims_download.json", data)
        if folder.name == broken:
            p = folder / "ims_download.json"
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    return broken


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=0, help="processes (default: the number of CPUs)")
    ap.add_argument("--keep", help="make the clients in this folder and keep them (default: a temporary one)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(a.keep) if a.keep else Path(tmp) / "clients"
        t = time.perf_counter()
        broken = make_clients(root, a.clients, a.records)
        print(f"made {a.clients} clients of {a.records:,} records in {time.perf_counter() - t:.1f} s "
              f"(broken download: {broken})")
        proc = subprocess.run([sys.executable, "-c", CHILD, str(root), str(a.jobs)], cwd=ROOT,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        res = r["results"]
        done = [x for x in res if x["result"] == "Done"]
        bad = [x for x in res if x["result"] != "Done"]
        from ims_xl.batch import default_jobs
        jobs = a.jobs or default_jobs()
        print(f"batch of {len(res)} clients x {a.records:,} records on {min(jobs, len(res))} process(es): "
              f"wall {r['wall']:.1f} s, {r['wall'] / len(res):.2f} s per client "
              f"(mean time of a client in its worker {sum(x['seconds'] for x in res) / len(res):.2f} s)")
        print(f"peak RSS: batch process {r['parent_rss_mb']:.0f} MB, largest worker {r['child_rss_mb']:.0f} MB")
        print(f"exit code {r['code']}; {len(done)} done; reported: "
              + "; ".join(f"{x['client']}: {x['result']}: {(x['errors'] or [''])[0]}" for x in bad))
        ws = openpyxl.load_workbook(root / "dashboard.xlsx", read_only=True).active
        shown = {row[0]: row for row in ws.iter_rows(min_row=5, max_row=4 + len(res), values_only=True)}
        ok = (len(done) == a.clients - 1 and [x["client"] for x in bad] == [broken]
              and shown[broken][3] == "Input error" and shown[broken][12]
              and all(shown[x["client"]][3] == "Done" for x in done) and r["code"] == 2)
        print(f"dashboard lists {len(shown)} clients; {a.clients - 1} done + 1 reported: "
              f"{'confirmed' if ok else 'NOT CONFIRMED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
