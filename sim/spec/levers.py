"""Policy levers that are not already primitives, compiled into primitives at load time.

The job centre's levers (docs/levers.md) either are primitives the engines know —
offer timing, instrument mix, exempt share and places (``[activation]``), inflow
volumes (``[inflows]``), the business-cycle path (``[business_cycle]``) — or are read
here from ``[levers]`` and turned into them:

* ``levers.contact.<group>``: meetings per month → a multiplier
  ``(meetings / reference)^elasticity`` on named hazards;
* ``levers.visitation.<name>``: a multiplier on named hazards (e.g. all hazards into
  ressourceforløb);
* ``levers.early_sickness_follow_up``: a multiplier on named hazards in the first
  ``weeks`` of the spell (the duration band is split at ``weeks``);
* ``levers.sygedagpenge_extension``: the share extended at a rule's deadline (the
  rule's ``stay`` branch; the other branches keep their proportions), dated.

Because every lever ends as hazard rates or rule branch shares, every engine that
reads a :class:`~sim.spec.scenario.Scenario` supports it with no engine code. A lever at its
reference value compiles to *nothing* (no multiplication by 1.0, no extra band or
date), so the scenario — and every random draw — is bit-for-bit the baseline's.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import replace
from typing import TYPE_CHECKING

from sim.spec.calendar import Dated
from sim.spec.schema import Node

if TYPE_CHECKING:  # pragma: no cover
    from sim.spec.scenario import _Context

STAY = "stay"


def apply(ctx: "_Context", root: Node | None) -> None:
    """Read ``[levers]`` and compile each lever into ``ctx.hazards`` / ``ctx.rules``."""
    if root is None:
        return
    contact = root.node("contact", {})
    for group, c in contact.nodes():
        ctx.state(contact, group, group, living=True)
        ctx.ref(c, f"contact {group}")
        c.str("unit", choices=("meetings per month",))
        meetings = c.number("meetings_per_month", lo=0.01, hi=31.0)
        reference = c.number("reference_meetings_per_month", lo=0.01, hi=31.0)
        elasticity = c.number("elasticity", lo=0.0, hi=2.0)
        names = _hazard_names(ctx, c, "hazards")
        if meetings != reference and elasticity != 0.0:
            _scale(ctx, names, (meetings / reference) ** elasticity)
        c.done()
    contact.done()

    visitation = root.node("visitation", {})
    for name, v in visitation.nodes():
        ctx.ref(v, f"visitation {name}")
        v.str("unit", choices=("multiplier",))
        factor = v.number("multiplier", lo=0.0, hi=20.0)
        names = _hazard_names(ctx, v, "hazards")
        if factor != 1.0:
            _scale(ctx, names, factor)
        v.done()
    visitation.done()

    early = root.node("early_sickness_follow_up", None)
    if early is not None:
        ctx.ref(early, "early sickness follow-up")
        early.str("unit", choices=("multiplier",))
        factor = early.number("multiplier", lo=0.0, hi=20.0)
        weeks = early.number("weeks", lo=0.1, hi=520.0)
        names = _hazard_names(ctx, early, "hazards")
        if factor != 1.0:
            _scale(ctx, names, factor, below_weeks=weeks)
        early.done()

    ext = root.node("sygedagpenge_extension", None)
    if ext is not None:
        ctx.ref(ext, "sygedagpenge extension")
        ext.str("unit", choices=("share",))
        rule_name = ext.str("rule")
        found = [i for i, r in enumerate(ctx.rules) if r.name == rule_name]
        if not found:
            raise ext.error("rule", f"no rule {rule_name!r}; known: {[r.name for r in ctx.rules]}")
        i = found[0]
        rule = ctx.rules[i]
        if not any(STAY in shares for shares in rule.then.values):
            raise ext.error("rule", f"rule {rule_name!r} has no 'stay' (extension) branch")
        share = ctx.dated(ext, "extended_share",
                          lambda n, k, raw: n.number("value", lo=0.0, hi=1.0) if k is None
                          else n.number(k, lo=0.0, hi=1.0))
        ctx.rules[i] = replace(rule, then=extended(rule.then, share, ext))
        ext.done()
    root.done()


def _hazard_names(ctx: "_Context", node: Node, key: str) -> list[str]:
    names = node.list(key)
    known = {h.name for h in ctx.hazards}
    if not names:
        raise node.error(key, "names no hazard")
    for i, n in enumerate(names):
        if not isinstance(n, str):
            raise node.error(f"{key}[{i}]", f"expected a hazard name like 'dagpenge->employed', got {n!r}")
        if n not in known:
            raise node.error(key, f"no hazard {n!r} (hazards are named 'source->dest')")
    return names


def _scale(ctx: "_Context", names: list[str], factor: float, below_weeks: float | None = None) -> None:
    """Multiply the named hazards (only their first ``below_weeks`` of the spell, if given)."""
    out = []
    for h in ctx.hazards:
        if h.name not in names:
            out.append(h)
            continue
        if below_weeks is None:
            out.append(replace(h, rate=tuple(r * factor for r in h.rate)))
            continue
        bands = list(h.duration_weeks)
        rates = list(h.rate)
        k = bisect.bisect_right(bands, below_weeks) - 1
        if bands[k] != below_weeks:  # split the band that holds the cut
            bands.insert(k + 1, below_weeks)
            rates.insert(k + 1, rates[k])
        rates = [r * factor if lo < below_weeks else r for lo, r in zip(bands, rates)]
        out.append(replace(h, duration_weeks=tuple(float(b) for b in bands), rate=tuple(rates)))
    ctx.hazards[:] = out


def extended(then: Dated, share: Dated, node: Node) -> Dated:
    """A rule's dated branch shares with the ``stay`` share set to ``share`` where it is given.

    The other branches keep their proportions. Dates of ``share`` add breakpoints only
    where the result changes, so a share equal to the law's changes nothing.
    """
    dates = sorted(set(then.dates) | {d for d in share.dates if d > then.dates[0]})
    out_dates: list = []
    out_values: list = []
    for d in dates:
        shares = dict(then.at(d))
        if share.dates[0] <= d:
            x = share.at(d)
            old = shares.get(STAY, 0.0)
            if x != old:
                rest = 1.0 - old
                if rest <= 0 and x < 1:
                    raise node.error("extended_share", "the rule extends everyone; no branch to move people to")
                shares = {k: (x if k == STAY else v * (1.0 - x) / rest) for k, v in shares.items()}
                shares.setdefault(STAY, x)
                if not math.isclose(sum(shares.values()), 1.0, abs_tol=1e-9):
                    raise node.error("extended_share", "shares do not sum to one")
        if out_values and shares == out_values[-1]:
            continue
        out_dates.append(d)
        out_values.append(shares)
    return Dated(tuple(out_dates), tuple(out_values))
