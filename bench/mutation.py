"""Mutation score of the suite on Aksara's security-critical modules.

    python bench/mutation.py                                   # every mutant of every module, ci profile
    python bench/mutation.py --limit 20 --seed 1               # a sample of 20 covered mutants
    python bench/mutation.py --modules api security --shard 1/4 --timeout 600
    python bench/mutation.py --list                            # the mutants, nothing run

Generic mutation operators (:data:`OPERATORS`) are applied to the installed Aksara's modules of the
attack surface (:data:`MODULES`: api, security, permissions, mcp, the query compiler, migrations
operations), one change per mutant:

- ``comparison``: ``==``/``!=``, ``<``/``>=``, ``>``/``<=``, ``in``/``not in``, ``is``/``is not`` flipped;
- ``boolean``: ``and``/``or`` swapped, ``True``/``False`` swapped, a ``not`` dropped;
- ``removed_check``: an ``if ...:`` whose whole body is one ``raise`` or ``return`` removed;
- ``off_by_one``: an integer constant plus one;
- ``swapped_arguments``: the first two positional arguments of a call swapped.

The installed package is never modified. Aksara is copied once to a temporary directory that is put
first on ``PYTHONPATH``, so every process of the run (pytest, the ``aksara doctor`` subprocesses)
imports the copy; a mutant rewrites one file of the copy (its source segment only, the rest of the file
byte for byte) and the file is restored afterwards.

Which tests run for a mutant comes from a coverage map: one run of the property tests (``--map-tests``,
default ``fuzz/``, in the dev profile) under coverage.py, with each test's node id as its coverage
context (``bench/mutation_contexts.py``), records per line of the copy the tests that executed it (the
map is cached in ``--map``). A mutant runs only the tests that cover its line, ``-x`` in the chosen profile
(``--profile``, default ci): a failing run (a new finding, an error, or the timeout) kills it, a passing
run lets it survive (pytest's usage errors and empty runs, exit codes 4-5, count apart). Mutants on
lines no test covers (or only session fixtures do) are counted apart as ``not covered``. The score is killed / (killed + survived). A surviving mutant is a blind spot of
the suite, to be closed with a general property.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent

#: Area -> module paths inside the ``aksara`` package (files or directories).
MODULES = {
    "api": ("api",),
    "security": ("security", "tenancy.py", "identity.py"),
    "permissions": ("permissions.py",),
    "mcp": ("mcp", "ai/auth.py", "ai/query.py"),
    "query": ("manager.py",),
    "migrations": ("migrations/operations.py",),
}

OPERATORS = ("comparison", "boolean", "removed_check", "off_by_one", "swapped_arguments")

FLIPS: dict[type, type] = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
                           ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot,
                           ast.IsNot: ast.Is}


@dataclass(frozen=True)
class Mutant:
    """One change to one file of the package: where, which operator, the replaced segment and its replacement."""

    path: str  # relative to the package directory
    line: int
    operator: str
    start: tuple[int, int]  # (line, column) of the replaced segment, 1-based line
    end: tuple[int, int]
    original: str
    replacement: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}:{self.start[1]}:{self.operator}:{self.replacement[:40]}"


def _segment(lines: list[str], node: ast.AST) -> str:
    first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
    if first == last:
        return lines[first][node.col_offset:node.end_col_offset]  # type: ignore[attr-defined]
    return "".join([lines[first][node.col_offset:], *lines[first + 1:last],  # type: ignore[attr-defined]
                    lines[last][:node.end_col_offset]])  # type: ignore[attr-defined]


def _replacements(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> Iterator[tuple[str, str]]:
    """``(operator, replacement source)`` for every mutation of ``node``."""
    import copy

    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in FLIPS:
                changed = copy.deepcopy(node)
                changed.ops[i] = FLIPS[type(op)]()
                yield "comparison", f"({ast.unparse(changed)})"
    elif isinstance(node, ast.BoolOp):
        changed = copy.deepcopy(node)
        changed.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolean", f"({ast.unparse(changed)})"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "boolean", f"({ast.unparse(node.operand)})"
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield "boolean", str(not node.value)
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield "off_by_one", str(node.value + 1)
    elif isinstance(node, ast.If) and not node.orelse and len(node.body) == 1 and \
            isinstance(node.body[0], (ast.Raise, ast.Return)):
        yield "removed_check", "pass"
    elif isinstance(node, ast.Call) and len(node.args) >= 2 and not any(isinstance(a, ast.Starred)
                                                                          for a in node.args[:2]):
        if ast.dump(node.args[0]) != ast.dump(node.args[1]):
            changed = copy.deepcopy(node)
            changed.args[0], changed.args[1] = changed.args[1], changed.args[0]
            yield "swapped_arguments", f"({ast.unparse(changed)})"


def _skipped(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Nodes left alone: inside f-strings (3.11 gives no reliable positions there), annotations, docstrings."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.JoinedStr):
            return True
        if isinstance(parent, (ast.arg, ast.AnnAssign)) and child is getattr(parent, "annotation", None):
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)) and child is parent.returns:
            return True
        child, parent = parent, parents.get(parent)
    return False


def mutants_of(package: Path, relative: str) -> list[Mutant]:
    """Every mutant of one file (``relative`` to the package directory), in source order."""
    source = (package / relative).read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    out = []
    for node in ast.walk(tree):
        if not hasattr(node, "end_lineno") or _skipped(node, parents):
            continue
        if isinstance(node, ast.Constant) and isinstance(parents.get(node), ast.Expr):
            continue  # docstrings and bare literals
        for operator, replacement in _replacements(node, parents):
            out.append(Mutant(relative, node.lineno, operator, (node.lineno, node.col_offset),
                              (node.end_lineno, node.end_col_offset), _segment(lines, node), replacement))
    return sorted(out, key=lambda m: (m.path, m.start, m.operator, m.replacement))


def apply(source: str, mutant: Mutant) -> str:
    """``source`` with the mutant's segment replaced (everything else unchanged)."""
    lines = source.splitlines(keepends=True)
    (first, col), (last, end_col) = mutant.start, mutant.end
    prefix = "".join(lines[:first - 1]) + lines[first - 1][:col]
    suffix = lines[last - 1][end_col:] + "".join(lines[last:])
    return prefix + mutant.replacement + suffix


def files_of(package: Path, areas: list[str]) -> list[str]:
    out: list[str] = []
    for area in areas:
        for entry in MODULES[area]:
            path = package / entry
            found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
            out += [str(p.relative_to(package)) for p in found if "__pycache__" not in p.parts]
    return sorted(set(out))


# -- the copy, the map, the runs ---------------------------------------------------------------------

def installed_package() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("aksara")
    assert spec is not None and spec.origin, "aksara is not installed"
    return Path(spec.origin).parent


def copy_package(into: Path) -> Path:
    """A copy of the installed ``aksara`` under ``into`` (``into`` goes first on PYTHONPATH)."""
    target = into / "aksara"
    shutil.copytree(installed_package(), target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def environment(shadow: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(shadow), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a restored file is never shadowed by a stale .pyc
    env.pop("COVERAGE_PROCESS_START", None)
    return env


def pytest_args(work: Path, profile: str, seed: int) -> list[str]:
    return ["-q", "-p", "no:cacheprovider", f"--fuzz-profile={profile}", f"--hypothesis-seed={seed}",
            "--example-db", str(work / "examples"), "--report-dir", str(work / "report"),
            "--artifacts-dir", str(work / "artifacts")]


def build_map(shadow: Path, tests: list[str], work: Path, timeout: float) -> dict[str, dict[str, list[str]]]:
    """Per file of the copy (relative) and line: the test functions (pytest node ids) that executed it."""
    from coverage import CoverageData

    work.mkdir(parents=True, exist_ok=True)
    data_file = work / "map.coverage"
    rc = work / "map.coveragerc"
    rc.write_text(f"[run]\nsource = {shadow / 'aksara'}\ndata_file = {data_file}\n", encoding="utf-8")
    command = [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", *tests,
               "-p", "mutation_contexts", *pytest_args(work / "map-run", "dev", 1)]
    env = environment(shadow)
    env["PYTHONPATH"] += os.pathsep + str(ROOT / "bench")  # the plugin naming each test's context
    started = time.perf_counter()
    with open(work / "map-output.txt", "w", encoding="utf-8") as out:
        subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    print(f"coverage map: {time.perf_counter() - started:.0f} s ({work / 'map-output.txt'})", file=sys.stderr)
    data = CoverageData(basename=str(data_file))
    data.read()
    package = shadow / "aksara"
    out: dict[str, dict[str, list[str]]] = {}
    for filename in data.measured_files():
        path = Path(filename)
        if package not in path.parents:
            continue
        by_line = data.contexts_by_lineno(filename)
        out[str(path.relative_to(package))] = {str(line): sorted({c for c in contexts if "::" in c})
                                               for line, contexts in by_line.items()}
    return out


@dataclass
class Result:
    mutant: Mutant
    status: str  # killed | survived | timeout | error | not_covered | invalid
    seconds: float
    tests: int
    detail: str = ""


def run_mutant(mutant: Mutant, shadow: Path, tests: list[str], work: Path, args: argparse.Namespace) -> Result:
    """Write the mutant into the copy, run its covering tests ``-x``, restore the file."""
    path = shadow / "aksara" / mutant.path
    original = path.read_text(encoding="utf-8")
    mutated = apply(original, mutant)
    try:
        compile(mutated, str(path), "exec")
    except SyntaxError as error:
        return Result(mutant, "invalid", 0.0, len(tests), str(error))
    path.write_text(mutated, encoding="utf-8")
    started = time.perf_counter()
    try:
        command = [sys.executable, "-m", "pytest", *tests, "-x", *pytest_args(work, args.profile, args.seed)]
        try:
            completed = subprocess.run(command, cwd=ROOT, env=environment(shadow), capture_output=True, text=True,
                                       timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return Result(mutant, "timeout", time.perf_counter() - started, len(tests))
        tail = [line for line in completed.stdout.splitlines() if line.strip()][-1:]
        # 1: a test failed, 2: interrupted (a collection error too), 3: an internal error (a session fixture
        # could not build the target); 4 (usage) and 5 (no tests) are the benchmark's trouble, not the mutant's
        status = {0: "survived", 1: "killed", 2: "killed", 3: "killed"}.get(completed.returncode, "error")
        if status != "survived":
            tail = [f"exit {completed.returncode}", *tail]
        return Result(mutant, status, time.perf_counter() - started, len(tests), tail[0] if tail else "")
    finally:
        path.write_text(original, encoding="utf-8")
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", nargs="+", choices=sorted(MODULES), default=sorted(MODULES))
    parser.add_argument("--operators", nargs="+", choices=OPERATORS, default=list(OPERATORS))
    parser.add_argument("--limit", type=int, help="run a sample of N covered mutants (drawn with --seed)")
    parser.add_argument("--shard", default="1/1", help="i/n: run the i-th of n interleaved shards")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant (a timeout kills it)")
    parser.add_argument("--profile", default="ci", help="fuzz profile of the mutant runs")
    parser.add_argument("--seed", type=int, default=1, help="sampling and --hypothesis-seed")
    parser.add_argument("--map", type=Path, help="coverage map cache (JSON; built when missing)")
    parser.add_argument("--map-tests", nargs="+", default=["fuzz/"], help="tests the coverage map runs")
    parser.add_argument("--map-timeout", type=float, default=3600.0)
    parser.add_argument("--json", type=Path, help="write every result here")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)

    package = installed_package()
    files = files_of(package, args.modules)
    mutants = [m for f in files for m in mutants_of(package, f) if m.operator in args.operators]
    if args.list:
        for m in mutants:
            print(f"{m.id}\t{m.original!r} -> {m.replacement!r}")
        print(f"{len(mutants)} mutants in {len(files)} files", file=sys.stderr)
        return 0

    with tempfile.TemporaryDirectory(prefix="aksara-mutation-") as tmp:
        tmpdir = Path(tmp)
        shadow = tmpdir / "shadow"
        copy_package(shadow)
        if args.map is not None and args.map.exists():
            coverage_map = json.loads(args.map.read_text(encoding="utf-8"))
        else:
            coverage_map = build_map(shadow, args.map_tests, tmpdir / "map", args.map_timeout)
            if args.map is not None:
                args.map.write_text(json.dumps(coverage_map), encoding="utf-8")

        def covering(m: Mutant) -> list[str]:
            lines = coverage_map.get(m.path, {})
            return sorted({t for line in range(m.start[0], m.end[0] + 1) for t in lines.get(str(line), [])})

        covered = [m for m in mutants if covering(m)]
        results = [Result(m, "not_covered", 0.0, 0) for m in mutants if not covering(m)]
        chosen = covered
        if args.limit is not None and args.limit < len(covered):
            chosen = sorted(random.Random(args.seed).sample(covered, args.limit), key=lambda m: (m.path, m.start))
        index, count = (int(x) for x in args.shard.split("/"))
        chosen = chosen[index - 1::count]
        print(f"{len(mutants)} mutants in {len(files)} files; {len(covered)} on covered lines; running "
              f"{len(chosen)} (shard {args.shard}, profile {args.profile})", file=sys.stderr)
        ran = []
        for i, mutant in enumerate(chosen, 1):
            result = run_mutant(mutant, shadow, covering(mutant), tmpdir / f"m{i}", args)
            ran.append(result)
            print(f"[{i}/{len(chosen)}] {result.status:9} {result.seconds:6.0f}s {result.tests:3} tests  "
                  f"{mutant.id}", file=sys.stderr, flush=True)

    killed = sum(r.status in ("killed", "timeout") for r in ran)
    survived = [r for r in ran if r.status == "survived"]
    scored = killed + len(survived)
    print(f"\nmutants: {len(mutants)} generated, {len(covered)} on covered lines, {len(chosen)} run")
    print(f"killed: {killed} (timeouts {sum(r.status == 'timeout' for r in ran)}), survived: {len(survived)}, "
          f"invalid: {sum(r.status == 'invalid' for r in ran)}, errors: {sum(r.status == 'error' for r in ran)}, "
          f"not covered: {len(mutants) - len(covered)}")
    if scored:
        print(f"mutation score: {killed}/{scored} = {100.0 * killed / scored:.1f} %")
    by_operator: dict[str, list[int]] = {}
    for r in ran:
        if r.status in ("killed", "timeout", "survived"):
            by_operator.setdefault(r.mutant.operator, [0, 0])[r.status != "survived"] += 1
    for operator, (alive, dead) in sorted(by_operator.items()):
        print(f"  {operator:18} killed {dead}/{dead + alive}")
    if survived:
        print("\nsurviving mutants (blind spots):")
        for r in survived:
            m = r.mutant
            print(f"  aksara/{m.path}:{m.line} {m.operator}: {m.original.strip()[:70]!r} -> {m.replacement[:70]!r}"
                  f"  ({r.tests} tests)")
    if args.json is not None:
        args.json.write_text(json.dumps([{**asdict(r), "mutant": {**asdict(r.mutant), "id": r.mutant.id}}
                                         for r in [*ran, *results]], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
