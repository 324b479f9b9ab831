"""Blocks into typed statements: classify, pick one per type, read periods and line items, check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assay.analysis.analyzers.financial_statements.amounts import decimal_text
from assay.analysis.analyzers.financial_statements.blocks import Block
from assay.analysis.analyzers.financial_statements.checks import cross_checks, run_checks
from assay.analysis.analyzers.financial_statements.classify import (
    BALANCE,
    COMPREHENSIVE,
    INCOME,
    Classification,
    classify,
)
from assay.analysis.analyzers.financial_statements.periods import column_periods, currency, unit
from assay.analysis.analyzers.financial_statements.table import Row, Table, parse_table
from assay.v1 import financial_statements_pb2 as fs

_MIN_ROWS = 3
_UNTITLED = "untitled"
"""The scope key of statements without a title (their scope is unknown)."""
_TOTAL = re.compile(r"^(?:total|net (?:income|earnings|loss|\(loss\)|cash|increase|decrease|change|sales|revenues?)|"
                    r"gross (?:profit|margin)|operating (?:income|profit|loss)|(?:income|loss|earnings|profit)\b.*"
                    r"before|comprehensive (?:income|loss)|balances?\b.*(?:end|at)|cash.*end of)", re.I)
_PER_SHARE = re.compile(r"per (?:common |ordinary )?share|per unit\b|\beps\b", re.I)
_SHARES = re.compile(r"\bshares\b|number of (?:common )?shares|weighted[- ]average", re.I)
COMPREHENSIVE_TITLE = re.compile(r"(?:\band|&) (?:other )?comprehensive (?:income|loss|\(loss\)|earnings)", re.I)
_NORMALISE = re.compile(r"\(\d{1,2}\)|\[\d+\]|[*†‡§]|\$")


@dataclass
class Candidate:
    block: Block
    table: Table
    kind: Classification


def normalise(label: str) -> str:
    text = _NORMALISE.sub(" ", label.lower()).replace("’", "'").replace("'", "")
    text = re.sub(r"[^\w%()&/ -]+", " ", text)
    return " ".join(text.replace("(", " ").replace(")", " ").split()).strip(" -")


def candidates(blocks: list[Block], name_hint: str = "") -> list[Candidate]:
    """Classified blocks, and untitled blocks that continue the one before on the next page."""
    out: list[Candidate] = []
    previous: Candidate | None = None
    for block in blocks:
        table = parse_table(block)
        valued = [row for row in table.rows if row.values]
        if not valued or not table.columns:
            previous = None
            continue
        kind = classify(block.heading, [row.label for row in valued], name_hint)
        if previous is not None and (kind is None or not kind.title) and _continues(previous, block, table):
            kind = replace(previous.kind, continued=True)
        elif len(valued) < _MIN_ROWS:
            kind = None
        previous = Candidate(block, table, kind) if kind is not None else None
        if previous is not None:
            out.append(previous)
    return out


def _continues(previous: Candidate, block: Block, table: Table) -> bool:
    """An untitled table right after a statement, on its page or the next, with as many columns."""
    return (previous.block.last_page <= block.page <= previous.block.last_page + 1
            and len(table.columns) == len(previous.table.columns)
            and len(block.heading) <= 4 and all(len(line) < 80 for line in block.heading))


def choose(found: list[Candidate], wanted: set[int]) -> list[list[Candidate]]:
    """The best candidate per wanted type and scope, with the continuation pages/tables that follow it.

    Titled statements are kept one per scope: the parent company's alone beside the consolidated
    one (a title that names neither counts as consolidated). A statement known only by its lines
    (no title) is kept only when no titled one of its type was found.
    """
    groups: list[list[Candidate]] = []
    for cand in found:
        if groups and cand.kind.continued and groups[-1][0].kind.type == cand.kind.type \
                and len(cand.table.columns) == len(groups[-1][0].table.columns):
            groups[-1].append(cand)
            continue
        groups.append([cand])
    best: dict[tuple[int, str], list[Candidate]] = {}
    for group in list(groups):
        head = group[0]
        if head.kind.type == INCOME and COMPREHENSIVE_TITLE.search(head.kind.title):
            # "Statements of Income and Comprehensive Income": one table, both statements
            groups.append([Candidate(c.block, c.table, replace(c.kind, type=COMPREHENSIVE)) for c in group])
    for group in groups:
        head = group[0]
        if head.kind.type not in wanted:
            continue
        # a title that names no scope is the document's main statement: it competes with the consolidated one
        key = (head.kind.type, (head.kind.scope or "consolidated") if head.kind.title else _UNTITLED)
        score = (head.kind.confidence, sum(len(c.table.rows) for c in group))
        current = best.get(key)
        if current is None or score > (current[0].kind.confidence, sum(len(c.table.rows) for c in current)):
            best[key] = group
    titled = {kind for kind, scope in best if scope != _UNTITLED}
    kept = [group for (kind, scope), group in best.items() if scope != _UNTITLED or kind not in titled]
    return sorted(kept, key=lambda g: (g[0].block.page, g[0].block.lines[0].number))


def _depths(rows: list[Row]) -> dict[float, int]:
    levels = sorted({round(row.indent / 3) * 3 for row in rows})
    return {level: depth for depth, level in enumerate(levels[:8])}


_SECTION_NOISE = frozenset({"total", "net", "cash", "flows", "flow", "from", "provided", "used", "by", "in", "for",
                            "and", "of", "the", "s"})


def _section_words(label: str) -> set[str]:
    return set(normalise(label).replace(":", " ").split()) - _SECTION_NOISE


def structural_depths(items: Sequence[fs.FinancialLineItem]) -> None:
    """Depths of a statement printed without indentation, from its structure.

    A heading (a label without figures ending in ":" or in capitals: "Current assets:", "ASSETS")
    opens a level; the lines under it are one deeper; a total whose label holds the heading's words
    ("Total current assets", "Net cash provided by operating activities" for "Cash flows from
    operating activities:") closes it and stands at the heading's depth.
    """
    open_sections: list[set[str]] = []
    for item in items:
        label = item.label.strip()
        if item.is_heading and (label.endswith(":") or (label.isupper() and any(ch.isalpha() for ch in label))):
            item.depth = len(open_sections)
            open_sections.append(_section_words(label))
            continue
        if item.is_total:
            words = _section_words(label)
            closes = next((i for i in range(len(open_sections) - 1, -1, -1)
                           if open_sections[i] and open_sections[i] <= words), None)
            if closes is not None:
                del open_sections[closes:]
        item.depth = len(open_sections)


def build(group: list[Candidate], unreadable: list[fs.FinancialUnreadableCell], index: int) -> fs.FinancialStatement:
    head = group[0]
    header = [*head.block.heading, *head.table.header]
    stated = unit([*head.block.context, *header])
    titled = head.block.heading
    if head.kind.title in titled:
        titled = titled[titled.index(head.kind.title):]
    found_periods = column_periods(head.table.column_headers, [*titled[-6:], *head.table.header],
                                   head.kind.type == BALANCE)
    statement = fs.FinancialStatement(
        type=fs.StatementType.ValueType(head.kind.type), title=head.kind.title, first_page=head.block.page,
        last_page=max(c.block.last_page for c in group), currency=currency([*head.block.context, *header]),
        unit_scale=stated.scale, unit_text=stated.text, condensed=head.kind.condensed, scope=head.kind.scope,
        periods=[fs.FinancialPeriod(header=p.header, end_date=p.end_date, fiscal_year=p.fiscal_year,
                                    duration_months=p.duration_months) for p in found_periods])
    rows = [row for cand in group for row in cand.table.rows]
    depths = _depths(rows)
    for row in rows:
        if not row.label and not row.values:
            continue
        label = row.label
        scale = stated.scale
        if _PER_SHARE.search(label) or (_SHARES.search(label) and stated.shares_own_scale):
            scale = 1
        item = fs.FinancialLineItem(
            label=label, normalized_label=normalise(label), depth=depths.get(round(row.indent / 3) * 3, 0),
            is_total=bool(_TOTAL.search(normalise(label))) and bool(row.values), is_heading=not row.values,
            page=row.page, line=row.line, scale=scale)
        for column in sorted(row.values):
            amount = row.values[column]
            item.values.append(fs.FinancialValue(period_index=column, raw=amount.raw,
                                                 value=decimal_text(amount.value) if amount.value is not None else "",
                                                 unreadable=amount.unreadable))
            if amount.unreadable:
                unreadable.append(fs.FinancialUnreadableCell(statement_index=index, page=row.page, line=row.line,
                                                             label=label, raw=amount.raw))
        statement.line_items.append(item)
    if len(depths) <= 1:  # the statement does not indent: depth from its headings and totals instead
        structural_depths(statement.line_items)
    checks = run_checks(statement)
    statement.checks.extend(checks)
    failed = sum(1 for c in checks if not c.passed)
    confidence = head.kind.confidence
    if checks:
        confidence = confidence * (1 - 0.5 * failed / len(checks)) + (0.05 if not failed else 0.0)
    if any(v.unreadable for item in statement.line_items for v in item.values):
        confidence *= 0.9
    statement.confidence = round(max(0.0, min(1.0, confidence)), 3)
    return statement


def adjust_for_cross_checks(statements: Sequence[fs.FinancialStatement]) -> None:
    """Run the checks across statements of one scope (or of no stated scope); each failed one lowers the
    cash-flow statement's confidence."""
    for cash in statements:
        if cash.type != fs.STATEMENT_TYPE_CASH_FLOW:
            continue
        before = len(cash.checks)
        others = [s for s in statements if s.type != fs.STATEMENT_TYPE_CASH_FLOW
                  and (s.scope == cash.scope or not s.scope or not cash.scope)]
        cross_checks(cash, sorted(others, key=lambda s: s.scope != cash.scope))  # the same scope first
        failed = sum(1 for c in cash.checks[before:] if not c.passed)
        if failed:
            cash.confidence = round(cash.confidence * 0.85 ** failed, 3)
