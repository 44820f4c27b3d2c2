"""Tests that kill the model mutants which survived the mutation sample of issue 18.

``benchmarks/mutation.sh`` (seed 2026) left these model mutants alive; each test states the law
or the documented behaviour the mutant breaks, and names the mutant in its docstring.
"""

from __future__ import annotations

import datetime as dt
import inspect
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record import Association, Subscription, Usage, ValidationError
from partner_of_record.model import CURRENCIES, month_end, month_start

MONTHS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9998, 12, 31)).map(month_start)


@given(month=MONTHS)
def test_month_end_is_the_first_day_of_the_next_month(month: dt.date) -> None:
    """Law: month_end(m) is the 1st of the next month; its day before lies in m's month.

    Mutant: ``if month.month == 12`` -> ``== 13`` (December overflowed to month 13)."""
    end = month_end(month)
    assert end.day == 1
    assert end > month
    assert month_start(end - dt.timedelta(days=1)) == month
    assert (end.year * 12 + end.month) - (month.year * 12 + month.month) == 1


def test_month_end_of_december_is_january() -> None:
    """December ends on 1 January of the next year (the year boundary, named explicitly)."""
    assert month_end(dt.date(2024, 12, 1)) == dt.date(2025, 1, 1)


@given(code=st.sampled_from(sorted(CURRENCIES)), pad=st.sampled_from(["", " ", "  "]))
def test_a_currency_in_the_wrong_case_suggests_the_code(code: str, pad: str) -> None:
    """A known code in lower case or padded is rejected with "did you mean 'EUR'?"."""
    with pytest.raises(ValidationError) as info:
        Usage("S1", dt.date(2024, 1, 1), Decimal(1), pad + code.lower() + pad)
    assert info.value.suggestion == f"did you mean {code!r}?"


@pytest.mark.parametrize("value", ["XYZ", "", "U S D", 5, None, Decimal(1)])
def test_an_unknown_currency_is_a_validation_error_without_a_hint(value: object) -> None:
    """An unknown code or a non-string is a ValidationError naming the field, with no hint.

    Mutant: the hint's ``isinstance(value, str) and ...`` -> ``or`` (a hint for every string,
    an AttributeError for a non-string)."""
    with pytest.raises(ValidationError) as info:
        Usage("S1", dt.date(2024, 1, 1), Decimal(1), value)  # type: ignore[arg-type]
    assert info.value.field == "currency"
    assert info.value.suggestion is None


@pytest.mark.parametrize(
    ("cls", "names"),
    [
        (Subscription, ("name", "offer")),
        (Association, ("role", "recorded_on", "auto_extend_days")),
        (Usage, ()),
    ],
)
def test_optional_fields_are_keyword_only(cls: type, names: tuple[str, ...]) -> None:
    """The documented optional fields are keyword-only, so positional calls cannot shift them.

    Mutants: ``kw_only=True`` -> ``False`` on ``Subscription.offer``,
    ``Association.recorded_on`` and ``Association.auto_extend_days``."""
    parameters = inspect.signature(cls).parameters
    for name in names:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name


def test_positional_extra_arguments_are_refused() -> None:
    """``Association(p, s, kind, start, end, <date>)`` is a TypeError, not a recorded_on."""
    from partner_of_record import AssociationKind, Workload

    with pytest.raises(TypeError):
        Association(  # type: ignore[misc]
            "P1", "S1", AssociationKind.DPOR, dt.date(2024, 1, 1), None, dt.date(2024, 2, 1)
        )
    with pytest.raises(TypeError):
        Subscription("S1", "C1", Workload.AZURE, "name")  # type: ignore[misc]
