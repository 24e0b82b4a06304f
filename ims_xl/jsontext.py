"""JSON texts made a record at a time (100,000 in a month).

:func:`compact` is msgspec's (C): the hidden copy's records and the upload. (Texts are read
by the standard library: msgspec makes a new string of every one-letter value, where
``json.loads`` shares the interpreter's own: some 20 MB more at 100,000 records, for 0.15 s
less; :func:`brief` reads the short texts read and dropped at once.) :func:`encoder` is
the standard library's encoder made once, for the match details and their books values
(texts the workbook keeps as the standard library spells them): ``json.JSONEncoder.encode`` builds a new C encoder on every call, which costs about as much
as encoding a small record; :func:`encoder` makes that C encoder once (``json.encoder.
c_make_encoder``, with exactly the arguments ``JSONEncoder.iterencode`` gives it) and calls
it for each text: the same bytes, encoded by the same code. Where the C encoder is missing
or takes other arguments (another Python), or its text differs from ``JSONEncoder.encode``
on a probe, ``JSONEncoder.encode`` itself is used.
"""

from __future__ import annotations

import json
from typing import Callable

import msgspec

#: A value with the cases an encoder can get wrong: escapes, non-ASCII text, numbers, nesting.
_PROBE = {"t": 'a"\\\n\x00é₹\ud800', "n": [0, -1, 2.5, 1e16, 10**20, None, True, False],
          "o": {"b": {}, "a": []}}


def encoder(*, ensure_ascii: bool = True, separators: tuple[str, str] | None = None,
            sort_keys: bool = False, default: Callable[[object], object] | None = None
            ) -> Callable[[object], str]:
    """``json.JSONEncoder(...).encode`` for these options, as fast as the C encoder allows.
    Circular structures are not looked for (the texts encoded are parsed JSON and plain
    records, which cannot hold themselves)."""
    enc = json.JSONEncoder(ensure_ascii=ensure_ascii, separators=separators, sort_keys=sort_keys,
                           default=default)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return enc.encode
    basestring = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    try:
        fast = make(None, enc.default, basestring, None, enc.key_separator, enc.item_separator,
                    enc.sort_keys, enc.skipkeys, enc.allow_nan)
    except TypeError:  # another Python's C encoder
        return enc.encode

    def encode(o: object) -> str:
        if isinstance(o, str):  # as JSONEncoder.encode: a lone text is encoded directly
            return basestring(o)
        return "".join(fast(o, 0))

    try:
        same = encode(_PROBE) == enc.encode(_PROBE)
    except (TypeError, ValueError):
        same = False
    return encode if same else enc.encode


#: msgspec's JSON encoder (C): some 4x faster than the standard library's on a downloaded
#: record (0.43 -> 0.11 s for 100,000), which ims-xl writes twice a month per record (the
#: hidden copy, the upload). A Decimal is written as its exact digits, never as a string.
_COMPACT = msgspec.json.Encoder(decimal_format="number")


#: msgspec's JSON decoder (C): 2-3x the standard library's speed on short texts (the match
#: details a workbook write reads, 41,596 at 100,000 records: 0.10 -> 0.04 s).
_BRIEF = msgspec.json.Decoder()


def brief(text: str | bytes) -> object:
    """The value of a short JSON text read and dropped at once (a match detail): as
    ``json.loads`` reads it, but refusing NaN and Infinity, which are not JSON. Raises
    ValueError for a text that is no JSON, TypeError for a value that is no text,
    RecursionError for one nested too deeply."""
    return _BRIEF.decode(text)


def compact(o: object) -> bytes:
    """Compact UTF-8 JSON of ``o``: what ``json.dumps(o, ensure_ascii=False,
    separators=(",", ":"))`` writes, encoded, but for some floats' spelling (``1e16`` for
    ``1e+16``, ``0.00001`` for ``1e-05``: the same number to every JSON reader; an amount is
    spelt alike). Raises TypeError for a value JSON has no form for, ValueError
    (UnicodeEncodeError) for a lone surrogate, which UTF-8 cannot carry."""
    return _COMPACT.encode(o)
