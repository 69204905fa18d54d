"""Smoke test of a built bundle, headless: the CLI on a bundled example, then the window.

    python packaging/smoke_test.py [--rounds N] [--compare-source]

Runs dist/LayerLoom's executable (LayerLoom.exe on Windows, the one inside LayerLoom.app on
macOS; --exe picks another, e.g. an installed /usr/bin/layerloom): `examples`, `validate`,
`codegen`, `export` to TFLite and `train --epochs 1` on a bundled example (`validate` and
`export` must write nothing to stderr), `import` of the codegen script (the binary starts
itself as the script's child process) and `train` of that project, then opens that example in the window
(LAYERLOOM_EXIT_AFTER_SHOWN=1 makes it print "window_shown_s=..." once shown, then quit).
--compare-source also times `python -m app` from this checkout, interleaved.  Exits 1 on failure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "digits_mlp"


def bundle_executable() -> Path:
    """The bundle's executable for this OS."""
    if sys.platform == "darwin":
        return ROOT / "dist" / "LayerLoom.app" / "Contents" / "MacOS" / "LayerLoom"
    return (
        ROOT / "dist" / "LayerLoom" / ("LayerLoom.exe" if sys.platform == "win32" else "LayerLoom")
    )


def _env(user_data: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["XDG_DATA_HOME"] = user_data  # example runs go to the user data folder (Linux)
    env.pop("PYTHONPATH", None)  # the bundle must not need the checkout
    return env


def run(
    cmd: list[str], env: dict[str, str], timeout: float = 600, quiet_stderr: bool = False
) -> str:
    """Run `cmd`; its stdout, or SystemExit with its output when it fails (or, with
    `quiet_stderr`, when it wrote anything to stderr: TensorFlow's log lines, warnings)."""
    print("$", " ".join(cmd), flush=True)
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=tempfile.gettempdir()
    )
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    if quiet_stderr and proc.stderr.strip():
        raise SystemExit(f"{' '.join(cmd)} wrote to stderr:\n{proc.stderr[-4000:]}")
    return proc.stdout


def example_file(exe: str, env: dict[str, str]) -> Path:
    """The bundled example's file, from the `Folder:` line of `examples`."""
    listing = run([exe, "examples"], env)
    print(listing)
    folders = [
        line.split(":", 1)[1].strip() for line in listing.splitlines() if line.startswith("Folder:")
    ]
    if EXAMPLE not in listing or not folders:
        raise SystemExit(f"`examples` lists no {EXAMPLE}")
    return Path(folders[0]) / f"{EXAMPLE}.llproj"


def window_shown_seconds(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from process start until the window was shown, as the app reports it."""
    env = {**env, "LAYERLOOM_EXIT_AFTER_SHOWN": "1"}
    out = run(cmd, env, timeout=300)
    for line in out.splitlines():
        if line.startswith("window_shown_s="):
            return float(line.split()[0].split("=", 1)[1])
    raise SystemExit(f"{cmd[0]} never reported its window shown:\n{out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exe", help="executable to test (default: the bundle in dist/)")
    parser.add_argument("--rounds", type=int, default=1, help="window starts to time")
    parser.add_argument("--compare-source", action="store_true", help="also time `python -m app`")
    args = parser.parse_args(argv)
    exe = args.exe or str(bundle_executable())
    with tempfile.TemporaryDirectory(prefix="layerloom_smoke_") as user_data:
        env = _env(user_data)
        example = example_file(exe, env)
        print(run([exe, "validate", str(example)], env, quiet_stderr=True))
        script = Path(user_data) / "model.py"  # codegen reads LayerLoom's own source files
        run([exe, "codegen", str(example), "-o", str(script)], env)
        if "keras" not in script.read_text(encoding="utf-8"):
            raise SystemExit("codegen wrote no Keras script")
        tflite = Path(user_data) / "model.tflite"  # through a SavedModel: AutoGraph reads source
        run([exe, "export", str(example), "-o", str(tflite)], env, quiet_stderr=True)
        if not tflite.is_file():
            raise SystemExit("export wrote no .tflite file")
        trained = run([exe, "train", str(example), "--epochs", "1"], env)
        print(trained)
        if "completed" not in trained:
            raise SystemExit("train did not complete its epoch")
        # Opening a script: the binary starts itself as the child (`_run-script`) that runs the
        # script up to its first fit(); the imported project then trains.
        imported = Path(user_data) / "imported.llproj"
        print(run([exe, "import", str(script), "-o", str(imported), "--trust-code"], env))
        if not imported.is_file():
            raise SystemExit("import of the codegen script wrote no project")
        trained = run([exe, "train", str(imported), "--epochs", "1", "--trust-code"], env)
        print(trained)
        if "completed" not in trained:
            raise SystemExit("the imported script's project did not train")
        bundle, source = [], []
        source_cmd = [sys.executable, "-m", "app", str(example)]
        source_env = {**env, "PYTHONPATH": str(ROOT)}
        for _ in range(args.rounds):
            bundle.append(window_shown_seconds([exe, str(example)], env))
            if args.compare_source:
                source.append(window_shown_seconds(source_cmd, source_env))
    print(f"bundle window shown: median {statistics.median(bundle):.3f} s  {bundle}")
    if source:
        print(f"source window shown: median {statistics.median(source):.3f} s  {source}")
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
