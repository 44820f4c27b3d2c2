"""The ``partner-of-record`` command line (also ``python -m partner_of_record``).

Commands:
    demo: the bundled fictional sample: a summary, the credits, and which partner meets which
        catalog entry (``--export DIR`` writes the sample as the CSV files the others read).
    validate: check a folder of CSV files (or a JSON document) and list every rejected row.
    attribute: credit each usage row to the associated partners; totals, explanations, checks.
    evaluate: does a partner meet a competency or designation as of a day? (what-if, earliest.)
    competencies: the catalog, with the source and the publication date of each entry.
    report: a partner's credited consumption per month, position against the catalog, a plot.
    opportunities: consumption a partner drives but is not credited for, and how to claim it.
    dashboard: a partner's dashboard as one self-contained HTML page.
    incentives: what a partner's credited consumption earns under an incentive program.

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
the dispatch are derived from that registry; there is no if-chain to extend. Each command
lives in its own private module (``_demo``, ``_validate``, ``_attribute``, ``_evaluate``,
``_competencies``, ``_report``); the options, loading and output they share are in ``_common``.

Example:
    >>> from partner_of_record.cli import main
    >>> main(["demo", "--format", "json"])  # doctest: +SKIP
    0
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence

from partner_of_record.cli._attribute import attribute_command
from partner_of_record.cli._common import (
    EXIT_NOT_MET,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    WIDTH,
    Command,
    CommandError,
    Streams,
)
from partner_of_record.cli._competencies import competencies_command
from partner_of_record.cli._dashboard import dashboard_command
from partner_of_record.cli._demo import (
    credit_summary,
    demo_command,
    ledger_summary,
    render_positions,
    render_summary,
)
from partner_of_record.cli._evaluate import evaluate_command
from partner_of_record.cli._incentives import incentives_command
from partner_of_record.cli._opportunities import opportunities_command
from partner_of_record.cli._report import report_command
from partner_of_record.cli._validate import validate_command
from partner_of_record.errors import PartnerOfRecordError

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
    "dashboard_command",
    "demo_command",
    "evaluate_command",
    "incentives_command",
    "ledger_summary",
    "main",
    "opportunities_command",
    "render_positions",
    "render_summary",
    "report_command",
    "validate_command",
]

_EXIT_CODES_HELP = f"""\
Exit codes:
  {EXIT_OK}  success
  {EXIT_NOT_MET}  evaluated, and the requirement is not met
  {EXIT_USAGE}  bad input or usage (unknown command or option, data the library refused)"""


def _version() -> str:
    from partner_of_record import __version__

    return __version__


# --------------------------------------------------------------------------------------------
# the registry and the parser

COMMAND_BUILDERS: tuple[Callable[[], Command], ...] = (
    demo_command,
    validate_command,
    attribute_command,
    evaluate_command,
    competencies_command,
    report_command,
    incentives_command,
    opportunities_command,
    dashboard_command,
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
            description=textwrap.fill(command.description, width=WIDTH),
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
