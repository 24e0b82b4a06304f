"""The encoder made once (ims_xl.jsontext) writes exactly what json.JSONEncoder.encode writes."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ims_xl.jsontext import encoder

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
_OPTIONS = [{}, {"ensure_ascii": False}, {"ensure_ascii": False, "separators": (",", ":")},
            {"ensure_ascii": False, "sort_keys": True}]


@settings(max_examples=300, deadline=None)
@given(value=_JSON)
def test_every_option_set_encodes_as_json_encoder_does(value) -> None:
    for options in _OPTIONS:
        assert encoder(**options)(value) == json.JSONEncoder(**options).encode(value), options


def test_the_default_hook_is_used_for_decimals_as_json_encoder_uses_it() -> None:
    def default(o):
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        raise TypeError(type(o).__name__)
    rec = {"val": Decimal("1.10"), "n": [Decimal("2"), "é"]}
    assert encoder(ensure_ascii=False, default=default)(rec) == \
        json.JSONEncoder(ensure_ascii=False, default=default).encode(rec) == '{"val": 1.1, "n": [2, "é"]}'


def test_without_the_c_encoder_it_falls_back_to_json_encoder(monkeypatch) -> None:
    monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    enc = encoder(ensure_ascii=False)
    assert getattr(enc, "__self__", None) is not None  # JSONEncoder.encode, bound
    assert enc({"a": "é"}) == '{"a": "é"}'


def _has_float(o) -> bool:
    if isinstance(o, float):
        return True
    if isinstance(o, dict):
        return any(map(_has_float, o.values()))
    return isinstance(o, list) and any(map(_has_float, o))


@settings(max_examples=300, deadline=None)
@given(value=_JSON)
def test_compact_writes_the_json_the_standard_library_writes(value) -> None:
    from ims_xl.jsontext import compact
    ours = compact(value)
    theirs = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert json.loads(ours) == json.loads(theirs)
    if not _has_float(value):  # a float's exponent may be spelt otherwise (1e16, 1e+16): same number
        assert ours == theirs.encode("utf-8")


def test_compact_writes_a_decimal_as_its_exact_digits_never_as_a_string() -> None:
    from ims_xl.jsontext import compact
    assert compact({"v": Decimal("5.00"), "w": Decimal("-0.10")}) == b'{"v":5.00,"w":-0.10}'
