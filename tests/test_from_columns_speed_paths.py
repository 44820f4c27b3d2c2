"""The faster paths of ``Ledger.from_columns`` give exactly what the readable ones give.

Each fast path (coding a column by its runs, one sort of packed keys, the association index's
lazy renumbering, the rules' shortcuts) is checked against a one-at-a-time reference on random
inputs: the same codes in the same order, the same index, the same findings in the same order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record._usage_input import _duplicates
from partner_of_record._usage_table import UsageTable, _python_codes, _run_codes, codes_of
from partner_of_record.errors import Finding
from partner_of_record.ledger._links import _assoc_order, _Links, _stable_order, flat_groups
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Workload,
)
from partner_of_record.rules import ExclusiveKind, Facts, OneDayGap
from partner_of_record.rules._builtin import _on_workloads
from test_rules import index_facts

K = AssociationKind
FOREVER = dt.date.max

# ---------------------------------------------------------------- coding a column by its runs

_NAN = float("nan")
_VALUES: tuple[Any, ...] = (
    "a",
    "b",
    "S-1",
    " ",
    "",
    np.str_("a"),
    None,
    0,
    1,
    True,
    False,
    1.0,
    -0.0,
    _NAN,
    Decimal("1"),
    Decimal("1.00"),
    Decimal("NaN"),
)
"""Values a column may hold, some equal across types (1, 1.0, True, Decimal('1')) and some
unequal to themselves (NaN)."""

values = st.one_of(st.sampled_from(_VALUES), st.text(max_size=2), st.floats(allow_nan=True))
runs = st.lists(st.tuples(values, st.integers(1, 6)), max_size=40)


def _column(pieces: list[tuple[Any, int]]) -> np.ndarray[Any, Any]:
    """An object column of each value repeated (the same object) over its run."""
    out = np.empty(sum(n for _, n in pieces), dtype=object)
    out[:] = [v for v, n in pieces for _ in range(n)]
    return out


def _same_index(fast: dict[Any, int], reference: dict[Any, int]) -> bool:
    """The same keys (the very objects) with the same codes, in the same order."""
    return len(fast) == len(reference) and all(
        a is b and fast[a] == reference[b] for a, b in zip(fast, reference, strict=True)
    )


@given(runs, st.lists(values, max_size=4))
def test_run_coding_gives_the_one_at_a_time_codes(
    pieces: list[tuple[Any, int]], known: list[Any]
) -> None:
    """Coding the runs' first values and repeating their codes gives the codes and the index
    (keys, codes, order) of coding every value one at a time, also with values already coded."""
    column = _column(pieces)
    index = {v: i for i, v in enumerate(dict.fromkeys(known))} if known else {}
    reference = dict(index)
    found = _run_codes(column, index) if len(column) else None
    expected = _python_codes(column.tolist(), reference)
    if found is None:  # not in runs: the caller codes them otherwise, index untouched
        assert _same_index(index, {v: i for i, v in enumerate(dict.fromkeys(known))})
        return
    assert found.tolist() == expected.tolist()
    assert _same_index(index, reference)


@given(runs.filter(bool), st.integers(1, 400), st.booleans(), st.booleans())
def test_long_columns_are_coded_as_one_at_a_time(
    pieces: list[tuple[Any, int]], scale: int, tile: bool, text: bool
) -> None:
    """``codes_of`` on a column long enough for its fast paths (runs, Arrow) gives the codes
    and index of coding every value one at a time: sorted (long runs) or tiled (no runs),
    objects or numpy strings."""
    if text:
        pieces = [(str(v), n) for v, n in pieces]
    short = _column(pieces)
    column = np.tile(short, 10_001 // len(short) + 1) if tile else np.repeat(short, scale)
    if len(column) <= 10_000:
        column = np.concatenate([column, np.tile(short, 10_001 // len(short) + 1)])
    if text:
        column = column.astype(str)
    index: dict[Any, int] = {}
    reference: dict[Any, int] = {}
    assert codes_of(column, index).tolist() == _python_codes(column.tolist(), reference).tolist()
    # equal keys in the same order (Arrow's are new str objects equal to the column's)
    assert list(index.items()) == list(reference.items())


def test_run_coding_declines_values_that_cannot_be_compared() -> None:
    """A column whose neighbours compare to no ``bool`` (an array, a signaling NaN) is left to
    the one-at-a-time coding, which reports it as before."""
    column = np.empty(3, dtype=object)
    column[:] = [np.array([1, 2]), np.array([1, 2]), "a"]
    index: dict[Any, int] = {}
    assert _run_codes(column, index) is None
    assert index == {}
    with pytest.raises(TypeError, match="unhashable"):
        codes_of(np.repeat(column, 5_000), {})
    signaling = np.empty(2, dtype=object)
    signaling[:] = ["a", Decimal("sNaN")]
    with pytest.raises(TypeError, match="signaling NaN"):
        codes_of(np.repeat(signaling, 6_000), {})


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 1)), min_size=2, max_size=40
    ),
    st.sampled_from([1, 2**20, 2**40]),
)
def test_duplicate_rows_are_the_repeats_of_a_key(
    rows: list[tuple[int, int, int]], scale: int
) -> None:
    """Each row repeating the (subscription, month, service, currency) key of an earlier row is
    paired with that first row, whether the packed keys fit 32 bits or not."""
    n = len(rows)
    sub = np.array([r[0] * scale for r in rows], dtype=np.int64)
    month = np.array([738_000 + 31 * r[1] for r in rows], dtype=np.int64)
    service = np.array([r[2] for r in rows], dtype=np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    ids = tuple(f"S{i}" for i in range(int(sub.max()) + 1)) if scale == 1 else ("S",)
    table = UsageTable(sub, month, zeros, zeros, service, zeros - 1, ids, ("USD",), (None, "x"))
    first: dict[tuple[int, int, int], int] = {}
    expected = []
    for i, key in enumerate(rows):
        if key in first:
            expected.append((i, first[key]))
        first.setdefault(key, i)
    assert _duplicates(table, None) == expected


# ---------------------------------------------------------------- one sort of packed keys

keys = st.integers(1, 3).flatmap(
    lambda k: st.integers(0, 60).flatmap(
        lambda n: st.lists(
            st.lists(
                st.one_of(st.integers(0, 5), st.integers(-3, 3), st.integers(0, 2**62)),
                min_size=n,
                max_size=n,
            ),
            min_size=k,
            max_size=k,
        )
    )
)


@given(keys)
def test_stable_order_is_lexsort(columns: list[list[int]]) -> None:
    """The order of one sort of packed keys (or its fallback for negative or wide keys) is
    ``np.lexsort``'s: by the keys, the first most significant, ties in row order."""
    arrays = [np.array(c, dtype=np.int64) for c in columns]
    expected = np.lexsort(tuple(arrays[::-1])) if len(columns[0]) else np.zeros(0, np.intp)
    assert _stable_order(arrays).tolist() == expected.tolist()


# ---------------------------------------------------------------- the association index

_DAY = dt.date(2024, 1, 1)
associations = st.builds(
    lambda p, s, k, d, n: Association(
        f"P{p}", f"S{s}", k, _DAY + dt.timedelta(days=d), None if n is None else _DAY + n
    ),
    st.integers(0, 2),
    st.integers(0, 5),
    st.sampled_from([K.DPOR, K.PAL, K.CSP_TIER1, K.GDAP]),
    st.integers(0, 6),
    st.none() | st.integers(7, 9).map(lambda d: dt.timedelta(days=d)),
)


def _grouped(ordered: tuple[Association, ...]) -> list[tuple[str, tuple[Association, ...]]]:
    """The associations by subscription, one at a time (groups in order of first appearance)."""
    out: dict[str, list[Association]] = {}
    for a in ordered:
        out.setdefault(a.subscription_id, []).append(a)
    return [(s, tuple(items)) for s, items in out.items()]


def _repeated(ordered: tuple[Association, ...]) -> list[str]:
    """The subscriptions holding two associations of one partner and kind, in order of first
    appearance."""
    seen: set[tuple[str, str, AssociationKind]] = set()
    found: dict[str, None] = {}
    first = {s: i for i, (s, _) in reversed(list(enumerate(_grouped(ordered))))}
    for a in ordered:
        key = (a.subscription_id, a.partner_id, a.kind)
        if key in seen:
            found[a.subscription_id] = None
        seen.add(key)
    return sorted(found, key=first.__getitem__)


@given(
    st.lists(associations, max_size=30),
    st.sampled_from(["codes", "none", "ordered"]),
    st.lists(st.integers(0, 9).map(lambda i: f"S{i}"), max_size=12),
)
def test_links_index_as_a_one_at_a_time_sweep(
    items: list[Association], how: str, ids: list[str]
) -> None:
    """The index (order, groups by subscription, subscriptions that may hold a duplicate, the
    groups of some ids end to end) is the one a record-at-a-time sweep builds, with the
    caller's codes (subscriptions in any order, some without associations) or its own."""
    ordered = tuple(sorted(items, key=_assoc_order))
    if how == "codes":
        subs = [f"S{i}" for i in (5, 3, 9, 1, 0, 4, 2, 8)]
        code = {s: i for i, s in enumerate(subs)}
        rank = {p: i for i, p in enumerate(sorted({a.partner_id for a in items}))}
        links = _Links(
            items,
            codes=(
                np.array([code[a.subscription_id] for a in items], dtype=np.int64),
                subs,
                np.array([rank[a.partner_id] for a in items], dtype=np.int64),
            ),
        )
    elif how == "ordered":
        links = _Links(ordered, ordered=True)
    else:
        links = _Links(items)
    assert links.ordered == ordered
    groups = dict(_grouped(ordered))
    flat, each = links.flat(ids)  # before the dict by subscription is made
    assert list(flat) == [a for s in ids for a in groups.get(s, ())]
    assert each.tolist() == [len(groups.get(s, ())) for s in ids]
    assert list(links.grouped().items()) == _grouped(ordered)
    assert links.repeated() == _repeated(ordered)
    by_sub = links.by_subscription()
    for mapping in (by_sub, dict(by_sub)):  # through the codes, then through the dict
        assert flat_groups(mapping, ids)[0] == flat
        assert flat_groups(mapping, ids)[1].tolist() == each.tolist()


# ---------------------------------------------------------------- the rules' shortcuts

_WORKLOADS = (Workload.AZURE, Workload.MICROSOFT_365, Workload.DYNAMICS_365)


@st.composite
def rule_facts(draw: st.DrawFn) -> Facts:
    """Facts over up to 60 subscriptions of three workloads, with overlapping associations."""
    n = draw(st.integers(1, 60))
    subs = [Subscription(f"S{i}", "C1", draw(st.sampled_from(_WORKLOADS))) for i in range(n)]
    picked = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, 2),
                st.sampled_from([K.DPOR, K.PAL]),
                st.integers(0, 8),
                st.none() | st.integers(0, 8),
            ),
            max_size=25,
        )
    )
    items = [
        Association(
            f"P{p}",
            f"S{s}",
            k,
            _DAY + dt.timedelta(days=d),
            None if e is None else _DAY + dt.timedelta(days=d + e + 1),
        )
        for s, p, k, d, e in picked
    ]
    return index_facts(items, [Partner(f"P{i}") for i in range(3)], [Customer("C1")], subs)


@given(rule_facts(), st.sets(st.sampled_from(_WORKLOADS)), st.booleans())
def test_workload_rules_find_what_a_lookup_per_association_finds(
    facts: Facts, workloads: set[Workload], inside: bool
) -> None:
    """With few associations (a lookup each) or many (one pass over the subscriptions), the
    associations on (or off) the workloads are found, in order, with their subscription."""
    subs = facts.subscriptions
    expected = [
        (a, subs[a.subscription_id])
        for a in facts.associations
        if (subs[a.subscription_id].workload in workloads) is inside
    ]
    found = list(_on_workloads(facts, facts.associations, frozenset(workloads), inside))
    assert found == expected


def _overlaps(facts: Facts, rule: ExclusiveKind) -> list[tuple[Association, Association]]:
    """The sweep of ``ExclusiveKind(scope="subscription")`` over every association."""
    kept: dict[str, Association] = {}
    found = []
    for a in facts.by_kind.get(rule.kind, ()):
        prev = kept.get(a.subscription_id)
        if prev is not None and a.start < (prev.end or FOREVER):
            found.append((a, prev))
            continue
        kept[a.subscription_id] = a
    return found


def _gaps(facts: Facts, kind: AssociationKind) -> list[tuple[Association, Association]]:
    """The sweep of ``OneDayGap`` over every association."""
    last: dict[str, Association] = {}
    found = []
    for a in facts.by_kind.get(kind, ()):
        prev = last.get(a.subscription_id)
        if prev is None:
            last[a.subscription_id] = a
            continue
        if prev.end is not None and prev.end + dt.timedelta(days=1) == a.start:
            found.append((a, prev))
        if (a.end or FOREVER) >= (prev.end or FOREVER):
            last[a.subscription_id] = a
    return found


@given(rule_facts())
def test_per_subscription_sweeps_skip_only_lone_associations(facts: Facts) -> None:
    """Sweeping only the associations whose subscription holds another of the kind finds the
    pairs, in order, that sweeping every association finds."""
    rule = ExclusiveKind(K.DPOR)
    pairs: list[Finding] = list(rule.check(facts))
    assert [f.subject for f in pairs] == _overlaps(facts, rule)
    gaps = list(OneDayGap(K.DPOR).check(facts))
    assert [f.subject for f in gaps] == _gaps(facts, K.DPOR)
