"""The command line's shared parts: the ``Command`` value, exit codes, options, loading, output.

Private to [`partner_of_record.cli`][partner_of_record.cli], which re-exports the public names;
each command module (``_demo``, ``_validate`` ...) builds on these.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import enum
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TextIO

import attrs

from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.ledger import Ledger

if TYPE_CHECKING:  # pragma: no cover - typing only; imported lazily where used
    from partner_of_record.attribution import Policy
    from partner_of_record.evaluation import RateTable
    from partner_of_record.io import LoadResult

PROG = "partner-of-record"
WIDTH = 78

EXIT_OK = 0
"""Exit code: success."""
EXIT_NOT_MET = 1
"""Exit code: a requirement was evaluated and is not met."""
EXIT_USAGE = 2
"""Exit code: bad input or usage (argparse errors and library errors)."""


class CommandError(PartnerOfRecordError):
    """A command cannot run with the options or files it was given (exit code 2).

    Raised for problems the command line itself finds: an option combination that makes no
    sense, a skills or rates file of the wrong shape. The message is printed as one line.
    """


@attrs.frozen
class Streams:
    """Where a command writes.

    Attributes:
        out: the standard output (results).
        err: the standard error (diagnostics).
    """

    out: TextIO
    err: TextIO


@attrs.frozen
class Command:
    """A subcommand of the command line.

    Attributes:
        name: the word typed on the command line (``"demo"``).
        summary: one line, shown in the list of commands.
        description: a paragraph, shown by ``<command> --help``.
        examples: command lines shown under "examples:" in ``<command> --help``, without the
            program name.
        add_arguments: adds the command's options to its ``argparse`` parser.
        run: runs the command with the parsed arguments; returns the exit code.
    """

    name: str
    summary: str
    description: str
    examples: tuple[str, ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Streams], int]


def partner_order(
    ledger: Ledger,
) -> Callable[[tuple[tuple[str, str], Decimal]], tuple[int, tuple[str, str]]]:
    """A sort key for ``((partner_id, currency), amount)`` items: ledger partner order, then id
    and currency (a partner not in the ledger comes last)."""
    order = {p.id: i for i, p in enumerate(ledger.partners)}
    return lambda kv: (order.get(kv[0][0], len(order)), kv[0])


# --------------------------------------------------------------------------------------------
# shared helpers: arguments, loading, output


def date_arg(text: str) -> dt.date:
    """An ``argparse`` type: an ISO day ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        msg = f"{text!r} is not a day YYYY-MM-DD"
        raise argparse.ArgumentTypeError(msg) from None


def month_arg(text: str) -> dt.date:
    """An ``argparse`` type: a month ``YYYY-MM`` (or a day of it), as its first day."""
    value = text.strip()
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        return dt.date.fromisoformat(value).replace(day=1)
    except ValueError:
        msg = f"{text!r} is not a month YYYY-MM"
        raise argparse.ArgumentTypeError(msg) from None


def _people(value: int | Decimal | str) -> Decimal | None:
    """A number of people (finite, not negative), or ``None`` when ``value`` is not one."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _skill_arg(text: str) -> tuple[str, Decimal]:
    """An ``argparse`` type: ``name=count`` for ``--skill``."""
    name, sep, count = text.partition("=")
    value = _people(count.strip())
    if not sep or not name.strip() or value is None:
        msg = f"{text!r} is not name=count (e.g. intermediate_certifications=3)"
        raise argparse.ArgumentTypeError(msg)
    return name.strip(), value


def add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data",
        metavar="DATA",
        help="a folder of CSV files (partners.csv, usage.csv ...) or a .json document",
    )
    loading = parser.add_argument_group("reading DATA")
    loading.add_argument(
        "--allow-rejects",
        action="store_true",
        help="go on with the accepted rows when some are rejected (default: print the load"
        " report and exit 2)",
    )
    loading.add_argument(
        "--date-order",
        choices=("mdy", "dmy"),
        default=None,
        help="order of slash dates such as 01/02/2024 (default: read a slash date only when"
        " its column proves the order, reject it as ambiguous otherwise)",
    )
    loading.add_argument(
        "--decimal",
        choices=(".", ","),
        default=None,
        help="decimal mark of amounts (default: '.', and also ',' in ;-delimited files)",
    )
    loading.add_argument(
        "--inclusive-end",
        action="store_true",
        help="association end dates are the last day in effect (default: the first day no"
        " longer in effect)",
    )
    loading.add_argument(
        "--multiline",
        action="store_true",
        help="accept quoted cells whose line breaks hold text shaped like rows (default:"
        " reject them: a stray quote would swallow the rows between)",
    )


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    parser.add_argument(
        "--format",
        choices=tuple(choices),
        default=choices[0],
        help=f"output format (default: {choices[0]})",
    )


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write the result to FILE instead of stdout"
    )


def names_of(module: str, attribute: str) -> str:
    """The names a help text lists (``", "``-joined), or ``"..."`` if the layer is missing."""
    try:
        found = getattr(__import__(module, fromlist=[attribute]), attribute)
    except ImportError:  # the parser must build without the attribution layer
        return "..."
    names = found() if callable(found) else found
    return ", ".join(str(n) for n in names)


def add_policy(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--policy",
        metavar="NAME",
        default=default,
        help=f"attribution policy: {names_of('partner_of_record.policies', 'available')}"
        + (f" (default: {default})" if default else ""),
    )


def add_evaluation_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skills",
        metavar="FILE",
        help='JSON: metric -> number of people ({"intermediate_certifications": 3}), or '
        "partner id -> such a mapping",
    )
    parser.add_argument(
        "--skill",
        metavar="NAME=COUNT",
        type=_skill_arg,
        action="append",
        default=[],
        help="a skilling count, repeatable; overrides --skills",
    )
    parser.add_argument(
        "--rates",
        metavar="FILE",
        help='JSON: US dollars per unit of a currency, {"EUR": "1.08"} for every month or '
        '{"EUR": {"2024-01": "1.10"}} per month',
    )


def read_json(path: str, what: str) -> object:
    """Read a small JSON file; numbers with a fraction become ``Decimal``.

    Every way the file can be wrong (not UTF-8, not JSON, ``NaN``, nested too deeply) is a
    ``CommandError`` naming the file: exit 2, no traceback.
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start]
        msg = f"{what} {path}: line {line}: not UTF-8 (byte 0x{byte:02x}); save it as UTF-8"
        raise CommandError(msg) from None

    def refuse(name: str) -> NoReturn:
        msg = f"{what} {path}: {name} is not a number JSON allows"
        raise CommandError(msg)

    try:
        document: object = json.loads(text, parse_float=Decimal, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        msg = f"{what} {path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        raise CommandError(msg) from None
    except RecursionError:
        msg = f"{what} {path}: nested too deeply to be a {what}"
        raise CommandError(msg) from None
    return document


def read_count(value: object, where: str) -> Decimal:
    """A number of people read from a JSON file; ``where`` names the file and the key."""
    number = (
        None
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str)
        else _people(value)
    )
    if number is None:
        msg = f"{where}: {value!r} is not a number of people"
        raise CommandError(msg)
    return number


def read_skills(args: argparse.Namespace) -> dict[str, dict[str, Decimal]]:
    """Partner id -> skills from ``--skills`` (``""`` keys the skills of every partner)."""
    table: dict[str, dict[str, Decimal]] = {}
    if args.skills:
        data = read_json(args.skills, "skills file")
        if not isinstance(data, dict):
            msg = f"skills file {args.skills}: expected a JSON object"
            raise CommandError(msg)
        if data and all(isinstance(v, dict) for v in data.values()):
            for partner_id, skills in data.items():
                table[str(partner_id)] = {
                    str(k): read_count(v, f"{args.skills}: {partner_id}.{k}")
                    for k, v in skills.items()
                }
        else:
            table[""] = {str(k): read_count(v, f"{args.skills}: {k}") for k, v in data.items()}
    return table


def skills_for(
    table: Mapping[str, Mapping[str, Decimal]], args: argparse.Namespace, partner_id: str
) -> dict[str, Decimal] | None:
    """The skills of one partner: the file's (its own entry, else the common one), then --skill."""
    found = dict(table.get(partner_id, table.get("", {})))
    found.update(dict(args.skill))
    return found or None


def read_rates(args: argparse.Namespace) -> RateTable | None:
    """The ``RateTable`` of ``--rates``, or ``None``."""
    if not args.rates:
        return None
    from partner_of_record.evaluation import RateTable

    data = read_json(args.rates, "rates file")
    if not isinstance(data, dict):
        msg = f"rates file {args.rates}: expected a JSON object keyed by currency"
        raise CommandError(msg)
    table: dict[tuple[str, dt.date | None], Any] = {}  # RateTable checks each value
    for currency, value in data.items():
        if isinstance(value, dict):
            for month, rate in value.items():
                try:
                    day = month_arg(str(month))
                except argparse.ArgumentTypeError as exc:
                    msg = f"rates file {args.rates}: {currency}: {exc}"
                    raise CommandError(msg) from None
                table[(str(currency), day)] = _rate(rate, f"{args.rates}: {currency}")
        else:
            table[(str(currency), None)] = _rate(value, f"{args.rates}: {currency}")
    return RateTable(table)


def _rate(value: object, where: str) -> object:
    """A rate as given, with text that is not a number refused here (the table checks the rest)."""
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            msg = f"rates file {where}: {value!r} is not a number"
            raise CommandError(msg) from None
    return value


def read_policy(args: argparse.Namespace) -> Policy | None:
    """The policy named by ``--policy``, or ``None``."""
    if not args.policy:
        return None
    from partner_of_record.policies import get

    return get(args.policy)


def load_data(args: argparse.Namespace, *, strict: bool = False) -> LoadResult:
    """Load DATA (a folder or a .json file) with the reading options; returns the ``LoadResult``."""
    path = Path(args.data)
    if path.is_dir():
        from partner_of_record.io.csv_import import load_folder

        return load_folder(
            path,
            strict=strict,
            progress=False,
            date_order=getattr(args, "date_order", None),
            decimal=getattr(args, "decimal", None),
            inclusive_end=getattr(args, "inclusive_end", False),
            multiline=getattr(args, "multiline", False),
        )
    if path.suffix.lower() == ".json" and path.is_file():
        from partner_of_record.io.json_import import load_json

        return load_json(path, strict=strict)
    if not path.exists():
        msg = f"{args.data}: no such file or folder"
    else:
        msg = f"{args.data}: DATA must be a folder of CSV files or a .json file"
    raise CommandError(msg)


def load_ledger(args: argparse.Namespace, streams: Streams, command: str) -> Ledger:
    """Load DATA; when anything was rejected, print the load report on stderr and stop (exit 2)
    unless ``--allow-rejects``, which goes on with one warning line."""
    loaded = load_data(args)
    report = loaded.report
    if not report.ok:
        rejected = report.rejected
        what = f"{rejected:,} row(s)" if rejected else "a file"
        if not getattr(args, "allow_rejects", False):
            streams.err.write(f"{report}\n")
            msg = (
                f"{what} of {args.data} rejected ({len(report.rejects):,} problem(s) above);"
                " fix the data, or pass --allow-rejects to go on without them"
            )
            raise CommandError(msg)
        streams.err.write(
            f"{PROG} {command}: warning: {what} of {args.data} rejected and left out"
            f" (see: {PROG} validate {args.data})\n"
        )
    return loaded.ledger


@contextmanager
def open_output(args: argparse.Namespace, streams: Streams) -> Iterator[TextIO]:
    """The stream results go to: ``--output FILE`` (written as UTF-8), else stdout."""
    target = getattr(args, "output", None)
    if not target:
        yield streams.out
        return
    with Path(target).open("w", encoding="utf-8", newline="") as out:
        yield out


def _plain(value: object) -> object:
    """A JSON-ready copy of ``value``: Decimal/Fraction as strings, ISO dates, enums by value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(str(_plain(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    cls = type(value)
    if attrs.has(cls):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(cls)}
    return str(value)


def dump_json(document: object, out: IO[str]) -> None:
    json.dump(_plain(document), out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]], out: IO[str]) -> None:
    """Write CSV with formula-like cells escaped (``'=...``), as the library's writers do."""
    from partner_of_record.io.export import escape_formula

    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else escape_formula(csv_cell(v)) for v in row])


def csv_cell(value: object) -> str:
    plain = _plain(value)
    if isinstance(plain, list):
        return "|".join(str(v) for v in plain)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)
