"""A partner's evaluation, and every partner's at once (internal).

``Evaluation`` is what ``evaluate_competency`` returns (the result tree, the findings, the
evidence, readable as text, HTML or a DataFrame); ``Evaluations`` is what ``evaluate_all``
returns: a ``dict`` whose evaluations are built when first read.
Re-exported by ``partner_of_record.evaluation.results``.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Callable, Iterator, KeysView, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.errors import Finding
from partner_of_record.evaluation._quantities import format_quantity, score_need, trim_number
from partner_of_record.evaluation._result_tree import (
    RequirementResult,
    UnknownRequirementError,
    leaves_of_interest,
)
from partner_of_record.model import PartnerId

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

__all__ = ["PANDAS_EXTRA_HINT", "Evaluation", "Evaluations"]


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
            requirements=leaves_of_interest(result),
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
            score = f", score {self.score} of {trim_number(self.max_score or Decimal(0))}"
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
