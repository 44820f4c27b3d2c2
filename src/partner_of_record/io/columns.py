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
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import attrs

from partner_of_record.currency import CURRENCIES
from partner_of_record.model import (
    AMOUNT_MAX_DECIMALS,
    AMOUNT_MAX_INTEGER_DIGITS,
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

_E = TypeVar("_E", bound=enum.Enum)


def normalize(text: str) -> str:
    """Return ``text`` lower-cased with everything but letters and digits removed.

    Args:
        text: a header cell or an enumerated value as written in a file.

    Returns:
        The key used to look the text up in the alias tables (``"CSP Tier 1"`` -> ``"csptier1"``).
    """
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class CellError(ValueError):
    """A cell's text cannot be read as its column's type.

    Attributes:
        reason: what is wrong, phrased to follow the value (``"is not a date ..."``).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


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


def _reverse(table: Mapping[_E, tuple[str, ...]]) -> Mapping[str, _E]:
    index: dict[str, _E] = {}
    for member, aliases in table.items():
        for alias in (member.name, str(member.value), *aliases):
            other = index.setdefault(normalize(alias), member)
            if other is not member:  # pragma: no cover - guarded by a test of the tables
                msg = f"value {alias!r} is an alias of both {other!r} and {member!r}"
                raise ValueError(msg)
    return MappingProxyType(index)


_KIND_INDEX = _reverse(ASSOCIATION_KIND_ALIASES)
_WORKLOAD_INDEX = _reverse(WORKLOAD_ALIASES)
_ACTOR_INDEX = _reverse(ACTOR_ALIASES)
_OFFER_INDEX = _reverse(OFFER_ALIASES)


def _enum_parser(
    index: Mapping[str, _E], table: Mapping[_E, tuple[str, ...]], what: str
) -> Callable[[str], _E]:
    def parse(text: str) -> _E:
        member = index.get(normalize(text))
        if member is not None:
            return member
        spellings = [alias for aliases in table.values() for alias in aliases]
        close = difflib.get_close_matches(text.strip(), spellings, n=1, cutoff=0.6)
        if not close:
            lowered = {alias.casefold(): alias for alias in spellings}
            close = [
                lowered[m] for m in difflib.get_close_matches(text.strip().casefold(), lowered, n=1)
            ]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        accepted = ", ".join(aliases[0] for aliases in table.values())
        raise CellError(f"is not a known {what}; accepted: {accepted}{hint}")

    return parse


parse_association_kind: Callable[[str], AssociationKind] = _enum_parser(
    _KIND_INDEX, ASSOCIATION_KIND_ALIASES, "association type"
)
"""Read an association type (``"CSP Tier 1"`` -> ``AssociationKind.CSP_TIER1``).

Raises CellError for an unknown spelling, with the closest accepted one as a hint."""
parse_workload: Callable[[str], Workload] = _enum_parser(
    _WORKLOAD_INDEX, WORKLOAD_ALIASES, "workload"
)
"""Read a workload (``"Office 365"`` -> ``Workload.OFFICE_365``); raises CellError."""
parse_actor: Callable[[str], Actor] = _enum_parser(_ACTOR_INDEX, ACTOR_ALIASES, "actor")
"""Read who made an association (``"Microsoft"`` -> ``Actor.VENDOR``); raises CellError."""
parse_offer: Callable[[str], OfferCategory] = _enum_parser(
    _OFFER_INDEX, OFFER_ALIASES, "offer category"
)
"""Read an offer category (``"Free trial"`` -> ``OfferCategory.TRIAL``); raises CellError."""


# --------------------------------------------------------------------------------------------
# dates

# re.ASCII everywhere: ``\d`` would otherwise match any Unicode digit (Arabic-Indic ones, say).
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?", re.ASCII
)
_ISO_WITH_TIME = re.compile(r"\d{4}-\d{1,2}-\d{1,2}[T ]\d", re.ASCII)
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)

DateOrder = Literal["mdy", "dmy"]
"""The order of a slash date's parts: ``"mdy"`` (US, ``M/D/YYYY``) or ``"dmy"`` (``D/M/YYYY``)."""

DATE_ORDERS: tuple[DateOrder, ...] = ("mdy", "dmy")
"""The accepted values of a declared date order."""

_ORDER_FORM = {"mdy": "M/D/YYYY", "dmy": "D/M/YYYY"}


class AmbiguousDateError(CellError):
    """A slash date reads as two different days (``01/02/2024``) and no order says which.

    Attributes:
        readings: the day each order gives, by order (``{"mdy": ..., "dmy": ...}``).
    """

    def __init__(self, reason: str, readings: Mapping[str, dt.date]) -> None:
        super().__init__(reason)
        self.readings = readings


def _make_date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise CellError(f"is not a valid date ({exc})") from None


def slash_readings(text: str) -> dict[str, dt.date] | None:
    """Return the days a slash date can be, by order, or ``None`` when it is not a slash date.

    Args:
        text: the cell's text; surrounding spaces are ignored.

    Returns:
        ``{"mdy": day, "dmy": day}`` with only the orders that give a real day (an empty dict
        when neither does), or ``None`` for text that is not ``N/N/YYYY``.
    """
    m = _SLASH_DATE.fullmatch(text.strip())
    if m is None:
        return None
    out: dict[str, dt.date] = {}
    for order, (month, day) in (("mdy", (m[1], m[2])), ("dmy", (m[2], m[1]))):
        try:
            out[order] = dt.date(int(m[3]), int(month), int(day))
        except ValueError:
            continue
    return out


def _day_text(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def parse_date(text: str, *, date_order: DateOrder | None = None) -> dt.date:
    """Read a day written as ISO ``YYYY-MM-DD`` or as a slash date ``N/N/YYYY``.

    ISO dates are always accepted. A slash date is read in the declared ``date_order``; without
    one, it is read only when a single order gives a real day (``1/25/2024`` is 25 January,
    ``25/1/2024`` too) or both give the same day (``3/3/2024``). ``01/02/2024`` is ambiguous
    (1 February or 2 January) and raises ``AmbiguousDateError``: the loaders then look at the
    other rows of the column for a date that proves the order.

    Args:
        text: the cell's text; surrounding spaces are ignored.
        date_order: ``"mdy"`` or ``"dmy"``, when the file's order is known.

    Returns:
        The date.

    Raises:
        AmbiguousDateError: a slash date that two orders read as different days, no order given.
        CellError: the text is not a date in one of those forms, or names a day that does not
            exist, or carries a time other than midnight.
    """
    s = text.strip()
    if m := _ISO_DATE.fullmatch(s):
        return _make_date(m[1], m[2], m[3])
    readings = slash_readings(s)
    if readings is not None:
        if date_order is not None:
            if date_order not in _ORDER_FORM:
                msg = f"date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}"
                raise ValueError(msg)
            if date_order not in readings:
                raise CellError(
                    f"is not a valid {_ORDER_FORM[date_order]} date (the declared date order)"
                )
            return readings[date_order]
        days = set(readings.values())
        if len(days) == 1:
            return days.pop()
        if not days:
            raise CellError("is not a valid date in M/D/YYYY nor in D/M/YYYY order")
        raise AmbiguousDateError(
            f"is ambiguous: {_day_text(readings['mdy'])} in M/D/YYYY order or"
            f" {_day_text(readings['dmy'])} in D/M/YYYY order; declare the date order"
            " (date_order='mdy' or 'dmy', --date-order on the command line) or write YYYY-MM-DD",
            readings,
        )
    if _ISO_WITH_TIME.match(s):
        raise CellError("has a time of day other than midnight; write the date alone (YYYY-MM-DD)")
    raise CellError("is not a date (expected YYYY-MM-DD, M/D/YYYY or D/M/YYYY)")


def _check_next_month(day: dt.date) -> dt.date:
    if (day.year, day.month) == (dt.MAXYEAR, 12):
        raise CellError(
            "is the last month of the calendar, whose end cannot be represented;"
            " the last supported month is 9999-11"
        )
    return day


def parse_month(text: str, *, date_order: DateOrder | None = None) -> dt.date:
    """Read a month: a date (as ``parse_date`` reads it) or ``YYYY-MM``.

    The result is not moved to the first of the month: a date on another day is kept, so the
    model refuses it with a suggestion rather than the importer guessing. An ambiguous slash
    date of which exactly one reading is the first of a month is read that way (``3/1/2024``
    is 1 March: 3 January is not a month).

    Args:
        text: the cell's text; surrounding spaces are ignored.
        date_order: ``"mdy"`` or ``"dmy"``, when the file's order is known.

    Returns:
        The date (the first of the month for ``YYYY-MM``).

    Raises:
        AmbiguousDateError: as ``parse_date``, when neither or both readings are firsts of
            months.
        CellError: the text is not a date nor ``YYYY-MM``, or is December 9999 (a month must
            have a next month).
    """
    s = text.strip()
    if m := _ISO_MONTH.fullmatch(s):
        return _check_next_month(_make_date(m[1], m[2], "1"))
    try:
        return _check_next_month(parse_date(s, date_order=date_order))
    except AmbiguousDateError as exc:
        firsts = [day for day in exc.readings.values() if day.day == 1]
        if len(firsts) == 1:
            return _check_next_month(firsts[0])
        raise


# --------------------------------------------------------------------------------------------
# amounts and counts

_SYMBOLS: Mapping[str, str | None] = MappingProxyType(
    {"$": None, "US$": "USD", "€": "EUR", "£": "GBP", "¥": None}
)
_AMOUNT = re.compile(
    r"(?P<sign1>[-+]?)\s*(?P<pre>US\$|[$€£¥]|[A-Za-z]{3}(?=[\s\d.,+-]))?\s*(?P<sign2>[-+]?)\s*"
    r"(?P<num>[0-9][0-9.,]*(?:[eE][-+]?\d+)?|[.,]\d+)\s*(?P<post>US\$|[$€£¥]|[A-Za-z]{3})?",
    re.ASCII,
)
# with '.' as the decimal point
_PLAIN = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+", re.ASCII)
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?", re.ASCII)
# with ',' as the decimal point
_PLAIN_COMMA = re.compile(r"\d+(?:,\d*)?(?:[eE][-+]?\d+)?|,\d+", re.ASCII)
_GROUPED_COMMA = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d*)?", re.ASCII)
_DECIMAL_COMMA = re.compile(
    r"\d{1,3}(?:\.\d{3})+(?:,\d*)?|\d+,\d{1,2}|\d+,\d{4,}|\d*,\d+", re.ASCII
)

DecimalMark = Literal[".", ","]
"""The decimal separator of a file's amounts."""


def _amount_range(value: Decimal) -> None:
    """Refuse amounts outside the model's range before any arithmetic touches them."""
    if value and value.adjusted() >= AMOUNT_MAX_INTEGER_DIGITS:
        raise CellError(
            f"is too large: an amount has at most {AMOUNT_MAX_INTEGER_DIGITS} digits before the"
            " decimal point"
        )
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -AMOUNT_MAX_DECIMALS:
        raise CellError(
            f"has too many decimals: an amount has at most {AMOUNT_MAX_DECIMALS} digits after"
            " the decimal point"
        )


def _digits(num: str, decimal: str) -> str | None:
    """The plain decimal text of ``num`` read with ``decimal`` as the decimal mark, or None."""
    if decimal == ".":
        if _PLAIN.fullmatch(num):
            return num
        if _GROUPED.fullmatch(num):
            return num.replace(",", "")
        return None
    if _PLAIN_COMMA.fullmatch(num):
        return num.replace(",", ".")
    if _GROUPED_COMMA.fullmatch(num):
        return num.replace(".", "").replace(",", ".")
    return None


def _currency_of(token: str | None) -> str | None:
    if token is None:
        return None
    if token in _SYMBOLS:
        return _SYMBOLS[token]
    code = token.upper()
    if code not in CURRENCIES:
        raise CellError(f"names {token!r}, which is not an ISO 4217 currency code")
    return code


def parse_amount(text: str, *, decimal: DecimalMark | None = ".") -> tuple[Decimal, str | None]:
    """Read an amount of money, as accounting exports write it.

    Only ASCII digits are read. The amount must be within the model's range
    (``model.AMOUNT_MAX_INTEGER_DIGITS`` digits before the decimal point,
    ``model.AMOUNT_MAX_DECIMALS`` after).

    Args:
        text: the cell's text, such as ``"1234.5"``, ``"$1,234.50"``, ``"(12.00)"`` or
            ``"1,234.50 EUR"`` (or ``"1.234,50"`` with ``decimal=","``).
        decimal: the decimal mark: ``"."`` (the default; ``,`` only between groups of three
            digits), ``","`` (European: ``.`` only between groups of three digits), or
            ``None`` to accept either where the text is unambiguous (``12,50`` and ``12.50``
            both read; ``1,234`` and ``1.234`` are refused as ambiguous). The CSV loader uses
            ``None`` for ``;``-delimited files and ``"."`` otherwise, unless told.

    Returns:
        The exact amount, and the currency the text names (``None`` when it names none or an
        ambiguous symbol such as ``$``).

    Raises:
        CellError: the text is not an amount in a supported form (a decimal comma where the
            decimal mark is ``.`` gets its own message), is ambiguous, or is out of range.
    """
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative = True
        s = s[1:-1].strip()
    m = _AMOUNT.fullmatch(s)
    if m is None:
        raise CellError("is not an amount (expected digits with '.' as the decimal point)")
    if m["pre"] and m["post"]:
        raise CellError("names a currency twice")
    if m["sign1"] and m["sign2"]:
        raise CellError("has two signs")
    sign = m["sign1"] or m["sign2"]
    if negative and sign:
        raise CellError("has both a sign and accounting parentheses")
    num = m["num"]
    if decimal is None:
        dot, comma = _digits(num, "."), _digits(num, ",")
        if dot is not None and comma is not None and Decimal(dot) != Decimal(comma):
            raise CellError(
                f"is ambiguous: {dot} with '.' as the decimal point or {comma} with ',';"
                " declare the decimal mark (decimal='.' or ',', --decimal on the command line)"
            )
        digits = dot if dot is not None else comma
        if digits is None:
            raise CellError("is not an amount (misplaced ',' or '.')")
    elif decimal == ".":
        digits = _digits(num, ".")
        if digits is None:
            if _DECIMAL_COMMA.fullmatch(num):
                raise CellError(
                    "uses a decimal comma, but the file's decimal mark is '.'; write '.' as the"
                    " decimal point and ',' only between groups of three digits (1,234.50), or"
                    " declare the decimal mark ',' (decimal=',', --decimal , on the command line)"
                )
            raise CellError("is not an amount (misplaced ',' or '.')")
    elif decimal == ",":
        digits = _digits(num, ",")
        if digits is None:
            raise CellError(
                "is not an amount with ',' as the decimal point (the declared decimal mark);"
                " '.' may only separate groups of three digits (1.234,50)"
            )
    else:
        msg = f"decimal must be '.', ',' or None, not {decimal!r}"
        raise ValueError(msg)
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the patterns above only let decimals through
        raise CellError("is not an amount") from None
    if not value.is_finite():  # pragma: no cover - idem
        raise CellError("is not a finite amount")
    _amount_range(value)
    if negative or sign == "-":
        value = value.copy_negate()
    return value, _currency_of(m["pre"] or m["post"])


_COUNT = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?", re.ASCII)


def parse_count(text: str) -> int:
    """Read a whole, non-negative number such as ``"1,200"`` or ``"12.0"``.

    Args:
        text: the cell's text; surrounding spaces are ignored.

    Returns:
        The number.

    Raises:
        CellError: the text is not a whole non-negative number.
    """
    s = text.strip()
    m = _COUNT.fullmatch(s)
    if m is None:
        if s.startswith("-"):
            raise CellError("is negative; a count cannot be")
        raise CellError("is not a whole number")
    return int(m[1].replace(",", ""))


def parse_currency(text: str) -> str:
    """Read an ISO 4217 currency code in any case.

    Raises:
        CellError: the code is not a known ISO 4217 code.
    """
    code = text.strip().upper()
    if code not in CURRENCIES:
        raise CellError("is not an ISO 4217 currency code")
    return code


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
