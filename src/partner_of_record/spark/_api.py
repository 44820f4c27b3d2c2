"""The Spark functions: the facts broadcast, the grouped job, totals and ``read_usage``.

The input frames (vocabulary, bucket numbers, minor units) are built in ``_frames``, the
per-bucket work runs in ``_bucket`` (in the executors), ``evaluate_all`` lives in ``_evaluate``;
the package re-exports each from its home.
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import attrs

from partner_of_record.attribution import RecognizeAll
from partner_of_record.ledger import Ledger
from partner_of_record.rules import DEFAULT_RULES, RuleSet
from partner_of_record.spark._bucket import credit_bucket, reject_bucket
from partner_of_record.spark._common import (
    AMOUNT_SCALE,
    BUCKET,
    CREDIT_COLUMNS,
    REJECT_COLUMNS,
    Job,
    arrow,
)
from partner_of_record.spark._facts import facts_payload
from partner_of_record.spark._frames import (
    DataFrame,
    SparkInputError,
    SparkSession,
    bucketed_facts,
    mapping,
    pyspark_functions,
    usage_frame,
)

__all__ = [
    "SparkAttribution",
    "attribute",
    "attribute_with_rejected",
    "read_usage",
    "rejected_rows",
    "totals",
]

_BROADCASTS: OrderedDict[tuple[int, int], tuple[Ledger, Any, Any, str]] = OrderedDict()
_BROADCASTS_LOCK = threading.Lock()
_BROADCASTS_KEPT = 4
BROADCAST_SECONDS: dict[str, float] = {}
"""Wall seconds of the last new facts broadcast on this driver: ``payload`` (building the
columns) and ``broadcast`` (pickling them and handing them to Spark); read by the benchmark."""


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
        started = time.perf_counter()
        payload = facts_payload(ledger, token)
        built = time.perf_counter()
        variable = context.broadcast(payload)
        BROADCAST_SECONDS.update(payload=built - started, broadcast=time.perf_counter() - built)
        _BROADCASTS[key] = (ledger, context, variable, token)
        while len(_BROADCASTS) > _BROADCASTS_KEPT:
            _BROADCASTS.popitem(last=False)
        return variable, token


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
    pa = arrow()

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
    pyspark_functions()
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
    frame, found, typed = usage_frame(usage, n)
    if rules is None:
        rules = facts.rules if isinstance(facts, Ledger) else DEFAULT_RULES
    facts_frame: DataFrame | None = None
    variable: Any = None
    token: str | None = None
    if isinstance(facts, Ledger):
        variable, token = _ledger_facts(spark, facts)
    else:
        facts_frame = bucketed_facts(facts, n)
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
    fn = functools.partial(credit_bucket, job)
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
    fn = functools.partial(reject_bucket, job)
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
    credits = _grouped(frame, facts_frame, functools.partial(credit_bucket, job), CREDIT_COLUMNS)
    rejected = _grouped(frame, facts_frame, functools.partial(reject_bucket, job), REJECT_COLUMNS)
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
    F = pyspark_functions()  # noqa: N806
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
        .agg(F.sum("amount").cast(f"decimal(38,{AMOUNT_SCALE})").alias("amount"))
    )


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
    found = mapping(frame.columns, "usage")
    for field, name in found.items():
        if name != field:
            frame = frame.withColumnRenamed(name, field)
    return frame
