"""Program rules: each built-in rule, the shipped rule sets, and RuleSet as a value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

import attrs
import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.errors import Finding, LedgerError
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.rules import (
    DEFAULT_RULES,
    FINDING_CODES,
    MICROSOFT_2017,
    MICROSOFT_2023,
    MICROSOFT_ALL_ERAS,
    STRUCTURAL_CODES,
    ExclusiveKind,
    Facts,
    GrantedBy,
    KindNotOnWorkloads,
    KindOnlyOnWorkloads,
    MaxDuration,
    OneDayGap,
    RequiresEnd,
    Rule,
    RuleSet,
)

D = dt.date
K = AssociationKind
W = Workload

SUBS = (
    Subscription("S-AZ", "C1", W.AZURE),
    Subscription("S-AZ2", "C1", W.AZURE),
    Subscription("S-O365", "C1", W.OFFICE_365),
    Subscription("S-M365", "C1", W.MICROSOFT_365),
    Subscription("S-M365B", "C1", W.MICROSOFT_365),
    Subscription("S-OTHER", "C2", W.MICROSOFT_365),
)
PARTNERS = tuple(Partner(p) for p in ("P1", "P2", "P3"))
CUSTOMERS = (Customer("C1"), Customer("C2"))


def index_facts(
    associations: Iterable[Association],
    partners: Iterable[Partner],
    customers: Iterable[Customer],
    subscriptions: Iterable[Subscription],
) -> Facts:
    """Index the associations over the given records, as the ledger would."""
    ordered = tuple(sorted(associations, key=lambda a: (a.start, a.kind.value, a.partner_id)))
    by_sub: dict[str, list[Association]] = {}
    by_kind: dict[AssociationKind, list[Association]] = {}
    for a in ordered:
        by_sub.setdefault(a.subscription_id, []).append(a)
        by_kind.setdefault(a.kind, []).append(a)
    return Facts(
        partners={p.id: p for p in partners},
        customers={c.id: c for c in customers},
        subscriptions={s.id: s for s in subscriptions},
        associations=ordered,
        by_subscription={k: tuple(v) for k, v in by_sub.items()},
        by_kind={k: tuple(v) for k, v in by_kind.items()},
    )


def facts(*associations: Association) -> Facts:
    """Index the associations over the fixed subscriptions, as the ledger would."""
    return index_facts(associations, PARTNERS, CUSTOMERS, SUBS)


def check(rule: Rule, *associations: Association) -> list[Finding]:
    """Run one rule over the associations."""
    return list(rule.check(facts(*associations)))


def assoc(
    partner: str,
    sub: str,
    kind: AssociationKind,
    start: dt.date,
    end: dt.date | None = None,
    granted_by: Actor | None = None,
) -> Association:
    """Build an association tersely."""
    return Association(partner, sub, kind, start, end, granted_by=granted_by)


def ledger(*associations: Association, rules: RuleSet = DEFAULT_RULES) -> Ledger:
    """A strict ledger over the fixed partners, customers and subscriptions."""
    return Ledger(PARTNERS, CUSTOMERS, SUBS, associations, rules=rules)


# ------------------------------------------------------------------------------ KindOnlyOnWorkloads


def test_kind_only_on_workloads_names_the_association_and_workload() -> None:
    """A DPOR on a workload outside the list is one finding naming it and its workload."""
    rule = KindOnlyOnWorkloads(K.DPOR, [W.AZURE])
    bad = assoc("P1", "S-O365", K.DPOR, D(2024, 1, 1))
    good = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1))
    [finding] = check(rule, bad, good)
    assert finding.code == "DPOR_WORKLOAD"
    assert finding.subject[0] is bad
    assert bad.describe() in finding.message
    assert "OFFICE_365" in finding.message


def test_kind_only_on_workloads_ignores_other_kinds() -> None:
    """The restriction applies to its own kind only."""
    rule = KindOnlyOnWorkloads(K.DPOR, [W.AZURE])
    assert check(rule, assoc("P1", "S-O365", K.PAL, D(2024, 1, 1))) == []


# ------------------------------------------------------------------------------ KindNotOnWorkloads


@pytest.mark.parametrize("kind", [K.DAP, K.GDAP])
def test_admin_kinds_are_refused_on_azure(kind: AssociationKind) -> None:
    """DAP and GDAP on an Azure subscription are refused, naming the association."""
    a = assoc("P2", "S-AZ", kind, D(2024, 1, 1), D(2024, 3, 1))
    with pytest.raises(LedgerError) as info:
        ledger(a)
    [finding] = info.value.findings
    assert finding.code == "ADMIN_ON_AZURE"
    assert a.describe() in str(info.value)
    assert "'S-AZ'" in finding.message


def test_admin_kinds_are_allowed_off_azure() -> None:
    """DAP and GDAP on a Microsoft 365 subscription pass."""
    rule = KindNotOnWorkloads([K.DAP, K.GDAP], [W.AZURE])
    assert check(rule, assoc("P2", "S-M365", K.DAP, D(2024, 1, 1))) == []


# ------------------------------------------------------------------------------ ExclusiveKind


def test_overlapping_dpors_are_one_finding_naming_both() -> None:
    """Two DPORs in effect on the same day are one problem naming both associations."""
    first = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1))
    second = assoc("P2", "S-AZ", K.DPOR, D(2024, 3, 1), D(2024, 4, 1))
    with pytest.raises(LedgerError) as info:
        ledger(second, first)
    [finding] = info.value.findings
    assert finding.code == "DPOR_OVERLAP"
    assert finding.subject == (second, first)
    assert first.describe() in finding.message
    assert second.describe() in finding.message


def test_back_to_back_dpors_do_not_overlap() -> None:
    """A DPOR ending on the day the next starts is not an overlap (intervals are half-open)."""
    first = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1), D(2024, 3, 1))
    second = assoc("P2", "S-AZ", K.DPOR, D(2024, 3, 1))
    assert check(ExclusiveKind(K.DPOR), first, second) == []


def test_dpors_on_different_subscriptions_do_not_conflict() -> None:
    """Exclusivity is per subscription."""
    a = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1))
    b = assoc("P2", "S-AZ2", K.DPOR, D(2024, 1, 1))
    assert check(ExclusiveKind(K.DPOR), a, b) == []


def test_a_dpor_overlapping_a_rejected_one_is_judged_against_the_kept_one() -> None:
    """The sweep compares with the kept association, so a chain reports only true conflicts."""
    a = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1), D(2024, 2, 1))
    b = assoc("P2", "S-AZ", K.DPOR, D(2024, 1, 15), D(2024, 4, 1))
    c = assoc("P3", "S-AZ", K.DPOR, D(2024, 3, 1))
    findings = check(ExclusiveKind(K.DPOR), a, b, c)
    assert [f.subject for f in findings] == [(b, a)]


def test_cpor_allows_one_partner_per_tenant_and_workload() -> None:
    """Two partners claiming the same tenant and workload on the same day conflict."""
    a = assoc("P1", "S-M365", K.CPOR, D(2024, 1, 1))
    b = assoc("P2", "S-M365B", K.CPOR, D(2024, 2, 1))
    with pytest.raises(LedgerError) as info:
        ledger(a, b)
    [finding] = info.value.findings
    assert finding.code == "CPOR_OVERLAP"
    assert finding.subject == (b, a)
    assert "'C1'" in finding.message
    assert "MICROSOFT_365" in finding.message
    assert b.describe() in finding.message


def test_cpor_same_partner_on_several_subscriptions_is_fine() -> None:
    """The same partner may hold CPOR on several subscriptions of one tenant and workload."""
    a = assoc("P1", "S-M365", K.CPOR, D(2024, 1, 1))
    b = assoc("P1", "S-M365B", K.CPOR, D(2024, 2, 1))
    assert check(ExclusiveKind(K.CPOR, "tenant_workload"), a, b) == []


def test_cpor_other_tenant_or_workload_is_fine() -> None:
    """Claims on another tenant, or another workload of the tenant, do not conflict."""
    a = assoc("P1", "S-M365", K.CPOR, D(2024, 1, 1))
    b = assoc("P2", "S-OTHER", K.CPOR, D(2024, 1, 1))
    c = assoc("P3", "S-O365", K.CPOR, D(2024, 1, 1))
    assert check(ExclusiveKind(K.CPOR, "tenant_workload"), a, b, c) == []


def test_cpor_holder_coverage_extends_over_its_subscriptions() -> None:
    """A later claim conflicts while any of the holder's claims in the scope is in effect."""
    a = assoc("P1", "S-M365", K.CPOR, D(2024, 1, 1), D(2024, 2, 1))
    b = assoc("P1", "S-M365B", K.CPOR, D(2024, 1, 10), D(2024, 6, 1))
    c = assoc("P2", "S-M365", K.CPOR, D(2024, 3, 1))
    d = assoc("P3", "S-M365", K.CPOR, D(2024, 7, 1))
    findings = check(ExclusiveKind(K.CPOR, "tenant_workload"), a, b, c, d)
    assert [f.subject for f in findings] == [(c, b)]


def test_exclusive_kind_refuses_an_unknown_scope() -> None:
    """A scope other than subscription or tenant_workload is refused at construction."""
    with pytest.raises(ValueError, match="scope"):
        ExclusiveKind(K.DPOR, "tenant")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ durations


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (D(2024, 1, 1), D(2026, 1, 1), True),
        (D(2024, 1, 1), D(2026, 1, 2), False),
        (D(2024, 2, 29), D(2026, 2, 28), True),
        (D(2024, 2, 29), D(2026, 3, 1), False),
        (D(2024, 1, 1), D(2024, 1, 2), True),
    ],
)
def test_gdap_lasts_at_most_two_years(start: dt.date, end: dt.date, ok: bool) -> None:
    """A GDAP may end at most two calendar years after it starts."""
    a = assoc("P1", "S-M365", K.GDAP, start, end)
    findings = check(MaxDuration(K.GDAP, relativedelta(years=2)), a)
    assert (findings == []) == ok
    if not ok:
        assert findings[0].code == "GDAP_TOO_LONG"
        assert a.describe() in findings[0].message
        assert "2 years" in findings[0].message


def test_gdap_must_have_an_end() -> None:
    """An open-ended GDAP is refused, naming the association."""
    a = assoc("P1", "S-M365", K.GDAP, D(2024, 1, 1))
    with pytest.raises(LedgerError) as info:
        ledger(a)
    [finding] = info.value.findings
    assert finding.code == "GDAP_OPEN_ENDED"
    assert a.describe() in finding.message


def test_requires_end_ignores_other_kinds() -> None:
    """Open-ended associations of other kinds pass."""
    assert check(RequiresEnd(K.GDAP), assoc("P1", "S-M365", K.DAP, D(2024, 1, 1))) == []


# ------------------------------------------------------------------------------ GrantedBy


@pytest.mark.parametrize("kind", [K.DPOR, K.DAP, K.GDAP])
def test_customer_kinds_refuse_a_partner_grant(kind: AssociationKind) -> None:
    """DPOR, DAP and GDAP made by the partner are refused, naming the association."""
    a = assoc("P1", "S-O365", kind, D(2024, 1, 1), D(2024, 2, 1), granted_by=Actor.PARTNER)
    with pytest.raises(LedgerError) as info:
        ledger(a)
    [finding] = info.value.findings
    assert finding.code == "NOT_GRANTED_BY_CUSTOMER"
    assert a.describe() in finding.message
    assert "partner" in finding.message


@pytest.mark.parametrize("granted_by", [None, Actor.CUSTOMER])
def test_customer_kinds_accept_customer_or_unknown_grant(granted_by: Actor | None) -> None:
    """A grant by the customer, or by an unknown actor, passes."""
    a = assoc("P1", "S-O365", K.DAP, D(2024, 1, 1), granted_by=granted_by)
    assert check(GrantedBy([K.DAP], Actor.CUSTOMER), a) == []


def test_granted_by_ignores_other_kinds() -> None:
    """A PAL made by the partner is not a customer-made kind."""
    a = assoc("P1", "S-AZ", K.PAL, D(2024, 1, 1), granted_by=Actor.PARTNER)
    assert check(GrantedBy([K.DPOR, K.DAP, K.GDAP], Actor.CUSTOMER), a) == []


# ------------------------------------------------------------------------------ rule sets


def test_2017_allows_dpor_on_crm_online_but_2023_does_not() -> None:
    """The 2023 DPOR FAQ no longer lists Dynamics CRM Online (now Dynamics 365); 2017 did."""
    sub = Subscription("S-CRM", "C1", W.DYNAMICS_CRM_ONLINE)
    a = assoc("P1", "S-CRM", K.DPOR, D(2024, 1, 1))
    assert Ledger(PARTNERS, CUSTOMERS, (sub,), (a,), rules=MICROSOFT_2017).associations == (a,)
    with pytest.raises(LedgerError) as info:
        Ledger(PARTNERS, CUSTOMERS, (sub,), (a,), rules=MICROSOFT_2023)
    assert [f.code for f in info.value.findings] == ["DPOR_WORKLOAD"]
    assert a.describe() in str(info.value)


@pytest.mark.parametrize("workload", list(Workload))
def test_2017_dpor_workloads_are_the_seed_list(workload: Workload) -> None:
    """DPOR is allowed in 2017 on the seven workloads the 2017 post lists ("Office 365, CRM
    Online, Dynamics 365, AX7, Intune, EMS and Azure") plus Microsoft 365 (our reading)."""
    seed = {W.OFFICE_365, W.DYNAMICS_CRM_ONLINE, W.DYNAMICS_365, W.DYNAMICS_AX7, W.INTUNE}
    seed |= {W.EMS, W.AZURE, W.MICROSOFT_365}
    sub = Subscription("SX", "C1", workload)
    a = assoc("P1", "SX", K.DPOR, D(2024, 1, 1))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, (sub,), (a,), rules=MICROSOFT_2017)
    assert (result.ledger.associations == (a,)) == (workload in seed)


@pytest.mark.parametrize("workload", list(Workload))
def test_2023_dpor_workloads_are_the_faq_list(workload: Workload) -> None:
    """DPOR is allowed in 2023 on the workloads of the Partner Center DPOR FAQ: "We recommend
    assigning a partner of record to Azure subscriptions immediately. This capability is also
    enabled for Microsoft 365, Dynamics 365, Business Central, Intune, and Enterprise Mobility
    Suite subscriptions" (Office 365 and Teams count as Microsoft 365)."""
    faq = {W.AZURE, W.MICROSOFT_365, W.OFFICE_365, W.TEAMS, W.DYNAMICS_365}
    faq |= {W.BUSINESS_CENTRAL, W.INTUNE, W.EMS}
    sub = Subscription("SX", "C1", workload)
    a = assoc("P1", "SX", K.DPOR, D(2024, 1, 1))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, (sub,), (a,), rules=MICROSOFT_2023)
    assert (result.ledger.associations == (a,)) == (workload in faq)
    default = Ledger.lenient(PARTNERS, CUSTOMERS, (sub,), (a,))
    allowed_2017 = Ledger.lenient(PARTNERS, CUSTOMERS, (sub,), (a,), rules=MICROSOFT_2017)
    assert (default.ledger.associations == (a,)) == (
        workload in faq or allowed_2017.ledger.associations == (a,)
    )


def test_default_rules_span_every_era() -> None:
    """The default rule set accepts every era's DPOR workloads (documented choice)."""
    assert DEFAULT_RULES is MICROSOFT_ALL_ERAS
    assert MICROSOFT_2017.published < MICROSOFT_2023.published == MICROSOFT_ALL_ERAS.published


def test_finding_codes_list_every_shipped_code_with_a_description() -> None:
    """The code table holds every shipped, structural and built-in default code, described."""
    shipped = set(MICROSOFT_2017.codes) | set(MICROSOFT_2023.codes) | set(STRUCTURAL_CODES)
    defaults = {KindNotOnWorkloads(kinds=(), workloads=()).code}
    lenient = {"DPOR_HANDOVER"}  # informational, from Ledger.lenient's handovers
    assert set(FINDING_CODES) == shipped | defaults | lenient
    assert all(desc.strip() for desc in FINDING_CODES.values())


def test_era_dependent_codes_are_exactly_those_described_differently() -> None:
    """FINDING_CODES overrides a shipped description only where the eras' rules differ."""
    from partner_of_record.rules import _microsoft

    texts: dict[str, set[str]] = {}
    for rule_set in (MICROSOFT_2017, MICROSOFT_2023, MICROSOFT_ALL_ERAS):
        for code, text in rule_set.codes.items():
            texts.setdefault(code, set()).add(text)
    assert set(_microsoft._ACROSS_ERAS) == {code for code, seen in texts.items() if len(seen) > 1}


def test_shipped_rules_spell_their_codes_where_they_are_built() -> None:
    """Every shipped rule's code appears as a literal ``code="..."`` where the sets are built."""
    import inspect

    from partner_of_record.rules import _microsoft

    source = inspect.getsource(_microsoft)
    for rule_set in (MICROSOFT_2017, MICROSOFT_2023, MICROSOFT_ALL_ERAS):
        for code in rule_set.codes:
            assert f'code="{code}"' in source, code


def test_rule_set_extend_replace_remove_return_new_values() -> None:
    """extend/replace/remove return new rule sets and leave the original unchanged."""
    base = MICROSOFT_2017
    before = base.rules
    wider = KindOnlyOnWorkloads(K.DPOR, list(Workload))
    replaced = base.replace(wider)
    assert replaced.rule("DPOR_WORKLOAD") is wider
    assert [r.code for r in replaced.rules] == [r.code for r in base.rules]
    removed = base.remove("GDAP_OPEN_ENDED", "GDAP_TOO_LONG")
    assert set(base.codes) - set(removed.codes) == {"GDAP_OPEN_ENDED", "GDAP_TOO_LONG"}
    extra = ExclusiveKind(K.PAL, code="ONE_PAL")
    extended = base.extend(extra)
    assert extended.rules == (*base.rules, extra)
    assert base.rules == before


def test_rule_set_refuses_duplicate_reserved_and_unknown_codes() -> None:
    """Codes are unique, structural codes are reserved, and unknown codes are reported."""
    with pytest.raises(ValueError, match="DPOR_OVERLAP"):
        MICROSOFT_2017.extend(ExclusiveKind(K.DPOR))
    with pytest.raises(ValueError, match="reserved"):
        MICROSOFT_2017.extend(ExclusiveKind(K.PAL, code="DUPLICATE_ID"))
    with pytest.raises(KeyError, match="NOPE"):
        MICROSOFT_2017.remove("NOPE")
    with pytest.raises(KeyError, match="NOPE"):
        MICROSOFT_2017.replace(ExclusiveKind(K.PAL, code="NOPE"))
    with pytest.raises(KeyError, match="NOPE"):
        MICROSOFT_2017.rule("NOPE")
    with pytest.raises(TypeError, match="not a Rule"):
        RuleSet("x", ("not a rule",), published=D(2024, 1, 1))  # type: ignore[arg-type]


def test_removing_a_rule_lets_the_ledger_accept_what_it_refused() -> None:
    """A rule set without ADMIN_ON_AZURE accepts DAP on Azure."""
    a = assoc("P1", "S-AZ", K.DAP, D(2024, 1, 1))
    with pytest.raises(LedgerError):
        ledger(a)
    assert ledger(a, rules=MICROSOFT_2017.remove("ADMIN_ON_AZURE")).associations == (a,)


@attrs.frozen
class NoTrialPal:
    """A user-defined rule: warns about PALs that start on a weekend (for the test)."""

    code: str = "PAL_WEEKEND"
    description: str = "a PAL linked on a weekend is suspicious"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a warning per weekend PAL."""
        for a in facts.by_kind.get(K.PAL, ()):
            if a.start.weekday() >= 5:
                yield Finding(self.code, f"{a.describe()} starts on a weekend", (a,), "warning")


def test_a_user_rule_plugs_in_and_warnings_keep_the_record() -> None:
    """A custom rule object runs in the ledger; its warnings are kept on the ledger."""
    rules = attrs.evolve(MICROSOFT_2017.extend(NoTrialPal()), name="custom")
    saturday = assoc("P1", "S-AZ", K.PAL, D(2024, 1, 6))
    monday = assoc("P2", "S-AZ", K.PAL, D(2024, 1, 8))
    led = ledger(saturday, monday, rules=rules)
    assert set(led.associations) == {saturday, monday}
    assert [f.subject for f in led.findings] == [(saturday,)]
    assert led.rules.name == "custom"
    assert rules.codes["PAL_WEEKEND"] == "a PAL linked on a weekend is suspicious"


def test_rules_run_in_order_and_skip_rejected_records() -> None:
    """A DPOR refused for its workload is not also reported as overlapping a valid DPOR."""
    sub = Subscription("S-O", "C1", W.POWER_BI)
    bad = assoc("P1", "S-O", K.DPOR, D(2024, 1, 1))
    later = assoc("P2", "S-O", K.DPOR, D(2024, 2, 1))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, (sub,), (bad, later), rules=MICROSOFT_2023)
    assert [(r.finding.code, r.record) for r in result.rejected] == [
        ("DPOR_WORKLOAD", bad),
        ("DPOR_WORKLOAD", later),
    ]


def _codes(findings: Iterable[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


def test_every_problem_is_listed_at_once() -> None:
    """A ledger breaking several rules raises one error listing each problem."""
    problems = (
        assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1)),
        assoc("P2", "S-AZ", K.DPOR, D(2024, 2, 1)),
        assoc("P1", "S-AZ", K.DAP, D(2024, 1, 1)),
        assoc("P1", "S-M365", K.GDAP, D(2024, 1, 1)),
        assoc("P2", "S-M365", K.GDAP, D(2024, 1, 1), D(2030, 1, 1)),
        assoc("P3", "S-O365", K.DPOR, D(2024, 1, 1), granted_by=Actor.VENDOR),
    )
    with pytest.raises(LedgerError) as info:
        ledger(*problems)
    assert _codes(info.value.findings) == sorted(
        [
            "DPOR_OVERLAP",
            "ADMIN_ON_AZURE",
            "GDAP_OPEN_ENDED",
            "GDAP_TOO_LONG",
            "NOT_GRANTED_BY_CUSTOMER",
        ]
    )
    assert str(info.value).startswith("5 problems in the ledger:")


# ------------------------------------------------------------------------- one-day gaps (#17.3)


def test_one_day_gap_between_consecutive_dpors_is_a_warning_that_rejects_nothing() -> None:
    """Old DPOR "ending 2024-06-14" (inclusive, read as exclusive) and new DPOR from 2024-06-15
    leave 14 June without a DPOR: a DPOR_ONE_DAY_GAP warning; both records are kept."""
    old = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1), D(2024, 6, 14))
    new = assoc("P2", "S-AZ", K.DPOR, D(2024, 6, 15))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (old, new))
    assert result.rejected == ()
    [warning] = result.findings
    assert (warning.code, warning.severity) == ("DPOR_ONE_DAY_GAP", "warning")
    assert warning.subject == (new, old)
    assert "leave 2024-06-14 without a DPOR" in warning.message
    assert "the end should be 2024-06-15" in warning.message
    assert set(ledger(old, new).associations) == {old, new}  # strict: kept, warned
    assert [f.code for f in ledger(old, new).findings] == ["DPOR_ONE_DAY_GAP"]


@pytest.mark.parametrize("gap_days", [0, 2, 30])
def test_other_gaps_are_not_warned(gap_days: int) -> None:
    """Contiguous associations, and gaps other than exactly one day, are not warned about."""
    old = assoc("P1", "S-AZ", K.DPOR, D(2024, 1, 1), D(2024, 6, 14))
    new = assoc("P2", "S-AZ", K.DPOR, D(2024, 6, 14) + dt.timedelta(days=gap_days))
    assert ledger(old, new).findings == ()


def test_one_day_gap_of_cpor_claims_is_warned_too() -> None:
    """The same check runs for CPOR on one subscription."""
    old = assoc("P1", "S-M365", K.CPOR, D(2024, 1, 1), D(2024, 3, 1))
    new = assoc("P2", "S-M365", K.CPOR, D(2024, 3, 2))
    assert [f.code for f in ledger(old, new).findings] == ["CPOR_ONE_DAY_GAP"]


# ------------------------------------------------------------------------------ CPOR scope (#12.11)


def test_cpor_is_per_subscription_on_dynamics_and_power_platform() -> None:
    """Partner Center: CPOR is per workload per tenant for Microsoft 365, per subscription for
    Dynamics 365 and Power Platform: a second partner's CPOR on another Dynamics subscription of
    the same tenant is valid; on another Microsoft 365 subscription it is not."""
    subs = (
        Subscription("D1", "C1", W.DYNAMICS_365),
        Subscription("D2", "C1", W.DYNAMICS_365),
        Subscription("PA1", "C1", W.POWER_APPS),
        Subscription("PA2", "C1", W.POWER_APPS),
        *SUBS,
    )
    dyn = (
        assoc("P1", "D1", K.CPOR, D(2024, 1, 1)),
        assoc("P2", "D2", K.CPOR, D(2024, 2, 1)),
        assoc("P1", "PA1", K.CPOR, D(2024, 1, 1)),
        assoc("P2", "PA2", K.CPOR, D(2024, 2, 1)),
    )
    for rules in (MICROSOFT_2017, MICROSOFT_2023, MICROSOFT_ALL_ERAS):
        assert set(Ledger(PARTNERS, CUSTOMERS, subs, dyn, rules=rules).associations) == set(dyn)
    same_sub = assoc("P3", "D1", K.CPOR, D(2024, 3, 1))
    with pytest.raises(LedgerError, match="at most one CPOR partner per subscription on"):
        Ledger(PARTNERS, CUSTOMERS, subs, (*dyn, same_sub))
    m365 = (
        assoc("P1", "S-M365", K.CPOR, D(2024, 1, 1)),
        assoc("P2", "S-M365B", K.CPOR, D(2024, 2, 1)),
    )
    with pytest.raises(LedgerError, match=r"per customer tenant \('C1'\) and workload"):
        Ledger(PARTNERS, CUSTOMERS, subs, m365)


# ------------------------------------------------------------------------------ #18.9 mutants


def test_duplicate_association_is_found_on_a_subscription_with_exactly_two() -> None:
    """Two overlapping associations of the same partner and kind, the only two on their
    subscription, are a DUPLICATE_ASSOCIATION (the check must not skip groups of two)."""
    first = assoc("P1", "S-AZ", K.PAL, D(2024, 1, 1))
    second = assoc("P1", "S-AZ", K.PAL, D(2024, 3, 1))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (first, second))
    assert [(r.record, r.finding.code) for r in result.rejected] == [
        (second, "DUPLICATE_ASSOCIATION")
    ]


@attrs.frozen
class _RefuseUsageRow:
    """A custom rule refusing the usage rows of one month."""

    month: dt.date
    code: str = "NO_MARCH"
    description: str = "no usage in that month"

    def check(self, facts: Facts) -> Iterable[Finding]:
        for u in facts.usage:
            if u.month == self.month:
                yield Finding(self.code, f"usage {u.describe()} refused", (u,))


def test_a_custom_rule_rejecting_one_usage_row_keeps_the_others() -> None:
    """A rule rejecting one usage row rejects that row only; the other rows are kept."""
    rows = tuple(Usage("S-AZ", D(2024, m, 1), str(m)) for m in (1, 2, 3, 4))
    rules = MICROSOFT_2017.extend(_RefuseUsageRow(D(2024, 3, 1)))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, usage=rows, rules=rules)
    assert [r.record for r in result.rejected] == [rows[2]]
    assert result.ledger.usage == (rows[0], rows[1], rows[3])


@attrs.frozen
class _WarnOnPal:
    """A custom rule warning (not refusing) about every PAL, naming it as its subject."""

    code: str = "PAL_NOTE"
    description: str = "a note about each PAL"

    def check(self, facts: Facts) -> Iterable[Finding]:
        for a in facts.by_kind.get(K.PAL, ()):
            yield Finding(self.code, f"{a.describe()} noted", (a,), "warning")


def test_a_warning_with_a_subject_does_not_reject_its_record() -> None:
    """A finding of severity "warning" keeps its subject record, in strict and lenient loads."""
    pal = assoc("P1", "S-AZ", K.PAL, D(2024, 1, 1))
    rules = MICROSOFT_2017.extend(_WarnOnPal())
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (pal,), rules=rules)
    assert result.rejected == ()
    assert result.ledger.associations == (pal,)
    assert [f.subject for f in result.findings] == [(pal,)]
    assert Ledger(PARTNERS, CUSTOMERS, SUBS, (pal,), rules=rules).associations == (pal,)


# --------------------------------------------------------------- GDAP auto-extension (#12.10)


def test_auto_extending_gdap_may_last_past_two_years() -> None:
    """Graph delegatedAdminRelationship: duration "must be a value between P1D and P2Y
    inclusive", and "autoExtendDuration: The duration by which the validity of the relationship
    is automatically extended ... Supported values are: P0D, PT0S, P180D". A relationship with
    P180D that ran three years is valid; the same without auto-extension is GDAP_TOO_LONG."""
    three_years = assoc("P1", "S-M365", K.GDAP, D(2022, 1, 1), D(2025, 1, 1), Actor.CUSTOMER)
    extending = attrs.evolve(three_years, auto_extend_days=180)
    assert ledger(extending).associations == (extending,)
    with pytest.raises(LedgerError) as info:
        ledger(three_years)
    assert [f.code for f in info.value.findings] == ["GDAP_TOO_LONG"]


def test_auto_extending_gdap_may_be_open_ended_and_is_granted_by_the_event_api() -> None:
    """An auto-extending relationship renews until terminated: open-ended is accepted, via
    grant_gdap(..., auto_extend_days=180); without auto-extension an open GDAP is refused."""
    led = Ledger(PARTNERS, CUSTOMERS, SUBS)
    renewing = led.grant_gdap("S-M365", "P1", "2022-01-01", None, auto_extend_days=180)
    [gdap] = renewing.associations
    assert (gdap.end, gdap.auto_extend_days) == (None, 180)
    assert renewing.revoke_gdap("S-M365", "P1", "2025-06-01").associations[0].end == D(2025, 6, 1)
    with pytest.raises(LedgerError, match="GDAP_OPEN_ENDED"):
        led.grant_gdap("S-M365", "P1", "2022-01-01", None)


def test_auto_extension_round_trips_through_json() -> None:
    """The new field survives to_json / from_json (the converter handles it generically)."""
    from partner_of_record.io import from_json, to_json

    gdap = Association(
        "P1", "S-M365", K.GDAP, D(2022, 1, 1), granted_by=Actor.CUSTOMER, auto_extend_days=180
    )
    led = ledger(gdap)
    again = from_json(to_json(led), Ledger)
    assert again.associations == (gdap,)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 20)), min_size=1, max_size=8))
def test_one_day_gaps_match_a_day_by_day_oracle(steps: list[tuple[int, int]]) -> None:
    """On a chain of DPOR windows separated by gaps of 0-3 days, the warnings are exactly the
    gaps of one day (checked day by day: one uncovered day between two windows)."""
    day = D(2024, 1, 1)
    windows, spans = [], []
    for i, (gap, length) in enumerate(steps):
        day += dt.timedelta(days=gap)
        end = day + dt.timedelta(days=length)
        windows.append(assoc(f"P{i % 3 + 1}", "S-AZ", K.DPOR, day, end))
        spans.append((day, end))
        day = end
    one = dt.timedelta(days=1)
    covered = {start + k * one for start, end in spans for k in range((end - start).days)}
    lonely = {
        end
        for _, end in spans
        if end not in covered and end - one in covered and end + one in covered
    }
    found = check(OneDayGap(K.DPOR), *windows)
    assert {f.subject[1].end for f in found} == lonely
    assert all(f.severity == "warning" for f in found)
