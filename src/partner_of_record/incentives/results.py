"""What an incentive program earns a partner: lines, months, payments, explained.

Every amount is an exact ``Decimal`` in the currency of the partner's credited consumption
(``Earnings.currency``). Each line splits one credit into an eligible part and ineligible parts,
each with a stable code and a reason, so that ``eligible + sum(ineligible) == credited`` to the
minor unit, line by line, month by month.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from partner_of_record._extras import require
from partner_of_record.errors import Finding
from partner_of_record.incentives._ineligible import INELIGIBLE_CODES, IneligibleAmount, sum_reasons
from partner_of_record.model import Workload

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

__all__ = [
    "INELIGIBLE_CODES",
    "EarningLine",
    "Earnings",
    "EarningsDiff",
    "IneligibleAmount",
    "MonthEarnings",
    "Payment",
    "WinPayment",
]


def _money(amount: Decimal) -> str:
    """An amount with thousands separators and at least two decimals (``1,234.50``)."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        amount = amount.quantize(Decimal("0.01"))
    return f"{amount:,}"


def _general(reason: str) -> str:
    """A month's reason without its month-specific shortfall (for totals over months)."""
    return reason.split(", short ", 1)[0]


@attrs.frozen
class EarningLine:
    """One credit (a partner's credit for one usage row) split into eligible and ineligible.

    Attributes:
        month: the first day of the usage row's month.
        subscription_id: the subscription.
        customer_id: its customer (tenant).
        workload: its workload.
        service: the usage row's service, when known.
        currency: the usage row's currency.
        credited: the partner's credited amount (from ``attribute()``).
        eligible: the part that earns.
        ineligible: the parts that do not, by reason; ``eligible + sum == credited``.
        eligible_days: the days of the month on which the partner was credited and eligible.
        earned: what the eligible part earns under the program's rate (before caps).
    """

    month: dt.date
    subscription_id: str
    customer_id: str
    workload: Workload
    service: str | None
    currency: str
    credited: Decimal
    eligible: Decimal
    ineligible: tuple[IneligibleAmount, ...]
    eligible_days: int
    earned: Decimal


@attrs.frozen
class WinPayment:
    """A one-off payment for a customer won in a month.

    Attributes:
        customer_id: the customer won.
        month: the month of the win.
        consumption: the partner's eligible consumption for the customer that month.
        amount: the payment.
    """

    customer_id: str
    month: dt.date
    consumption: Decimal
    amount: Decimal


@attrs.frozen
class MonthEarnings:
    """One month of a partner's earnings.

    Attributes:
        month: the first day of the month.
        partner_eligible: whether the partner met the program's eligibility as of that day.
        partner_reason: why (the eligibility's verdict, with the shortfall when not met).
        credited: the partner's credited consumption for the program's workloads.
        eligible: the part that earns.
        ineligible: the rest, summed by reason (in ``INELIGIBLE_CODES`` order).
        earned: what the eligible consumption earns (the sum of the lines).
        wins: the win payments of the month.
        capped: what the cap took off (``earned + wins - capped`` is the month's total).
        total: what the month adds to the partner's earnings.
    """

    month: dt.date
    partner_eligible: bool
    partner_reason: str
    credited: Decimal
    eligible: Decimal
    ineligible: tuple[IneligibleAmount, ...]
    earned: Decimal
    wins: tuple[WinPayment, ...]
    capped: Decimal
    total: Decimal


@attrs.frozen
class Payment:
    """A payment period: what it earned, what was paid, what carries forward.

    Attributes:
        start: the first month of the period.
        end: the last month of the period (its first day).
        earned: the period's earnings (after caps).
        carried_in: earnings carried forward from earlier periods.
        paid: what is paid at the end of the period (0 when below the minimum).
        carried_out: what carries forward to the next period.
        note: a readable note (``"below the US$200.00 minimum: carried forward"``).
    """

    start: dt.date
    end: dt.date
    earned: Decimal
    carried_in: Decimal
    paid: Decimal
    carried_out: Decimal
    note: str = ""


@attrs.frozen
class Earnings:
    """What an incentive program earns one partner over a range of months, and why.

    Attributes:
        program: the program's name.
        title: the program's title.
        partner_id: the partner.
        start: the first month evaluated.
        end: the first month no longer evaluated.
        currency: the currency of every amount (the partner's credited consumption's).
        months: one entry per month of ``[start, end)``.
        lines: one entry per credit of the partner in the program's workloads.
        payments: the payout schedule, one entry per payment period.
        findings: problems met while evaluating (e.g. a month with no data).
    """

    program: str
    title: str
    partner_id: str
    start: dt.date
    end: dt.date
    currency: str
    months: tuple[MonthEarnings, ...]
    lines: tuple[EarningLine, ...]
    payments: tuple[Payment, ...]
    findings: tuple[Finding, ...] = ()

    # ------------------------------------------------------------------ totals

    @property
    def credited(self) -> Decimal:
        """The partner's credited consumption for the program's workloads."""
        return sum((m.credited for m in self.months), Decimal(0))

    @property
    def eligible(self) -> Decimal:
        """The eligible consumption."""
        return sum((m.eligible for m in self.months), Decimal(0))

    @property
    def ineligible(self) -> tuple[IneligibleAmount, ...]:
        """The ineligible consumption, summed by reason (shortfalls, which vary by month, left
        out of the reasons)."""
        return sum_reasons(
            IneligibleAmount(i.code, _general(i.reason), i.amount)
            for m in self.months
            for i in m.ineligible
        )

    @property
    def earned(self) -> Decimal:
        """Everything earned (rate earnings and wins, after caps)."""
        return sum((m.total for m in self.months), Decimal(0))

    @property
    def paid(self) -> Decimal:
        """Everything paid in the range."""
        return sum((p.paid for p in self.payments), Decimal(0))

    @property
    def carried_forward(self) -> Decimal:
        """What is earned and not yet paid at the end of the range."""
        return self.payments[-1].carried_out if self.payments else Decimal(0)

    def by_subscription(self) -> tuple[EarningLine, ...]:
        """Return the lines summed per month and subscription (services merged).

        Like Partner Center's Earnings > Revenue report: one entry per customer subscription
        and month, with the eligible and ineligible consumption and the reasons.

        Returns:
            One line per (month, subscription), ``service`` ``None``, in line order.
        """
        groups: dict[tuple[dt.date, str], list[EarningLine]] = {}
        for line in self.lines:
            groups.setdefault((line.month, line.subscription_id), []).append(line)
        out = []
        for parts in groups.values():
            first = parts[0]
            out.append(
                attrs.evolve(
                    first,
                    service=None,
                    credited=sum((p.credited for p in parts), Decimal(0)),
                    eligible=sum((p.eligible for p in parts), Decimal(0)),
                    ineligible=sum_reasons(i for p in parts for i in p.ineligible),
                    eligible_days=max(p.eligible_days for p in parts),
                    earned=sum((p.earned for p in parts), Decimal(0)),
                )
            )
        return tuple(out)

    def month(self, month: dt.date) -> MonthEarnings:
        """Return the entry of one month.

        Args:
            month: any day of the month.

        Returns:
            The month's earnings.

        Raises:
            KeyError: the month is outside ``[start, end)``.
        """
        first = month.replace(day=1)
        for m in self.months:
            if m.month == first:
                return m
        msg = f"{first:%Y-%m} is outside the evaluated months {self.start:%Y-%m}..{self.end:%Y-%m}"
        raise KeyError(msg)

    # ------------------------------------------------------------------ explanation

    def explain(self, *, lines: bool = False) -> str:
        """Return a readable account: month by month, the ineligible reasons, the payments.

        Args:
            lines: also list every line (subscription, service) under its month.

        Returns:
            The text.
        """
        cur = self.currency
        last = _last_month(self.end)
        head = (
            f"{self.title} ({self.program}) for partner {self.partner_id}, "
            f"{self.start:%Y-%m}..{last:%Y-%m}, amounts in {cur}"
        )
        out = [
            head,
            f"  credited {_money(self.credited)}, eligible {_money(self.eligible)}, "
            f"earned {_money(self.earned)}, paid {_money(self.paid)}, "
            f"carried forward {_money(self.carried_forward)}",
            "  month    eligible partner  credited   eligible   earned",
        ]
        for m in self.months:
            flag = "yes" if m.partner_eligible else "NO"
            out.append(
                f"  {m.month:%Y-%m}  {flag:<16} {_money(m.credited):>9}  {_money(m.eligible):>9}"
                f"  {_money(m.total):>7}"
            )
            if not m.partner_eligible and m.partner_reason:
                out.append(f"    - {m.partner_reason}")
            out.extend(
                f"    - ineligible {_money(i.amount)}: {i.reason}"
                for i in m.ineligible
                if i.code != "PARTNER_NOT_ELIGIBLE"
            )
            out.extend(
                f"    + win {w.customer_id}: {_money(w.amount)} "
                f"(eligible consumption {_money(w.consumption)})"
                for w in m.wins
            )
            if m.capped:
                out.append(f"    - capped: {_money(m.capped)}")
            if lines:
                for line in self.lines:
                    if line.month != m.month:
                        continue
                    service = f" {line.service}" if line.service else ""
                    out.append(
                        f"      {line.subscription_id}{service}: credited "
                        f"{_money(line.credited)}, eligible {_money(line.eligible)} "
                        f"({line.eligible_days} days), earned {_money(line.earned)}"
                    )
        if self.ineligible:
            out.append("  ineligible by reason:")
            out.extend(f"    {_money(i.amount):>10}  {i.reason}" for i in self.ineligible)
        out.append("  payments:")
        for p in self.payments:
            period = f"{p.start:%Y-%m}" if p.start == p.end else f"{p.start:%Y-%m}..{p.end:%Y-%m}"
            note = f"  ({p.note})" if p.note else ""
            out.append(
                f"    {period}: earned {_money(p.earned)}, paid {_money(p.paid)}, "
                f"carried forward {_money(p.carried_out)}{note}"
            )
        out.extend(f"  ! {f}" for f in self.findings)
        return "\n".join(out)

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            "<tr>"
            f"<td>{m.month:%Y-%m}</td><td>{'✔' if m.partner_eligible else '✘'}</td>"
            f"<td style='text-align:right'>{_money(m.credited)}</td>"
            f"<td style='text-align:right'>{_money(m.eligible)}</td>"
            f"<td style='text-align:right'>{_money(m.total)}</td>"
            f"<td>{esc('; '.join(f'{i.reason}: {_money(i.amount)}' for i in m.ineligible))}</td>"
            "</tr>"
            for m in self.months
        )
        pays = "".join(
            f"<li>{p.start:%Y-%m}..{p.end:%Y-%m}: paid {_money(p.paid)}, carried "
            f"{_money(p.carried_out)}{esc(' — ' + p.note if p.note else '')}</li>"
            for p in self.payments
        )
        return (
            f"<div><strong>{esc(self.title)}</strong> for {esc(self.partner_id)} "
            f"({esc(self.currency)}): earned {_money(self.earned)}, paid {_money(self.paid)}"
            "<table><thead><tr><th>month</th><th>partner eligible</th><th>credited</th>"
            "<th>eligible</th><th>earned</th><th>ineligible</th></tr></thead>"
            f"<tbody>{rows}</tbody></table><ul>{pays}</ul></div>"
        )

    # ------------------------------------------------------------------ data

    def to_dict(self) -> dict[str, Any]:
        """Return the earnings as JSON-ready data (amounts as strings, dates ISO).

        Returns:
            A dictionary with the program, partner, range, currency, totals, months, lines,
            payments and findings.
        """
        return {
            "program": self.program,
            "title": self.title,
            "partner_id": self.partner_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "currency": self.currency,
            "credited": str(self.credited),
            "eligible": str(self.eligible),
            "earned": str(self.earned),
            "paid": str(self.paid),
            "carried_forward": str(self.carried_forward),
            "ineligible": [_plain(i) for i in self.ineligible],
            "months": [_plain(m) for m in self.months],
            "lines": [_plain(line) for line in self.lines],
            "payments": [_plain(p) for p in self.payments],
            "findings": [
                {"code": f.code, "message": f.message, "severity": f.severity}
                for f in self.findings
            ],
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return ``to_dict()`` as a JSON document.

        Args:
            indent: the indentation (``None``: one line).

        Returns:
            The JSON text.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_pandas(
        self, *, by: Literal["month", "line", "payment"] = "month", numeric: bool = False
    ) -> pd.DataFrame:
        """Return the months, the lines or the payments as a DataFrame (needs ``pandas``).

        Args:
            by: ``"month"`` (one row per month, one column per ineligible code), ``"line"``
                (one row per credit) or ``"payment"`` (one row per payment period).
            numeric: amounts as ``float`` columns for plotting and statistics (default: exact
                ``Decimal`` objects).

        Returns:
            The DataFrame.

        Raises:
            ImportError: pandas is not installed (``pip install pandas (the [pandas] extra)``).
            ValueError: ``by`` is not one of the three.
        """
        pandas = require("pandas", "pandas", "Earnings.to_pandas")
        records: list[dict[str, Any]]
        if by == "month":
            records = []
            for m in self.months:
                row: dict[str, Any] = {
                    "month": m.month,
                    "partner_eligible": m.partner_eligible,
                    "credited": m.credited,
                    "eligible": m.eligible,
                }
                for code in INELIGIBLE_CODES:
                    row[code.lower()] = sum(
                        (i.amount for i in m.ineligible if i.code == code), Decimal(0)
                    )
                row.update(
                    earned=m.earned,
                    wins=sum((w.amount for w in m.wins), Decimal(0)),
                    capped=m.capped,
                    total=m.total,
                )
                records.append(row)
            columns = [
                "month",
                "partner_eligible",
                "credited",
                "eligible",
                *(c.lower() for c in INELIGIBLE_CODES),
                "earned",
                "wins",
                "capped",
                "total",
            ]
        elif by == "line":
            records = [
                {
                    "month": line.month,
                    "subscription_id": line.subscription_id,
                    "customer_id": line.customer_id,
                    "workload": line.workload.value,
                    "service": line.service,
                    "credited": line.credited,
                    "eligible": line.eligible,
                    "ineligible": line.credited - line.eligible,
                    "reasons": "; ".join(i.reason for i in line.ineligible),
                    "eligible_days": line.eligible_days,
                    "earned": line.earned,
                }
                for line in self.lines
            ]
            columns = [
                "month",
                "subscription_id",
                "customer_id",
                "workload",
                "service",
                "credited",
                "eligible",
                "ineligible",
                "reasons",
                "eligible_days",
                "earned",
            ]
        elif by == "payment":
            records = [attrs.asdict(p) for p in self.payments]
            columns = [f.name for f in attrs.fields(Payment)]
        else:
            msg = f"by={by!r} is not 'month', 'line' or 'payment'"
            raise ValueError(msg)
        frame: pd.DataFrame = pandas.DataFrame(records, columns=columns)
        frame.insert(0, "partner_id", self.partner_id)
        frame.insert(0, "program", self.program)
        frame["currency"] = self.currency
        if numeric:
            for column in frame.columns:
                if len(frame) and isinstance(frame[column].iloc[0], Decimal):
                    frame[column] = frame[column].astype(float)
        return frame


def _last_month(end: dt.date) -> dt.date:
    """The last month of ``[start, end)``: the month before ``end``."""
    return (end - dt.timedelta(days=1)).replace(day=1)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Workload):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return value


@attrs.frozen
class EarningsDiff:
    """What a hypothetical change does to a partner's earnings (see ``what_if_incentive``).

    Attributes:
        before: the earnings with the ledger as it is.
        after: the earnings with the change.
    """

    before: Earnings
    after: Earnings

    @property
    def earned_delta(self) -> Decimal:
        """The change of everything earned."""
        return self.after.earned - self.before.earned

    @property
    def eligible_delta(self) -> Decimal:
        """The change of the eligible consumption."""
        return self.after.eligible - self.before.eligible

    def explain(self) -> str:
        """Return the months whose eligible consumption or earnings change."""
        b, a = self.before, self.after
        lines = [
            f"{b.program} for {b.partner_id}: eligible {_money(b.eligible)} -> "
            f"{_money(a.eligible)}, earned {_money(b.earned)} -> {_money(a.earned)} "
            f"({'+' if self.earned_delta >= 0 else ''}{_money(self.earned_delta)} {a.currency})"
        ]
        after = {m.month: m for m in a.months}
        for old in b.months:
            new = after.get(old.month)
            if new is None or (new.eligible, new.total) == (old.eligible, old.total):
                continue
            lines.append(
                f"  {old.month:%Y-%m}: eligible {_money(old.eligible)} -> {_money(new.eligible)}"
                f", earned {_money(old.total)} -> {_money(new.total)}"
            )
        if len(lines) == 1:
            lines.append("  no month changes")
        return "\n".join(lines)
