"""Evaluation results: plain, frozen values that say what was measured and why.

Every field is JSON-friendly (``str``, ``bool``, ``Decimal``, ``datetime.date``, tuples of those,
[`Finding`][partner_of_record.Finding]) so the io converter can serialise them; the only
exception is [`Evaluation.credits`][partner_of_record.evaluation.Evaluation], the
evidence, which is excluded from equality and needs its own io hook.

Points are rounded to 2 decimals, half to even, once per scored metric; totals add the rounded
points.

Over 600 lines on purpose: these are the values of one serialised result (the io converter and
the exports read them together), and each is small; splitting would only scatter one shape.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import math
from collections.abc import Callable, Iterator, KeysView, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import attrs

from partner_of_record.errors import Finding, PartnerOfRecordError
from partner_of_record.model import PartnerId

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

__all__ = [
    "FINDING_CODES",
    "PANDAS_EXTRA_HINT",
    "BlockKind",
    "Evaluation",
    "EvaluationDiff",
    "Evaluations",
    "Projection",
    "Qualification",
    "RequirementChange",
    "RequirementResult",
    "UnknownRequirementError",
    "format_quantity",
    "round_points",
    "score_need",
]

FINDING_CODES: MappingProxyType[str, str] = MappingProxyType(
    {
        "NO_BASELINE": "a growth metric is undefined: the baseline month has no credited usage",
        "BELOW_MINIMUM_ACR": "a metric needs a minimum credited consumption that was not reached",
        "BELOW_MINIMUM_BASELINE": "a growth metric's baseline is below the program's minimum",
        "MISSING_SKILLS_INPUT": "a skilling metric has no count in the skills input; taken as 0",
        "SERVICE_UNKNOWN": "credited usage without a service name cannot count as a deployment",
        "NEGATIVE_NET_ADDS": "fewer eligible customers than a year earlier; scored as 0",
        "METRIC_AT_ZERO": "a scorecard metric scores 0, so the scorecard is not met",
        "NO_USAGE_IN_MONTH": "no usage at all in the measurement month (data not refreshed?)",
    }
)
"""Every finding code the evaluator emits, with a description (for the docs)."""

BlockKind = Literal[
    "at_least", "scored", "scorecard", "all_of", "any_of", "best_of", "gate", "points_sum"
]
"""The building blocks of the requirement algebra, as a
[`RequirementResult.kind`][partner_of_record.evaluation.RequirementResult] names them (the
values are written to output files, so they never change)."""

_SCORED: frozenset[BlockKind] = frozenset({"scored", "points_sum"})
"""Blocks whose result is a scored metric (points pro rata up to a cap)."""
_WITH_MINIMUM: frozenset[BlockKind] = frozenset({"scorecard", "gate", "best_of"})
"""Point blocks whose summary names the points they need."""
_COMPOSITES: frozenset[BlockKind] = frozenset({"scorecard", "all_of", "any_of", "best_of", "gate"})
"""Blocks made of parts."""
_LISTS: frozenset[BlockKind] = frozenset({"scorecard", "all_of", "any_of"})
"""Composites whose parts all count (not a choice of one)."""

_CENT = Decimal("0.01")


def round_points(points: Decimal) -> Decimal:
    """Round points to 2 decimals, half to even (the rounding every scored metric uses).

    Args:
        points: the unrounded points.

    Returns:
        The rounded points.
    """
    return points.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def _trim(value: Decimal) -> str:
    """Format a Decimal with thousands separators and no needless trailing zeros."""
    if value == value.to_integral_value():
        return f"{value.to_integral_value():,}"
    text = f"{value.quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_quantity(value: Decimal | None, unit: str) -> str:
    """Return ``value`` readable in ``unit``: ``US$1,000.00``, ``12.5 %``, ``3 customers``.

    Args:
        value: the quantity (``None`` prints as ``n/a``).
        unit: ``"USD"``, ``"percent"``, ``"points"`` or a plural noun (``"customers"``).

    Returns:
        The text.
    """
    if value is None:
        return "n/a"
    if unit == "USD":
        sign = "-" if value < 0 else ""
        return f"{sign}US${abs(value).quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    if unit == "percent":
        return f"{_trim(value)} %"
    if unit == "points":
        return f"{value.quantize(_CENT, rounding=ROUND_HALF_EVEN):,}"
    if value == 1 and unit in _SINGULAR:
        unit = _SINGULAR[unit]
    return f"{_trim(value)} {unit}"


_SINGULAR: Mapping[str, str] = MappingProxyType(
    {
        "people": "person",
        "customers": "customer",
        "services": "service",
        "seats": "seat",
        "users": "user",
        "workloads": "workload",
        "tenants": "tenant",
        "deployments": "deployment",
    }
)
"""Singular forms of the plural units, for a quantity of exactly one."""


_COUNT_UNITS = frozenset(
    {"customers", "people", "services", "seats", "users", "tenants", "workloads", "deployments"}
)
"""Units counted in whole numbers: "above 0" reads "at least 1" in them."""


def score_need(unit: str) -> str:
    """What a scored metric needs to score at all, in ``unit``: ``"at least 1 customer"``.

    Args:
        unit: the metric's unit.

    Returns:
        ``"at least 1 <unit>"`` for whole-number units, else ``"above 0 <unit>"``.
    """
    if unit in _COUNT_UNITS:
        return f"at least {format_quantity(Decimal(1), unit)}"
    return f"above {format_quantity(Decimal(0), unit)}"


class UnknownRequirementError(PartnerOfRecordError, KeyError):
    """No requirement of that name in an evaluation (the message suggests close names).

    Attributes:
        name: the name asked for.
        known: the names there are.
    """

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        super().__init__(f"no requirement named {name!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.frozen
class RequirementResult:
    """What one requirement measured, what it needed, and whether it is met.

    Attributes:
        name: the requirement's name (``"usage_growth"``).
        kind: the building block that produced it, a ``BlockKind`` (``"scored"``,
            ``"at_least"``, ``"scorecard"``, ``"all_of"``, ``"any_of"``, ``"best_of"``,
            ``"gate"``, ``"points_sum"``).
        measured: the measured value in ``unit`` (for composites: their points, or the number of
            parts met).
        unit: the unit of ``measured``, ``threshold`` and ``shortfall``: ``"USD"``,
            ``"percent"``, ``"customers"``, ``"people"``, ``"services"``, ``"seats"``,
            ``"users"``, ``"tenants"``, ``"MCV"``, ``"points"`` or ``"requirements"``.
        threshold: the value needed (for scored metrics: the value that earns the full points;
            scoring at all needs only a value above 0).
        met: whether the requirement is met (a scored metric is met when it scores above 0).
        shortfall: what is still missing to meet the requirement, in ``unit``; always 0 when
            ``met`` (a met requirement has no shortfall). For a scored metric that scores 0,
            the distance to ``threshold`` (its full points).
        points: the points scored (rounded to 2 decimals), ``None`` for unscored requirements.
        max_points: the cap, ``None`` for unscored requirements.
        reason: one readable sentence saying why.
        detail: how the value was obtained (``"ACR 2024-06 US$11,250.00 vs 2023-06 ..."``).
        customers: the customer ids that counted (evidence), sorted.
        findings: the domain problems met while measuring.
        children: the results of the parts of a composite requirement.
        chosen: for a best-of or gate, the name of the part that counts ("" otherwise).
        to_full_points: for a scored metric, what is still missing to earn its full points,
            in ``unit`` (0 at full points); ``None`` for unscored requirements and composites.
            Distinct from ``shortfall``: a metric can be met (it scores) and still be short
            of its full points.
    """

    name: str
    kind: BlockKind
    measured: Decimal | None
    unit: str
    threshold: Decimal | None
    met: bool
    shortfall: Decimal
    points: Decimal | None = None
    max_points: Decimal | None = None
    reason: str = ""
    detail: str = ""
    customers: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    children: tuple[RequirementResult, ...] = ()
    chosen: str = ""
    to_full_points: Decimal | None = None

    @property
    def scored(self) -> bool:
        """Whether the requirement awards points."""
        return self.points is not None

    def walk(self) -> Iterator[tuple[str, RequirementResult]]:
        """Yield ``(path, result)`` for this result and every descendant, depth first.

        The path joins names with dots: ``"enterprise.usage_growth.dpor"``.

        Yields:
            ``(path, result)`` pairs, this result first.
        """
        yield self.name, self
        for child in self.children:
            for path, result in child.walk():
                yield f"{self.name}.{path}", result

    def all_findings(self) -> tuple[Finding, ...]:
        """The findings of this result and of every descendant, without repeats."""
        seen: dict[Finding, None] = {}
        for _, result in self.walk():
            for finding in result.findings:
                seen.setdefault(finding, None)
        return tuple(seen)

    def summary(self) -> str:
        """Return one readable line, e.g. ``usage_growth: 12.5 % (...) -> 12.50 of 20 points``.

        A scored metric names its two distances apart: what it needs to score at all (a
        value above 0) and what it still misses to earn its full points, e.g.
        ``...; to score: above 0 %, met; to full points: 7.5 % more``.
        """
        measured = format_quantity(self.measured, self.unit)
        detail = f" ({self.detail})" if self.detail and self.kind != "best_of" else ""
        verdict = "met" if self.met else "NOT met"
        if self.unit == "points" and self.points is not None:
            cap = _trim(self.max_points) if self.max_points is not None else "?"
            head = f"{self.name}: {self.points} of {cap} points"
            if self.kind in _WITH_MINIMUM:
                head += f", needs {format_quantity(self.threshold, 'points')} -> {verdict}"
            if self.shortfall > 0:
                head += f"; shortfall {self.shortfall}"
            return head + self._to_full_points_text()
        if self.unit == "requirements":
            return (
                f"{self.name}: {_trim(self.measured or Decimal(0))} of "
                f"{_trim(Decimal(len(self.children)))} parts met -> {verdict}"
            )
        if self.points is not None:
            cap = _trim(self.max_points) if self.max_points is not None else "?"
            head = f"{self.name}: {measured}{detail} -> {self.points} of {cap} points"
            if self.kind in _SCORED or self.to_full_points is not None:
                need = score_need(self.unit)
                return head + f"; to score: {need}, {verdict}" + self._to_full_points_text()
        else:
            need = format_quantity(self.threshold, self.unit)
            head = f"{self.name}: {measured}{detail}; needs {need} -> {verdict}"
        if self.shortfall > 0:
            head += f"; shortfall {format_quantity(self.shortfall, self.unit)}"
        return head

    def _to_full_points_text(self) -> str:
        """``"; to full points: 7.5 % more"`` or ``"; full points reached"`` (scored metrics)."""
        if self.to_full_points is None:
            return ""
        if self.to_full_points <= 0:
            return "; full points reached"
        return f"; to full points: {format_quantity(self.to_full_points, self.unit)} more"

    def chosen_child(self) -> RequirementResult:
        """Return the part that counts: for a best-of or gate, the child named by ``chosen``.

        Returns:
            That child, or the first child when none is named.

        Raises:
            IndexError: the result has no children.
        """
        for child in self.children:
            if child.name == self.chosen:
                return child
        return self.children[0]

    def explain(self, indent: int = 0) -> str:
        """Return this result and its parts as indented readable lines.

        Args:
            indent: the indentation level.

        Returns:
            The text.
        """
        pad = "  " * indent
        lines = [pad + self.summary()]
        if self.reason:
            lines.append(f"{pad}  - {self.reason}")
        lines.extend(f"{pad}  ! {finding}" for finding in self.findings)
        lines.extend(child.explain(indent + 1) for child in self.children)
        return "\n".join(lines)


def _leaves_of_interest(root: RequirementResult) -> tuple[RequirementResult, ...]:
    """The results users ask about: the metrics of the track that counts."""
    node = root
    while True:
        if node.kind == "best_of" and node.children:
            chosen = node.chosen_child()
            if chosen.kind in _COMPOSITES:
                node = chosen
                continue
            return (node,)
        if node.kind == "gate" and node.children:
            node = node.chosen_child()
            continue
        if node.kind in _LISTS:
            return node.children
        return (node,)


@attrs.frozen
class Evaluation:
    """Whether a partner meets a competency or designation as of a day, and why.

    Attributes:
        competency: the competency's name (``"SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"``).
        title: its readable title.
        partner_id: the partner evaluated.
        as_of: the day of the evaluation.
        month: the measurement month (first day): the last full month before ``as_of``.
        met: whether every rule is met.
        score: the total points, or ``None`` for unscored competencies.
        max_score: the most points there are, or ``None``.
        result: the root requirement's result (the whole tree).
        requirements: the results users ask about, one per requirement (for scorecards the
            metrics; for tracks, the metrics of the track that counts).
        findings: every finding of the evaluation, without repeats.
        credits: the partner's credits under the counted association kinds (evidence; a
            ``Credits``, or ``None`` when the evaluation was built from rows). Not compared.
    """

    competency: str
    title: str
    partner_id: str
    as_of: dt.date
    month: dt.date
    met: bool
    score: Decimal | None
    max_score: Decimal | None
    result: RequirementResult
    requirements: tuple[RequirementResult, ...]
    findings: tuple[Finding, ...] = ()
    credits: Any = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_result(
        cls,
        *,
        competency: str,
        title: str,
        partner_id: str,
        as_of: dt.date,
        month: dt.date,
        result: RequirementResult,
        findings: tuple[Finding, ...] = (),
        credits: Any = None,
    ) -> Evaluation:
        """Build an evaluation from the root requirement's result.

        Args:
            competency: the competency's name.
            title: its title.
            partner_id: the partner evaluated.
            as_of: the day of the evaluation.
            month: the measurement month.
            result: the root requirement's result.
            findings: findings about the evaluation as a whole (added to the tree's).
            credits: the evidence (a ``Credits``), or ``None``.

        Returns:
            The evaluation.
        """
        merged: dict[Finding, None] = dict.fromkeys(findings)
        for finding in result.all_findings():
            merged.setdefault(finding, None)
        return cls(
            competency=competency,
            title=title,
            partner_id=partner_id,
            as_of=as_of,
            month=month,
            met=result.met,
            score=result.points,
            max_score=result.max_points,
            result=result,
            requirements=_leaves_of_interest(result),
            findings=tuple(merged),
            credits=credits,
        )

    @property
    def customers(self) -> tuple[str, ...]:
        """Every customer id that counted in some requirement, sorted."""
        return tuple(sorted({c for _, r in self.result.walk() for c in r.customers}))

    def requirement(self, name: str) -> RequirementResult:
        """Return the result of the requirement called ``name`` (or a dotted path).

        A plain name is looked up first among ``requirements``, then anywhere in the tree;
        ``"smb.usage_growth"`` addresses a result by the path of names below the root.

        Args:
            name: the requirement's name, or a dotted path below the root.

        Returns:
            The requirement's result.

        Raises:
            UnknownRequirementError: no such requirement (the message suggests close names).
        """
        for result in self.requirements:
            if result.name == name:
                return result
        paths = list(self.result.walk())
        root = self.result.name + "."
        for path, result in paths:
            if path == name or path.removeprefix(root) == name:
                return result
        for _, result in paths:
            if result.name == name:
                return result
        known = tuple(dict.fromkeys([r.name for r in self.requirements] + [p for p, _ in paths]))
        raise UnknownRequirementError(name, known)

    def explain(self) -> str:
        """Return a readable account of the evaluation, requirement by requirement.

        Findings about the evaluation as a whole (``NO_USAGE_IN_MONTH``: is the data
        refreshed?) come right under the verdict, marked ``!``; the findings of each
        requirement come under it.
        """
        verdict = "MET" if self.met else "NOT met"
        score = ""
        if self.score is not None:
            score = f", score {self.score} of {_trim(self.max_score or Decimal(0))}"
        in_tree = set(self.result.all_findings())
        lines = [
            f"{self.title} ({self.competency}) for partner {self.partner_id} as of "
            f"{self.as_of.isoformat()} (measurement month {self.month:%Y-%m}): {verdict}{score}",
            *(f"  ! {finding}" for finding in self.findings if finding not in in_tree),
            self.result.explain(1),
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Return an HTML table for notebooks."""
        esc = html.escape
        verdict = "met" if self.met else "not met"
        score = f" — score {self.score}" if self.score is not None else ""
        rows = []
        for r in self.requirements:
            points = "" if r.points is None else f"{r.points} / {r.max_points}"
            if r.to_full_points is not None:
                need = (
                    f"{score_need(r.unit)} to score; full points at "
                    f"{format_quantity(r.threshold, r.unit)}"
                )
                to_full = format_quantity(r.to_full_points, r.unit)
            else:
                need, to_full = format_quantity(r.threshold, r.unit), ""
            short = format_quantity(r.shortfall, r.unit) if r.shortfall > 0 else ""
            rows.append(
                "<tr>"
                f"<td>{esc(r.name)}</td><td>{esc(format_quantity(r.measured, r.unit))}</td>"
                f"<td>{esc(need)}</td><td>{esc(points)}</td>"
                f"<td>{'✔' if r.met else '✘'}</td>"
                f"<td>{esc(short)}</td><td>{esc(to_full)}</td><td>{esc(r.reason)}</td>"
                "</tr>"
            )
        findings = "".join(f"<li>{esc(f.severity)}: {esc(str(f))}</li>" for f in self.findings)
        return (
            f"<div><strong>{esc(self.title)}</strong> for {esc(self.partner_id)} as of "
            f"{self.as_of.isoformat()} (measurement month {self.month:%Y-%m}): "
            f"{verdict}{esc(score)}"
            + (f"<p>Findings:</p><ul>{findings}</ul>" if findings else "")
            + "<table><thead><tr><th>requirement</th><th>measured</th><th>needs</th>"
            "<th>points</th><th>met</th><th>short by</th><th>to full points</th>"
            "<th>reason</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            "</div>"
        )

    def to_pandas(self, *, numeric: bool = False) -> pd.DataFrame:
        """Return one row per requirement (needs the ``pandas`` extra).

        The values are exact by default: ``Decimal`` quantities and ``datetime.date`` days.
        With ``numeric=True`` the quantities are floats (``NaN`` where there is none) and
        ``as_of`` and ``month`` are ``pandas.Timestamp``, ready for ``.plot()``, sums and
        ``resample``; floats are for charts, not for checking a threshold to the cent.

        Args:
            numeric: convert quantities to float and days to ``Timestamp``.

        Returns:
            A DataFrame with one row per entry of ``requirements``: ``competency``,
            ``partner_id``, ``as_of``, ``month``, ``requirement``, ``measured``, ``unit``,
            ``threshold``, ``points``, ``max_points``, ``met``, ``shortfall``,
            ``to_full_points`` and ``reason``.

        Raises:
            ImportError: pandas is not installed (the message says how to add the extra).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(f"Evaluation.to_pandas needs pandas: {PANDAS_EXTRA_HINT}") from exc
        frame = pd.DataFrame(
            [
                {
                    "competency": self.competency,
                    "partner_id": self.partner_id,
                    "as_of": self.as_of,
                    "month": self.month,
                    "requirement": r.name,
                    "measured": r.measured,
                    "unit": r.unit,
                    "threshold": r.threshold,
                    "points": r.points,
                    "max_points": r.max_points,
                    "met": r.met,
                    "shortfall": r.shortfall,
                    "to_full_points": r.to_full_points,
                    "reason": r.reason,
                }
                for r in self.requirements
            ]
        )
        if numeric:
            for column in _NUMERIC_COLUMNS:
                frame[column] = pd.to_numeric(
                    frame[column].map(lambda v: math.nan if v is None else float(v)),
                )
            for column in ("as_of", "month"):
                frame[column] = pd.to_datetime(frame[column])
        return frame


_NUMERIC_COLUMNS = ("measured", "threshold", "points", "max_points", "shortfall", "to_full_points")
"""The ``Decimal`` columns of ``Evaluation.to_pandas`` that ``numeric=True`` makes float."""

PANDAS_EXTRA_HINT = (
    "pip install 'pandas>=2.0' (the pandas extra; in a clone of partner_of_record: "
    "pip install -e '.[pandas]')"
)
"""How to add pandas (the package is not on PyPI yet, so not ``partner-of-record[pandas]``)."""


class Evaluations(dict[PartnerId, Evaluation]):
    """What ``evaluate_all`` returns: partner id -> evaluation, each built when first read.

    A ``dict`` in every respect, in partner order. Whether each partner meets the competency,
    and its score, are known as soon as it is returned (``met``, ``score``: the requirement
    algebra scored every partner at once); the
    [`Evaluation`][partner_of_record.evaluation.Evaluation] objects themselves, with their
    results and reason strings, are built the first time they are read (``evaluations[pid]``,
    ``get``) and kept. Reading them all at once (``values()``,
    ``items()``, comparison, ``repr``, copying, any change) builds the rest first. The objects
    are equal to ``evaluate_competency``'s, partner by partner.

    Attributes:
        competency: the competency's name.
        met: partner id -> whether it is met (without building the evaluations).
        score: partner id -> its total points (``None`` for unscored competencies).
    """

    __slots__ = ("_build", "_order", "competency", "met", "score")

    def __init__(
        self,
        competency: str,
        order: Sequence[PartnerId],
        build: Callable[[PartnerId], Evaluation],
        met: Mapping[PartnerId, bool],
        score: Mapping[PartnerId, Decimal | None],
    ) -> None:
        super().__init__()
        self.competency = competency
        self.met: Mapping[PartnerId, bool] = MappingProxyType(dict(met))
        self.score: Mapping[PartnerId, Decimal | None] = MappingProxyType(dict(score))
        self._order: dict[PartnerId, None] | None = dict.fromkeys(order)
        self._build: Callable[[PartnerId], Evaluation] | None = build

    def _materialise(self) -> None:
        """Build every evaluation not read yet; from then on a plain ``dict``."""
        order, build = self._order, self._build
        if order is None or build is None:
            return
        built = {pid: dict.get(self, pid) or build(pid) for pid in order}
        dict.clear(self)
        dict.update(self, built)
        self._order = self._build = None

    def __getitem__(self, key: PartnerId) -> Evaluation:
        if self._order is None or self._build is None:
            return dict.__getitem__(self, key)
        found = dict.get(self, key)
        if found is None:
            if key not in self._order:
                raise KeyError(key)
            found = self._build(key)
            dict.__setitem__(self, key, found)
        return found

    def get(self, key: PartnerId, default: Any = None) -> Any:
        if key not in self:
            return default
        return self[key]

    def __contains__(self, key: object) -> bool:
        if self._order is None:
            return dict.__contains__(self, key)
        return key in self._order

    def __len__(self) -> int:
        return len(self._order) if self._order is not None else dict.__len__(self)

    def __iter__(self) -> Iterator[PartnerId]:
        return iter(self._order) if self._order is not None else dict.__iter__(self)

    def __reversed__(self) -> Iterator[PartnerId]:
        self._materialise()
        return dict.__reversed__(self)

    def keys(self) -> Any:
        if self._order is not None:  # the ids alone build nothing
            return KeysView(self)
        return dict.keys(self)

    def values(self) -> Any:
        self._materialise()
        return dict.values(self)

    def items(self) -> Any:
        self._materialise()
        return dict.items(self)

    def __eq__(self, other: object) -> bool:
        self._materialise()
        if isinstance(other, Evaluations):
            other._materialise()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # as dict: unhashable

    def __repr__(self) -> str:
        self._materialise()
        return dict.__repr__(self)

    def copy(self) -> dict[PartnerId, Evaluation]:
        self._materialise()
        return dict(dict.items(self))

    def __reduce__(self) -> Any:
        self._materialise()
        return (dict, (dict(dict.items(self)),))

    def __setitem__(self, key: PartnerId, value: Evaluation) -> None:
        self._materialise()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: PartnerId) -> None:
        self._materialise()
        dict.__delitem__(self, key)

    def pop(self, *args: Any) -> Any:
        self._materialise()
        return dict.pop(self, *args)

    def popitem(self) -> tuple[PartnerId, Evaluation]:
        self._materialise()
        return dict.popitem(self)

    def setdefault(self, *args: Any) -> Any:
        self._materialise()
        return dict.setdefault(self, *args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._materialise()
        dict.update(self, *args, **kwargs)

    def clear(self) -> None:
        self._materialise()
        dict.clear(self)

    def __or__(self, other: Any) -> Any:
        self._materialise()
        return dict.__or__(self, other)

    def __ror__(self, other: Any) -> Any:
        self._materialise()
        return dict.__ror__(self, other)

    def __ior__(self, other: Any) -> Any:
        self._materialise()
        return dict.__ior__(self, other)


@attrs.frozen
class RequirementChange:
    """How one requirement's result changed between two evaluations.

    Attributes:
        name: the requirement's name (a dotted path below the root).
        unit: the unit of the measured values.
        measured_before: the value measured before.
        measured_after: the value measured after.
        points_before: the points before (``None`` if unscored).
        points_after: the points after (``None`` if unscored).
        met_before: whether it was met before.
        met_after: whether it is met after.
    """

    name: str
    unit: str
    measured_before: Decimal | None
    measured_after: Decimal | None
    points_before: Decimal | None
    points_after: Decimal | None
    met_before: bool
    met_after: bool

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        return (
            self.measured_before != self.measured_after
            or self.points_before != self.points_after
            or self.met_before != self.met_after
        )

    def describe(self) -> str:
        """Return a line such as ``usage_growth: 5 % -> 12.5 %, points 5.00 -> 12.50``."""
        text = (
            f"{self.name}: {format_quantity(self.measured_before, self.unit)} -> "
            f"{format_quantity(self.measured_after, self.unit)}"
        )
        if self.points_before is not None or self.points_after is not None:
            text += f", points {self.points_before} -> {self.points_after}"
        if self.met_before != self.met_after:
            text += f", {'now met' if self.met_after else 'no longer met'}"
        return text


@attrs.frozen
class EvaluationDiff:
    """The difference a hypothetical change makes (see ``what_if``).

    Attributes:
        before: the evaluation of the ledger as it is.
        after: the evaluation with the hypothetical records added.
        changes: one entry per requirement of the tree (changed or not), depth first.
    """

    before: Evaluation
    after: Evaluation
    changes: tuple[RequirementChange, ...]

    @classmethod
    def between(cls, before: Evaluation, after: Evaluation) -> EvaluationDiff:
        """Compare two evaluations of the same competency, requirement by requirement.

        Args:
            before: the evaluation of the ledger as it is.
            after: the evaluation with the hypothetical change.

        Returns:
            The comparison.
        """
        after_by_path = dict(after.result.walk())
        changes = []
        for path, old in before.result.walk():
            new = after_by_path.get(path)
            if new is None:
                continue
            changes.append(
                RequirementChange(
                    name=path,
                    unit=old.unit,
                    measured_before=old.measured,
                    measured_after=new.measured,
                    points_before=old.points,
                    points_after=new.points,
                    met_before=old.met,
                    met_after=new.met,
                )
            )
        return cls(before=before, after=after, changes=tuple(changes))

    @property
    def changed(self) -> tuple[RequirementChange, ...]:
        """Only the requirements whose result changed."""
        return tuple(c for c in self.changes if c.changed)

    @property
    def score_delta(self) -> Decimal | None:
        """The change of the total score, or ``None`` for unscored competencies."""
        if self.before.score is None or self.after.score is None:
            return None
        return self.after.score - self.before.score

    def explain(self) -> str:
        """Return the changed requirements as readable lines."""
        head = (
            f"{self.before.competency} for {self.before.partner_id}: "
            f"{'met' if self.before.met else 'not met'} -> {'met' if self.after.met else 'not met'}"
        )
        if self.score_delta is not None:
            head += f", score {self.before.score} -> {self.after.score}"
        lines = [head] + [f"  {c.describe()}" for c in self.changed]
        if not self.changed:
            lines.append("  no requirement changes")
        return "\n".join(lines)


@attrs.frozen
class Qualification:
    """The first day a competency is met, found by scanning months (see ``earliest_qualification``).

    Attributes:
        competency: the competency's name.
        partner_id: the partner.
        as_of: the first ``as_of`` day (a first of month) at which it is met, or ``None``.
        evaluation: the evaluation at that day, or ``None`` when never met.
        scanned_from: the first ``as_of`` scanned.
        scanned_to: the last ``as_of`` scanned.
    """

    competency: str
    partner_id: str
    as_of: dt.date | None
    evaluation: Evaluation | None
    scanned_from: dt.date
    scanned_to: dt.date

    @property
    def met(self) -> bool:
        """Whether the competency is met at some scanned day."""
        return self.as_of is not None

    def describe(self) -> str:
        """Return a readable sentence."""
        if self.as_of is None:
            return (
                f"{self.partner_id} never meets {self.competency} in the data "
                f"(as of {self.scanned_from.isoformat()} .. {self.scanned_to.isoformat()})"
            )
        return f"{self.partner_id} first meets {self.competency} as of {self.as_of.isoformat()}"


@attrs.frozen
class Projection:
    """The first future month a competency would be met, if the data went on as assumed.

    A projection, not a forecast: it holds only under ``assumption`` (see
    ``project_qualification``).

    Attributes:
        competency: the competency's name.
        partner_id: the partner.
        from_as_of: the day the projection starts from (the ``as_of`` given).
        as_of: the first ``as_of`` day (a first of month) at which it would be met, or ``None``
            when it would not be met by ``scanned_to``.
        evaluation: the projected evaluation at that day (built on projected records), or
            ``None``.
        scanned_to: the last ``as_of`` scanned.
        assumption: what the projected records assume, in words.
        already_met: whether the competency is met on ``from_as_of`` on the data as it is.
    """

    competency: str
    partner_id: str
    from_as_of: dt.date
    as_of: dt.date | None
    evaluation: Evaluation | None
    scanned_to: dt.date
    assumption: str
    already_met: bool = False

    @property
    def met(self) -> bool:
        """Whether the competency would be met by ``scanned_to`` (or is met already)."""
        return self.already_met or self.as_of is not None

    def describe(self) -> str:
        """Return a readable sentence that states the projection and its assumption."""
        if self.already_met:
            return (
                f"{self.partner_id} already meets {self.competency} as of "
                f"{self.from_as_of.isoformat()}: nothing to project"
            )
        if self.as_of is None:
            return (
                f"Projection: {self.partner_id} would not meet {self.competency} by "
                f"{self.scanned_to.isoformat()}, assuming {self.assumption}"
            )
        return (
            f"Projection: {self.partner_id} would first meet {self.competency} as of "
            f"{self.as_of.isoformat()}, assuming {self.assumption}"
        )
