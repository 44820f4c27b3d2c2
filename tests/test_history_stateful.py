"""The event-style history, driven by a state machine against a plain-dict model."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from partner_of_record.errors import LedgerError
from partner_of_record.ledger import EventError, Ledger
from partner_of_record.model import (
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Workload,
)

K = AssociationKind
DAY0 = dt.date(2024, 1, 1)
HORIZON = 50
"""Events happen on days DAY0 .. DAY0 + HORIZON; invariants look one week further."""

SUBS = {"AZ": Workload.AZURE, "O365": Workload.OFFICE_365, "PBI": Workload.POWER_BI}
PARTNERS = ("P1", "P2", "P3")

subs = st.sampled_from(sorted(SUBS))
partners = st.sampled_from(PARTNERS)
days = st.integers(0, HORIZON).map(lambda n: DAY0 + dt.timedelta(days=n))
# a record of the model: (partner, kind, start, end); end None while open
Row = tuple[str, AssociationKind, dt.date, dt.date | None]


def _overlaps(row: Row, start: dt.date, end: dt.date | None) -> bool:
    _, _, s, e = row
    return (end is None or s < end) and (e is None or start < e)


def _in_effect(row: Row, day: dt.date) -> bool:
    _, _, s, e = row
    return s <= day and (e is None or day < e)


class History(RuleBasedStateMachine):
    """Events applied to a Ledger and to a dict ``sub -> [(partner, kind, start, end)]``."""

    def __init__(self) -> None:
        super().__init__()
        self.ledger = Ledger(
            [Partner(p) for p in PARTNERS],
            [Customer("C1")],
            [Subscription(s, "C1", w) for s, w in SUBS.items()],
        )
        self.model: dict[str, list[Row]] = {s: [] for s in SUBS}

    # ---------------------------------------------------------------- model helpers

    def _open(self, sub: str, partner: str, kind: AssociationKind, start: dt.date) -> type | None:
        """The error expected when starting an open association, or None."""
        if any(
            p == partner and k is kind and _overlaps((p, k, s, e), start, None)
            for p, k, s, e in self.model[sub]
        ):
            return EventError
        return None

    def _end(self, sub: str, partner: str, kind: AssociationKind, day: dt.date) -> int | None:
        """The index of the association an end event closes, or None if it must be refused."""
        for i, row in enumerate(self.model[sub]):
            p, k, s, _ = row
            if p == partner and k is kind and _in_effect(row, day) and s < day:
                return i
        return None

    def _apply(self, event: object, expected: type | None) -> bool:
        """Apply the event to the ledger; check it raised iff the model expects an error."""
        if expected is not None:
            with pytest.raises(expected):
                event()  # type: ignore[operator]
            return False
        self.ledger = event()  # type: ignore[operator]
        return True

    # ---------------------------------------------------------------- events

    @rule(sub=subs, partner=partners, day=days)
    def name_dpor(self, sub: str, partner: str, day: dt.date) -> None:
        """The customer names a DPOR; the one in effect ends that day."""
        rows = self.model[sub]
        dpors = [i for i, r in enumerate(rows) if r[1] is K.DPOR]
        current = next((i for i in dpors if _in_effect(rows[i], day)), None)
        expected: type | None = None
        later = any(rows[i][2] > day for i in dpors)
        if later or (current is not None and partner == rows[current][0]):
            expected = EventError
        elif current is not None and rows[current][2] == day:
            expected = EventError  # a DPOR cannot end on its first day
        elif SUBS[sub] is Workload.POWER_BI:  # not a DPOR workload in any era
            expected = LedgerError
        if self._apply(lambda: self.ledger.name_dpor(sub, partner, day), expected):
            if current is not None:
                p, k, s, _ = rows[current]
                rows[current] = (p, k, s, day)
            rows.append((partner, K.DPOR, day, None))

    @rule(sub=subs, day=days)
    def remove_dpor(self, sub: str, day: dt.date) -> None:
        """The customer removes the DPOR in effect; it ends that day."""
        rows = self.model[sub]
        current = next(
            (i for i, r in enumerate(rows) if r[1] is K.DPOR and _in_effect(r, day)), None
        )
        ok = current is not None and rows[current][2] < day
        if self._apply(lambda: self.ledger.remove_dpor(sub, day), None if ok else EventError):
            assert current is not None
            p, k, s, _ = rows[current]
            rows[current] = (p, k, s, day)

    @rule(sub=subs, partner=partners, day=days)
    def link_pal(self, sub: str, partner: str, day: dt.date) -> None:
        """A partner links its ID to a subscription."""
        expected = self._open(sub, partner, K.PAL, day)
        if self._apply(lambda: self.ledger.link_pal(sub, partner, day), expected):
            self.model[sub].append((partner, K.PAL, day, None))

    @rule(sub=subs, partner=partners, day=days)
    def unlink_pal(self, sub: str, partner: str, day: dt.date) -> None:
        """A PAL link is removed."""
        i = self._end(sub, partner, K.PAL, day)
        expected = EventError if i is None else None
        if self._apply(lambda: self.ledger.unlink_pal(sub, partner, day), expected):
            assert i is not None
            p, k, s, _ = self.model[sub][i]
            self.model[sub][i] = (p, k, s, day)

    @rule(sub=subs, partner=partners, day=days)
    def grant_dap(self, sub: str, partner: str, day: dt.date) -> None:
        """The customer grants DAP (refused on Azure)."""
        expected = self._open(sub, partner, K.DAP, day)
        if expected is None and SUBS[sub] is Workload.AZURE:
            expected = LedgerError
        if self._apply(lambda: self.ledger.grant_dap(sub, partner, day), expected):
            self.model[sub].append((partner, K.DAP, day, None))

    @rule(sub=subs, partner=partners, day=days)
    def revoke_dap(self, sub: str, partner: str, day: dt.date) -> None:
        """The customer revokes DAP."""
        i = self._end(sub, partner, K.DAP, day)
        expected = EventError if i is None else None
        if self._apply(lambda: self.ledger.revoke_dap(sub, partner, day), expected):
            assert i is not None
            p, k, s, _ = self.model[sub][i]
            self.model[sub][i] = (p, k, s, day)

    @rule(sub=subs, partner=partners, day=days, months=st.integers(1, 30))
    def grant_gdap(self, sub: str, partner: str, day: dt.date, months: int) -> None:
        """The customer approves a time-bound GDAP (at most two years, not on Azure)."""
        end = day + relativedelta(months=months, days=months % 3)
        expected: type | None = None
        if any(
            p == partner and k is K.GDAP and _overlaps((p, k, s, e), day, end)
            for p, k, s, e in self.model[sub]
        ):
            expected = EventError
        elif SUBS[sub] is Workload.AZURE or end > day + relativedelta(years=2):
            expected = LedgerError
        if self._apply(lambda: self.ledger.grant_gdap(sub, partner, day, end), expected):
            self.model[sub].append((partner, K.GDAP, day, end))

    # ---------------------------------------------------------------- invariants

    @invariant()
    def at_most_one_dpor_per_subscription_per_day(self) -> None:
        """No subscription ever has two DPORs in effect on one day."""
        for sub in SUBS:
            for n in range(HORIZON + 7):
                day = DAY0 + dt.timedelta(days=n)
                dpors = [a for a in self.ledger.in_effect(sub, day) if a.kind is K.DPOR]
                assert len(dpors) <= 1

    @invariant()
    def partners_match_the_model(self) -> None:
        """partners_of(sub, day) equals the model's partners in effect, on every day."""
        for sub, rows in self.model.items():
            for n in range(-1, HORIZON + 7):
                day = DAY0 + dt.timedelta(days=n)
                expected = frozenset(r[0] for r in rows if _in_effect(r, day))
                assert self.ledger.partners_of(sub, day) == expected

    @invariant()
    def events_equal_a_rebuild_from_scratch(self) -> None:
        """The incrementally updated ledger equals one built from its records in one go."""
        led = self.ledger
        rebuilt = Ledger(led.partners, led.customers, led.subscriptions, led.associations)
        assert rebuilt == led
        for sub in SUBS:
            assert rebuilt.associations_of(sub) == led.associations_of(sub)

    @invariant()
    def history_matches_the_model(self) -> None:
        """The ledger's history of each subscription holds exactly the model's associations."""
        for sub, rows in self.model.items():
            got = sorted(
                (a.partner_id, a.kind.value, a.start, a.end) for a in self.ledger.history(sub)
            )
            want = sorted((p, k.value, s, e) for p, k, s, e in rows)
            assert got == want


TestHistory = History.TestCase
# the profile chosen in conftest.py, with a bounded number of events per run
TestHistory.settings = settings(settings.default, stateful_step_count=30)
TestHistory.__doc__ = "Random event sequences keep the ledger equal to the dict model."
