"""The ``evaluate`` command: does a partner meet a competency as of a day?"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

import attrs

from partner_of_record._text import table as _table
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
    date_arg,
    dump_json,
    load_ledger,
    open_output,
    read_count,
    read_json,
    read_policy,
    read_rates,
    read_skills,
    skills_for,
    write_csv,
)

if TYPE_CHECKING:  # pragma: no cover - typing only; imported lazily where used
    from partner_of_record.attribution import Policy
    from partner_of_record.evaluation import (
        Evaluation,
        EvaluationDiff,
        Projection,
        Qualification,
        RateTable,
    )
    from partner_of_record.model import Record


class _PartnerInputs(TypedDict):
    """What every evaluation of one partner is given: ``--policy``, its skills, ``--rates``."""

    policy: Policy | None
    skills: dict[str, Decimal] | None
    rates: RateTable | None


def _evaluation_document(evaluation: Evaluation) -> object:
    """An evaluation as JSON-ready data (the io converter leaves out the credits evidence)."""
    from partner_of_record.io import to_dict

    return to_dict(evaluation)


def _evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    add_data(parser)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--partner", metavar="ID", help="the partner to evaluate")
    who.add_argument("--all-partners", action="store_true", help="evaluate every partner of DATA")
    parser.add_argument(
        "--competency",
        metavar="NAME",
        required=True,
        help="a catalog entry (see: partner-of-record competencies)",
    )
    parser.add_argument(
        "--as-of", metavar="DATE", type=date_arg, required=True, help="the day (YYYY-MM-DD)"
    )
    add_evaluation_inputs(parser)
    add_policy(parser, None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--what-if",
        metavar="FILE",
        help='JSON of hypothetical records ({"associations": [...], "usage": [...]}, and '
        '"skills": {metric: extra people}); prints the difference requirement by requirement',
    )
    mode.add_argument(
        "--earliest",
        action="store_true",
        help="scan the months up to --as-of for the first day the competency is met",
    )
    mode.add_argument(
        "--project",
        metavar="MONTHS",
        type=int,
        help="project forward from --as-of: the first of the next MONTHS months at which the "
        "entry would be met if each usage line continued the straight-line trend of its last "
        "12 months (a projection under that assumption, not a forecast)",
    )
    add_format(parser, ("text", "json", "csv"))
    add_output(parser)


def _what_if_records(path: str) -> tuple[list[Record], dict[str, Decimal]]:
    """The records and extra skills of a what-if file."""
    from partner_of_record.io import from_dict
    from partner_of_record.io.columns import LAYOUTS

    data = read_json(path, "what-if file")
    layouts = {layout.name: layout for layout in LAYOUTS}
    if not isinstance(data, dict):
        msg = f"what-if file {path}: expected a JSON object with lists {', '.join(layouts)}"
        raise CommandError(msg)
    records: list[Record] = []
    extra: dict[str, Decimal] = {}
    for key, items in data.items():
        if key == "skills":
            if not isinstance(items, dict):
                msg = f"what-if file {path}: skills must be an object metric -> people"
                raise CommandError(msg)
            extra = {str(k): read_count(v, f"{path}: skills.{k}") for k, v in items.items()}
            continue
        layout = layouts.get(key)
        if layout is None or not isinstance(items, list):
            msg = (
                f"what-if file {path}: {key!r} is not a list of records "
                f"(one of {', '.join(layouts)}, or skills)"
            )
            raise CommandError(msg)
        records.extend(from_dict(item, layout.record_type) for item in items)
    return records, extra


def _run_evaluate(args: argparse.Namespace, streams: Streams) -> int:
    from partner_of_record.evaluation import (
        earliest_qualification,
        evaluate_all,
        evaluate_competency,
        project_qualification,
        resolve_competency,
        what_if,
    )

    competency = resolve_competency(args.competency)
    skills = read_skills(args)
    rates = read_rates(args)
    policy = read_policy(args)
    if args.all_partners and (args.what_if or args.earliest or args.project is not None):
        msg = (
            "--what-if, --earliest and --project evaluate one partner: use --partner, not "
            "--all-partners"
        )
        raise CommandError(msg)
    if args.project is not None and args.project < 1:
        msg = f"--project {args.project}: give at least 1 month"
        raise CommandError(msg)
    extra: tuple[list[Record], dict[str, Decimal]] | None = None
    if args.what_if:
        extra = _what_if_records(args.what_if)
    ledger = load_ledger(args, streams, "evaluate")
    if args.all_partners:
        ids = [p.id for p in ledger.partners]
        found = evaluate_all(
            ledger,
            competency,
            as_of=args.as_of,
            policy=policy,
            rates=rates,
            skills={pid: s for pid in ids if (s := skills_for(skills, args, pid))},
            evidence=False,
        )
        _write_evaluations(args, streams, list(found.values()))
        return EXIT_OK if all(e.met for e in found.values()) else EXIT_NOT_MET
    partner_id: str = args.partner
    ledger.partner(partner_id)
    inputs: _PartnerInputs = {
        "policy": policy,
        "skills": skills_for(skills, args, partner_id),
        "rates": rates,
    }
    if extra is not None:
        records, extra_skills = extra
        diff = what_if(
            ledger,
            partner_id,
            competency,
            as_of=args.as_of,
            add=records,
            extra_skills=extra_skills or None,
            **inputs,
        )
        _write_diff(args, streams, diff)
        return EXIT_OK if diff.after.met else EXIT_NOT_MET
    if args.project is not None:
        projection = project_qualification(
            ledger,
            partner_id,
            competency,
            as_of=args.as_of,
            horizon=args.project,
            **inputs,
        )
        _write_projection(args, streams, projection)
        return EXIT_OK if projection.met else EXIT_NOT_MET
    if args.earliest:
        qualification = earliest_qualification(
            ledger,
            partner_id,
            competency,
            end=args.as_of,
            **inputs,
        )
        _write_qualification(args, streams, qualification)
        return EXIT_OK if qualification.met else EXIT_NOT_MET
    evaluation = evaluate_competency(
        ledger,
        partner_id,
        competency,
        as_of=args.as_of,
        evidence=False,
        **inputs,
    )
    _write_evaluations(args, streams, [evaluation])
    return EXIT_OK if evaluation.met else EXIT_NOT_MET


def _explain_evaluation(evaluation: Evaluation) -> str:
    text = evaluation.explain()  # includes the findings about the whole evaluation
    return text + "\n"


def _write_evaluations(
    args: argparse.Namespace, streams: Streams, evaluations: list[Evaluation]
) -> None:
    with open_output(args, streams) as out:
        if args.format == "csv":
            from partner_of_record.io.export import write_evaluations_csv

            write_evaluations_csv(evaluations, out)
        elif args.format == "json":
            documents = [_evaluation_document(e) for e in evaluations]
            dump_json(documents if args.all_partners else documents[0], out)
        elif args.all_partners:
            from partner_of_record.report import position_of

            rows = [["partner", "met", "score", "top shortfall"]]
            for e in evaluations:
                p = position_of(e)
                score = "" if p.score is None else f"{p.score:.2f}"
                rows.append([p.partner_id, "yes" if p.met else "no", score, p.shortfall])
            title = evaluations[0].title if evaluations else args.competency
            out.write(f"{title} as of {args.as_of.isoformat()}\n")
            out.write("\n".join(_table(rows, right=(2,))) + "\n")
            out.write(overall_findings(evaluations))
        else:
            out.write(_explain_evaluation(evaluations[0]))


def overall_findings(evaluations: list[Evaluation]) -> str:
    """The findings about whole evaluations (stale data ...), once each, as ``!`` lines."""
    seen: dict[str, list[str]] = {}
    for e in evaluations:
        in_tree = set(e.result.all_findings())
        for f in e.findings:
            if f not in in_tree:
                ids = seen.setdefault(f"[{f.code}] {_without_partner(f.message)}", [])
                if e.partner_id not in ids:
                    ids.append(e.partner_id)
    return "".join(
        f"! {text} ({'partners' if len(ids) > 1 else 'partner'} {', '.join(ids)})\n"
        for text, ids in seen.items()
    )


def _without_partner(message: str) -> str:
    return re.sub(r"^partner [^:]+: ", "", message)


def _write_diff(args: argparse.Namespace, streams: Streams, diff: EvaluationDiff) -> None:
    with open_output(args, streams) as out:
        if args.format == "json":
            document = {
                "before": _evaluation_document(diff.before),
                "after": _evaluation_document(diff.after),
                "score_delta": diff.score_delta,
                "changes": list(diff.changes),
            }
            dump_json(document, out)
        elif args.format == "csv":
            names = [f.name for f in attrs.fields(type(diff.changes[0]))] if diff.changes else []
            write_csv(
                [*names, "changed"],
                ([*(getattr(c, n) for n in names), c.changed] for c in diff.changes),
                out,
            )
        else:
            out.write(diff.explain() + "\n")


def _write_found(
    args: argparse.Namespace,
    streams: Streams,
    document: dict[str, object],
    evaluation: Evaluation | None,
    text: Callable[[], str],
) -> None:
    """Write an earliest qualification or a projection: ``document`` with its ``evaluation``
    (JSON), the evaluation's rows (CSV), or ``text()``."""
    with open_output(args, streams) as out:
        if args.format == "json":
            shown = None if evaluation is None else _evaluation_document(evaluation)
            dump_json({**document, "evaluation": shown}, out)
        elif args.format == "csv":
            from partner_of_record.io.export import write_evaluations_csv

            write_evaluations_csv([evaluation] if evaluation else [], out)
        else:
            out.write(text())


def _write_qualification(args: argparse.Namespace, streams: Streams, found: Qualification) -> None:
    def text() -> str:
        explained = "" if found.evaluation is None else _explain_evaluation(found.evaluation)
        return found.describe() + "\n" + explained

    document: dict[str, object] = {
        "competency": found.competency,
        "partner_id": found.partner_id,
        "met": found.met,
        "as_of": found.as_of,
        "scanned_from": found.scanned_from,
        "scanned_to": found.scanned_to,
    }
    _write_found(args, streams, document, found.evaluation, text)


def _write_projection(args: argparse.Namespace, streams: Streams, found: Projection) -> None:
    def text() -> str:
        if found.evaluation is None or found.already_met:
            return found.describe() + "\n"
        return (
            found.describe()
            + "\nProjected evaluation (on projected records):\n"
            + _explain_evaluation(found.evaluation)
        )

    document: dict[str, object] = {
        "competency": found.competency,
        "partner_id": found.partner_id,
        "projection": True,
        "from_as_of": found.from_as_of,
        "already_met": found.already_met,
        "as_of": found.as_of,
        "scanned_to": found.scanned_to,
        "assumption": found.assumption,
    }
    _write_found(args, streams, document, found.evaluation, text)


def evaluate_command() -> Command:
    """Build the ``evaluate`` command: does a partner meet a competency as of a day?

    Returns:
        The command.
    """
    return Command(
        name="evaluate",
        summary="evaluate a partner against a competency or designation",
        description=(
            "Evaluate whether a partner (or every partner) meets a catalog entry as of a day, "
            "requirement by requirement, with the reasons and shortfalls. Skilling counts come "
            "from --skills / --skill; credits in other currencies need --rates. --what-if adds "
            "hypothetical records and prints the difference; --earliest finds the first month "
            "the entry is met; --project N projects the first of the next N months at which "
            "it would be met if usage kept its trend. Exits 0 when met (or projected met), 1 "
            "when not."
        ),
        examples=(
            "evaluate sample-data --partner 4100231 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01",
            "evaluate sample-data --partner 4200517 --competency "
            "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE --as-of 2025-01-01 --skills "
            "sample-data/skills.json",
            "evaluate sample-data --all-partners --competency CLOUD_PLATFORM_SILVER "
            "--as-of 2025-01-01 --format csv",
            "evaluate sample-data --partner 4100231 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01 --earliest",
            "evaluate sample-data --partner 4200517 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01 --what-if extra.json",
            "evaluate sample-data --partner 4200517 --competency CLOUD_PLATFORM_GOLD "
            "--as-of 2025-01-01 --project 24",
        ),
        add_arguments=_evaluate_arguments,
        run=_run_evaluate,
    )
