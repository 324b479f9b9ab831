"""Which duty a sentence states: a sentence is evidence only of the requirement whose duty it carries.

A sentence can name a requirement's operative concept and bind the processor, and still state a
*different* duty of Art. 28(3): "The Processor shall ensure that its Sub-processors keep the data
confidential" names sub-processors but binds to confidentiality; "The Processor shall keep
documentation proving ... beyond the end of the contract" names proof but binds to keeping
records; "If the Client exercises its audit rights, the remuneration will be based on ..." names
audits only in its condition. Each requirement of a processor-terms playbook names its **core
duty** (``duty:`` in the playbook: the act and what it is done to, e.g. *notify* + *breach*,
*delete / return* + *data*), and the playbook names a few duties that are no requirement's
(``other_duties:``: payment, keeping records, a party's business secrets).

The duty is read in the sentence's **main clause**: the sentence after a leading condition or
circumstance ("If ...,", "Where ...,", "In the event of ...,", "Upon ...,"), where the duty
stands. A sentence whose main clause carries another duty and not the requirement's is no
evidence for it; one that carries both (or none this reads) is left to the other checks.

Two phrases of a main clause name a duty without stating it (1.8.0), and are read as what they
are:

- **what information is about**: "The Contractor will provide regular proof of ... the full
  implementation of the agreed technical and organisational measures", "We shall provide you with
  sufficient information to enable you to ensure that the security measures are implemented"
  bind to providing proof of compliance (Art. 28(3)(h)), not to implementing security;
- **a point in time**: "Processing ... shall continue ... until termination of this contract and
  the subsequent final deletion of any personal data" says how long processing lasts, not that the
  data must be deleted;
- **sub-processors as co-agents**: "shall not transfer or allow its sub-processors to transfer
  personal data to a third country" binds to the transfer terms, extended to the sub-processors,
  not to the terms of engaging them.

Nothing here knows a particular document: the cues are the structure of Art. 28(3) and ordinary
drafting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assay.analysis.analyzers.contract_review.sentence_kind import SENTENCE_START

_LEADING_CONDITION = re.compile(
    SENTENCE_START + r"(?:if|where|when|whenever|in\s+the\s+event|in\s+case|to\s+the\s+extent|"
    r"insofar|in\s+so\s+far|should|after|upon|on|once|following|in\s+connection\s+with|with\s+respect\s+to|"
    r"in\s+relation\s+to|for\s+the\s+purposes?\s+of)\b",
    re.IGNORECASE,
)
"""A sentence that opens with a condition or circumstance ("If the Client exercises its audit
rights, ...", "Upon termination, ...")."""
_MAIN_CLAUSE = re.compile(
    r",\s+(?=(?:[^\s,;]+\s+){0,10}?(?:shall|will|must|may|can|agrees?|undertakes?|commits?|warrants?|ensures?|"
    r"(?:is|are)\s+(?:\w+\s+and\s+)?(?:obliged|obligated|required|entitled|responsible|bound))\b)",
    re.IGNORECASE,
)
"""Where the main clause starts after a leading condition: the first comma followed, within ten
words and no other comma, by its modal or duty verb ("..., the amount of remuneration to be
agreed upon will be ...")."""
_INFORMATION_TOPIC = re.compile(
    r"\b(?:provid\w*|suppl(?:y|ies|ied|ying)|furnish\w*|giv(?:e|es|en|ing)|submit\w*|send\w*|deliver\w*|"
    r"shar(?:e|es|ed|ing)|mak(?:e|es|ing)\s+available|made\s+available)\b[^.;:]{0,80}?"
    r"\b(?:information|documentation|proof|evidence|reports?|confirmation)\b"
    r"(?:\s+(?!(?:of|on|about)\b)\w+){0,2}?\s+"
    r"(?:of|on|about|regarding|concerning|relating\s+to|as\s+to|that|"
    r"(?:necessary|needed|required|sufficient)?\s*to\s+(?:enable|allow|demonstrate|show|prove|verify|ensure|check))\b"
    r"([^;]*)",
    re.IGNORECASE,
)
"""Information handed over and what it is about (group 1: "provide regular proof of | fulfillment
...", "provide you with sufficient information to enable | you to ensure ...")."""
_COMPLIANCE = re.compile(
    r"\b(?:complian\w*|compl(?:y|ies|ied)|fulfil\w*|implement\w*|in\s+place|adher\w*|observ\w*|met|meets?|"
    r"demonstrat\w*)\b",
    re.IGNORECASE,
)
"""The information is proof that duties are met ("... the full implementation of the agreed
measures", "... that the security measures are implemented")."""
_ABOUT_AN_INCIDENT = re.compile(
    r"\s*(?:(?:the|any|such|a|an|each|that|this)\s+)?(?:[\w-]+\s+){0,3}?(?:breach\w*|incidents?|security\s+events?)\b",
    re.IGNORECASE,
)
"""Information about a breach ("provide timely information relating to the Security Incident ... to allow Customer
to fulfill its data breach reporting obligations"): the breach notice, whatever it lets the controller fulfil
(1.20.0)."""
_SUBPROCESSORS = r"(?:sub-?\s?processors?|sub-?contractors?)"
"""Sub-processors named (or subcontractors)."""
_CO_AGENT = re.compile(
    r"\b(?:(?:or|and|nor)\s+)?(?:to\s+)?(?:allow|permit|cause|require|authori[sz]e|let)\s+(?:its|any|their|the|such)\s+"
    + _SUBPROCESSORS
    + r"(?:\s*,\s*if\s+any\s*,)?\s+(?:to\s+)?(?=\w)|\b(?:or|and)\s+(?:its|their)\s+"
    + _SUBPROCESSORS
    + r"(?!\w|['’])(?:\s*,\s*if\s+any\s*,)?",
    re.IGNORECASE,
)
"""Sub-processors as co-agents of another act ("shall not transfer or allow its sub-processors, if
any, to transfer personal data to a third country", "unless the Processor or its sub-processors
are required to do so"): the act is the duty, extended to them."""
_UNTIL = re.compile(r"\b(?:until|till|up\s+to\s+the\s+(?:time|date)\s+of|pending)\b[^,;:]*", re.IGNORECASE)
"""A point in time, up to the end of its phrase ("until termination ... and the subsequent final
deletion of any personal data")."""


_PURPOSE_INSERT = re.compile(r",\s*(?:in\s+order|so\s+as)\s+to\b[^,;]{1,200},", re.IGNORECASE)
"""A purpose set between commas ("shall, in order to assist the Controller with its obligations on
security and impact assessments, take appropriate technical and organisational measures"): the duty
stated is what follows it (1.9.0)."""


_RISK_TO_PERSONS = re.compile(
    r"\b(?:the\s+)?rights\s+and\s+freedoms\s+of\s+(?:the\s+)?(?:natural\s+persons|(?:affected\s+)?individuals|"
    r"(?:the\s+)?data\s+subjects|persons)\b",
    re.IGNORECASE,
)
"""Whose rights the risk is to, Art. 32(1)'s formula ("... the risk of varying likelihood and severity
for the rights and freedoms of natural persons, the Processor shall implement measures ... to protect
the security, confidentiality and integrity of the data"): what the measures weigh, not persons bound
to confidentiality (1.10.0)."""


_MEASURES_DOCUMENTED = re.compile(
    r"\b(?:prepar(?:e|es|ed|ing)|keep(?:s|ing)?|kept|maintain(?:s|ed|ing)?|draw(?:s|ing)?\s+up|drawn\s+up|document(?:s|ed|ing)?)"
    r"(?:\s+and\s+(?:keep|maintain|update)\w*)?\s+(?:updated\s+|up[- ]to[- ]date\s+)?(?:an?\s+|the\s+)?"
    r"(?:written\s+|up[- ]to[- ]date\s+|updated\s+|current\s+)?"
    r"(?:descriptions?|documentation|records?|overview)\s+of\s+"
    r"(?:its|the|all|any|such)?\s*[^;.]{0,80}?\bmeasures\b|"
    r"\b(?:shall|will|must|to)\s+(?:\w+ly\s+)?document\s+(?:its\s+|the\s+|all\s+|any\s+)?[^;.]{0,60}?\bmeasures\b",
    re.IGNORECASE,
)
"""Measures described, not taken ("shall prepare and keep updated a description of its technical,
organisational and physical measures", "shall document routines and other measures taken to comply"):
keeping records of the measures, not implementing them (1.10.0)."""


_SCC_SOURCE = re.compile(
    r"\b(?:pursuant\s+to|under|in\s+accordance\s+with|(?:as\s+)?required\s+by|(?:un)?related\s+to|"
    r"(?:described|set\s+out|set\s+forth|referred\s+to|provided\s+for|contemplated)\s+(?:in|by|under))\s+"
    r"(?:(?:clauses?|sections?)\s+[\w.()]+(?:\s*(?:,|and|or|&)\s*[\w.()]+)*\s+of\s+)?(?:the\s+)?(?:applicable\s+)?"
    r"(?:EU\s+|UK\s+)?"
    r"(?:standard\s+contractual\s+clauses|SCCs?)\b",
    re.IGNORECASE,
)
"""The standard contractual clauses named as what another duty is owed under ("copies of the
sub-processor agreements that must be provided pursuant to Clause 9(c) of the Standard Contractual
Clauses"; 1.11.0: "the certification of deletion ... described in Clauses 8.5 and 16(d) of the Standard
Contractual Clauses"): the clauses as a rulebook, not a transfer safeguard (1.10.0)."""
_TRANSFER_WORD = re.compile(
    r"\b(?:transfer\w*|third\s+countr\w*|international|export\w*|import\w*|outside|cross-border|abroad|adequa\w*)",
    re.IGNORECASE,
)


_EXCEPTION_IN_BRACKETS = re.compile(
    r"\(\s*(?:other\s+than|except(?:\s+for)?|excluding|save\s+for|apart\s+from)\b[^()]*(?:\)|$)", re.IGNORECASE
)
"""An exception set in brackets ("cease all Processing (other than merely storing and maintaining the
security of the affected Personal Data)"): what the duty leaves out, not a duty (1.11.0); an open
bracket runs to the end of a sentence read in parts."""


_SUBPROCESSOR = re.compile(rf"\b(?:{_SUBPROCESSORS}|(?:another|subsequent|further)\s+processors?)\b", re.IGNORECASE)
_GUARANTEED_MEASURES = re.compile(
    r"\bsufficient\s+guarantees?\b[^;.]{0,60}?\b(?:technical\s+and\s+organi[sz]ational|organi[sz]ational\s+and\s+"
    r"technical)\s+(?:security\s+)?measures\b(?:\s+(?:are|will\s+be|shall\s+be|be)\s+implemented)?",
    re.IGNORECASE,
)
"""Art. 28(4)'s guarantees of another processor ("sufficient guarantees shall be provided that the
appropriate technical and organizational measures are implemented in such a way that the processing by
the sub-processor ..."): measures a sub-processor guarantees, the terms of engaging it, not the
processor's own security; read only when the sentence names a sub-processor (1.11.0)."""


_SUBPROCESSORS_BOUND = re.compile(
    SENTENCE_START
    + r"(?:(?:all|any|each|every|its|our|the|such|these|those)\s+)?"
    + _SUBPROCESSORS
    + r"\b[^.;:,]{0,40}?\b(?:must|shall|will|(?:is|are)\s+(?:required|obliged|"
    r"bound)\s+to)\b.*",
    re.IGNORECASE | re.DOTALL,
)
"""Sub-processors as the subject bound ("All sub-processors must: - Implement appropriate security measures"): the
terms of engaging them, not the processor's own security or breach notice (1.19.0)."""


_SUPPLEMENTARY_MEASURES = re.compile(
    r"\bsupplementary\s+(?:(?:technical|contractual|organi[sz]ational|security|and|or|,)\s+){0,4}measures\b"
    r"(?:[^.;]{0,80}?\blevel\s+of\s+protection\b)?",
    re.IGNORECASE,
)
"""Supplementary measures, the term of transfers since Schrems II ("implement supplementary measures where
necessary to ensure the level of protection required by EU law"): transfer terms, not Art. 32 security
(1.20.0)."""


def stated_duties(clause: str) -> str:
    """``clause`` with what only names duties read as what it is: a point in time and sub-processors
    named as co-agents of another act dropped, and
    proof that duties are met read as proof of compliance ("provide regular proof of fulfillment
    ... of the agreed technical and organisational measures" reads "provide regular proof of
    compliance")."""
    clause = _SUBPROCESSORS_BOUND.sub(" guarantees engaging the sub-processor ", clause)
    clause = _SUPPLEMENTARY_MEASURES.sub(" international transfer terms ", clause)
    clause = _UNTIL.sub(" ", clause)
    clause = _EXCEPTION_IN_BRACKETS.sub(" ", clause)
    if _SUBPROCESSOR.search(clause):
        clause = _GUARANTEED_MEASURES.sub(" guarantees engaging the sub-processor ", clause)
    clause = _RISK_TO_PERSONS.sub(" ", clause)
    clause = _MEASURES_DOCUMENTED.sub(" archives records ", clause)
    clause = _PURPOSE_INSERT.sub(" ", clause)
    clause = _CO_AGENT.sub(" ", clause)
    if _TRANSFER_WORD.search(clause) is None:
        clause = _SCC_SOURCE.sub(" ", clause)
    topic = _INFORMATION_TOPIC.search(clause)
    if topic is not None and _COMPLIANCE.search(topic.group(1)) and not _ABOUT_AN_INCIDENT.match(topic.group(1)):
        clause = clause[: topic.start(1)] + " compliance" + clause[topic.end(1) :]
    return clause


@dataclass(frozen=True)
class Duty:
    """One duty a sentence may state: a requirement's core duty, or one that is no requirement's."""

    name: str
    """The requirement id, or the name of a duty no requirement has (``payment``)."""
    patterns: tuple[re.Pattern[str], ...]
    """The act and its object (either order, for a passive): any one carries the duty."""
    in_condition: tuple[re.Pattern[str], ...] = ()
    """The duty is owed when its condition holds and names it there ("If the Processor believes that
    an instruction infringes the GDPR, it shall inform the Controller", "Where a breach is confirmed, X
    will notify the Customer", "When such transfers occur, X will ensure that appropriate safeguards are in
    place"): read over the whole sentence, its leading condition included (1.19.0), when the main clause
    states one of these acts (giving notice, putting safeguards in place; 1.25.0): "If the Controller must
    notify a breach, the Processor shall charge its costs" states none."""


def main_clause(text: str) -> str:
    """``text`` without a leading condition or circumstance ("If X, Y and Z apply, the Processor
    shall ..." reads from "the Processor"); the whole sentence when it opens with none, or when no
    comma before a modal ends it."""
    if _LEADING_CONDITION.match(text) is None:
        return text
    comma = _MAIN_CLAUSE.search(text)
    return text[comma.end() :] if comma is not None else text


_PURPOSE_FRAME = re.compile(
    SENTENCE_START + r"(?:for\s+(?:the\s+)?purposes?\s+of\s+|(?:pursuant\s+to|under|in\s+accordance\s+with|"
    r"as\s+required\s+by|in\s+(?:relation|respect)\s+to)\s+(?=(?:clauses?|sections?|articles?|paragraphs?)\s+\d))",
    re.IGNORECASE,
)
"""A sentence framed by what it is said for ("For the purposes of Clause 8.6(c) of the Standard
Contractual Clauses, ...", "For the purposes of the UK Addendum, the following is deemed ...") or by
the numbered clause it fills in ("Pursuant to Clause 9(a) of the Standard Contractual Clauses, ...")."""
FRAME_CHARACTERS = 200
"""A frame longer than this is no run-in phrase: the sentence is read whole."""


def without_purpose_frame(text: str) -> str | None:
    """``text`` after a leading "For the purposes of X," frame (the first comma outside brackets ends
    it), or None when it opens with none (1.9.0). What the frame names is what the rest is said
    *for*, a document or a clause of one, not what the sentence states: "For the purposes of Clause
    9 of the SCCs, the Customer authorises the engagement of sub-processors" is a sub-processor term,
    not a transfer safeguard."""
    frame = _PURPOSE_FRAME.match(text)
    if frame is None:
        return None
    depth = 0
    for index in range(frame.end(), min(len(text), frame.end() + FRAME_CHARACTERS)):
        char = text[index]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            return text[index + 1 :].strip()
    return None


def carried(text: str, duties: Iterable[Duty]) -> frozenset[str]:
    """The names of the duties ``text``'s main clause carries (the whole sentence, for a duty named
    in its condition)."""
    main = main_clause(text)
    clause = stated_duties(main)
    whole = clause if main == text else stated_duties(text)
    return frozenset(
        d.name
        for d in duties
        if any(p.search(whole if any(a.search(main) for a in d.in_condition) else clause) for p in d.patterns)
    )
