"""Benchmark (not a test): each command's CPU time beside its floor, at several sizes.

The *floor* of a step is the cost of its own reads and writes, measured in the same run on
the same machine: parsing its inputs (``json.loads`` of the download, python-calamine's read
of the workbook's sheets, ``pandas.read_csv`` of the register), putting them in frames, and
writing the same cells the step writes with the plainest writer there is (inline strings and
numbers, no styles, no dropdowns, no colours, deflate at ims-xl's level), plus the JSON or CSV
it writes. A step within 2x its floor spends no more on checks, matching and the workbook's
styles than the reading and writing themselves cost. ``run again`` is the month's job run a
second time on its own folder (the download re-imported into the workbook the first run
wrote, the register read again): its floor also reads that workbook. Every step and every floor runs in a
fresh process, as the accountant runs it, a step and its floor in turn; CPU seconds (user +
system, min of ``--repeat``; a floor's loading of the cells it writes left out, and its
collector set as ims-xl's is: :func:`floor_job`), peak memory (the process's peak resident
set, VmHWM, max of the repeats), the *paired* ratio (the median, over the repeats, of a
step's CPU over its floor's in the run just after it: a machine whose speed drifts over
minutes moves it less than the ratio of the two minima), and the step's wall-clock
seconds (min of the repeats: the time the accountant waits, less than its CPU where a
helper thread deflates the workbook written or parses the next sheet of the one read). Usage:

    python bench/bench_steps.py --sizes 10000,100000,300000 [--repeat 3] [--seed 1] [--zip-levels] [--steps run,export]

The table in README.md ("Speed and memory") comes from this script. To time older code, run
this script from that code's folder with it on ``PYTHONPATH``: each step runs as ``python -c``,
which puts the working folder first on the module path.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: The process's own peak: VmHWM (Linux; set afresh at exec) rather than ru_maxrss, which a
#: child started by this (large) process inherits from it at fork time.
PEAK = ("def _peak():\n"
        " try:\n"
        "  return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        " except (OSError, StopIteration):\n"
        "  import resource; return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n")
CLI = (PEAK + "import sys; from ims_xl.cli import main; rc = main(sys.argv[1:]); "
       "print('MAXRSS_KB', _peak(), file=sys.stderr); sys.exit(rc)")
FLOOR = (PEAK + "import sys; sys.path.insert(0, sys.argv[1]); import bench_steps; "
         "bench_steps.floor_job(sys.argv[2]); print('MAXRSS_KB', _peak(), file=sys.stderr)")
HERE = Path(__file__).resolve().parent


#: The environment of every timed process: Python's bytecode cache allowed, as on an
#: accountant's machine (pip compiles an installed package; a machine that sets
#: PYTHONDONTWRITEBYTECODE, as this project's CI machine does, would otherwise compile
#: ims-xl's 61 modules from source in every step, some 0.15 s, and fewer in the floor).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _timed(argv: list[str], prepare=None) -> tuple[float, int, float]:
    """(CPU seconds, peak MB, wall seconds) of one fresh process."""
    import time
    if prepare:
        prepare()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", *argv], capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit(f"{argv[:3]} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    rss = next((int(l.split()[1]) for l in p.stderr.splitlines() if l.startswith("MAXRSS_KB")), 0)
    # a floor's own setup (loading the cells it is to write) is not part of the floor
    setup = next((float(l.split()[1]) for l in p.stderr.splitlines() if l.startswith("SETUP_CPU")), 0.0)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) - setup
    return cpu, round(rss / 1024), wall


# ---------------------------------------------------------------- the floor


def _xml_text(v: str) -> str:
    if "&" in v or "<" in v or ">" in v:
        v = v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return v


def plain_xlsx(path: str, sheets: dict[str, list[list]], level: int) -> None:
    """The plainest .xlsx of these cells: inline strings and numbers, nothing else."""
    import zipfile
    from ims_xl.model import col_letter
    names = list(sheets)
    ct = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                 'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, len(names) + 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                   'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   f'officedocument.spreadsheetml.sheet.main+xml"/>{ct}</Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
                   'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships"><sheets>' + "".join(
                       f'<sheet name="{_xml_text(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(
                       f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
                   + "</Relationships>")
        for i, n in enumerate(names, 1):
            with z.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
                        b'org/spreadsheetml/2006/main"><sheetData>')
                grid = sheets[n]
                width = max((len(r) for r in grid), default=0)
                letters = [col_letter(j) for j in range(width)]
                for a in range(0, len(grid), 20000):
                    f.write("".join(
                        f'<row r="{r}">' + "".join(
                            (f'<c r="{letters[j]}{r}" t="inlineStr"><is><t>{_xml_text(v)}</t></is></c>'
                             if type(v) is str else f'<c r="{letters[j]}{r}"><v>{v!r}</v></c>')
                            for j, v in enumerate(row) if v is not None and v != "") + "</row>"
                        for r, row in enumerate(grid[a:a + 20000], start=a + 1)).encode("utf-8"))
                f.write(b"</sheetData></worksheet>")


def floor_job(spec_path: str) -> None:
    """Run one floor: its reads, frames and writes, as the spec (a pickle) lists them.

    The floor runs under the garbage-collector settings ims-xl's commands run under
    (``ims_xl.bulk``), and loading the spec (the cells to write: some 150 MB of pickle for
    ``run`` at 100,000 records, 1-2 s) is setup, reported as ``SETUP_CPU`` and left out of
    the floor's time, as the step's own computing of those cells is not a read or a write."""
    import csv
    import gc
    import time
    import pandas as pd
    from python_calamine import CalamineWorkbook
    from ims_xl.bulk import THRESHOLDS
    gc.set_threshold(*THRESHOLDS)
    t = time.process_time()
    spec = pickle.loads(Path(spec_path).read_bytes())
    print(f"SETUP_CPU {time.process_time() - t:.4f}", file=sys.stderr)
    frames = []
    for kind, path, sheets in spec["reads"]:
        if kind == "json":
            data = json.loads(Path(path).read_bytes())
            for sec, docs in data["imsDetails"].items():
                if isinstance(docs, list) and docs:
                    frames.append(pd.DataFrame.from_records(docs))
        elif kind == "csv":
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        else:
            wb = CalamineWorkbook.from_path(path)
            for name in sheets or wb.sheet_names:
                grid = wb.get_sheet_by_name(name).to_python()
                if len(grid) > 1:
                    frames.append(pd.DataFrame(grid[1:]))
    for kind, path, content in spec["writes"]:
        tmp = path + ".floor"
        if kind == "xlsx":
            plain_xlsx(tmp, content, spec["level"])
        elif kind == "json":
            Path(tmp).write_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        else:
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                csv.writer(f).writerows(content)
        os.unlink(tmp)


def _cells(path: Path) -> dict[str, list[list]]:
    """Every sheet's values, as the plain writer takes them (dates as serial numbers)."""
    from datetime import date, datetime
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    base = datetime(1899, 12, 30)
    for name in wb.sheet_names:
        grid = wb.get_sheet_by_name(name).to_python()
        out[name] = [[(((v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)) - base).days
                       if isinstance(v, date) else v) for v in row] for row in grid]
    return out


# ---------------------------------------------------------------- the steps


def run_size(n: int, seed: int, repeat: int, d: Path, only: set[str] | None = None) -> list[dict]:
    from ims_xl.files.sheetxml import ZIP_LEVEL
    from ims_xl.samples.download import generate_download, write_download
    from ims_xl.samples.register import generate_register, write_register_csv
    ims, reg = d / "ims.json", d / "register.csv"
    write_download(ims, generate_download(records=n, seed=seed))
    write_register_csv(reg, generate_register(json.loads(ims.read_text(encoding="utf-8")), seed)[0])
    review, work, out = d / "review.xlsx", d / "work.xlsx", d / "out.xlsx"
    job, job0 = d / "job", d / "job0"

    def fresh_out() -> None:
        for f in d.glob("out*.xlsx"):
            f.unlink()

    def fresh_work() -> None:
        shutil.copyfile(review, work)
        for f in d.glob("work.*.bak*"):
            f.unlink()

    def fresh_job() -> None:
        shutil.rmtree(job, ignore_errors=True)

    def worked_job() -> None:  # the folder as the month's first run left it
        shutil.rmtree(job, ignore_errors=True)
        shutil.copytree(job0, job)

    subprocess.run([sys.executable, "-m", "ims_xl", "import", str(ims), "--out", str(review)], check=True,
                   capture_output=True, env=ENV)  # (also fills the bytecode cache before any timed run)

    def run_into(folder: Path) -> list[str]:
        return ["run", str(ims), "--books", str(reg), "--out-dir", str(folder), "--apply-suggestions"]

    typed, typed_work = d / "typed.xlsx", d / "typed_work.xlsx"
    if not only or "export" in only:  # the review after the accountant typed actions in Excel
        type_actions(review, typed)

    def fresh_typed() -> None:
        shutil.copyfile(typed, typed_work)
        for f in d.glob("typed_work.*.bak*"):
            f.unlink()

    if not only or "run" in only:  # the month's first run, which the run again starts from
        subprocess.run([sys.executable, "-m", "ims_xl", *run_into(job0)], check=True, capture_output=True, env=ENV)
    steps = [
        ("import", ["import", str(ims), "--out", str(out)], fresh_out),
        ("validate", ["validate", str(work)], fresh_work),
        ("export", ["export", str(review), "--out", str(d / "upload.json")], None),
        # the usual export: actions typed in Excel since ims-xl last wrote the workbook are
        # logged, and the workbook is written back with its Log
        ("export typed", ["export", str(typed_work), "--out", str(d / "upload.json")], fresh_typed),
        ("reconcile", ["reconcile", str(work), "--books", str(reg)], fresh_work),
        ("run --apply-suggestions", run_into(job), fresh_job),
        # the month's job run again on its own folder: the download re-imported into the
        # workbook the first run wrote, keeping its work, the register read again
        ("run again (re-import)", run_into(job), worked_job),
    ]
    rows = []
    for name, args, prep in steps:
        if only and name.split()[0] not in only and name not in only:
            continue
        cpu, mb, wall = _timed([CLI, *args], prep)  # first run: its output gives the floor its cells
        # what the step wrote, to give the floor the same cells (not timed)
        if name == "import":
            spec = {"reads": [("json", str(ims), None)], "writes": [("xlsx", str(out), _cells(out))]}
        elif name == "validate":
            spec = {"reads": [("xlsx", str(review), None)], "writes": [("xlsx", str(work), _cells(work))]}
        elif name == "export":
            ups = sorted(d.glob("upload*.json"))
            spec = {"reads": [("xlsx", str(review), _export_sheets(review))],
                    "writes": [("json", str(u), json.loads(u.read_text(encoding="utf-8"))) for u in ups]}
        elif name == "export typed":
            ups = sorted(d.glob("upload*.json"))
            spec = {"reads": [("xlsx", str(typed), None)],
                    "writes": [("json", str(u), json.loads(u.read_text(encoding="utf-8"))) for u in ups]
                    + [("xlsx", str(typed_work), _cells(typed_work))]}
        elif name == "reconcile":
            spec = {"reads": [("xlsx", str(review), None), ("csv", str(reg), None)],
                    "writes": [("xlsx", str(work), _cells(work))]}
        else:
            import csv
            ups = sorted(job.glob("upload*.json"))
            with open(job / "matches.csv", encoding="utf-8", newline="") as f:
                matches = list(csv.reader(f))
            again = [("xlsx", str(job0 / "review.xlsx"), None)] if name.startswith("run again") else []
            spec = {"reads": [("json", str(ims), None), ("csv", str(reg), None), *again],
                    "writes": [("xlsx", str(job / "review.xlsx"), _cells(job / "review.xlsx")),
                               ("csv", str(job / "matches.csv"), matches)]
                    + [("json", str(u), json.loads(u.read_text(encoding="utf-8"))) for u in ups]}
        spec_file = d / "floor_spec.pkl"
        spec_file.write_bytes(pickle.dumps({**spec, "level": ZIP_LEVEL}))
        fcpu, fmb, _ = _timed([FLOOR, str(HERE), str(spec_file)])
        pairs = [cpu / fcpu]
        for _ in range(repeat - 1):  # step and floor in turn: a machine whose speed drifts
            c, m, w = _timed([CLI, *args], prep)  # (shared, throttled) drifts for both alike
            fc, fm, _ = _timed([FLOOR, str(HERE), str(spec_file)])
            pairs.append(c / fc)
            cpu, mb, wall, fcpu, fmb = min(cpu, c), max(mb, m), min(wall, w), min(fcpu, fc), max(fmb, fm)
        # paired: the median ratio of a step's run to its floor's run just after it, which a
        # drift of the machine's speed over minutes moves less than the ratio of the minima
        paired = statistics.median(pairs)
        # wall: what the accountant waits (helper threads deflate and parse beside the step)
        rows.append({"records": n, "step": name, "cpu_s": round(cpu, 2), "floor_s": round(fcpu, 2),
                     "ratio": round(cpu / fcpu, 2), "paired_ratio": round(paired, 2), "wall_s": round(wall, 2),
                     "peak_mb": mb, "floor_peak_mb": fmb})
        print(f"  {n:>7,}  {name:<24} {cpu:7.2f} s  floor {fcpu:6.2f} s  {cpu / fcpu:4.2f}x  paired {paired:4.2f}x  "
              f"wall {wall:6.2f} s  peak {mb:>5} MB (floor {fmb} MB)", flush=True)
    return rows


def type_actions(review: Path, out: Path, share: float = 0.3, seed: int = 7) -> None:
    """``review`` as the accountant leaves it after typing an action on ``share`` of its
    invoices in Excel (Accept, Reject, or Pending where the portal allows it; not yet logged;
    notes and amendments, whose Accept needs the ITC-reduction answer, left as they are)."""
    import random
    from dataclasses import replace
    from ims_xl.files.xlsx import read_review, write_review
    book = read_review(review)
    rows = book.rows.copy()
    rnd = random.Random(seed)
    texts = rows["action_text"].to_numpy(dtype=object).copy()
    for i in range(len(rows)):
        if rows["section"].iat[i] == "b2b" and rnd.random() < share:
            texts[i] = rnd.choice(["Accept", "Reject"] if rows["pend_blocked"].iat[i] else ["Accept", "Reject", "Pending"])
    rows["action_text"] = texts
    write_review(replace(book, rows=rows), out)


def _export_sheets(path: Path) -> list[str]:
    """The sheets export needs: sections, Summary, Log and the hidden ones (not Books or reports)."""
    from python_calamine import CalamineWorkbook
    from ims_xl.review.layout import BOOKS_SHEET, README_SHEET, REPORT_SHEETS
    skip = {BOOKS_SHEET, README_SHEET, *REPORT_SHEETS}
    return [n for n in CalamineWorkbook.from_path(str(path)).sheet_names if n not in skip]


def zip_levels(d: Path) -> None:
    """Deflate levels on the sheets of the largest review workbook written."""
    import time
    import zipfile
    import zlib
    with zipfile.ZipFile(d / "review.xlsx") as z:
        data = b"".join(z.read(i.filename) for i in z.infolist())
    print(f"  deflate levels on {len(data) / 1e6:.0f} MB of workbook XML:")
    for level in (1, 2, 3, 6, 9):
        t = time.process_time()
        c = zlib.compressobj(level, zlib.DEFLATED, -15)
        size = len(c.compress(data) + c.flush())
        print(f"    level {level}: {time.process_time() - t:5.2f} s CPU, {size / 1e6:5.1f} MB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--zip-levels", action="store_true", help="also time deflate levels on the largest workbook")
    ap.add_argument("--steps", default="", help="only these steps, e.g. run,export (default: all)")
    a = ap.parse_args()
    print(f"ims-xl steps against their floors (seed {a.seed}, min of {a.repeat}); "
          f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores", flush=True)
    rows: list[dict] = []
    for n in (int(s) for s in a.sizes.split(",")):
        d = Path(tempfile.mkdtemp(prefix=f"ims-xl-steps-{n}-"))
        try:
            rows += run_size(n, a.seed, a.repeat, d, {x.strip() for x in a.steps.split(",") if x.strip()})
            if a.zip_levels and n == max(int(s) for s in a.sizes.split(",")):
                zip_levels(d)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
