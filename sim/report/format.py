"""Numbers as a Danish (or English) reader expects them: 1.557 · 16,9 % · 12,3 mio. kr.

Danish uses a point for thousands and a comma for decimals (Retskrivningsordbogen §
"Tal"); English the reverse. Rounding is half away from zero, as people round by hand
(Python's own ``round`` rounds half to even and would print 2 for 2.5). Negative
numbers get a true minus sign (U+2212), which does not break across lines or look like
a hyphen in a table.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"
NBSP = "\u00a0"  # keeps "16,9 %" and "12 mio. kr." on one line
DASH = "\u2013"  # en dash, for ranges "1.200–1.400"
LANGS = ("da", "en")
_SEPARATORS = {"da": (".", ","), "en": (",", ".")}


def _check(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"language must be one of {LANGS}, got {lang!r}")


def number(x: float, decimals: int = 0, lang: str = "da", sign: bool = False) -> str:
    """``1557.4`` → ``"1.557"`` (da) or ``"1,557"`` (en); ``sign=True`` writes ``+`` for gains.

    Missing values (None, NaN) print as an en dash: a blank cell would read as zero.
    """
    _check(lang)
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return DASH
    q = Decimal(str(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    negative = q < 0
    if q == 0:  # "-0" after rounding is zero
        negative = False
        q = abs(q)
    whole, _, frac = f"{abs(q):f}".partition(".")
    thousands, point = _SEPARATORS[lang]
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = thousands.join(groups) + (point + frac if decimals > 0 else "")
    if negative:
        return MINUS + text
    return ("+" + text) if sign and q > 0 else text


def percent(share: float, decimals: int = 1, lang: str = "da", sign: bool = False) -> str:
    """A share ``0.1691`` → ``"16,9 %"``; Danish and the SI put a space before the sign."""
    if share is None or (isinstance(share, float) and not math.isfinite(share)):
        return DASH
    return f"{number(share * 100, decimals, lang, sign)}{NBSP}%"


def dkk_millions(dkk: float, decimals: int = 1, lang: str = "da", sign: bool = False) -> str:
    """Kroner → ``"12,3 mio. kr."`` (da) or ``"DKK 12.3m"`` (en)."""
    if dkk is None or (isinstance(dkk, float) and not math.isfinite(dkk)):
        return DASH
    n = number(dkk / 1e6, decimals, lang, sign)
    return f"{n}{NBSP}mio.{NBSP}kr." if lang == "da" else f"DKK{NBSP}{n}m"


def interval(lo: float, hi: float, decimals: int = 0, lang: str = "da", sign: bool = False) -> str:
    """``"1.200–1.400"``; with negative ends ``"−300 til −100"`` (a dash between minus signs misreads)."""
    a, b = number(lo, decimals, lang, sign), number(hi, decimals, lang, sign)
    if a == b:  # an interval that rounds to one number is that number
        return a
    if a.startswith((MINUS, "+")) or b.startswith((MINUS, "+")):
        return f"{a} {'til' if lang == 'da' else 'to'} {b}"
    return f"{a}{DASH}{b}"
