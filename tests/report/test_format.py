"""Danish and English number formatting: what a reader of a Danish report expects to see."""

from __future__ import annotations

import math

import pytest

from sim.report import format as fmt

M, NB = fmt.MINUS, fmt.NBSP


@pytest.mark.parametrize("x, decimals, da, en", [
    (1557, 0, "1.557", "1,557"),                 # the plan's long-term unemployed
    (1557.4, 0, "1.557", "1,557"),
    (999, 0, "999", "999"),
    (1000, 0, "1.000", "1,000"),
    (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
    (16.91, 1, "16,9", "16.9"),
    (0.5, 0, "1", "1"),                          # half away from zero, not to even
    (2.5, 0, "3", "3"),
    (2.45, 1, "2,5", "2.5"),                     # decimal rounding on the written value, not the float
    (-1557, 0, f"{M}1.557", f"{M}1,557"),        # a true minus sign
    (-0.4, 0, "0", "0"),                         # no "-0"
    (-2.5, 0, f"{M}3", f"{M}3"),
    (0, 2, "0,00", "0.00"),
])
def test_number(x, decimals, da, en):
    assert fmt.number(x, decimals, "da") == da
    assert fmt.number(x, decimals, "en") == en


def test_sign_marks_gains_not_zero():
    assert fmt.number(120, lang="da", sign=True) == "+120"
    assert fmt.number(-120, lang="da", sign=True) == f"{M}120"
    assert fmt.number(0.2, lang="da", sign=True) == "0"


def test_percent_takes_a_share_and_keeps_the_sign_on_one_line():
    assert fmt.percent(0.1691) == f"16,9{NB}%"
    assert fmt.percent(0.1691, lang="en") == f"16.9{NB}%"
    assert fmt.percent(-0.04, 0, sign=True) == f"{M}4{NB}%"
    assert fmt.percent(0.128, 1, sign=True) == f"+12,8{NB}%"


def test_millions_of_kroner():
    assert fmt.dkk_millions(222_000_000) == f"222,0{NB}mio.{NB}kr."
    assert fmt.dkk_millions(95_640_000, 1) == f"95,6{NB}mio.{NB}kr."
    assert fmt.dkk_millions(-29_100_000, 1) == f"{M}29,1{NB}mio.{NB}kr."
    assert fmt.dkk_millions(1_234_500_000, 1, "en") == f"DKK{NB}1,234.5m"


def test_missing_values_show_a_dash_not_zero():
    for f in (fmt.number, fmt.percent, fmt.dkk_millions):
        assert f(math.nan) == fmt.DASH
        assert f(None) == fmt.DASH


def test_intervals():
    assert fmt.interval(1200, 1400) == f"1.200{fmt.DASH}1.400"
    assert fmt.interval(-300, -100) == f"{M}300 til {M}100"
    assert fmt.interval(-300, 100, lang="en", sign=True) == f"{M}300 to +100"
    assert fmt.interval(0.2, -0.3) == "0"  # both ends round to the same number


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError):
        fmt.number(1, lang="de")
