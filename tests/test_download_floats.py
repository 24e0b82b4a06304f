"""The download read with binary floats (issue 13's speed path) gives exactly what the
exact-decimal read gives: the same records frame, the same originals (values, their types
and key order), the same warnings, or the same refusal; and it steps aside for what a float
cannot tell apart (a number of 16 or more digits, a negative exponent)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ims_xl.errors import InputError
from ims_xl.formats import ims_json
from ims_xl.samples.download import generate_download, write_download

#: The marker replaced by each hostile token in the download's text.
MARK = "987654.21"


def _text(tmp_path: Path) -> str:
    """A download as the portal writes it (:func:`write_download`), one amount :data:`MARK`."""
    data = generate_download(records=40, seed=3)
    data["imsDetails"]["b2b"][1]["txval"] = Decimal(MARK)
    data["imsDetails"]["b2b"][2]["zz_extra"] = "kept"  # a key ims-xl does not know
    write_download(tmp_path / "base.json", data)
    text = (tmp_path / "base.json").read_text(encoding="utf-8")
    assert text.count(MARK) == 1
    return text


def _exact(path: Path):
    """The read the fast path must equal: the download parsed with exact decimals."""
    obj, name = ims_json.read_json_file(path)
    return ims_json.parse_download(obj, name)


def _outcome(read, path: Path):
    try:
        d = read(path)
    except InputError as exc:
        return "refused", str(exc)
    return "read", d


def _same(a, b) -> None:
    assert a[0] == b[0], (a, b)
    if a[0] == "refused":
        assert a[1] == b[1]
        return
    x, y = a[1], b[1]
    pd.testing.assert_frame_equal(x.records, y.records, check_dtype=True)
    assert x.originals == y.originals
    assert [[(k, type(v)) for k, v in o.items()] for o in x.originals] == \
           [[(k, type(v)) for k, v in o.items()] for o in y.originals]
    assert (x.rtin, x.period, x.warnings, x.source) == (y.rtin, y.period, y.warnings, y.source)


#: (token in place of an amount, whether the float read may take the file itself)
AMOUNTS = [
    ("100.000000000000001", False),  # 0.1 paise beyond 2 decimals, lost by a float
    ("1e-400", False), ("-1E-400", False),  # underflow: the float 0.0
    ("0.1000000000000000055511151231257827", False),
    ("12345678901234567890", False), ("-0.0", True), ("100.0", True), ("100.50", True),
    ("1E2", True), ("1e+2", True), ("-12.5", True), ("0.10", True), ("1.005", True), ("1.5e1", True),
    ("999999999999.99", True), ("1000000000000", True), ("1000000000000.5", True), ("1e300", True),
    ("1e400", True), ("NaN", True), ("Infinity", True), ("-Infinity", True), ("true", True),
    ('"100"', True), ("null", True), ("[1]", True), ("{}", True), ("100.001", True),
]


@pytest.mark.parametrize("token,fast", AMOUNTS)
def test_an_amount_reads_as_the_exact_read_gives_it(tmp_path, token, fast) -> None:
    path = tmp_path / "ims.json"
    path.write_text(_text(tmp_path).replace(MARK, token), encoding="utf-8")
    _same(_outcome(ims_json.load_download, path), _outcome(_exact, path))
    if not fast:  # the float read does not even try: it would tell the amount wrong
        assert ims_json._long_number(path.read_bytes())
    # the same download pretty-printed with Windows line ends (white space after each colon
    # and before each key), as an editor may save it
    pretty = path.read_text(encoding="utf-8").replace('":', '": ').replace(',"', ',\r\n  "')
    json.loads(pretty)  # still JSON
    path.write_text(pretty, encoding="utf-8", newline="")
    _same(_outcome(ims_json.load_download, path), _outcome(_exact, path))
    if not fast:
        assert ims_json._long_number(path.read_bytes())


#: Values of a key ims-xl does not know (kept in the originals as plain_value makes them).
EXTRAS = ['1.0', '1e300', '[1.5, {"a": 2.0}]', '12', '-7', '"x"', 'true', 'null', '{"a": [1, "b"]}',
          '123456789012345678901234567890123456789012345', 'NaN']


@pytest.mark.parametrize("token", EXTRAS)
def test_an_unknown_key_reads_as_the_exact_read_gives_it(tmp_path, token) -> None:
    path = tmp_path / "ims.json"
    path.write_text(_text(tmp_path).replace('"kept"', token), encoding="utf-8")
    _same(_outcome(ims_json.load_download, path), _outcome(_exact, path))


@pytest.mark.parametrize("edit", [
    ('"rtnprd":"092025"', '"rtnprd":92025'),  # a period as a number
    ('"rtnprd":"092025"', '"rtnprd":10.2025'),
    ('"inum":', '"inum":12.5,"x_inum":'),  # a number where text belongs
    ('"action":"N"', '"action":1.0'),
    ('"ispendactblocked":"N"', '"ispendactblocked":0.0'),
    ('"rtin":"', '"fp":102025.5,"rtin":"'),  # an envelope period as a float
])
def test_numbers_where_text_belongs_read_as_the_exact_read_gives_them(tmp_path, edit) -> None:
    text = _text(tmp_path)
    assert edit[0] in text
    path = tmp_path / "ims.json"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    _same(_outcome(ims_json.load_download, path), _outcome(_exact, path))


def test_the_usual_download_takes_the_float_read_and_envelopes_keep_their_meaning(tmp_path) -> None:
    text = _text(tmp_path)
    path = tmp_path / "ims.json"
    path.write_text(text, encoding="utf-8")
    data = path.read_bytes()
    assert ims_json._usual_download(data, "ims.json") is not None  # the speed path is taken
    _same(_outcome(ims_json.load_download, path), _outcome(_exact, path))
    # a byte-order mark, an envelope period as a float, a long invoice number (text: no
    # reason to step aside) and a GSTIN of digits beside a colon inside a name
    obj = json.loads(text)
    obj["fp"] = 102025.5
    obj["imsDetails"]["b2b"][0]["inum"] = "0001234567890123456"
    obj["imsDetails"]["b2b"][0]["tradenm"] = "Shop:1234567890123456789"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(obj).encode("utf-8"))
    _same(_outcome(ims_json.load_download, path), _outcome(_exact, path))
    assert not ims_json._long_number(json.dumps(obj["imsDetails"]["b2b"][0]["inum"]).encode())
