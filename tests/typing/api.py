"""Checked by ``mypy --strict`` in CI: the public API is typed as users call it.

This file is not run; a type error here means a public signature regressed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from partner_of_record import (
    Association,
    AssociationKind,
    Credits,
    Customer,
    EqualSplit,
    Evaluation,
    Ledger,
    Partner,
    RecognizeAll,
    Subscription,
    Usage,
    Workload,
    attribute,
    evaluate_all,
    evaluate_competency,
    from_json,
    to_json,
)
from partner_of_record.catalog import CLOUD_PLATFORM_GOLD, SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE
from partner_of_record.evaluation import Evaluations
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

ledger: Ledger = Ledger(
    partners=[Partner("P1", "Contoso")],
    customers=[Customer("T1")],
    subscriptions=[Subscription("S1", "T1", Workload.AZURE)],
    associations=[Association("P1", "S1", AssociationKind.PAL, dt.date(2024, 1, 1))],
    usage=[Usage("S1", dt.date(2024, 1, 1), Decimal("10.00"), service="Storage")],
)
credits: Credits = attribute(ledger, RecognizeAll(kinds={AssociationKind.PAL}))
split: Credits = attribute(ledger, EqualSplit(), start=dt.date(2024, 1, 1), end=dt.date(2025, 1, 1))
total: Decimal = credits.total(partner_id="P1")
by_partner: dict[object, Decimal] = dict(credits.totals(by="partner_id"))
unattributed: Decimal = credits.unattributed_total()
ok: bool = credits.reconcile().ok

evaluation: Evaluation = evaluate_competency(
    ledger, "P1", CLOUD_PLATFORM_GOLD, as_of=dt.date(2025, 1, 1)
)
met: bool = evaluation.met
text: str = evaluation.explain()

sample = load_sample()
everyone = evaluate_all(
    sample, SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS
)
one_partner: Evaluation = everyone["P1"]
everyone_met: Mapping[str, bool] = everyone.met
by_entry: dict[str, Evaluations] = evaluate_all(
    sample,
    entries=[SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE, "CLOUD_PLATFORM_GOLD"],
    as_of=SAMPLE_AS_OF,
    evidence=False,
)
gold_scores: Mapping[str, Decimal | None] = by_entry["CLOUD_PLATFORM_GOLD"].score
as_dict: dict[str, Evaluation] = by_entry["CLOUD_PLATFORM_GOLD"]

round_tripped: Ledger = from_json(to_json(ledger), Ledger)
