"""Run a trusted script in a child process (runner.py, started through LayerLoom's own entry
point: child.py) and read back what it captured.

The child gets its own temp folder, the script's folder as working directory, a time limit and
a cancel check; its result.json is read with a size limit, and model.keras / data.npz are left
for the caller to check before anything reads them.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.compiler.script_import.child import child_command, popen_options
from app.errors import ImportModelError

TIMEOUT_S = 600.0
MAX_RESULT_BYTES = 50_000_000
MAX_DATA_BYTES = 2_000_000_000
MAX_LOG_CHARS = 4000


class ScriptImportError(ImportModelError):
    """The script could not be run or gave nothing to import; the message says why."""


@dataclass
class Capture:
    """What the child wrote: result.json's content and the folder holding its files."""

    folder: Path
    result: dict[str, Any]
    log: str = ""
    problems: list[str] = field(default_factory=list)

    def file(self, key: str) -> Path | None:
        """The path of a file the result names (model_file, data_file), or None."""
        name = self.result.get(key)
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            return None
        path = self.folder / name
        return path if path.is_file() else None


def run_script(
    script: str | os.PathLike,
    work_dir: str | os.PathLike,
    *,
    timeout: float = TIMEOUT_S,
    cancelled: Callable[[], bool] | None = None,
    max_data_bytes: int = MAX_DATA_BYTES,
) -> Capture:
    """Run the (trusted) script until its first fit and return what it captured.

    ScriptImportError in plain words when it cannot start, takes longer than `timeout`
    seconds, is cancelled, or dies without writing its result.
    """
    script = Path(script).resolve()
    if not script.is_file():
        raise ScriptImportError(f"'{script}' is not a file.", path=str(script))
    folder = Path(work_dir)
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = child_command(str(script), str(folder), str(max_data_bytes))
    log_path = folder / "log.txt"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - the user trusted this script
            argv,
            cwd=str(script.parent),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            **popen_options(),
        )
        start = time.monotonic()
        try:
            while proc.poll() is None:
                if cancelled is not None and cancelled():
                    raise ScriptImportError("The import was cancelled.", path=str(script))
                if time.monotonic() - start > timeout:
                    raise ScriptImportError(
                        f"{script.name} did not reach fit() within {timeout:.0f} seconds; it was "
                        "stopped.",
                        path=str(script),
                    )
                time.sleep(0.05)
        finally:
            if proc.poll() is None:
                _stop(proc)
    text = _tail(log_path)
    result_path = folder / "result.json"
    if not result_path.is_file():
        raise ScriptImportError(
            f"{script.name} stopped (exit code {proc.returncode}) before LayerLoom could read "
            f"it.{_last_lines(text)}",
            path=str(script),
        )
    if result_path.stat().st_size > MAX_RESULT_BYTES:
        raise ScriptImportError(f"What {script.name} gave back is too large.", path=str(script))
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScriptImportError(
            f"What {script.name} gave back could not be read: {exc}", path=str(script)
        ) from None
    if not isinstance(result, dict):
        raise ScriptImportError(f"What {script.name} gave back is not a mapping.")
    problems = [str(p) for p in result.get("problems") or [] if isinstance(p, str)]
    return Capture(folder, result, text, problems)


def _stop(proc: subprocess.Popen) -> None:
    """End the child (and what it started: its own process group)."""
    try:
        os.killpg(proc.pid, 15)
    except (OSError, AttributeError):
        proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, 9)
        except (OSError, AttributeError):
            proc.kill()
        proc.wait()


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()[-MAX_LOG_CHARS:]
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def _last_lines(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()][-3:]
    return (" Its last output: " + " / ".join(lines)) if lines else ""
