"""Safety of the files ims-xl reads and writes (README, "Reliability and safety"). A shell module: it
touches files, but imports no workbook library.

* :func:`backup`: a timestamped copy of a workbook in ``.ims-xl-backups/`` beside it before a
  write changes it; the newest few are kept.
* :func:`neutralise_csv_cell` / :func:`neutralise_frame`: formula injection (OWASP "CSV
  Injection") in text ims-xl writes to CSV.
* :func:`check_xlsx_safe`: refuse zip bombs, XML entity declarations (billion laughs, XXE),
  encrypted or non-zip files, before python-calamine or openpyxl parse the workbook.
* :func:`check_json_size`: refuse a download too large to import within the memory budget.
* :func:`stale_temp_files` / :func:`remove_stale_temp_files`: temporary files that a killed
  write left beside a workbook (``atomic.atomic_write`` names them ``.~<stem>-*``).
* :func:`hold_workbooks`: one ims-xl writer at a time per workbook (README, "Reliability and
  safety"), through the ``filelock`` library's lock file ``.~ims-xl.<name>.lock`` beside it.
* :func:`check_output_path` / :func:`write_error`: a target that cannot be written, and an
  ``OSError`` while writing, become one line naming the file and what to do (README, exit 2).

Memory budget: peak RSS measured with ``/usr/bin/time -v`` on files made by ``ims-xl sample
--records N`` (CPython 3.11, pandas 3.1, 2-core machine; MiB)::

    step                                  100,000 records   300,000 records   per record
    import JSON -> review workbook              605             1,445          4.3 KiB
    validate (imported workbook)                824             2,111          6.6 KiB
    import --into (re-import)                   904             2,522          8.3 KiB
    run --books --apply-suggestions           1,027             2,917          9.7 KiB
    validate (reconciled workbook)            1,086             3,092         10.3 KiB

The download is 401 bytes a record; a review workbook unpacks to 2.0 KB a record (3.9 KB once
reconciled: Books sheet, notes). The heaviest step, validating a reconciled workbook, needs
82 MiB + 10.3 KiB a record, so 4 GB (3.7 GiB) holds about 370,000 records: the default limit
is a 145 MB download (361,000 records, peak 3.9 GB), 1.6 GB unpacked for a workbook. A 1,000,000-record
download (401 MB) is refused up front; ``IMS_XL_MAX_JSON_MB`` raises the limit on a computer
with more memory (both limits scale with it).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
import zipfile
from contextlib import ExitStack, contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from xml.parsers import expat

import numpy as np
import pandas as pd

from ..errors import InputError
from ..review.inputs import some_text_starts_with

BACKUP_DIR = ".ims-xl-backups"
#: The largest IMS download accepted by default: 145 MB, about 361,000 records (401 bytes
#: each), for which the heaviest step peaks at about 3.9 GB (module docstring).
MAX_JSON_BYTES = 145 * 1000 * 1000
#: Environment variable to raise or lower the JSON limit, in MB, on a machine with more memory.
MAX_JSON_ENV = "IMS_XL_MAX_JSON_MB"
#: Uncompressed size of all parts of an .xlsx: the reconciled review workbook of the largest
#: accepted download unpacks to 1.39 GB (3.85 KB a record).
MAX_XLSX_UNCOMPRESSED = 1600 * 1000 * 1000
#: Unpacked workbook bytes allowed per byte of the JSON limit when IMS_XL_MAX_JSON_MB raises it.
_XLSX_PER_JSON_BYTE = 10.7
#: Compression ratio above which a part larger than :data:`RATIO_MIN_BYTES` is a zip bomb.
#: A review workbook's sheets compress about 13:1; deflate's ceiling is about 1032:1.
MAX_XLSX_RATIO = 200
RATIO_MIN_BYTES = 1 << 20
#: Parts in an .xlsx (a workbook with 100 sheets has about 300).
MAX_XLSX_MEMBERS = 10_000
#: Bytes of an XML part read before its root element must have started.
PROLOG_LIMIT = 1 << 20
_XML_PARTS = (".xml", ".rels", ".vml")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# ---------------------------------------------------------------- backups

def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def backups_of(path: str | Path) -> list[Path]:
    """The backups of ``path`` kept in its backup folder, oldest first."""
    p = Path(path)
    folder = p.parent / BACKUP_DIR
    if not folder.is_dir():
        return []
    rx = re.compile(rf"^{re.escape(p.stem)}\.(\d{{8}}-\d{{6}}-\d{{6}})(-\d+)?{re.escape(p.suffix)}$")
    found = [(m.group(1), int((m.group(2) or "-0")[1:]), f) for f in folder.iterdir()
             if (m := rx.match(f.name)) and f.is_file()]
    return [f for _, _, f in sorted(found)]


def backup(path: str | Path, keep: int = 5, prune: bool = True) -> Path | None:
    """Copy ``path`` to ``.ims-xl-backups/<stem>.<YYYYmmdd-HHMMSS-ffffff><suffix>`` beside it and
    keep the newest ``keep`` backups of it. ``None`` when ``path`` does not exist yet.

    The copy is written to a temporary name and renamed, so a backup is whole or absent: the
    temporary copy is removed whatever stops it (a full disk, Ctrl-C). With ``prune=False``
    older backups are left for :func:`prune_backups`, so a write that then fails can take its
    backup back with :func:`discard_backup` without having cost an older one.

    Raises:
        InputError: the backup cannot be written (nothing has been changed yet).
        ValueError: ``keep`` is less than 1.
    """
    if keep < 1:
        raise ValueError("keep at least one backup")
    p = Path(path)
    if not p.is_file():
        return None
    folder = p.parent / BACKUP_DIR
    made_folder = not folder.exists()
    tmp = None
    try:
        folder.mkdir(exist_ok=True)
        dst = folder / f"{p.stem}.{_stamp()}{p.suffix}"
        n = 1
        while dst.exists():
            dst = folder / f"{p.stem}.{_stamp()}-{n}{p.suffix}"
            n += 1
        tmp = folder / f".~{dst.name}"
        shutil.copy2(p, tmp)
        os.replace(tmp, dst)
    except BaseException as exc:
        _remove_quietly(tmp)
        if made_folder:
            _rmdir_if_empty(folder)
        if isinstance(exc, OSError):
            raise InputError(f"{p.name}: cannot keep a backup in {folder} ({_reason(exc)}); "
                             f"{_what_to_do(exc)}; nothing was changed") from None
        raise
    if prune:
        prune_backups(p, keep)
    return dst


def prune_backups(path: str | Path, keep: int = 5) -> None:
    """Keep the newest ``keep`` backups of ``path``; an old one that cannot be removed only costs space."""
    for old in backups_of(path)[:-keep]:
        _remove_quietly(old)


def discard_backup(made: Path | None) -> None:
    """Remove a backup just made for a write that did not happen (nothing to restore from it),
    and the backup folder if that leaves it empty."""
    if made is not None:
        _remove_quietly(made)
        _rmdir_if_empty(made.parent)


def _remove_quietly(f: Path | None) -> None:
    if f is not None:
        try:
            Path(f).unlink()
        except OSError:
            pass


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only succeeds when empty
    except OSError:
        pass


# ---------------------------------------------------------------- stale temporary files

def stale_temp_files(path: str | Path, older_than: float = 0.0) -> list[Path]:
    """Temporary files a killed write of ``path`` may have left (``.~<stem>-*``, the names
    ``atomic.atomic_write`` gives), last modified more than ``older_than`` seconds ago."""
    p = Path(path)
    if not p.parent.is_dir():
        return []
    now = time.time()
    out = []
    for f in p.parent.glob(f".~{glob_escape(p.stem)}-*"):
        if f.name.startswith(LOCK_PREFIX) and f.name.endswith(LOCK_SUFFIX):
            continue  # another workbook's ims-xl lock file (workbook "ims.xlsx" globs ".~ims-*")
        try:
            if f.is_file() and now - f.stat().st_mtime > older_than:
                out.append(f)
        except OSError:
            continue
    return sorted(out)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def remove_stale_temp_files(path: str | Path, older_than: float = 3600.0) -> list[Path]:
    """Remove what :func:`stale_temp_files` finds (by default older than an hour, so a write
    still running in another process is left alone). Returns the files removed."""
    gone = []
    for f in stale_temp_files(path, older_than):
        try:
            f.unlink()
            gone.append(f)
        except OSError:
            pass
    return gone


# ---------------------------------------------------------------- formula injection

#: OWASP CSV Injection: cells starting with these are formulas (or become one) in Excel,
#: LibreOffice and Google Sheets. The full-width forms are also read as formulas by some
#: East Asian Excel builds.
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def neutralise_csv_cell(v: object) -> str:
    """The text to write for one CSV cell: text starting with ``= + - @`` TAB or CR gets a
    leading ``'`` (OWASP), so no spreadsheet runs it; numbers (and text that is just a
    signed decimal number, like ``-1500.00``) are left alone; ``None``/NaN give ``""``."""
    if v is None:
        return ""
    if isinstance(v, float) and v != v:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, Decimal, np.integer, np.floating)):
        return str(v)
    t = str(v)
    if t.startswith(DANGEROUS_START) and not _PLAIN_NUMBER.match(t):
        return "'" + t
    return t


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) are neutralised; numeric columns,
    numbers and empty cells are left as they are, so ``to_csv`` writes them unchanged.

    Write the result with ``quoting=csv.QUOTE_ALL``: a delimiter inside a cell (``a;=cmd``
    opened where ``;`` separates fields) is then never split into a cell of its own.
    """
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype.kind in "biufcmM":
            continue
        if not some_text_starts_with(s.tolist(), DANGEROUS_START):
            continue
        # a copy: under pandas copy-on-write an object column's array is a read-only view
        vals = s.to_numpy(dtype=object, copy=True)
        for i, v in enumerate(vals):
            if isinstance(v, str) and v.startswith(DANGEROUS_START):
                vals[i] = neutralise_csv_cell(v)
        out[c] = pd.Series(vals, index=s.index, dtype=object)
    out.columns = [neutralise_csv_cell(c) if isinstance(c, str) else c for c in out.columns]
    return out


# ---------------------------------------------------------------- hostile workbooks

class _Refused(Exception):
    pass


class _RootStarted(Exception):
    pass


def _prolog_problem(chunks) -> str | None:
    """Feed an XML part's first bytes to expat until its root element starts; say what is
    hostile in its prolog (a DOCTYPE, hence entity declarations), or ``None``."""
    p = expat.ParserCreate()

    def doctype(*_a):
        raise _Refused("declares a DOCTYPE (XML entity declarations are refused)")

    def entity(*_a):
        raise _Refused("declares an XML entity")

    def start(*_a):
        raise _RootStarted()

    p.StartDoctypeDeclHandler = doctype
    p.EntityDeclHandler = entity
    p.StartElementHandler = start
    seen = b""
    read = 0
    try:
        for chunk in chunks:
            read += len(chunk)
            if len(seen) < 4096:
                seen += chunk[:4096]
            p.Parse(chunk, False)
            if read > PROLOG_LIMIT:
                return f"has more than {PROLOG_LIMIT // 1024} KB before its first element"
        p.Parse(b"", True)
    except _RootStarted:
        return None
    except _Refused as exc:
        return str(exc)
    except expat.ExpatError:
        # malformed: the reader will say so; still refuse a DOCTYPE seen in the raw bytes
        for enc in ("utf-8", "utf-16"):
            try:
                text = seen.decode(enc, errors="ignore").upper()
            except LookupError:  # pragma: no cover
                continue
            if "<!DOCTYPE" in text or "<!ENTITY" in text:
                return "declares a DOCTYPE (XML entity declarations are refused)"
        return None
    return None


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, first: int = 1 << 16, size: int = 1 << 20):
    """A part unpacked: a small first chunk (the prolog check reads no more than it needs),
    then large ones (a Python step per 64 KB cost a tenth of a second on a 300 MB workbook)."""
    with zf.open(info) as f:
        b = f.read(first)
        while b:
            yield b
            b = f.read(size)


def _finding(stream, needle: bytes, found: set[str], name: str):
    """The chunks of ``stream``, noting ``name`` in ``found`` when they hold ``needle``
    (also across two chunks)."""
    tail = b""
    for b in stream:
        if name not in found and (needle in b or needle in tail + b[:len(needle)]):
            found.add(name)
        tail = b[-len(needle):]
        yield b


def check_xlsx_safe(path: str | Path, max_uncompressed: int | None = None,
                    max_ratio: float = MAX_XLSX_RATIO, max_members: int = MAX_XLSX_MEMBERS,
                    verify_data: bool = True, holding: dict[bytes, set[str]] | None = None) -> None:
    """Refuse an .xlsx that is not safe to open, before any workbook library parses it.

    Refused: a file that is not a zip (an old .xls, a password-protected workbook, JSON, CSV
    ...), a damaged zip, more than ``max_members`` parts, parts that unpack to more than
    ``max_uncompressed`` bytes in all (default :func:`xlsx_limit`), a part compressed more than ``max_ratio``:1 (a zip
    bomb), an encrypted part, and any XML part whose prolog declares a DOCTYPE (entity
    expansion, external entities). With ``verify_data`` every part is also unpacked once as
    a stream and its CRC checked, so a zip whose directory lies about sizes is refused too
    (about 1.3 s for a 100,000-record review workbook). ``holding`` maps a byte string to a
    set that this unpacking fills with the worksheet parts holding it (one pass serves both).

    Raises:
        InputError: the message names the file and what is wrong.
    """
    p = Path(path)
    name = p.name
    max_uncompressed = xlsx_limit() if max_uncompressed is None else max_uncompressed
    if not p.is_file():
        raise InputError(f"{p}: file not found" if not p.exists() else f"{p}: is a folder; give an .xlsx file")
    try:
        with open(p, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if head == _OLE:
        raise InputError(f"{name}: an old .xls workbook or a password-protected one; open it in Excel "
                         "and save it as .xlsx without a password")
    if not head.startswith(b"PK"):
        kind = "a JSON file" if head.lstrip()[:1] in (b"{", b"[") else "not an Excel .xlsx file"
        raise InputError(f"{name}: cannot be opened as a workbook: {kind}")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            if len(infos) > max_members:
                raise InputError(f"{name}: has {len(infos):,} parts (more than {max_members:,}); "
                                 "refused as unsafe")
            total = sum(i.file_size for i in infos)
            if total > max_uncompressed:
                raise InputError(f"{name}: unpacks to {total / 1e6:,.0f} MB, more than ims-xl opens safely "
                                 f"({max_uncompressed / 1e6:,.0f} MB); split the workbook or the download")
            for i in infos:
                if i.flag_bits & 0x1:
                    raise InputError(f"{name}: part {i.filename} is encrypted; save the workbook without a password")
                ratio = i.file_size / max(i.compress_size, 1)
                if i.file_size > RATIO_MIN_BYTES and ratio > max_ratio:
                    raise InputError(f"{name}: part {i.filename} is compressed {ratio:,.0f}:1 (a zip bomb); "
                                     "refused as unsafe")
            for i in infos:
                is_xml = i.filename.lower().endswith(_XML_PARTS)
                if not is_xml and not verify_data:
                    continue
                stream = _chunks(zf, i)
                if holding and verify_data and i.filename.startswith("xl/worksheets/"):
                    for needle, found in holding.items():  # every chunk, the prolog's too
                        stream = _finding(stream, needle, found, i.filename)
                if is_xml:
                    problem = _prolog_problem(stream)  # consumes only the first chunks
                    if problem:
                        raise InputError(f"{name}: part {i.filename} {problem}; refused as unsafe")
                if verify_data:
                    for _ in stream:  # the rest of the part: sizes and CRC-32 are checked at its end
                        pass
    except InputError:
        raise
    except _DAMAGED as exc:
        raise InputError(_damaged(name, exc)) from None


#: What zipfile raises on a damaged package (a bad CRC: BadZipFile).
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, RuntimeError,
            OSError)


def _damaged(name: str, exc: BaseException) -> str:
    return f"{name}: the workbook is damaged or not a real .xlsx ({exc}); open it in Excel and save it again"


def parts_holding(path: str | Path, parts: set[str], needle: bytes) -> set[str]:
    """The parts among ``parts`` whose unpacked bytes hold ``needle``, each unpacked once as
    a stream (sizes and CRC-32 checked at its end). Called after :func:`check_xlsx_safe`.

    Raises:
        InputError: a part is damaged.
    """
    found: set[str] = set()
    try:
        with zipfile.ZipFile(path) as zf:
            for part in sorted(parts & set(zf.namelist())):
                for _ in _finding(_chunks(zf, zf.getinfo(part)), needle, found, part):
                    pass
    except _DAMAGED as exc:
        raise InputError(_damaged(Path(path).name, exc)) from None
    return found


# ---------------------------------------------------------------- large downloads

def json_limit() -> int:
    """The JSON size limit in bytes: :data:`MAX_JSON_BYTES`, or ``IMS_XL_MAX_JSON_MB`` MB."""
    v = os.environ.get(MAX_JSON_ENV, "").strip()
    if v:
        try:
            mb = float(v)
            if mb > 0:
                return int(mb * 1000 * 1000)
        except ValueError:
            pass
    return MAX_JSON_BYTES


def xlsx_limit() -> int:
    """The unpacked-size limit for workbooks: :data:`MAX_XLSX_UNCOMPRESSED`, raised in
    proportion when ``IMS_XL_MAX_JSON_MB`` raises the download limit."""
    return max(MAX_XLSX_UNCOMPRESSED, int(json_limit() * _XLSX_PER_JSON_BYTE))


def check_json_size(path: str | Path, max_bytes: int | None = None) -> None:
    """Refuse an IMS download larger than ``max_bytes`` (default :func:`json_limit`) before
    reading it, saying why and what to do.

    Raises:
        InputError: the file is too large (or cannot be found).
    """
    p = Path(path)
    limit = json_limit() if max_bytes is None else max_bytes
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{p}: file not found") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    if size > limit:
        raise InputError(
            f"{p.name}: {size / 1e6:,.0f} MB is more than ims-xl can review safely in memory "
            f"({limit / 1e6:,.0f} MB, about {limit // 401:,} records, keeps every step under "
            f"4 GB); download IMS one section or one period at a time, or on a computer with "
            f"more memory set {MAX_JSON_ENV} to a larger size in MB")


# ---------------------------------------------------------------- files that cannot be written

_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def _reason(exc: OSError) -> str:
    if exc.errno in _FULL:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the folder is read-only"
    if exc.errno in _DENIED:
        return "no permission to write there"
    return exc.strerror or type(exc).__name__


def _what_to_do(exc: OSError) -> str:
    if exc.errno in _FULL:
        return "free some space (or choose a folder on another disk) and try again"
    if exc.errno in _DENIED:
        return "choose another folder, or ask for write access to this one"
    return "check the folder and try again"


def write_error(path: str | Path, exc: OSError, existed: bool | None = None) -> InputError:
    """The one line for an ``OSError`` met while writing ``path`` (README: exit 2, the file
    and what to do). ``existed`` says whether ``path`` was there before the write; the atomic
    writers only ever fail before their final rename, so it is unchanged (or still absent)."""
    p = Path(path)
    if exc.errno == errno.ENOENT and not p.parent.is_dir():
        return InputError(f"{p.parent}: folder not found; create it or choose another folder; nothing was written")
    if exc.errno == errno.EISDIR or p.is_dir():
        return InputError(f"{p}: is a folder; give a file name; nothing was written")
    existed = p.exists() if existed is None else existed
    tail = f"{p.name} was not changed" if existed else f"{p.name} was not written"
    return InputError(f"{p}: cannot be written ({_reason(exc)}); {_what_to_do(exc)}; {tail}")


def check_output_path(path: str | Path) -> None:
    """Refuse, before any work, a file target that is a folder or whose folder does not exist."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder; give a file name")
    if not p.parent.is_dir():
        raise InputError(f"{p.parent}: folder not found; create it or choose another folder")


# ---------------------------------------------------------------- one writer at a time

#: The ims-xl lock file beside a workbook ``NAME``: ``.~ims-xl.NAME.lock`` (hidden on macOS
#: and Linux; removed when the command ends).
LOCK_PREFIX, LOCK_SUFFIX = ".~ims-xl.", ".lock"
#: Seconds a command waits for another ims-xl command on the same workbook before refusing.
LOCK_WAIT_SECONDS = 5.0
#: Environment variable that changes :data:`LOCK_WAIT_SECONDS` (tests use a short wait).
LOCK_WAIT_ENV = "IMS_XL_LOCK_WAIT"


def lock_file(path: str | Path) -> Path:
    """The ims-xl lock file of workbook ``path``."""
    p = Path(path)
    return p.parent / f"{LOCK_PREFIX}{p.name}{LOCK_SUFFIX}"


def lock_wait() -> float:
    """:data:`LOCK_WAIT_SECONDS`, or ``IMS_XL_LOCK_WAIT`` seconds when set to a number >= 0."""
    v = os.environ.get(LOCK_WAIT_ENV, "").strip()
    try:
        if v and float(v) >= 0:
            return float(v)
    except ValueError:
        pass
    return LOCK_WAIT_SECONDS


@contextmanager
def hold_workbooks(*paths: str | Path, wait: float | None = None):
    """Hold the ims-xl lock of each workbook for the whole read -> change -> write of a command,
    so that two commands never write one workbook at once and neither loses the other's work
    (README, "Reliability and safety"). A second command waits up to :func:`lock_wait`
    seconds, then is refused with one line.

    The lock is ``filelock.FileLock`` (``flock`` on macOS and Linux, ``msvcrt.locking`` on
    Windows): the operating system releases it when a process dies, so a killed command never
    leaves a workbook locked. Each path's folder must exist (``filelock`` would create it).

    Raises:
        InputError: another ims-xl command holds the lock, or the lock file cannot be made.
    """
    import filelock

    wait = lock_wait() if wait is None else wait
    ordered = sorted({Path(os.path.abspath(p)) for p in paths})  # one order: no deadlock
    with ExitStack() as stack:
        for p in ordered:
            lf = lock_file(p)
            lock = filelock.FileLock(str(lf), timeout=wait)
            try:
                lock.acquire()
            except filelock.Timeout:
                raise InputError(f"{p.name} is being changed by another ims-xl command (lock file {lf}); "
                                 "wait for it to finish and try again") from None
            except OSError as exc:
                raise InputError(f"{p.name}: cannot make the lock file {lf.name} in {p.parent} "
                                 f"({_reason(exc)}); {_what_to_do(exc)}; nothing was changed") from None
            stack.callback(_release, lock, lf)
        yield ordered


def _release(lock, lf: Path) -> None:
    """Release ``lock``, removing its file so no lock file is left beside the workbook.

    The file is unlinked while still locked: a waiting command that had opened it finds its
    link count 0 once it gets the lock and opens the path afresh (``filelock`` checks this on
    Unix), so two holders never exist. On Windows ``filelock`` removes the file itself; with
    its soft-lock fallback (a file system without ``flock``) releasing removes it as well.
    """
    try:
        soft = bool(getattr(getattr(lock, "_context", None), "soft_fallback", False))
        if os.name == "posix" and not soft:
            _remove_quietly(lf)
    finally:
        lock.release()


def file_saved_at(path: str | os.PathLike) -> str:
    """When a file was last saved (local time, sortable text), "" when unknown: a re-import
    warns about a download older than the one imported before (README, re-import)."""
    try:
        return datetime.fromtimestamp(os.path.getmtime(path)).strftime("%Y-%m-%d %H:%M:%S")
    except OSError:
        return ""
