"""Categorisation by rules as data: the built-in ``rules.yaml`` plus a job's own rules first.

A rule is a category, a case-insensitive regular expression searched in the description, and an
optional direction (``in``: money in only, ``out``: money out only). The first rule that matches
wins; no match is ``other``. A job's ``category_rules`` ("category=regex") come before the built-in
ones, so a tenant can add or override categories without a release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from assay.analysis.analyzers.bank_statement.model import Transaction
from assay.analysis.plugin import AnalysisInputError

OTHER = "other"
MAX_RULE_CHARS = 500
_CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Rule:
    category: str
    pattern: re.Pattern[str]
    direction: str = ""

    def matches(self, transaction: Transaction) -> bool:
        if (self.direction == "in" and transaction.amount < 0) or (self.direction == "out" and transaction.amount >= 0):
            return False
        return self.pattern.search(transaction.description) is not None


@cache
def builtin_rules() -> tuple[Rule, ...]:
    """The rules shipped in ``rules.yaml``."""
    data = yaml.safe_load(files(__package__).joinpath("rules.yaml").read_text(encoding="utf-8"))
    return tuple(Rule(item["category"], re.compile(item["pattern"], re.I), item.get("direction", ""))
                 for item in data)


def parse_rules(specs: list[str]) -> tuple[Rule, ...]:
    """A job's ``category=regex`` rules; a malformed one is ``PARAMS_INVALID`` naming it."""
    rules = []
    for index, spec in enumerate(specs):
        category, sep, pattern = spec.partition("=")
        category = category.strip().lower()
        if not sep or not _CATEGORY.fullmatch(category) or not pattern or len(pattern) > MAX_RULE_CHARS:
            raise AnalysisInputError("PARAMS_INVALID",
                                     f"category_rules[{index}] must be 'category=regex' with a category of "
                                     f"a-z, 0-9 and _ and a pattern of 1-{MAX_RULE_CHARS} characters")
        try:
            rules.append(Rule(category, re.compile(pattern, re.I)))
        except re.error as exc:
            raise AnalysisInputError("PARAMS_INVALID", f"category_rules[{index}] is no regular expression: {exc}") \
                from None
    return tuple(rules)


def categorise(transactions: list[Transaction], rules: tuple[Rule, ...]) -> None:
    """Set every transaction's category: the first matching rule's, else ``other``."""
    for transaction in transactions:
        transaction.category = next((r.category for r in rules if r.matches(transaction)), OTHER)
