"""Benchmark (not a test): import -> validate -> export on generated IMS data.

Each step runs in a fresh Python process, as the accountant would run it, and reports its
wall time and peak memory (max resident set size). Usage:

    python bench/bench_roundtrip.py --records 100000 [--seed 1] [--keep DIR]

The figures in README.md ("Speed and memory") come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAPPER = ("import resource, sys; from ims_xl.cli import main; rc = main(sys.argv[1:]); "
           "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
           "sys.exit(rc)")


def step(name: str, args: list[str]) -> dict:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    rss = next((int(l.split()[1]) for l in p.stderr.splitlines() if l.startswith("MAXRSS_KB")), 0)
    if p.returncode not in (0, 1):
        sys.exit(f"{name} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return {"step": name, "seconds": round(wall, 2), "peak_mb": round(rss / 1024), "exit": p.returncode}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the files in this folder")
    ap.add_argument("--main-job", action="store_true",
                    help="also time `ims-xl run --books --apply-suggestions` (reconcile, a non-empty upload)")
    a = ap.parse_args()
    d = a.keep or Path(tempfile.mkdtemp(prefix="ims-xl-bench-"))
    d.mkdir(parents=True, exist_ok=True)
    ims, review, upload = d / "ims_download.json", d / "review.xlsx", d / "upload.json"
    from ims_xl.samples.download import generate_download, write_download
    t = time.perf_counter()
    write_download(ims, generate_download(records=a.records, seed=a.seed))
    gen = time.perf_counter() - t
    for f in (review, upload):
        if f.exists():
            f.unlink()
    results = [
        step("import", ["import", str(ims), "--out", str(review)]),
        step("validate", ["validate", str(review)]),
        step("export", ["export", str(review), "--out", str(upload)]),
    ]
    if a.main_job:
        from ims_xl.samples.register import generate_register, write_register_csv
        grid, _ = generate_register(json.loads(ims.read_text(encoding="utf-8")), a.seed)
        write_register_csv(d / "register.csv", grid)
        main_job = step("run", ["run", str(ims), "--books", str(d / "register.csv"), "--out-dir",
                                str(d / "job"), "--apply-suggestions"])
        ups = sorted((d / "job").glob("upload*.json"))  # split above 4 MB: upload_1.json, ...
        n = sum(len(v) for u in ups for v in json.loads(u.read_text(encoding="utf-8"))["invdata"].values())
    total = sum(r["seconds"] for r in results)
    peak = max(r["peak_mb"] for r in results)
    print(f"ims-xl round trip, {a.records:,} records (seed {a.seed}); "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores")
    print(f"  generated download: {ims.stat().st_size / 1e6:.1f} MB in {gen:.1f} s (not counted)")
    for r in results:
        print(f"  {r['step']:<9} {r['seconds']:>7.2f} s   peak {r['peak_mb']:>5} MB   exit {r['exit']}")
    print(f"  total     {total:>7.2f} s   peak {peak:>5} MB   workbook {review.stat().st_size / 1e6:.1f} MB")
    if a.main_job:
        print(f"  run (import, reconcile, apply suggestions, validate, export {n:,} changed records in {len(ups)} file(s)): "
              f"{main_job['seconds']:.2f} s, peak {main_job['peak_mb']} MB, exit {main_job['exit']}")
    print(json.dumps({"records": a.records, "total_seconds": round(total, 2), "peak_mb": peak,
                      "steps": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
