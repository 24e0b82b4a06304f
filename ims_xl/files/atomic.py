"""Writing files whole: every target replaced in one step after all its parts were written.

A full disk or Ctrl-C while writing leaves each target as it was and no temporary file
behind (README: never a half-written file); a workbook open in Excel or LibreOffice is
never replaced under it.
"""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

from ..errors import InputError
from .safety import check_output_path, neutralise_frame, remove_stale_temp_files, write_error

#: Every file replaced by :func:`atomic_write_many` in this process, in order: what an
#: interrupted command has already written (cli's Ctrl-C message names them, README: never
#: claim "not changed" for a file that was written).
WRITTEN: list[Path] = []


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then move the temporary file over ``path`` in one step."""
    atomic_write_many([(path, write)])


def atomic_write_many(items, done: list[Path] | None = None) -> None:
    """Write each ``(path, write)``: every ``write(tmp_path)`` first, each to a temporary file
    beside its target, and only when all succeeded move them over their targets, so a full
    disk or Ctrl-C while writing leaves every target as it was and no temporary file behind
    (README: never a half-written file). Each target replaced is appended to ``done`` and
    :data:`WRITTEN`.

    Raises:
        InputError: a target is open in Excel or LibreOffice, or cannot be written (one line:
            the file, why, and what to do; nothing was changed).
    """
    staged: list[tuple[Path, str, bool]] = []
    try:
        for path, write in items:
            path = Path(path)
            check_output_path(path)
            refuse_if_open(path)
            remove_stale_temp_files(path)  # left by a killed earlier run, older than an hour
            existed = path.exists()
            try:
                fd, tmp = tempfile.mkstemp(prefix=".~" + path.stem + "-", suffix=path.suffix, dir=path.parent)
            except OSError as exc:
                raise write_error(path, exc, existed) from None
            os.close(fd)
            staged.append((path, tmp, existed))
            try:
                write(tmp)
                # mkstemp makes the file private; give it the mode the target had (or the usual one)
                os.chmod(tmp, path.stat().st_mode & 0o777 if existed else 0o666 & ~_umask())
            except OSError as exc:
                raise write_error(path, exc, existed) from None
        for path, tmp, existed in staged:
            _replace(tmp, path, existed, done)
    finally:
        for _, tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _replace(tmp: str, path: Path, existed: bool, done: list[Path] | None) -> None:
    """``os.replace`` and the record of it as one step for Ctrl-C: SIGINT is held back between
    them, so a file is never replaced without being named as written."""
    mask = getattr(signal, "pthread_sigmask", None)
    held = False
    if mask is not None:
        try:
            mask(signal.SIG_BLOCK, {signal.SIGINT})
            held = True
        except (OSError, ValueError):
            pass
    try:
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise write_error(path, exc, existed) from None
        WRITTEN.append(path)
        if done is not None:
            done.append(path)
    finally:
        if held:
            mask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def refuse_if_open(path: Path) -> None:
    """Excel keeps a lock file ``~$name`` beside a workbook it has open, LibreOffice
    ``.~lock.name#``: refuse to replace a workbook either has open (README)."""
    p = Path(path)
    lock = p.with_name("~$" + p.name)
    if lock.exists():
        raise InputError(f"{p.name} is open in Excel (lock file {lock.name}); close it and try again")
    lock = p.with_name(".~lock." + p.name + "#")
    if lock.exists():
        raise InputError(f"{p.name} is open in LibreOffice (lock file {lock.name}); close it and try again "
                         "(if LibreOffice is not running, delete that lock file)")


def write_parts(parts: list[bytes], out: Path) -> list[Path]:
    """Write the upload file(s): ``out`` for one part, ``out_1``, ``out_2`` ... for several.

    The parts are all written to temporary files first and only then moved over their
    targets, so a full disk leaves no mix of new and old parts; numbered parts left from an
    earlier, larger export are removed so no stale part can be uploaded by mistake.
    """
    paths = [out] if len(parts) == 1 else [out.with_name(f"{out.stem}_{i}{out.suffix}") for i in range(1, len(parts) + 1)]
    atomic_write_many([(p, lambda tmp, data=data: Path(tmp).write_bytes(data)) for p, data in zip(paths, parts)])
    i = len(parts) + 1 if len(parts) > 1 else 1
    while (stale := out.with_name(f"{out.stem}_{i}{out.suffix}")).exists():
        if b'"reqtyp":"SAVE"' in stale.read_bytes()[:200]:
            stale.unlink()
        i += 1
    if len(parts) > 1 and out.is_file() and b'"reqtyp":"SAVE"' in out.read_bytes()[:200]:
        out.unlink()  # an earlier, smaller export's single file beside this one's parts
    return paths


def write_csv(frame, path: Path) -> None:
    """A table as a UTF-8 CSV (``matches.csv``), written atomically. Text starting with
    = + - @ is prefixed with ' so a spreadsheet never runs it as a formula, and every cell
    is quoted, so a spreadsheet that splits fields at ; (a comma-decimal locale) never cuts
    ``a;=cmd`` into a cell that starts a formula (safety.neutralise_frame)."""
    import csv
    safe = neutralise_frame(frame)
    atomic_write_many([(path, lambda tmp: safe.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                                                      quoting=csv.QUOTE_ALL))])


def write_rows_csv(rows: list[list[str]], path: Path) -> None:
    """Rows of text as a UTF-8 CSV, written atomically (text that would start a formula is
    prefixed with ', every cell quoted, as :func:`write_csv`)."""
    import csv
    from .safety import neutralise_csv_cell

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_ALL)  # as write_csv
            w.writerows([[neutralise_csv_cell(v) for v in r] for r in rows])
    atomic_write_many([(path, write)])


def make_folder(folder: Path) -> Path:
    """Create an output folder (and its parents), or say in one line why it cannot be."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file, not a folder; choose another --out-dir")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(folder, exc) from None
    return folder
