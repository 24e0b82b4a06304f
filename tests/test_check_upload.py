"""``ims-xl check-upload UPLOAD --against DOWNLOAD`` through the command line.

The download's blocked flags (IMS_FORMAT §3 V2, V4, V9) are checked on the upload under the
codes validation reports them with (README "Validation"): the portal refuses such an upload,
and export never writes one. A file that is no upload (empty, a JSON list) is refused with
one line that says the upload comes from ``ims-xl export``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import RTIN, SUP_GJ, download, record, write_json
from ims_xl import cli
from ims_xl.formats.schema import validate_upload
from ims_xl.model import NOT_SENT_KEYS
from ims_xl.review.checks import CODES


def _sent(rec: dict, **changes) -> dict:
    """The SAVE record export writes for ``rec`` (downloaded at No Action), with ``changes``."""
    out = {k: v for k, v in rec.items() if k not in NOT_SENT_KEYS}
    out.update(prev_status=rec["action"], **changes)
    return out


def _files(tmp_path: Path, *, blocked: bool) -> tuple[str, str]:
    """A download whose invoice blocks Pending and remarks and whose credit note blocks the
    ITC-reduction answer (or blocks nothing), and an upload sending Pending with remarks on
    the invoice and Accept with an ITC-reduction answer on the note."""
    flag = "Y" if blocked else "N"
    inv = record("b2b", 6, stin=SUP_GJ, ispendactblocked=flag, isRemarksBlocked=flag)
    note = record("b2bcn", 2, stin=SUP_GJ, isItcRedReqBlocked=flag)
    dl = write_json(tmp_path / "ims.json", download({"b2b": [inv], "b2bcn": [note]}, rtin=RTIN))
    up = write_json(tmp_path / "upload.json", {"rtin": RTIN, "reqtyp": "SAVE", "invdata": {
        "b2b": [_sent(inv, action="P", remarks="hold: goods short")],
        "b2bcn": [_sent(note, action="A", itcRedReq="Y")]}})
    return str(up), str(dl)


def test_blocked_flags_of_the_download_fail_the_proof(tmp_path, capsys) -> None:
    up, dl = _files(tmp_path, blocked=True)
    assert cli.main(["check-upload", up, "--against", dl]) == 1
    out = capsys.readouterr().out.splitlines()
    inv = f"invdata.b2b[0] (inum INV-6 of {SUP_GJ})"
    note = f"invdata.b2bcn[0] (nt_num CN-2 of {SUP_GJ})"
    # each record named (section, supplier, document number) with the rule validate names
    assert out[:3] == [
        f"{inv}: {CODES['pending-blocked'][1]} [pending-blocked: the download has ispendactblocked Y; "
        "the portal refuses this record]",
        f"{inv}: {CODES['remarks-not-sent'][1]} [remarks-not-sent: the download has isRemarksBlocked Y; "
        "the portal refuses this record]",
        f"{note}: {CODES['itc-reduction-blocked'][1]} [itc-reduction-blocked: the download has "
        "isItcRedReqBlocked Y; the portal refuses this record]"], out
    assert out[3:] == ["3 problem(s) in 2 uploaded record(s)"]


def test_the_same_upload_passes_where_nothing_is_blocked(tmp_path, capsys) -> None:
    up, dl = _files(tmp_path, blocked=False)
    assert cli.main(["check-upload", up, "--against", dl]) == 0, capsys.readouterr().out


def test_older_flag_spellings_are_read_as_validate_reads_them(tmp_path, capsys) -> None:
    """``ispendactnallwd`` is read as ``ispendactblocked`` (IMS_FORMAT §1.2), here as in validate."""
    inv = record("b2b", 1, stin=SUP_GJ, ispendactblocked=None, ispendactnallwd="Y")
    dl = write_json(tmp_path / "ims.json", download({"b2b": [inv]}, rtin=RTIN))
    up = write_json(tmp_path / "upload.json", {"rtin": RTIN, "reqtyp": "SAVE",
                                              "invdata": {"b2b": [_sent(inv, action="P")]}})
    assert cli.main(["check-upload", str(up), "--against", str(dl)]) == 1
    assert "[pending-blocked: " in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"", b"  \n", b"\xef\xbb\xbf\n"])
def test_an_empty_upload_says_it_comes_from_export(tmp_path, capsys, content) -> None:
    _, dl = _files(tmp_path, blocked=False)
    (tmp_path / "empty.json").write_bytes(content)
    assert cli.main(["check-upload", str(tmp_path / "empty.json"), "--against", dl]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.splitlines()) == 1, cap.err
    assert "empty.json: the file is empty" in cap.err and "ims-xl export" in cap.err
    assert "GST portal" not in cap.err


def test_a_json_list_is_not_an_upload(tmp_path, capsys) -> None:
    _, dl = _files(tmp_path, blocked=False)
    (tmp_path / "arr.json").write_text("[1, 2]")
    assert cli.main(["check-upload", str(tmp_path / "arr.json"), "--against", dl]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and len(cap.err.splitlines()) == 1, cap.err
    assert "arr.json: not an upload: the upload must be a JSON object with rtin, reqtyp and invdata" in cap.err
    assert "Written from" not in cap.err and "part 1" not in cap.err


def test_the_schema_message_for_a_document_that_is_no_object() -> None:
    """What export's last gate would say: plain words, not the schema's own description."""
    assert validate_upload([1, 2]) == ["(the document): the upload must be a JSON object with rtin, reqtyp "
                                       "and invdata, as ims-xl export writes it (IMS_FORMAT §2.1); found a list of 2"]
