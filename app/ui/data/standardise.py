"""The data panel's "Standardise in the model" action: statistics of the training split computed
off the GUI thread, then one undo step (Normalization nodes in, the data's standardisation off).

Also the sentence that says an exported model expects normalised input, for projects that keep
normalising outside the model (the data panel and File > Export show it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.data import SOURCES, DataConfig, Dataset

if TYPE_CHECKING:
    from app.model import ModelGraph
    from app.ui.data.worker import TaskRunner
    from app.ui.document import Document

BUTTON_TIP = (
    "Add a Normalization layer after each numeric Input, with the mean and variance of the "
    "training split, and stop standardising the data outside the model, so an exported model "
    "takes raw input (one undo step)"
)


def outside_normalisation_note(normalization: str) -> str:
    """One sentence for a project that normalises its data outside the model ("" when not)."""
    if normalization == "standard":
        return (
            "An exported model expects standardised input: the mean and std stay in the "
            "project's data settings."
        )
    if normalization == "minmax":
        return (
            "An exported model expects scaled input: the minimum and maximum stay in the "
            "project's data settings."
        )
    return ""


def statistics_task(
    config: DataConfig, input_names: list[str], dataset: Dataset | None, graph_copy: ModelGraph
) -> dict:
    """Worker body: model input name -> FeatureStats of the raw training split."""
    from app.data.feature_stats import training_statistics

    model = None
    if SOURCES[config.source].needs_model:
        from app.compiler import build_model

        model = build_model(graph_copy)
    return training_statistics(config, input_names, dataset, model)


def start_standardising(
    document: Document,
    runner: TaskRunner,
    dataset: Dataset | None,
    report: Callable[[str, bool], None],
) -> bool:
    """Compute the statistics in the background, then push the edit on the document's undo stack.

    `dataset` is the data the panel shows (used when it is raw, else the data is read again).
    `report(sentence, ok)` is called once with what happened. False when nothing was started.
    """
    project = document.project
    config = project.data_config()
    if config.target == "inputs":
        report(
            "An autoencoder learns to give back its standardised input: standardising inside "
            "the model would change its targets, so the data keeps its normalisation.",
            False,
        )
        return False
    graph = document.graph
    names = [graph.node(i).name for i in graph.inputs]
    if not names:
        report("The model has no Input to standardise.", False)
        return False
    graph_copy = graph.copy() if SOURCES[config.source].needs_model else None

    def done(stats: dict) -> None:
        if not stats:
            report("No Input of the model gets decimal numbers from the data.", False)
            return
        _push(document, stats, report)

    runner.run(
        "standardise",
        lambda: statistics_task(config, names, dataset, graph_copy),
        done,
        lambda message: report(f"The statistics could not be computed: {message}", False),
    )
    return True


def _push(document: Document, stats: dict, report: Callable[[str, bool], None]) -> None:
    from app.project.standardise import StandardiseError, standardise_in_model
    from app.ui.undo import push

    try:
        command, words = standardise_in_model(document.project, stats)
    except StandardiseError as exc:
        report(exc.message, False)
        return
    push(document.undo_stack, document.project, command)
    report("Standardised inside the model: " + " ".join(words) + " (Undo with Ctrl+Z.)", True)
