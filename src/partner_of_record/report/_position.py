"""The position against the catalog: met, score, progress and the top shortfall, per entry."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

import attrs

from partner_of_record._text import table as _table
from partner_of_record.evaluation import (
    Competency,
    Evaluation,
    RateTable,
    RequirementResult,
    Skills,
    evaluate_all,
)
from partner_of_record.evaluation.results import BlockKind, format_quantity
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Policy

_ZERO = Decimal(0)
_CAP = Decimal("9.99")
_COMPOSITES: frozenset[BlockKind] = frozenset({"best_of", "gate"})


@attrs.frozen
class Position:
    """A partner's standing against one catalog entry.

    Attributes:
        competency: the entry's name.
        title: its title.
        partner_id: the partner.
        met: whether the partner meets it.
        score: the points scored, or ``None`` for unscored competencies.
        max_score: the most points there are, or ``None``.
        progress: how close the partner is: the headline value divided by its threshold (1 or
            more when that value is reached; ``0`` when nothing is measured). An entry not met
            never shows 1 or more: when its headline value is reached but another rule fails
            (a scorecard metric at 0 points), progress is capped at ``0.99``.
        shortfall: the top reason it is not met (see
            [`top_shortfall`][partner_of_record.report.top_shortfall]); ``""`` when met.
        evaluation: the evaluation behind it (not compared).
    """

    competency: str
    title: str
    partner_id: PartnerId
    met: bool
    score: Decimal | None
    max_score: Decimal | None
    progress: Decimal
    shortfall: str
    evaluation: Evaluation = attrs.field(eq=False, repr=False)


def headline(evaluation: Evaluation) -> RequirementResult:
    """Return the result that sums an evaluation up in one number against one threshold.

    The root requirement's result, unless it only counts parts met (an "all of" list): then
    its first requirement (e.g. the customers of Small and Midmarket Cloud Solutions).

    Args:
        evaluation: an evaluation.

    Returns:
        The result whose ``measured`` and ``threshold`` a plot or a progress figure uses.
    """
    root = evaluation.result
    if root.unit == "requirements" and evaluation.requirements:
        return evaluation.requirements[0]
    return root


def _ratio(result: RequirementResult) -> Decimal:
    if result.measured is None or not result.threshold:
        return _ZERO
    return max(_ZERO, result.measured / result.threshold).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_EVEN
    )


_NOT_YET = Decimal("0.99")


def _progress(evaluation: Evaluation) -> Decimal:
    """The headline ratio; below 1 for an entry not met (something else is still missing)."""
    ratio = _ratio(headline(evaluation))
    return ratio if evaluation.met else min(ratio, _NOT_YET)


def _gap(result: RequirementResult) -> Decimal:
    """How much a requirement costs: the points it misses, else 1 (unscored, not met)."""
    if result.points is not None and result.max_points is not None:
        return result.max_points - result.points
    return Decimal(1)


def top_shortfall(evaluation: Evaluation) -> str:
    """Return the main reason an evaluation is not met, in one line.

    The requirement not met that misses the most points (for unscored competencies: the first
    one not met), named with its measured value and why; when every requirement is met but the
    total score is short, the score and the points missing. Best-of and gate results are
    followed down to the part that counts.

    Args:
        evaluation: an evaluation.

    Returns:
        The line; ``""`` when the evaluation is met.
    """
    if evaluation.met:
        return ""
    unmet = [r for r in evaluation.requirements if not r.met]
    if not unmet:
        root = evaluation.result
        if root.reason:
            return f"{root.name}: {root.reason}"
        need = format_quantity(root.threshold, root.unit)
        have = format_quantity(root.measured, root.unit)
        short = format_quantity(root.shortfall, root.unit)
        return f"{root.name}: {have} is {short} short of the {need} needed"
    top = max(unmet, key=_gap)  # max keeps the first of equal gaps
    name = top.name
    node = top
    while node.kind in _COMPOSITES and node.children:
        node = node.chosen_child()
    reason = node.reason or node.summary()
    return f"{name}: {reason}"


def position_of(evaluation: Evaluation) -> Position:
    """Summarise one evaluation as a [`Position`][partner_of_record.report.Position].

    Args:
        evaluation: an evaluation.

    Returns:
        The position.
    """
    return Position(
        competency=evaluation.competency,
        title=evaluation.title,
        partner_id=evaluation.partner_id,
        met=evaluation.met,
        score=evaluation.score,
        max_score=evaluation.max_score,
        progress=_progress(evaluation),
        shortfall=top_shortfall(evaluation),
        evaluation=evaluation,
    )


def _catalog(catalog: Iterable[Competency] | None) -> tuple[Competency, ...]:
    if catalog is not None:
        return tuple(catalog)
    from partner_of_record.catalog import ALL

    return tuple(ALL.values())


def evaluate_catalog(
    ledger: Ledger,
    *,
    as_of: dt.date,
    skills: Mapping[PartnerId, Skills] | None = None,
    partners: Iterable[PartnerId] | None = None,
    catalog: Iterable[Competency] | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
) -> dict[str, dict[PartnerId, Evaluation]]:
    """Evaluate every catalog entry for every partner (or the given ones).

    Uses [`evaluate_all`][partner_of_record.evaluation.evaluate_all] once per entry, without
    evidence.

    Args:
        ledger: the facts.
        as_of: the day of the evaluation.
        skills: partner id -> that partner's skills.
        partners: the partners (default: every partner of the ledger).
        catalog: the entries (default: the whole catalog, ``partner_of_record.catalog.ALL``).
        rates: US dollar rates for credits in other currencies.
        policy: an attribution policy (see ``evaluate_competency``).

    Returns:
        Entry name -> partner id -> evaluation, in catalog and partner order.
    """
    ids = None if partners is None else tuple(partners)
    return {
        comp.name: evaluate_all(
            ledger,
            comp,
            as_of=as_of,
            skills=skills,
            partners=ids,
            rates=rates,
            policy=policy,
            evidence=False,
        )
        for comp in _catalog(catalog)
    }


def catalog_position(
    ledger: Ledger,
    partner_id: PartnerId,
    as_of: dt.date,
    skills: Skills | None = None,
    *,
    catalog: Iterable[Competency] | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
) -> tuple[Position, ...]:
    """Return a partner's position against each catalog entry.

    Args:
        ledger: the facts.
        partner_id: the partner.
        as_of: the day of the evaluation.
        skills: the partner's skills (metric name -> number of people).
        catalog: the entries (default: the whole catalog).
        rates: US dollar rates for credits in other currencies.
        policy: an attribution policy (see ``evaluate_competency``).

    Returns:
        One position per entry, in catalog order.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
    """
    ledger.partner(partner_id)
    per_entry = evaluate_catalog(
        ledger,
        as_of=as_of,
        skills={partner_id: skills} if skills is not None else None,
        partners=(partner_id,),
        catalog=catalog,
        rates=rates,
        policy=policy,
    )
    return tuple(position_of(found[partner_id]) for found in per_entry.values())


def _points(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def render_position(positions: Sequence[Position]) -> str:
    """Render positions as a text table: entry, met, score, progress and top shortfall.

    Args:
        positions: the result of [`catalog_position`][partner_of_record.report.catalog_position].

    Returns:
        The text, ending with a newline.
    """
    table = [["entry", "met", "score", "progress"]]
    table.extend(
        [
            p.competency,
            "yes" if p.met else "no",
            _points(p.score),
            f"{min(p.progress, _CAP) * 100:.0f} %",
        ]
        for p in positions
    )
    met = sum(p.met for p in positions)
    head = f"Position against the catalog: meets {met} of {len(positions)}"
    lines = [head, *_table(table, right=(2, 3))]
    unmet = [p for p in positions if not p.met]
    if unmet:
        lines.append("")
        lines.append("Top shortfall of each entry not met")
        for p in unmet:
            lines.extend(
                textwrap.wrap(
                    f"{p.competency}: {p.shortfall}",
                    width=_WIDTH,
                    initial_indent="  ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
    return "\n".join(lines) + "\n"


_WIDTH = 78
