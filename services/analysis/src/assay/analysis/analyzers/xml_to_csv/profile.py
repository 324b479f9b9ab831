"""The first pass: which element paths occur, how often, and which repeat under one parent.

Memory is bounded by the number of distinct paths (the document's shape), not by its size:
finished elements are detached as the parse goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO
from xml.etree.ElementTree import Element

from assay.analysis.analyzers.xml_to_csv.names import Namespaces
from assay.analysis.analyzers.xml_to_csv.parse import MALFORMED, DocumentRefused, XmlEvents

Path = tuple[str, ...]
"""An element path from the root, as Clark names (``{uri}local``)."""
CHECK_EVERY = 20_000
"""Elements between two calls of the ``tick`` callback (progress and cancellation)."""


@dataclass
class PathStats:
    """What the first pass learnt about one element path."""

    count: int = 0
    """Elements at this path in the whole document."""
    max_siblings: int = 0
    """Most elements at this path under one parent element."""


@dataclass
class Profile:
    """The shape of one document."""

    root_tag: str
    namespaces: Namespaces
    paths: dict[Path, PathStats] = field(default_factory=dict)
    """Every element path, in the order their first element ended."""

    def repeating(self) -> set[Path]:
        """Paths whose elements repeat under one parent element (the root never does)."""
        return {path for path, stats in self.paths.items() if stats.max_siblings > 1}


class _Node:
    """One path in the trie the pass builds (cheaper per element than hashing whole paths)."""

    __slots__ = ("children", "path", "stats")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stats = PathStats()
        self.children: dict[str, _Node] = {}


def profile_document(raw: IO[bytes], name: str, tick: Callable[[int], None]) -> Profile:
    """Read ``raw`` once; raises ``DocumentRefused`` for hostile, malformed or non-XML content."""
    events = XmlEvents(raw, name)
    namespaces = Namespaces()
    order: list[_Node] = []
    top = _Node(())
    # Per open element: the element, its trie node, and how many children it had per child node.
    stack: list[tuple[Element, _Node, dict[_Node, int]]] = []
    null_namespace = False
    seen = 0
    for event, item in events:
        if event == "start":
            tag = item.tag
            if tag[:1] != "{":
                null_namespace = True
            parent = stack[-1] if stack else (None, top, {})
            node = parent[1].children.get(tag)
            if node is None:
                node = parent[1].children[tag] = _Node((*parent[1].path, tag))
            counts = parent[2]
            counts[node] = counts.get(node, 0) + 1
            stack.append((item, node, {}))
            seen += 1
            if seen % CHECK_EVERY == 0:
                tick(events.bytes_read)
        elif event == "end":
            element, node, counts = stack.pop()
            for child, number in counts.items():
                if number > child.stats.max_siblings:
                    child.stats.max_siblings = number
            if not node.stats.count:
                order.append(node)
            node.stats.count += 1
            if stack:
                stack[-1][0].remove(element)
        else:
            prefix, uri = item
            namespaces.declare(prefix, uri)
    tick(events.bytes_read)
    if not order:
        raise DocumentRefused(MALFORMED, f"{name} has no root element")
    root_tag = order[-1].path[0]
    namespaces.freeze(root_tag, null_namespace)
    return Profile(root_tag=root_tag, namespaces=namespaces, paths={node.path: node.stats for node in order})
