"""The bank_statement analyzer: a PDF or CSV statement into transactions, reconciled and categorised."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from assay.analysis.analyzers.bank_statement.artifacts import to_proto, write_csv, write_json
from assay.analysis.analyzers.bank_statement.categories import builtin_rules, categorise, parse_rules
from assay.analysis.analyzers.bank_statement.csv_export import read_csv, read_xlsx
from assay.analysis.analyzers.bank_statement.facts import mask_account, mask_name
from assay.analysis.analyzers.bank_statement.fingerprint import assign_fingerprints
from assay.analysis.analyzers.bank_statement.model import Statement
from assay.analysis.analyzers.bank_statement.pdf_statement import read_pdf
from assay.analysis.analyzers.bank_statement.reconcile import reconcile
from assay.analysis.analyzers.bank_statement.signs import infer_signs
from assay.analysis.analyzers.bank_statement.spec import (
    MAX_CATEGORY_RULES,
    RESULT_JSON,
    SPEC,
    TRANSACTIONS_CSV,
    TRANSACTIONS_LISTED,
)
from assay.analysis.ocr import OcrRun
from assay.analysis.plugin import AnalysisInputError, InputDocument, RunContext
from assay.v1 import bank_statement_pb2 as pb
from assay.v1 import job_pb2

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH_FIRST_BANKS = ("chase", "bank of america", "wells fargo", "citi", "capital one", "us bank", "pnc", "td bank")
"""Bank hints whose statements print dates month first when the dates alone do not tell."""


def _params(params: job_pb2.JobParams) -> pb.BankStatementParams:
    which = params.WhichOneof("analyzer_params")
    if which not in (None, "bank_statement"):
        raise AnalysisInputError("PARAMS_INVALID", f"bank_statement takes JobParams.bank_statement, not {which}")
    if len(params.bank_statement.category_rules) > MAX_CATEGORY_RULES:
        raise AnalysisInputError("PARAMS_INVALID", f"category_rules takes at most {MAX_CATEGORY_RULES} rules")
    return params.bank_statement


def _is_pdf(source: InputDocument) -> bool:
    with source.path.open("rb") as head:
        return head.read(1024).lstrip().startswith(b"%PDF-") or source.media_type == "application/pdf"


def _is_xlsx(source: InputDocument) -> bool:
    with source.path.open("rb") as head:
        return head.read(4) == b"PK\x03\x04" or source.media_type == XLSX_MEDIA_TYPE


class BankStatementAnalyzer:
    """Reads a bank statement into its facts and transactions and proves its balances."""

    spec = SPEC

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        if ctx.text or len(ctx.inputs) != 1:
            raise AnalysisInputError("INPUT_MISSING" if not ctx.inputs else "INPUT_AMBIGUOUS",
                                     "bank_statement reads exactly one PDF, CSV or XLSX statement file per job")
        params = _params(ctx.params)
        rules = parse_rules(list(params.category_rules)) + builtin_rules()
        source = ctx.inputs[0]
        hint = params.bank_hint.strip()
        month_first = True if hint.lower().startswith(MONTH_FIRST_BANKS) else None

        def tick(page: int, pages: int) -> None:
            ctx.check_cancelled()
            ctx.report_progress(min(90, page * 90 // max(1, pages)))

        ocr = OcrRun()
        if _is_pdf(source):
            statement = read_pdf(source.path, params.password, source.display_name, month_first, tick, ocr)
        elif _is_xlsx(source):
            statement = read_xlsx(source.path, source.display_name, month_first)
        else:
            statement = read_csv(source.path, source.display_name, month_first)
        del params  # the password goes no further than the PDF reader
        if not statement.transactions:
            if ocr.unread:
                raise ocr.error(statement.pages, f"no transactions were found on the other pages of "
                                                 f"{source.display_name}")
            raise AnalysisInputError("NO_TRANSACTIONS",
                                     f"no transactions were found in {source.display_name} (no row with a readable "
                                     "date and amount)")
        statement.bank = hint
        infer_signs(statement)
        assign_fingerprints(statement)
        categorise(statement.transactions, rules)
        transactions = [to_proto(row, t) for row, t in enumerate(statement.transactions, start=1)]
        result = _result(statement, transactions)
        result.ocr.CopyFrom(ocr.summary())
        write_csv(ctx.artifact_path(TRANSACTIONS_CSV, "text/csv"), transactions)
        write_json(ctx.artifact_path(RESULT_JSON, "application/json"), result, transactions)
        ctx.report_progress(100)
        ctx.logger.info("bank_statement read %d transactions (%s, %d pages) for holder %s, account %s; reconciled: %s",
                        len(transactions), statement.format, statement.pages, mask_name(statement.account_holder),
                        result.account_number_masked, result.reconciliation.reconciled)
        return job_pb2.JobResult(bank_statement=result)


def _result(statement: Statement, transactions: list[pb.BankTransaction]) -> pb.BankStatementResult:
    debits = sum((-t.amount for t in statement.transactions if t.amount < 0), Decimal(0))
    credits = sum((t.amount for t in statement.transactions if t.amount >= 0), Decimal(0))
    result = pb.BankStatementResult(
        format=statement.format, bank=statement.bank, account_holder=statement.account_holder,
        account_number_masked=mask_account(statement.account_number) if statement.account_number else "",
        period_start=statement.period_start.isoformat() if statement.period_start else "",
        period_end=statement.period_end.isoformat() if statement.period_end else "",
        currency=statement.currency,
        opening_balance=str(statement.opening_balance) if statement.opening_balance is not None else "",
        closing_balance=str(statement.closing_balance) if statement.closing_balance is not None else "",
        pages=statement.pages, transactions_total=len(transactions),
        transactions_truncated=len(transactions) > TRANSACTIONS_LISTED,
        reconciliation=reconcile(statement), total_debits=str(debits), total_credits=str(credits),
        transactions_artifact_name=TRANSACTIONS_CSV, json_artifact_name=RESULT_JSON,
        rows_without_amount=statement.rows_without_amount)
    result.transactions.extend(transactions[:TRANSACTIONS_LISTED])
    counts: dict[str, list[Decimal]] = defaultdict(list)
    for t in statement.transactions:
        counts[t.category].append(t.amount)
    result.categories.extend(
        pb.BankCategoryCount(category=name, transactions=len(amounts), total=str(sum(amounts, Decimal(0))))
        for name, amounts in sorted(counts.items()))
    return result
