"""Which analyzers this worker can run: built-ins imported lazily by module path, plus plugins."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from assay.analysis.plugin import Analyzer, AnalyzerSpec
from assay.common.analyzers import SPECS

logger = logging.getLogger(__name__)

BUILTIN_ANALYZERS: tuple[str, ...] = (
    "assay.analysis.analyzers.sentiment:ANALYZER",
    "assay.analysis.analyzers.contract_review:ANALYZER",
    "assay.analysis.analyzers.xml_to_csv:ANALYZER",
    "assay.analysis.analyzers.compare:ANALYZER",
    "assay.analysis.analyzers.financial_statements:ANALYZER",
    "assay.analysis.analyzers.bank_statement:ANALYZER",
    "assay.analysis.analyzers.consolidate:ANALYZER",
    "assay.analysis.analyzers.index:ANALYZER",
    "assay.analysis.analyzers.ask:ANALYZER",
)
"""Built-in analyzers as ``module:attribute``; one that fails to import is skipped with a warning."""


def load_ref(ref: str) -> Analyzer:
    """Import ``module:attribute`` and return the analyzer object."""
    module_name, _, attribute = ref.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"analyzer reference {ref!r} is not 'module:attribute'")
    analyzer: Analyzer = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(getattr(analyzer, "spec", None), AnalyzerSpec):
        raise TypeError(f"{ref} has no AnalyzerSpec 'spec'")
    return analyzer


@dataclass(frozen=True)
class Registered:
    """An analyzer by reference: the child process imports ``ref`` itself."""

    ref: str
    spec: AnalyzerSpec


class Registry:
    """Analyzer name → reference and spec."""

    def __init__(self, entries: Iterable[Registered] = ()) -> None:
        self._entries: dict[str, Registered] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: Registered) -> None:
        """Register (or replace) an analyzer under its spec's name."""
        self._entries[entry.spec.name] = entry

    def add_ref(self, ref: str) -> Registered:
        """Import ``ref`` and register it; import errors propagate."""
        entry = Registered(ref=ref, spec=load_ref(ref).spec)
        declared = SPECS.get(entry.spec.name)
        if declared is not None and entry.spec != declared:
            logger.warning("analyzer spec differs from assay.common.analyzers.SPECS, which CreateJob enforces",
                           extra={"ref": ref, "analyzer": entry.spec.name})
        self.add(entry)
        return entry

    def get(self, name: str) -> Registered | None:
        return self._entries.get(name)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[Registered]:
        return [self._entries[n] for n in self.names()]

    def only(self, names: set[str] | None) -> Registry:
        """The subset named by ``names`` (None keeps all); unknown names are logged."""
        if names is None:
            return self
        for missing in sorted(names - set(self._entries)):
            logger.warning("configured analyzer is not registered", extra={"analyzer": missing})
        return Registry(e for e in self.entries() if e.spec.name in names)


def load_registry(plugins: Iterable[str] = (), only: set[str] | None = None) -> Registry:
    """Built-ins that import cleanly, then ``plugins`` (which replace built-ins of the same name)."""
    registry = Registry()
    for ref in BUILTIN_ANALYZERS:
        try:
            registry.add_ref(ref)
        except Exception as exc:
            logger.warning("built-in analyzer unavailable", extra={"ref": ref, "error": repr(exc)})
    for ref in plugins:
        registry.add_ref(ref)
    return registry.only(only)
