"""The batched measures: each built-in measure computed for every partner at once (internal).

One function per measure type, listed in ``BATCHERS``: consumption (``CreditedAcr``,
``AcrGrowth``, ``DistinctServices``, ``DistinctCustomers``, ``NetCustomerAdds``) from the
consumption table, seats (``SeatTotal``, ``SeatGrowth``) from the seat table, ``SkillCount``
from the skills input. Each returns a ``Batched``: every partner's value and eligibility, and a
``build`` for the partner's whole measurement; each is tested against its one-partner twin in
``evaluation.measures`` (tests/test_evaluate_all_batch.py). See ``evaluation._batch``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from partner_of_record.errors import Finding
from partner_of_record.evaluation._batch_tables import (
    ALL_ELIGIBLE,
    I64,
    NW,
    Batched,
    entry_counts,
    exact_decimals,
    group,
    partner_offsets,
    usd_amount,
)
from partner_of_record.evaluation.context import MeasurementContext, Skills, normalize_skills
from partner_of_record.evaluation.measures import (
    AcrGrowth,
    CreditedAcr,
    DistinctCustomers,
    DistinctServices,
    Measurement,
    NetCustomerAdds,
    SeatGrowth,
    SeatTotal,
    SkillCount,
    growth_value,
)
from partner_of_record.evaluation.measures._base import finding
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.evaluation.time import add_months

if TYPE_CHECKING:  # annotations only: the batch imports this module
    from partner_of_record.evaluation._batch import Batch

__all__ = ["BATCHERS", "batch_n"]


def _customers_of(keys: I64, nc: int, n: int) -> tuple[I64, I64]:
    """Per partner offsets into the customer codes of ``keys`` (packed partner x nc + customer)."""
    return partner_offsets(keys // nc, n), keys % nc


def _batch_credited_acr(batch: Batch, m: CreditedAcr) -> Batched | None:
    table = batch.table(m.scope.kinds)
    if table is None:
        return None
    window = m.window.at(batch.month)
    mask = table.scope_mask(m.scope) & table.in_months(window.months)
    totals, counts = table.per_partner(mask)
    p, c, sums = table.customer_sums(mask)
    n_customers = np.bincount(p, minlength=batch_n(batch))
    off = partner_offsets(p, batch_n(batch))
    nonzero = sums != 0
    ids, exp = table.customer_ids, table.exponent
    label = f"credited ACR {window.describe()}, {m.scope.describe()}, "

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        lo, hi = int(off[i]), int(off[i + 1])
        shown = tuple(ids[k] for k in c[lo:hi][nonzero[lo:hi]].tolist())
        return Measurement(
            usd_amount(int(totals[i]), int(counts[i]), exp),
            "USD",
            label + format_quantity(Decimal(int(n_customers[i])), "customers"),
            shown,
        )

    value = [usd_amount(t, k, exp) for t, k in zip(totals.tolist(), counts.tolist(), strict=True)]
    return Batched(m, build, batch.pindex, value, ALL_ELIGIBLE * len(value))


def batch_n(batch: Batch) -> int:
    """The number of partners evaluated."""
    return len(batch.ids)


def _batch_acr_growth(batch: Batch, m: AcrGrowth) -> Batched | None:
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
            current=usd_amount(int(cur_t[i]), int(cur_n[i]), exp),
            base=usd_amount(int(base_t[i]), int(base_n[i]), exp),
            trailing=usd_amount(int(tr_t[i]), int(tr_n[i]), exp),
            customers=tuple(ids[k] for k in cust[int(off[i]) : int(off[i + 1])].tolist()),
        )

    percent = m.mode != "absolute"
    value: list[Decimal | None] = []
    eligible: list[bool] = []
    for ct, cn, bt, bn, tt, tn in zip(
        cur_t.tolist(), cur_n.tolist(), base_t.tolist(), base_n.tolist(),
        tr_t.tolist(), tr_n.tolist(), strict=True,
    ):  # fmt: skip
        got = growth_value(usd_amount(ct, cn, exp), usd_amount(bt, bn, exp), percent=percent)
        value.append(got)
        enough = m.minimum_usd <= 0 or usd_amount(tt, tn, exp) >= m.minimum_usd
        eligible.append(enough and got is not None)
    return Batched(m, build, batch.pindex, value, eligible)


def _batch_distinct_services(batch: Batch, m: DistinctServices) -> Batched | None:
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
    uniq, inv = group(key)
    sums = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(sums, inv, minor[named])
    counted = uniq[sums > 0]
    off = partner_offsets(counted // ns, n)
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
        unnamed = usd_amount(int(un_t[i]), 1, table.exponent)
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

    return Batched(m, build, batch.pindex, entry_counts(off), ALL_ELIGIBLE * n)


def _keys_per_partner(batch: Batch, keys: I64, nc: int) -> tuple[I64, I64]:
    return _customers_of(keys, nc, batch_n(batch))


def _batch_distinct_customers(batch: Batch, m: DistinctCustomers) -> Batched | None:
    keys = batch.union_keys(m.rules, batch.month)
    if keys is None:
        return None
    ids = tuple(batch.ccode)
    nc = max(1, len(ids))
    # a key is a customer, or a customer-workload pair: count keys, show customers
    off, cust = _keys_per_partner(batch, np.unique(keys // NW), nc)
    count = np.bincount(keys // NW // nc, minlength=batch_n(batch)).tolist()
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
    return Batched(m, build, batch.pindex, value, ALL_ELIGIBLE * len(value))


def _batch_net_adds(batch: Batch, m: NetCustomerAdds) -> Batched | None:
    month = batch.month
    before_month = add_months(month, -m.lag)
    now_keys = batch.union_keys(m.rules, month)
    before_keys = batch.union_keys(m.rules, before_month)
    if now_keys is None or before_keys is None:
        return None
    ids = tuple(batch.ccode)
    nc = max(1, len(ids))
    n_off, n_cust = _keys_per_partner(batch, np.unique(now_keys // NW), nc)
    b_off = partner_offsets(np.unique(before_keys // NW) // nc, batch_n(batch))

    def build(ctx: MeasurementContext, i: int) -> Measurement:
        now = tuple(ids[k] for k in n_cust[int(n_off[i]) : int(n_off[i + 1])].tolist())
        return m.from_counts(ctx, now, int(b_off[i + 1] - b_off[i]))

    net = np.diff(n_off) - np.diff(b_off)
    value = [Decimal(k) for k in net.tolist()]
    return Batched(m, build, batch.pindex, value, ALL_ELIGIBLE * len(value))


def _readable(m: Any) -> Callable[[MeasurementContext, int], Measurement]:
    """A build on the readable path (the pairs are the partner's own: cheap when read)."""
    return lambda ctx, _i: m.measure(ctx)


def _batch_seat_total(batch: Batch, m: SeatTotal) -> Batched:
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
    value: list[Decimal | None] = list(exact_decimals(total, k))
    return Batched(m, _readable(m), batch.pindex, value, ALL_ELIGIBLE * len(value))


def _batch_seat_growth(batch: Batch, m: SeatGrowth) -> Batched:
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
    for cur, b in zip(exact_decimals(current, k), exact_decimals(base, k), strict=True):
        got = growth_value(cur, b, percent=percent)
        value.append(got)
        low = m.minimum_baseline > 0 and b < m.minimum_baseline
        eligible.append(not low and got is not None)
    return Batched(m, _readable(m), batch.pindex, value, eligible)


def _batch_skill_count(batch: Batch, m: SkillCount) -> Batched | None:
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
    return Batched(m, _readable(m), batch.pindex, value, ALL_ELIGIBLE * len(value))


BATCHERS: Mapping[type, Callable[[Batch, Any], Batched | None]] = {
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
