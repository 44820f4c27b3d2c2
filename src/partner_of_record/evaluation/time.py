"""The evaluation time model: the measurement month and the windows measured from it.

A competency is evaluated *as of* a day. Its **measurement month** ``m`` is the last full
calendar month before that day: as of 2024-07-15 or 2024-07-01, ``m`` is June 2024 (data is
refreshed monthly, so the running month never counts). Windows are counted in whole months
back from ``m``:

* "trailing 12 months" is ``Trailing(12)``: the 12 months ending with ``m``;
* "same month last year" is ``m - 12``;
* "last 2 months" is ``Trailing(2)``: ``m - 1`` and ``m``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import attrs

from partner_of_record.errors import ValidationError

__all__ = ["Trailing", "Window", "add_months", "measurement_month", "qualification_window"]


def add_months(month: dt.date, n: int) -> dt.date:
    """Return the first day of the month ``n`` months after ``month``'s (``n`` may be negative).

    Args:
        month: a month (its first day; for rules, the reference month).
        n: how many months to add (negative: subtract).

    Returns:
        The first day of the resulting month.
    """
    index = month.year * 12 + (month.month - 1) + n
    return dt.date(index // 12, index % 12 + 1, 1)


def measurement_month(as_of: dt.date) -> dt.date:
    """Return the last full calendar month before ``as_of`` (its first day).

    Args:
        as_of: the day of the evaluation.

    Returns:
        The first day of the month before ``as_of``'s month.

    Raises:
        ValidationError: ``as_of`` is not a ``datetime.date``.
    """
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise ValidationError(
            "evaluation", "as_of", as_of, "is not a datetime.date", "pass datetime.date(2024, 7, 1)"
        )
    return add_months(as_of.replace(day=1), -1)


@attrs.frozen
class Window:
    """A half-open range of whole months ``[start, end)``.

    Attributes:
        start: the first day of the first month in the window.
        end: the first day of the first month after the window.
    """

    start: dt.date
    end: dt.date

    @property
    def months(self) -> tuple[dt.date, ...]:
        """The first days of the months in the window, oldest first."""
        out = []
        month = self.start
        while month < self.end:
            out.append(month)
            month = add_months(month, 1)
        return tuple(out)

    @property
    def last(self) -> dt.date:
        """The last month of the window."""
        return add_months(self.end, -1)

    def __contains__(self, month: object) -> bool:
        return isinstance(month, dt.date) and self.start <= month < self.end

    def describe(self) -> str:
        """Return a label such as ``2023-07..2024-06``."""
        if add_months(self.start, 1) == self.end:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m}..{self.last:%Y-%m}"


def _check_positive(inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(type(inst).__name__, attribute.name, value, "is not an integer >= 1")


def _check_int(inst: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(type(inst).__name__, attribute.name, value, "is not an integer >= 0")


@attrs.frozen
class Trailing:
    """A window of ``months`` whole months ending ``lag`` months before a reference month.

    ``Trailing(12)`` is the trailing twelve months ending with the measurement month;
    ``Trailing(1, lag=12)`` is the same month a year earlier.

    Attributes:
        months: how many months the window spans (at least 1).
        lag: how many months before the reference month the window ends (0: it ends with it).
    """

    months: int = attrs.field(default=12, validator=_check_positive)
    lag: int = attrs.field(default=0, validator=_check_int)

    def at(self, month: dt.date) -> Window:
        """Return the concrete window for reference month ``month``.

        Args:
            month: the reference (measurement) month.

        Returns:
            The window of ``months`` months whose last month is ``month - lag``.
        """
        end = add_months(month, 1 - self.lag)
        return Window(add_months(end, -self.months), end)

    def describe(self) -> str:
        """Return a label such as ``trailing 12 months``."""
        text = f"trailing {self.months} month{'s' if self.months != 1 else ''}"
        if self.lag:
            text += f" ending {self.lag} month{'s' if self.lag != 1 else ''} earlier"
        return text


def qualification_window(
    day: dt.date, rule: Literal["2023", "full_months"] = "2023"
) -> tuple[dt.date, dt.date]:
    """Return the Solutions Partner qualification window around ``day`` (inclusive bounds).

    A designation is kept when the score is met on any day of the window. The sources disagree:

    * ``"2023"`` (default; 2023 text, "current month and previous five months"): from the same
      day five months earlier to ``day`` - on 2023-08-15: 2023-03-15 to 2023-08-15 (a day that
      does not exist five months earlier becomes that month's last day);
    * ``"full_months"`` (a later page, "previous five full calendar months"): from the first
      day five months earlier to the last day of ``day``'s month - anniversary 2024-08-15:
      2024-03-01 to 2024-08-31.

    Args:
        day: the evaluation (or anniversary) day.
        rule: which text to follow.

    Returns:
        ``(first day, last day)`` of the window, both inclusive.

    Raises:
        ValueError: ``rule`` is not one of the two.
    """
    start_month = add_months(day.replace(day=1), -5)
    if rule == "2023":
        last = add_months(start_month, 1) - dt.timedelta(days=1)
        return (start_month.replace(day=min(day.day, last.day)), day)
    if rule == "full_months":
        return (start_month, add_months(day.replace(day=1), 1) - dt.timedelta(days=1))
    msg = f"qualification_window: rule {rule!r} is not '2023' or 'full_months'"
    raise ValueError(msg)
