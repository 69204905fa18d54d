"""The bundled example projects (resources/examples/*.llproj)."""

from __future__ import annotations

import json
from pathlib import Path

import app

DEFAULT_EXAMPLE = "digits_mlp"

# Display order and titles; files not listed here follow by name.
TITLES = {
    "digits_mlp": "Digits: a small MLP (8x8 images)",
    "digits_cnn": "Digits: a small CNN",
    "ticket_classifier": "Ticket classifier: 3 inputs, 2 outputs",
    "ticket_classifier_difficulty": "Ticket classifier + difficulty head (feature reuse)",
    "issue_classifier": "Issue classifier: Embedding + LSTM, 2 outputs",
    "text_folder_classifier": "Text classifier from a folder of text files per class",
    "shared_embedding": "Shared Embedding for two text inputs",
    "conv_autoencoder": "Convolutional autoencoder from encoder and decoder models",
    "ensemble": "Ensemble of three models, averaged",
    "vae": "Variational autoencoder (Sampling + KL loss)",
    "kfold_diabetes": "Diabetes regression, 5-fold cross-validation",
    "custom_training_code": "Custom training code: RMSE metric, Loss, LossHistory callback, "
    "LR schedule",
    "digits_true_positives": "Digits with a custom metric (CategoricalTruePositives)",
    "custom_train_step": "Custom train_step (the guide's CustomModel)",
    "gan": "GAN: generator + discriminator, two optimizers",
    "vae_step": "Variational autoencoder with its own train_step",
}


def examples_dir() -> Path:
    """resources/examples next to the app package."""
    return Path(app.__file__).resolve().parent.parent / "resources" / "examples"


def is_example(path: str | Path) -> bool:
    """True for a project file among the bundled examples (read-only once installed)."""
    try:
        return Path(path).resolve().parent == examples_dir()
    except OSError:
        return False


def example_runs_dir(path: str | Path) -> Path:
    """Where runs of a bundled example go: <user data dir>/LayerLoom/example_runs/<name>."""
    import platformdirs

    base = Path(platformdirs.user_data_dir("LayerLoom", appauthor=False))
    return base / "example_runs" / Path(path).stem


def list_examples() -> list[tuple[str, str, Path]]:
    """(name, title, path) of every bundled example, the default first."""
    folder = examples_dir()
    files = {f.stem: f for f in folder.glob("*.llproj")} if folder.is_dir() else {}
    order = [n for n in TITLES if n in files] + sorted(n for n in files if n not in TITLES)
    return [(n, TITLES.get(n) or _title_from_file(files[n]), files[n]) for n in order]


def example_path(name: str) -> Path:
    """Path of the example called `name`; KeyError if there is none."""
    for n, _, path in list_examples():
        if n == name:
            return path
    raise KeyError(name)


def _title_from_file(path: Path) -> str:
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("name")
    except (OSError, ValueError, AttributeError):
        name = None
    return name if isinstance(name, str) else path.stem
