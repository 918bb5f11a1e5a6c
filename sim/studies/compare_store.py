"""Writing a comparison to disk (layout in docs/outputs.md): CSV, an Excel workbook, charts.

All or nothing: everything is written into a temporary directory that replaces ``out``
at the end. CSV headings are stable English names (other tools read them); ``lang="da"``
gives Danish headings in the workbook and Danish labels in the charts.
"""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim import __version__  # noqa: E402

from sim.run import store as output
from sim.studies.compare import CONFIDENCE, Comparison, investments  # noqa: E402
from sim.outputs.goals import Goal  # noqa: E402,F401  (documented in the goals sheet)

CORE_STATES = ("dagpenge", "kontanthjaelp_jobparat", "kontanthjaelp_aktivitetsparat",
               "uddannelseshjaelp_uddannelsesparat", "sygedagpenge", "ressourceforloeb")

DANISH = {
    "scenario": "scenarie", "measure": "mål", "name": "navn", "period": "periode",
    "baseline": "basis", "value": "scenarieværdi", "difference": "forskel",
    "ci_low": "90 % interval, nedre", "ci_high": "90 % interval, øvre", "se": "standardfejl",
    "replications": "replikationer", "distinguishable": "kan skelnes fra støj",
    "goal": "mål-id", "label_da": "mål", "indicator": "indikator", "from_period": "fra",
    "to_period": "til", "required_change": "krævet ændring", "mean_change": "simuleret ændring",
    "share_met": "andel replikationer der opfylder målet", "status": "status", "source": "kilde",
    "date": "dato", "week": "uge", "state": "ydelse", "mean": "gennemsnit", "p5": "5 %",
    "p25": "25 %", "p50": "median", "p75": "75 %", "p95": "95 %", "slug": "scenarie",
    "title_da": "titel", "file": "fil", "layers": "lag", "scenario_sha256": "SHA-256",
}
STATUS_DA = {"met": "opfyldt", "at risk": "i risiko", "missed": "ikke opfyldt",
             "not simulated": "ikke simuleret"}
TEXT = {
    "en": {"fte": "full-time persons", "diff": "difference from baseline (full-time persons)",
           "stocks_title": "Full-time persons per scenario (mean, 5–95 % band)",
           "diff_title": "Scenario − baseline in {year}, {conf:.0%} interval", "cost": "net municipal cost, DKK",
           "cost_title": "Net municipal cost: scenario − baseline per year"},
    "da": {"fte": "fuldtidspersoner", "diff": "forskel fra basis (fuldtidspersoner)",
           "stocks_title": "Fuldtidspersoner pr. scenarie (gennemsnit, 5–95 % bånd)",
           "diff_title": "Scenarie − basis i {year}, {conf:.0%}-interval", "cost": "kommunal nettoudgift, kr.",
           "cost_title": "Kommunal nettoudgift: scenarie − basis pr. år"},
}


def write(comp: Comparison, out: str | Path, meta: dict, lang: str = "en") -> Path:
    out = output.check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.fresh_dir(out, "tmp")
    try:
        for slug, res in zip(comp.slugs, comp.results):
            goals = comp.goals[comp.goals["scenario"] == slug] if not comp.goals.empty else None
            output.write(res, tmp / slug, engine=meta.get("engine", "simpy"),
                         extra={"goals.csv": goals} if goals is not None else None)
        comp.differences.to_csv(tmp / "differences.csv", index=False)
        inv = investments(comp)
        if inv is not None:
            inv.to_csv(tmp / "investment.csv", index=False)
        if not comp.goals.empty:
            comp.goals.to_csv(tmp / "goals.csv", index=False)
        workbook(comp, tmp / "comparison.xlsx", meta, lang)
        charts(comp, tmp, lang)
        manifest = {"tool": output.TOOL, **meta, "version": __version__, "python": platform.python_version(),
                    "confidence": CONFIDENCE, "lang": lang, "costs": comp.costs is not None}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        output.swap_in(tmp, out)  # never a mix of old and new, whenever the process is killed
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _stock_bands(comp: Comparison) -> pd.DataFrame:
    parts = []
    for slug, res in zip(comp.slugs, comp.results):
        b = res.stock_bands("fte")
        b.insert(0, "scenario", slug)
        parts.append(b)
    return pd.concat(parts, ignore_index=True)


def _indicator_bands(comp: Comparison) -> pd.DataFrame:
    parts = []
    for slug, res in zip(comp.slugs, comp.results):
        b = res.indicator_bands()
        b.insert(0, "scenario", slug)
        parts.append(b)
    return pd.concat(parts, ignore_index=True)


def workbook(comp: Comparison, path: Path, meta: dict, lang: str) -> None:
    """One sheet per table; Danish headings (and goal statuses) with ``lang='da'``."""
    runs = pd.DataFrame([{k: (", ".join(v) if isinstance(v, list) else v) for k, v in r.items()}
                         for r in meta.get("runs", [])])
    sheets = {"differences": comp.differences, "goals": comp.goals, "stocks": _stock_bands(comp),
              "indicators": _indicator_bands(comp), "runs": runs}
    if comp.costs is not None:
        sheets["costs"] = comp.costs
        inv = investments(comp)
        if inv is not None:
            sheets["investment"] = inv
    names_da = {"differences": "forskelle", "goals": "mål", "stocks": "bestande",
                "indicators": "indikatorer", "runs": "kørsler", "costs": "udgifter", "investment": "investering"}
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, df in sheets.items():
            df = df.copy()
            if lang == "da":
                if "status" in df.columns:
                    df["status"] = df["status"].map(lambda s: STATUS_DA.get(s, s))
                df = df.rename(columns=DANISH)
                name = names_da[name]
            df.to_excel(xl, sheet_name=name, index=False)
            ws = xl.sheets[name]
            for col in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in list(col)[:200])
                ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 60)
            ws.freeze_panes = "A2"


def _label(comp: Comparison, state: str, lang: str) -> str:
    sc = comp.baseline.scenario
    if state in sc.state_names:
        s = sc.state(state)
        return s.label_da if lang == "da" else s.label_en
    return state


def _title(res, slug: str, lang: str) -> str:
    return (res.scenario.title_da or slug) if lang == "da" else slug


def charts(comp: Comparison, out: Path, lang: str) -> None:
    t = TEXT[lang if lang in TEXT else "en"]
    bands = _stock_bands(comp)
    states = [s for s in CORE_STATES if s in comp.baseline.scenario.state_names]
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), sharex=True)
    for ax, state in zip(axes.ravel(), states):
        for slug, res in zip(comp.slugs, comp.results):
            b = bands[(bands["scenario"] == slug) & (bands["state"] == state) & (bands["week"] > 0)]
            dates = pd.to_datetime(b["date"])
            line, = ax.plot(dates, b["mean"], lw=1.4, label=_title(res, slug, lang))
            ax.fill_between(dates, b["p5"], b["p95"], color=line.get_color(), alpha=0.15, lw=0)
        ax.set_title(_label(comp, state, lang), fontsize=10)
        ax.set_ylabel(t["fte"], fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes.ravel()[len(states):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7, loc="best")
    fig.suptitle(t["stocks_title"])
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(out / "stocks.png", dpi=110)
    plt.close(fig)

    d = comp.differences[comp.differences["measure"] == "fte"]
    if not d.empty:
        years = sorted(d["period"].unique())
        full = comp.baseline.stocks["week"].max() % 52 == 0
        year = years[-1] if len(years) == 1 or full else years[-2]
        names = [s for s in comp.baseline.scenario.state_names if s not in ("outside",)]
        others = comp.slugs[1:]
        fig, ax = plt.subplots(figsize=(9, 0.35 * len(names) * max(1, len(others)) + 1.5))
        height = 0.8 / max(1, len(others))
        for k, slug in enumerate(others):
            sub = d[(d["scenario"] == slug) & (d["period"] == year)].set_index("name").reindex(names)
            y = [i + k * height for i in range(len(names))]
            res = comp.results[comp.slugs.index(slug)]
            ax.barh(y, sub["difference"], height=height, label=_title(res, slug, lang),
                    xerr=[sub["difference"] - sub["ci_low"], sub["ci_high"] - sub["difference"]],
                    error_kw={"lw": 0.8, "capsize": 2})
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(names))])
        ax.set_yticklabels([_label(comp, n, lang) for n in names], fontsize=8)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(t["diff"])
        ax.set_title(t["diff_title"].format(year=year, conf=CONFIDENCE))
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "differences.png", dpi=110)
        plt.close(fig)

    if comp.costs is not None and not comp.costs.empty:
        c = comp.costs[comp.costs["name"] == "net_municipal_dkk:total"]
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for k, slug in enumerate(comp.slugs[1:]):
            sub = c[c["scenario"] == slug]
            x = sub["period"].astype(int) + (k - (len(comp.slugs) - 2) / 2) * 0.08
            res = comp.results[comp.slugs.index(slug)]
            ax.errorbar(x, sub["difference"], yerr=[sub["difference"] - sub["ci_low"],
                        sub["ci_high"] - sub["difference"]], marker="o", capsize=3,
                        label=_title(res, slug, lang))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(t["cost"])
        ax.set_title(t["cost_title"])
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "costs.png", dpi=110)
        plt.close(fig)
