"""Credit policies: the built-ins, user policies, share validation and the registry."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import pytest

from partner_of_record import policies
from partner_of_record.attribution import PolicyError, attribute
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.policies import (
    DporOnly,
    EqualSplit,
    Policy,
    Priority,
    RecognizeAll,
    UnknownPolicyError,
    WeightedSplit,
)

D = dt.date
K = AssociationKind
JAN = D(2024, 1, 1)
USAGE = Usage("S1", JAN, "90.00", service="SQL")


def ledger_with(associations: list[Association], usage: list[Usage] | None = None) -> Ledger:
    """A ledger with partners P1..P4, one customer and one Azure subscription S1."""
    return Ledger(
        partners=[Partner(f"P{i}") for i in range(1, 5)],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=associations,
        usage=usage if usage is not None else [USAGE],
    )


def test_builtins_satisfy_the_policy_protocol() -> None:
    """Every built-in policy is a Policy (runtime-checkable protocol) with a name."""
    for policy in (
        RecognizeAll(),
        Priority(Priority.AZURE_USAGE_REPORT),
        EqualSplit(),
        WeightedSplit({K.PAL: 2, K.DPOR: 1}),
        DporOnly(),
    ):
        assert isinstance(policy, Policy)
        assert policy.name


def test_recognize_all_kinds_limits_which_kinds_count() -> None:
    """RecognizeAll(kinds={PAL}) ignores a DPOR and records only PAL as the earning kind."""
    active = [
        Association("P1", "S1", K.DPOR, JAN),
        Association("P2", "S1", K.PAL, JAN),
        Association("P2", "S1", K.DPOR, JAN),
    ]
    decision = RecognizeAll(kinds={K.PAL}).decide(USAGE, active)
    assert decision.shares() == {"P2": Fraction(1)}
    assert decision.awards[0].kinds == frozenset({K.PAL})
    assert "counting only PAL" in decision.rule
    assert RecognizeAll().shares(USAGE, active) == {"P1": 1, "P2": 1}


def test_priority_azure_order_is_pal_transacting_dpor_csp1_csp2() -> None:
    """Priority.AZURE_USAGE_REPORT is the Partner Center de-duplication order."""
    assert Priority.AZURE_USAGE_REPORT == (
        K.PAL,
        K.TRANSACTING,
        K.DPOR,
        K.CSP_TIER1,
        K.CSP_TIER2,
    )
    assert Priority(Priority.AZURE_USAGE_REPORT).name == "priority_azure_usage_report"
    assert Priority([K.DPOR, K.PAL]).name == "priority(dpor>pal)"


def test_priority_breaks_ties_owner_then_earliest_start_then_lowest_id() -> None:
    """Within one kind: Owner beats Contributor, then the earliest start, then the lowest id."""
    policy = Priority([K.PAL])
    owner_late = Association("P3", "S1", K.PAL, D(2023, 6, 1), role="Owner")
    contributor_early = Association("P1", "S1", K.PAL, D(2023, 1, 1), role="Contributor")
    assert policy.shares(USAGE, [contributor_early, owner_late]) == {"P3": 1}
    early = Association("P4", "S1", K.PAL, D(2023, 1, 1))
    late = Association("P2", "S1", K.PAL, D(2023, 2, 1))
    assert policy.shares(USAGE, [late, early]) == {"P4": 1}
    same_a = Association("P2", "S1", K.PAL, D(2023, 1, 1))
    same_b = Association("P1", "S1", K.PAL, D(2023, 1, 1))
    decision = policy.decide(USAGE, [same_a, same_b])
    assert decision.shares() == {"P1": 1}
    assert "P1 beats P2" in decision.rule


def test_priority_ignores_unlisted_kinds() -> None:
    """A kind missing from the order never wins; nobody is credited if only it is in effect."""
    policy = Priority([K.DPOR])
    assert policy.shares(USAGE, [Association("P1", "S1", K.PAL, JAN)]) == {}


def test_priority_order_is_validated() -> None:
    """An empty order, a repeated kind or a non-kind is refused."""
    with pytest.raises(ValueError, match="at least one"):
        Priority([])
    with pytest.raises(ValueError, match="twice"):
        Priority([K.PAL, K.PAL])
    with pytest.raises(TypeError, match="not an AssociationKind"):
        Priority(["pal"])  # type: ignore[list-item]


def test_dpor_only_credits_the_dpor_alone() -> None:
    """DporOnly (the pre-2017 rule) credits the DPOR in full and nobody else."""
    ledger = ledger_with(
        [Association("P1", "S1", K.PAL, JAN), Association("P2", "S1", K.DPOR, D(2024, 1, 11))]
    )
    credits = attribute(ledger, DporOnly())
    assert credits.totals() == {"P2": Decimal("60.97")}
    assert credits.unattributed_total() == Decimal("29.03")


def test_weighted_split_uses_the_largest_weight_of_each_partner() -> None:
    """WeightedSplit: PAL=2, DPOR=1; P1 holding PAL and DPOR weighs 2 against P2's 1."""
    policy = WeightedSplit({K.PAL: 2, K.DPOR: Decimal("1"), K.CSP_TIER1: 0})
    active = [
        Association("P1", "S1", K.PAL, JAN),
        Association("P1", "S1", K.DPOR, JAN),
        Association("P2", "S1", K.PAL, JAN, role="Reader"),
        Association("P3", "S1", K.CSP_TIER1, JAN),
    ]
    assert policy.shares(USAGE, active) == {"P1": Fraction(1, 2), "P2": Fraction(1, 2)}
    assert policy.shares(USAGE, active[1:2] + active[3:]) == {"P1": 1}
    assert policy.shares(USAGE, active[3:]) == {}


def test_weighted_split_weights_are_validated() -> None:
    """Weights must be exact, non-negative, on kinds, with at least one positive."""
    with pytest.raises(TypeError, match="not exact"):
        WeightedSplit({K.PAL: 0.5})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="negative"):
        WeightedSplit({K.PAL: -1})
    with pytest.raises(ValueError, match="positive"):
        WeightedSplit({K.PAL: 0})
    with pytest.raises(TypeError, match="AssociationKind"):
        WeightedSplit({"pal": 1})  # type: ignore[dict-item]


def test_equal_split_counts_each_partner_once() -> None:
    """EqualSplit gives 1/n to each of n partners, whatever kinds each holds."""
    active = [
        Association("P1", "S1", K.PAL, JAN),
        Association("P1", "S1", K.DPOR, JAN),
        Association("P2", "S1", K.PAL, JAN),
    ]
    assert EqualSplit().shares(USAGE, active) == {"P1": Fraction(1, 2), "P2": Fraction(1, 2)}
    assert EqualSplit(kinds=K.DPOR).shares(USAGE, active) == {"P1": 1}


def test_policies_have_a_replayable_repr() -> None:
    """A built-in's repr evaluates back to an equal policy."""
    for policy in (
        RecognizeAll(kinds={K.PAL}),
        Priority(Priority.AZURE_USAGE_REPORT),
        EqualSplit(),
        WeightedSplit({K.PAL: 2}),
        DporOnly(),
    ):
        namespace = {
            "RecognizeAll": RecognizeAll,
            "Priority": Priority,
            "EqualSplit": EqualSplit,
            "WeightedSplit": WeightedSplit,
            "DporOnly": DporOnly,
            "AssociationKind": K,
            "Fraction": Fraction,
            "frozenset": frozenset,
        }
        assert eval(repr(policy), namespace) == policy


# --------------------------------------------------------------------------- user policies


class ServiceAware:
    """A usage-dependent user policy: only SQL usage is credited, to every partner in effect."""

    name = "sql_only"

    def __init__(self) -> None:
        self.calls = 0

    def shares(self, usage: Usage, active: Sequence[Association]) -> Mapping[str, Fraction]:
        """Return a share of 1 per partner in effect for SQL usage, nothing otherwise."""
        self.calls += 1
        if usage.service != "SQL":
            return {}
        return {a.partner_id: Fraction(1) for a in active}


def test_user_policy_without_the_flag_is_asked_per_row_and_span() -> None:
    """A policy that may look at the usage row is called for every row and span."""
    ledger = ledger_with(
        [Association("P1", "S1", K.PAL, D(2024, 1, 11))],
        [USAGE, Usage("S1", JAN, "31.00", service="VM"), Usage("S1", D(2024, 2, 1), "5")],
    )
    policy = ServiceAware()
    credits = attribute(ledger, policy)
    assert policy.calls == 5  # two spans in January for two rows, one in February
    assert credits.totals() == {"P1": Decimal("60.97")}
    assert "sql_only: shares as returned by the policy" in next(iter(credits)).explanation.rule
    assert credits.reconcile().ok


class Fixed:
    """A user split policy that returns whatever shares it was given."""

    split: ClassVar[bool] = True

    def __init__(self, result: Mapping[str, Any], *, split: bool = True) -> None:
        self.result = result
        self.split = split  # type: ignore[misc]
        self.name = "fixed"

    def shares(self, usage: Usage, active: Sequence[Association]) -> Mapping[str, Any]:
        """Return the fixed shares."""
        return self.result if active else {}


def test_decimal_shares_are_accepted() -> None:
    """Decimal shares work like Fractions; a split of 0.25/0.75 conserves the cents."""
    ledger = ledger_with(
        [Association("P1", "S1", K.PAL, JAN), Association("P2", "S1", K.DPOR, JAN)]
    )
    credits = attribute(ledger, Fixed({"P1": Decimal("0.25"), "P2": Decimal("0.75")}))
    assert credits.totals() == {"P1": Decimal("22.50"), "P2": Decimal("67.50")}
    assert credits.reconcile().ok


@pytest.mark.parametrize(
    ("shares", "split", "message"),
    [
        ({"P1": Fraction(-1, 2), "P2": Fraction(3, 2)}, True, "negative"),
        ({"P9": Fraction(1)}, True, "'P9' has no association in effect"),
        ({"P2": Fraction(1, 2)}, True, "sum to 1/2, not 1"),
        ({"P1": 0.5}, False, "not a Fraction or Decimal"),
        ({"P2": Fraction(2)}, False, "above 1"),
        ({"P1": True}, False, "not a Fraction or Decimal"),
    ],
)
def test_bad_shares_raise_policy_error_naming_policy_row_and_span(
    shares: Mapping[str, Any], split: bool, message: str
) -> None:
    """Bad shares raise PolicyError naming the policy, the usage row and the span's dates."""
    ledger = ledger_with(
        [Association("P1", "S1", K.PAL, D(2024, 1, 11)), Association("P2", "S1", K.PAL, JAN)]
    )
    with pytest.raises(PolicyError, match=message) as info:
        attribute(ledger, Fixed(shares, split=split))
    error = info.value
    assert isinstance(error, ValueError)
    assert error.policy == "fixed"
    assert error.usage == USAGE.describe()
    assert (error.span_start, error.span_end) == (JAN, D(2024, 1, 11))
    assert "fixed" in str(error)
    assert "S1 2024-01 SQL 90.00 USD" in str(error)
    assert "[2024-01-01, 2024-01-11)" in str(error)


def test_shares_must_be_a_mapping() -> None:
    """A policy returning a list instead of a mapping gets a PolicyError."""
    ledger = ledger_with([Association("P1", "S1", K.PAL, JAN)])
    with pytest.raises(PolicyError, match="not a mapping"):
        attribute(ledger, Fixed([("P1", 1)]))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- registry


def test_get_finds_builtins_by_name() -> None:
    """policies.get(name) returns a new built-in policy for each built-in name."""
    assert policies.get("recognize_all") == RecognizeAll()
    assert policies.get("priority_azure_usage_report") == Priority(Priority.AZURE_USAGE_REPORT)
    assert policies.get("equal_split") == EqualSplit()
    assert policies.get("dpor_only") == DporOnly()
    assert set(policies.BUILTINS) <= set(policies.available())


def test_unknown_name_lists_available_and_suggests() -> None:
    """An unknown name raises UnknownPolicyError listing the names, with a 'did you mean'."""
    with pytest.raises(UnknownPolicyError, match="did you mean 'equal_split'") as info:
        policies.get("equal_splt")
    assert "recognize_all" in info.value.available
    assert isinstance(info.value, LookupError)
    with pytest.raises(UnknownPolicyError) as far:
        policies.get("zzzzzzzz")
    assert far.value.suggestion is None


class PluginPolicy:
    """A policy a plugin package would register."""

    name = "plugin_rule"

    def shares(self, usage: Usage, active: Sequence[Association]) -> Mapping[str, Fraction]:
        """Credit the alphabetically first partner in effect."""
        ids = sorted({a.partner_id for a in active})
        return {ids[0]: Fraction(1)} if ids else {}


def fake_entry_points(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """Make importlib.metadata.entry_points report one plugin policy, named ``plugin_rule``."""
    module = __name__
    ep = importlib.metadata.EntryPoint(
        name="plugin_rule", value=f"{module}:{target}", group=policies.ENTRY_POINT_GROUP
    )

    def entry_points(*, group: str) -> list[importlib.metadata.EntryPoint]:
        return [ep] if group == policies.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_get_finds_a_plugin_registered_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """A class registered in the entry-point group is found by name and instantiated."""
    fake_entry_points(monkeypatch, "PluginPolicy")
    assert "plugin_rule" in policies.available()
    policy = policies.get("plugin_rule")
    assert isinstance(policy, PluginPolicy)
    ledger = ledger_with(
        [Association("P2", "S1", K.PAL, JAN), Association("P1", "S1", K.DPOR, JAN)]
    )
    assert attribute(ledger, policy).totals() == {"P1": Decimal("90.00")}


PLUGIN_INSTANCE = PluginPolicy()


def make_nothing() -> object:
    """A factory a broken plugin might register: it makes no policy."""
    return object()


def test_get_accepts_a_registered_policy_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry point naming a policy object (not a class) returns that object."""
    fake_entry_points(monkeypatch, "PLUGIN_INSTANCE")
    assert policies.get("plugin_rule") is PLUGIN_INSTANCE


def test_get_refuses_a_registered_non_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry point that yields no policy raises a TypeError naming the entry point."""
    fake_entry_points(monkeypatch, "make_nothing")
    with pytest.raises(TypeError, match="plugin_rule"):
        policies.get("plugin_rule")


class Third:
    """A recognising user policy that computes an inexact Decimal share (1/3 to 28 digits)."""

    name = "third"

    def shares(self, usage: Usage, active: Sequence[Association]) -> Mapping[str, Decimal]:
        """Return one third, computed with Decimal division."""
        return {a.partner_id: Decimal(1) / Decimal(3) for a in active}


def test_user_policy_runs_in_the_callers_decimal_context() -> None:
    """A policy may do inexact Decimal arithmetic: the engine's exact context does not leak."""
    ledger = ledger_with([Association("P1", "S1", K.PAL, JAN)])
    assert attribute(ledger, Third()).totals() == {"P1": Decimal("30.00")}


class OnlyLowestPartner(RecognizeAll):
    """A subclass of a built-in that overrides ``decide``: only the lowest partner id counts."""

    def decide(self, usage: Usage, active: Sequence[Association]) -> policies.Decision:
        """Return the built-in's awards, keeping the lowest partner id only."""
        decision = super().decide(usage, active)
        return policies.Decision(decision.awards[:1], "OnlyLowestPartner")


class HalfEach(EqualSplit):
    """A subclass of a split that overrides ``shares`` only."""

    def shares(self, usage: Usage, active: Sequence[Association]) -> dict[str, Fraction]:
        """Give the lowest partner everything."""
        held = sorted({a.partner_id for a in active})
        return {held[0]: Fraction(1)} if held else {}


def test_a_subclass_overriding_decide_or_shares_is_honoured() -> None:
    """The engine asks the subclass's own decide/shares (no private fast path of the parent)."""
    ledger = ledger_with(
        [
            Association("P1", "S1", K.PAL, D(2023, 1, 1)),
            Association("P2", "S1", K.DPOR, D(2023, 1, 1)),
        ]
    )
    assert attribute(ledger, RecognizeAll()).totals() == {
        "P1": Decimal("90.00"),
        "P2": Decimal("90.00"),
    }
    assert attribute(ledger, OnlyLowestPartner()).totals() == {"P1": Decimal("90.00")}
    assert attribute(ledger, HalfEach()).totals() == {"P1": Decimal("90.00")}
    credit = next(iter(attribute(ledger, OnlyLowestPartner())))
    assert credit.explanation.rule == "OnlyLowestPartner"


def test_a_subclass_declaring_its_decision_fields_is_asked_once_per_distinct_set() -> None:
    """decision_fields declared by the overriding class are honoured: one question for two
    subscriptions holding the same partner and kind; without them, one per segment."""
    calls: list[int] = []

    class Counting(RecognizeAll):
        def decide(self, usage: Usage, active: Sequence[Association]) -> policies.Decision:
            calls.append(len(active))
            return super().decide(usage, active)

    class CountingShared(Counting):
        decision_fields: ClassVar[tuple[str, ...]] = ("partner_id", "kind")

    ledger = Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription(s, "C1", Workload.AZURE) for s in ("S1", "S2")],
        associations=[
            Association("P1", s, K.PAL, D(2023, 1, d)) for s, d in (("S1", 1), ("S2", 5))
        ],
        usage=[Usage(s, JAN, "1.00") for s in ("S1", "S2")],
    )
    assert attribute(ledger, Counting()).totals() == {"P1": Decimal("2.00")}
    assert calls == [1, 1]
    calls.clear()
    assert attribute(ledger, CountingShared()).totals() == {"P1": Decimal("2.00")}
    assert calls == [1]


@pytest.mark.parametrize(
    "policy",
    [RecognizeAll(), DporOnly(), EqualSplit(), WeightedSplit({K.DPOR: 1})],
    ids=lambda p: p.name,
)
def test_the_kind_based_builtins_are_asked_once_per_shape_of_set(
    policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The built-ins that decide from the kinds held declare trusted ``decision_fields`` and
    ``decision_ranks``: three subscriptions, each with its own partner's DPOR, get one
    question (the answers differ only by the partner's rank) and each partner its amount."""
    from partner_of_record.attribution import policies as home

    asked: list[int] = []
    kinds_by_partner = home._kinds_by_partner

    def counting(active: Sequence[Association], kinds: Any) -> Any:
        asked.append(len(active))
        return kinds_by_partner(active, kinds)

    monkeypatch.setattr(home, "_kinds_by_partner", counting)
    subs = ("S1", "S2", "S3")
    ledger = Ledger(
        partners=[Partner(f"P{i}") for i in range(1, 4)],
        customers=[Customer("C1")],
        subscriptions=[Subscription(s, "C1", Workload.AZURE) for s in subs],
        associations=[
            Association(f"P{i}", s, K.DPOR, D(2023, 1, i)) for i, s in enumerate(subs, 1)
        ],
        usage=[Usage(s, JAN, f"{i}.00") for i, s in enumerate(subs, 1)],
    )
    assert attribute(ledger, policy).totals() == {f"P{i}": Decimal(f"{i}.00") for i in range(1, 4)}
    assert asked == [1]
