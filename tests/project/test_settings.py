"""Project settings keep what the data and training layers store in them."""

from __future__ import annotations

from app.project import DataSettings, Project, TrainingSettings, load_project, save_project


def test_unknown_keys_survive_a_save(tmp_path, graph):
    data = {"source": "keras.mnist", "options": {"scale": True}, "target": "inputs",
            "normalization": "minmax", "input_map": {"img": "x"}}  # fmt: skip
    training = {"optimizer": "SGD", "loss": {"out": "mse"}, "lr_schedule": None,
                "callbacks": [{"class_name": "EarlyStopping", "params": {"patience": 3}}]}  # fmt: skip
    project = Project(graph=graph, data=DataSettings.from_dict(data),
                      training=TrainingSettings.from_dict(training))  # fmt: skip
    assert project.data.extra["target"] == "inputs"
    save_project(project, tmp_path / "p.llproj")
    again = load_project(tmp_path / "p.llproj")
    assert again.data.to_dict() == {**data}
    assert again.training.to_dict()["callbacks"] == training["callbacks"]
    assert again.training.optimizer == "SGD"


def test_settings_feed_the_data_and_training_configs(graph):
    from app.data.dataset import DataConfig
    from app.training.config import TrainingConfig
    from app.training.headless import settings_from_project

    project = Project(
        graph=graph,
        data=DataSettings("synthetic", {"num_samples": 32}, extra={"target": "labels"}),
        training=TrainingSettings(loss={"head": "mse"}, metrics={"head": ["mae"]}, seed=3),
    )
    data, training = settings_from_project(project)
    dc, tc = DataConfig.from_dict(data), TrainingConfig.from_dict(training)
    assert (dc.source, dc.options, dc.seed, dc.validation_split) == (
        "synthetic",
        {"num_samples": 32},
        3,
        0.2,
    )
    assert tc.losses == {"head": "mse"} and tc.metrics == {"head": ["mae"]}
