"""Benchmark ``evaluate_all``: every partner against every catalog entry, batch vs one by one.

Run from the repository root::

    python benchmarks/bench_evaluate_all.py                       # 10,000 partners, 1.2M rows
    python benchmarks/bench_evaluate_all.py --partners 200 --sample 20   # a smoke run

The synthetic ledger: ``--partners`` partners, 10 subscriptions per partner (90 % Azure, the
rest Office 365, Dynamics 365 and Microsoft 365 with a seat record per month), 2 subscriptions
per customer, one association per subscription (DPOR, CSP Tier 1 or PAL on Azure; CPOR, DPOR or
CSP Tier 1 elsewhere), 1 in 10 with a second partner's PAL or CPOR; one usage row per
subscription and month over 12 months (1,200,000 rows for 100,000 subscriptions), services
drawn from six Azure services.

It prints, for each of the 12 catalog entries:

* the batch path (what ``evaluate_all(ledger, entry, evidence=False)`` runs), timed on a
  second call sharing the first call's attribution ("after attribution", as in the target; the
  first call's extra time is shown apart): every partner's verdict and score, with each
  ``Evaluation`` built when read; then, apart, the time to read (build) all of them;
* the one-by-one path (``evaluate_competency``'s code, each partner measured on its own, same
  shared attribution) on a sample of ``--sample`` partners, **extrapolated** to all partners
  (said in the output);

then ``evaluate_all(ledger, entries=<all 12>)`` (one attribution per set of kinds, shared), and
checks that both paths give equal evaluations for the sampled partners (exit status 1 if not).
Targets (issue 19): <= 1 s per entry for 10,000 partners after attribution; the whole catalog
in <= 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from partner_of_record import catalog
from partner_of_record.evaluation import evaluate_all
from partner_of_record.evaluation.evaluator import _evaluate, _evaluate_batch
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    SeatUsage,
    Subscription,
    Workload,
)

T = TypeVar("T")
FIRST = dt.date(2024, 1, 1)
MONTHS = 12
AS_OF = dt.date(2025, 1, 15)  # measurement month: December 2024, the last data month
SERVICES = (
    "Virtual Machines",
    "Azure SQL Database",
    "Storage",
    "App Service",
    "Azure Kubernetes Service",
    "Azure Firewall",
)
OTHER = (Workload.OFFICE_365, Workload.DYNAMICS_365, Workload.MICROSOFT_365)


def build(partners: int, seed: int = 7) -> Ledger:
    """The synthetic ledger (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_subs = partners * 10
    n_customers = max(1, n_subs // 2)
    pids = [f"P{i:05d}" for i in range(partners)]
    cids = [f"C{i:06d}" for i in range(n_customers)]
    sids = [f"S{i:07d}" for i in range(n_subs)]
    azure = rng.random(n_subs) < 0.9
    other = rng.integers(0, len(OTHER), n_subs)
    cust = rng.integers(0, n_customers, n_subs)
    owner = rng.integers(0, partners, n_subs)
    kind_pick = rng.integers(0, 3, n_subs)
    starts = rng.integers(-400, 300, n_subs)
    second = rng.random(n_subs) < 0.1
    second_partner = (owner + rng.integers(1, max(2, partners), n_subs)) % partners
    subs = []
    assocs = []
    seats = []
    day0 = FIRST.toordinal()
    azure_kinds = (AssociationKind.DPOR, AssociationKind.CSP_TIER1, AssociationKind.PAL)
    other_kinds = (AssociationKind.CPOR, AssociationKind.DPOR, AssociationKind.CSP_TIER1)
    cpor_seen: set[tuple[int, int]] = set()
    for i in range(n_subs):
        is_azure = bool(azure[i])
        workload = Workload.AZURE if is_azure else OTHER[int(other[i])]
        subs.append(Subscription(sids[i], cids[int(cust[i])], workload))
        kinds = azure_kinds if is_azure else other_kinds
        kind = kinds[int(kind_pick[i])]
        if kind is AssociationKind.CPOR:  # one CPOR per tenant and workload
            key = (int(cust[i]), int(other[i]))
            if key in cpor_seen:
                kind = AssociationKind.CSP_TIER1
            cpor_seen.add(key)
        start = dt.date.fromordinal(day0 + int(starts[i]))
        assocs.append(Association(pids[int(owner[i])], sids[i], kind, start))
        if second[i] and is_azure:
            assocs.append(
                Association(
                    pids[int(second_partner[i])],
                    sids[i],
                    AssociationKind.PAL,
                    dt.date.fromordinal(day0 + int(starts[i]) + 45),
                )
            )
        if not is_azure:
            paid = int(rng.integers(1, 400))
            for m in range(MONTHS):
                month = dt.date(FIRST.year + (FIRST.month - 1 + m) // 12, (m % 12) + 1, 1)
                seats.append(SeatUsage(sids[i], month, paid, int(paid * 0.6)))
    months = (np.datetime64(FIRST.isoformat(), "M") + np.arange(MONTHS)).astype("datetime64[D]")
    rows = n_subs * MONTHS
    sub_of_row = np.repeat(np.arange(n_subs), MONTHS)
    service = rng.integers(0, len(SERVICES), n_subs)[sub_of_row]
    usage = {
        "subscription_id": np.array(sids, dtype=object)[sub_of_row],
        "month": np.tile(months, n_subs),
        "amount_minor": rng.integers(100, 500_000, rows, dtype=np.int64),
        "service": np.array(SERVICES, dtype=object)[service],
    }
    return Ledger.from_columns(
        partners=[Partner(p) for p in pids],
        customers=[Customer(c) for c in cids],
        subscriptions=subs,
        associations=assocs,
        usage=usage,
        seats=seats,
    )


def _no(_pid: str) -> None:
    """No skills for anyone."""


CPU: list[float] = [0.0]
"""The process CPU seconds of the last ``timed`` call (the machine may be shared)."""


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Call ``fn`` once; its result and wall-clock seconds (CPU seconds left in ``CPU``)."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn()
    CPU[0] = time.process_time() - c0
    return out, time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when the two paths disagree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=100, help="partners on the one-by-one path")
    parser.add_argument("--entries", nargs="*", default=None, help="catalog names (default all)")
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="do not gc.freeze() the loaded ledger (collections then rescan it)",
    )
    args = parser.parse_args(argv)
    entries: list[Any] = (
        list(catalog.ALL.values())
        if not args.entries
        else [catalog.ALL[name] for name in args.entries]
    )
    ledger, secs = timed(lambda: build(args.partners))
    n = len(ledger.partners)
    if not args.no_freeze:
        # as a long-running service would after loading: the collector no longer rescans the
        # ledger's million objects at every full collection (both paths benefit alike)
        gc.collect()
        gc.freeze()
    print(
        f"ledger: {n:,} partners, {len(ledger.subscriptions):,} subscriptions, "
        f"{len(ledger.usage):,} usage rows, {len(ledger.seats):,} seat records "
        f"(built in {secs:.1f} s); gc.freeze() after loading: {not args.no_freeze}"
    )
    ids = [p.id for p in ledger.partners]
    step = max(1, n // max(1, args.sample))
    sample = ids[::step][: args.sample]
    print(
        f"one-by-one path: measured on {len(sample)} sampled partners and extrapolated "
        f"x{n / len(sample):.0f} to {n:,} (not run on every partner)\n"
    )
    head = (
        f"{'entry':<46} {'attr. s':>7} {'batch s':>8} {'cpu s':>6} {'ms/partner':>10} "
        f"{'+built cpu':>10} {'1-by-1 s*':>10} {'cpu s*':>7} {'speed-up':>8}"
    )
    print(head)
    print("-" * len(head))
    failures = 0
    batch_total = 0.0
    cpu_total = 0.0
    built_total = 0.0
    ref_total = 0.0
    for entry in entries:
        facts = LedgerFacts(ledger)
        # the first call attributes the ledger for this entry's kinds (and credits the seats);
        # the second, on the same facts, is the time "after attribution"
        _, first = timed(lambda e=entry, f=facts: _evaluate_batch(f, [e], ids, AS_OF, _no, False))
        found, secs = timed(
            lambda e=entry, f=facts: _evaluate_batch(f, [e], ids, AS_OF, _no, False)[e.name]
        )
        cpu = CPU[0]
        timed(lambda f=found: list(f.values()))  # reads (builds) every evaluation
        built = CPU[0]
        ref, ref_secs = timed(
            lambda e=entry, f=facts: {
                pid: _evaluate(f, pid, e, AS_OF, None, frozenset()) for pid in sample
            }
        )
        extrapolated = ref_secs * n / len(sample)
        ref_cpu = CPU[0] * n / len(sample)
        bad = [pid for pid in sample if found[pid] != ref[pid]]
        bad += [pid for pid in sample if (found.met[pid], found.score[pid]) != (
            ref[pid].met, ref[pid].score)]  # fmt: skip
        failures += len(bad)
        batch_total += secs
        cpu_total += cpu
        built_total += built
        ref_total += ref_cpu
        print(
            f"{entry.name:<46} {first - secs:>7.2f} {secs:>8.2f} {cpu:>6.2f} "
            f"{secs * 1000 / n:>10.3f} {built:>10.2f} "
            f"{extrapolated:>10.1f} {ref_cpu:>7.1f} "
            f"{ref_cpu / max(cpu, 1e-9):>7.0f}x" + (f"  DISAGREE on {len(bad)}" if bad else "")
        )
    print(
        f"\nsum of the {len(entries)} entries (each its own call): {batch_total:.2f} s, "
        f"{cpu_total:.2f} s CPU; building every evaluation afterwards: {built_total:.2f} s CPU; "
        f"one by one (extrapolated): {ref_total:.1f} s CPU"
    )
    _, whole = timed(lambda: evaluate_all(ledger, entries=entries, as_of=AS_OF, evidence=False))
    print(
        f"evaluate_all(entries=<{len(entries)} entries>), one call, attribution included: "
        f"{whole:.2f} s, {CPU[0]:.2f} s CPU "
        f"({whole * 1000 / n / len(entries):.3f} ms per partner and entry)"
    )
    print(
        "attr. s: the first call's extra time (attribution, seat crediting); cpu s: the batch "
        "call's process CPU time (the machine may be shared); +built cpu: CPU seconds to read "
        "(build) every Evaluation afterwards; batch s and 1-by-1 s: after attribution, "
        "evidence=False; *: extrapolated from the sample; speed-up: CPU, one by one / batch"
    )
    print("targets: <= 1 s per entry (batch s), whole catalog <= 10 s")
    if failures:
        print(f"FAILED: {failures} sampled evaluations differ between the two paths")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
