"""The ``partner-of-record`` command line (also ``python -m partner_of_record``).

Commands:
    demo: the bundled fictional sample: a summary, the credits, and which partner meets which
        catalog entry (``--export DIR`` writes the sample as the CSV files the others read).
    validate: check a folder of CSV files (or a JSON document) and list every rejected row.
    attribute: credit each usage row to the associated partners; totals, explanations, checks.
    evaluate: does a partner meet a competency or designation as of a day? (what-if, earliest.)
    competencies: the catalog, with the source and the publication date of each entry.
    report: a partner's credited consumption per month, position against the catalog, a plot.

DATA is a folder of CSV files (see [`load_folder`][partner_of_record.io.csv_import.load_folder])
or a ``.json`` document (see [`load_json`][partner_of_record.io.json_import.load_json]).
Commands other than ``validate`` load it leniently and print one warning line on stderr when
rows were rejected.

Output is a readable text table by default; ``--format json`` or ``--format csv`` (where
offered) is for machines. Results go to stdout (or ``--output FILE``), diagnostics to stderr.

Exit codes:
    0: success.
    1: evaluated and not met: ``evaluate`` when the partner does not meet the competency (with
       ``--all-partners``: when one of them does not; with ``--what-if``: when it is not met
       after the change; with ``--earliest``: when it is never met), ``attribute --reconcile``
       when the reconciliation fails.
    2: bad input or usage: an unknown command or option, a file that cannot be read, data the
       library refused (any [`PartnerOfRecordError`][partner_of_record.PartnerOfRecordError]),
       ``validate`` finding rejected rows, or a missing optional dependency; reported as one
       line on stderr, never a traceback.

Adding a command: write a function that returns a [`Command`][partner_of_record.cli.Command]
(its name, a one-line summary, a description, at least one example, a function that adds its
options to an ``argparse`` parser and a function that runs it) and add that function to
[`COMMAND_BUILDERS`][partner_of_record.cli.COMMAND_BUILDERS]. The parser, the help texts and
the dispatch are derived from that registry; there is no if-chain to extend.

Example:
    >>> from partner_of_record.cli import main
    >>> main(["demo", "--format", "json"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import enum
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, TextIO

import attrs

from partner_of_record.currency import CURRENCIES, quantize
from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.ledger import Ledger
from partner_of_record.model import Workload

__all__ = [
    "COMMAND_BUILDERS",
    "EXIT_NOT_MET",
    "EXIT_OK",
    "EXIT_USAGE",
    "Command",
    "CommandError",
    "Streams",
    "attribute_command",
    "build_parser",
    "competencies_command",
    "credit_summary",
    "demo_command",
    "evaluate_command",
    "ledger_summary",
    "main",
    "render_positions",
    "render_summary",
    "report_command",
    "validate_command",
]

PROG = "partner-of-record"
_WIDTH = 78

EXIT_OK = 0
"""Exit code: success."""
EXIT_NOT_MET = 1
"""Exit code: a requirement was evaluated and is not met."""
EXIT_USAGE = 2
"""Exit code: bad input or usage (argparse errors and library errors)."""

_EXIT_CODES_HELP = f"""\
Exit codes:
  {EXIT_OK}  success
  {EXIT_NOT_MET}  evaluated, and the requirement is not met
  {EXIT_USAGE}  bad input or usage (unknown command or option, data the library refused)"""


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


# --------------------------------------------------------------------------------------------
# the sample summary


def _version() -> str:
    from partner_of_record import __version__

    return __version__


def _money(amount: Decimal, currency: str) -> str:
    """Format an amount in ``currency``'s minor unit with thousands separators (``1,234.50``)."""
    if currency in CURRENCIES:
        amount = quantize(amount, currency)
    return f"{amount:,}"


def ledger_summary(ledger: Ledger) -> dict[str, Any]:
    """Count and total the records of ``ledger``, as JSON-ready values.

    Args:
        ledger: the ledger to summarise.

    Returns:
        A mapping with ``partners`` (id, name and number of linked subscriptions each),
        ``customers`` (a count), ``subscriptions`` and ``associations`` (a total and counts by
        workload / kind), ``usage`` (rows, first and last month ``YYYY-MM``, totals per
        currency as strings) and ``seats`` (rows). Money is a string, never a float.
    """
    linked: dict[str, set[str]] = {}
    for a in ledger.associations:
        linked.setdefault(a.partner_id, set()).add(a.subscription_id)
    workloads = Counter(s.workload.value for s in ledger.subscriptions)
    kinds = Counter(a.kind.value for a in ledger.associations)
    totals: dict[str, Decimal] = {}
    for u in ledger.usage:
        totals[u.currency] = totals.get(u.currency, Decimal(0)) + u.amount
    months = sorted({u.month for u in ledger.usage})
    return {
        "partners": [
            {"id": p.id, "name": p.name, "subscriptions": len(linked.get(p.id, ()))}
            for p in ledger.partners
        ],
        "customers": len(ledger.customers),
        "subscriptions": {
            "total": len(ledger.subscriptions),
            "by_workload": dict(sorted(workloads.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
        "associations": {
            "total": len(ledger.associations),
            "by_kind": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
        "usage": {
            "rows": len(ledger.usage),
            "first_month": f"{months[0]:%Y-%m}" if months else None,
            "last_month": f"{months[-1]:%Y-%m}" if months else None,
            "total": {cur: str(amount) for cur, amount in sorted(totals.items())},
        },
        "seats": {"rows": len(ledger.seats)},
    }


def credit_summary(ledger: Ledger) -> dict[str, Any] | None:
    """Attribute ``ledger`` and summarise the credits, if the attribution engine is installed.

    Uses ``partner_of_record.attribution.attribute(ledger)`` with its default policy (every
    associated partner is recognised), then ``credits.totals(...)``,
    ``credits.unattributed_total(...)`` and ``credits.reconcile()``.

    Args:
        ledger: the ledger to attribute.

    Returns:
        ``None`` when ``partner_of_record.attribution`` cannot be imported; otherwise a mapping
        with ``policy``, ``by_partner`` (a list of ``{"partner_id", "name", "currency",
        "amount", "azure"}``, ``azure`` being the part credited on Azure subscriptions),
        ``unattributed`` (currency -> amount), ``reconciled`` (a bool) and ``reconciliation``
        (the engine's readable report). Amounts are strings.
    """
    try:
        # imported at run time: the command line sits at the edge and works without this layer
        from partner_of_record.attribution import attribute
    except ImportError:
        return None
    credits = attribute(ledger)
    per_workload = credits.totals(by=("partner_id", "currency", "workload"))
    totals: dict[tuple[str, str], Decimal] = {}
    azure: dict[tuple[str, str], Decimal] = {}
    for (partner_id, currency, workload), amount in per_workload.items():
        key = (str(partner_id), str(currency))
        totals[key] = totals.get(key, Decimal(0)) + amount
        if workload is Workload.AZURE:
            azure[key] = azure.get(key, Decimal(0)) + amount
    names = {p.id: p.name for p in ledger.partners}
    order = {p.id: i for i, p in enumerate(ledger.partners)}
    by_partner = [
        {
            "partner_id": partner_id,
            "name": names.get(partner_id, ""),
            "currency": currency,
            "amount": str(amount),
            "azure": str(azure.get((partner_id, currency), Decimal(0))),
        }
        for (partner_id, currency), amount in sorted(
            totals.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])
        )
    ]
    currencies = sorted({u.currency for u in ledger.usage})
    reconciliation = credits.reconcile()
    return {
        "policy": reconciliation.policy,
        "by_partner": by_partner,
        "unattributed": {c: str(credits.unattributed_total(currency=c)) for c in currencies},
        "reconciled": reconciliation.ok,
        "reconciliation": str(reconciliation),
    }


def _table(rows: Iterable[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    """Align ``rows`` in columns (two spaces apart); columns in ``right`` are right-aligned."""
    rows = [list(r) for r in rows]
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = set(right)
    return [
        "  "
        + "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(r)
        ).rstrip()
        for r in rows
    ]


def _wrapped(head: str, items: Sequence[str], indent: str = "  ") -> list[str]:
    """``head`` followed by ``items`` joined with commas, wrapped (never inside an item)."""
    glued = ", ".join(item.replace(" ", "\xa0") for item in items)
    lines = textwrap.wrap(
        head + glued,
        width=_WIDTH,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace("\xa0", " ") for line in lines]


def render_summary(
    summary: Mapping[str, Any],
    credits: Mapping[str, Any] | None,
    title: str,
) -> str:
    """Render the demo's summary as plain text with aligned columns.

    Args:
        summary: the result of [`ledger_summary`][partner_of_record.cli.ledger_summary].
        credits: the result of [`credit_summary`][partner_of_record.cli.credit_summary], or
            ``None`` to leave the credits section out.
        title: the first line.

    Returns:
        The text, ending with a newline.
    """
    lines = [title, ""]
    partners = summary["partners"]
    lines.append(f"Partners: {len(partners)}")
    lines.extend(
        _table(
            (
                [p["id"], p["name"], str(p["subscriptions"]), "subscriptions linked"]
                for p in partners
            ),
            right=(2,),
        )
    )
    lines.append(f"Customers: {summary['customers']}")
    subs = summary["subscriptions"]
    lines.extend(
        _wrapped(
            f"Subscriptions: {subs['total']}, by workload: ",
            [f"{k} {v}" for k, v in subs["by_workload"].items()],
        )
    )
    assoc = summary["associations"]
    lines.extend(
        _wrapped(
            f"Associations: {assoc['total']}, by kind: ",
            [f"{k.upper()} {v}" for k, v in assoc["by_kind"].items()],
        )
    )
    usage = summary["usage"]
    period = (
        f"{usage['first_month']} to {usage['last_month']}" if usage["first_month"] else "no months"
    )
    lines.append(
        f"Usage: {usage['rows']:,} rows, {period}; seat records: {summary['seats']['rows']:,}"
    )
    lines.append("Total consumption")
    lines.extend(
        _table(([cur, _money(Decimal(v), cur)] for cur, v in usage["total"].items()), right=(1,))
    )
    if credits is not None:
        lines.append("")
        lines.append(f"Credited consumption per partner, {period} (policy {credits['policy']})")
        rows = [["", "", "", "credited", "of which Azure"]]
        rows.extend(
            [
                c["partner_id"],
                c["name"],
                c["currency"],
                _money(Decimal(c["amount"]), c["currency"]),
                _money(Decimal(c["azure"]), c["currency"]),
            ]
            for c in credits["by_partner"]
        )
        rows.extend(
            ["", "unattributed", cur, _money(Decimal(v), cur), ""]
            for cur, v in credits["unattributed"].items()
        )
        lines.extend(_table(rows, right=(3, 4)))
        lines.append(credits["reconciliation"])
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# shared helpers: arguments, loading, output


def _date_arg(text: str) -> dt.date:
    """An ``argparse`` type: an ISO day ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        msg = f"{text!r} is not a day YYYY-MM-DD"
        raise argparse.ArgumentTypeError(msg) from None


def _month_arg(text: str) -> dt.date:
    """An ``argparse`` type: a month ``YYYY-MM`` (or a day of it), as its first day."""
    value = text.strip()
    try:
        if len(value) == 7:
            return dt.date.fromisoformat(value + "-01")
        return dt.date.fromisoformat(value).replace(day=1)
    except ValueError:
        msg = f"{text!r} is not a month YYYY-MM"
        raise argparse.ArgumentTypeError(msg) from None


def _skill_arg(text: str) -> tuple[str, Decimal]:
    """An ``argparse`` type: ``name=count`` for ``--skill``."""
    name, sep, count = text.partition("=")
    try:
        value = Decimal(count.strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not sep or not name.strip() or not value.is_finite() or value < 0:
        msg = f"{text!r} is not name=count (e.g. intermediate_certifications=3)"
        raise argparse.ArgumentTypeError(msg)
    return name.strip(), value


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data",
        metavar="DATA",
        help="a folder of CSV files (partners.csv, usage.csv ...) or a .json document",
    )


def _add_format(parser: argparse.ArgumentParser, choices: Sequence[str]) -> None:
    parser.add_argument(
        "--format",
        choices=tuple(choices),
        default=choices[0],
        help=f"output format (default: {choices[0]})",
    )


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output", "-o", metavar="FILE", help="write the result to FILE instead of stdout"
    )


def _names(module: str, attribute: str) -> str:
    """The names a help text lists (``", "``-joined), or ``"..."`` if the layer is missing."""
    try:
        found = getattr(__import__(module, fromlist=[attribute]), attribute)
    except ImportError:  # the parser must build without the attribution layer
        return "..."
    names = found() if callable(found) else found
    return ", ".join(str(n) for n in names)


def _add_policy(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--policy",
        metavar="NAME",
        default=default,
        help=f"attribution policy: {_names('partner_of_record.policies', 'available')}"
        + (f" (default: {default})" if default else ""),
    )


def _add_evaluation_inputs(parser: argparse.ArgumentParser) -> None:
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


def _read_json(path: str, what: str) -> Any:
    """Read a small JSON file; numbers with a fraction become ``Decimal``."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        msg = f"{what} {path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        raise CommandError(msg) from None


def _count(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        msg = f"{where}: {value!r} is not a number of people"
        raise CommandError(msg)
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal(-1)
    if not number.is_finite() or number < 0:
        msg = f"{where}: {value!r} is not a number of people"
        raise CommandError(msg)
    return number


def _skills_table(args: argparse.Namespace) -> dict[str, dict[str, Decimal]]:
    """Partner id -> skills from ``--skills`` (``""`` keys the skills of every partner)."""
    table: dict[str, dict[str, Decimal]] = {}
    if args.skills:
        data = _read_json(args.skills, "skills file")
        if not isinstance(data, dict):
            msg = f"skills file {args.skills}: expected a JSON object"
            raise CommandError(msg)
        if data and all(isinstance(v, dict) for v in data.values()):
            for partner_id, skills in data.items():
                table[str(partner_id)] = {
                    str(k): _count(v, f"{args.skills}: {partner_id}.{k}") for k, v in skills.items()
                }
        else:
            table[""] = {str(k): _count(v, f"{args.skills}: {k}") for k, v in data.items()}
    return table


def _skills_for(
    table: Mapping[str, Mapping[str, Decimal]], args: argparse.Namespace, partner_id: str
) -> dict[str, Decimal] | None:
    """The skills of one partner: the file's (its own entry, else the common one), then --skill."""
    found = dict(table.get(partner_id, table.get("", {})))
    found.update(dict(args.skill))
    return found or None


def _rates(args: argparse.Namespace) -> Any:
    """The ``RateTable`` of ``--rates``, or ``None``."""
    if not args.rates:
        return None
    from partner_of_record.evaluation import RateTable

    data = _read_json(args.rates, "rates file")
    if not isinstance(data, dict):
        msg = f"rates file {args.rates}: expected a JSON object keyed by currency"
        raise CommandError(msg)
    table: dict[tuple[str, dt.date | None], Any] = {}
    for currency, value in data.items():
        if isinstance(value, dict):
            for month, rate in value.items():
                try:
                    day = _month_arg(str(month))
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


def _policy(args: argparse.Namespace) -> Any:
    """The policy named by ``--policy``, or ``None``."""
    if not args.policy:
        return None
    from partner_of_record.policies import get

    return get(args.policy)


def _load(args: argparse.Namespace, *, strict: bool = False) -> Any:
    """Load DATA (a folder or a .json file); returns the ``LoadResult``."""
    path = Path(args.data)
    if path.is_dir():
        from partner_of_record.io.csv_import import load_folder

        return load_folder(path, strict=strict, progress=False)
    if path.suffix.lower() == ".json" and path.is_file():
        from partner_of_record.io.json_import import load_json

        return load_json(path, strict=strict)
    if not path.exists():
        msg = f"{args.data}: no such file or folder"
    else:
        msg = f"{args.data}: DATA must be a folder of CSV files or a .json file"
    raise CommandError(msg)


def _ledger(args: argparse.Namespace, streams: Streams, command: str) -> Ledger:
    """Load DATA leniently; one warning line on stderr when rows were rejected."""
    loaded = _load(args)
    rejected = loaded.report.rejected
    if rejected:
        streams.err.write(
            f"{PROG} {command}: warning: {rejected:,} row(s) of {args.data} rejected and left out"
            f" (see: {PROG} validate {args.data})\n"
        )
    ledger: Ledger = loaded.ledger
    return ledger


@contextmanager
def _output(args: argparse.Namespace, streams: Streams) -> Iterator[TextIO]:
    """The stream results go to: ``--output FILE`` (written as UTF-8), else stdout."""
    target = getattr(args, "output", None)
    if not target:
        yield streams.out
        return
    with Path(target).open("w", encoding="utf-8", newline="") as out:
        yield out


def _plain(value: Any) -> Any:
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
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return str(value)


def _dump_json(document: Any, out: IO[str]) -> None:
    json.dump(_plain(document), out, indent=2, ensure_ascii=False)
    out.write("\n")


def _write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _csv_cell(v) for v in row])


def _csv_cell(value: Any) -> str:
    plain = _plain(value)
    if isinstance(plain, list):
        return "|".join(str(v) for v in plain)
    if isinstance(plain, bool):
        return "true" if plain else "false"
    return str(plain)


def _evaluation_document(evaluation: Any) -> Any:
    """An evaluation as JSON-ready data, without the evidence."""
    from partner_of_record.io import to_dict

    return to_dict(attrs.evolve(evaluation, credits=None))


def _truncate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


# --------------------------------------------------------------------------------------------
# demo


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument(
        "--story",
        action="store_true",
        help="also print the story of each sample partner",
    )
    parser.add_argument(
        "--export",
        metavar="DIR",
        help="write the sample as CSV files (and its skills as skills.json) into DIR, and stop",
    )


def _positions(ledger: Ledger, as_of: dt.date, skills: Any) -> dict[str, list[Any]] | None:
    """Partner id -> its position against each catalog entry, when the evaluator is installed."""
    try:
        # the evaluator sits on the attribution layer; without it there is nothing to show
        import partner_of_record.attribution  # noqa: F401
        from partner_of_record.report import evaluate_catalog, position_of
    except ImportError:
        return None
    per_entry = evaluate_catalog(ledger, as_of=as_of, skills=skills)
    out: dict[str, list[Any]] = {p.id: [] for p in ledger.partners}
    for found in per_entry.values():
        for partner_id, evaluation in found.items():
            out[partner_id].append(position_of(evaluation))
    return out


def render_positions(
    ledger: Ledger, positions: Mapping[str, Sequence[Any]], as_of: dt.date, misses: int = 2
) -> str:
    """Render, for each partner, the catalog entries it meets and its closest misses.

    Args:
        ledger: the ledger (for the partner names).
        positions: partner id -> its [`Position`][partner_of_record.report.Position]s.
        as_of: the day of the evaluation (for the heading).
        misses: how many entries not met to show per partner, closest first.

    Returns:
        The text, ending with a newline.
    """
    names = {p.id: p.name for p in ledger.partners}
    count = max((len(found) for found in positions.values()), default=0)
    lines = [f"Catalog position as of {as_of.isoformat()} ({count} entries)"]
    for partner_id, found in positions.items():
        met = [p for p in found if p.met]
        lines.append(
            f"  {partner_id} {names.get(partner_id, '')}: meets {len(met)} of {len(found)}"
        )
        if met:
            labels = [
                p.competency + (f" ({p.score:.2f})" if p.score is not None else "") for p in met
            ]
            lines.extend(_wrapped("    met: ", labels, indent="      "))
        closest = sorted((p for p in found if not p.met), key=lambda p: -p.progress)[:misses]
        for p in closest:
            where = (
                f"score {p.score:.2f}"
                if p.score is not None
                else f"{min(p.progress, Decimal('9.99')) * 100:.0f} % of the threshold"
            )
            lines.append(f"    not met: {p.competency} ({where})")
            lines.append(_truncate(f"      {p.shortfall}", _WIDTH))
    return "\n".join(lines) + "\n"


def _export_sample(directory: str, streams: Streams) -> int:
    from partner_of_record.io.export import export_folder
    from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

    counts = export_folder(load_sample(), directory)
    skills = Path(directory) / "skills.json"
    skills.write_text(
        json.dumps({p: dict(s) for p, s in SAMPLE_SKILLS.items()}, indent=2) + "\n",
        encoding="utf-8",
    )
    written = ", ".join(f"{name} ({n:,})" for name, n in counts.items())
    streams.out.write(f"Wrote the sample to {directory}: {written}, skills.json\n")
    streams.out.write(
        f"Try: {PROG} validate {directory}\n"
        f"     {PROG} evaluate {directory} --partner 4100231 --competency CLOUD_PLATFORM_GOLD "
        f"--as-of {SAMPLE_AS_OF.isoformat()}\n"
    )
    return EXIT_OK


def _run_demo(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.samples import (
        SAMPLE_AS_OF,
        SAMPLE_SKILLS,
        describe,
        load_sample,
    )

    if args.export:
        return _export_sample(args.export, streams)
    ledger = load_sample()
    summary = ledger_summary(ledger)
    credits = credit_summary(ledger)
    positions = _positions(ledger, SAMPLE_AS_OF, SAMPLE_SKILLS)
    if args.format == "json":
        document: dict[str, Any] = {"as_of": SAMPLE_AS_OF.isoformat(), **summary}
        document["credits"] = credits
        document["positions"] = (
            None
            if positions is None
            else {
                pid: [
                    {
                        "competency": p.competency,
                        "met": p.met,
                        "score": p.score,
                        "progress": p.progress,
                        "shortfall": p.shortfall,
                    }
                    for p in found
                ]
                for pid, found in positions.items()
            }
        )
        if args.story:
            document["story"] = describe()
        _dump_json(document, streams.out)
        return EXIT_OK
    title = f"Sample ledger (fictional), as of {SAMPLE_AS_OF.isoformat()}"
    streams.out.write(render_summary(summary, credits, title))
    if positions is not None:
        streams.out.write("\n" + render_positions(ledger, positions, SAMPLE_AS_OF))
    if args.story:
        streams.out.write("\n" + describe() + "\n")
    return EXIT_OK


def demo_command() -> Command:
    """Build the ``demo`` command: a summary of the bundled sample ledger.

    Returns:
        The command.
    """
    return Command(
        name="demo",
        summary="summarise the bundled fictional sample data set",
        description=(
            "Load the bundled fictional sample (5 partners, 24 months of usage) and print its "
            "partners, customers, subscriptions by workload, associations by kind, usage months "
            "and total consumption per currency; the credited consumption per partner, the "
            "unattributed total and the reconciliation line; then, for each partner, the "
            "catalog entries it meets as of 2025-01-01 and its nearest misses with the top "
            "shortfall. With --export DIR, write the sample as the CSV files the other "
            "commands read (and its skills as skills.json) instead."
        ),
        examples=("demo", "demo --format json", "demo --story", "demo --export sample-data"),
        add_arguments=_demo_arguments,
        run=_run_demo,
    )


# --------------------------------------------------------------------------------------------
# validate


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    parser.add_argument(
        "--strict", action="store_true", help="stop at the first rejected row (exit 2)"
    )
    parser.add_argument("--rejects", metavar="FILE", help="write every rejected row to FILE as CSV")
    _add_format(parser, ("text", "json"))


def _run_validate(args: argparse.Namespace, streams: Streams) -> int:
    loaded = _load(args, strict=args.strict)
    report = loaded.report
    if args.rejects:
        from partner_of_record.io.export import write_rejects_csv

        write_rejects_csv(report.rejects, args.rejects)
    if args.format == "json":
        _dump_json(
            {
                "ok": report.ok,
                "read": report.read,
                "accepted": report.accepted,
                "rejected": report.rejected,
                "files": list(report.files),
                "rejects": list(report.rejects),
                "warnings": [
                    {"code": w.code, "severity": w.severity, "message": w.message}
                    for w in report.warnings
                ],
            },
            streams.out,
        )
    else:
        streams.out.write(f"{report}\n")
    return EXIT_OK if report.ok else EXIT_USAGE


def validate_command() -> Command:
    """Build the ``validate`` command: check a data folder or file, list every rejected row.

    Returns:
        The command.
    """
    return Command(
        name="validate",
        summary="check a folder of CSV files (or a JSON file) and list rejected rows",
        description=(
            "Load DATA with every check (cells, duplicates, references, the program rules such "
            "as one DPOR per subscription at a time) and print the rows read, accepted and "
            "rejected per file, each rejected row with its file, line, column, value and code, "
            "and the warnings. Exits 0 when no row is rejected, 2 otherwise."
        ),
        examples=(
            "validate sample-data",
            "validate facts.json --format json",
            "validate sample-data --rejects rejects.csv",
            "validate sample-data --strict",
        ),
        add_arguments=_validate_arguments,
        run=_run_validate,
    )


# --------------------------------------------------------------------------------------------
# attribute


def _attribute_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    _add_policy(parser, "recognize_all")
    parser.add_argument(
        "--from", dest="start", metavar="MONTH", type=_month_arg, help="first month (YYYY-MM)"
    )
    parser.add_argument(
        "--to", dest="end", metavar="MONTH", type=_month_arg, help="last month, included"
    )
    parser.add_argument(
        "--by",
        metavar="FIELD[,FIELD]",
        help="totals per value of these credit fields "
        f"({_names('partner_of_record.attribution', 'FIELDS')}); the currency "
        "is always kept apart",
    )
    parser.add_argument(
        "--explain",
        metavar="PARTNER",
        help="explain this partner's credits down to the usage rows, spans and associations",
    )
    parser.add_argument(
        "--reconcile",
        action="store_true",
        help="check that every input amount is accounted for (exit 1 if not; printed on "
        "stderr with --format json or csv)",
    )
    _add_format(parser, ("text", "json", "csv"))
    _add_output(parser)


def _month_end(month: dt.date) -> dt.date:
    from partner_of_record.model import month_end

    return month_end(month)


def _by_fields(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    from partner_of_record.attribution import FIELDS

    fields = tuple(f.strip() for f in text.split(",") if f.strip())
    for field in fields:
        if field not in FIELDS:
            msg = f"--by: {field!r} is not a credit field (one of {', '.join(FIELDS)})"
            raise CommandError(msg)
    return fields if "currency" in fields else (*fields, "currency")


def _run_attribute(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.attribution import attribute

    fields = _by_fields(args.by)
    ledger = _ledger(args, streams, "attribute")
    policy = _policy(args)
    end = _month_end(args.end) if args.end is not None else None
    credits = attribute(ledger, policy, start=args.start, end=end)
    status = EXIT_OK
    with _output(args, streams) as out:
        if args.explain:
            ledger.partner(args.explain)
            out.write(credits.explain(args.explain) + "\n")
        elif fields:
            totals = credits.totals(by=fields)
            keys = [k if isinstance(k, tuple) else (k,) for k in totals]
            if args.format == "json":
                _dump_json(
                    [
                        {**dict(zip(fields, key, strict=True)), "amount": amount}
                        for key, amount in zip(keys, totals.values(), strict=True)
                    ],
                    out,
                )
            elif args.format == "csv":
                _write_csv(
                    [*fields, "amount"],
                    ([*key, amount] for key, amount in zip(keys, totals.values(), strict=True)),
                    out,
                )
            else:
                cur = fields.index("currency")
                rows = [[*fields, "amount"]]
                rows.extend(
                    [*(_csv_cell(v) if v is not None else "" for v in key), _money(a, key[cur])]
                    for key, a in zip(keys, totals.values(), strict=True)
                )
                out.write(f"Credited consumption (policy {_policy_name(credits)})\n")
                out.write("\n".join(_table(rows, right=(len(fields),))) + "\n")
        elif args.format == "csv":
            from partner_of_record.io.export import write_credits_csv

            write_credits_csv(credits, out)
        elif args.format == "json":
            from partner_of_record.io.export import write_credits_json

            write_credits_json(credits, out)
        else:
            out.write(_render_partner_totals(ledger, credits))
        if args.reconcile:
            reconciliation = credits.reconcile()
            text = str(reconciliation) + "\n"
            if args.format == "text" or args.explain:
                out.write("\n" + text)
            else:
                streams.err.write(text)
            if not reconciliation.ok:
                status = EXIT_NOT_MET
    return status


def _policy_name(credits: Any) -> str:
    return str(getattr(credits.policy, "name", credits.policy))


def _render_partner_totals(ledger: Ledger, credits: Any) -> str:
    names = {p.id: p.name for p in ledger.partners}
    order = {p.id: i for i, p in enumerate(ledger.partners)}
    totals = credits.totals(by=("partner_id", "currency"))
    rows = [["partner", "name", "currency", "credited"]]
    rows.extend(
        [pid, names.get(pid, ""), cur, _money(amount, cur)]
        for (pid, cur), amount in sorted(
            totals.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])
        )
    )
    currencies = sorted({u.currency for u in credits.ledger.usage})
    rows.extend(
        ["", "unattributed", cur, _money(credits.unattributed_total(currency=cur), cur)]
        for cur in currencies
    )
    head = f"Credited consumption per partner (policy {_policy_name(credits)})"
    return "\n".join([head, *_table(rows, right=(3,))]) + "\n"


def attribute_command() -> Command:
    """Build the ``attribute`` command: credit usage to partners, with totals and checks.

    Returns:
        The command.
    """
    return Command(
        name="attribute",
        summary="credit each usage row to the associated partners",
        description=(
            "Attribute the usage of DATA with a policy (default recognize_all: every partner "
            "in effect is credited in full for its days) and print the credited total per "
            "partner and currency, and what nobody was credited with. --by groups the totals "
            "by other credit fields; --explain shows one partner's credits down to the usage "
            "rows, spans and associations; --reconcile checks that every input amount is "
            "accounted for. --format csv or json writes one line per credit."
        ),
        examples=(
            "attribute sample-data",
            "attribute sample-data --policy priority_azure_usage_report --from 2024-01 "
            "--to 2024-12",
            "attribute sample-data --by partner_id,workload",
            "attribute sample-data --explain 4100231 --from 2024-12 --to 2024-12",
            "attribute sample-data --format csv --output credits.csv --reconcile",
        ),
        add_arguments=_attribute_arguments,
        run=_run_attribute,
    )


# --------------------------------------------------------------------------------------------
# evaluate


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--partner", metavar="ID", help="the partner to evaluate")
    who.add_argument("--all-partners", action="store_true", help="evaluate every partner of DATA")
    parser.add_argument(
        "--competency",
        metavar="NAME",
        required=True,
        help="a catalog entry (see: partner-of-record competencies)",
    )
    parser.add_argument(
        "--as-of", metavar="DATE", type=_date_arg, required=True, help="the day (YYYY-MM-DD)"
    )
    _add_evaluation_inputs(parser)
    _add_policy(parser, None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--what-if",
        metavar="FILE",
        help='JSON of hypothetical records ({"associations": [...], "usage": [...]}, and '
        '"skills": {metric: extra people}); prints the difference requirement by requirement',
    )
    mode.add_argument(
        "--earliest",
        action="store_true",
        help="scan the months up to --as-of for the first day the competency is met",
    )
    _add_format(parser, ("text", "json", "csv"))
    _add_output(parser)


def _what_if_records(path: str) -> tuple[list[Any], dict[str, Decimal]]:
    """The records and extra skills of a what-if file."""
    from partner_of_record.io import from_dict
    from partner_of_record.io.columns import LAYOUTS

    data = _read_json(path, "what-if file")
    layouts = {layout.name: layout for layout in LAYOUTS}
    if not isinstance(data, dict):
        msg = f"what-if file {path}: expected a JSON object with lists {', '.join(layouts)}"
        raise CommandError(msg)
    records: list[Any] = []
    extra: dict[str, Decimal] = {}
    for key, items in data.items():
        if key == "skills":
            if not isinstance(items, dict):
                msg = f"what-if file {path}: skills must be an object metric -> people"
                raise CommandError(msg)
            extra = {str(k): _count(v, f"{path}: skills.{k}") for k, v in items.items()}
            continue
        layout = layouts.get(key)
        if layout is None or not isinstance(items, list):
            msg = (
                f"what-if file {path}: {key!r} is not a list of records "
                f"(one of {', '.join(layouts)}, or skills)"
            )
            raise CommandError(msg)
        records.extend(from_dict(item, layout.record_type) for item in items)
    return records, extra


def _run_evaluate(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.evaluation import (
        earliest_qualification,
        evaluate_all,
        evaluate_competency,
        resolve_competency,
        what_if,
    )

    competency = resolve_competency(args.competency)
    skills = _skills_table(args)
    rates = _rates(args)
    policy = _policy(args)
    if args.all_partners and (args.what_if or args.earliest):
        msg = "--what-if and --earliest evaluate one partner: use --partner, not --all-partners"
        raise CommandError(msg)
    extra: tuple[list[Any], dict[str, Decimal]] | None = None
    if args.what_if:
        extra = _what_if_records(args.what_if)
    ledger = _ledger(args, streams, "evaluate")
    if args.all_partners:
        ids = [p.id for p in ledger.partners]
        found = evaluate_all(
            ledger,
            competency,
            as_of=args.as_of,
            policy=policy,
            rates=rates,
            skills={pid: s for pid in ids if (s := _skills_for(skills, args, pid))},
            evidence=False,
        )
        _write_evaluations(args, streams, list(found.values()))
        return EXIT_OK if all(e.met for e in found.values()) else EXIT_NOT_MET
    partner_id: str = args.partner
    ledger.partner(partner_id)
    own = _skills_for(skills, args, partner_id)
    if extra is not None:
        records, extra_skills = extra
        diff = what_if(
            ledger,
            partner_id,
            competency,
            as_of=args.as_of,
            add=records,
            skills=own,
            extra_skills=extra_skills or None,
            policy=policy,
            rates=rates,
        )
        _write_diff(args, streams, diff)
        return EXIT_OK if diff.after.met else EXIT_NOT_MET
    if args.earliest:
        qualification = earliest_qualification(
            ledger,
            partner_id,
            competency,
            end=args.as_of,
            policy=policy,
            skills=own,
            rates=rates,
        )
        _write_qualification(args, streams, qualification)
        return EXIT_OK if qualification.met else EXIT_NOT_MET
    evaluation = evaluate_competency(
        ledger,
        partner_id,
        competency,
        as_of=args.as_of,
        policy=policy,
        skills=own,
        rates=rates,
        evidence=False,
    )
    _write_evaluations(args, streams, [evaluation])
    return EXIT_OK if evaluation.met else EXIT_NOT_MET


def _explain_evaluation(evaluation: Any) -> str:
    text: str = evaluation.explain()
    loose = [f for f in evaluation.findings if f not in evaluation.result.all_findings()]
    if loose:
        text += "\n" + "\n".join(f"  ! {f}" for f in loose)
    return text + "\n"


def _write_evaluations(args: argparse.Namespace, streams: Streams, evaluations: list[Any]) -> None:
    with _output(args, streams) as out:
        if args.format == "csv":
            from partner_of_record.io.export import write_evaluations_csv

            write_evaluations_csv(evaluations, out)
        elif args.format == "json":
            documents = [_evaluation_document(e) for e in evaluations]
            json.dump(documents if args.all_partners else documents[0], out, indent=2)
            out.write("\n")
        elif args.all_partners:
            from partner_of_record.report import position_of

            rows = [["partner", "met", "score", "top shortfall"]]
            for e in evaluations:
                p = position_of(e)
                score = "" if p.score is None else f"{p.score:.2f}"
                rows.append([p.partner_id, "yes" if p.met else "no", score, p.shortfall])
            title = evaluations[0].title if evaluations else args.competency
            out.write(f"{title} as of {args.as_of.isoformat()}\n")
            out.write("\n".join(_table(rows, right=(2,))) + "\n")
        else:
            out.write(_explain_evaluation(evaluations[0]))


def _write_diff(args: argparse.Namespace, streams: Streams, diff: Any) -> None:
    with _output(args, streams) as out:
        if args.format == "json":
            document = {
                "before": _evaluation_document(diff.before),
                "after": _evaluation_document(diff.after),
                "score_delta": diff.score_delta,
                "changes": list(diff.changes),
            }
            _dump_json(document, out)
        elif args.format == "csv":
            names = [f.name for f in attrs.fields(type(diff.changes[0]))] if diff.changes else []
            _write_csv(
                [*names, "changed"],
                ([*(getattr(c, n) for n in names), c.changed] for c in diff.changes),
                out,
            )
        else:
            out.write(diff.explain() + "\n")


def _write_qualification(args: argparse.Namespace, streams: Streams, found: Any) -> None:
    with _output(args, streams) as out:
        if args.format == "json":
            document = {
                "competency": found.competency,
                "partner_id": found.partner_id,
                "met": found.met,
                "as_of": found.as_of,
                "scanned_from": found.scanned_from,
                "scanned_to": found.scanned_to,
                "evaluation": (
                    None if found.evaluation is None else _evaluation_document(found.evaluation)
                ),
            }
            _dump_json(document, out)
        elif args.format == "csv":
            from partner_of_record.io.export import write_evaluations_csv

            write_evaluations_csv([found.evaluation] if found.evaluation else [], out)
        else:
            out.write(found.describe() + "\n")
            if found.evaluation is not None:
                out.write(_explain_evaluation(found.evaluation))


def evaluate_command() -> Command:
    """Build the ``evaluate`` command: does a partner meet a competency as of a day?

    Returns:
        The command.
    """
    return Command(
        name="evaluate",
        summary="evaluate a partner against a competency or designation",
        description=(
            "Evaluate whether a partner (or every partner) meets a catalog entry as of a day, "
            "requirement by requirement, with the reasons and shortfalls. Skilling counts come "
            "from --skills / --skill; credits in other currencies need --rates. --what-if adds "
            "hypothetical records and prints the difference; --earliest finds the first month "
            "the entry is met. Exits 0 when met, 1 when not met."
        ),
        examples=(
            "evaluate sample-data --partner 4100231 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01",
            "evaluate sample-data --partner 4200517 --competency "
            "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE --as-of 2025-01-01 --skills "
            "sample-data/skills.json",
            "evaluate sample-data --all-partners --competency CLOUD_PLATFORM_SILVER "
            "--as-of 2025-01-01 --format csv",
            "evaluate sample-data --partner 4100231 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01 --earliest",
            "evaluate sample-data --partner 4200517 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01 --what-if extra.json",
        ),
        add_arguments=_evaluate_arguments,
        run=_run_evaluate,
    )


# --------------------------------------------------------------------------------------------
# competencies


def _competencies_arguments(parser: argparse.ArgumentParser) -> None:
    _add_format(parser, ("text", "json"))
    parser.add_argument(
        "--notes", action="store_true", help="also print each entry's notes (the choices made)"
    )


def _run_competencies(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.catalog import ALL

    if args.format == "json":
        _dump_json(
            [
                {
                    "name": c.name,
                    "title": c.title,
                    "program": c.program,
                    "source": c.source,
                    "source_url": c.source_url,
                    "published": c.published,
                    "notes": list(c.notes),
                }
                for c in ALL.values()
            ],
            streams.out,
        )
        return EXIT_OK
    lines = [f"Catalog: {len(ALL)} entries (name, program, published, title; source)"]
    for program in dict.fromkeys(c.program for c in ALL.values()):
        lines.append(f"{program or 'other'}:")
        for c in ALL.values():
            if c.program != program:
                continue
            lines.append(f"  {c.name}  {c.published.isoformat()}  {c.title}")
            lines.append(f"    source: {c.source_url}")
            if args.notes:
                lines.extend(
                    textwrap.fill(
                        note,
                        _WIDTH,
                        initial_indent="    - ",
                        subsequent_indent="      ",
                        break_on_hyphens=False,
                    )
                    for note in c.notes
                )
    streams.out.write("\n".join(lines) + "\n")
    return EXIT_OK


def competencies_command() -> Command:
    """Build the ``competencies`` command: the catalog with sources and dates.

    Returns:
        The command.
    """
    return Command(
        name="competencies",
        summary="list the catalog: competencies and designations, with sources and dates",
        description=(
            "List every catalog entry (MPN competencies 2016, Solutions Partner designations "
            "2023) with its name (what --competency takes), title, publication date and the "
            "source its rules come from; --notes adds the choices made where sources disagree."
        ),
        examples=("competencies", "competencies --notes", "competencies --format json"),
        add_arguments=_competencies_arguments,
        run=_run_competencies,
    )


# --------------------------------------------------------------------------------------------
# report


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    parser.add_argument("--partner", metavar="ID", required=True, help="the partner")
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        type=_date_arg,
        help="the day of the evaluation (default: the month after the last data month)",
    )
    parser.add_argument(
        "--months",
        metavar="N",
        type=int,
        default=12,
        help="months of credited consumption shown, up to --as-of (default: 12)",
    )
    parser.add_argument(
        "--competency",
        metavar="NAME",
        help="the entry the plot is drawn for (default: the nearest miss, else the first met)",
    )
    parser.add_argument(
        "--plot",
        metavar="FILE",
        help="write a PNG of the entry's score or trailing consumption over time against its "
        "threshold (needs matplotlib: pip install 'partner-of-record[plot]')",
    )
    _add_evaluation_inputs(parser)
    _add_policy(parser, None)
    _add_format(parser, ("text", "json", "csv"))
    _add_output(parser)


def _run_report(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.attribution import attribute
    from partner_of_record.evaluation import (
        add_months,
        resolve_competency,
    )
    from partner_of_record.report import (
        catalog_position,
        history,
        kinds_label,
        monthly_credits,
        plot_history,
        render_monthly,
        render_position,
    )

    if args.months < 1:
        msg = f"--months {args.months}: give at least 1"
        raise CommandError(msg)
    chosen = resolve_competency(args.competency) if args.competency else None
    skills_table = _skills_table(args)
    rates = _rates(args)
    policy = _policy(args)
    ledger = _ledger(args, streams, "report")
    partner = ledger.partner(args.partner)
    skills = _skills_for(skills_table, args, partner.id)
    span = ledger.months
    as_of: dt.date = args.as_of or (
        add_months(span[1], 1) if span else dt.date.today().replace(day=1)
    )
    end = as_of.replace(day=1)
    start = add_months(end, -args.months)
    rows = monthly_credits(attribute(ledger, policy), partner.id, start=start, end=end)
    positions = catalog_position(ledger, partner.id, as_of, skills, rates=rates, policy=policy)
    if chosen is None:
        unmet = [p for p in positions if not p.met]
        pick = max(unmet, key=lambda p: p.progress) if unmet else positions[0]
        from partner_of_record.catalog import get

        chosen = get(pick.competency)
    plot: Path | None = None
    if args.plot:
        points = history(
            ledger, partner.id, chosen, end=as_of, skills=skills, rates=rates, policy=policy
        )
        if not points:
            msg = f"--plot: {args.data} has no usage or seat month to plot"
            raise CommandError(msg)
        plot = plot_history(
            points, args.plot, title=f"{chosen.title}: {partner.id} {partner.name}".strip()
        )
    names = {c.id: c.name for c in ledger.customers}
    with _output(args, streams) as out:
        if args.format == "csv":
            _write_csv(
                [
                    "month",
                    "customer_id",
                    "customer_name",
                    "workload",
                    "kinds",
                    "currency",
                    "amount",
                ],
                (
                    [
                        r.month,
                        r.customer_id,
                        names.get(r.customer_id, ""),
                        r.workload,
                        kinds_label(r.kinds),
                        r.currency,
                        r.amount,
                    ]
                    for r in rows
                ),
                out,
            )
        elif args.format == "json":
            _dump_json(
                {
                    "partner": {"id": partner.id, "name": partner.name},
                    "as_of": as_of,
                    "months": {"from": start, "to": add_months(end, -1)},
                    "monthly": list(rows),
                    "positions": [
                        {
                            "competency": p.competency,
                            "title": p.title,
                            "met": p.met,
                            "score": p.score,
                            "max_score": p.max_score,
                            "progress": p.progress,
                            "shortfall": p.shortfall,
                        }
                        for p in positions
                    ],
                    "plot": {"competency": chosen.name, "file": str(plot)} if plot else None,
                },
                out,
            )
        else:
            out.write(
                f"Partner {partner.id} {partner.name}, as of {as_of.isoformat()}\n\n"
                + render_monthly(rows, names)
                + "\n"
                + render_position(positions)
            )
            if plot is not None:
                out.write(f"\nPlot of {chosen.name} written to {plot}\n")
    return EXIT_OK


def report_command() -> Command:
    """Build the ``report`` command: a partner's dashboard.

    Returns:
        The command.
    """
    return Command(
        name="report",
        summary="a partner's credited consumption, catalog position and plot",
        description=(
            "For one partner: the credited consumption of the last --months months (default "
            "12) per month and association kind, and per customer, workload and kind; its "
            "position against every catalog entry as of --as-of (met, score, how close, the "
            "top shortfall); and with --plot FILE a PNG of one entry over time: the score "
            "against the points needed for scored designations, or the trailing credited "
            "consumption over the monthly credits against the threshold."
        ),
        examples=(
            "report sample-data --partner 4100231",
            "report sample-data --partner 4200517 --skills sample-data/skills.json "
            "--competency CLOUD_PLATFORM_GOLD --plot fabrikam.png",
            "report sample-data --partner 4100231 --format csv --output credits-by-month.csv",
        ),
        add_arguments=_report_arguments,
        run=_run_report,
    )


# --------------------------------------------------------------------------------------------
# the registry and the parser

COMMAND_BUILDERS: tuple[Callable[[], Command], ...] = (
    demo_command,
    validate_command,
    attribute_command,
    evaluate_command,
    competencies_command,
    report_command,
)
"""One function per subcommand, in the order ``--help`` lists them. Add new commands here."""


def _epilog(examples: Iterable[str]) -> str:
    lines = ["Examples:", *(f"  {PROG} {e}" for e in examples)]
    return "\n".join(lines) + "\n\n" + _EXIT_CODES_HELP


def build_parser(commands: Iterable[Command]) -> argparse.ArgumentParser:
    """Build the argument parser for ``commands``.

    Args:
        commands: the subcommands; each becomes ``partner-of-record <name>``.

    Returns:
        A parser whose namespace carries the chosen command as ``command`` (``None`` when no
        command was given).
    """
    commands = tuple(commands)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Which partner gets credit for this cloud consumption, and does that partner qualify?"
        ),
        epilog=_epilog(e for c in commands for e in c.examples[:1]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(title="commands", metavar="<command>")
    for command in commands:
        child = sub.add_parser(
            command.name,
            help=command.summary,
            description=textwrap.fill(command.description, width=_WIDTH),
            epilog=_epilog(command.examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_arguments(child)
        child.set_defaults(command=command)
    parser.set_defaults(command=None)
    return parser


def _one_line(error: PartnerOfRecordError) -> str:
    """A one-line message for ``error``; a ledger error names its first problem."""
    findings = getattr(error, "findings", ())
    if findings:
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        return f"{findings[0]}{more}"
    text = str(error).strip() or type(error).__name__
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: the arguments, without the program name; ``None`` reads ``sys.argv[1:]``.

    Returns:
        The exit code: ``0`` success, ``1`` evaluated and not met, ``2`` bad input or usage.
    """
    streams = Streams(out=sys.stdout, err=sys.stderr)
    parser = build_parser(build() for build in COMMAND_BUILDERS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (already printed)
        if exc.code is None:
            return EXIT_OK
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    command: Command | None = args.command
    if command is None:
        parser.print_usage(streams.err)
        streams.err.write(f"{PROG}: error: a command is required (try '{PROG} --help')\n")
        return EXIT_USAGE
    try:
        return command.run(args, streams)
    except PartnerOfRecordError as exc:
        streams.err.write(f"{PROG} {command.name}: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    except OSError as exc:  # a file named on the command line cannot be read or written
        if isinstance(exc, BrokenPipeError):  # the reader went away (``| head``): stop quietly
            return EXIT_OK
        where = f": {exc.filename}" if exc.filename else ""
        streams.err.write(f"{PROG} {command.name}: error: {exc.strerror or exc}{where}\n")
        return EXIT_USAGE
    except ImportError as exc:  # an optional dependency is missing: the message names the extra
        if "pip install" not in str(exc):
            raise
        streams.err.write(f"{PROG} {command.name}: error: {exc}\n")
        return EXIT_USAGE
