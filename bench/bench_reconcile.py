"""Benchmark the matcher on a labelled register: precision, recall, status accuracy, time, memory.

For each size N it generates an IMS download of N records (``ims_xl.samples.download``), repeats ~1 % of
them (a supplier reporting a document twice), books them in a purchase register with the
perturbations of ``ims_xl.samples.register`` and writes download, register CSV and ground truth to
a work directory. A fresh Python process then reads them the way the CLI would (JSON with
Decimal amounts, the CSV as a grid of strings), runs ``read_register_grid`` + ``reconcile``
and reports:

* pair precision: of the records given ``Matched`` or ``Matched within tolerance``, the share
  paired with their true register row (target >= 99.9 %);
* recall: of the records that have a register row, the share paired with it under any status
  (target >= 98 %);
* status accuracy per perturbation (expected status: ``sample_books.EXPECTED_STATUS``);
* wall time of reading the register and of reconciling (and their CPU time, which a busy
  machine inflates less), and the peak resident memory of the
  measuring process (``resource.getrusage(...).ru_maxrss``; it includes the inputs).

Usage::

    python bench/bench_reconcile.py --sizes 10000,100000,300000 [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _maxrss_mb() -> float:
    # Linux reports kilobytes, macOS bytes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def prepare(n: int, seed: int, work: Path) -> dict:
    """Generate download + register + truth for ``n`` records into ``work``."""
    from ims_xl.samples.download import generate_download, write_download
    from ims_xl.samples.register import (add_ims_duplicates, generate_register,
                                     write_ground_truth_csv, write_register_csv)

    t = time.perf_counter()
    download = add_ims_duplicates(generate_download(n, seed), seed)
    grid, truth = generate_register(download, seed)
    work.mkdir(parents=True, exist_ok=True)
    write_download(work / "ims.json", download)
    write_register_csv(work / "register.csv", grid)
    write_ground_truth_csv(work / "ground_truth.csv", truth)
    return {"generate_s": round(time.perf_counter() - t, 2)}


def measure(work: Path) -> dict:
    """Read the files, reconcile, evaluate; run in a fresh process for a clean ru_maxrss."""
    import pandas as pd

    from ims_xl.reconcile.matcher import reconcile
    from ims_xl.formats.register import read_register_grid
    from ims_xl.samples.register import EXPECTED_STATUS, ims_frame_from_download

    with open(work / "ims.json", encoding="utf-8") as fh:
        download = json.load(fh, parse_float=Decimal)
    with open(work / "register.csv", newline="", encoding="utf-8") as fh:
        grid = [row for row in csv.reader(fh)]
    ims = ims_frame_from_download(download)
    del download
    rss_inputs = _maxrss_mb()

    c0, t0 = time.process_time(), time.perf_counter()
    reg = read_register_grid(grid, "register.csv")
    t1 = time.perf_counter()
    res = reconcile(ims, reg.books)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    rss_peak = _maxrss_mb()

    truth = pd.read_csv(work / "ground_truth.csv", dtype=str, keep_default_na=False)
    t_ims = truth[truth["section"] != ""].reset_index(drop=True)
    t_books = truth[truth["section"] == ""].reset_index(drop=True)
    if len(t_ims) != len(res.ims):
        raise SystemExit(f"ground truth has {len(t_ims)} IMS rows, result {len(res.ims)}")
    # truth rows follow the download order, which is also ref order (1, 2, ...)
    r = res.ims.sort_values("ref").reset_index(drop=True)
    exp_row = pd.to_numeric(t_ims["books_row"], errors="coerce")
    got_row = r["books_row"].astype("Float64").astype(float)
    same = (got_row == exp_row).to_numpy()
    auto = r["status"].isin(["Matched", "Matched within tolerance"]).to_numpy()
    true_pair = exp_row.notna().to_numpy()
    expected = t_ims["perturbation"].map(EXPECTED_STATUS)
    ok = (r["status"] == expected).to_numpy()
    per = {}
    for p, grp in pd.DataFrame({"p": t_ims["perturbation"], "ok": ok}).groupby("p"):
        per[p] = (int(grp["ok"].sum()), len(grp))
    bstat = res.books.set_index("books_row")["status"]
    for p, grp in t_books.groupby("perturbation"):
        got = bstat.reindex(pd.to_numeric(grp["books_row"]).to_numpy()).to_numpy()
        per[f"books:{p}"] = (int((got == EXPECTED_STATUS[p]).sum()), len(grp))
    wrong = Counter()
    for p, st in zip(t_ims["perturbation"][~ok], r["status"][~ok]):
        wrong[f"{p} -> {st}"] += 1
    return {
        "ims_records": len(ims),
        "register_rows": len(grid),
        "books_documents": len(reg.books),
        "read_s": round(t1 - t0, 2),
        "reconcile_s": round(t2 - t1, 2),
        "total_s": round(t2 - t0, 2),
        "cpu_s": round(cpu, 2),
        "rss_inputs_mb": round(rss_inputs),
        "rss_peak_mb": round(rss_peak),
        "auto_matched": int(auto.sum()),
        "precision": float((same & auto).sum() / max(auto.sum(), 1)),
        "true_pairs": int(true_pair.sum()),
        "recall": float((same & true_pair).sum() / max(true_pair.sum(), 1)),
        "status_accuracy": float(ok.mean()),
        "per_perturbation": per,
        "wrong": dict(wrong.most_common(12)),
        "counts": res.counts(),
    }


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,300000",
                    help="comma-separated numbers of IMS records")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="keep the generated files under this directory")
    ap.add_argument("--json", action="store_true", help="print one JSON object per size")
    ap.add_argument("--_prepare", nargs=3, metavar=("N", "SEED", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--_measure", metavar="DIR", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._prepare:
        print(json.dumps(prepare(int(a._prepare[0]), int(a._prepare[1]), Path(a._prepare[2]))))
        return 0
    if a._measure:
        print(json.dumps(measure(Path(a._measure))))
        return 0

    sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
    base = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="ims-bench-"))
    print(f"# ims-xl reconcile benchmark, seed {a.seed}, {os.cpu_count()} CPU(s), "
          f"python {sys.version.split()[0]}")
    header = (f"{'N':>8} {'books':>8} {'read s':>7} {'match s':>8} {'total s':>8} "
              f"{'cpu s':>6} {'peak MB':>8} {'precision':>10} {'recall':>8} {'status acc':>10}")
    rows = []
    for n in sizes:
        work = base / f"n{n}"
        gen = _child(["--_prepare", str(n), str(a.seed), str(work)])
        m = _child(["--_measure", str(work)])
        m["generate_s"] = gen["generate_s"]
        m["n"] = n
        rows.append(m)
        if a.json:
            print(json.dumps(m))
            continue
        print(header)
        print(f"{m['ims_records']:>8} {m['books_documents']:>8} {m['read_s']:>7.2f} "
              f"{m['reconcile_s']:>8.2f} {m['total_s']:>8.2f} {m['cpu_s']:>6.2f} {m['rss_peak_mb']:>8} "
              f"{m['precision']:>10.4%} {m['recall']:>8.4%} {m['status_accuracy']:>10.4%}")
        print(f"  auto-matched {m['auto_matched']}, true pairs {m['true_pairs']}, "
              f"memory after loading inputs {m['rss_inputs_mb']} MB")
        print("  status accuracy per perturbation:")
        for p, (good, tot) in sorted(m["per_perturbation"].items()):
            print(f"    {p:<28} {good:>7}/{tot:<7} {good / tot:8.2%}")
        if m["wrong"]:
            print("  most frequent wrong statuses:", m["wrong"])
    if not a.keep:
        import shutil
        shutil.rmtree(base, ignore_errors=True)
    worst_p = min(r["precision"] for r in rows)
    worst_r = min(r["recall"] for r in rows)
    print(f"# targets: precision >= 99.9 % (worst {worst_p:.4%}), recall >= 98 % "
          f"(worst {worst_r:.4%})")
    return 0 if worst_p >= 0.999 and worst_r >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
