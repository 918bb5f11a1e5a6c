"""Activation offers: when they come, which instrument, waiting for a place, and effects.

Policy logic lives here and only here. An offer sets an :class:`~sim.model.hazards.Effect`
on the citizen (the instrument's ``during`` multipliers, then its ``after``
multipliers); the engine multiplies the named hazards and never learns which offer
did it. Places are SimPy resources: when they run out, people queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import simpy

from sim.spec.calendar import NEVER, Calendar, Timeline
from sim.model.hazards import Effect
from sim.spec.scenario import Scenario


@dataclass(frozen=True)
class Boost:
    """Extra multipliers on named hazards for one citizen, on top of any instrument's effect.

    A virtual trial's "more contact" arm (:mod:`sim.studies.trial`): ``factors`` holds
    ``(source, dest, multiplier)`` by state index, so ``dagpenge->employed × 1.2``
    applies only while the citizen is on dagpenge. The boost outlives state changes
    (it is the citizen's, not the spell's) until it is removed.
    """

    factors: tuple[tuple[int, int, float], ...]

    def compose(self, base: Effect | None, state: int) -> Effect | None:
        """``base`` times this boost's multipliers for hazards out of ``state``.

        The key keeps ``base.key`` as its prefix, so code that asks "is this the
        'during' phase of instrument i" (``key[0]``, ``key[1]``) still can.
        """
        mine = [(d, m) for s, d, m in self.factors if s == state]
        if not mine:
            return base
        mult = dict(base.multipliers) if base is not None else {}
        for d, m in mine:
            mult[d] = mult.get(d, 1.0) * m
        tag = ("boost", self.factors)
        key = base.key + (tag,) if base is not None else tag
        return Effect(key, tuple(sorted(mult.items())))


class Activation:
    """The job centre's activation of its target groups under a scenario's policy."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, calendar: Calendar,
                 wake: Callable, recorder) -> None:
        self.env = env
        self.wake = wake
        self.recorder = recorder
        index = {n: i for i, n in enumerate(scenario.state_names)}
        self.names = list(scenario.instruments)
        self.instruments = [scenario.instruments[n] for n in self.names]
        self.places = [
            simpy.Resource(env, capacity=max(1, int(round(scenario.places[n] * scenario.scale))))
            for n in self.names
        ]
        self.during = [Effect(("during", i), tuple((index[d], m) for d, m in inst.during.items()))
                       for i, inst in enumerate(self.instruments)]
        self.after = [Effect(("after", i), tuple((index[d], m) for d, m in inst.after.items()))
                      if inst.after_weeks > 0 and inst.after else None
                      for i, inst in enumerate(self.instruments)]
        self.company = [inst.company_placement for inst in self.instruments]
        self.policy: list = [None] * len(scenario.states)
        for group, p in scenario.policies.items():
            cum, items, acc = [], [], 0.0
            for name, share in p.mix.items():
                if share <= 0:
                    continue
                acc += share
                cum.append(acc)
                items.append(self.names.index(name))
            cum[-1] = 1.0
            self.policy[index[group]] = (
                p.exempt_share, p.first_offer_week.timeline(calendar),
                p.repeat_weeks.timeline(calendar), tuple(cum), tuple(items),
            )
        self.boosts: dict = {}  # citizen id -> (Boost, the effect it multiplies)
        # handovers to other actors: per group (share, first week, last week, instrument)
        self.referral: list = [None] * len(scenario.states)
        for group, r in scenario.referrals.items():
            self.referral[index[group]] = (r.share, r.weeks[0], r.weeks[1],
                                           self.names.index(r.instrument))
        self.handover_at: dict = {}  # citizen id -> time of the handover due in this spell

    # -- the engine calls these ------------------------------------------------------
    def on_entry(self, c, now: float) -> None:
        """A citizen entered a state: schedule the first offer if it is a target group."""
        if self.boosts and c.id in self.boosts:
            self._set(c, None)  # a boost follows the citizen into the new state
        pol = self.policy[c.state]
        if pol is None:
            c.offer_at = NEVER
        else:
            first: Timeline = pol[1]
            c.offer_at = c.entered + first.at(c.entered)[c.age]
        if self.handover_at:
            self.handover_at.pop(c.id, None)  # a handover belongs to the spell it was drawn in
        if self.referral[c.state] is not None:
            self._refer(c, now)

    def start_initial(self, c, now: float) -> None:
        """A citizen already in a spell at the start: past the first offer, the next comes
        at a uniform point of the repeat interval (or never, if offers do not repeat)."""
        self.on_entry(c, now)
        pol = self.policy[c.state]
        if pol is None or c.entered + pol[1].at(c.entered)[c.age] >= now:
            return
        repeat = pol[2].at(now)
        self._next_offer(c, now, now + c.streams.activation.uniform() * repeat if repeat > 0 else NEVER)

    def on_offer(self, c, now: float) -> None:
        """The offer is due: exempt, or choose an instrument and ask for a place."""
        if self.handover_at and self.handover_at.get(c.id, NEVER) <= now:
            self._hand_over(c, now)
            return
        exempt, _, repeat, cum, items = self.policy[c.state]
        c.offer_at = NEVER
        stream = c.streams.activation
        # two draws whatever the outcome, so a citizen's later offers use the same numbers
        # in scenarios with a different exempt share (common random numbers)
        u_exempt, u_choice = stream.uniform(), stream.uniform()
        if u_exempt < exempt:
            r = repeat.at(now)
            self._next_offer(c, now, now + r if r > 0 else NEVER)
            self.recorder.offer(c, now, None)
            return
        i = items[next((k for k, c_ in enumerate(cum) if u_choice < c_), len(cum) - 1)]
        self._request(c, i, now)

    def on_effect_end(self, c, now: float) -> None:
        """The programme (or its after-effect) ends."""
        if c.effect is not None and c.effect.key[0] == "during":
            i, req = c.request
            self.recorder.programme_episode(c.state, i, c.prog_since, now)
            if req is not None:
                self.places[i].release(req)
            c.request = None
            after = self.after[i]
            self._set(c, after)
            c.effect_until = now + self.instruments[i].after_weeks if after else NEVER
            repeat = self.policy[c.state][2].at(now) if self.policy[c.state] else 0.0
            self._next_offer(c, now, now + repeat if repeat > 0 else NEVER)
        else:
            self._set(c, None)
            c.effect_until = NEVER

    def on_exit(self, c, now: float) -> None:
        """The citizen left the state: free the place or leave the queue; effects end."""
        self._stop(c, now)
        c.effect = None  # a boost is recomposed for the next state in on_entry
        c.offer_at = NEVER

    # -- called by virtual trials (sim.studies.trial), never by the engine -----------------------
    def start_now(self, c, name: str, now: float) -> None:
        """Start instrument ``name`` for ``c`` at once, on a pilot's own place.

        The place is outside the municipality's quota (a pilot funds its mentors), so
        nobody else waits longer; a programme or queue the citizen was in ends first.
        The caller wakes the citizen, whose hazards changed.
        """
        self._stop(c, now)
        c.request = (self.names.index(name), None)
        c.offer_at = NEVER
        self._start(c, now)

    def add_boost(self, c, boost: Boost) -> None:
        """Multiply some of ``c``'s named hazards until :meth:`remove_boost` (caller wakes ``c``)."""
        base = self.boosts[c.id][1] if c.id in self.boosts else c.effect
        self.boosts[c.id] = (boost, base)
        self._set(c, base)

    def remove_boost(self, c) -> None:
        entry = self.boosts.pop(c.id, None)
        if entry is not None:
            c.effect = entry[1]

    # -- other actors (andre aktører) ---------------------------------------------------
    def _refer(self, c, now: float) -> None:
        """Decide on entry whether, and when, this spell is handed to another actor.

        Two draws from the citizen's own referral stream whatever the share, so scenarios
        that refer more or fewer people keep everyone else's numbers. Spells already past
        the handover week at the start are not handed over (an approximation).
        """
        share, first, last, _ = self.referral[c.state]
        stream = c.streams.referral
        u, v = stream.uniform(), stream.uniform()
        at = c.entered + first + (last - first) * v
        if u < share and at >= now:
            self.handover_at[c.id] = at
            c.offer_at = min(c.offer_at, at)

    def _hand_over(self, c, now: float) -> None:
        """The other actor takes the case: its programme replaces the job centre's offers.

        Someone already in (or queuing for) one of the job centre's programmes stays with
        the job centre; the actor's programme can queue for its places like any offer.
        """
        del self.handover_at[c.id]
        c.offer_at = NEVER  # the actor's programme, or the one in progress, comes first
        if c.request is not None:
            return
        self._request(c, self.referral[c.state][3], now)

    def _next_offer(self, c, now: float, at: float) -> None:
        """Schedule the job centre's next offer, or the handover if that comes first.

        A handover whose week passed while the citizen was in a job-centre programme is
        dropped: the case stays with the job centre.
        """
        handover = self.handover_at.get(c.id, NEVER) if self.handover_at else NEVER
        if handover < now:
            del self.handover_at[c.id]
            handover = NEVER
        c.offer_at = min(at, handover)

    # -- internals ----------------------------------------------------------------------
    def _set(self, c, base: Effect | None) -> None:
        """Set the citizen's effect: an instrument's phase (or none), times any boost."""
        entry = self.boosts.get(c.id) if self.boosts else None
        if entry is None:
            c.effect = base
        else:
            self.boosts[c.id] = (entry[0], base)
            c.effect = entry[0].compose(base, c.state)

    def _stop(self, c, now: float) -> None:
        """End the programme in progress (free its place) or leave the queue."""
        if c.effect is not None and c.effect.key[0] == "during":
            self.recorder.programme_episode(c.state, c.effect.key[1], c.prog_since, now)
        if c.request is not None:
            i, req = c.request
            if req is None:
                pass  # a pilot's own place
            elif req.triggered:
                self.places[i].release(req)
            else:
                req.cancel()
            c.request = None
        self._set(c, None)
        c.effect_until = NEVER

    def _request(self, c, i: int, now: float) -> None:
        """Ask for a place in instrument ``i``: start at once, or queue until one is free."""
        req = self.places[i].request()
        c.request = (i, req)
        if req.triggered:
            self._start(c, now)
        else:
            self.recorder.offer(c, now, -1 - i)  # waiting
            req.callbacks.append(lambda _ev, c=c: self._granted(c))

    def _start(self, c, now: float) -> None:
        i, _ = c.request
        self._set(c, self.during[i])
        c.prog_since = now
        c.effect_until = now + self.instruments[i].duration_weeks
        c.history.append((now, self.names[i]))
        self.recorder.offer(c, now, i)

    def _granted(self, c) -> None:
        if c.request is None:  # pragma: no cover - cancelled requests never trigger
            return
        self._start(c, self.env.now)
        self.wake(c)

    # -- observation ------------------------------------------------------------------------
    def usage(self) -> list[tuple[int, int]]:
        """(places in use, people waiting) per instrument, now."""
        return [(p.count, len(p.queue)) for p in self.places]
