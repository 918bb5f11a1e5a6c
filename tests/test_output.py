"""Run directories: written whole, replaced safely, and refused by the loader when not whole."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.run import store as output
from sim.errors import SpecError
from sim.run.runner import run


@pytest.fixture(scope="module")
def results(baseline):
    return run(baseline.scaled(0.01), 1, 3, 4, executor="sequential")


def _rewrite(path, df, manifest, name):
    """Replace a table and make the manifest agree on its rows and hash, as a buggy writer
    that lost a replication would have: only the replication checks can notice then."""
    df.to_csv(path / name, index=False)
    manifest["files"][name]["rows"] = len(df)
    manifest["files"][name]["sha256"] = output._sha256(path / name)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_written_run_reads_back_equal(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    got = output.read_run(out)
    assert got.manifest["replications"] == 3
    assert set(got.tables) == {"stocks", "flows", "activation", "indicators", "costs", "stocks_summary",
                               "indicators_summary", "costs_summary"}
    # the cost summary is the replications' net cost, summed per year and state, then averaged
    net = results.costs.groupby(["replication", "year", "state"])["net_municipal_dkk"].sum()
    mean = net.groupby(["year", "state"]).mean()
    summary = got["costs_summary"].set_index(["year", "state"])["mean"]
    assert summary.sort_index().to_numpy() == pytest.approx(mean.sort_index().to_numpy(), rel=1e-9)
    pd.testing.assert_frame_equal(got["stocks"], results.stocks, check_dtype=False)
    assert got.manifest["files"]["stocks.csv"]["rows_per_replication"] == [len(results.stocks) // 3] * 3


def test_rewrite_replaces_the_old_run_and_leaves_nothing_beside_it(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    (out / "stale.txt").write_text("from an older run")
    output.write(results, out)
    assert not (out / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_old_output_set_aside_by_a_killed_writer_is_restored(results, tmp_path):
    # killed between the two renames: OUT is gone, the previous output is whole beside it
    out = output.write(results, tmp_path / "run")
    aside = tmp_path / ".run.old-999999999-dead"
    aside.mkdir()
    out.rename(aside / "run")
    (tmp_path / ".run.tmp-999999999-dead").mkdir()  # a half-written new output
    output.recover(out)
    assert output.read_run(out).manifest["seed"] == 4
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_loader_refuses_a_directory_without_manifest(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    (out / "manifest.json").unlink()
    with pytest.raises(SpecError, match="no manifest"):
        output.read_run(out)


def test_loader_refuses_a_truncated_table(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    text = (out / "flows.csv").read_text().splitlines(keepends=True)
    (out / "flows.csv").write_text("".join(text[: len(text) // 2]))
    with pytest.raises(SpecError, match="flows.csv.*differ from the manifest"):
        output.read_run(out)


def test_loader_refuses_a_missing_replication(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    m = json.loads((out / "manifest.json").read_text())
    df = pd.read_csv(out / "stocks.csv")
    _rewrite(out, df[df["replication"] != 1], m, "stocks.csv")
    with pytest.raises(SpecError, match=r"stocks.csv.*counts 3 replications; here 1 missing \(e.g. \[1\]\)"):
        output.read_run(out)


def test_loader_refuses_a_replication_lost_from_every_table(results, tmp_path):
    # the writer lost replication 2 everywhere and counted zero rows for it: still a gap
    out = output.write(results, tmp_path / "run")
    m = json.loads((out / "manifest.json").read_text())
    for name, info in m["files"].items():
        if "rows_per_replication" in info:
            df = pd.read_csv(out / name)
            info["rows_per_replication"][2] = 0
            _rewrite(out, df[df["replication"] != 2], m, name)
    with pytest.raises(SpecError, match=r"counts 3 replications but 1 have no rows \(e.g. \[2\]\)"):
        output.read_run(out)


def test_loader_refuses_a_count_that_disagrees_with_the_manifest(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    m = json.loads((out / "manifest.json").read_text())
    m["replications"] = 4
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SpecError, match="counts 4 replications but lists rows for 3"):
        output.read_run(out)


def test_loader_refuses_file_names_outside_the_directory(results, tmp_path):
    out = output.write(results, tmp_path / "run")
    m = json.loads((out / "manifest.json").read_text())
    m["files"]["../elsewhere.csv"] = m["files"].pop("flows.csv")
    (out / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(SpecError, match="not a plain file name"):
        output.read_run(out)
