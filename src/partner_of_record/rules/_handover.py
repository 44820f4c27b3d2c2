"""DPOR handovers: an open-ended DPOR followed by another partner's later one is a change."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from partner_of_record.model import (
    Association,
    AssociationKind,
)
from partner_of_record.rules._builtin import ExclusiveKind
from partner_of_record.rules._ruleset import RuleSet


def handover_kinds(rules: RuleSet) -> tuple[AssociationKind, ...]:
    """The association kinds a lenient load hands over (``(DPOR,)`` or ``()``).

    A new DPOR replaces the previous one from its start day ("a new one replaces the old",
    MPN 101, 2017; Partner Center DPOR FAQ): exports list such a change as an open-ended old
    DPOR and a later new one. [`Ledger.lenient`][partner_of_record.Ledger.lenient] reads that as
    the change, but only when ``rules`` makes DPOR exclusive per subscription (an
    ``ExclusiveKind(DPOR, "subscription")`` rule): a rule set without it allows several DPORs
    at once, so nothing needs ending.

    Args:
        rules: the rule set of the load.

    Returns:
        The kinds handed over.
    """
    for rule in rules.rules:
        if (
            isinstance(rule, ExclusiveKind)
            and rule.kind is AssociationKind.DPOR
            and rule.scope == "subscription"
        ):
            return (AssociationKind.DPOR,)
    return ()


def dpor_handovers(
    associations: Iterable[Association], kind: AssociationKind = AssociationKind.DPOR
) -> list[tuple[Association, Association, Association]]:
    """The handovers among one subscription's associations of ``kind``.

    An open-ended association ends on the earliest start, later than its own, of an
    association of ``kind`` of another partner (``name_dpor``'s rule). Associations starting
    the same day, and closed windows, are left alone: those are real conflicts for the rules
    to report.

    Args:
        associations: one subscription's associations, in ``(start, kind, partner)`` order.
        kind: the kind handed over.

    Returns:
        ``(old, ended, by)`` per handover: the open-ended association, its copy ending on the
        later one's start, and the later association.
    """
    items = [a for a in associations if a.kind is kind]
    out = []
    for i, a in enumerate(items):
        if a.end is not None:
            continue
        by = next(
            (b for b in items[i + 1 :] if b.start > a.start and b.partner_id != a.partner_id),
            None,
        )
        if by is None:
            continue
        out.append((a, attrs.evolve(a, end=by.start), by))
    return out
