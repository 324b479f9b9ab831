"""Negation and gutting of an obligation within one sentence.

A sentence *contradicts* a requirement when the requirement's operative concept (a playbook
``operative`` pattern, e.g. ``delet|return|destroy`` for deletion) lies in the scope of

- a duty taken away ("not be required to", "does not undertake to", "no obligation to"),
  anywhere before the concept or a duty verb in the same clause, or after the concept as the
  clause's subject ("Any transfer to a third country shall not be required to ...");
- a negation cue ("not", "never", "no obligation", "under no circumstances"...) at most
  ``SCOPE_WORDS`` words before it or before a duty verb ("notify", "delete", "permit"...),
  within the same clause (no ``;`` or ``:`` or sentence end in between), unless the negation
  is a restriction, i.e. followed by an exception such as "without", "unless", "other than",
  "except" or "of its own authority" ("shall not engage a sub-processor without prior
  authorisation" restricts, it does not negate), or preceded by a condition ("only if the audit
  does not impose a threat"); "It is not agreed that ..." negates all of it;
- discretionary wording in the clause that names the concept, turning the duty into an option
  or a substitute: "reserves the right to", "at its (sole) discretion", "limited to (providing
  its) third-party reports", "reports only", an exception that hands the decision back to the
  processor ("except where it decides otherwise", "as it sees fit"); or retention
  "indefinitely" ("unless required by law" is the exception Art. 28(3)(g) itself makes, not a
  gutting);
- "no" before the thing owed ("no on-site inspections will be permitted", "no notice will be
  given"; not "no later than");
- a permission with an exception: "may process personal data other than on instructions",
  "may engage sub-processors without notice", "may freely engage";
- (1.6.0) a duty taken away in other words: "Nothing in this DPA requires ... to", "In no event
  shall ... be required to", "is exempt / released from its obligation to", "The obligation to
  ... shall not apply."; a duty gutted by its qualifier: bought rather than owed ("only if the
  Controller pays", "unless the Customer pays", "subject to payment"), the processor's
  convenience as the exception ("unless ... otherwise inconvenient"), efforts only where
  practicable ("will use reasonable efforts to delete ... where commercially practicable"; either
  alone is ordinary drafting), the safeguard waived ("waives its right to object"), the duty
  "optional" or "excluded".

A negation of *another* duty in the same sentence leaves the obligation alone (1.6.0): when the
sentence binds to the obligation before the coordination that joins the negation to it ("The
Processor shall notify ... of a breach, but is under no obligation to pay the costs of
notification"), the negation negates it only if its part states the whole concept again, and not
to limit its extent ("need not allow more than one audit a year"). An exception after a negated
verb restricts it only within that verb's phrase (not after "..., and will provide ...") and not
when it is the law's own ("unless retention is prescribed by law").

A negation in the main clause after a leading condition is read ("If there is a suspicion of a
breach, this must not be notified"; the condition's own negation, "If the Processor concludes it
can no longer comply, ...", still is none), and a duty may be taken away past an inserted phrase
with commas ("shall not be required, upon request, and subject to the Agreement, to return": 1.8.0).

When both a negating sentence and a meeting one address a requirement, the negation prevails
(:func:`prevailing_negations`, 1.8.0) only if it takes the requirement's own duty away in so many
words and every meeting sentence either states no such duty or reads less like the requirement.

Nothing here knows a particular document: the cues are ordinary English drafting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assay.analysis.analyzers.contract_review.binding import joined_items
from assay.analysis.analyzers.contract_review.duty import Duty, carried

SCOPE_WORDS = 8
"""A cue governs an operative word at most this many words after it."""
BAN_WORDS = 4
"""A negation bans a restricted act named at most this many words after it."""
CUE_WORDS = 8
"""A gutting qualifier longer than this is quoted by its ends."""
CONDITION_WORDS = 10
"""A condition ("if", "unless", "where") at most this many words before a cue makes it no
negation ("If the Service Provider concludes it can no longer comply, it will notify ...")."""

_CUE = re.compile(
    r"\b(?:not(?!\s+(?:limited|restricted)\s+to)(?!\s+(?:only|just|merely)\b)"
    # "not refuse", "not unreasonably withhold": a negated refusal keeps the duty.
    r"(?!\s+(?:unreasonably\s+)?(?:refuse|decline|reject|withhold|prevent|obstruct|hinder|deny)\w*)"
    # "shall not be released from its obligation to delete": the duty stays.
    r"(?!\s+(?:be\s+)?(?:released|relieved|excused|discharged|exempt\w*|absolved)\b)"
    # "not later than the Specified Notice Period": a deadline, as "no later than" is (1.27.0).
    r"(?!\s+(?:later|earlier|sooner|more|less|fewer)\s+than\b)|never|no\s+longer|cannot|neither|nor)\b|n't\b|"
    r"\bno\b(?!\s+(?:later|less|more|fewer|sooner|event|case|circumstances|other|longer|obligation|duty|right|"
    r"requirement|responsibility|liability)\b)"
    # "there is no data to return": nothing is kept, no duty is negated (1.25.0).
    r"(?!\s+(?:personal\s+|customer\s+)?(?:data|information)\s+(?:left\s+|remaining\s+)?to\b)"
    r"(?=\s+(?:[\w-]+\s+){0,2}?(?:audits?|inspections?|visits?|access|notice|"
    r"notification|assistance|copies|deletion|return|information)\b)|"
    r"\bno\s+(?:obligation|duty|right|requirement|responsibility|liability)\b|\bunder\s+no\b|"
    r"\bfree\s+to\s+(?:refuse|decline)\b|\b(?:refuses?|declines?)\s+to\b|"
    r"\b(?:may|can|is\s+(?:free|entitled|permitted)\s+to)\s+(?:refuse|decline|reject|withhold)\b",
    re.IGNORECASE,
)
_EXEMPT = r"\b(?:exempt(?:ed)?|released|relieved|excused|discharged|absolved)\s+from\b"
"""A party freed from a duty; "shall not be relieved from its obligations" keeps it (see _AFFIRMED)."""
_AFFIRMED = re.compile(r"\b(?:not|never|no)\s+(?:be\s+|been\s+|being\s+)?$", re.IGNORECASE)
"""Right before a freeing ("not be released from"): the duty stays."""
_NOT_APPLY = re.compile(r"\bnot\s+apply\b", re.IGNORECASE)
_DUTY_NOUN = re.compile(r"\b(?:obligations?|dut(?:y|ies)|requirements?|undertakings?|commitments?)\b", re.IGNORECASE)
"""What a "shall not apply" must have as its subject to take a duty away ("The Processor's
obligation to delete ... shall not apply"; "Clause 7 shall not apply" takes away no duty)."""
_SAFEGUARD_NOT_APPLY = (
    r"\b(?:SCCs|standard\s+contractual\s+clauses|(?:transfer\s+)?mechanisms?|safeguards?|binding\s+corporate\s+rules|"
    r"BCRs)\b[^.;:]{0,80}?\b(?:shall|will|does|do)\s+not\s+apply(?:\s+to\s+(?:such|these|those|the|any|all)\s+"
    r"transfers?)?(?=\s*(?:[.;:,]|and\b|$))"
)
"""A transfer safeguard withdrawn (1.9.0)."""
_PART_OF = re.compile(
    r"\b(?:clauses?|sections?|modules?|options?|annex(?:es)?|appendix|paragraphs?|parts?)\s+[\w.()]+\s+(?:of|in|to)\s+"
    r"(?:the\s+)?$",
    re.IGNORECASE,
)
"""Before a safeguard, what makes the cue's subject a part of it ("Clause 7 of the")."""
_STRONG = re.compile(
    r"\b(?:not|never)\s+(?:be\s+)?(?:required|obliged|obligated|bound|committed|responsible)"
    r"(?:\s*,\s*[^;:.]{1,240}?,\s*|\s+)to\b|"
    r"\b(?:does|do|shall|will)\s+not\s+(?:undertake|commit|agree)\s+to\b|"
    r"\bno\s+(?:obligation|duty|responsibility)\s+(?:to|of|for)\b|\bneed\s+not\b|\bnot\s+be\s+obliged\b|"
    # Plain words for the same (1.15.0): "shall not be under any obligation to", "is entitled, but not obliged,
    # to", "makes no commitment to", "It is not the Processor's responsibility to", "may choose not to".
    r"\b(?:not|never)\s+(?:be\s+)?under\s+(?:any|an)\s+(?:obligation|duty)\s+to\b|"
    r"\b(?:entitled|permitted|free|allowed)\s*,?\s+but\s+not\s+(?:obliged|obligated|required|bound)\s*,?\s+to\b|"
    r"\b(?:makes?|gives?)\s+no\s+(?:commitment|undertaking|promise)\s+to\b|"
    r"\bnot\s+(?:the\s+[\w-]+['’]s|its|their|our)\s+(?:responsibility|obligation|duty)\s+to\b|"
    r"\b(?:may|can)\s+(?:choose|decide|elect)\s+not\s+to\b|"
    # "Nothing in this DPA requires the Processor to delete", "In no event shall the Processor be
    # required to", "is exempt from any obligation to", "is released from its obligation to".
    r"\bnothing\b[^.;:]{0,80}?\b(?:requires?|obliges?|obligates?|compels?)\b|"
    r"\bin\s+no\s+(?:event|case)\s+(?:shall|will|is|are)\s+(?:[\w'’-]+\s+){1,5}?(?:be\s+)?"
    r"(?:required|obliged|obligated|bound)\s+to\b|"
    rf"{_EXEMPT}|"
    # "The Processor's obligation to delete ... shall not apply." (not "... does not apply if ...").
    r"\b(?:shall|will|does|do)\s+not\s+apply(?=\s*(?:[.;:]|$))|"
    # The transfer safeguard itself withdrawn: "the SCCs shall not apply, completed as follows", "the
    # transfer mechanisms listed below shall not apply to such transfers and ..." (not "shall not apply
    # to transfers to an adequate country", nor "... to data that is not transferred": 1.9.0).
    rf"{_SAFEGUARD_NOT_APPLY}",
    re.IGNORECASE,
)
"""A duty explicitly taken away: it negates whatever the rest of the clause would oblige; a phrase
may stand between ("shall not be required, taking into account the nature of processing, to
assist"), commas and all ("shall not be required, upon request, and subject to the limits of the
Agreement, to return": 1.8.0)."""
_CHECK = re.compile(
    r"^\s*(?:[\w'’-]+ly\s+)?((?:verify|verifi|check|review|monitor|assess|examin|investigat|scrutini[sz]|"
    r"audit|inspect)\w*)\b(\s+(?:whether|what|which|if|how)\b)?",
    re.IGNORECASE,
)
"""A duty to check taken away ("shall not be obliged to verify whether any processing instructions are
compliant", "has no obligation to verify what types of personal data the Customer transfers"): it negates
an obligation only when checking is its concept (audits) and what is checked is no question the processor
answers for itself ("whether", "what"), not the duty the checked thing belongs to (1.9.0)."""
_CONDITION = re.compile(
    r"\b(?:if|unless|provided\s+that|where|insofar\s+as|to\s+the\s+extent|so\s+as|in\s+order|whether|because|"
    r"as\s+long\s+as)\b",
    re.IGNORECASE,
)
"""Before a cue, a condition or purpose: "only if the audit may not impose a threat", "to the extent
that the Controller does not otherwise have access" is no negation."""
_MAIN_CLAUSE_NEXT = re.compile(
    r",\s+(?:[\w'’-]+\s+){0,4}?(?:shall|will|must|may|can|is|are|does|do|has|have)\s*$", re.IGNORECASE
)
"""After a condition, the main clause's subject and verb right before a cue ("If there is a
suspicion of a breach, this must [not be notified]"): the cue is the main clause's, not the
condition's."""


_DESTINATION = re.compile(
    r"\b(?:third\s+)?(?:countr(?:y|ies)|territor(?:y|ies)|jurisdictions?|destinations?|international\s+organi[sz]ations?)"
    r"\s*,?\s+(?:that|which|where|whose|(?:for|in|to|of)\s+which)\b[^,;:()]{0,100}$",
    re.IGNORECASE,
)
"""A relative clause describing where data goes ("to a country that does not provide an adequate level
of protection", "a territory for which the Commission has not issued an adequacy decision"): Chapter
V's own description of a third country, not a negation of the processor's duty (1.9.0)."""


def _describes_destination(before: str) -> bool:
    """Whether a cue after ``before`` (its clause so far) stands in a relative clause on a country."""
    return _DESTINATION.search(before) is not None


_INSERTED = re.compile(
    r",\s+(?:in|on|at|for|with|by|under|upon|through|during|as|via)\s+[^,;:]{1,80},(?=\s)", re.IGNORECASE
)
"""A phrase inserted with commas ("to the extent Customer, in its use of the Services, does not have the
ability"): read without it, the condition's subject and verb are not taken for a main clause (1.9.0)."""


_OPENING_CONDITION = re.compile(
    r"^\W*(?:[\w.()]{1,6}\s+)?(?:if|where|to\s+the\s+extent|insofar\s+as|provided\s+that|as\s+long\s+as|"
    r"in\s+(?:case|the\s+event))\b",
    re.IGNORECASE,
)


def _opens_condition(before: str) -> bool:
    """Whether a cue after ``before`` (its clause up to the cue) is still in the condition its clause opens
    with, however long: no comma (but an inserted phrase) has closed it yet ("To the extent that the required
    information is available to Processor and the Controller does not otherwise have access ...": 1.9.0)."""
    opening = _OPENING_CONDITION.match(before)
    return opening is not None and "," not in _INSERTED.sub(" ", before[opening.end() :])


_CONDITION_LEAD_IN = re.compile(
    r"\b(?:if|where|when|unless|in\s+(?:case|the\s+event)(?:\s+that)?)(?:\s+[\w'’-]+){0,2}\s*:\s*$", re.IGNORECASE
)
"""A lead-in that ends in its condition ("shall notify the Controller promptly if it: (i) ... can no longer
comply"): what its items say, negations included, is the condition (1.16.0)."""
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def _in_conditional_items(text: str, at: int) -> bool:
    """Whether ``text[at:]`` is in an item of a lead-in that ends in its condition, in the same sentence."""
    colon = text.rfind(":", 0, at)
    if colon < 0 or _SENTENCE_END.search(text, colon, at):
        return False
    return _CONDITION_LEAD_IN.search(text, 0, colon + 1) is not None


def _in_condition(before: str) -> bool:
    """Whether a cue after ``before`` (its clause's last words) stands in a condition or purpose
    ("only if the audit may not", "If the Service Provider concludes it can no longer comply"),
    not in the main clause after one ("If data subjects assert rights, the contractor will not")."""
    conditions = list(_CONDITION.finditer(before))
    return bool(conditions) and _MAIN_CLAUSE_NEXT.search(before, conditions[-1].end()) is None


_EFFORTS = (
    r"\b(?:(?:commercially\s+)?reasonable|best|good[\s-]faith)\s+(?:efforts?|endeavou?rs?)\b|"
    r"\bendeavou?r(?:s|ing)?\s+to\b|\b(?:try|tries|attempts?)\s+to\b"
)
_PRACTICABLE = (
    r"\b(?:where|when|if|to\s+the\s+extent|insofar\s+as|as\s+far\s+as)\s+(?:(?:it\s+is|this\s+is|that\s+is|"
    r"commercially|reasonably|technically)\s+)*(?:practicable|feasible|practical|possible|convenient)\b"
)
_IN_SENTENCE = r"(?:[^;:.]|\.(?!\s+(?-i:[A-Z(])))"
"""A character of the same clause, past an abbreviation's full stop ("Art. 28 Para. 3")."""
_DISCRETION = re.compile(
    r"\breserves?\s+the\s+right\s+(?:\(?but\s+not\s+the\s+obligation\)?\s+)?(?:not\s+)?to\b|"
    r"\bat\s+(?:its|their|his|the\s+processor's|the\s+supplier's)\s+(?:(?:sole|absolute|own|reasonable)\s+)?"
    r"discretion\b|"
    r"\bindefinitely\b|\b(?:(?:solely|only|exclusively)\s+(?:by\s+way\s+of|by|through)|(?:limited|restricted)\s+"
    r"(?:solely\s+|only\s+|exclusively\s+)?to)(?:\s+(?!audits?\b|inspections?\b)[\w'’-]+){0,6}?\s+"
    r"(?:reports?|certifications?|certificates?|summar\w+|attestations?)\b|"
    r"\b(?:reports?|certifications?|certificates?|summar\w+|attestations?)\s+only\b|"
    # The exception hands the decision back to the processor: "except where it decides otherwise".
    r"\b(?:except|unless|save|other\s+than)\s+(?:where|when|if|as|to\s+the\s+extent)?\s*(?:it|they|we|the\s+"
    r"(?:processor|supplier|vendor|provider|contractor|consultant)s?)\s+(?:otherwise\s+)?(?:decides?|chooses?|elects?|"
    r"determines?|considers?|deems?|prefers?|wishes?|sees?\s+fit)\b|"
    r"\b(?:as|whenever|when|where|if)\s+(?:it|they|we|the\s+(?:processor|supplier|vendor|provider))\s+(?:so\s+)?"
    r"(?:sees?\s+fit|deems?\s+(?:it\s+)?(?:fit|appropriate)|thinks?\s+(?:it\s+)?fit|"
    r"considers?\s+(?:it\s+)?(?:appropriate|fit)|chooses|elects|wishes|prefers)\b|"
    # The judgement, or the choice, is the processor's own: "as determined by the Processor",
    # "in its sole judgement", "at the Processor's option", "may choose whether to".
    r"\b(?:as|where|when)\s+(?:determined|decided|judged)\s+by\s+(?:it|them|us|the\s+(?:processor|supplier|vendor|"
    r"provider))\b|"
    r"\bin\s+(?:its|their|our|the\s+(?:processor|supplier|vendor|provider)['’]s)\s+(?:sole|absolute)\s+"
    r"(?:judge?ment|opinion)\b|"
    r"\bat\s+(?:its|their|our|the\s+(?:processor|supplier|vendor|provider)['’]s)\s+(?:(?:sole|absolute|own)\s+)?"
    r"(?:option|election|choice)\b|"
    r"\b(?:it|they|we|the\s+(?:processor|supplier|vendor|provider))\s+(?:may|can)\s+(?:choose|decide|elect)\s+"
    r"whether\b",
    re.IGNORECASE,
)
_FOR_COMPLIANCE = re.compile(
    r"\b(?:in\s+order\s+)?to\s+(?:ensure|maintain|achieve|remain\s+in)\s+(?:(?:its|their|continued|ongoing|full)\s+)*"
    r"compliance\b",
    re.IGNORECASE,
)
"""The discretion's stated purpose is to keep the processing compliant: it serves the duty (1.18.0)."""
_CHOICE = re.compile(r"[\s,]+either\b", re.IGNORECASE)
"""Discretion over which of the alternatives that follow, each of which meets the duty (1.18.0)."""
_RESERVED = re.compile(r"reserves?\b", re.IGNORECASE)
_PAID = re.compile(
    r"\s*(?:(?:be\s+(?:fully\s+)?)?(?:reimburs\w*|compensat\w*|remunerat\w*|paid)|(?:charg|invoic|bill)\w*|"
    r"(?:claim|seek|request|recover|recoup|receive|demand)\s+(?:[\w'’-]+\s+){0,3}?(?:reimbursement|compensation|"
    r"payment|remuneration|fees?|costs?|expenses?|charges?)|(?:(?:full\s+|prior\s+)?(?:reimbursement|compensation|"
    r"payment|remuneration)|(?:additional\s+|reasonable\s+)?(?:fees?|costs?|expenses?)))\b",
    re.IGNORECASE,
)
"""After "reserves the right to", a price for the duty ("provided that the Processor reserves the right to
reimbursement of the reasonable costs of such assistance", "reserves the right to charge a reasonable fee"): the
duty is still owed and paid for, no discretion over it (1.10.0). A duty bought only on payment ("only if the
Controller pays") is still gutted (:data:`_GUTTING`)."""
_UPDATED = re.compile(
    r"\b(?:may|can|is\s+(?:free|entitled|permitted)\s+to)\s+(?:from\s+time\s+to\s+time\s+)?(?:update|modif|chang|amend|"
    r"revis|replac|adapt|improv|evolv)\w*",
    re.IGNORECASE,
)
_NOT_DEGRADED = re.compile(
    r"\b(?:provided|so\s+long\s+as|as\s+long\s+as|on\s+condition)\b[^.;]{0,120}?\b(?:not|no)\b[^.;]{0,80}?"
    r"\b(?:degrad\w*|decreas\w*|reduc\w*|lessen\w*|diminish\w*|weaken\w*|lower\w*|undermin\w*)",
    re.IGNORECASE,
)
"""A permission to update what the duty requires at the processor's discretion, on condition that protection is not
lowered ("may update or modify the Security Measures from time to time at its discretion, provided that such updates
do not result in the degradation of the overall security"): the measures stay owed, only their form may change
(1.10.0). Without the condition the discretion still guts the duty."""
_GUTTING = re.compile(
    # The duty bought, not owed: "only if the Controller pays", "unless the Customer pays",
    # "conditional upon payment of the Processor's fees".
    r"\b(?:only\s+(?:if|when|where|upon|after|once|on\s+condition\s+that)|unless|(?:conditional|contingent|"
    r"dependent)\s+(?:up)?on|subject\s+to)\b(?:\s+[\w'’-]+){0,6}?\s+(?:pays?|paid|paying|payment|"
    r"fees?)\b(?!\s+(?:incurred|accrued|already|outstanding))|\b(?:upon|on|against|after)\s+(?:the\s+)?payment\s+of\s+(?:an?\s+)?(?:additional|extra|separate|further)\b|"
    # The processor's convenience as an exception: "unless ... otherwise inconvenient".
    r"\b(?:unless|except\s+(?:where|when|if|to\s+the\s+extent)|save\s+where)\b[^.;:]{0,80}?\b(?:inconvenient|"
    r"burdensome|commercially\s+unreasonable|uneconomic(?:al)?|not\s+in\s+(?:its|their|the\s+processor['’]s)\s+"
    r"(?:commercial\s+|business\s+)?interests?)\b|"
    # Efforts instead of a duty, and only where practicable: "will use reasonable efforts to delete
    # ... where commercially practicable" (either alone is ordinary drafting). Both in one clause
    # of the sentence, however long ("... in accordance with Art. 28 Para. 3 ...").
    rf"(?:{_EFFORTS}){_IN_SENTENCE}{{0,800}}?(?:{_PRACTICABLE})|(?:{_PRACTICABLE}){_IN_SENTENCE}{{0,800}}?(?:{_EFFORTS})|"
    # The controller gives up the safeguard: "waives its right to object", "waives any right to audit".
    r"\bwaives?\s+(?:(?:any|all|its|their|his|the|such|and)\s+)*(?:rights?|entitlements?|ability)\s+to\b|"
    r"\b(?:is|are|shall\s+be|will\s+be)\s+(?:optional|excluded)\b",
    re.IGNORECASE,
)
"""A duty gutted by its qualifier, in the clause that names the obligation."""
_WHOLE_SENTENCE = re.compile(
    r"\b(?:it\s+is|does|do|shall|will)\s+not\s+(?:agreed|intended|the\s+case|warranted|guaranteed|"
    r"warrant|guarantee|represent|agree)\s+that\b",
    re.IGNORECASE,
)
"""Negation of the whole statement that follows ("It is not agreed that the processor ...")."""
_PERMISSION = re.compile(
    r"\b(?:(?:may|can)(?!\s+(?:not|never)\b)(?!['’]t\b)|is\s+(?:free|entitled|permitted)\s+to)\b", re.IGNORECASE
)
"""A permission, whose loophole ("may engage sub-processors without notice") guts the duty; "may not"
/ "can't" forbid, and "may not engage sub-processors without approval" is the duty itself (1.8.0)."""
_EXCEPTION = re.compile(
    r"\b(?:without(?!\s+(?:undue\s+)?delay)(?!\s+prejudice)(?!\s+limitation)|unless|except|excluding|other\s+(?:[\w'’-]+\s+){0,2}?than|otherwise\s+than|save\s+(?:as|where|for|to)|(?<!even\s)beyond|"
    r"outside|apart\s+from|prior\s+to|before|until|for\s+(?:its|their|his)\s+own|"
    r"(?:on|of|by)\s+(?:its|their|his)\s+own\s+(?:authority|initiative|account)|"
    r"for\s+any\s+(?:other\s+)?purposes?|but\s+only|"
    # A ban on escaping a duty affirms it: "may not rely on a breach by a sub-processor to avoid its own
    # liability" (1.9.0).
    r"(?:in\s+order\s+)?to\s+(?:avoid|evade|escape|circumvent)\s+(?:its|their|his|any|the)\b)\b",
    re.IGNORECASE,
)
_COORDINATED_DUTY = re.compile(
    r",?\s+(?:and|or)\s+(?:(?:it|they|we|the\s+[\w-]+)\s+)?(?:shall|will|must|agrees?|undertakes?|may(?!\s+only\b))\b",
    re.IGNORECASE,
)
"""A duty, or a permission, of its own coordinated after a negated verb phrase ("..., and will provide ...",
"will not tell you and may suspend that instruction until it is resolved": 1.15.0)."""
_LEGAL_EXCEPTION = re.compile(
    r"\b(?:unless|except|save)\b(?:(?!\b(?:unless|except|save|instruct\w*|consent\w*|authori[sz]\w*|approv\w*|"
    r"agree\w*|permission)\b)[^.;:]){0,100}?\b(?:(?:by|under|pursuant\s+to|in\s+accordance\s+with|according\s+to)\s+(?:[\w'’-]+\s+){0,5}?(?:laws?|legislation|"
    r"regulations?)|legally\s+(?:obliged|obligated|required|bound)|"
    r"statutory\s+(?:[\w-]+\s+){0,2}?(?:obligations?|dut(?:y|ies)|requirements?|periods?)|"
    r"(?:laws?|legislation|regulations?)\s+(?:so\s+)?(?:requires?|prescribes?|mandates?|obliges?))\b",
    re.IGNORECASE,
)
"""An exception the law makes ("unless further retention is prescribed by the law", "unless it is legally
obliged to": 1.8.0; "unless Union or Member State law requires storage", Art. 28(3)(g)'s own words:
1.15.0): after a negated duty it is the duty's own exception, not a condition that turns the
negation into a restriction. It stops at another exception and at the controller's say ("except on the
Controller's instructions, unless required by law"; "unless instructed or required by law"), which still restrict
(1.9.0). A statutory duty is the law's too ("unless a statutory retention obligation applies", 1.24.0)."""
_DUTY = re.compile(
    r"\b(?:notif|inform(?!ation)|assist|help|support|provid(?!ers?\b)|allow|permit|ensur|make\s+available|delet|return|destr|"
    r"implement|maintain|process|forward|submit|cooperat|comply|impos|remain|obtain|give|bind|keep|follow|"
    r"enforc|establish|uphold|adopt|take|respect|observe|honou?r|guarantee|treat|train|entrust|report|"
    r"document|audit|inspect)\w*",
    re.IGNORECASE,
)
"""Duty verbs: in a sentence about the obligation, negating one of them negates the obligation."""
_LOOPHOLE = re.compile(
    r"\b(?:without(?!\s+(?:undue\s+)?delay)(?!\s+prejudice)(?!\s+limitation)"
    r"(?!\s+(?:a\s+|any\s+)?(?:breach|violation|infringement|contravention)\s+of\b)|other\s+than|otherwise\s+than|other\s+(?:[\w'’-]+\s+){1,2}?than|for\s+(?:its|their|his)\s+own|"
    r"for\s+any\s+(?:other\s+)?purpose|regardless\s+of|irrespective\s+of|whether\s+or\s+not|freely|at\s+will)\b",
    re.IGNORECASE,
)
"""After a permission, wording that escapes the obligation: "may engage sub-processors without notice",
"may appoint a sub-processor whether or not authorised", "may freely engage any sub-processor"; not "may include
(without limitation) transferring such data to ...", which lists (1.23.0), nor "may vary this Addendum ... to allow
transfers to continue without breach of the law", which complies (1.25.0)."""
_BROADENED = re.compile(r"\b(?:may|can|is\s+(?:free|entitled|permitted)\s+to)\s+not\s+only\b", re.IGNORECASE)
"""A permission widened past the obligation: "may not only process ... on instructions" (but
also otherwise). "shall not only ... but also" stays a duty."""
_NEW_CLAUSE = r"(?:[\w'’-]+\s+){0,4}?(?:shall|will|must|agrees?|undertakes?|is|are|has|have|does|do|remains?)\b"
_TURN = re.compile(rf",?\s(?:but|however|whereas)\b(?=,?\s+{_NEW_CLAUSE})", re.IGNORECASE)
_BOUNDARY = re.compile(rf"[;:]|[!?](?=\s|$)|(?<!\d\.\d)\.(?=\s*$|\s+(?-i:[^a-z]))|{_TURN.pattern}", re.IGNORECASE)
"""Where the scope of a negation ends: a clause or sentence end (not a dot before a lowercase word
or a clause label's dot, "will not be required to 3.2. notify": 1.9.0), or "but" / "however" /
"whereas" opening a new clause with its own verb ("... shall not be required to audit, but shall
make available ..."). A "but" that only inserts a qualification keeps the negation going: in
"shall not be required to promptly, but within 72 hours, notify" nothing after "but" has a verb
of its own before "notify", which is still what is not required; nor does a permission ("need
not, but may, delete"), which makes the duty an option rather than restoring it."""
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Contradiction:
    """What in a sentence negates or guts an obligation."""

    cue: str
    """The negating or discretionary wording, e.g. ``not be required to``."""
    negates: bool = True
    """False for a negation beside the obligation that takes nothing of it away but is no evidence of it
    either: a duty to check taken away ("not obliged to verify whether instructions are compliant"),
    disclosure banned ("under no circumstances make them available to third parties"), a classification
    ("does not engage them as sub-processors"). Such a sentence is neither evidence nor contradiction (1.9.0)."""


def _quoted(cue: str) -> str:
    """A cue as the explanation quotes it: a long one by its ends ("not be required, ... the Page, to")."""
    words = cue.split()
    return " ".join(words if len(words) <= CUE_WORDS else [*words[:3], "...", *words[-3:]])


def _clause_end(text: str, start: int) -> int:
    found = _BOUNDARY.search(text, start)
    return found.start() if found else len(text)


def _words_after(text: str, start: int, count: int) -> int:
    """The end offset of the ``count`` words after ``start``."""
    end = start
    for index, match in enumerate(_WORD.finditer(text, start)):
        if index >= count:
            break
        end = match.end()
    return end


def _governs(text: str, start: int, operative: Sequence[re.Pattern[str]]) -> bool:
    """An operative word within ``SCOPE_WORDS`` words after ``start``, in the same clause; or a
    duty verb there, when the obligation is not stated after the clause instead."""
    end = _clause_end(text, start)
    window = text[start : min(_words_after(text, start, SCOPE_WORDS), end)]
    if any(p.search(window) for p in operative):
        return True
    return _DUTY.search(window) is not None and not _stated_after(text, end, operative)


def _bans(text: str, start: int, restricts: Sequence[re.Pattern[str]]) -> bool:
    """The negation at ``start`` bans a restricted act: one of ``restricts`` within its next
    ``BAN_WORDS`` words and clause ("not process, transfer or disclose the data")."""
    if not restricts:
        return False
    window = text[start : min(_words_after(text, start, BAN_WORDS), _clause_end(text, start))]
    for pattern in restricts:
        act = pattern.search(window)
        # The act itself is what is not done ("not process, transfer"), not the object of
        # another verb ("does not ensure that any transfer ...").
        if act is not None and _NOT_THE_ACT.search(window[: act.start()]) is None:
            return True
    return False


_NOT_THE_ACT = re.compile(
    r"\b(?:ensure|procure|that|to|be|been|required|obliged|any|all|the|such|its)\b", re.IGNORECASE
)
"""Words that make what follows the object of another verb rather than the act negated."""


def _stated_after(text: str, end: int, operative: Sequence[re.Pattern[str]]) -> bool:
    """The obligation is named after a negation's scope ("not be required to permit inspections,
    but shall make available all information"): the negated duty verb is another obligation."""
    turn = _TURN.match(text, end)
    return turn is not None and any(p.search(text, turn.end()) for p in operative)


_AFFIRMATIVE_DUTY = re.compile(
    r"\b(?:shall|will|must|agrees?\s+to|undertakes?\s+to|commits?\s+to|(?:is|are)\s+(?:obliged|obligated|"
    r"required|bound)\s+to)\b(?!\s+(?:not|never|be\s+under\s+no)\b)"
    r"(?!\s+be\s+(?:entitled|permitted|allowed|free|authori[sz]ed)\b)(?!\s+have\s+the\s+right\b)",
    re.IGNORECASE,
)
_FREQUENCY = re.compile(
    r"(?<!no\s)\bmore\s+(?:often|frequently)\s+than\b|"
    r"(?<!no\s)\bmore\s+than\s+(?:once|twice|(?:one|two|three|four|\d+)\s+(?:times?|audits?|inspections?|requests?))\b",
    re.IGNORECASE,
)
"""How often, not whether: "Customer may not audit the Processor more than once annually" limits the audits the
controller may make and leaves them owed (1.19.0). Not "may not audit ... no more than once a year": the limit
"may audit no more than once" negated."""
_EXTENT = re.compile(
    r"\b(?:more\s+than|beyond|in\s+excess\s+of|exceeding|additional|directly|itself|themselves|"
    r"more\s+often|other\s+than)\b",
    re.IGNORECASE,
)
"""In a negation after the duty is stated, wording that limits its extent rather than taking it away
("need not allow more than one audit a year", "is not required to respond to them directly")."""


def _other_duty(text: str, cue: re.Match[str], scope_end: int, operative: Sequence[re.Pattern[str]]) -> bool:
    """Whether the negation ``cue`` (its clause ending at ``scope_end``) takes away another duty
    than the obligation. Only when the sentence already binds to the obligation (a duty modal and
    the whole concept) before the coordination that joins the negation to it; then a negation
    that only limits the extent ("; the Processor is under no obligation to allow more than one
    audit a year") takes nothing away; one that states the whole concept again does; one that
    does not is another duty when it is a predicate coordinated to the same subject ("The
    Processor shall notify the Controller of a breach, but is under no obligation to pay the
    costs of notification"), while a clause of its own ("...; no on-site audits will be
    permitted") still negates the sentence's obligation, as before 1.6.0."""
    joins = list(_COORDINATION.finditer(text, 0, cue.start()))
    if not joins:
        return False
    join = joins[-1]
    head, part = text[: join.start()], text[join.start() : scope_end]
    if _AFFIRMATIVE_DUTY.search(head) is None or not _addresses(head, operative):
        return False
    if _EXTENT.search(part) is not None:
        return True
    if _addresses(part, operative):
        return False
    between = text[join.end() : cue.start()].split()
    owed_thing = cue.group(0).lower() == "no"  # "no on-site audits": the cue names what is owed
    return join.group(0) != ";" and len(between) <= PREDICATE_WORDS and not owed_thing


PREDICATE_WORDS = 3
"""At most this many words between a coordination and a negation make the negation a predicate of
the same subject ("and is not obliged to", "but is under no obligation to")."""
_COORDINATION = re.compile(r"[,;]|\b(?:and|but|while|whereas|however)\b", re.IGNORECASE)


def _addresses(text: str, operative: Sequence[re.Pattern[str]]) -> bool:
    """``text`` names the obligation's operative concept (every pattern)."""
    return bool(operative) and all(p.search(text) for p in operative)


_LIFTED = re.compile(r"(?:not|never)\s+(?:[\w'’()-]+\s+){1,6}?(?:only|solely|exclusively)\b", re.IGNORECASE)
"""A restriction lifted: the negation stands on the "only" that confines the act ("will not process the
data only on instructions", "shall not be retained only as long as necessary"): the act is no longer
confined, whatever exception follows (1.9.0). "not only ... but also" adds to the duty instead."""
_ALSO = re.compile(r"\bbut\s+(?:[\w'’-]+\s+){0,3}?also\b", re.IGNORECASE)


def _lifted(text: str, cue: re.Match[str], operative: Sequence[re.Pattern[str]]) -> Contradiction | None:
    """The restriction the negation ``cue`` lifts, if it stands on an "only" in a clause that names
    the obligation ("shall not be retained only as long as necessary, and then destroyed")."""
    lifted = _LIFTED.match(text, cue.start())
    end = _clause_end(text, cue.start())
    if lifted is None or lifted.end() > end or _ALSO.search(text, lifted.end()):
        return None
    if not any(p.search(text, cue.start(), end) for p in operative):
        return None
    return Contradiction(" ".join(lifted.group(0).split()))


def _whole_sentence(text: str) -> Contradiction | None:
    """ "It is not agreed that ...": the whole statement negated."""
    whole = _WHOLE_SENTENCE.search(text)
    return Contradiction(" ".join(whole.group(0).split())) if whole is not None else None


def contradiction(
    text: str, operative: Sequence[re.Pattern[str]], restricts: Sequence[re.Pattern[str]] = ()
) -> Contradiction | None:
    """The wording in ``text`` that negates or guts the obligation ``operative`` names, if any.
    A negation cue right before an act in ``restricts`` bans the act ("shall not transfer the
    data"), which the obligation only allows under conditions: that is no contradiction."""
    if not _addresses(text, operative):
        return None
    as_written = text  # its colons kept: what a lead-in ending in its condition introduces is found by them
    text = joined_items(text)  # a lead-in's negation goes on into its item (1.17.0)
    whole = _whole_sentence(text)
    if whole is not None:
        return whole
    checks: list[tuple[int, int]] = []
    aside: Contradiction | None = None
    for cue in _STRONG.finditer(text):
        scope_end = _clause_end(text, cue.end())
        clause = text[cue.end() : scope_end]
        # The concept may also be the clause's subject: "Any transfer to a third country shall
        # not be required to ...".
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        subject = text[begin : cue.start()]
        if _AFFIRMED.search(subject) and re.match(_EXEMPT, cue.group(0), re.IGNORECASE):
            continue  # "shall not be released from its obligation to delete": still owed
        safeguard = re.match(_SAFEGUARD_NOT_APPLY, cue.group(0), re.IGNORECASE) is not None
        if safeguard and _PART_OF.search(subject):
            continue  # "Clause 7 of the SCCs shall not apply": an optional clause, the SCCs still do
        if _NOT_APPLY.search(cue.group(0)) and not _DUTY_NOUN.search(subject) and not safeguard:
            continue  # "Clause 7 shall not apply": no duty named as taken away
        if _other_duty(text, cue, scope_end, operative):
            continue
        if _OTHERS_DATA.match(clause):
            continue  # "shall not be obliged to provide access to customer data of other customers": a scope (1.21.0)
        if _PURPOSE_LIMIT.search(text, cue.end()):
            # "Nothing ... will require Google to allow access to: (v) any information ... sought for any reason other
            # than the good faith fulfilment of Customer's obligations": what the access is for, a scope (1.27.0).
            continue
        check = _CHECK.match(clause)
        if check is not None and (check.group(2) or not any(p.search(check.group(1)) for p in operative)):
            checks.append(cue.span())
            aside = aside or Contradiction(_quoted(cue.group(0)), negates=False)
            continue  # "shall not be obliged to verify whether instructions are compliant": a check, not the duty
        if any(p.search(clause) or p.search(subject) for p in operative):
            return Contradiction(_quoted(cue.group(0)))
        # A duty verb taken away negates the obligation the sentence is about, unless that
        # obligation is stated after the negation's scope ("not be required to permit
        # inspections, but shall make available all information").
        if _DUTY.search(clause) and not _stated_after(text, scope_end, operative):
            return Contradiction(_quoted(cue.group(0)))
    for cue in _CUE.finditer(text):
        if any(a <= cue.start() < b for a, b in checks):
            continue
        lifted = _lifted(text, cue, operative)
        if lifted is None and not _governs(text, cue.end(), operative):
            continue
        # "cannot control and has no obligation to verify what ...": through a duty to check only.
        check_next = [a for a, _ in checks if cue.end() <= a]
        if lifted is None and check_next and not _governs(text[: check_next[0]], cue.end(), operative):
            continue
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        before = text[begin : cue.start()]
        condition = " ".join(_INSERTED.sub(" ", before).split()[-CONDITION_WORDS:])
        if (
            _in_condition(condition)
            or _opens_condition(before)
            or _describes_destination(before)
            or _in_conditional_items(as_written, cue.start())
        ):
            continue
        if lifted is not None:
            if _negates_no_duty(text, cue, before, operative):
                continue
            return lifted
        rest = text[cue.end() : _clause_end(text, cue.end())]
        if _FREQUENCY.search(rest):
            continue  # "may not audit ... more than once annually": a limit on how often
        # The exception restricts the negated act itself: not one of a duty coordinated after it
        # ("will not notify ..., and will provide the information ... for its own notification").
        coordinated = _COORDINATED_DUTY.search(rest)
        restriction = rest[: coordinated.start()] if coordinated is not None else rest
        # The law's own exception ("unless retention is prescribed by law") restricts nothing.
        if _EXCEPTION.search(_LEGAL_EXCEPTION.sub(" ", restriction)):
            continue
        if _other_duty(text, cue, cue.end() + len(rest), operative):
            continue
        if _bans(text, cue.end(), restricts):
            continue
        end = _words_after(text, cue.end(), 3)
        if _negates_no_duty(text, cue, before, operative):
            if aside is None and (_DISCLOSURE_BAN.match(rest) or _CHARACTERISED.match(rest)):
                aside = Contradiction(" ".join(text[cue.start() : end].split()), negates=False)
            continue
        return Contradiction(" ".join(text[cue.start() : end].split()))
    for cue in _DISCRETION.finditer(text):
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        clause = text[begin : _clause_end(text, cue.end())]
        if cue.group(0).lower() != "indefinitely" and _controllers_own(text[begin : cue.start()]):
            continue  # "The Controller is entitled to audit ... at its discretion": the controller's choice
        if _FOR_COMPLIANCE.search(clause, cue.end() - begin):
            continue  # "reserves the right to amend the DPA by replacing the SCCs ... to ensure continued compliance"
        if _CHOICE.match(text, cue.end()):
            continue  # "at its sole discretion, either not appoint it or let Customer terminate": which, not whether
        if _RESERVED.match(cue.group(0)) and _PAID.match(text, cue.end()):
            continue  # "provided that it reserves the right to reimbursement of its costs": a price, the duty stays
        if _UPDATED.search(text, begin, cue.start()) and _NOT_DEGRADED.search(text, cue.end()):
            continue  # "may update the measures at its discretion, provided ... no degradation": the duty kept
        if cue.group(0).lower() == "indefinitely" or any(p.search(clause) for p in operative):
            return Contradiction(" ".join(cue.group(0).split()))
    for cue in _GUTTING.finditer(text):
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        if any(p.search(text[begin : _clause_end(text, cue.end())]) for p in operative):
            # "reasonable efforts to ... where commercially practicable": both ends of a long span.
            return Contradiction(_quoted(cue.group(0)))
    for cue in _BROADENED.finditer(text):
        # The concept after the cue, or as the clause's subject ("Transfers to third countries may not only
        # occur with the Controller's consent", 1.21.0).
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        if any(
            p.search(text[cue.end() : _clause_end(text, cue.end())]) or p.search(text[begin : cue.start()])
            for p in operative
        ):
            return Contradiction(" ".join(cue.group(0).split()))
    for cue in _PERMISSION.finditer(text):
        rest = text[cue.end() : _clause_end(text, cue.end())]
        exception = _LOOPHOLE.search(rest)
        if exception is None:
            continue
        if _CONFINED.search(rest[: exception.start()]) or _CUE.search(rest[: exception.start()]):
            # "may process ... solely to the extent necessary ..., and may not otherwise process ... for
            # purposes other than ...": the exception is the confinement's or the ban's, no loophole (1.10.0).
            continue
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        if _controllers_own(text[begin : cue.start()]):
            continue  # "The Customer may terminate without penalty": the controller's right, no loophole
        if _loophole_of(text[begin : cue.start()], rest, exception, operative):
            end = cue.end() + exception.end()
            return Contradiction(" ".join(text[cue.start() : end].split()))
    return aside


_RELATIVE = re.compile(
    r"\b(?:that|which|who|whom)\s+(?:(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|may|might|"
    r"shall|should|must)\b\s*)?$",
    re.IGNORECASE,
)
"""Right before a negation, a relative pronoun (and an auxiliary): the negation describes a noun ("drives
that cannot be securely deleted shall be destroyed", "subcontractors who do not process exclusively in the
EU", "a country which is not subject to an adequacy decision"), it negates no duty. A complement clause
has its own subject first ("ensure that it does not")."""
_PREPOSITIONAL_RELATIVE = re.compile(
    r"\b(?:of|in|for|to|with|by|under|on|from|through|about)\s+(?:which|whom)\b[^,;:.]{0,120}$", re.IGNORECASE
)
"""Before a negation, a relative clause opened by a preposition, with its own subject: "rights in respect of which
the controller's obligations are not performed by the processor", "data to which the Processor does not have
access": the negation describes a noun (1.18.0)."""
_REDUCED_RELATIVE = re.compile(
    r"(?<![\w'’-])(?!(?:does|do|did|is|are|was|were|be|been|being|has|have|had|shall|will|would|should|may|might|must|"
    r"can|could|need|and|or|but|to|it|they|we|he|she|you|if|where|when|whether|that|which|who)\b)[\w'’-]+\s+$",
    re.IGNORECASE,
)
_PARTICIPLE = re.compile(r"\s+(?:described|covered|listed|specified|mentioned|referred|included|addressed|governed)\b")
"""A noun, "not" and a participle of description: "European Data not described in this DPA" (1.9.0)."""
_DESTINATION = re.compile(
    r"^(?:\s+[\w'’-]+){0,8}?\s+(?:adequacy\s+(?:decisions?|determinations?|regulations?|findings?|rulings?)|"
    r"adequate\s+(?:level\s+of\s+)?(?:data\s+)?protection)\b",
    re.IGNORECASE,
)
"""After a negation, the adequacy of a third country ("a territory for which the Commission has not issued an
adequacy decision", "the transfer is not governed by an adequacy decision", "a country not providing adequate
protection"): Chapter V describing a destination, no duty negated (1.9.0)."""
_DISCLAIMER = re.compile(
    r"^\s+(?:(?:be|been|being)\s+)?(?:construed|deemed|interpreted|considered|regarded|treated|understood)\b|"
    r"^\s+(?:(?:be|constitute|amount\s+to)\s+)?an?\s+(?:admission|acknowledge?ment|waiver|assumption|"
    r"concession)\b",
    re.IGNORECASE,
)
"""After a negation, how a statement is to be read: "Vendor's notification of a Security Incident shall not be
construed as an acknowledgement of fault", "Notification is not an admission of liability", "ancillary services
are not considered subcontracting": no duty negated (1.9.0)."""
_SCOPE = re.compile(
    r"^\s+(?:(?:apply|applies|extend|extends|relate|relates)\s+(?P<to>to)\b|(?:(?:apply|applies|be\s+applicable|"
    r"applicable)\s+(?:where|when|if|as|because|in\s+(?:case|the\s+event)|to\s+the\s+extent)\b))",
    re.IGNORECASE,
)
_MANNER = re.compile(r"^\s+(?:unreasonably|unduly|excessively|materially|disproportionately)\b", re.IGNORECASE)
"""After a negation, a manner ("audits shall not unreasonably interfere with the Processor's business"): only
that manner is banned (1.9.0)."""
_CEASED = re.compile(
    r"^(?:\s+\w+ly)?\s+(?:process|use)\w*\b[^.;:]{0,80}?\b(?:anymore|any\s+more|any\s+longer)\b|"
    r"^\s+(?:anticipate|expect|foresee|envisage)\w*\b",
    re.IGNORECASE,
)
"""After a negation, processing ceased ("will not actively process the personal data transferred anymore")
or what the parties do not expect ("The parties do not anticipate the transfer of special categories"): no
duty negated (1.9.0)."""
_CHARACTERISED = re.compile(
    r"^\s+(?:engage|treat|regard|consider|classify|designate|qualify)\w*\s+(?:[\w'’-]+\s+){1,3}?as\b", re.IGNORECASE
)
"""After a negation, what something is not taken as ("does not engage them as Sub-processors": they are
independent controllers): a classification, no duty negated (1.9.0)."""
_CLASSIFIED = re.compile(
    r"^\s+(?:(?:deemed|considered|regarded\s+as|treated\s+as)\s+)?(?:an?\s+|the\s+|our\s+|its\s+|their\s+)?"
    r"(?:sub-?\s?processors?|(?:data\s+)?processors?|(?:data\s+)?controllers?)\b",
    re.IGNORECASE,
)
_PURPOSE_BAN = re.compile(
    r"^\s+(?:(?:use|process|exploit)\w*\b[^.;:]{0,160}?\b(?:to\s+(?:train|fine-tune|sell|market|advertise|profile)|"
    r"for\s+(?:the\s+purposes?\s+of\s+)?(?:training|marketing|advertising|profiling|its\s+own))\b|"
    r"(?:sell|rent|lease|share)\w*\s+(?:any\s+)?(?:California\s+|Colorado\s+)?(?:personal|customer|consumer)\b|"
    r"for\s+(?:its|our|their)\s+own\s+purposes?\b)",
    re.IGNORECASE,
)
"""After a negation, a use banned for a purpose ("does not use Customer Personal Data ... to train ... any AI model
owned by X or any AI Sub-processor", "does not process personal data for its own purposes") or the data not sold
(the CCPA's "Organization does not sell California Personal Information to X"): a ban that keeps the processing to
its purpose, no duty negated, whatever else the sentence names (1.23.0); the purpose alone after the cue ("only on
its documented instruction ... and never for our own purposes", 1.24.0)."""
_LAW_SAYS = re.compile(
    r"\b(?:laws?|legislation|regulations?|GDPR|directive|act)\s+(?:does|do|shall|will|would)\s*$", re.IGNORECASE
)
"""A law as the subject of a negation: what the law does not require is no duty of a party negated."""
_INSTRUCTION_IS = re.compile(r"\binstructions?\s+(?:does|do|would|will|may|is|are)\s*$", re.IGNORECASE)
"""An instruction as the subject of a negation ("an Instruction does not comply with the GDPR")."""
_COMPLY = re.compile(r"\s*comply\s+with\b", re.IGNORECASE)
_COPULA = re.compile(r"\b(?:is|are|be|been|being)\s*$", re.IGNORECASE)
"""After a copula and a negation, the role something does not have ("Those providers ... are not subprocessors
of the Company", "is not a sub-processor"): a classification, as :data:`_CHARACTERISED`, no duty negated (1.21.0)."""
_BOUND_PARTY = re.compile(
    r"\b(?:it|us|we|them|the\s+(?:processor|supplier|vendor|(?:service\s+)?provider|contractor|data\s+importer)s?)\b"
    r"(?!['’]s)",
    re.IGNORECASE,
)
"""What a "does not apply to" must name to take the duty away: the party bound ("shall not apply to the
Processor"); anything else is the duty's scope ("does not apply to anonymised data", "do not extend to the
Processor's payroll records")."""
_PROVISION_POINTED = re.compile(
    r"\b(?:this|that|such|the\s+(?:foregoing|above|preceding))\s+(?:provision|requirement|obligation|paragraph|"
    r"sub-?section|section|clause|sentence)\s+(?:shall|will|does|do|would)\s*$",
    re.IGNORECASE,
)
"""Before a "does not apply to", a provision pointed at: the duty whose scope is limited is that provision's, not the
one its scope names ("This provision shall not apply to data transferred (copied) to Receiving Controllers", said of
deletion, negates no transfer term, 1.23.0)."""
_DISCLOSURE_BAN = re.compile(
    r"^(?:\s+[\w'’-]+){0,2}?\s+(?:disclos\w*|divulg\w*|reveal\w*|leak\w*|shar(?:e|es|ed|ing))\b|"
    r"^[^.;:]{0,60}?\b(?:(?:to|with)\s+(?:any\s+)?(?:other\s+)?(?:third[\s-]+part(?:y|ies)|anyone|any\s+(?:other\s+)?"
    r"(?:person|party|one))|(?:give|grant|allow|permit)\w*\s+(?:any\s+)?third[\s-]+part(?:y|ies)\s+access)\b",
    re.IGNORECASE,
)
"""After a negation, disclosure to others banned ("shall not disclose any of the records reviewed", "are kept
confidential and not shared among personnel", "under no circumstances make them available to third parties",
"will not give any third party access"): confidentiality, which no requirement's duty is the opposite of (1.9.0)."""
_PURPOSE_LIMIT = re.compile(r"\bfor\s+any\s+(?:reason|purpose)s?\s+other\s+than\b", re.IGNORECASE)
"""After a duty taken away, the purpose the duty is confined to ("... for any reason other than ...", 1.27.0)."""
_OTHERS_DATA = re.compile(
    r"^(?:\s+[\w'’-]+){0,5}?\s+access\s+to\s+(?:(?:any|the)\s+)?(?:(?:(?:personal|customer|client)\s+)?(?:data|information|systems?|"
    r"premises)\s+(?:of|belonging\s+to)\s+(?:any\s+)?other\s+(?:customers?|clients?|tenants?|controllers?)\b|other\s+"
    r"(?:customers?|clients?|tenants?|controllers?)['’]?s?['’]?\s+(?:personal\s+)?(?:data|information|systems?))",
    re.IGNORECASE,
)
"""After a negation, another customer's data kept out of reach ("Audits will not permit access to other customers'
data", "shall not be obliged to provide access to customer data of other customers", 1.21.0): the audit's scope,
protecting the processor's other controllers; no duty negated (1.10.0)."""
_RETENTION_BAN = re.compile(
    r"^(?:\s+(?:be\s+)?(?:entitled|permitted|allowed|authori[sz]ed)\s+to|(?:\s+[\w'’-]+){0,1}?)\s+"
    r"(?:retain\w*|stor(?:e|es|ed|ing))\b(?!\s+as\b)(?:\s+[\w'’-]+){0,4}?\s+(?:data|copies|records|information)\b",
    re.IGNORECASE,
)
"""After a negation, keeping the data banned ("shall not retain any personal data after termination", "is not
entitled to retain a copy of Personal Data": 1.18.0): a storage limit, what the deletion duty owes, not its
negation; not "may not be retained as sub-processors" (1.9.0)."""
_LIABILITY = re.compile(
    r"^\s+(?:(?:assume|accept|bear|take|undertake)\s+(?:any\s+|all\s+)?(?P<assumed>liability|responsibility)\b|"
    r"(?:(?:be|been|being)\s+)?(?:held\s+)?(?:(?P<who>liable)\b|(?P<what>responsible|accountable)\s+for(?:\s+[\w'’-]+){0,4}?\s+"
    r"(?:loss\w*|damage\w*|incidents?|breach\w*|acts?|omissions?|failures?|consequences?|claims?|costs?|caused|"
    r"arising|resulting|delays?)\b))",
    re.IGNORECASE,
)
"""After a negation, liability disclaimed ("shall not be liable for any security incident caused by the
Customer", "is not responsible for losses caused by ..."): a disclaimer beside a duty takes away only a duty
to be liable (1.9.0)."""
_THIRD_PARTY_PRODUCT = re.compile(
    r"\s+(?:for|of|in\s+respect\s+of|with\s+respect\s+to)\s+(?:[\w'’-]+\s+){0,3}?third[\s-]+part(?:y|ies)['’]?s?\s+"
    r"(?:services?|software|products?|websites?|sites?|content|applications?|apps|platforms?|integrations?|tools?|"
    r"links?|add-?ons?|plug-?ins?)\b(?!\s+(?:providers?|vendors?))",
    re.IGNORECASE,
)
"""After a liability disclaimer, the things it disclaims: a third party's services, software or websites that the
customer chooses to use ("We do not assume any liability for such Third-Party services or software"), no processor
engaged by the processor; "not liable for its sub-processors" or "for third-party service providers" still negates
(1.10.0)."""
_AUTOMATED_DECISIONS = re.compile(
    r"^\s+to\s+be\s+subject(?:ed)?\s+to\s+(?:a\s+decision|decisions|automated|individual\s+automated|profiling)\b",
    re.IGNORECASE,
)
"""Art. 22's right named by itself, also without "right" before it ("the rights of: ... 4. Not to be subject to
automated individual decisions", 1.18.0)."""
_RIGHT_NAMED = re.compile(r"\brights?\s+$", re.IGNORECASE)
"""Before "not", a right's name ("the right not to be subject to a decision based solely on automated processing",
Art. 22): the data subject's right, no duty negated (1.10.0)."""
_REFUSAL = re.compile(r"(?:may|can|is\s+(?:free|entitled|permitted)\s+to|free\s+to)\s|(?:refuses?|declines?)\s", re.I)
"""A refusal cue of :data:`_CUE`; by the controller it is its right to object, no negation (1.9.0)."""
_OWED = re.compile(
    r"^\s+(?:[\w-]+\s+){0,2}?(audits?|inspections?|visits?|access|notice|notification|assistance|copies|deletion|"
    r"return|information)\b",
    re.IGNORECASE,
)
"""The thing "no" denies (as :data:`_CUE` reads it): what is owed only when it is the obligation's concept ("no
on-site inspections", not "No Sensitive Personal Information is to be transferred" for transfers: 1.9.0)."""
_BROADENING = re.compile(r"\bbut\s*$", re.IGNORECASE)
_BROADENED_ITEM = re.compile(r"^\s+(?:exclusively|solely|only|just|merely|necessarily|limited)\b", re.IGNORECASE)
""""particularly but not exclusively": an example, not a negation."""
_LEADING_EXCEPTION = re.compile(
    r"(?:^|[.!?;:)]\s+|\*\*\s*)(?-i:Unless|Except|Save|Without|Other\s+than)\b[^.;:!?]{1,200}?,", re.IGNORECASE
)
"""A sentence that opens with an exception ("Unless it receives Client's prior written consent, Keboola will not
give any third party access"): the negation after it is a restriction, as with the exception after it (1.9.0)."""
_CONTROLLERS_SAY = re.compile(
    r"\b(?:instruct\w*|consent\w*|authori[sz]\w*|approv\w*|agree\w*|permission|request\w*)\b", re.IGNORECASE
)
"""What an opening exception must name to restrict the ban after it: the controller's say ("Unless it
receives Client's prior written consent"), not the law's ("Other than to the extent required by law, the
Processor will not delete")."""
_CONTROLLER_OPENS = re.compile(
    r"^\W*(?:[\d.()a-z]{1,6}\s+)?(?:[^,;:]{0,60},\s*){0,2}(?:the\s+)?(?:controllers?|customers?|clients?|you|"
    r"data\s+exporters?)\b(?!['’]s)",
    re.IGNORECASE,
)
_CONTROLLER_RIGHT_NEXT = re.compile(
    r"(?:^|[,;]\s*|\b(?:or|and)\s+)(?:then\s+)?(?:the\s+|any\s+|such\s+|an?\s+)?(?:(?:controllers?|customers?|clients?|you|"
    r"data\s+exporters?)|(?:on-?\s?site\s+)?(?:audits?|inspections?))\s*$",
    re.IGNORECASE,
)
_CONTROLLER_PURPOSE = re.compile(
    r"\b(?:so\s+that|in\s+order\s+that|to\s+(?:enable|allow|permit)|enabling|allowing)\s+(?:the\s+)?(?:controllers?|"
    r"customers?|clients?|you|data\s+exporters?)\b[^.;:]*$",
    re.IGNORECASE,
)
"""A purpose clause whose subject is the controller ("will inform the Controller in advance, so that the
Controller can take such actions as they deem appropriate"): the choice in it is the controller's (1.18.0)."""
_PROCESSOR_ACTS = re.compile(
    r"\b(?:that|processors?|suppliers?|vendors?|(?:service\s+)?providers?|contractors?|data\s+importers?|we)\b"
    r"(?:\s+[\w'’-]+){0,2}?\s+(?:shall|will|must|may|can|is|are|has|have|agrees?|undertakes?)\b|\bthat\b",
    re.IGNORECASE,
)


def _controllers_own(subject: str) -> bool:
    """Whether the clause before a permission or a discretion (``subject``) makes the controller its subject
    ("The Customer may terminate without penalty", "The Controller is entitled to verify ... at its
    discretion", "If the Processor cannot offer a change, the Customer may terminate", "either X will not engage the
    Sub-Processor or the Customer may elect to terminate ... without liability", 1.23.0), or the controller's
    audit ("In special cases, the audit may be conducted without prior notice"): then it is the
    controller's right or choice, no loophole of the processor's (1.9.0)."""
    if _CONTROLLER_RIGHT_NEXT.search(subject) is not None or _CONTROLLER_PURPOSE.search(subject) is not None:
        return True
    return _CONTROLLER_OPENS.match(subject) is not None and _PROCESSOR_ACTS.search(subject) is None


COMPARED_WORDS = 16
"""A permission's "other than ..." governs this many words: what it is compared with (1.10.0)."""
_COMPARISON = re.compile(r"\bthan$", re.IGNORECASE)
_AFTER_CONDITION = re.compile(r"\b(?:if|where|when|unless|provided|in\s+(?:case|the\s+event))\b", re.IGNORECASE)


def _loophole_of(subject: str, rest: str, exception: re.Match[str], operative: Sequence[re.Pattern[str]]) -> bool:
    """Whether a permission's exception (``exception`` in ``rest``, the clause after the modal) escapes the
    obligation: the permission's own subject (after an introductory phrase), its verb phrase and the words
    the exception governs, up to a condition, name the whole concept ("may engage sub-processors without
    notice", "may process personal data other than on instructions"); not "the audit may be conducted without
    prior notice" for breach notification, nor "may terminate without notice if a serious breach occurs"
    (1.9.0)."""
    after = rest[exception.end() :]
    # A comparison's other side is often a whole relative clause ("in any other manner than what is agreed
    # in this DPA and on documented instructions"): read it to its end, within the clause (1.10.0).
    words = COMPARED_WORDS if _COMPARISON.search(exception.group(0)) else SCOPE_WORDS
    after = after[: _words_after(after, 0, words)]
    condition = _AFTER_CONDITION.search(after)
    if condition is not None:
        after = after[: condition.start()]
    return _addresses(" ".join((subject.split(",")[-1], rest[: exception.end()], after)), operative)


def _negates_no_duty(text: str, cue: re.Match[str], before: str, operative: Sequence[re.Pattern[str]]) -> bool:
    """Whether a negation word (``cue``, after ``before`` in its clause) negates no duty: it describes a noun
    in a relative clause or a third country's adequacy, says how a statement is to be read, limits a duty's
    scope, bans disclosure, disclaims liability, says what a law does not require (1.22.0), gives an example
    ("but not exclusively"), names something else than what is owed ("No Sensitive Personal Information is
    transferred"), or follows an exception that opens the sentence. Each is ordinary drafting around a duty
    that is met (1.9.0)."""
    word = cue.group(0).lower()
    after = text[cue.end() : _clause_end(text, cue.end())]
    if _REFUSAL.match(word) and _controllers_own(before):
        return True  # "The client can reject subcontractors": the controller's right to object
    if word != "no" and (_RELATIVE.search(before) or _PREPOSITIONAL_RELATIVE.search(before)):
        return True
    if word == "not" and (_RIGHT_NAMED.search(before) or _AUTOMATED_DECISIONS.match(after)):
        return True  # "its right not to be subject to automated decision-making": a right's name
    if word == "not" and _REDUCED_RELATIVE.search(before) and _PARTICIPLE.match(after):
        return True
    if _DESTINATION.match(after) or _DISCLAIMER.match(after):
        return True
    scope = _SCOPE.match(after)
    if scope is not None:
        if scope.group("to") is None:
            return True  # "This provision does not apply where Customer is a competitor"
        named = after[scope.end() :][: _words_after(after[scope.end() :], 0, SCOPE_WORDS)]
        if _BOUND_PARTY.search(named) is None and not _addresses(named, operative):
            return True
        if _PROVISION_POINTED.search(before):
            return True  # "This provision shall not apply to data transferred to ...": the scope of another duty
    if _MANNER.match(after) or _CHARACTERISED.match(after) or _CEASED.match(after):
        return True
    if word in {"not", "never"} and _PURPOSE_BAN.match(after):
        return True
    if word == "not" and _COPULA.search(before) and _CLASSIFIED.match(after):
        return True
    if word == "not" and (_LAW_SAYS.search(before) or (_INSTRUCTION_IS.search(before) and _COMPLY.match(after))):
        # What the law does not require ("the GDPR does not require the SCCs for transfers to an adequate
        # country"), an instruction that does not comply with it (the warning's condition), 1.22.0.
        return True
    if _DISCLOSURE_BAN.match(after) or _RETENTION_BAN.match(after) or _OTHERS_DATA.match(after):
        return True
    liable = _LIABILITY.match(after)
    if liable is not None and _THIRD_PARTY_PRODUCT.match(after, liable.end()):
        return True  # "does not assume any liability for Third-Party services": no processor engaged
    said = liable and (liable.group("who") or liable.group("what") or liable.group("assumed"))
    if said and not any(p.search(said) for p in operative):
        return True
    if _BROADENING.search(before) and _BROADENED_ITEM.match(after):
        return True
    owed = _OWED.match(after) if word == "no" else None
    if owed is not None and not any(p.search(owed.group(0)) for p in operative):
        return True
    leading = [m for m in _LEADING_EXCEPTION.finditer(text, 0, cue.start())]
    if leading and re.search(r"[.!?](?=\s|$)", text[leading[-1].end() : cue.start()]) is None:
        return _CONTROLLERS_SAY.search(leading[-1].group(0)) is not None
    return False


_GRANT = re.compile(
    r"\b(?:(?:may|can)(?!\s+not\b)(?!\s+only\b)|"
    r"(?:is|are|shall\s+be|will\s+be)\s+(?:free|entitled|permitted|allowed|authori[sz]ed)\s+to|"
    r"(?:reserves?|has|have|retains?)\s+the\s+right\s+to|"
    r"(?:is|are|shall\s+not\s+be|will\s+not\s+be)\s+not\s+(?:prohibited|restricted|precluded|prevented|barred)\s+from|"
    r"(?:is|are)\s+not\s+(?:prohibited|restricted|precluded|prevented|barred)\s+from|"
    r"nothing\b[^.;:]{0,80}?\b(?:prevents?|prohibits?|restricts?|precludes?|limits?)\b)",
    re.IGNORECASE,
)
"""Wording that allows an act: "may sell", "is entitled to combine", "is not prohibited from
selling", "reserves the right to share", "nothing in this addendum prevents ... from selling"."""
_FORBIDS = re.compile(
    r"\b(?:not|never|no|nor|neither|cannot|prohibit\w*|forbid\w*|refrain\w*|barred|only|solely|exclusively|"
    r"except|limited\s+to|restrict\w*)\b|n't\b",
    re.IGNORECASE,
)
"""Wording that forbids or confines an act: without it, naming a forbidden act meets no prohibition."""


_CONFINED = re.compile(r"\b(?:only|solely|exclusively|strictly)\b", re.IGNORECASE)
"""A permission confined to something ("may use it only for the services") restricts the act."""


def forbids(text: str) -> bool:
    """Whether ``text`` has wording that could forbid or confine an act."""
    return _FORBIDS.search(text) is not None


def permission(text: str, operative: Sequence[re.Pattern[str]]) -> Contradiction | None:
    """The wording in ``text`` that allows the act a prohibition forbids (``operative`` names
    the act), if any: "Provider may sell personal information", "is not prohibited from
    combining", "It is not agreed that Provider shall not sell", or a prohibition handed back to
    the provider's discretion ("shall not sell ... unless it decides otherwise")."""
    if not _addresses(text, operative):
        return None
    text = joined_items(text)  # "may: (a) sell" permits the act as "may sell" does (1.17.0)
    whole = _whole_sentence(text)
    if whole is not None:
        return whole
    for grant in _GRANT.finditer(text):
        before = text[max((m.end() for m in _BOUNDARY.finditer(text, 0, grant.start())), default=0) : grant.start()]
        if _CONDITION.search(" ".join(before.split()[-CONDITION_WORDS:])):
            continue
        scope = text[grant.end() : _clause_end(text, grant.end())]
        window = scope[: _words_after(scope, 0, SCOPE_WORDS) or len(scope)]
        if _CUE.search(window) is not None or _CONFINED.search(scope) is not None:
            continue  # "may never sell", "may keep and use it only for the services": still forbidden
        if any(p.search(window) for p in operative[:1]) and all(p.search(scope) for p in operative):
            end = grant.end() + _words_after(scope, 0, 3)
            return Contradiction(" ".join(text[grant.start() : end].split()))
    for cue in _DISCRETION.finditer(text):
        if cue.group(0).lower() == "indefinitely":
            continue
        begin = max((m.end() for m in _BOUNDARY.finditer(text, 0, cue.start())), default=0)
        if all(p.search(text[begin : _clause_end(text, cue.end())]) for p in operative):
            return Contradiction(" ".join(cue.group(0).split()))
    return None


_BARE = re.compile(r"(?:not|never|no|cannot|neither|nor)\b|n't\b", re.IGNORECASE)
"""A cue that is only a negation word before a verb ("not modify or delete", "no on-site audits")."""
_REQUIRED = re.compile(r"(?:not|never)\s+(?:be\s+)?(?:required|obliged|obligated|bound|committed)\b", re.IGNORECASE)
"""The opening of a duty taken away, also when a long cue is quoted by its ends ("not be required,
... the Page, to")."""


def duty_taken_away(text: str) -> bool:
    """Whether ``text`` takes a duty away in so many words anywhere ("need not implement the measures
    described in Annex 4", "is not required to ..."): such a sentence negates a duty though it also
    points to another document (1.9.0)."""
    return _STRONG.search(text) is not None


def negation_word(text: str) -> bool:
    """Whether ``text`` holds a negation cue at all ("not", "never", "no obligation" ...): a cheap test
    before :func:`contradiction` reads where it stands (1.10.0)."""
    return _CUE.search(text) is not None


def takes_duty_away(cue: str) -> bool:
    """Whether a :class:`Contradiction`'s ``cue`` takes the duty away in so many words ("not be
    required to", "does not undertake to", "need not", "is exempt from"), hands it to the
    processor's discretion, guts it by a qualifier, or negates the whole statement; not a bare
    negation word before a verb ("does not modify or delete", "a country that does not provide"),
    which may as well restrict an act or describe a fact."""
    return (
        _BARE.match(cue) is None
        or _STRONG.match(cue) is not None
        or _REQUIRED.match(cue) is not None
        or _LIFTED.fullmatch(cue) is not None
    )


def prevailing_negations(
    duty: Duty | None, negating: Sequence[tuple[str, float, str]], meeting: Sequence[tuple[str, float]]
) -> list[int]:
    """Which of the sentences that negate a requirement (``negating``: text, score and cue)
    outweigh those that meet it (``meeting``: text and score), by index; none when they do not.
    They outweigh them when they take the requirement's own ``duty`` away (:func:`takes_duty_away`;
    their main clause carries the duty, :mod:`.duty`) and every sentence that meets the
    requirement either carries no such duty (a neighbouring sentence that only names the topic:
    "Backups are encrypted and rotated") or reads less like the requirement than the negation does
    (the requirement's own statement negated, a side remark left). A narrow exception elsewhere
    ("need not delete copies held in backups") reads less like the requirement than its main
    statement, which leaves it met."""
    if duty is None or not negating or not meeting:
        return []
    own = [
        index
        for index, (text, _, cue) in enumerate(negating)
        if takes_duty_away(cue) and duty.name in carried(text, (duty,))
    ]
    if not own:
        return []
    strongest = max(negating[index][1] for index in own)
    if any(duty.name in carried(text, (duty,)) and score > strongest for text, score in meeting):
        return []
    return own
