"""JSON serialization: round trips, exact amounts, and errors that name their JSON path."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.errors import LedgerError, PartnerOfRecordError
from partner_of_record.io import (
    Problem,
    SerializationError,
    from_dict,
    from_json,
    register_hooks,
    to_dict,
    to_json,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)
from strategies import (
    LedgerFacts,
    associations,
    customers,
    ledger_facts,
    partners,
    seat_usages,
    subscriptions,
    usages,
)

RECORD_STRATEGIES = [
    pytest.param(partners(), id="Partner"),
    pytest.param(customers(), id="Customer"),
    pytest.param(subscriptions(), id="Subscription"),
    pytest.param(associations(), id="Association"),
    pytest.param(usages(), id="Usage"),
    pytest.param(seat_usages(), id="SeatUsage"),
]

LEDGER_FIELDS = ("partners", "customers", "subscriptions", "associations", "usage", "seats")


def _small_ledger_data() -> dict[str, Any]:
    """A valid ledger as plain data: 2 partners, 1 customer, 1 Azure subscription, 4 links."""
    ledger = Ledger(
        partners=[Partner("P1"), Partner("P2")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[
            Association(
                "P1", "S1", AssociationKind.DPOR, dt.date(2024, 1, 15), dt.date(2024, 3, 2)
            ),
            Association("P2", "S1", AssociationKind.DPOR, dt.date(2024, 3, 2)),
            Association("P1", "S1", AssociationKind.PAL, dt.date(2024, 2, 10)),
            Association("P2", "S1", AssociationKind.PAL, dt.date(2024, 2, 11)),
        ],
        usage=[Usage("S1", dt.date(2024, 2, 1), Decimal("120.50"))],
    )
    data = to_dict(ledger)
    assert isinstance(data, dict)
    return data


def _problems(excinfo: pytest.ExceptionInfo[SerializationError]) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# --------------------------------------------------------------------------------------------
# round trips


@pytest.mark.parametrize("strategy", RECORD_STRATEGIES)
@given(data=st.data())
def test_every_record_type_round_trips(
    strategy: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    """from_json(to_json(x), type(x)) == x for every record type, exponents included."""
    value = data.draw(strategy)
    back = from_json(to_json(value), type(value))
    assert back == value
    assert repr(back) == repr(value)  # Decimal('12.30') and Decimal('12.3') differ here


@pytest.mark.parametrize("strategy", RECORD_STRATEGIES)
@given(data=st.data())
def test_to_dict_is_plain_json_data(strategy: st.SearchStrategy[Any], data: st.DataObject) -> None:
    """to_dict yields only JSON types (no float, date or Decimal) and from_dict reads it back."""
    value = data.draw(strategy)
    plain = to_dict(value)

    def walk(node: object) -> None:
        if isinstance(node, dict):
            assert all(isinstance(k, str) for k in node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        else:
            assert node is None or type(node) in (str, int, bool)

    walk(plain)
    assert from_dict(plain, type(value)) == value


@given(ledger_facts(currencies=("USD", "JPY", "KWD")))
def test_ledgers_round_trip(facts: LedgerFacts) -> None:
    """A whole ledger round-trips: every record tuple is equal, in order, exponents included."""
    ledger = facts.to_ledger()
    back = from_json(to_json(ledger), Ledger)
    for name in LEDGER_FIELDS:
        assert repr(getattr(back, name)) == repr(getattr(ledger, name))
        assert getattr(back, name) == getattr(ledger, name)


@given(st.lists(usages(), max_size=5).map(tuple))
def test_tuples_of_records_round_trip(rows: tuple[Usage, ...]) -> None:
    """A tuple of records is a JSON array and reads back as an equal tuple."""
    text = to_json(rows)
    assert isinstance(json.loads(text), list)
    assert from_json(text, tuple[Usage, ...]) == rows


@given(st.frozensets(st.sampled_from(AssociationKind)), st.randoms())
def test_frozensets_of_enums_are_sorted_value_lists(
    kinds: frozenset[AssociationKind], rnd: Any
) -> None:
    """A frozenset of enums is the sorted list of their values, whatever the insertion order."""
    shuffled = list(kinds)
    rnd.shuffle(shuffled)
    text = to_json(frozenset(shuffled))
    assert json.loads(text) == sorted(k.value for k in kinds)
    assert from_json(text, frozenset[AssociationKind]) == kinds


@pytest.mark.parametrize("amount", ["12.30", "0.000001", "1E+2", "-0.00", "5", "-1234567.890"])
def test_decimal_exponents_are_preserved(amount: str) -> None:
    """An amount is written as its exact string and read back with the same exponent."""
    row = Usage("S1", dt.date(2024, 1, 1), Decimal(amount))
    plain = to_dict(row)
    assert plain["amount"] == amount
    back = from_json(to_json(row), Usage)
    assert back.amount.as_tuple() == Decimal(amount).as_tuple()


def test_json_numbers_are_read_exactly() -> None:
    """An amount written as a JSON number is read exactly, without a float round trip."""
    text = '{"subscription_id": "S1", "month": "2024-01-01", "amount": 0.10, "currency": "USD"}'
    assert from_json(text, Usage).amount.as_tuple() == Decimal("0.10").as_tuple()


def test_defaults_may_be_left_out_when_reading() -> None:
    """Fields with defaults (name, end, granted_by ...) may be absent from the JSON."""
    text = '{"partner_id": "P1", "subscription_id": "S1", "kind": "pal", "start": "2024-01-31"}'
    assert from_json(text, Association) == Association(
        "P1", "S1", AssociationKind.PAL, dt.date(2024, 1, 31)
    )


def test_a_ledger_may_omit_empty_lists() -> None:
    """A ledger object may leave out any of its six lists."""
    assert from_json('{"partners": [{"id": "P1"}]}', Ledger).partners == (Partner("P1"),)
    assert from_json("{}", Ledger).associations == ()


def test_values_are_written_in_their_documented_form() -> None:
    """Dates are ISO strings, enums their values, amounts strings, None null."""
    assoc = Association(
        "P1",
        "S1",
        AssociationKind.CSP_TIER1,
        dt.date(2024, 2, 29),
        None,
        granted_by=Actor.VENDOR,
    )
    written = json.loads(to_json(assoc))
    assert written == written | {
        "partner_id": "P1",
        "subscription_id": "S1",
        "kind": "csp_tier1",
        "start": "2024-02-29",
        "end": None,
        "granted_by": "vendor",
        "role": None,
        "recorded_on": None,
    }
    assert list(written) == [f.name for f in attrs.fields(Association)]  # every field written
    assert set(json.loads(to_json(Ledger()))) == set(LEDGER_FIELDS)


def test_to_json_indents_on_request() -> None:
    """to_json(indent=2) pretty-prints the same data."""
    row = SeatUsage("S1", dt.date(2024, 1, 1), 10, 4)
    assert "\n  " in to_json(row, indent=2)
    assert json.loads(to_json(row, indent=2)) == json.loads(to_json(row))


# --------------------------------------------------------------------------------------------
# errors


def test_unknown_key_names_its_path() -> None:
    """An unknown key is reported at its own path, with a suggestion when one is close."""
    data = _small_ledger_data()
    data["associations"][3]["knd"] = "pal"
    data["associations"][1]["colour"] = "red"
    with pytest.raises(SerializationError) as excinfo:
        from_json(json.dumps(data), Ledger)
    fields = ", ".join(f.name for f in attrs.fields(Association))
    assert _problems(excinfo) == [
        f"$.associations[1].colour: unknown key for Association; expected one of {fields}",
        '$.associations[3].knd: unknown key for Association (did you mean "kind"?)',
    ]


def test_unknown_ledger_key_names_the_ledger() -> None:
    """An unknown top-level key of a ledger is reported as a key of Ledger."""
    with pytest.raises(SerializationError) as excinfo:
        from_json('{"partner": []}', Ledger)
    assert _problems(excinfo) == ['$.partner: unknown key for Ledger (did you mean "partners"?)']


def test_wrong_enum_value_names_its_path() -> None:
    """A wrong enum value is reported at $.associations[3].kind with the accepted values."""
    data = _small_ledger_data()
    data["associations"][3]["kind"] = "DPOR "
    with pytest.raises(SerializationError) as excinfo:
        from_json(json.dumps(data), Ledger)
    assert _problems(excinfo) == [
        '$.associations[3].kind: string "DPOR " is not a valid AssociationKind; expected one of '
        '"dpor", "transacting", "csp_tier1", "csp_tier2", "dap", "gdap", "pal", "cpor", '
        '"lighthouse" (did you mean "dpor"?)'
    ]
    assert excinfo.value.target == "Ledger"


def test_wrong_types_are_not_coerced() -> None:
    """Numbers are not strings, strings are not counts, floats are not amounts."""
    text = json.dumps(
        {"subscription_id": 7, "month": "2024-01-01", "paid_seats": "3", "active_users": True}
    )
    with pytest.raises(SerializationError) as excinfo:
        from_json(text, SeatUsage)
    assert _problems(excinfo) == [
        "$.subscription_id: expected a string, got number 7",
        '$.paid_seats: expected an integer, got string "3"',
        "$.active_users: expected an integer, got boolean true",
    ]
    with pytest.raises(SerializationError) as excinfo:
        from_dict({"subscription_id": "S1", "month": "2024-01-01", "amount": 0.1}, Usage)
    assert _problems(excinfo) == [
        "$.amount: expected an exact decimal, got the float 0.1; write it as a string"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"2024-1-05"', 'expected an ISO date string YYYY-MM-DD, got string "2024-1-05"'),
        ('"20240105"', 'expected an ISO date string YYYY-MM-DD, got string "20240105"'),
        ("20240105", "expected an ISO date string YYYY-MM-DD, got number 20240105"),
        ('"2024-02-30"', '"2024-02-30" is not a valid date (day is out of range for month)'),
    ],
)
def test_bad_dates_are_refused(value: str, message: str) -> None:
    """Only exact YYYY-MM-DD strings of real days are dates."""
    text = f'{{"partner_id": "P1", "subscription_id": "S1", "kind": "pal", "start": {value}}}'
    with pytest.raises(SerializationError) as excinfo:
        from_json(text, Association)
    assert _problems(excinfo) == [f"$.start: {message}"]


@pytest.mark.parametrize("amount", ['"12,30"', '"1_000"', '"NaN"', '"Infinity"', "null", "[]"])
def test_bad_amounts_are_refused(amount: str) -> None:
    """An amount must be a plain finite decimal."""
    text = f'{{"subscription_id": "S1", "month": "2024-01-01", "amount": {amount}}}'
    with pytest.raises(SerializationError) as excinfo:
        from_json(text, Usage)
    assert [p.path for p in excinfo.value.problems] == ["$.amount"]
    assert excinfo.value.problems[0].message.startswith('expected a decimal string such as "12.30"')


def test_model_validation_errors_name_the_field_path() -> None:
    """A value the model refuses is reported at its field's path with the model's message."""
    data = _small_ledger_data()
    data["usage"][0]["month"] = "2024-02-14"
    data["associations"][0]["end"] = "2024-01-15"
    with pytest.raises(SerializationError) as excinfo:
        from_json(json.dumps(data), Ledger)
    assert _problems(excinfo) == [
        "$.associations[0].end: Association.end: datetime.date(2024, 1, 15) is not after start "
        "2024-01-15; an association is in effect on the days start <= day < end",
        "$.usage[0].month: Usage.month: datetime.date(2024, 2, 14) is not the first day of a "
        "month (did you mean 2024-02-01?)",
    ]


def test_missing_fields_and_wrong_shapes_name_their_path() -> None:
    """A missing required key, a non-object record and a non-array list are each located."""
    data = _small_ledger_data()
    del data["associations"][2]["kind"]
    data["usage"] = {"S1": "120.50"}
    data["partners"].append("P3")
    with pytest.raises(SerializationError) as excinfo:
        from_json(json.dumps(data), Ledger)
    assert _problems(excinfo) == [
        '$.partners[2]: expected an object, got string "P3"',
        "$.associations[2].kind: required field missing",
        "$.usage: expected an array, got an object",
    ]


@given(ledger_facts(min_subscriptions=1, min_partners=1), st.data())
def test_error_paths_point_at_the_broken_association(
    facts: LedgerFacts, data: st.DataObject
) -> None:
    """Breaking the kind of association i of any ledger reports exactly $.associations[i].kind."""
    plain = to_dict(facts.to_ledger())
    if not plain["associations"]:
        plain["associations"].append(to_dict(data.draw(associations())))
    index = data.draw(st.integers(0, len(plain["associations"]) - 1))
    plain["associations"][index]["kind"] = 42
    with pytest.raises(SerializationError) as excinfo:
        from_dict(plain, Ledger)
    assert [p.path for p in excinfo.value.problems] == [f"$.associations[{index}].kind"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "P1",\n "name": }', "invalid JSON: Expecting value at line 2 column 10"),
        ("", "invalid JSON: Expecting value at line 1 column 1"),
        ('{"id": "P1"} x', "invalid JSON: Extra data at line 1 column 14"),
        ('{"id": NaN}', "invalid JSON: NaN is not a number JSON allows"),
    ],
)
def test_invalid_json_names_line_and_column(text: str, message: str) -> None:
    """Text that is not JSON raises a SerializationError at $ naming where it broke."""
    with pytest.raises(SerializationError) as excinfo:
        from_json(text, Partner)
    assert excinfo.value.problems == (Problem("$", message),)


def test_serialization_error_is_a_project_value_error() -> None:
    """SerializationError is a PartnerOfRecordError and a ValueError whose text lists problems."""
    with pytest.raises(SerializationError) as excinfo:
        from_json('{"id": 1, "nam": ""}', Partner)
    error = excinfo.value
    assert isinstance(error, PartnerOfRecordError)
    assert isinstance(error, ValueError)
    assert str(error) == (
        "2 problems reading Partner:\n"
        "  - $.id: expected a string, got number 1\n"
        '  - $.nam: unknown key for Partner (did you mean "name"?)'
    )


def test_ledger_rule_violations_raise_ledger_error() -> None:
    """Well-formed facts that break the ledger's checks raise the LedgerError unchanged."""
    data = _small_ledger_data()
    data["associations"][0]["partner_id"] = "P9"
    with pytest.raises(LedgerError) as excinfo:
        from_json(json.dumps(data), Ledger)
    assert [f.code for f in excinfo.value.findings] == ["UNKNOWN_PARTNER"]


# --------------------------------------------------------------------------------------------
# other types


@attrs.frozen
class _Result:
    """A result-like attrs class, as attribution and evaluation define them."""

    total: Decimal
    month: dt.date
    kinds: frozenset[AssociationKind]
    association: Association
    per_partner: dict[str, Decimal]
    share: Fraction
    flag: bool
    note: str | None = None


@given(
    st.builds(
        _Result,
        total=st.decimals(allow_nan=False, allow_infinity=False),
        month=st.dates(),
        kinds=st.frozensets(st.sampled_from(AssociationKind)),
        association=associations(),
        share=st.fractions(),
        flag=st.booleans(),
        per_partner=st.dictionaries(
            st.text(), st.decimals(allow_nan=False, allow_infinity=False, places=2)
        ),
        note=st.none() | st.text(),
    )
)
def test_plain_attrs_classes_round_trip_without_registration(result: _Result) -> None:
    """Any attrs class built from supported types round-trips with no hooks registered."""
    text = to_json(result)
    back = from_json(text, _Result)
    assert back == result
    assert to_json(back) == text  # amounts keep their exponent


class _Money:
    """A non-attrs type that needs hooks."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Money) and other.text == self.text

    __hash__ = None  # type: ignore[assignment]


def _structure_money(value: object, _: object) -> _Money:
    if not isinstance(value, str):
        raise TypeError("expected money text")
    return _Money(value)


def test_register_hooks_teaches_the_converter_a_type() -> None:
    """register_hooks adds a type; its hook's errors are reported at the value's path."""
    register_hooks(_Money, structure=_structure_money, unstructure=lambda m: m.text)
    assert to_json((_Money("1 USD"),)) == '["1 USD"]'
    assert from_json('["1 USD"]', tuple[_Money, ...]) == (_Money("1 USD"),)
    with pytest.raises(SerializationError) as excinfo:
        from_json('["1 USD", 2]', tuple[_Money, ...])
    assert [p.path for p in excinfo.value.problems] == ["$[1]"]
    with pytest.raises(TypeError, match="needs a structure or an unstructure hook"):
        register_hooks(_Money)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"1/0"', '"1/0" divides by zero'),
        ('"0.5"', 'expected a fraction string such as "1/3", got string "0.5"'),
        ("0.5", 'expected a fraction string such as "1/3", got number 0.5'),
    ],
)
def test_bad_fractions_are_refused(value: str, message: str) -> None:
    """A share must be an integer or an exact "n/d" string with a non-zero denominator."""
    with pytest.raises(SerializationError) as excinfo:
        from_json(f"[{value}]", tuple[Fraction, ...])
    assert _problems(excinfo) == [f"$[0]: {message}"]


def test_leaf_types_accept_exact_json_numbers_only() -> None:
    """Integers are exact amounts and shares; booleans are not integers; NaN is no amount."""
    assert from_json("[5, -2]", tuple[Decimal, ...]) == (Decimal(5), Decimal(-2))
    assert from_json("[3]", tuple[Fraction, ...]) == (Fraction(3),)
    assert from_json("[true, false]", tuple[bool, ...]) == (True, False)
    with pytest.raises(SerializationError) as excinfo:
        from_dict([1, Decimal("NaN")], tuple[bool, ...])
    assert _problems(excinfo) == [
        "$[0]: expected true or false, got number 1",
        "$[1]: expected true or false, got number NaN",
    ]
    with pytest.raises(SerializationError) as excinfo:
        from_dict([Decimal("NaN"), True], tuple[Decimal, ...])
    assert _problems(excinfo) == [
        "$[0]: expected a finite number, got NaN",
        '$[1]: expected a decimal string such as "12.30", got boolean true',
    ]


def test_unknown_keys_that_are_not_names_are_bracketed() -> None:
    """An unknown key that is not an identifier is written in brackets in its path."""
    with pytest.raises(SerializationError) as excinfo:
        from_json('{"id": "P1", "zz top": 1}', Partner)
    fields = ", ".join(f.name for f in attrs.fields(Partner))
    assert _problems(excinfo) == [f'$["zz top"]: unknown key for Partner; expected one of {fields}']


def test_evaluation_round_trips_without_its_evidence() -> None:
    """An Evaluation round-trips through JSON; its live credits evidence is not written."""
    from partner_of_record import Evaluation, evaluate_competency
    from partner_of_record.catalog import SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE
    from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

    partner = "4200517"
    evaluation = evaluate_competency(
        load_sample(),
        partner,
        SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
        as_of=SAMPLE_AS_OF,
        skills=SAMPLE_SKILLS[partner],
    )
    assert evaluation.credits is not None
    text = to_json(evaluation)
    assert '"credits"' not in text
    back = from_json(text, Evaluation)
    assert back == evaluation
    assert back.credits is None
