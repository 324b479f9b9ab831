"""Risky terms: wording to flag wherever it appears, as the playbook's risk rules describe.

``pattern`` rules flag a sentence matching any pattern, unless its clause matches
``unless_in_clause`` or a clause of the document matches ``unless_in_document`` without negating
it ("may object" exempts, "waives its right to object" does not). ``notice_deadline`` rules
read notice periods (``within five (5) business days``, ``no later than 72 hours``) in sentences
matching the rule's patterns and flag those longer than ``max_hours``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assay.analysis.analyzers.contract_review.matching import Unit
from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.playbook import Playbook, RiskRule

_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "sixty": 60, "ninety": 90,
    "twenty-four": 24, "twenty four": 24, "thirty-six": 36, "thirty six": 36,
    "forty-eight": 48, "forty eight": 48, "seventy-two": 72, "seventy two": 72,
    "ninety-six": 96, "ninety six": 96, "a": 1, "an": 1,
}  # fmt: skip
_UNIT_HOURS = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 720.0}
_PERIOD = re.compile(
    r"\b(?:within|no\s+later\s+than|not\s+later\s+than|no\s+more\s+than|not\s+more\s+than|"
    r"up\s+to|not\s+exceeding|in\s+no\s+event\s+later\s+than|after)\s+"
    r"(?:a\s+period\s+of\s+)?(?P<num>\d{1,4}|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|[a-z]+)\s*(?:\((?P<digits>\d{1,4})\)\s*)?"
    r"(?P<kind>business\s+|working\s+|calendar\s+)?(?P<unit>hour|day|week|month)s?\b",
    re.IGNORECASE,
)
_NOTIFY = re.compile(r"\b(notif|inform|notice|report|alert|tell)", re.IGNORECASE)


@dataclass(frozen=True)
class RiskMatch:
    """One risky term found in one clause."""

    rule: RiskRule
    unit: Unit
    excerpt: str
    explanation: str


@dataclass(frozen=True)
class NoticePeriod:
    """A notice period read from text."""

    text: str
    hours: float
    business: bool


def notice_periods(text: str) -> list[NoticePeriod]:
    """Every notice period in the text, in hours (a business day counts as 24 hours)."""
    out: list[NoticePeriod] = []
    for match in _PERIOD.finditer(text):
        raw = match.group("digits") or match.group("num")
        value: int | None
        if raw.isdigit():
            value = int(raw)
        else:
            value = _NUMBERS.get(raw.lower().replace("  ", " "))
            if value is None:
                value = _NUMBERS.get(raw.lower().split("-")[-1].split(" ")[-1])
                if value is None:
                    continue
        unit = match.group("unit").lower()
        business = bool(match.group("kind")) and match.group("kind").strip().lower() in {
            "business",
            "working",
        }
        out.append(NoticePeriod(match.group(0), value * _UNIT_HOURS[unit], business))
    return out


def _deadline_risk(rule: RiskRule, unit: Unit) -> RiskMatch | None:
    if not any(p.search(unit.match_text) for p in rule.patterns) or not _NOTIFY.search(unit.match_text):
        return None
    periods = [p for p in notice_periods(unit.text) if p.hours > rule.max_hours]
    if not periods:
        return None
    longest = max(periods, key=lambda p: p.hours)
    hours = f"{longest.hours:g} hours" + (" or more" if longest.business else "")
    return RiskMatch(
        rule=rule,
        unit=unit,
        excerpt=unit.text,
        explanation=(
            f"Notice '{longest.text}' allows {hours}, more than the {rule.max_hours:g} hours that "
            "leave the controller time to meet its own 72-hour deadline."
        ),
    )


def exempted(rule: RiskRule, clauses: Sequence[str]) -> bool:
    """Whether a clause of the document meets the rule's ``unless_in_document`` safeguard and
    keeps it: "the Controller may object to new sub-processors" exempts, "the Controller waives
    its right to object to new sub-processors" or "may not object" does not (the safeguard is
    negated, :mod:`.negation`)."""
    return any(
        pattern.search(clause) is not None and contradiction(clause, (pattern,)) is None
        for pattern in rule.unless_in_document
        for clause in clauses
    )


def _pattern_risk(rule: RiskRule, unit: Unit, exempt: bool) -> RiskMatch | None:
    found = next((m for p in rule.patterns if (m := p.search(unit.match_text)) is not None), None)
    if found is None:
        return None
    if any(p.search(unit.clause.text) for p in rule.unless_in_clause):
        return None
    if exempt:
        return None
    return RiskMatch(
        rule=rule,
        unit=unit,
        excerpt=unit.text,
        explanation=f"Found '{' '.join(found.group(0).split())}'.",
    )


def find_risks(playbook: Playbook, units: Sequence[Unit]) -> list[RiskMatch]:
    """Every risky term of the playbook's rules, at most one per rule and clause."""
    clauses = list(dict.fromkeys(u.clause.text for u in units))
    out: list[RiskMatch] = []
    for rule in playbook.risks:
        seen: set[str] = set()
        exempt = bool(rule.unless_in_document) and exempted(rule, clauses)
        for unit in units:
            if not unit.in_context or unit.clause.clause_id in seen:
                continue
            deadline = rule.kind == "notice_deadline"
            match = _deadline_risk(rule, unit) if deadline else _pattern_risk(rule, unit, exempt)
            if match is not None:
                seen.add(unit.clause.clause_id)
                out.append(match)
    return out
