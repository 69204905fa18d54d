"""Reading .npy / .npz files that may be hostile: headers checked before any data is read.

numpy.load trusts a file's header (it allocates what the header promises) and reports damage
as tracebacks from zipfile or its own internals. Here every array's header is parsed and
checked first (no pickles, no 0-d, complex or non-numeric arrays, no promise of more bytes than
the file holds), then the data is read in chunks, so a bad file ends in one sentence naming the
file and the array. This module is pasted into generated scripts: numpy and the standard
library only, and ValueError for every problem with the data.
"""

from __future__ import annotations

import ast
import math
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

NPY_MAGIC = b"\x93NUMPY"
NPY_MAX_HEADER = 100_000  # real headers of numeric arrays are under 200 bytes
READ_CHUNK = 1 << 24


def zip_read_errors() -> tuple[type[Exception], ...]:
    """What a damaged or odd zip archive or member raises while it is opened or read."""
    # A function, not a module-level tuple: pasted definitions then need no import to be defined.
    return (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        RuntimeError,  # an encrypted member
        NotImplementedError,  # an unsupported compression method
    )


def numpy_file_is_archive(path: str | Path) -> bool:
    """True for an .npz archive, False for an .npy file, whatever its name ends with."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{p} is a folder, not a NumPy file (.npy or .npz).")
    if not p.exists():
        raise ValueError(f"The NumPy file {p} does not exist.")
    if not p.is_file():
        raise ValueError(f"{p} is not a file, so not a NumPy file.")
    try:
        with p.open("rb") as f:
            head = f.read(len(NPY_MAGIC))
    except OSError as exc:
        raise ValueError(f"{p.name} cannot be read: {exc.strerror or exc}.") from exc
    if head.startswith(b"PK"):
        return True
    if head == NPY_MAGIC:
        return False
    if not head:
        raise ValueError(f"{p.name} is empty, not a NumPy file.")
    if head[:1] == b"\x80":  # the first byte of a pickle (protocol 2 and later)
        raise ValueError(
            f"{p.name} holds pickled Python objects, which are not loaded for safety; "
            f"save plain numeric arrays with numpy.save or numpy.savez instead."
        )
    raise ValueError(f"{p.name} is not a NumPy file (.npy or .npz).")


def numpy_file_arrays(path: str | Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """name -> (shape, dtype) of every array, from the headers only (no data is read).

    The array of an .npy file is named after the file's stem.
    """
    p = Path(path)
    if not numpy_file_is_archive(p):
        with p.open("rb") as f:
            shape, dtype, _, _ = _npy_header(f, p.name)
        return {p.stem: (shape, dtype)}
    out = {}
    with _open_archive(p) as archive:
        for name, info in _archive_members(archive).items():
            where = f"In {p.name}, array '{name}'"
            try:
                with archive.open(info) as f:
                    shape, dtype, _, _ = _npy_header(f, where)
            except zip_read_errors() as exc:
                raise ValueError(f"{where} cannot be read: {exc}.") from exc
            out[name] = (shape, dtype)
    return out


def read_numpy_file(path: str | Path, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """The checked arrays of an .npz file (those in `names`, in that order; None: all) or the
    one array of an .npy file as {"x": array}; ValueError names the file and array at fault."""
    p = Path(path)
    if not numpy_file_is_archive(p):
        with p.open("rb") as f:
            return {"x": _read_npy(f, p.stat().st_size, p.name)}
    with _open_archive(p) as archive:
        members = _archive_members(archive)
        missing = [n for n in names or [] if n not in members]
        if missing:
            raise ValueError(
                f"{p.name} has no array '{missing[0]}'. Its arrays: {', '.join(members)}."
            )
        arrays = {}
        for name in members if names is None else names:
            where = f"In {p.name}, array '{name}'"
            info = members[name]
            try:
                with archive.open(info) as f:
                    arrays[name] = _read_npy(f, info.file_size, where)
                    while f.read(READ_CHUNK):  # to the end, where zipfile checks the CRC
                        pass
            except zip_read_errors() as exc:
                raise ValueError(f"{where} is damaged: {exc}.") from exc
        return arrays


def _open_archive(p: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(p)
    except zip_read_errors() as exc:
        raise ValueError(f"{p.name} is not a readable .npz archive: {exc}.") from exc


def _archive_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Array name (member name without .npy, as numpy.load names it) -> zip member."""
    return {
        (i.filename[:-4] if i.filename.endswith(".npy") else i.filename): i
        for i in archive.infolist()
        if not i.is_dir()
    }


def _npy_header(f: Any, where: str) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    """(shape, dtype, fortran order, header length) of an .npy stream; ValueError if damaged."""
    lead = f.read(len(NPY_MAGIC) + 2)
    if len(lead) < 8 or not lead.startswith(NPY_MAGIC) or lead[6] not in (1, 2, 3):
        raise ValueError(f"{where} is not a NumPy array (it has no .npy header).")
    size_bytes = 2 if lead[6] == 1 else 4
    raw = f.read(size_bytes)
    length = int.from_bytes(raw, "little")
    text = f.read(length) if len(raw) == size_bytes and length <= NPY_MAX_HEADER else b""
    try:
        header = ast.literal_eval(text.decode("utf-8" if lead[6] == 3 else "latin-1"))
        dtype = np.lib.format.descr_to_dtype(header["descr"])
        shape = tuple(header["shape"])
        fortran = header["fortran_order"]
    except (ValueError, TypeError, KeyError, SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError(f"{where} has a damaged header.") from exc
    if not (
        isinstance(fortran, bool)
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
    ):
        raise ValueError(f"{where} has a damaged header.")
    return shape, dtype, fortran, len(NPY_MAGIC) + 2 + size_bytes + length


def _check_trainable(shape: tuple[int, ...], dtype: np.dtype, where: str) -> None:
    """ValueError unless the header describes numbers with a sample axis."""
    if dtype.hasobject:
        raise ValueError(
            f"{where} holds Python objects (pickles), which are not loaded for safety; "
            f"save plain numeric arrays instead."
        )
    if dtype.kind == "c":
        raise ValueError(
            f"{where} holds complex numbers, which a model cannot train on without losing "
            f"their imaginary part; save the real and imaginary parts (or the magnitude) as "
            f"real numbers instead."
        )
    if dtype.kind not in "biufU":  # numbers, and text as fixed-width unicode (no pickles)
        raise ValueError(f"{where} has dtype {dtype}; only numbers and text can train a model.")
    if not shape:
        raise ValueError(f"{where} is a single value (a 0-d array), not an array of samples.")
    if shape[0] == 0:
        raise ValueError(f"{where} is empty: it has no samples.")


def _read_npy(f: Any, size: int, where: str) -> np.ndarray:
    """The array of an .npy stream of `size` bytes, read only as far as its checked header
    promises and the stream holds; NaN and infinite values are refused."""
    shape, dtype, fortran, offset = _npy_header(f, where)
    _check_trainable(shape, dtype, where)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if nbytes > size - offset:
        raise ValueError(
            f"{where} is cut short: its header promises {nbytes} bytes of data but there are "
            f"{max(size - offset, 0)}."
        )
    try:
        flat = np.empty(count, dtype=dtype)
    except MemoryError:
        raise ValueError(f"{where} needs {nbytes >> 20} MB, more memory than is free.") from None
    buffer = flat.view(np.uint8)
    done = 0
    while done < nbytes:
        n = f.readinto(buffer[done : done + READ_CHUNK])
        if not n:
            raise ValueError(f"{where} is cut short: it ends after {done} of {nbytes} bytes.")
        done += n
    array = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
    if not dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
    if dtype.kind == "f":
        bad = int(np.count_nonzero(~np.isfinite(array)))
        if bad:
            raise ValueError(
                f"{where} holds {bad} NaN or infinite value{'s' if bad > 1 else ''}; replace "
                f"or remove {'them' if bad > 1 else 'it'} before training."
            )
    return array


def read_numpy_arrays(
    path: str | Path,
    x: list[str] | tuple[str, ...] = ("x",),
    y: list[str] | tuple[str, ...] | None = None,
    x_val: list[str] | tuple[str, ...] = (),
    y_val: list[str] | tuple[str, ...] = (),
    y_path: str = "",
    weights: str = "",
    weights_val: str = "",
) -> dict[str, Any]:
    """Named arrays of an .npz file, or of an .npy file ("x") and its targets' .npy ("y").

    From an .npz, `x` / `y` name the input / target arrays (`y` None: the array "y" when there
    is one) and `x_val` / `y_val` validation arrays, which take the training arrays' names.
    `weights` names an array of per-sample loss weights ("sample_weight"; not an input), and
    `weights_val` the validation samples' ("sample_weight_val").
    """
    if weights and not numpy_file_is_archive(path):
        raise ValueError(
            f"Sample weights are read from an array of an .npz file; {Path(path).name} is an "
            f".npy file holding one array."
        )
    if not numpy_file_is_archive(path):
        xs, ys, xs_val, ys_val = read_numpy_file(path), {}, None, None
        if y_path:
            if numpy_file_is_archive(y_path):
                raise ValueError(
                    f"The targets file {Path(y_path).name} is an .npz archive; choose an .npy "
                    f"file holding one array."
                )
            ys = {"y": read_numpy_file(y_path)["x"]}
        return {"x": xs, "y": ys, "x_val": xs_val, "y_val": ys_val}
    if y is None:  # without chosen targets the array "y" is optional: the data is unlabelled
        with _open_archive(Path(path)) as archive:
            y = ["y"] if "y" in _archive_members(archive) else []
    for w in (weights, weights_val):
        if w and w in (*x, *y, *x_val, *y_val):
            raise ValueError(
                f"The array '{w}' holds the sample weights, so it cannot also be an input "
                f"or a target."
            )
    if weights_val and not x_val:
        raise ValueError(
            f"The array '{weights_val}' weighs validation samples; choose the validation arrays "
            f"too."
        )
    wanted = [*x, *y, *x_val, *y_val, *[w for w in (weights, weights_val) if w]]
    arrays = read_numpy_file(path, list(dict.fromkeys(wanted)))

    def renamed(names: list[str] | tuple[str, ...], like: list[str], what: str):
        if not names:
            return None
        if len(names) != len(like):
            raise ValueError(
                f"Choose as many {what} as training arrays ({len(like)}), in the same order."
            )
        return {k: arrays[n] for k, n in zip(like, names, strict=True)}

    xs = {n: arrays[n] for n in x}
    ys = {n: arrays[n] for n in y}
    xs_val = renamed(x_val, list(xs), "validation inputs")
    ys_val = renamed(y_val, list(ys), "validation targets")
    out = {"x": xs, "y": ys, "x_val": xs_val, "y_val": ys_val}
    if weights:
        out["sample_weight"] = arrays[weights]
    if weights_val:
        out["sample_weight_val"] = arrays[weights_val]
    return out
