"""Negations of an obligation in many wordings, for the contract_review evaluation.

:func:`contract_variants.negate_sentence` negates an obligation in a few fixed forms ("shall not be
required to", "does not permit", "may" for a prohibition). An independent evaluation, or a real
gutting draft, says it in other words. :func:`paraphrases` rewrites one sentence's obligation in
each form of ordinary drafting that applies to it:

- the duty taken away, by the wording that states it: "will not", "need not", "shall be under no
  obligation to", "has no obligation to", "is not obliged to" ("is not required to be" for a
  passive duty), "shall be entitled but not obliged to";
- the duty handed to the processor's choice: "may, at its sole discretion, decline to", "reserves
  the right to refuse to";
- the duty gutted by a qualifier: "will use reasonable efforts to ... where commercially
  practicable", "..., but only if the Controller pays the Processor's fees for doing so",
  "..., unless prohibited by law or otherwise inconvenient for the Processor";
- a prohibition lifted: "is free to" ("shall not process other than on instructions" -> "is free
  to process other than on instructions");
- per requirement, the gutting drafts that are specific to it: deletion with retention
  "indefinitely", audits "limited to ... reports" with "no on-site audits", sub-processors
  engaged "without notice to or consent of the Controller", the right to object waived.

:func:`choose` picks forms per sentence by a seeded rule, so a run is reproducible. Nothing here
knows a document.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from contract_variants import (
    _AGREE_NOT,
    _INFINITIVE,
    _MAY_NOT,
    _MODAL,
    _MODAL_BE,
    _MODAL_INSERT,
    _MODAL_NOT,
    _OBLIGED,
    _PLURAL_VERB,
    _UNDERTAKE,
    _UNLESS,
    _VERB,
    _base,
    obligation_at,
)

ACTIVE: dict[str, str] = {
    "will not": "will not ",
    "need not": "need not ",
    "under no obligation": "shall be under no obligation to ",
    "has no obligation": "has no obligation to ",
    "not obliged": "is not obliged to ",
    "entitled but not obliged": "shall be entitled but not obliged to ",
    "sole discretion, decline": "may, at its sole discretion, decline to ",
    "reserves the right to refuse": "reserves the right to refuse to ",
    "reasonable efforts, where practicable": "will use reasonable efforts to ",
}
"""Per form, the wording that replaces a duty's modal before the verb ("shall delete")."""
PASSIVE: dict[str, str] = {
    "will not": "will not be ",
    "need not": "need not be ",
    "not obliged": "is not required to be ",
}
"""Per form, the wording that replaces "shall be" in a passive duty ("shall be deleted")."""
SUFFIX: dict[str, str] = {
    "reasonable efforts, where practicable": " where commercially practicable",
    "only if paid": ", but only if the Controller pays the Processor's fees for doing so",
    "unless inconvenient": ", unless prohibited by law or otherwise inconvenient for the Processor",
}
"""Per form, wording added at the end of the sentence's statement."""
LIFTED = {"free to": "is free to "}
"""Per form, the wording that replaces a prohibition ("shall not process ... other than on
instructions")."""
BY_REQUIREMENT: dict[str, dict[str, str]] = {
    "art28-3g-deletion-return": {
        "retain indefinitely": ", save that the Processor may retain copies of the personal data indefinitely",
    },
    "art28-3h-information-audits": {
        "reports only": "; audits are limited to the Processor's third-party audit reports, and no on-site "
        "audits will be permitted",
    },
    "art28-2-4-subprocessors": {
        "without notice or consent": "; the Processor may engage further sub-processors without notice to or "
        "consent of the Controller",
        "objection waived": "; the Controller waives any right to object to a new sub-processor",
    },
}
"""Per requirement, gutting wording added to a sentence that states it."""
FORMS = (*ACTIVE, *[f for f in SUFFIX if f not in ACTIVE], *LIFTED, *[f for r in BY_REQUIREMENT.values() for f in r])
"""Every form's name, in a fixed order."""

_END = re.compile(r"\s*[.;:!?]?\s*$")
_SENTENCE_END = re.compile(r"\s*[.!?](?=\s+(?-i:[A-Z*_(]))")
"""A full stop another sentence follows ("... Customer Data. Unless you ask otherwise, ..."; not "Art. 28")."""
_GERUND = re.compile(r"\s*(?:\w+ly\s+)?\w+ing\b")
_RIGHT_AFTER = re.compile(r"\s*(?:have|has)\s+the\s+right\b|\s*be\s+(?:entitled|permitted)\b", re.IGNORECASE)
"""A right after the modal ("shall have the right to audit"): only "will not" takes it away."""
_PROHIBITIONS = (_MODAL_NOT, _MAY_NOT, _AGREE_NOT)
_DUTIES = (_MODAL, _OBLIGED, _UNDERTAKE, _MODAL_INSERT, _INFINITIVE, _VERB, _PLURAL_VERB)


def _with_suffix(sentence: str, suffix: str, after: int = 0) -> str:
    """``suffix`` added before the end of the sentence stating the obligation, which starts at
    ``after``: a labelled span may run on into another sentence, which the qualifier would not touch."""
    stop = _SENTENCE_END.search(sentence, after) or _END.search(sentence)
    cut_at = stop.start() if stop is not None else len(sentence)
    return sentence[:cut_at] + suffix + sentence[cut_at:]


def _duty_replacer(m: re.Match[str]) -> Callable[[str], str] | None:
    """How a duty's wording ``m`` is replaced by a form's wording (which ends before the verb);
    None when the form cannot stand there (a gerund after "commits to")."""
    sentence = m.string
    if m.re is _MODAL_INSERT:
        # "shall, at the choice of Customer, delete" -> "need not, at the choice of Customer, delete".
        return lambda wording: f"{wording.rstrip()}, {m.group(2)}, "
    if m.re is _INFINITIVE:
        return lambda wording: f"{m.group(1)}the processor {wording}"
    if m.re is _VERB:
        return lambda wording: f"{wording}{_base(m.group(1))}"
    if m.re is _PLURAL_VERB:
        # "We implement" -> "We will not implement".
        return lambda wording: f"{m.group(1)} {wording}{m.group(2)}"
    if m.re is _MODAL and ":" in m.group(0):
        # An inline list: "will: (a) notify" -> "need not: (a) notify".
        return lambda wording: f"{wording.rstrip()}: "
    if m.re is _UNDERTAKE and (_GERUND.match(sentence, m.end()) or m.group(1).lower().startswith("agree")):
        return None  # "commits to promptly informing", "agrees to Our use of ...": no verb to negate
    # A modal, "is obliged to", "undertakes to": the form's wording replaces it, and its "to".
    return lambda wording: wording


def _duty_forms(sentence: str, m: re.Match[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if m.re is _MODAL_BE:
        for name, wording in PASSIVE.items():
            out[name] = sentence[: m.start()] + wording.rstrip() + sentence[m.end() :]
    else:
        replacer = _duty_replacer(m)
        if replacer is None:
            return out
        rest = sentence[m.end() :].lstrip() if m.re in (_OBLIGED, _UNDERTAKE) else sentence[m.end() :]
        right = m.re is _MODAL and _RIGHT_AFTER.match(sentence, m.end()) is not None
        for name, wording in ACTIVE.items():
            if not right or name == "will not":
                out[name] = sentence[: m.start()] + replacer(wording) + rest
    for name, suffix in SUFFIX.items():
        if name in ACTIVE and name not in out:
            continue  # "where commercially practicable" guts only "reasonable efforts"
        out[name] = _with_suffix(out.get(name, sentence), suffix, m.start())
    return out


def _lifted_forms(sentence: str, m: re.Match[str]) -> dict[str, str]:
    """A prohibition lifted: "shall not process ... unless required" -> "is free to process ...
    whether or not required"."""
    rest = sentence[m.end() :]
    if m.re is _MODAL_NOT:
        rest = m.group(2) + rest
    elif m.re is _AGREE_NOT:
        rest = rest.lstrip()
    clause = re.search(r"[;:.]", rest)
    stop = clause.start() if clause else len(rest)
    rest = _UNLESS.sub("whether or not", rest[:stop], count=1) + rest[stop:]
    return {name: sentence[: m.start()] + wording + rest.lstrip() for name, wording in LIFTED.items()}


def paraphrases(sentence: str, focus: tuple[int, int] | None = None, requirement: str = "") -> dict[str, str]:
    """Every form of :data:`FORMS` that applies to the obligation ``sentence`` states near
    ``focus``, by name: the sentence rewritten."""
    m = obligation_at(sentence, focus)
    out: dict[str, str] = {}
    if m is not None and m.re in _PROHIBITIONS:
        return _lifted_forms(sentence, m)
    if m is not None and (m.re in _DUTIES or m.re is _MODAL_BE):
        out = _duty_forms(sentence, m)
    if m is not None:
        for name, suffix in BY_REQUIREMENT.get(requirement, {}).items():
            out[name] = _with_suffix(sentence, suffix, m.start())
    return out


def choose(forms: dict[str, str], count: int, seed: int, key: str) -> list[str]:
    """``count`` of the applicable ``forms`` (names, in :data:`FORMS` order), picked by a rule
    seeded with ``seed`` and ``key`` (the document and requirement): the same on every run."""
    names = sorted(forms, key=FORMS.index)
    picked = random.Random(f"{seed}|{key}").sample(names, min(count, len(names)))
    return sorted(picked, key=FORMS.index)
