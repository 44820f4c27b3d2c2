"""The ``competencies`` command: the catalog with sources and dates."""

from __future__ import annotations

import argparse
import textwrap

from partner_of_record.cli._common import (
    EXIT_OK,
    WIDTH,
    Command,
    Streams,
    add_format,
    dump_json,
)


def _competencies_arguments(parser: argparse.ArgumentParser) -> None:
    add_format(parser, ("text", "json"))
    parser.add_argument(
        "--notes", action="store_true", help="also print each entry's notes (the choices made)"
    )


def _run_competencies(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.catalog import ALL

    if args.format == "json":
        dump_json(
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
                        WIDTH,
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
