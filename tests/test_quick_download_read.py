"""The quick read of a download (short decimals as floats, records column by column) gives
exactly what the exact read gives (every decimal a Decimal), for any number text a file may
hold: a decimal of more than 2 places, of 16 or more characters, with an exponent, at the
bounds of Decimal(15, 2), an integer too long for ``int()``, NaN; in an amount or in a key
ims-xl does not know. Where the quick read cannot tell a number exactly, the file is read
again exactly: the records, the originals the upload echoes, the warnings and the refusals
are the same."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import RTIN, apply_edits, budget, download, record, run
from ims_xl.errors import InputError
from ims_xl.formats import ims_json
from ims_xl.formats.ims_json import load_download, parse_download, read_json_file

_AMOUNTS = ("txval", "iamt", "camt", "samt", "cess", "val")
#: The declared amounts (ITC reduction) are absent from most records: a column of blanks and numbers.
_DECLARED = ("declIgst", "declCgst", "declSgst", "declCess")


def _write(path: Path, recs: list[dict], literals: dict[str, str]) -> Path:
    """The download of ``recs`` with each "@n@" string replaced by its number text, as a
    file written by hand or by other software may hold it."""
    text = json.dumps(download({"b2b": recs}, rtin=RTIN), indent=1)
    for mark, lit in literals.items():
        text = text.replace(json.dumps(mark), lit)
    path.write_text(text, encoding="utf-8")
    return path


def _count_reads(monkeypatch) -> list[dict]:
    """The keyword arguments of each parse of the file's bytes (``floats`` for the quick read)."""
    reads: list[dict] = []
    real = ims_json.read_json_bytes
    monkeypatch.setattr(ims_json, "read_json_bytes", lambda *a, **k: reads.append(k) or real(*a, **k))
    return reads


def _exact(path: Path):
    obj, name = read_json_file(path)
    return parse_download(obj, name)


def _outcome(read, path: Path):
    try:
        got = read(path)
    except InputError as exc:
        return ("refused", str(exc))
    return ("read", got.records, [json.dumps(o) for o in got.originals], got.warnings, got.rtin, got.period)


def _same(path: Path) -> None:
    quick, exact = _outcome(load_download, path), _outcome(_exact, path)
    assert quick[0] == exact[0], (quick[:2], exact[:2])
    if quick[0] == "refused":
        assert quick == exact
        return
    pd.testing.assert_frame_equal(quick[1], exact[1])
    assert quick[2:] == exact[2:]


#: Number texts of every kind: whole, 1-4 places, short and long, tiny, at the bounds.
_LITERAL = st.one_of(
    st.integers(-10**16, 10**16).map(str),
    st.builds(lambda i, f, places: f"{i}.{f:0{places}d}"[:40], st.integers(-10**14, 10**14),
              st.integers(0, 9999), st.integers(1, 4)).filter(lambda t: len(t.split(".")[1]) >= 1),
    st.decimals(min_value=-10**13, max_value=10**13, allow_nan=False, allow_infinity=False, places=2).map(str),
    st.sampled_from(["0.0", "-0.0", "100.0", "100.00", "1e3", "1E+2", "2.5e-1", "0.00000000000001",
                     "1234.5600000000000001", "9999999999999.99", "9999999999999.995", "999999999999.99",
                     "1000000000000.0", "12345678901234.5", "0.1000000000000000055511151231257827",
                     "-1180.10", "1180.1", "NaN", "Infinity", "-Infinity", "1" * 50, "0.10", "5.005"]),
)


@settings(max_examples=budget(150, 1500), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lits=st.lists(st.tuples(st.sampled_from(_AMOUNTS + _DECLARED), _LITERAL), min_size=1, max_size=6),
       extra=st.one_of(st.none(), _LITERAL))
def test_any_number_text_reads_as_the_exact_read_reads_it(tmp_path, lits, extra) -> None:
    recs = [record("b2b", n) for n in range(1, 9)]
    literals = {}
    for n, (key, lit) in enumerate(lits):
        recs[n % len(recs)][key] = f"@{n}@"
        literals[f"@{n}@"] = lit
    if extra is not None:  # a number in a key ims-xl does not know, kept for the upload
        recs[1]["futureAmt"] = {"parts": ["@x@", 1]}
        literals["@x@"] = extra
    _same(_write(tmp_path / "d.json", recs, literals))


@pytest.mark.parametrize("lit", ["0.00000000000001", "1234.5600000000000001", "5.005", "1e3", "12345678901234.5",
                                 "9999999999999.995", "1" * 5000, "NaN", "1180.10", "-0.0", "100.0"])
def test_each_kind_of_number_text_in_an_amount_reads_as_exactly(tmp_path, lit) -> None:
    recs = [record("b2b", 1), record("b2b", 2, txval="@a@")]
    _same(_write(tmp_path / "d.json", recs, {"@a@": lit}))


def test_a_download_as_the_portal_writes_it_is_read_once_and_its_amounts_are_exact(tmp_path, monkeypatch) -> None:
    """Two-place decimals (floats in the quick read) give exact paise and are echoed as the
    portal wrote their value; a whole decimal (100.0) is echoed as an integer, as ever."""
    recs = [record("b2b", 1, txval="@a@", camt="@b@", samt="@b@", val="@c@"), record("b2b", 2, iamt="@d@")]
    path = _write(tmp_path / "d.json", recs, {"@a@": "1000.10", "@b@": "90.01", "@c@": "1180.0", "@d@": "0.07"})
    reads = _count_reads(monkeypatch)
    got = load_download(path)
    assert reads == [{"floats": True}]  # no second, exact read
    assert list(got.records["txval"]) == [100010, 100000] and list(got.records["camt"]) == [9001, 9000]
    assert list(got.records["val"]) == [118000, 118000] and list(got.records["iamt"]) == [0, 7]
    assert json.dumps(got.originals[0]["val"]) == "1180" and json.dumps(got.originals[0]["txval"]) == "1000.1"
    monkeypatch.undo()
    _same(path)


def test_a_long_decimal_sends_the_file_to_the_exact_read(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "d.json", [record("b2b", 1, txval="@a@")], {"@a@": "1000.000000000000001"})
    reads = _count_reads(monkeypatch)
    with pytest.raises(InputError, match="field txval: 1000.000000000000001 has more than 2 decimals"):
        load_download(path)  # never 1000.00, which its float would be
    assert reads == [{"floats": True}, {}]


@pytest.mark.parametrize("unknown", ["7", "0.1000000000000000055511151231257827"])  # the quick read; the exact
def test_import_of_hand_edited_numbers_through_the_cli_matches_the_exact_read(tmp_path, unknown) -> None:
    """The path users run: import, then export, of a download holding every kind of number
    text; the upload echoes what the exact read would have echoed."""
    recs = [record("b2b", 1, txval="@a@", val="@b@"), record("b2b", 2, camt="@c@", samt="@c@", futureKey="@d@"),
            record("b2b", 3, iamt="@e@")]
    path = _write(tmp_path / "d.json", recs, {"@a@": "1000.50", "@b@": "1180.500", "@c@": "90.0",
                                              "@d@": unknown, "@e@": "1e2"})
    assert run("import", path, "--out", tmp_path / "r.xlsx") == 0
    apply_edits(tmp_path / "r.xlsx", [{"sheet": "B2B", "doc_no": "INV-3", "column": "Action", "value": "Accept"}])
    assert run("export", tmp_path / "r.xlsx", "--out", tmp_path / "u.json") == 0
    exact = _exact(path)
    sent = json.loads((tmp_path / "u.json").read_text(encoding="utf-8"))["invdata"]["b2b"]
    assert [r["inum"] for r in sent] == ["INV-3"]
    assert {k: sent[0][k] for k in _AMOUNTS} == {k: exact.originals[2][k] for k in _AMOUNTS}
    assert json.dumps(sent[0]["iamt"]) == "100"  # 1e2, echoed as the number it is


@pytest.mark.parametrize("lit", ["1.5", "1" * 50, "1e400"])
def test_a_number_where_a_section_belongs_is_refused_in_the_exact_reads_words(tmp_path, lit) -> None:
    """The refusal names the type found; the quick read's float would be named otherwise."""
    text = json.dumps(download({"b2b": [record("b2b", 1)]}, rtin=RTIN)).replace('"b2bcn": []', f'"b2bcn": {lit}')
    path = tmp_path / "d.json"
    path.write_text(text, encoding="utf-8")
    quick, exact = _outcome(load_download, path), _outcome(_exact, path)
    assert quick == exact and quick[0] == "refused" and "section b2bcn must be a list of records" in quick[1]


@pytest.mark.parametrize("lit", ["102025", "1" * 50, "102025.0", "1" * 5000])
def test_the_envelopes_period_as_any_number_reads_as_the_exact_read_reads_it(tmp_path, lit) -> None:
    doc = download({"b2b": [record("b2b", 1)]}, rtin=RTIN)
    doc["fp"] = "@p@"
    path = tmp_path / "d.json"
    path.write_text(json.dumps(doc).replace('"@p@"', lit), encoding="utf-8")
    _same(path)
    assert load_download(path).period == ("102025" if lit == "102025" else "")


def test_an_empty_download_is_read_once(tmp_path, monkeypatch) -> None:
    path = _write(tmp_path / "d.json", [], {})
    reads = _count_reads(monkeypatch)
    assert load_download(path).records.empty and reads == [{"floats": True}]


@pytest.mark.parametrize("change, tries", [
    ({"ispendactblocked": "n"}, 1),  # unusual whatever its numbers: record by record at once
    ({"futureKey": "@a@"}, 2),  # a number the quick read may read otherwise: the exact read tries column-wise
])
def test_the_exact_read_skips_the_column_wise_try_a_record_fails_whatever_its_numbers(
        tmp_path, monkeypatch, change, tries) -> None:
    path = _write(tmp_path / "d.json", [record("b2b", 1), record("b2b", 2, **change)], {"@a@": "2.5"})
    calls = []
    real = ims_json._usual_records
    monkeypatch.setattr(ims_json, "_usual_records", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    reads = _count_reads(monkeypatch)
    got = load_download(path)
    assert reads == [{"floats": True}, {}] and calls == [True, False][:tries]
    monkeypatch.undo()
    _same(path)
    assert len(got.records) == 2
