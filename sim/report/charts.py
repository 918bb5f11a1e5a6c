"""The report's charts (matplotlib, Agg): fan charts, differences, flows, costs.

Good practice for a committee: every axis labelled with its unit, no chart junk (no
top/right spines, light grid on the value axis only), the same colour for a benefit
group in every chart, and the Okabe–Ito palette, which stays distinguishable with the
common colour-vision deficiencies (Okabe & Ito 2008, "Color Universal Design").
Each chart is returned as SVG (embedded in the page) and written as PNG and SVG for slides.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from sim.report import format as fmt  # noqa: E402
from sim.report import labels  # noqa: E402

# Okabe–Ito, in an order that keeps neighbouring groups far apart; black is kept for totals.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#999999", "#882255")
COLOURS = dict(zip(labels.GROUPS, OKABE_ITO))
COLOURS["total"] = "#000000"
OBSERVED = "#000000"

plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "axes.grid.axis": "y",
    "grid.color": "#dddddd", "grid.linewidth": 0.6, "axes.titlesize": 10,
    "axes.titleweight": "bold", "legend.frameon": False, "svg.fonttype": "path",
    "svg.hashsalt": "caseflow",  # same input -> same SVG bytes
})


@dataclass
class Chart:
    name: str  # file stem
    title: str  # alt text and caption
    svg: bytes
    png: bytes


def _save(fig, name: str, title: str) -> Chart:
    svg, png = io.BytesIO(), io.BytesIO()
    meta = {"Date": None}  # no timestamp: the same run gives the same file
    fig.savefig(svg, format="svg", metadata=meta)
    fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return Chart(name, title, svg.getvalue(), png.getvalue())


def _num_axis(ax, lang: str, decimals: int = 0) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, decimals, lang)))


def _date_axis(ax) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def fan(ax, dates, band, colour: str, lang: str, label: str | None = None) -> None:
    """Median line with 50 % and 90 % bands (``band`` has p5, p25, p50, p75, p95 columns)."""
    ax.fill_between(dates, band["p5"], band["p95"], color=colour, alpha=0.18, linewidth=0,
                    label="90 %-interval" if lang == "da" else "90 % interval")
    ax.fill_between(dates, band["p25"], band["p75"], color=colour, alpha=0.38, linewidth=0,
                    label="50 %-interval" if lang == "da" else "50 % interval")
    ax.plot(dates, band["p50"], color=colour, linewidth=1.6, label=label or "Median")


def _observed(ax, obs, scale: float, start: dt.date, end: dt.date, lang: str) -> bool:
    pts = [(dt.date.fromisoformat(o.date), o.value * scale) for o in obs
           if dt.date.fromisoformat(o.date) <= end]
    if not pts:
        return False
    x, y = zip(*pts)
    ax.plot(x, y, linestyle="none", marker="o", markersize=3.5, color=OBSERVED,
            label="Observeret" if lang == "da" else "Observed")
    return True


FTE_UNIT = ("Fuldtidspersoner", "Full-time persons")


def fan_total(bands_total, lang: str, title: str) -> Chart:
    fig, ax = plt.subplots(figsize=(7.0, 3.2), layout="constrained")
    d = [dt.date.fromisoformat(x) for x in bands_total["date"]]
    fan(ax, d, bands_total, COLOURS["total"], lang)
    ax.set_ylabel(labels.pick(FTE_UNIT, lang))
    ax.set_xlabel("År" if lang == "da" else "Year")
    _num_axis(ax, lang)
    _date_axis(ax)
    ax.legend(loc="best", fontsize=8, ncols=3)
    return _save(fig, "fan_total", title)


def fan_groups(group_bands: dict, observed: dict, scale: float, lang: str, title: str) -> Chart:
    """Small multiples: one panel per benefit group, own y-scale, observed figures as dots."""
    keys = [k for k in labels.GROUPS if k in group_bands]
    ncols = 3
    nrows = -(-len(keys) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7.4, 2.3 * nrows + 0.3), squeeze=False,
                             layout="constrained")
    any_obs = False
    for ax, key in zip(axes.ravel(), keys):
        b = group_bands[key]
        d = [dt.date.fromisoformat(x) for x in b["date"]]
        fan(ax, d, b, COLOURS[key], lang)
        any_obs |= _observed(ax, observed.get(key, ()), scale, d[0], d[-1], lang)
        ax.set_title(textwrap.fill(labels.group(key, lang), 26), fontsize=8, loc="left")
        ax.set_ylim(bottom=0)
        _num_axis(ax, lang)
        _date_axis(ax)
        ax.tick_params(labelsize=7)
        lo, hi = ax.get_xlim()
        ax.xaxis.set_major_locator(mdates.YearLocator(2 if hi - lo > 6 * 365 else 1))
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    for r in range(nrows):
        axes[r, 0].set_ylabel(labels.pick(FTE_UNIT, lang), fontsize=8)
    handles, names = axes[0, 0].get_legend_handles_labels()
    if any_obs and "Observeret" not in names and "Observed" not in names:
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=3.5, color=OBSERVED))
        names.append("Observeret" if lang == "da" else "Observed")
    fig.legend(handles, names, loc="outside lower center", ncols=4, fontsize=8)
    return _save(fig, "fan_groups", title)


def differences(diff, lang: str, title: str, name: str) -> Chart:
    """Scenario minus baseline per group (and total) in the last full year: dot with its 90 % interval."""
    keys = [k for k in list(labels.GROUPS) + ["total"] if k in set(diff["group"])]
    fig, ax = plt.subplots(figsize=(7.0, 0.38 * len(keys) + 0.9), layout="constrained")
    for i, key in enumerate(keys):
        r = diff[diff["group"] == key].iloc[0]
        c = COLOURS[key]
        ax.plot([r["ci_low"], r["ci_high"]], [i, i], color=c, linewidth=2.2, solid_capstyle="butt")
        ax.plot([r["difference"]], [i], marker="o", color=c, markersize=5)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(range(len(keys)))
    ax.set_yticklabels([labels.group(k, lang) if k != "total" else labels.pick(labels.TOTAL, lang)
                        for k in keys], fontsize=8)
    ax.invert_yaxis()
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0, lang, sign=True)))
    ax.set_xlabel("Forskel i fuldtidspersoner (scenarie − basis), med 90 %-interval" if lang == "da"
                  else "Difference in full-time persons (scenario − baseline), with 90 % interval")
    return _save(fig, name, title)


def flows(fl, lang: str, title: str) -> Chart:
    """Main flows per year: grouped bars (mean over replications) with 90 % whiskers."""
    cats = list(labels.FLOWS)
    years = sorted(fl["year"].unique())
    fig, ax = plt.subplots(figsize=(7.0, 3.0), layout="constrained")
    width = 0.8 / len(cats)
    palette = ("#000000", "#009E73", "#56B4E9", "#E69F00", "#999999")
    for j, cat in enumerate(cats):
        sub = fl[fl["category"] == cat].set_index("year").reindex(years)
        x = [i + (j - (len(cats) - 1) / 2) * width for i in range(len(years))]
        ax.bar(x, sub["mean"], width=width * 0.92, color=palette[j], label=labels.pick(labels.FLOWS[cat], lang))
        ax.errorbar(x, sub["mean"], yerr=[sub["mean"] - sub["p5"], sub["p95"] - sub["mean"]],
                    fmt="none", ecolor="#333333", elinewidth=0.7, capsize=1.5)
    ax.set_xticks(range(len(years)))
    ax.set_xticklabels([str(y) for y in years])
    ax.set_ylabel("Personer pr. år" if lang == "da" else "Persons per year")
    ax.set_xlabel("År" if lang == "da" else "Year")
    _num_axis(ax, lang)
    fig.legend(fontsize=7.5, ncols=2, loc="outside lower center")
    return _save(fig, "flows", title)


def net_cost(cost_bands, lang: str, title: str) -> Chart:
    """Net municipal cost per year: median with 90 % whiskers, in mio. kr."""
    fig, ax = plt.subplots(figsize=(7.0, 2.8), layout="constrained")
    years = list(cost_bands["year"])
    ax.bar(range(len(years)), cost_bands["p50"] / 1e6, color="#0072B2", width=0.6)
    ax.errorbar(range(len(years)), cost_bands["p50"] / 1e6,
                yerr=[(cost_bands["p50"] - cost_bands["p5"]) / 1e6, (cost_bands["p95"] - cost_bands["p50"]) / 1e6],
                fmt="none", ecolor="#333333", elinewidth=0.8, capsize=2)
    ax.set_xticks(range(len(years)))
    ax.set_xticklabels([str(y) for y in years])
    ax.set_ylabel("Mio. kr. pr. år" if lang == "da" else "DKK million per year")
    ax.set_xlabel("År" if lang == "da" else "Year")
    _num_axis(ax, lang)
    return _save(fig, "net_cost", title)


def write(charts: list[Chart], directory: Path) -> list[Path]:
    """PNG and SVG of every chart, for slides."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for c in charts:
        for ext, data in (("svg", c.svg), ("png", c.png)):
            p = directory / f"{c.name}.{ext}"
            p.write_bytes(data)
            out.append(p)
    return out
