"""The layers import one way: strategies → targets, never back up (read from the source with ``ast``).

``targets/`` is the lowest layer: it imports nothing from ``fuzz/`` or ``strategies/``; ``strategies/``
imports nothing from ``fuzz/``. Every import counts, also one inside a function or under
``TYPE_CHECKING``, and a module named by string to ``importlib.import_module``/``__import__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: layer -> the top-level packages it must not import
FORBIDDEN = {"targets": ("fuzz", "strategies"), "strategies": ("fuzz",)}


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with its line: import statements (relative ones resolved against
    ``package``) and string arguments of ``importlib.import_module``/``__import__``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append((node.lineno, node.args[0].value))
    return found


def _package_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts if path.name == "__init__.py" else parts[:-1])


def violations(layer: str) -> list[str]:
    out = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for line, module in imported_modules(path, _package_of(path)):
            top = module.split(".", 1)[0]
            if top in FORBIDDEN[layer]:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_from_the_layers_above_it(layer):
    assert (ROOT / layer).is_dir()
    assert violations(layer) == [], f"{layer}/ must import nothing from {', '.join(FORBIDDEN[layer])}/"


def test_the_check_sees_every_kind_of_import(tmp_path):
    """A planted module with each kind of upward import is caught on every line."""
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import fuzz.findings\n"
        "from fuzz import catalog\n"
        "def f():\n"
        "    from strategies.values import hostile_scalars\n"
        "import importlib\n"
        "importlib.import_module('fuzz.replay')\n"
        "from . import sibling\n"
        "from .. import parent\n",
        encoding="utf-8")
    found = sorted(imported_modules(planted, "strategies.sub"))
    assert found == [(1, "fuzz.findings"), (2, "fuzz"), (4, "strategies.values"), (5, "importlib"),
                     (6, "fuzz.replay"), (7, "strategies.sub"), (8, "strategies")]


def test_every_area_has_the_same_shape():
    """Each ``fuzz/test_<area>.py`` binds ``fuzz/properties/<area>.py`` to ``fuzz/oracles/<area>.py``, and ``fuzz/``
    holds no area package of its own (strategies in ``strategies/``, drivers of Aksara and PostgreSQL in
    ``targets/``)."""
    areas = sorted(p.stem[len("test_"):] for p in (ROOT / "fuzz").glob("test_*.py"))
    assert areas
    missing = [f"fuzz/{layer}/{area}.py" for area in areas for layer in ("properties", "oracles")
               if not (ROOT / "fuzz" / layer / f"{area}.py").is_file()]
    assert missing == []
    packages = sorted(p.name for p in (ROOT / "fuzz").iterdir() if (p / "__init__.py").is_file())
    assert packages == ["oracles", "properties"]
