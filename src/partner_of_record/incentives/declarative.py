"""Incentive programs declared as data (TOML or JSON), loaded with the competencies' safe loader.

Nothing is evaluated and no name is imported: every table is checked key by key against the
fields of its value type, by the same machinery as
[`load_competency`][partner_of_record.evaluation.load_competency], and errors name the path of
the bad key (``earning.win.treshold: unknown key for WinRule; did you mean 'threshold'?``).

```toml
name = "UK_SMB_AZURE_WINS"
title = "UK SMB Azure wins campaign"
source = "partner community post, 2020"
effective = 2020-07-01
ends = 2021-07-01

[subscriptions]
kinds = ["csp_tier1", "csp_tier2"]
workloads = ["azure"]

[earning.win]
threshold = 1500
payment = 1000
baseline_max = 1000

[payout]
period = "program"
```

Tables: ``eligibility`` (optional: ``competency = "CLOUD_PLATFORM_SILVER"`` for a catalog
entry, or a competency declaration with a ``requirement`` table), ``subscriptions``
([`SubscriptionEligibility`][partner_of_record.incentives.SubscriptionEligibility]),
``earning`` ([`EarningRule`][partner_of_record.incentives.EarningRule], with an optional
``win`` table), ``payout`` ([`Payout`][partner_of_record.incentives.Payout]).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

# the declarative loaders' shared machinery: the same key checks, conversions and error paths
from partner_of_record._declare import (
    Builder,
    DeclarationError,
    date,
    load_file,
    parse,
    strings,
    suggest,
    table,
    top_table,
)
from partner_of_record.evaluation.catalog import ALL
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.declarative import dump_competency, load_competency
from partner_of_record.incentives.program import (
    EarningRule,
    IncentiveProgram,
    Payout,
    SubscriptionEligibility,
    WinRule,
)

__all__ = ["dump_program", "load_program", "load_program_file", "loads_program"]

_KEYS = (
    "name",
    "title",
    "source",
    "effective",
    "ends",
    "notes",
    "eligibility",
    "subscriptions",
    "earning",
    "payout",
)
_REQUIRED = ("name", "title", "source", "effective", "subscriptions")


_BUILDER = Builder(values=MappingProxyType({"WinRule": WinRule}))
"""Builds and dumps the program's value types (the eligibility is a competency declaration)."""


def _eligibility(value: object, program: Mapping[str, Any]) -> Competency:
    data = dict(table(value, "eligibility"))
    if "competency" in data:
        if len(data) > 1:
            extra = sorted(k for k in data if k != "competency")
            raise DeclarationError(
                f"eligibility.{extra[0]}", "a catalog competency takes no other key"
            )
        name = data["competency"]
        if not isinstance(name, str) or name.strip().upper() not in ALL:
            raise DeclarationError(
                "eligibility.competency",
                f"{name!r} is not a catalog entry" + suggest(str(name).upper(), list(ALL)),
            )
        return ALL[name.strip().upper()]
    data.setdefault("name", f"{program.get('name', 'PROGRAM')}_ELIGIBILITY")
    data.setdefault("title", f"eligibility for {program.get('title', data['name'])}")
    data.setdefault("source", program.get("source", ""))
    data.setdefault("published", program.get("effective", ""))
    try:
        return load_competency(data)
    except DeclarationError as exc:
        raise DeclarationError(f"eligibility.{exc.path}".rstrip("."), exc.problem) from None


def load_program(data: Mapping[str, Any]) -> IncentiveProgram:
    """Build an [`IncentiveProgram`][partner_of_record.incentives.IncentiveProgram] from a table.

    Args:
        data: keys ``name``, ``title``, ``source``, ``effective`` and the table
            ``subscriptions`` (required); ``ends``, ``notes``, ``eligibility``, ``earning``
            and ``payout`` (optional).

    Returns:
        The program.

    Raises:
        DeclarationError: the declaration is malformed (names the bad key's path).
    """
    data = top_table(data, _KEYS, _REQUIRED, "IncentiveProgram")
    for key in ("name", "title", "source"):
        if not isinstance(data[key], str):
            raise DeclarationError(key, f"{data[key]!r} is not a string")
    notes = strings(data.get("notes", ()), "notes")
    earning: EarningRule = _BUILDER.build(
        EarningRule, table(data.get("earning", {}), "earning"), "earning"
    )
    subscriptions: SubscriptionEligibility = _BUILDER.build(
        SubscriptionEligibility, table(data["subscriptions"], "subscriptions"), "subscriptions"
    )
    payout: Payout = _BUILDER.build(Payout, table(data.get("payout", {}), "payout"), "payout")
    eligibility = (
        _eligibility(data["eligibility"], data) if data.get("eligibility") is not None else None
    )
    effective = date(data["effective"], "effective")
    ends = date(data["ends"], "ends") if "ends" in data else None
    try:
        return IncentiveProgram(
            name=data["name"],
            title=data["title"],
            source=data["source"],
            effective=effective,
            ends=ends,
            subscriptions=subscriptions,
            earning=earning,
            payout=payout,
            eligibility=eligibility,
            notes=notes,
        )
    except (ValueError, TypeError) as exc:
        raise DeclarationError("", str(exc)) from exc


def loads_program(text: str, *, format: str = "toml") -> IncentiveProgram:
    """Parse TOML or JSON text and build the program it declares.

    The arguments and errors are those of
    [`loads_competency`][partner_of_record.evaluation.loads_competency].

    Returns:
        The program.
    """
    return load_program(parse(text, format))


def load_program_file(path: str | Path) -> IncentiveProgram:
    """Read a ``.toml`` or ``.json`` file and build the program it declares.

    The argument and errors are those of
    [`load_competency_file`][partner_of_record.evaluation.load_competency_file].

    Returns:
        The program.
    """
    return load_file(path, load_program)


def dump_program(program: IncentiveProgram) -> dict[str, Any]:
    """Return a program as plain data (TOML/JSON-ready), the form ``load_program`` reads.

    Args:
        program: the program.

    Returns:
        Plain data; ``load_program(dump_program(p)) == p``.

    Raises:
        TypeError: the eligibility holds a user-defined block with no declarative form.
    """
    out: dict[str, Any] = {
        "name": program.name,
        "title": program.title,
        "source": program.source,
        "effective": program.effective.isoformat(),
    }
    if program.ends is not None:
        out["ends"] = program.ends.isoformat()
    if program.notes:
        out["notes"] = list(program.notes)
    comp = program.eligibility
    if comp is not None:
        if ALL.get(comp.name) == comp:
            out["eligibility"] = {"competency": comp.name}
        else:
            out["eligibility"] = dump_competency(comp)
    out["subscriptions"] = _BUILDER.plain(program.subscriptions)
    out["earning"] = _BUILDER.plain(program.earning)
    out["payout"] = _BUILDER.plain(program.payout)
    return out
