"""The CLI names the user's output file in its errors, never a temp file of its own."""

from __future__ import annotations

import shutil

from app.cli import main
from app.project.examples import example_path


def test_codegen_into_a_missing_folder_says_so(tmp_path, capsys):
    project = tmp_path / "digits.llproj"
    shutil.copy(example_path("digits_mlp"), project)
    target = tmp_path / "missing" / "dir" / "x.py"
    assert main(["codegen", str(project), "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: Could not write '{target}': the folder '{target.parent}' does not exist."
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.llproj"]
