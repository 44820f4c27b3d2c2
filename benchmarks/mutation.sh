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
# Usage:  benchmarks/mutation.sh [SAMPLE_PER_PACKAGE] [SEED]     (defaults: 25, 2026)
#         MUTATION_TIMEOUT=300 MUTATION_PACKAGES=ledger,attribution benchmarks/mutation.sh 100
#         MUTATION_ONLY=ledger.py:389:compare,model.py:146:number benchmarks/mutation.sh
#             (runs exactly the mutants at those file:line:kind points, e.g. to check that a new
#             test kills a survivor; lines are those of the current source)
# Output: the score per package and overall, and every surviving mutant (file:line, the kind
#         and column of the mutated node, and the original source line), also written to
#         mutation-report.txt in the scratch folder (its path is printed). Run it at low
#         priority on a shared machine: nice -n 19 benchmarks/mutation.sh 25
# Surviving mutants must then be judged by a person: killed by a new test, or equivalent
# (no observable behaviour changes), listed in docs/explanation/reliability.md.
set -euo pipefail

SAMPLE="${1:-25}"
SEED="${2:-2026}"
TIMEOUT="${MUTATION_TIMEOUT:-240}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mutation.XXXXXX")"
PYTHON="${PYTHON:-python}"

cp -r "$ROOT/src" "$ROOT/tests" "$ROOT/pyproject.toml" "$WORK/"
rm -rf "$WORK/tests/__pycache__" "$WORK"/src/partner_of_record/**/__pycache__ 2>/dev/null || true
echo "scratch copy: $WORK (sample $SAMPLE per package, seed $SEED, timeout ${TIMEOUT}s)"

cd "$WORK"
export MUTATION_SAMPLE="$SAMPLE" MUTATION_SEED="$SEED" MUTATION_TIMEOUT="$TIMEOUT"
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-quick}"
exec "$PYTHON" - <<'PY'
from __future__ import annotations

import ast
import os
import random
import subprocess
import sys
import time
from pathlib import Path

WORK = Path.cwd()
SRC = WORK / "src" / "partner_of_record"
SAMPLE = int(os.environ["MUTATION_SAMPLE"])
SEED = int(os.environ["MUTATION_SEED"])
TIMEOUT = int(os.environ["MUTATION_TIMEOUT"])

# package -> (source files, the tests that exercise it)
PACKAGES = {
    "model": (
        ["model.py"],
        [
            "tests/test_model.py",
            "tests/test_io_nothing_lost.py",
            "tests/test_mutants.py",
            "tests/test_mutants_model.py",
        ],
    ),
    "ledger": (
        ["ledger.py"],
        [
            "tests/test_ledger.py",
            "tests/test_rules.py",
            "tests/test_history_stateful.py",
            "tests/test_dpor_handover.py",
            "tests/test_mutants_ledger.py",
        ],
    ),
    "attribution": (
        sorted(str(p.relative_to(SRC)) for p in (SRC / "attribution").glob("*.py")),
        [
            "tests/test_attribution.py",
            "tests/test_attribution_laws.py",
            "tests/test_policies.py",
            "tests/test_mutants.py",
            "tests/test_mutants_attribution.py",
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
            "tests/test_declarative_errors.py",
            "tests/test_mutants_evaluation.py",
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


def run_tests(tests: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(WORK / "src"), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-p", "no:randomly", *[t for t in tests if (WORK / t).exists()]]
    try:
        done = subprocess.run(command, env=env, cwd=WORK, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout"
    global LAST_OUTPUT
    LAST_OUTPUT = done.stdout.decode(errors="replace")[-1500:]
    return "survived" if done.returncode == 0 else "killed"


LAST_OUTPUT = ""


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
        baseline = run_tests(tests)
        if baseline != "survived":
            print(f"{package}: the tests fail without any mutant ({baseline}); skipped")
            print(LAST_OUTPUT)
            continue
        candidates = []
        for rel in files:
            source = (SRC / rel).read_text(encoding="utf-8")
            candidates += [(rel, i, kind) for i, kind in points(ast.parse(source))]
        if only:
            chosen = [c for c in candidates if (c[0], str(line_of(c)), c[2]) in only]
            if not chosen:
                continue
        else:
            chosen = rng.sample(candidates, min(SAMPLE, len(candidates)))
        killed = 0
        for rel, index, kind in chosen:
            path = SRC / rel
            original = path.read_text(encoding="utf-8")
            try:
                mutated, line = mutate(original, index, kind)
                path.write_text(mutated, encoding="utf-8")
                outcome = run_tests(tests)
            finally:
                path.write_text(original, encoding="utf-8")
            killed += outcome != "survived"
            text = original.splitlines()[line - 1].strip() if line else ""
            # the column tells apart several mutants of one line (e.g. the comparisons of a chain)
            column = getattr(list(ast.walk(ast.parse(original)))[index], "col_offset", -1) + 1
            row = f"{outcome:8} {package}: {rel}:{line} [{kind}, column {column}] {text}"
            print(row, flush=True)
            if outcome == "survived":
                report.append(row)
        totals[package] = (killed, len(chosen), len(candidates))
    print()
    all_killed = sum(k for k, _, _ in totals.values())
    all_run = sum(n for _, n, _ in totals.values())
    for package, (k, n, c) in totals.items():
        print(f"{package:12} killed {k:4}/{n:<4} ({100 * k / max(n, 1):5.1f} %)  of {c} points")
    print(f"{'overall':12} killed {all_killed:4}/{all_run:<4}"
          f" ({100 * all_killed / max(all_run, 1):5.1f} %)  in {time.perf_counter() - started:.0f} s")
    (WORK / "mutation-report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print(f"surviving mutants: {WORK / 'mutation-report.txt'}")
    return 0


raise SystemExit(main())
PY
