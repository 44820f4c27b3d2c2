"""The association order and the integer codes the ledger's indexes are built from."""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, repeat
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from partner_of_record._codes import value_codes
from partner_of_record.model import (
    KEY_FIELDS,
    Association,
    AssociationKind,
    SeatUsage,
    SubscriptionId,
    Usage,
)

_T = TypeVar("_T")
_K = TypeVar("_K")

_FOREVER = dt.date.max
_SUB_ID = operator.attrgetter("subscription_id")
_USAGE_KEY = operator.attrgetter(*KEY_FIELDS[Usage])
_SEAT_KEY = operator.attrgetter(*KEY_FIELDS[SeatUsage])
_START = operator.attrgetter("start")
_KIND = operator.attrgetter("kind")
_PARTNER_ID = operator.attrgetter("partner_id")
_CUSTOMER_ID = operator.attrgetter("customer_id")


# Associations are kept in (start, kind, partner) order (kinds by value, so the order does not
# depend on the enum's declaration order); ties keep their input order.
_KINDS_IN_ORDER: tuple[AssociationKind, ...] = tuple(sorted(AssociationKind, key=lambda k: k.value))


def _assoc_order(a: Association) -> tuple[dt.date, str, str]:
    """The sort key of an association (for the few re-sorted by an event)."""
    return (a.start, a.kind.value, a.partner_id)


def flat_groups(
    by_sub: Mapping[SubscriptionId, tuple[Association, ...]], ids: Sequence[SubscriptionId]
) -> tuple[tuple[Association, ...], npt.NDArray[np.int64]]:
    """The associations of subscriptions ``ids`` end to end, and how many each has, read from
    a mapping by subscription (a ``_BySubscription`` reads its codes instead)."""
    if isinstance(by_sub, _BySubscription):
        return by_sub.flat(ids)
    groups = list(map(by_sub.get, ids, repeat(())))
    each = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
    return tuple(chain.from_iterable(groups)), each


def _pick(records: Sequence[_T], order: npt.NDArray[np.intp]) -> tuple[_T, ...]:
    """The records at positions ``order``, as a tuple."""
    if len(order) > 1:
        picked: tuple[_T, ...] = operator.itemgetter(*order.tolist())(records)
        return picked
    return tuple(records[i] for i in order.tolist())


def _first_codes(values: list[_K]) -> tuple[list[_K], npt.NDArray[np.int64]]:
    """The distinct values in order of first appearance, and each value's code.

    For ids (mostly distinct strings) hashing every value is what ``value_codes(...,
    ordered=False)`` does last anyway; this skips its identity pass (6-45 % faster measured on a
    million distinct strings), so the ledger's id columns keep it."""
    distinct = list(dict.fromkeys(values))
    index = {v: i for i, v in enumerate(distinct)}
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    return distinct, codes


def _kind_codes(associations: Sequence[Association]) -> npt.NDArray[np.int64]:
    """Each association's kind as its rank in ``_KINDS_IN_ORDER``: the kinds present coded by
    ``value_codes`` (in order of value, as ``_KINDS_IN_ORDER``), then each one's rank looked up.
    """
    codes, present = value_codes(list(map(_KIND, associations)), ordered=True)
    return np.array([_KIND_RANK[k] for k in present], dtype=np.int64)[codes]


_KIND_RANK: dict[AssociationKind, int] = {k: i for i, k in enumerate(_KINDS_IN_ORDER)}
"""Each kind's rank in ``_KINDS_IN_ORDER``."""


def _stable_order(keys: Sequence[npt.NDArray[np.int64]]) -> npt.NDArray[np.intp]:
    """The rows in order of ``keys`` (the most significant first; ties in row order), as
    ``np.lexsort(keys[::-1])`` gives them: one ``np.sort`` of the keys and the row number
    packed into an int64 when the (non-negative) keys fit, else ``np.lexsort``."""
    n = len(keys[0])
    if n < 2:
        return np.arange(n, dtype=np.intp)
    widths = [int(k.max()).bit_length() for k in keys]
    row_width = max(n - 1, 0).bit_length()
    if sum(widths) + row_width > 63 or any(int(k.min()) < 0 for k in keys):
        return np.lexsort(tuple(keys[::-1]))
    packed = np.zeros(n, dtype=np.int64)
    for k, w in zip(keys, widths, strict=True):
        packed = (packed << w) | k
    packed = (packed << row_width) | np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << row_width) - 1
    return packed.astype(np.intp, copy=False)


class _Links:
    """Associations in ``_assoc_order`` (stable), with integer codes of their fields, from
    which the ledger's indexes are built by sorts and slices instead of per-record keys.

    Attributes:
        ordered: the associations in order.
        subs: subscription ids (in any order; some may have no association).
        sub, partner, kind: each ordered association's subscription code (into ``subs``),
            partner code and kind code (rank in ``_KINDS_IN_ORDER``).
    """

    def __init__(
        self,
        associations: Sequence[Association],
        *,
        ordered: bool = False,
        codes: tuple[npt.NDArray[np.int64], list[SubscriptionId], npt.NDArray[np.int64]]
        | None = None,
    ) -> None:
        """Index ``associations`` (already in ``_assoc_order`` when ``ordered``).

        ``codes`` are the caller's subscription codes (into its list of ids) and partner codes
        (ranks of the partner ids) of each association, when it has them (``known_link_targets``
        makes them while checking the references); else they are made here."""
        n = len(associations)
        if codes is None:
            subs, sub = _first_codes(list(map(_SUB_ID, associations)))
            ids = list(map(_PARTNER_ID, associations))
            rank = {p: i for i, p in enumerate(sorted(set(ids)))}
            partner = np.fromiter(map(rank.__getitem__, ids), dtype=np.int64, count=n)
        else:
            sub, subs, partner = codes
        kind = _kind_codes(associations)
        if ordered or n < 2:
            self.ordered = tuple(associations)
        else:
            starts = np.fromiter(map(dt.date.toordinal, map(_START, associations)), np.int64, n)
            order = _stable_order((starts - starts.min(), kind, partner))
            self.ordered = _pick(associations, order)
            sub, partner, kind = sub[order], partner[order], kind[order]
        self.subs = subs
        self.sub = sub
        self.partner = partner
        self.kind = kind

    def _in_appearance_order(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Distinct subscription ``codes`` in order of their first association in ``ordered``."""
        codes = np.unique(codes)
        at = np.flatnonzero(np.isin(self.sub, codes))
        present, first = np.unique(self.sub[at], return_index=True)
        found: npt.NDArray[np.int64] = present[np.argsort(at[first])]
        return found

    def by_subscription(self) -> _BySubscription:
        """The associations grouped by subscription (groups in order of first appearance, each
        in order), made when first read (``_BySubscription``)."""
        return _BySubscription(self)

    def grouped(self) -> dict[SubscriptionId, tuple[Association, ...]]:
        """``by_subscription`` as a dict: one stable sort of the subscription codes gives the
        groups; they are laid out in order of their first association (the first of each
        group in the sort), then sliced."""
        n = len(self.ordered)
        if not n:
            return {}
        order = np.argsort(self.sub, kind="stable")
        codes = self.sub[order]
        starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
        lengths = np.diff(np.append(starts, n))
        by_first = np.argsort(order[starts])
        starts, lengths = starts[by_first], lengths[by_first]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        # each group's rows, moved from their place in the sort to their place in the layout
        layout = order[np.repeat(starts - bounds[:-1], lengths) + np.arange(n)]
        grouped = _pick(self.ordered, layout)
        keys = _pick(self.subs, codes[starts])
        ends = bounds.tolist()
        return {s: grouped[a:b] for s, a, b in zip(keys, ends[:-1], ends[1:], strict=True)}

    def flat(
        self, ids: Sequence[SubscriptionId]
    ) -> tuple[tuple[Association, ...], npt.NDArray[np.int64]]:
        """The associations of subscriptions ``ids`` end to end, each one's in order (what
        ``grouped()[id]`` holds), and how many each has: the engine's read of a whole usage
        table's subscriptions, by one stable sort and one gather instead of a tuple per
        subscription."""
        n_subs = len(self.subs)
        counts = np.bincount(self.sub, minlength=n_subs).astype(np.int64)
        first = np.cumsum(counts) - counts
        order = np.argsort(self.sub, kind="stable")
        index = dict(zip(self.subs, range(n_subs), strict=True))
        code = np.fromiter(map(index.get, ids, repeat(-1)), dtype=np.int64, count=len(ids))
        each = np.append(counts, 0)[code]  # code -1 (no association) reads the 0 appended
        owner = np.repeat(np.arange(len(ids), dtype=np.int64), each)
        within = np.arange(len(owner), dtype=np.int64) - np.repeat(np.cumsum(each) - each, each)
        return _pick(self.ordered, order[first[code[owner]] + within]), each

    def by_kind(
        self, ordered: tuple[Association, ...] | None = None
    ) -> dict[AssociationKind, tuple[Association, ...]]:
        """The associations grouped by kind (kinds in order of first appearance), taken from
        ``ordered`` when given (the same associations, some replaced by a handover)."""
        present, first = np.unique(self.kind, return_index=True)
        records = self.ordered if ordered is None else ordered
        return {
            _KINDS_IN_ORDER[k]: _pick(records, np.flatnonzero(self.kind == k))
            for k in present[np.argsort(first)].tolist()
        }

    def repeated(self) -> list[SubscriptionId]:
        """The subscriptions holding two associations of the same partner and kind (the only
        ones where ``_Check._duplicates`` can find an overlap), in order of first appearance
        in ``ordered``."""
        if len(self.ordered) < 2:
            return []
        order = _stable_order((self.sub, self.partner, self.kind))
        sub, partner, kind = self.sub[order], self.partner[order], self.kind[order]
        same = (sub[1:] == sub[:-1]) & (partner[1:] == partner[:-1]) & (kind[1:] == kind[:-1])
        if not same.any():
            return []
        return [self.subs[c] for c in self._in_appearance_order(sub[1:][same]).tolist()]


class _BySubscription(Mapping[SubscriptionId, tuple[Association, ...]]):
    """The associations by subscription, as a read-only mapping whose dict is made on first
    read (from_columns and lenient loads check large ledgers whose index is only read later,
    by the engine's first ``attribute()`` or a query; the rules read ``by_kind``)."""

    __slots__ = ("_dict", "_links")

    def __init__(self, links: _Links) -> None:
        self._links: _Links | None = links
        self._dict: dict[SubscriptionId, tuple[Association, ...]] = {}

    def flat(
        self, ids: Sequence[SubscriptionId]
    ) -> tuple[tuple[Association, ...], npt.NDArray[np.int64]]:
        """``_Links.flat``: from the codes while the dict is not made, else from the dict."""
        if self._links is not None:
            return self._links.flat(ids)
        return flat_groups(self._dict, ids)

    def _built(self) -> dict[SubscriptionId, tuple[Association, ...]]:
        if self._links is not None:
            self._dict = self._links.grouped()
            self._links = None
        return self._dict

    def __getitem__(self, key: SubscriptionId) -> tuple[Association, ...]:
        return self._built()[key]

    def get(self, key: SubscriptionId, default: Any = None) -> Any:
        """The associations of ``key``, or ``default``."""
        return self._built().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._built()

    def __iter__(self) -> Iterator[SubscriptionId]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())

    def __repr__(self) -> str:
        return repr(self._built())


def _grouped(records: Iterable[_T], key: Callable[[_T], _K]) -> dict[_K, list[_T]]:
    """``records`` grouped by ``key``, each group in input order."""
    groups: defaultdict[_K, list[_T]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    return groups


def _rows_by_code(codes: Any) -> dict[int, list[int]]:
    """The row numbers of each code of an integer array, each list in row order."""
    out: defaultdict[int, list[int]] = defaultdict(list)
    for row, code in enumerate(codes.tolist()):
        out[code].append(row)
    return out


def _index_by(records: Iterable[_T], key: Callable[[_T], _K]) -> dict[_K, tuple[_T, ...]]:
    """``records`` grouped by ``key`` into tuples, for the ledger's lazy lookups."""
    return {k: tuple(v) for k, v in _grouped(records, key).items()}


def _tiebreak(a: Association) -> tuple[dt.date, str, str, dt.date]:
    """Order associations that share (start, kind, partner) by their other fields."""
    return (
        a.end or _FOREVER,
        "" if a.granted_by is None else a.granted_by.value,
        a.role or "",
        a.recorded_on or dt.date.min,
    )
