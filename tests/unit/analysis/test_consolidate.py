"""consolidate: lines aligned across filings, restatements, unmatched lines, changes, CAGR, refusals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fixtures import consolidation as cx

from assay.analysis.analyzers.consolidate import ANALYZER
from assay.analysis.plugin import AnalysisInputError
from assay.analysis.testing import LocalRunContext
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2


def run(tmp_path: Path, jobs: list[job_pb2.Job], params: cpb.ConsolidateParams | None = None) -> cpb.ConsolidateResult:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    ctx = LocalRunContext(job_id="c", tenant_id="t", work_dir=work, dependencies=jobs,
                          params=job_pb2.JobParams(consolidate=params or cpb.ConsolidateParams()))
    result = ANALYZER.run(ctx).consolidate
    assert {a.name for a in ctx.artifacts} == {"consolidated.json", "consolidated.xlsx"}
    return result


def line(statement: cpb.ConsolidatedStatement, label: str) -> cpb.ConsolidatedLine:
    return next(item for item in statement.lines if item.label == label)


def by_year(statement: cpb.ConsolidatedStatement, item: cpb.ConsolidatedLine) -> dict[int, Decimal]:
    return {statement.periods[v.period_index].fiscal_year: Decimal(v.value) for v in item.values}


def income(result: cpb.ConsolidateResult) -> cpb.ConsolidatedStatement:
    return next(s for s in result.statements if s.type == fs.STATEMENT_TYPE_INCOME)


def test_three_10ks_become_five_years_oldest_first_with_the_newest_labels(tmp_path: Path) -> None:
    result = run(tmp_path, cx.three_filings())
    assert [s.job_id for s in result.sources] == ["j2021", "j2022", "j2023"]  # oldest filing first
    statement = income(result)
    assert [p.fiscal_year for p in statement.periods] == [2019, 2020, 2021, 2022, 2023]
    sales = line(statement, "Total net sales")  # "Net sales" in the older filings
    assert sales.match == cpb.LINE_MATCH_LABEL
    assert by_year(statement, sales) == {2019: Decimal("100000000"), 2020: Decimal("110000000"),
                                         2021: Decimal("121000000"), 2022: Decimal("133100000"),
                                         2023: Decimal("146410000")}
    assert [(c.absolute, c.percent) for c in sales.changes] == [
        ("10000000", "0.1"), ("11000000", "0.1"), ("12100000", "0.1"), ("13310000", "0.1")]
    assert sales.cagr == "0.1" and sales.trend == cpb.TREND_UP
    oldest = next(v for v in sales.values if statement.periods[v.period_index].fiscal_year == 2019)
    assert (result.sources[oldest.source_index].job_id, oldest.label, oldest.page) == ("j2021", "Net sales", 40)
    eps = line(statement, "Diluted earnings per share")
    assert eps.per_share and by_year(statement, eps)[2023] == Decimal("1.70")
    assert [line.label for line in statement.lines][:3] == ["Total net sales", "Cost of sales", "Gross margin"]


def test_a_restated_figure_uses_the_later_filing_and_reports_both(tmp_path: Path) -> None:
    result = run(tmp_path, cx.three_filings())
    statement = income(result)
    research = line(statement, "Research & development costs")  # 2021's figure agrees in both filings
    assert research.match == cpb.LINE_MATCH_VALUES
    value_2022 = next(v for v in research.values if statement.periods[v.period_index].fiscal_year == 2022)
    assert (value_2022.value, value_2022.restated) == ("23000000", True)
    assert result.sources[value_2022.source_index].job_id == "j2023"
    restated = [i for i in result.issues if i.kind == cpb.CONSOLIDATION_ISSUE_KIND_RESTATED]
    assert {(i.label, i.period) for i in restated} == {
        ("Research & development costs", "Year 2022"), ("Total operating expenses", "Year 2022"),
        ("Net income", "Year 2022")}
    research_issue = next(i for i in restated if i.label == "Research & development costs")
    assert list(research_issue.values) == ["23000000", "22000000"]
    assert [result.sources[i].job_id for i in research_issue.source_indexes] == ["j2023", "j2022"]
    assert "later filing" in research_issue.detail
    assert result.restated_values == 3


def test_differently_worded_lines_match_and_lines_of_one_filing_are_kept_and_reported(tmp_path: Path) -> None:
    result = run(tmp_path, cx.three_filings())
    statement = income(result)
    selling = line(statement, "Selling, general & administrative expenses")
    assert selling.match == cpb.LINE_MATCH_LABEL  # "&" is "and"; a trailing "expenses" is dropped
    assert sorted(by_year(statement, selling)) == [2019, 2020, 2021, 2022, 2023]
    other = line(statement, "Other income")  # only the 2021 filing has it: kept, after the line it followed
    labels = [item.label for item in statement.lines]
    assert labels.index("Other income") == labels.index("Total operating expenses") + 1
    assert sorted(by_year(statement, other)) == [2019, 2020, 2021]
    unmatched = {i.label for i in result.issues if i.kind == cpb.CONSOLIDATION_ISSUE_KIND_UNMATCHED}
    assert unmatched == {"Other income", "Restructuring charges"}
    assert result.unmatched_lines == 2


def test_lines_whose_figures_agree_match_even_when_their_labels_differ(tmp_path: Path) -> None:
    old = cx.statement(cx.INCOME, [2022, 2021], [("Revenue", 0, False, ["500", "450"]),
                                                  ("Net income", 0, True, ["50", "45"])])
    new = cx.statement(cx.INCOME, [2023, 2022], [("Net revenues", 0, False, ["550", "500"]),
                                                  ("Net income", 0, True, ["55", "50"])])
    statement = income(run(tmp_path, [cx.job("old", old), cx.job("new", new)]))
    assert [item.label for item in statement.lines] == ["Net revenues", "Net income"]
    assert statement.lines[0].match == cpb.LINE_MATCH_VALUES


def test_differently_worded_labels_without_a_shared_period_match_by_similarity(tmp_path: Path) -> None:
    old = cx.statement(cx.INCOME, [2021, 2020], [("Research and development", 0, False, ["20", "18"])])
    new = cx.statement(cx.INCOME, [2023, 2022], [("Research & development costs", 0, False, ["25", "23"])])
    statement = income(run(tmp_path, [cx.job("old", old), cx.job("new", new)]))
    assert len(statement.lines) == 1
    assert statement.lines[0].match == cpb.LINE_MATCH_FUZZY and 88 <= statement.lines[0].match_score < 100
    strict = income(run(tmp_path, [cx.job("old", old), cx.job("new", new)], cpb.ConsolidateParams(match_threshold=95)))
    assert [item.label for item in strict.lines] == ["Research and development", "Research & development costs"]


def test_filings_in_thousands_and_in_millions_are_the_same_figures(tmp_path: Path) -> None:
    old = cx.statement(cx.INCOME, [2022, 2021], [("Net sales", 0, True, ["133,100", "121,000"])], scale=1000)
    new = cx.statement(cx.INCOME, [2023, 2022], [("Net sales", 0, True, ["146.4", "133.1"])])
    result = run(tmp_path, [cx.job("old", old), cx.job("new", new)])
    statement = income(result)
    assert statement.unit_scale == 1_000_000
    assert by_year(statement, statement.lines[0]) == {2021: Decimal("121000000"), 2022: Decimal("133100000"),
                                                      2023: Decimal("146400000")}
    assert result.restated_values == 0


def test_quarters_and_years_are_separate_columns_never_compared(tmp_path: Path) -> None:
    annual = cx.statement(cx.INCOME, [2023, 2022], [("Net sales", 0, True, ["400", "360"])])
    quarters = cx.statement(cx.INCOME, [2024, 2023], [("Net sales", 0, True, ["110", "100"])], duration=3,
                            month_end="03-31")
    statement = income(run(tmp_path, [cx.job("k", annual), cx.job("q", quarters)]))
    assert [(p.duration_months, p.end_date) for p in statement.periods] == [
        (3, "2023-03-31"), (3, "2024-03-31"), (12, "2022-12-31"), (12, "2023-12-31")]
    pairs = {(statement.periods[c.from_period].duration_months, statement.periods[c.to_period].duration_months)
             for c in statement.lines[0].changes}
    assert pairs == {(3, 3), (12, 12)}
    assert statement.lines[0].cagr == "0.111111"  # annual only: 360 -> 400 over one year


def test_the_consolidated_subtotals_are_checked(tmp_path: Path) -> None:
    statement = income(run(tmp_path, cx.three_filings()))
    ours = [c.check for c in statement.checks if c.source_index == -1]
    assert ours and all(c.passed for c in ours)
    assert {c.source_index for c in statement.checks} == {-1, 0, 1, 2}


def test_different_companies_are_refused_unless_allowed(tmp_path: Path) -> None:
    jobs = cx.three_filings()
    jobs[0].result.financial_statements.entity = "Other Holdings plc"
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, jobs)
    assert refused.value.code == "ENTITIES_DIFFER" and "Other Holdings plc" in str(refused.value)
    result = run(tmp_path, jobs, cpb.ConsolidateParams(allow_mixed_entities=True))
    assert [i.kind for i in result.issues if i.kind == cpb.CONSOLIDATION_ISSUE_KIND_MIXED] == [
        cpb.CONSOLIDATION_ISSUE_KIND_MIXED]


def test_the_same_company_spelled_differently_is_one_entity(tmp_path: Path) -> None:
    jobs = cx.three_filings()
    jobs[0].result.financial_statements.entity = "EXAMPLE CORPORATION"
    assert run(tmp_path, jobs).entity == "EXAMPLE CORPORATION"


def test_different_currencies_are_refused_unless_allowed(tmp_path: Path) -> None:
    jobs = cx.three_filings()
    for statement in jobs[1].result.financial_statements.statements:
        statement.currency = "EUR"
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, jobs)
    assert refused.value.code == "CURRENCIES_DIFFER" and "EUR" in str(refused.value)
    result = run(tmp_path, jobs, cpb.ConsolidateParams(allow_mixed_currencies=True))
    assert result.currency == "" and any(i.kind == cpb.CONSOLIDATION_ISSUE_KIND_MIXED for i in result.issues)


def test_no_dependency_or_one_that_is_not_financial_statements_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, [])
    assert refused.value.code == "INPUT_MISSING"
    other = job_pb2.Job(id="s", analyzer="sentiment", result=job_pb2.JobResult(sentiment={}))
    with pytest.raises(AnalysisInputError) as refused:
        run(tmp_path, [*cx.three_filings(), other])
    assert refused.value.code == "DEPENDENCY_NOT_FINANCIAL_STATEMENTS" and "inputs.jobs[3]" in str(refused.value)


def test_a_statement_type_missing_from_a_filing_is_reported(tmp_path: Path) -> None:
    jobs = cx.three_filings()
    del jobs[2].result.financial_statements.statements[1]  # the 2021 filing without its balance sheet
    result = run(tmp_path, jobs)
    missing = [i for i in result.issues if i.kind == cpb.CONSOLIDATION_ISSUE_KIND_MISSING_TYPE]
    assert [(i.statement_type, list(i.source_indexes)) for i in missing] == [(fs.STATEMENT_TYPE_BALANCE_SHEET, [0])]


def test_undated_columns_and_a_repeated_period_stay_separate_columns(tmp_path: Path) -> None:
    dated = cx.statement(cx.BALANCE, [2023, 2022], [("Cash", 0, False, ["10", "9"])])
    undated = cx.statement(cx.BALANCE, [2023, 2022], [("Cash", 0, False, ["11", "10"])])
    for period in undated.periods:
        period.end_date, period.fiscal_year, period.header = "", 0, ""
    repeated = cx.statement(cx.BALANCE, [2021, 2021], [("Cash", 0, False, ["8", "7"])])
    result = run(tmp_path, [cx.job("a", dated), cx.job("b", undated), cx.job("c", repeated)])
    (statement,) = result.statements
    assert len(statement.periods) == 6  # 2022, 2023; two undated; 2021 twice (a misread header)
    assert sorted(v.value for v in statement.lines[0].values) == sorted(
        ["10000000", "9000000", "11000000", "10000000", "8000000", "7000000"])
    assert result.restated_values == 0


def test_a_label_printed_twice_matches_its_own_occurrence_by_position(tmp_path: Path) -> None:
    lines: list[cx.Line] = [*((f"Asset {n}", 0, False, [str(n), str(n)]) for n in range(1, 9)),
                            ("Current liabilities:", 0, False, []), ("Accrued insurance", 1, False, ["5", "4"]),
                            ("Accounts payable", 1, False, ["3", "3"]), ("Deferred taxes", 0, False, ["2", "2"]),
                            ("Accrued insurance", 0, False, ["9", "8"])]
    old = cx.statement(cx.BALANCE, [2021, 2020], lines)
    new = cx.statement(cx.BALANCE, [2023, 2022], [*lines[:11], ("Land", 0, False, ["1", "1"]), *lines[11:]])
    (statement,) = run(tmp_path, [cx.job("old", old), cx.job("new", new)]).statements
    accrued = [by_year(statement, line) for line in statement.lines if line.label == "Accrued insurance"]
    assert [sorted(figures.values()) for figures in accrued] == [
        [Decimal(4_000_000), Decimal(4_000_000), Decimal(5_000_000), Decimal(5_000_000)],
        [Decimal(8_000_000), Decimal(8_000_000), Decimal(9_000_000), Decimal(9_000_000)]]


def test_labels_naming_different_years_never_match_and_year_is_period(tmp_path: Path) -> None:
    old = cx.statement(cx.CHANGES, [2021], [("Balance as of October 1, 2020", 0, False, ["10"]),
                                              ("Cash at end of the year", 0, True, ["7"])])
    new = cx.statement(cx.CHANGES, [2023], [("Balance as of October 1, 2022", 0, False, ["12"]),
                                              ("Cash at end of period", 0, True, ["9"])])
    (statement,) = run(tmp_path, [cx.job("old", old), cx.job("new", new)]).statements
    assert [(line.label, line.match) for line in statement.lines] == [
        ("Balance as of October 1, 2020", cpb.LINE_MATCH_SINGLE_SOURCE),
        ("Balance as of October 1, 2022", cpb.LINE_MATCH_SINGLE_SOURCE),
        ("Cash at end of period", cpb.LINE_MATCH_LABEL)]


def test_a_filing_with_the_parent_company_s_own_statement_too_consolidates_the_group_s(tmp_path: Path) -> None:
    group = cx.statement(cx.INCOME, [2023, 2022], [("Net sales", 0, True, ["146.4", "133.1"])])
    group.scope = "consolidated"
    parent = cx.statement(cx.INCOME, [2023, 2022], [
        ("Net sales", 0, True, ["12.0", "11.0"]), ("Dividends from subsidiaries", 0, False, ["3.0", "2.0"]),
        ("Administrative expenses", 0, False, ["1.0", "1.0"])])  # more lines than the group's, as parents' often have
    parent.scope = "parent"
    statement = income(run(tmp_path, [cx.job("k", parent, group)]))
    assert by_year(statement, line(statement, "Net sales")) == {2022: Decimal("133100000"),
                                                                2023: Decimal("146400000")}
