"""Virtual trials: honest intervals, a true effect that is right, and controls left alone.

Most tests use the tiny three-state model (tests/tiny_model.py): constant hazards and no
places, so the effect of a hazard multiplier has a closed form and citizens never
interact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from sim.cli import main
from sim.studies.cohort import parse_criteria
from sim.engines.simpy_engine import simulate
from sim.errors import SpecError
from sim.studies.trial import design, newcombe, parse_intervention, run_trial, simulate_trial

from .conftest import BASELINE
from .tiny_model import employed_share, tiny

AT = "2015-01-29"  # four weeks after the start
GROUP = "state=dagpenge,max_age=60"  # nobody reaches pension age during the trial
SIZE = 100
FOLLOWUP = 13.0


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny(tmp_path_factory.mktemp("tiny"), n=400)


def _trial(sc, intervention, outcomes="employed,started_education"):
    return design(sc, parse_criteria(GROUP, sc), AT, SIZE, intervention, outcomes, FOLLOWUP)


def test_newcombe_matches_the_published_example():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10
    d, lo, hi = newcombe(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_zero_effect_intervals_cover_zero_at_the_nominal_rate(model):
    # K independent pilots of an instrument that changes nothing (true effect 0). If the
    # 95 % intervals are honest, the number that cover 0 is Binomial(K, 0.95); accept the
    # central 99.9 % of that distribution, so a correct interval fails this test once in
    # a thousand seeds, and an interval with 90 % coverage (mean 180) fails it nearly always.
    K = 200
    lo_ok, hi_ok = binom.ppf(0.0005, K, 0.95), binom.isf(0.0005, K, 0.95)
    trial = _trial(model, "placebo")
    covers = {o: 0 for o in trial.outcomes}
    shares = []
    for r in range(K):
        w = simulate_trial(model, trial, seed=11, replication=r)
        assert len(w.treatment) == len(w.control) == SIZE
        for k, o in enumerate(trial.outcomes):
            yt, yc = w.y[w.treatment, k], w.y[w.control, k]
            _, lo, hi = newcombe(int(yt.sum()), SIZE, int(yc.sum()), SIZE)
            covers[o] += lo <= 0.0 <= hi
        shares.append(w.y.mean(axis=0))
    # the two outcomes are one common (≈ 40 %) and one rare (≈ 6 %) proportion
    assert 0.3 < np.mean(shares, axis=0)[0] < 0.6 and 0.02 < np.mean(shares, axis=0)[1] < 0.12
    for o, n in covers.items():
        assert lo_ok <= n <= hi_ok, (o, n, (lo_ok, hi_ok))


def test_large_effect_is_detected_and_the_true_effect_matches_the_closed_form(model):
    trial = _trial(model, f"contact:dagpenge->employed*3:{FOLLOWUP:g}", "employed")
    R = 4
    res = run_trial(model, trial, replications=R, seed=5)
    p = res.pilots
    assert (p["lo"] > 0).all(), p  # z ≈ 5 per pilot: a miss has probability < 1e-6
    # The true effect (everyone vs no one, common random numbers) against expm. Per
    # replication it is a difference of two shares over N eligible; with Cov >= 0 (the same
    # uniforms drive both worlds, and a faster exit can only raise employment here) its
    # variance is at most (p1 q1 + p0 q0) / N; over R replications divide by R. 4 sigma.
    p1, p0 = employed_share(FOLLOWUP, 3.0), employed_share(FOLLOWUP)
    n = res.truth["eligible"].mean()
    se = math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / (n * R))
    true = res.summary.set_index("outcome").loc["employed", "true_effect"]
    assert abs(true - (p1 - p0)) < 4 * se, (true, p1 - p0, se)
    assert abs(res.truth["share_none"].mean() - p0) < 4 * math.sqrt(p0 * (1 - p0) / (n * R))
    # and the pilots scatter around it: their mean has variance (p1 q1 + p0 q0) / (SIZE R)
    se_pilot = math.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / (SIZE * R))
    assert abs(p["estimate"].mean() - (p1 - p0)) < 4 * se_pilot


def test_controls_live_the_same_lives_whatever_the_treated_get(model):
    trial = _trial(model, "contact:dagpenge->employed*3:13", "employed,started_education")
    w = simulate_trial(model, trial, seed=3, replication=0, world="trial")
    w0 = simulate_trial(model, trial, seed=3, replication=0, world="none")
    assert w.ids == w0.ids and w.treatment == w0.treatment and w.control == w0.control
    assert not set(w.treatment) & set(w.control)
    untreated = [i for i in range(len(w.ids)) if i not in set(w.treatment)]
    assert len(untreated) > SIZE
    assert (w.y[untreated] == w0.y[untreated]).all()  # per-citizen streams: nobody else disturbed
    assert (w.y[w.treatment, 0] != w0.y[w.treatment, 0]).any()  # the treated did change


def test_a_multiplier_of_one_has_exactly_zero_true_effect(model):
    trial = _trial(model, "contact:dagpenge->employed*1.0:13")
    res = run_trial(model, trial, replications=2, seed=8)
    assert (res.truth["effect"] == 0.0).all()
    assert (res.truth["share_all"] > 0).all()


def test_the_split_depends_only_on_the_replication_and_the_group(model):
    a = simulate_trial(model, _trial(model, "placebo"), seed=3, replication=1)
    b = simulate_trial(model, _trial(model, "contact:dagpenge->education*5:4"), seed=3, replication=1)
    c = simulate_trial(model, _trial(model, "placebo"), seed=3, replication=2)
    assert (a.ids, a.treatment, a.control) == (b.ids, b.treatment, b.control)
    assert a.treatment != c.treatment


@pytest.mark.parametrize("text, message", [
    ("nosuch", "unknown instrument"),
    ("contact:dagpenge->fleksjob*1.2:26", "no hazard"),
    ("contact:dagpenge->employed*x:26", "expected SOURCE->DEST*FACTOR"),
    ("contact:dagpenge->employed*1.2:-3", "weeks must be positive"),
    ("contact:dagpenge->employed*1.2", "expected an instrument"),
])
def test_bad_interventions_name_the_option(model, text, message):
    with pytest.raises(SpecError) as e:
        parse_intervention(text, model)
    assert e.value.key == "--intervention" and message in e.value.message


def test_trial_command_writes_tables_and_rejects_bad_input(tmp_path, capsys):
    out = tmp_path / "t"
    args = ["trial", str(BASELINE), "--scale", "0.02", "--at", "2015-03-01", "--size", "15",
            "--group", "state=dagpenge|kontanthjaelp_jobparat", "--intervention", "mentor",
            "--followup", "8", "--replications", "1", "--out", str(out)]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} == {"pilots.csv", "truth.csv", "summary.csv", "manifest.json"}
    assert "true effect" in capsys.readouterr().out
    bad = tmp_path / "bad"
    assert main(args[:-1] + [str(bad)] + ["--outcomes", "employed,happiness"]) == 2
    assert "--outcomes.happiness" in capsys.readouterr().err and not bad.exists()


def test_a_boost_multiplies_whatever_instrument_runs_and_follows_state_changes(baseline):
    """Baseline activation runs underneath: the boost multiplies the instrument's effect,
    applies only in its source state, and leaves the instrument's effect when removed."""
    sc = baseline.scaled(0.03)
    iv = parse_intervention("contact:dagpenge->employed*1.5:20", sc)
    emp, dp = sc.state_names.index("employed"), sc.state_names.index("dagpenge")
    seen = {"during": 0, "moved": 0}

    class Check:
        times = [10.0, 20.0, 30.0]
        boosted: list = []

        def __call__(self, sim, t):
            if t == 10.0:
                self.boosted = list(sim.members[dp].values())
                for c in self.boosted:
                    iv.start(sim, c, t)
                    sim._wake(c)
                return
            for c in self.boosted:
                base = sim.activation.boosts[c.id][1] if t == 20.0 else c.effect
                mult = dict(c.effect.multipliers) if c.effect else {}
                want = dict(base.multipliers) if base else {}
                if t == 20.0 and c.state == dp:
                    want[emp] = want.get(emp, 1.0) * 1.5
                    seen["during"] += base is not None and base.key[0] == "during"
                    assert c.effect.key[:len(base.key)] == base.key if base else True
                elif t == 20.0:
                    seen["moved"] += 1
                assert mult == pytest.approx(want), (t, c.id)
                if t == 20.0:
                    iv.end(sim, c)
                else:
                    assert c.id not in sim.activation.boosts
                    assert c.effect is None or "boost" not in str(c.effect.key)

    simulate(sc, years=31 / 52.1775, seed=2, watchers=(Check(),))
    assert seen["during"] > 0 and seen["moved"] > 0  # both cases occurred


def test_the_result_does_not_depend_on_the_executor(model):
    trial = _trial(model, "contact:dagpenge->employed*2:13", "employed")
    a = run_trial(model, trial, replications=2, seed=6, executor="sequential")
    b = run_trial(model, trial, replications=2, seed=6, workers=2, executor="processes")
    assert len(a.pilots) == 2 and len(a.truth) == 2  # something to compare
    assert a.pilots.to_csv(index=False) == b.pilots.to_csv(index=False)
    assert a.truth.to_csv(index=False) == b.truth.to_csv(index=False)
    assert a.summary.to_csv(index=False) == b.summary.to_csv(index=False)
