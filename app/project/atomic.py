"""Atomic file replacement: write next to the target, fsync, then os.replace in one step.

Temp files are named `.<target name>.<8 hex>.tmp<suffix>` (the target name shortened with a hash
when a long name would push the temp name over the file system's name limit), so a folder's
temps of one target can be found again: `remove_stale_temps` deletes those a killed writer left,
and only those. Folders (a SavedModel export) are swapped by `replace_folder`, which keeps the
previous folder until the new one is in place; `restore_folder` undoes a swap cut short.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

NAME_MAX = 255  # bytes; NTFS counts UTF-16 units, never more than UTF-8 bytes
MAX_SUFFIX_BYTES = 24  # room kept for a temp's suffix (".weights.npz", ".keras", ...)
_TOKEN = r"[0-9a-f]{8}"
STALE_SECONDS = 15 * 60  # a temp untouched this long belongs to no write still running


def name_limit(folder: Path) -> int:
    """The longest file name (in UTF-8 bytes) the file system of `folder` takes."""
    try:
        return min(NAME_MAX, os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # no pathconf on Windows
        return NAME_MAX


def fitted_name(name: str, room: int) -> str:
    """`name` if it fits in `room` UTF-8 bytes, else its start plus '~' and a hash of all of it
    (so two long names that start alike still get different short names)."""
    raw = name.encode("utf-8")
    if len(raw) <= room:
        return name
    tag = hashlib.sha256(raw).hexdigest()[:8]
    return raw[: max(room - 9, 0)].decode("utf-8", "ignore") + "~" + tag


def _temp_stem(target: Path) -> str:
    # The same for every suffix, so one pattern finds all of a target's temps.
    return fitted_name(target.name, name_limit(target.parent) - 14 - MAX_SUFFIX_BYTES)


def temp_name(target: str | os.PathLike, suffix: str = "") -> Path:
    """A fresh temp name next to `target` (not created), e.g. for a folder."""
    target = Path(target)
    if len(suffix.encode("utf-8")) > MAX_SUFFIX_BYTES:
        raise ValueError(f"temp suffix too long: {suffix!r}")
    return target.with_name(f".{_temp_stem(target)}.{secrets.token_hex(4)}.tmp{suffix}")


def new_temp_file(target: str | os.PathLike, suffix: str = "") -> Path:
    """Create an empty temp file next to `target` (mode 0600); OSError names `target`, never
    the temp, since the temp is ours and means nothing to the user."""
    target = Path(target)
    for _ in range(100):
        tmp = temp_name(target, suffix)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise _about_target(exc, target) from None
    raise FileExistsError(errno.EEXIST, "no free temp file name", str(target))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success it replaces `path`, on error it goes.

    For writers that insist on a file name (keras `model.save`); `suffix` keeps the extension
    they check.  The previous file stays untouched unless the whole write succeeded.
    """
    target = Path(path)
    tmp_path = new_temp_file(target, suffix)
    try:
        set_mode_like(tmp_path, target)
        yield tmp_path
        _fsync_file(tmp_path)
        try:
            os.replace(tmp_path, target)
        except OSError as exc:
            raise _about_target(exc, target) from None
        fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temp file for writing; it replaces `path` only if the block ends without error."""
    encoding = None if "b" in mode else "utf-8"
    with atomic_path(path) as tmp, open(tmp, mode, encoding=encoding) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def temp_pattern(target: str | os.PathLike) -> re.Pattern[str]:
    """The names of `target`'s temps (files or folders), whatever their suffix."""
    target = Path(target)
    return re.compile(re.escape(f".{_temp_stem(target)}.") + _TOKEN + r"\.tmp(\.[\w.-]+)?")


def remove_stale_temps(
    target: str | os.PathLike, before: float, legacy_suffixes: tuple[str, ...] = ()
) -> int:
    """Delete `target`'s temp files last written before `before` (a time.time()); returns how
    many. `legacy_suffixes`: also the temps of older LayerLoom versions (`.<name>.<8 chars>
    <suffix>`, tempfile.mkstemp's naming). Anything else in the folder is left alone."""
    target = Path(target)
    patterns = [temp_pattern(target)]
    patterns += [
        re.compile(re.escape(f".{target.name}.") + r"[a-z0-9_]{8}" + re.escape(s))
        for s in legacy_suffixes
    ]
    return remove_files_matching(target.parent, patterns, before)


def remove_files_matching(
    folder: Path, patterns: list[re.Pattern[str]], before: float, keep: Path | None = None
) -> int:
    """Delete regular files in `folder` whose whole name matches one of `patterns` and that
    were last written before `before`, except `keep`; errors are ignored (a read-only folder
    stays as it is). Returns how many were deleted."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        if (keep is not None and name == keep.name) or not any(p.fullmatch(name) for p in patterns):
            continue
        path = folder / name
        with contextlib.suppress(OSError):
            st = path.lstat()
            if stat.S_ISREG(st.st_mode) and st.st_mtime < before:
                path.unlink()
                removed += 1
    return removed


# ----- folders --------------------------------------------------------------------------------


def replace_folder(new: str | os.PathLike, target: str | os.PathLike) -> None:
    """Put the folder `new` (in the target's parent) at `target`, replacing any folder there.

    Folders cannot be swapped in one rename, so the previous one is first renamed to a `.old`
    temp and deleted only once the new one is in place; if a crash falls between the two
    renames, `restore_folder` (run before every replace) puts the previous folder back.
    """
    new, target = Path(new), Path(target)
    old = None
    if target.exists() or target.is_symlink():
        old = temp_name(target, ".old")
        os.replace(target, old)
    # Here (and only here) `target` is missing; its previous content is at `old`.
    try:
        os.replace(new, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    fsync_dir(target.parent)
    if old is not None:
        _delete_folder(old, target)


def restore_folder(target: str | os.PathLike, before: float) -> bool:
    """Undo a `replace_folder` cut short: if `target` is missing, its previous folder comes
    back from a `.old` temp (also one of older versions, `.<name>.<6 hex>.old`); `target`'s
    other temps last written before `before` (a time.time()) are deleted. True if a previous
    folder was put back."""
    target = Path(target)
    patterns = [temp_pattern(target), _legacy_folder_temp(target)]
    try:
        leftovers = [
            target.parent / n
            for n in os.listdir(target.parent)
            if any(p.fullmatch(n) for p in patterns)
        ]
    except OSError:
        return False
    olds = [p for p in leftovers if p.name.endswith(".old") and p.is_dir()]
    restored = None
    if olds and not (target.exists() or target.is_symlink()):
        restored = max(olds, key=lambda p: p.stat().st_mtime)
        os.replace(restored, target)
        fsync_dir(target.parent)
    for p in leftovers:
        with contextlib.suppress(OSError):
            if p == restored or p.lstat().st_mtime >= before:
                continue  # put back, or a temp of a write that started after us
            if p.is_dir() and not p.is_symlink():
                _delete_folder(p, target)
            else:
                p.unlink()
    return restored is not None


def _legacy_folder_temp(target: Path) -> re.Pattern[str]:
    # How older versions named a SavedModel export's temp and previous folders.
    return re.compile(re.escape(f".{target.name}.") + r"[0-9a-f]{6}\.(tmp|old)")


def _delete_folder(folder: Path, target: Path) -> None:
    # Renamed first, so a deletion cut short never leaves a half folder that looks restorable.
    trash = temp_name(target, ".del")
    try:
        os.replace(folder, trash)
    except OSError:
        trash = folder
    if trash.is_dir() and not trash.is_symlink():
        shutil.rmtree(trash, ignore_errors=True)
    else:
        trash.unlink(missing_ok=True)


# ----- helpers --------------------------------------------------------------------------------


def _about_target(exc: OSError, target: Path) -> OSError:
    """The same error, told about the user's file instead of our temp name."""
    if isinstance(exc, FileNotFoundError) and not target.parent.is_dir():
        why = f"the folder '{target.parent}' does not exist"
    else:
        why = exc.strerror or str(exc)
    return type(exc)(exc.errno, why, str(target))


def _default_mode() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_NEW_FILE_MODE = _default_mode()


def set_mode_like(tmp: Path, target: Path) -> None:
    """Give `tmp` (0600 when new) the mode of `target`, or the usual mode of a new file."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = _NEW_FILE_MODE
    with contextlib.suppress(OSError):
        os.chmod(tmp, mode)


def _fsync_file(path: Path) -> None:
    # Read-write: Windows refuses to flush a handle opened read-only.
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make renames in `folder` durable; not possible on Windows, where it is not needed."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
