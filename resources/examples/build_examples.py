"""Build the example gallery (resources/examples/*.llproj) from the seed Keras guides.

Run from the repository root:  python resources/examples/build_examples.py
Every example is made with the ModelGraph API, laid out, and saved with save_project; the
generated .llproj files are committed next to this script.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.model import ModelGraph  # noqa: E402
from app.project import DataSettings, Project, TrainingSettings, save_project  # noqa: E402
from app.project.project_code import CodeEntry  # noqa: E402

HERE = Path(__file__).resolve().parent
# Digits drawn at MNIST size (28x28), for the autoencoders: they train offline.
DIGITS28 = "data/digits28.npz"
# Made-up support tickets (make_text_data.py): a CSV and a folder of text files per department.
TICKETS = "data/tickets.csv"
TICKET_FOLDER = "data/tickets_by_department"
TEXT_VEC = "keras.layers.TextVectorization"
INPUT, BLOCK = "keras.Input", "layerloom.Block"
DENSE, CONV = "keras.layers.Dense", "keras.layers.Conv2D"
EMB, LSTM = "keras.layers.Embedding", "keras.layers.LSTM"
# Source ids and options of app.data (DataSettings is app.data's DataConfig).
SYNTHETIC = DataSettings("synthetic", {"num_samples": 512, "labels": "sparse"}, seed=0)


def callback(name: str, **params) -> dict:
    return {"class_name": name, "params": params, "enabled": True}


def training(**settings) -> TrainingSettings:
    """TrainingSettings from plain values, as a project file holds them (seed 0)."""
    return TrainingSettings.from_dict({"seed": 0, **settings})


def write_digits28(folder: Path) -> Path:
    """scikit-learn's 8x8 digits scaled x3 (nearest) and padded to 28x28, values 0..1.

    Saved as `images` (N, 28, 28, 1) and `vectors` (N, 784) in float16, with `labels`; the
    file is rewritten only when its content would change.
    """
    import sklearn.datasets

    digits = sklearn.datasets.load_digits()
    x = np.repeat(np.repeat(digits.images / 16.0, 3, axis=1), 3, axis=2)
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))[..., None].astype(np.float16)
    arrays = {"images": x, "vectors": x.reshape(len(x), -1),
              "labels": digits.target.astype(np.uint8)}  # fmt: skip
    path = folder / DIGITS28
    if path.is_file():
        with np.load(path, allow_pickle=False) as old:
            if set(old.files) == set(arrays) and all(
                np.array_equal(old[k], v) and old[k].dtype == v.dtype for k, v in arrays.items()
            ):
                return path
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


_ids = {"example": "", "count": 0}


def add(g: ModelGraph, spec: str, name: str, params: dict | None = None, **fields) -> str:
    """g.add_node with ids derived from the example name: rebuilt files change only with content."""
    _ids["count"] += 1
    key = f"layerloom-example/{_ids['example']}/{_ids['count']}"
    node_id = uuid.uuid5(uuid.NAMESPACE_URL, key).hex
    return g.add_node(spec, name, params, node_id=node_id, **fields)


def chain(g: ModelGraph, src: str, *layers: tuple) -> str:
    """Add (spec, name, params) layers one after another from `src`; returns the last id."""
    for spec, name, params in layers:
        nid = add(g, spec, name, params)
        g.connect(src, nid)
        src = nid
    return src


def block(g: ModelGraph, name: str, sub: ModelGraph, *srcs: str) -> str:
    """A nested model node fed by `srcs` (one per sub-graph Input, in order)."""
    bid = add(g, BLOCK, name, subgraph=sub)
    for src, port in zip(srcs, sub.inputs, strict=True):
        g.connect(src, bid, port=port)
    return bid


def digits_mlp() -> Project:
    g = ModelGraph("digits_mlp")
    x = add(g, INPUT, "digits", {"shape": [64]})
    out = chain(
        g, x,
        (DENSE, "hidden", {"units": 64, "activation": "relu"}),
        ("keras.layers.Dropout", "dropout", {"rate": 0.5}),
        (DENSE, "digit", {"units": 10, "activation": "softmax"}),
    )  # fmt: skip
    g.set_outputs([out])
    return Project(
        "Digits MLP", g, DataSettings("sklearn.digits", {"scale": True}, validation_split=0.2),
        training(optimizer="Adam", learning_rate=1e-3, batch_size=32, epochs=20,
                 losses={"digit": "sparse_categorical_crossentropy"},
                 metrics={"digit": ["accuracy"]},
                 callbacks=[callback("ModelCheckpoint", monitor="val_accuracy")]),
    )  # fmt: skip


def digits_cnn() -> Project:
    g = ModelGraph("digits_cnn")
    x = add(g, INPUT, "digits", {"shape": [8, 8, 1]})
    out = chain(
        g, x,
        (CONV, "conv_1", {"filters": 16, "kernel_size": [3, 3], "activation": "relu"}),
        ("keras.layers.MaxPooling2D", "pool", {"pool_size": [2, 2]}),
        (CONV, "conv_2", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
        ("keras.layers.Flatten", "flatten", {}),
        (DENSE, "digit", {"units": 10, "activation": "softmax"}),
    )  # fmt: skip
    g.set_outputs([out])
    return Project(
        "Digits CNN", g,
        DataSettings("sklearn.digits_images", {"scale": True}, validation_split=0.2),
        training(optimizer="Adam", learning_rate=2e-3, batch_size=32, epochs=20,
                 losses={"digit": "sparse_categorical_crossentropy"},
                 metrics={"digit": ["accuracy"]},
                 callbacks=[callback("ModelCheckpoint", monitor="val_accuracy"),
                            callback("EarlyStopping", monitor="val_loss", patience=5,
                                     restore_best_weights=True)]),
    )  # fmt: skip


def _ticket_graph(name: str, difficulty: bool) -> ModelGraph:
    # Chollet, "Deep Learning with Python", listings 7.9 and 7.13 (seed 002). The book feeds
    # multi-hot vectors of a 10,000-word vocabulary; here the raw strings come in and a
    # TextVectorization per input makes those vectors inside the model (each run adapts its
    # vocabulary to the training split first; padded to max_tokens, the vectors have the width
    # the book's have, known before the vocabulary is).
    vocabulary_size, num_departments = 10000, 4
    g = ModelGraph(name)
    ins = []
    for input_name, max_tokens in (("title", vocabulary_size), ("text_body", vocabulary_size),
                                   ("tags", 100)):  # fmt: skip
        text = add(g, INPUT, input_name, {"shape": [], "dtype": "string"})
        params = {"max_tokens": max_tokens, "output_mode": "multi_hot", "pad_to_max_tokens": True}
        ins.append(chain(g, text, (TEXT_VEC, f"{input_name}_vectorizer", params)))
    cat = add(g, "keras.layers.Concatenate", "concatenate")
    for i in ins:
        g.connect(i, cat)
    feats = chain(g, cat, (DENSE, "dense_features", {"units": 64, "activation": "relu"}))
    heads = [
        chain(g, feats, (DENSE, "priority", {"units": 1, "activation": "sigmoid"})),
        chain(g, feats, (DENSE, "department", {"units": num_departments, "activation": "softmax"})),
    ]
    if difficulty:
        heads.append(chain(g, feats, (DENSE, "difficulty", {"units": 3, "activation": "softmax"})))
    g.set_outputs(heads)
    return g


def _ticket_training(difficulty: bool) -> TrainingSettings:
    loss = {"priority": "mean_squared_error", "department": "sparse_categorical_crossentropy"}
    metrics = {"priority": ["mean_absolute_error"], "department": ["accuracy"]}
    if difficulty:
        loss["difficulty"] = "sparse_categorical_crossentropy"
        metrics["difficulty"] = ["accuracy"]
    return training(losses=loss, metrics=metrics, batch_size=32, epochs=10)


def _ticket_data(difficulty: bool) -> DataSettings:
    """The bundled tickets: text columns in, priority, department (and difficulty) out."""
    targets = ["priority", "department"] + (["difficulty"] if difficulty else [])
    options = {"path": TICKETS, "features": ["title", "body", "tags"],
               "target": ", ".join(targets), "layout": "columns"}  # fmt: skip
    return DataSettings("csv", options, validation_split=0.2, input_map={"text_body": "body"})


def ticket_classifier() -> Project:
    return Project("Ticket classifier", _ticket_graph("ticket_classifier", False),
                   _ticket_data(False), _ticket_training(False))  # fmt: skip


def ticket_classifier_difficulty() -> Project:
    return Project("Ticket classifier with difficulty",
                   _ticket_graph("ticket_classifier_difficulty", True),
                   _ticket_data(True), _ticket_training(True))  # fmt: skip


def issue_classifier() -> Project:
    # Keras functional API guide, "multiple inputs and outputs" (seed 003).  The guide's heads
    # output logits and use from_logits losses; project losses are Keras names, so the heads
    # carry the matching sigmoid / softmax and plain cross-entropies instead (sparse labels).
    # The guide feeds word ids and a 12-tag binary vector; here the raw title, body and tags
    # come in and TextVectorization layers make them inside the model.
    num_tags, num_words, num_departments = 12, 10000, 4
    g = ModelGraph("issue_classifier")
    title = add(g, INPUT, "title", {"shape": [], "dtype": "string"})
    body = add(g, INPUT, "body", {"shape": [], "dtype": "string"})
    tags = add(g, INPUT, "tags", {"shape": [], "dtype": "string"})
    words = {"max_tokens": num_words, "output_mode": "int"}
    t = chain(g, title,
              (TEXT_VEC, "title_vectorizer", {**words, "output_sequence_length": 12}),
              (EMB, "title_embedding", {"input_dim": num_words, "output_dim": 64}),
              (LSTM, "title_lstm", {"units": 128}))  # fmt: skip
    b = chain(g, body,
              (TEXT_VEC, "body_vectorizer", {**words, "output_sequence_length": 40}),
              (EMB, "body_embedding", {"input_dim": num_words, "output_dim": 64}),
              (LSTM, "body_lstm", {"units": 32}))  # fmt: skip
    # The 12 tags as a binary vector (one more entry for a tag the training data lacks).
    tag_params = {"max_tokens": num_tags + 1, "output_mode": "multi_hot", "pad_to_max_tokens": True}
    tg = chain(g, tags, (TEXT_VEC, "tags_vectorizer", tag_params))
    cat = add(g, "keras.layers.Concatenate", "concatenate")
    for src in (t, b, tg):
        g.connect(src, cat)
    heads = [
        chain(g, cat, (DENSE, "priority", {"units": 1, "activation": "sigmoid"})),
        chain(g, cat, (DENSE, "department", {"units": num_departments, "activation": "softmax"})),
    ]
    g.set_outputs(heads)
    settings = training(
        optimizer="RMSprop", learning_rate=1e-3,
        losses={"priority": "binary_crossentropy",
                "department": "sparse_categorical_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.2},
        metrics={"priority": ["mean_absolute_error"], "department": ["accuracy"]},
        batch_size=32, epochs=10,
    )  # fmt: skip
    options = {"path": TICKETS, "features": ["title", "body", "tags"],
               "target": "priority, department", "layout": "columns"}  # fmt: skip
    return Project("Issue classifier", g, DataSettings("csv", options, validation_split=0.2),
                   settings)  # fmt: skip


def text_folder_classifier() -> Project:
    # Keras' "text classification from scratch": text files in one folder per class
    # (text_dataset_from_directory), raw strings -> TextVectorization -> Embedding -> pooling.
    max_features, sequence_length = 2000, 48
    g = ModelGraph("text_folder_classifier")
    text = add(g, INPUT, "text", {"shape": [], "dtype": "string"})
    words = {"max_tokens": max_features, "output_mode": "int",
             "output_sequence_length": sequence_length}  # fmt: skip
    out = chain(
        g, text,
        (TEXT_VEC, "vectorizer", words),
        (EMB, "embedding", {"input_dim": max_features, "output_dim": 32}),
        ("keras.layers.GlobalAveragePooling1D", "pooling", {}),
        ("keras.layers.Dropout", "dropout", {"rate": 0.3}),
        (DENSE, "department", {"units": 4, "activation": "softmax"}),
    )  # fmt: skip
    g.set_outputs([out])
    data = DataSettings("text_folder", {"path": TICKET_FOLDER}, validation_split=0.2)
    return Project("Text folder classifier", g, data,
                   training(optimizer="Adam", learning_rate=1e-2, batch_size=32, epochs=15,
                            losses={"department": "sparse_categorical_crossentropy"},
                            metrics={"department": ["accuracy"]}))  # fmt: skip


def shared_embedding() -> Project:
    # Functional API guide, "shared layers": one Embedding(1000, 128) encodes both inputs.
    g = ModelGraph("shared_embedding")
    a = add(g, INPUT, "text_input_a", {"shape": [None], "dtype": "int32"})
    b = add(g, INPUT, "text_input_b", {"shape": [None], "dtype": "int32"})
    emb = add(g, EMB, "shared_embedding", {"input_dim": 1000, "output_dim": 128})
    g.connect(a, emb)
    emb_b = add(g, EMB, "shared_embedding_b", shared_with=emb)
    g.connect(b, emb_b)
    pool = "keras.layers.GlobalAveragePooling1D"
    pa = chain(g, emb, (pool, "pool_a", {}))
    pb = chain(g, emb_b, (pool, "pool_b", {}))
    cat = add(g, "keras.layers.Concatenate", "concatenate")
    g.connect(pa, cat)
    g.connect(pb, cat)
    out = chain(g, cat, (DENSE, "same_topic", {"units": 1, "activation": "sigmoid"}))
    g.set_outputs([out])
    return Project("Shared embedding", g, SYNTHETIC,
                   training(losses={"same_topic": "binary_crossentropy"},
                            metrics={"same_topic": ["accuracy"]}, epochs=3))  # fmt: skip


def conv_autoencoder() -> Project:
    # Functional API guide, "all models are callable, just like layers" (seed 003).
    enc = ModelGraph("encoder")
    e_in = add(enc, INPUT, "original_img", {"shape": [28, 28, 1]})
    relu3 = {"kernel_size": [3, 3], "activation": "relu"}
    e_out = chain(
        enc, e_in,
        (CONV, "conv2d", {"filters": 16, **relu3}),
        (CONV, "conv2d_1", {"filters": 32, **relu3}),
        ("keras.layers.MaxPooling2D", "max_pooling2d", {"pool_size": [3, 3]}),
        (CONV, "conv2d_2", {"filters": 32, **relu3}),
        (CONV, "conv2d_3", {"filters": 16, **relu3}),
        ("keras.layers.GlobalMaxPooling2D", "global_max_pooling2d", {}),
    )  # fmt: skip
    enc.set_outputs([e_out])
    dec = ModelGraph("decoder")
    d_in = add(dec, INPUT, "encoded_img", {"shape": [16]})
    tconv = "keras.layers.Conv2DTranspose"
    d_out = chain(
        dec, d_in,
        ("keras.layers.Reshape", "reshape", {"target_shape": [4, 4, 1]}),
        (tconv, "conv2d_transpose", {"filters": 16, **relu3}),
        (tconv, "conv2d_transpose_1", {"filters": 32, **relu3}),
        ("keras.layers.UpSampling2D", "up_sampling2d", {"size": [3, 3]}),
        (tconv, "conv2d_transpose_2", {"filters": 16, **relu3}),
        (tconv, "conv2d_transpose_3", {"filters": 1, **relu3}),
    )  # fmt: skip
    dec.set_outputs([d_out])
    g = ModelGraph("autoencoder")
    img = add(g, INPUT, "img", {"shape": [28, 28, 1]})
    encoded = block(g, "encoder", enc, img)
    decoded = block(g, "decoder", dec, encoded)
    g.set_outputs([decoded])
    # The guide trains on MNIST; digits drawn at 28x28 train the same model offline.
    data = DataSettings("numpy", {"path": DIGITS28, "x": ["images"], "y": []},
                        target="inputs", validation_split=0.2)  # fmt: skip
    settings = training(optimizer="RMSprop", learning_rate=1e-3, losses={"decoder": "mse"},
                        metrics={"decoder": ["mean_absolute_error"]}, batch_size=64, epochs=10,
                        callbacks=[callback("ModelCheckpoint", monitor="val_loss"),
                                   callback("ReduceLROnPlateau", monitor="val_loss",
                                            factor=0.5, patience=2)])  # fmt: skip
    return Project("Convolutional autoencoder", g, data, settings)


def ensemble() -> Project:
    # Functional API guide: three models with the same input, their outputs averaged.
    g = ModelGraph("ensemble")
    x = add(g, INPUT, "inputs", {"shape": [128]})
    members = []
    for i in range(1, 4):
        sub = ModelGraph(f"model_{i}")
        si = add(sub, INPUT, "inputs", {"shape": [128]})
        sub.set_outputs([chain(sub, si, (DENSE, "dense", {"units": 1}))])
        members.append(block(g, f"model_{i}", sub, x))
    avg = add(g, "keras.layers.Average", "average")
    for m in members:
        g.connect(m, avg)
    g.set_outputs([avg])
    return Project("Ensemble of three models", g, SYNTHETIC,
                   training(losses={"average": "mse"}, metrics={"average": ["mean_absolute_error"]},
                            epochs=5))  # fmt: skip


def vae() -> Project:
    # Seeds 000/001: VAE with the Functional API; KL term added as a loss by a layer.
    original_dim, intermediate_dim, latent_dim = 784, 64, 32
    g = ModelGraph("vae")
    x = add(g, INPUT, "encoder_input", {"shape": [original_dim]})
    h = chain(g, x, (DENSE, "dense", {"units": intermediate_dim, "activation": "relu"}))
    z_mean = chain(g, h, (DENSE, "z_mean", {"units": latent_dim}))
    z_log_var = chain(g, h, (DENSE, "z_log_var", {"units": latent_dim}))
    kl = add(g, "layerloom.KLDivergence", "kl_divergence")
    _connect_ports(g, kl, z_mean, z_log_var)
    sampling = add(g, "layerloom.Sampling", "sampling")
    _connect_ports(g, sampling, kl, z_log_var)
    dec = ModelGraph("decoder")
    d_in = add(dec, INPUT, "z_sampling", {"shape": [latent_dim]})
    d_out = chain(
        dec, d_in,
        (DENSE, "dense", {"units": intermediate_dim, "activation": "relu"}),
        (DENSE, "dense_1", {"units": original_dim, "activation": "sigmoid"}),
    )  # fmt: skip
    dec.set_outputs([d_out])
    out = block(g, "decoder", dec, sampling)
    g.set_outputs([out])
    # Reconstruction loss on the output; the KLDivergence layer adds the KL term (add_loss).
    data = DataSettings("numpy", {"path": DIGITS28, "x": ["vectors"], "y": []},
                        target="inputs", validation_split=0.2)  # fmt: skip
    settings = training(
        optimizer="Adam",
        learning_rate=1e-3,
        losses={"decoder": "binary_crossentropy"},
        metrics={"decoder": ["mean_absolute_error"]},
        batch_size=32,
        epochs=10,
    )
    return Project("Variational autoencoder", g, data, settings)


def kfold_diabetes() -> Project:
    # k-fold cross-validation (issue: training the way the guides write it): 5 runs, one per
    # fold of scikit-learn's diabetes data, each validating on a fifth it never trained on.
    g = ModelGraph("kfold_diabetes")
    x = add(g, INPUT, "features", {"shape": [10]})
    out = chain(
        g, x,
        (DENSE, "hidden", {"units": 32, "activation": "relu"}),
        (DENSE, "progression", {"units": 1}),
    )  # fmt: skip
    g.set_outputs([out])
    data = DataSettings("sklearn.diabetes", {}, validation="kfold", folds=5,
                        normalization="standard")  # fmt: skip
    settings = training(optimizer="Adam", learning_rate=0.05, batch_size=32, epochs=20,
                        losses={"progression": "mse"},
                        metrics={"progression": ["mean_absolute_error"]})  # fmt: skip
    return Project("Diabetes progression, 5-fold cross-validation", g, data, settings)


# ----- training with project code (the guides' custom metrics, losses, callbacks, schedules) ---
RMSE_METRIC = """\
class RMSE(keras.metrics.Metric):
    \"\"\"Root mean squared error over the epoch (a Metric subclass with its own state).\"\"\"

    def __init__(self, name="rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable((), initializer="zeros", name="total")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        err = ops.square(ops.cast(y_true, "float32") - ops.cast(y_pred, "float32"))
        self.total.assign_add(ops.sum(err))
        self.count.assign_add(ops.cast(ops.size(err), "float32"))

    def result(self):
        return ops.sqrt(ops.divide_no_nan(self.total, self.count))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)
"""
CUSTOM_MSE = """\
class CustomMSE(keras.losses.Loss):
    \"\"\"Mean squared error plus a pull of the predictions towards 0.5 (the guides' Loss).\"\"\"

    def __init__(self, regularization_factor=0.1, name="custom_mse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor

    def get_config(self):
        return {**super().get_config(), "regularization_factor": self.regularization_factor}
"""
LOSS_HISTORY = """\
class LossHistory(keras.callbacks.Callback):
    \"\"\"Keeps the loss of every batch and prints how it went at the end of each epoch.\"\"\"

    def on_train_begin(self, logs=None):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs=None):
        self.per_batch_losses.append(float((logs or {}).get("loss", float("nan"))))

    def on_epoch_end(self, epoch, logs=None):
        recent = self.per_batch_losses[-5:]
        print(f"LossHistory: {len(self.per_batch_losses)} batches, last {recent[-1]:.4f}")
"""
STEP_DECAY = """\
def step_decay(epoch, lr):
    \"\"\"Keep the learning rate for 5 epochs, then take 10% off every epoch.\"\"\"
    return lr if epoch < 5 else lr * 0.9
"""
CATEGORICAL_TRUE_POSITIVES = """\
class CategoricalTruePositives(keras.metrics.Metric):
    \"\"\"How many samples were classified right (the guides' custom Metric).\"\"\"

    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.reshape(y_true, (-1, 1)), "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            values = ops.multiply(values, ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1)))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)
"""


def code_callback(name: str, **params) -> dict:
    return {"class_name": name, "params": params, "enabled": True, "code": True}


def custom_training_code() -> Project:
    # Issue "training the way the guides write it": a Metric subclass (RMSE), a Loss subclass
    # (CustomMSE), a Callback subclass (LossHistory) and a learning-rate schedule function, all
    # as project code, on scikit-learn's diabetes data (offline).
    g = ModelGraph("custom_training_code")
    x = add(g, INPUT, "features", {"shape": [10]})
    out = chain(
        g, x,
        (DENSE, "hidden", {"units": 32, "activation": "relu"}),
        (DENSE, "progression", {"units": 1}),
    )  # fmt: skip
    g.set_outputs([out])
    data = DataSettings("sklearn.diabetes", {}, validation_split=0.2, normalization="standard",
                        seed=0)  # fmt: skip
    settings = training(optimizer="Adam", learning_rate=0.05, batch_size=32, epochs=20,
                        losses={"progression": "CustomMSE"},
                        metrics={"progression": ["RMSE", "mean_absolute_error"]},
                        callbacks=[code_callback("LossHistory")],
                        lr_schedule={"class_name": "step_decay", "params": {}, "code": True})  # fmt: skip
    code = [CodeEntry("loss", "CustomMSE", CUSTOM_MSE), CodeEntry("metric", "RMSE", RMSE_METRIC),
            CodeEntry("schedule", "step_decay", STEP_DECAY),
            CodeEntry("callback", "LossHistory", LOSS_HISTORY)]  # fmt: skip
    return Project("Custom training code: metric, loss, callback, LR schedule", g, data,
                   settings, code=code)  # fmt: skip


def digits_true_positives() -> Project:
    # The guides' CategoricalTruePositives metric (a Metric subclass) on the digits MLP.
    project = digits_mlp()
    project.graph.name = "digits_true_positives"
    project.name = "Digits MLP with a custom metric (CategoricalTruePositives)"
    project.code = [
        CodeEntry("metric", "CategoricalTruePositives", CATEGORICAL_TRUE_POSITIVES),
        CodeEntry("callback", "LossHistory", LOSS_HISTORY),
    ]
    project.training = training(
        optimizer="Adam", learning_rate=1e-3, batch_size=32, epochs=20,
        losses={"digit": "sparse_categorical_crossentropy"},
        metrics={"digit": ["accuracy", "CategoricalTruePositives"]},
        callbacks=[callback("ModelCheckpoint", monitor="val_accuracy"),
                   code_callback("LossHistory")],
    )  # fmt: skip
    return project


# ----- training steps (the Keras guide "customizing what happens in fit") ----------------------
CUSTOM_MODEL = """\
import tensorflow as tf


class CustomModel(keras.Model):
    \"\"\"The guide's CustomModel: fit's own step written out (compute_loss, metrics).\"\"\"

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars, strict=True))
        return self.update_metrics(loss, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        return self.update_metrics(loss, y, y_pred, sample_weight)

    def update_metrics(self, loss, y, y_pred, sample_weight):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}
"""

GAN_STEP = """\
import tensorflow as tf


class GAN(keras.Model):
    \"\"\"The guide's GAN: the discriminator and the generator trained in turn, two optimizers.\"\"\"

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.seed_generator = keras.random.SeedGenerator(1337)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        # Sample random points in the latent space and decode them to fake images
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors)
        combined_images = tf.concat([generated_images, real_images], axis=0)
        # Labels: 1 for fake, 0 for real, with a little noise (an important trick)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)

        # Train the discriminator
        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(
            zip(grads, self.discriminator.trainable_weights, strict=True)
        )

        # Train the generator (without updating the discriminator): labels say "all real"
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = tf.zeros((batch_size, 1))
        with tf.GradientTape() as tape:
            predictions = self.discriminator(self.generator(random_latent_vectors))
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(
            zip(grads, self.generator.trainable_weights, strict=True)
        )

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def test_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        fake = self.discriminator(self.generator(random_latent_vectors, training=False))
        real = self.discriminator(real_images, training=False)
        labels = tf.concat([tf.ones_like(fake), tf.zeros_like(real)], axis=0)
        d_loss = self.loss_fn(labels, tf.concat([fake, real], axis=0))
        g_loss = self.loss_fn(tf.zeros_like(fake), fake)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
"""

VAE_STEP = """\
import tensorflow as tf


class VAE(keras.Model):
    \"\"\"The guide's subclassed VAE: encoder and decoder, reconstruction + KL loss.\"\"\"

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def vae_losses(self, data):
        z_mean, z_log_var, z = self.encoder(data)
        reconstruction = self.decoder(z)
        reconstruction_loss = ops.mean(
            ops.sum(keras.losses.binary_crossentropy(data[..., None], reconstruction[..., None]),
                    axis=1)
        )
        kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
        return reconstruction_loss + kl_loss, reconstruction_loss, kl_loss

    def train_step(self, data):
        with tf.GradientTape() as tape:
            total_loss, reconstruction_loss, kl_loss = self.vae_losses(data)
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return self.track(total_loss, reconstruction_loss, kl_loss)

    def test_step(self, data):
        return self.track(*self.vae_losses(data))

    def track(self, total_loss, reconstruction_loss, kl_loss):
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}
"""


def custom_train_step() -> Project:
    # Guide "customizing what happens in fit": a Functional model of class CustomModel.
    g = ModelGraph("custom_train_step")
    x = add(g, INPUT, "digits", {"shape": [64]})
    out = chain(
        g, x,
        (DENSE, "hidden", {"units": 32, "activation": "relu"}),
        (DENSE, "digit", {"units": 10, "activation": "softmax"}),
    )  # fmt: skip
    g.set_outputs([out])
    settings = training(
        optimizer="Adam",
        learning_rate=1e-3,
        batch_size=32,
        epochs=10,
        losses={"digit": "sparse_categorical_crossentropy"},
        metrics={"digit": ["accuracy"]},
        step={"name": "CustomModel"},
    )
    return Project(
        "Custom train_step (CustomModel)", g,
        DataSettings("sklearn.digits", {"scale": True}, validation_split=0.2), settings,
        code=[CodeEntry("step", "CustomModel", CUSTOM_MODEL)],
    )  # fmt: skip


def gan() -> Project:
    # Guide "customizing what happens in fit": the GAN, smaller than the guide's for speed.
    latent_dim = 32
    leaky = ("keras.layers.LeakyReLU", {"negative_slope": 0.2})
    disc = ModelGraph("discriminator")
    d_in = add(disc, INPUT, "image", {"shape": [28, 28, 1]})
    same2 = {"kernel_size": [3, 3], "strides": [2, 2], "padding": "same"}
    d_out = chain(
        disc, d_in,
        (CONV, "conv2d", {"filters": 32, **same2}), (leaky[0], "leaky_re_lu", leaky[1]),
        (CONV, "conv2d_1", {"filters": 64, **same2}), (leaky[0], "leaky_re_lu_1", leaky[1]),
        ("keras.layers.GlobalMaxPooling2D", "global_max_pooling2d", {}),
        (DENSE, "dense", {"units": 1}),
    )  # fmt: skip
    disc.set_outputs([d_out])
    gen = ModelGraph("generator")
    g_in = add(gen, INPUT, "latent", {"shape": [latent_dim]})
    tconv = "keras.layers.Conv2DTranspose"
    up2 = {"kernel_size": [4, 4], "strides": [2, 2], "padding": "same"}
    g_out = chain(
        gen, g_in,
        (DENSE, "dense", {"units": 7 * 7 * 64}), (leaky[0], "leaky_re_lu", leaky[1]),
        ("keras.layers.Reshape", "reshape", {"target_shape": [7, 7, 64]}),
        (tconv, "conv2d_transpose", {"filters": 64, **up2}),
        (leaky[0], "leaky_re_lu_1", leaky[1]),
        (tconv, "conv2d_transpose_1", {"filters": 64, **up2}),
        (leaky[0], "leaky_re_lu_2", leaky[1]),
        (CONV, "image", {"filters": 1, "kernel_size": [7, 7], "padding": "same",
                         "activation": "sigmoid"}),
    )  # fmt: skip
    gen.set_outputs([g_out])
    g = ModelGraph("gan")
    z = add(g, INPUT, "latent", {"shape": [latent_dim]})
    generator = block(g, "generator", gen, z)
    discriminator = block(g, "discriminator", disc, generator)
    g.set_outputs([discriminator])
    adam = {"class_name": "Adam", "config": {"learning_rate": 0.0003}}
    step = {
        "name": "GAN",
        "models": {"discriminator": discriminator, "generator": generator},
        "args": {"latent_dim": latent_dim},
        "compile": {"d_optimizer": adam, "g_optimizer": adam,
                    "loss_fn": {"class_name": "BinaryCrossentropy",
                                "config": {"from_logits": True}}},
    }  # fmt: skip
    # The guide trains on MNIST digits, no labels; digits drawn at 28x28 train offline.
    data = DataSettings("numpy", {"path": DIGITS28, "x": ["images"], "y": []},
                        validation_split=0.1)  # fmt: skip
    settings = training(batch_size=64, epochs=5, step=step)
    return Project("GAN (generator + discriminator, own train_step)", g, data, settings,
                   code=[CodeEntry("step", "GAN", GAN_STEP)])  # fmt: skip


def vae_step() -> Project:
    # Guide "customizing what happens in fit" / VAE example: encoder + decoder, own train_step.
    original_dim, intermediate_dim, latent_dim = 784, 64, 16
    enc = ModelGraph("encoder")
    e_in = add(enc, INPUT, "encoder_input", {"shape": [original_dim]})
    h = chain(enc, e_in, (DENSE, "dense", {"units": intermediate_dim, "activation": "relu"}))
    z_mean = chain(enc, h, (DENSE, "z_mean", {"units": latent_dim}))
    z_log_var = chain(enc, h, (DENSE, "z_log_var", {"units": latent_dim}))
    z = add(enc, "layerloom.Sampling", "z", {"seed": 1337})
    _connect_ports(enc, z, z_mean, z_log_var)
    enc.set_outputs([z_mean, z_log_var, z])
    dec = ModelGraph("decoder")
    d_in = add(dec, INPUT, "z_sampling", {"shape": [latent_dim]})
    d_out = chain(
        dec, d_in,
        (DENSE, "dense", {"units": intermediate_dim, "activation": "relu"}),
        (DENSE, "reconstruction", {"units": original_dim, "activation": "sigmoid"}),
    )  # fmt: skip
    dec.set_outputs([d_out])
    g = ModelGraph("vae")
    x = add(g, INPUT, "digits", {"shape": [original_dim]})
    encoder = block(g, "encoder", enc, x)
    decoder = add(g, BLOCK, "decoder", subgraph=dec)
    g.connect(encoder, decoder, port=dec.inputs[0], src_index=2)  # z
    g.set_outputs([decoder])
    step = {"name": "VAE", "models": {"encoder": encoder, "decoder": decoder}}
    # No targets: the step reconstructs its input.
    data = DataSettings("numpy", {"path": DIGITS28, "x": ["vectors"], "y": []},
                        validation_split=0.2)  # fmt: skip
    settings = training(optimizer="Adam", learning_rate=1e-3, batch_size=64, epochs=10, step=step)
    return Project("Variational autoencoder with its own train_step", g, data, settings,
                   code=[CodeEntry("step", "VAE", VAE_STEP)])  # fmt: skip


def _connect_ports(g: ModelGraph, dst: str, *srcs: str) -> None:
    """Feed `srcs` into the ports of `dst` in order (a list port takes them as slots)."""
    ports = g.ports(dst)
    if len(ports) == 1 and ports[0].variadic:
        for s in srcs:
            g.connect(s, dst, port=ports[0].name)
        return
    for s, p in zip(srcs, ports, strict=False):
        g.connect(s, dst, port=p.name)


EXAMPLES: dict[str, Callable[[], Project]] = {
    "digits_mlp": digits_mlp,
    "digits_cnn": digits_cnn,
    "ticket_classifier": ticket_classifier,
    "ticket_classifier_difficulty": ticket_classifier_difficulty,
    "issue_classifier": issue_classifier,
    "text_folder_classifier": text_folder_classifier,
    "shared_embedding": shared_embedding,
    "conv_autoencoder": conv_autoencoder,
    "ensemble": ensemble,
    "vae": vae,
    "kfold_diabetes": kfold_diabetes,
    "custom_training_code": custom_training_code,
    "digits_true_positives": digits_true_positives,
    "custom_train_step": custom_train_step,
    "gan": gan,
    "vae_step": vae_step,
}


def layout(g: ModelGraph) -> None:
    """Positions from app.compiler.layout_graph, or columns by depth if it is not available."""
    try:
        from app.compiler import layout_graph
    except ImportError:
        layout_graph = None
    if layout_graph is not None:
        layout_graph(g)
        return
    for _, graph in g.walk():
        depth: dict[str, int] = {}
        rows: dict[int, int] = {}
        for nid in graph.topological_order():
            d = max((depth[p] + 1 for p in graph.predecessors(nid)), default=0)
            depth[nid] = d
            row = rows.get(d, 0)
            rows[d] = row + 1
            graph.update_node(nid, position=(40.0 + 280.0 * d, 40.0 + 150.0 * row))


def build(name: str) -> Project:
    """The example project `name`, laid out, not saved."""
    _ids.update(example=name, count=0)
    project = EXAMPLES[name]()
    layout(project.graph)
    return project


def main(names: list[str] | None = None) -> int:
    data = write_digits28(HERE)
    print(f"data {data.relative_to(HERE.parents[1])}")
    for name in names or list(EXAMPLES):
        path = save_project(build(name), HERE / f"{name}.llproj")
        print(f"wrote {path.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
