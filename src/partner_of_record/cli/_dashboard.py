"""The ``dashboard`` command: one self-contained HTML page per partner."""

from __future__ import annotations

import argparse
from pathlib import Path

from partner_of_record.cli._common import (
    EXIT_OK,
    Command,
    Streams,
    add_data,
    add_evaluation_inputs,
    add_policy,
)
from partner_of_record.cli._opportunities import (
    add_incentives,
    add_period_arguments,
    partner_inputs,
)


def _dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    add_period_arguments(parser)
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE.html",
        required=True,
        help="the HTML file to write (replaced if it exists)",
    )
    add_incentives(parser)
    add_evaluation_inputs(parser)
    add_policy(parser, None)


def _run_dashboard(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.report import dashboard

    given = partner_inputs(args, streams, "dashboard")
    partner = given.partner
    page = dashboard(
        given.ledger,
        partner.id,
        as_of=given.as_of,
        months=args.months,
        policy=given.policy,
        skills=given.skills,
        rates=given.rates,
        programs=given.programs,
    )
    target = Path(args.output)
    target.write_text(page, encoding="utf-8")
    streams.out.write(
        f"Dashboard of partner {partner.id} {partner.name} as of {given.as_of.isoformat()} "
        f"written to {target}\n"
    )
    return EXIT_OK


def dashboard_command() -> Command:
    """Build the ``dashboard`` command: a partner's dashboard as one HTML page.

    Returns:
        The command.
    """
    return Command(
        name="dashboard",
        summary="a partner's dashboard as one self-contained HTML page",
        description=(
            "Write one HTML page for a partner: headline figures (credited consumption in the "
            "period, the change on the year before, its customers' unattributed consumption), "
            "credited consumption per month by association kind against the nearest "
            "threshold, customers and subscriptions with the association coverage over time, "
            "the unclaimed consumption and the actions that claim it, every catalog entry's "
            "position, and the data's as-of date and policy. Self-contained (inline CSS, SVG "
            "charts, no network request): it opens from an e-mail attachment. Needs "
            "matplotlib: pip install matplotlib (the [plot] extra)."
        ),
        examples=(
            "dashboard sample-data --partner 4100231 --output contoso.html",
            "dashboard sample-data --partner 4100231 --incentive PARTNER_EARNED_CREDIT "
            "--incentive AZURE_DPOR_2015=0.05 --output contoso.html",
            "dashboard sample-data --partner 4300874 --as-of 2024-07-01 --months 6 "
            "--skills sample-data/skills.json --output relecloud.html",
        ),
        add_arguments=_dashboard_arguments,
        run=_run_dashboard,
    )
