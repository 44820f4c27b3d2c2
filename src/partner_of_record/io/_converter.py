"""The private cattrs converter: model values <-> plain JSON-ready data.

One ``cattrs.Converter`` (never cattrs' global one) turns every model record, tuples and
frozensets of them, and a whole [`Ledger`][partner_of_record.Ledger] into plain data (``dict``,
``list``, ``str``, ``int``, ``bool``, ``None``) and back. The choices, for users:

* dates are ISO strings (``"2024-01-15"``, exactly ``YYYY-MM-DD``);
* amounts are strings that keep their exponent (``Decimal("12.30")`` <-> ``"12.30"``); reading
  also accepts a JSON integer, and a JSON number with a fraction when it was parsed exactly
  (``from_json`` does so), but never a ``float``;
* exact fractions (shares) are strings ``"1/3"`` (``"1"`` for a whole number);
* enums are their values (``"dpor"``); frozensets are sorted lists; tuples are lists; optional
  fields are ``null``;
* every field is written, defaults included; unknown keys are refused;
* strings, integers and booleans are not coerced: ``"3"`` is not a count and ``3`` not a name;
* a ledger is an object with the lists ``partners``, ``customers``, ``subscriptions``,
  ``associations``, ``usage`` and ``seats`` (each optional when reading). Reading one calls
  ``Ledger(...)`` with the default rule set, so a [`LedgerError`][partner_of_record.LedgerError]
  listing the broken rules propagates **unchanged**: a ``SerializationError`` means the data is
  malformed, a ``LedgerError`` that well-formed facts break the ledger's rules. The rule set and
  the ledger's findings are not serialised.

Every problem found while reading is collected (cattrs' detailed validation and
``transform_error``) into one [`SerializationError`][partner_of_record.io.SerializationError]
that names each problem's JSON path, e.g. ``$.associations[3].kind``.

**Other types.** Any ``attrs`` class whose fields use the supported types (the above, nested
``attrs`` classes, ``dict``/``Mapping`` with string keys, ``list``) works without registration:
this is how attribution and evaluation results (plain ``attrs`` classes) are handled, so those
packages never import ``io``. A type that needs another shape gets hooks through
[`register_hooks`][partner_of_record.io.register_hooks], called by edge code (io, report, cli),
never by the model, ledger, attribution or evaluation packages. Hooks for library types that need
them are registered here, lazily, in ``_register_library_types`` (importing the type inside the
function), which keeps the dependency direction ``io -> attribution/evaluation``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import json
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from partner_of_record.errors import PartnerOfRecordError, ValidationError
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, Customer, Partner, SeatUsage, Subscription, Usage

__all__ = [
    "Problem",
    "SerializationError",
    "from_dict",
    "register_hooks",
    "to_dict",
]

T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# the error


@attrs.frozen
class Problem:
    """One problem found while reading data.

    Attributes:
        path: where, as a JSON path from the document root (``$.associations[3].kind``).
        message: what is wrong there.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class SerializationError(PartnerOfRecordError, ValueError):
    """Data could not be read into the requested type; ``problems`` lists **every** problem.

    Raised for malformed JSON (the problem names the line and column), unknown keys, wrong
    types, missing required fields and values the model refuses (the problem carries the
    model's [`ValidationError`][partner_of_record.ValidationError] message).

    Attributes:
        target: the name of the type that was being read, e.g. ``"Ledger"``.
        problems: one [`Problem`][partner_of_record.io.Problem] per problem, in document order.
    """

    def __init__(self, target: str, problems: tuple[Problem, ...]) -> None:
        self.target = target
        self.problems = problems
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} reading {target}:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in problems)]))


# --------------------------------------------------------------------------------------------
# leaf hooks: strict, with messages a user can act on


class _DataError(ValueError):
    """A leaf value has the wrong JSON type or form; the message says which and why."""


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {json.dumps(value)}"
    if isinstance(value, int | float | Decimal):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _structure_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise _DataError(f"expected a string, got {_json_type(value)}")
    return value


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _DataError(f"expected an integer, got {_json_type(value)}")
    return value


def _structure_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise _DataError(f"expected true or false, got {_json_type(value)}")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _structure_date(value: object, _: object) -> dt.date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise _DataError(f"{json.dumps(value)} is not a valid date ({exc})") from None
    raise _DataError(f"expected an ISO date string YYYY-MM-DD, got {_json_type(value)}")


def _unstructure_date(value: dt.date) -> str:
    return value.isoformat()


def _structure_decimal(value: object, _: object) -> Decimal:
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
        raise _DataError(f"expected a finite number, got {value}")
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            pass
    if isinstance(value, float):
        raise _DataError(
            f"expected an exact decimal, got the float {value!r}; write it as a string"
        )
    raise _DataError(f'expected a decimal string such as "12.30", got {_json_type(value)}')


_FRACTION = re.compile(r"[+-]?\d+(/\d+)?")


def _structure_fraction(value: object, _: object) -> Fraction:
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, str) and _FRACTION.fullmatch(value):
        try:
            return Fraction(value)
        except ZeroDivisionError:
            raise _DataError(f"{json.dumps(value)} divides by zero") from None
    raise _DataError(f'expected a fraction string such as "1/3", got {_json_type(value)}')


def _enum_hooks(
    enum_type: type[enum.Enum],
) -> tuple[Callable[[Any, Any], enum.Enum], Callable[[enum.Enum], Any]]:
    by_value = {member.value: member for member in enum_type}
    values = ", ".join(json.dumps(v) for v in by_value)

    def structure(value: object, _: object) -> enum.Enum:
        try:
            return by_value[value]
        except (KeyError, TypeError):
            pass
        hint = ""
        if isinstance(value, str):
            folded = value.strip().lower()
            for member in enum_type:
                if folded in (member.name.lower(), str(member.value).lower()):
                    hint = f" (did you mean {json.dumps(member.value)}?)"
                    break
            else:
                close = difflib.get_close_matches(folded, [str(v) for v in by_value], n=1)
                if close:
                    hint = f" (did you mean {json.dumps(close[0])}?)"
        raise _DataError(
            f"{_json_type(value)} is not a valid {enum_type.__name__}; "
            f"expected one of {values}{hint}"
        )

    def unstructure(value: enum.Enum) -> Any:
        return value.value

    return structure, unstructure


# --------------------------------------------------------------------------------------------
# containers and records


def _is_homogeneous_tuple(cl: Any) -> bool:
    args = get_args(cl)
    return get_origin(cl) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_frozenset(cl: Any) -> bool:
    return get_origin(cl) in (frozenset, set) or cl in (frozenset, set)


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def _sequence_hook(converter: cattrs.Converter, cl: Any) -> Callable[[Any, Any], Any]:
    """Structure a JSON array into ``tuple[X, ...]`` / ``frozenset[X]``, noting each index."""
    args = get_args(cl)
    elem: Any = args[0] if args else Any
    make: Callable[[list[Any]], Any] = frozenset if _is_frozenset(cl) else tuple

    def structure(value: object, _: object) -> Any:
        if not isinstance(value, list | tuple):
            raise _DataError(f"expected an array, got {_json_type(value)}")
        handler = converter.get_structure_hook(elem)
        items: list[Any] = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                items.append(handler(item, elem))
            except Exception as exc:  # collected, re-raised as a group below
                note = IterableValidationNote(f"Structuring {cl!r} @ index {index}", index, elem)
                exc.__notes__ = [*getattr(exc, "__notes__", []), note]
                errors.append(exc)
        if errors:
            raise IterableValidationError(f"While structuring {cl!r}", errors, cl)
        return make(items)

    return structure


def _frozenset_unstructure_hook(converter: cattrs.Converter, cl: Any) -> Callable[[Any], Any]:
    def unstructure(value: Any) -> list[Any]:
        return sorted((converter.unstructure(item) for item in value), key=_sort_key)

    return unstructure


def _attrs_hook(converter: cattrs.Converter, cl: type[Any]) -> Callable[[Any, Any], Any]:
    """Structure a JSON object into an attrs class; refuse a non-object up front."""
    inner = make_dict_structure_fn(cl, converter)

    def structure(value: object, _: object) -> Any:
        if not isinstance(value, Mapping):
            raise _DataError(f"expected an object, got {_json_type(value)}")
        return inner(value, cl)

    return structure


@attrs.frozen
class _LedgerDocument:
    """A ledger's JSON shape; reading it calls ``Ledger(...)``."""

    partners: tuple[Partner, ...] = ()
    customers: tuple[Customer, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    associations: tuple[Association, ...] = ()
    usage: tuple[Usage, ...] = ()
    seats: tuple[SeatUsage, ...] = ()


def _build() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(dt.date, _structure_date)
    converter.register_unstructure_hook(dt.date, _unstructure_date)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Fraction, _structure_fraction)
    converter.register_unstructure_hook(Fraction, str)

    def enum_structure(cl: Any) -> Callable[[Any, Any], Any]:
        return _enum_hooks(cl)[0]

    def enum_unstructure(cl: Any) -> Callable[[Any], Any]:
        return _enum_hooks(cl)[1]

    def is_enum(cl: Any) -> bool:
        return isinstance(cl, type) and issubclass(cl, enum.Enum)

    converter.register_structure_hook_factory(is_enum, enum_structure)
    converter.register_unstructure_hook_factory(is_enum, enum_unstructure)
    converter.register_structure_hook_factory(
        lambda cl: _is_homogeneous_tuple(cl) or _is_frozenset(cl),
        lambda cl: _sequence_hook(converter, cl),
    )
    converter.register_unstructure_hook_factory(
        _is_frozenset, lambda cl: _frozenset_unstructure_hook(converter, cl)
    )
    converter.register_structure_hook_factory(attrs.has, lambda cl: _attrs_hook(converter, cl))

    lists = get_type_hints(_LedgerDocument)  # each list of a ledger and its type

    def structure_ledger(value: object, _: object) -> Ledger:
        doc = converter.structure(value, _LedgerDocument)
        return Ledger(**attrs.asdict(doc, recurse=False))

    def unstructure_ledger(ledger: Ledger) -> dict[str, Any]:
        return {name: converter.unstructure(getattr(ledger, name), t) for name, t in lists.items()}

    converter.register_structure_hook(Ledger, structure_ledger)
    converter.register_unstructure_hook(Ledger, unstructure_ledger)
    _register_library_types(converter)
    return converter


def _register_library_types(converter: cattrs.Converter) -> None:
    """Register hooks for library types (attribution, evaluation) that need a custom shape.

    Those packages must not import ``io``; ``io`` knows about them instead, importing them here,
    lazily, only if a type needs more than the generic ``attrs`` handling.

    ``Evaluation.credits`` is evidence kept for ``explain()`` and drill-down, a live
    ``Credits`` collection over the ledger: it is not written, and reads back as ``None``.
    """
    from partner_of_record.evaluation.results import Evaluation

    unstructure = make_dict_unstructure_fn(Evaluation, converter, credits=override(omit=True))
    structure = make_dict_structure_fn(
        Evaluation,
        converter,
        _cattrs_forbid_extra_keys=True,
        credits=override(omit=True),
    )
    converter.register_unstructure_hook(Evaluation, unstructure)
    converter.register_structure_hook(Evaluation, structure)


_CONVERTER: cattrs.Converter | None = None
_LOCK = threading.Lock()


def _converter() -> cattrs.Converter:
    """Return the private converter, building it on first use."""
    global _CONVERTER  # noqa: PLW0603 - a lazily built module-level singleton
    if _CONVERTER is None:
        with _LOCK:
            if _CONVERTER is None:
                _CONVERTER = _build()
    return _CONVERTER


def register_hooks(
    cl: Any,
    *,
    structure: Callable[[Any, Any], Any] | None = None,
    unstructure: Callable[[Any], Any] | None = None,
) -> None:
    """Register how to read and/or write one more type, on the library's private converter.

    Meant for edge modules (io, report, cli) and applications; the model, ledger, attribution
    and evaluation packages never call it. Plain ``attrs`` classes need no registration.

    Args:
        cl: the type the hooks are for.
        structure: ``(data, type) -> value``; raise ``ValueError``/``TypeError`` with a
            readable message to report a problem at the value's path.
        unstructure: ``value -> JSON-ready data``.

    Raises:
        TypeError: neither hook was given.
    """
    if structure is None and unstructure is None:
        raise TypeError("register_hooks needs a structure or an unstructure hook")
    converter = _converter()
    if structure is not None:
        converter.register_structure_hook(cl, structure)
    if unstructure is not None:
        converter.register_unstructure_hook(cl, unstructure)


# --------------------------------------------------------------------------------------------
# errors -> problems


def _key_path(key: object) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f".{key}"
    return f"[{json.dumps(key, ensure_ascii=False, default=str)}]"


def _describe(exc: BaseException, cl: type | None) -> list[tuple[str, str]]:
    """Return ``(path suffix, message)`` pairs for one leaf exception."""
    if isinstance(exc, ValidationError):
        return [(_key_path(exc.field), str(exc))]
    if isinstance(exc, ForbiddenExtraKeysError):
        fields = [a.name for a in attrs.fields(exc.cl)] if attrs.has(exc.cl) else []
        name = "Ledger" if exc.cl is _LedgerDocument else exc.cl.__name__
        out = []
        for key in sorted(exc.extra_fields):
            close = difflib.get_close_matches(key, fields, n=1)
            if close:
                message = f"unknown key for {name} (did you mean {json.dumps(close[0])}?)"
            else:
                message = f"unknown key for {name}; expected one of {', '.join(fields)}"
            out.append((_key_path(key), message))
        return out
    if isinstance(exc, _DataError):
        return [("", str(exc))]
    if isinstance(exc, KeyError):
        return [("", "required field missing")]
    return [("", cattrs.v.format_exception(exc, cl))]


def _format(exc: BaseException, cl: type | None) -> str:
    # transform_error appends " @ <path>" to what we return: encode our pairs as JSON so they
    # can be decoded unambiguously afterwards.
    return json.dumps(_describe(exc, cl))


def _problems(exc: BaseException) -> tuple[Problem, ...]:
    decoder = json.JSONDecoder()
    problems: list[Problem] = []
    for line in cattrs.transform_error(exc, "$", _format):
        pairs, end = decoder.raw_decode(line)
        path = line[end:].removeprefix(" @ ")
        problems.extend(Problem(path + suffix, message) for suffix, message in pairs)
    return tuple(problems)


def type_name(cl: Any) -> str:
    """The name of a type as errors show it (``Usage``), else its repr."""
    return getattr(cl, "__name__", None) or repr(cl)


# --------------------------------------------------------------------------------------------
# public functions


def to_dict(obj: object) -> Any:
    """Return ``obj`` as plain JSON-ready data (dicts, lists, strings, numbers, booleans, None).

    Args:
        obj: a model record, a ``Ledger``, an ``attrs`` result, or a tuple/list/frozenset of
            them.

    Returns:
        Data that ``json.dumps`` accepts and [`from_dict`][partner_of_record.io.from_dict]
        reads back into an equal value.
    """
    return _converter().unstructure(obj)


def from_dict(data: Any, cls: type[T]) -> T:
    """Read plain data (as made by [`to_dict`][partner_of_record.io.to_dict]) into ``cls``.

    Args:
        data: plain data, e.g. from ``json.loads``.
        cls: the type to build: a model record type, ``Ledger``, an ``attrs`` class, or
            ``tuple[Usage, ...]`` and the like.

    Returns:
        The value.

    Raises:
        SerializationError: the data does not fit ``cls``; every problem is listed with its
            JSON path.
        LedgerError: ``cls`` is ``Ledger`` and the well-formed facts break its checks.
    """
    try:
        return _converter().structure(data, cls)
    except (ClassValidationError, IterableValidationError, _DataError, ValidationError) as exc:
        raise SerializationError(type_name(cls), _problems(exc)) from exc
