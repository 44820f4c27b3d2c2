"""Reconciliation: every input amount is accounted for, checked from the stored credits."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs

from partner_of_record.attribution.store import Store
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.model import Usage

__all__ = ["CurrencyReconciliation", "Reconciliation", "RowReconciliation"]


@attrs.frozen
class RowReconciliation:
    """How one usage row's amount was accounted for.

    Attributes:
        usage: the usage row.
        amount: its amount, rounded to the currency's minor unit.
        credited: the sum of its credits over partners (recognising policies may credit the
            same amount to several partners, so this may exceed ``amount``).
        largest_credit: the largest single partner credit.
        unattributed: the part nobody was credited with.
        partners: how many credits the row has.
        ok: whether the row passes its check.
        problem: what is wrong, or ``""``.
    """

    usage: Usage
    amount: Decimal
    credited: Decimal
    largest_credit: Decimal
    unattributed: Decimal
    partners: int
    ok: bool
    problem: str = ""


@attrs.frozen
class CurrencyReconciliation:
    """The totals of one currency.

    Attributes:
        currency: the ISO 4217 code.
        amount: the total input amount.
        credited: the total credited (over partners).
        unattributed: the total unattributed.
        rows: the number of usage rows.
        failed_rows: the number of rows that fail their check.
        ok: for split policies, ``credited + unattributed == amount`` and no row fails; for
            recognising policies, no row fails.
    """

    currency: str
    amount: Decimal
    credited: Decimal
    unattributed: Decimal
    rows: int
    failed_rows: int
    ok: bool


@attrs.frozen
class Reconciliation:
    """A report, per usage row and per currency, that every input amount is accounted for.

    Attributes:
        policy: the policy's name.
        split: whether the policy is a split (conservation is then checked to the minor unit).
        ok: whether every row and currency passes, and no credit points outside the rows.
        rows: one line per usage row in scope, in ledger order.
        currencies: one line per currency, by code.
        stray: credits or unattributed parts that refer to no usage row in scope.
        note: a caveat, e.g. after a partner filter.
    """

    policy: str
    split: bool
    ok: bool
    rows: tuple[RowReconciliation, ...]
    currencies: tuple[CurrencyReconciliation, ...]
    stray: int = 0
    note: str = ""

    @property
    def failures(self) -> tuple[RowReconciliation, ...]:
        """The rows that fail their check."""
        return tuple(r for r in self.rows if not r.ok)

    def __str__(self) -> str:
        kind = (
            "split: credited + unattributed = input"
            if self.split
            else ("recognise: 0 <= each partner's credit <= input")
        )
        lines = [
            f"Reconciliation of policy {self.policy} ({kind}): "
            f"{'OK' if self.ok else 'FAILED'}, {len(self.rows)} usage row(s)"
        ]
        if self.note:
            lines.append(f"note: {self.note}")
        lines.extend(
            f"  {c.currency}: input {c.amount:,}, credited {c.credited:,}, "
            f"unattributed {c.unattributed:,}, {c.failed_rows} of {c.rows} row(s) failing"
            f"{'' if c.ok else ' FAILED'}"
            for c in self.currencies
        )
        if self.stray:
            lines.append(f"  {self.stray} credit(s) refer to no usage row in scope")
        failures = self.failures
        lines.extend(f"  FAIL {r.usage.describe()}: {r.problem}" for r in failures[:20])
        if len(failures) > 20:
            lines.append(f"  ... and {len(failures) - 20} more failing row(s)")
        return "\n".join(lines)


def _within(value: int, amount: int) -> bool:
    """Whether ``value`` lies between 0 and ``amount`` (either sign)."""
    return 0 <= value <= amount if amount >= 0 else amount <= value <= 0


def reconcile(
    store: Store,
    cidx: Sequence[int],
    uidx: Sequence[int],
    rows: Sequence[int],
    *,
    partial: bool,
) -> Reconciliation:
    """Reconcile the selected credits against the usage rows in scope (see ``Credits``)."""
    in_scope = set(rows)
    credited: dict[int, int] = {}
    largest: dict[int, int] = {}
    count: dict[int, int] = {}
    problems: dict[int, list[str]] = {}
    seen: set[tuple[int, int]] = set()
    stray = 0
    c_row, c_minor, c_partner = store.c_row, store.c_minor, store.c_partner
    minors = store.minors()  # each row's amount in minor units
    split = store.split
    for c in cidx:
        r = c_row[c]
        if r not in in_scope:
            stray += 1
            continue
        m = c_minor[c]
        credited[r] = credited.get(r, 0) + m
        count[r] = count.get(r, 0) + 1
        if abs(m) > abs(largest.get(r, 0)):
            largest[r] = m
        key = (r, c_partner[c])
        if key in seen:
            problems.setdefault(r, []).append(
                f"partner {store.partners[key[1]]} is credited more than once"
            )
        seen.add(key)
        if not split and not _within(m, minors[r]):
            problems.setdefault(r, []).append(
                f"partner {store.partners[key[1]]} is credited {m} minor units, "
                f"outside [0, {minors[r]}]"
            )
    unattributed: dict[int, int] = {}
    u_row, u_minor = store.u_row, store.u_minor
    for i in uidx:
        r = u_row[i]
        if r not in in_scope:
            stray += 1
            continue
        unattributed[r] = unattributed.get(r, 0) + u_minor[i]

    lines: list[RowReconciliation] = []
    per_cur: dict[str, list[int]] = {}
    exponents: dict[str, int] = {}
    for r in rows:
        u = store.rows[r]
        exp = exponents.get(u.currency)
        if exp is None:
            exp = exponents[u.currency] = minor_unit_exponent(u.currency)
        amount = minors[r]
        got = credited.get(r, 0)
        left = unattributed.get(r, 0)
        issues = problems.get(r, [])
        if store.split:
            if not partial and got + left != amount:
                issues.append(
                    f"credited {got} + unattributed {left} = {got + left} minor units, "
                    f"not the input {amount}"
                )
        elif not _within(left, amount):
            issues.append(f"unattributed {left} minor units, outside [0, {amount}]")
        ok = not issues
        lines.append(
            RowReconciliation(
                usage=u,
                amount=Decimal(amount).scaleb(-exp),
                credited=Decimal(got).scaleb(-exp),
                largest_credit=Decimal(largest.get(r, 0)).scaleb(-exp),
                unattributed=Decimal(left).scaleb(-exp),
                partners=count.get(r, 0),
                ok=ok,
                problem="; ".join(issues),
            )
        )
        acc = per_cur.setdefault(u.currency, [0, 0, 0, 0, 0])
        acc[0] += amount
        acc[1] += got
        acc[2] += left
        acc[3] += 1
        acc[4] += 0 if ok else 1
    currencies = []
    for cur in sorted(per_cur):
        amount, got, left, n, failed = per_cur[cur]
        exp = minor_unit_exponent(cur)
        ok = failed == 0 and (not store.split or partial or got + left == amount)
        currencies.append(
            CurrencyReconciliation(
                currency=cur,
                amount=Decimal(amount).scaleb(-exp),
                credited=Decimal(got).scaleb(-exp),
                unattributed=Decimal(left).scaleb(-exp),
                rows=n,
                failed_rows=failed,
                ok=ok,
            )
        )
    note = ""
    if partial:
        note = (
            "the credits were filtered by partner or kind, so the split conservation check "
            "(credited + unattributed = input) was not applied"
        )
    all_ok = stray == 0 and all(c.ok for c in currencies)
    return Reconciliation(
        policy=store.policy_name,
        split=store.split,
        ok=all_ok,
        rows=tuple(lines),
        currencies=tuple(currencies),
        stray=stray,
        note=note,
    )
