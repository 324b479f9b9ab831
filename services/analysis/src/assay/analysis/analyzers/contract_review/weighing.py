"""Weighing a negation of a requirement's duty against what is left that only touches it (1.10.0).

:func:`.negation.prevailing_negations` lets a sentence that takes a requirement's own duty away in
so many words ("not be required to", "need not") outweigh a sentence that meets the requirement
only when that sentence carries no such duty or reads less like the requirement. Two readings are
added here, both about what the sentences left beside the negation *bind the processor to*:

- **A sentence that carries the duty without committing anyone to it outweighs no negation**,
  whatever its score: a statement of attitude ("X takes the security of data very seriously"), a
  row of an annex table describing measures ("| Measures for the protection of data during
  storage | Data is encrypted at rest |"), a list item of a lead-in that names the safeguard only to
  set it aside ("Except for the provisions of the Standard Contractual Clauses: 11.4.2. the laws
  governing this DPA are determined by ..."), a definition ("'Sub-Processor': an entity engaged by
  the Processor ..."). A sentence commits the processor when its main clause has a duty form
  ("shall", "will", "must", "agrees to", "is obliged to", "may only", "may not" ...), or the
  processor (or the data, in the passive) is the subject of the duty's own verb in the present
  tense ("Provider maintains appropriate measures", "Data is deleted within 30 days").
- **A bare negation standing on the duty's act prevails when nothing left commits the processor
  to the duty** ("X does not maintain appropriate technical and organisational measures", "does
  not maintain a list of sub-processors"). A bare "not" still restricts an act or states a fact as
  often as it negates a duty (1.8.0), so it prevails only where its cue is on the words that carry
  the duty, and never against a sentence that commits the processor to it, however low that
  sentence scores: "Client will not instruct Baton to process data in breach of law" leaves "Baton
  shall process Client Data only on documented instructions" met.

Either reading applies only to a negation whose main clause carries the requirement's duty and no
other duty of the playbook: "shall assist the Customer by implementing appropriate technical and
organisational measures ... with requests from data subjects, at the Customer's cost" names
security as the means of another duty, and is no clear negation of security.
Nothing here knows a particular document: the cues are ordinary drafting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assay.analysis.analyzers.contract_review.binding import PROCESSOR_VERB, WE_VERB
from assay.analysis.analyzers.contract_review.duty import Duty, carried, main_clause
from assay.analysis.analyzers.contract_review.negation import prevailing_negations, takes_duty_away

_COMMITMENT = re.compile(
    r"\b(?:shall|will|must|agrees?\s+to|undertakes?\s+to|commits?\s+to|"
    r"(?:is|are)\s+(?:\w+\s+)?(?:obliged|obligated|required|bound|responsible|committed)|warrants|guarantees|ensures|"
    r"may\s+(?:only|not|never)|may\s+(?:\w+\s+){1,6}?only|can\s*not|cannot|(?:has|have|needs?)\s+to)\b",
    re.IGNORECASE,
)
"""A duty form in a main clause: the processor bound to something (or a restriction of it)."""
_ATTITUDE = re.compile(
    r"\b(?:takes?|taking)\b[^.;:]{0,100}\bseriously\b|\bcares?\s+(?:deeply\s+)?about\b|\b(?:strives?|aims?|seeks?)\s+to\b|"
    r"\brecogni[sz]es?\s+the\s+importance\b|\b(?:is|are)\s+(?:a\s+|our\s+)?(?:top\s+|high\s+)?priority\b",
    re.IGNORECASE,
)
"""A statement of attitude ("takes the security and privacy of data very seriously"): no duty."""
_PASSIVE_PRESENT = re.compile(r"\b(?:is|are)\s+(?:\w+ly\s+)?(?P<verb>[a-z]+(?:ed|en))\b", re.IGNORECASE)
_TABLE_ROW = re.compile(r"\|[^|]*\|")
"""Cells of a table row: an annex form describing, not binding."""
ADJACENT = 3
"""How far (characters) a bare cue may end before the duty's words and still stand on them
("does not make available the | Standard Contractual Clauses")."""


def commits(text: str, duty: Duty) -> bool:
    """Whether ``text``'s main clause commits the processor (to ``duty`` where it names the act): a
    duty form, or the duty's own verb in the present tense after the processor or in the passive.
    Not a statement of attitude or a row of a table."""
    if _TABLE_ROW.search(text) is not None:
        return False
    clause = main_clause(text)
    if _ATTITUDE.search(clause) is not None:
        return False
    if _COMMITMENT.search(clause) is not None:
        return True
    spans = [m.span() for p in duty.patterns for m in p.finditer(clause)]
    verbs = [m.end() for r in (PROCESSOR_VERB, WE_VERB) for m in r.finditer(clause)]
    verbs += [m.end("verb") for m in _PASSIVE_PRESENT.finditer(clause)]
    return any(start < end_of_verb <= stop for end_of_verb in verbs for start, stop in spans)


def stands_on_duty(text: str, cue: str, duty: Duty) -> bool:
    """Whether a negation's ``cue`` lies on (or just before) the words of ``text``'s main clause that
    carry ``duty``: "does not maintain appropriate technical and organisational measures", "the
    data will not be destroyed"; not "shall notify ..., which is not to be subject to ..."."""
    clause = " ".join(main_clause(text).split())
    words = " ".join(cue.split())
    begin = clause.lower().find(words.lower())
    if not words or begin < 0:
        return False
    end = begin + len(words)
    return any(
        (m.start() <= end and begin <= m.end()) or 0 <= m.start() - end <= ADJACENT
        for p in duty.patterns
        for m in p.finditer(clause)
    )


def prevailing(
    duty: Duty | None,
    duties: Sequence[Duty],
    negating: Sequence[tuple[str, float, str]],
    meeting: Sequence[tuple[str, float]],
) -> list[int]:
    """Which of ``negating`` (text, score, cue) outweigh ``meeting`` (text, score), by index:
    those of :func:`.negation.prevailing_negations`, else the clear negations of the duty alone
    (see the module's docstring) that no committing sentence answers."""
    found = prevailing_negations(duty, negating, meeting)
    if found or duty is None or not negating or not meeting or not duties:
        return found
    out: list[int] = []
    for index, (text, score, cue) in enumerate(negating):
        if carried(text, duties) != {duty.name}:
            continue
        strong = takes_duty_away(cue)
        if not strong and not stands_on_duty(text, cue, duty):
            continue
        answered = False
        for said, weight in meeting:
            own = carried(said, duties)
            if strong:
                answered = duty.name in own and weight > score and commits(said, duty)
            else:
                answered = (not own or duty.name in own) and commits(said, duty)
            if answered:
                break
        if not answered:
            out.append(index)
    return out
