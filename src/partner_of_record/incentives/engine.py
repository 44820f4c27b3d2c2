"""Evaluate incentive programs: ``evaluate_incentive``, ``evaluate_incentives``, what-if.

How an amount is computed, step by step (the explanation page in the docs says the same):

1. ``attribute(ledger, policy)`` credits every usage row (default
   [`RecognizeAll`][partner_of_record.RecognizeAll]); the partner's credits for the program's
   workloads in ``[start, end)`` are the base: every credited cent ends eligible or ineligible.
2. The partner's eligibility (a competency) is evaluated as of the first day of each month with
   [`evaluate_all`][partner_of_record.evaluate_all]: in a month it does not meet it, its whole
   credited consumption is ineligible, with the verdict and the shortfall as the reason.
3. Each credit is cut along the spans of its explanation (days over which the associations in
   effect are constant): each span's days weigh ``days x the partner's share``. A span is
   eligible when the partner holds an earning association that day (never before its start),
   with a counted role, the required kinds and, for exclusive programs, when no other partner
   was approved first. The credit's minor units are allocated over the eligible part and the
   reasons by largest remainder, so ``eligible + ineligible == credited`` exactly.
4. Each line earns ``floor(rate x eligible)`` to the minor unit (or, for Partner Earned Credit,
   ``eligible - floor(eligible x (1 - rate))``: the billed cost is rounded down).
5. Wins, caps and the payout schedule (minimum cumulative amount, carry-forward) follow.

Size: about 740 lines, on purpose. The module is one thing, the five steps above, held by one
private ``_Engine`` (one program over one ledger, with its caches: the credits, the partners'
eligibility by month, the first approvals); the public functions are thin entries over it. The
result values are in ``incentives.results``, the ineligible amounts and their sum by reason in
``incentives/_ineligible.py``, the programs in ``incentives.program`` and ``incentives.catalog``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from partner_of_record.attribution import Credit, CurrencyMixError, Policy, Span, attribute
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.errors import Finding
from partner_of_record.evaluation import (
    MissingRateError,
    RateTable,
    Skills,
    add_months,
    evaluate_all,
)
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.incentives._ineligible import sum_reasons
from partner_of_record.incentives.program import IncentiveProgram, Period
from partner_of_record.incentives.results import (
    EarningLine,
    Earnings,
    EarningsDiff,
    IneligibleAmount,
    MonthEarnings,
    Payment,
    WinPayment,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    PartnerId,
    Record,
    SubscriptionId,
    Usage,
)

__all__ = [
    "evaluate_incentive",
    "evaluate_incentives",
    "pec_billed_cost",
    "what_if_incentive",
]

_ELIGIBLE = ("", "")
_Reason = tuple[str, str]


def _floor(amount: Decimal, exponent: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_FLOOR)


def pec_billed_cost(
    units: Decimal | int | str,
    unit_price: Decimal | int | str,
    *,
    rate: Decimal | str = Decimal("0.15"),
    currency: str = "USD",
) -> Decimal:
    """Return a Partner Earned Credit line's billed cost: ``floor(units x price x (1 - rate))``.

    Source: Partner Center, "Partner Earned Credit explanation"
    (https://learn.microsoft.com/partner-center/partner-earned-credit-explanation, October
    2023): 29 units at 0.868 -> 21.39; 210.950039 -> 155.63; 555.950039 -> 410.17.

    Args:
        units: the quantity consumed.
        unit_price: the price of one unit.
        rate: the credit rate (15 %).
        currency: the currency, whose minor unit the floor keeps.

    Returns:
        The billed cost, rounded down to the minor unit.
    """
    cost = Decimal(units) * Decimal(unit_price)
    return _floor(cost * (1 - Decimal(rate)), minor_unit_exponent(currency))


def _earn(program: IncentiveProgram, eligible: Decimal, exponent: int) -> Decimal:
    rule = program.earning
    if rule.rate is None or not eligible:
        return Decimal(0).scaleb(-exponent)
    if rule.rounding == "billed_cost":
        return eligible - _floor(eligible * (1 - rule.rate), exponent)
    return _floor(rule.rate * eligible, exponent)


def _allocate(total: int, weights: Sequence[Fraction]) -> list[int]:
    """Split ``total`` minor units in proportion to ``weights`` by largest remainder.

    Each part is rounded towards zero, then the left-over units go one each to the largest
    remainders (ties: the earlier weight first); a negative total is split as its absolute
    value and negated. The parts sum to ``total`` exactly.
    """
    whole = sum(weights, Fraction(0))
    if whole == 0:
        return [0] * len(weights)
    sign = -1 if total < 0 else 1
    absolute = abs(total)
    exact = [absolute * w / whole for w in weights]
    parts = [int(e) for e in exact]
    left = absolute - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return [sign * p for p in parts]


def _period_key(month: dt.date, period: Period) -> tuple[int, int]:
    if period == "month":
        return (month.year, month.month)
    if period == "quarter":
        return (month.year, (month.month - 1) // 3)
    if period == "year":
        return (month.year, 0)
    return (0, 0)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out = []
    month = start
    while month < end:
        out.append(month)
        month = add_months(month, 1)
    return out


def _resolve(program: IncentiveProgram | str) -> IncentiveProgram:
    """A program, or a built-in program's name (``AZURE_DPOR_2015`` needs a rate: pass the
    program built by ``azure_dpor_incentive(rate)`` instead)."""
    if isinstance(program, str):
        from partner_of_record.incentives.catalog import get_program

        return get_program(program)
    if not isinstance(program, IncentiveProgram):
        msg = f"program: {program!r} is not an IncentiveProgram or a built-in program's name"
        raise TypeError(msg)
    return program


def _default_range(
    ledger: Ledger, program: IncentiveProgram, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    span = ledger.months
    first = program.effective.replace(day=1)
    if start is None:
        start = max(first, span[0]) if span else first
    if end is None:
        end = add_months(span[1], 1) if span else add_months(start, 1)
        if program.ends is not None:
            end = min(end, add_months((program.ends - dt.timedelta(days=1)).replace(day=1), 1))
    start, end = start.replace(day=1), end.replace(day=1)
    if end <= start:
        msg = f"end {end:%Y-%m} is not after start {start:%Y-%m}: no month to evaluate"
        raise ValueError(msg)
    return start, end


class _Engine:
    """One program over one ledger: the credits, the partners' eligibility and lines, cached."""

    def __init__(
        self,
        ledger: Ledger,
        program: IncentiveProgram,
        *,
        start: dt.date,
        end: dt.date,
        policy: Policy | None,
        rates: RateTable | None,
        skills: Mapping[PartnerId, Skills] | None,
    ) -> None:
        if not isinstance(program, IncentiveProgram):
            msg = f"program: {program!r} is not an IncentiveProgram"
            raise TypeError(msg)
        self.ledger = ledger
        self.program = program
        self.start, self.end = start, end
        self.months = _months(start, end)
        self.policy = policy
        self.rates = rates
        self.skills = skills or {}
        scope = program.subscriptions
        self.scope = scope
        credits = attribute(ledger, policy)
        self.credits = credits.filter(workload=scope.workloads, start=start, end=end)
        self._status: dict[tuple[PartnerId, dt.date], tuple[bool, str]] = {}
        self._lines: dict[PartnerId, tuple[EarningLine, ...]] = {}
        self._first: dict[SubscriptionId, Association | None] = {}
        self._usage: dict[tuple[str, dt.date, str | None, str], Usage] | None = None
        self._wins: dict[PartnerId, tuple[WinPayment, ...]] | None = None

    # ---------------------------------------------------------------- partner eligibility

    def status(self, partners: Iterable[PartnerId], month: dt.date) -> None:
        """Evaluate the eligibility of ``partners`` as of ``month`` (cached)."""
        missing = [p for p in dict.fromkeys(partners) if (p, month) not in self._status]
        if not missing:
            return
        comp = self.program.eligibility
        if comp is None:
            for p in missing:
                self.ledger.partner(p)
                self._status[(p, month)] = (True, "")
            return
        found = evaluate_all(
            self.ledger,
            comp,
            as_of=month,
            policy=self.policy,
            rates=self.rates,
            skills=self.skills,
            partners=missing,
            evidence=False,
        )
        for p, evaluation in found.items():
            if evaluation.met:
                self._status[(p, month)] = (True, f"{comp.name} met as of {month.isoformat()}")
                continue
            short = [
                f"short {format_quantity(r.shortfall, r.unit)}"
                for r in evaluation.requirements
                if not r.met and r.shortfall > 0
            ]
            reason = f"partner not eligible this month: {comp.name} not met"
            if short:
                reason += ", " + ", ".join(short)
            self._status[(p, month)] = (False, reason)

    def eligible_in(self, partner_id: PartnerId, month: dt.date) -> tuple[bool, str]:
        self.status([partner_id], month)
        return self._status[(partner_id, month)]

    # ---------------------------------------------------------------- lines

    def _usage_row(self, credit: Credit) -> Usage | None:
        if self._usage is None:
            self._usage = {u.key: u for u in self.ledger.usage}
        return self._usage.get(
            (credit.subscription_id, credit.month, credit.service, credit.currency)
        )

    def _first_approved(self, subscription_id: SubscriptionId) -> Association | None:
        if subscription_id not in self._first:
            earning = [
                a
                for a in self.ledger.associations_of(subscription_id)
                if a.kind in self.scope.kinds and self._role_ok(a)
            ]
            self._first[subscription_id] = min(
                earning,
                key=lambda a: (a.start, a.recorded_on or a.start, a.partner_id),
                default=None,
            )
        return self._first[subscription_id]

    def _role_ok(self, association: Association) -> bool:
        roles = self.scope.roles
        return roles is None or association.role is None or association.role.lower() in roles

    def _row_reason(self, credit: Credit, partner_ok: bool, partner_reason: str) -> _Reason:
        scope = self.scope
        usage = self._usage_row(credit)
        offer = usage.offer if usage is not None and usage.offer is not None else None
        if offer is None:
            offer = self.ledger.subscription(credit.subscription_id).offer
        if offer in scope.excluded_offers:
            return ("EXCLUDED_OFFER", f"excluded offer: {offer.value}")
        service = credit.service.lower() if credit.service else None
        if scope.services is not None and service not in scope.services:
            return ("EXCLUDED_SERVICE", f"service not included: {credit.service or 'unknown'}")
        if service is not None and service in scope.excluded_services:
            return ("EXCLUDED_SERVICE", f"excluded service: {credit.service}")
        if not partner_ok:
            return ("PARTNER_NOT_ELIGIBLE", partner_reason)
        return _ELIGIBLE

    def _span_reason(self, partner_id: PartnerId, subscription_id: str, span: Span) -> _Reason:
        scope = self.scope
        mine = [a for a in span.active if a.partner_id == partner_id]
        earning = [a for a in mine if a.kind in scope.kinds]
        names = " or ".join(sorted(k.name for k in scope.kinds))
        if not earning:
            later = [
                a
                for a in self.ledger.associations_of(subscription_id)
                if a.partner_id == partner_id and a.kind in scope.kinds and a.start >= span.end
            ]
            if later:
                first = min(later, key=lambda a: a.start)
                return (
                    "BEFORE_APPROVAL",
                    f"before approval ({first.kind.name} from {first.start.isoformat()})",
                )
            return ("NO_ASSOCIATION", f"no {names}")
        if not any(self._role_ok(a) for a in earning):
            roles = ", ".join(sorted({a.role or "" for a in earning}))
            return ("ROLE_NOT_ELIGIBLE", f"role {roles} does not count for {names}")
        if scope.requires and not any(a.kind in scope.requires for a in mine):
            needed = " or ".join(sorted(k.name for k in scope.requires))
            return ("MISSING_REQUIRED", f"no {needed} on the same days")
        if scope.exclusive:
            approved = self._first_approved(subscription_id)
            if approved is not None and approved.partner_id != partner_id:
                return (
                    "ALREADY_APPROVED",
                    f"subscription approved for partner {approved.partner_id} first "
                    f"({approved.kind.name} from {approved.start.isoformat()})",
                )
        return _ELIGIBLE

    def _line(self, partner_id: PartnerId, credit: Credit) -> EarningLine:
        program = self.program
        ok, why = self.eligible_in(partner_id, credit.month)
        row_reason = self._row_reason(credit, ok, why)
        weights: dict[_Reason, Fraction] = {}
        eligible_days = 0
        for span in credit.explanation.spans:
            share = dict(span.shares).get(partner_id, Fraction(0))
            if not share:
                continue
            lo = max(span.start, program.effective)
            hi = span.end if program.ends is None else min(span.end, program.ends)
            inside = max(0, (hi - lo).days)
            if span.days - inside:
                key = ("OUTSIDE_PROGRAM", "outside the program's dates")
                weights[key] = weights.get(key, Fraction(0)) + (span.days - inside) * share
            if not inside:
                continue
            reason = (
                row_reason
                if row_reason != _ELIGIBLE
                else self._span_reason(partner_id, credit.subscription_id, span)
            )
            weights[reason] = weights.get(reason, Fraction(0)) + inside * Fraction(share)
            if reason == _ELIGIBLE:
                eligible_days += inside
        exponent = minor_unit_exponent(credit.currency)
        minor = int(credit.amount.scaleb(exponent))
        keys = list(weights)
        if not keys:  # pragma: no cover - a credit always has a span with a share
            keys = [("NO_ASSOCIATION", "no share")]
            weights = {keys[0]: Fraction(1)}
        parts = _allocate(minor, [Fraction(weights[k]) for k in keys])
        eligible = Decimal(0).scaleb(-exponent)
        ineligible = []
        for key, part in zip(keys, parts, strict=True):
            amount = Decimal(part).scaleb(-exponent)
            if key == _ELIGIBLE:
                eligible = amount
            else:
                ineligible.append(IneligibleAmount(key[0], key[1], amount))
        return EarningLine(
            month=credit.month,
            subscription_id=credit.subscription_id,
            customer_id=credit.customer_id,
            workload=credit.workload,
            service=credit.service,
            currency=credit.currency,
            credited=credit.amount,
            eligible=eligible,
            ineligible=sum_reasons(ineligible),
            eligible_days=eligible_days,
            earned=_earn(program, eligible, exponent),
        )

    def lines(self, partner_id: PartnerId) -> tuple[EarningLine, ...]:
        """The partner's lines (one per credit in scope), cached."""
        if partner_id not in self._lines:
            mine = list(self.credits.filter(partner_id=partner_id))
            self.status([partner_id], self.start)  # unknown partner -> UnknownRecordError
            for month in sorted({c.month for c in mine}):
                self.status([partner_id], month)
            self._lines[partner_id] = tuple(self._line(partner_id, c) for c in mine)
        return self._lines[partner_id]

    def prefetch(self, partners: Sequence[PartnerId]) -> None:
        """Evaluate the eligibility of many partners, one evaluation run per month."""
        for month in self.months:
            self.status(partners, month)

    # ---------------------------------------------------------------- money in USD terms

    def from_usd(self, amount: Decimal, currency: str, month: dt.date) -> Decimal:
        """A program amount (US$) in ``currency`` at ``month``'s rate."""
        if currency == "USD":
            return amount
        if self.rates is None:
            raise MissingRateError(currency, month)
        exponent = minor_unit_exponent(currency)
        return (amount / self.rates.rate(currency, month)).quantize(Decimal(1).scaleb(-exponent))

    def to_usd(self, amount: Decimal, currency: str, month: dt.date) -> Decimal:
        if currency == "USD":
            return amount
        if self.rates is None:
            raise MissingRateError(currency, month)
        return self.rates.to_usd(amount, currency, month)

    # ---------------------------------------------------------------- wins

    def wins(self) -> dict[PartnerId, tuple[WinPayment, ...]]:
        """Every partner's win payments in the range (computed once for all partners)."""
        if self._wins is not None:
            return self._wins
        rule = self.program.earning.win
        out: dict[PartnerId, list[WinPayment]] = {}
        if rule is None:
            self._wins = {}
            return self._wins
        customers = self._baseline_customers(rule.baseline_max, rule.baseline_months)
        partners = sorted(self.credits.partners())
        self.prefetch(partners)
        per: dict[tuple[str, dt.date], dict[PartnerId, Decimal]] = {}
        currency: dict[tuple[str, dt.date], str] = {}
        for p in partners:
            for line in self.lines(p):
                if customers is not None and line.customer_id not in customers:
                    continue
                key = (line.customer_id, line.month)
                cur = line.currency
                value = self.to_usd(line.eligible, cur, line.month)
                bucket = per.setdefault(key, {})
                bucket[p] = bucket.get(p, Decimal(0)) + value
                currency[key] = cur
        won: set[str] = set()
        for month in self.months:
            for customer in sorted({c for c, m in per if m == month}):
                if customer in won:
                    continue
                crossing = {p: v for p, v in per[(customer, month)].items() if v > rule.threshold}
                if not crossing:
                    continue
                won.add(customer)
                for p, value in sorted(crossing.items()):
                    out.setdefault(p, []).append(WinPayment(customer, month, value, rule.payment))
        self._wins = {p: tuple(w) for p, w in out.items()}
        return self._wins

    def _baseline_customers(self, maximum: Decimal | None, months: int) -> frozenset[str] | None:
        """Customers whose monthly consumption stayed below ``maximum`` before the program."""
        if maximum is None:
            return None
        first = self.program.effective.replace(day=1)
        window = set(_months(add_months(first, -months), first))
        workloads = self.scope.workloads
        totals: dict[tuple[str, dt.date], Decimal] = {}
        for usage in self.ledger.usage:
            if usage.month not in window:
                continue
            sub = self.ledger.subscription(usage.subscription_id)
            if workloads is not None and sub.workload not in workloads:
                continue
            key = (sub.customer_id, usage.month)
            value = self.to_usd(usage.amount, usage.currency, usage.month)
            totals[key] = totals.get(key, Decimal(0)) + value
        over = {c for (c, _), v in totals.items() if v >= maximum}
        return frozenset(c.id for c in self.ledger.customers if c.id not in over)

    # ---------------------------------------------------------------- earnings

    def earnings(self, partner_id: PartnerId) -> Earnings:
        program = self.program
        lines = self.lines(partner_id)
        currencies = {line.currency for line in lines} if lines else set()
        if len(currencies) > 1:
            raise CurrencyMixError(currencies)
        currency = currencies.pop() if currencies else "USD"
        wins = self.wins().get(partner_id, ())
        rule = program.earning
        months: list[MonthEarnings] = []
        used: dict[tuple[int, int], Decimal] = {}
        for month in self.months:
            ok, why = self.eligible_in(partner_id, month)
            mine = [line for line in lines if line.month == month]
            credited = sum((line.credited for line in mine), Decimal(0))
            eligible = sum((line.eligible for line in mine), Decimal(0))
            earned = sum((line.earned for line in mine), Decimal(0))
            month_wins = tuple(
                WinPayment(
                    w.customer_id,
                    w.month,
                    self.from_usd(w.consumption, currency, month),
                    self.from_usd(w.amount, currency, month),
                )
                for w in wins
                if w.month == month
            )
            gross = earned + sum((w.amount for w in month_wins), Decimal(0))
            capped = Decimal(0)
            if rule.cap is not None:
                key = _period_key(month, rule.cap_period)
                room = max(Decimal(0), self.from_usd(rule.cap, currency, month) - used.get(key, 0))
                capped = max(Decimal(0), gross - room)
                used[key] = used.get(key, Decimal(0)) + gross - capped
            months.append(
                MonthEarnings(
                    month=month,
                    partner_eligible=ok,
                    partner_reason=why,
                    credited=credited,
                    eligible=eligible,
                    ineligible=sum_reasons(i for line in mine for i in line.ineligible),
                    earned=earned,
                    wins=month_wins,
                    capped=capped,
                    total=gross - capped,
                )
            )
        findings: list[Finding] = []
        span = self.ledger.months
        if span is not None and self.end > add_months(span[1], 1):
            findings.append(
                Finding(
                    "NO_USAGE_IN_MONTH",
                    f"the data ends in {span[1]:%Y-%m}: later months earn nothing yet",
                    (partner_id,),
                    "warning",
                )
            )
        return Earnings(
            program=program.name,
            title=program.title,
            partner_id=partner_id,
            start=self.start,
            end=self.end,
            currency=currency,
            months=tuple(months),
            lines=lines,
            payments=self._payments(months, currency),
            findings=tuple(findings),
        )

    def _payments(self, months: Sequence[MonthEarnings], currency: str) -> tuple[Payment, ...]:
        payout = self.program.payout
        groups: dict[tuple[int, int], list[MonthEarnings]] = {}
        for m in months:
            groups.setdefault(_period_key(m.month, payout.period), []).append(m)
        out: list[Payment] = []
        zero = Decimal(0).scaleb(-minor_unit_exponent(currency))
        carried = zero
        paid_once = False
        ends = self.program.ends
        for group in groups.values():
            first, last = group[0].month, group[-1].month
            earned = sum((m.total for m in group), Decimal(0))
            balance = carried + earned
            minimum = self.from_usd(payout.minimum, currency, last)
            note = ""
            if payout.period == "program" and (ends is None or add_months(last, 1) < ends):
                paid, note = zero, "paid at the end of the program"
            elif (payout.minimum_applies == "first" and paid_once) or balance > minimum:
                paid = balance
                paid_once = paid_once or paid > 0
            else:
                paid = zero
                if balance:
                    note = (
                        f"below the {format_quantity(payout.minimum, 'USD')} minimum: "
                        "carried forward"
                    )
            out.append(Payment(first, last, earned, carried, paid, balance - paid, note))
            carried = balance - paid
        return tuple(out)


def evaluate_incentive(
    ledger: Ledger,
    partner_id: PartnerId,
    program: IncentiveProgram | str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    policy: Policy | None = None,
    rates: RateTable | None = None,
    skills: Skills | None = None,
) -> Earnings:
    """Evaluate what an incentive program earns a partner, month by month, explained.

    Args:
        ledger: the facts.
        partner_id: the partner.
        program: the program (see ``partner_of_record.incentives.catalog``, or load one with
            ``load_program``), or a built-in program's name (``"PARTNER_EARNED_CREDIT"``).
        start: the first month evaluated (default: the later of the program's effective month
            and the ledger's first month); taken to the first of its month.
        end: the first month no longer evaluated (default: the month after the ledger's last
            month, or the program's end if earlier).
        policy: the attribution policy (default ``RecognizeAll()``); also passed to the
            eligibility evaluation when given.
        rates: US dollar rates, for credits in other currencies (eligibility thresholds and
            the program's US$ amounts are converted with them).
        skills: the partner's skills, for eligibility requirements that count people.

    Returns:
        The earnings: per month and per line the eligible and ineligible consumption with
        reasons, the earnings, the payout schedule.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        CurrencyMixError: the partner's credits are in several currencies.
        MissingRateError: a currency other than USD has no rate for a month.
        ValueError: ``end`` is not after ``start``.
        UnknownProgramError: a program name is not a built-in program (or needs a rate).
    """
    program = _resolve(program)
    first, stop = _default_range(ledger, program, start, end)
    engine = _Engine(
        ledger,
        program,
        start=first,
        end=stop,
        policy=policy,
        rates=rates,
        skills={partner_id: skills} if skills else None,
    )
    return engine.earnings(partner_id)


def evaluate_incentives(
    ledger: Ledger,
    programs: IncentiveProgram | str | Iterable[IncentiveProgram | str],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    policy: Policy | None = None,
    rates: RateTable | None = None,
    skills: Mapping[PartnerId, Skills] | None = None,
    partners: Iterable[PartnerId] | None = None,
) -> dict[str, dict[PartnerId, Earnings]]:
    """Evaluate one or several programs for every partner (or the given ones).

    One attribution run per program, and one eligibility evaluation per month for all
    partners at once.

    Args:
        ledger: the facts.
        programs: a program or several (or built-in programs' names).
        start: see ``evaluate_incentive`` (the same range for every program when given).
        end: see ``evaluate_incentive``.
        policy: the attribution policy.
        rates: US dollar rates for other currencies.
        skills: partner id -> that partner's skills.
        partners: the partners (default: every partner of the ledger, in ledger order).

    Returns:
        Program name -> partner id -> earnings.
    """
    if isinstance(programs, IncentiveProgram | str):
        programs = (programs,)
    ids = [p.id for p in ledger.partners] if partners is None else list(partners)
    out: dict[str, dict[PartnerId, Earnings]] = {}
    for one in programs:
        program = _resolve(one)
        first, stop = _default_range(ledger, program, start, end)
        engine = _Engine(
            ledger, program, start=first, end=stop, policy=policy, rates=rates, skills=skills
        )
        engine.prefetch(ids)
        out[program.name] = {pid: engine.earnings(pid) for pid in ids}
    return out


def what_if_incentive(
    ledger: Ledger,
    partner_id: PartnerId,
    program: IncentiveProgram | str,
    *,
    add: Iterable[Record] = (),
    change: Callable[[Ledger], Ledger] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    policy: Policy | None = None,
    rates: RateTable | None = None,
    skills: Skills | None = None,
) -> EarningsDiff:
    """What would the partner earn with hypothetical records (a PAL link, a DPOR ...)?

    Example: ``what_if_incentive(ledger, "P1", PARTNER_EARNED_CREDIT,
    change=lambda l: l.link_pal("SUB-9", "P1", on=date(2024, 3, 1), role="Owner"))``.

    Args:
        ledger: the facts as they are.
        partner_id: the partner.
        program: the program.
        add: records added to the ledger.
        change: a function deriving the hypothetical ledger (applied after ``add``).
        start: the first month (default as in ``evaluate_incentive``, from the ledger as it is).
        end: the first month no longer evaluated (idem).
        policy: the attribution policy.
        rates: US dollar rates for other currencies.
        skills: the partner's skills.

    Returns:
        The earnings before and after, with the months that change.
    """
    program = _resolve(program)
    first, stop = _default_range(ledger, program, start, end)
    options: dict[str, Any] = {
        "start": first,
        "end": stop,
        "policy": policy,
        "rates": rates,
        "skills": skills,
    }
    before = evaluate_incentive(ledger, partner_id, program, **options)
    records = tuple(add)
    hypothetical = ledger.add(*records) if records else ledger
    if change is not None:
        hypothetical = change(hypothetical)
    after = evaluate_incentive(hypothetical, partner_id, program, **options)
    return EarningsDiff(before, after)
