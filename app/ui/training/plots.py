"""Live training plots (pyqtgraph): batch loss + EMA, per-epoch metrics per output, learning rate.

Values arrive as plain dicts on the GUI thread and go into growing numpy buffers; a QTimer redraws
the curves that changed at most REDRAW_HZ times a second. Curves are created once and updated
with setData (peak downsampling, clip to view). Every plot exports to PNG, SVG and CSV.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.compiler.metric_goals import rises
from app.project.runs import LR_COLUMN, is_rate_column
from app.ui.training.plot_card import BATCH_KEY, LR_KEY, Buffer, PlotCard

REDRAW_HZ = 5  # at most; slower when the GUI thread is busy (see TrainingPlots._adapt_rate)
SLOWEST_REDRAW_MS = 2000
# Share of the wall clock the GUI thread may be busy (on its CPU clock: plots, their painting,
# progress, signals) while a run is live. PySide6 holds the GIL while Qt paints, and a fast
# model's training thread needs the GIL between its TensorFlow calls, so this budget is what the
# live window costs in training throughput.
GUI_BUDGET = 0.02
COLORS = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16")
OVERLAY_STYLES = (Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)


def split_key(key: str, outputs: list[str]) -> tuple[str, str, bool]:
    """(output group, metric, is_validation) of a Keras log key like 'val_digit_accuracy'."""
    val = key.startswith("val_")
    base = key[4:] if val else key
    for out in sorted(outputs, key=len, reverse=True):
        if len(outputs) > 1 and base.startswith(out + "_"):
            return out, base[len(out) + 1 :], val
    return "", base, val


def card_key(group: str, metric: str) -> str:
    """The key of the epoch plot a metric is drawn on: 'metric', or 'output/metric'."""
    return f"{group}/{metric}" if group else metric


SPARE_CARDS = 4
LIVE_CURVES = ("training", "validation")  # this run's curves on an epoch plot; others are overlays


class TrainingPlots(QWidget):
    """The live plots of the current run plus overlays of earlier runs."""

    redrawn = Signal()
    tick = Signal()  # the redraw timer fired; emitted just before the plots redraw

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lr_drawn = -1
        self.outputs: list[str] = []
        self.batches = {"loss": Buffer(), "ema": Buffer()}
        self.epochs: dict[str, Buffer] = {}
        self.lr = Buffer()
        self.lrs: dict[str, Buffer] = {}  # a training step's own optimizers' rates, by name
        self._own_rates = False  # this run's rates are those of a step's own optimizers
        self.cards: dict[str, PlotCard] = {}
        # Constructing a plot widget takes 30-90 ms on the GUI thread: spares made while a run
        # is still preparing let new metric plots appear mid-run without stalling the event
        # loop, and the cards of a finished run are recycled into spares for the next one.
        self._spares: list[PlotCard] = []
        self.overlays: dict[str, list[dict[str, float]]] = {}
        self.overlay_pens: dict[str, tuple[str | None, float, bool]] = {}  # name -> pen
        self._ema: float | None = None
        self._prev_mean: float | None = None
        self._changed: set[str] = set()  # epoch keys with new values since the last redraw
        self._dirty = False
        self._epochs_pending = False
        self.redraws = 0
        self._last_tick: tuple[float, bool] | None = None  # (GUI CPU time, drew) at the last tick
        self._tick_cost: float | None = None  # GUI CPU seconds one tick costs (averaged)
        self.log_y = QCheckBox("Log scale", self)
        self.log_y.toggled.connect(self._set_log)
        self.smoothing = QSpinBox(self)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(90)
        self.smoothing.setSuffix(" %")
        self.smoothing.setToolTip("Smoothing of the batch-loss line (exponential moving average)")
        self.smoothing.valueChanged.connect(self._recompute_ema)
        self.clear_overlays_btn = QPushButton("Clear overlays", self)
        self.clear_overlays_btn.clicked.connect(self.clear_overlays)
        self.clear_overlays_btn.setEnabled(False)
        self.hint = QLabel("", self)
        self.hint.setEnabled(False)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.addWidget(self.log_y)
        bar.addSpacing(12)
        bar.addWidget(QLabel("Smoothing", self))
        bar.addWidget(self.smoothing)
        bar.addSpacing(12)
        bar.addWidget(self.clear_overlays_btn)
        bar.addStretch(1)
        bar.addWidget(self.hint)
        self.grid_host = QWidget(self)
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(6, 6, 6, 6)
        self.grid.setSpacing(8)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.grid_host)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(scroll, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(int(1000 / REDRAW_HZ))
        self.timer.timeout.connect(self._on_timer)
        self.reset([])

    # -- feeding ------------------------------------------------------------------------------------
    def reset(self, outputs: list[str]) -> None:
        """Forget the current run's values (overlays stay) and lay out the fixed plots.

        With the same outputs as the last run, its epoch plots stay, emptied, until this run's
        first epoch: most runs log the same metrics, and a kept plot costs no widget, curve or
        legend work while the model trains. Plots this run does not log go after its first
        epoch."""
        same = list(outputs) == self.outputs
        self.outputs = list(outputs)
        self._epochs = 0
        self.batches = {"loss": Buffer(), "ema": Buffer()}
        self.epochs = {}
        self._changed = set()
        self.lr = Buffer()
        self.lrs = {}
        self._own_rates = False
        self._ema = self._prev_mean = None
        self._lr_drawn = -1
        self._lr_top = None
        self._stale = set()
        for key in [k for k in self.cards if k not in (BATCH_KEY, LR_KEY)]:
            if same:
                self.cards[key].restart(LIVE_CURVES)
                self._stale.add(key)
            else:
                self._drop_card(key)
        # The redraw rate carries over from the last run (same plots, same machine): it adapts
        # from there (see _adapt_rate) rather than starting every run at the fastest rate.
        batch = self._card(BATCH_KEY, BATCH_TITLE, "epoch")
        self._batch_key = "loss"
        if batch.title != BATCH_TITLE:  # the last run plotted another loss (a GAN's d_loss)
            batch.retarget(BATCH_KEY, BATCH_TITLE)
        batch.curve("batch loss", COLORS[0], width=1.0).setOpacity(0.3)
        batch.curve("smoothed", COLORS[0], width=2.2)
        lr_card = self._card(LR_KEY, LR_TITLE, "epoch")
        if lr_card.title != LR_TITLE:  # the last run's step had optimizers of unknown rate
            lr_card.retarget(LR_KEY, LR_TITLE)
        for name in [n for n in lr_card.curves if n != "learning rate" and not _overlay(n)]:
            lr_card.remove_curve(name)  # the last run's step's optimizers
        lr_card.curve("learning rate", COLORS[2])
        for card in (self.cards[BATCH_KEY], self.cards[LR_KEY]):
            # Empty, and forget the last run's ranges (its epochs, a range set by hand): the
            # last run may be another project's, of another scale and length.
            card.restart(tuple(card.curves))
        self._relayout()
        self._dirty = True
        self.redraw()
        QTimer.singleShot(0, self, self._make_spare)

    def _make_spare(self) -> None:
        """Top up the spare cards, one per event-loop turn."""
        if len(self._spares) < SPARE_CARDS:
            card = PlotCard("", "", "epoch", self.grid_host)
            card.hide()
            self._spares.append(card)
            QTimer.singleShot(0, self, self._make_spare)

    def add_batch(self, d: dict) -> None:
        """One batch dict from the worker: loss, EMA and learning rate into the buffers."""
        steps = d.get("steps_per_epoch") or 0
        x = d["epoch"] + ((d["batch"] + 1) / steps if steps else 0.0)
        logs = d.get("logs", {})
        # A training step may log no "loss" (the GAN's d_loss, g_loss): plot its first loss.
        key = "loss" if "loss" in logs else next((k for k in logs if k.endswith("loss")), None)
        if key is not None and key != self._batch_key:  # say which loss the card shows
            self._batch_key = key
            self.cards[BATCH_KEY].retarget(BATCH_KEY, f"{_title('', key)} per batch")
        mean = logs.get(key) if key is not None else None
        loss = None
        if mean is not None:
            # Keras reports the running mean of the epoch; recover this batch's own loss.
            b, mean = d["batch"], float(mean)
            prev = self._prev_mean if b > 0 and self._prev_mean is not None else None
            loss = mean if prev is None else (b + 1) * mean - b * prev
            self._prev_mean = mean
            self.batches["loss"].append(x, loss)
            if math.isfinite(loss):
                a = self.smoothing.value() / 100.0
                self._ema = loss if self._ema is None else a * self._ema + (1 - a) * loss
                self.batches["ema"].append(x, self._ema)
        lr = d.get("lr")
        if lr is not None and math.isfinite(lr):
            _add_rate(self.lr, x, float(lr))
        lrs = d.get("lrs")  # a training step with its own optimizers: one rate for each
        if lrs is not None:
            if not self._own_rates:  # the model's optimizer trains nothing: no curve for it
                self._own_rates = True
                self.cards[LR_KEY].remove_curve("learning rate")
                if not lrs:  # its compile was given no optimizer: say so, once
                    self.cards[LR_KEY].retarget(LR_KEY, UNKNOWN_LR_TITLE)
            for name, rate in lrs.items():
                if rate is not None and math.isfinite(rate):
                    _add_rate(self.lrs.setdefault(name, Buffer()), x, float(rate))
        self._dirty = True

    def add_epoch(self, d: dict) -> None:
        """One epoch dict: every logged value into its buffer (x = epochs done)."""
        x = d["epoch"] + 1
        for key, value in d.get("logs", {}).items():
            if is_rate_column(key):
                continue
            self.epochs.setdefault(key, Buffer(64)).append(x, float(value))
            self._changed.add(key)
        self._dirty = True

    def start(self) -> None:
        """Redraw on the timer (call when training starts, not while the model is built). The
        cost of a tick measured in earlier runs sets the rate from the first tick on."""
        self._last_tick = None  # the time between runs is not a redraw's cost
        self.timer.start()

    def set_epochs(self, epochs: int) -> None:
        """Fix the x range to the run's epochs, so axes do not re-layout on every redraw."""
        self._epochs = epochs
        for key, card in self.cards.items():
            lo = 0 if key in (BATCH_KEY, LR_KEY) else 1
            card.setXRange(lo, max(epochs, lo + 1), padding=0.02)

    def finish(self) -> None:
        self.timer.stop()
        self._drop_stale()  # a run that ended before its first epoch
        self._lr_drawn = -1  # the steady-rate segment was stretched since the last draw
        self._dirty = True
        self.redraw()
        for key, card in self.cards.items():  # the final picture: every range fitted snugly
            if key != LR_KEY:
                card.follow_y(force=True)
        for key, (epoch, value) in self.best_epochs().items():
            self.cards[key].mark_best(epoch, value)

    def best_epochs(self) -> dict[str, tuple[int, float]]:
        """Epoch plot key -> (best epoch, its value) of this run: on the validation curve where
        there is one, by the rule the checkpoint and the run summary follow (metric_goals)."""
        from app.compiler.metric_goals import best_index

        chosen: dict[str, str] = {}
        for key in self.epochs:
            group, metric, val = split_key(key, self.outputs)
            plot = card_key(group, metric)
            if plot in self.cards and (val or plot not in chosen):
                chosen[plot] = key
        out = {}
        for plot, key in chosen.items():
            xs, ys = self.epochs[key].data()
            i = best_index([float(y) for y in ys], key)
            if i is not None:
                out[plot] = (int(xs[i]), float(ys[i]))
        return out

    # -- drawing ----------------------------------------------------------------------------------
    def _on_timer(self) -> None:
        cpu = self._gui_cpu_s()
        self._adapt_rate(cpu)
        self.tick.emit()  # listeners feed the newest values first (batches, progress)
        drew = self._dirty
        self.redraw()
        self._last_tick = (cpu, drew)

    def redraw(self) -> None:
        """Push changed buffers into their curves (GUI thread, on the timer)."""
        if not self._dirty:
            return
        self._dirty = False
        self.redraws += 1
        changed_epoch = bool(self._changed)
        batch = self.cards[BATCH_KEY]
        batch.curves["batch loss"].setData(*self.batches["loss"].data())
        batch.curves["smoothed"].setData(*self.batches["ema"].data())
        batch.follow_y()
        rates = self.lrs if self._own_rates else {"learning rate": self.lr}
        points = sum(buf.n for buf in rates.values())
        lr_card = self.cards[LR_KEY]
        if points != self._lr_drawn or changed_epoch:
            self._lr_drawn = points
            for i, (name, buf) in enumerate(rates.items()):
                # The first curve is drawn wider: optimizers with equal rates both show.
                width = 3.2 if i == 0 and len(rates) > 1 else 1.6
                lr_card.curve(name, COLORS[(i + 2) % len(COLORS)], width=width).setData(*buf.data())
        tops = [float(np.nanmax(buf.data()[1])) for buf in rates.values() if buf.n]
        top = max(tops) * 1.15 if tops else 0.0
        if top > 0 and top != getattr(self, "_lr_top", None):
            self._lr_top = top  # from 0, so a constant rate is a visible line; decays read true
            self.cards[LR_KEY].setYRange(0, top, padding=0)
        if changed_epoch and self.timer.isActive():
            # While training, the epoch plots are updated in a later event-loop turn: the batch
            # plot is painted first, and the event loop gets to run between the two halves.
            if not self._epochs_pending:
                self._epochs_pending = True
                QTimer.singleShot(0, self, self._redraw_epochs_later)
            return
        self._redraw_epochs()

    def _redraw_epochs_later(self) -> None:
        self._epochs_pending = False
        self._redraw_epochs()

    def _redraw_epochs(self) -> None:
        """Push new per-epoch values into the epoch plots (creating plots for new metrics)."""
        created = False
        changed, self._changed = self._changed, set()
        touched: set = set()
        for key in sorted(changed, key=lambda k: (k.startswith("val_"), k)):  # training first
            buf = self.epochs.get(key)
            if buf is None:  # the run was reset in between
                continue
            group, metric, val = split_key(key, self.outputs)
            key_of_card = card_key(group, metric)
            if key_of_card not in self.cards:
                created = True
            card = self._card(key_of_card, _title(group, metric), "epoch")
            card.curve(LIVE_CURVES[val], COLORS[1] if val else COLORS[0], symbol="o").setData(
                *buf.data()
            )
            touched.add(card)
        for card in touched:
            card.follow_y()
        if self._stale and self.epochs and self._drop_stale():
            created = True
        if created:
            self._draw_overlays()
            self._relayout()
        self.redrawn.emit()

    def _drop_stale(self) -> bool:
        """Drop the last run's epoch plots that this run has not logged (after its first epoch,
        every metric has been). True if any went."""
        logged = set()
        for key in self.epochs:
            group, metric, _val = split_key(key, self.outputs)
            logged.add(card_key(group, metric))
        gone = [k for k in self._stale if k not in logged and k in self.cards]
        self._stale = set()
        for key in gone:
            self._drop_card(key)
        return bool(gone)

    def _adapt_rate(self, cpu: float) -> None:
        """Set the redraw interval so the GUI thread stays within GUI_BUDGET of the wall clock.

        The GUI thread's CPU time from one tick to the next is what one tick cost: draining the
        batches, the redraw, the paints it caused, the epoch plots, anything else the window
        did. Averaged over ticks that drew (and carried over between runs, so a short run starts
        at the right rate), interval = cost / budget, between REDRAW_HZ and SLOWEST_REDRAW_MS."""
        last = self._last_tick
        if last is None or not last[1] or cpu < last[0]:
            return  # the last tick drew nothing (e.g. the train function being traced)
        cost = cpu - last[0]
        prev = self._tick_cost
        self._tick_cost = cost if prev is None else 0.5 * prev + 0.5 * cost
        self.timer.setInterval(
            max(
                int(1000 / REDRAW_HZ),
                min(SLOWEST_REDRAW_MS, round(1000 * self._tick_cost / GUI_BUDGET)),
            )
        )

    @staticmethod
    def _gui_cpu_s() -> float:
        """CPU time of the calling (GUI) thread."""
        return time.thread_time()

    def _card(self, key: str, title: str, x_label: str) -> PlotCard:
        card = self.cards.get(key)
        if card is None:
            # The legend sits where the curve is not heading: at the bottom of rising metrics.
            bottom = key not in (BATCH_KEY, LR_KEY) and rises(key.rsplit("/", 1)[-1])
            if self._spares and x_label == "epoch":
                card = self._spares.pop()
                card.retarget(key, title, legend_bottom=bottom)
                card.show()
            else:
                card = PlotCard(key, title, x_label, self.grid_host, legend_bottom=bottom)
            card.set_log_y(key != LR_KEY and self.log_y.isChecked())
            if self._epochs and key not in (BATCH_KEY, LR_KEY):
                card.setXRange(1, max(self._epochs, 2), padding=0.02)
            self.cards[key] = card
        return card

    def _drop_card(self, key: str) -> None:
        """Take a card out of the grid; epoch cards go back to the spares for the next run."""
        card = self.cards.pop(key)
        self.grid.removeWidget(card)
        if key in (BATCH_KEY, LR_KEY) or len(self._spares) >= 2 * SPARE_CARDS:
            card.deleteLater()
            return
        card.hide()
        card.recycle()
        self._spares.append(card)

    def _relayout(self) -> None:
        """Batch loss and learning rate first, then the epoch plots grouped by output."""
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget()
            if w is not None and w not in self.cards.values():
                w.deleteLater()
        cols = 2
        row = 0
        groups: dict[str, list[str]] = {}
        for key in self.cards:
            if key not in (BATCH_KEY, LR_KEY):
                groups.setdefault(key.split("/")[0] if "/" in key else "", []).append(key)
        self.grid.addWidget(self.cards[BATCH_KEY], row, 0)
        self.grid.addWidget(self.cards[LR_KEY], row, 1)
        row += 1
        for group in sorted(groups, key=lambda g: (g != "", g)):
            if group:
                head = QLabel(f"<b>Output “{group}”</b>", self.grid_host)
                self.grid.addWidget(head, row, 0, 1, cols)
                row += 1
            keys = sorted(groups[group], key=lambda k: (not k.endswith("loss"), k))
            for i, key in enumerate(keys):
                self.grid.addWidget(self.cards[key], row + i // cols, i % cols)
            row += (len(keys) + cols - 1) // cols
        self.grid.setRowStretch(row, 1)
        self.hint.setText(
            "" if len(self.cards) > 2 else "Epoch plots appear after the first epoch."
        )

    # -- options ----------------------------------------------------------------------------------
    def _set_log(self, log: bool) -> None:
        for key, card in self.cards.items():
            card.set_log_y(log and key != LR_KEY)

    def _recompute_ema(self) -> None:
        xs, ys = self.batches["loss"].data()
        a = self.smoothing.value() / 100.0
        self.batches["ema"] = Buffer(max(512, len(xs)))
        self._ema = None
        for x, y in zip(xs, ys):
            if math.isfinite(y):
                self._ema = y if self._ema is None else a * self._ema + (1 - a) * y
                self.batches["ema"].append(x, self._ema)
        self._dirty = True
        self.redraw()

    def apply_theme(self) -> None:
        for card in self.cards.values():
            card.apply_theme()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_theme()
        super().changeEvent(event)

    # -- overlays ---------------------------------------------------------------------------------
    def overlay_run(
        self,
        name: str,
        rows: list[dict[str, float]],
        color: str | None = None,
        width: float = 1.4,
        solid: bool = False,
    ) -> None:
        """Show an earlier run's per-epoch history (dashed, unless `solid`) next to the current
        curves; `color` and `width` fix its pen (default: the next overlay colour)."""
        self.overlays[name] = rows
        if color is not None or solid or width != 1.4:
            self.overlay_pens[name] = (color, width, solid)
        for row in rows:
            for key in row:
                if key == "epoch" or is_rate_column(key):
                    continue
                group, metric, _ = split_key(key, self.outputs)
                self._card(card_key(group, metric), _title(group, metric), "epoch")
        self._draw_overlays()
        self._relayout()
        for card in self.cards.values():  # an overlay out of the shown range must show
            card.follow_y(force=True)
        self.clear_overlays_btn.setEnabled(True)

    def clear_overlays(self) -> None:
        for card in self.cards.values():
            for name in [n for n in card.curves if n.startswith("run ")]:
                card.remove_curve(name)
        self.overlays.clear()
        self.overlay_pens.clear()
        self.clear_overlays_btn.setEnabled(False)

    def remove_overlays(self, prefix: str) -> None:
        """Take away the overlays whose names start with `prefix` (others stay)."""
        for name in [n for n in self.overlays if n.startswith(prefix)]:
            del self.overlays[name]
            self.overlay_pens.pop(name, None)
            for card in self.cards.values():
                for label in [c for c in card.curves if c.startswith(f"run {name} (")]:
                    card.remove_curve(label)
                if f"run {name}" in card.curves:
                    card.remove_curve(f"run {name}")
        self.clear_overlays_btn.setEnabled(bool(self.overlays))

    def overlay_folds(self, name: str, histories: list[list[dict[str, float]]]) -> None:
        """A k-fold group: each fold's curves thin, one colour per fold, and their per-epoch
        mean (app.project.run_groups.mean_history) thick, in the text colour."""
        from app.project.run_groups import mean_history

        histories = [
            [{k: v for k, v in r.items() if not is_rate_column(k)} for r in rows]
            for rows in histories
        ]  # fmt: skip (the folds share one schedule)
        for i, rows in enumerate(histories):
            self.overlay_run(f"{name} fold {i + 1}", rows, COLORS[i % len(COLORS)], 1.0, True)
        mean = self.palette().color(self.foregroundRole()).name()
        self.overlay_run(f"{name} mean", mean_history(histories), mean, 2.6, True)

    def _draw_overlays(self) -> None:
        for i, (name, rows) in enumerate(self.overlays.items()):
            color = COLORS[(i + 2) % len(COLORS)]
            style = OVERLAY_STYLES[i % len(OVERLAY_STYLES)]
            width = 1.4
            if name in self.overlay_pens:
                pen_color, width, solid = self.overlay_pens[name]
                color = pen_color or color
                style = Qt.PenStyle.SolidLine if solid else style
            keys = {k for r in rows for k in r if k != "epoch" and not is_rate_column(k)}
            for key in keys:
                group, metric, val = split_key(key, self.outputs)
                card = self.cards.get(card_key(group, metric))
                if card is None:
                    continue
                pts = [(r["epoch"], r[key]) for r in rows if key in r and "epoch" in r]
                label = f"run {name} ({'val' if val else 'train'})"
                card.curve(label, color, width=width, style=style).setData(
                    [p[0] for p in pts], [p[1] for p in pts]
                )
            self._draw_overlay_rates(name, rows, color, width, style)

    def _draw_overlay_rates(
        self, name: str, rows: list[dict[str, float]], color: str, width: float, style
    ) -> None:
        """An earlier run's learning rate: "run NAME"; or, for a training step with its own
        optimizers, one curve per optimizer, "run NAME (d_optimizer)", the first one wider
        (as live: optimizers with equal rates both show)."""
        columns = [k for k in dict.fromkeys(k for r in rows for k in r) if is_rate_column(k)]
        steps = [k for k in columns if k != LR_COLUMN]
        if not (steps or (rows and LR_COLUMN in rows[0])):
            return
        for i, key in enumerate(steps or [LR_COLUMN]):
            label = f"run {name} ({key.split('/', 1)[1]})" if key != LR_COLUMN else f"run {name}"
            wide = width + 1.6 if i == 0 and len(steps) > 1 else width
            pts = [(r["epoch"], r[key]) for r in rows if key in r and "epoch" in r]
            self.cards[LR_KEY].curve(label, color, width=wide, style=style).setData(
                [p[0] for p in pts], [p[1] for p in pts]
            )


BATCH_TITLE = "Loss per batch"
LR_TITLE = "Learning rate"
UNKNOWN_LR_TITLE = "Learning rate: not known (the training step makes its own optimizers)"


def _overlay(curve: str) -> bool:
    """True for the name of an earlier run's curve (see overlay_run)."""
    return curve.startswith("run ")


def _add_rate(buf: Buffer, x: float, rate: float) -> None:
    n = buf.n
    if n >= 2 and buf.y[n - 1] == rate == buf.y[n - 2]:
        buf.x[n - 1] = x  # a steady rate: stretch the last segment, redraw seldom
    else:
        buf.append(x, rate)


def _title(group: str, metric: str) -> str:
    nice = metric.replace("_", " ")
    return f"{group}: {nice}" if group else nice.capitalize()
