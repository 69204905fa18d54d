"""Start-up time: `python -m app` until its window is on screen, beside a bare PySide6 window.

Prints figures only (never pass/fail). Both programs run in fresh subprocesses, in interleaved
rounds (bare, app, bare, app, ...), so a busy moment of the machine hits both alike.  Each one
reports "window_shown_s=..." on its first event-loop turn after `show()` (the app does so when
LAYERLOOM_EXIT_AFTER_SHOWN=1), measured as the process's age from /proc, then quits.  The wall
time seen from here (spawn to that line), the CPU time each had used by then and `import
tensorflow` for scale are printed as well.  CPU time counts every thread (numpy's thread pool
can make it exceed the wall time on an idle machine); it moves ~10% between a busy and an idle
machine, where the wall time moves two- to threefold.
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

# The same "shown" criterion and clock as app/ui/app.py: first event-loop turn after show(),
# process age from /proc.  Kept as text: it must run in a process that imports nothing else.
BARE_WINDOW = """
import os, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

def process_age():
    with open("/proc/self/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    with open("/proc/uptime", encoding="ascii") as fh:
        uptime = float(fh.read().split()[0])
    return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.show()

def shown():
    app.processEvents()
    exposed = window.windowHandle().isExposed()
    cpu = time.process_time()
    print(f"window_shown_s={process_age():.3f} cpu_s={cpu:.3f} keras_imported=False exposed={exposed}")
    sys.stdout.flush()
    app.quit()

QTimer.singleShot(0, shown)
app.exec()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["LAYERLOOM_EXIT_AFTER_SHOWN"] = "1"
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not env.get("DISPLAY") else "xcb")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def time_window_shown(command: list[str]) -> tuple[float, float, bool, bool, float]:
    """(seconds reported by the process, seconds seen from the parent, keras imported first,
    window exposed when reported, CPU seconds the process had used by then)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    reported, wall, keras, exposed, cpu = None, 0.0, False, False, 0.0
    for line in proc.stdout:
        if line.startswith("window_shown_s="):
            wall = time.perf_counter() - start
            parts = dict(p.split("=", 1) for p in line.split())
            reported = float(parts["window_shown_s"])
            keras = parts.get("keras_imported") == "True"
            exposed = parts.get("exposed") == "True"
            cpu = float(parts.get("cpu_s", "nan"))
            break
    proc.communicate(timeout=60)  # the app prints more once its document is open
    if reported is None:
        raise RuntimeError(f"{command} did not report that its window was shown")
    return reported, wall, keras, exposed, cpu


def time_import_tensorflow() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "import tensorflow"], env=_env(), check=True, capture_output=True
    )
    return time.perf_counter() - start


def _summary(values: list[float]) -> str:
    """Median with the spread: [min, max] and the interquartile range."""
    q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values * 3)
    return (
        f"median {statistics.median(values):.3f} s  "
        f"(min {min(values):.3f}, max {max(values):.3f}, IQR {q1:.3f}-{q3:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9, help="interleaved launches of each")
    parser.add_argument("--tf-runs", type=int, default=2, help="0 skips `import tensorflow`")
    args = parser.parse_args()
    bare_cmd = [sys.executable, "-c", BARE_WINDOW]
    app_cmd = [sys.executable, "-m", "app"]
    time_window_shown(bare_cmd)  # warm the OS file cache once for each
    time_window_shown(app_cmd)
    bare, app = [], []
    for i in range(args.rounds):
        # Alternate which goes first, so neither always runs right after the other.
        pair = (bare_cmd, app_cmd) if i % 2 == 0 else (app_cmd, bare_cmd)
        first, second = (time_window_shown(c) for c in pair)
        b, a = (first, second) if i % 2 == 0 else (second, first)
        bare.append(b)
        app.append(a)
    print(f"platform: {_env()['QT_QPA_PLATFORM']}, cores: {os.cpu_count()}, rounds: {args.rounds}")
    print(f"bare PySide6 window shown (process age): {_summary([b[0] for b in bare])}")
    print(f"LayerLoom window shown (process age):    {_summary([a[0] for a in app])}")
    diff = [a[0] - b[0] for a, b in zip(app, bare, strict=True)]
    print(f"LayerLoom - bare, per round:             {_summary(diff)}")
    print(f"bare window (spawn -> shown, parent):    {_summary([b[1] for b in bare])}")
    print(f"LayerLoom (spawn -> shown, parent):      {_summary([a[1] for a in app])}")
    # Wall times on a busy machine swing; CPU times show whether the app itself changed.
    print(f"bare window CPU time until shown:        {_summary([b[4] for b in bare])}")
    print(f"LayerLoom CPU time until shown:          {_summary([a[4] for a in app])}")
    print(
        f"keras/tensorflow imported before LayerLoom's window was shown: {any(a[2] for a in app)}"
    )
    print(f"every window exposed (painted) when reported: {all(r[3] for r in bare + app)}")
    if args.tf_runs > 0:
        tf = statistics.median(time_import_tensorflow() for _ in range(args.tf_runs))
        wall = statistics.median(a[1] for a in app)
        print(f"python -c 'import tensorflow' (median of {args.tf_runs}): {tf:.3f} s")
        print(f"LayerLoom window shown / import tensorflow: {wall / tf:.2f}")


if __name__ == "__main__":
    main()
