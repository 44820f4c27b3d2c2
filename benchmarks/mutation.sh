#!/usr/bin/env bash
# Mutation testing of the core packages: model, ledger, attribution, evaluation (issue 18).
#
# A small, dependency-free equivalent of mutmut: it copies src/ and tests/ to a scratch folder
# (the working tree is never touched), enumerates mutation points with Python's ast module
# (comparison operators, arithmetic operators, and/or, numeric constants, True/False, `not`,
# `if` conditions), draws a reproducible random sample of them per package, applies each one
# to the copy, and runs that package's tests (pytest -x, a time limit per mutant). A mutant is
# killed when the tests fail or time out; it survives when they pass.
#
# The sample is stratified by file: each file of a package gets a share of the sample
# proportional to its number of mutation points (largest remainders, at least one per file
# that has points), drawn at random within the file, so the estimate covers every file.
#
# Usage:  benchmarks/mutation.sh [SAMPLE_PER_PACKAGE] [SEED]     (defaults: 25, 2026)
#         SAMPLE_PER_PACKAGE is one number for every package, or package=n items:
#         benchmarks/mutation.sh model=40,ledger=60,attribution=50,evaluation=60 1203
#         a sample at least the package's number of points runs every mutant of the package.
#         MUTATION_PACKAGES=ledger,attribution benchmarks/mutation.sh 100
#         MUTATION_TIMEOUT=300 (seconds per mutant; default: 5 times the package's baseline
#             test run, at least 60 s)
#         MUTATION_DRY_RUN=1 prints the points and the sample per file and runs nothing.
#         MUTATION_ONLY=ledger/_ledger.py:389:compare,model.py:146:number benchmarks/mutation.sh
#             (runs exactly the mutants at those file:line:kind points, e.g. to check that a new
#             test kills a survivor; files relative to src/partner_of_record, lines those of the
#             current source)
#         MUTATION_REV=1fe3ee4 takes src/ and tests/ from that commit instead of the working
#             tree (which other work in progress may leave failing); MUTATION_EXTRA_TESTS=
#             tests/test_mutation_kills.py adds working-tree test files to that copy.
# Output: one line per mutant as it runs; then per package the mutation points, the sample,
#         killed, survived and timed out (a time-out counts as killed), the score with its
#         95 % Wilson interval; and every surviving mutant (file:line, the kind and column of
#         the mutated node, and the original source line), also written to mutation-report.txt
#         in the scratch folder (its path is printed). The commit and the time of the scratch
#         copy are printed first (the copy is taken when the script starts, uncommitted edits
#         included). Run it at low priority on a shared machine:
#         nice -n 19 benchmarks/mutation.sh 25
# Surviving mutants must then be judged by a person: killed by a new test, or equivalent
# (no observable behaviour changes), listed in docs/explanation/reliability.md.
set -euo pipefail

SAMPLE="${1:-25}"
SEED="${2:-2026}"
TIMEOUT="${MUTATION_TIMEOUT:-0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mutation.XXXXXX")"
PYTHON="${PYTHON:-python}"

if [ -n "${MUTATION_REV:-}" ]; then
    # a committed snapshot: src/, tests/ and pyproject.toml as of that commit, plus the test
    # files named in MUTATION_EXTRA_TESTS copied from the working tree (new tests to check)
    git -C "$ROOT" archive "$MUTATION_REV" src tests pyproject.toml | tar -x -C "$WORK"
    EXTRA="${MUTATION_EXTRA_TESTS:-}"
    for extra in ${EXTRA//,/ }; do cp "$ROOT/$extra" "$WORK/$extra"; done
    COMMIT="$(git -C "$ROOT" rev-parse --short "$MUTATION_REV")"
    echo "scratch copy: $WORK at $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $COMMIT" \
        "(committed tree) + working-tree tests: ${MUTATION_EXTRA_TESTS:-none}"
else
    cp -r "$ROOT/src" "$ROOT/tests" "$ROOT/pyproject.toml" "$WORK/"
    COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    DIRTY="$(git -C "$ROOT" status --porcelain -- src 2>/dev/null | wc -l | tr -d ' ')"
    echo "scratch copy: $WORK at $(date -u +%Y-%m-%dT%H:%M:%SZ), working tree:" \
        "commit $COMMIT + $DIRTY uncommitted src/ files"
fi
find "$WORK" -name __pycache__ -type d -prune -exec rm -rf {} + 2>/dev/null || true
echo "sample $SAMPLE per package, seed $SEED, timeout ${TIMEOUT}s (0: 5x the baseline, >= 60 s)"

cd "$WORK"
export MUTATION_SAMPLE="$SAMPLE" MUTATION_SEED="$SEED" MUTATION_TIMEOUT="$TIMEOUT"
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-quick}"
exec "$PYTHON" - <<'PY'
from __future__ import annotations

import ast
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

WORK = Path.cwd()
SRC = WORK / "src" / "partner_of_record"
SAMPLE_SPEC = os.environ["MUTATION_SAMPLE"]
SEED = int(os.environ["MUTATION_SEED"])
TIMEOUT = int(os.environ["MUTATION_TIMEOUT"])
DRY = os.environ.get("MUTATION_DRY_RUN", "") not in ("", "0")

# package -> (source files, the tests that exercise it; fast, targeted tests first, since with
# -x a killed mutant stops at the first failure)
PACKAGES = {
    "model": (
        ["model.py"],
        [
            "tests/test_mutants_model.py",
            "tests/test_mutation_kills.py",
            "tests/test_model.py",
            "tests/test_mutants.py",
            "tests/test_io_nothing_lost.py",
        ],
    ),
    "ledger": (
        sorted(str(p.relative_to(SRC)) for p in (SRC / "ledger").glob("*.py")),
        [
            "tests/test_mutants_ledger.py",
            "tests/test_mutation_kills.py",
            "tests/test_ledger.py",
            "tests/test_ledger_checks.py",
            "tests/test_rules.py",
            "tests/test_dpor_handover.py",
            "tests/test_history_stateful.py",
        ],
    ),
    "attribution": (
        sorted(str(p.relative_to(SRC)) for p in (SRC / "attribution").glob("*.py")),
        [
            "tests/test_mutants_attribution.py",
            "tests/test_mutation_kills.py",
            "tests/test_attribution.py",
            "tests/test_policies.py",
            "tests/test_mutants.py",
            "tests/test_attribution_laws.py",
        ],
    ),
    "evaluation": (
        sorted(str(p.relative_to(SRC)) for p in (SRC / "evaluation").rglob("*.py"))
        + ["_declare.py"],
        [
            "tests/test_evaluation.py",
            "tests/test_evaluation_golden.py",
            "tests/test_evaluation_properties.py",
            "tests/test_requirements.py",
            "tests/test_requirements_properties.py",
            "tests/test_catalog.py",
            "tests/test_catalog_eras.py",
            "tests/test_declarative_errors.py",
            "tests/test_mutants_evaluation.py",
            "tests/test_mutation_kills.py",
        ],
    ),
}

SWAP_CMP = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
SWAP_BIN = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult, ast.Mod: ast.FloorDiv,
}


def docstring_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                out.add(id(body[0].value))
    return out


def points(tree: ast.AST) -> list[tuple[int, str]]:
    """(index of the node in ast.walk order, kind) for every mutation point."""
    skip = docstring_nodes(tree)
    found = []
    for i, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare) and type(node.ops[0]) in SWAP_CMP:
            found.append((i, "compare"))
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BIN:
            found.append((i, "binop"))
        elif isinstance(node, ast.BoolOp):
            found.append((i, "boolop"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append((i, "not"))
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            found.append((i, "bool"))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            found.append((i, "number"))
        elif isinstance(node, ast.If):
            found.append((i, "if"))
    return found


def mutate(source: str, index: int, kind: str) -> tuple[str, int]:
    tree = ast.parse(source)
    node = list(ast.walk(tree))[index]
    line = getattr(node, "lineno", 0)
    if kind == "compare":
        node.ops[0] = SWAP_CMP[type(node.ops[0])]()
    elif kind == "binop":
        node.op = SWAP_BIN[type(node.op)]()
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":  # `not x` -> `x`
        return _drop_not(tree, node), line
    elif kind == "bool":
        node.value = not node.value
    elif kind == "number":
        node.value = node.value + 1
    elif kind == "if":
        node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
    return ast.unparse(ast.fix_missing_locations(tree)), line


def line_of(candidate: tuple[str, int, str]) -> int:
    rel, index, _ = candidate
    tree = ast.parse((SRC / rel).read_text(encoding="utf-8"))
    return getattr(list(ast.walk(tree))[index], "lineno", 0)


def _drop_not(tree: ast.AST, target: ast.UnaryOp) -> str:
    class Drop(ast.NodeTransformer):
        def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
            self.generic_visit(node)
            return node.operand if node is target else node

    return ast.unparse(ast.fix_missing_locations(Drop().visit(tree)))


def run_tests(tests: list[str], timeout: float) -> str:
    global LAST_OUTPUT
    env = dict(os.environ, PYTHONPATH=str(WORK / "src"), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-p", "no:randomly", *[t for t in tests if (WORK / t).exists()]]
    try:
        done = subprocess.run(command, env=env, cwd=WORK, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    LAST_OUTPUT = done.stdout.decode(errors="replace")[-1500:]
    return "survived" if done.returncode == 0 else "killed"


LAST_OUTPUT = ""


def sample_size(package: str) -> int:
    """The sample for a package: one number for all, or package=n items (missing: 25)."""
    if "=" not in SAMPLE_SPEC:
        return int(SAMPLE_SPEC)
    sizes = dict(item.split("=", 1) for item in SAMPLE_SPEC.split(",") if item)
    return int(sizes.get(package, 25))


def stratified(candidates: list[tuple[str, int, str]], size: int,
               rng: random.Random) -> list[tuple[str, int, str]]:
    """A sample of `size` points, each file's share proportional to its points.

    Largest-remainder allocation, at least one point per file that has points (taken from the
    files with the largest shares); within a file the points are drawn at random.
    """
    by_file: dict[str, list[tuple[str, int, str]]] = {}
    for c in candidates:
        by_file.setdefault(c[0], []).append(c)
    total = len(candidates)
    if size >= total:
        return list(candidates)
    exact = {f: size * len(cs) / total for f, cs in by_file.items()}
    share = {f: math.floor(x) for f, x in exact.items()}
    for f in sorted(exact, key=lambda f: (share[f] - exact[f], f))[: size - sum(share.values())]:
        share[f] += 1
    for f in sorted(by_file):
        if share[f] == 0 and size >= len(by_file):
            donor = max(share, key=lambda g: (share[g], g))
            share[donor] -= 1
            share[f] = 1
    chosen = []
    for f in sorted(by_file):
        chosen += rng.sample(by_file[f], min(share[f], len(by_file[f])))
    return chosen


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion k / n (as percentages)."""
    if n == 0:
        return (0.0, 100.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def main() -> int:
    rng = random.Random(SEED)
    report = []
    totals = {}
    started = time.perf_counter()
    wanted = os.environ.get("MUTATION_PACKAGES", "").split(",")
    only = {tuple(o.rsplit(":", 2)) for o in os.environ.get("MUTATION_ONLY", "").split(",") if o}
    for package, (files, tests) in PACKAGES.items():
        if wanted != [""] and package not in wanted:
            continue
        if only and not any(o[0] in files for o in only):
            continue
        t0 = time.perf_counter()
        baseline = "survived" if DRY else run_tests(tests, 3600)
        took = time.perf_counter() - t0
        timeout = TIMEOUT or max(60, 5 * took)
        if baseline != "survived":
            print(f"{package}: the tests fail without any mutant ({baseline}); skipped")
            print(LAST_OUTPUT)
            continue
        candidates = []
        per_file = {}
        for rel in files:
            source = (SRC / rel).read_text(encoding="utf-8")
            found = [(rel, i, kind) for i, kind in points(ast.parse(source))]
            per_file[rel] = len(found)
            candidates += found
        if only:
            chosen = [c for c in candidates if (c[0], str(line_of(c)), c[2]) in only]
            if not chosen:
                continue
        else:
            chosen = stratified(candidates, sample_size(package), rng)
            drawn = {f: sum(c[0] == f for c in chosen) for f in files}
            print(f"{package}: baseline {took:.0f} s, timeout {timeout:.0f} s; points (sampled)"
                  " per file: " + ", ".join(f"{f} {per_file[f]} ({drawn[f]})" for f in files
                                            if per_file[f]), flush=True)
            if DRY:
                continue
        outcomes = {"killed": 0, "survived": 0, "timeout": 0}
        strata: dict[str, list[int]] = {}  # file -> [points, sampled, killed]
        for rel, index, kind in chosen:
            path = SRC / rel
            original = path.read_text(encoding="utf-8")
            try:
                mutated, line = mutate(original, index, kind)
                path.write_text(mutated, encoding="utf-8")
                outcome = run_tests(tests, timeout)
            finally:
                path.write_text(original, encoding="utf-8")
            outcomes[outcome] += 1
            stratum = strata.setdefault(rel, [per_file[rel], 0, 0])
            stratum[1] += 1
            stratum[2] += outcome != "survived"
            text = original.splitlines()[line - 1].strip() if line else ""
            # the column tells apart several mutants of one line (e.g. the comparisons of a chain)
            column = getattr(list(ast.walk(ast.parse(original)))[index], "col_offset", -1) + 1
            row = f"{outcome:8} {package}: {rel}:{line} [{kind}, column {column}] {text}"
            print(row, flush=True)
            if outcome == "survived":
                report.append(row)
        totals[package] = (outcomes, len(chosen), len(candidates))
        if not only and len(strata) > 1:
            # each file's score weighted by its share of the package's points
            weighted = sum(p * k / n for p, n, k in strata.values()) / sum(
                p for p, _, _ in strata.values())
            print(f"{package}: stratified estimate (files weighted by their points)"
                  f" {100 * weighted:.1f} %", flush=True)
    print()
    print(f"{'package':12} {'points':>6} {'sampled':>7} {'killed':>6} {'survived':>8}"
          f" {'timeout':>7}  score (95 % Wilson interval)")
    all_k = all_n = all_c = 0
    counts = {"killed": 0, "survived": 0, "timeout": 0}
    for package, (o, n, c) in list(totals.items()) + [("overall", (counts, 0, 0))]:
        if package == "overall":
            o, n, c = counts, all_n, all_c
        else:
            for key in counts:
                counts[key] += o[key]
            all_n += n
            all_c += c
        k = o["killed"] + o["timeout"]
        low, high = wilson(k, n)
        print(f"{package:12} {c:6} {n:7} {o['killed']:6} {o['survived']:8} {o['timeout']:7}"
              f"  {100 * k / max(n, 1):5.1f} % ({low:.1f} to {high:.1f} %)")
    print(f"in {time.perf_counter() - started:.0f} s")
    (WORK / "mutation-report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print(f"surviving mutants: {WORK / 'mutation-report.txt'}")
    return 0


raise SystemExit(main())
PY
