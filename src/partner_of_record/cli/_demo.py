"""The ``demo`` command: a summary of the bundled fictional sample."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partner_of_record._text import money as _money
from partner_of_record._text import table as _table
from partner_of_record.cli._common import (
    EXIT_OK,
    PROG,
    WIDTH,
    Command,
    Streams,
    add_format,
    dump_json,
    partner_order,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import Workload

if TYPE_CHECKING:  # pragma: no cover - typing only; imported lazily where used
    from partner_of_record.report import Position


def _by_count(counts: Counter[str]) -> dict[str, int]:
    """``counts`` as a dict, most frequent first (ties by name)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


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
            "by_workload": _by_count(workloads),
        },
        "associations": {
            "total": len(ledger.associations),
            "by_kind": _by_count(kinds),
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
        from partner_of_record.attribution import attribute
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
    by_partner = [
        {
            "partner_id": partner_id,
            "name": names.get(partner_id, ""),
            "currency": currency,
            "amount": str(amount),
            "azure": str(azure.get((partner_id, currency), Decimal(0))),
        }
        for (partner_id, currency), amount in sorted(totals.items(), key=partner_order(ledger))
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


def _wrapped(head: str, items: Sequence[str], indent: str = "  ") -> list[str]:
    """``head`` followed by ``items`` joined with commas, wrapped (never inside an item)."""
    glued = ", ".join(item.replace(" ", "\xa0") for item in items)
    lines = textwrap.wrap(
        head + glued,
        width=WIDTH,
        subsequent_indent=indent,
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace("\xa0", " ") for line in lines]


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
    lines.extend(
        _wrapped(
            f"Subscriptions: {subs['total']}, by workload: ",
            [f"{k} {v}" for k, v in subs["by_workload"].items()],
        )
    )
    assoc = summary["associations"]
    lines.extend(
        _wrapped(
            f"Associations: {assoc['total']}, by kind: ",
            [f"{k.upper()} {v}" for k, v in assoc["by_kind"].items()],
        )
    )
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
        if credits["policy"] == "recognize_all":
            lines.extend(
                textwrap.wrap(
                    "Credited + unattributed can exceed the input: under recognize_all every "
                    "partner associated with a row is credited its full amount, so a row "
                    "shared by two partners counts once for each.",
                    width=WIDTH,
                )
            )
    return "\n".join(lines) + "\n"


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    add_format(parser, ("text", "json"))
    parser.add_argument(
        "--story",
        action="store_true",
        help="also print the story of each sample partner",
    )
    parser.add_argument(
        "--export",
        metavar="DIR",
        help="write the sample as CSV files (and its skills as skills.json) into DIR, and stop",
    )


def _positions(
    ledger: Ledger, as_of: dt.date, skills: Mapping[str, Mapping[str, int | Decimal]] | None
) -> dict[str, list[Position]] | None:
    """Partner id -> its position against each catalog entry, when the evaluator is installed."""
    try:
        # the evaluator sits on the attribution layer; without it there is nothing to show
        import partner_of_record.attribution  # noqa: F401
        from partner_of_record.report import evaluate_catalog, position_of
    except ImportError:
        return None
    per_entry = evaluate_catalog(ledger, as_of=as_of, skills=skills)
    out: dict[str, list[Position]] = {p.id: [] for p in ledger.partners}
    for found in per_entry.values():
        for partner_id, evaluation in found.items():
            out[partner_id].append(position_of(evaluation))
    return out


def render_positions(
    ledger: Ledger, positions: Mapping[str, Sequence[Position]], as_of: dt.date, misses: int = 2
) -> str:
    """Render, for each partner, the catalog entries it meets and its closest misses.

    Args:
        ledger: the ledger (for the partner names).
        positions: partner id -> its [`Position`][partner_of_record.report.Position]s.
        as_of: the day of the evaluation (for the heading).
        misses: how many entries not met to show per partner, closest first.

    Returns:
        The text, ending with a newline.
    """
    names = {p.id: p.name for p in ledger.partners}
    count = max((len(found) for found in positions.values()), default=0)
    lines = [f"Catalog position as of {as_of.isoformat()} ({count} entries)"]
    for partner_id, found in positions.items():
        met = [p for p in found if p.met]
        lines.append(
            f"  {partner_id} {names.get(partner_id, '')}: meets {len(met)} of {len(found)}"
        )
        if met:
            labels = [
                p.competency + (f" ({p.score:.2f})" if p.score is not None else "") for p in met
            ]
            lines.extend(_wrapped("    met: ", labels, indent="      "))
        unmet = [p for p in found if not p.met]
        closest = sorted(unmet, key=lambda p: -p.progress)[:misses]
        if closest:
            shown = (
                "nearest miss"
                if len(closest) == 1 and len(unmet) == 1
                else f"nearest misses ({len(closest)} of {len(unmet)} not met)"
                if len(closest) < len(unmet)
                else "not met"
            )
            lines.append(f"    {shown}:")
        for p in closest:
            where = (
                f"score {p.score:.2f}"
                if p.score is not None
                else f"{min(p.progress, Decimal('9.99')) * 100:.0f} % of the threshold"
            )
            lines.append(f"    - {p.competency} ({where})")
            lines.extend(
                textwrap.wrap(
                    p.shortfall,
                    width=WIDTH,
                    initial_indent="      ",
                    subsequent_indent="        ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
    if any("MCV" in p.shortfall for found in positions.values() for p in found):
        lines.append(_MCV_NOTE)
    return "\n".join(lines) + "\n"


_MCV_NOTE = (
    "MCV: monthly consumption value, Business Applications' measure of usage (monthly\n"
    "active users or capacity times a rate per product, e.g. 1,000 per Business\n"
    "Central user)."
)
"""Printed once under the positions when a reason mentions MCV."""


def _export_sample(directory: str, streams: Streams) -> int:
    from partner_of_record.io.export import export_folder
    from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

    counts = export_folder(load_sample(), directory)
    skills = Path(directory) / "skills.json"
    skills.write_text(
        json.dumps({p: dict(s) for p, s in SAMPLE_SKILLS.items()}, indent=2) + "\n",
        encoding="utf-8",
    )
    written = ", ".join(f"{name} ({n:,})" for name, n in counts.items())
    streams.out.write(f"Wrote the sample to {directory}: {written}, skills.json\n")
    streams.out.write(
        f"Try: {PROG} validate {directory}\n"
        f"     {PROG} evaluate {directory} --partner 4100231 --competency CLOUD_PLATFORM_GOLD "
        f"--as-of {SAMPLE_AS_OF.isoformat()}\n"
    )
    return EXIT_OK


def _run_demo(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.samples import (
        SAMPLE_AS_OF,
        SAMPLE_SKILLS,
        describe,
        load_sample,
    )

    if args.export:
        return _export_sample(args.export, streams)
    ledger = load_sample()
    summary = ledger_summary(ledger)
    credits = credit_summary(ledger)
    positions = _positions(ledger, SAMPLE_AS_OF, SAMPLE_SKILLS)
    if args.format == "json":
        document: dict[str, Any] = {"as_of": SAMPLE_AS_OF.isoformat(), **summary}
        document["credits"] = credits
        document["positions"] = (
            None
            if positions is None
            else {
                pid: [
                    {
                        "competency": p.competency,
                        "met": p.met,
                        "score": p.score,
                        "progress": p.progress,
                        "shortfall": p.shortfall,
                    }
                    for p in found
                ]
                for pid, found in positions.items()
            }
        )
        if args.story:
            document["story"] = describe()
        dump_json(document, streams.out)
        return EXIT_OK
    title = f"Sample ledger (fictional), as of {SAMPLE_AS_OF.isoformat()}"
    streams.out.write(render_summary(summary, credits, title))
    if positions is not None:
        streams.out.write("\n" + render_positions(ledger, positions, SAMPLE_AS_OF))
    if args.story:
        streams.out.write("\n" + describe() + "\n")
        try:  # the incentive stories need the attribution layer; without it, left out
            from partner_of_record.samples import describe_incentives

            streams.out.write("\n" + describe_incentives() + "\n")
        except ImportError:
            pass
    streams.out.write(
        "\nNext: one partner's dashboard, an HTML page with the consumption it drives\n"
        "but is not credited for yet, and the actions that claim it:\n"
        "  partner-of-record demo --export sample-data\n"
        "  partner-of-record dashboard sample-data --partner 4100231 --output contoso.html\n"
        "  partner-of-record opportunities sample-data --partner 4500168\n"
    )
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
            "and total consumption per currency; the credited consumption per partner, the "
            "unattributed total and the reconciliation line; then, for each partner, the "
            "catalog entries it meets as of 2025-01-01 and its nearest misses with the top "
            "shortfall. With --export DIR, write the sample as the CSV files the other "
            "commands read (and its skills as skills.json) instead."
        ),
        examples=("demo", "demo --format json", "demo --story", "demo --export sample-data"),
        add_arguments=_demo_arguments,
        run=_run_demo,
    )
