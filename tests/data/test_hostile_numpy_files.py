"""Hostile and odd .npy / .npz files, built byte by byte: each ends in one sentence naming the
file and the array, never in a traceback from numpy or zipfile, and nothing is unpickled."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from app.data import DataConfig, DataError, load_dataset
from app.data.files import npz_arrays


def npy_bytes(descr: str, shape: tuple, data: bytes, *, fortran: bool = False) -> bytes:
    """An .npy file (format 1.0) with exactly this header and data."""
    header = repr({"descr": descr, "fortran_order": fortran, "shape": shape}).encode("latin-1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data


def npz_file(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, raw in members.items():
            z.writestr(name, raw)
    return path


def floats(n: int) -> bytes:
    return np.arange(n, dtype="<f4").tobytes()


LABELS = npy_bytes("<i8", (4,), np.array([0, 1, 0, 1], "<i8").tobytes())


def load(path, **options):
    return load_dataset(
        DataConfig(source="numpy", validation="none", options={"path": str(path), **options})
    )


def refused(path, **options) -> str:
    with pytest.raises(DataError) as err:
        load(path, **options)
    message = str(err.value)
    assert path.name in message and "\n" not in message
    return message


def test_a_well_formed_file_built_by_hand_reads(tmp_path):
    path = npz_file(tmp_path / "ok.npz", {"x.npy": npy_bytes("<f4", (4, 2), floats(8)),
                                          "y.npy": LABELS})  # fmt: skip
    ds = load(path)
    np.testing.assert_array_equal(ds.x["x"], np.arange(8, dtype="float32").reshape(4, 2))
    big_endian = npy_bytes(">f8", (2, 2), np.arange(4, dtype=">f8").tobytes(), fortran=True)
    (tmp_path / "f.npy").write_bytes(big_endian)
    x = load(tmp_path / "f.npy").x["x"]
    np.testing.assert_array_equal(x, np.arange(4.0).reshape(2, 2, order="F"))
    assert x.dtype.isnative


def test_object_arrays_are_refused_without_unpickling(tmp_path, monkeypatch):
    payload = pickle.dumps(np.array([{"a": 1}, None], dtype=object))
    path = npz_file(tmp_path / "obj.npz", {"x.npy": npy_bytes("|O", (2,), payload),
                                           "y.npy": LABELS})  # fmt: skip
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled"))
    message = refused(path)
    assert "array 'x'" in message and "Python objects" in message
    (tmp_path / "obj.npy").write_bytes(npy_bytes("|O", (2,), payload))
    assert "Python objects" in refused(tmp_path / "obj.npy")
    (tmp_path / "plain.npy").write_bytes(payload)  # a bare pickle, not a NumPy file
    assert "pickled Python objects" in refused(tmp_path / "plain.npy")


@pytest.mark.parametrize(
    "descr, shape, data, words",
    [
        ("<f8", (), floats(2), "a single value (a 0-d array)"),
        ("<c8", (4, 1), floats(8), "complex numbers"),
        ("<M8[D]", (4,), floats(8), "only numbers and text can train"),
        ("<f4", (0, 3), b"", "no samples"),
        ("<f4", (4, 1), np.array([0, np.nan, 1, np.inf], "<f4").tobytes(), "2 NaN or infinite"),
    ],
)
def test_arrays_a_model_cannot_train_on_are_named(tmp_path, descr, shape, data, words):
    path = npz_file(tmp_path / "d.npz", {"x.npy": npy_bytes(descr, shape, data), "y.npy": LABELS})
    message = refused(path)
    assert message.startswith("In d.npz, array 'x' ") and words in message, message


@pytest.mark.parametrize(
    "member, words",
    [
        (npy_bytes("<f4", (4, 2), floats(8))[:-5], "cut short"),  # truncated data
        (npy_bytes("<f4", (10**12, 1000), floats(8)), "cut short"),  # promises terabytes
        (npy_bytes("<f4", (4, 2), floats(8))[:20], "damaged header"),  # truncated header
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': 5}    \n" + floats(8), "damaged header"),
        (b"\x93NUMPY\x01\x00\x10\x00__import__('os')\n" + floats(8), "damaged header"),
        (
            b"\x93NUMPY\x01\x00\x30\x00{'descr': '<f4', 'fortran_order': 1, 'shape': (-4,)}\n",
            "damaged header",
        ),  # fmt: skip
        (b"just some bytes, not an array", "not a NumPy array"),
    ],
)
def test_a_broken_array_inside_a_valid_zip_is_named(tmp_path, member, words):
    path = npz_file(tmp_path / "d.npz", {"x.npy": member, "y.npy": LABELS})
    message = refused(path)
    assert message.startswith("In d.npz, array 'x' ") and words in message, message


def test_bad_crc_and_broken_compressed_data_are_named(tmp_path):
    data = np.arange(64, dtype="<f4").tobytes()
    path = npz_file(tmp_path / "crc.npz", {"x.npy": npy_bytes("<f4", (16, 4), data),
                                           "y.npy": LABELS})  # fmt: skip
    raw = bytearray(path.read_bytes())
    raw[raw.find(data) + 100] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert "array 'x' is damaged: Bad CRC-32" in refused(path)

    zeros = npy_bytes("<f4", (4096, 4), bytes(4 * 4096 * 4))
    path = npz_file(tmp_path / "z.npz", {"x.npy": zeros}, zipfile.ZIP_DEFLATED)
    raw = bytearray(path.read_bytes())
    start = raw.find(b"x.npy") + len("x.npy") + 20  # inside the deflated stream
    raw[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    assert "array 'x'" in refused(path, y=[])


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty"),
        (b"hello, I am text", "is not a NumPy file"),
        (b"PK\x03\x04 broken zip", "is not a readable .npz archive"),
    ],
)
def test_files_that_are_not_numpy_files(tmp_path, content, words):
    path = tmp_path / "d.npz"
    path.write_bytes(content)
    assert words in refused(path)
    with pytest.raises(DataError, match=words):
        npz_arrays(path)


def test_a_folder_a_device_and_a_misnamed_file(tmp_path):
    with pytest.raises(DataError, match="is a folder, not a NumPy file"):
        load(tmp_path)
    if Path("/dev/null").exists():
        assert refused(Path("/dev/null")) == "/dev/null is not a file, so not a NumPy file."
    # An .npy file named .npz (and the other way round) is read for what it is.
    (tmp_path / "a.npz").write_bytes(npy_bytes("<f4", (4, 2), floats(8)))
    assert load(tmp_path / "a.npz").x["x"].shape == (4, 2)
    assert npz_arrays(tmp_path / "a.npz") == {"a": ((4, 2), "float32")}
    npz_file(tmp_path / "b.npy", {"x.npy": npy_bytes("<f4", (4, 2), floats(8)), "y.npy": LABELS})
    assert load(tmp_path / "b.npy").y["y"].tolist() == [0, 1, 0, 1]
    # A targets file must hold one array.
    with pytest.raises(DataError, match="targets file b.npy is an .npz archive; choose an .npy"):
        load(tmp_path / "a.npz", y_path=str(tmp_path / "b.npy"))


def test_listing_reads_headers_only_and_names_what_cannot_be_trained(tmp_path):
    promise = npy_bytes("<f4", (10**9, 10**3), b"")  # 4 TB promised, nothing there
    path = npz_file(tmp_path / "d.npz", {"big.npy": promise, "c.npy": npy_bytes("<c8", (2,), floats(4)),
                                         "y.npy": LABELS})  # fmt: skip
    assert npz_arrays(path) == {
        "big": ((10**9, 10**3), "float32"),
        "c": ((2,), "complex64"),
        "y": ((4,), "int64"),
    }
    # Reading picks only the arrays asked for; the others may be anything.
    (tmp_path / "m.npz").write_bytes(path.read_bytes())
    npz_file(tmp_path / "ok.npz", {"x.npy": npy_bytes("<f4", (4, 1), floats(4)), "y.npy": LABELS,
                                   "junk.npy": b"junk"})  # fmt: skip
    assert load(tmp_path / "ok.npz").num_samples == 4
    assert "array 'big' is cut short" in refused(tmp_path / "m.npz", x=["big"])


def test_arrays_of_different_lengths_name_the_file(tmp_path):
    path = npz_file(tmp_path / "d.npz", {"x.npy": npy_bytes("<f4", (3, 1), floats(3)),
                                         "y.npy": LABELS})  # fmt: skip
    message = refused(path)
    assert message == (
        "The training arrays of d.npz have different numbers of samples: 'x' has 3, 'y' has 4."
    )


def test_text_arrays_load_as_text_without_pickles(tmp_path):
    from app.data.dataset import is_text
    from app.data.numpy_files import read_numpy_arrays

    path = tmp_path / "t.npz"
    np.savez(path, x=np.array(["a ticket", "another one"]), y=np.array([0, 1]))
    x = read_numpy_arrays(path)["x"]["x"]
    assert is_text(x) and list(x) == ["a ticket", "another one"]
