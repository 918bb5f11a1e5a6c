"""Every statistic caseflow reports over replications, defined once.

The CSVs of ``run`` and ``compare``, the workbook, the HTML report, ``cohort``, ``trial``
and calibration's fit report all call these functions, so a band, a difference, a
payback year or a goal status means the same wherever it is shown:

* :func:`bands` — mean and 5/25/50/75/95 % quantiles over replications;
* :func:`paired_difference` — scenario minus baseline replication by replication (common
  random numbers), with its t interval; :func:`unpaired_difference` the Welch fallback
  when two runs do not share seeds; :func:`difference` picks one;
* :func:`payback_year` — the first year from which a cumulative net saving stays ≥ 0;
* :func:`goal_status` — met / at risk / missed from the share of replications meeting
  a goal and the goals file's ``met_share`` / ``missed_share``.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats

# Quantiles over replications and their column names (p5 … p95), in the order written.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
BAND_COLUMNS = ("mean",) + tuple(f"p{int(q * 100)}" for q in QUANTILES)
CONFIDENCE = 0.90
# Columns of a difference table after the keys.
DIFFERENCE_COLUMNS = ("baseline", "value", "difference", "replications", "se", "ci_low", "ci_high",
                      "distinguishable")
# Goal statuses as written to goals.csv.
MET, AT_RISK, MISSED, NOT_SIMULATED = "met", "at risk", "missed", "not simulated"
GOAL_STATUSES = (MET, AT_RISK, MISSED, NOT_SIMULATED)


def bands(df: pd.DataFrame, by: Iterable[str], value: str) -> pd.DataFrame:
    """Mean and 5/25/50/75/95 % quantiles of ``value`` over the rows of each ``by`` group.

    ``df`` has one row per replication and group. Quantiles interpolate linearly
    (pandas' default); groups keep the order in which they first appear, so the CSVs
    keep their row order.
    """
    g = df.groupby(list(by), sort=False)[value]
    out = g.mean().rename("mean").to_frame()
    for q, name in zip(QUANTILES, BAND_COLUMNS[1:]):
        out[name] = g.quantile(q)
    return out.reset_index()


def band(values: Iterable[float]) -> dict[str, float]:
    """:func:`bands` of one group: mean and quantiles of one quantity over replications.

    Missing values (NaN) are left out, as in :func:`bands`; all NaN without any value.
    """
    x = np.asarray(list(values) if not isinstance(values, (np.ndarray, pd.Series)) else values, dtype=float)
    x = x[~np.isnan(x)]
    if not x.size:
        return dict.fromkeys(BAND_COLUMNS, math.nan)
    return {"mean": float(x.mean()),
            **{name: float(np.quantile(x, q)) for q, name in zip(QUANTILES, BAND_COLUMNS[1:])}}


def paired_difference(base: pd.DataFrame, alt: pd.DataFrame, keys: Iterable[str], value: str,
                      confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean of ``alt − base`` per key, taken replication by replication, with its t interval.

    Both tables hold one row per ``replication`` and key. Runs with the same seed share
    every citizen's random streams, so the per-replication difference is mostly the
    policy's effect; its mean's t interval at ``confidence`` is ``ci_low``/``ci_high``
    (NaN with one replication). ``distinguishable``: the interval excludes zero.
    Columns: keys, then :data:`DIFFERENCE_COLUMNS`; keys in order of first appearance.
    """
    keys = list(keys)
    m = base[["replication", *keys, value]].merge(alt[["replication", *keys, value]],
                                                  on=["replication", *keys], suffixes=("_b", "_a"),
                                                  validate="one_to_one")
    m["d"] = m[f"{value}_a"] - m[f"{value}_b"]
    g = m.groupby(keys, sort=False)
    out = pd.DataFrame({"baseline": g[f"{value}_b"].mean(), "value": g[f"{value}_a"].mean(),
                        "difference": g["d"].mean(), "sd": g["d"].std(ddof=1),
                        "replications": g["d"].size()}).reset_index()
    n = out["replications"].to_numpy()
    se = out["sd"].to_numpy() / np.sqrt(n)
    with np.errstate(invalid="ignore"):
        q = np.where(n > 1, stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)
    half = q * se
    out["se"] = se
    out["ci_low"] = out["difference"] - half
    out["ci_high"] = out["difference"] + half
    out["distinguishable"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    return out[[*keys, *DIFFERENCE_COLUMNS]]


def unpaired_difference(base: pd.DataFrame, alt: pd.DataFrame, keys: Iterable[str], value: str,
                        confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Difference of the two means per key with Welch's normal interval.

    For runs that do not pair (different seeds or replication ids): the replications of
    each run are independent draws, so the standard error is
    ``sqrt(var_a/n_a + var_b/n_b)``. ``replications`` is the smaller of the two counts.
    Same columns as :func:`paired_difference`; keys sorted; keys in one run only are left out.
    """
    keys = list(keys)
    z = stats.norm.ppf(0.5 + confidence / 2)
    ga = alt.groupby(keys, sort=True)[value]
    gb = base.groupby(keys, sort=True)[value]
    a = pd.DataFrame({"value": ga.mean(), "va": ga.var(ddof=1), "na": ga.size()})
    b = pd.DataFrame({"baseline": gb.mean(), "vb": gb.var(ddof=1), "nb": gb.size()})
    out = b.join(a, how="inner").reset_index()
    se = np.sqrt(out["va"] / out["na"] + out["vb"] / out["nb"])
    out["difference"] = out["value"] - out["baseline"]
    out["replications"] = np.minimum(out["na"], out["nb"])
    out["se"] = se
    out["ci_low"] = out["difference"] - z * se
    out["ci_high"] = out["difference"] + z * se
    out["distinguishable"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    return out[[*keys, *DIFFERENCE_COLUMNS]]


def difference(base: pd.DataFrame, alt: pd.DataFrame, keys: Iterable[str], value: str,
               paired: bool, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """:func:`paired_difference` when the runs pair, else :func:`unpaired_difference`."""
    f = paired_difference if paired else unpaired_difference
    return f(base, alt, keys, value, confidence)


def payback_year(cumulative_saving: pd.Series) -> int | None:
    """The first year from which the cumulative net saving stays at or above zero.

    ``cumulative_saving``: the running total over years (index) of baseline cost minus
    scenario cost, DKK. An investment (extra activation) costs first and saves later; it
    has paid back once the running total has turned non-negative *and stays so* to the
    horizon: a total that turns positive and falls back has not paid back. None: not
    within the horizon (or no years).
    """
    s = cumulative_saving.sort_index()
    ok = (s.to_numpy(dtype=float) >= 0)
    if not ok.size or not ok[-1]:
        return None
    below = np.flatnonzero(~ok)
    first = below[-1] + 1 if below.size else 0
    return int(s.index[first])


def goal_status(share_met: float | None, met_share: float, missed_share: float) -> str:
    """``met`` if at least ``met_share`` of the replications meet the goal, ``missed`` if at
    most ``missed_share`` do, ``at risk`` in between; ``not simulated`` without a share
    (the run does not reach the goal's dates).

    The thresholds come from the goals data file (``[plan] met_share``, ``missed_share``):
    the share is the probability of meeting the goal, and an even chance is not a plan.
    """
    if share_met is None or not math.isfinite(share_met):
        return NOT_SIMULATED
    if not 0 <= share_met <= 1:
        raise ValueError(f"share of replications must be in [0, 1], got {share_met}")
    if share_met >= met_share:
        return MET
    if share_met <= missed_share:
        return MISSED
    return AT_RISK
