"""Reading and writing facts and results: JSON, CSV folders, and exports of results.

CSV import: [`load_folder`][partner_of_record.io.load_folder] (with a rejects report),
[`validate_folder`][partner_of_record.io.validate_folder] (streaming),
[`read_records`][partner_of_record.io.read_records]; a single JSON document:
[`load_json`][partner_of_record.io.load_json]; export:
[`export_folder`][partner_of_record.io.export_folder]
and the ``write_*`` functions.

[`to_json`][partner_of_record.io.to_json] / [`from_json`][partner_of_record.io.from_json] and
[`to_dict`][partner_of_record.io.to_dict] / [`from_dict`][partner_of_record.io.from_dict] share
one private ``cattrs`` converter (never cattrs' global one). The JSON shape:

* dates are ISO strings, exactly ``YYYY-MM-DD``;
* amounts are strings that keep their exponent (``Decimal("12.30")`` <-> ``"12.30"``); reading
  also accepts a JSON integer, and ``from_json`` reads a JSON number with a fraction exactly,
  but a Python ``float`` is refused; exact fractions (shares) are strings such as ``"1/3"``;
* enums are their values (``"dpor"``); frozensets are sorted lists; tuples are lists; an absent
  optional value is ``null``;
* every field is written, defaults included; when reading, fields with defaults may be left out,
  unknown keys are refused, and nothing is coerced (``"3"`` is not a count, ``3`` not a name);
* a ledger is an object with the lists ``partners``, ``customers``, ``subscriptions``,
  ``associations``, ``usage`` and ``seats``. Reading one calls ``Ledger(...)`` with the default
  rule set; a [`LedgerError`][partner_of_record.LedgerError] (well-formed facts that break the
  ledger's checks) propagates unchanged. The rule set and the findings are not written.

Reading collects **every** problem into one
[`SerializationError`][partner_of_record.io.SerializationError] whose
[`Problem`][partner_of_record.io.Problem]s name their JSON path (``$.associations[3].kind``).

Any ``attrs`` class built from these types (and ``dict`` with string keys, ``list``, nested
``attrs`` classes) needs no registration: that is how attribution and evaluation results are
written without those packages importing ``io``. Another type is taught with
[`register_hooks`][partner_of_record.io.register_hooks].
"""

from __future__ import annotations

from partner_of_record.io._converter import (
    Problem,
    SerializationError,
    from_dict,
    register_hooks,
    to_dict,
)
from partner_of_record.io.columns import (
    ASSOCIATION_KIND_ALIASES,
    LAYOUTS,
    WORKLOAD_ALIASES,
    markdown_reference,
)
from partner_of_record.io.csv_import import (
    DataFileError,
    FileSummary,
    LoadReport,
    LoadResult,
    Reject,
    load_folder,
    read_records,
    validate_folder,
)
from partner_of_record.io.export import (
    credits_to_pandas,
    evaluations_to_pandas,
    export_folder,
    export_json,
    write_credits_csv,
    write_credits_json,
    write_evaluations_csv,
    write_evaluations_json,
    write_findings_csv,
    write_findings_json,
    write_parquet,
    write_reconciliation_csv,
    write_reconciliation_json,
    write_rejects_csv,
    write_unattributed_csv,
)
from partner_of_record.io.json import from_json, to_json
from partner_of_record.io.json_import import load_json

__all__ = [
    "ASSOCIATION_KIND_ALIASES",
    "LAYOUTS",
    "WORKLOAD_ALIASES",
    "DataFileError",
    "FileSummary",
    "LoadReport",
    "LoadResult",
    "Problem",
    "Reject",
    "SerializationError",
    "credits_to_pandas",
    "evaluations_to_pandas",
    "export_folder",
    "export_json",
    "from_dict",
    "from_json",
    "load_folder",
    "load_json",
    "markdown_reference",
    "read_records",
    "register_hooks",
    "to_dict",
    "to_json",
    "validate_folder",
    "write_credits_csv",
    "write_credits_json",
    "write_evaluations_csv",
    "write_evaluations_json",
    "write_findings_csv",
    "write_findings_json",
    "write_parquet",
    "write_reconciliation_csv",
    "write_reconciliation_json",
    "write_rejects_csv",
    "write_unattributed_csv",
]
