"""Attribution on Spark gives the local engine's results, cent for cent.

Runs a real local Spark session (``local[2]``, two shuffle partitions, no UI, bound to
127.0.0.1). Spark needs Java: without it these tests are skipped, and the skip says so.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import pickle
import shutil
import sys
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partner_of_record import (
    Association,
    AssociationKind,
    Ledger,
    Usage,
    attribute,
)
from partner_of_record.currency import minor_unit_exponent, quantize
from partner_of_record.io import export_folder, load_folder
from partner_of_record.model import OfferCategory, PartnerId
from partner_of_record.policies import (
    DporOnly,
    EqualSplit,
    Priority,
    RecognizeAll,
    WeightedSplit,
)
from strategies import LedgerFacts, ledger_facts

TESTS = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# the session


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and Path(home, "bin", "java").exists():
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark session for the whole test run (skipped, loudly, when Java is missing)."""
    if _java() is None:
        msg = (
            "SPARK TESTS SKIPPED: no Java runtime (java not on PATH, JAVA_HOME unset); install "
            "a headless Java 17 (apt-get install openjdk-17-jre-headless) to run them"
        )
        print(f"\n*** {msg} ***", file=sys.stderr)
        pytest.skip(msg)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:  # made by an earlier test (a docs page): ours has its own settings
        active.stop()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        # the executors' Python workers import this module to unpickle the custom policies
        .config("spark.executorEnv.PYTHONPATH", str(TESTS))
        .appName("partner_of_record tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# --------------------------------------------------------------------------------------------
# custom policies (top level: picklable)


class LowestIdTakesAll:
    """A custom policy: the partner with the lowest id in effect gets the whole span."""

    name = "lowest_id_takes_all"
    usage_independent = True

    def shares(self, usage: Usage, active: Sequence[Association]) -> Mapping[PartnerId, Fraction]:
        """Return the lowest partner id in effect with share 1."""
        if not active:
            return {}
        return {min(a.partner_id for a in active): Fraction(1)}


class HoldsALock(LowestIdTakesAll):
    """A policy that cannot be pickled (it holds a lock)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


POLICIES: tuple[Any, ...] = (
    RecognizeAll(),
    DporOnly(),
    EqualSplit(),
    Priority(Priority.AZURE_USAGE_REPORT),
    WeightedSplit({AssociationKind.PAL: 2, AssociationKind.DPOR: 1, AssociationKind.CSP_TIER1: 1}),
    LowestIdTakesAll(),
)

# --------------------------------------------------------------------------------------------
# helpers

USAGE_SCHEMA = (
    "subscription_id string, month date, amount decimal(30,6), currency string, service string"
)


def usage_frame(spark: Any, rows: Iterable[Usage], partitions: int | None = None) -> Any:
    """A typed DataFrame of usage records (in order; spread over ``partitions`` if given)."""
    data = [(u.subscription_id, u.month, u.amount, u.currency, u.service) for u in rows]
    frame = spark.createDataFrame(data, USAGE_SCHEMA)
    return frame if partitions is None else frame.repartition(partitions)


def facts_of(facts: LedgerFacts) -> Ledger:
    """The facts ledger (no usage) of drawn facts."""
    return Ledger(
        facts.partners,
        facts.customers,
        facts.subscriptions,
        facts.associations,
        seats=facts.seats,
    )


CreditRow = tuple[Any, ...]


def local_rows(ledger: Ledger, policy: Any) -> collections.Counter[CreditRow]:
    """The local engine's credits and unattributed parts as comparable tuples."""
    credits = attribute(ledger, policy)
    rows: collections.Counter[CreditRow] = collections.Counter()
    for c in credits:
        kinds = tuple(sorted(k.value for k in c.kinds))
        rows[
            (
                c.partner_id,
                c.subscription_id,
                c.customer_id,
                c.workload.value,
                c.month,
                c.service,
                c.currency,
                c.amount,
                kinds,
            )
        ] += 1
    for part in credits.unattributed:
        u = part.usage
        sub = ledger.subscription(u.subscription_id)
        rows[
            (
                None,
                u.subscription_id,
                sub.customer_id,
                sub.workload.value,
                u.month,
                u.service,
                u.currency,
                part.amount,
                (),
            )
        ] += 1
    return rows


def spark_rows(frame: Any) -> collections.Counter[CreditRow]:
    """The Spark result as the same tuples (amounts compared by value)."""
    rows: collections.Counter[CreditRow] = collections.Counter()
    for r in frame.collect():
        rows[
            (
                r.partner_id,
                r.subscription_id,
                r.customer_id,
                r.workload,
                r.month,
                r.service,
                r.currency,
                r.amount,
                tuple(r.kinds),
            )
        ] += 1
    return rows


def normalised(rows: collections.Counter[CreditRow]) -> collections.Counter[CreditRow]:
    """Amounts normalised (``Decimal('1.0')`` and ``Decimal('1.000')`` are the same amount)."""
    return collections.Counter({(*r[:7], r[7].normalize() + 0, r[8]): n for r, n in rows.items()})


# --------------------------------------------------------------------------------------------
# equality with the local engine

_FACTS = ledger_facts(
    max_subscriptions=6,
    max_associations=10,
    max_months=6,
    currencies=("USD", "JPY", "KWD"),
    negative_usage=True,
)
_SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(facts=_FACTS)
def test_every_policy_equals_local_engine(spark: Any, facts: LedgerFacts) -> None:
    """Every credit row of every built-in and a custom policy equals the local engine's."""
    from partner_of_record import spark as pors

    ledger = facts.to_ledger()
    usage = usage_frame(spark, facts.usage)
    for policy in POLICIES:
        got = spark_rows(pors.attribute(usage, facts_of(facts), policy, buckets=3))
        assert normalised(got) == normalised(local_rows(ledger, policy)), policy
    text = spark.createDataFrame(
        [
            (u.subscription_id, u.month.isoformat(), str(u.amount), u.currency, u.service)
            for u in facts.usage
        ],
        TEXT_SCHEMA,
    )  # text columns take the CSV import's path: the same credits
    got = spark_rows(pors.attribute(text, facts_of(facts), EqualSplit(), buckets=2))
    assert normalised(got) == normalised(local_rows(ledger, EqualSplit()))


@_SETTINGS
@given(facts=_FACTS)
def test_each_row_is_conserved(spark: Any, facts: LedgerFacts) -> None:
    """For split policies each input row's parts sum to its amount, to the minor unit."""
    from partner_of_record import spark as pors

    usage = usage_frame(spark, facts.usage)
    frame = pors.attribute(usage, facts_of(facts), EqualSplit())
    sums: dict[tuple[Any, ...], Decimal] = collections.defaultdict(Decimal)
    rows_of: dict[tuple[Any, ...], set[int]] = collections.defaultdict(set)
    for r in frame.collect():
        key = (r.subscription_id, r.month, r.service, r.currency)
        sums[key] += r.amount
        rows_of[key].add(r.row)
    expected = {u.key: quantize(u.amount, u.currency) for u in facts.usage}
    assert dict(sums) == expected
    assert all(len(ids) == 1 for ids in rows_of.values())
    assert len({i for ids in rows_of.values() for i in ids}) == len(facts.usage)


@_SETTINGS
@given(facts=_FACTS, data=st.data())
def test_results_do_not_depend_on_buckets_partitions_or_order(
    spark: Any, facts: LedgerFacts, data: st.DataObject
) -> None:
    """One bucket or seven, one partition or seven, any row order: the same credits."""
    from partner_of_record import spark as pors

    shuffled = data.draw(st.permutations(facts.usage))
    ledger = facts_of(facts)
    one = pors.attribute(usage_frame(spark, facts.usage, 1), ledger, EqualSplit(), buckets=1)
    seven = pors.attribute(usage_frame(spark, shuffled, 7), ledger, EqualSplit(), buckets=7)
    assert spark_rows(one) == spark_rows(seven)


def test_window_as_local(spark: Any) -> None:
    """``start``/``end`` keep the months the local engine keeps."""
    from partner_of_record import spark as pors

    ledger = tiny_facts()
    rows = [Usage("S1", dt.date(2024, m, 1), Decimal("10.00")) for m in (1, 2, 3)]
    full = Ledger(*_parts(ledger), usage=rows)
    got = pors.attribute(
        usage_frame(spark, rows), ledger, start=dt.date(2024, 2, 1), end=dt.date(2024, 3, 1)
    )
    local = attribute(full, start=dt.date(2024, 2, 1), end=dt.date(2024, 3, 1))
    assert [(r.partner_id, r.month, r.amount) for r in got.collect()] == [
        (c.partner_id, c.month, c.amount) for c in local
    ]


# --------------------------------------------------------------------------------------------
# rejected rows: the CSV import's rules


def tiny_facts() -> Ledger:
    """Two subscriptions; S1 has a DPOR from 2024-01-10, S2 a PAL all along."""
    from partner_of_record import Customer, Partner, Subscription, Workload

    return Ledger(
        [Partner("P1"), Partner("P2")],
        [Customer("C1")],
        [Subscription("S1", "C1", Workload.AZURE), Subscription("S2", "C1", Workload.AZURE)],
        [
            Association("P1", "S1", AssociationKind.DPOR, dt.date(2024, 1, 10)),
            Association("P2", "S2", AssociationKind.PAL, dt.date(2023, 1, 1)),
        ],
    )


def _parts(ledger: Ledger) -> tuple[Any, ...]:
    return (ledger.partners, ledger.customers, ledger.subscriptions, ledger.associations)


BAD_ROWS: tuple[tuple[str | None, ...], ...] = (
    # subscription_id, month, amount, currency, service
    ("S1", "2024-01-01", "100.00", "USD", "VM"),
    (None, "2024-01-01", "5.00", "USD", "VM"),  # null id
    ("S1", None, "5.00", "USD", "SQL"),  # null month
    ("S1", "2024-01-01", None, "USD", "SQL"),  # null amount
    ("S1", "2024-01-15", "5.00", "USD", "SQL"),  # not the first of the month
    ("S1", "2024-13-01", "5.00", "USD", "Web"),  # no such month
    ("S1", "2024-02-01", "NaN", "USD", "VM"),  # not finite
    ("S1", "2024-02-01", "Infinity", "USD", "SQL"),  # not finite
    ("S1", "2024-02-01", "1,5", "USD", "Web"),  # decimal comma
    ("S1", "2024-02-01", "7.00", "XXY", "Storage"),  # unknown currency
    ("S9", "2024-01-01", "5.00", "USD", "VM"),  # unknown subscription
    ("S1", "2024-01-01", "100.00", "USD", "VM"),  # duplicated row
    ("S1", "2024-01-01", "99.00", "USD", "VM"),  # duplicated key, other amount
    ("S2", "2024-01-01", "10.00", "USD", "VM"),  # mixed currencies in one subscription
    ("S2", "2024-01-01", "10.00", "EUR", "VM"),
    ("S2", "2024-01-01", "1000", "JPY", "VM"),
    (" S2 ", "2024-02", "$1,234.50", "", "VM"),  # spaces, YYYY-MM, symbols as in a CSV
)
TEXT_SCHEMA = "subscription_id string, month string, amount string, currency string, service string"


def test_rejected_rows_equal_the_csv_loaders(spark: Any, tmp_path: Path) -> None:
    """Bad rows are rejected with the CSV import's codes and columns; none is lost."""
    from partner_of_record import spark as pors

    facts = tiny_facts()
    export_folder(facts, tmp_path)
    header = "subscription_id,month,amount,currency,service"
    lines = [header] + [
        ",".join(f'"{v}"' if v is not None else "" for v in row) for row in BAD_ROWS
    ]
    (tmp_path / "usage.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load_folder(tmp_path, progress=False)
    expected = sorted(
        (r.line - 2, r.code, r.column)
        for r in loaded.report.rejects
        if r.file.endswith("usage.csv")
    )
    usage = spark.createDataFrame(list(BAD_ROWS), TEXT_SCHEMA)
    credits = pors.attribute(usage, facts).collect()
    rejected = pors.rejected_rows(usage, facts).collect()
    ids = sorted({r.row for r in credits} | {r.row for r in rejected})
    assert len(ids) == len(BAD_ROWS)  # every row credited, unattributed or rejected
    position = {row_id: i for i, row_id in enumerate(ids)}
    got = sorted((position[r.row], r.code, r.column) for r in rejected)
    assert got == expected
    assert {r.record for r in rejected} == {"usage"}
    assert all(r.reason for r in rejected)
    # the accepted rows are credited exactly as the local engine credits the loaded ledger
    assert normalised(spark_rows(pors.attribute(usage, facts))) == normalised(
        local_rows(loaded.ledger, RecognizeAll())
    )


def test_mixed_currencies_in_one_subscription_are_never_added(spark: Any) -> None:
    """Rows of one subscription in three currencies are credited and totalled per currency."""
    from partner_of_record import spark as pors

    facts = tiny_facts()
    rows = [
        Usage("S2", dt.date(2024, 1, 1), Decimal("10.00"), "USD"),
        Usage("S2", dt.date(2024, 1, 1), Decimal("20.00"), "EUR"),
        Usage("S2", dt.date(2024, 1, 1), Decimal("3000"), "JPY"),
    ]
    totals = pors.totals(pors.attribute(usage_frame(spark, rows), facts)).collect()
    got = {(r.partner_id, r.currency): r.amount for r in totals}
    local = attribute(Ledger(*_parts(facts), usage=rows)).totals(by=("partner_id", "currency"))
    assert got == local


def test_policy_that_cannot_be_pickled_is_refused_before_the_job(spark: Any) -> None:
    """A policy holding a lock is refused when ``attribute`` is called, naming the problem."""
    from partner_of_record import spark as pors

    usage = usage_frame(spark, [Usage("S1", dt.date(2024, 1, 1), Decimal(1))])
    with pytest.raises(pors.SparkInputError, match="cannot be pickled"):
        pors.attribute(usage, tiny_facts(), HoldsALock())
    pickle.dumps(LowestIdTakesAll())  # the other custom policy travels


def test_missing_or_doubled_columns_are_refused(spark: Any) -> None:
    """A usage frame without an amount column, or with two, is refused with the column named."""
    from partner_of_record import spark as pors

    no_amount = spark.createDataFrame(
        [("S1", "2024-01-01")], "subscription_id string, month string"
    )
    with pytest.raises(pors.SparkInputError, match="'amount'"):
        pors.attribute(no_amount, tiny_facts())
    doubled = spark.createDataFrame(
        [("S1", "2024-01-01", "1", "2")],
        "subscription_id string, month string, amount string, ACR string",
    )
    with pytest.raises(pors.SparkInputError, match="both name the field 'amount'"):
        pors.attribute(doubled, tiny_facts())


def test_partner_center_headers_are_accepted(spark: Any) -> None:
    """Partner Center column names map through the CSV import's vocabulary."""
    from partner_of_record import spark as pors

    usage = spark.createDataFrame(
        [("S2", "2024-01-01", "12.50", "USD")],
        "`Subscription ID` string, `Usage month` string, ACR string, `Billing currency` string",
    )
    rows = pors.attribute(usage, tiny_facts()).collect()
    assert [(r.partner_id, r.amount) for r in rows] == [("P2", Decimal("12.500"))]


def test_facts_as_dataframes_equal_a_ledger(spark: Any) -> None:
    """Facts given as DataFrames are checked per bucket as a lenient ledger checks them."""
    from partner_of_record import Customer, Partner, Subscription, Workload
    from partner_of_record import spark as pors

    subscriptions = [
        Subscription("S1", "C1", Workload.AZURE),
        Subscription("S2", "C1", Workload.AZURE),
    ]
    associations = [
        Association("P1", "S1", AssociationKind.DPOR, dt.date(2024, 1, 10)),
        Association("P2", "S1", AssociationKind.DPOR, dt.date(2024, 1, 20)),  # a handover
        Association("P2", "S2", AssociationKind.PAL, dt.date(2023, 1, 1)),
        Association("P1", "S2", AssociationKind.DAP, dt.date(2023, 1, 1)),  # no DAP on Azure
    ]
    rows = [
        Usage("S1", dt.date(2024, 1, 1), Decimal("31.00")),
        Usage("S2", dt.date(2024, 1, 1), Decimal("5")),
    ]
    local = Ledger.lenient(
        [Partner("P1"), Partner("P2")], [Customer("C1")], subscriptions, associations, rows
    )
    subs = spark.createDataFrame(
        [(s.id, s.customer_id, "Azure") for s in subscriptions],
        "`Subscription ID` string, `Customer tenant ID` string, workload string",
    )
    assocs = spark.createDataFrame(
        [(a.partner_id, a.subscription_id, a.kind.name, a.start) for a in associations],
        "partner_id string, subscription_id string, kind string, start date",
    )
    facts = {"subscriptions": subs, "associations": assocs}
    usage = usage_frame(spark, rows)
    got = pors.attribute(usage, facts)
    assert normalised(spark_rows(got)) == normalised(local_rows(local.ledger, RecognizeAll()))
    rejected = pors.rejected_rows(usage, facts).collect()
    assert [(r.record, r.code) for r in rejected] == [
        ("association", r.finding.code) for r in local.rejected
    ]
    assert len(rejected) == 1


def test_totals_match_local_totals(spark: Any) -> None:
    """``totals`` by partner and by month equal ``Credits.totals``."""
    from partner_of_record import samples
    from partner_of_record import spark as pors

    ledger = samples.load_sample()
    facts = Ledger(*_parts(ledger), seats=ledger.seats, rules=ledger.rules)
    credits = pors.attribute(usage_frame(spark, ledger.usage), facts, EqualSplit())
    local = attribute(ledger, EqualSplit())
    for by in (("partner_id",), ("partner_id", "month")):
        got = {
            tuple(r[k] for k in (*by, "currency")): r.amount
            for r in pors.totals(credits, by).collect()
        }
        want = local.totals(by=(*by, "currency"))
        assert got == want


def test_evaluate_all_equals_local_evaluation(spark: Any) -> None:
    """Evaluations from Spark credits equal the local evaluator's with the same policy."""
    from partner_of_record import evaluate_all, samples
    from partner_of_record import spark as pors

    ledger = samples.load_sample()
    facts = Ledger(*_parts(ledger), seats=ledger.seats, rules=ledger.rules)
    policy = RecognizeAll()
    credits = pors.attribute(usage_frame(spark, ledger.usage), facts, policy)
    for name in (
        "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
        "SOLUTIONS_PARTNER_MODERN_WORK",
        "CLOUD_PLATFORM_GOLD",
    ):
        got = pors.evaluate_all(
            credits, facts, name, as_of=samples.SAMPLE_AS_OF, skills=samples.SAMPLE_SKILLS
        )
        want = evaluate_all(
            ledger,
            name,
            as_of=samples.SAMPLE_AS_OF,
            policy=policy,
            skills=samples.SAMPLE_SKILLS,
            evidence=False,
        )
        assert got == want


def test_evaluate_all_counts_a_usage_rows_own_offer_as_local(spark: Any) -> None:
    """A usage row's own offer category (a trial row on a standard subscription) is excluded
    by Spark's evaluate_all exactly as by the local evaluator."""
    from partner_of_record import evaluate_all, samples
    from partner_of_record import spark as pors

    base = samples.load_sample()
    usage = [
        attrs.evolve(u, offer=OfferCategory.TRIAL) if i % 3 == 0 else u
        for i, u in enumerate(base.usage)
    ]
    ledger = Ledger(*_parts(base), usage=usage, seats=base.seats, rules=base.rules)
    facts = Ledger(*_parts(base), seats=base.seats, rules=base.rules)
    data = [
        (u.subscription_id, u.month, u.amount, u.currency, u.service, u.offer and u.offer.value)
        for u in usage
    ]
    frame = spark.createDataFrame(data, USAGE_SCHEMA + ", offer string")
    policy = RecognizeAll()
    credits = pors.attribute(frame, facts, policy)
    assert {r.offer for r in credits.select("offer").distinct().collect()} >= {"trial"}
    name = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
    kwargs: dict[str, Any] = {"as_of": samples.SAMPLE_AS_OF, "skills": samples.SAMPLE_SKILLS}
    want = evaluate_all(ledger, name, policy=policy, evidence=False, **kwargs)
    plain = evaluate_all(base, name, policy=policy, evidence=False, **kwargs)
    assert want != plain  # the trial rows change the result, so the test can fail
    assert pors.evaluate_all(credits, facts, name, **kwargs) == want


def test_read_usage_maps_csv_headers(spark: Any, tmp_path: Path) -> None:
    """``read_usage`` reads a CSV as text and renames Partner Center headers to field names."""
    from partner_of_record import spark as pors

    (tmp_path / "u.csv").write_text(
        'Subscription ID,Usage month,ACR,Extra\nS2,2024-01,"1,000.50",x\n', encoding="utf-8"
    )
    frame = pors.read_usage(spark, str(tmp_path / "u.csv"), format="csv")
    assert frame.columns == ["subscription_id", "month", "amount", "Extra"]
    rows = pors.attribute(frame, tiny_facts()).collect()
    assert [(r.partner_id, r.amount) for r in rows] == [("P2", Decimal("1000.500"))]
    with pytest.raises(pors.SparkInputError, match="format"):
        pors.read_usage(spark, str(tmp_path), format="xlsx")


TYPED_ROWS: tuple[tuple[Any, ...], ...] = (
    ("S1", dt.date(2024, 1, 1), Decimal("100.00"), "USD", "VM"),
    ("S1", None, Decimal("5.00"), "USD", "SQL"),  # null month
    ("S1", dt.date(2024, 2, 1), None, "USD", "SQL"),  # null amount
    (None, dt.date(2024, 2, 1), Decimal("5.00"), "USD", "SQL"),  # null subscription
    ("S1", dt.date(2024, 1, 15), Decimal("5.00"), "USD", "Web"),  # not the first of a month
    ("S9", dt.date(2024, 1, 1), Decimal("5.00"), "USD", "VM"),  # unknown subscription
    ("S1", dt.date(2024, 1, 1), Decimal("100.00"), "USD", "VM"),  # duplicated row
    ("S1", dt.date(2024, 1, 1), Decimal("99.00"), "USD", "VM"),  # duplicated key
    ("S1", dt.date(2024, 3, 1), Decimal("1.005"), "USD", "VM"),  # more decimals than cents
    ("S2", dt.date(2024, 1, 1), Decimal("1000"), "JPY", "VM"),
    ("S2", dt.date(2024, 1, 1), Decimal("12.5"), "EUR", "VM"),
    ("S2", dt.date(2024, 1, 1), Decimal("3.25"), "XXY", "VM"),  # unknown currency
)
TYPED_SCHEMA = (
    "subscription_id string, month date, amount decimal(20,4), currency string, service string"
)


def test_typed_columns_are_checked_as_from_columns(spark: Any) -> None:
    """Typed columns are rejected as ``Ledger.from_columns`` rejects them, and credited alike."""
    from partner_of_record import spark as pors

    facts = tiny_facts()
    fields = ("subscription_id", "month", "amount", "currency", "service")
    columns = {f: [row[i] for row in TYPED_ROWS] for i, f in enumerate(fields)}
    local = Ledger.from_columns(*_parts(facts), usage=columns, lenient=True)
    expected = sorted((r.record.row, r.finding.code) for r in local.rejected)
    bad = {r.record.row for r in local.rejected}
    kept = {f: [v for i, v in enumerate(vs) if i not in bad] for f, vs in columns.items()}
    accepted = Ledger.from_columns(*_parts(facts), usage=kept)  # the local engine's input
    ordered = spark.createDataFrame(list(TYPED_ROWS), TYPED_SCHEMA)
    for buckets in (1, 3):
        credits = pors.attribute(ordered, facts, buckets=buckets).collect()
        rejected = pors.rejected_rows(ordered, facts, buckets=buckets).collect()
        ids = sorted({r.row for r in credits} | {r.row for r in rejected})
        assert len(ids) == len(TYPED_ROWS)
        position = {row_id: i for i, row_id in enumerate(ids)}
        assert sorted((position[r.row], r.code) for r in rejected) == expected
        got = {(position[r.row], r.partner_id): r.amount for r in credits}
        want = local_rows(accepted, RecognizeAll())
        assert normalised(spark_rows(pors.attribute(ordered, facts, buckets=buckets))) == (
            normalised(want)
        )
        assert got[(0, "P1")] == Decimal("70.97")  # 22 of 31 days of 100.00


def test_attribute_with_rejected_gives_both_frames(spark: Any) -> None:
    """``attribute_with_rejected`` gives ``attribute``'s credits and ``rejected_rows``' rows,
    and every input row id is in exactly one of them."""
    from partner_of_record import spark as pors

    facts = tiny_facts()
    usage = spark.createDataFrame(list(BAD_ROWS), TEXT_SCHEMA)
    run = pors.attribute_with_rejected(usage, facts, EqualSplit(), buckets=3)
    assert isinstance(run, pors.SparkAttribution)
    credits, rejected = run.credits.collect(), run.rejected.collect()
    assert normalised(spark_rows(run.credits)) == normalised(
        spark_rows(pors.attribute(usage, facts, EqualSplit(), buckets=3))
    )
    assert sorted(rejected) == sorted(pors.rejected_rows(usage, facts, buckets=3).collect())
    credited, refused = {r.row for r in credits}, {r.row for r in rejected}
    assert not credited & refused
    assert len(credited | refused) == len(BAD_ROWS)


# --------------------------------------------------------------------------------------------
# a bucket's pieces, without Spark (pyarrow only)

_BUCKET_SETTINGS = settings(max_examples=25, deadline=None)


@_BUCKET_SETTINGS
@given(
    minor=st.lists(st.integers(-(10**15), 10**15), max_size=30),
    data=st.data(),
)
def test_amounts_are_the_exact_decimals_of_minor_units(
    minor: list[int], data: st.DataObject
) -> None:
    """Minor units become ``decimal128(38, 3)`` amounts equal to ``minor / 10**exponent``."""
    pytest.importorskip("pyarrow")
    import numpy as np

    from partner_of_record.spark import _credits

    exponents = data.draw(st.lists(st.sampled_from([0, 2, 3]), min_size=len(minor)))[: len(minor)]
    want = [Decimal(m).scaleb(-e) for m, e in zip(minor, exponents, strict=True)]
    for values in (np.array(minor, dtype=np.int64), np.array(minor, dtype=object)):
        got = _credits.amounts(values, np.array(exponents, dtype=np.int64)).to_pylist()
        assert got == want


@_BUCKET_SETTINGS
@given(
    values=st.one_of(
        st.lists(st.one_of(st.none(), st.text())),
        st.lists(st.one_of(st.none(), st.dates())),
        st.lists(st.one_of(st.none(), st.sampled_from(AssociationKind))),
        st.lists(st.integers(-(2**70), 2**70)),
        st.lists(st.one_of(st.none(), st.integers(), st.text(), st.booleans(), st.datetimes())),
    ),
    data=st.data(),
)
def test_facts_columns_give_back_each_value(values: list[Any], data: st.DataObject) -> None:
    """A facts column (text, days, enum members, integers or anything else) gives back, at any
    positions, the very values it was made from, with their types."""
    pytest.importorskip("pyarrow")
    import numpy as np

    from partner_of_record.spark import _facts

    picks = data.draw(st.lists(st.integers(0, len(values) - 1))) if values else []
    at = np.array(picks, dtype=np.int64)
    got = _facts._decoder(pickle.loads(pickle.dumps(_facts._encode(values))))(at)
    want = [values[i] for i in picks]
    assert got == want
    assert [type(v) for v in got] == [type(v) for v in want]


@_BUCKET_SETTINGS
@given(facts=_FACTS)
def test_facts_payload_rebuilds_the_ledgers_records(facts: LedgerFacts) -> None:
    """The broadcast columns rebuild each subscription with all its associations, as they
    were, each at its input row (subscriptions first, then associations)."""
    from partner_of_record.spark import _facts

    ledger = facts_of(facts)
    index = _facts.Facts(_facts.facts_payload(ledger, "token"))

    class Into:
        def __init__(self) -> None:
            self.subscriptions: list[Any] = []
            self.associations: list[Any] = []
            self.row_of: dict[int, int] = {}
            self.partners: dict[str, Any] = {}
            self.customers: dict[str, Any] = {}

    into = Into()
    ids = [s.id for s in ledger.subscriptions]
    index.select([*ids, "no-such-subscription", None], into)  # type: ignore[arg-type]
    assert sorted(into.subscriptions, key=repr) == sorted(ledger.subscriptions, key=repr)
    assert sorted(into.associations, key=repr) == sorted(ledger.associations, key=repr)
    n = len(ledger.subscriptions)
    for record in into.subscriptions:
        assert ledger.subscriptions[into.row_of[id(record)]] == record
    for record in into.associations:
        assert ledger.associations[into.row_of[id(record)] - n] == record
    used = {a.partner_id for a in ledger.associations}
    assert set(into.partners.values()) == {p for p in ledger.partners if p.id in used}
    one = Into()
    index.select(ids[:1], one)
    assert {a.subscription_id for a in one.associations} <= set(ids[:1])


@_BUCKET_SETTINGS
@given(facts=_FACTS, data=st.data())
def test_a_bucket_without_spark_equals_the_local_engine(
    facts: LedgerFacts, data: st.DataObject
) -> None:
    """``credit_bucket`` on Arrow tables gives the local engine's rows, each at its input row."""
    pa = pytest.importorskip("pyarrow")
    from partner_of_record.spark import _bucket, _common, _facts

    ledger = facts.to_ledger()
    policy = data.draw(st.sampled_from(POLICIES))
    usage = list(facts.usage)
    ids = data.draw(st.permutations(range(100, 100 + len(usage))))
    minor: list[int | None] = []  # as Spark computes them: whole minor units, else None
    for u in usage:
        scaled = u.amount.scaleb(minor_unit_exponent(u.currency))
        minor.append(int(scaled) if scaled == scaled.to_integral_value() else None)
    if data.draw(st.booleans()):  # else every amount goes through its Decimal
        minor = [None] * len(usage)
    table = pa.table(
        {
            "subscription_id": pa.array([u.subscription_id for u in usage], pa.string()),
            "month": pa.array([u.month for u in usage], pa.date32()),
            "amount": pa.array([u.amount for u in usage], pa.decimal128(30, 6)),
            "currency": pa.array([u.currency for u in usage], pa.string()),
            "service": pa.array([u.service for u in usage], pa.string()),
            _common.ROW: pa.array(ids, pa.int64()),
            _common.EXACT: pa.array([m is not None for m in minor], pa.bool_()),
            _common.MINOR: pa.array([m or 0 for m in minor], pa.int64()),
        }
    )
    fields = ("subscription_id", "month", "amount", "currency", "service")

    token = uuid.uuid4().hex  # a token names one payload: one per example

    class Shared:
        value = _facts.facts_payload(facts_of(facts), token)

    job = _common.Job(
        policy=policy,
        policy_name="p",
        rules=ledger.rules,
        start=None,
        end=None,
        usage_fields=fields,
        shown={f: f for f in fields},
        typed=True,
        facts=Shared(),
        facts_token=token,
    )
    out = _bucket.credit_bucket(job, table)
    rows: collections.Counter[CreditRow] = collections.Counter()
    for r in out.to_pylist():
        values = [r[k] for k in ("partner_id", "subscription_id", "customer_id", "workload")]
        values += [r[k] for k in ("month", "service", "currency", "amount")]
        rows[(*values, tuple(r["kinds"]))] += 1
        u = usage[ids.index(r["row"])]
        assert (r["subscription_id"], r["month"], r["service"], r["currency"]) == u.key
    assert normalised(rows) == normalised(local_rows(ledger, policy))


def test_executors_index_a_payload_once() -> None:
    """The executors' facts index is made once per payload token, and only the last few are
    kept."""
    from partner_of_record.spark import _common, _facts

    class Shared:
        def __init__(self, token: str) -> None:
            self.value = _facts.facts_payload(tiny_facts(), token)

    def job(token: str) -> _common.Job:
        return _common.Job(
            policy=RecognizeAll(),
            policy_name="recognize_all",
            rules=tiny_facts().rules,
            start=None,
            end=None,
            usage_fields=(),
            shown={},
            facts=Shared(token),
            facts_token=token,
        )

    first, made = _facts.facts_of(job("cache-a"))
    assert made
    assert _facts.facts_of(job("cache-a")) == (first, False)
    for token in ("cache-b", "cache-c", "cache-d"):
        _facts.facts_of(job(token))
    assert "cache-a" not in _facts._FACTS_CACHE
    assert len(_facts._FACTS_CACHE) <= _facts._FACTS_KEPT


def test_a_facts_ledger_is_broadcast_once(spark: Any) -> None:
    """``attribute`` and ``rejected_rows`` on the same facts ledger share one broadcast."""
    from partner_of_record import spark as pors
    from partner_of_record.spark import _api

    facts = tiny_facts()
    usage = spark.createDataFrame(list(BAD_ROWS), TEXT_SCHEMA)
    assert pors.attribute(usage, facts).count() > 0
    assert pors.rejected_rows(usage, facts).count() > 0
    held = [entry for entry in _api._BROADCASTS.values() if entry[0] is facts]
    assert len(held) == 1


def test_buckets_record_their_cost_when_asked(tmp_path: Path, monkeypatch: Any) -> None:
    """With the timings variable set, each bucket writes its rows, CPU and phases (the facts
    index only in the bucket that made it); unset, nothing is written."""
    pa = pytest.importorskip("pyarrow")
    from partner_of_record.spark import _bucket, _common, _facts

    token = uuid.uuid4().hex

    class Shared:
        value = _facts.facts_payload(tiny_facts(), token)

    fields = ("subscription_id", "month", "amount", "currency")
    job = _common.Job(
        policy=RecognizeAll(),
        policy_name="recognize_all",
        rules=tiny_facts().rules,
        start=None,
        end=None,
        usage_fields=fields,
        shown={f: f for f in fields},
        typed=True,
        facts=Shared(),
        facts_token=token,
    )
    table = pa.table(
        {
            "subscription_id": pa.array(["S1", "S2", "S9"]),
            "month": pa.array([dt.date(2024, 1, 1)] * 3, pa.date32()),
            "amount": pa.array([Decimal("1.00")] * 3, pa.decimal128(10, 2)),
            "currency": pa.array(["USD"] * 3),
            _common.ROW: pa.array([0, 1, 2], pa.int64()),
            _common.EXACT: pa.array([True] * 3),
            _common.MINOR: pa.array([100] * 3, pa.int64()),
        }
    )
    monkeypatch.delenv(_common.TIMINGS_ENV, raising=False)
    _bucket.credit_bucket(job, table)  # makes the index, writes nothing
    monkeypatch.setenv(_common.TIMINGS_ENV, str(tmp_path))
    _bucket.credit_bucket(job, table)
    _facts._FACTS_CACHE.clear()
    _bucket.credit_bucket(job, table)
    lines = sorted(p.read_text(encoding="utf-8").split() for p in tmp_path.iterdir())
    assert len(lines) == 2
    for pid, rows, wall, cpu, *rest in lines:
        assert int(pid) == os.getpid()
        assert int(rows) == 3
        assert float(wall) >= 0
        assert float(cpu) >= 0
        names = [item.split("=")[0] for item in rest]
        assert {"ledger", "engine", "output", "start", "end"} <= set(names)
    assert sorted("index=" in " ".join(line) for line in lines) == [False, True]
