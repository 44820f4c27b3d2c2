"""The Spark side of the input: the usage vocabulary, bucket numbers, exact minor units.

Maps a DataFrame's columns to the model's fields through the CSV import's header table (one home
for the vocabulary), adds each row's id and bucket (a stable hash of its subscription id), the
amount in minor units when the columns are typed, and turns facts given as DataFrames into one
text table co-grouped with the usage. Builds only lazy DataFrames: no Spark job runs here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from partner_of_record._extras import require
from partner_of_record.currency import CURRENCIES, minor_unit_exponent
from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.io.columns import layout_for, normalize
from partner_of_record.spark._common import BUCKET, EXACT, FACT_COLUMNS, MINOR, RECORD, ROW

__all__ = [
    "DataFrame",
    "SparkInputError",
    "SparkSession",
    "bucketed_facts",
    "mapping",
    "pyspark_functions",
    "usage_frame",
]

DataFrame = Any  # pyspark.sql.DataFrame: typed loosely, pyspark is an optional extra
SparkSession = Any


class SparkInputError(PartnerOfRecordError, ValueError):
    """A Spark input cannot be used as given (a missing column, a policy that cannot travel)."""


def pyspark_functions() -> Any:
    return require("pyspark.sql.functions", "spark", "partner_of_record.spark")


def mapping(columns: Iterable[str], layout_name: str) -> dict[str, str]:
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
    F = pyspark_functions()  # noqa: N806
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
    F = pyspark_functions()  # noqa: N806
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


def usage_frame(usage: DataFrame, buckets: int) -> tuple[DataFrame, dict[str, str], bool]:
    F = pyspark_functions()  # noqa: N806
    found = mapping(usage.columns, "usage")
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


def bucketed_facts(facts: Mapping[str, DataFrame], buckets: int) -> DataFrame:
    """Facts given as DataFrames: one text table (``FACT_COLUMNS``) with its bucket column."""
    F = pyspark_functions()  # noqa: N806
    frame = _frame_facts(facts)
    return frame.withColumn(BUCKET, _bucket_of(frame["subscription_id"], buckets)).select(
        *[F.col(c) for c in (*FACT_COLUMNS, BUCKET)]
    )


def _frame_facts(facts: Any) -> DataFrame:
    F = pyspark_functions()  # noqa: N806
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
    found = mapping(subs.columns, "subscriptions")
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
        found_a = mapping(assocs.columns, "associations")
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
    F = pyspark_functions()  # noqa: N806
    return frame.select(
        *[
            frame[c] if c in frame.columns else F.lit(None).cast("string").alias(c)
            for c in FACT_COLUMNS
            if c != ROW
        ]
    )
