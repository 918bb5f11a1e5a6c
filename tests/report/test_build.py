"""The report from real (small) runs: content in order, Danish words and numbers, escaping, files."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import markupsafe
import numpy as np
import pandas as pd
import pytest

from sim.outputs import metrics
from sim.outputs.goals import evaluate, load_goals
from sim.report import analysis, build, labels
from sim.report import format as fmt
from sim.report.build import group_bands
from sim.report.data import load_run
from sim.spec.scenario import load_scenario

from ..conftest import ROOT
from .conftest import FASTER_DA, HOSTILE, relist

SECTIONS = ["resume", "maal", "udvikling", "scenarier", "stroemme", "kilder"]
CHARTS = {"fan_total", "fan_groups", "net_cost", "difference_1", "flows"}


def _section(text: str, sid: str) -> str:
    return re.search(rf'<section id="{sid}">(.*?)</section>', text, re.S).group(1)


def test_sections_come_in_the_briefs_order(page):
    _, text = page
    pos = [text.index(f'<section id="{s}">') for s in SECTIONS]
    assert pos == sorted(pos)


def test_danish_words_and_number_format(page):
    _, text = page
    for word in ("Fuldtidspersoner", "Førtidspension", "Uddannelseshjælp", "Hvor går borgerne hen?",
                 "Planens mål", "Kontanthjælp, jobparate", "mio.\u00a0kr."):
        assert word in text
    summary = re.search(r'id="summary-text">(.*?)</p>', text, re.S).group(1)
    assert "fuldtidspersoner på offentlig forsørgelse" in summary and FASTER_DA in summary
    assert re.search(r"\d,\d\u00a0%", summary), "a Danish percentage (decimal comma, space) in the summary"


def test_page_is_self_contained(page):
    _, text = page
    assert not re.search(r'(src|href)="(https?:)?//', text), "nothing is loaded from the network"
    assert "<script" not in text
    imgs = re.findall(r'<img src="([^"]+)"', text)
    assert len(imgs) == len(CHARTS)
    assert all(s.startswith("data:image/svg+xml;base64,") for s in imgs)


def test_charts_are_also_written_as_png_and_svg(page):
    out, text = page
    d = out.with_name("report_charts")
    assert set(re.findall(r'data-chart="([^"]+)"', text)) == CHARTS
    for n in CHARTS:
        assert (d / f"{n}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (d / f"{n}.svg").read_bytes()[:2000]


def test_yearly_total_is_the_sum_of_the_support_states_averaged_over_the_year(runs):
    # Recompute the 2015 median of full-time persons on public support from stocks.csv by hand.
    st = pd.read_csv(runs["base"] / "stocks.csv")
    support = set(labels.public_support_states())
    st = st[st["state"].isin(support) & (st["week"] > 0)]
    st = st[(pd.to_datetime(st["date"]) - pd.Timedelta(days=3.5)).dt.year == 2015]
    per_rep = st.groupby("replication")["fte"].sum() / st["week"].nunique()
    yb = metrics.bands(analysis.yearly(analysis.group_fte(load_run(runs["base"]))), ["group", "year"], "fte")
    got = yb[(yb["group"] == "total") & (yb["year"] == 2015)]["p50"].iloc[0]
    assert got == pytest.approx(per_rep.median())


def test_group_differences_agree_with_caseflow_compare(runs):
    # A one-state group: the report's own paired difference must equal differences.csv's.
    d = pd.read_csv(runs["compare"] / "differences.csv")
    row = d[(d["measure"] == "fte") & (d["name"] == "sygedagpenge") & (d["period"].astype(str) == "2016")].iloc[0]
    yb = {k: analysis.yearly(analysis.group_fte(load_run(runs[k]))) for k in ("base", "faster")}
    mine = metrics.paired_difference(yb["base"], yb["faster"], ["group", "year"], "fte")
    mine = mine[(mine["group"] == "sygedagpenge") & (mine["year"] == 2016)].iloc[0]
    assert mine["difference"] == pytest.approx(row["difference"], abs=1e-6)
    assert (mine["ci_low"], mine["ci_high"]) == pytest.approx((row["ci_low"], row["ci_high"]), abs=1e-6)


def test_comparison_is_paired_and_shows_the_scenario_effect(page):
    _, text = page
    sec = _section(text, "scenarier")
    assert FASTER_DA in sec and "Forskellene er parrede" in sec
    # faster exits to work: fewer on dagpenge, and the interval excludes zero (bold cell)
    row = re.search(r"<td>A-dagpenge og arbejdsmarkedsydelse</td>(.*?)</tr>", sec, re.S).group(1)
    assert "\u2212" in row and 'class="num clear"' in row


def _money(text: str) -> list[tuple[str, str]]:
    sec = _section(text, "scenarier")
    table = re.search(r"Forskel i nettoudgift</th>.*?<tbody>(.*?)</tbody>", sec, re.S).group(1)
    return re.findall(r'<td>(\d{4})</td><td class="num">([^<]+)</td>', table)


def test_cost_difference_and_investment_from_the_comparison_tables(runs, page):
    _, text = page
    d = pd.read_csv(runs["compare"] / "differences.csv")
    d = d[(d["name"] == "net_municipal_dkk:total") & d["period"].astype(str).isin(["2015", "2016"])]
    expected = [(str(p), fmt.dkk_millions(v, 1, sign=True)) for p, v in zip(d["period"], d["difference"])]
    assert _money(text) == expected
    sec = _section(text, "scenarier")
    assert "Investeringsmodellen" in sec and "Besparelse på forsørgelse" in sec
    assert re.search(r'class="payback">(\d{4}|ikke inden for perioden)<', sec)
    c = pd.read_csv(runs["base"] / "costs.csv")
    net_2015 = c[c["year"] == 2015].groupby("replication")["net_municipal_dkk"].sum().median()
    costs_table = re.search(r'id="costs">(.*?)</table>', text, re.S).group(1)
    assert f'<td class="num">{fmt.dkk_millions(net_2015, 1)}</td>' in costs_table
    assert "2017" not in costs_table  # the partial last year is left out


def test_loose_run_directories_give_the_same_money_as_the_comparison(runs, page, tmp_path):
    # Copied out of the comparison directory, the report computes the paired differences itself.
    for k in ("base", "faster"):
        shutil.copytree(runs[k], tmp_path / k)
    text = build(tmp_path / "base", (tmp_path / "faster",), out=tmp_path / "r.html",
                 quiet=True).read_text(encoding="utf-8")
    assert _money(text) == _money(page[1])
    assert "Investeringsmodellen" in text


def test_every_string_from_input_files_is_escaped(hostile_page):
    text = hostile_page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<img src=x" not in text and "<b>bold</b>" not in text
    assert str(markupsafe.escape(HOSTILE)) in text  # the name shows as text, quotes and all
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;" in text  # a source from the observed file


def test_english_and_sections_without_data_say_so(runs, tmp_path):
    # a run without costs, goals or comparison, whose scenario file has gone
    d = tmp_path / "run"
    shutil.copytree(runs["base_plain"], d)
    m = json.loads((d / "manifest.json").read_text())
    m["scenario_file"] = str(tmp_path / "gone.toml")
    (d / "manifest.json").write_text(json.dumps(m))
    text = build(d, out=tmp_path / "en.html", lang="en", quiet=True).read_text(encoding="utf-8")
    assert 'lang="en"' in text and "Full-time persons" in text and "Where do people go?" in text
    assert "Fuldtidspersoner" not in text
    assert "Costs in DKK are not computed for this run" in text
    assert "No scenario is compared with the baseline" in text
    assert "The run has no goals table (goals.csv) and its scenario names no goals file" in text
    assert "No calibration fit for this run" in text and "No held-out validation" in text
    assert "The scenario file could not be read" in text


def test_payback_from_a_costs_table_without_kinds(runs, tmp_path):
    dirs = {}
    for key, saving in (("base_plain", 0.0), ("faster_plain", 1.0)):
        d = tmp_path / key
        shutil.copytree(runs[key], d)
        # net cost only: +3 mio. kr. in 2015, -4 in 2016 in the scenario -> pays back in 2016
        pd.DataFrame([{"replication": r, "year": y, "state": "dagpenge",
                       "net_municipal_dkk": 50e6 + (3e6 if y == 2015 else -4e6) * saving + r * 1e4}
                      for r in range(4) for y in (2015, 2016)]).to_csv(d / "costs.csv", index=False)
        relist(d)
        dirs[key] = d
    text = build(dirs["base_plain"], (dirs["faster_plain"],), out=tmp_path / "c.html",
                 quiet=True).read_text(encoding="utf-8")
    assert "50,0\u00a0mio.\u00a0kr." in text                       # baseline net cost per year
    assert _money(text) == [("2015", "+3,0\u00a0mio.\u00a0kr."), ("2016", "\u22124,0\u00a0mio.\u00a0kr.")]
    assert re.search(r'class="payback">2016<', text)


def test_missing_run_directory_is_one_error_exit_2_and_no_file(tmp_path):
    p = subprocess.run([sys.executable, "-m", "sim", "report", str(tmp_path / "nope"), "-o",
                        str(tmp_path / "r.html")], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "no such run directory" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "r.html").exists()


def test_a_broken_manifest_names_the_file(runs, tmp_path):
    d = tmp_path / "run"
    shutil.copytree(runs["base_plain"], d)
    m = json.loads((d / "manifest.json").read_text())
    del m["seed"]
    (d / "manifest.json").write_text(json.dumps(m))
    p = subprocess.run([sys.executable, "-m", "sim", "report", str(d), "-o", str(tmp_path / "r.html"),
                        "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "manifest.json: seed: missing" in p.stderr


def test_calibration_fit_and_held_out_validation_from_the_fitted_layer(page):
    # The baseline names its fitted layer; caseflow calibrate/validate wrote the reports beside it.
    _, text = page
    fit = pd.read_csv(ROOT / "calibration" / "fitted" / "aalborg_fit_targets.csv")
    sec = _section(text, "kilder")
    assert "aalborg_fit_targets.csv" in sec and "aalborg_validation.csv" in sec
    first = fit.iloc[0]
    assert f"<td>{first['target']}</td><td>{fmt.number(first['value'])}</td>" in sec
    assert "(tilbageholdt)" in re.search(r'id="validation">(.*?)</table>', sec, re.S).group(1)


def _payback(text: str) -> str:
    return re.search(r'class="payback">([^<]+)<', _section(text, "scenarier")).group(1)


def test_payback_year_is_the_one_caseflow_compare_wrote(runs, page, tmp_path):
    # From the comparison directory and from loose copies of its runs (computed by the
    # report itself): the page shows investment.csv's payback year of the mean path.
    inv = pd.read_csv(runs["compare"] / "investment.csv")
    wrote = str(inv[inv["scenario"] == "faster"]["payback_year_of_mean"].iloc[0])
    expected = "ikke inden for perioden" if wrote == "not within horizon" else str(int(float(wrote)))
    assert _payback(page[1]) == expected
    for k in ("base", "faster"):
        shutil.copytree(runs[k], tmp_path / k)
    loose = build(tmp_path / "base", (tmp_path / "faster",), out=tmp_path / "r.html", quiet=True)
    assert _payback(loose.read_text(encoding="utf-8")) == expected


def _statuses(text: str) -> list[tuple[str, str]]:
    table = re.search(r'<table id="goals">(.*?)</table>', text, re.S).group(1)
    return re.findall(r'<tr><td>([^<]+)<.*?class="status ([a-z_]+)"', table, re.S)


def test_the_page_shows_the_goal_status_the_goals_file_gives(runs, page, tmp_path):
    # with goals.csv: its rows as written; without: judged from the scenario's goals file
    written = pd.read_csv(runs["base"] / "goals.csv")
    expected = [(str(markupsafe.escape(r.label_da)), r.status.replace(" ", "_")) for r in written.itertuples()]
    assert _statuses(page[1]) == expected
    run = load_run(runs["base_plain"])
    plan = load_goals(load_scenario(run.manifest["scenario_file"]).goals)
    judged = evaluate(plan, run.indicators, run.manifest["scale"])
    text = build(runs["base_plain"], out=tmp_path / "g.html", quiet=True).read_text(encoding="utf-8")
    assert _statuses(text) == [(str(markupsafe.escape(r.label_da)), r.status.replace(" ", "_"))
                               for r in judged.itertuples()]
    assert f"mindst {fmt.percent(plan.met_share, 0)}" in _section(text, "maal")


def test_report_and_cli_give_the_same_bands(runs):
    # sygedagpenge is a benefit group of one state: the report's weekly band for it is the
    # CLI's stocks_summary.csv row for the state, and its flows bands are metrics.bands
    cli = pd.read_csv(runs["base"] / "stocks_summary.csv")
    cli = cli[cli["state"] == "sygedagpenge"].set_index("week")
    _, weekly, _ = group_bands(load_run(runs["base"]))
    mine = weekly[weekly["group"] == "sygedagpenge"].set_index("week")
    cols = list(metrics.BAND_COLUMNS)
    assert len(mine) == len(cli) > 50
    np.testing.assert_allclose(mine[cols].to_numpy(), cli.loc[mine.index, cols].to_numpy(), rtol=1e-9)
