"""The ``partner-of-record`` command line (also ``python -m partner_of_record``).

Commands:
    demo: summarise the bundled fictional sample ledger (``--format text|json``).

Exit codes:
    0: success.
    1: a requirement was evaluated and is not met (for evaluating commands).
    2: bad input or usage: an unknown command or option, or data the library refused
       (any [`PartnerOfRecordError`][partner_of_record.PartnerOfRecordError]), reported as one
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
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

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
    "Streams",
    "build_parser",
    "credit_summary",
    "demo_command",
    "ledger_summary",
    "main",
    "render_summary",
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
exit codes:
  {EXIT_OK}  success
  {EXIT_NOT_MET}  evaluated, and the requirement is not met
  {EXIT_USAGE}  bad input or usage (unknown command or option, data the library refused)"""


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
# demo


def _version() -> str:
    from partner_of_record import __version__  # noqa: PLC0415 - the package imports us lazily

    return __version__


def _money(amount: Decimal, currency: str) -> str:
    """Format an amount in ``currency``'s minor unit with thousands separators (``1,234.50``)."""
    if currency in CURRENCIES:
        amount = quantize(amount, currency)
    return f"{amount:,}"


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
        from partner_of_record.attribution import attribute  # noqa: PLC0415
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
    lines.append(f"Subscriptions: {subs['total']}, by workload")
    lines.extend(_table(([k, str(v)] for k, v in subs["by_workload"].items()), right=(1,)))
    assoc = summary["associations"]
    lines.append(f"Associations: {assoc['total']}, by kind")
    lines.extend(_table(([k.upper(), str(v)] for k, v in assoc["by_kind"].items()), right=(1,)))
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


def _run_demo(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.samples import SAMPLE_AS_OF, describe, load_sample  # noqa: PLC0415

    ledger = load_sample()
    summary = ledger_summary(ledger)
    credits = credit_summary(ledger)
    if args.format == "json":
        document: dict[str, Any] = {"as_of": SAMPLE_AS_OF.isoformat(), **summary}
        document["credits"] = credits
        if args.story:
            document["story"] = describe()
        json.dump(document, streams.out, indent=2)
        streams.out.write("\n")
        return EXIT_OK
    title = f"Sample ledger (fictional), as of {SAMPLE_AS_OF.isoformat()}"
    streams.out.write(render_summary(summary, credits, title))
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
            "and total consumption per currency; then, when the attribution engine is "
            "available, the credited consumption per partner, the unattributed total and the "
            "reconciliation line."
        ),
        examples=("demo", "demo --format json", "demo --story"),
        add_arguments=_demo_arguments,
        run=_run_demo,
    )


# --------------------------------------------------------------------------------------------
# the registry and the parser

COMMAND_BUILDERS: tuple[Callable[[], Command], ...] = (demo_command,)
"""One function per subcommand, in the order ``--help`` lists them. Add new commands here."""


def _epilog(examples: Iterable[str]) -> str:
    lines = ["examples:", *(f"  {PROG} {e}" for e in examples)]
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
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly
        return EXIT_OK
