"""Evaluate every partner at once: each measure computed for all partners in one pass (internal).

``evaluate_all`` attributes the ledger once per set of kinds (``LedgerFacts``), then asks this
module for a *batch* of every measure of the requirement tree: one pass over the credit columns
computes a consumption measure for all the partners evaluated (group sums by partner, customer
and month, distinct customers per partner and period, distinct services); one table of the
credited seats per partner, tenant, workload and month serves the seat measures and
``SeatCustomers`` rules; skills counts are read per partner. Each batched measure is a
``_Batched``: every partner's value and eligibility as lists (what ``_scoring`` scores), and a
``build`` that makes the partner's whole [`Measurement`][partner_of_record.evaluation.Measurement]
when an evaluation is read. ``rewrite`` puts the ``_Batched`` measures in the requirement tree,
and the readable algebra of ``partner_of_record.evaluation.requirements`` builds the evaluation
from it: reasons, points and findings are the one-partner code's by construction (the seat and
skills builds simply measure the partner on the readable path).

What is not batched is measured partner by partner, unchanged and exact:

* measures of a type missing from ``BATCHERS`` (your own measures), and customer rules other
  than ``AcrCustomers``/``SeatCustomers``/``Shifted``/``Intersection``;
* every consumption measure when a credit is not in US dollars (rates are applied per partner
  on the readable path) or an amount needed Python integers, or when the credit columns cannot
  be read (``credit_columns`` returns ``None``).

The credit columns are read through one function, ``credit_columns``: the only code here that
knows the attribution engine's internal layout.

Over 600 lines on purpose: each batched measure is checked against its one-partner twin in
``evaluation.measures`` and shares this module's tables and group kernels, so they stay together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import OFFER_CODE, OFFERS
from partner_of_record.attribution import Credits
from partner_of_record.errors import Finding
from partner_of_record.evaluation.context import MeasurementContext, Skills, normalize_skills
from partner_of_record.evaluation.measures import (
    AcrCustomers,
    AcrGrowth,
    AcrScope,
    CreditedAcr,
    DistinctCustomers,
    DistinctServices,
    Intersection,
    Measurement,
    NetCustomerAdds,
    SeatCustomers,
    SeatGrowth,
    SeatScope,
    SeatTotal,
    Shifted,
    SkillCount,
    growth_value,
    service_key,
)
from partner_of_record.evaluation.measures._base import finding
from partner_of_record.evaluation.requirements import (
    AllOf,
    AnyOf,
    AtLeast,
    BestOf,
    Gate,
    PointsSum,
    Scorecard,
    Scored,
)
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import Trailing, add_months
from partner_of_record.model import AssociationKind, OfferCategory, PartnerId, Workload

__all__: list[str] = []  # internal module

I64 = npt.NDArray[np.int64]
_USD = "USD"


# --------------------------------------------------------------------------------------------
# the adapter: the one place that reads the attribution engine's columns


@attrs.frozen
class CreditColumns:
    """One attribution's credits as columns, one entry per credit.

    Attributes:
        partner: each credit's partner, an index into ``partner_ids``.
        partner_ids: the partners' ids.
        kinds: each credit's association kinds as a bit mask (``kinds_mask``).
        kinds_mask: turns a set of kinds into the same bit mask.
        minor: each credit's amount in minor units of its currency (int64).
        currency: each credit's currency, an index into ``currencies``.
        currencies: the currency codes.
        exponents: each currency's minor-unit exponent.
        sub: each credit's subscription, an index into ``sub_ids``.
        sub_ids: the subscription ids.
        month: each credit's month as a day ordinal (its first day).
        service: each credit's service, an index into ``services``.
        services: the service names (``None`` for a row without one).
        offer: each credit's usage row's own offer, an index into ``offers``, -1 for none.
        offers: the offer categories the codes stand for.
    """

    partner: I64
    partner_ids: tuple[PartnerId, ...]
    kinds: I64
    kinds_mask: Callable[[Iterable[AssociationKind]], int]
    minor: npt.NDArray[Any]
    currency: I64
    currencies: tuple[str, ...]
    exponents: tuple[int, ...]
    sub: I64
    sub_ids: tuple[str, ...]
    month: I64
    service: I64
    services: tuple[str | None, ...]
    offer: I64
    offers: tuple[OfferCategory, ...]


def credit_columns(credits: Credits) -> CreditColumns | None:
    """Read the columns of ``credits`` (``None`` when the engine's layout is not the one known).

    This is the only function that knows the attribution engine's internals
    (``partner_of_record.attribution.credits`` and ``_kernel``); a renamed column makes it
    return ``None`` and ``evaluate_all`` then takes the one-by-one path.

    Args:
        credits: the credits of one ``attribute()`` run (or a selection of them).

    Returns:
        The columns, or ``None``.
    """
    try:
        from partner_of_record.attribution.kinds import kinds_mask

        r = credits._r
        a = r.alloc
        cidx = credits._cidx
        rows = a.c_row[cidx]
        sub_codes, sub_ids = credits._row_codes("subscription_id")
        service_codes, services = credits._row_codes("service")
        cur_codes, currencies = credits._row_codes("currency")
        offer = r.row_array(r.table.offer)[rows]
        months = r.row_array(r.table.month)[rows]
        return CreditColumns(
            partner=np.asarray(a.c_partner[cidx], dtype=np.int64),
            partner_ids=tuple(a.partners),
            kinds=np.asarray(a.c_kinds[cidx], dtype=np.int64),
            kinds_mask=kinds_mask,
            minor=a.c_minor[cidx],
            currency=np.asarray(cur_codes[rows], dtype=np.int64),
            currencies=tuple(currencies),
            exponents=tuple(r.exponents),
            sub=np.asarray(sub_codes[rows], dtype=np.int64),
            sub_ids=tuple(sub_ids),
            month=np.asarray(months, dtype=np.int64),
            service=np.asarray(service_codes[rows], dtype=np.int64),
            services=tuple(services),
            offer=np.asarray(offer, dtype=np.int64),
            offers=OFFERS,
        )
    except (AttributeError, KeyError, TypeError, ImportError):  # pragma: no cover - layout moved
        return None


def partner_selections(
    credits: Credits, ids: Sequence[PartnerId], kinds: frozenset[AssociationKind] | None
) -> dict[PartnerId, Credits] | None:
    """Each partner's credits, as ``credits.filter(partner_id=pid[, kind=kinds])``, in one sort.

    The evidence ``evaluate_all`` attaches: one stable sort by partner instead of one filter
    (a pass over every credit) per partner. ``None`` when ``credits`` is not a whole run or the
    engine's layout is not the one known (then each partner is filtered).

    Args:
        credits: the credits of one whole ``attribute()`` run.
        ids: the partners.
        kinds: keep only credits earned through one of these kinds (``None``: all).

    Returns:
        Partner id -> its credits, or ``None``.
    """
    try:
        from partner_of_record.attribution.kinds import kinds_mask

        if credits._c is not None or credits._rows is not None or credits._partial:
            return None
        r = credits._r
        a = r.alloc
        cidx = credits._cidx
        partner = a.c_partner[cidx]
        if kinds is not None:
            keep = (a.c_kinds[cidx] & kinds_mask(kinds)) != 0
            cidx, partner = cidx[keep], partner[keep]
        order = np.argsort(partner, kind="stable")
        chosen, sorted_partner = cidx[order], partner[order]
        bounds = np.searchsorted(sorted_partner, np.arange(len(a.partners) + 1))
        code = {p: i for i, p in enumerate(a.partners)}
        none = np.zeros(0, dtype=np.int64)
        out: dict[PartnerId, Credits] = {}
        for pid in ids:
            i = code.get(pid)
            picked = none if i is None else chosen[int(bounds[i]) : int(bounds[i + 1])]
            out[pid] = Credits._make(r, picked, none, None, partial=True)
        return out
    except (AttributeError, TypeError):  # pragma: no cover - layout moved
        return None


# --------------------------------------------------------------------------------------------
# the consumption table of one set of kinds, for the partners evaluated


def _usd(minor: int, count: int, exponent: int) -> Decimal:
    """A sum of ``count`` credited rows as the one-partner path's ``Decimal`` (same exponent)."""
    if count == 0:
        return Decimal(0)
    return Decimal(minor).scaleb(-exponent)


def _lut(values: Sequence[Any], keep: Callable[[Any], bool]) -> npt.NDArray[np.bool_]:
    return np.array([keep(v) for v in values], dtype=bool)


def _group(keys: I64) -> tuple[I64, I64]:
    """The distinct keys (ascending) and, for each input position, its group's index."""
    if not len(keys):
        return keys, keys
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq.astype(np.int64), inverse.astype(np.int64).ravel()


_WORKLOAD_VALUE_CODE = {w.value: i for i, w in enumerate(Workload)}
_OFFER_VALUE_CODE = {o.value: i for i, o in enumerate(OfferCategory)}


def _sub_codes(
    ledger: Any, sub_ids: tuple[str, ...], ccode: Mapping[str, int]
) -> tuple[I64, I64, I64]:
    """Each subscription's customer, workload and offer codes (plus a sentinel entry).

    One pass over the ledger's subscriptions; workloads and offers are looked up by their
    values (strings), which hash faster than the enum members.
    """
    pos = {sid: i for i, sid in enumerate(sub_ids)}
    wl, of = _WORKLOAD_VALUE_CODE, _OFFER_VALUE_CODE
    rows = [
        (i, ccode[s.customer_id], wl[s.workload._value_], of[s.offer._value_])
        for s in ledger.subscriptions
        if (i := pos.get(s.id)) is not None
    ]
    if len(rows) < len(sub_ids):  # a credited subscription the ledger does not have
        for sid in set(sub_ids) - {s.id for s in ledger.subscriptions}:
            ledger.subscription(sid)  # raises UnknownRecordError naming it
    codes = np.zeros((len(sub_ids) + 1, 3), dtype=np.int64)  # the last row: a sentinel
    if rows:
        found = np.asarray(rows, dtype=np.int64)
        codes[found[:, 0]] = found[:, 1:]
    return codes[:, 0].copy(), codes[:, 1].copy(), codes[:, 2].copy()


class AcrTable:
    """Credited consumption in US dollar minor units, one entry per credit, partners re-coded.

    ``partner`` indexes the partners evaluated; ``customer`` indexes ``customer_ids`` (sorted,
    so code order is id order).
    """

    def __init__(
        self,
        cols: CreditColumns,
        sub_codes: Callable[[tuple[str, ...]], tuple[I64, I64, I64]],
        kinds: frozenset[AssociationKind] | None,
        pindex: Mapping[PartnerId, int],
        ccode: Mapping[str, int],
    ) -> None:
        lut = np.array([pindex.get(p, -1) for p in cols.partner_ids] + [-1], dtype=np.int64)
        keep = lut[cols.partner] >= 0
        if kinds is not None:
            keep &= (cols.kinds & cols.kinds_mask(kinds)) != 0
        idx = np.flatnonzero(keep)
        self.n_partners = len(pindex)
        self.partner = lut[cols.partner[idx]]
        self.minor: I64 = np.asarray(cols.minor[idx], dtype=np.int64)
        self.month = cols.month[idx]
        self.service = cols.service[idx]
        self.services = cols.services
        self.customer_ids: tuple[str, ...] = tuple(ccode)
        workloads = list(Workload)
        offers = list(OfferCategory)
        sub_customer, sub_workload, sub_offer = sub_codes(cols.sub_ids)
        sub = cols.sub[idx]
        self.customer = sub_customer[sub]
        self.workload = sub_workload[sub]
        own = cols.offer[idx]
        row_offer = np.array([OFFER_CODE[o] for o in cols.offers] + [0], dtype=np.int64)
        # a usage row's own offer overrides its subscription's (as ``LedgerFacts.acr``)
        self.offer = np.where(own >= 0, row_offer[own], sub_offer[sub])
        self.sub = sub
        self.sub_ids = cols.sub_ids
        self.exponent = (
            cols.exponents[cols.currencies.index(_USD)] if _USD in cols.currencies else 2
        )
        self._scopes: dict[AcrScope, npt.NDArray[np.bool_]] = {}
        self._workloads = workloads
        self._offers = offers

    @classmethod
    def build(
        cls,
        credits: Credits,
        sub_codes: Callable[[tuple[str, ...]], tuple[I64, I64, I64]],
        kinds: frozenset[AssociationKind] | None,
        pindex: Mapping[PartnerId, int],
        ccode: Mapping[str, int],
    ) -> AcrTable | None:
        """The table, or ``None`` when it cannot be exact (other currencies, huge amounts)."""
        cols = credit_columns(credits)
        if cols is None or cols.minor.dtype == object:
            return None
        if len(cols.minor) and any(c != _USD for c in cols.currencies):
            used = np.unique(cols.currency)
            if any(cols.currencies[int(c)] != _USD for c in used.tolist()):
                return None
        return cls(cols, sub_codes, kinds, pindex, ccode)

    def scope_mask(self, scope: AcrScope) -> npt.NDArray[np.bool_]:
        """Which entries ``scope`` keeps (as ``AcrScope.rows``)."""
        found = self._scopes.get(scope)
        if found is not None:
            return found
        mask = np.ones(len(self.minor), dtype=bool)
        if scope.workloads is not None:
            wl = _lut(self._workloads, scope.workloads.__contains__)
            mask &= wl[self.workload]
        if scope.offers is not None:
            of = _lut(self._offers, scope.offers.__contains__)
            mask &= of[self.offer]
        services, excluded = scope.services, scope.exclude_services
        if services is not None or excluded:
            keys = [service_key(s) if s else None for s in self.services]
            ok = _lut(
                keys,
                lambda k: (
                    (services is None or k in services) and not (k is not None and k in excluded)
                ),
            )
            mask &= ok[self.service]
        self._scopes[scope] = mask
        return mask

    def in_months(self, months: Iterable[dt.date]) -> npt.NDArray[np.bool_]:
        """Which entries fall in one of ``months``."""
        ords = np.array([m.toordinal() for m in months], dtype=np.int64)
        return np.isin(self.month, ords)

    def per_partner(self, mask: npt.NDArray[np.bool_]) -> tuple[I64, I64]:
        """Sum of minor units and number of entries per partner, over ``mask``."""
        p = self.partner[mask]
        sums = np.bincount(p, weights=None, minlength=self.n_partners)  # counts
        totals = np.zeros(self.n_partners, dtype=np.int64)
        np.add.at(totals, p, self.minor[mask])
        return totals, sums.astype(np.int64)

    def customer_sums(self, mask: npt.NDArray[np.bool_]) -> tuple[I64, I64, I64]:
        """Per (partner, customer) over ``mask``: partner, customer, sum of minor units."""
        nc = max(1, len(self.customer_ids))
        key = self.partner[mask] * nc + self.customer[mask]
        uniq, inv = _group(key)
        sums = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(sums, inv, self.minor[mask])
        return uniq // nc, uniq % nc, sums


_ALL_ELIGIBLE = [True]
_NW = len(Workload) + 1
"""Customer rules' keys are ``(partner x customers + customer) x _NW + w``: ``w`` is 0 for a
customer, 1 + the workload's code for a customer-workload pair (``SeatCustomers(pairs=True)``)."""


def _counts(off: I64) -> list[Decimal | None]:
    """Each partner's number of entries, from the offsets of ``_slices``, as ``Decimal``."""
    return [Decimal(k) for k in np.diff(off).tolist()]


def _slices(partner: I64, n: int) -> I64:
    """Offsets: entries of partner ``p`` (``partner`` sorted) are ``[off[p], off[p + 1])``."""
    return np.searchsorted(partner, np.arange(n + 1)).astype(np.int64)


# --------------------------------------------------------------------------------------------
# batched measures: every partner's value at once, each Measurement built when asked for


@attrs.frozen(eq=False)
class _Batched:
    """Stands for a measure in the rewritten tree: the partner's precomputed measurement.

    ``value`` and ``eligible`` are every partner's ``Measurement.value`` and ``.eligible``
    (what the array scoring of ``_scoring`` reads); ``build`` makes the whole measurement,
    detail and customers included, when an evaluation is read.
    """

    original: Any
    build: Callable[[MeasurementContext, int], Measurement]
    pindex: Mapping[PartnerId, int]
    value: Sequence[Decimal | None]
    eligible: Sequence[bool]

    @property
    def unit(self) -> str:
        """The original measure's unit."""
        return str(self.original.unit)

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """The original measure's kinds."""
        return frozenset(self.original.kinds)

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """The partner's measurement, built from the batch's arrays."""
        i = self.pindex.get(ctx.partner_id)
        if i is None:  # a partner outside the batch: the readable path
            return self.original.measure(ctx)  # type: ignore[no-any-return]
        return self.build(ctx, i)


class Batch:
    """The shared state of one ``evaluate_all`` call: facts, partners, month, tables."""

    def __init__(
        self,
        facts: LedgerFacts,
        ids: Sequence[PartnerId],
        month: dt.date,
        skills_of: Callable[[PartnerId], Skills | None] | None = None,
    ) -> None:
        self.facts = facts
        self.skills_of = skills_of
        self.ids = tuple(ids)
        self.pindex = {pid: i for i, pid in enumerate(self.ids)}
        self.month = month
        self._ccode: dict[str, int] | None = None
        self._tables: dict[frozenset[AssociationKind], AcrTable | None] = {}
        self._measures: dict[Any, _Batched | None] = {}
        self._rules: dict[tuple[Any, dt.date], I64 | None] = {}
        self._seats: dict[tuple[Any, ...], SeatTable] = {}
        self._sub_codes: dict[tuple[str, ...], tuple[I64, I64, I64]] = {}

    def at(self, month: dt.date) -> Batch:
        """The same partners at another measurement month, sharing every month-free array.

        The consumption tables, seat tables, customer codes and customer-rule keys (keyed by
        their reference month) are shared; only the measures, which depend on the month, are
        computed again. ``earliest_qualification`` scans months this way.
        """
        other = Batch(self.facts, self.ids, month, self.skills_of)
        other._ccode = self.ccode
        other._tables = self._tables
        other._rules = self._rules
        other._seats = self._seats
        other._sub_codes = self._sub_codes
        return other

    def seat_table(self, scope: SeatScope) -> SeatTable:
        """The credited seats of ``scope``'s pairs, every partner (shared by scopes alike)."""
        key = (scope.kinds, scope.workloads, scope.crediting)
        found = self._seats.get(key)
        if found is None:
            found = self._seats[key] = SeatTable(self, scope)
        return found

    @property
    def ccode(self) -> dict[str, int]:
        """Customer id -> code, one code space for every table (sorted: code order is id order).

        Built on first use, so entries without a batched measure pay nothing for it.
        """
        if self._ccode is None:
            ledger = self.facts.ledger
            customers = {c.id for c in ledger.customers}
            customers.update(s.customer_id for s in ledger.subscriptions)
            self._ccode = {c: i for i, c in enumerate(sorted(customers))}
        return self._ccode

    def sub_codes(self, sub_ids: tuple[str, ...]) -> tuple[I64, I64, I64]:
        """Each subscription's customer, workload and offer codes (shared by the tables)."""
        found = self._sub_codes.get(sub_ids)
        if found is None:
            found = self._sub_codes[sub_ids] = _sub_codes(self.facts.ledger, sub_ids, self.ccode)
        return found

    def table(self, kinds: frozenset[AssociationKind]) -> AcrTable | None:
        """The consumption table for ``kinds`` (one attribution, shared by every entry)."""
        kinds = frozenset(kinds)
        if kinds not in self._tables:
            credits = self.facts.credits(kinds)
            with_kinds = kinds if self.facts.policy is not None else None
            self._tables[kinds] = AcrTable.build(
                credits, self.sub_codes, with_kinds, self.pindex, self.ccode
            )
        return self._tables[kinds]

    def values(
        self, measure: Any, idx: Sequence[int]
    ) -> tuple[Sequence[Decimal | None], Sequence[bool]] | None:
        """The batched measure's values and eligibility at positions ``idx`` (``None``: none)."""
        found = self.measure(measure)
        if found is None:
            return None
        if isinstance(idx, range) and len(idx) == len(self.ids):
            return found.value, found.eligible
        return [found.value[i] for i in idx], [found.eligible[i] for i in idx]

    def measure(self, measure: Any) -> _Batched | None:
        """The batched form of ``measure``, or ``None`` (then the readable path measures it)."""
        try:
            return self._measures[measure]
        except KeyError:
            pass
        except TypeError:  # pragma: no cover - an unhashable user measure
            return None
        batcher = BATCHERS.get(type(measure))
        found = batcher(self, measure) if batcher is not None else None
        self._measures[measure] = found
        return found

    # ---------------------------------------------------------------- customer rules

    def rule_keys(self, rule: Any, month: dt.date) -> I64 | None:
        """Qualifying (partner, customer) keys of ``rule`` at ``month``, packed, sorted, unique."""
        key = (rule, month)
        if key in self._rules:
            return self._rules[key]
        found: I64 | None = None
        if isinstance(rule, AcrCustomers):
            found = self._acr_customer_keys(rule, month)
        elif isinstance(rule, SeatCustomers):
            found = self.seat_table(rule.scope).customer_keys(rule, month)
        elif isinstance(rule, Shifted):
            found = self.rule_keys(rule.rule, add_months(month, -rule.lag))
        elif isinstance(rule, Intersection) and rule.rules:
            parts = [self.rule_keys(r, month) for r in rule.rules]
            if all(p is not None for p in parts):
                acc = parts[0]
                for p in parts[1:]:
                    acc = np.intersect1d(acc, p)  # type: ignore[arg-type]
                found = acc
        self._rules[key] = found
        return found

    def _acr_customer_keys(self, rule: AcrCustomers, month: dt.date) -> I64 | None:
        table = self.table(rule.scope.kinds)
        if table is None:
            return None
        months = rule.window.at(month).months
        mask = table.scope_mask(rule.scope) & table.in_months(months)
        nc = max(1, len(table.customer_ids))
        # value / count >= min_usd  <=>  minor >= min_usd x count x 10^exponent (exact: the
        # threshold is an exact Decimal and minor an integer; see the module notes)
        count = len(months) if rule.basis == "average" else 1
        bound = rule.min_usd * count * (Decimal(10) ** table.exponent)
        if rule.strict:
            least = int(bound.to_integral_value(rounding=ROUND_FLOOR)) + 1
        else:
            least = int(bound.to_integral_value(rounding=ROUND_CEILING))
        if rule.basis in ("total", "average"):
            p, c, sums = table.customer_sums(mask)
            ok = sums >= least
            return np.unique(p[ok] * nc + c[ok]) * _NW
        nm = 1 << 24
        key = (table.partner[mask] * nc + table.customer[mask]) * nm + (
            table.month[mask] - table.month[mask].min(initial=0)
        )
        uniq, inv = _group(key)
        sums = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(sums, inv, table.minor[mask])
        return np.unique(uniq[sums >= least] // nm) * _NW

    def union_keys(self, rules: Sequence[Any], month: dt.date) -> I64 | None:
        """The union of the rules' keys (``None`` if one rule is not batched)."""
        parts = [self.rule_keys(r, month) for r in rules]
        if any(p is None for p in parts):
            return None
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))  # type: ignore[arg-type]


def _customers_of(keys: I64, nc: int, n: int) -> tuple[I64, I64]:
    """Per partner offsets into the customer codes of ``keys`` (packed partner x nc + customer)."""
    return _slices(keys // nc, n), keys % nc


def _batch_credited_acr(batch: Batch, m: CreditedAcr) -> _Batched | None:
    table = batch.table(m.scope.kinds)
    if table is None:
        return None
    window = m.window.at(batch.month)
    mask = table.scope_mask(m.scope) & table.in_months(window.months)
    totals, counts = table.per_partner(mask)
    p, c, sums = table.customer_sums(mask)
    n_customers = np.bincount(p, minlength=batch_n(batch))
    off = _slices(p, batch_n(batch))
    nonzero = sums != 0
    ids, exp = table.customer_ids, table.exponent
    label = f"credited ACR {window.describe()}, {m.scope.describe()}, "

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        lo, hi = int(off[i]), int(off[i + 1])
        shown = tuple(ids[k] for k in c[lo:hi][nonzero[lo:hi]].tolist())
        return Measurement(
            _usd(int(totals[i]), int(counts[i]), exp),
            "USD",
            label + format_quantity(Decimal(int(n_customers[i])), "customers"),
            shown,
        )

    value = [_usd(t, k, exp) for t, k in zip(totals.tolist(), counts.tolist(), strict=True)]
    return _Batched(m, build, batch.pindex, value, _ALL_ELIGIBLE * len(value))


def batch_n(batch: Batch) -> int:
    """The number of partners evaluated."""
    return len(batch.ids)


def _batch_acr_growth(batch: Batch, m: AcrGrowth) -> _Batched | None:
    table = batch.table(m.scope.kinds)
    if table is None:
        return None
    n = batch_n(batch)
    month = batch.month
    base_month = add_months(month, -m.lag)
    scope = table.scope_mask(m.scope)
    now_mask = scope & table.in_months([month])
    base_mask = scope & table.in_months([base_month])
    cur_t, cur_n = table.per_partner(now_mask)
    base_t, base_n = table.per_partner(base_mask)
    either = now_mask | base_mask
    nc = max(1, len(table.customer_ids))
    keys = np.unique(table.partner[either] * nc + table.customer[either])
    off, cust = _customers_of(keys, nc, n)
    window = m.minimum_window.at(month)
    tr_t, tr_n = cur_t, cur_n
    if m.minimum_usd > 0:
        tr_t, tr_n = table.per_partner(scope & table.in_months(window.months))
    ids, exp = table.customer_ids, table.exponent

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        return m.from_sums(
            ctx,
            current=_usd(int(cur_t[i]), int(cur_n[i]), exp),
            base=_usd(int(base_t[i]), int(base_n[i]), exp),
            trailing=_usd(int(tr_t[i]), int(tr_n[i]), exp),
            customers=tuple(ids[k] for k in cust[int(off[i]) : int(off[i + 1])].tolist()),
        )

    percent = m.mode != "absolute"
    value: list[Decimal | None] = []
    eligible: list[bool] = []
    for ct, cn, bt, bn, tt, tn in zip(
        cur_t.tolist(), cur_n.tolist(), base_t.tolist(), base_n.tolist(),
        tr_t.tolist(), tr_n.tolist(), strict=True,
    ):  # fmt: skip
        got = growth_value(_usd(ct, cn, exp), _usd(bt, bn, exp), percent=percent)
        value.append(got)
        enough = m.minimum_usd <= 0 or _usd(tt, tn, exp) >= m.minimum_usd
        eligible.append(enough and got is not None)
    return _Batched(m, build, batch.pindex, value, eligible)


def _batch_distinct_services(batch: Batch, m: DistinctServices) -> _Batched | None:
    table = batch.table(m.scope.kinds)
    if table is None:
        return None
    n = batch_n(batch)
    window = m.window.at(batch.month)
    mask = table.scope_mask(m.scope) & table.in_months(window.months)
    names = table.services
    # services are grouped by their lower-cased name (as the one-partner path)
    lowered: dict[str, int] = {}
    low_code = np.array(
        [-1 if s is None else lowered.setdefault(s.lower(), len(lowered)) for s in names] + [-1],
        dtype=np.int64,
    )
    low_names = list(lowered)
    lc = low_code[table.service[mask]]
    part = table.partner[mask]
    minor = table.minor[mask]
    unnamed_rows = lc < 0
    un_t = np.zeros(n, dtype=np.int64)
    np.add.at(un_t, part[unnamed_rows], minor[unnamed_rows])
    named = ~unnamed_rows
    ns = max(1, len(low_names))
    key = part[named] * ns + lc[named]
    uniq, inv = _group(key)
    sums = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(sums, inv, minor[named])
    counted = uniq[sums > 0]
    off = _slices(counted // ns, n)
    svc = counted % ns
    # customers of the counted services: (partner, service, customer) present
    nc = max(1, len(table.customer_ids))
    pcs = np.unique((key * nc) + table.customer[mask][named])
    counted_set = np.isin(pcs // nc, counted)
    pc = np.unique((pcs[counted_set] // nc // ns) * nc + pcs[counted_set] % nc)
    c_off, cust = _customers_of(pc, nc, n)
    # the name shown for a lower-cased key: the first row's in the one-partner path's row order
    # (subscription id, month, service name); one query per key spelled several ways
    spelled: dict[str, list[int]] = {}
    for code, s in enumerate(names):
        if s is not None:
            spelled.setdefault(s.lower(), []).append(code)
    sub_ids, ids = table.sub_ids, table.customer_ids
    rows_part, rows_sub = part, table.sub[mask]
    rows_month, rows_service = table.month[mask], table.service[mask]
    described = window.describe()

    def shown_name(i: int, low: str) -> str:
        codes = spelled[low]
        if len(codes) == 1:
            return str(names[codes[0]])
        pick = (rows_part == i) & np.isin(rows_service, codes)
        options = zip(
            [sub_ids[s] for s in rows_sub[pick].tolist()],
            rows_month[pick].tolist(),
            [names[s] for s in rows_service[pick].tolist()],
            strict=True,
        )
        return str(min(options)[2])

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        keys = sorted(low_names[k] for k in svc[int(off[i]) : int(off[i + 1])].tolist())
        findings: tuple[Finding, ...] = ()
        unnamed = _usd(int(un_t[i]), 1, table.exponent)
        if unnamed > 0:
            findings = (
                finding(
                    "SERVICE_UNKNOWN",
                    f"partner {ctx.partner_id}: {format_quantity(unnamed, 'USD')} credited "
                    f"{described} has no service name and counts as no deployment",
                    ctx,
                ),
            )
        shown = ", ".join(shown_name(i, k) for k in keys) or "none"
        customers = tuple(ids[k] for k in cust[int(c_off[i]) : int(c_off[i + 1])].tolist())
        return Measurement(
            Decimal(len(keys)), "services", f"{described}: {shown}", customers, findings
        )

    return _Batched(m, build, batch.pindex, _counts(off), _ALL_ELIGIBLE * n)


def _keys_per_partner(batch: Batch, keys: I64, nc: int) -> tuple[I64, I64]:
    return _customers_of(keys, nc, batch_n(batch))


def _batch_distinct_customers(batch: Batch, m: DistinctCustomers) -> _Batched | None:
    keys = batch.union_keys(m.rules, batch.month)
    if keys is None:
        return None
    ids = tuple(batch.ccode)
    nc = max(1, len(ids))
    # a key is a customer, or a customer-workload pair: count keys, show customers
    off, cust = _keys_per_partner(batch, np.unique(keys // _NW), nc)
    count = np.bincount(keys // _NW // nc, minlength=batch_n(batch)).tolist()
    conditions = "; or ".join(r.describe() for r in m.rules)
    month = batch.month

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        found = tuple(ids[k] for k in cust[int(off[i]) : int(off[i + 1])].tolist())
        return Measurement(
            Decimal(count[i]),
            m.unit_name,
            f"{count[i]} qualifying at {month:%Y-%m}: {conditions}",
            found,
        )

    value: list[Decimal | None] = [Decimal(k) for k in count]
    return _Batched(m, build, batch.pindex, value, _ALL_ELIGIBLE * len(value))


def _batch_net_adds(batch: Batch, m: NetCustomerAdds) -> _Batched | None:
    month = batch.month
    before_month = add_months(month, -m.lag)
    now_keys = batch.union_keys(m.rules, month)
    before_keys = batch.union_keys(m.rules, before_month)
    if now_keys is None or before_keys is None:
        return None
    ids = tuple(batch.ccode)
    nc = max(1, len(ids))
    n_off, n_cust = _keys_per_partner(batch, np.unique(now_keys // _NW), nc)
    b_off = _slices(np.unique(before_keys // _NW) // nc, batch_n(batch))

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        now = tuple(ids[k] for k in n_cust[int(n_off[i]) : int(n_off[i + 1])].tolist())
        return m.from_counts(ctx, now, int(b_off[i + 1] - b_off[i]))

    net = np.diff(n_off) - np.diff(b_off)
    value = [Decimal(k) for k in net.tolist()]
    return _Batched(m, build, batch.pindex, value, _ALL_ELIGIBLE * len(value))


# --------------------------------------------------------------------------------------------
# rewriting the requirement tree


def rewrite(requirement: Any, batch: Batch) -> Any:
    """``requirement`` with every batched measure replaced (others, and unknown blocks, kept)."""
    kind = type(requirement)
    if kind in (AtLeast, Scored):
        found = batch.measure(requirement.measure)
        return requirement if found is None else attrs.evolve(requirement, measure=found)
    if kind in (AllOf, AnyOf, BestOf, PointsSum):
        parts = tuple(rewrite(p, batch) for p in requirement.parts)
        return attrs.evolve(requirement, parts=parts)
    if kind is Scorecard:
        return attrs.evolve(
            requirement, metrics=tuple(rewrite(p, batch) for p in requirement.metrics)
        )
    if kind is Gate:
        return attrs.evolve(
            requirement,
            condition=rewrite(requirement.condition, batch),
            then=rewrite(requirement.then, batch),
            otherwise=rewrite(requirement.otherwise, batch),
        )
    return requirement


# --------------------------------------------------------------------------------------------
# seats: every partner's tenant-workload pairs and their months, as columns


class SeatTable:
    """Credited seats summed per partner, tenant, workload and month (``SeatScope.pairs``).

    One entry per (partner, customer, workload, month), sorted so: ``pair`` numbers the
    (partner, customer, workload) groups in that order. Values are exact integers: a pair's
    value in a scope is ``scaled / 10^k`` (see ``values``).
    """

    def __init__(self, batch: Batch, scope: SeatScope) -> None:
        ccode = batch.ccode
        wcode = _WORKLOAD_VALUE_CODE
        cols: list[list[int]] = [[], [], [], [], [], []]
        p_, c_, w_, m_, paid_, act_ = cols
        for pid, i in batch.pindex.items():
            for row in batch.facts.seats(pid, scope.kinds, scope.crediting):
                if row.workload not in scope.workloads:
                    continue
                p_.append(i)
                c_.append(ccode[row.customer_id])
                w_.append(wcode[row.workload._value_])
                m_.append(row.month.toordinal())
                paid_.append(row.paid_seats)
                act_.append(row.active_users)
        nc = max(1, len(ccode))
        p, c, w, m = (np.asarray(x, dtype=np.int64) for x in (p_, c_, w_, m_))
        key = (((p * nc + c) * _NW + w) << 20) | m  # a day ordinal is below 2^20
        uniq, inv = _group(key)
        self.paid = np.zeros(len(uniq), dtype=np.int64)
        self.active = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(self.paid, inv, np.asarray(paid_, dtype=np.int64))
        np.add.at(self.active, inv, np.asarray(act_, dtype=np.int64))
        self.month = uniq & ((1 << 20) - 1)
        packed = uniq >> 20  # (partner x nc + customer) x _NW + workload
        self.workload = packed % _NW
        self.customer_key = packed // _NW  # partner x nc + customer
        self.partner = self.customer_key // nc
        pairs, self.pair = _group(packed)
        self.n_pairs = len(pairs)
        self.key = (self.pair << 20) | self.month  # sorted: pair, then month
        self.n = len(batch.ids)

    def values(self, scope: SeatScope) -> tuple[I64, int]:
        """Each entry's value in ``scope`` as an integer, and ``k``: the value is it / 10^k."""
        if scope.value == "paid_seats":
            return self.paid, 0
        if scope.value == "active_users":
            return self.active, 0
        rates = dict(scope.mcv_rates)  # a repeated workload's last rate, as ``pair_value``
        k = max([0, *(-int(r.as_tuple().exponent) for r in rates.values())])
        scaled = [int(rates.get(w, Decimal(0)).scaleb(k)) for w in Workload]
        return np.asarray([*scaled, 0], dtype=np.int64)[self.workload] * self.active, k

    def in_segment(self, scope: SeatScope) -> npt.NDArray[np.bool_]:
        """Which entries are in ``scope``'s paid-seat segment (``SeatScope.in_segment``)."""
        ok = np.ones(len(self.paid), dtype=bool)
        if scope.min_paid_seats is not None:
            ok &= self.paid >= scope.min_paid_seats
        if scope.max_paid_seats is not None:
            ok &= self.paid <= scope.max_paid_seats
        return ok

    def in_months(self, months: Iterable[dt.date]) -> npt.NDArray[np.bool_]:
        """Which entries fall in one of ``months``."""
        return np.isin(self.month, [m.toordinal() for m in months])

    def new_customers(self, window: Trailing, month: dt.date) -> I64:
        """``partner x nc + customer`` of the customers ``new_customers`` keeps, sorted."""
        current = window.at(month)
        before = Trailing(window.months, window.lag + window.months).at(month)
        used = (self.paid != 0) | (self.active != 0)
        now = np.unique(self.customer_key[used & self.in_months(current.months)])
        then = np.unique(self.customer_key[used & self.in_months(before.months)])
        return np.setdiff1d(now, then)

    def customer_keys(self, rule: SeatCustomers, month: dt.date) -> I64:
        """The keys ``rule.customers`` gives at ``month``, for every partner (packed, sorted)."""
        scope = rule.scope
        ok = self.in_months(rule.window.at(month).months) & self.in_segment(scope)
        scaled, k = self.values(scope)
        bound = rule.min_value.scaleb(k)  # value >= min  <=>  scaled >= min x 10^k (exact)
        if rule.strict:
            ok &= scaled > int(bound.to_integral_value(rounding=ROUND_FLOOR))
        else:
            ok &= scaled >= int(bound.to_integral_value(rounding=ROUND_CEILING))
        if rule.min_active_share is not None:
            num, den = rule.min_active_share.as_integer_ratio()
            ok &= (self.paid > 0) & (self.active * den >= self.paid * num)
        if rule.new_only:
            ok &= np.isin(self.customer_key, self.new_customers(rule.window, month))
        w = self.workload[ok] + 1 if rule.pairs else 0
        return np.unique(self.customer_key[ok] * _NW + w)


def _decimals(scaled: I64, k: int) -> list[Decimal]:
    """Integers over 10^k as exact ``Decimal``."""
    return [Decimal(v).scaleb(-k) for v in scaled.tolist()]


def _readable(m: Any) -> Callable[[MeasurementContext, int], Measurement]:
    """A build on the readable path (the pairs are the partner's own: cheap when read)."""
    return lambda ctx, _i: m.measure(ctx)


def _batch_seat_total(batch: Batch, m: SeatTotal) -> _Batched:
    t = batch.seat_table(m.scope)
    window = m.window.at(batch.month)
    ok = t.in_segment(m.scope)
    if m.aggregate == "last":
        ok &= t.month == window.last.toordinal()
    else:
        ok &= t.in_months(window.months)
    if m.new_only:
        ok &= np.isin(t.customer_key, t.new_customers(m.window, batch.month))
    scaled, k = t.values(m.scope)
    low = np.iinfo(np.int64).min
    best = np.full(t.n_pairs, low, dtype=np.int64)
    np.maximum.at(best, t.pair[ok], scaled[ok])  # each pair's last or peak value
    seen = best > low
    pair_partner = np.zeros(t.n_pairs, dtype=np.int64)
    pair_partner[t.pair] = t.partner
    total = np.zeros(t.n, dtype=np.int64)
    np.add.at(total, pair_partner[seen], best[seen])
    value: list[Decimal | None] = list(_decimals(total, k))
    return _Batched(m, _readable(m), batch.pindex, value, _ALL_ELIGIBLE * len(value))


def _batch_seat_growth(batch: Batch, m: SeatGrowth) -> _Batched:
    t = batch.seat_table(m.scope)
    month = batch.month.toordinal()
    base_month = add_months(batch.month, -m.lag).toordinal()
    scaled, k = t.values(m.scope)
    now = np.flatnonzero((t.month == month) & t.in_segment(m.scope))
    pair = t.pair[now]
    # each pair's baseline entry: its base month's, else (since_association) its first
    # credited month after the base month (at most the measurement month), else none
    at = np.searchsorted(t.key, (pair << 20) | base_month)
    found = at < len(t.key)
    found[found] = t.key[at[found]] == ((pair[found] << 20) | base_month)
    if m.since_association:
        then = np.where(found, at, np.searchsorted(t.key, (pair << 20) | (base_month + 1)))
    else:
        then = np.where(found, at, -1)
    current = np.zeros(t.n, dtype=np.int64)
    np.add.at(current, t.partner[now], scaled[now])
    base = np.zeros(t.n, dtype=np.int64)
    has = then >= 0
    np.add.at(base, t.partner[now][has], scaled[then[has]])
    percent = m.mode != "absolute"
    value: list[Decimal | None] = []
    eligible: list[bool] = []
    for cur, b in zip(_decimals(current, k), _decimals(base, k), strict=True):
        got = growth_value(cur, b, percent=percent)
        value.append(got)
        low = m.minimum_baseline > 0 and b < m.minimum_baseline
        eligible.append(not low and got is not None)
    return _Batched(m, _readable(m), batch.pindex, value, eligible)


def _batch_skill_count(batch: Batch, m: SkillCount) -> _Batched | None:
    """Each partner's count from its skills input (0 when missing, as ``SkillCount``)."""
    if batch.skills_of is None:
        return None
    # a skills mapping shared by partners is checked once (kept alive, so its id stays its own)
    checked: dict[int, tuple[Skills | None, Mapping[str, Decimal]]] = {}
    value: list[Decimal | None] = []
    for pid in batch.ids:
        given = batch.skills_of(pid)
        found = checked.get(id(given))
        if found is None:
            found = checked[id(given)] = (given, normalize_skills(given))
        value.append(found[1].get(m.metric, Decimal(0)))
    return _Batched(m, _readable(m), batch.pindex, value, _ALL_ELIGIBLE * len(value))


BATCHERS: Mapping[type, Callable[[Batch, Any], _Batched | None]] = {
    CreditedAcr: _batch_credited_acr,
    AcrGrowth: _batch_acr_growth,
    DistinctServices: _batch_distinct_services,
    DistinctCustomers: _batch_distinct_customers,
    NetCustomerAdds: _batch_net_adds,
    SeatTotal: _batch_seat_total,
    SeatGrowth: _batch_seat_growth,
    SkillCount: _batch_skill_count,
}
"""Measure type -> its batch computation (exact type: a subclass takes the readable path)."""
