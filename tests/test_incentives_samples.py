"""The sample's incentive stories: one partner earns, one is blocked, one carries forward."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from partner_of_record.samples import (
    SAMPLE_INCENTIVE_RATE,
    SAMPLE_INCENTIVE_START,
    describe_incentives,
    incentive_stories,
    load_sample,
)

CONTOSO, FABRIKAM, RELECLOUD, LITWARE = "4100231", "4200517", "4300874", "4500168"


@pytest.fixture(scope="module")
def stories() -> dict[str, Any]:
    """The evaluated stories, by partner id."""
    return {pid: earnings for pid, _, earnings in incentive_stories()}


def test_the_stories_use_the_sample_as_it_is_from_july_2023(stories: dict[str, Any]) -> None:
    """Every story runs on the unchanged sample ledger from SAMPLE_INCENTIVE_START."""
    assert set(stories) == {CONTOSO, FABRIKAM, RELECLOUD, LITWARE}
    assert Decimal("0.03") == SAMPLE_INCENTIVE_RATE
    for earnings in stories.values():
        assert earnings.start == SAMPLE_INCENTIVE_START == dt.date(2023, 7, 1)
        assert earnings.end == dt.date(2025, 1, 1)
    assert len(load_sample().partners) == 5


def test_fabrikam_earns_and_is_paid_every_month(stories: dict[str, Any]) -> None:
    """Fabrikam is eligible every month and every month's earnings are paid in that month."""
    fabrikam = stories[FABRIKAM]
    assert all(m.partner_eligible for m in fabrikam.months)
    assert all(p.paid > 0 and p.carried_out == 0 for p in fabrikam.payments)
    assert fabrikam.paid == fabrikam.earned > Decimal(3000)


def test_relecloud_is_blocked_by_its_competency(stories: dict[str, Any]) -> None:
    """In the months Relecloud misses Cloud Platform silver, its DPOR consumption earns nothing."""
    relecloud = stories[RELECLOUD]
    blocked = [m for m in relecloud.months if not m.partner_eligible]
    assert len(blocked) >= 10
    july = relecloud.month(dt.date(2023, 7, 1))
    assert not july.partner_eligible
    assert july.credited > 0
    assert (july.eligible, july.total) == (0, 0)
    assert july.partner_reason.startswith(
        "partner not eligible this month: CLOUD_PLATFORM_SILVER not met, short US$"
    )
    assert relecloud.paid == 0
    assert relecloud.carried_forward == relecloud.earned < Decimal(200)


def test_contoso_carries_its_first_month_forward(stories: dict[str, Any]) -> None:
    """Contoso's first month is below the US$200 minimum: carried, then paid with August's."""
    first, second = stories[CONTOSO].payments[:2]
    assert first.paid == 0
    assert 0 < first.carried_out < Decimal(200)
    assert "below the US$200.00 minimum" in first.note
    assert second.paid == first.carried_out + second.earned
    codes = {i.code for i in stories[CONTOSO].ineligible}
    assert {"ALREADY_APPROVED", "EXCLUDED_OFFER", "NO_ASSOCIATION"} <= codes


def test_litware_earns_partner_earned_credit(stories: dict[str, Any]) -> None:
    """Litware, a direct-bill and indirect provider, earns PEC on all its CSP Azure."""
    litware = stories[LITWARE]
    assert litware.program == "PARTNER_EARNED_CREDIT"
    assert {i.code for i in litware.ineligible} == {"OUTSIDE_PROGRAM"}  # before 2023-10
    in_program = [m for m in litware.months if m.month >= dt.date(2023, 10, 1)]
    assert all(m.eligible == m.credited > 0 for m in in_program)
    assert litware.earned > Decimal("0.15") * litware.eligible - len(litware.lines)


def test_describe_incentives_tells_each_story_with_its_figures(stories: dict[str, Any]) -> None:
    """The text names every story's partner and program and the amounts earned and paid."""
    text = describe_incentives()
    flat = " ".join(text.split())
    for pid, earnings in stories.items():
        assert f"{pid} " in text
        assert f"earned US${earnings.earned:,}" in flat
    assert "not eligible in" in flat
    assert "carried forward, then paid" in flat
    assert all(len(line) <= 78 for line in text.splitlines())
