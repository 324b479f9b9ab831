"""The consolidation of filings (oldest first) as a typed ``ConsolidateResult``."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from assay.analysis.analyzers.consolidate.align import Alignment, PeriodKey, Row, period_keys
from assay.analysis.analyzers.consolidate.figures import amount_text, analyse, ordered
from assay.analysis.analyzers.consolidate.filings import Filing
from assay.analysis.analyzers.financial_statements.checks import run_checks
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs

DEFAULT_THRESHOLD = 88.0
ISSUE = cpb.ConsolidationIssue


def _statement_of(filing: Filing, kind: fs.StatementType.ValueType) -> fs.FinancialStatement | None:
    """The filing's statement of ``kind``: of several (one per scope), the group's rather than the parent
    company's own, then the one with most lines."""
    found = [s for s in filing.result.statements if s.type == kind]
    return max(found, key=lambda s: (s.scope != "parent", len(s.line_items))) if found else None


def _periods(newest_first: Sequence[tuple[Filing, fs.FinancialStatement]]) -> dict[PeriodKey, cpb.ConsolidatedPeriod]:
    out: dict[PeriodKey, cpb.ConsolidatedPeriod] = {}
    for filing, statement in newest_first:
        for period, key in zip(statement.periods, period_keys(filing.index, statement), strict=True):
            if key not in out:
                out[key] = cpb.ConsolidatedPeriod(header=period.header, end_date=period.end_date,
                                                  fiscal_year=period.fiscal_year,
                                                  duration_months=period.duration_months)
            if filing.index not in out[key].source_indexes:
                out[key].source_indexes.append(filing.index)
    return out


def to_financial_statement(statement: cpb.ConsolidatedStatement) -> fs.FinancialStatement:
    """The consolidated statement in financial_statements' shape, each figure in the statement's unit (per-share
    lines unscaled), so its checks and its workbook apply unchanged."""
    unit = statement.unit_scale or 1
    out = fs.FinancialStatement(type=statement.type, title=statement.title, currency=statement.currency,
                                unit_scale=unit)
    out.periods.extend(fs.FinancialPeriod(header=p.header, end_date=p.end_date, fiscal_year=p.fiscal_year,
                                          duration_months=p.duration_months) for p in statement.periods)
    for line in statement.lines:
        scale = 1 if line.per_share else unit
        first = line.values[0] if line.values else None
        out.line_items.append(fs.FinancialLineItem(
            label=line.label, normalized_label=line.normalized_label, depth=line.depth, is_total=line.is_total,
            is_heading=line.is_heading, scale=scale, page=first.page if first else 0,
            line=first.line if first else 0,
            values=[fs.FinancialValue(period_index=v.period_index, raw=v.raw,
                                      value=amount_text(Decimal(v.value) / scale)) for v in line.values]))
    return out


def _line(row: Row, index_of: dict[PeriodKey, int]) -> cpb.ConsolidatedLine:
    line = cpb.ConsolidatedLine(label=row.label, normalized_label=row.normalized_label, depth=row.depth,
                                is_total=row.is_total, is_heading=row.is_heading, section=row.section,
                                per_share=row.per_share, match=row.match, match_score=row.score)
    for key, cell in sorted(row.cells.items(), key=lambda kv: index_of[kv[0]]):
        line.values.append(cpb.ConsolidatedValue(
            period_index=index_of[key], value=amount_text(cell.value), raw=cell.raw, source_index=cell.filing,
            page=cell.page, line=cell.line, label=cell.label, restated=cell.restated))
    return line


def consolidate_statement(kind: fs.StatementType.ValueType, newest_first: list[tuple[Filing, fs.FinancialStatement]],
                          threshold: float, issues: list[cpb.ConsolidationIssue]) -> cpb.ConsolidatedStatement:
    """One statement type over every filing that has it (``newest_first``)."""
    alignment = Alignment(threshold)
    for filing, statement in newest_first:
        alignment.add(filing.index, statement)
    found = _periods(newest_first)
    keys = list(found)
    order = ordered([found[k] for k in keys])
    keys = [keys[i] for i in order]
    index_of = {key: i for i, key in enumerate(keys)}
    newest, head = newest_first[0]
    out = cpb.ConsolidatedStatement(type=kind, title=head.title, currency=newest.currency or head.currency,
                                    unit_scale=head.unit_scale or 1, periods=[found[k] for k in keys])
    for row in alignment.rows:
        line = _line(row, index_of)
        analyse(line, out.periods)
        out.lines.append(line)
        if len(newest_first) > 1 and len(row.members) == 1 and not row.is_heading:
            (only,) = row.members
            issues.append(ISSUE(kind=cpb.CONSOLIDATION_ISSUE_KIND_UNMATCHED, statement_type=kind, label=row.label,
                                source_indexes=[only],
                                detail=f"only source {only} has this line; no line of the other "
                                       f"{len(newest_first) - 1} filing(s) matched it, so it is kept on its own"))
    for item in alignment.restatements:
        header = found[item.key].header or item.key[1]
        issues.append(ISSUE(
            kind=cpb.CONSOLIDATION_ISSUE_KIND_RESTATED, statement_type=kind, label=item.row.label, period=header,
            source_indexes=[item.newer.filing, item.older.filing],
            values=[amount_text(item.newer.value), amount_text(item.older.value)],
            detail=f"source {item.newer.filing} gives {item.newer.raw} (page {item.newer.page}), the earlier "
                   f"source {item.older.filing} gave {item.older.raw} (page {item.older.page}); the later filing's "
                   "figure is used"))
    for row, source, section in alignment.moved:
        issues.append(ISSUE(kind=cpb.CONSOLIDATION_ISSUE_KIND_MOVED, statement_type=kind, label=row.label,
                            source_indexes=[source],
                            detail=f"source {source} has this line under {section or 'no heading'!r}, the newest "
                                   f"filing under {row.section or 'no heading'!r}; matched as one line"))
    for filing, statement in newest_first:
        position = {i: index_of[key] for i, key in enumerate(period_keys(filing.index, statement))}
        for check in statement.checks:
            carried = fs.FinancialCheck()
            carried.CopyFrom(check)
            carried.period_index = position.get(check.period_index, -1)
            out.checks.append(cpb.ConsolidatedCheck(source_index=filing.index, check=carried))
    for check in run_checks(to_financial_statement(out)):
        out.checks.append(cpb.ConsolidatedCheck(source_index=-1, check=check))
        if not check.passed:
            issues.append(ISSUE(kind=cpb.CONSOLIDATION_ISSUE_KIND_CHECK_FAILED, statement_type=kind,
                                period=out.periods[check.period_index].header, label=check.name,
                                values=[check.expected, check.actual],
                                detail=f"the consolidated figures do not add up: {check.name} "
                                       f"(expected {check.expected}, lines give {check.actual})"))
    return out


def consolidate(filings: Sequence[Filing], threshold: float) -> tuple[list[cpb.ConsolidatedStatement],
                                                                       list[cpb.ConsolidationIssue]]:
    """Every statement type any filing has, in StatementType order, and the issues found."""
    issues: list[cpb.ConsolidationIssue] = []
    statements = []
    kinds = sorted({s.type for f in filings for s in f.result.statements})
    for kind in kinds:
        newest_first = [(f, s) for f in reversed(filings) if (s := _statement_of(f, kind)) is not None]
        missing = [f.index for f in filings if _statement_of(f, kind) is None]
        if missing:
            issues.append(ISSUE(kind=cpb.CONSOLIDATION_ISSUE_KIND_MISSING_TYPE, statement_type=kind,
                                source_indexes=missing,
                                detail=f"source(s) {', '.join(map(str, missing))} have no "
                                       f"{fs.StatementType.Name(kind)}; its periods come from the others"))
        statements.append(consolidate_statement(kind, newest_first, threshold, issues))
    return statements, issues
