"""Evaluation: metrics on a split, confusion matrix, per-class precision/recall, previews."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.data.compat import fit_arrays, resolve_names
from app.data.dataset import DataError, Dataset, class_ids
from app.project.training_config import TrainingError


def _split(dataset: Dataset, split: str) -> tuple[dict, dict]:
    if split == "val":
        if dataset.x_val is None:
            raise DataError("There is no validation data to evaluate on; use the training data.")
        return dataset.x_val, dataset.y_val or {}
    if split == "train":
        return dataset.x, dataset.y
    raise DataError(f"Unknown data split '{split}'; use 'val' or 'train'.")


def _subset(dataset: Dataset, split: str, limit: int | None) -> Dataset:
    x, y = _split(dataset, split)
    if limit is not None:
        x = {k: v[:limit] for k, v in x.items()}
        y = {k: v[:limit] for k, v in y.items()}
    return Dataset(x=x, y=y, task=dataset.task, class_names=dataset.class_names)


def predict(
    model: Any,
    dataset: Dataset,
    split: str = "val",
    limit: int | None = None,
    input_map: dict | None = None,
    batch_size: int = 256,
) -> dict[str, np.ndarray]:
    """Model predictions for a split as output name -> array."""
    sub = _subset(dataset, split, limit)
    x, _, _ = fit_arrays(model, Dataset(x=sub.x), input_map, None, set(model.output_names))
    out = model.predict(x, batch_size=batch_size, verbose=0)
    if isinstance(out, dict):
        return {k: np.asarray(v) for k, v in out.items()}
    if isinstance(out, list | tuple):
        return {n: np.asarray(v) for n, v in zip(model.output_names, out)}
    return {model.output_names[0]: np.asarray(out)}


def evaluate(
    model: Any,
    dataset: Dataset,
    split: str = "val",
    input_map: dict | None = None,
    output_map: dict | None = None,
    batch_size: int = 256,
) -> dict[str, float]:
    """model.evaluate on a split as plain floats (the model must be compiled)."""
    if getattr(model, "optimizer", None) is None and not getattr(model, "compiled", False):
        raise TrainingError("The model must be trained (compiled) before it can be evaluated.")
    sub = _subset(dataset, split, None)
    x, y, _ = fit_arrays(model, sub, input_map, output_map)
    try:
        res = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    except Exception as exc:
        raise TrainingError(f"Evaluation failed: {str(exc).strip().splitlines()[0][:300]}") from exc
    return {k: float(v) for k, v in res.items()}


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[true, predicted] from class ids."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def per_class_report(cm: np.ndarray, class_names: list[str] | None = None) -> list[dict[str, Any]]:
    """Precision, recall, F1 and support per class from a confusion matrix."""
    names = class_names or [str(i) for i in range(len(cm))]
    tp = np.diag(cm).astype(float)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    rows = []
    for i, name in enumerate(names):
        p = tp[i] / predicted[i] if predicted[i] else 0.0
        r = tp[i] / actual[i] if actual[i] else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append(
            {
                "class": name,
                "precision": float(p),
                "recall": float(r),
                "f1": float(f1),
                "support": int(actual[i]),
            }
        )
    return rows


def _pred_ids(pred: np.ndarray) -> np.ndarray:
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        return np.argmax(pred, axis=-1).reshape(len(pred))
    return (pred.reshape(len(pred)) > 0.5).astype(np.int64)


def classification_report(
    model: Any,
    dataset: Dataset,
    output: str | None = None,
    split: str = "val",
    input_map: dict | None = None,
    output_map: dict | None = None,
) -> dict[str, Any]:
    """Confusion matrix, per-class precision/recall and accuracy of one classifier output (by
    default the first output whose targets have class names)."""
    x, y = _split(dataset, split)
    ymap = resolve_names("Output", list(model.output_names), y, output_map or {}, [])
    if output is None:
        named = [n for n in model.output_names if dataset.class_names.get(ymap.get(n, ""))]
        output = named[0] if named else model.output_names[0]
    if output not in ymap:
        raise DataError(f"Output '{output}' has no targets to compare with.")
    true = class_ids(y[ymap[output]])
    if true is None:
        raise DataError(f"The targets of output '{output}' are not class labels.")
    pred = _pred_ids(predict(model, dataset, split, input_map=input_map)[output])
    names = dataset.class_names.get(ymap[output])
    n = max(len(names or []), int(true.max()) + 1, int(pred.max()) + 1)
    names = (names or []) + [str(i) for i in range(len(names or []), n)]
    cm = confusion_matrix(true, pred, n)
    return {
        "output": output,
        "classes": names,
        "matrix": cm.tolist(),
        "per_class": per_class_report(cm, names),
        "accuracy": float(np.trace(cm) / max(cm.sum(), 1)),
    }


def prediction_preview(
    model: Any,
    dataset: Dataset,
    n: int = 16,
    split: str = "val",
    input_map: dict | None = None,
    output_map: dict | None = None,
) -> list[dict[str, Any]]:
    """Rows {index, output, true, predicted, confidence} for the first n samples of a split.

    Labels are class names for classifiers and numbers for regression; the UI shows the input
    of sample `index` (an image or a table row) next to them.
    """
    x, y = _split(dataset, split)
    preds = predict(model, dataset, split, limit=n, input_map=input_map)
    ymap = resolve_names("Output", list(model.output_names), y, output_map or {}, [])
    rows = []
    for name, pred in preds.items():
        names = dataset.class_names.get(ymap.get(name, ""), [])
        true = y.get(ymap[name]) if name in ymap else None
        for i in range(min(n, len(pred))):
            row: dict[str, Any] = {"index": i, "output": name}
            p = pred[i]
            if names and p.ndim == 1 and p.shape[-1] == len(names):
                k = int(np.argmax(p))
                row.update(predicted=names[k], confidence=float(p[k]))
                if true is not None:
                    t = class_ids(true[i : i + 1])
                    row["true"] = names[int(t[0])] if t is not None else None
            elif p.size <= 8:
                row["predicted"] = [round(float(v), 5) for v in p.reshape(-1)]
                if true is not None:
                    row["true"] = [round(float(v), 5) for v in np.asarray(true[i]).reshape(-1)]
            else:
                row["predicted"] = f"array {tuple(p.shape)}"
            rows.append(row)
    return rows


def reconstructions(
    model: Any, dataset: Dataset, n: int = 8, split: str = "val", input_map: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, model outputs) of the first n samples, for autoencoder previews."""
    x, _ = _split(dataset, split)
    first = next(iter(x.values()))[:n]
    out = next(iter(predict(model, dataset, split, limit=n, input_map=input_map).values()))
    return first, out
