"""The report from real (small) runs: content in order, Danish words and numbers, escaping, files."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import markupsafe
import pandas as pd
import pytest

from sim.report import analysis, build, labels
from sim.report import format as fmt
from sim.report.data import load_run

from ..conftest import ROOT
from .conftest import HOSTILE

SECTIONS = ["resume", "maal", "udvikling", "scenarier", "stroemme", "kilder"]


def test_sections_come_in_the_briefs_order(page):
    _, text = page
    pos = [text.index(f'<section id="{s}">') for s in SECTIONS]
    assert pos == sorted(pos)


def test_danish_words_and_number_format(page):
    _, text = page
    for word in ("Fuldtidspersoner", "Førtidspension", "Uddannelseshjælp", "Hvor går borgerne hen?",
                 "Planens mål", "Kontanthjælp, jobparate"):
        assert word in text
    summary = re.search(r'id="summary-text">(.*?)</p>', text, re.S).group(1)
    assert "fuldtidspersoner på offentlig forsørgelse" in summary
    assert re.search(r"\d,\d\u00a0%", summary), "a Danish percentage (decimal comma, space) in the summary"


def test_page_is_self_contained(page):
    out, text = page
    assert not re.search(r'(src|href)="(https?:)?//', text), "nothing is loaded from the network"
    assert "<script" not in text
    imgs = re.findall(r'<img src="([^"]+)"', text)
    assert len(imgs) == 4  # total fan, group fans, one difference chart, flows
    assert all(s.startswith("data:image/svg+xml;base64,") for s in imgs)


def test_charts_are_also_written_as_png_and_svg(page):
    out, text = page
    d = out.with_name("report_charts")
    names = set(re.findall(r'data-chart="([^"]+)"', text))
    assert names == {"fan_total", "fan_groups", "difference_1", "flows"}
    for n in names:
        assert (d / f"{n}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (d / f"{n}.svg").read_bytes()[:2000]


def test_yearly_total_is_the_sum_of_the_support_states_averaged_over_the_year(runs, page):
    # Recompute the 2015 median of full-time persons on public support from stocks.csv by hand.
    st = pd.read_csv(runs["base"] / "stocks.csv")
    support = set(labels.public_support_states())
    st = st[st["state"].isin(support) & (st["week"] > 0)]
    st = st[(pd.to_datetime(st["date"]) - pd.Timedelta(days=3.5)).dt.year == 2015]
    per_rep = st.groupby("replication")["fte"].sum() / st["week"].nunique()
    yb = analysis.bands(analysis.yearly(analysis.group_fte(load_run(runs["base"]))), ["group", "year"], "fte")
    got = yb[(yb["group"] == "total") & (yb["year"] == 2015)]["p50"].iloc[0]
    assert got == pytest.approx(per_rep.median())


def test_comparison_is_paired_and_shows_the_scenario_effect(page):
    _, text = page
    assert "Hurtigere i job fra dagpenge" in text
    assert "Forskellene er parrede" in text
    # faster exits to work: fewer on dagpenge, and the interval excludes zero (bold cell)
    row = re.search(r"<td>A-dagpenge og arbejdsmarkedsydelse</td>(.*?)</tr>", text, re.S).group(1)
    assert "\u2212" in row and 'class="num clear"' in row


def test_every_string_from_input_files_is_escaped(hostile_page):
    text = hostile_page.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "<img src=x" not in text and "<b>bold</b>" not in text
    assert str(markupsafe.escape(HOSTILE)) in text  # the name shows as text, quotes and all
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;" in text  # a source from the observed file


def test_english_with_lang_en(runs, tmp_path):
    text = build(runs["base"], out=tmp_path / "en.html", lang="en", quiet=True).read_text(encoding="utf-8")
    assert 'lang="en"' in text and "Full-time persons" in text and "Where do people go?" in text
    assert "Fuldtidspersoner" not in text


def test_costs_and_the_investment_view_from_real_cost_tables(runs, tmp_path):
    text = build(runs["base_costs"], (runs["faster_costs"],), out=tmp_path / "c.html",
                 quiet=True).read_text(encoding="utf-8")
    c = pd.read_csv(runs["base_costs"] / "costs.csv")
    net_2015 = c[c["year"] == 2015].groupby("replication")["net_municipal_dkk"].sum().median()
    assert f'<td class="num">{fmt.dkk_millions(net_2015, 1)}</td>' in text  # the yearly table, Danish
    assert "net_cost" in re.findall(r'data-chart="([^"]+)"', text)
    assert "Investeringsmodellen" in text and "Besparelse på forsørgelse" in text
    assert re.search(r'class="payback">(\d{4}|ikke inden for perioden)<', text)
    assert "2017" not in re.search(r'id="costs">(.*?)</table>', text, re.S).group(1)  # partial year left out


def test_payback_from_a_costs_table_without_kinds(runs, tmp_path):
    import shutil
    dirs = {}
    for key, saving in (("base", 0.0), ("faster", 1.0)):
        d = tmp_path / key
        shutil.copytree(runs[key], d)
        # net cost only: +3 mio. kr. in 2015, -4 in 2016 in the scenario -> pays back in 2016
        pd.DataFrame([{"replication": r, "year": y, "state": "dagpenge",
                       "net_municipal_dkk": 50e6 + (3e6 if y == 2015 else -4e6) * saving + r * 1e4}
                      for r in range(4) for y in (2015, 2016)]).to_csv(d / "costs.csv", index=False)
        dirs[key] = d
    text = build(dirs["base"], (dirs["faster"],), out=tmp_path / "c.html", quiet=True).read_text(encoding="utf-8")
    assert "50,0\u00a0mio.\u00a0kr." in text                       # baseline net cost per year
    assert "+3,0\u00a0mio.\u00a0kr." in text and "\u22124,0\u00a0mio.\u00a0kr." in text
    assert re.search(r'class="payback">2016<', text)


def test_sections_without_data_say_so(page):
    _, text = page
    assert "Udgifter i kroner er ikke beregnet" in text
    assert "Ingen kalibreringsrapport" in text


def test_missing_run_directory_is_one_error_exit_2_and_no_file(tmp_path):
    p = subprocess.run([sys.executable, "-m", "sim", "report", str(tmp_path / "nope"), "-o",
                        str(tmp_path / "r.html")], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "no such run directory" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "r.html").exists()


def test_a_broken_manifest_names_the_file(runs, tmp_path):
    import shutil
    d = tmp_path / "run"
    shutil.copytree(runs["base"], d)
    m = json.loads((d / "manifest.json").read_text())
    del m["seed"]
    (d / "manifest.json").write_text(json.dumps(m))
    p = subprocess.run([sys.executable, "-m", "sim", "report", str(d), "-o", str(tmp_path / "r.html"),
                        "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "manifest.json: seed: missing" in p.stderr
