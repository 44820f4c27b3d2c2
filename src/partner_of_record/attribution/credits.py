"""``Credits``: the result of ``attribute()``, a filterable collection held in columns."""

from __future__ import annotations

import datetime as dt
import enum
import html
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from partner_of_record.attribution.errors import CurrencyMixError
from partner_of_record.attribution.explain import credit_explanation, explain_partner
from partner_of_record.attribution.kinds import kinds_mask, mask_kinds
from partner_of_record.attribution.reconcile import Reconciliation, reconcile
from partner_of_record.attribution.records import Credit, Unattributed
from partner_of_record.attribution.spans import KEY_SHIFT
from partner_of_record.attribution.store import Store
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, PartnerId, Workload, month_days

__all__ = ["FIELDS", "Credits"]

FIELDS: tuple[str, ...] = (
    "partner_id",
    "subscription_id",
    "customer_id",
    "workload",
    "month",
    "service",
    "currency",
    "kinds",
    "share",
)
"""The credit fields ``Credits.totals(by=...)`` can group by."""

_ROW_FIELDS = frozenset(
    ["subscription_id", "customer_id", "workload", "month", "service", "currency"]
)

Selection = Sequence[int]


def _values(value: Any) -> frozenset[Any] | None:
    """One value or a collection of values -> a frozenset (``None`` means no filter)."""
    if value is None:
        return None
    if isinstance(value, str | enum.Enum | dt.date) or not isinstance(value, Iterable):
        return frozenset([value])
    return frozenset(value)


def _decimal(minor: int, exponent: int) -> Decimal:
    return Decimal(minor).scaleb(-exponent)


def _sort_key(item: tuple[Any, Any]) -> Any:
    key = item[0]
    parts = key if isinstance(key, tuple) else (key,)
    return tuple(
        (0, "")
        if p is None
        else (1, sorted(k.value for k in p))
        if isinstance(p, frozenset)
        else (1, p.value)
        if isinstance(p, enum.Enum)
        else (1, p)
        for p in parts
    )


class Credits:
    """The credits of one attribution run, or a filtered part of them.

    Credits are stored column-wise (row index, partner index, integer minor units, kinds mask);
    [`Credit`][partner_of_record.Credit] objects are built only when iterated. Filtering returns a
    new ``Credits`` that shares the columns.

    Amounts in different currencies are never added together: ``total`` and ``totals`` raise
    [`CurrencyMixError`][partner_of_record.CurrencyMixError] when a selection holds
    several currencies, unless ``"currency"`` is one of the ``by`` fields.

    Attributes:
        policy: the policy that produced the credits.
        ledger: the ledger they were computed from.
        unattributed: the parts of usage rows nobody was credited with.
    """

    __slots__ = ("_cidx", "_partial", "_rows", "_store", "_uidx")
    _store: Store
    _cidx: Selection
    _uidx: Selection
    _rows: Selection
    _partial: bool

    def __init__(self) -> None:
        msg = "Credits are made by attribute(ledger, policy), not built directly"
        raise TypeError(msg)

    @classmethod
    def _make(
        cls,
        store: Store,
        cidx: Selection,
        uidx: Selection,
        rows: Selection,
        *,
        partial: bool,
    ) -> Credits:
        self = object.__new__(cls)
        self._store = store
        self._cidx = cidx
        self._uidx = uidx
        self._rows = rows
        self._partial = partial
        return self

    @classmethod
    def _from_store(cls, store: Store) -> Credits:
        return cls._make(
            store,
            range(len(store.c_row)),
            range(len(store.u_row)),
            range(len(store.rows)),
            partial=False,
        )

    # ------------------------------------------------------------------ basic access

    @property
    def policy(self) -> Any:
        """The policy that produced the credits."""
        return self._store.policy

    @property
    def ledger(self) -> Ledger:
        """The ledger the credits were computed from."""
        return self._store.ledger

    def __len__(self) -> int:
        return len(self._cidx)

    def __bool__(self) -> bool:
        return len(self._cidx) > 0

    def __iter__(self) -> Iterator[Credit]:
        for c in self._cidx:
            yield self._credit(c)

    def __repr__(self) -> str:
        return (
            f"<Credits policy={self._store.policy_name} credits={len(self._cidx)} "
            f"unattributed={len(self._uidx)}>"
        )

    def _credit(self, c: int) -> Credit:
        s = self._store
        r = s.c_row[c]
        p = s.c_partner[c]
        u = s.rows[r]
        sub = s.ledger.subscription(u.subscription_id)
        plan = s.row_plan[r]
        ci = s.row_cur[r]
        return Credit(
            partner_id=s.partners[p],
            subscription_id=u.subscription_id,
            customer_id=sub.customer_id,
            workload=sub.workload,
            month=u.month,
            service=u.service,
            currency=u.currency,
            amount=_decimal(s.c_minor[c], s.exponents[ci]),
            kinds=mask_kinds(s.c_kinds[c]),
            share=plan.share(p),
            explanation=credit_explanation(s, r, p),
        )

    @property
    def unattributed(self) -> tuple[Unattributed, ...]:
        """The parts of usage rows that no partner was credited with, in row order."""
        s = self._store
        out = []
        for i in self._uidx:
            r = s.u_row[i]
            u = s.rows[r]
            days = s.unattributed_days(r)
            md = month_days(u.month)
            if days == 0:
                reason = f"the policy {s.policy_name} left part of the amount to nobody"
            elif days == md:
                reason = "no partner credited on any day of the month"
            else:
                reason = f"no partner credited on {days} of {md} days"
            amount = _decimal(s.u_minor[i], s.exponents[s.row_cur[r]])
            out.append(Unattributed(u, amount, days, reason))
        return tuple(out)

    # ------------------------------------------------------------------ filtering

    def filter(
        self,
        partner_id: PartnerId | Collection[PartnerId] | None = None,
        customer_id: str | Collection[str] | None = None,
        subscription_id: str | Collection[str] | None = None,
        workload: Workload | Collection[Workload] | None = None,
        kind: AssociationKind | Collection[AssociationKind] | None = None,
        service: str | Collection[str] | None = None,
        currency: str | Collection[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Credits:
        """Return the credits that match every given filter.

        Each filter accepts one value or a collection of values (any of which matches);
        ``None`` means "do not filter". ``kind`` matches credits whose kinds include one of the
        given kinds. ``start``/``end`` keep months in ``[start, end)``.

        The unattributed parts follow the row filters (customer, subscription, workload,
        service, currency, months); a ``partner_id`` or ``kind`` filter leaves none, since
        unattributed amounts belong to no partner.

        Args:
            partner_id: partner id(s).
            customer_id: customer tenant id(s).
            subscription_id: subscription id(s).
            workload: workload(s).
            kind: association kind(s).
            service: service name(s).
            currency: currency code(s).
            start: first month kept.
            end: first month no longer kept.

        Returns:
            A new ``Credits`` sharing this one's columns.
        """
        s = self._store
        row_tests: list[tuple[list[Any], frozenset[Any]]] = []
        for field, value in (
            ("customer_id", customer_id),
            ("subscription_id", subscription_id),
            ("workload", workload),
            ("service", service),
            ("currency", currency),
        ):
            wanted = _values(value)
            if wanted is not None:
                row_tests.append((s.row_values(field), wanted))
        rowmask: bytearray | None = None
        if row_tests or start is not None or end is not None:
            months = s.row_values("month")
            rowmask = bytearray(len(s.rows))
            for r in self._rows:
                m = months[r]
                if (start is not None and m < start) or (end is not None and m >= end):
                    continue
                if all(values[r] in wanted for values, wanted in row_tests):
                    rowmask[r] = 1
        pset = _values(partner_id)
        pidx: set[int] | None = None
        if pset is not None:
            pidx = {i for i, p in enumerate(s.partners) if p in pset}
        kset = _values(kind)
        kmask = kinds_mask(set(kset)) if kset is not None else 0
        c_row, c_key = s.c_row, s.c_key
        cidx: Iterable[int] = self._cidx
        if rowmask is not None:
            cidx = [c for c in cidx if rowmask[c_row[c]]]
        if pidx is not None:
            cidx = [c for c in cidx if c_key[c] >> KEY_SHIFT in pidx]
        if kset is not None:
            cidx = [c for c in cidx if c_key[c] & kmask]
        partial = self._partial or pset is not None or kset is not None
        uidx: Iterable[int] = self._uidx
        rows: Iterable[int] = self._rows
        if rowmask is not None:
            uidx = [i for i in uidx if rowmask[s.u_row[i]]]
            rows = [r for r in rows if rowmask[r]]
        if pset is not None or kset is not None:
            uidx = []
        return Credits._make(
            s,
            _freeze(cidx),
            _freeze(uidx),
            _freeze(rows),
            partial=partial,
        )

    # ------------------------------------------------------------------ totals

    def currencies(self) -> frozenset[str]:
        """Return the currencies of the credits in this collection.

        Returns:
            The ISO 4217 codes; empty when there is no credit.
        """
        s = self._store
        if len(s.currencies) == 1:
            return frozenset(s.currencies) if len(self._cidx) else frozenset()
        row_cur, c_row = s.row_cur, s.c_row
        found = {row_cur[c_row[c]] for c in self._cidx}
        return frozenset(s.currencies[i] for i in found)

    def partners(self) -> frozenset[PartnerId]:
        """Return the ids of the partners credited in this collection.

        Returns:
            The partner ids; empty when there is no credit.
        """
        s = self._store
        c_key = s.c_key
        keys = {c_key[c] for c in self._cidx}
        return frozenset(s.partners[i] for i in {k >> KEY_SHIFT for k in keys})

    def total(
        self,
        partner_id: PartnerId | Collection[PartnerId] | None = None,
        customer_id: str | Collection[str] | None = None,
        subscription_id: str | Collection[str] | None = None,
        workload: Workload | Collection[Workload] | None = None,
        kind: AssociationKind | Collection[AssociationKind] | None = None,
        service: str | Collection[str] | None = None,
        currency: str | Collection[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> Decimal:
        """Return the total credited amount of the credits matching the filters.

        Args:
            partner_id: partner id(s); see [`filter`][partner_of_record.Credits.filter].
            customer_id: customer tenant id(s).
            subscription_id: subscription id(s).
            workload: workload(s).
            kind: association kind(s).
            service: service name(s).
            currency: currency code(s).
            start: first month kept.
            end: first month no longer kept.

        Returns:
            The sum, with the currency's minor-unit decimals; ``Decimal("0")`` when empty.

        Raises:
            CurrencyMixError: the selection holds amounts in several currencies.
        """
        sel = self.filter(
            partner_id=partner_id,
            customer_id=customer_id,
            subscription_id=subscription_id,
            workload=workload,
            kind=kind,
            service=service,
            currency=currency,
            start=start,
            end=end,
        )
        return sel._sum(sel._cidx, sel._store.c_minor, sel._store.c_row)

    def _sum(self, idx: Selection, minor: Sequence[int], row_of: Sequence[int]) -> Decimal:
        s = self._store
        if not len(idx):
            return Decimal("0")
        row_cur = s.row_cur
        if len(s.currencies) == 1:
            cur = 0
        else:
            curs = {row_cur[row_of[i]] for i in idx}
            if len(curs) > 1:
                raise CurrencyMixError(s.currencies[i] for i in curs)
            cur = curs.pop()
        if isinstance(idx, range) and idx.step == 1 and len(idx) == len(minor):
            total = sum(minor)
        else:
            total = sum(minor[i] for i in idx)
        return _decimal(total, s.exponents[cur])

    def totals(self, by: str | tuple[str, ...] = "partner_id") -> dict[Any, Decimal]:
        """Return the total credited amount per value of one or several credit fields.

        Computed over the columns, without building one ``Credit`` per credit. The result is
        ordered by key.

        Args:
            by: a credit field (see ``FIELDS``: ``"partner_id"``, ``"customer_id"``,
                ``"month"``, ``"kinds"`` ...) or a tuple of fields.

        Returns:
            A mapping from the field's value (a tuple of values for a tuple ``by``) to its total.

        Raises:
            CurrencyMixError: the selection holds several currencies and ``"currency"`` is not
                among ``by``.
            ValueError: ``by`` names a field that does not exist.
        """
        fields = (by,) if isinstance(by, str) else tuple(by)
        if not fields:
            msg = "totals(by=...): name at least one field"
            raise ValueError(msg)
        for f in fields:
            if f not in FIELDS:
                msg = f"totals(by=...): {f!r} is not a credit field (one of {', '.join(FIELDS)})"
                raise ValueError(msg)
        s = self._store
        cidx = self._cidx
        c_row, c_key, c_minor = s.c_row, s.c_key, s.c_minor
        multi = len(s.currencies) > 1
        if multi:
            row_cur = s.row_cur
            curs = {row_cur[c_row[c]] for c in cidx}
            multi = len(curs) > 1
            if multi and "currency" not in fields:
                raise CurrencyMixError(s.currencies[i] for i in curs)
            single = curs.pop() if len(curs) == 1 else 0
        else:
            single = 0
        acc: dict[Any, int] = {}
        get = acc.get
        whole = isinstance(cidx, range) and len(cidx) == len(c_minor)
        if fields == ("partner_id",) and not multi:
            # sum per packed key (partner and kinds), then fold the kinds away
            if whole:
                for k, m in zip(c_key, c_minor, strict=True):
                    acc[k] = get(k, 0) + m
            else:
                for c in cidx:
                    k = c_key[c]
                    acc[k] = get(k, 0) + c_minor[c]
            per_partner: dict[int, int] = {}
            for k, m in acc.items():
                p = k >> KEY_SHIFT
                per_partner[p] = per_partner.get(p, 0) + m
            names = s.partners
            exp = s.exponents[single] if s.currencies else 0
            out = {names[p]: _decimal(m, exp) for p, m in per_partner.items()}
            return dict(sorted(out.items()))
        keyers = [self._keyer(f) for f in fields]
        if len(keyers) == 1:
            key1 = keyers[0]
            for c in cidx:
                one = key1(c)
                acc[one] = get(one, 0) + c_minor[c]
        else:
            for c in cidx:
                many = tuple(kf(c) for kf in keyers)
                acc[many] = get(many, 0) + c_minor[c]
        result: dict[Any, Decimal] = {}
        if multi:
            cur_pos = fields.index("currency")
            for k, m in acc.items():
                cur = k[cur_pos] if isinstance(k, tuple) else k
                result[k] = _decimal(m, s.exponents[s.currencies.index(cur)])
        else:
            exp = s.exponents[single] if s.currencies else 0
            result = {k: _decimal(m, exp) for k, m in acc.items()}
        try:
            return dict(sorted(result.items(), key=_sort_key))
        except TypeError:  # pragma: no cover - unorderable mixed keys keep first-seen order
            return result

    def _keyer(self, field: str) -> Callable[[int], Any]:
        s = self._store
        c_row = s.c_row
        if field == "partner_id":
            names, c_partner = s.partners, s.c_partner
            return lambda c: names[c_partner[c]]
        if field == "kinds":
            c_kinds = s.c_kinds
            return lambda c: mask_kinds(c_kinds[c])
        if field == "share":
            c_partner, plans = s.c_partner, s.row_plan
            return lambda c: plans[c_row[c]].share(c_partner[c])
        values = s.row_values(field)
        return lambda c: values[c_row[c]]

    def unattributed_total(self, currency: str | None = None) -> Decimal:
        """Return the total amount nobody was credited with.

        Args:
            currency: if given, only unattributed parts in this currency.

        Returns:
            The sum; ``Decimal("0")`` when there is none.

        Raises:
            CurrencyMixError: ``currency`` is not given and the parts are in several currencies.
        """
        idx: Selection = self._uidx
        s = self._store
        if currency is not None:
            idx = [i for i in idx if s.rows[s.u_row[i]].currency == currency]
        return self._sum(idx, s.u_minor, s.u_row)

    # ------------------------------------------------------------------ explanation, checks

    def explain(
        self,
        partner_id: PartnerId,
        customer_id: str | Collection[str] | None = None,
        subscription_id: str | Collection[str] | None = None,
        workload: Workload | Collection[Workload] | None = None,
        kind: AssociationKind | Collection[AssociationKind] | None = None,
        service: str | Collection[str] | None = None,
        currency: str | Collection[str] | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> str:
        """Explain a partner's credits down to the usage rows, spans and associations.

        Args:
            partner_id: the partner to explain.
            customer_id: customer tenant id(s) to keep; see ``filter``.
            subscription_id: subscription id(s) to keep.
            workload: workload(s) to keep.
            kind: association kind(s) to keep.
            service: service name(s) to keep.
            currency: currency code(s) to keep.
            start: first month kept.
            end: first month no longer kept.

        Returns:
            Readable text: the totals per currency, then one block per usage row.
        """
        sel = self.filter(
            partner_id=partner_id,
            customer_id=customer_id,
            subscription_id=subscription_id,
            workload=workload,
            kind=kind,
            service=service,
            currency=currency,
            start=start,
            end=end,
        )
        return explain_partner(sel._store, partner_id, sel._cidx)

    def reconcile(self) -> Reconciliation:
        """Check, from the stored credits, that every input amount is accounted for.

        Split policies: for every usage row, credited + unattributed == amount, to the minor
        unit. Recognising policies: every partner's credit for a row lies between 0 and the
        row's amount, each partner is credited at most once per row, and the unattributed part
        too lies between 0 and the amount. The inputs are read from the ledger, not from the
        stored columns, so a damaged ``Credits`` fails. Call it on unfiltered credits, or on
        credits filtered by row-level fields only (customer, subscription, workload, service,
        currency, months); after a partner or kind filter the split check cannot hold and the
        report says so.

        Returns:
            A [`Reconciliation`][partner_of_record.Reconciliation] with per-row and per-currency
            lines.
        """
        return reconcile(self._store, self._cidx, self._uidx, self._rows, partial=self._partial)

    def _repr_html_(self) -> str:
        try:
            totals = self.totals(by=("partner_id", "currency"))
        except CurrencyMixError:  # pragma: no cover - impossible with currency in by
            totals = {}
        cells = "".join(
            f"<tr><td>{html.escape(str(p))}</td><td>{html.escape(cur)}</td>"
            f"<td style='text-align:right'>{amount:,}</td></tr>"
            for (p, cur), amount in totals.items()
        )
        return (
            f"<table><caption>Credits ({html.escape(self._store.policy_name)}, "
            f"{len(self)} credits)</caption>"
            "<tr><th>partner</th><th>currency</th><th>total</th></tr>"
            f"{cells}</table>"
        )


def _freeze(idx: Iterable[int]) -> Selection:
    if isinstance(idx, range | array):
        return idx
    return array("q", idx)
