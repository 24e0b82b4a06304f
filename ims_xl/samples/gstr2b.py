"""A realistic GSTR-2B JSON for a sample IMS download (examples, tests and benchmarks).

Built from the download's records as the portal would after the actions they carry: accepted
and No Action records in ``docdata`` (a few with ITC not available, reason P, the place-of-supply
rule), rejected ones in ``docRejdata``, pending ones left out, plus the documents IMS never
shows: reverse-charge invoices, ISD distributions and imports of goods (ICEGATE). The shape
follows IMS_FORMAT §6 (``data.{gstin, rtnprd, gendt, docdata.{b2b, cdnr, ...}}``, ``ctin`` ->
``inv``/``nt`` nesting, rate-wise ``items``); a plain-data generator, not a copy of any file.
"""

from __future__ import annotations

import random
from collections import defaultdict
from decimal import Decimal

from ims_xl.gstin import check_char

#: IMS section -> (2B section, note type).
_TO_2B = {"b2b": ("b2b", ""), "b2ba": ("b2ba", ""), "ecom": ("ecom", ""), "ecoma": ("ecoma", ""),
          "b2bdn": ("cdnr", "D"), "b2bdna": ("cdnra", "D"), "b2bcn": ("cdnr", "C"), "b2bcna": ("cdnra", "C")}


def _dec(v: object) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def _doc(rec: dict, sec2b: str, note: str, itcavl: str, rsn: str) -> dict:
    num_key = "inum" if "inum" in rec else "nt_num"
    date_key = "idt" if "idt" in rec else "nt_dt"
    d: dict = {}
    if note:
        d["ntnum"] = rec[num_key]
        d["typ"] = note
        d["suptyp"] = "R"
        if sec2b == "cdnra":
            d.update({"onttyp": note, "ontnum": rec.get("ont_num", ""), "ontdt": rec.get("ont_dt", "")})
    else:
        d["inum"] = rec[num_key]
        d["typ"] = "R"
        if sec2b in ("b2ba", "ecoma"):
            d.update({"oinum": rec.get("oinum", ""), "oidt": rec.get("oidt", "")})
    d.update({"dt": rec[date_key], "val": rec.get("val", 0), "pos": rec.get("pos", ""), "rev": "N",
              "itcavl": itcavl, "rsn": rsn, "diffprcnt": 1,
              "txval": rec.get("txval", 0), "igst": rec.get("iamt", 0), "cgst": rec.get("camt", 0),
              "sgst": rec.get("samt", 0), "cess": rec.get("cess", 0)})
    d["items"] = [{"num": 1, "rt": 18, "txval": d["txval"], "igst": d["igst"], "cgst": d["cgst"],
                   "sgst": d["sgst"], "cess": d["cess"]}]
    return d


def _gstin(rng: random.Random, state: str) -> str:
    pan = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(5)) + f"{rng.randrange(10000):04d}" + "F"
    body = f"{state}{pan}1Z"
    return body + check_char(body)


def gstr2b_from_download(download: dict, seed: int = 7, generated: str = "14-11-2025",
                         extra_share: float = 0.05) -> dict:
    """The GSTR-2B the portal would generate for ``download`` (its records' ``action`` as the
    state at generation). ``extra_share`` of documents IMS does not list are added."""
    rng = random.Random(seed)
    body = download.get("imsDetails", download)
    rtin = str(download.get("rtin", ""))
    period = ""
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    names: dict[str, str] = {}
    count = 0
    for sec, recs in body.items():
        if sec not in _TO_2B:
            continue
        sec2b, note = _TO_2B[sec]
        for rec in recs:
            action = str(rec.get("action", "N"))
            if action == "P":
                continue  # pending records are kept out of GSTR-2B
            part = "docRejdata" if action == "R" else "docdata"
            itcavl, rsn = ("N", "P") if part == "docdata" and rng.random() < 0.02 else ("Y", "")
            groups[(part, sec2b, rec["stin"])].append(_doc(rec, sec2b, note, itcavl, rsn))
            names[rec["stin"]] = str(rec.get("tradenm", ""))
            period = period or str(rec.get("rtnprd", ""))
            count += 1
    data: dict = {"gstin": rtin, "rtnprd": period, "version": "1.0", "gendt": generated,
                  "docdata": {}, "docRejdata": {}}
    for (part, sec2b, stin), docs in groups.items():
        key = "nt" if sec2b.startswith("cdnr") else "inv"
        data[part].setdefault(sec2b, []).append({"ctin": stin, "trdnm": names[stin], "supfildt": "11-11-2025",
                                                 "supprd": period, key: docs})
    state = rtin[:2] if rtin[:2].isdigit() else "27"
    n_extra = max(3, int(count * extra_share))
    rcm, isd, impg = [], [], []
    for i in range(n_extra):
        tx = Decimal(rng.randrange(1000, 500000)) + Decimal(rng.randrange(100)) / 100
        tax = (tx * Decimal("0.18")).quantize(Decimal("0.01"))
        half = (tax / 2).quantize(Decimal("0.01"))
        kind = i % 3
        if kind == 0:
            rcm.append({"ctin": _gstin(rng, state), "trdnm": f"RCM SUPPLIER {i}", "supfildt": "10-11-2025",
                        "supprd": period, "inv": [{"inum": f"RC/{i:05d}", "typ": "R", "dt": "05-10-2025",
                                                   "val": tx + 2 * half, "pos": state, "rev": "Y", "itcavl": "Y",
                                                   "rsn": "", "diffprcnt": 1, "txval": tx, "igst": 0,
                                                   "cgst": half, "sgst": half, "cess": 0}]})
        elif kind == 1:
            isd.append({"ctin": _gstin(rng, state), "trdnm": f"HEAD OFFICE ISD {i}", "supprd": period,
                        "supfildt": "12-11-2025", "doclist": [{"doctyp": "ISDI", "docnum": f"ISD{i:05d}",
                                                               "docdt": "31-10-2025", "igst": tax, "cgst": 0,
                                                               "sgst": 0, "cess": 0, "itcelg": "Y"}]})
        else:
            impg.append({"refdt": "20-10-2025", "recdt": "21-10-2025", "portcode": "INNSA1",
                         "boenum": f"{7000000 + i}", "boedt": "18-10-2025", "isamd": "N", "txval": tx,
                         "igst": tax, "cess": 0})
    for sec, rows in (("b2b", rcm), ("isd", isd), ("impg", impg)):
        if rows:
            data["docdata"].setdefault(sec, []).extend(rows)
    return {"chksum": "", "data": data}
