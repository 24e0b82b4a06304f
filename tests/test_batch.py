"""``ims-xl batch``: every client folder of a firm in one run, and the firm dashboard.

Six generated clients (hostile, spaced and unicode folder names; one with a mapping file, its
own GSTIN file and a GSTR-2B; one with an older second download; one with a truncated
download; one with no download) run on two processes: the four good ones are done, the
dashboard lists all six with the right result and the figures of each review workbook, and a
second run keeps what the accountant typed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

import openpyxl
import pytest

from conftest import apply_edits
from ims_xl import batch
from ims_xl.files.xlsx import read_review
from ims_xl.formats.register import read_register_grid
from ims_xl.model import SECTION_BY_KEY
from ims_xl.review.book import effective_actions, summary_tables
from ims_xl.samples.download import generate_download, write_download
from ims_xl.samples.gstr2b import gstr2b_from_download
from ims_xl.samples.register import generate_register, write_register_csv

HOSTILE = '=1+2 Traders'
FORMULA = '=HYPERLINK("x","y")'
MAPPED = "Shree Ganesh & Co (Pune) #2"
UNICODE = "श्री गणेश ट्रेडर्स"
BROKEN = "broken download"
NONE = "no download"
CLIENTS = sorted([HOSTILE, FORMULA, MAPPED, UNICODE, BROKEN, NONE], key=lambda n: (n.casefold(), n))
DONE = (HOSTILE, FORMULA, MAPPED, UNICODE)
RENAMED = "Zq Column 7"  # a header no synonym knows: only mapping.txt finds the document numbers


def make_client(root: Path, name: str, records: int, seed: int, *, download: bool = True) -> dict:
    """A client folder with its IMS download and purchase register; returns the download."""
    folder = root / name
    folder.mkdir(parents=True)
    data = generate_download(records=records, seed=seed)
    grid, _ = generate_register(data, seed)
    if name == MAPPED:  # the document-number column under a name only the mapping file gives
        reg = read_register_grid(grid, "books.csv")
        header = grid[reg.header_row - 1]
        header[header.index(reg.mapping["doc_no"])] = RENAMED
        (folder / "mapping.txt").write_text(f"\ufeffdoc_no={RENAMED}\n", encoding="utf-8")
        (folder / "rtin.txt").write_text(data["rtin"].lower() + "\n", encoding="utf-8")
        write_download(folder / "gstr2b_102025.json", gstr2b_from_download(data, seed))
    write_register_csv(folder / "books.csv", grid)
    if download:
        write_download(folder / "ims.json", data)
    return data


@pytest.fixture(scope="module")
def firm(tmp_path_factory):
    """The six clients, batch-run once; the results, dashboard rows and review figures then."""
    root = tmp_path_factory.mktemp("clients")
    downloads = {}
    for i, name in enumerate(CLIENTS):
        downloads[name] = make_client(root, name, 50 + 10 * i, 1000 + i, download=name != NONE)
    broken = root / BROKEN / "ims.json"
    broken.write_bytes(broken.read_bytes()[:5000])  # cut short, as a failed download is
    older = root / UNICODE / "ims_september.json"  # an older download: the newest one is used
    write_download(older, generate_download(records=7, seed=77))
    os.utime(older, (time.time() - 86400, time.time() - 86400))
    (root / "_template").mkdir()
    (root / ".hidden").mkdir()
    code, results = batch.run_batch(root, jobs=2, progress=False)
    figures = {n: review_figures(root / n / "out" / "review.xlsx") for n in DONE}
    return {"root": root, "code": code, "results": results, "downloads": downloads,
            "rows": dashboard_rows(root / "dashboard.xlsx"), "figures": figures}


def review_figures(path: Path) -> dict:
    """What the dashboard should say of a review workbook, worked out here on its own."""
    book = read_review(path)
    rows = book.rows
    act = effective_actions(rows)
    risk = 0
    for i, r in rows.iterrows():
        if act[i] in ("A", "N") and r["match_status"] not in ("Matched", "Matched within tolerance") \
                and SECTION_BY_KEY[r["section"]].kind != "credit_note":
            risk += int(r["iamt"]) + int(r["camt"]) + int(r["samt"]) + int(r["cess"])
    itc = {r.action: int(r.total) for r in summary_tables(book)["itc"].itertuples(index=False)}
    # overdue: the items the client's Ageing sheet marks overdue (its rules: tests/test_carry.py)
    ageing = book.reports.get("Ageing") or [[]]
    overdue = sum(1 for r in ageing[1:] if r and r[0] == "Yes")
    return {"gstin": book.rtin, "records": len(rows), "itc": itc, "risk": risk, "overdue": overdue,
            "book": book}


def dashboard_rows(path: Path) -> dict[str, dict]:
    """Client folder -> {header: cell} of the dashboard, hyperlink targets under ``_link``."""
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[4]]
    assert header == [c[0] for c in batch.COLUMNS]
    out = {}
    for row in ws.iter_rows(min_row=5):
        if row[0].value is None:
            break
        d = {h: c for h, c in zip(header, row)}
        link = row[14].hyperlink
        d["_link"] = urllib.parse.unquote(link.target).replace("\\", "/") if link is not None else None
        out[row[0].value] = d
    return out


@pytest.mark.slow  # several clients in worker processes: the heavy tier (.ci/run)
def test_batch_runs_every_client_and_the_dashboard_lists_them(firm) -> None:
    assert firm["code"] == 2  # a client failed
    results = {r["client"]: r for r in firm["results"]}
    assert [r["client"] for r in firm["results"]] == CLIENTS  # folder order; _ and . folders skipped
    rows = firm["rows"]
    assert list(rows) == CLIENTS
    for name in DONE:
        assert rows[name]["Result"].value == "Done", results[name]["output"]
        assert rows[name]["Upload written"].value == "Yes"
        assert (firm["root"] / name / "out" / "upload.json").exists()
        assert (firm["root"] / name / "out" / "matches.csv").exists()
    assert rows[BROKEN]["Result"].value == "Input error"
    assert rows[NONE]["Result"].value == "No IMS download"
    assert results[BROKEN]["exit_code"] == 2 and results[NONE]["exit_code"] == 2
    assert "ims.json" in rows[BROKEN]["Errors (first 3 lines)"].value
    assert "cut short" in rows[BROKEN]["Errors (first 3 lines)"].value
    assert "no IMS download" in rows[NONE]["Errors (first 3 lines)"].value
    for name in (BROKEN, NONE):
        assert rows[name]["Records"].value is None and rows[name]["_link"] is None
        assert not (firm["root"] / name / "out" / "review.xlsx").exists()


@pytest.mark.slow  # several clients in worker processes: the heavy tier (.ci/run)
def test_dashboard_figures_are_those_of_each_review_workbook(firm) -> None:
    rows = firm["rows"]
    for name in DONE:
        fig, row = firm["figures"][name], rows[name]
        assert row["GSTIN"].value == fig["gstin"] == firm["downloads"][name]["rtin"]
        assert row["Records"].value == fig["records"] == len(
            [r for recs in firm["downloads"][name]["imsDetails"].values() for r in recs])
        for label in batch.ITC_ACTIONS:
            head = {"Accepted": "ITC Accepted (Rs)", "No Action (deemed accepted)":
                    "ITC No Action, deemed accepted (Rs)", "Pending": "ITC Pending (Rs)",
                    "Rejected": "ITC Rejected (Rs)"}[label]
            assert round(row[head].value * 100) == fig["itc"][label], (name, label)
            assert row[head].number_format != "General"
        assert round(row["ITC at risk (Rs)"].value * 100) == fig["risk"] > 0
        assert row["Items overdue"].value == fig["overdue"]
        assert row["_link"] == f"{name}/out/review.xlsx"
    # the defined terms are written under the table
    ws = openpyxl.load_workbook(firm["root"] / "dashboard.xlsx").active
    texts = [c.value for r in ws.iter_rows(min_row=12) for c in r if isinstance(c.value, str)]
    assert "What the columns mean" in texts
    assert any(t.startswith("ITC of invoices, debit notes") for t in texts)


@pytest.mark.slow  # several clients in worker processes: the heavy tier (.ci/run)
def test_each_client_runs_as_ims_xl_run_would(firm) -> None:
    results = {r["client"]: r for r in firm["results"]}
    mapped = results[MAPPED]
    run, check = mapped["steps"]
    root = firm["root"] / MAPPED
    assert run == ["run", str(root / "ims.json"), "--books", str(root / "books.csv"),
                   "--out-dir", str(root / "out"), f"--map=doc_no={RENAMED}",
                   "--rtin=" + firm["downloads"][MAPPED]["rtin"]]
    assert check == ["gstr2b", str(root / "out" / "review.xlsx"), "--2b", str(root / "gstr2b_102025.json")]
    book = firm["figures"][MAPPED]["book"]
    assert (book.rows["gstr2b_status"].astype(str) != "").any()  # the GSTR-2B check ran
    assert (book.rows["match_status"] == "Matched").sum() > len(book.rows) // 2  # the mapping was used
    assert [s[0] for s in results[HOSTILE]["steps"]] == ["run"]
    uni = results[UNICODE]
    assert uni["records"] == firm["figures"][UNICODE]["records"] != 7
    assert any("2 IMS download files; used the newest, ims.json" in n for n in uni["notes"])


@pytest.mark.slow  # several clients in worker processes: the heavy tier (.ci/run)
def test_hostile_folder_names_are_text_never_formulas(firm) -> None:
    rows = firm["rows"]
    for name in (HOSTILE, FORMULA):
        cell = rows[name]["Client folder"]
        assert cell.value == name and cell.data_type == "s"
        assert rows[name]["Review workbook"].value == f"{name}/out/review.xlsx"
    with zipfile.ZipFile(firm["root"] / "dashboard.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet


@pytest.mark.slow  # several clients in worker processes: the heavy tier (.ci/run)
def test_a_second_run_keeps_what_the_accountant_typed(tmp_path, capsys) -> None:
    """cmd_batch from a Namespace, then main(argv) again after the accountant typed actions."""
    make_client(tmp_path, "solo", 60, 5)
    args = argparse.Namespace(clients_dir=str(tmp_path), jobs=1, progress=True, dashboard=None)
    assert batch.cmd_batch(args) == 0
    captured = capsys.readouterr()
    assert "solo: Done (60 records)" in captured.out and f"Wrote {tmp_path / 'dashboard.xlsx'}" in captured.out
    assert "ims-xl batch" in captured.err and "100%" in captured.err  # the bar, forced on

    review = tmp_path / "solo" / "out" / "review.xlsx"
    first = review_figures(review)
    rows = first["book"].rows
    b2b = rows[(rows["section"] == "b2b") & ~rows["pend_blocked"].astype(bool) & (rows["excel_row"] > 2)]
    b2b = b2b[~b2b["doc_no"].duplicated(keep=False) & (effective_actions(b2b) != "P")]
    old = b2b[b2b["doc_date"].str[3:].isin(["06-2025", "07-2025", "08-2025"])].iloc[0]  # before 01-09-2025
    other = b2b[b2b["doc_no"] != old["doc_no"]].iloc[0]
    apply_edits(review, [{"sheet": "B2B", "doc_no": old["doc_no"], "column": "Action", "value": "Pending"},
                         {"sheet": "B2B", "doc_no": other["doc_no"], "column": "Action", "value": "Reject"},
                         {"sheet": "B2B", "row": 2, "column": "Action", "value": "Maybe"}])
    dash = tmp_path / "_elsewhere" / "dash board.xlsx"
    dash.parent.mkdir()
    assert batch.main([str(tmp_path), "--jobs", "2", "--dashboard", str(dash)]) == 1  # stderr no terminal: no bar
    captured = capsys.readouterr()
    assert "solo: Validation errors (60 records)" in captured.out and "ims-xl batch" not in captured.err
    fig = review_figures(review)
    kept = fig["book"].rows.set_index("doc_no")
    assert kept.loc[old["doc_no"], "action_text"] == "Pending"
    assert kept.loc[other["doc_no"], "action_text"] == "Reject"
    row = dashboard_rows(dash)["solo"]
    assert row["Result"].value == "Validation errors" and row["Upload written"].value == "No"
    assert row["Errors (first 3 lines)"].value.startswith("B2B row 2: ERROR action-unknown")
    assert "earlier run" in row["Notes"].value  # the upload.json left there is not this run's
    assert round(row["ITC Pending (Rs)"].value * 100) == fig["itc"]["Pending"] != first["itc"]["Pending"]
    assert round(row["ITC Rejected (Rs)"].value * 100) == fig["itc"]["Rejected"]
    assert round(row["ITC at risk (Rs)"].value * 100) == fig["risk"]
    assert row["Items overdue"].value == fig["overdue"] == first["overdue"] + 1  # the one typed Pending
    assert row["_link"] == "../solo/out/review.xlsx"


def test_refusals(tmp_path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "_skipped").mkdir()
    assert batch.main([str(empty)]) == 2
    assert "no client folder" in capsys.readouterr().err
    assert batch.main([str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert batch.main([str(tmp_path), "--jobs", "0"]) == 2
    assert "--jobs 0" in capsys.readouterr().err
    (tmp_path / "~$dashboard.xlsx").write_text("")  # the dashboard is open in Excel: refused first
    assert batch.main([str(tmp_path)]) == 2
    assert "open in Excel" in capsys.readouterr().err
    assert not (empty / "dashboard.xlsx").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the stand-in crash needs fork")
def test_a_client_whose_process_dies_does_not_stop_the_others(tmp_path, monkeypatch) -> None:
    for name in ("a crash", "b empty", "c empty"):
        (tmp_path / name).mkdir()
    real = batch.plan_client

    def plan(folder):
        if folder.name == "a crash":
            os._exit(9)  # the process dies (out of memory, killed)
        return real(folder)
    monkeypatch.setattr(batch, "plan_client", plan)  # forked workers inherit it
    code, results = batch.run_batch(tmp_path, jobs=2, progress=False)
    got = {r["client"]: r for r in results}
    assert code == 2
    assert got["a crash"]["result"] == "Internal error"
    assert "stopped without a result" in got["a crash"]["errors"][0]
    assert got["b empty"]["result"] == got["c empty"]["result"] == "No IMS download"


def test_the_files_of_a_client_folder(tmp_path) -> None:
    f = tmp_path / "client"
    f.mkdir()
    old, new = f / "IMS_Oct.json", f / "ims_oct_again.json"
    old.write_text('{"imsDetails": {"b2b": []}}')
    new.write_text('{"imsDetails": {"b2b": [')  # broken, but the newest: its run says why
    os.utime(old, (time.time() - 60, time.time() - 60))
    (f / "GSTR2B_Oct.json").write_text('{"data": {}}')  # by name
    (f / "2b october.json").write_text('{"data": {"gstin": "x", "docdata": {"b2b": []}}}')  # by content
    (f / "upload.json").write_text('{"rtin": "x", "reqtyp": "SAVE", "invdata": {}}')
    (f / "errors.json").write_text('{"error_report": {}}')
    (f / "utf16.json").write_bytes('{"data": {"docdata": {}}}'.encode("utf-16"))
    for name in ("books.csv", "Books 2.xlsx", "old.xls", "matches.csv", "review.xlsx", "dashboard.xlsx",
                 "~$books.xlsx", ".~lock.books.csv#", "notes.txt"):
        (f / name).write_text("x")
    with zipfile.ZipFile(f / "review copy.xlsx", "w") as z:  # a review workbook under another name
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="_ims_meta"/></sheets></workbook>')
    (f / "mapping.txt").write_text("\ufeff\n doc_no=Bill Ref,txval=Purchase 18% \n", encoding="utf-8")
    (f / "rtin.txt").write_text("27aapfu0939f1zv")
    plan = batch.plan_client(f)
    assert plan["download"] == new
    assert plan["gstr2b"].name in ("GSTR2B_Oct.json", "2b october.json", "utf16.json")
    assert [p.name for p in plan["registers"]] == ["Books 2.xlsx", "books.csv", "old.xls"]
    assert plan["map"] == "doc_no=Bill Ref,txval=Purchase 18%" and plan["rtin"] == "27AAPFU0939F1ZV"
    assert any("2 IMS download files" in n for n in plan["notes"])
    assert batch.json_kind(f / "utf16.json") == "gstr2b"
    assert batch.json_kind(f / "upload.json") == "upload" and batch.json_kind(f / "errors.json") == "errors"
    assert batch.run_argv(plan, f / "out")[:2] == ["run", str(new)]


def _fake_review(path: Path) -> None:
    """A workbook ims-xl reads as a review workbook (its hidden ``_ims_meta`` sheet)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="B2B"/><sheet name="_ims_meta"/></sheets>'
                                      '</workbook>')


@pytest.mark.parametrize("target,why", [
    ("ok/out/review.xlsx", "inside the client folder ok"),        # the accountant's review workbook
    ("ok/ims_download.json", "give a path ending in .xlsx"),      # a client's download
    ("ok/new dashboard.xlsx", "inside the client folder ok"),     # a new file, but among a client's files
    ("../elsewhere/review copy.xlsx", "not an ims-xl dashboard"),  # a review workbook outside the clients
    ("../elsewhere/firm.xlsx", "not an ims-xl dashboard"),        # some other workbook
    ("../elsewhere/notes.xlsx", "not an ims-xl dashboard"),       # not a workbook at all
])
def test_a_dashboard_path_that_would_replace_other_work_is_refused(tmp_path, capsys, target, why) -> None:
    from ims_xl import cli
    clients = tmp_path / "clients"
    (clients / "ok").mkdir(parents=True)
    (clients / "ok" / "ims_download.json").write_text('{"imsDetails": {"b2b": [')
    _fake_review(clients / "ok" / "out" / "review.xlsx")
    _fake_review(tmp_path / "elsewhere" / "review copy.xlsx")
    wb = openpyxl.Workbook()
    wb.active.title = "Dashboard"  # the sheet name alone does not make a dashboard
    wb.active["A1"] = "Firm totals"
    wb.save(tmp_path / "elsewhere" / "firm.xlsx")
    (tmp_path / "elsewhere" / "notes.xlsx").write_text("not a workbook")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert cli.main(["batch", str(clients), "--jobs", "1", "--dashboard", str(clients / target)]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.splitlines()) == 1, cap.err
    assert cap.err.startswith(f"ims-xl: error: --dashboard {clients / target}: ") and why in cap.err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # nothing written


def test_an_earlier_dashboard_is_replaced(tmp_path, capsys) -> None:
    """A dashboard of an earlier batch (with the title property, or an older one without it)
    is replaced; the one written carries the property."""
    import xlsxwriter
    from ims_xl import cli
    (tmp_path / "clients" / "no download").mkdir(parents=True)  # a client that runs at once
    older = tmp_path / "older.xlsx"
    wb = xlsxwriter.Workbook(older)
    wb.add_worksheet("Dashboard").write_string(0, 0, "ims-xl batch: /old/clients")
    wb.close()
    titled = tmp_path / "titled.xlsx"
    batch.write_dashboard([], titled, tmp_path)
    for dash in (older, titled):
        assert batch.is_dashboard(dash)
        assert cli.main(["batch", str(tmp_path / "clients"), "--jobs", "1", "--dashboard", str(dash)]) == 2
        assert f"Wrote {dash}" in capsys.readouterr().out
        got = openpyxl.load_workbook(dash)
        assert got.properties.title == batch.DASHBOARD_TITLE
        assert list(dashboard_rows(dash)) == ["no download"]


def test_a_process_dying_while_clients_are_handed_out(tmp_path, monkeypatch) -> None:
    """A client's process can die before the pool has been handed every client (a fast
    crash): submitting then raises BrokenProcessPool; the clients not handed out run alone."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
    pools = []

    class Breaks(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self)
            self.handed = 0

        def submit(self, fn, /, *args, **kwargs):
            self.handed += 1
            if self is pools[0] and self.handed == 2:
                raise BrokenProcessPool("a child process terminated abruptly")
            return super().submit(fn, *args, **kwargs)
    monkeypatch.setattr(batch, "ProcessPoolExecutor", Breaks)
    code, results = batch.run_batch(tmp_path, jobs=2, progress=False, dashboard=tmp_path / "d.xlsx")
    assert code == 2 and [r["result"] for r in results] == ["No IMS download"] * 3
    assert len(pools) == 3  # the first pool, then b and c each alone


# --------------------------------------------------------------------------- found by probing a firm's month

def _interrupt_soon(monkeypatch, first: str):
    """Make the run of client ``first`` send Ctrl-C to the batch (the parent process only, as
    ``kill -INT`` does) and then finish its job; every client started leaves a file ``ran``."""
    import signal
    real = batch.plan_client
    parent = os.getpid()

    def plan(folder):
        (folder / "ran").write_text("yes")
        if folder.name == first:
            time.sleep(0.3)  # the batch has handed out its clients and waits for them
            os.kill(parent, signal.SIGINT)
        time.sleep(1.5)  # each client takes a while: the batch takes the interrupt meanwhile
        return real(folder)
    monkeypatch.setattr(batch, "plan_client", plan)  # forked workers inherit it


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the stand-in needs fork")
def test_ctrl_c_stops_the_clients_not_started_and_keeps_the_results_of_those_finished(
        tmp_path, monkeypatch, capsys) -> None:
    """Ctrl-C: the clients still waiting are not started (those already queued to a worker
    included), and a client that ran to its end is reported as it ended, never "not run"."""
    from ims_xl import cli
    for name in ("a", "b", "c", "d", "e"):
        (tmp_path / name).mkdir()
    _interrupt_soon(monkeypatch, "a")
    assert cli.main(["batch", str(tmp_path), "--jobs", "2"]) == 2
    cap = capsys.readouterr()
    ran = sorted(p.parent.name for p in tmp_path.glob("*/ran"))
    assert "a" in ran and len(ran) <= 2, ran  # at most the two clients already running
    lines = dict(ln.split(": ", 1) for ln in cap.out.splitlines() if not ln.startswith("Wrote"))
    for name in "abcde":
        if name in ran:
            assert lines[name].startswith("No IMS download"), lines
        else:
            assert lines[name].startswith("Interrupted: not run"), lines
    assert "Traceback" not in cap.err
    rows = dashboard_rows(tmp_path / "dashboard.xlsx")
    assert rows["a"]["Result"].value == "No IMS download"


@pytest.mark.slow  # a kill test: the heavy tier (.ci/run)
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs fork and POSIX signals")
def test_ctrl_c_at_the_terminal_leaves_no_traceback_from_an_idle_worker(tmp_path) -> None:
    """Ctrl-C at a terminal reaches every process of the batch: a worker waiting for its next
    client prints no traceback, and the client being run is reported Interrupted."""
    import signal
    import subprocess
    make_client(tmp_path, "big", 3000, 3)
    (tmp_path / "empty").mkdir()
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from ims_xl.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code, "batch", str(tmp_path), "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    lock = tmp_path / "big" / "out" / ".~ims-xl.review.xlsx.lock"
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:  # "big" is being run ("empty" was at once)
        time.sleep(0.01)
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, (out, err)
    assert "Traceback" not in err, err
    assert "big: Interrupted" in out and "empty: No IMS download" in out, out
    assert not [p for p in tmp_path.rglob(".~*") if "backups" not in str(p)]  # no temporary file left


def test_a_big_json_that_is_not_utf8_is_told_apart_in_little_memory(tmp_path, monkeypatch) -> None:
    """A UTF-16/32 (or NUL-filled, broken) JSON is read a piece at a time, never whole: a
    large broken file in one client's folder must not exhaust the memory of the batch."""
    reads = []
    real_open = open

    class Counting:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def read(self, n=-1):
            data = self.f.read(n)
            reads.append(len(data))
            return data

        def seek(self, *a):
            return self.f.seek(*a)

    monkeypatch.setattr(batch, "open", lambda *a, **k: Counting(real_open(*a, **k)), raising=False)
    big = tmp_path / "ims.json"
    with real_open(big, "wb") as f:
        f.truncate(5 << 20)  # 5 MB of NUL bytes (a download cut off by a failing disk)
    assert batch.json_kind(big) == "download"
    assert max(reads) <= 2 << 20, reads
    reads.clear()
    text = '{"data": {"gstin": "x", "docdata": {"b2b": [' + '{"inum": "A1"},' * 200_000 + ']}}}'
    for enc, kind in (("utf-16", "gstr2b"), ("utf-32", "gstr2b"), ("utf-16-le", "gstr2b")):
        big.write_bytes(text.encode(enc))
        assert batch.json_kind(big) == kind, enc
        assert max(reads) <= 2 << 20, (enc, reads)
        reads.clear()
    big.write_bytes(('{"imsDetails": {"b2b": [' + '{"inum": "A1"},' * 200_000 + ']}, "x": "reqtyp"}')
                    .encode("utf-16") + b"\xff")  # odd tail: not UTF-16 either way
    assert batch.json_kind(big) == "download"


def test_a_second_batch_on_the_same_clients_is_refused_while_the_first_runs(tmp_path, monkeypatch, capsys) -> None:
    """Two batches on one clients folder would run every client twice, one refused where the
    other holds a workbook, and the later dashboard would call those clients input errors:
    the second batch waits for the first's dashboard lock, then is refused, running nothing."""
    from ims_xl import cli
    from ims_xl.files.safety import hold_workbooks
    (tmp_path / "client").mkdir()
    monkeypatch.setenv("IMS_XL_LOCK_WAIT", "0")
    with hold_workbooks(tmp_path / "dashboard.xlsx"):  # the first batch, still running
        assert cli.main(["batch", str(tmp_path), "--jobs", "1"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "dashboard.xlsx is being written by another ims-xl batch" in cap.err, cap
    assert not (tmp_path / "dashboard.xlsx").exists()
    assert cli.main(["batch", str(tmp_path), "--jobs", "1"]) == 2  # once it is done: runs
    assert "client: No IMS download" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client", "dashboard.xlsx"]  # no lock file left


def test_an_earlier_upload_in_parts_is_named_stale(tmp_path, capsys) -> None:
    """A run with validation errors writes no upload: the parts of an earlier split upload
    (upload_1.json, upload_2.json ...) left in out/ are named on the dashboard as not this
    month's, as a single upload.json is."""
    from ims_xl import cli
    make_client(tmp_path, "solo", 30, 5)
    assert cli.main(["batch", str(tmp_path), "--jobs", "1"]) == 0
    out = tmp_path / "solo" / "out"
    (out / "upload.json").rename(out / "upload_1.json")  # as an earlier, larger month split it
    for n in (2, 10):
        (out / f"upload_{n}.json").write_bytes((out / "upload_1.json").read_bytes())
    apply_edits(out / "review.xlsx", [{"sheet": "B2B", "row": 2, "column": "Action", "value": "Maybe"}])
    assert cli.main(["batch", str(tmp_path), "--jobs", "1"]) == 1  # validation errors only
    capsys.readouterr()
    row = dashboard_rows(tmp_path / "dashboard.xlsx")["solo"]
    assert row["Result"].value == "Validation errors" and row["Upload written"].value == "No"
    assert "upload_1.json, upload_2.json, upload_10.json in out/ are from an earlier run" in row["Notes"].value
