"""The Spark functions: vocabulary mapping, bucketing, the co-grouped job, totals, evaluation."""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.attribution import RecognizeAll
from partner_of_record.currency import CURRENCIES, minor_unit_exponent
from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.evaluation import (
    AcrRow,
    Competency,
    MeasurementContext,
    RateTable,
    SeatCrediting,
    SeatRow,
    evaluate_context,
    resolve_competency,
)
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import measurement_month
from partner_of_record.io.columns import layout_for, normalize
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, OfferCategory, PartnerId
from partner_of_record.rules import DEFAULT_RULES, RuleSet
from partner_of_record.spark import _bucket
from partner_of_record.spark._bucket import (
    BUCKET,
    CREDIT_COLUMNS,
    EXACT,
    FACT_COLUMNS,
    MINOR,
    RECORD,
    REJECT_COLUMNS,
    ROW,
    Job,
)

if TYPE_CHECKING:
    from partner_of_record.evaluation import Evaluation, Skills

__all__ = [
    "SparkAttribution",
    "SparkInputError",
    "attribute",
    "attribute_with_rejected",
    "evaluate_all",
    "read_usage",
    "rejected_rows",
    "totals",
]

DataFrame = Any  # pyspark.sql.DataFrame: typed loosely, pyspark is an optional extra
SparkSession = Any


class SparkInputError(PartnerOfRecordError, ValueError):
    """A Spark input cannot be used as given (a missing column, a policy that cannot travel)."""


def _pyspark() -> Any:
    try:
        import pyspark.sql.functions as F  # noqa: N812 - Spark's own convention
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "partner_of_record.spark needs pyspark: pip install pyspark (the [spark] extra)"
        ) from exc
    return F


def _mapping(columns: Iterable[str], layout_name: str) -> dict[str, str]:
    """Map a DataFrame's columns to a layout's fields through the CSV import's header table.

    Returns:
        field -> the column's name as the DataFrame spells it.

    Raises:
        SparkInputError: two columns name the same field, or a required one is missing.
    """
    layout = layout_for(layout_name)
    index = layout.header_index()
    found: dict[str, str] = {}
    for name in columns:
        field = index.get(normalize(name))
        if field is None:
            continue
        if field in found:
            msg = (
                f"{layout_name}: columns {found[field]!r} and {name!r} both name the field "
                f"{field!r}; drop one"
            )
            raise SparkInputError(msg)
        found[field] = name
    missing = [c for c in layout.columns if c.required and c.field not in found]
    if missing:
        details = "; ".join(
            f"{c.field!r} (also accepted: {', '.join(repr(a) for a in c.aliases)})" for c in missing
        )
        msg = f"{layout_name}: required column missing: {details}"
        raise SparkInputError(msg)
    return found


def _bucket_of(column: Any, buckets: int) -> Any:
    """The stable bucket of a subscription id: xxhash64 of the stripped id, modulo ``buckets``."""
    F = _pyspark()  # noqa: N806
    return F.pmod(F.xxhash64(F.trim(column.cast("string"))), F.lit(buckets)).cast("int")


def _text(column: Any) -> Any:
    """A column as text, as a CSV export would write it (dates ISO, decimals plain)."""
    return column.cast("string")


_TYPED = {
    "subscription_id": ("string",),
    "month": ("date",),
    "amount": ("decimal", "int", "bigint", "smallint", "tinyint"),
    "currency": ("string",),
    "service": ("string",),
    "offer": ("string",),
}


def _is_typed(usage: DataFrame, found: Mapping[str, str]) -> bool:
    """Whether every usage column has its model type (then ``Ledger.from_columns`` reads them)."""
    types = {f.name: f.dataType.simpleString() for f in usage.schema.fields}
    return all(
        field in _TYPED and types[name].split("(")[0] in _TYPED[field]
        for field, name in found.items()
    )


def _minor_columns(frame: DataFrame) -> DataFrame:
    """Add the amount in minor units (``_minor``) and whether it is exact (``_exact``)."""
    F = _pyspark()  # noqa: N806
    groups: dict[int, list[str]] = {}
    for code in sorted(CURRENCIES):
        groups.setdefault(minor_unit_exponent(code), []).append(code)
    currency = F.col("currency") if "currency" in frame.columns else F.lit("USD")
    factor = F.lit(100)
    for exponent, codes in sorted(groups.items()):
        if exponent != 2:
            factor = F.when(currency.isin(codes), F.lit(10**exponent)).otherwise(factor)
    scaled = F.col("amount") * factor.cast("decimal(5,0)")
    minor = F.expr("try_cast(__scaled as bigint)")
    return (
        frame.withColumn("__scaled", scaled)
        .withColumn(MINOR, minor)
        .withColumn(EXACT, F.col(MINOR).isNotNull() & (F.col("__scaled") == F.col(MINOR)))
        .drop("__scaled")
    )


def _usage_frame(usage: DataFrame, buckets: int) -> tuple[DataFrame, dict[str, str], bool]:
    F = _pyspark()  # noqa: N806
    found = _mapping(usage.columns, "usage")
    typed = _is_typed(usage, found)
    if typed:
        cols = [usage[name].alias(field) for field, name in found.items()]
        frame = usage.select(*cols)
        if "currency" in found:  # an empty currency means USD, as in the CSV import
            frame = frame.withColumn("currency", F.coalesce(F.col("currency"), F.lit("USD")))
        frame = _minor_columns(frame)
    else:
        cols = [_text(usage[name]).alias(field) for field, name in found.items()]
        frame = usage.select(*cols)
    frame = frame.withColumn(ROW, F.monotonically_increasing_id())
    frame = frame.withColumn(BUCKET, _bucket_of(frame["subscription_id"], buckets))
    return frame, found, typed


def _facts_frame(facts: Mapping[str, DataFrame], buckets: int) -> DataFrame:
    """Facts given as DataFrames: one text table (``FACT_COLUMNS``) with its bucket column."""
    F = _pyspark()  # noqa: N806
    frame = _frame_facts(facts)
    return frame.withColumn(BUCKET, _bucket_of(frame["subscription_id"], buckets)).select(
        *[F.col(c) for c in (*FACT_COLUMNS, BUCKET)]
    )


_BROADCASTS: OrderedDict[tuple[int, int], tuple[Ledger, Any, Any, str]] = OrderedDict()
_BROADCASTS_LOCK = threading.Lock()
_BROADCASTS_KEPT = 4


def _ledger_facts(spark: SparkSession, ledger: Ledger) -> tuple[Any, str]:
    """Broadcast a facts ledger's records as columns, once per ledger and Spark context.

    Returns:
        The broadcast variable and its token (the executors' cache key); the last few are
        kept, so ``attribute`` and ``rejected_rows`` on the same facts share one broadcast and
        the executors index the facts once.
    """
    if ledger.usage:
        msg = (
            "facts: the ledger holds usage rows; pass a ledger of facts only (partners, "
            "customers, subscriptions, associations): the usage comes from the DataFrame"
        )
        raise SparkInputError(msg)
    context = spark.sparkContext
    key = (id(ledger), id(context))
    with _BROADCASTS_LOCK:
        found = _BROADCASTS.get(key)
        # the records are held, so an id names the same ledger and context while kept
        if found is not None and found[0] is ledger and found[1] is context:
            _BROADCASTS.move_to_end(key)
            return found[2], found[3]
        token = uuid.uuid4().hex
        variable = context.broadcast(_bucket.facts_payload(ledger, token))
        _BROADCASTS[key] = (ledger, context, variable, token)
        while len(_BROADCASTS) > _BROADCASTS_KEPT:
            _BROADCASTS.popitem(last=False)
        return variable, token


def _frame_facts(facts: Any) -> DataFrame:
    F = _pyspark()  # noqa: N806
    if not isinstance(facts, Mapping) or "subscriptions" not in facts:
        msg = (
            "facts: expected a Ledger without usage, or a mapping with Spark DataFrames "
            "'subscriptions' and (optionally) 'associations'"
        )
        raise SparkInputError(msg)
    unknown = set(facts) - {"subscriptions", "associations"}
    if unknown:
        msg = f"facts: unknown key(s) {sorted(unknown)}; expected 'subscriptions', 'associations'"
        raise SparkInputError(msg)
    subs = facts["subscriptions"]
    found = _mapping(subs.columns, "subscriptions")
    sub_cols = {"subscription_id": "id", **{f: f for f in found if f != "id"}}
    sub_frame = subs.select(
        F.lit("subscription").alias(RECORD),
        *[
            (_text(subs[found[field]]) if field in found else F.lit(None).cast("string")).alias(out)
            for out, field in sub_cols.items()
        ],
    )
    parts = [_padded(sub_frame)]
    assocs = facts.get("associations")
    if assocs is not None:
        found_a = _mapping(assocs.columns, "associations")
        parts.append(
            _padded(
                assocs.select(
                    F.lit("association").alias(RECORD),
                    *[_text(assocs[name]).alias(field) for field, name in found_a.items()],
                )
            )
        )
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.unionByName(part)
    return frame.withColumn(ROW, F.monotonically_increasing_id())


def _padded(frame: DataFrame) -> DataFrame:
    F = _pyspark()  # noqa: N806
    return frame.select(
        *[
            frame[c] if c in frame.columns else F.lit(None).cast("string").alias(c)
            for c in FACT_COLUMNS
            if c != ROW
        ]
    )


def _check_policy(policy: Any) -> None:
    try:
        pickle.dumps(policy)
    except Exception as exc:
        msg = (
            f"policy {policy!r} cannot be pickled ({type(exc).__name__}: {exc}); it must travel "
            "to the Spark executors: define its class at the top level of an importable module "
            "and keep no open files, locks, lambdas or local functions in it"
        )
        raise SparkInputError(msg) from exc


def _check_day(label: str, value: object) -> None:
    if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
        msg = f"attribute(): {label}={value!r} is not a datetime.date"
        raise TypeError(msg)


def _spark_of(usage: DataFrame) -> SparkSession:
    return usage.sparkSession


def _buckets(spark: SparkSession, buckets: int | None) -> int:
    if buckets is None:
        return max(1, int(spark.conf.get("spark.sql.shuffle.partitions", "200")))
    if isinstance(buckets, bool) or not isinstance(buckets, int) or buckets < 1:
        msg = f"buckets={buckets!r} is not a positive integer"
        raise SparkInputError(msg)
    return buckets


def _schema(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in columns)


def _grouped(
    usage: DataFrame,
    facts_frame: DataFrame | None,
    fn: Any,
    columns: tuple[tuple[str, str], ...],
) -> DataFrame:
    """Run ``fn`` once per bucket: on its usage rows (facts from a ledger travel with the
    job), or on its usage and facts rows co-grouped (facts given as DataFrames)."""
    schema = _schema(columns)
    left = usage.groupBy(BUCKET)
    if facts_frame is None:
        if hasattr(left, "applyInArrow"):
            # pyspark 4 reads a function's type hints to choose between a table and a batch
            # iterator (and fails on a partial's); a function without hints takes the table
            unhinted = lambda table: fn(table)  # noqa: E731, PLW0108 - see above
            return left.applyInArrow(unhinted, schema=schema)
        return left.applyInPandas(  # pragma: no cover - pyspark 3.5 has no grouped Arrow API
            functools.partial(_via_pandas, fn), schema=schema
        )
    grouped = left.cogroup(facts_frame.groupBy(BUCKET))
    if hasattr(grouped, "applyInArrow"):
        return grouped.applyInArrow(fn, schema=schema)
    return grouped.applyInPandas(  # pragma: no cover - pyspark 3.5 has no cogroup Arrow API
        functools.partial(_via_pandas, fn), schema=schema
    )


def _via_pandas(fn: Any, *frames: Any) -> Any:  # pragma: no cover - pyspark 3.5
    pa = _bucket._arrow()

    out = fn(*(pa.Table.from_pandas(f) for f in frames))
    return out.to_pandas()


def _prepare(
    usage: DataFrame,
    facts: Any,
    policy: Any,
    start: dt.date | None,
    end: dt.date | None,
    buckets: int | None,
    rules: RuleSet | None,
) -> tuple[DataFrame, DataFrame | None, Job]:
    _pyspark()
    if policy is None:
        policy = RecognizeAll()
    if not callable(getattr(policy, "shares", None)) and not callable(
        getattr(policy, "decide", None)
    ):
        msg = f"policy {policy!r} has no shares(usage, active) method"
        raise TypeError(msg)
    _check_policy(policy)
    _check_day("start", start)
    _check_day("end", end)
    spark = _spark_of(usage)
    n = _buckets(spark, buckets)
    frame, found, typed = _usage_frame(usage, n)
    if rules is None:
        rules = facts.rules if isinstance(facts, Ledger) else DEFAULT_RULES
    facts_frame: DataFrame | None = None
    variable: Any = None
    token: str | None = None
    if isinstance(facts, Ledger):
        variable, token = _ledger_facts(spark, facts)
    else:
        facts_frame = _facts_frame(facts, n)
    job = Job(
        policy=policy,
        policy_name=str(getattr(policy, "name", type(policy).__name__)),
        rules=rules,
        start=start,
        end=end,
        usage_fields=tuple(found),
        shown=dict(found),
        typed=typed,
        facts=variable,
        facts_token=token,
    )
    return frame, facts_frame, job


def attribute(
    usage: DataFrame,
    facts: Ledger | Mapping[str, DataFrame],
    policy: Any = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    buckets: int | None = None,
    rules: RuleSet | None = None,
) -> DataFrame:
    """Attribute a Spark DataFrame of usage rows with the local engine, bucket by bucket.

    Each usage row goes to the bucket ``pmod(xxhash64(trim(subscription_id)), buckets)``;
    each bucket builds a [`Ledger`][partner_of_record.Ledger] of its rows and of all the
    facts of their subscriptions, and calls [`attribute`][partner_of_record.attribute] on it.
    Facts from a ledger are broadcast once (as columns; the executors index them once per
    process); facts given as DataFrames are bucketed the same way and co-grouped with the
    usage. Every subscription's whole history is in one bucket, so each row gets exactly the
    credits the local engine gives it on the whole ledger.

    Args:
        usage: a DataFrame in the usage vocabulary: the CSV import's column names and their
            aliases (``subscription_id``/``Subscription ID``, ``month``/``Usage month``,
            ``amount``/``ACR`` ..., see `partner_of_record.io.columns`); any column types
            (cells are read as the CSV import reads their text; a double is read through its
            decimal text, ``NaN`` and infinities are rejected).
        facts: a [`Ledger`][partner_of_record.Ledger] without usage (broadcast to the
            executors; the last few ledgers' broadcasts are reused), or a mapping with
            Spark DataFrames ``"subscriptions"`` and ``"associations"`` in the CSV
            vocabulary, when the facts are too large for the driver (each bucket then checks
            its facts; a rule across subscriptions, such as one CPOR partner per tenant and
            workload, cannot be checked per bucket: check such facts before).
        policy: the policy (default [`RecognizeAll`][partner_of_record.RecognizeAll]); it is
            pickled and sent to the executors, so it must be picklable.
        start: if given, only usage months on or after this day are attributed.
        end: if given, only usage months before this day are attributed.
        buckets: the number of buckets (default ``spark.sql.shuffle.partitions``). Results do
            not depend on it; pick it so that one bucket's rows fit in an executor's memory.
        rules: the rule set the buckets' ledgers check (default: the facts ledger's, else
            [`DEFAULT_RULES`][partner_of_record.rules.DEFAULT_RULES]).

    Returns:
        A lazy DataFrame with one row per credit and one per unattributed part (its
        ``partner_id`` is null): ``row`` (the input row's id, from
        ``monotonically_increasing_id``), ``partner_id``, ``subscription_id``, ``customer_id``,
        ``workload`` (its value, ``"azure"``), ``month`` (date), ``service``, ``currency``,
        ``amount`` (``DecimalType(38, 3)``: exact, rounded to the currency's minor unit by the
        engine, written with 3 decimals, the largest ISO 4217 minor unit), ``kinds`` (sorted
        kind values), ``policy`` and ``offer`` (the row's offer category, else its
        subscription's). Rows that cannot be attributed are not in it: see
        [`rejected_rows`][partner_of_record.spark.rejected_rows], or call
        [`attribute_with_rejected`][partner_of_record.spark.attribute_with_rejected] to get
        both frames at once.

    Raises:
        SparkInputError: a required usage column is missing or named twice, the facts are not
            a usage-free ledger nor a mapping of DataFrames, or the policy cannot be pickled
            (raised before any Spark job starts).
        TypeError: the policy has no ``shares``/``decide`` method, or ``start``/``end`` is not
            a date.
    """
    frame, facts_frame, job = _prepare(usage, facts, policy, start, end, buckets, rules)
    fn = functools.partial(_bucket.credit_bucket, job)
    return _grouped(frame, facts_frame, fn, CREDIT_COLUMNS)


def rejected_rows(
    usage: DataFrame,
    facts: Ledger | Mapping[str, DataFrame],
    *,
    buckets: int | None = None,
    rules: RuleSet | None = None,
) -> DataFrame:
    """The input rows that [`attribute`][partner_of_record.spark.attribute] leaves out, and why.

    The same checks, in the same buckets, as ``attribute``; the rules are the CSV import's:
    ``MISSING_VALUE`` (an empty or null required cell), ``INVALID_VALUE`` (a cell the CSV
    import cannot read or the model refuses: a bad month, a non-finite amount, an unknown
    currency ...), ``UNKNOWN_SUBSCRIPTION``, ``DUPLICATE_ROW`` (repeats an earlier row: the
    row with the smallest ``row`` id is kept), ``DUPLICATE_KEY`` (same subscription, month,
    service and currency as an earlier row, other values), and, for facts given as
    DataFrames, the ledger's own finding codes for subscriptions and associations it refuses.

    Args:
        usage: the usage DataFrame given to ``attribute``.
        facts: the facts given to ``attribute``.
        buckets: as for ``attribute`` (the result does not depend on it).
        rules: as for ``attribute``.

    Returns:
        A lazy DataFrame, one row per problem: ``record`` (``"usage"``, ``"subscription"`` or
        ``"association"``), ``row``, ``subscription_id``, ``column`` (as the input spells it;
        null when the whole row is at fault), ``value``, ``code`` and ``reason``.
    """
    frame, facts_frame, job = _prepare(usage, facts, None, None, None, buckets, rules)
    fn = functools.partial(_bucket.reject_bucket, job)
    return _grouped(frame, facts_frame, fn, REJECT_COLUMNS)


@attrs.frozen
class SparkAttribution:
    """The two lazy DataFrames of one attribution: every input row ends in one of them.

    Attributes:
        credits: the credit rows and unattributed parts, as returned by
            [`attribute`][partner_of_record.spark.attribute].
        rejected: the rejected input rows with their reasons, as returned by
            [`rejected_rows`][partner_of_record.spark.rejected_rows] (same ``row`` ids).
    """

    credits: DataFrame
    rejected: DataFrame


def attribute_with_rejected(
    usage: DataFrame,
    facts: Ledger | Mapping[str, DataFrame],
    policy: Any = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    buckets: int | None = None,
    rules: RuleSet | None = None,
) -> SparkAttribution:
    """Attribute as [`attribute`][partner_of_record.spark.attribute] does, and give the
    rejected input rows alongside, from the same prepared input and buckets.

    Each usage row id is in exactly one of the two frames (a rejected row may have several
    rows in ``rejected``, one per problem). The frames are lazy: each runs its own Spark job
    when used (persist ``usage`` first if reading it twice is costly); facts from a ledger are
    broadcast once for both.

    Args:
        usage: as for ``attribute``.
        facts: as for ``attribute``.
        policy: as for ``attribute``.
        start: as for ``attribute``.
        end: as for ``attribute``.
        buckets: as for ``attribute``.
        rules: as for ``attribute``.

    Returns:
        The credits and the rejected rows.

    Raises:
        SparkInputError: as ``attribute``.
        TypeError: as ``attribute``.
    """
    frame, facts_frame, job = _prepare(usage, facts, policy, start, end, buckets, rules)
    credits = _grouped(
        frame, facts_frame, functools.partial(_bucket.credit_bucket, job), CREDIT_COLUMNS
    )
    rejected = _grouped(
        frame, facts_frame, functools.partial(_bucket.reject_bucket, job), REJECT_COLUMNS
    )
    return SparkAttribution(credits, rejected)


def totals(credits: DataFrame, by: str | tuple[str, ...] = "partner_id") -> DataFrame:
    """Sum credited amounts per group, in Spark; amounts of different currencies never mix.

    Args:
        credits: a DataFrame returned by ``attribute``.
        by: a column or columns of it; ``currency`` is added when missing.

    Returns:
        A DataFrame with the ``by`` columns, ``currency`` and ``amount``
        (``DecimalType(38, 3)``), over credited rows only (as ``Credits.totals``; the
        unattributed parts, with a null partner, are left out).

    Raises:
        SparkInputError: a ``by`` column is not a credit column.
    """
    F = _pyspark()  # noqa: N806
    keys = (by,) if isinstance(by, str) else tuple(by)
    known = {name for name, _ in CREDIT_COLUMNS}
    bad = [k for k in keys if k not in known or k in ("amount", "kinds")]
    if bad:
        msg = f"totals(): cannot group by {bad}; group by columns of {sorted(known)}"
        raise SparkInputError(msg)
    if "currency" not in keys:
        keys = (*keys, "currency")
    return (
        credits.where(F.col("partner_id").isNotNull())
        .groupBy(*keys)
        .agg(F.sum("amount").cast(f"decimal(38,{_bucket.AMOUNT_SCALE})").alias("amount"))
    )


class _CollectedFacts:
    """A ``Facts`` source over credit rows collected from Spark (one run, one policy).

    A row counts for a set of kinds when it was earned through one of them, as
    ``LedgerFacts`` does when given a policy; seats come from the facts ledger.
    """

    def __init__(
        self,
        ledger: Ledger,
        rows: Mapping[PartnerId, list[tuple[Any, ...]]],
        months: frozenset[dt.date],
        rates: RateTable,
    ) -> None:
        self.ledger = ledger
        self.rows = rows
        self.months = months
        self.rates = rates
        self._seats = LedgerFacts(ledger, rates)
        self._acr: dict[tuple[PartnerId, frozenset[AssociationKind]], tuple[AcrRow, ...]] = {}

    def acr(self, partner_id: PartnerId, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        key = (partner_id, frozenset(kinds))
        found = self._acr.get(key)
        if found is None:
            wanted = {k.value for k in kinds}
            out = []
            for sub_id, month, service, currency, amount, row_kinds, offer in self.rows.get(
                partner_id, ()
            ):
                if not wanted.intersection(row_kinds):
                    continue
                sub = self.ledger.subscription(sub_id)
                out.append(
                    AcrRow(
                        customer_id=sub.customer_id,
                        subscription_id=sub_id,
                        workload=sub.workload,
                        month=month,
                        service=service,
                        usd=self.rates.to_usd(amount, currency, month),
                        offer=offer,
                    )
                )
            found = self._acr[key] = tuple(out)
        return found

    def seats(
        self,
        partner_id: PartnerId,
        kinds: frozenset[AssociationKind],
        crediting: SeatCrediting,
    ) -> tuple[SeatRow, ...]:
        return self._seats.seats(partner_id, kinds, crediting)

    def has_usage(self, month: dt.date) -> bool:
        return month in self.months or self._seats.has_usage(month)


def evaluate_all(
    credits: DataFrame,
    facts: Ledger,
    competency: Competency | str,
    *,
    as_of: dt.date,
    skills: Mapping[PartnerId, Skills] | None = None,
    rates: RateTable | None = None,
    partners: Iterable[PartnerId] | None = None,
) -> dict[PartnerId, Evaluation]:
    """Evaluate every partner (or the given ones) from credits computed in Spark.

    Spark keeps the credited rows of the evaluated partners up to the measurement month, sums
    them per partner, kinds, subscription, month, service, currency and offer (the grain of
    the measures' ``AcrRow``: a usage row's own offer category counts, as locally), and the
    driver collects only that; the months with usage are collected too. The evaluation then
    runs on the driver with the ordinary evaluator. The
    result equals the local ``evaluate_all(ledger, competency, as_of=..., policy=P,
    evidence=False)`` where ``P`` is the policy the credits were computed with: as locally
    with a policy, a credit counts for a requirement when it was earned through one of its
    kinds. (Without a policy the local evaluator attributes once per set of kinds with
    ``RecognizeAll(kinds)``; run ``attribute`` with that policy to get the same numbers.)

    Args:
        credits: a DataFrame returned by ``attribute`` over all usage rows.
        facts: the facts ledger given to ``attribute`` (with seat records, if any).
        competency: the competency, or its catalog name.
        as_of: the day of the evaluation.
        skills: partner id -> that partner's skills mapping.
        rates: US dollar rates for credits in other currencies.
        partners: the partners to evaluate (default: every partner of ``facts``).

    Returns:
        Partner id -> evaluation (without attached credits: ``credits`` is ``None``).

    Raises:
        UnknownRecordError: a partner is not in ``facts``.
    """
    F = _pyspark()  # noqa: N806
    comp = resolve_competency(competency)
    ids = [p.id for p in facts.partners] if partners is None else list(partners)
    for pid in ids:
        facts.partner(pid)
    last = measurement_month(as_of)
    wanted = credits.where(F.col("partner_id").isin(ids) & (F.col("month") <= F.lit(last)))
    grouped = wanted.groupBy(
        "partner_id", "kinds", "subscription_id", "month", "service", "currency", "offer"
    ).agg(F.sum("amount").alias("amount"))
    rows: dict[PartnerId, list[tuple[Any, ...]]] = {}
    for r in grouped.collect():
        amount = Decimal(r["amount"])
        rows.setdefault(r["partner_id"], []).append(
            (
                r["subscription_id"],
                r["month"],
                r["service"],
                r["currency"],
                amount,
                r["kinds"],
                OfferCategory(r["offer"]),
            )
        )
    for items in rows.values():
        items.sort(key=lambda t: (t[0], t[1], t[2] or "", t[3], t[6].value))
    months = frozenset(r["month"] for r in credits.select("month").distinct().collect())
    source = _CollectedFacts(facts, rows, months, rates if rates is not None else RateTable())
    per_partner = skills or {}
    return {
        pid: evaluate_context(MeasurementContext(pid, as_of, source, per_partner.get(pid)), comp)
        for pid in ids
    }


def read_usage(spark: SparkSession, path: str, format: str = "parquet") -> DataFrame:
    """Read usage rows and name their columns as the model does (``subscription_id`` ...).

    CSV files are read with a header row and every cell as text (the CSV import's cell rules
    then apply in ``attribute``); Parquet and Delta keep their types.

    Args:
        spark: the session.
        path: a file or folder (a Delta table's folder for ``"delta"``).
        format: ``"parquet"``, ``"csv"`` or ``"delta"`` (needs the Delta Lake package on the
            cluster, as on Databricks and Fabric).

    Returns:
        The DataFrame with its usage columns renamed to the model's field names (other columns
        are kept as they are).

    Raises:
        SparkInputError: an unknown format, or a required usage column is missing.
    """
    if format == "csv":
        frame = spark.read.option("header", True).option("inferSchema", False).csv(path)
    elif format in ("parquet", "delta"):
        frame = spark.read.format(format).load(path)
    else:
        msg = f"read_usage(): format={format!r} is not 'parquet', 'csv' or 'delta'"
        raise SparkInputError(msg)
    found = _mapping(frame.columns, "usage")
    for field, name in found.items():
        if name != field:
            frame = frame.withColumnRenamed(name, field)
    return frame
