"""The association order and the integer codes the ledger's indexes are built from."""

from __future__ import annotations

import datetime as dt
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


class _Links:
    """Associations in ``_assoc_order`` (stable), with integer codes of their fields, from
    which the ledger's indexes are built by sorts and slices instead of per-record keys.

    Attributes:
        ordered: the associations in order.
        subs: the subscription ids, in order of first appearance in ``ordered``.
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
            order = np.lexsort((partner, kind, starts))
            self.ordered = _pick(associations, order)
            sub, partner, kind = sub[order], partner[order], kind[order]
        if codes is not None or not (ordered or n < 2):
            # subscription codes in order of first appearance in ``ordered``
            present, first = np.unique(sub, return_index=True)
            appear = present[np.argsort(first)]
            renumber = np.empty(len(subs), dtype=np.int64)
            renumber[appear] = np.arange(len(appear))
            subs = [subs[i] for i in appear.tolist()]
            sub = renumber[sub]
        self.subs = subs
        self.sub = sub
        self.partner = partner
        self.kind = kind

    def by_subscription(self) -> _BySubscription:
        """The associations grouped by subscription (groups in order of first appearance, each
        in order), made when first read (``_BySubscription``)."""
        return _BySubscription(self)

    def grouped(self) -> dict[SubscriptionId, tuple[Association, ...]]:
        """``by_subscription`` as a dict: one stable sort of the subscription codes, then
        slices."""
        grouped = _pick(self.ordered, np.argsort(self.sub, kind="stable"))
        bounds = [0, *np.cumsum(np.bincount(self.sub, minlength=len(self.subs))).tolist()]
        subs = self.subs
        return {s: grouped[a:b] for s, a, b in zip(subs, bounds[:-1], bounds[1:], strict=True)}

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
        ones where ``_Check._duplicates`` can find an overlap), in ``subs`` order."""
        if len(self.ordered) < 2:
            return []
        order = np.lexsort((self.kind, self.partner, self.sub))
        sub, partner, kind = self.sub[order], self.partner[order], self.kind[order]
        same = (sub[1:] == sub[:-1]) & (partner[1:] == partner[:-1]) & (kind[1:] == kind[:-1])
        return [self.subs[c] for c in np.unique(sub[1:][same]).tolist()]


class _BySubscription(Mapping[SubscriptionId, tuple[Association, ...]]):
    """The associations by subscription, as a read-only mapping whose dict is made on first
    read (from_columns and lenient loads check large ledgers whose index is only read later,
    by the engine's first ``attribute()`` or a query; the rules read ``by_kind``)."""

    __slots__ = ("_dict", "_links")

    def __init__(self, links: _Links) -> None:
        self._links: _Links | None = links
        self._dict: dict[SubscriptionId, tuple[Association, ...]] = {}

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
