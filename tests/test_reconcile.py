"""``Credits.reconcile()`` against a plain Python reconciliation of the stored credit columns.

The reconciliation's per-row sums, largest credits, counts and checks are array passes; the
reference below reads the same stored columns one credit at a time, and the usage rows' amounts
from the ledger. Ledgers come from the laws' strategies (several currencies, refunds), some rows
scaled past int64 minor units, and the stored columns are optionally damaged (shuffled out of
row order, a credit duplicated, a credit nudged) so that the failing rows are compared too.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.attribution import Credits, RecognizeAll, attribute
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, AssociationKind, Usage
from strategies import LedgerFacts
from test_attribution_laws import POLICIES, _one_subscription, multi_currency_facts

WIDE = Context(prec=100)
"""The reference's own arithmetic, wide enough for every amount drawn here."""


def _scaled(data: LedgerFacts, scale: int, every: int) -> Ledger:
    """The facts' ledger, every ``every``-th usage row's amount times ``10**scale``."""
    with localcontext(WIDE):
        usage = [
            attrs.evolve(u, amount=u.amount * 10**scale) if i % every == 0 else u
            for i, u in enumerate(data.usage)
        ]
    return attrs.evolve(data, usage=tuple(usage)).to_ledger()


def _damage(credits: Credits, draw: st.DrawFn) -> Credits:
    """The same run with its stored credit columns damaged as drawn (or left as they are)."""
    result = credits._r
    a = result.alloc
    columns = {"c_row": a.c_row, "c_partner": a.c_partner, "c_kinds": a.c_kinds}
    columns["c_minor"] = a.c_minor
    m = len(a.c_row)
    if m and draw(st.booleans()):  # one credit repeated: its partner is credited twice
        k = draw(st.integers(0, m - 1))
        columns = {name: np.append(col, col[k : k + 1]) for name, col in columns.items()}
    if m and draw(st.booleans()):  # one credit nudged by a drawn number of minor units
        k = draw(st.integers(0, m - 1))
        columns["c_minor"] = columns["c_minor"].copy()
        columns["c_minor"][k] += draw(st.sampled_from([-1, 1, 10**6]))
    if draw(st.booleans()):  # out of row order
        order = np.array(draw(st.permutations(range(len(columns["c_row"])))), dtype=np.int64)
        columns = {name: col[order] for name, col in columns.items()}
    result.alloc = attrs.evolve(a, **columns)
    return Credits._from_result(result)


def _within(value: int, amount: int) -> bool:
    return min(0, amount) <= value <= max(0, amount)


def _reference(credits: Credits) -> tuple[list[dict[str, Any]], set[int]]:
    """Each usage row's amount, credits (sum, first of largest magnitude, count) and
    unattributed part in minor units, read one stored credit at a time, and the failing rows."""
    ledger, a, split = credits.ledger, credits._r.alloc, credits.policy.split
    rows: list[dict[str, Any]] = []
    with localcontext(WIDE):
        for u in ledger.usage:
            exp = minor_unit_exponent(u.currency)
            minor = int(u.amount.quantize(Decimal(1).scaleb(-exp), ROUND_HALF_EVEN).scaleb(exp))
            rows.append({"amount": minor, "credits": [], "partners": [], "left": 0})
    for row, partner, minor in zip(
        a.c_row.tolist(), a.c_partner.tolist(), a.c_minor.tolist(), strict=True
    ):
        rows[row]["credits"].append(int(minor))
        rows[row]["partners"].append(partner)
    for row, minor in zip(a.u_row.tolist(), a.u_minor.tolist(), strict=True):
        rows[row]["left"] += int(minor)
    failing = set()
    for i, r in enumerate(rows):
        largest = 0
        for c in r["credits"]:
            if abs(c) > abs(largest):
                largest = c
        r["credited"], r["largest"], r["count"] = sum(r["credits"]), largest, len(r["credits"])
        twice = len(set(r["partners"])) < len(r["partners"])
        if split:
            bad = r["credited"] + r["left"] != r["amount"]
        else:
            outside = [c for c in [*r["credits"], r["left"]] if not _within(c, r["amount"])]
            bad = bool(outside)
        if twice or bad:
            failing.add(i)
    return rows, failing


@pytest.mark.parametrize("policy", POLICIES, ids=repr)
@given(
    facts=multi_currency_facts,
    scale=st.sampled_from([0, 0, 15, 24]),
    every=st.integers(1, 3),
    currency=st.sampled_from([None, None, "USD", "KWD"]),
    data=st.data(),
)
def test_reconcile_rows_and_currencies_equal_a_plain_python_reconciliation(
    policy: Any,
    facts: LedgerFacts,
    scale: int,
    every: int,
    currency: str | None,
    data: st.DataObject,
) -> None:
    """Per row, ``reconcile()``'s credited sum, largest credit, credit count, unattributed part
    and pass/fail, and per currency its totals, are those of a credit-by-credit reconciliation
    of the stored columns against the ledger's amounts: refunds, several currencies, amounts
    past int64, damaged columns out of row order, also after a currency filter."""
    ledger = _scaled(facts, scale, every)
    credits = _damage(attribute(ledger, policy), data.draw)
    rows, failing = _reference(credits)
    in_scope = list(range(len(rows)))
    if currency is not None:
        credits = credits.filter(currency=currency)
        in_scope = [i for i in in_scope if ledger.usage[i].currency == currency]
    report = credits.reconcile()
    assert len(report.rows) == len(in_scope)
    totals: dict[str, list[int]] = {}
    for line, i in zip(report.rows, in_scope, strict=True):
        r, cur = rows[i], ledger.usage[i].currency
        exp = minor_unit_exponent(cur)
        assert line.usage == ledger.usage[i]
        got = (line.amount, line.credited, line.largest_credit, line.unattributed)
        want = (r["amount"], r["credited"], r["largest"], r["left"])
        assert got == tuple(Decimal(x).scaleb(-exp, WIDE) for x in want)
        assert line.partners == r["count"]
        assert line.ok == (i not in failing)
        assert bool(line.problem) == (i in failing)
        total = totals.setdefault(cur, [0, 0, 0, 0, 0])
        for k, x in enumerate((r["amount"], r["credited"], r["left"], 1, i in failing)):
            total[k] += x
    assert [r.usage for r in report.failures] == [ledger.usage[i] for i in in_scope if i in failing]
    assert [c.currency for c in report.currencies] == sorted(totals)
    for c in report.currencies:
        amount, credited, left, count, bad = totals[c.currency]
        exp = minor_unit_exponent(c.currency)
        assert (c.amount, c.credited, c.unattributed) == tuple(
            Decimal(x).scaleb(-exp, WIDE) for x in (amount, credited, left)
        )
        assert (c.rows, c.failed_rows) == (count, bad)
    assert report.stray == 0
    assert report.ok == (not any(i in failing for i in in_scope))


def test_the_largest_of_a_credit_and_its_opposite_is_the_first() -> None:
    """Of two credits of one row equally far from 0 with opposite signs (damaged columns), the
    row's largest credit is the first stored; the row fails (one credit is outside [0, 1.00])."""
    jan = dt.date(2024, 1, 1)
    pal = AssociationKind.PAL
    ledger = _one_subscription(
        [Association("P1", "S1", pal, jan), Association("P2", "S1", pal, jan)],
        [Usage("S1", jan, "1.00")],
    )
    credits = attribute(ledger, RecognizeAll())
    stored = credits._r.alloc
    for first in (100, -100):
        credits._r.alloc = attrs.evolve(stored, c_minor=np.array([first, -first]))
        [line] = credits.reconcile().rows
        assert (line.largest_credit, line.credited, line.partners) == (
            Decimal(first).scaleb(-2),
            0,
            2,
        )
        assert "outside [0, 100]" in line.problem
