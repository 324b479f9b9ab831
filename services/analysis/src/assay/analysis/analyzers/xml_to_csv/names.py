"""Stable, readable names for namespaced XML names: ``prefix:local``, one prefix per URI.

A URI gets the first prefix the document declares for it (``ns1``, ``ns2`` … when it is only ever
the default namespace, or when its prefix was already taken by another URI). Elements in the root
element's namespace are written without prefix when that namespace is the document's default and
no element is in no namespace, so ``Document/GrpHdr/MsgId`` reads as the document does.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Namespaces:
    """Prefix assignment for one document; fill with ``declare`` (in document order), then ``freeze``."""

    prefixes: dict[str, str] = field(default_factory=dict)
    """URI -> its non-empty prefix."""
    bare_uri: str | None = None
    """The namespace whose elements are written without prefix (None: only the null namespace)."""
    _defaults: list[str] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)

    def declare(self, prefix: str, uri: str) -> None:
        if not prefix:
            if uri and uri not in self._defaults:
                self._defaults.append(uri)
            return
        if uri in self.prefixes:
            return
        self.prefixes[uri] = self._unique(prefix)

    def freeze(self, root_tag: str, null_namespace_elements: bool) -> None:
        """Give every URI a prefix; choose the bare namespace from the root's."""
        for uri in self._defaults:
            if uri not in self.prefixes:
                self.prefixes[uri] = self._unique("ns")
        root_uri = _uri(root_tag)
        if root_uri and root_uri in self._defaults and not null_namespace_elements:
            self.bare_uri = root_uri

    def element(self, tag: str) -> str:
        """``{uri}local`` -> ``local`` or ``prefix:local``."""
        if tag[:1] != "{":
            return tag
        uri, _, local = tag[1:].partition("}")
        if uri == self.bare_uri:
            return local
        return f"{self._prefix(uri)}:{local}"

    def attribute(self, name: str) -> str:
        """Attributes are unprefixed unless namespaced; a namespaced one always shows its prefix."""
        if name[:1] != "{":
            return name
        uri, _, local = name[1:].partition("}")
        return f"{self._prefix(uri)}:{local}"

    def listing(self) -> list[tuple[str, str]]:
        """(prefix, uri) pairs: the bare namespace as "" first, then every prefix."""
        pairs = [("", self.bare_uri)] if self.bare_uri else []
        return pairs + [(prefix, uri) for uri, prefix in self.prefixes.items()]

    def _prefix(self, uri: str) -> str:
        prefix = self.prefixes.get(uri)
        if prefix is None:  # used without a declaration we saw (cannot happen with expat); stay stable
            prefix = self.prefixes[uri] = self._unique("ns")
        return prefix

    def _unique(self, wanted: str) -> str:
        if wanted == "ns" or wanted in self._taken:
            number = 1
            while f"{wanted}{number}" in self._taken:
                number += 1
            wanted = f"{wanted}{number}"
        self._taken.add(wanted)
        return wanted


def _uri(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag[:1] == "{" else ""
