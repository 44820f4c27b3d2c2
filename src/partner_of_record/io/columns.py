"""The CSV layout: files, columns, accepted header names, accepted values and cell parsers.

This module is the **one visible table** of what the CSV importer accepts. A folder holds one
file per record type (see [`LAYOUTS`][partner_of_record.io.columns.LAYOUTS]); each file has a
header row. A header cell is matched to a field after normalisation: lower-cased, with every
character that is not a letter or a digit removed, so ``"Customer Tenant ID"``,
``"customer_tenant_id"`` and ``"CustomerTenantId"`` are the same header. The same normalisation
applies to enumerated values: ``"CSP Tier 1"``, ``"csp_tier1"`` and ``"CSP-T1"`` all mean
[`AssociationKind.CSP_TIER1`][partner_of_record.AssociationKind].

Cell formats (decisions, documented for users):

* **Dates**: ISO ``YYYY-MM-DD`` (always accepted), or a slash date ``N/N/YYYY`` read in the
  file's date order: declared (``load_folder(..., date_order="dmy")``, ``--date-order dmy``), or
  proven by the column (another row's ``25/1/2024`` proves day-first), or needless (``1/25/2024``
  and ``3/3/2024`` read the same either way). A slash date that two orders read as different
  days (``01/02/2024``) with nothing to decide is **refused**, never guessed; a column that
  mixes both orders has its slash dates refused. A time of exactly midnight may follow an ISO
  date (``2024-01-01T00:00:00Z``, as some exports write); any other time is refused rather
  than silently dropped. Only ASCII digits are read (``٢٠٢٤-٠١-٠١`` is refused).
* **Months** (usage and seat rows): any date form above on the first of the month, or ``YYYY-MM``;
  an ambiguous slash date of which exactly one reading is a first of month is read that way.
  December 9999 is refused (a month needs a next month).
* **Amounts**: a plain decimal with ``.`` as the decimal point, optionally with ``,`` thousands
  separators in groups of three (``1,234.50``), a sign or accounting parentheses
  (``(12.00)`` is ``-12.00``), and a currency symbol or ISO code before or after
  (``$1,234.50``, ``1,234.50 EUR``). ``€`` means EUR and ``£`` GBP; ``$`` and ``¥`` are ambiguous
  and only stripped. The European decimal comma (``1.234,50`` or ``12,5``) is read when the
  file is ``;``-delimited (then a text that reads as two amounts, ``1,234`` or ``1.234``, is
  refused as ambiguous) or when the decimal mark ``,`` is declared (``decimal=","``,
  ``--decimal ,``); in a ``,``- or tab-delimited file it is refused with a message saying so,
  never guessed. At most 30 digits before the decimal point and 30 after (the model's range);
  only ASCII digits.
* **Counts** (seats, users): a non-negative whole number, with optional ``,`` thousands
  separators; ``12.0`` is accepted as ``12``.
* **Identifiers** are stripped of surrounding spaces; names and roles are kept verbatim.
* An empty cell in an optional column means "not given" (the model's default: ``None``,
  an empty name, zero seats, USD, a standard offer).

Size: about 650 lines, by design: most of it is the tables themselves (every file, column,
header alias and value alias, read by the importer and rendered in the file-format reference),
kept in one module so that what the importer accepts is one table to read. The cell parsers it
lists (``parse_date`` ...) are implemented in the private ``io._cells``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from partner_of_record.io._cells import (
    DATE_ORDERS,
    AmbiguousDateError,
    CellError,
    DateOrder,
    DecimalMark,
    alias_index,
    enum_parser,
    normalize,
    parse_amount,
    parse_count,
    parse_currency,
    parse_date,
    parse_month,
    slash_readings,
)
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    OfferCategory,
    Partner,
    Record,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)

__all__ = [
    "ACTOR_ALIASES",
    "ASSOCIATION_KIND_ALIASES",
    "DATE_ORDERS",
    "LAYOUTS",
    "OFFER_ALIASES",
    "PARSERS",
    "WORKLOAD_ALIASES",
    "AmbiguousDateError",
    "CellError",
    "Column",
    "ColumnKind",
    "DateOrder",
    "DecimalMark",
    "RecordLayout",
    "layout_for",
    "markdown_reference",
    "normalize",
    "parse_actor",
    "parse_amount",
    "parse_association_kind",
    "parse_count",
    "parse_currency",
    "parse_date",
    "parse_month",
    "parse_offer",
    "parse_workload",
    "slash_readings",
]


class ColumnKind(enum.Enum):
    """How a column's cells are read."""

    ID = "id"
    """An identifier: stripped of surrounding spaces."""
    TEXT = "text"
    """Free text, kept verbatim."""
    OPTIONAL_TEXT = "optional_text"
    """Free text, kept verbatim; an empty cell is ``None``."""
    OPTIONAL_ID = "optional_id"
    """An identifier; an empty cell is ``None``."""
    DATE = "date"
    """A day (ISO or M/D/YYYY)."""
    MONTH = "month"
    """The first day of a month (a date, or ``YYYY-MM``)."""
    AMOUNT = "amount"
    """Money: a decimal amount, maybe with thousands separators and a currency symbol."""
    CURRENCY = "currency"
    """An ISO 4217 code (any case)."""
    COUNT = "count"
    """A non-negative whole number."""
    WORKLOAD = "workload"
    """A [`Workload`][partner_of_record.Workload], through ``WORKLOAD_ALIASES``."""
    ASSOCIATION_KIND = "association_kind"
    """An [`AssociationKind`][partner_of_record.AssociationKind], through the kind aliases."""
    ACTOR = "actor"
    """An [`Actor`][partner_of_record.Actor], through ``ACTOR_ALIASES``."""
    OFFER = "offer"
    """An [`OfferCategory`][partner_of_record.OfferCategory], through ``OFFER_ALIASES``."""


@attrs.frozen
class Column:
    """One column of a record file.

    Attributes:
        field: the model field it fills (also the header the exporter writes).
        kind: how its cells are read.
        required: whether the header must have it and every row must fill it.
        aliases: other header names accepted for it (compared after
            [`normalize`][partner_of_record.io.columns.normalize]); the field name itself is
            always accepted.
        description: what the column holds, for the docs.
    """

    field: str
    kind: ColumnKind
    required: bool
    aliases: tuple[str, ...]
    description: str

    def accepted_headers(self) -> tuple[str, ...]:
        """Return the field name followed by its aliases, as written in this table."""
        return (self.field, *self.aliases)


@attrs.frozen
class RecordLayout:
    """The file and the columns of one record type.

    Attributes:
        name: the record type's name in a folder and in reports (``"usage"``).
        file_name: the file that holds it in a folder (``"usage.csv"``).
        record_type: the model class each row becomes.
        columns: its columns, in the order the exporter writes them.
    """

    name: str
    file_name: str
    record_type: type[Record]
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column:
        """Return the column that fills ``field``.

        Raises:
            KeyError: no column fills that field.
        """
        for col in self.columns:
            if col.field == field:
                return col
        raise KeyError(field)

    def header_index(self) -> Mapping[str, str]:
        """Return the map from normalised header name to field for this layout."""
        index: dict[str, str] = {}
        for col in self.columns:
            for alias in col.accepted_headers():
                key = normalize(alias)
                other = index.setdefault(key, col.field)
                if other != col.field:  # pragma: no cover - guarded by a test of the table
                    msg = f"{self.name}: header {alias!r} is an alias of {other} and {col.field}"
                    raise ValueError(msg)
        return MappingProxyType(index)


_ID = ColumnKind.ID
_PARTNER_ID_ALIASES = ("partner id", "partnerid", "mpn id", "mpn", "partner one id", "partner")
_SUBSCRIPTION_ID_ALIASES = (
    "subscription id",
    "subscription",
    "azure subscription id",
    "subscription guid",
    "entitlement id",
)
_CUSTOMER_ID_ALIASES = (
    "customer tenant id",
    "tenant id",
    "customer id",
    "tenant",
    "customer",
    "customer tenant",
)
_MONTH_ALIASES = ("usage month", "billing month", "consumption month", "period", "usage period")
# the columns several files share, spelled once
_SUBSCRIPTION_REF = Column(
    "subscription_id", _ID, True, _SUBSCRIPTION_ID_ALIASES, "Subscription ID."
)
_MONTH = Column(
    "month", ColumnKind.MONTH, True, _MONTH_ALIASES, "First day of the month (or YYYY-MM)."
)

LAYOUTS: tuple[RecordLayout, ...] = (
    RecordLayout(
        "partners",
        "partners.csv",
        Partner,
        (
            Column(
                "id",
                _ID,
                True,
                ("partner id", "mpn id", "partner one id", "pid"),
                "Partner ID (MPN ID).",
            ),
            Column(
                "name",
                ColumnKind.TEXT,
                False,
                ("partner name", "company name", "partner company name", "organization name"),
                "Display name.",
            ),
            Column(
                "market",
                ColumnKind.OPTIONAL_ID,
                False,
                ("partner country code", "partner country", "country code", "country"),
                "Two-letter ISO 3166-1 market code (US, DE); empty when not known.",
            ),
        ),
    ),
    RecordLayout(
        "customers",
        "customers.csv",
        Customer,
        (
            Column("id", _ID, True, _CUSTOMER_ID_ALIASES[:3], "Customer tenant ID."),
            Column(
                "name",
                ColumnKind.TEXT,
                False,
                (
                    "customer name",
                    "company name",
                    "customer company name",
                    "organization name",
                    "tenant name",
                ),
                "Display name.",
            ),
        ),
    ),
    RecordLayout(
        "subscriptions",
        "subscriptions.csv",
        Subscription,
        (
            Column("id", _ID, True, _SUBSCRIPTION_ID_ALIASES, "Subscription ID."),
            Column(
                "customer_id", _ID, True, _CUSTOMER_ID_ALIASES, "Tenant ID of the owning customer."
            ),
            Column(
                "workload",
                ColumnKind.WORKLOAD,
                True,
                ("product", "product family", "service family", "workload name"),
                "The product: a value of WORKLOAD_ALIASES.",
            ),
            Column(
                "name",
                ColumnKind.TEXT,
                False,
                ("subscription name", "friendly name", "nickname"),
                "Display name.",
            ),
            Column(
                "offer",
                ColumnKind.OFFER,
                False,
                ("offer category", "offer type"),
                "Offer category: a value of OFFER_ALIASES; empty means standard.",
            ),
        ),
    ),
    RecordLayout(
        "associations",
        "associations.csv",
        Association,
        (
            Column("partner_id", _ID, True, _PARTNER_ID_ALIASES, "Partner ID."),
            _SUBSCRIPTION_REF,
            Column(
                "kind",
                ColumnKind.ASSOCIATION_KIND,
                True,
                (
                    "association type",
                    "association",
                    "association kind",
                    "partner association type",
                    "attribution type",
                    "type",
                ),
                "Association type: a value of ASSOCIATION_KIND_ALIASES.",
            ),
            Column(
                "start",
                ColumnKind.DATE,
                True,
                (
                    "start date",
                    "association start date",
                    "association date",
                    "effective date",
                    "from",
                ),
                "First day in effect.",
            ),
            Column(
                "end",
                ColumnKind.DATE,
                False,
                ("end date", "association end date", "expiry date", "expiration date", "until"),
                "First day no longer in effect; empty while open.",
            ),
            Column(
                "granted_by",
                ColumnKind.ACTOR,
                False,
                ("granted by", "actor", "associated by"),
                "Who made the link: a value of ACTOR_ALIASES.",
            ),
            Column(
                "role",
                ColumnKind.OPTIONAL_TEXT,
                False,
                ("rbac role", "access role"),
                "RBAC role, kept verbatim.",
            ),
            Column(
                "recorded_on",
                ColumnKind.DATE,
                False,
                ("recorded on", "recorded date", "date recorded"),
                "Day recorded in the source system.",
            ),
            Column(
                "auto_extend_days",
                ColumnKind.COUNT,
                False,
                ("auto extend days", "auto extend duration days"),
                "Days a GDAP relationship extends itself by (0 or 180); empty means 0.",
            ),
        ),
    ),
    RecordLayout(
        "usage",
        "usage.csv",
        Usage,
        (
            _SUBSCRIPTION_REF,
            _MONTH,
            Column(
                "amount",
                ColumnKind.AMOUNT,
                True,
                (
                    "acr",
                    "azure consumed revenue",
                    "consumed revenue",
                    "acr usd",
                    "revenue",
                    "amount usd",
                ),
                "Consumed revenue; may be negative.",
            ),
            Column(
                "currency",
                ColumnKind.CURRENCY,
                False,
                ("currency code", "billing currency"),
                "ISO 4217 code; empty means the amount's currency code, else USD.",
            ),
            Column(
                "service",
                ColumnKind.OPTIONAL_ID,
                False,
                ("service name", "service level 2", "meter category", "service category"),
                "Service consumed; empty when not known.",
            ),
            Column(
                "offer",
                ColumnKind.OFFER,
                False,
                ("offer category", "offer type"),
                "Offer category the row was billed under (a value of OFFER_ALIASES); empty"
                " means the subscription's offer applies.",
            ),
        ),
    ),
    RecordLayout(
        "seats",
        "seats.csv",
        SeatUsage,
        (
            _SUBSCRIPTION_REF,
            _MONTH,
            Column(
                "paid_seats",
                ColumnKind.COUNT,
                False,
                ("paid seats", "paid units", "paid available units", "licensed seats", "seats"),
                "Paid (licensed) seats; empty means 0.",
            ),
            Column(
                "active_users",
                ColumnKind.COUNT,
                False,
                (
                    "active users",
                    "monthly active users",
                    "mau",
                    "active entitlements",
                    "active seats",
                ),
                "Monthly active users; empty means 0.",
            ),
        ),
    ),
)
"""Every record file of a folder, in load order, with its columns and accepted header names."""


def layout_for(record_type: type[Record] | str) -> RecordLayout:
    """Return the layout of a record type, given its class or its name (``"usage"``).

    Args:
        record_type: a model class (``Usage``) or a layout name, file name or file stem.

    Returns:
        The matching layout.

    Raises:
        ValueError: nothing matches; the message lists the accepted names.
    """
    for layout in LAYOUTS:
        if record_type is layout.record_type:
            return layout
        if isinstance(record_type, str) and normalize(record_type) in (
            normalize(layout.name),
            normalize(layout.file_name),
            normalize(layout.record_type.__name__),
        ):
            return layout
    names = ", ".join(layout.name for layout in LAYOUTS)
    msg = f"record type {record_type!r} is not one of {names}"
    raise ValueError(msg)


def markdown_reference() -> str:
    """Return the column and value tables as Markdown, for the user documentation.

    Returns:
        One table per file (column, required, accepted headers, description), then one table
        per enumerated value type (value, accepted spellings).
    """
    out: list[str] = []
    for layout in LAYOUTS:
        out += [f"### `{layout.file_name}`", "", "| column | required | also accepted | meaning |"]
        out.append("|---|---|---|---|")
        out.extend(
            f"| `{c.field}` | {'yes' if c.required else 'no'} | "
            f"{', '.join(c.aliases)} | {c.description} |"
            for c in layout.columns
        )
        out.append("")
    tables: tuple[tuple[str, Mapping[Any, tuple[str, ...]]], ...] = (
        ("Association types", ASSOCIATION_KIND_ALIASES),
        ("Workloads", WORKLOAD_ALIASES),
        ("Actors", ACTOR_ALIASES),
        ("Offer categories", OFFER_ALIASES),
    )
    for title, table in tables:
        out += [f"### {title}", "", "| value | accepted spellings |", "|---|---|"]
        out.extend(
            f"| `{member.value}` | {', '.join(aliases)} |" for member, aliases in table.items()
        )
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# value tables: canonical member -> accepted spellings (compared after normalize). The member's
# value and name are always accepted too.

ASSOCIATION_KIND_ALIASES: Mapping[AssociationKind, tuple[str, ...]] = MappingProxyType(
    {
        AssociationKind.DPOR: ("DPOR", "Digital partner of record", "Digital POR"),
        AssociationKind.TRANSACTING: (
            "Transacting partner of record",
            "Transacting partner",
            "TPOR",
        ),
        AssociationKind.CSP_TIER1: (
            "CSP T1",
            "CSP Tier 1",
            "Direct bill",
            "CSP direct bill",
            "Direct bill partner",
            "CSP direct",
        ),
        AssociationKind.CSP_TIER2: (
            "CSP T2",
            "CSP Tier 2",
            "Indirect reseller",
            "CSP indirect reseller",
            "CSP indirect",
        ),
        AssociationKind.DAP: ("DAP", "Delegated admin privileges", "Delegated administration"),
        AssociationKind.GDAP: ("GDAP", "Granular delegated admin privileges", "Granular DAP"),
        AssociationKind.PAL: ("PAL", "Partner admin link"),
        AssociationKind.CPOR: ("CPOR", "Claiming partner of record"),
        AssociationKind.LIGHTHOUSE: ("Lighthouse", "Azure Lighthouse"),
    }
)
"""Accepted spellings of each association type, as Partner Center exports and people write them."""

WORKLOAD_ALIASES: Mapping[Workload, tuple[str, ...]] = MappingProxyType(
    {
        Workload.AZURE: ("Azure", "Microsoft Azure", "Azure plan", "Microsoft Azure plan"),
        Workload.OFFICE_365: ("Office 365", "O365"),
        Workload.MICROSOFT_365: ("Microsoft 365", "M365"),
        Workload.TEAMS: ("Teams", "Microsoft Teams"),
        Workload.DYNAMICS_365: ("Dynamics 365", "D365"),
        Workload.DYNAMICS_CRM_ONLINE: ("Dynamics CRM Online", "CRM Online", "Dynamics CRM"),
        Workload.DYNAMICS_AX7: ("Dynamics AX7", "AX7", "Dynamics AX"),
        Workload.BUSINESS_CENTRAL: ("Business Central", "Dynamics 365 Business Central"),
        Workload.CUSTOMER_INSIGHTS: ("Customer Insights", "Dynamics 365 Customer Insights"),
        Workload.INTUNE: ("Intune", "Microsoft Intune"),
        Workload.EMS: ("EMS", "Enterprise Mobility Suite", "Enterprise Mobility + Security"),
        Workload.POWER_PLATFORM: ("Power Platform", "Microsoft Power Platform"),
        Workload.POWER_APPS: ("Power Apps", "PowerApps"),
        Workload.POWER_AUTOMATE: ("Power Automate", "Microsoft Flow"),
        Workload.POWER_BI: ("Power BI", "PowerBI"),
        Workload.DEFENDER: ("Defender", "Microsoft Defender"),
        Workload.ENTRA: (
            "Entra",
            "Microsoft Entra",
            "Entra ID",
            "Azure Active Directory",
            "Azure AD",
        ),
    }
)
"""Accepted spellings of each workload."""

ACTOR_ALIASES: Mapping[Actor, tuple[str, ...]] = MappingProxyType(
    {
        Actor.CUSTOMER: ("Customer",),
        Actor.PARTNER: ("Partner",),
        Actor.VENDOR: ("Vendor", "Microsoft"),
    }
)
"""Accepted spellings of who made an association."""

OFFER_ALIASES: Mapping[OfferCategory, tuple[str, ...]] = MappingProxyType(
    {
        OfferCategory.STANDARD: ("Standard",),
        OfferCategory.SUPPORT: ("Support",),
        OfferCategory.INTERNAL: ("Internal",),
        OfferCategory.BENEFIT_PROGRAM: ("Benefit program", "Benefit"),
        OfferCategory.TRIAL: ("Trial", "Free trial"),
    }
)
"""Accepted spellings of offer categories."""

_KIND_INDEX = alias_index(ASSOCIATION_KIND_ALIASES)
_WORKLOAD_INDEX = alias_index(WORKLOAD_ALIASES)
_ACTOR_INDEX = alias_index(ACTOR_ALIASES)
_OFFER_INDEX = alias_index(OFFER_ALIASES)


parse_association_kind: Callable[[str], AssociationKind] = enum_parser(
    _KIND_INDEX, ASSOCIATION_KIND_ALIASES, "association type"
)
"""Read an association type (``"CSP Tier 1"`` -> ``AssociationKind.CSP_TIER1``).

Raises CellError for an unknown spelling, with the closest accepted one as a hint."""
parse_workload: Callable[[str], Workload] = enum_parser(
    _WORKLOAD_INDEX, WORKLOAD_ALIASES, "workload"
)
"""Read a workload (``"Office 365"`` -> ``Workload.OFFICE_365``); raises CellError."""
parse_actor: Callable[[str], Actor] = enum_parser(_ACTOR_INDEX, ACTOR_ALIASES, "actor")
"""Read who made an association (``"Microsoft"`` -> ``Actor.VENDOR``); raises CellError."""
parse_offer: Callable[[str], OfferCategory] = enum_parser(
    _OFFER_INDEX, OFFER_ALIASES, "offer category"
)
"""Read an offer category (``"Free trial"`` -> ``OfferCategory.TRIAL``); raises CellError."""


PARSERS: Mapping[ColumnKind, Callable[[str], Any]] = MappingProxyType(
    {
        ColumnKind.ID: str.strip,
        ColumnKind.OPTIONAL_ID: str.strip,
        ColumnKind.TEXT: str,
        ColumnKind.OPTIONAL_TEXT: str,
        ColumnKind.DATE: parse_date,
        ColumnKind.MONTH: parse_month,
        ColumnKind.AMOUNT: parse_amount,
        ColumnKind.CURRENCY: parse_currency,
        ColumnKind.COUNT: parse_count,
        ColumnKind.WORKLOAD: parse_workload,
        ColumnKind.ASSOCIATION_KIND: parse_association_kind,
        ColumnKind.ACTOR: parse_actor,
        ColumnKind.OFFER: parse_offer,
    }
)
"""The reader of each column kind; ``AMOUNT`` returns ``(amount, currency or None)``."""
