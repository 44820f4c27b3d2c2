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

import datetime as dt
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from partner_of_record.evaluation.catalog import ALL
from partner_of_record.evaluation.competency import Competency

# the competencies' loader: the same key checks, conversions and error paths
from partner_of_record.evaluation.declarative import (
    DeclarationError,
    _build,
    _plain,
    _suggest,
    dump_competency,
    load_competency,
)
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


def _table(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DeclarationError(path, f"expected a table, got {type(value).__name__} {value!r}")
    return value


def _date(value: object, path: str) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise DeclarationError(path, f"{value!r} is not an ISO date") from None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise DeclarationError(path, f"{value!r} is not a date")
    return value


def _eligibility(value: object, program: Mapping[str, Any]) -> Competency:
    data = dict(_table(value, "eligibility"))
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
                f"{name!r} is not a catalog entry" + _suggest(str(name).upper(), list(ALL)),
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
    data = _table(data, "")
    for key in data:
        if key not in _KEYS:
            raise DeclarationError(
                key, "unknown key for IncentiveProgram" + _suggest(key, list(_KEYS))
            )
    for key in ("name", "title", "source", "effective", "subscriptions"):
        if key not in data:
            raise DeclarationError(key, "missing (required by IncentiveProgram)")
    for key in ("name", "title", "source"):
        if not isinstance(data[key], str):
            raise DeclarationError(key, f"{data[key]!r} is not a string")
    notes = data.get("notes", ())
    notes_list = [notes] if isinstance(notes, str) else notes
    if not isinstance(notes_list, list | tuple) or not all(isinstance(n, str) for n in notes_list):
        raise DeclarationError("notes", "is not a list of strings")
    earning_data = dict(_table(data.get("earning", {}), "earning"))
    win_data = earning_data.pop("win", None)
    earning: EarningRule = _build(EarningRule, earning_data, "earning")
    if win_data is not None:
        win: WinRule = _build(WinRule, _table(win_data, "earning.win"), "earning.win")
        earning = EarningRule(
            rate=earning.rate,
            rounding=earning.rounding,
            win=win,
            cap=earning.cap,
            cap_period=earning.cap_period,
        )
    subscriptions: SubscriptionEligibility = _build(
        SubscriptionEligibility, _table(data["subscriptions"], "subscriptions"), "subscriptions"
    )
    payout: Payout = _build(Payout, _table(data.get("payout", {}), "payout"), "payout")
    eligibility = (
        _eligibility(data["eligibility"], data) if data.get("eligibility") is not None else None
    )
    effective = _date(data["effective"], "effective")
    ends = _date(data["ends"], "ends") if "ends" in data else None
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
            notes=tuple(notes_list),
        )
    except (ValueError, TypeError) as exc:
        raise DeclarationError("", str(exc)) from exc


def loads_program(text: str, *, format: str = "toml") -> IncentiveProgram:
    """Parse TOML or JSON text and build the program it declares.

    Args:
        text: the document.
        format: ``"toml"`` or ``"json"``.

    Returns:
        The program.

    Raises:
        DeclarationError: the text does not parse, or the declaration is malformed.
    """
    try:
        if format == "toml":
            data: Any = tomllib.loads(text)
        elif format == "json":
            data = json.loads(text)
        else:
            raise DeclarationError("", f"format {format!r} is not 'toml' or 'json'")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise DeclarationError("", f"not valid {format.upper()}: {exc}") from exc
    return load_program(data)


def load_program_file(path: str | Path) -> IncentiveProgram:
    """Read a ``.toml`` or ``.json`` file and build the program it declares.

    Args:
        path: the file's path.

    Returns:
        The program.

    Raises:
        DeclarationError: unknown suffix, bad syntax or a malformed declaration.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("toml", "json"):
        raise DeclarationError("", f"{path.name}: expected a .toml or .json file")
    return loads_program(path.read_text(encoding="utf-8"), format=suffix)


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
    out["subscriptions"] = _plain(program.subscriptions)
    out["earning"] = _plain(program.earning)
    out["payout"] = _plain(program.payout)
    return out
