"""Readable explanations of credits, down to usage rows, spans and associations (internal)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from partner_of_record.attribution.kinds import mask_kinds
from partner_of_record.attribution.records import Explanation, Span
from partner_of_record.attribution.spans import Timeline, decide
from partner_of_record.attribution.store import Store
from partner_of_record.model import Association, PartnerId, month_end

__all__: list[str] = []  # internal module


def spans_of(store: Store, row: int) -> tuple[Span, ...]:
    """Return the spans of a stored row's month, asking the policy again for each span.

    Plans hold only numbers, so the explanation is rebuilt from the ledger: the same timeline,
    the same policy (policies are deterministic), with the rule text of ``decide`` when the
    policy has one.
    """
    usage = store.rows[row]
    key = ("spans", usage.subscription_id, usage.month, row)
    found: tuple[Span, ...] | None = store.cache.get(key)
    if found is not None:
        return found
    tl_key = ("timeline", usage.subscription_id)
    tl: Timeline | None = store.cache.get(tl_key)
    if tl is None:
        tl = store.cache[tl_key] = Timeline(store.ledger.associations_of(usage.subscription_id))
    out = []
    for lo, hi, k in tl.spans(usage.month, month_end(usage.month)):
        decision = decide(store.policy, usage, tl.actives[k], lo, hi)
        shares = tuple((a.partner_id, a.share) for a in decision.awards)
        out.append(Span(lo, hi, (hi - lo).days, tl.actives[k], shares, decision.rule))
    found = tuple(out)
    store.cache[key] = found
    return found


def credit_explanation(store: Store, row: int, partner: int) -> Explanation:
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
    return f"{Decimal(minor).scaleb(-exponent):,} {currency}"


def explain_partner(store: Store, partner_id: PartnerId, cidx: Sequence[int]) -> str:
    """Return readable text for a partner's credits in ``cidx``."""
    by_cur: dict[int, int] = {}
    for c in cidx:
        ci = store.row_cur[store.c_row[c]]
        by_cur[ci] = by_cur.get(ci, 0) + store.c_minor[c]
    if not len(cidx):
        return f"Partner {partner_id}: no credits under policy {store.policy_name}."
    totals = ", ".join(
        _money(m, store.exponents[ci], store.currencies[ci]) for ci, m in sorted(by_cur.items())
    )
    lines = [
        f"Partner {partner_id}: {totals} from {len(cidx)} usage row(s) "
        f"under policy {store.policy_name}"
    ]
    for c in cidx:
        r = store.c_row[c]
        p = store.c_partner[c]
        u = store.rows[r]
        ci = store.row_cur[r]
        share = store.row_plan[r].share(p)
        kinds = ", ".join(sorted(k.name for k in mask_kinds(store.c_kinds[c])))
        lines.append(
            f"- usage {u.describe()}: credited "
            f"{_money(store.c_minor[c], store.exponents[ci], u.currency)} "
            f"(share {share} of the month) via {kinds or 'no kind'}"
        )
        ex = credit_explanation(store, r, p)
        lines.append(f"    rule: {ex.rule}")
        lines.extend(f"    association: {a.describe()}" for a in ex.associations)
        lines.extend(f"    span {s.describe()}" for s in ex.spans)
    return "\n".join(lines)
