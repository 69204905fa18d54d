"""Start-up time: launch `python -m app` until its window is on screen, vs `import tensorflow`.

Prints figures only (never pass/fail). Runs each measurement a few times and reports the median.
The app reports "window_shown_s=..." (time from its process start) when LAYERLOOM_EXIT_AFTER_SHOWN=1,
then quits; the wall time seen from here (spawn to that line) is printed as well.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["LAYERLOOM_EXIT_AFTER_SHOWN"] = "1"
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not env.get("DISPLAY") else "xcb")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def time_window_shown() -> tuple[float, float, bool]:
    """(seconds reported by the app, seconds seen from the parent, keras imported before shown)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    reported, keras = None, None
    for line in proc.stdout:
        if line.startswith("window_shown_s="):
            wall = time.perf_counter() - start
            parts = dict(p.split("=", 1) for p in line.split())
            reported = float(parts["window_shown_s"])
            keras = parts.get("keras_imported") == "True"
            break
    proc.wait(timeout=60)
    if reported is None:
        raise RuntimeError("the app did not report that its window was shown")
    return reported, wall, keras


def time_import_tensorflow() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import tensorflow"], env=_env(), check=True, capture_output=True
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    time_window_shown()  # warm the OS file cache once
    shown = [time_window_shown() for _ in range(args.runs)]
    reported = statistics.median(s[0] for s in shown)
    wall = statistics.median(s[1] for s in shown)
    tf_runs = [time_import_tensorflow() for _ in range(max(1, args.runs // 2))]
    tf = statistics.median(tf_runs)
    print(f"platform: {_env()['QT_QPA_PLATFORM']}, cores: {os.cpu_count()}, runs: {args.runs}")
    print(f"window shown (app process start -> shown, median): {reported:.3f} s")
    print(f"window shown (spawn -> shown, seen by parent, median): {wall:.3f} s")
    print(f"keras/tensorflow imported before the window was shown: {any(s[2] for s in shown)}")
    print(f"python -c 'import tensorflow' (median of {len(tf_runs)}): {tf:.3f} s")
    print(f"window shown / import tensorflow: {wall / tf:.2f}")


if __name__ == "__main__":
    main()
