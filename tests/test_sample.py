"""Tests for ims_xl.samples.download: the realistic sample-download generator and its JSON writer."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from ims_xl.gstin import POS_CODES, gstin_problem
from ims_xl.money import AmountError
from ims_xl.samples.download import generate_download, make_gstin, write_download

SECTION_KEYS = ("b2b", "b2ba", "b2bdn", "b2bdna", "b2bcn", "b2bcna", "ecom", "ecoma")
ITC_SECTIONS = {"b2ba", "b2bdna", "b2bcn", "b2bcna", "ecoma"}
AMOUNT_KEYS = ("val", "txval", "iamt", "camt", "samt", "cess")
DECL_KEYS = ("declIgst", "declCgst", "declSgst", "declCess")
CENT = Decimal("0.01")

# The key order of IMS_FORMAT §1.2 as the brief fixes it, written out by hand (not derived from
# ims_xl.model) so that a mistake in either place shows up here.
_TAIL = ["val", "action", "pos", "txval", "iamt", "camt", "samt", "cess", "srcform", "rtnprd",
         "srcfilstatus", "hash", "ispendactblocked", "isRemarksBlocked"]
BASE_KEYS: dict[str, list[str]] = {
    "b2b": ["stin", "tradenm", "inum", "inv_typ", "idt", *_TAIL],
    "b2ba": ["oinum", "oidt", "stin", "tradenm", "inum", "inv_typ", "idt", *_TAIL,
             "isItcRedReqBlocked"],
    "b2bdn": ["stin", "tradenm", "nt_num", "inv_typ", "nt_dt", *_TAIL],
    "b2bdna": ["ont_num", "ont_dt", "stin", "tradenm", "nt_num", "inv_typ", "nt_dt", *_TAIL,
               "isItcRedReqBlocked"],
    "b2bcn": ["stin", "tradenm", "nt_num", "inv_typ", "nt_dt", *_TAIL, "isItcRedReqBlocked"],
    "b2bcna": ["ont_num", "ont_dt", "stin", "tradenm", "nt_num", "inv_typ", "nt_dt", *_TAIL,
               "isItcRedReqBlocked"],
    "ecom": ["stin", "tradenm", "inum", "idt", *_TAIL],
    "ecoma": ["oinum", "oidt", "stin", "tradenm", "inum", "idt", *_TAIL, "isItcRedReqBlocked"],
}
NUM_KEY = {k: ("nt_num" if "dn" in k or "cn" in k else "inum") for k in SECTION_KEYS}
DATE_KEY = {k: ("nt_dt" if "dn" in k or "cn" in k else "idt") for k in SECTION_KEYS}
ORIG_KEYS = {"b2ba": ("oinum", "oidt"), "ecoma": ("oinum", "oidt"),
             "b2bdna": ("ont_num", "ont_dt"), "b2bcna": ("ont_num", "ont_dt")}


def all_records(data: dict) -> list[tuple[str, dict]]:
    return [(sec, rec) for sec in SECTION_KEYS for rec in data["imsDetails"][sec]]


def parse_date(text: str) -> date:
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4}", text), text
    d, m, y = map(int, text.split("-"))
    return date(y, m, d)


def month_index(mmyyyy: str) -> int:
    return int(mmyyyy[2:]) * 12 + int(mmyyyy[:2]) - 1


@pytest.fixture(scope="module")
def data() -> dict:
    return generate_download()


@pytest.fixture(scope="module")
def big() -> dict:
    return generate_download(5000, seed=11)


# ------------------------------------------------------------------------------------------
# shape, counts, determinism
# ------------------------------------------------------------------------------------------

def test_envelope_shape(data):
    assert list(data) == ["rtin", "imsDetails"]
    assert list(data["imsDetails"]) == list(SECTION_KEYS)
    assert all(isinstance(v, list) for v in data["imsDetails"].values())


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 49, 50, 200, 1001, 5000])
def test_exact_record_count(n):
    d = generate_download(n, seed=3)
    counts = {k: len(v) for k, v in d["imsDetails"].items()}
    assert sum(counts.values()) == n
    if n >= 8:
        assert all(c >= 1 for c in counts.values()), counts
        assert max(counts, key=counts.get) == "b2b"


def test_distribution_is_realistic():
    n = 10_000
    counts = {k: len(v) for k, v in generate_download(n, seed=1)["imsDetails"].items()}
    expected = {"b2b": 78, "b2bcn": 8, "b2bdn": 4, "b2ba": 4, "b2bcna": 2, "b2bdna": 1,
                "ecom": 2, "ecoma": 1}
    for k, pct in expected.items():
        assert abs(counts[k] - n * pct / 100) <= 1, (k, counts[k])


def test_deterministic_same_arguments(data):
    again = generate_download()
    assert again == data
    # Decimal("1000") == Decimal("1000.00"): compare the exact text too.
    assert repr(again) == repr(data)


def test_different_seed_period_or_rtin_differs(data):
    assert generate_download(seed=8) != data
    assert generate_download(period="112025") != data
    assert generate_download(rtin="27AAPFU0939F1ZV")["rtin"] == "27AAPFU0939F1ZV"


def _digest_in_subprocess(hashseed: str, tmp_path: Path) -> str:
    out = tmp_path / f"s{hashseed}.json"
    code = (
        "import sys; from ims_xl.samples.download import generate_download, write_download; "
        f"write_download({str(out)!r}, generate_download(300, seed=5))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    subprocess.run([sys.executable, "-c", code], check=True, env=env,
                   cwd=Path(__file__).resolve().parents[1])
    return hashlib.sha256(out.read_bytes()).hexdigest()


def test_deterministic_across_hash_seeds(tmp_path):
    # Iterating a set of strings would make the output depend on PYTHONHASHSEED.
    here = tmp_path / "here.json"
    write_download(here, generate_download(300, seed=5))
    expected = hashlib.sha256(here.read_bytes()).hexdigest()
    assert _digest_in_subprocess("0", tmp_path) == expected
    assert _digest_in_subprocess("4242", tmp_path) == expected


# ------------------------------------------------------------------------------------------
# arguments
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["132025", "002025", "2025-10", "10-2025", "1025", "", "10202x"])
def test_bad_period_refused(bad):
    with pytest.raises(ValueError):
        generate_download(10, period=bad)


@pytest.mark.parametrize("bad", ["24MAYAS0100J1JD", "27AAPFU0939F1ZW", "27AAPFU0939F1Z", "", "x"])
def test_bad_rtin_refused(bad):
    with pytest.raises(ValueError):
        generate_download(10, rtin=bad)


def test_negative_records_refused():
    with pytest.raises(ValueError):
        generate_download(-1)


def test_given_rtin_is_normalised_and_drives_pos():
    d = generate_download(500, rtin=" 27aapfu0939f1zv ")
    assert d["rtin"] == "27AAPFU0939F1ZV"
    pos = Counter(r["pos"] for _, r in all_records(d))
    assert pos["27"] / 500 > 0.75


# ------------------------------------------------------------------------------------------
# GSTINs and suppliers
# ------------------------------------------------------------------------------------------

def test_every_gstin_valid(big):
    assert gstin_problem(big["rtin"]) is None
    for _, r in all_records(big):
        assert gstin_problem(r["stin"]) is None, r["stin"]
        assert r["stin"] == r["stin"].strip().upper()
        assert r["stin"][:2] not in {"96", "97", "99"}
        assert r["stin"][5] in "CPFHATBLJG"


@pytest.mark.parametrize("seed", range(5))
def test_gstins_valid_for_other_seeds(seed):
    d = generate_download(300, seed=seed)
    assert gstin_problem(d["rtin"]) is None
    assert all(gstin_problem(r["stin"]) is None for _, r in all_records(d))


def test_pan_shared_across_states(data):
    states_by_pan = defaultdict(set)
    for _, r in all_records(data):
        states_by_pan[r["stin"][2:12]].add(r["stin"][:2])
    assert any(len(s) >= 2 for s in states_by_pan.values())


def test_one_name_per_gstin_and_pool_size(big):
    names = defaultdict(set)
    for _, r in all_records(big):
        names[r["stin"]].add(r["tradenm"])
    assert all(len(v) == 1 for v in names.values())
    # ~max(20, records/25) suppliers (most of them appear) plus a few e-commerce operators
    assert 120 <= len(names) <= 220


def test_pareto_supplier_volume(big):
    per_supplier = Counter(r["stin"] for _, r in all_records(big))
    top5 = sum(c for _, c in per_supplier.most_common(5))
    assert 0.05 < top5 / 5000 < 0.5


def test_trade_names_realistic(data):
    names = {r["tradenm"] for _, r in all_records(data)}
    assert all(isinstance(n, str) and n.strip() == n and n for n in names)
    assert any(re.search(r"Pvt Ltd|PVT LTD|Private Limited|PRIVATE LIMITED|Limited|LIMITED", n)
               for n in names)


def test_formula_like_trade_name_from_50_records():
    for n in (50, 200, 1000):
        names = {r["tradenm"] for _, r in all_records(generate_download(n))}
        assert any(name[0] in "=+-@" for name in names), n
    for n in (1, 20, 49):
        names = {r["tradenm"] for _, r in all_records(generate_download(n))}
        assert not any(name[0] in "=+-@" for name in names), n


def test_make_gstin():
    import random

    rng = random.Random(1)
    for _ in range(2000):
        g = make_gstin(rng)
        assert gstin_problem(g) is None, g
        assert g[:2] not in {"25", "28", "96", "97", "99"}
        assert g[5] in "CPFHATBLJG" and g[13] == "Z"
    g = make_gstin(rng, state="07", pan="AAPFU0939F")
    assert g.startswith("07AAPFU0939F") and gstin_problem(g) is None
    with pytest.raises(ValueError):
        make_gstin(rng, state="00")
    with pytest.raises(ValueError):
        make_gstin(rng, pan="AAPFU0939")
    assert make_gstin(random.Random(9)) == make_gstin(random.Random(9))


# ------------------------------------------------------------------------------------------
# keys
# ------------------------------------------------------------------------------------------

def test_keys_per_section_exact_and_ordered(big):
    for sec, r in all_records(big):
        base = BASE_KEYS[sec]
        optional = ([*["itcRedReq"], *DECL_KEYS] if sec in ITC_SECTIONS else []) + ["remarks"]
        expected = base + [k for k in optional if k in r]
        assert list(r) == expected, (sec, list(r))


def test_optional_keys_follow_the_rules(big):
    seen = Counter()
    for sec, r in all_records(big):
        if "itcRedReq" in r:
            seen["itc"] += 1
            assert sec in ITC_SECTIONS
            assert r["itcRedReq"] in ("Y", "N")
            assert r["action"] == "A" and r["isItcRedReqBlocked"] == "N"  # V4
        if "declIgst" in r:
            seen["decl"] += 1
            assert r["itcRedReq"] == "Y"  # V5
            assert r["declCgst"] == r["declSgst"]  # V7
            for dk, head in zip(DECL_KEYS, ("iamt", "camt", "samt", "cess"), strict=True):
                assert Decimal(0) <= r[dk] <= r[head]  # V6
        if "remarks" in r:
            seen["remarks"] += 1
            assert r["action"] in ("R", "P") and r["isRemarksBlocked"] == "N"  # V9
            assert 0 < len(r["remarks"]) <= 250
        assert not (r["action"] == "P" and r["ispendactblocked"] == "Y")  # V2
    assert seen["itc"] >= 5 and seen["decl"] >= 1 and seen["remarks"] >= 20, seen
    assert {r.get("itcRedReq") for _, r in all_records(big)} >= {"Y", "N"}


# ------------------------------------------------------------------------------------------
# amounts and tax
# ------------------------------------------------------------------------------------------

def test_amounts_are_decimals_with_at_most_two_places(big):
    for _, r in all_records(big):
        for k in (*AMOUNT_KEYS, *[d for d in DECL_KEYS if d in r]):
            v = r[k]
            assert type(v) is Decimal, (k, v)
            assert v.is_finite() and v >= 0
            assert v.as_tuple().exponent >= -2, (k, v)
            assert v == v.quantize(Decimal("0.01"))


def test_values_consistent(big):
    rounded = 0
    for _, r in all_records(big):
        assert Decimal(100) <= r["txval"] <= Decimal(5_000_000)
        assert r["val"] >= r["txval"]
        exact = r["txval"] + r["iamt"] + r["camt"] + r["samt"] + r["cess"]
        assert abs(r["val"] - exact) <= Decimal("0.99")
        if r["val"] != exact:
            rounded += 1
            assert r["val"] == r["val"].to_integral_value()
    assert rounded > 100  # some invoice values are rounded to the rupee
    with_paise = sum(1 for _, r in all_records(big) if r["txval"] % 1)
    assert 0.3 < with_paise / 5000 < 0.9


def test_tax_heads_follow_place_of_supply(big):
    heads = Counter()
    for _, r in all_records(big):
        assert r["pos"] in POS_CODES and r["pos"] != "99"
        i, c, s = r["iamt"], r["camt"], r["samt"]
        assert c == s  # CGST always equals SGST
        typ = r.get("inv_typ", "R")
        if typ == "SEWOP":  # SEZ supply under LUT: no tax
            assert i == c == s == r["cess"] == 0
        elif typ == "SEWP" or r["stin"][:2] != r["pos"]:
            # inter-state (or to an SEZ, always inter-state): IGST only
            assert i > 0 and c == 0, r
            heads["igst"] += 1
        else:
            assert i == 0 and c > 0, r
            heads["cgst"] += 1
        # each head is exactly 5/12/18/28% of txval (CGST, SGST: half each), rounded half-up
        # to the paisa
        if i or c:
            head, share = (i, 100) if i else (c, 200)
            assert any(head == (r["txval"] * k / share).quantize(CENT, ROUND_HALF_UP)
                       for k in (5, 12, 18, 28)), r
    assert heads["igst"] > 500 and heads["cgst"] > 500, heads
    assert sum(1 for _, r in all_records(big) if r["cess"] > 0) >= 5


def test_pos_mostly_recipient_state(big):
    pos = Counter(r["pos"] for _, r in all_records(big))
    share = pos[big["rtin"][:2]] / 5000
    assert 0.8 < share < 0.95
    assert len(pos) > 3


# ------------------------------------------------------------------------------------------
# document numbers and dates
# ------------------------------------------------------------------------------------------

def test_document_numbers(big, data):
    for d in (data, big):
        nums = [r[NUM_KEY[sec]] for sec, r in all_records(d)]
        assert all(isinstance(n, str) and 1 <= len(n) <= 16 and n.strip() == n for n in nums)
        # V12: an all-digit 16-character number with leading zeros (Excel would mangle it)
        assert any(n.isdigit() and len(n) == 16 and n.startswith("0") for n in nums)
        assert "0001234567890123" in nums
    nums = [r[NUM_KEY[sec]] for sec, r in all_records(big)]
    assert any(re.fullmatch(r"INV/\d{4}-\d{2}/\d{4}", n) for n in nums)
    assert any(re.fullmatch(r"[A-Z]{3}/\d{2}-\d{2}/\d+", n) for n in nums)
    assert any(re.fullmatch(r"\d+A", n) for n in nums)
    assert any(re.fullmatch(r"A/\d+", n) for n in nums)
    assert any(re.fullmatch(r"GST-\d+", n) for n in nums)
    assert any(re.fullmatch(r"0\d{5}", n) for n in nums)
    assert any(n != n.upper() for n in nums)  # lowercase forms
    notes = [r["nt_num"] for sec, r in all_records(big) if sec in ("b2bcn", "b2bdn")]
    assert any(n.upper().startswith(("CN", "CRN", "C")) for n in notes)


def test_document_numbers_unique_per_supplier_and_section(big):
    seen = Counter((sec, r["stin"], r[NUM_KEY[sec]]) for sec, r in all_records(big))
    dupes = [k for k, c in seen.items() if c > 1]
    assert not dupes, dupes[:5]


def test_amendments_reference_earlier_documents(big):
    def skeleton(n: str) -> str:
        return re.sub(r"\d+", "9", n)

    skeletons = defaultdict(set)  # (stin, base section) -> number shapes used
    base_of = {"b2ba": "b2b", "ecoma": "ecom", "b2bdna": "b2bdn", "b2bcna": "b2bcn"}
    for sec, r in all_records(big):
        if sec in base_of.values():
            skeletons[(r["stin"], sec)].add(skeleton(r[NUM_KEY[sec]]))
    checked = same_shape = 0
    p0 = month_index("102025")
    for sec, r in all_records(big):
        if sec not in ORIG_KEYS:
            continue
        onum_key, odt_key = ORIG_KEYS[sec]
        onum, odt = r[onum_key], r[odt_key]
        assert isinstance(onum, str) and 1 <= len(onum) <= 16
        o = parse_date(odt)
        # the original is 1-3 months older than the period of the download
        assert 1 <= p0 - (o.year * 12 + o.month - 1) <= 3
        assert month_index(r["rtnprd"]) > o.year * 12 + o.month - 1
        known = skeletons.get((r["stin"], base_of[sec]))
        if known:
            checked += 1
            same_shape += skeleton(onum) in known
    assert checked > 50
    assert same_shape / checked > 0.95


def test_amended_number_mostly_same_as_original(big):
    pairs = [(r[ORIG_KEYS[sec][0]], r[NUM_KEY[sec]]) for sec, r in all_records(big)
             if sec in ORIG_KEYS]
    same = sum(a == b for a, b in pairs)
    assert 0.6 < same / len(pairs) < 1  # sometimes the number was corrected too


@pytest.mark.parametrize("period", ["102025", "012026", "042025", "022024"])
def test_dates_and_return_periods(period):
    d = generate_download(800, seed=2, period=period)
    p0 = month_index(period)
    prev = p0 - 1
    allowed_rtnprd = {period, f"{prev % 12 + 1:02d}{prev // 12}"}
    for sec, r in all_records(d):
        assert r["rtnprd"] in allowed_rtnprd
        dt = parse_date(r[DATE_KEY[sec]])
        mi = dt.year * 12 + dt.month - 1
        assert 0 <= p0 - mi <= 3  # within the 3 months before the period, or in it
        # a document cannot be reported before the month it is dated in
        assert mi <= month_index(r["rtnprd"])
        if sec in ORIG_KEYS:
            parse_date(r[ORIG_KEYS[sec][1]])
    last_day = calendar.monthrange(int(period[2:]), int(period[:2]))[1]
    assert all(parse_date(r[DATE_KEY[s]]) <= date(int(period[2:]), int(period[:2]), last_day)
               for s, r in all_records(d))


# ------------------------------------------------------------------------------------------
# portal flags
# ------------------------------------------------------------------------------------------

def test_flags_and_codes(big):
    recs = all_records(big)
    n = len(recs)
    c = Counter()
    for sec, r in recs:
        assert r["action"] in ("A", "R", "P", "N")
        assert r["srcfilstatus"] in ("Filed", "Not Filed")
        assert r["srcform"] in ("R1", "R1A")
        assert r["ispendactblocked"] in ("Y", "N") and r["isRemarksBlocked"] in ("Y", "N")
        if "inv_typ" in r:
            assert r["inv_typ"] in ("R", "SEWP", "SEWOP", "DE")
            if sec != "b2b":
                assert r["inv_typ"] == "R"
        assert re.fullmatch(r"[0-9a-f]{64}", r["hash"])
        c[("action", r["action"])] += 1
        c[("pend", r["ispendactblocked"])] += 1
        c[("rem", r["isRemarksBlocked"])] += 1
        c[("fil", r["srcfilstatus"])] += 1
        c[("form", r["srcform"])] += 1
        c[("typ", r.get("inv_typ"))] += 1
        if sec == "b2b" and r["ispendactblocked"] == "Y":
            c["b2b_blocked"] += 1
        if sec in ITC_SECTIONS:
            c[("itc", r["isItcRedReqBlocked"])] += 1
    assert c[("action", "N")] / n > 0.6
    assert all(c[("action", a)] > 0 for a in "ARP")
    assert 0.08 < c[("pend", "Y")] / n < 0.22
    assert c["b2b_blocked"] > 0
    assert 0.02 < c[("rem", "Y")] / n < 0.09
    assert c[("fil", "Filed")] / n > 0.7 and c[("fil", "Not Filed")] > 0
    assert c[("form", "R1")] / n > 0.9 and c[("form", "R1A")] > 0
    assert c[("typ", "R")] > 0 and all(c[("typ", t)] > 0 for t in ("SEWP", "SEWOP", "DE"))
    itc_n = c[("itc", "Y")] + c[("itc", "N")]
    assert 0.01 < c[("itc", "Y")] / itc_n < 0.12


def test_hashes_unique(big):
    hashes = [r["hash"] for _, r in all_records(big)]
    assert len(set(hashes)) == len(hashes)


# ------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------

_BARE_NUMBER = re.compile(r':(-?[0-9][^,}\]]*)')


def test_write_download_round_trip(data, tmp_path):
    path = tmp_path / "ims.json"
    write_download(path, data)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert not raw.startswith(b"\xef\xbb\xbf")
    back = json.loads(text, parse_float=Decimal)
    assert back == data
    # every bare (unquoted) number is plain: 1000, 1000.1, 10883.91; never 1000.0, 1e+05
    numbers = _BARE_NUMBER.findall(text)
    assert len(numbers) >= 6 * 200
    bad = [n for n in numbers if not re.fullmatch(r"-?\d+(\.\d?[1-9])?", n)]
    assert not bad, bad[:5]
    assert ".0," not in text and ".0}" not in text
    assert [k for k in back] == ["rtin", "imsDetails"]
    # keys and document numbers survive as strings (V12)
    assert '"inum":"0001234567890123"' in text


def test_write_number_formatting(tmp_path):
    path = tmp_path / "n.json"
    rec = {"val": Decimal("1000"), "txval": Decimal("1000.10"), "iamt": Decimal("0.30"),
           "camt": Decimal("10883.91"), "samt": Decimal("0"), "cess": Decimal("1000.00"),
           "declIgst": Decimal("9999999999999.99"), "tradenm": "Nandini Café", "n": 5}
    write_download(path, {"rtin": "27AAPFU0939F1ZV", "imsDetails": {"b2b": [rec]}})
    text = path.read_text(encoding="utf-8")
    for frag in ('"val":1000,', '"txval":1000.1,', '"iamt":0.3,', '"camt":10883.91,',
                 '"samt":0,', '"cess":1000,', '"declIgst":9999999999999.99,', "Café", '"n":5'):
        assert frag in text, frag
    assert json.loads(text, parse_float=Decimal)["imsDetails"]["b2b"][0] == rec


@pytest.mark.parametrize("bad", [Decimal("1.001"), Decimal("NaN"), Decimal("Infinity"), 0.125])
def test_write_refuses_bad_amounts_atomically(tmp_path, bad):
    path = tmp_path / "ims.json"
    path.write_text("previous", encoding="utf-8")
    with pytest.raises(AmountError):
        write_download(path, {"rtin": "x", "imsDetails": {"b2b": [{"val": bad}]}})
    assert path.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ims.json"]  # no temp file left


def test_write_replaces_existing_file_and_leaves_no_temp(tmp_path, data):
    path = tmp_path / "ims.json"
    path.write_text("old", encoding="utf-8")
    write_download(str(path), data)
    assert json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal) == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ims.json"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # a normal file, not mkstemp's 0600


# ------------------------------------------------------------------------------------------
# scale
# ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_100k_records_fast_and_exact():
    t0 = time.perf_counter()
    d = generate_download(100_000)
    elapsed = time.perf_counter() - t0
    assert sum(len(v) for v in d["imsDetails"].values()) == 100_000
    # brief: ~3 s; allow slack for a loaded CI machine
    assert elapsed < 6, f"100,000 records took {elapsed:.2f}s"
    seen = Counter((sec, r["stin"], r[NUM_KEY[sec]]) for sec, r in all_records(d))
    assert max(seen.values()) == 1
    assert all(len(r[NUM_KEY[sec]]) <= 16 for sec, r in all_records(d))
