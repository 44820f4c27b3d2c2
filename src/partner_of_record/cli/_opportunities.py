"""The ``opportunities`` command: consumption a partner drives but is not credited for."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

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
    load_ledger,
    month_arg,
    open_output,
    read_policy,
    read_rates,
    read_skills,
    skills_for,
    write_csv,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Policy
    from partner_of_record.evaluation import RateTable
    from partner_of_record.incentives import IncentiveProgram
    from partner_of_record.ledger import Ledger
    from partner_of_record.model import Partner


def _program_names() -> str:
    from partner_of_record.opportunities import PROGRAMS

    return ", ".join(repr(name) for name in PROGRAMS)


def add_incentives(parser: argparse.ArgumentParser) -> None:
    """Add ``--incentive NAME[=RATE]`` (repeatable) to a parser.

    Args:
        parser: the command's parser.
    """
    parser.add_argument(
        "--incentive",
        metavar="NAME[=RATE]",
        action="append",
        default=[],
        help="an incentive program whose earnings count (repeatable): PARTNER_EARNED_CREDIT, "
        "or AZURE_DPOR_2015=RATE with its rate (0.05 for 5 %%)",
    )


def incentives(args: argparse.Namespace) -> list[IncentiveProgram]:
    """The incentive programs of ``--incentive``.

    Args:
        args: the parsed arguments.

    Returns:
        The programs, in the order given.
    """
    if not args.incentive:
        return []
    from partner_of_record.incentives import get_program

    programs: list[IncentiveProgram] = []
    for text in args.incentive:
        name, sep, rate = str(text).partition("=")
        if not sep and name.strip().upper().replace("-", "_") == "AZURE_DPOR_2015":
            msg = f"--incentive {text}: give its rate, e.g. --incentive AZURE_DPOR_2015=0.05"
            raise CommandError(msg)
        programs.append(get_program(name, rate=rate.strip() if sep else None))
    return programs


def add_period_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner", metavar="ID", required=True, help="the partner")
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        type=date_arg,
        help="the day of the evaluations; the period ends at the first of its month "
        "(default: the month after the last data month)",
    )
    parser.add_argument(
        "--months",
        metavar="N",
        type=int,
        default=12,
        help="the period: the N full months before --as-of (default: 12)",
    )


def _opportunities_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    add_period_arguments(parser)
    parser.add_argument(
        "--start",
        metavar="YYYY-MM",
        type=month_arg,
        help="the first month of the period (overrides --months)",
    )
    parser.add_argument(
        "--program",
        metavar="NAME",
        default="Solutions Partner 2023",
        help="the crediting program: which kinds it credits, under which rules "
        "(default: 'Solutions Partner 2023'; also 'MPN competencies 2016')",
    )
    add_incentives(parser)
    add_evaluation_inputs(parser)
    add_policy(parser, None)
    add_format(parser, ("text", "json", "csv"))
    add_output(parser)


def period(args: argparse.Namespace, ledger: object) -> tuple[dt.date, dt.date, dt.date]:
    """The ``as_of`` day and the ``[start, end)`` period of ``--as-of``/``--months``/``--start``.

    Args:
        args: the parsed arguments.
        ledger: the ledger (its months give the default ``as_of``).

    Returns:
        ``(as_of, start, end)``.

    Raises:
        CommandError: ``--months`` is below 1, or ``--start`` is not before the end.
    """
    from partner_of_record.evaluation import add_months

    if args.months < 1:
        msg = f"--months {args.months}: give at least 1"
        raise CommandError(msg)
    span = getattr(ledger, "months", None)
    as_of: dt.date = args.as_of or (
        add_months(span[1], 1) if span else dt.date.today().replace(day=1)
    )
    end = as_of.replace(day=1)
    start = getattr(args, "start", None) or add_months(end, -args.months)
    if start >= end:
        msg = f"--start {start:%Y-%m}: the period must start before {end:%Y-%m}"
        raise CommandError(msg)
    return as_of, start, end


@attrs.frozen
class PartnerInputs:
    """What the ``opportunities`` and ``dashboard`` commands read before they compute: the
    inputs (read in this order, so the first bad one is the one reported), the partner and
    the period (``period``)."""

    ledger: Ledger
    partner: Partner
    skills: dict[str, Decimal] | None
    rates: RateTable | None
    policy: Policy | None
    programs: list[IncentiveProgram]
    as_of: dt.date
    start: dt.date
    end: dt.date


def partner_inputs(args: argparse.Namespace, streams: Streams, command: str) -> PartnerInputs:
    """Read ``--skills``/``--skill``, ``--rates``, ``--policy``, ``--incentive``, DATA and
    ``--partner``, then the period."""
    skills_table = read_skills(args)
    rates = read_rates(args)
    policy = read_policy(args)
    programs = incentives(args)
    ledger = load_ledger(args, streams, command)
    partner = ledger.partner(args.partner)
    as_of, start, end = period(args, ledger)
    skills = skills_for(skills_table, args, partner.id)
    return PartnerInputs(ledger, partner, skills, rates, policy, programs, as_of, start, end)


def _run_opportunities(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.opportunities import PROGRAMS, unclaimed

    if args.program not in PROGRAMS:
        msg = f"--program {args.program!r}: not a program (one of {_program_names()})"
        raise CommandError(msg)
    given = partner_inputs(args, streams, "opportunities")
    found = unclaimed(
        given.ledger,
        given.partner.id,
        start=given.start,
        end=given.end,
        program=args.program,
        skills=given.skills,
        rates=given.rates,
        policy=given.policy,
        incentives=given.programs,
    )
    with open_output(args, streams) as out:
        if args.format == "json":
            out.write(found.to_json() + "\n")
        elif args.format == "csv":
            write_csv(
                [
                    "rank",
                    "subscription_id",
                    "customer_id",
                    "workload",
                    "working",
                    "kind",
                    "currency",
                    "amount",
                    "seats",
                    "active_users",
                    "newly_met",
                    "score_delta",
                    "earned_delta",
                    "action",
                ],
                (
                    [
                        rank,
                        o.subscription_id,
                        o.customer_id,
                        o.workload,
                        [k.value for k in o.working],
                        o.kind,
                        currency,
                        amount,
                        o.seats,
                        o.active_users,
                        list(o.newly_met),
                        o.score_delta,
                        o.earned_delta if o.earnings else None,
                        o.action,
                    ]
                    for rank, o in enumerate(found.opportunities, 1)
                    for currency, amount in (o.amounts or (("", None),))
                ),
                out,
            )
        else:
            out.write(found.explain() + "\n")
    return EXIT_OK


def opportunities_command() -> Command:
    """Build the ``opportunities`` command: unclaimed consumption and the actions that claim it.

    Returns:
        The command.
    """
    return Command(
        name="opportunities",
        summary="consumption a partner drives but is not credited for, and how to claim it",
        description=(
            "For one partner: the subscriptions where it has a working relationship (CSP, "
            "transacting, DAP, GDAP, Lighthouse) but not the association the program credits "
            "(PAL or DPOR for Azure, CPOR for Modern Work, Security and Business "
            "Applications), with the consumption and seats it would have been credited over "
            "the period, the action that claims it, and the effect on every catalog entry of "
            "the program, best first. No action the rules forbid is suggested."
        ),
        examples=(
            "opportunities sample-data --partner 4500168",
            "opportunities sample-data --partner 4300874 --format json",
            "opportunities sample-data --partner 4200517 --incentive PARTNER_EARNED_CREDIT",
            "opportunities sample-data --partner 4200517 --program 'MPN competencies 2016'",
        ),
        add_arguments=_opportunities_arguments,
        run=_run_opportunities,
    )
