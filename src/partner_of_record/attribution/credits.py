"""``Credits``: the result of ``attribute()``, a filterable collection held in columns."""

from __future__ import annotations

import datetime as dt
import enum
import html
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING, Any

from partner_of_record.attribution.errors import CurrencyMixError
from partner_of_record.attribution.explain import credit_explanation, explain_partner
from partner_of_record.attribution.kinds import kinds_mask, mask_kinds
from partner_of_record.attribution.reconcile import Reconciliation, reconcile
from partner_of_record.attribution.records import Credit, Unattributed
from partner_of_record.attribution.spans import KEY_SHIFT
from partner_of_record.attribution.store import Store
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, PartnerId, Workload, month_days

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

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


def _kinds_order(kinds: frozenset[Any] | None) -> tuple[int, list[str]]:
    return (0, []) if kinds is None else (1, sorted(k.value for k in kinds))


def _value_order(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    return (1, value.value) if isinstance(value, enum.Enum) else (1, value)


_ORDER: dict[str, Callable[[Any], Any]] = {
    "service": _value_order,
    "workload": _value_order,
    "kinds": _kinds_order,
}
"""How ``totals`` orders the values of the fields that are not plainly comparable: ``None``
first, enums by value, kinds by their sorted values; other fields sort as they are."""


def _ordered(result: dict[Any, Decimal], fields: tuple[str, ...]) -> dict[Any, Decimal]:
    """Return ``result`` ordered by key (one sort key per group, not per credit)."""
    orders = [_ORDER.get(f) for f in fields]
    key: Callable[[tuple[Any, Decimal]], Any] | None = None
    if len(fields) == 1:
        one = orders[0]
        if one is not None:
            key = lambda item: one(item[0])  # noqa: E731 - a tiny sort key
    elif any(orders):
        parts = [o or _same for o in orders]
        key = lambda item: tuple(o(v) for o, v in zip(parts, item[0], strict=True))  # noqa: E731
    try:
        if key is None:  # keys are unique: sorting the pairs never compares two totals
            return dict(sorted(result.items()))
        return dict(sorted(result.items(), key=key))
    except TypeError:  # pragma: no cover - unorderable mixed keys keep first-seen order
        return result


def _same(value: Any) -> Any:
    return value


class Credits:
    """The credits of one attribution run, or a filtered part of them.

    Credits are stored column-wise (row index, partner index, integer minor units, kinds mask);
    the columns are built the first time they are needed (``totals(by="partner_id")``,
    ``total()``, ``len()`` and ``unattributed_total()`` of unfiltered credits are computed per
    plan without them) and [`Credit`][partner_of_record.Credit] objects only when iterated.
    Filtering returns a new ``Credits`` that shares the columns; filtering by partner reads a
    per-partner index built once.

    Amounts in different currencies are never added together: ``total`` and ``totals`` raise
    [`CurrencyMixError`][partner_of_record.CurrencyMixError] when a selection holds
    several currencies, unless ``"currency"`` is one of the ``by`` fields.

    Attributes:
        policy: the policy that produced the credits.
        ledger: the ledger they were computed from.
        unattributed: the parts of usage rows nobody was credited with.
    """

    __slots__ = ("_c", "_partial", "_rows", "_store", "_u")
    _store: Store
    _c: Selection | None
    _u: Selection | None
    _rows: Selection
    _partial: bool

    def __init__(self) -> None:
        msg = "Credits are made by attribute(ledger, policy), not built directly"
        raise TypeError(msg)

    @classmethod
    def _make(
        cls,
        store: Store,
        cidx: Selection | None,
        uidx: Selection | None,
        rows: Selection,
        *,
        partial: bool,
    ) -> Credits:
        """``cidx``/``uidx`` of ``None`` select every credit/unattributed part of the store,
        without building the credit columns until they are needed."""
        self = object.__new__(cls)
        self._store = store
        self._c = cidx
        self._u = uidx
        self._rows = rows
        self._partial = partial
        return self

    @classmethod
    def _from_store(cls, store: Store) -> Credits:
        return cls._make(store, None, None, range(len(store.rows)), partial=False)

    @property
    def _cidx(self) -> Selection:
        """The selected credit indices (builds the credit columns when all are selected)."""
        return range(len(self._store.c_row)) if self._c is None else self._c

    @property
    def _uidx(self) -> Selection:
        """The selected unattributed parts' indices."""
        return range(len(self._store.u_row)) if self._u is None else self._u

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
        return self._store.credit_count() if self._c is None else len(self._c)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Credit]:
        for c in self._cidx:
            yield self._credit(c)

    def __repr__(self) -> str:
        return (
            f"<Credits policy={self._store.policy_name} credits={len(self)} "
            f"unattributed={self._unattributed_count()}>"
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

    def _unattributed_count(self) -> int:
        return self._store.unattributed_count() if self._u is None else len(self._u)

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
        kset = _values(kind)
        if rowmask is None and pset is None and kset is None:
            return Credits._make(s, self._c, self._u, self._rows, partial=self._partial)
        c_row, c_key = s.c_row, s.c_key
        cidx: Iterable[int] = self._cidx
        if pset is not None:
            ids = s.partner_ids()
            pidx = {ids[p] for p in pset if p in ids}
            if self._c is None:  # every credit: read the per-partner index
                index = s.by_partner()
                found = [index[p] for p in sorted(pidx) if p in index]
                cidx = found[0] if len(found) == 1 else sorted(chain.from_iterable(found))
            else:
                cidx = [c for c in cidx if c_key[c] >> KEY_SHIFT in pidx]
        if rowmask is not None:
            cidx = [c for c in cidx if rowmask[c_row[c]]]
        if kset is not None:
            kmask = kinds_mask(set(kset))
            cidx = [c for c in cidx if c_key[c] & kmask]
        partial = self._partial or pset is not None or kset is not None
        uidx: Iterable[int] = self._uidx
        rows: Iterable[int] = self._rows
        if rowmask is not None:
            uidx = [i for i in uidx if rowmask[s.u_row[i]]]
            rows = [r for r in rows if rowmask[r]]
        if pset is not None or kset is not None:
            uidx = []
        return Credits._make(s, _freeze(cidx), _freeze(uidx), _freeze(rows), partial=partial)

    # ------------------------------------------------------------------ totals

    def currencies(self) -> frozenset[str]:
        """Return the currencies of the credits in this collection.

        Returns:
            The ISO 4217 codes; empty when there is no credit.
        """
        s = self._store
        if self._c is None:
            counts = s.summary().credit_counts
            return frozenset(c for c, n in zip(s.currencies, counts, strict=True) if n)
        if len(s.currencies) == 1:
            return frozenset(s.currencies) if len(self._c) else frozenset()
        row_cur, c_row = s.row_cur, s.c_row
        found = {row_cur[c_row[c]] for c in self._c}
        return frozenset(s.currencies[i] for i in found)

    def partners(self) -> frozenset[PartnerId]:
        """Return the ids of the partners credited in this collection.

        Returns:
            The partner ids; empty when there is no credit.
        """
        s = self._store
        if self._c is None:
            return frozenset(s.partners[p] for per in s.summary().credited for p in per)
        c_key = s.c_key
        keys = {c_key[c] for c in self._c}
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
        others = (customer_id, subscription_id, workload, kind, service, currency, start, end)
        if self._c is None and partner_id is not None and all(v is None for v in others):
            return self._partner_total(_values(partner_id) or frozenset())
        sel = self.filter(partner_id, *others)
        if sel._c is None:
            summary = sel._store.summary()
            per_currency = [sum(per.values()) for per in summary.credited]
            return sel._summed(summary.credit_counts, per_currency)
        return sel._sum(sel._c, sel._store.c_minor, sel._store.c_row)

    def _partner_total(self, partners: frozenset[PartnerId]) -> Decimal:
        """The total of some partners over every credit, read from the per-partner totals."""
        s = self._store
        ids = s.partner_ids()
        wanted = [ids[p] for p in partners if p in ids]
        counts: list[int] = []
        totals: list[int] = []
        for per in s.summary().credited:
            found = [per[p] for p in wanted if p in per]
            counts.append(len(found))
            totals.append(sum(found))
        return self._summed(counts, totals)

    def _summed(self, counts: Sequence[int], totals: Sequence[int]) -> Decimal:
        """The total of per-currency sums (``counts``: how many amounts each sum holds)."""
        s = self._store
        used = [i for i, n in enumerate(counts) if n]
        if not used:
            return Decimal("0")
        if len(used) > 1:
            raise CurrencyMixError(s.currencies[i] for i in used)
        return _decimal(totals[used[0]], s.exponents[used[0]])

    def _sum(self, idx: Selection, minor: Sequence[int], row_of: Sequence[int]) -> Decimal:
        """The total of ``minor[i]`` for ``i`` in ``idx`` (``row_of[i]``: its row)."""
        s = self._store
        n = len(s.currencies)
        counts, totals = [0] * n, [0] * n
        if n == 1:
            counts[0] = len(idx)
            whole = isinstance(idx, range) and idx.step == 1 and len(idx) == len(minor)
            totals[0] = sum(minor) if whole else sum(minor[i] for i in idx)
        elif n > 1:
            row_cur = s.row_cur
            for i in idx:
                cur = row_cur[row_of[i]]
                counts[cur] += 1
                totals[cur] += minor[i]
        return self._summed(counts, totals)

    def totals(self, by: str | tuple[str, ...] = "partner_id") -> dict[Any, Decimal]:
        """Return the total credited amount per value of one or several credit fields.

        Computed over the columns, without building one ``Credit`` per credit (and, for
        ``"partner_id"`` over unfiltered credits, per plan rather than per credit). The result
        is ordered by key.

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
        if self._c is None and fields in (("partner_id",), ("partner_id", "currency")):
            return self._partner_totals(by_currency=len(fields) == 2)
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
        if fields == ("partner_id",) and not multi:
            # sum per packed key (partner and kinds), then fold the kinds away
            if isinstance(cidx, range) and len(cidx) == len(c_minor):
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
            return dict(sorted((names[p], _decimal(m, exp)) for p, m in per_partner.items()))
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
            exps = dict(zip(s.currencies, s.exponents, strict=True))
            for k, m in acc.items():
                cur = k[cur_pos] if isinstance(k, tuple) else k
                result[k] = _decimal(m, exps[cur])
        else:
            exp = s.exponents[single] if s.currencies else 0
            result = {k: _decimal(m, exp) for k, m in acc.items()}
        return _ordered(result, fields)

    def _partner_totals(self, *, by_currency: bool) -> dict[Any, Decimal]:
        """``totals(by="partner_id")`` (or ``("partner_id", "currency")``) of every credit,
        from the per-plan summary."""
        s = self._store
        summary = s.summary()
        used = [i for i, n in enumerate(summary.credit_counts) if n]
        if len(used) > 1 and not by_currency:
            raise CurrencyMixError(s.currencies[i] for i in used)
        names = s.partners
        out: list[tuple[Any, Decimal]] = []
        for ci in used:
            exp, cur = s.exponents[ci], s.currencies[ci]
            for p, m in summary.credited[ci].items():
                out.append(((names[p], cur) if by_currency else names[p], _decimal(m, exp)))
        return dict(sorted(out))

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
        s = self._store
        if self._u is None:
            summary = s.summary()
            counts, totals = summary.unattributed_counts, summary.unattributed
            if currency is not None:
                keep = [c == currency for c in s.currencies]
                counts = [n if k else 0 for n, k in zip(counts, keep, strict=True)]
            return self._summed(counts, totals)
        idx: Selection = self._u
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
            partner_id, customer_id, subscription_id, workload, kind, service, currency, start, end
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

    def to_pandas(self) -> pd.DataFrame:
        """Return one row per credit, in iteration order (needs the ``pandas`` extra).

        The columns are the [`Credit`][partner_of_record.Credit] fields but ``explanation``:
        ``partner_id``, ``subscription_id``, ``customer_id``, ``workload`` (its value, e.g.
        ``"azure"``), ``month`` (a ``datetime.date``), ``service`` (``None`` when unknown),
        ``currency``, ``amount`` (an exact ``Decimal``), ``kinds`` (the kinds' values, sorted
        and joined by commas, e.g. ``"dpor,pal"``) and ``share`` (an exact ``Fraction``). Built
        from the columns, without making ``Credit`` objects.

        Returns:
            A ``pandas.DataFrame`` with those columns (and no row when there is no credit).

        Raises:
            ImportError: pandas is not installed (``pip install 'partner-of-record[pandas]'``).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Credits.to_pandas needs pandas: pip install 'partner-of-record[pandas]'"
            ) from exc
        s = self._store
        cidx = self._cidx
        c_row, c_partner, c_kinds, c_minor = s.c_row, s.c_partner, s.c_kinds, s.c_minor
        rows = [c_row[c] for c in cidx]
        partners = [c_partner[c] for c in cidx]
        row_cur, plans = s.row_cur, s.row_plan

        def per_row(field: str) -> list[Any]:
            values = s.row_values(field)
            return [values[r] for r in rows]

        columns: dict[str, list[Any]] = {
            "partner_id": [s.partners[p] for p in partners],
            "subscription_id": per_row("subscription_id"),
            "customer_id": per_row("customer_id"),
            "workload": [w.value for w in per_row("workload")],
            "month": per_row("month"),
            "service": per_row("service"),
            "currency": per_row("currency"),
            "amount": [
                _decimal(c_minor[c], s.exponents[row_cur[r]])
                for c, r in zip(cidx, rows, strict=True)
            ],
            "kinds": [_kinds_text(c_kinds[c]) for c in cidx],
            "share": [plans[r].share(p) for r, p in zip(rows, partners, strict=True)],
        }
        frame = pd.DataFrame(columns, columns=list(columns))
        frame["service"] = pd.Series(columns["service"], dtype=object)  # keep None, not NaN
        return frame

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


def _kinds_text(mask: int) -> str:
    return ",".join(sorted(k.value for k in mask_kinds(mask)))


def _freeze(idx: Iterable[int]) -> Selection:
    if isinstance(idx, range | array):
        return idx
    return array("q", idx)
