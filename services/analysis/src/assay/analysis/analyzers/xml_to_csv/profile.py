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
from assay.analysis.analyzers.xml_to_csv.parse import XmlEvents, detach

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

    def repeating(self) -> set[Path]:
        """Paths whose elements repeat under one parent element (the root never does)."""
        return {path for path, stats in self.paths.items() if stats.max_siblings > 1}


def profile_document(raw: IO[bytes], name: str, tick: Callable[[int], None]) -> Profile:
    """Read ``raw`` once; raises ``DocumentRefused`` for hostile, malformed or non-XML content."""
    events = XmlEvents(raw, name)
    namespaces = Namespaces()
    paths: dict[Path, PathStats] = {}
    stack: list[tuple[Element, Path, dict[str, int]]] = []
    null_namespace = False
    root_tag = ""
    seen = 0
    for event, item in events:
        if event == "start":
            element: Element = item
            tag = element.tag
            if tag[:1] != "{":
                null_namespace = True
            if stack:
                parent_path = stack[-1][1]
                children = stack[-1][2]
                children[tag] = children.get(tag, 0) + 1
                path = (*parent_path, tag)
            else:
                root_tag = tag
                path = (tag,)
            stack.append((element, path, {}))
            seen += 1
            if seen % CHECK_EVERY == 0:
                tick(events.bytes_read)
        elif event == "end":
            element, path, children = stack.pop()
            for tag, number in children.items():
                stats = paths[(*path, tag)]
                if number > stats.max_siblings:
                    stats.max_siblings = number
            own = paths.get(path)
            if own is None:
                own = paths[path] = PathStats()
            own.count += 1
            detach(stack[-1][0] if stack else None, element)
        else:
            prefix, uri = item
            namespaces.declare(prefix, uri)
    tick(events.bytes_read)
    namespaces.freeze(root_tag, null_namespace)
    return Profile(root_tag=root_tag, namespaces=namespaces, paths=paths)
