"""GUI training throughput with live per-batch plots vs a plain model.fit, the longest event-loop
stall while training, and RSS growth over consecutive GUI runs. Prints figures; never fails.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_training.py [--rounds 24] [--hook]

(24 rounds take about six minutes on 2 cores; single rounds swing ±30% on a shared VM, so the
figures are pooled and come with bootstrap 95% intervals. --rounds 6 gives a quick look.)

The GUI side is a real TrainingPanel, shown, with its event loop running: the worker thread
trains, batch and epoch dicts are drained and the plots redrawn on their timer. Each
throughput round runs the same epochs as a GUI run, as a plain fit script (main thread) and as
a plain fit on a worker thread (the stricter baseline: the GUI trains on one too), in every
order in turn and each after a full garbage collection. Ratios come from all their epochs
pooled (the first epoch of each run, which traces the train function, left out). Stall rounds
are separate: their 5 ms QTimer heartbeat (which measures how long the event loop was ever
kept from running) wakes the GUI thread 200 times a second and would itself slow the training
thread down.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import app.ui  # noqa: E402,F401  (Qt work-arounds first)

HEARTBEAT_MS = 5
GUI_CPU_CLOCK = time.pthread_getcpuclockid(threading.main_thread().ident)  # GUI thread's CPU


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Heartbeat:
    """Longest gap between QTimer ticks (minus the interval) while running."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.worst = 0.0
        self.phase = "preparing"
        self.by_phase: dict[str, float] = {}

    def start(self) -> None:
        self.worst = 0.0
        self.phase = "preparing"
        self.by_phase = {}
        self.clock.start()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        gap = float(self.clock.restart() - HEARTBEAT_MS)
        self.worst = max(self.worst, gap)
        self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0.0), gap)

    def on_event(self, d: dict) -> None:
        """Phases: preparing (build, load, check), training (first to last batch), finishing."""
        if d.get("kind") == "started":
            self.phase = "training"
        elif d.get("kind") == "finished":
            self.phase = "finishing"


def gui_run(panel, epochs: int, heartbeat: Heartbeat | None = None) -> dict:
    """One run through the panel with the event loop running: epoch durations, and the share of
    the training time the GUI thread spent on the CPU (updating, painting, handling signals)."""
    durations: list[float] = []
    loop = QEventLoop()
    result: dict = {}
    clocks: dict[str, tuple[float, float]] = {}

    def clock(d: dict) -> None:  # called on the training thread: reads the GUI thread's clock
        if d.get("kind") in ("started", "finished"):
            clocks[d["kind"]] = (time.clock_gettime(GUI_CPU_CLOCK), time.perf_counter())

    def done(r: dict) -> None:
        result.update(r)
        loop.quit()

    panel.run_finished.connect(done)
    if heartbeat:
        heartbeat.start()
    assert panel.start(epochs=epochs), panel.banner.text()
    panel.worker.epoch.connect(lambda d: durations.append(d["duration_s"]))
    panel.worker.event.connect(clock)
    if heartbeat:
        panel.worker.event.connect(heartbeat.on_event)
    loop.exec()
    if heartbeat:
        heartbeat.stop()
    panel.run_finished.disconnect(done)
    result["durations"] = durations
    result["batches"] = panel.plots.batches["loss"].n
    if "started" in clocks and "finished" in clocks:
        (c0, w0), (c1, w1) = clocks["started"], clocks["finished"]
        result["gui_cpu_share"] = (c1 - c0) / (w1 - w0) if w1 > w0 else 0.0
    return result


def plain_fit(
    graph, data_cfg, training: dict, epochs: int, threaded: bool = False
) -> tuple[list[float], int]:
    """model.fit on the same graph, data, batch size and compile settings (no per-batch hooks),
    as a script runs it: on the main thread, or on a thread of its own (the main thread waiting
    for it, no event loop)."""
    if threaded:
        out: list = []
        worker = threading.Thread(
            target=lambda: out.append(plain_fit(graph, data_cfg, training, epochs))
        )
        worker.start()
        worker.join()
        return out[0]
    import keras
    from bench_training import EpochClock  # the same epoch clock as the headless benchmark

    from app.compiler import build_model
    from app.data import DataConfig, fit_arrays, load_dataset
    from app.project.training_config import TrainingConfig
    from app.training.compile import compile_model
    from app.training.tf_leaks import custom_gradient_names, forget_custom_gradients

    config = TrainingConfig.from_dict(training)
    cfg = DataConfig.from_dict(data_cfg)
    before = custom_gradient_names()
    keras.utils.set_random_seed(config.seed or 0)
    model = build_model(graph)
    ds = load_dataset(cfg, model)
    compile_model(model, config, ds, cfg.output_map)
    x, y, val = fit_arrays(model, ds, cfg.input_map, cfg.output_map, set())
    clock = EpochClock()
    model.fit(
        x,
        y,
        batch_size=config.batch_size,
        epochs=epochs,
        validation_data=val,
        shuffle=config.shuffle,
        callbacks=[clock],
        verbose=0,
    )
    # TensorFlow keeps each traced train step alive (see app.training.tf_leaks); drop this
    # baseline's, so its garbage does not slow down the GUI runs that follow.
    forget_custom_gradients(before)
    return clock.times, ds.num_samples


def trainer_only(graph, data_cfg, training: dict, epochs: int, runs_dir: Path) -> list[float]:
    """The same Trainer with a no-op per-batch listener and no GUI: the cost of the per-batch
    forwarding itself (Keras hands over each batch's logs)."""
    from app.compiler import build_model
    from app.data import DataConfig, load_dataset
    from app.training import Trainer

    durations: list[float] = []
    ds = load_dataset(DataConfig.from_dict(data_cfg), build_model(graph))
    Trainer(
        lambda: build_model(graph),
        ds,
        training,
        runs_dir,
        on_batch=lambda d: None,
        on_epoch=lambda d: durations.append(d["duration_s"]),
        epochs=epochs,
    ).run()
    return durations


def interval(by_round: dict[str, list[list[float]]], base: str, draws: int = 2000) -> str:
    """A bootstrap 95% interval of the pooled-median ratio base / GUI, resampling whole rounds
    (a round's runs share the machine's speed of the moment)."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = len(by_round["gui"])
    values = []
    for _ in range(draws):
        pick = rng.integers(0, n, n)
        gui = np.median(np.concatenate([by_round["gui"][i] for i in pick]))
        other = np.median(np.concatenate([by_round[base][i] for i in pick]))
        values.append(other / gui)
    lo, hi = np.percentile(values, [2.5, 97.5])
    return f"{lo:.3f}-{hi:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--stall-rounds", type=int, default=5)
    ap.add_argument(
        "--hook",
        action="store_true",
        help="also time the Trainer without a GUI (per-batch forwarding only)",
    )
    ap.add_argument("--runs", type=int, default=10, help="consecutive runs for RSS growth")
    args = ap.parse_args()
    qapp = QApplication.instance() or QApplication([])
    import keras  # noqa: F401  (loaded before the panel, as the window's loader does)

    from app.project.examples import example_path
    from app.project.settings import settings_from_project
    from app.ui.document import Document
    from app.ui.training.panel import TrainingPanel, freeze_imported_objects

    doc = Document.open_project(example_path("digits_mlp"), origin="example")
    tmp = Path(tempfile.mkdtemp(prefix="ll_bench_gui_"))
    panel = TrainingPanel()
    panel.runs_root = tmp
    panel.show_error = lambda t, m: print(f"error: {t}: {m}")
    panel.set_document(doc)
    panel.form.refresh_names()
    cbs = [c for c in panel.form.config()["callbacks"]]
    print(f"model: digits MLP example, callbacks on: {[c['class_name'] for c in cbs] or 'none'}")
    panel.resize(1400, 850)
    panel.show()
    qapp.processEvents()
    data, training = settings_from_project(doc.project)
    freeze_imported_objects()  # what the window does when Keras is ready
    gui_run(panel, 2)  # warm-up: first use of the panel's plots and of TensorFlow
    plain_fit(doc.graph, data, training, 2)
    heartbeat = Heartbeat()
    epochs: dict[str, list[float]] = {"gui": [], "plain": [], "thread": [], "hook": []}
    sides = ["gui", "plain", "thread"] + (["hook"] if args.hook else [])
    orders = list(itertools.permutations(sides))
    ratios, shares = [], []
    by_round: dict[str, list[list[float]]] = {}
    samples = 0
    for r in range(args.rounds):
        # Every order of the sides in turn, so a drift in the machine's speed and whatever one
        # run leaves behind for the next weigh on all sides alike; each starts collected.
        medians = {}
        for side in orders[r % len(orders)]:
            gc.collect()
            if side == "gui":
                res = gui_run(panel, args.epochs)
                times = res["durations"]
            elif side == "hook":
                times = trainer_only(doc.graph, data, training, args.epochs, tmp)
            else:
                times, samples = plain_fit(
                    doc.graph, data, training, args.epochs, threaded=side == "thread"
                )
            epochs[side] += times[1:]  # epoch 1 traces the train function
            by_round.setdefault(side, []).append(times[1:])
            medians[side] = statistics.median(times[1:])
        ratios.append(medians["plain"] / medians["gui"])
        shares.append(res.get("gui_cpu_share", float("nan")))
        print(
            f"round {r + 1}: GUI {samples / medians['gui']:,.0f} samples/s ({res['batches']} "
            f"batches plotted, redraw every {panel.plots.timer.interval()} ms, GUI thread busy "
            f"{shares[-1]:.1%} of the time) | plain fit {samples / medians['plain']:,.0f} "
            f"samples/s | on a thread {samples / medians['thread']:,.0f} samples/s | ratio "
            f"{ratios[-1]:.3f}"
        )
    stalls = []
    for _ in range(args.stall_rounds):
        gui_run(panel, args.epochs, heartbeat)
        stalls.append(dict(heartbeat.by_phase))
    med = {k: statistics.median(v) for k, v in epochs.items() if v}
    print(
        f"epochs pooled over {args.rounds} rounds: GUI median {med['gui'] * 1000:.1f} ms "
        f"({samples / med['gui']:,.0f} samples/s), plain fit median {med['plain'] * 1000:.1f} "
        f"ms ({samples / med['plain']:,.0f} samples/s)"
    )
    print(
        f"throughput ratio GUI / plain fit script (pooled median epochs): "
        f"{med['plain'] / med['gui']:.3f}  (target >= 0.95); per round "
        f"{min(ratios):.2f}-{max(ratios):.2f}; 95% interval {interval(by_round, 'plain')}"
    )
    print(
        f"throughput ratio from each side's fastest epoch (less sensitive to other load on "
        f"the machine): {min(epochs['plain']) / min(epochs['gui']):.3f}"
    )
    # The GUI trains on a worker thread; on this machine fit itself can run at another speed
    # there than on a script's main thread. This ratio is the live window's own cost.
    print(
        f"stricter: GUI / the same plain fit on a worker thread with no GUI: "
        f"{med['thread'] / med['gui']:.3f}, 95% interval {interval(by_round, 'thread')} "
        f"(plain fit on a thread / on the main thread: "
        f"{med['plain'] / med['thread']:.3f})"
    )
    print(f"GUI thread busy while training: median {statistics.median(shares):.1%} of the time")
    if "hook" in med:
        print(
            f"for reference, the Trainer with per-batch forwarding but no GUI / plain fit: "
            f"{med['plain'] / med['hook']:.3f}"
        )
    if stalls:
        worst = {
            k: max(s.get(k, 0.0) for s in stalls) for k in ("preparing", "training", "finishing")
        }
        each = ", ".join(f"{s.get('training', 0.0):.0f}" for s in stalls)
        print(
            f"longest event-loop stall while batches run ({args.stall_rounds} runs with a "
            f"{HEARTBEAT_MS} ms heartbeat): {worst['training']:.0f} ms (target <= 100 ms; "
            f"per run {each} ms); preparing {worst['preparing']:.0f} ms, finishing "
            f"{worst['finishing']:.0f} ms"
        )
    if args.runs:
        gui_run(panel, 2)
        start = rss_mb()
        for _ in range(args.runs):
            gui_run(panel, 2)
        end = rss_mb()
        print(
            f"RSS over {args.runs} consecutive GUI runs: {start:.0f} MB -> {end:.0f} MB "
            f"(growth {end - start:+.0f} MB, target <= 100 MB)"
        )
    panel.shutdown()


if __name__ == "__main__":
    main()
