"""The second pass: every element, attribute and text of a document into exactly one cell.

Column names are relative to the record element: nested elements join with ``.`` (``Amt``,
``RltdPties.Dbtr.Nm``), attributes follow ``@`` (``Amt@Ccy``; the record's own are ``@id``), the
record's own text is ``#text`` and text after a child element (mixed content) is ``<child>#tail``.
Values outside every record are named by absolute path (``/Document/GrpHdr/MsgId``,
``/osm/bounds/@minlat``). Whitespace-only text between elements is layout and is not a value;
any other text is kept byte for byte, surrounding whitespace included.

Tail text is only complete at the next event under the same parent (the parser runs ahead of the
events), so each frame keeps the last finished child until then; a record's row is spooled once
its own tail is known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO
from xml.etree.ElementTree import Element

from assay.analysis.analyzers.xml_to_csv.layout import Layout
from assay.analysis.analyzers.xml_to_csv.names import Namespaces
from assay.analysis.analyzers.xml_to_csv.parse import XmlEvents
from assay.analysis.analyzers.xml_to_csv.profile import CHECK_EVERY, Path
from assay.analysis.analyzers.xml_to_csv.tables import TAIL, TEXT, Row, Table

HeaderSink = Callable[[str, str], None]


class _Node:
    """One element path, with everything the pass needs about it worked out once."""

    __slots__ = ("children", "indexed", "path", "shown", "table")

    def __init__(self, path: Path, shown: str, table: Table | None, indexed: bool) -> None:
        self.path = path
        self.shown = shown
        self.table = table
        self.indexed = indexed
        self.children: dict[str, _Node] = {}


@dataclass(slots=True)
class _Finished:
    """A finished child whose tail text is not known yet."""

    element: Element
    tail_column: str
    owner: Row | None
    own_row: Row | None


class _Frame:
    __slots__ = ("counts", "element", "finished", "node", "own_row", "prefix", "row")

    def __init__(self, element: Element, node: _Node, row: Row | None, prefix: str, own_row: bool) -> None:
        self.element = element
        self.node = node
        self.row = row
        self.prefix = prefix
        self.own_row = own_row
        self.counts: dict[_Node, int] = {}
        self.finished: _Finished | None = None


class Flattener:
    """Writes one document's values into its tables' rows and the header sink."""

    def __init__(self, namespaces: Namespaces, layout: Layout, tables: dict[Path, Table], header: HeaderSink) -> None:
        self._names = namespaces
        self._layout = layout
        self._tables = tables
        self._header = header
        self._top = _Node((), "", None, False)
        self._attribute_names: dict[str, str] = {}

    def run(self, raw: IO[bytes], name: str, tick: Callable[[int], None]) -> None:
        events = XmlEvents(raw, name)
        stack: list[_Frame] = []
        seen = 0
        for event, element in events:
            if event == "start":
                self._start(stack, element)
                seen += 1
                if seen % CHECK_EVERY == 0:
                    tick(events.bytes_read)
            elif event == "end":
                self._end(stack)
        tick(events.bytes_read)

    # -- events --------------------------------------------------------------------------------

    def _node(self, parent: _Node, tag: str) -> _Node:
        path = (*parent.path, tag)
        node = parent.children[tag] = _Node(path, self._names.element(tag), self._tables.get(path),
                                            path in self._layout.indexed)
        return node

    def _start(self, stack: list[_Frame], element: Element) -> None:
        tag = element.tag
        parent = stack[-1] if stack else None
        if parent is not None:
            if parent.finished is not None:
                self._settle(parent.finished)
                parent.finished = None
            node = parent.node.children.get(tag) or self._node(parent.node, tag)
        else:
            node = self._top.children.get(tag) or self._node(self._top, tag)
        step = node.shown
        if node.indexed and parent is not None:
            number = parent.counts[node] = parent.counts.get(node, 0) + 1
            step = f"{step}[{number}]"
        table = node.table
        if table is not None:
            row = table.new_row(parent.row if parent is not None else None)
            frame = _Frame(element, node, row, "", True)
        elif parent is None:
            frame = _Frame(element, node, None, "/" + step, False)
        elif parent.row is None:
            frame = _Frame(element, node, None, f"{parent.prefix}/{step}", False)
        else:
            frame = _Frame(element, node, parent.row, f"{parent.prefix}.{step}" if parent.prefix else step, False)
        stack.append(frame)
        if element.attrib:
            self._attributes(frame, element)

    def _attributes(self, frame: _Frame, element: Element) -> None:
        names = self._attribute_names
        for key, value in element.attrib.items():
            shown = names.get(key)
            if shown is None:
                shown = names[key] = self._names.attribute(key)
            if frame.row is not None:
                frame.row.set(f"{frame.prefix}@{shown}", value)
            else:
                self._header(f"{frame.prefix}/@{shown}", value)

    def _end(self, stack: list[_Frame]) -> None:
        frame = stack.pop()
        element = frame.element
        if frame.finished is not None:
            self._settle(frame.finished)
            frame.finished = None
        text = element.text
        if text and not text.isspace():
            if frame.row is not None:
                frame.row.set(frame.prefix or TEXT, text)
            else:
                self._header(frame.prefix, text)
        parent = stack[-1] if stack else None
        own_row = frame.row if frame.own_row else None
        if parent is None:
            if own_row is not None:
                own_row.table.add(own_row)
            return
        if own_row is not None:
            parent.finished = _Finished(element, TAIL, own_row, own_row)
        else:
            parent.finished = _Finished(element, frame.prefix + TAIL, parent.row, None)
        parent.element.remove(element)

    def _settle(self, finished: _Finished) -> None:
        tail = finished.element.tail
        if tail and not tail.isspace():
            if finished.owner is not None:
                finished.owner.set(finished.tail_column, tail)
            else:
                self._header(finished.tail_column, tail)
        if finished.own_row is not None:
            finished.own_row.table.add(finished.own_row)
