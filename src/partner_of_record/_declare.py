"""The declarative loaders' shared machinery: read, parse, check and build declared values.

Both [`load_competency`][partner_of_record.evaluation.load_competency] and
[`load_program`][partner_of_record.incentives.load_program] read TOML or JSON the same way and
build attrs value types key by key with a [`Builder`][partner_of_record._declare.Builder]: every
key is checked against the type's fields, values are converted from the fields' annotations,
and every error is a [`DeclarationError`][partner_of_record.evaluation.DeclarationError] naming
the path of the bad key. Nothing is evaluated and no name is imported.

Bad files are bad input, not crashes: a file that is not UTF-8 text, a document nested deeper
than [`MAX_DEPTH`][partner_of_record._declare.MAX_DEPTH] levels (which would otherwise exhaust
Python's recursion limit in the parser or the builder), or syntax the parser rejects all raise
``DeclarationError`` naming the file and where the problem is.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import enum
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from partner_of_record.errors import PartnerOfRecordError

MAX_DEPTH = 64
"""How deeply tables and lists may nest in a declaration (the catalog needs fewer than 20)."""

_FORMATS = ("toml", "json")


_T = TypeVar("_T")


class DeclarationError(PartnerOfRecordError, ValueError):
    """A declaration is malformed; the message names the path of the bad key.

    Attributes:
        path: where the problem is (``requirement.metrics[1].cap``); empty for the whole
            document.
        problem: what is wrong.
        file: the file the declaration was read from, or ``None`` when it was not read from a
            file.
    """

    def __init__(self, path: str, problem: str, *, file: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.file = file
        where = path or "<root>"
        if file is not None:
            where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {problem}")


def join(path: str, key: str | int) -> str:
    """The path of ``key`` inside the table or list at ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def suggest(key: str, known: list[str]) -> str:
    """A hint for an unknown name: the closest known one, or the list of known ones."""
    close = difflib.get_close_matches(key, known, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"


def number(value: object, path: str) -> Decimal:
    """A finite decimal from an integer, a string of ASCII characters or a float (read through
    its shortest text)."""
    if isinstance(value, bool):
        raise DeclarationError(path, f"{value!r} is not a number")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str) and not value.isascii():
        # Decimal reads other scripts' digits ("١٢" is 12): a declaration uses ASCII digits only
        raise DeclarationError(path, f"{value!r} is not a number (ASCII digits only)")
    if isinstance(value, int | str | Decimal):
        try:
            out = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except ArithmeticError:
            raise DeclarationError(path, f"{value!r} is not a number") from None
        if out.is_finite():
            return out
    raise DeclarationError(path, f"{value!r} is not a number")


def date(value: object, path: str) -> dt.date:
    """A date from a TOML date or an ISO string."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise DeclarationError(path, f"{value!r} is not an ISO date") from None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise DeclarationError(path, f"{value!r} is not a date")
    return value


def table(value: object, path: str) -> Mapping[str, Any]:
    """``value`` if it is a table."""
    if not isinstance(value, Mapping):
        raise DeclarationError(path, f"expected a table, got {type(value).__name__} {value!r}")
    return value


def sequence(value: object, path: str) -> list[Any]:
    """``value`` as a list if it is a list."""
    if not isinstance(value, list | tuple):
        raise DeclarationError(path, f"expected a list, got {type(value).__name__} {value!r}")
    return list(value)


def strings(value: object, path: str) -> tuple[str, ...]:
    """A list of strings (a single string is a list of one)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise DeclarationError(path, "is not a list of strings")
    return tuple(items)


def check_depth(data: object, path: str = "") -> None:
    """Raise if tables and lists nest deeper than ``MAX_DEPTH`` levels (without recursing).

    Args:
        data: the parsed declaration.
        path: the path of ``data``, for error messages.

    Raises:
        DeclarationError: names the path at which the limit is passed.
    """
    stack: list[tuple[object, str, int]] = [(data, path, 1)]
    while stack:
        value, where, depth = stack.pop()
        if isinstance(value, Mapping):
            children: list[tuple[object, str]] = [
                (v, join(where, str(k))) for k, v in value.items()
            ]
        elif isinstance(value, list | tuple):
            children = [(v, join(where, i)) for i, v in enumerate(value)]
        else:
            continue
        if depth > MAX_DEPTH:
            raise DeclarationError(where, f"nested deeper than {MAX_DEPTH} levels")
        stack.extend((child, at, depth + 1) for child, at in children)


def parse(text: str, format: str) -> Any:
    """Parse TOML or JSON text into plain data, checked for depth.

    Args:
        text: the document.
        format: ``"toml"`` or ``"json"``.

    Returns:
        The parsed document.

    Raises:
        DeclarationError: unknown format, bad syntax, or nesting too deep.
    """
    if format not in _FORMATS:
        raise DeclarationError("", f"format {format!r} is not 'toml' or 'json'")
    try:
        data: Any = tomllib.loads(text) if format == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise DeclarationError("", f"not valid {format.upper()}: {exc}") from exc
    except RecursionError:
        # the parsers recurse once per level; a hostile document exhausts the stack
        raise DeclarationError(
            "", f"not valid {format.upper()}: nested deeper than {MAX_DEPTH} levels"
        ) from None
    except ValueError as exc:  # e.g. an integer longer than Python's int conversion limit
        raise DeclarationError("", f"not valid {format.upper()}: {exc}") from None
    check_depth(data)
    return data


_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def read(path: str | Path) -> tuple[str, str]:
    """Read a declaration file: its UTF-8 text (a leading BOM is dropped) and its format.

    Args:
        path: a ``.toml`` or ``.json`` file.

    Returns:
        ``(text, format)``.

    Raises:
        DeclarationError: unknown suffix, or the file is not UTF-8 text (names the file, the
            line and the column of the first bad byte).
        OSError: the file cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in _FORMATS:
        raise DeclarationError("", "expected a .toml or .json file", file=str(path))
    raw = path.read_bytes()
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise DeclarationError("", f"{encoding} text; save the file as UTF-8", file=str(path))
    try:
        return raw.decode("utf-8-sig"), suffix
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        bad = raw[exc.start : exc.end].hex(" ")
        raise DeclarationError(
            "",
            f"not UTF-8 text: byte(s) {bad} at line {line}, column {column}"
            " (save the file as UTF-8)",
            file=str(path),
        ) from None


def in_file(exc: DeclarationError, path: str | Path) -> DeclarationError:
    """``exc`` naming the file it was read from."""
    if exc.file is not None:
        return exc
    return DeclarationError(exc.path, exc.problem, file=str(path))


def top_table(
    data: object, known: tuple[str, ...], required: tuple[str, ...], owner: str
) -> Mapping[str, Any]:
    """A declaration's top table, checked: a table, not too deep, every key known, none missing.

    Args:
        data: the declared table.
        known: every key ``owner`` reads.
        required: the keys it needs.
        owner: the name of the value declared (``"Competency"``), for the messages.

    Returns:
        ``data``, a mapping.

    Raises:
        DeclarationError: not a table, nesting deeper than 64 levels, the first unknown key
            (with a suggestion), else the first missing required one.
    """
    data = table(data, "")
    check_depth(data)
    for key in data:
        if key not in known:
            raise DeclarationError(key, f"unknown key for {owner}" + suggest(key, list(known)))
    for key in required:
        if key not in data:
            raise DeclarationError(key, f"missing (required by {owner})")
    return data


def load_file(path: str | Path, load: Callable[[Any], _T]) -> _T:
    """Read a ``.toml`` or ``.json`` declaration file and build it with ``load``.

    The one body of ``load_competency_file`` and ``load_program_file``: ``read``, ``parse``,
    then ``load``; a ``DeclarationError`` from any of them names the file.
    """
    try:
        text, format = read(path)
        return load(parse(text, format))
    except DeclarationError as exc:
        raise in_file(exc, path) from None


def literal_choices(annotation: str) -> tuple[str, ...] | None:
    """The choices of a ``Literal[...]`` annotation, or ``None``."""
    match = re.fullmatch(r"Literal\[(.*)\]", annotation)
    if match is None:
        return None
    return tuple(part.strip().strip("'\"") for part in match.group(1).split(","))


_EMPTY: Mapping[str, Any] = MappingProxyType({})


@attrs.frozen
class Builder:
    """Builds attrs value types from declared tables, and dumps them back to plain data.

    Fields are converted from their annotations (as strings): ``Decimal``, ``int``, ``bool``,
    ``str``, ``Literal[...]``, ``frozenset[...]`` (``"all"`` for ``None`` when optional),
    ``tuple[tuple[Workload, Decimal], ...]`` (a table of numbers), an annotation listed in
    ``slots`` (a table naming its block with ``type``) or ``tuple[<slot>, ...]`` (a list of
    them), and an annotation listed in ``values`` (a plain table of that type's fields).

    Attributes:
        blocks: the building blocks a declaration may name with ``type``.
        slots: annotation -> the block names allowed there (``"Measure"`` -> measures).
        values: annotation -> a value type declared as a plain table.
    """

    blocks: Mapping[str, type[Any]] = _EMPTY
    slots: Mapping[str, frozenset[str]] = _EMPTY
    values: Mapping[str, type[Any]] = _EMPTY
    _type_of: Mapping[type[Any], str] = attrs.field(init=False)

    @_type_of.default
    def _type_of_default(self) -> Mapping[type[Any], str]:
        return MappingProxyType({cls: name for name, cls in self.blocks.items()})

    def block(self, value: object, path: str, allowed: frozenset[str]) -> Any:
        """Build the block that the table ``value`` names with ``type`` (one of ``allowed``)."""
        data = table(value, path)
        kind = data.get("type")
        if not isinstance(kind, str):
            raise DeclarationError(join(path, "type"), "missing or not a string")
        if kind not in allowed:
            raise DeclarationError(
                join(path, "type"), f"{kind!r} is not allowed here" + suggest(kind, sorted(allowed))
            )
        return self.build(self.blocks[kind], {k: v for k, v in data.items() if k != "type"}, path)

    def convert(self, annotation: str, value: object, path: str) -> Any:  # noqa: PLR0912 - one branch per annotation form of the declaration language
        """Convert a declared value to a field annotated ``annotation``."""
        ann = annotation.replace(" | None", "")
        if value is None:
            if "None" in annotation:
                return None
            raise DeclarationError(path, "must not be empty")
        if ann in self.slots:
            return self.block(value, path, self.slots[ann])
        many = re.fullmatch(r"tuple\[(\w+), \.\.\.\]", ann)
        if many is not None and many.group(1) in self.slots:
            allowed = self.slots[many.group(1)]
            return tuple(
                self.block(v, join(path, i), allowed) for i, v in enumerate(sequence(value, path))
            )
        if ann in self.values:
            return self.build(self.values[ann], table(value, path), path)
        if ann == "Decimal":
            return number(value, path)
        if ann == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise DeclarationError(path, f"{value!r} is not an integer")
            return value
        if ann == "bool":
            if not isinstance(value, bool):
                raise DeclarationError(path, f"{value!r} is not true or false")
            return value
        if ann == "str":
            if not isinstance(value, str):
                raise DeclarationError(path, f"{value!r} is not a string")
            return value
        choices = literal_choices(ann)
        if choices is not None:
            if value not in choices:
                raise DeclarationError(
                    path, f"{value!r} is not one of {', '.join(repr(c) for c in choices)}"
                )
            return value
        if ann.startswith("frozenset["):
            if value == "all" and "None" in annotation:
                return None
            items = [value] if isinstance(value, str) else sequence(value, path)
            if not all(isinstance(i, str) for i in items):
                raise DeclarationError(path, f"{value!r} is not a list of names")
            return items
        if ann == "tuple[tuple[Workload, Decimal], ...]":
            return {k: number(v, join(path, k)) for k, v in table(value, path).items()}
        raise DeclarationError(
            path, f"cannot read a value of type {annotation}"
        )  # pragma: no cover

    def build(self, cls: type[Any], data: Mapping[str, Any], path: str) -> Any:
        """Build ``cls`` from the table ``data``, checking every key against its fields."""
        fields = {f.name: f for f in attrs.fields(cls)}
        for key in data:
            if key not in fields:
                raise DeclarationError(
                    join(path, key), f"unknown key for {cls.__name__}" + suggest(key, list(fields))
                )
        kwargs: dict[str, Any] = {}
        for name, field in fields.items():
            if name not in data:
                if field.default is attrs.NOTHING:
                    raise DeclarationError(
                        join(path, name), f"missing (required by {cls.__name__})"
                    )
                continue
            kwargs[name] = self.convert(str(field.type), data[name], join(path, name))
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as exc:
            raise DeclarationError(path, f"{cls.__name__}: {exc}") from exc

    def plain(self, value: Any) -> Any:
        """``value`` as plain data (TOML/JSON-ready), the form ``build`` reads back.

        Raises:
            TypeError: ``value`` is not a value this builder can declare.
        """
        if isinstance(value, bool | int | str) or value is None:
            return value
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, frozenset):
            return sorted(self.plain(v) for v in value)
        if (
            isinstance(value, tuple)
            and value
            and all(
                isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], enum.Enum) for v in value
            )
        ):
            return {k.value: self.plain(v) for k, v in value}
        if isinstance(value, tuple):
            return [self.plain(v) for v in value]
        if attrs.has(type(value)):
            out: dict[str, Any] = {}
            kind = self._type_of.get(type(value))
            if kind is not None:
                out["type"] = kind
            for field in attrs.fields(type(value)):
                item = getattr(value, field.name)
                if field.default is not attrs.NOTHING and item == field.default:
                    continue
                if item is None and str(field.type).startswith("frozenset["):
                    out[field.name] = "all"  # TOML has no null
                    continue
                out[field.name] = self.plain(item)
            return out
        msg = f"cannot declare {value!r} (not a catalog building block)"
        raise TypeError(msg)
