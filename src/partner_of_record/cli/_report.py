"""The ``report`` command: a partner's dashboard."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from partner_of_record.cli._common import (
    EXIT_OK,
    Command,
    CommandError,
    Streams,
    add_data,
    add_evaluation_inputs,
    add_format,
    add_output,
    add_policy,
    date_arg,
    dump_json,
    load_ledger,
    open_output,
    read_policy,
    read_rates,
    read_skills,
    skills_for,
    write_csv,
)
from partner_of_record.cli._evaluate import overall_findings


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    parser.add_argument("--partner", metavar="ID", required=True, help="the partner")
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        type=date_arg,
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
        "threshold (needs matplotlib: pip install 'matplotlib>=3.7', or in a clone "
        "pip install -e '.[plot]')",
    )
    add_evaluation_inputs(parser)
    add_policy(parser, None)
    add_format(parser, ("text", "json", "csv"))
    add_output(parser)


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
    skills_table = read_skills(args)
    rates = read_rates(args)
    policy = read_policy(args)
    ledger = load_ledger(args, streams, "report")
    partner = ledger.partner(args.partner)
    skills = skills_for(skills_table, args, partner.id)
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
    with open_output(args, streams) as out:
        if args.format == "csv":
            write_csv(
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
            dump_json(
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
                            "findings": list(p.evaluation.findings),
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
                + overall_findings([p.evaluation for p in positions])
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
