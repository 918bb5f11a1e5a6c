"""The fit report: each target against the model, the objective's history, the parameters.

Written as CSV (open in Excel) and one PNG chart next to the fitted layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.targets import Target
from sim.outputs import metrics


def target_table(targets: tuple[Target, ...], sims: np.ndarray) -> pd.DataFrame:
    """Per target: value, simulated mean and 5–95 % band over replications, gap, within tolerance."""
    rows = []
    for k, t in enumerate(targets):
        col = sims[:, k]
        if np.isnan(col).all():  # held out and past the fit's horizon: scored by validate
            rows.append({"target": t.name, "held_out": t.held_out, "measure": t.measure,
                         "unit": t.unit, "value": t.value, "tolerance": t.tolerance,
                         "sim_mean": np.nan, "sim_p5": np.nan, "sim_p95": np.nan, "mc_se": np.nan,
                         "gap": np.nan, "gap_in_tolerances": np.nan, "within_tolerance": False,
                         "source": t.source})
            continue
        b = metrics.band(col)
        mean = b["mean"]
        rows.append({
            "target": t.name, "held_out": t.held_out, "measure": t.measure, "unit": t.unit,
            "value": t.value, "tolerance": t.tolerance,
            "sim_mean": mean, "sim_p5": b["p5"], "sim_p95": b["p95"],
            "mc_se": float(np.std(col, ddof=1) / np.sqrt(len(col))) if len(col) > 1 else float("nan"),
            "gap": mean - t.value, "gap_in_tolerances": (mean - t.value) / t.tolerance,
            "within_tolerance": bool(abs(mean - t.value) <= t.tolerance),
            "source": t.source,
        })
    return pd.DataFrame(rows)


def parameter_table(fit) -> pd.DataFrame:
    rows = []
    for p, x0, x in zip(fit.problem.parameters, fit.x0, fit.x):
        rows.append({"parameter": p.name, "hazards": " ".join(fit.problem.hazards_of[p.name]),
                     "before": float(np.exp(x0)), "after": float(np.exp(x)),
                     "change_pct": float((np.exp(x - x0) - 1) * 100),
                     "lower": p.lower, "upper": p.upper,
                     "at_bound": bool(np.isclose(np.exp(x), p.lower, rtol=1e-3)
                                      or np.isclose(np.exp(x), p.upper, rtol=1e-3))})
    return pd.DataFrame(rows)


def history_table(fit) -> pd.DataFrame:
    hist = fit.evaluations.history
    j = np.array([h[1] for h in hist])
    df = pd.DataFrame({"evaluation": np.arange(1, len(j) + 1), "objective": j,
                       "best_so_far": np.minimum.accumulate(j)})
    for i, p in enumerate(fit.problem.parameters):
        df[p.name] = [float(np.exp(h[0][i])) for h in hist]
    return df


def write(fit, out_dir: str | Path, stem: str = "fit") -> dict[str, Path]:
    """``<stem>_targets.csv``, ``<stem>_parameters.csv``, ``<stem>_history.csv`` and ``<stem>.png``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tt = target_table(fit.problem.targets, fit.sims)
    before = target_table(fit.problem.targets, fit.sims0)
    tt.insert(6, "sim_mean_before", before["sim_mean"])
    pt, ht = parameter_table(fit), history_table(fit)
    paths = {"targets": out / f"{stem}_targets.csv", "parameters": out / f"{stem}_parameters.csv",
             "history": out / f"{stem}_history.csv", "chart": out / f"{stem}.png"}
    tt.to_csv(paths["targets"], index=False)
    pt.to_csv(paths["parameters"], index=False)
    ht.to_csv(paths["history"], index=False)
    chart(tt, pt, ht, paths["chart"])
    return paths


def chart(tt: pd.DataFrame, pt: pd.DataFrame, ht: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, max(5, 0.28 * len(tt) + 1.5)),
                             gridspec_kw={"width_ratios": [2.2, 1.2, 1.2]})
    ax = axes[0]
    y = np.arange(len(tt))[::-1]
    colours = ["tab:grey" if h else ("tab:green" if w else "tab:red")
               for h, w in zip(tt["held_out"], tt["within_tolerance"])]
    ax.axvspan(-1, 1, color="0.92")
    lo = (tt["sim_p5"] - tt["value"]) / tt["tolerance"]
    hi = (tt["sim_p95"] - tt["value"]) / tt["tolerance"]
    ax.hlines(y, lo, hi, color=colours, alpha=0.5, lw=3)
    ax.scatter(tt["gap_in_tolerances"], y, color=colours, zorder=3, label="after (mean)")
    ax.scatter((tt["sim_mean_before"] - tt["value"]) / tt["tolerance"], y, marker="x", color="0.4",
               label="before")
    ax.set_yticks(y, [f"{n}{' (held out)' if h else ''}" for n, h in zip(tt["target"], tt["held_out"])],
                  fontsize=7)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("(simulated − target) ÷ tolerance; grey band = within tolerance")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("Targets")
    ax = axes[1]
    ax.plot(ht["evaluation"], ht["objective"], ".", color="0.6", ms=3, label="evaluation")
    ax.plot(ht["evaluation"], ht["best_so_far"], color="tab:blue", label="best so far")
    ax.set_yscale("log")
    ax.set_xlabel("evaluation")
    ax.set_title("Objective J")
    ax.legend(fontsize=7)
    ax = axes[2]
    yp = np.arange(len(pt))[::-1]
    ax.barh(yp, pt["after"] - 1, left=1, color="tab:blue", alpha=0.7)
    ax.scatter(pt["lower"], yp, marker="|", color="k")
    ax.scatter(pt["upper"], yp, marker="|", color="k")
    ax.axvline(1, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(yp, pt["parameter"], fontsize=7)
    ax.set_xlabel("fitted multiplier (| = bounds)")
    ax.set_title("Parameters")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
