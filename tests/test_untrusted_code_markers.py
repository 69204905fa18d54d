"""Untrusted, no project code runs: for every kind of code (each CODE_KINDS entry and custom
layers), code that writes a marker file at import and in every function, through every CLI
command that opens a project. Trusted, the same commands work."""

from __future__ import annotations

import pytest
from code_projects import LAYER, marked_project

from app.cli import main
from app.compiler.custom_code import forget_trust
from app.project import save_project
from app.project.project_code import CODE_KINDS

KINDS = [*CODE_KINDS, LAYER]


@pytest.fixture(autouse=True)
def _fresh_trust():
    forget_trust()
    yield
    forget_trust()


def _commands(path, tmp_path) -> dict[str, list[str]]:
    p = str(path)
    return {
        "validate": ["validate", p],
        "summary": ["summary", p],
        "codegen": ["codegen", p, "-o", str(tmp_path / "s.py")],
        "train": ["train", p, "--no-save"],
        "export new": ["export", p, "-o", str(tmp_path / "new.keras")],
        "evaluate": ["evaluate", p, "--run", "latest"],
        "export run": ["export", p, "--run", "latest", "-o", str(tmp_path / "run.keras")],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_untrusted_code_never_runs_through_any_command(kind, tmp_path, capsys):
    marker = tmp_path / "ran.txt"
    project = marked_project(kind, marker)
    path = tmp_path / f"{kind}.llproj"
    save_project(project, path)
    commands = _commands(path, tmp_path)
    for name, args in commands.items():
        if name in ("evaluate", "export run"):
            continue  # need a run: below
        code = main(args)
        assert not marker.exists(), f"{kind}: '{name}' ran untrusted code"
        said = "".join(capsys.readouterr())
        assert code == 0 or ("--trust-code" in said and "Traceback" not in said), (name, said)

    # A run made with the code trusted; then, as in a new process, nobody trusts it.
    assert main(["train", str(path), "--trust-code"]) == 0, capsys.readouterr()
    assert kind not in ("loss", "metric", "callback", "schedule", LAYER) or marker.exists()
    marker.unlink(missing_ok=True)
    forget_trust()
    for name in ("evaluate", "export run"):
        code = main(commands[name])
        assert not marker.exists(), f"{kind}: '{name}' ran untrusted code"
        said = "".join(capsys.readouterr())
        # Refused (when the run's model names the code) in words that say how to trust it.
        assert code == 0 or ("--trust-code" in said and "Traceback" not in said), (name, said)
    for name, args in commands.items():
        forget_trust()
        assert main([*args, "--trust-code"]) == 0, (name, capsys.readouterr())
