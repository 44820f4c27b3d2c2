"""Attribution on Spark: the local engine, run per bucket of subscriptions.

Needs the ``spark`` extra (``pip install pyspark (the [spark] extra)``, pyspark >= 3.5); pyspark
is imported only when a function is called.

```python
from partner_of_record import spark as pors

run = pors.attribute_with_rejected(usage_df, facts_ledger, RecognizeAll())
pors.totals(run.credits, by="partner_id").show()
run.rejected.show()  # or pors.rejected_rows(usage_df, facts_ledger)
```

Usage rows are bucketed by a stable hash of their subscription id; each bucket holds every
usage row, subscription and association of its subscriptions (facts from a ledger are
broadcast once as columns and indexed once per executor process), builds a
[`Ledger`][partner_of_record.Ledger] of them and runs the ordinary
[`attribute`][partner_of_record.attribute]. The results are therefore the local engine's, cent
for cent, whatever the number of buckets, partitions or executors. Policies travel to the
executors by pickling: a custom policy must be picklable (checked before the job starts).
"""

from __future__ import annotations

from partner_of_record.spark._api import (
    SparkAttribution,
    attribute,
    attribute_with_rejected,
    read_usage,
    rejected_rows,
    totals,
)
from partner_of_record.spark._evaluate import evaluate_all
from partner_of_record.spark._frames import SparkInputError

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
