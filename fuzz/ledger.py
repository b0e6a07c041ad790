"""The defect ledger: known Aksara defects and the signatures that recognise them.

The ledger is a YAML file (``fuzz/ledger.yaml`` by default, ``--ledger`` to add
an application team's own). Each entry has an ``id``, a ``title``, the
``property`` it violates, the ``affected`` Aksara versions (a PEP 440 specifier
set), a ``signature`` and a minimal ``reproducer``. A signature maps fact names
(see :meth:`fuzz.findings.Finding.signature_facts`) to regular expressions; a
finding matches when the property is equal and every regex is found in its fact.
Entries whose ``affected`` range excludes the installed Aksara are inactive, so a
fixed defect that comes back in a later release is reported as new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

# libyaml's loader when PyYAML was built with it (the ledger is large, and every process reads it)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_LEDGER = Path(__file__).with_name("ledger.yaml")
REQUIRED_KEYS = ("id", "title", "owner", "property", "affected", "signature", "examples", "reproducer")
OWNERS = ("aksara", "app", "documented")


class LedgerError(ValueError):
    """The ledger file is malformed; the message names the entry and the problem."""


@dataclass(frozen=True)
class KnownDefect:
    id: str
    title: str
    property_id: str
    affected: SpecifierSet
    signature: dict[str, re.Pattern[str]]
    reproducer: str
    owner: str = "aksara"
    doc: str = ""
    examples: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: str = ""
    source: str = ""

    def applies_to(self, version: str) -> bool:
        return self.affected.contains(Version(version), prereleases=True)

    def matches(self, finding: Any) -> bool:
        if finding.property_id != self.property_id:
            return False
        facts = finding.signature_facts()
        return all(pattern.search(facts.get(name, "")) for name, pattern in self.signature.items())


@dataclass
class Ledger:
    """The known defects of a run (fixed once loaded) and the Aksara version they are matched for."""

    defects: list[KnownDefect] = field(default_factory=list)
    version: str = ""
    _active: list[KnownDefect] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # every finding is matched against the active entries: their ranges are checked once, not per finding
        self._active = [d for d in self.defects if not self.version or d.applies_to(self.version)]

    def active(self) -> list[KnownDefect]:
        """The entries whose ``affected`` range holds :attr:`version` (every entry when it is unset)."""
        return self._active

    def match(self, finding: Any) -> KnownDefect | None:
        for defect in self.active():
            if defect.matches(finding):
                return defect
        return None

    def by_id(self, defect_id: str) -> KnownDefect | None:
        return next((d for d in self.defects if d.id == defect_id), None)


def _examples(entry: dict[str, Any], where: str) -> dict[str, dict[str, str]]:
    """``examples`` as {"match": facts, "no_match": facts}, facts being fact name -> string."""
    examples = entry.get("examples")
    if not isinstance(examples, dict) or set(examples) != {"match", "no_match"}:
        raise LedgerError(f"{where}: examples must be a mapping with exactly 'match' and 'no_match'")
    parsed = {}
    for kind in ("match", "no_match"):
        facts = examples[kind]
        if not isinstance(facts, dict) or not facts:
            raise LedgerError(f"{where}: examples.{kind} must be a non-empty mapping of fact -> string")
        bad = sorted(str(k) for k, v in facts.items() if not isinstance(v, str))
        if bad:
            raise LedgerError(f"{where}: examples.{kind} values must be strings (quote {', '.join(bad)})")
        parsed[kind] = {str(k): v for k, v in facts.items()}
    return parsed


def parse_entries(entries: Iterable[Any], source: str) -> list[KnownDefect]:
    defects = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: entry {index + 1}"
        if not isinstance(entry, dict):
            raise LedgerError(f"{where} is not a mapping")
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if missing:
            raise LedgerError(f"{where} ({entry.get('id', '?')}) lacks {', '.join(missing)}")
        if entry["id"] in seen:
            raise LedgerError(f"{where}: duplicate id {entry['id']}")
        seen.add(entry["id"])
        where = f"{where} ({entry['id']})"
        owner = str(entry["owner"])
        if owner not in OWNERS:
            raise LedgerError(f"{where}: owner must be one of {', '.join(OWNERS)}, not {owner!r}")
        doc = str(entry.get("doc") or "").strip()
        if owner == "documented" and not doc:
            raise LedgerError(f"{where}: owner documented needs a doc reference")
        examples = _examples(entry, where)
        try:
            affected = SpecifierSet(str(entry["affected"]))
        except InvalidSpecifier as exc:
            raise LedgerError(f"{where}: bad affected range: {exc}") from None
        signature = entry["signature"]
        if not isinstance(signature, dict) or not signature:
            raise LedgerError(f"{where}: signature must be a non-empty mapping")
        try:
            compiled = {str(k): re.compile(str(v), re.S) for k, v in signature.items()}
        except re.error as exc:
            raise LedgerError(f"{where}: bad signature regex: {exc}") from None
        defects.append(
            KnownDefect(
                id=str(entry["id"]),
                title=str(entry["title"]),
                property_id=str(entry["property"]),
                affected=affected,
                signature=compiled,
                reproducer=str(entry["reproducer"]),
                owner=owner,
                doc=doc,
                examples=examples,
                notes=str(entry.get("notes", "")),
                source=source,
            )
        )
    return defects


def load_ledger(paths: Iterable[Path], version: str) -> Ledger:
    defects: list[KnownDefect] = []
    for path in paths:
        try:
            data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        except OSError as exc:
            raise LedgerError(f"cannot read ledger {path}: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise LedgerError(f"ledger {path} is not valid YAML: {' '.join(str(exc).split())}") from None
        defects.extend(parse_entries(data.get("defects", []) or [], str(path)))
    ids = [d.id for d in defects]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise LedgerError(f"duplicate ledger ids across files: {', '.join(sorted(duplicates))}")
    return Ledger(defects, version)


def active_ledger() -> Ledger:
    """The ledger of the current run (:attr:`fuzz.run.Run.ledger`; the default file when no plugin set one)."""
    from fuzz.run import current_run

    run = current_run()
    if run.ledger is None:
        from aksara import __version__

        run.ledger = load_ledger([DEFAULT_LEDGER], __version__)
    return run.ledger
