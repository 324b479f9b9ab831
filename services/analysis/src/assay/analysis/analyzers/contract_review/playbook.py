"""Playbooks: the requirements a contract is checked against, loaded from data files.

Each ``playbooks/*.yaml`` file is one playbook: ``id``, ``version``, ``title``,
``jurisdiction``, ``contract_types``, optional ``context`` patterns, optional ``binds:
processor`` (evidence must bind the processor: :mod:`.obligation`), ``requirements``,
``risks`` and ``background`` (wordings that meet no requirement). A requirement says what
must be present (``description``), how to recognise it (``recognise.patterns`` —
case-insensitive regular expressions — and ``recognise.examples`` — sentences used as
semantic anchors), ``operative`` patterns naming the obligation's operative concept (on the
requirement, or on one recogniser; a sentence must match every one to be evidence, and one
that negates the concept contradicts the requirement), optional ``elements`` that must all be present
(``elements_together: true`` when they form one description that is found in one place;
``not_about`` on a recogniser: wordings that make a sentence about something else;
``controller_right: true`` on a recogniser whose content is a right of the controller, so that
the controller's permissions count for it; ``prohibition: true`` on a requirement that forbids an
act — its ``operative`` patterns name the act, and a sentence permitting it contradicts the
requirement instead of a sentence negating it), optional
``weak_if`` patterns for qualifying wording, an optional ``duty`` (the requirement's core duty,
the act and its object; with the playbook's ``other_duties``, :mod:`.duty`), its ``severity`` when missing, the
``legal_reference`` and a ``recommendation``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

from assay.analysis.analyzers.contract_review.duty import Duty
from assay.analysis.plugin import AnalysisInputError

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "critical")
CONTRACT_TYPES = ("vendor_dpa", "msa", "privacy_policy")
JURISDICTIONS = ("EU", "UK", "US_CA", "US_CO")
RISK_KINDS = ("pattern", "notice_deadline")
PLAYBOOK_PACKAGE = "assay.analysis.analyzers.contract_review"
PLAYBOOK_DIR = "playbooks"


class PlaybookError(ValueError):
    """A playbook file is malformed (a bug in the shipped data, not the user's input)."""


@dataclass(frozen=True)
class Recogniser:
    """How to recognise one thing: regular expressions and example wordings."""

    id: str
    description: str
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    operative: tuple[re.Pattern[str], ...] = ()
    """The obligation's operative concept (``delet|return|destroy`` and ``data|copies``): a
    sentence must match every pattern to be evidence; one that negates it contradicts."""
    not_about: tuple[re.Pattern[str], ...] = ()
    """Wordings that make a sentence about something else (an inspection *by the supervisory
    authority* is no audit by the controller): never evidence for this recogniser, while still
    claiming the sentence from other requirements."""
    controller_right: bool = False
    """The requirement's content is (also) a right of the controller ("The Customer may audit",
    "may object to a new sub-processor"): the controller's permissions are evidence for it. For
    every other recogniser of processor terms they only name the topic ("Customers can delete
    the data themselves" binds no processor to delete)."""
    prohibition: bool = False
    """The requirement forbids the act its ``operative`` patterns name ("shall not sell personal
    information"): negating is how it is met, and a sentence permitting the act ("may sell")
    contradicts it (:func:`.negation.permission`)."""
    restricts: tuple[re.Pattern[str], ...] = ()
    """Acts the obligation only allows under conditions (a transfer to a third country only with
    safeguards): a plain ban on them ("shall not transfer the data") is stricter than the
    obligation, not its negation."""

    @property
    def anchors(self) -> tuple[str, ...]:
        """Texts the semantic matcher compares sentences with."""
        return (self.description, *self.examples)


@dataclass(frozen=True)
class Requirement:
    """One thing the contract must contain."""

    id: str
    title: str
    legal_reference: str
    description: str
    severity: Severity
    recommendation: str
    primary: Recogniser | None
    """Recognises the requirement as a whole; when absent, the elements alone decide."""
    elements: tuple[Recogniser, ...]
    """Parts that must all be present for the requirement to be fully met."""
    weak_if: tuple[re.Pattern[str], ...]
    """Qualifying wording that makes a matching clause weak, e.g. ``where practicable``."""
    elements_together: bool = False
    """The elements form one description (the processing details): without a primary, the
    requirement is addressed only where several of them are found in one section."""
    duty: tuple[re.Pattern[str], ...] = ()
    """The requirement's core duty, the act and its object (``notif`` ... ``breach``): a sentence
    whose main clause carries another requirement's duty and not this one is no evidence for it
    (:mod:`.duty`)."""
    duty_in_condition: tuple[re.Pattern[str], ...] = ()
    """The duty may be named in the condition that triggers it (an instruction that infringes the law, a
    breach, a transfer), so it is read over the whole sentence (1.19.0) when its main clause states one of
    these acts (``duty_in_condition``: giving notice, putting safeguards in place; 1.25.0)."""

    @property
    def core_duty(self) -> Duty | None:
        """The requirement's core duty, when it names one."""
        return Duty(self.id, self.duty, self.duty_in_condition) if self.duty else None


@dataclass(frozen=True)
class RiskRule:
    """A risky term to flag where it appears."""

    id: str
    kind: Literal["pattern", "notice_deadline"]
    title: str
    severity: Severity
    legal_reference: str
    recommendation: str
    patterns: tuple[re.Pattern[str], ...]
    """``pattern``: a sentence matching any is flagged; ``notice_deadline``: where to look."""
    unless_in_clause: tuple[re.Pattern[str], ...]
    unless_in_document: tuple[re.Pattern[str], ...]
    max_hours: float = 0.0
    """``notice_deadline``: a notice period longer than this is flagged."""


@dataclass(frozen=True)
class Playbook:
    """A versioned set of requirements and risk rules for one jurisdiction."""

    id: str
    version: str
    title: str
    jurisdiction: str
    contract_types: tuple[str, ...]
    default: bool
    context: tuple[re.Pattern[str], ...]
    """Evidence must come from a clause (or section) that matches one of these, if any."""
    requirements: tuple[Requirement, ...]
    risks: tuple[RiskRule, ...]
    background: tuple[str, ...] = ()
    """Wordings of clauses that meet no requirement (governing law, general compliance with
    law...): a sentence more like these than like a requirement is not semantic evidence."""
    binds_processor: bool = False
    """Requirements are processor obligations: a cross-reference, a permission of the processor
    or a duty of the controller is never evidence (:mod:`.obligation`)."""
    other_duties: tuple[Duty, ...] = ()
    """Duties that are no requirement's (payment, keeping records): a sentence stating only one
    of them is no evidence for a requirement whose duty it does not carry."""

    @property
    def duties(self) -> tuple[Duty, ...]:
        """Every requirement's core duty, then the other duties."""
        own = tuple(duty for r in self.requirements if (duty := r.core_duty) is not None)
        return own + self.other_duties


def _compile(patterns: Any, where: str) -> tuple[re.Pattern[str], ...]:
    if patterns is None:
        return ()
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise PlaybookError(f"{where}: patterns must be a list of strings")
    try:
        return tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    except re.error as exc:
        raise PlaybookError(f"{where}: bad pattern: {exc}") from exc


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PlaybookError(f"{where}: '{key}' must be a non-empty string")
    return " ".join(value.split())


def _strings(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlaybookError(f"{where}: '{key}' must be a list of strings")
    return tuple(" ".join(v.split()) for v in value)


def _severity(data: Mapping[str, Any], where: str) -> Severity:
    value = data.get("severity")
    for severity in SEVERITIES:
        if value == severity:
            return severity
    raise PlaybookError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")


def _recogniser(
    rid: str,
    description: str,
    data: Mapping[str, Any],
    where: str,
    operative: tuple[re.Pattern[str], ...] = (),
    prohibition: bool = False,
) -> Recogniser:
    patterns = _compile(data.get("patterns"), where)
    examples = _strings(data, "examples", where)
    if not patterns and not examples:
        raise PlaybookError(f"{where}: needs patterns or examples")
    own = _compile(data.get("operative"), f"{where} operative")
    return Recogniser(
        id=rid,
        description=description,
        patterns=patterns,
        examples=examples,
        operative=own or operative,
        not_about=_compile(data.get("not_about"), f"{where} not_about"),
        controller_right=bool(data.get("controller_right", False)),
        prohibition=prohibition,
        restricts=_compile(data.get("restricts"), f"{where} restricts"),
    )


def _requirement(data: Any, where: str) -> Requirement:
    if not isinstance(data, dict):
        raise PlaybookError(f"{where}: a requirement must be a mapping")
    rid = _text(data, "id", where)
    where = f"{where} {rid}"
    description = _text(data, "description", where)
    operative = _compile(data.get("operative"), f"{where} operative")
    prohibition = data.get("prohibition", False)
    if not isinstance(prohibition, bool):
        raise PlaybookError(f"{where}: prohibition must be true or false")
    if prohibition and not operative:
        raise PlaybookError(f"{where}: a prohibition needs operative patterns naming the forbidden act")
    primary = None
    if data.get("recognise") is not None:
        primary = _recogniser(rid, description, data["recognise"], f"{where} recognise", operative, prohibition)
    elements: list[Recogniser] = []
    for raw in data.get("elements") or []:
        if not isinstance(raw, dict):
            raise PlaybookError(f"{where}: an element must be a mapping")
        eid = _text(raw, "id", where)
        elements.append(
            _recogniser(eid, _text(raw, "description", f"{where}.{eid}"), raw, f"{where}.{eid}", operative, prohibition)
        )
    if primary is None and not elements:
        raise PlaybookError(f"{where}: needs 'recognise' or 'elements'")
    if len({e.id for e in elements}) != len(elements):
        raise PlaybookError(f"{where}: element ids must be unique")
    together = data.get("elements_together", False)
    if not isinstance(together, bool):
        raise PlaybookError(f"{where}: elements_together must be true or false")
    return Requirement(
        id=rid,
        title=_text(data, "title", where),
        legal_reference=_text(data, "legal_reference", where),
        description=description,
        severity=_severity(data, where),
        recommendation=_text(data, "recommendation", where),
        primary=primary,
        elements=tuple(elements),
        weak_if=_compile(data.get("weak_if"), where),
        elements_together=together,
        duty=_compile(data.get("duty"), f"{where} duty"),
        duty_in_condition=_compile(data.get("duty_in_condition"), f"{where} duty_in_condition"),
    )


def _risk(data: Any, where: str) -> RiskRule:
    if not isinstance(data, dict):
        raise PlaybookError(f"{where}: a risk must be a mapping")
    rid = _text(data, "id", where)
    where = f"{where} {rid}"
    kind = data.get("kind", "pattern")
    if kind not in RISK_KINDS:
        raise PlaybookError(f"{where}: kind must be one of {', '.join(RISK_KINDS)}")
    patterns = _compile(data.get("patterns"), where)
    if not patterns:
        raise PlaybookError(f"{where}: needs patterns")
    max_hours = float(data.get("max_hours", 0) or 0)
    if kind == "notice_deadline" and max_hours <= 0:
        raise PlaybookError(f"{where}: a notice_deadline risk needs max_hours")
    return RiskRule(
        id=rid,
        kind="notice_deadline" if kind == "notice_deadline" else "pattern",
        title=_text(data, "title", where),
        severity=_severity(data, where),
        legal_reference=_text(data, "legal_reference", where),
        recommendation=_text(data, "recommendation", where),
        patterns=patterns,
        unless_in_clause=_compile(data.get("unless_in_clause"), where),
        unless_in_document=_compile(data.get("unless_in_document"), where),
        max_hours=max_hours,
    )


def parse_playbook(data: Any, source: str = "playbook") -> Playbook:
    """Validate one playbook's parsed YAML/JSON."""
    if not isinstance(data, dict):
        raise PlaybookError(f"{source}: a playbook must be a mapping")
    pid = _text(data, "id", source)
    where = f"{source} ({pid})"
    version = data.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise PlaybookError(f"{where}: 'version' is required")
    jurisdiction = _text(data, "jurisdiction", where)
    if jurisdiction not in JURISDICTIONS:
        raise PlaybookError(f"{where}: jurisdiction must be one of {', '.join(JURISDICTIONS)}")
    types = _strings(data, "contract_types", where)
    if not types or any(t not in CONTRACT_TYPES for t in types):
        raise PlaybookError(f"{where}: contract_types must be from {', '.join(CONTRACT_TYPES)}")
    requirements = tuple(_requirement(r, where) for r in data.get("requirements") or [])
    if not requirements:
        raise PlaybookError(f"{where}: needs at least one requirement")
    if len({r.id for r in requirements}) != len(requirements):
        raise PlaybookError(f"{where}: requirement ids must be unique")
    risks = tuple(_risk(r, where) for r in data.get("risks") or [])
    if len({r.id for r in risks}) != len(risks):
        raise PlaybookError(f"{where}: risk ids must be unique")
    return Playbook(
        id=pid,
        version=str(version),
        title=_text(data, "title", where),
        jurisdiction=jurisdiction,
        contract_types=types,
        default=bool(data.get("default", False)),
        context=_compile(data.get("context"), where),
        requirements=requirements,
        risks=risks,
        background=_strings(data, "background", where),
        binds_processor=_binds_processor(data, where),
        other_duties=_other_duties(data, where),
    )


def _other_duties(data: Mapping[str, Any], where: str) -> tuple[Duty, ...]:
    raw = data.get("other_duties") or {}
    if not isinstance(raw, dict):
        raise PlaybookError(f"{where}: other_duties must map a name to patterns")
    return tuple(Duty(str(name), _compile(patterns, f"{where} other_duties.{name}")) for name, patterns in raw.items())


def _binds_processor(data: Mapping[str, Any], where: str) -> bool:
    binds = data.get("binds")
    if binds not in (None, "processor"):
        raise PlaybookError(f"{where}: binds must be 'processor' or absent")
    return binds == "processor"


@functools.cache
def builtin_playbooks() -> Mapping[str, Playbook]:
    """Every shipped playbook by id, parsed once per process."""
    folder = resources.files(PLAYBOOK_PACKAGE) / PLAYBOOK_DIR
    out: dict[str, Playbook] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith((".yaml", ".yml")):
            continue
        playbook = parse_playbook(yaml.safe_load(entry.read_text(encoding="utf-8")), entry.name)
        if playbook.id in out:
            raise PlaybookError(f"{entry.name}: duplicate playbook id {playbook.id}")
        out[playbook.id] = playbook
    return out


def select_playbook(
    contract_type: str,
    jurisdiction: str,
    name: str = "",
    playbooks: Mapping[str, Playbook] | None = None,
) -> Playbook:
    """The playbook named ``name``, else the default for the contract type and jurisdiction."""
    available = builtin_playbooks() if playbooks is None else playbooks
    known = ", ".join(sorted(available))
    if name:
        wanted = name.strip()
        version = ""
        if "@" in wanted:
            wanted, version = wanted.split("@", 1)
        found = available.get(wanted)
        if found is None or (version and version != found.version):
            raise AnalysisInputError("PLAYBOOK_UNKNOWN", f"no playbook named '{name}'; available: {known}")
        return found
    candidates = [p for p in available.values() if p.jurisdiction == jurisdiction and contract_type in p.contract_types]
    candidates.sort(key=lambda p: (not p.default, p.id))
    if not candidates:
        raise AnalysisInputError(
            "PLAYBOOK_UNKNOWN",
            f"no playbook covers a {contract_type} in {jurisdiction}; available: {known}",
        )
    return candidates[0]


def all_recognisers(requirement: Requirement) -> Sequence[Recogniser]:
    """The primary recogniser (if any) followed by the elements."""
    return ((requirement.primary,) if requirement.primary else ()) + requirement.elements
