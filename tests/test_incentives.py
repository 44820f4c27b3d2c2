"""Incentive programs: golden examples from the published rules, reasons, declarations."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import attrs
import pytest

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    OfferCategory,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.catalog import CLOUD_PLATFORM_SILVER, cloud_platform
from partner_of_record.evaluation import (
    DeclarationError,
    dump_competency,
    evaluate_competency,
    load_competency,
)
from partner_of_record.incentives import (
    INELIGIBLE_CODES,
    PARTNER_EARNED_CREDIT,
    EarningRule,
    IncentiveProgram,
    Payout,
    SubscriptionEligibility,
    UnknownProgramError,
    WinRule,
    azure_dpor_incentive,
    dump_program,
    evaluate_incentive,
    evaluate_incentives,
    get_program,
    load_program,
    loads_program,
    partner_earned_credit,
    pec_billed_cost,
    what_if_incentive,
)
from partner_of_record.samples import load_sample

K = AssociationKind
D = Decimal
AZ = Workload.AZURE


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _ledger(
    subs: list[tuple[str, str]],
    links: list[Association],
    usage: list[tuple[str, str, str]],
    partners: tuple[str, ...] = ("P1", "P2"),
    offers: dict[str, OfferCategory] | None = None,
) -> Ledger:
    """A small Azure ledger: (subscription, customer), associations, (sub, month, amount)."""
    offers = offers or {}
    customers = sorted({c for _, c in subs})
    return Ledger(
        partners=[Partner(p) for p in partners],
        customers=[Customer(c) for c in customers],
        subscriptions=[
            Subscription(s, c, AZ, offer=offers.get(s, OfferCategory.STANDARD)) for s, c in subs
        ],
        associations=links,
        usage=[Usage(s, _d(m + "-01"), a) for s, m, a in usage],
    )


# ------------------------------------------------------------------ Partner Earned Credit


@pytest.mark.parametrize(
    ("units", "billed"),
    [("29", "21.39"), ("210.950039", "155.63"), ("555.950039", "410.17")],
)
def test_pec_billed_cost_matches_the_published_examples(units: str, billed: str) -> None:
    """PEC's billed cost is floor(units x 0.868 x 0.85) to the cent, as Partner Center shows."""
    assert pec_billed_cost(units, "0.868") == D(billed)


def test_pec_line_earns_cost_minus_the_floored_billed_cost() -> None:
    """A PEC line of 29 x 0.868 (25.17 after rounding the row) earns 25.17 - 21.39 = 3.78."""
    ledger = _ledger(
        [("S1", "C1")],
        [Association("P1", "S1", K.CSP_TIER1, _d("2024-01-01"))],
        [("S1", "2024-06", "25.172")],
    )
    earnings = evaluate_incentive(ledger, "P1", PARTNER_EARNED_CREDIT)
    (line,) = earnings.lines
    assert line.eligible == D("25.17")
    assert line.earned == D("3.78")
    assert line.eligible - line.earned == pec_billed_cost(29, "0.868")


def test_pec_is_computed_for_each_day_of_admin_access() -> None:
    """Admin access (PAL Owner) on 10 of June's 30 days: a third of the cost is eligible."""
    ledger = _ledger(
        [("S1", "C1")],
        [
            Association("P1", "S1", K.CSP_TIER1, _d("2024-01-01")),
            Association("P1", "S1", K.PAL, _d("2024-06-11"), _d("2024-06-21"), role="Owner"),
        ],
        [("S1", "2024-06", "3000.00")],
    )
    program = partner_earned_credit(admin_kinds=[K.PAL, K.LIGHTHOUSE])
    earnings = evaluate_incentive(ledger, "P1", program)
    (line,) = earnings.lines
    assert (line.eligible, line.eligible_days) == (D("1000.00"), 10)
    assert line.earned == D("150.00")
    assert [(i.code, i.reason, i.amount) for i in line.ineligible] == [
        ("BEFORE_APPROVAL", "before approval (PAL from 2024-06-11)", D("1000.00")),
        ("NO_ASSOCIATION", "no LIGHTHOUSE or PAL", D("1000.00")),
    ]


def test_pec_needs_the_billing_relationship_and_an_eligible_role() -> None:
    """A Reader PAL does not count, and admin access without CSP_TIER1 earns nothing."""
    ledger = _ledger(
        [("S1", "C1"), ("S2", "C1")],
        [
            Association("P1", "S1", K.CSP_TIER1, _d("2024-01-01")),
            Association("P1", "S1", K.PAL, _d("2024-01-01"), role="Reader"),
            Association("P1", "S2", K.PAL, _d("2024-01-01"), role="Owner"),
        ],
        [("S1", "2024-06", "100.00"), ("S2", "2024-06", "100.00")],
    )
    program = partner_earned_credit(admin_kinds=[K.PAL])
    earnings = evaluate_incentive(ledger, "P1", program)
    codes = {line.subscription_id: [i.code for i in line.ineligible] for line in earnings.lines}
    assert codes == {"S1": ["ROLE_NOT_ELIGIBLE"], "S2": ["MISSING_REQUIRED"]}
    assert earnings.earned == 0


# ------------------------------------------------------------------ 2015 Azure DPOR incentive


def test_earnings_below_us_200_carry_forward_until_they_exceed_it() -> None:
    """US$120 in January carries forward; February pays US$240; March pays its US$120."""
    ledger = _ledger(
        [("S1", "C1")],
        [Association("P1", "S1", K.DPOR, _d("2024-01-01"))],
        [("S1", m, "1200.00") for m in ("2024-01", "2024-02", "2024-03")],
    )
    program = azure_dpor_incentive("0.10", eligibility=None)
    earnings = evaluate_incentive(ledger, "P1", program)
    pays = [(p.start.month, p.earned, p.paid, p.carried_out) for p in earnings.payments]
    assert pays == [
        (1, D("120.00"), D(0), D("120.00")),
        (2, D("120.00"), D("240.00"), D(0)),
        (3, D("120.00"), D("120.00"), D(0)),
    ]
    assert "below the US$200.00 minimum" in earnings.payments[0].note
    assert (earnings.paid, earnings.carried_forward) == (D("360.00"), D(0))


def test_a_partner_losing_cloud_platform_silver_earns_nothing_while_not_eligible() -> None:
    """Silver (trailing US$15,000) holds until July 2023; from August nothing is earned."""
    months_2022 = [f"2022-{m:02d}" for m in range(1, 13)]
    months_2023 = [f"2023-{m:02d}" for m in range(1, 13)]
    ledger = _ledger(
        [("S1", "C1")],
        [Association("P1", "S1", K.DPOR, _d("2021-01-01"))],
        [("S1", m, "2000.00") for m in months_2022] + [("S1", m, "500.00") for m in months_2023],
    )
    program = azure_dpor_incentive("0.05")
    earnings = evaluate_incentive(ledger, "P1", program, start=_d("2023-01-01"))
    eligible = [m.partner_eligible for m in earnings.months]
    assert eligible == [True] * 7 + [False] * 5
    for m in earnings.months[7:]:
        assert (m.eligible, m.total) == (0, 0)
        (reason,) = m.ineligible
        assert reason.code == "PARTNER_NOT_ELIGIBLE"
        assert reason.amount == m.credited == D("500.00")
    august = earnings.month(_d("2023-08-01"))
    assert august.partner_reason == (
        "partner not eligible this month: CLOUD_PLATFORM_SILVER not met, short US$1,500.00"
    )
    # the same verdict as the evaluator's, as of the first day of the month
    verdict = evaluate_competency(ledger, "P1", CLOUD_PLATFORM_SILVER, as_of=_d("2023-08-01"))
    assert not verdict.met
    assert earnings.month(_d("2023-07-01")).total == D("25.00")


def test_a_subscription_approved_for_two_partners_pays_only_the_first() -> None:
    """P1 was approved first on S1: P2, DPOR after it, earns nothing there, ever."""
    ledger = _ledger(
        [("S1", "C1")],
        [
            Association("P1", "S1", K.DPOR, _d("2024-01-01"), _d("2024-03-01")),
            Association("P2", "S1", K.DPOR, _d("2024-03-01")),
        ],
        [("S1", m, "1000.00") for m in ("2024-01", "2024-02", "2024-03", "2024-04")],
    )
    program = azure_dpor_incentive("0.10", eligibility=None, minimum=0)
    both = evaluate_incentives(ledger, program)["AZURE_DPOR_2015"]
    assert both["P1"].earned == D("200.00")
    assert both["P2"].earned == 0
    assert both["P2"].eligible == 0
    (reason,) = both["P2"].ineligible
    assert reason.code == "ALREADY_APPROVED"
    assert "approved for partner P1 first" in reason.reason
    assert reason.amount == D("2000.00")


def test_consumption_before_approval_and_excluded_offers_are_ineligible_with_reasons() -> None:
    """Days before the DPOR started say so; a trial subscription's consumption is excluded."""
    ledger = _ledger(
        [("S1", "C1"), ("T1", "C1")],
        [
            Association("P1", "S1", K.PAL, _d("2024-01-01"), role="Owner"),
            Association("P1", "S1", K.DPOR, _d("2024-01-11")),
            Association("P1", "T1", K.DPOR, _d("2024-01-01")),
        ],
        [("S1", "2024-01", "310.00"), ("T1", "2024-01", "50.00")],
        offers={"T1": OfferCategory.TRIAL},
    )
    earnings = evaluate_incentive(ledger, "P1", azure_dpor_incentive("0.1", eligibility=None))
    reasons = {(i.code, i.reason): i.amount for i in earnings.ineligible}
    assert reasons == {
        ("EXCLUDED_OFFER", "excluded offer: trial"): D("50.00"),
        ("BEFORE_APPROVAL", "before approval (DPOR from 2024-01-11)"): D("100.00"),
    }
    assert earnings.eligible == D("210.00")
    assert set(INELIGIBLE_CODES) >= {code for code, _ in reasons}


# ------------------------------------------------------------------ campaign wins


CAMPAIGN = IncentiveProgram(
    name="SMB_WINS",
    title="SMB Azure wins",
    source="partner community post (UK SMB campaign, 2020-21)",
    effective=_d("2020-07-01"),
    ends=_d("2021-07-01"),
    subscriptions=SubscriptionEligibility(kinds=[K.CSP_TIER1, K.CSP_TIER2]),
    earning=EarningRule(win=WinRule(threshold=1500, payment=1000, baseline_max=1000)),
    payout=Payout(period="program"),
)


def _campaign_ledger() -> Ledger:
    t1 = K.CSP_TIER1
    start = _d("2020-01-01")
    baseline = [(s, m, "400.00") for s in ("A1", "B1", "E1") for m in ("2020-04", "2020-05")]
    return _ledger(
        [("A1", "CA"), ("A2", "CA"), ("B1", "CB"), ("B2", "CB"), ("E1", "CE")],
        [
            Association("P1", "A1", t1, start),
            Association("P2", "A2", t1, start),
            Association("P1", "B1", t1, start),
            Association("P2", "B2", t1, start),
            Association("P1", "E1", t1, start),
        ],
        [
            *baseline,
            ("E1", "2020-06", "1200.00"),  # CE is over the baseline: never a win
            ("A1", "2020-07", "1600.00"),
            ("A2", "2020-07", "1700.00"),  # both cross in July: both paid
            ("B1", "2020-08", "1600.00"),  # P1 wins CB in August ...
            ("B2", "2020-09", "1900.00"),  # ... so P2's September is no win
            ("E1", "2020-07", "5000.00"),
        ],
    )


def test_a_campaign_win_in_the_same_month_pays_both_participants() -> None:
    """Two participants crossing US$1,500 with one customer in July are both paid US$1,000."""
    found = evaluate_incentives(_campaign_ledger(), CAMPAIGN, end=_d("2021-07-01"))["SMB_WINS"]
    wins = {
        pid: [(w.customer_id, w.month.month, w.amount) for m in e.months for w in m.wins]
        for pid, e in found.items()
    }
    assert wins == {"P1": [("CA", 7, D(1000)), ("CB", 8, D(1000))], "P2": [("CA", 7, D(1000))]}
    p1 = found["P1"]
    assert p1.earned == D(2000)
    (payment,) = p1.payments
    assert (payment.paid, payment.carried_out) == (D(2000), D(0))


def test_campaign_wins_are_paid_at_the_end_of_the_program() -> None:
    """Before the campaign ends nothing is paid; the payment waits for its end."""
    found = evaluate_incentive(_campaign_ledger(), "P1", CAMPAIGN, end=_d("2020-12-01"))
    (payment,) = found.payments
    assert (payment.paid, payment.carried_out) == (D(0), D(2000))
    assert payment.note == "paid at the end of the program"
    done = evaluate_incentive(_campaign_ledger(), "P1", CAMPAIGN, end=_d("2021-07-01"))
    assert done.payments[-1].paid == D(2000)


def test_caps_limit_the_earnings_per_period() -> None:
    """A US$150 monthly cap takes US$100 off a month earning US$250."""
    ledger = _ledger(
        [("S1", "C1")],
        [Association("P1", "S1", K.DPOR, _d("2024-01-01"))],
        [("S1", "2024-01", "2500.00"), ("S1", "2024-02", "1000.00")],
    )
    program = IncentiveProgram(
        name="CAPPED",
        title="Capped",
        source="test",
        effective=_d("2024-01-01"),
        subscriptions=SubscriptionEligibility(kinds=[K.DPOR]),
        earning=EarningRule(rate="0.1", cap=150),
    )
    earnings = evaluate_incentive(ledger, "P1", program)
    assert [(m.earned, m.capped, m.total) for m in earnings.months] == [
        (D("250.00"), D("100.00"), D("150.00")),
        (D("100.00"), D(0), D("100.00")),
    ]


# ------------------------------------------------------------------ what-if, sample, outputs


def test_what_if_shows_what_a_pal_link_would_earn() -> None:
    """Linking PAL (Owner) on a CSP subscription turns its consumption eligible for PEC."""
    ledger = _ledger(
        [("S1", "C1")],
        [Association("P1", "S1", K.CSP_TIER1, _d("2024-01-01"))],
        [("S1", "2024-03", "1000.00")],
    )
    program = partner_earned_credit(admin_kinds=[K.PAL])
    diff = what_if_incentive(
        ledger,
        "P1",
        program,
        add=[Association("P1", "S1", K.PAL, _d("2024-01-01"), role="Owner")],
    )
    assert (diff.before.earned, diff.after.earned, diff.earned_delta) == (
        D(0),
        D("150.00"),
        D("150.00"),
    )
    assert "2024-03: eligible 0.00 -> 1,000.00" in diff.explain()


def test_evaluate_incentives_agrees_with_one_partner_at_a_time() -> None:
    """The all-partners run gives each partner the earnings of its own evaluation."""
    ledger = load_sample()
    program = azure_dpor_incentive("0.03")
    start = _d("2024-01-01")
    every = evaluate_incentives(ledger, [program, PARTNER_EARNED_CREDIT], start=start)
    for pid in ("4100231", "4300874", "4500168"):
        assert every["AZURE_DPOR_2015"][pid] == evaluate_incentive(
            ledger, pid, program, start=start
        )
    assert every["PARTNER_EARNED_CREDIT"]["4500168"].earned > 0


def test_outputs_json_html_and_pandas_carry_the_same_figures() -> None:
    """to_dict/to_json, _repr_html_ and to_pandas (exact and numeric) show the same totals."""
    earnings = evaluate_incentive(load_sample(), "4500168", PARTNER_EARNED_CREDIT)
    data = json.loads(earnings.to_json())
    assert D(data["earned"]) == earnings.earned
    assert len(data["months"]) == len(earnings.months)
    assert f"{earnings.earned:,}" in earnings._repr_html_()
    frame = earnings.to_pandas()
    assert sum(frame["total"]) == earnings.earned
    numeric = earnings.to_pandas(by="line", numeric=True)
    assert numeric["earned"].dtype.kind == "f"
    assert numeric["earned"].sum() == pytest.approx(float(earnings.earned))
    assert len(earnings.to_pandas(by="payment")) == len(earnings.payments)
    text = earnings.explain(lines=True)
    assert all(line.subscription_id in text for line in earnings.lines)
    with pytest.raises(ValueError, match="by="):
        earnings.to_pandas(by="week")  # type: ignore[arg-type]


# ------------------------------------------------------------------ catalog and declarations


def test_catalog_programs_are_dated_and_sourced() -> None:
    """Each built-in program names its source and effective day."""
    dpor = get_program("azure-dpor-2015", rate="0.05")
    assert dpor.effective == _d("2015-08-01")
    assert "kb/3091581" in dpor.source
    assert PARTNER_EARNED_CREDIT.source_url == (
        "https://learn.microsoft.com/partner-center/partner-earned-credit-explanation"
    )
    assert "15 %" in PARTNER_EARNED_CREDIT.describe()


def test_the_2015_incentive_needs_its_rate_and_unknown_names_get_a_suggestion() -> None:
    """AZURE_DPOR_2015 without a rate and a misspelt name raise clear errors."""
    with pytest.raises(UnknownProgramError, match="needs its rate"):
        get_program("AZURE_DPOR_2015")
    with pytest.raises(UnknownProgramError, match="did you mean 'PARTNER_EARNED_CREDIT'"):
        get_program("PARTNER_EARNED_CREDT")


@pytest.mark.parametrize(
    "program",
    [azure_dpor_incentive("0.04"), PARTNER_EARNED_CREDIT, CAMPAIGN],
    ids=lambda p: p.name,
)
def test_programs_round_trip_through_their_declaration(program: IncentiveProgram) -> None:
    """load_program(dump_program(p)) == p, also through JSON text."""
    data = dump_program(program)
    assert load_program(data) == program
    assert loads_program(json.dumps(data), format="json") == program


CAMPAIGN_TOML = """
name = "SMB_WINS"
title = "SMB Azure wins"
source = "partner community post (UK SMB campaign, 2020-21)"
effective = 2020-07-01
ends = 2021-07-01

[subscriptions]
kinds = ["csp_tier1", "csp_tier2"]

[earning.win]
threshold = 1500
payment = 1000
baseline_max = 1000

[payout]
period = "program"
"""


def test_a_toml_declaration_builds_the_same_program() -> None:
    """The campaign written in TOML equals the one built in Python."""
    assert loads_program(CAMPAIGN_TOML) == CAMPAIGN


def test_declarations_with_requirements_use_the_competency_loader() -> None:
    """An eligibility requirement is read by the competencies' loader (same algebra)."""
    text = (
        CAMPAIGN_TOML
        + """
[eligibility.requirement]
type = "at_least"
name = "azure_consumption"
threshold = 500

[eligibility.requirement.measure]
type = "credited_acr"
scope = { kinds = ["csp_tier1"], workloads = ["azure"] }
"""
    )
    program = loads_program(text)
    assert program.eligibility is not None
    assert program.eligibility.name == "SMB_WINS_ELIGIBILITY"
    assert load_program(dump_program(program)) == program
    silver = loads_program(CAMPAIGN_TOML + '[eligibility]\ncompetency = "CLOUD_PLATFORM_SILVER"\n')
    assert silver.eligibility == CLOUD_PLATFORM_SILVER
    assert cloud_platform("silver") == CLOUD_PLATFORM_SILVER


@pytest.mark.parametrize(
    ("edit", "path", "message"),
    [
        (("threshold = 1500", "treshold = 1500"), "earning.win.treshold", "did you mean"),
        (('period = "program"', 'period = "weekly"'), "payout.period", "is not one of"),
        (('kinds = ["csp_tier1", "csp_tier2"]', 'kinds = ["csp"]'), "subscriptions", "kinds"),
        (("effective = 2020-07-01", 'effective = "July"'), "effective", "ISO date"),
        (("[payout]", "[payouts]"), "payouts", "did you mean 'payout'"),
    ],
)
def test_bad_declarations_name_the_path_of_the_bad_key(
    edit: tuple[str, str], path: str, message: str
) -> None:
    """A malformed declaration raises DeclarationError naming the key's path; nothing runs."""
    with pytest.raises(DeclarationError, match=message) as info:
        loads_program(CAMPAIGN_TOML.replace(*edit))
    assert info.value.path == path


def test_bad_program_values_are_refused() -> None:
    """A rate above 1 or an end before the start is a clear validation error."""
    with pytest.raises(ValueError, match="rate between 0 and 1"):
        EarningRule(rate="15")
    with pytest.raises(ValueError, match="is not after effective"):
        IncentiveProgram(
            name="X",
            title="X",
            source="x",
            effective=_d("2024-01-01"),
            ends=_d("2023-01-01"),
            subscriptions=SubscriptionEligibility(kinds=[K.DPOR]),
        )


def test_the_reference_page_lists_every_ineligible_code() -> None:
    """docs/reference/api-incentives.md has one table row per code, with its meaning."""
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "reference" / "api-incentives.md"
    text = page.read_text(encoding="utf-8")
    for code, meaning in INELIGIBLE_CODES.items():
        assert f"| `{code}` | {meaning} |" in text


def test_lines_sum_per_subscription_like_the_revenue_report() -> None:
    """by_subscription merges services: one line per month and subscription, same totals."""
    earnings = evaluate_incentive(
        load_sample(), "4100231", azure_dpor_incentive("0.03"), start=_d("2024-01-01")
    )
    merged = earnings.by_subscription()
    assert len(merged) < len(earnings.lines)
    assert len({(m.month, m.subscription_id) for m in merged}) == len(merged)
    for field in ("credited", "eligible", "earned"):
        assert sum(getattr(m, field) for m in merged) == sum(
            getattr(line, field) for line in earnings.lines
        )
    assert evaluate_incentive(load_sample(), "4500168", "partner-earned-credit") == (
        evaluate_incentive(load_sample(), "4500168", PARTNER_EARNED_CREDIT)
    )


def test_other_currencies_convert_the_programs_us_dollar_amounts() -> None:
    """In euros at US$2 per euro, the US$200 minimum is EUR 100; without a rate it is an error."""
    from partner_of_record import MissingRateError, RateTable

    ledger = Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", AZ)],
        associations=[Association("P1", "S1", K.DPOR, _d("2024-01-01"))],
        usage=[Usage("S1", _d("2024-01-01"), "1200.00", "EUR")],
    )
    program = azure_dpor_incentive("0.1", eligibility=None)
    earnings = evaluate_incentive(ledger, "P1", program, rates=RateTable.constant({"EUR": 2}))
    assert earnings.currency == "EUR"
    (payment,) = earnings.payments
    assert payment.paid == D("120.00")  # EUR 120 exceeds EUR 100
    with pytest.raises(MissingRateError):
        evaluate_incentive(ledger, "P1", program)


def test_a_partner_credited_in_two_currencies_is_refused() -> None:
    """Earnings are in one currency: credits in two raise CurrencyMixError naming them."""
    from partner_of_record import CurrencyMixError

    ledger = Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", AZ), Subscription("S2", "C1", AZ)],
        associations=[
            Association("P1", "S1", K.DPOR, _d("2024-01-01")),
            Association("P1", "S2", K.DPOR, _d("2024-01-01")),
        ],
        usage=[
            Usage("S1", _d("2024-01-01"), "10.00", "EUR"),
            Usage("S2", _d("2024-01-01"), "10.00", "USD"),
        ],
    )
    with pytest.raises(CurrencyMixError):
        evaluate_incentive(ledger, "P1", azure_dpor_incentive("0.1", eligibility=None, minimum=0))


@pytest.mark.parametrize(
    ("load", "dump", "value", "owner", "slip", "meant"),
    [
        (load_program, dump_program, PARTNER_EARNED_CREDIT, "IncentiveProgram", "payot", "payout"),
        (load_competency, dump_competency, CLOUD_PLATFORM_SILVER, "Competency", "titel", "title"),
    ],
)
def test_a_declaration_names_its_unknown_and_missing_top_keys(
    load: Any, dump: Any, value: object, owner: str, slip: str, meant: str
) -> None:
    """A program's and a competency's top table share one key check: an unknown key is named
    with the closest known one, a missing required key is named with its owner, and the
    dumped table itself loads back unchanged."""
    data = dump(value)
    assert load(data) == value
    with pytest.raises(DeclarationError) as unknown:
        load({**data, slip: data[meant]})
    assert unknown.value.path == slip
    assert unknown.value.problem == f"unknown key for {owner}; did you mean {meant!r}?"
    for key in ("name", "title", "source"):
        with pytest.raises(DeclarationError) as missing:
            load({k: v for k, v in data.items() if k != key})
        assert (missing.value.path, missing.value.problem) == (
            key,
            f"missing (required by {owner})",
        )


def test_program_and_competency_sources_and_notes_read_alike() -> None:
    """``source_url`` expands the same shorthands for a program and a competency (other
    sources are kept as written), and one string of notes is one note for both."""
    for source, url in (
        ("PC21:x-y", "https://docs.microsoft.com/partner-center/x-y"),
        ("PC23:a", "https://learn.microsoft.com/partner-center/a"),
        ("XX:a", "XX:a"),
        ("https://example.org/p", "https://example.org/p"),
    ):
        program = attrs.evolve(PARTNER_EARNED_CREDIT, source=source, notes="one note")
        entry = attrs.evolve(CLOUD_PLATFORM_SILVER, source=source, notes="one note")
        assert program.source_url == entry.source_url == url
        assert program.notes == entry.notes == ("one note",)
