"""Facts from a ledger, for the buckets: sent once as typed columns, indexed once per process.

The driver turns a usage-free ledger's partners, customers, subscriptions and associations into
columns (``facts_payload``): one column per
``attrs`` field of the record class, typed so that it pickles as a few buffers (text and days
as Arrow arrays, enum members as small integer codes, counts as integers; any other value as a
plain list). Spark broadcasts the payload once; each executor's Python worker indexes it once
per payload token (``facts_of``) and each bucket then builds, with the records' own
constructors (so their checks run again), only the records of the subscriptions its usage
names: those subscriptions, *all* their associations, their customers and partners.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._codes import value_codes
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, Customer, Partner, Subscription
from partner_of_record.spark._common import Job, arrow, arrow_compute

if TYPE_CHECKING:
    from partner_of_record.spark._bucket import Bucket

__all__ = ["Facts", "facts_of", "facts_payload"]

Encoded = tuple[str, Any, Any]
"""One field's column: ``(encoding, data, extra)``, see ``_encode``."""


def _encode(values: list[Any]) -> Encoded:
    """One field's values as a compact column.

    ``("text", pyarrow string array, None)`` when every value is a ``str`` or ``None``;
    ``("date", pyarrow date32 array, None)`` for ``datetime.date`` or ``None`` (never a
    ``datetime``); ``("enum", int32 codes, members)`` for members of one enum or ``None`` (each
    distinct object once in ``members``); ``("int", int64 array, None)`` for ``int`` without
    ``None``; otherwise ``("objects", the list, None)``.
    """
    pa = arrow()
    types = set(map(type, values))
    none = type(None) in types
    types.discard(type(None))
    try:
        if types <= {str}:
            return ("text", pa.array(values, pa.string()), None)
        if types == {dt.date}:
            return ("date", pa.array(values, pa.date32()), None)
        if len(types) == 1 and issubclass(next(iter(types)), enum.Enum):
            codes, members = value_codes(values, ordered=False)
            return ("enum", codes.astype(np.int32), tuple(members))
        if types == {int} and not none:
            return ("int", np.array(values, dtype=np.int64), None)
    except (ValueError, TypeError, OverflowError, UnicodeError):  # e.g. a lone surrogate
        pass  # pyarrow's errors derive from these
    return ("objects", values, None)


def _decoder(encoded: Encoded) -> Callable[[npt.NDArray[np.int64]], list[Any]]:
    """A function giving the values of a column at the given positions, as Python objects."""
    kind, data, extra = encoded
    if kind in ("text", "date"):
        return lambda at: data.take(at).to_pylist()
    if kind == "enum":
        members = np.fromiter(extra, dtype=object, count=len(extra))
        return lambda at: members[data[at]].tolist()
    if kind == "int":
        return lambda at: data[at].tolist()
    objects = np.fromiter(data, dtype=object, count=len(data))
    return lambda at: objects[at].tolist()


def _permuted(encoded: Encoded, order: npt.NDArray[np.int64]) -> Encoded:
    """A column with its values in the order ``order`` (positions into it)."""
    kind, data, extra = encoded
    if kind in ("text", "date"):
        return (kind, data.take(order), extra)
    if kind in ("enum", "int"):
        return (kind, data[order], extra)
    return (kind, [data[k] for k in order.tolist()], extra)


def _fields(records: Sequence[Any], cls: type) -> dict[str, list[Any]]:
    """The records' values of each ``attrs`` field of ``cls``, one list per field."""
    return {f.name: list(map(operator.attrgetter(f.name), records)) for f in attrs.fields(cls)}


def _columns(fields: Mapping[str, list[Any]], cls: type) -> dict[str, Encoded]:
    """Encoded columns of ``_fields``' lists; a keyword field whose every value is its default
    is left out (the constructor supplies it)."""
    out: dict[str, Encoded] = {}
    for f in attrs.fields(cls):
        values = fields[f.name]
        plain = not isinstance(f.default, attrs.Factory) and f.default is not attrs.NOTHING  # type: ignore[arg-type]
        if f.kw_only and plain and values.count(f.default) == len(values):
            continue
        out[f.name] = _encode(values)
    return out


def _positions(keys: Encoded, of: Encoded) -> npt.NDArray[np.int64]:
    """The position in ``of`` (a column of distinct ids) of each value of ``keys`` (a column
    of ids, each of which is in ``of``)."""
    pc = arrow_compute()
    if keys[0] == "text" and of[0] == "text":
        found = pc.index_in(keys[1], value_set=of[1])
        if found.null_count == 0:
            return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)
    everything = np.arange(len(of[1]), dtype=np.int64)
    where = {k: i for i, k in enumerate(_decoder(of)(everything))}
    values = _decoder(keys)(np.arange(len(keys[1]), dtype=np.int64))
    return np.fromiter((where[k] for k in values), dtype=np.int64, count=len(values))


def facts_payload(ledger: Ledger, token: str) -> dict[str, Any]:
    """The facts of a usage-free ledger as columns, to be broadcast to the executors.

    Records travel as the values of their ``attrs`` fields (one typed column per field), which
    an executor turns back into records with their own constructors; associations are ordered
    by subscription (stably), so that a subscription's associations are one slice. Input rows
    (for rejects) are numbered as the ledger lists them: subscriptions ``0 ..``, then
    associations.

    Args:
        ledger: the facts ledger.
        token: a key unique to this payload (the executors' cache key).

    Returns:
        A mapping of Arrow arrays, numpy arrays and tuples (pickled once by Spark's broadcast:
        mostly raw buffers).
    """
    partners = _columns(_fields(ledger.partners, Partner), Partner)
    customers = _columns(_fields(ledger.customers, Customer), Customer)
    subs = _columns(_fields(ledger.subscriptions, Subscription), Subscription)
    assocs = _columns(_fields(ledger.associations, Association), Association)
    n_subs = len(ledger.subscriptions)
    at = _positions(assocs["subscription_id"], subs["id"])
    order = np.argsort(at, kind="stable").astype(np.int64)
    counts = np.bincount(at, minlength=n_subs)
    return {
        "token": token,
        "partners": partners,
        "customers": customers,
        "subscriptions": subs,
        "associations": {name: _permuted(column, order) for name, column in assocs.items()},
        "sub_customer": _positions(subs["customer_id"], customers["id"]),
        "assoc_partner": _positions(assocs["partner_id"], partners["id"])[order],
        "assoc_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "assoc_rows": order + n_subs,
    }


class _Maker:
    """Builds records of one ``attrs`` class from a payload's columns, by position."""

    def __init__(self, cls: type, columns: Mapping[str, Encoded]) -> None:
        self.cls = cls
        fields = attrs.fields(cls)
        self.positional = [_decoder(columns[f.name]) for f in fields if not f.kw_only]
        # keyword fields absent from the payload take their default
        self.keywords = [
            (f.name, _decoder(columns[f.name])) for f in fields if f.kw_only and f.name in columns
        ]

    def many(self, indices: npt.NDArray[np.int64]) -> list[Any]:
        """The records at ``indices``, made by the class's own constructor."""
        args = [column(indices) for column in self.positional]
        if not self.keywords:
            return list(map(self.cls, *args))
        names = [name for name, _ in self.keywords]
        values = zip(*(column(indices) for _, column in self.keywords), strict=True)
        return [
            self.cls(*a, **dict(zip(names, kw, strict=True)))
            for a, kw in zip(zip(*args, strict=True), values, strict=True)
        ]


class Facts:
    """An executor's index of a facts payload: records made on demand, owners made once."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        subs = payload["subscriptions"]
        ids = _decoder(subs["id"])(np.arange(len(payload["sub_customer"]), dtype=np.int64))
        self.sub_index = dict(zip(ids, range(len(ids)), strict=True))
        self.sub_customer: npt.NDArray[np.int64] = payload["sub_customer"]
        self.assoc_partner: npt.NDArray[np.int64] = payload["assoc_partner"]
        self.assoc_offsets: npt.NDArray[np.int64] = payload["assoc_offsets"]
        self.assoc_rows: npt.NDArray[np.int64] = payload["assoc_rows"]
        self.subscription = _Maker(Subscription, subs)
        self.association = _Maker(Association, payload["associations"])
        self.partner = _Maker(Partner, payload["partners"])
        self.customer = _Maker(Customer, payload["customers"])
        self.partners: dict[int, Partner] = {}
        self.customers: dict[int, Customer] = {}

    def _owners(
        self, codes: npt.NDArray[np.int64], made: dict[int, Any], maker: _Maker
    ) -> list[Any]:
        """The partners or customers of ``codes`` (distinct), made once per process."""
        distinct = np.unique(codes).tolist()
        missing = [c for c in distinct if c not in made]
        if missing:
            made.update(zip(missing, maker.many(np.array(missing, dtype=np.int64)), strict=True))
        return [made[c] for c in distinct]

    def select(self, ids: Iterable[Any], into: Bucket) -> None:
        """Add the subscriptions of ``ids`` (unknown ids are skipped: their usage rows are
        rejected), their associations and their owners to a bucket."""
        wanted: set[int] = set()
        index = self.sub_index
        for sid in ids:
            if not isinstance(sid, str):
                continue
            i = index.get(sid)
            if i is None:
                i = index.get(sid.strip())
            if i is not None:
                wanted.add(i)
        subs = np.array(sorted(wanted), dtype=np.int64)
        starts = self.assoc_offsets[subs]
        counts = self.assoc_offsets[subs + 1] - starts
        # the associations of the wanted subscriptions: the slices [start, start + count)
        first = np.cumsum(counts) - counts
        assocs = np.repeat(starts - first, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        made_subs = self.subscription.many(subs)
        made_assocs = self.association.many(assocs)
        into.subscriptions.extend(made_subs)
        into.associations.extend(made_assocs)
        into.row_of.update(zip(map(id, made_subs), subs.tolist(), strict=True))
        rows = self.assoc_rows[assocs].tolist()
        into.row_of.update(zip(map(id, made_assocs), rows, strict=True))
        for c in self._owners(self.sub_customer[subs], self.customers, self.customer):
            into.customers.setdefault(c.id, c)
        for p in self._owners(self.assoc_partner[assocs], self.partners, self.partner):
            into.partners.setdefault(p.id, p)


_FACTS_CACHE: OrderedDict[str, Facts] = OrderedDict()
_FACTS_LOCK = threading.Lock()
_FACTS_KEPT = 2  # payloads indexed per executor process (a run, and the one before)


def facts_of(job: Job) -> tuple[Facts, bool]:
    """The executor's index of ``job``'s facts, made once per process and payload token.

    Returns:
        The index, and whether this call made it (``False``: it was cached).
    """
    token = job.facts_token
    assert token is not None
    with _FACTS_LOCK:
        found = _FACTS_CACHE.get(token)
        if found is not None:
            _FACTS_CACHE.move_to_end(token)
            return found, False
        found = _FACTS_CACHE[token] = Facts(job.facts.value)
        while len(_FACTS_CACHE) > _FACTS_KEPT:
            _FACTS_CACHE.popitem(last=False)
        return found, True
