"""Text as data: CSV columns kept as strings, folders of text files per class, and the checks and
arrays that feed string Inputs."""

from __future__ import annotations

import numpy as np
import pytest

from app.data import DataConfig, DataError, check_compatibility, fit_arrays, load_dataset
from app.data.compat import text_tensor
from app.data.suggest import preview, suggest_model_settings
from app.data.tabular import read_csv_table
from app.data.text_folders import read_text_folder

TICKETS = """title,body,plan,seats,team
Login fails,"I cannot sign in since the update, please help",pro,3,accounts
Refund please,I was charged twice for the annual plan,basic,1,billing
App crashes,"The app crashes on start, error 500",pro,12,technical
Parcel late,My parcel has not arrived yet,basic,,shipping
Password reset,The reset link in the email does not work,team,5,accounts
"""


def write(tmp_path, text: str, name: str = "t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_columns_layout_keeps_text_as_strings_and_numbers_as_numbers(tmp_path):
    got = read_csv_table(write(tmp_path, TICKETS), target="team", layout="columns")
    x, y = got["x"], got["y"]
    assert list(x) == ["title", "body", "plan", "seats"]
    assert x["title"].dtype == object and x["title"].shape == (5,)
    assert x["body"][2] == "The app crashes on start, error 500"
    assert x["plan"].tolist() == ["pro", "basic", "pro", "basic", "team"]  # a category stays text
    assert x["seats"].dtype == np.float32 and x["seats"].shape == (5, 1)
    assert x["seats"][3, 0] == pytest.approx((3 + 1 + 12 + 5) / 4)  # the missing one: the mean
    assert got["class_names"] == {"team": ["accounts", "billing", "shipping", "technical"]}
    assert y["team"].tolist() == [0, 1, 3, 2, 0]  # string labels -> ids of the sorted classes
    assert any("seats" in note for note in got["notes"])


def test_csv_several_targets_each_get_an_array_named_by_the_column(tmp_path):
    got = read_csv_table(write(tmp_path, TICKETS), target="seats, team", features=["title"])
    assert got["task"] == "classification"
    assert list(got["x"]) == ["title"] and list(got["y"]) == ["seats", "team"]
    assert got["y"]["seats"].dtype == np.float32 or got["y"]["seats"].dtype == np.int64


def test_csv_auto_layout_keeps_free_text_and_tables_stay_tables(tmp_path):
    rows = "\n".join(f"note number {i} about item {i * 7},{i % 3},{i % 2}" for i in range(60))
    text = read_csv_table(write(tmp_path, "note,kind,label\n" + rows), target="label")
    assert text["x"]["note"].dtype == object  # free text: one array per column
    assert text["x"]["kind"].shape == (60, 1)
    rows = "\n".join(f"{'abc'[i % 3]},{i % 5},{i % 2}" for i in range(60))
    table = read_csv_table(write(tmp_path, "cat,n,label\n" + rows), target="label")
    assert list(table["x"]) == ["x"] and table["x"]["x"].dtype == np.float32  # one-hot as before
    assert table["x"]["x"].shape == (60, 4)


def test_text_preview_shows_the_text_and_every_target(tmp_path):
    path = write(tmp_path, TICKETS)
    ds = load_dataset(DataConfig("csv", {"path": str(path), "target": "seats,team",
                                         "features": ["title", "body"]}, validation_split=0))  # fmt: skip
    pv = preview(ds, 3)
    assert pv["columns"] == ["title", "body", "seats", "team"]
    assert pv["rows"][0][:2] == ["Login fails", "I cannot sign in since the update, please help"]
    assert pv["rows"][0][3] == "accounts"
    long = np.array(["word " * 100], dtype=object)
    ds.x = {"body": long}
    ds.y = {}
    cell = preview(ds, 1)["rows"][0][0]
    assert len(cell) == 80 and cell.endswith("…")


def test_text_suggests_a_string_input(tmp_path):
    ds = load_dataset(DataConfig("csv", {"path": str(write(tmp_path, TICKETS)), "target": "team",
                                         "layout": "columns"}, validation_split=0))  # fmt: skip
    s = suggest_model_settings(ds)
    assert s["inputs"]["title"]["shape"] == [] and s["inputs"]["title"]["dtype"] == "string"
    assert s["inputs"]["seats"] == {"shape": [1], "dtype": "float32"}
    assert s["outputs"]["team"]["units"] == 4


def _string_model(shape=()):
    import keras

    inp = keras.Input(shape=shape, dtype="string", name="title")
    vec = keras.layers.TextVectorization(
        vocabulary=["refund", "login", "app"], output_mode="multi_hot"
    )
    out = keras.layers.Dense(4, activation="softmax", name="team")(vec(inp))
    return keras.Model(inp, out)


def test_text_fits_a_string_input_and_becomes_a_tf_string_tensor(tmp_path):
    import keras
    import tensorflow as tf

    path = write(tmp_path, TICKETS)
    cfg = DataConfig("csv", {"path": str(path), "target": "team", "features": ["title"],
                             "layout": "columns"}, validation_split=0.4)  # fmt: skip
    ds = load_dataset(cfg)
    model = _string_model()
    assert check_compatibility(model, ds) == []
    x, y, val = fit_arrays(model, ds)
    assert isinstance(x, tf.Tensor) and x.dtype == tf.string and x.shape == (3,)
    assert val[0].shape == (2,)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, validation_data=val, epochs=1, verbose=0)
    # An Input of shape (1,) gets (N, 1) strings from the same (N,) array.
    x1, _, _ = fit_arrays(_string_model((1,)), ds)
    assert tuple(x1.shape) == (3, 1)

    numbers = keras.Input(shape=(1,), name="title")
    numeric = keras.Model(numbers, keras.layers.Dense(4, name="team")(numbers))
    (problem,) = check_compatibility(numeric, ds)
    assert "gives text" in problem and "string" in problem
    ds_numbers = load_dataset(DataConfig("csv", {"path": str(path), "target": "team",
                                                 "features": ["seats"], "layout": "columns"}))  # fmt: skip
    (problem,) = check_compatibility(model, ds_numbers)
    assert "takes text" in problem


def test_text_tensor_spells_bytes_and_numbers_as_text():
    t = text_tensor(np.array(["a", b"b", 3], dtype=object))
    assert [v.decode() for v in t.numpy()] == ["a", "b", "3"]


# ----- folders of text files ---------------------------------------------------------------------


def text_folder(tmp_path, files: dict[str, bytes | str]):
    root = tmp_path / "texts"
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    return root


def test_text_folder_reads_one_string_per_file_in_keras_order(tmp_path):
    import keras

    root = text_folder(tmp_path, {
        "neg/b.txt": "bad film", "neg/a.txt": "awful plot", "neg/sub/c.txt": "dull",
        "pos/x.txt": "\ufeffgreat film", "pos/y.txt": "lovely", "pos/notes.md": "skipped",
        ".hidden/z.txt": "ignored",
    })  # fmt: skip
    got = read_text_folder(root)
    assert got["class_names"] == {"y": ["neg", "pos"]}
    assert got["x"]["x"].dtype == object
    ref = keras.utils.text_dataset_from_directory(str(root), batch_size=None, shuffle=False)
    want = [(t.decode(), int(lab)) for t, lab in ref.as_numpy_iterator()]
    want = [(t.removeprefix("\ufeff"), lab) for t, lab in want]
    assert list(zip(got["x"]["x"].tolist(), got["y"]["y"].tolist())) == want


@pytest.mark.parametrize(
    "files, words",
    [
        ({}, "does not exist"),
        ({"a/x.md": "no txt"}, "has no .txt files"),
        ({"a/x.txt": "one class"}, "one class only"),
        ({"a/x.txt": "ok", "b/bad.txt": b"\xff\xfe\x00bad"}, "not UTF-8 text"),
        ({"a/x.txt": "ok", "b/nul.txt": "a\x00b"}, "NUL bytes"),
        ({"a/x.txt": "ok", "b/big.txt": "x" * 2000}, "more than the limit of 1,000"),
        ({"a/x.txt": " ", "b/y.txt": "\n"}, "Every text file"),
    ],
)
def test_hostile_text_folders_are_refused_in_words(tmp_path, files, words):
    root = text_folder(tmp_path, files) if files else tmp_path / "missing"
    with pytest.raises(DataError, match=words):
        load_dataset(
            DataConfig("text_folder", {"path": str(root), "max_file_bytes": 1000}),
        )


def test_empty_text_files_are_skipped_and_counted(tmp_path):
    root = text_folder(tmp_path, {"a/x.txt": "fine", "a/e.txt": "", "b/y.txt": "also fine"})
    ds = load_dataset(DataConfig("text_folder", {"path": str(root)}, validation_split=0))
    assert ds.x["x"].tolist() == ["fine", "also fine"]
    assert any("1 empty text files were skipped (a/e.txt)" in n for n in ds.notes)


def test_a_score_from_0_to_1_suggests_a_sigmoid_and_other_numbers_a_linear_output(tmp_path):
    rows = "\n".join(f"text number {i},{i / 40:.3f},{i * 3.5}" for i in range(40))
    path = write(tmp_path, "text,score,amount\n" + rows + "\n")
    ds = load_dataset(DataConfig("csv", {"path": str(path), "target": "score, amount"}))
    outputs = suggest_model_settings(ds)["outputs"]
    assert outputs["score"]["activation"] == "sigmoid"
    assert outputs["amount"]["activation"] == "linear"
