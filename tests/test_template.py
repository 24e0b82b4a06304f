"""The committed blank template is what workbook/build_template.py builds, byte for byte,
and it is a valid, empty review workbook with the layout of ims_xl/layout.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import openpyxl

from ims_xl.review.layout import columns_for
from ims_xl.model import SECTIONS
from ims_xl.files.xlsx import read_review

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "workbook" / "dist" / "ims_review_template.xlsx"


def _builder():
    spec = importlib.util.spec_from_file_location("build_template", ROOT / "workbook" / "build_template.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_template_equals_a_fresh_build(tmp_path):
    out = _builder().build(tmp_path / "t.xlsx")
    assert out.read_bytes() == COMMITTED.read_bytes(), (
        "workbook/dist/ims_review_template.xlsx is stale: run python workbook/build_all.py and commit it")


def test_template_is_an_empty_review_workbook_with_the_layout():
    book = read_review(COMMITTED)
    assert len(book.rows) == 0 and book.rtin == ""
    wb = openpyxl.load_workbook(COMMITTED)
    for sec in SECTIONS:
        assert [c.value for c in wb[sec.sheet][1]] == [c.header for c in columns_for(sec)]
    assert wb["_ims_data"].sheet_state == "hidden"
