"""Assemble the report: read the runs, compute, draw, and render one self-contained page.

Numbers are formatted here (Danish or English) so the template only places text;
the template escapes every string (Jinja2 autoescape), whatever file it came from.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from sim import __version__
from sim.errors import SpecError
from sim.outputs import metrics
from sim.outputs.goals import Plan, load_goals
from sim.report import analysis, charts, goals, labels
from sim.report import format as fmt
from sim.report.data import Comparison, Observation, Run, expand, load_comparison, load_observed, load_run
from sim.report.html import render

OBSERVED_DIR = Path("calibration") / "observed"


@dataclass
class Progress:
    quiet: bool = False

    def __call__(self, step: str) -> None:
        if not self.quiet:
            print(f"report: {step}", file=sys.stderr, flush=True)


def _t(lang: str, da: str, en: str) -> str:
    return da if lang == "da" else en


# ---------------------------------------------------------------------------
# Scenario file (for sources and municipality), found from the manifest
# ---------------------------------------------------------------------------
def _scenario_path(run: Run) -> Path | None:
    name = run.manifest.get("scenario_file")
    if not name:
        return None
    p = Path(name)
    candidates = [p] if p.is_absolute() else [Path.cwd() / p] + [d / p for d in run.path.resolve().parents]
    return next((c for c in candidates if c.is_file()), None)


def _scenario(run: Run):
    """(Scenario or None, note): the run's scenario if its file still has the run's hash.

    Loaded with :func:`sim.spec.scenario.load_scenario` (which walks ``extends``), once
    per file version: the report takes every ``[scenario]`` key from it.
    """
    path = _scenario_path(run)
    if path is None:
        return None, "not found"
    sc, error = _load_scenario(str(path.resolve()), path.stat().st_mtime_ns)
    if sc is None:
        return None, f"cannot be read: {error}"
    if sc.digest != run.manifest.get("scenario_sha256"):
        return sc, "changed"
    return sc, "ok"


@lru_cache(maxsize=16)
def _load_scenario(path: str, mtime_ns: int):
    from sim.spec.scenario import load_scenario
    try:
        return load_scenario(path), ""
    except SpecError as exc:
        return None, str(exc)


def fit_reports(run: Run) -> dict[str, pd.DataFrame | None]:
    """Calibration fit and held-out validation: the run's own tables, else those written by
    ``caseflow calibrate`` / ``validate`` next to the fitted layer the scenario names
    (``[scenario] fitted``: <stem>_fit_targets.csv, <stem>_validation.csv)."""
    out = {"fit": run.table("fit"), "validation": run.table("validation")}
    sc, _ = _scenario(run)
    if sc is not None and sc.fitted is not None:
        layer = Path(sc.fitted.file).resolve()
        for key, suffix in (("fit", "_fit_targets.csv"), ("validation", "_validation.csv")):
            f = layer.with_name(layer.stem + suffix)
            if out[key] is None and f.is_file():
                try:
                    out[key] = pd.read_csv(f)
                except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
                    pass
                else:
                    out[key].attrs["file"] = str(f)
    return out


def display_name(run: Run, lang: str, comparison: Comparison | None = None) -> str:
    """The scenario's Danish title in a Danish report when one is known, else its name."""
    if lang == "da":
        entry = comparison.entry(run.path.name) if comparison else {}
        if entry.get("title_da"):
            return str(entry["title_da"])
        if run.manifest.get("title_da"):
            return str(run.manifest["title_da"])
        sc, note = _scenario(run)
        if sc is not None and note == "ok" and sc.name == run.name and getattr(sc, "title_da", ""):
            return str(sc.title_da)
    return run.name


def default_observed(run: Run) -> Path | None:
    """calibration/observed/<municipality>.toml, next to the scenario's project or in the working directory."""
    sc, _ = _scenario(run)
    if sc is None or not sc.municipality:
        return None
    name = f"{sc.municipality.lower()}.toml"
    path = _scenario_path(run)
    roots = [Path.cwd()] + ([path.resolve().parent.parent] if path else [])
    return next((r / OBSERVED_DIR / name for r in roots if (r / OBSERVED_DIR / name).is_file()), None)


def goals_plan(run: Run) -> Plan | None:
    """The goals file the run's scenario names (``[scenario] goals``), or None."""
    sc, _ = _scenario(run)
    return load_goals(sc.goals) if sc is not None and sc.goals is not None else None


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------
def group_bands(run: Run) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Full-time persons per benefit group: per replication and week, bands per week, and
    per replication and calendar year (the figures every section starts from)."""
    gf = analysis.group_fte(run)
    weekly = metrics.bands(gf, ["group", "week", "date"], "fte")
    yr = analysis.yearly(gf)
    return gf, weekly, yr


def _groups_table(yb: pd.DataFrame, lang: str) -> dict:
    years = sorted(yb["year"].unique())
    rows = []
    for key in list(labels.GROUPS) + [analysis.TOTAL]:
        sub = yb[yb["group"] == key].set_index("year")
        if sub.empty:
            continue
        name = labels.pick(labels.TOTAL, lang) if key == analysis.TOTAL else labels.group(key, lang)
        cells = [{"value": fmt.number(sub.loc[y, "p50"], 0, lang),
                  "band": fmt.interval(sub.loc[y, "p5"], sub.loc[y, "p95"], 0, lang)} for y in years]
        rows.append({"name": name, "cells": cells, "total": key == analysis.TOTAL,
                     "colour": charts.COLOURS[key]})
    return {"years": [str(y) for y in years], "rows": rows}


def _summary(ctx_lang: str, run: Run, name: str, yb: pd.DataFrame, judged: list, cost: dict | None,
             comparisons: list[dict]) -> str:
    lang = ctx_lang
    tot = yb[yb["group"] == analysis.TOTAL].set_index("year")
    if tot.empty:
        return _t(lang, "Kørslen dækker ikke et helt kalenderår.", "The run does not cover a full calendar year.")
    y0, y1 = int(tot.index.min()), int(tot.index.max())
    a, b = tot.loc[y0, "p50"], tot.loc[y1, "p50"]
    change = b / a - 1 if a else math.nan
    parts = []
    if y0 == y1:
        parts.append(_t(lang,
            f"Fremskrivningen »{name}« giver {fmt.number(a, 0, lang)} fuldtidspersoner på offentlig forsørgelse i {y0}.",
            f"The forecast “{name}” gives {fmt.number(a, 0, lang)} full-time persons on public support in {y0}."))
    else:
        direction = (_t(lang, "falder", "falls") if change < -0.005 else
                     _t(lang, "stiger", "rises") if change > 0.005 else _t(lang, "er stort set uændret", "stays about the same"))
        parts.append(_t(lang,
            f"Fremskrivningen »{name}« viser, at antallet af fuldtidspersoner på offentlig forsørgelse {direction}: "
            f"fra {fmt.number(a, 0, lang)} i {y0} til {fmt.number(b, 0, lang)} i {y1} "
            f"({fmt.percent(change, 1, lang, sign=True)}; med 90\u00a0% sandsynlighed mellem "
            f"{fmt.number(tot.loc[y1, 'p5'], 0, lang)} og {fmt.number(tot.loc[y1, 'p95'], 0, lang)} i {y1}).",
            f"The forecast “{name}” shows that the number of full-time persons on public support {direction}: "
            f"from {fmt.number(a, 0, lang)} in {y0} to {fmt.number(b, 0, lang)} in {y1} "
            f"({fmt.percent(change, 1, lang, sign=True)}; with 90\u00a0% probability between "
            f"{fmt.number(tot.loc[y1, 'p5'], 0, lang)} and {fmt.number(tot.loc[y1, 'p95'], 0, lang)} in {y1})."))
        g = yb[(yb["group"] != analysis.TOTAL) & yb["year"].isin([y0, y1])].pivot(index="group", columns="year", values="p50")
        if not g.empty:
            d = (g[y1] - g[y0])
            k = d.abs().idxmax()
            parts.append(_t(lang,
                f"Den største ændring er for {labels.group(k, lang).lower()} ({fmt.number(d[k], 0, lang, sign=True)} fuldtidspersoner).",
                f"The largest change is for {labels.group(k, lang).lower()} ({fmt.number(d[k], 0, lang, sign=True)} full-time persons)."))
    if cost:
        parts.append(_t(lang,
            f"Kommunens nettoudgift til forsørgelse og aktivering er {cost['first']} i {cost['y0']} og {cost['last']} i {cost['y1']}.",
            f"The municipality's net cost of benefits and activation is {cost['first']} in {cost['y0']} and {cost['last']} in {cost['y1']}."))
    else:
        parts.append(_t(lang, "Udgifterne i kroner er ikke beregnet for denne kørsel.",
                        "Costs in DKK are not computed for this run."))
    counts = {s: sum(1 for j in judged if j.status == s) for s in metrics.GOAL_STATUSES}
    unknown = counts[metrics.NOT_SIMULATED]
    if judged:
        parts.append(_t(lang,
            f"Af planens {len(judged)} mål nås {counts[metrics.MET]}, {counts[metrics.AT_RISK]} er i fare og "
            f"{counts[metrics.MISSED]} nås ikke" + (f"; {unknown} kan ikke vurderes ud fra modellen." if unknown else "."),
            f"Of the plan's {len(judged)} goals, {counts[metrics.MET]} are met, {counts[metrics.AT_RISK]} at risk and "
            f"{counts[metrics.MISSED]} missed" + (f"; {unknown} cannot be judged from the model." if unknown else ".")))
    for c in comparisons:
        if c.get("headline"):
            parts.append(c["headline"])
    return " ".join(parts)


def _goal_rows(judged: list, lang: str) -> list[dict]:
    rows = []
    for j in judged:
        key = goals.css(j.status)
        rows.append({
            "label": j.label, "status": key, "status_text": labels.pick(labels.STATUS[key], lang),
            "probability": fmt.percent(j.share_met, 0, lang) if math.isfinite(j.share_met) else fmt.DASH,
            "change": fmt.percent(j.mean_change, 1, lang, sign=True) if math.isfinite(j.mean_change) else fmt.DASH,
            "target": fmt.percent(j.target, 0, lang, sign=True) if math.isfinite(j.target) else fmt.DASH,
            "source": j.source,
            "reason": _t(lang, "kørslen dækker ikke målets datoer, eller udgangsværdien er nul",
                         "the run does not cover the goal's dates, or the reference value is zero")
                      if j.status == metrics.NOT_SIMULATED else "",
        })
    return rows


def _cost_summary(run: Run, lang: str) -> tuple[dict | None, pd.DataFrame | None]:
    costs = run.table("costs")
    if costs is None:
        return None, None
    per = analysis.net_cost_per_year(costs)
    if per is None or per.empty:
        return None, None
    b = metrics.bands(per, ["year"], "net_dkk").sort_values("year")
    y0, y1 = int(b["year"].iloc[0]), int(b["year"].iloc[-1])
    return ({"y0": y0, "y1": y1, "first": fmt.dkk_millions(b["p50"].iloc[0], 1, lang),
             "last": fmt.dkk_millions(b["p50"].iloc[-1], 1, lang),
             "rows": [{"year": str(int(r.year)), "value": fmt.dkk_millions(r.p50, 1, lang),
                       "band": fmt.interval(r.p5 / 1e6, r.p95 / 1e6, 1, lang)} for r in b.itertuples()]},
            b)


def _shared_comparison(base: Run, alt: Run) -> Comparison | None:
    """The ``caseflow compare`` directory both runs belong to, if any (its tables are used first)."""
    if base.path.resolve().parent != alt.path.resolve().parent:
        return None
    comp = load_comparison(alt.path.resolve().parent)
    if comp is None or comp.manifest.get("baseline") != base.path.name:
        return None
    return comp


def _compare(base: Run, base_yr: pd.DataFrame, alt: Run, idx: int, lang: str) -> tuple[dict, list]:
    """One scenario against the baseline: per group and year, paired differences with 90 % intervals."""
    comp = _shared_comparison(base, alt)
    name = display_name(alt, lang, comp)
    _, _, alt_yr = group_bands(alt)
    pair = analysis.pairing(base, alt)
    diff = metrics.difference(base_yr, alt_yr, ["group", "year"], "fte", pair.paired)
    out_charts = []
    if diff.empty:
        return {"name": name, "empty": True}, out_charts
    last = int(diff["year"].max())
    final = diff[diff["year"] == last]
    title = _t(lang, f"»{name}« mod basis, {last}", f"“{name}” against baseline, {last}")
    out_charts.append(charts.differences(final, lang, title, f"difference_{idx + 1}"))
    years = sorted(diff["year"].unique())
    rows = []
    for key in list(labels.GROUPS) + [analysis.TOTAL]:
        sub = diff[diff["group"] == key].set_index("year")
        if sub.empty:
            continue
        rows.append({
            "name": labels.pick(labels.TOTAL, lang) if key == analysis.TOTAL else labels.group(key, lang),
            "total": key == analysis.TOTAL,
            "cells": [{"value": fmt.number(sub.loc[y, "difference"], 0, lang, sign=True),
                       "band": fmt.interval(sub.loc[y, "ci_low"], sub.loc[y, "ci_high"], 0, lang, sign=True),
                       "clear": bool(sub.loc[y, "distinguishable"])} for y in years]})
    tot = final[final["group"] == analysis.TOTAL].iloc[0]
    headline = _t(lang,
        f"Scenariet »{name}« ændrer antallet på offentlig forsørgelse med {fmt.number(tot['difference'], 0, lang, sign=True)} "
        f"fuldtidspersoner i {last} (90\u00a0%-interval {fmt.interval(tot['ci_low'], tot['ci_high'], 0, lang, sign=True)}).",
        f"The scenario “{name}” changes the number on public support by {fmt.number(tot['difference'], 0, lang, sign=True)} "
        f"full-time persons in {last} (90\u00a0% interval {fmt.interval(tot['ci_low'], tot['ci_high'], 0, lang, sign=True)}).")
    # money: net municipal cost difference and payback. A comparison directory's own
    # differences.csv and investment.csv come first; else computed from both runs' costs.csv
    # with the functions `caseflow compare` uses, so the payback year is the same.
    money = _money_from_comparison(comp, alt.path.name, set(int(y) for y in years), lang) if comp else None
    bc, ac = base.table("costs"), alt.table("costs")
    if money is None and bc is not None and ac is not None:
        bn, an = analysis.net_cost_per_year(bc), analysis.net_cost_per_year(ac)
        if bn is not None and an is not None:
            dn = metrics.difference(bn, an, ["year"], "net_dkk", pair.paired)
            inv = _investment(bc, ac, lang) if pair.paired else None
            horizon = metrics.difference(analysis.net_cost_per_year(bc, full_only=False),
                                         analysis.net_cost_per_year(ac, full_only=False),
                                         ["year"], "net_dkk", pair.paired)
            pb = inv["payback_mean"] if inv else _payback_label(_payback_of_differences(horizon), lang)
            money = {"rows": [{"year": str(int(r.year)), "value": fmt.dkk_millions(r.difference, 1, lang, sign=True),
                               "band": fmt.interval(r.ci_low / 1e6, r.ci_high / 1e6, 1, lang, sign=True)}
                              for r in dn.itertuples()],
                     "payback": pb, "investment": inv}
    if money and money["rows"]:
        last_money = money["rows"][-1]
        headline += _t(lang,
            f" Kommunens nettoudgift ændres med {last_money['value']} i {last_money['year']} "
            f"(90\u00a0%-interval {last_money['band']} mio.\u00a0kr.).",
            f" The municipality's net cost changes by {last_money['value']} in {last_money['year']} "
            f"(90\u00a0% interval DKK {last_money['band']}m).")
    return ({"name": name, "empty": False, "years": [str(y) for y in years], "rows": rows,
             "paired": pair.paired, "n": pair.replications, "reason": pair.reason,
             "chart": out_charts[0].name, "headline": headline, "money": money,
             "manifest": _manifest_rows(alt, lang)}, out_charts)


def _payback_of_differences(diff: pd.DataFrame) -> int | None:
    """Payback year of the mean path from yearly net cost differences (scenario − baseline):
    the cumulative saving is minus their running total."""
    d = diff.assign(year=pd.to_numeric(diff["year"])).set_index("year")["difference"].sort_index()
    return metrics.payback_year(-d.cumsum())


def _payback_label(year, lang: str) -> str:
    """A payback year as written by sim.outputs.costs (a year, or "not within horizon")."""
    from sim.outputs import costs
    try:
        v = float(year)
    except (TypeError, ValueError):
        v = math.nan
    if year is None or year == costs.NOT_WITHIN or not math.isfinite(v):
        return _t(lang, "ikke inden for perioden", "not within the horizon")
    return str(int(v))


def _money_from_comparison(comp: Comparison, slug: str, full_years: set[int], lang: str) -> dict | None:
    """Net municipal cost difference (differences.csv) and investment view (investment.csv) of one scenario.

    The payback year is investment.csv's (``payback_year_of_mean``) when it has one, else
    that of the cost differences over every year compared: the same rule and horizon.
    """
    d = comp.differences
    if d is None or not {"scenario", "measure", "name", "period", "difference", "ci_low", "ci_high"} <= set(d.columns):
        return None
    d = d[(d["scenario"] == slug) & (d["measure"] == "cost") & (d["name"] == "net_municipal_dkk:total")]
    if d.empty:
        return None
    pb = _payback_label(_payback_of_differences(d.rename(columns={"period": "year"})), lang)
    d = d[pd.to_numeric(d["period"], errors="coerce").isin(full_years)]
    if d.empty:
        return None
    rows = [{"year": str(int(float(r.period))), "value": fmt.dkk_millions(r.difference, 1, lang, sign=True),
             "band": fmt.interval(r.ci_low / 1e6, r.ci_high / 1e6, 1, lang, sign=True)} for r in d.itertuples()]
    money = {"rows": rows, "source": "differences.csv", "payback": pb, "investment": None}
    inv = comp.investment
    if inv is not None and {"scenario", "measure", "year", "p5", "p50", "p95"} <= set(inv.columns):
        inv = inv[inv["scenario"] == slug]
        if not inv.empty:
            money["investment"] = _investment_view(inv, inv.iloc[0], lang, full_years)
            money["payback"] = money["investment"]["payback_mean"]
    return money


INVESTMENT_ROWS = (
    ("extra_activation_dkk", "Ekstra udgift til aktivering", "Extra activation spending"),
    ("benefit_saving_dkk", "Besparelse på forsørgelse", "Saving on benefits"),
    ("net_saving_dkk", "Nettobesparelse", "Net saving"),
    ("cumulative_net_saving_dkk", "Akkumuleret nettobesparelse", "Cumulative net saving"),
)


def _investment(base_costs: pd.DataFrame, alt_costs: pd.DataFrame, lang: str) -> dict | None:
    """The investeringsmodel of sim.outputs.costs (activation spent against benefits saved), when the tables allow it."""
    from sim.outputs import costs
    if "kind" not in base_costs.columns or "kind" not in alt_costs.columns:
        return None
    try:  # every year the runs cover, as `caseflow compare` does; the rows show full years only
        inv = costs.investment(base_costs, alt_costs)
    except (ValueError, KeyError):
        return None
    full = set(analysis.full_years(base_costs)["year"].astype(int))
    return _investment_view(inv.years, inv.payback.iloc[0], lang, full)


def _investment_view(years_table: pd.DataFrame, pb, lang: str, only_years: set[int] | None = None) -> dict:
    """Rows of the investment view (bands per measure and year) and its payback summary."""
    yt = years_table if only_years is None else years_table[years_table["year"].isin(only_years)]
    years = sorted(int(y) for y in yt["year"].unique())
    rows = []
    for key, da, en in INVESTMENT_ROWS:
        sub = yt[yt["measure"] == key].set_index("year")
        if sub.empty:
            continue
        rows.append({"name": _t(lang, da, en), "cells": [
            {"value": fmt.dkk_millions(sub.loc[y, "p50"], 1, lang, sign=True),
             "band": fmt.interval(sub.loc[y, "p5"] / 1e6, sub.loc[y, "p95"] / 1e6, 1, lang, sign=True)}
            for y in years]})

    def label(x) -> str:
        return _payback_label(x, lang)
    return {"years": [str(y) for y in years], "rows": rows,
            "payback_mean": label(pb["payback_year_of_mean"]),
            "payback_band": f"{label(pb['payback_year_p5'])} {fmt.DASH} {label(pb['payback_year_p95'])}",
            "share_paid_back": fmt.percent(float(pb["share_paid_back"]), 0, lang)}


def _manifest_rows(run: Run, lang: str) -> list[tuple[str, str]]:
    m = run.manifest
    keys = [("scenario", "Scenarie", "Scenario"), ("scenario_file", "Scenariefil", "Scenario file"),
            ("scenario_sha256", "SHA-256 af scenarie og data", "SHA-256 of scenario and data"),
            ("seed", "Startværdi (seed)", "Seed"), ("replications", "Replikationer", "Replications"),
            ("years", "År", "Years"), ("scale", "Skala", "Scale"), ("engine", "Motor", "Engine"),
            ("version", "caseflow-version", "caseflow version"), ("python", "Python", "Python")]
    rows = [(_t(lang, da, en), str(m[k])) for k, da, en in keys if k in m]
    rows.append((_t(lang, "Kørselsmappe", "Run directory"), str(run.path)))
    return rows


FIT_COLUMNS = {"target", "value", "sim_mean", "sim_p5", "sim_p95", "within_tolerance"}


def _fit_rows(df: pd.DataFrame | None, lang: str = "da") -> dict | None:
    """A fit or validation table: targets against the model when it has caseflow calibrate's
    columns (target, value, sim_mean, sim_p5, sim_p95, tolerance, within_tolerance, source),
    else shown as it is (first 40 rows)."""
    if df is None:
        return None
    if FIT_COLUMNS <= set(df.columns):
        yes, no = _t(lang, "ja", "yes"), _t(lang, "nej", "no")
        rows = []
        for r in df.itertuples(index=False):
            d = r._asdict()
            unit = str(d.get("unit", ""))
            if "share" in unit or "relative" in unit:  # shares and changes as percentages
                def num(x, sign="relative" in unit):
                    return fmt.percent(x, 1, lang, sign=sign)

                def band(lo, hi, sign="relative" in unit):
                    return f"{num(lo)} {_t(lang, 'til', 'to')} {num(hi)}"
            else:
                def num(x, sign=False):
                    return fmt.number(x, 0, lang)

                def band(lo, hi, sign=False):
                    return fmt.interval(lo, hi, 0, lang)
            held = bool(d.get("held_out", False)) and str(d.get("held_out")).lower() not in ("false", "0", "nan")
            rows.append([str(d["target"]) + (_t(lang, " (tilbageholdt)", " (held out)") if held else ""),
                         num(d["value"]),
                         num(d["sim_mean"]) + " (" + band(d["sim_p5"], d["sim_p95"]) + ")",
                         num(d.get("tolerance", math.nan), False),
                         yes if bool(d["within_tolerance"]) else no, str(d.get("source", ""))])
        return {"columns": [_t(lang, "Mål", "Target"), _t(lang, "Observeret", "Observed"),
                            _t(lang, "Model (90 %-interval)", "Model (90 % interval)"),
                            _t(lang, "Tolerance", "Tolerance"), _t(lang, "Inden for tolerancen", "Within tolerance"),
                            _t(lang, "Kilde", "Source")],
                "rows": rows, "more": 0, "file": df.attrs.get("file", "")}
    shown = df.head(40)
    cells = [[(f"{v:.4g}" if isinstance(v, float) else str(v)) for v in row] for row in shown.itertuples(index=False)]
    return {"columns": [str(c) for c in shown.columns], "rows": cells, "more": max(len(df) - 40, 0),
            "file": df.attrs.get("file", "")}


def _key_parameters(sc, lang: str) -> list[dict]:
    """Initial stocks and inflows: the numbers that set the level of the forecast, with sources."""
    rows = []
    by_key = {k.split(":", 1)[1] if ":" in k else k: v for k, v in sc.sources.items()}
    for state_name, value in sc.stocks.items():
        rows.append({"name": _t(lang, "Bestand 1/1: ", "Stock 1 Jan: ") + labels.state(state_name, lang),
                     "value": fmt.number(value, 0, lang) + _t(lang, " personer", " persons"),
                     "source": by_key.get(f"population.stocks.{state_name}", "")})
    for inf in sc.inflows:
        v = inf.persons_per_year.values[0]
        rows.append({"name": _t(lang, "Tilgang pr. år: ", "Inflow per year: ") + labels.inflow(inf.name, lang),
                     "value": fmt.number(v, 0, lang) + _t(lang, " personer", " persons") if isinstance(v, (int, float)) else str(v),
                     "source": inf.ref})
    return rows


def build(run_dir: str | Path, compare: tuple[str | Path, ...] = (), lang: str = "da",
          out: str | Path = "report.html", observed: str | Path | None = None,
          charts_dir: str | Path | None = None, quiet: bool = False) -> Path:
    """Write the report for ``run_dir`` (against each of ``compare``) to ``out``; charts beside it."""
    if lang not in fmt.LANGS:
        raise SpecError("<command line>", "--lang", f"must be one of {', '.join(fmt.LANGS)}")
    say = Progress(quiet)
    say(f"reading {run_dir}")
    base_dir, alt_dirs = expand(run_dir, tuple(compare))
    run = load_run(base_dir)
    others = [load_run(c) for c in alt_dirs]
    comparison = load_comparison(run.path.resolve().parent)
    obs_path = Path(observed) if observed else default_observed(run)
    obs: list[Observation] = load_observed(obs_path) if obs_path else []
    scale = float(run.manifest.get("scale", 1.0) or 1.0)

    say("computing bands over replications")
    gf, weekly, yr = group_bands(run)
    yb = metrics.bands(yr, ["group", "year"], "fte")
    all_charts: list[charts.Chart] = []

    def band_of(key):
        return weekly[weekly["group"] == key].sort_values("week").reset_index(drop=True)

    say("drawing charts")
    t_total = _t(lang, "Fuldtidspersoner på offentlig forsørgelse i alt (median, 50 %- og 90 %-interval)",
                 "Full-time persons on public support, total (median, 50 % and 90 % intervals)")
    all_charts.append(charts.fan_total(band_of(analysis.TOTAL), lang, t_total))
    obs_by_group: dict[str, list[Observation]] = {}
    for o in obs:
        obs_by_group.setdefault(o.group, []).append(o)
    t_groups = _t(lang, "Fuldtidspersoner pr. ydelsesgruppe (median, 50 %- og 90 %-interval; prikker: observeret)",
                  "Full-time persons per benefit group (median, 50 % and 90 % intervals; dots: observed)")
    fans = {k: band_of(k) for k in labels.GROUPS if not band_of(k).empty}
    all_charts.append(charts.fan_groups(fans, obs_by_group, scale, lang, t_groups))

    cost, cost_bands = _cost_summary(run, lang)
    if cost_bands is not None:
        all_charts.append(charts.net_cost(cost_bands, lang, _t(lang, "Kommunens nettoudgift pr. år",
                                                                "Net municipal cost per year")))

    say("judging plan goals")
    plan = goals_plan(run)
    gtab = run.table("goals")
    if gtab is not None:
        judged, goal_origin = goals.from_table(gtab, plan=plan), "table"
    elif plan is not None:
        judged, goal_origin = goals.from_plan(plan, run.indicators, scale), "file"
    else:
        judged, goal_origin = [], "none"
    goal_rule = ({"met": fmt.percent(plan.met_share, 0, lang), "missed": fmt.percent(plan.missed_share, 0, lang),
                  "file": Path(plan.file).name} if plan is not None else None)

    say("flows per year")
    fl = analysis.yearly_flows(run)
    flow_rows = []
    for y in sorted(fl["year"].unique()):
        sub = fl[fl["year"] == y].set_index("category")
        flow_rows.append({"year": str(y), "cells": [
            {"value": fmt.number(sub.loc[c, "mean"], 0, lang),
             "band": fmt.interval(sub.loc[c, "p5"], sub.loc[c, "p95"], 0, lang)} for c in labels.FLOWS]})
    if not fl.empty:
        all_charts.append(charts.flows(fl, lang, _t(lang, "Hovedstrømme pr. år (gennemsnit, 90 %-interval)",
                                                     "Main flows per year (mean, 90 % interval)")))

    comparisons = []
    for i, alt in enumerate(others):
        say(f"comparing with {alt.path}")
        c, ch = _compare(run, yr, alt, i, lang)
        comparisons.append(c)
        all_charts.extend(ch)

    say("sources and reproducibility")
    sc, sc_note = _scenario(run)
    fits = fit_reports(run)
    sources = [{"key": k, "text": v} for k, v in (sc.sources.items() if sc is not None else [])]
    by_name = {c.name: c for c in all_charts}

    observed_rows = [{"group": labels.group(o.group, lang), "date": o.date, "value": fmt.number(o.value, 0, lang),
                      "definition": o.definition, "source": o.source} for o in obs]
    context = {
        "lang": lang,
        "title": _t(lang, f"Fremskrivning af forsørgelsen: {display_name(run, lang, comparison)}",
                    f"Caseload forecast: {run.name}"),
        "generated": dt.date.today().isoformat() if os.environ.get("SOURCE_DATE_EPOCH") is None else
                     dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.timezone.utc).date().isoformat(),
        "summary": _summary(lang, run, display_name(run, lang, comparison), yb, judged, cost, comparisons),
        "scale": fmt.percent(scale, 0, lang) if scale != 1 else None,
        "goals": _goal_rows(judged, lang), "goal_origin": goal_origin, "goal_rule": goal_rule,
        "groups": _groups_table(yb, lang),
        "cost": cost,
        "flows": {"header": [labels.pick(labels.FLOWS[c], lang) for c in labels.FLOWS], "rows": flow_rows},
        "comparisons": comparisons,
        "observed": observed_rows, "observed_file": str(obs_path) if obs_path else None,
        "scale_value": scale,
        "key_parameters": _key_parameters(sc, lang) if sc is not None else [],
        "scenario_note": sc_note, "sources": sources,
        "fit": _fit_rows(fits["fit"], lang), "validation": _fit_rows(fits["validation"], lang),
        "manifest": _manifest_rows(run, lang),
        "reproduce": _reproduce(run, others, lang),
        "images": {c.name: {"src": "data:image/svg+xml;base64," + base64.b64encode(c.svg).decode("ascii"),
                            "alt": c.title} for c in all_charts},
        "version": __version__,
    }
    say("writing the page")
    page = render(context)
    out = Path(out)
    chart_dir = Path(charts_dir) if charts_dir else out.with_name(out.stem + "_charts")
    _write_atomic(out, page.encode("utf-8"))
    out.chmod(0o644)
    charts.write(list(by_name.values()), chart_dir)
    say(f"wrote {out} and {len(by_name)} charts (PNG, SVG) in {chart_dir}")
    return out


def _reproduce(run: Run, others: list[Run], lang: str) -> list[str]:
    cmds = []
    for r in [run] + others:
        rm = r.manifest
        cmd = (f"caseflow run {rm.get('scenario_file', 'SCENARIO')} --years {rm['years']} "
               f"--replications {rm['replications']} --seed {rm['seed']}")
        if rm.get("scale", 1) != 1:
            cmd += f" --scale {rm['scale']}"
        if rm.get("engine", "simpy") != "simpy":
            cmd += f" --engine {rm['engine']}"
        cmds.append(cmd + f" --out {r.path}")
    cmds.append(f"caseflow report {run.path}" + "".join(f" --compare {r.path}" for r in others)
                + (" --lang en" if lang == "en" else ""))
    return cmds


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

