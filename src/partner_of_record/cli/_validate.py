"""The ``validate`` command: check a data folder or file, list every rejected row."""

from __future__ import annotations

import argparse

from partner_of_record.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Streams,
    add_data,
    add_format,
    dump_json,
    load_data,
)


def _validate_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    parser.add_argument(
        "--strict", action="store_true", help="stop at the first rejected row (exit 2)"
    )
    parser.add_argument("--rejects", metavar="FILE", help="write every rejected row to FILE as CSV")
    add_format(parser, ("text", "json"))


def _run_validate(args: argparse.Namespace, streams: Streams) -> int:
    loaded = load_data(args, strict=args.strict)
    report = loaded.report
    if args.rejects:
        from partner_of_record.io.export import write_rejects_csv

        write_rejects_csv(report.rejects, args.rejects)
    if args.format == "json":
        dump_json(
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
