"""The ledger: a checked, indexed, immutable set of facts, with its history.

A [`Ledger`][partner_of_record.Ledger] holds partners, customers, subscriptions, associations,
monthly usage and seat records. Building one checks the whole set at once:

* **structural checks**, always on: duplicate ids, references to unknown partners, customers
  or subscriptions, two associations of the same partner, subscription and kind in effect on the
  same day, two usage rows for the same ``(subscription, month, service, currency)``, two seat
  records for the same ``(subscription, month)``;
* the **program rules** of its [`RuleSet`][partner_of_record.rules.RuleSet] (default
  [`DEFAULT_RULES`][partner_of_record.rules.DEFAULT_RULES]), run in order.

``Ledger(...)`` raises one [`LedgerError`][partner_of_record.LedgerError] listing **every**
problem (each finding names its record). [`Ledger.lenient`][partner_of_record.Ledger.lenient]
instead keeps every valid record and returns the others as
[`Rejection`][partner_of_record.ledger.Rejection]s, each with its finding; nothing is silently
dropped: for each record type, ``input == kept + rejected``. Which record of a conflicting pair
is rejected:

* a duplicate id: the later one in input order (the first is kept);
* overlapping associations (DPOR overlap, CPOR overlap, duplicate association): the one that
  starts later (same start: the later in ``(kind, partner_id)`` order), so the earlier holder
  keeps its association. Before that, a lenient load reads an open-ended DPOR followed by a
  later DPOR of another partner as a change of DPOR (the handover ``name_dpor`` records): the
  open one ends on the later one's start day (finding ``DPOR_HANDOVER``), nothing is rejected;
* a duplicate usage or seat key: the later row in input order;
* a record referring to a rejected record is rejected too (``REJECTED_REFERENCE``). Such
  cascade findings are not repeated in a ``LedgerError``, which lists the root problems.

Rules run in their set's order and a record rejected by one rule is not seen by the next, so a
DPOR on a refused workload is not also reported as overlapping a valid DPOR.

History is recorded with **events** that return a *new* ledger (the ledger is immutable):
`Ledger.name_dpor` (the DPOR in effect ends that day), `Ledger.remove_dpor`,
`Ledger.link_pal` / `Ledger.unlink_pal`, `Ledger.grant_dap` / `Ledger.revoke_dap`,
`Ledger.grant_gdap` / `Ledger.revoke_gdap`, `Ledger.claim_cpor`, the general
`Ledger.associate` and `Ledger.end_association`, and
[`add`][partner_of_record.Ledger.add] for any records. Event days are ``datetime.date``
values or ISO ``"YYYY-MM-DD"`` strings (anything else is a ``ValidationError`` naming the
parameter). Each event is checked like a new ledger
(so an event that breaks a rule raises a ``LedgerError``) and refuses with an
[`EventError`][partner_of_record.ledger.EventError] what cannot be history: ending an
association on or before its start, a second association of the same partner and kind in effect
at the same time, a DPOR named before a DPOR that is already recorded to start later. Events
only re-check associations and the rules; usage and seat rows are carried over unchanged.
"""

from __future__ import annotations

from partner_of_record.ledger._check import _check as _check
from partner_of_record.ledger._check import _no_gc as _no_gc
from partner_of_record.ledger._check import _typed as _typed
from partner_of_record.ledger._ledger import Ledger
from partner_of_record.ledger._links import _CUSTOMER_ID as _CUSTOMER_ID
from partner_of_record.ledger._links import _FOREVER as _FOREVER
from partner_of_record.ledger._links import _K as _K
from partner_of_record.ledger._links import _KIND as _KIND
from partner_of_record.ledger._links import _KINDS_IN_ORDER as _KINDS_IN_ORDER
from partner_of_record.ledger._links import _PARTNER_ID as _PARTNER_ID
from partner_of_record.ledger._links import _SEAT_KEY as _SEAT_KEY
from partner_of_record.ledger._links import _START as _START
from partner_of_record.ledger._links import _SUB_ID as _SUB_ID
from partner_of_record.ledger._links import _T as _T
from partner_of_record.ledger._links import _USAGE_KEY as _USAGE_KEY
from partner_of_record.ledger._links import _assoc_order as _assoc_order
from partner_of_record.ledger._links import _first_codes as _first_codes
from partner_of_record.ledger._links import _grouped as _grouped
from partner_of_record.ledger._links import _index_by as _index_by
from partner_of_record.ledger._links import _kind_codes as _kind_codes
from partner_of_record.ledger._links import _Links as _Links
from partner_of_record.ledger._links import _pick as _pick
from partner_of_record.ledger._links import _rows_by_code as _rows_by_code
from partner_of_record.ledger._links import _tiebreak as _tiebreak
from partner_of_record.ledger._records import EventError, LenientLoad, Rejection, UnknownRecordError
from partner_of_record.ledger._records import _as_day as _as_day
from partner_of_record.ledger._records import _as_optional_day as _as_optional_day

# every name the single-module ledger defined stays importable from here (but the gone `_Check`)
from partner_of_record.ledger._state import _CASCADE as _CASCADE
from partner_of_record.ledger._structural import _label as _label

__all__ = ["EventError", "Ledger", "LenientLoad", "Rejection", "UnknownRecordError"]
