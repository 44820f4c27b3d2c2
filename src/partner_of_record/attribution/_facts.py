"""The associations of a usage table's subscriptions as arrays, and what the engine derives from
them once per ledger (internal).

``association_arrays`` gathers the associations of the table's subscriptions (grouped by
subscription code, each group in ``Ledger.associations_of`` order) into columns with one pass
per field, builds their timelines (``_kernel.timelines``) and keeps the result with the table
(events make ledgers that share a table, so it is keyed by the ledger's association set). What
does not depend on the policy is kept with it: the decision keys of the segments, per declared
``(decision_fields, decision_ranks)``, and the rows' location on the timelines (``Spans``),
so a second ``attribute()`` with another policy only does the policy's work.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter
from typing import Any

import attrs
import numpy as np

from partner_of_record._codes import value_codes
from partner_of_record._usage_table import UsageTable
from partner_of_record.attribution import _kernel as k
from partner_of_record.attribution._decide import defining_class
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, PartnerId

__all__: list[str] = []  # internal module

I64 = k.I64
Declared = tuple[tuple[str, ...], frozenset[str]]
"""A policy's trusted ``decision_fields`` and the ``decision_ranks`` among them."""


@attrs.frozen
class Facts:
    """The associations of a table's subscriptions as arrays (derived once per association set
    and cached on the table).

    Attributes:
        associations: grouped by subscription code, each group in ``associations_of`` order.
        timelines: their change points and segments.
        names: the partner ids, sorted; ``partner`` holds each association's code into it.
        partner: see ``names``.
        start: each association's first day (day ordinal).
        seg_partners: each segment's distinct partner codes (``_kernel.segment_partners``).
        keys: segment decision keys already computed, by ``(fields, ranks)``.
        codes: association field codes already computed, by ``(field, ordered)``.
        rows: the location of the table's rows (``_kernel.Spans``), once computed, and the
            rows' decision keys by ``(fields, ranks)`` (``_kernel.RowKeys``).
    """

    associations: list[Association]
    timelines: k.Timelines
    names: tuple[PartnerId, ...]
    partner: I64
    start: I64
    seg_partners: tuple[I64, I64]
    keys: dict[Declared | None, I64] = attrs.field(factory=dict)
    codes: dict[tuple[str, bool], I64] = attrs.field(factory=dict)
    rows: dict[Any, Any] = attrs.field(factory=dict)

    def field_codes(self, field: str, *, ordered: bool) -> I64:
        """Each association's code on ``field``: in the values' order when ``ordered``, else in
        order of first appearance."""
        if field == "partner_id":
            return self.partner
        if field == "start":
            return self.start
        found = self.codes.get((field, ordered))
        if found is None:
            values = list(map(attrgetter(field), self.associations))
            found = self.codes[(field, ordered)] = value_codes(values, ordered=ordered)[0]
        return found


def facts_of(associations: list[Association], sub: I64) -> Facts:
    """The arrays of ``associations`` (grouped by subscription code ``sub``): one pass per
    field."""
    n = len(associations)
    starts = np.fromiter(
        map(dt.date.toordinal, map(attrgetter("start"), associations)), np.int64, n
    )
    ends = np.fromiter(
        [-1 if e is None else e.toordinal() for e in map(attrgetter("end"), associations)],
        np.int64,
        n,
    )
    tl = k.timelines(sub, starts, ends)
    partner, names = value_codes(list(map(attrgetter("partner_id"), associations)), ordered=True)
    seg_partners = k.segment_partners(tl, partner, len(names))
    return Facts(associations, tl, tuple(names), partner, starts, seg_partners)


def association_arrays(ledger: Ledger, table: UsageTable) -> Facts:
    """The associations of the table's subscriptions as arrays (cached on the table per
    association set, since events make ledgers that share the table)."""
    key = ledger.associations
    found = table.cache.get("facts")
    if found is not None and found[0] is key:
        return found[1]  # type: ignore[no-any-return]
    # the ledger's own read for the engine: no tuple or index per subscription
    flat, counts = ledger._associations_flat(table.sub_ids)
    subs = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    facts = facts_of(list(flat), subs)
    table.cache["facts"] = (key, facts)
    return facts


def _trusted(policy: Any, name: str) -> Any:
    """``policy.name`` when it may be trusted: set on the instance, or declared by the class
    that defines the policy's ``decide`` and ``shares`` or by a subclass of it (so a subclass
    that overrides ``decide`` without declaring its own does not inherit it)."""
    value = getattr(policy, name, None)
    declared = defining_class(type(policy), name)
    if value is None or declared is None:
        return value
    for method in ("decide", "shares"):
        impl = defining_class(type(policy), method)
        if impl is not None and not issubclass(declared, impl):
            return None
    return value


def decision_fields(policy: Any) -> Declared | None:
    """The association fields the policy's answer depends on, and those of them it only
    compares (``decision_ranks``), when they may be trusted (see ``_trusted``).

    ``None`` (ask once per segment) for a usage-dependent policy, or when ``partner_id`` is not
    among the fields (the answer names partners).
    """
    if not getattr(policy, "usage_independent", False):
        return None
    fields = _trusted(policy, "decision_fields")
    if not fields or "partner_id" not in fields:
        return None
    ranks = _trusted(policy, "decision_ranks") or ()
    return tuple(fields), frozenset(ranks) & frozenset(fields)


def segment_keys(declared: Declared | None, facts: Facts) -> I64:
    """One decision key per segment such that equal keys get answers equal up to the partners'
    ranks (see ``decision_fields``); 0 for a segment with no association.

    A segment's key is the sorted tuple of its associations' codes on the declared fields,
    where a field of ``decision_ranks`` is coded by the rank of its value among the segment's
    associations: the order of ``active`` follows the starts, which a policy not declaring
    ``start`` ignores. Without trusted fields (``declared`` is ``None``) every non-empty segment
    is its own key.
    """
    found = facts.keys.get(declared)
    if found is None:
        sizes = np.diff(facts.timelines.seg_off)
        own = np.where(sizes > 0, np.arange(1, len(sizes) + 1, dtype=np.int64), 0)
        found = own if declared is None else _keys_on_fields(facts, *declared)
        facts.keys[declared] = found
    return found


def _keys_on_fields(facts: Facts, fields: tuple[str, ...], ranks: frozenset[str]) -> I64:
    """The keys of ``segment_keys``: codes packed per association, sorted within each segment
    (one ``np.sort`` of packed keys), and each segment's sorted codes packed into one integer
    per segment, numbered in order (``distinct`` over the segments of each size)."""
    tl = facts.timelines
    sizes = np.diff(tl.seg_off)
    own = np.where(sizes > 0, np.arange(1, len(sizes) + 1, dtype=np.int64), 0)
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    code = np.zeros(len(owner), dtype=np.int64)
    radix = 1
    for field in fields:
        values = facts.field_codes(field, ordered=field in ranks)[tl.assoc]
        if field in ranks and len(values):
            values = _dense_rank(owner, values)
        top = int(values.max(initial=0)) + 1
        radix *= top
        if radix >= 1 << 62:  # too many distinct values to pack: a key per segment
            return own
        code = code * top + values
    if len(sizes) * radix < 1 << 62:
        sorted_code = np.sort(owner * radix + code) % radix
    else:  # pragma: no cover - billions of segments times codes
        sorted_code = code[np.lexsort((code, owner))]
    bits = max(1, (radix - 1).bit_length())
    keys = np.zeros(len(sizes), dtype=np.int64)
    base = 1
    for size in (np.flatnonzero(np.bincount(sizes, minlength=1)[1:]) + 1).tolist():
        segs = np.flatnonzero(sizes == size)
        table = sorted_code[tl.seg_off[segs][:, None] + np.arange(size)]
        if size * bits <= 62:  # a segment's codes in one integer: same order as the rows
            packed = np.zeros(len(segs), dtype=np.int64)
            for j in range(size):
                packed = (packed << bits) | table[:, j]
            found = k.distinct(packed)
            keys[segs] = base + np.searchsorted(found, packed)
            base += len(found)
        else:
            rows, inverse = np.unique(table, axis=0, return_inverse=True)
            keys[segs] = base + inverse.ravel()
            base += len(rows)
    return keys


def _dense_rank(owner: I64, values: I64) -> I64:
    """Each value's dense rank among the values of its owner (owners ascending)."""
    top = int(values.max()) + 1
    if (int(owner[-1]) + 1) * top < 1 << 62:
        packed = owner * top + values
        found = k.distinct(packed)
        out: I64 = np.searchsorted(found, packed) - np.searchsorted(found, owner * top)
        return out
    order = np.lexsort((values, owner))  # pragma: no cover - huge codes
    v, o = values[order], owner[order]
    new_seg = np.concatenate([[True], o[1:] != o[:-1]])
    dense = np.cumsum(new_seg | np.concatenate([[True], v[1:] != v[:-1]]))
    rank = np.empty_like(values)
    rank[order] = dense - dense[np.flatnonzero(new_seg)][np.cumsum(new_seg) - 1]
    return rank


def located(
    facts: Facts, sub: I64, month: I64, declared: Declared | None, *, keep: bool
) -> tuple[k.Spans, k.Units, I64, k.RowKeys]:
    """The rows' location on the timelines and their units (``_kernel.Units``), the segments'
    decision keys under ``declared`` and the keys the rows meet; kept with ``facts`` when
    ``keep`` (the rows are the whole table ``facts`` belongs to)."""
    rows = facts.rows if keep else {}
    found = rows.get("located")
    if found is None:
        sp = k.spans(facts.timelines, sub, month)
        found = rows["located"] = (sp, k.units(sp, sub, len(facts.timelines.points)))
    sp, un = found
    seg_key = segment_keys(declared, facts)
    rk: k.RowKeys | None = rows.get(("keys", declared))
    if rk is None:
        rk = rows[("keys", declared)] = k.row_keys(sp, seg_key)
    return sp, un, seg_key, rk
