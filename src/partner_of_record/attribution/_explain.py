"""Readable explanations of credits, down to usage rows, spans and associations (internal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from partner_of_record.attribution._decide import decide
from partner_of_record.attribution._money import from_minor
from partner_of_record.attribution.kinds import mask_kinds
from partner_of_record.attribution.records import Explanation, Span
from partner_of_record.model import Association, PartnerId, month_end

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution._result import Result

__all__: list[str] = []  # internal module


def spans_of(store: Result, row: int) -> tuple[Span, ...]:
    """Return the spans of a row's month, asking the policy again for each span.

    The readable path: the subscription's associations are scanned for the days they start and
    end (the change points) inside the month; the set in effect over each span is asked the
    policy (policies are deterministic), with the rule text of ``decide`` when it has one.
    """
    usage = store.usage(row)
    key = ("spans", row)
    found: tuple[Span, ...] | None = store.cache.get(key)
    if found is not None:
        return found
    assocs = store.ledger.associations_of(usage.subscription_id)
    lo, end = usage.month, month_end(usage.month)
    cuts = sorted(
        {a.start for a in assocs if lo < a.start < end}
        | {a.end for a in assocs if a.end is not None and lo < a.end < end}
    )
    out = []
    for hi in [*cuts, end]:
        active = tuple(a for a in assocs if a.start <= lo and (a.end is None or lo < a.end))
        decision = decide(store.policy, usage, active, lo, hi)
        shares = tuple((a.partner_id, a.share) for a in decision.awards)
        out.append(Span(lo, hi, (hi - lo).days, active, shares, decision.rule))
        lo = hi
    found = tuple(out)
    store.cache[key] = found
    return found


def credit_explanation(store: Result, row: int, partner: int) -> Explanation:
    """Return the explanation of the credit of partner index ``partner`` for row ``row``."""
    key = ("explanation", row, partner)
    found: Explanation | None = store.cache.get(key)
    if found is not None:
        return found
    partner_id = store.partners[partner]
    spans = spans_of(store, row)
    assocs: list[Association] = []
    rules: list[str] = []
    for span in spans:
        if any(p == partner_id for p, _ in span.shares):
            if span.rule not in rules:
                rules.append(span.rule)
            for a in span.active:
                if a.partner_id == partner_id and a not in assocs:
                    assocs.append(a)
    found = Explanation(store.policy_name, "; ".join(rules), tuple(assocs), spans)
    store.cache[key] = found
    return found


def _money(minor: int, exponent: int, currency: str) -> str:
    return f"{from_minor(minor, exponent):,} {currency}"


def explain_partner(store: Result, partner_id: PartnerId, cidx: Sequence[int]) -> str:
    """Return readable text for a partner's credits in ``cidx``."""
    a = store.alloc
    by_cur: dict[int, int] = {}
    for c in cidx:
        ci = int(store.cur[int(a.c_row[c])])
        by_cur[ci] = by_cur.get(ci, 0) + int(a.c_minor[c])
    if not len(cidx):
        return f"Partner {partner_id}: no credits under policy {store.policy_name}."
    exps = store.exponents
    totals = ", ".join(
        _money(m, exps[ci], store.currencies[ci]) for ci, m in sorted(by_cur.items())
    )
    lines = [
        f"Partner {partner_id}: {totals} from {len(cidx)} usage row(s) "
        f"under policy {store.policy_name}"
    ]
    for c in cidx:
        r = int(a.c_row[c])
        p = int(a.c_partner[c])
        u = store.usage(r)
        ci = int(store.cur[r])
        share = store.share(r, p)
        kinds = ", ".join(sorted(k.name for k in mask_kinds(int(a.c_kinds[c]))))
        lines.append(
            f"- usage {u.describe()}: credited "
            f"{_money(int(a.c_minor[c]), exps[ci], u.currency)} "
            f"(share {share} of the month) via {kinds or 'no kind'}"
        )
        ex = credit_explanation(store, r, p)
        lines.append(f"    rule: {ex.rule}")
        lines.extend(f"    association: {x.describe()}" for x in ex.associations)
        lines.extend(f"    span {s.describe()}" for s in ex.spans)
    return "\n".join(lines)
