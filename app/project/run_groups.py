"""Runs that belong together (the folds of one k-fold cross-validation) and their spread.

Plain data over RunRecords: the runs table, `layerloom train` and the tests all summarise a
group here, so they cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.project.runs import RunRecord


@dataclass
class RunGroup:
    """The fold runs of one k-fold cross-validation, in fold order."""

    id: str
    folds: int  # k
    runs: list[RunRecord]

    @property
    def done(self) -> int:
        """How many folds trained to the end (completed)."""
        return sum(r.status == "completed" for r in self.runs)

    @property
    def status(self) -> str:
        """The group's state: "running" while a fold runs, "completed" when all k completed,
        else how the last recorded fold ended ("stopped" if it completed: stopped between
        folds)."""
        if any(r.status == "running" for r in self.runs):
            return "running"
        if self.done == self.folds:
            return "completed"
        last = self.runs[-1].status if self.runs else "stopped"
        return "stopped" if last == "completed" else last

    @property
    def started(self) -> str:
        return min(r.started for r in self.runs)

    @property
    def duration_s(self) -> float:
        return sum(r.duration_s for r in self.runs)

    def final_spread(self) -> dict[str, tuple[float, float]]:
        """metric -> (mean, std) of the folds' final values (see `spread`)."""
        return spread([r.final_metrics for r in self._finished()])

    def best_spread(self) -> dict[str, tuple[float, float]]:
        """metric -> (mean, std) of the folds' best values (see `spread`)."""
        return spread([r.best_metrics for r in self._finished()])

    def _finished(self) -> list[RunRecord]:
        return [r for r in self.runs if r.status == "completed"]


def spread(per_run: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """metric -> (mean, standard deviation) over the runs that logged it.

    The standard deviation is the population one (numpy's np.std, ddof=0), as generated
    scripts print it; metrics some runs lack are averaged over the runs that have them, and
    non-finite values (a run whose loss diverged) make the mean non-finite, as they should.
    """
    keys: list[str] = []
    for m in per_run:
        keys += [k for k in m if k not in keys]
    out = {}
    for k in keys:
        vals = [m[k] for m in per_run if k in m]
        mean = math.fsum(vals) / len(vals)
        var = math.fsum((v - mean) ** 2 for v in vals) / len(vals) if math.isfinite(mean) else mean
        out[k] = (mean, math.sqrt(var) if math.isfinite(var) else var)
    return out


def mean_history(histories: list[list[dict[str, float]]]) -> list[dict[str, float]]:
    """The per-epoch mean of the folds' histories: each epoch's value of a metric averaged
    over the folds that logged it then (a fold stopped early adds nothing after its end)."""
    by_epoch: dict[float, dict[str, list[float]]] = {}
    for rows in histories:
        for row in rows:
            if "epoch" not in row:
                continue
            slot = by_epoch.setdefault(row["epoch"], {})
            for k, v in row.items():
                if k != "epoch":
                    slot.setdefault(k, []).append(v)
    return [
        {"epoch": e, **{k: math.fsum(vs) / len(vs) for k, vs in slot.items()}}
        for e, slot in sorted(by_epoch.items())
    ]


def group_runs(records: list[RunRecord]) -> list[RunRecord | RunGroup]:
    """The records with each k-fold group's folds gathered into one RunGroup, placed where the
    group's first record in `records` was (so the caller's order, e.g. newest first, holds)."""
    out: list[RunRecord | RunGroup] = []
    groups: dict[str, RunGroup] = {}
    for rec in records:
        if rec.group is None:
            out.append(rec)
            continue
        g = groups.get(rec.group)
        if g is None:
            g = groups[rec.group] = RunGroup(rec.group, int(rec.folds or 0), [])
            out.append(g)
        g.runs.append(rec)
    for g in groups.values():
        g.runs.sort(key=lambda r: (r.fold, r.started))
        g.folds = max([g.folds, *(int(r.folds or 0) for r in g.runs)])
    return out


def format_spread(values: dict[str, tuple[float, float]], keys: list[str] | None = None) -> str:
    """'val_loss 0.412 ± 0.031 · ...' for the given keys (default all)."""
    return " · ".join(
        f"{k} {values[k][0]:.4g} ± {values[k][1]:.3g}" for k in (keys or values) if k in values
    )
