"""benefits.toml: the national file loads, rates convert to weeks, and bad input names file and key."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from sim.model.benefits import DEFAULT_FILE, load_benefits
from sim.errors import SpecError

TEXT = DEFAULT_FILE.read_text(encoding="utf-8")


def test_national_file_loads_and_fits_the_baseline(baseline):
    b = load_benefits()
    b.check(baseline)
    # 2015 kontanthjælp 30+: (0.30 provider × 14,416 + 0.70 × 10,849) per month → per week
    mix = b.households["from_30"]
    expected = (mix["provider"] * 14416 + mix["other"] * 10849) * 12 * 7 / 365.25
    import datetime as dt
    assert b.rates["kontanthjaelp_jobparat"].at(dt.date(2015, 6, 1), 35) == pytest.approx(expected)
    # dagpenge per day × 5: 827 × 5 = 4,135 per week, the published weekly maximum
    assert b.rates["dagpenge"].at(dt.date(2015, 6, 1), 40) == pytest.approx(4135)
    # the co-financing staircase is stored as the state's share: 1 − 0.2, 1 − 0.6, ...
    shares = b.refunds["dagpenge"].shares.at(dt.date(2016, 3, 1))["passive"]
    assert shares == pytest.approx((0.8, 0.4, 0.3, 0.2))


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "benefits.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _sub(old: str, new: str, count: int = 1) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, count)


BAD = [
    # (what, old text, new text, key in the message)
    ("unknown key", 'financing = "a-kasse"\nunit = "share"',
     'financing = "a-kasse"\nunit = "share"\nfinancin = "kommune"', "refund.dagpenge.financin"),
    ("negative rate", "{ from = 2015-01-01, value = 827 }", "{ from = 2015-01-01, value = -827 }",
     "rates.dagpenge.values[1].value"),
    ("share above one", "passive = 0.30, company = 0.50, other = 0.30 },\n  { from = 2016-01-01, staircase = true },\n]\nsource = \"Before 2016",
     "passive = 0.30, company = 1.50, other = 0.30 },\n  { from = 2016-01-01, staircase = true },\n]\nsource = \"Before 2016",
     "refund.kontanthjaelp_jobparat.values[0].company"),
    ("negative share", "refund = [0.80, 0.40, 0.30, 0.20]", "refund = [0.80, -0.40, 0.30, 0.20]",
     "staircase.refund[1]"),
    ("dates out of order", "{ from = 2016-01-01, value = 836 }", "{ from = 2014-06-01, value = 836 }",
     "rates.dagpenge.values[2].from"),
    ("household shares", "provider = 0.30\nother = 0.70", "provider = 0.30\nother = 0.60",
     "households.from_30"),
    ("category not in the mix", "{ from = 2014-01-01, single = 214000, couple = 182000 }",
     "{ from = 2014-01-01, single = 214000, widowed = 182000 }", "rates.foertidspension.values[0].widowed"),
    ("staircase length", "cofinancing = [0.20, 0.60, 0.70, 0.80]", "cofinancing = [0.20, 0.60, 0.70]",
     "staircase.cofinancing"),
    ("activation refund text", 'values = [{ from = 2010-01-01, refund = "benefit" }]\nsource = "As loentilskud_privat',
     'values = [{ from = 2010-01-01, refund = "benefits" }]\nsource = "As loentilskud_privat',
     "activation.loentilskud_offentlig.values[0].refund"),
    ("unknown unit", 'unit = "DKK per year"', 'unit = "DKK per fortnight"', "rates.foertidspension.unit"),
]


@pytest.mark.parametrize("what,old,new,key", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_file_and_key(tmp_path, what, old, new, key):
    path = _write(tmp_path, _sub(old, new))
    with pytest.raises(SpecError) as err:
        load_benefits(path)
    assert err.value.file == str(path)
    assert err.value.key == key, str(err.value)
    assert str(err.value).startswith(f"{path}: {key}: ")


def test_missing_rate_for_a_state_is_an_error(tmp_path, baseline):
    text = re.sub(r"\[rates\.ledighedsydelse\].*?(?=\n\[)", "", TEXT, flags=re.S)
    path = _write(tmp_path, text)
    b = load_benefits(path)
    with pytest.raises(SpecError) as err:
        b.check(baseline)
    assert (err.value.file, err.value.key) == (str(path), "rates.ledighedsydelse")


def test_rate_for_an_unknown_state_is_an_error(tmp_path, baseline):
    path = _write(tmp_path, TEXT.replace("[rates.employed]", "[rates.employd]"))
    with pytest.raises(SpecError) as err:
        load_benefits(path).check(baseline)
    assert err.value.key == "rates.employd"


def test_staircase_steps_must_match_the_engines_support_bands(baseline):
    b = load_benefits()
    other = replace(b.staircase, weeks=(0.0, 4.0, 26.0, 53.0))
    with pytest.raises(SpecError) as err:
        replace(b, staircase=other).check(baseline)
    assert err.value.key == "staircase.weeks"


def test_missing_file_and_syntax_error(tmp_path):
    with pytest.raises(SpecError, match="file not found"):
        load_benefits(tmp_path / "nope.toml")
    path = _write(tmp_path, TEXT + "\n[broken\n")
    with pytest.raises(SpecError, match="TOML syntax error"):
        load_benefits(path)
