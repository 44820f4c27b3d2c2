"""The batch evaluator's tables: credit columns, consumption and seat tables (internal).

Part of the batch path of ``evaluate_all`` (see ``evaluation._batch`` for the whole story):
``credit_columns`` is the one function that reads the attribution engine's internal layout;
``AcrTable`` holds one attribution's credits for the partners evaluated as integer columns
(partner, customer, workload, offer, month, minor units), ``SeatTable`` the credited seats per
partner, tenant, workload and month; ``Batched`` is a measure computed for every partner at
once, as the rewritten requirement tree holds it. The group kernels (``group``,
``partner_offsets``) are shared by the tables and the batched measures of
``evaluation._batch_measures``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import OFFER_CODE, OFFERS
from partner_of_record.attribution import Credits
from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.measures import (
    AcrScope,
    Measurement,
    SeatCustomers,
    SeatScope,
    service_key,
)
from partner_of_record.evaluation.time import Trailing
from partner_of_record.model import AssociationKind, OfferCategory, PartnerId, Workload

if TYPE_CHECKING:  # annotations only: the batch imports this module
    from partner_of_record.evaluation._batch import Batch

__all__ = [
    "ALL_ELIGIBLE",
    "I64",
    "NW",
    "OFFER_VALUE_CODE",
    "USD",
    "WORKLOAD_VALUE_CODE",
    "AcrTable",
    "Batched",
    "CreditColumns",
    "SeatTable",
    "credit_columns",
    "entry_counts",
    "exact_decimals",
    "group",
    "lookup",
    "partner_offsets",
    "partner_selections",
    "subscription_codes",
    "usd_amount",
]

I64 = npt.NDArray[np.int64]
USD = "USD"


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


def usd_amount(minor: int, count: int, exponent: int) -> Decimal:
    """A sum of ``count`` credited rows as the one-partner path's ``Decimal`` (same exponent)."""
    if count == 0:
        return Decimal(0)
    return Decimal(minor).scaleb(-exponent)


def lookup(values: Sequence[Any], keep: Callable[[Any], bool]) -> npt.NDArray[np.bool_]:
    return np.array([keep(v) for v in values], dtype=bool)


def group(keys: I64) -> tuple[I64, I64]:
    """The distinct keys (ascending) and, for each input position, its group's index."""
    if not len(keys):
        return keys, keys
    uniq, inverse = np.unique(keys, return_inverse=True)
    return uniq.astype(np.int64), inverse.astype(np.int64).ravel()


WORKLOAD_VALUE_CODE = {w.value: i for i, w in enumerate(Workload)}
OFFER_VALUE_CODE = {o.value: i for i, o in enumerate(OfferCategory)}


def subscription_codes(
    ledger: Any, sub_ids: tuple[str, ...], ccode: Mapping[str, int]
) -> tuple[I64, I64, I64]:
    """Each subscription's customer, workload and offer codes (plus a sentinel entry).

    One pass over the ledger's subscriptions; workloads and offers are looked up by their
    values (strings), which hash faster than the enum members.
    """
    pos = {sid: i for i, sid in enumerate(sub_ids)}
    wl, of = WORKLOAD_VALUE_CODE, OFFER_VALUE_CODE
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
        self.exponent = cols.exponents[cols.currencies.index(USD)] if USD in cols.currencies else 2
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
        if len(cols.minor) and any(c != USD for c in cols.currencies):
            used = np.unique(cols.currency)
            if any(cols.currencies[int(c)] != USD for c in used.tolist()):
                return None
        return cls(cols, sub_codes, kinds, pindex, ccode)

    def scope_mask(self, scope: AcrScope) -> npt.NDArray[np.bool_]:
        """Which entries ``scope`` keeps (as ``AcrScope.rows``)."""
        found = self._scopes.get(scope)
        if found is not None:
            return found
        mask = np.ones(len(self.minor), dtype=bool)
        if scope.workloads is not None:
            wl = lookup(self._workloads, scope.workloads.__contains__)
            mask &= wl[self.workload]
        if scope.offers is not None:
            of = lookup(self._offers, scope.offers.__contains__)
            mask &= of[self.offer]
        services, excluded = scope.services, scope.exclude_services
        if services is not None or excluded:
            keys = [service_key(s) if s else None for s in self.services]
            ok = lookup(
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
        uniq, inv = group(key)
        sums = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(sums, inv, self.minor[mask])
        return uniq // nc, uniq % nc, sums


ALL_ELIGIBLE = [True]
NW = len(Workload) + 1
"""Customer rules' keys are ``(partner x customers + customer) x NW + w``: ``w`` is 0 for a
customer, 1 + the workload's code for a customer-workload pair (``SeatCustomers(pairs=True)``)."""


def entry_counts(off: I64) -> list[Decimal | None]:
    """Each partner's number of entries, from the offsets of ``partner_offsets``, as ``Decimal``."""
    return [Decimal(k) for k in np.diff(off).tolist()]


def partner_offsets(partner: I64, n: int) -> I64:
    """Offsets: entries of partner ``p`` (``partner`` sorted) are ``[off[p], off[p + 1])``."""
    return np.searchsorted(partner, np.arange(n + 1)).astype(np.int64)


# --------------------------------------------------------------------------------------------
# batched measures: every partner's value at once, each Measurement built when asked for


@attrs.frozen(eq=False)
class Batched:
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
        wcode = WORKLOAD_VALUE_CODE
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
        key = (((p * nc + c) * NW + w) << 20) | m  # a day ordinal is below 2^20
        uniq, inv = group(key)
        self.paid = np.zeros(len(uniq), dtype=np.int64)
        self.active = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(self.paid, inv, np.asarray(paid_, dtype=np.int64))
        np.add.at(self.active, inv, np.asarray(act_, dtype=np.int64))
        self.month = uniq & ((1 << 20) - 1)
        packed = uniq >> 20  # (partner x nc + customer) x NW + workload
        self.workload = packed % NW
        self.customer_key = packed // NW  # partner x nc + customer
        self.partner = self.customer_key // nc
        pairs, self.pair = group(packed)
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
        return np.unique(self.customer_key[ok] * NW + w)


def exact_decimals(scaled: I64, k: int) -> list[Decimal]:
    """Integers over 10^k as exact ``Decimal``."""
    return [Decimal(v).scaleb(-k) for v in scaled.tolist()]
