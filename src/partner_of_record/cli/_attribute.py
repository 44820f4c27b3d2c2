"""The ``attribute`` command: credit usage to partners, with totals and checks."""

from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from partner_of_record._text import money as _money
from partner_of_record._text import table as _table
from partner_of_record.cli._common import (
    EXIT_NOT_MET,
    EXIT_OK,
    Command,
    CommandError,
    Streams,
    add_data,
    add_format,
    add_output,
    add_policy,
    csv_cell,
    dump_json,
    load_ledger,
    month_arg,
    names_of,
    open_output,
    partner_order,
    read_policy,
    write_csv,
)
from partner_of_record.ledger import Ledger

if TYPE_CHECKING:  # pragma: no cover - typing only; imported lazily where used
    from partner_of_record.attribution import Credits


def _attribute_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    add_policy(parser, "recognize_all")
    parser.add_argument(
        "--from", dest="start", metavar="MONTH", type=month_arg, help="first month (YYYY-MM)"
    )
    parser.add_argument(
        "--to", dest="end", metavar="MONTH", type=month_arg, help="last month, included"
    )
    parser.add_argument(
        "--by",
        metavar="FIELD[,FIELD]",
        help="totals per value of these credit fields "
        f"({names_of('partner_of_record.attribution', 'FIELDS')}); the currency "
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
    add_format(parser, ("text", "json", "csv"))
    add_output(parser)


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
    if args.start is not None and args.end is not None and args.start > args.end:
        msg = (
            f"--from {args.start:%Y-%m} is after --to {args.end:%Y-%m}: give the earlier "
            "month first (--to is included)"
        )
        raise CommandError(msg)
    ledger = load_ledger(args, streams, "attribute")
    policy = read_policy(args)
    end = _month_end(args.end) if args.end is not None else None
    credits = attribute(ledger, policy, start=args.start, end=end)
    status = EXIT_OK
    with open_output(args, streams) as out:
        if args.explain:
            ledger.partner(args.explain)
            out.write(credits.explain(args.explain) + "\n")
        elif fields:
            _write_totals(args, out, credits, fields)
        elif args.format == "csv":
            from partner_of_record.io.export import write_credits_csv

            write_credits_csv(credits, out)
        elif args.format == "json":
            from partner_of_record.io.export import credit_row, unattributed_row

            dump_json(
                {
                    "policy": _policy_name(credits),
                    "credits": [credit_row(c) for c in credits],
                    "unattributed": [unattributed_row(u) for u in credits.unattributed],
                    "unattributed_total": _unattributed_totals(credits),
                },
                out,
            )
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


def _write_totals(
    args: argparse.Namespace, out: TextIO, credits: Credits, fields: tuple[str, ...]
) -> None:
    """Write the credit totals grouped by ``fields`` (``--by``) in the chosen format."""
    totals = credits.totals(by=fields)
    keys = [k if isinstance(k, tuple) else (k,) for k in totals]
    if args.format == "json":
        dump_json(
            {
                "policy": _policy_name(credits),
                "by": list(fields),
                "totals": [
                    {**dict(zip(fields, key, strict=True)), "amount": amount}
                    for key, amount in zip(keys, totals.values(), strict=True)
                ],
                "unattributed_total": _unattributed_totals(credits),
            },
            out,
        )
    elif args.format == "csv":
        write_csv(
            [*fields, "amount"],
            ([*key, amount] for key, amount in zip(keys, totals.values(), strict=True)),
            out,
        )
    else:
        cur = fields.index("currency")
        rows = [[*fields, "amount"]]
        rows.extend(
            [*(csv_cell(v) if v is not None else "" for v in key), _money(a, key[cur])]
            for key, a in zip(keys, totals.values(), strict=True)
        )
        out.write(f"Credited consumption (policy {_policy_name(credits)})\n")
        out.write("\n".join(_table(rows, right=(len(fields),))) + "\n")


def _unattributed_totals(credits: Credits) -> dict[str, Decimal]:
    """Currency -> the amount nobody was credited with (every currency of the usage)."""
    currencies = sorted({u.currency for u in credits.ledger.usage})
    return {cur: credits.unattributed_total(currency=cur) for cur in currencies}


def _policy_name(credits: Credits) -> str:
    return str(getattr(credits.policy, "name", credits.policy))


def _render_partner_totals(ledger: Ledger, credits: Credits) -> str:
    names = {p.id: p.name for p in ledger.partners}
    totals = credits.totals(by=("partner_id", "currency"))
    rows = [["partner", "name", "currency", "credited"]]
    rows.extend(
        [pid, names.get(pid, ""), cur, _money(amount, cur)]
        for (pid, cur), amount in sorted(totals.items(), key=partner_order(ledger))
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
            "accounted for. --format csv writes one line per credit; --format json writes an "
            "object with the credits (or the --by totals) and the unattributed amounts "
            '("unattributed": the parts of usage rows nobody was credited with, '
            '"unattributed_total": per currency). --from after --to is a usage error.'
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
