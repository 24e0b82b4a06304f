"""Run the fuzzers of tests/test_fuzz.py with a larger budget and print the cases per reader.

    python bench/fuzz_report.py [--scale 20] [--seed 1]

``--scale`` multiplies every fuzzer's ``max_examples`` (the test suite runs scale 1, about
5,000 cases in under a minute); ``--seed`` fixes Hypothesis' random seed for a reproducible
run. Prints one line per reader with the cases run, the cases that hit a known product bug
(reproduced by the strict-xfail tests of tests/test_fuzz.py), and pytest's verdict. Exit
status: pytest's (0 when no reader crashed or hung on any case).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READERS = ("IMS JSON reader", "portal error reader", "register reader", "review workbook reader")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=20.0, help="multiplier of every fuzzer's budget (default 20)")
    ap.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default: random)")
    ap.add_argument("--call-seconds", type=float, default=10.0, help="time bound of one reader call")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        counts_file = Path(d) / "counts.json"
        env = {**os.environ, "IMS_XL_FUZZ_SCALE": str(a.scale), "IMS_XL_FUZZ_COUNTS": str(counts_file),
               "IMS_XL_FUZZ_CALL_SECONDS": str(a.call_seconds)}
        cmd = [sys.executable, "-m", "pytest", "tests/test_fuzz.py", "-q", "-p", "no:cacheprovider",
               "-W", "ignore", "-k", "not huge_exponent"]
        if a.seed is not None:
            cmd.append(f"--hypothesis-seed={a.seed}")
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        counts = json.loads(counts_file.read_text()) if counts_file.exists() else {}
    verdict = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "(no output)"
    print(f"ims-xl fuzz report: scale {a.scale:g}, seed {a.seed if a.seed is not None else 'random'}, "
          f"{elapsed:,.0f} s, Python {sys.version.split()[0]}")
    print(f"{'reader':<26}{'cases':>10}{'known-bug hits':>16}")
    total = 0
    for r in READERS:
        n = counts.get(r, 0)
        bugs = sum(v for k, v in counts.items() if k.startswith(r + ": known bug"))
        total += n
        print(f"{r:<26}{n:>10,}{bugs:>16,}")
    print(f"{'total':<26}{total:>10,}")
    for k, v in sorted(counts.items()):
        if ": known bug: " in k:
            print(f"  {k}: {v:,}")
    print(f"pytest: {verdict}")
    if proc.returncode != 0:
        print(proc.stdout[-6000:])
        print(proc.stderr[-2000:], file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
