"""Golden cases: download JSON -> import -> the accountant's typing -> validate -> export.

Each folder ``tests/cases/<name>/`` holds:

* ``ims.json``: the download, written by hand;
* ``edits.json``: the cells to type, ``[{"sheet", "row" | "doc_no", "column", "value"}]``
  (``column`` is the header text, or a column letter on the Summary sheet);
* ``expected_upload.json``: the upload the export writes, or
  ``{"refused_with_exit_code": N}`` when the export must refuse and write nothing;
* ``expected_findings.csv``: ``code,sheet,row,field`` of every finding, in validate's order.

The whole run goes through ``ims_xl.cli.main`` in-process, and the edits through openpyxl
(load, set cells, save), as Excel would leave the file. Expected files are regenerated only
with ``IMS_XL_REGEN=1`` (then reviewed by hand before committing); a mismatch fails with a
unified diff.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import apply_edits, run

from ims_xl.review.checks import CODES

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "ims.json").exists()) if CASES.exists() else []
REGEN = os.environ.get("IMS_XL_REGEN") == "1"

#: Cases that fail because of a known product bug (remove the entry when it is fixed).
KNOWN_BUGS: dict[str, str] = {}


def _params() -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n]))
            if n in KNOWN_BUGS else n for n in CASE_NAMES]


def pretty(doc: object) -> str:
    """Stable, readable JSON: objects outside lists are expanded one key a line; every
    element of a list (a record) sits on one line. Key order is kept, not sorted."""
    def one(o: object) -> str:
        return json.dumps(o, ensure_ascii=False)

    def fmt(o: object, ind: int) -> str:
        pad = " " * ind
        if isinstance(o, dict) and o:
            items = [f'{pad} {one(k)}: {fmt(v, ind + 1).lstrip()}' for k, v in o.items()]
            return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(o, list) and o:
            return pad + "[\n" + ",\n".join(pad + " " + one(v) for v in o) + "\n" + pad + "]"
        return pad + one(o)
    return fmt(doc, 0) + "\n"


def findings_csv(findings: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "sheet", "row", "field"])
    for f in findings:
        w.writerow([f["code"], f["sheet"], "" if f["row"] is None else f["row"], f["field"]])
    return buf.getvalue()


def compare(path: Path, actual: str) -> None:
    """Compare with the golden file; write it only under IMS_XL_REGEN=1."""
    if REGEN:
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing: run with IMS_XL_REGEN=1, review it, then commit it")
    expected = path.read_text(encoding="utf-8")
    if expected != actual:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            fromfile=str(path), tofile="actual"))
        pytest.fail(f"{path.parent.name}/{path.name} differs:\n{diff}", pytrace=False)


@pytest.mark.parametrize("case", _params())
def test_golden(case: str, tmp_path: Path, capsys) -> None:
    src = CASES / case
    ims = tmp_path / "ims.json"
    shutil.copyfile(src / "ims.json", ims)           # byte copy: a BOM stays a BOM
    wb = tmp_path / "review.xlsx"
    assert run("import", ims, "--out", wb) == 0
    apply_edits(wb, json.loads((src / "edits.json").read_text(encoding="utf-8")))

    capsys.readouterr()
    rc_validate = run("validate", wb, "--json")
    findings = json.loads(capsys.readouterr().out)
    has_error = any(CODES[f["code"]][0].value == "error" for f in findings)
    assert rc_validate == (1 if has_error else 0)
    assert all(f["severity"] == CODES[f["code"]][0].value for f in findings)

    up = tmp_path / "upload.json"
    rc_export = run("export", wb, "--out", up)
    if rc_export == 0:
        assert not has_error
        actual_upload = json.loads(up.read_bytes())
        # what validate passes, export sends: the upload is proven against the download
        assert run("check-upload", up, "--against", ims) == 0, capsys.readouterr().out
    else:
        assert not up.exists(), "a refused export must write nothing"
        assert not list(tmp_path.glob("upload*.json"))
        actual_upload = {"refused_with_exit_code": rc_export}

    compare(src / "expected_findings.csv", findings_csv(findings))
    compare(src / "expected_upload.json", pretty(actual_upload))


def test_cases_exist() -> None:
    """The golden set is not silently empty."""
    assert len(CASE_NAMES) >= 10


def test_golden_cover_every_section() -> None:
    """Every section appears in some golden upload."""
    seen: set[str] = set()
    for name in CASE_NAMES:
        doc = json.loads((CASES / name / "expected_upload.json").read_text(encoding="utf-8"))
        seen |= set(doc.get("invdata", {}))
    assert seen == {"b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma"}


def test_golden_cover_every_code() -> None:
    """Every validation code except internal-error (tested in test_checks by injecting a
    crashing check) and upload-rule (the contract's safety net behind the named rules,
    tested in test_trust_rules) is expected by some golden case."""
    seen: set[str] = set()
    for name in CASE_NAMES:
        with open(CASES / name / "expected_findings.csv", encoding="utf-8", newline="") as fh:
            seen |= {r["code"] for r in csv.DictReader(fh)}
    assert set(CODES) - seen == {"internal-error", "upload-rule"}
    assert seen <= set(CODES)
