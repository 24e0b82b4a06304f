"""No lost work when the process dies in the middle of a write (README, "Nothing half-written, nothing lost").

A ``python -c`` subprocess writes a 20,000-record review book with ``ims_xl.files.xlsx.write_review``
over a target that already holds a valid (smaller) workbook, and is killed with SIGKILL:
after random delays spread over the write, and at fixed points inside it (XlsxWriter closing
its package, the sheet bodies streaming into the zip, just before and just after the final
rename). Every time, the target must be byte-identical to the previous workbook or be the
complete new one, readable by ``read_review``.

Temporary files. ``atomic.atomic_write`` writes ``.~<stem>-<random>.xlsx`` (and XlsxWriter's
package ``.~<stem>-<random>.xlsx.pkg``) beside the target, and XlsxWriter keeps its
constant-memory row files in the system temp folder. A SIGKILL runs no cleanup, so these may
remain. They never replace or corrupt the target, ``read_review`` reads only the target,
they do not look like Excel's ``~$`` lock file, and their names start with ``.`` (hidden on
macOS and Linux, not on Windows): ``safety.stale_temp_files`` finds them and
``safety.remove_stale_temp_files`` removes those older than an hour (call it from
``atomic_write``). The tests assert that nothing else is left.

POSIX only (SIGKILL). Set ``IMS_XL_FAULT_COUNTS`` to a file to record the faults injected.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ims_xl import actions
from ims_xl.files import safety
from ims_xl.formats.ims_json import load_download
from ims_xl.samples.download import generate_download, write_download
from ims_xl.files.xlsx import read_review, write_review

pytestmark = [pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX"),
              pytest.mark.slow]  # kill tests are the heavy tier (.ci/run runs it)

RECORDS = 20_000
PREVIOUS = 120
FAULTS: list[dict] = []

CHILD = r"""
import os, pickle, signal, sys, threading, time
book_path, target = sys.argv[1], sys.argv[2]
fault = os.environ.get("IMS_XL_FAULT", "")
import ims_xl.files.xlsx as X

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_replace, real_chmod = os.replace, os.chmod
# the faults aim at the workbook's own replace, not the backup copy made just before it
if fault == "before-replace":
    os.replace = lambda a, b: die() if os.fspath(b) == target else real_replace(a, b)
elif fault == "after-replace":
    def _after(a, b):
        real_replace(a, b)
        if os.fspath(b) == target:
            die()
    os.replace = _after
elif fault == "before-chmod":
    os.chmod = lambda *a, **k: die()
elif fault == "rows-streaming":
    real_rows, calls = X.rows_xml, [0]
    def _rows(*a, **k):
        calls[0] += 1
        for chunk in real_rows(*a, **k):
            if calls[0] == 3:  # the third sheet body, while the zip is being written
                die()
            yield chunk
    X.rows_xml = _rows
elif fault == "xlsxwriter-close":
    import xlsxwriter
    real_close = xlsxwriter.Workbook.close
    def _close(self):
        threading.Timer(0.01, die).start()
        real_close(self)
        time.sleep(5)
    xlsxwriter.Workbook.close = _close
with open(book_path, "rb") as f:
    book = pickle.load(f)
print("ready", flush=True)
t = time.perf_counter()
X.write_review(book, target)
print(f"done {time.perf_counter() - t:.3f}", flush=True)
"""


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """(pickled 20,000-record book, bytes of a valid previous workbook, its path)."""
    d = tmp_path_factory.mktemp("crash")
    write_download(d / "big.json", generate_download(records=RECORDS, seed=21))
    big = actions.import_download(load_download(d / "big.json"))[0].book
    pkl = d / "big.pkl"
    pkl.write_bytes(pickle.dumps(big))
    write_download(d / "small.json", generate_download(records=PREVIOUS, seed=22))
    small = actions.import_download(load_download(d / "small.json"))[0].book
    prev = d / "previous.xlsx"
    write_review(small, prev)
    return pkl, prev.read_bytes(), d


def _child(pkl: Path, target: Path, tmpdir: Path, fault: str = "", delay: float | None = None):
    """Run the writer; kill it ``delay`` s after it is ready (None: let it finish).
    Returns (exit code, seconds from ready to exit, write seconds when it finished)."""
    env = {**os.environ, "IMS_XL_FAULT": fault, "TMPDIR": str(tmpdir), "PYTHONHASHSEED": "0"}
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(pkl), str(target)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    line = p.stdout.readline()
    assert line.strip() == b"ready", (line, p.stderr.read()[-2000:])
    t = time.perf_counter()
    if delay is not None:
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
    out, err = p.communicate(timeout=300)
    done = out.decode().split()
    return p.returncode, time.perf_counter() - t, (float(done[1]) if done[:1] == ["done"] else None), err


def _outcome(target: Path, prev: bytes | None) -> str:
    """'previous' (byte-identical), 'new' (complete and readable), or 'absent'."""
    if not target.exists():
        return "absent"
    data = target.read_bytes()
    if prev is not None and data == prev:
        assert len(read_review(target).rows) == PREVIOUS
        return "previous"
    book = read_review(target)  # raises if the file is half-written
    assert len(book.rows) == RECORDS
    return "new"


def _leftovers(folder: Path, target: Path, tmpdir: Path) -> tuple[list[Path], list[Path]]:
    """(files beside the target other than itself, files left in the writer's TMPDIR)."""
    # the backup folder (safety.backup, made before each replace) is expected, not a leftover
    beside = sorted(f for f in folder.iterdir() if f != target and f.name not in ("big.pkl", ".ims-xl-backups"))
    assert beside == safety.stale_temp_files(target), f"unexpected files beside the workbook: {beside}"
    assert all(f.name.startswith(".~" + target.stem + "-") for f in beside)
    return beside, sorted(tmpdir.iterdir())


def _record(kind: str, **kw) -> None:
    FAULTS.append({"kind": kind, **kw})


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    path = os.environ.get("IMS_XL_FAULT_COUNTS")
    if path:
        Path(path).write_text(json.dumps(FAULTS, indent=1))


def _fresh(base: Path, name: str, prev: bytes | None) -> tuple[Path, Path, Path]:
    folder = base / name
    folder.mkdir()
    tmpdir = base / (name + "-tmp")
    tmpdir.mkdir()
    target = folder / "review.xlsx"
    if prev is not None:
        target.write_bytes(prev)
    return folder, target, tmpdir


@pytest.mark.parametrize("fault,expected", [
    ("xlsxwriter-close", "previous"),
    ("rows-streaming", "previous"),
    ("before-chmod", "previous"),
    ("before-replace", "previous"),
    ("after-replace", "new"),
])
def test_kill_at_fixed_points(books, tmp_path, fault, expected):
    pkl, prev, _ = books
    folder, target, tmpdir = _fresh(tmp_path, fault, prev)
    rc, _, _, err = _child(pkl, target, tmpdir, fault)
    assert rc == -signal.SIGKILL, err.decode()[-2000:]
    assert _outcome(target, prev) == expected
    beside, in_tmp = _leftovers(folder, target, tmpdir)
    _record(f"fixed point: {fault}", outcome=expected, temp_files_beside=len(beside), temp_files_in_tmpdir=len(in_tmp))
    if fault == "after-replace":
        assert beside == [], "the temporary file was the one renamed"
    # the leftovers are recognised and removed; the workbook stays readable
    assert safety.remove_stale_temp_files(target, older_than=0) == beside
    _outcome(target, prev)


@pytest.mark.slow
def test_kill_after_random_delays(books, tmp_path):
    """Kill the writer at random moments spread over a whole write (seeded): each time the
    target is the previous workbook, byte for byte, or the complete new one."""
    pkl, prev, _ = books
    folder, target, tmpdir = _fresh(tmp_path, "calibrate", prev)
    rc, _, took, err = _child(pkl, target, tmpdir)
    assert rc == 0 and took, err.decode()[-2000:]
    assert _outcome(target, prev) == "new"
    assert _leftovers(folder, target, tmpdir) == ([], []), "a finished write leaves nothing behind"
    rng = random.Random(20260415)
    delays = [0.0] + sorted(rng.uniform(0.0, took * 1.15) for _ in range(9))
    outcomes = []
    for k, delay in enumerate(delays):
        folder, target, tmpdir = _fresh(tmp_path, f"kill{k}", prev)
        rc, _, _, err = _child(pkl, target, tmpdir, delay=delay)
        outcome = _outcome(target, prev)
        beside, in_tmp = _leftovers(folder, target, tmpdir)
        killed = rc == -signal.SIGKILL
        assert killed or rc == 0, err.decode()[-2000:]
        if killed and outcome == "new":
            assert not beside or delay > took * 0.5  # killed after the rename
        outcomes.append((round(delay, 3), killed, outcome))
        _record("random delay", delay=round(delay, 3), write_seconds=round(took, 3), killed=killed,
                outcome=outcome, temp_files_beside=len(beside), temp_files_in_tmpdir=len(in_tmp))
    killed_mid_write = [o for o in outcomes if o[1] and o[2] == "previous"]
    assert len(killed_mid_write) >= len(delays) // 2, outcomes
    assert all(o[2] in ("previous", "new") for o in outcomes)


def test_kill_while_creating_a_new_workbook(books, tmp_path):
    """With no previous file, a killed write leaves no file at the target's name at all."""
    pkl, _, _ = books
    folder, target, tmpdir = _fresh(tmp_path, "new", None)
    rc, _, _, err = _child(pkl, target, tmpdir, "rows-streaming")
    assert rc == -signal.SIGKILL, err.decode()[-2000:]
    assert _outcome(target, None) == "absent"
    beside, in_tmp = _leftovers(folder, target, tmpdir)
    _record("fixed point: rows-streaming, no previous file", outcome="absent", temp_files_beside=len(beside),
            temp_files_in_tmpdir=len(in_tmp))
    assert all(f.name != target.name for f in beside)
