"""The ``incentives`` command: what a partner's credited consumption earns, month by month."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from partner_of_record.cli._common import (
    EXIT_NOT_MET,
    EXIT_OK,
    Command,
    CommandError,
    Streams,
    add_data,
    add_evaluation_inputs,
    add_format,
    add_output,
    add_policy,
    dump_json,
    load_ledger,
    month_arg,
    open_output,
    read_policy,
    read_rates,
    read_skills,
    skills_for,
    write_csv,
)

if TYPE_CHECKING:  # pragma: no cover - typing only; imported lazily where used
    from partner_of_record.incentives import Earnings, IncentiveProgram

_CSV_HEADER = (
    "program",
    "partner_id",
    "month",
    "partner_eligible",
    "currency",
    "credited",
    "eligible",
    "ineligible",
    "earned",
    "wins",
    "capped",
    "total",
    "paid",
    "carried_forward",
    "reasons",
)


def _rate_arg(text: str) -> Decimal:
    """An ``argparse`` type: a rate such as ``0.05`` (or ``5%``)."""
    value = text.strip()
    percent = value.endswith("%")
    try:
        rate = Decimal(value.rstrip("%").strip())
    except InvalidOperation:
        msg = f"{text!r} is not a rate (0.05 or 5%)"
        raise argparse.ArgumentTypeError(msg) from None
    if not rate.is_finite():
        msg = f"{text!r} is not a rate (0.05 or 5%)"
        raise argparse.ArgumentTypeError(msg)
    return rate / 100 if percent else rate


def _incentives_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    parser.add_argument("--partner", metavar="ID", required=True, help="the partner")
    parser.add_argument(
        "--program",
        metavar="NAME",
        required=True,
        help="a built-in program (AZURE_DPOR_2015, PARTNER_EARNED_CREDIT) or a .toml/.json "
        "file declaring one",
    )
    parser.add_argument(
        "--from",
        dest="start",
        metavar="YYYY-MM",
        type=month_arg,
        help="the first month (default: the program's start or the data's first month)",
    )
    parser.add_argument(
        "--to",
        dest="last",
        metavar="YYYY-MM",
        type=month_arg,
        help="the last month, included (default: the data's last month)",
    )
    parser.add_argument(
        "--rate",
        metavar="RATE",
        type=_rate_arg,
        help="the program's rate (0.05 or 5%%); required by AZURE_DPOR_2015",
    )
    parser.add_argument(
        "--lines", action="store_true", help="text: list every credit line under its month"
    )
    add_evaluation_inputs(parser)
    add_policy(parser, None)
    add_format(parser, ("text", "json", "csv"))
    add_output(parser)


def _program(args: argparse.Namespace) -> IncentiveProgram:
    from partner_of_record.incentives import get_program, load_program_file

    path = Path(args.program)
    if path.suffix.lower() in (".toml", ".json"):
        if not path.is_file():
            msg = f"{args.program}: no such program file"
            raise CommandError(msg)
        program = load_program_file(path)
        if args.rate is not None:
            import attrs

            program = attrs.evolve(program, earning=attrs.evolve(program.earning, rate=args.rate))
        return program
    return get_program(args.program, rate=args.rate)


def _csv_rows(earnings: Earnings) -> list[list[object]]:
    paid = {p.end: p for p in earnings.payments}
    rows = []
    for m in earnings.months:
        payment = paid.get(m.month)
        rows.append(
            [
                earnings.program,
                earnings.partner_id,
                m.month.strftime("%Y-%m"),
                m.partner_eligible,
                earnings.currency,
                m.credited,
                m.eligible,
                sum((i.amount for i in m.ineligible), Decimal(0)),
                m.earned,
                sum((w.amount for w in m.wins), Decimal(0)),
                m.capped,
                m.total,
                payment.paid if payment is not None else Decimal(0),
                payment.carried_out if payment is not None else "",
                "; ".join(f"{i.reason}: {i.amount}" for i in m.ineligible),
            ]
        )
    return rows


def _run_incentives(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.evaluation import add_months
    from partner_of_record.incentives import evaluate_incentive

    program = _program(args)
    ledger = load_ledger(args, streams, "incentives")
    end = add_months(args.last, 1) if args.last is not None else None
    if args.start is not None and end is not None and end <= args.start:
        msg = f"--to {args.last:%Y-%m} is before --from {args.start:%Y-%m}"
        raise CommandError(msg)
    earnings = evaluate_incentive(
        ledger,
        args.partner,
        program,
        start=args.start,
        end=end,
        policy=read_policy(args),
        rates=read_rates(args),
        skills=skills_for(read_skills(args), args, args.partner),
    )
    with open_output(args, streams) as out:
        if args.format == "json":
            dump_json(earnings.to_dict(), out)
        elif args.format == "csv":
            write_csv(_CSV_HEADER, _csv_rows(earnings), out)
        else:
            out.write(earnings.explain(lines=args.lines) + "\n")
    return EXIT_OK if earnings.earned > 0 else EXIT_NOT_MET


def incentives_command() -> Command:
    """Build the ``incentives`` command: a partner's earnings under an incentive program.

    Returns:
        The command.
    """
    return Command(
        name="incentives",
        summary="what a partner's credited consumption earns under an incentive program",
        description=(
            "Evaluate an incentive program (AZURE_DPOR_2015 with --rate, PARTNER_EARNED_CREDIT, "
            "or a program declared in a .toml/.json file) for one partner: month by month the "
            "credited, eligible and ineligible consumption with the reason for each ineligible "
            "amount, the earnings, and the payout schedule with what carries forward. Exit "
            "code 1 when the partner earns nothing in the months evaluated."
        ),
        examples=(
            "incentives sample-data --partner 4500168 --program PARTNER_EARNED_CREDIT",
            "incentives sample-data --partner 4100231 --program AZURE_DPOR_2015 --rate 0.03 "
            "--from 2023-07 --to 2024-12",
            "incentives sample-data --partner 4300874 --program AZURE_DPOR_2015 --rate 3% "
            "--format csv",
            "incentives data --partner P1 --program campaign.toml --format json",
        ),
        add_arguments=_incentives_arguments,
        run=_run_incentives,
    )
