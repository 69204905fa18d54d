"""Odd CSV paths and files: each ends in one sentence naming the file and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.data import DataConfig, DataError, load_dataset


def refused(path, **options) -> str:
    config = DataConfig(source="csv", validation="none", options={"path": str(path), **options})
    with pytest.raises(DataError) as err:
        load_dataset(config)
    message = str(err.value)
    assert path.name in message and "\n" not in message, message
    return message


def test_a_folder_is_not_a_csv_file(tmp_path):
    (tmp_path / "table.csv").mkdir()
    assert refused(tmp_path / "table.csv").endswith("table.csv is a folder, not a CSV file.")


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs a device file")
def test_a_device_is_not_a_csv_file():
    assert refused(Path("/dev/null")) == "/dev/null is not a file, so not a CSV file."


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "is empty"),
        (b"  \n\n \t\n", "is empty"),
        (b"a,b\n1,\x002\n3,4\n", "not a text file (it holds NUL bytes)"),
        (b'a,b\n"' + b"x" * 200_000 + b'",1\n2,0\n', "cannot be read as CSV: field larger"),
        (b"a,b,c\n1,2,0\n3,4\n", "Row 3 of t.csv has 2 fields but the header has 3"),
        (b"a,b\n1,0\ninf,1\n2,0\n3,1\n", "Column 'a' of t.csv holds infinite values"),
        (b"a,b\n1e39,0\n2,1\n3,0\n", "Column 'a' of t.csv holds infinite values"),
        (b"a,b\n1,0.5\n2,-Infinity\n3,0.25\n", "Column 'b' of t.csv holds infinite values"),
    ],
    ids=["empty", "blank", "NUL", "huge field", "ragged", "inf", "beyond float32", "-Infinity"],
)
def test_files_that_cannot_train_say_why(tmp_path, content, words):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    assert words in refused(path, task="regression" if b"Infinity" in content else "auto")


def test_a_missing_column_names_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,0\n2,1\n", encoding="utf-8")
    assert "t.csv has no column 'c'. Columns: a, b." in refused(path, features=["c"])
    assert "t.csv has no column 'z'" in refused(path, target="z")
