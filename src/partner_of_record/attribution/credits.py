"""``Credits``: the result of ``attribute()``, a filterable collection held in columns."""

from __future__ import annotations

import datetime as dt
import html
import importlib
from collections.abc import Collection, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from partner_of_record.attribution import _columns, _compact
from partner_of_record.attribution._explain import credit_explanation, explain_partner
from partner_of_record.attribution._money import exact_sum, from_minor
from partner_of_record.attribution.errors import CurrencyMixError
from partner_of_record.attribution.kinds import kinds_mask, mask_kinds
from partner_of_record.attribution.reconcile import Reconciliation, _reconcile
from partner_of_record.attribution.records import Credit, Unattributed
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, PartnerId, Workload, month_days

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from partner_of_record.attribution._result import Result

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

_I64 = npt.NDArray[np.int64]
_ROW_FIELDS = ("subscription_id", "customer_id", "workload", "month", "service", "currency")


class Credits:
    """The credits of one attribution run, or a filtered part of them.

    Credits are stored column-wise (row, partner, kinds mask and integer minor units, as numpy
    arrays): filtering is a mask, totals are group sums over integer codes, and
    [`Credit`][partner_of_record.Credit] objects and their explanations are made only when
    iterated or explained. Filtering returns a new ``Credits`` that shares the columns.

    Amounts in different currencies are never added together: ``total`` and ``totals`` raise
    [`CurrencyMixError`][partner_of_record.CurrencyMixError] when a selection holds
    several currencies, unless ``"currency"`` is one of the ``by`` fields.

    Attributes:
        policy: the policy that produced the credits.
        ledger: the ledger they were computed from.
        unattributed: the parts of usage rows nobody was credited with.
    """

    __slots__ = ("_c", "_partial", "_r", "_rows", "_u")
    _r: Result
    _c: _I64 | None
    _u: _I64 | None
    _rows: _I64 | None
    _partial: bool

    def __init__(self) -> None:
        msg = "Credits are made by attribute(ledger, policy), not built directly"
        raise TypeError(msg)

    @classmethod
    def _make(
        cls, r: Result, cidx: _I64 | None, uidx: _I64 | None, rows: _I64 | None, *, partial: bool
    ) -> Credits:
        """``None`` selects every credit / unattributed part / row of the run."""
        self = object.__new__(cls)
        self._r = r
        self._c = cidx
        self._u = uidx
        self._rows = rows
        self._partial = partial
        return self

    @classmethod
    def _from_result(cls, r: Result) -> Credits:
        return cls._make(r, None, None, None, partial=False)

    # ------------------------------------------------------------------ selections

    @property
    def _cidx(self) -> _I64:
        if self._c is None:
            return np.arange(len(self._r.alloc.c_row), dtype=np.int64)
        return self._c

    @property
    def _uidx(self) -> _I64:
        if self._u is None:
            return np.arange(len(self._r.alloc.u_row), dtype=np.int64)
        return self._u

    @property
    def _rowidx(self) -> _I64:
        if self._rows is None:
            return np.arange(self._r.n_rows, dtype=np.int64)
        return self._rows

    def _col(self, column: npt.NDArray[Any], which: _I64 | None) -> npt.NDArray[Any]:
        return column if which is None else column[which]

    # ------------------------------------------------------------------ basic access

    @property
    def policy(self) -> Any:
        """The policy that produced the credits."""
        return self._r.policy

    @property
    def ledger(self) -> Ledger:
        """The ledger the credits were computed from."""
        return self._r.ledger

    def __len__(self) -> int:
        return _compact.n_credits(self._r) if self._c is None else len(self._c)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Credit]:
        for c in self._cidx.tolist():
            yield self._credit(c)

    def __repr__(self) -> str:
        n_u = len(self._r.alloc.u_row) if self._u is None else len(self._u)
        return f"<Credits policy={self._r.policy_name} credits={len(self)} unattributed={n_u}>"

    def _credit(self, c: int) -> Credit:
        r = self._r
        a = r.alloc
        row = int(a.c_row[c])
        p = int(a.c_partner[c])
        u = r.usage(row)
        sub = r.ledger.subscription(u.subscription_id)
        return Credit(
            partner_id=a.partners[p],
            subscription_id=u.subscription_id,
            customer_id=sub.customer_id,
            workload=sub.workload,
            month=u.month,
            service=u.service,
            currency=u.currency,
            amount=from_minor(a.c_minor[c], r.exponents[int(r.cur[row])]),
            kinds=mask_kinds(int(a.c_kinds[c])),
            share=r.share(row, p),
            explanation=credit_explanation(r, row, p),
        )

    @property
    def unattributed(self) -> tuple[Unattributed, ...]:
        """The parts of usage rows that no partner was credited with, in row order."""
        r = self._r
        a = r.alloc
        out = []
        for i in self._uidx.tolist():
            row = int(a.u_row[i])
            u = r.usage(row)
            days = r.unattributed_days(row)
            md = month_days(u.month)
            if days == 0:
                reason = f"the policy {r.policy_name} left part of the amount to nobody"
            elif days == md:
                reason = "no partner credited on any day of the month"
            else:
                reason = f"no partner credited on {days} of {md} days"
            amount = from_minor(a.u_minor[i], r.exponents[int(r.cur[row])])
            out.append(Unattributed(u, amount, days, reason))
        return tuple(out)

    # ------------------------------------------------------------------ row fields

    def _row_codes(self, field: str) -> tuple[_I64, list[Any]]:
        """Each row's code for a row field, and the values the codes stand for (cached)."""
        r = self._r
        key = ("codes", field)
        found: tuple[_I64, list[Any]] | None = r.cache.get(key)
        if found is not None:
            return found
        t = r.table
        if field == "subscription_id":
            found = (r.row_array(t.sub), list(t.sub_ids))
        elif field == "service":
            found = (r.row_array(t.service), list(t.services))
        elif field == "currency":
            found = (r.cur, list(t.currencies))
        elif field == "month":
            months = r.row_array(t.month)
            lo = int(months.min()) if len(months) else 0
            top = int(months.max()) - lo + 1 if len(months) else 0
            found = (months - lo, [dt.date.fromordinal(lo + i) for i in range(top)])
        else:  # customer_id, workload: through the subscription
            subs = [r.ledger.subscription(s) for s in t.sub_ids]
            index: dict[Any, int] = {}
            codes = np.array(
                [index.setdefault(getattr(s, field), len(index)) for s in subs], dtype=np.int64
            )
            found = (codes[r.row_array(t.sub)] if len(codes) else r.row_array(t.sub), list(index))
        r.cache[key] = found
        return found

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
        r = self._r
        rowmask: npt.NDArray[np.bool_] | None = None
        for field, value in (
            ("customer_id", customer_id),
            ("subscription_id", subscription_id),
            ("workload", workload),
            ("service", service),
            ("currency", currency),
        ):
            wanted = _columns.values_of(value)
            if wanted is None:
                continue
            codes, values = self._row_codes(field)
            lut = np.array([v in wanted for v in values] + [False], dtype=bool)
            m = lut[codes] if len(codes) else np.zeros(0, dtype=bool)
            rowmask = m if rowmask is None else rowmask & m
        if start is not None or end is not None:
            months = r.row_array(r.table.month)
            m = np.ones(len(months), dtype=bool)
            if start is not None:
                m &= months >= start.toordinal()
            if end is not None:
                m &= months < end.toordinal()
            rowmask = m if rowmask is None else rowmask & m
        if rowmask is not None and self._rows is not None:
            inside = np.zeros(r.n_rows, dtype=bool)
            inside[self._rows] = True
            rowmask &= inside
        pset = _columns.values_of(partner_id)
        kset = _columns.values_of(kind)
        if rowmask is None and pset is None and kset is None:
            return Credits._make(r, self._c, self._u, self._rows, partial=self._partial)
        a = r.alloc
        cidx = self._cidx
        keep = np.ones(len(cidx), dtype=bool)
        if pset is not None:
            lut = np.array([p in pset for p in a.partners] + [False], dtype=bool)
            keep &= lut[a.c_partner[cidx]]
        if rowmask is not None:
            keep &= rowmask[a.c_row[cidx]]
        if kset is not None:
            keep &= (a.c_kinds[cidx] & kinds_mask(set(kset))) != 0
        partial = self._partial or pset is not None or kset is not None
        uidx = self._uidx
        rows = self._rows
        if rowmask is not None:
            uidx = uidx[rowmask[a.u_row[uidx]]]
            rows = np.flatnonzero(rowmask).astype(np.int64)
        if pset is not None or kset is not None:
            uidx = uidx[:0]
        return Credits._make(r, cidx[keep], uidx, rows, partial=partial)

    # ------------------------------------------------------------------ totals

    def _currency_codes(self) -> _I64:
        """The currency codes present among the selected credits."""
        r = self._r
        if len(r.currencies) <= 1:
            return np.arange(len(r.currencies) if len(self) else 0, dtype=np.int64)
        if self._c is None and not r.expanded:
            return _compact.credited_currencies(r)
        cur = r.cur[self._col(r.alloc.c_row, self._c)]
        return np.flatnonzero(np.bincount(cur, minlength=len(r.currencies))).astype(np.int64)

    def currencies(self) -> frozenset[str]:
        """Return the currencies of the credits in this collection.

        Returns:
            The ISO 4217 codes; empty when there is no credit.
        """
        names = self._r.currencies
        return frozenset(names[i] for i in self._currency_codes().tolist())

    def partners(self) -> frozenset[PartnerId]:
        """Return the ids of the partners credited in this collection.

        Returns:
            The partner ids; empty when there is no credit.
        """
        r = self._r
        if self._c is None and not r.expanded:  # the engine keeps only partners with a credit
            return frozenset(r.partners)
        a = r.alloc
        used = np.flatnonzero(
            np.bincount(self._col(a.c_partner, self._c), minlength=len(a.partners))
        )
        return frozenset(a.partners[i] for i in used.tolist())

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
            partner_id, customer_id, subscription_id, workload, kind, service, currency, start, end
        )
        used = sel._currency_codes()
        r = sel._r
        if not len(used):
            return Decimal("0")
        if len(used) > 1:
            raise CurrencyMixError(r.currencies[i] for i in used.tolist())
        if sel._c is None and not r.expanded:
            (found,) = _columns.totals_by_codes(sel, ("currency",), used).values()
            return found
        return from_minor(exact_sum(sel._col(r.alloc.c_minor, sel._c)), r.exponents[int(used[0])])

    def totals(self, by: str | tuple[str, ...] = "partner_id") -> dict[Any, Decimal]:
        """Return the total credited amount per value of one or several credit fields.

        Computed as group sums over the columns' integer codes, without building one
        ``Credit`` per credit. The result is ordered by key.

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
        r = self._r
        used = self._currency_codes()
        if len(used) > 1 and "currency" not in fields:
            raise CurrencyMixError(r.currencies[i] for i in used.tolist())
        if not len(self):
            return {}
        if "share" in fields:
            return _columns.totals_slow(self, fields)
        return _columns.totals_by_codes(self, fields, used)

    def unattributed_total(self, currency: str | None = None) -> Decimal:
        """Return the total amount nobody was credited with.

        Args:
            currency: if given, only unattributed parts in this currency.

        Returns:
            The sum; ``Decimal("0")`` when there is none.

        Raises:
            CurrencyMixError: ``currency`` is not given and the parts are in several currencies.
        """
        r = self._r
        if self._u is None and not r.expanded:
            cur, minor = _compact.unattributed_columns(r)
        else:
            a = r.alloc
            uidx = self._uidx
            cur, minor = r.cur[a.u_row[uidx]], a.u_minor[uidx]
        if currency is not None:
            if currency not in r.currencies:
                return Decimal("0")
            keep = cur == r.currencies.index(currency)
            cur, minor = cur[keep], minor[keep]
        if not len(cur):
            return Decimal("0")
        used = np.flatnonzero(np.bincount(cur, minlength=len(r.currencies)))
        if len(used) > 1:
            raise CurrencyMixError(r.currencies[i] for i in used.tolist())
        return from_minor(exact_sum(minor), r.exponents[int(used[0])])

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
        return explain_partner(sel._r, partner_id, sel._cidx.tolist())

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
        return _reconcile(self._r, self._cidx, self._uidx, self._rowidx, partial=self._partial)

    # ------------------------------------------------------------------ frames

    def to_pandas(self, *, numeric: bool = False) -> pd.DataFrame:
        """Return one row per credit, in iteration order (needs the ``pandas`` extra).

        The columns are the [`Credit`][partner_of_record.Credit] fields but ``explanation``:
        ``partner_id``, ``subscription_id``, ``customer_id``, ``workload`` (its value, e.g.
        ``"azure"``), ``month`` (a ``datetime.date``), ``service`` (``None`` when unknown),
        ``currency``, ``amount`` (an exact ``Decimal``), ``kinds`` (the kinds' values, sorted
        and joined by commas, e.g. ``"dpor,pal"``) and ``share`` (an exact ``Fraction``). Built
        from the columns, without making ``Credit`` objects.

        Args:
            numeric: give ``amount`` as ``float64`` and ``month`` as a monthly
                ``pandas.Period`` (for plotting and quick analysis; the amounts are then no
                longer exact) and ``share`` as a float.

        Returns:
            A ``pandas.DataFrame`` with those columns (and no row when there is no credit).

        Raises:
            ImportError: pandas is not installed (``pip install pandas (the [pandas] extra)``).
        """
        return _columns.to_pandas(self, numeric=numeric)

    def to_arrow(self) -> Any:
        """Return one row per credit as a pyarrow Table (needs the ``arrow`` extra).

        Columns as in [`to_pandas`][partner_of_record.Credits.to_pandas]; ``month`` is a
        ``date32``, ``amount`` an exact ``decimal128(38, s)`` where ``s`` is the largest
        minor-unit exponent of the currencies present, ``amount_minor`` the integer minor units
        of the row's currency, and ``share`` the exact fraction as text (``"1/3"``).

        Returns:
            The table.

        Raises:
            ImportError: pyarrow is not installed (``pip install pyarrow (the [arrow] extra)``).
        """
        return _columns.to_arrow(self)

    def to_polars(self) -> Any:
        """Return one row per credit as a polars DataFrame, through Arrow.

        Needs the ``polars`` and ``arrow`` extras; the columns are those of
        [`to_arrow`][partner_of_record.Credits.to_arrow].

        Returns:
            The frame.

        Raises:
            ImportError: polars or pyarrow is not installed.
        """
        try:
            pl: Any = importlib.import_module("polars")
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Credits.to_polars needs polars: pip install polars pyarrow ([polars,arrow] extras)"
            ) from exc
        return pl.from_arrow(self.to_arrow())

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
            f"<table><caption>Credits ({html.escape(self._r.policy_name)}, "
            f"{len(self)} credits)</caption>"
            "<tr><th>partner</th><th>currency</th><th>total</th></tr>"
            f"{cells}</table>"
        )
