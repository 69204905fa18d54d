"""A folder of text files with one sub-folder per class (keras.utils.text_dataset_from_directory's
layout), read here with plain sentences for files that cannot be used.

The texts become one string per sample ("x", an object array of str) for a string Input followed
by a TextVectorization layer; the sub-folder names, sorted, are the classes. Files are read in the
order Keras reads them (sorted names, sub-folders included, hidden class folders left out). A
file that is too large, not UTF-8 text (or holds NUL bytes) is refused by name; empty files are
skipped and counted in the notes. Pasted into generated scripts: numpy and the standard library
at module level, ValueError for every problem with the data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from app.data.dataset import DataError, Dataset
from app.data.source import SOURCES, DataSource, OptionSpec, ReaderCall

MAX_TEXT_FILE_BYTES = 1 << 20


def text_folder_files(folder: Path, extension: str = ".txt") -> dict[str, list[Path]]:
    """Class name -> its text files, in the order Keras reads them."""
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    files: dict[str, list[Path]] = {}
    for name in classes:
        found = []
        for root, dirs, names in os.walk(folder / name):
            dirs.sort()
            found += [
                Path(root, n)
                for n in sorted(names)
                if n.lower().endswith(extension) and not n.startswith(".")
            ]
        files[name] = found
    return files


def read_text_folder(
    path: str | Path,
    extension: str = ".txt",
    max_files: int = 100000,
    max_file_bytes: int = MAX_TEXT_FILE_BYTES,
) -> dict[str, Any]:
    """Texts "x" (one string per file) and class ids "y" from a folder with one sub-folder of
    text files per class (keras.utils.text_dataset_from_directory, in file order)."""
    folder = Path(path)
    if not str(path) or not folder.exists():
        raise ValueError(f"The text folder '{folder}' does not exist.")
    if not folder.is_dir():
        raise ValueError(f"'{folder}' is a file, not a folder of text files.")
    extension = extension if extension.startswith(".") else f".{extension}"
    try:
        files = text_folder_files(folder, extension.lower())
    except OSError as exc:
        raise ValueError(f"The text folder '{folder}' cannot be read: {exc}.") from exc
    with_files = [name for name, found in files.items() if found]
    if not with_files:
        where = "its sub-folders" if files else "sub-folders, one per class"
        raise ValueError(f"'{folder}' has no {extension} files in {where}.")
    if len(with_files) == 1:
        raise ValueError(
            f"'{folder}' has text files of one class only ('{with_files[0]}'); a classifier "
            f"needs two or more sub-folders of text files, one per class."
        )
    count = sum(len(found) for found in files.values())
    if count > max_files:
        raise ValueError(
            f"'{folder}' has {count} text files, more than the limit of {max_files} that fit "
            f"in memory."
        )
    texts: list[str] = []
    labels: list[int] = []
    empty: list[str] = []
    for label, name in enumerate(files):
        for file in files[name]:
            where = file.relative_to(folder).as_posix()
            try:
                size = file.stat().st_size
                if size > max_file_bytes:
                    raise ValueError(
                        f"The text file '{where}' in '{folder}' is {size:,} bytes, more than "
                        f"the limit of {max_file_bytes:,}."
                    )
                raw = file.read_bytes()
            except OSError as exc:
                raise ValueError(f"The text file '{where}' cannot be read: {exc}.") from exc
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValueError(
                    f"The text file '{where}' in '{folder}' is not UTF-8 text (byte "
                    f"{exc.start}); save it as UTF-8 or remove it."
                ) from None
            if "\x00" in text:
                raise ValueError(
                    f"'{where}' in '{folder}' is not a text file (it holds NUL bytes); remove it."
                )
            if not text.strip():
                empty.append(where)
                continue
            texts.append(text)
            labels.append(label)
    notes = []
    if empty:
        shown = ", ".join(empty[:3]) + (", ..." if len(empty) > 3 else "")
        notes.append(f"{len(empty)} empty text files were skipped ({shown}).")
    if not texts:
        raise ValueError(f"Every text file in '{folder}' is empty.")
    x = np.empty(len(texts), dtype=object)
    x[:] = texts
    return {
        "x": {"x": x},
        "y": {"y": np.asarray(labels, dtype=np.int64)},
        "task": "classification",
        "class_names": {"y": list(files)},
        "notes": notes,
    }


class TextFolderSource(DataSource):
    """A folder with one sub-folder of text files per class (text_dataset_from_directory)."""

    id = "text_folder"
    title = "Text folder (one sub-folder per class)"
    kind = "file"
    reads_quickly = False
    options = (
        OptionSpec("path", "dir", "", help="Folder whose sub-folders are the classes."),
        OptionSpec("extension", "text", ".txt", help="Read files with this ending."),
        OptionSpec("max_files", "int", 100000, help="Refuse folders with more files."),
        OptionSpec("max_file_bytes", "int", MAX_TEXT_FILE_BYTES, help="Refuse larger text files."),
    )

    def reader(self, options: dict[str, Any], model: Any = None) -> ReaderCall:
        path = str(self.option(options, "path") or "")
        if not path:
            raise DataError("Choose a folder of text files in the data settings.")
        kwargs = {
            "path": path,
            "extension": str(self.option(options, "extension") or ".txt"),
            "max_files": int(self.option(options, "max_files")),
            "max_file_bytes": int(self.option(options, "max_file_bytes")),
        }
        return ReaderCall(read_text_folder, kwargs)

    def load(self, options: dict[str, Any], model: Any = None) -> Dataset:
        arrays = self.reader(options).run()
        count = len(arrays["y"]["y"])
        name = Path(self.option(options, "path")).name
        return Dataset(**arrays, title=f"{name} ({count} texts)")


SOURCES.register(TextFolderSource())
