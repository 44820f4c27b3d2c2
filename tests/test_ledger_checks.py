"""The ledger's structural checks: one named function each, in one tuple, with literal codes."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re

from partner_of_record.ledger import Ledger, _check, _structural
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Workload,
)
from partner_of_record.rules import STRUCTURAL_CODES

_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _literal_codes(source: str) -> set[str]:
    """Every ``UPPER_SNAKE`` string literal of ``source``."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _CODE.match(node.value)
    }


def test_each_structural_check_is_a_named_documented_function() -> None:
    """``STRUCTURAL_CHECKS`` lists distinct module-level functions, each with a docstring."""
    checks = _structural.STRUCTURAL_CHECKS
    assert len(set(checks)) == len(checks)
    for check in checks:
        assert inspect.isfunction(check)
        assert getattr(_structural, check.__name__) is check
        assert inspect.getdoc(check)


def test_the_checks_write_exactly_the_documented_structural_codes() -> None:
    """The codes written as literals by the checks are the keys of ``STRUCTURAL_CODES``."""
    written = _literal_codes(inspect.getsource(_structural)) | _literal_codes(
        inspect.getsource(_check)
    )
    assert written == set(STRUCTURAL_CODES)


def test_the_codes_are_found_where_each_check_is_built() -> None:
    """Grepping a code finds the check that emits it: each code is in its check's source."""
    sources = {c.__name__: inspect.getsource(c) for c in _structural.STRUCTURAL_CHECKS}
    homes = {
        "DUPLICATE_ID": "unique_partner_ids",
        "DUPLICATE_ASSOCIATION": "distinct_associations",
        "DUPLICATE_USAGE": "unique_usage_keys",
        "DUPLICATE_SEATS": "unique_seat_keys",
        "UNKNOWN_CUSTOMER": "known_customers",
        "UNKNOWN_PARTNER": "known_link_targets",
        "UNKNOWN_SUBSCRIPTION": "known_usage_subscriptions",
    }
    for code, home in homes.items():
        assert f'"{code}"' in sources[home], (code, home)


def test_a_rule_after_the_checks_does_not_see_a_rejected_record() -> None:
    """A DPOR naming an unknown subscription is rejected by a check, not also by a rule."""
    day = dt.date(2024, 1, 1)
    result = Ledger.lenient(
        [Partner("P1")],
        [Customer("C1")],
        [Subscription("S1", "C1", Workload.AZURE)],
        [
            Association("P1", "S1", AssociationKind.DPOR, day),
            Association("P1", "S9", AssociationKind.DPOR, day),
        ],
    )
    assert [f.code for f in result.findings] == ["UNKNOWN_SUBSCRIPTION"]
    assert [r.record.subscription_id for r in result.rejected] == ["S9"]
