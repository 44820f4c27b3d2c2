"""The ``dashboard`` command: one self-contained HTML page per partner."""

from __future__ import annotations

import argparse
from pathlib import Path

from partner_of_record.cli._common import (
    EXIT_OK,
    Command,
    Streams,
    _add_data,
    _add_evaluation_inputs,
    _add_policy,
    _ledger,
    _policy,
    _rates,
    _skills_for,
    _skills_table,
)
from partner_of_record.cli._opportunities import (
    _period_arguments,
    add_incentives,
    incentives,
    period,
)


def _dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    _add_data(parser)
    _period_arguments(parser)
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE.html",
        required=True,
        help="the HTML file to write (replaced if it exists)",
    )
    add_incentives(parser)
    _add_evaluation_inputs(parser)
    _add_policy(parser, None)


def _run_dashboard(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.report import dashboard

    skills_table = _skills_table(args)
    rates = _rates(args)
    policy = _policy(args)
    programs = incentives(args)
    ledger = _ledger(args, streams, "dashboard")
    partner = ledger.partner(args.partner)
    as_of, _start, _end = period(args, ledger)
    page = dashboard(
        ledger,
        partner.id,
        as_of=as_of,
        months=args.months,
        policy=policy,
        skills=_skills_for(skills_table, args, partner.id),
        rates=rates,
        programs=programs,
    )
    target = Path(args.output)
    target.write_text(page, encoding="utf-8")
    streams.out.write(
        f"Dashboard of partner {partner.id} {partner.name} as of {as_of.isoformat()} "
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
