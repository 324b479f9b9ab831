"""Does a sentence describe the processing, or only name its words? (analyzer 1.9.0)

Art. 28(3)'s first sentence asks the contract to *set out* the subject matter, duration, nature
and purpose of the processing, the type of personal data and the categories of data subjects: a
description, usually an annex ("Categories of data subjects: the Customer's employees"), a
paragraph whose subject is the processing or the data ("The processing concerns ...", "Personal
data will be processed for the duration of the Agreement"), or the processor's processing with
its purpose ("The Processor will process the data for the purpose of providing the Service").
Many other sentences of a DPA name the same words and describe nothing:

- **a role statement**: who is controller and who is processor ("The parties agree that the
  Customer is the controller and the Supplier is its processor in relation to data processed in
  the course of the services", "You may act as either the Controller or Processor", "Role:
  Controller", "determines the purposes and means of processing");
- **another duty**: the sentence's main clause carries a duty of another requirement or one of the
  playbook's other duties (:mod:`.duty`: "Any such sub-processors will be permitted to process
  data only to deliver the services", "The Processor shall maintain a record of all categories of
  processing activities"), unless that duty is itself an element of the description (the
  duration), the sentence lists processing operations ("collection, recording, storage, ...,
  erasure": the nature, not the duty to delete) or it states the purpose the data is processed
  for ("shall process personal data solely for the purpose of providing the Services");
- **a duty to do something else**: a party bound (shall, must, will, undertakes to ...) to an act
  that is not processing the data, or bound not to process it ("The Processor will grant access
  to its personnel only to the extent necessary for the Service", "shall not retain personal data
  longer than is necessary for the purposes"): the processing is only named on the way;
- **the controller's own responsibility or warranty** ("The Client alone is responsible for the
  type and structure of the data", "You warrant that you can lawfully process the data");
- **the legal basis** of the processing ("The legal basis for processing under this DPA is the
  performance of a contract ..."): why processing is lawful, not what it is;
- **a continuation** ("This includes ...", "These may include ...") of a sentence that is none of
  the above is read with it: it describes only when its antecedent does.

Nothing here knows a particular document: the cues are Art. 28(3)'s list and ordinary drafting.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from assay.analysis.analyzers.contract_review.duty import Duty, carried
from assay.analysis.analyzers.contract_review.obligation import non_binding
from assay.analysis.analyzers.contract_review.sentence_kind import SENTENCE_START, is_definition

_ROLE = re.compile(
    r"\b(?:is|are|acts?|acting|be|serves?|serving|remains?)\s+"
    r"(?:(?:also|only|solely|hereby|deemed|considered|regarded|designated|appointed|acting|to|be)\s+){0,3}"
    r"(?:as\s+)?(?:either\s+)?"
    r"(?:the\s+|a\s+|an\s+|its\s+|their\s+|our\s+|your\s+)?(?:independent\s+|separate\s+|sole\s+|joint\s+)?"
    r"(?:data\s+)?(?:controllers?|processors?|sub-?\s?processors?|service\s+providers?)\b(?!['’])"
    r"|\brole\s*:\s*(?:the\s+|a\s+)?(?:data\s+)?(?:controller|processor)"
    r"|\bdetermines?\s+(?:alone\s+or\s+jointly\s+with\s+others\s+)?the\s+purposes?\s+and\s+(?:the\s+)?means\b"
    r"|\bfor\s+(?:its|his|her|their|our|your)?\s*own\s+(?:business\s+)?purposes?\b"
    r"|\bas\s+(?:an?\s+|the\s+)?(?:independent\s+|separate\s+)?(?:data\s+)?controllers?\b(?!\s+to\s+processor)",
    re.IGNORECASE,
)
"""Who is controller or processor ("the Customer is the data controller", "acts as an Independent
Controller", a form's "Role: Controller"), the controller's definition ("determines the purposes
and means of processing") or its mark ("processes data for its own purposes")."""
_MODAL = re.compile(
    r"\b(?:shall|must|will|undertakes?\s+to|agrees?\s+to|commits?\s+to|(?:is|are)\s+(?:obliged|obligated|required|"
    r"bound)\s+to)\b"
    r"(?:\s*,[^,]{1,120},)?"  # a parenthesis: "We shall, on your behalf and ..., retain"
    r"(?:\s*:\s*(?:\(?(?:\d{1,2}(?:\.\d{1,2})*|[a-z]{1,4})[.)]\s+)?)?"  # a lead-in's colon and its item's label
    r"((?:\s+(?:also|only|solely|exclusively|not|never|\w+ly))*)\s*(?:be\s+)?([a-z]*)",
    re.IGNORECASE,
)
"""A party bound to an act: the words between the duty and the act (group 1, adverbs and a
negation) and the act (group 2; after "be", its participle: "will be processed")."""
_PROCESSING_ACT = re.compile(
    r"^(?:process\w*|us(?:e|es|ed|ing)|handl\w*|collect\w*|receiv\w*|stor(?:e|es|ed|ing)|host\w*|retain\w*|"
    r"transferr?\w*|kept|subject|carried|last\w*|continu\w*|appl(?:y|ies|ied)|remain\w*|terminat\w*|end|ends|"
    r"expir\w*|cover\w*|includ\w*|concern\w*|consist\w*|compris\w*|relat\w*|involv\w*|limited|describ\w*|"
    r"specifi\w*|determin\w*|defin\w*)$",
    re.IGNORECASE,
)
"""Acts that are the processing itself or say what it is or how long it lasts ("will process",
"will be processed", "shall last", "will include", "shall apply ... as long as"), or that describe
it ("shall be described / specified / determined by the Client")."""
_NEGATED = re.compile(r"\b(?:not|never)\b", re.IGNORECASE)
_OPERATION = re.compile(
    r"\b(?:collect|record|organi[sz]|structur|stor(?:e|ed|age|ing)\b|adapt|alter|retriev|consult|disclos|transmi|"
    r"disseminat|align|combin|restrict|eras|destr|delet|host|sav(?:e|ed|ing)\b|modif|receiv|display|analy[sz]|"
    r"cop(?:y|ies|ying)|back(?:ing)?[- ]?up|export|import|upload|captur|restor)\w*",
    re.IGNORECASE,
)
"""A processing operation, as Art. 4(2) lists them ("collection, recording, organisation ...")."""
OPERATIONS_LISTED = 3
"""A sentence naming at least this many distinct operations lists the nature of the processing."""
_PURPOSE = re.compile(
    r"\b(?:process\w*|us(?:e|es|ed|ing)|handl\w*)\b[^.;]{0,100}?\b(?:for\s+(?:the\s+|these\s+)?(?:following\s+)?"
    r"purposes?|purposes?\s+of|in\s+order\s+to|so\s+that)\b"
    r"|\b(?:process\w*|us(?:e|es|ed|ing)|handl\w*)\s+(?:(?:the|such|this|that|any|all|its|your|our)\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:data|information|records)\s+(?:[\w-]+\s+){0,2}?(?:only|solely|exclusively)\s+(?:to|for)\b",
    re.IGNORECASE,
)
"""Processing the data for a purpose stated ("shall process personal data solely for the purpose of
providing ...", "only Process Relevant Personal Data for the following purposes:", "uses the data
only to pay the Controller's staff")."""
_BINDS = re.compile(r"\b(?:shall|must|will|may|can|agrees?|undertakes?|commits?)\b", re.IGNORECASE)
"""A verb binding or permitting a party: a list of operations under it is what a party may or must
do ("may transfer ... to providers responsible for hosting, backups, storage and analytics"), not
the nature of the processing."""
_OUT_OF_SCOPE = re.compile(
    r"\boutside\s+(?:of\s+)?(?:the\s+)?scope\b|\b(?:does|do|shall|will)\s+not\s+apply\b|\bnot\s+(?:be\s+)?covered\s+by\b|"
    r"\bexcluded\s+from\b",
    re.IGNORECASE,
)
"""Processing the contract leaves out ("Processing of this type of personal data is outside the
scope of this DPA")."""
_APPLIES_IF = re.compile(
    r"^[\W\d]*(?:to\s+the\s+extent|insofar|in\s+so\s+far|where|if|when|whenever)\b[^.;]{0,300}?,\s*(?:[^,.;]{0,80}?\s)?"
    r"(?:this|these|the)\s+(?:[\w-]+\s+){0,4}?(?:(?:will|shall)\s+)?appl(?:y|ies)\b"
    r"|\bappl(?:y|ies)\s+(?:\w+\s+){0,3}?(?:only\s+)?(?:to\s+the\s+extent|insofar|in\s+so\s+far|if|where|when)\b",
    re.IGNORECASE,
)
"""When the contract applies ("To the extent that the Processor processes personal data as part of
the Services, the terms of this Agreement will apply", "This DPA will apply only to the extent
that ..."): a condition of the contract, not a description of what is processed."""
_CONTROLLER_ASSENT = re.compile(
    SENTENCE_START + r"(?:the\s+)?(?:controllers?|customers?|clients?|you|data\s+exporters?)\s+"
    r"(?:\w+\s+)?(?:acknowledges?|understands?|accepts?|recognises?|recognizes?)\b",
    re.IGNORECASE,
)
"""The controller acknowledging something ("The Customer acknowledges that, due to the nature of the
Service, the Processor cannot control what types of personal data ...")."""
_FIELD_NAME = re.compile(
    r"^[\W\d]*(?:[a-z]{1,3}[.)]\s+)?(?:the\s+)?(?:(?:special\s+)?categor(?:y|ies)|types?|kinds?|nature|purposes?|"
    r"subject[- ]matter|duration|(?:retention\s+)?periods?|frequency|(?:maximum\s+)?(?:data\s+)?retention)\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(
    r"[,\s]+(?:whose|which|who|whom|that|where|(?:for|to|in|by|under)\s+which)\b.*$", re.IGNORECASE | re.DOTALL
)
_VALUE_VERB = re.compile(
    r"[:|–—]|\s-\s|\b(?:is|are|was|were|be|include|includes|including|comprise|comprises|consist|consists|cover|covers|"
    r"concern|concerns|relate|relates|will|shall|may|can|must|means?|as\s+follows)\b",
    re.IGNORECASE,
)
"""What gives a field its value: a colon or dash, or a verb ("Categories of data subjects include
..."); a relative clause of the field's name ("... whose personal data is transferred") gives none."""
_OTHERS_SUBJECT = re.compile(
    SENTENCE_START + r"(?:(?:any|all|such|its|the|each|our|their)\s+)*"
    r"(?:sub-?\s?processors?|sub-?contractors?|personnel|employees|staff|third\s+part(?:y|ies)|service\s+providers)\b",
    re.IGNORECASE,
)
"""Someone else processes ("Any such sub-processors will be permitted to process data only to
deliver the services"): their purpose is a term of engaging them, not the processing described."""
_LEGAL_BASIS = re.compile(r"\b(?:legal|lawful)\s+(?:basis|bases|ground)|\blawfulness\b", re.IGNORECASE)


_NATURE_FRAME = re.compile(
    r"^[\W\d]*(?:[a-z]{1,3}[.)]\s+)?"
    + _OPERATION.pattern
    + r"|\b(?:process\w*|operations?|activities)\b[^.;]{0,60}?(?:\b(?:includ\w*|consist\w*|compris\w*|involv\w*)\b|:)",
    re.IGNORECASE,
)
"""Where operations are the nature of the processing: the sentence opens with them ("Collection,
recording, storage ...") or lists them as what the processing includes ("Our processing includes
the collection, storage ...", "the possibility to process data: save, modify, transmit, delete")."""


def lists_operations(text: str) -> bool:
    """``text`` lists at least :data:`OPERATIONS_LISTED` distinct processing operations as the nature
    of the processing, binding or permitting no party ("may transfer data to providers of hosting,
    backups and storage" is a permission; "persons cannot read, copy, modify or remove data" is a
    security measure)."""
    return (
        len({m.group().lower()[:5] for m in _OPERATION.finditer(text)}) >= OPERATIONS_LISTED
        and _BINDS.search(text) is None
        and _NATURE_FRAME.search(text) is not None
    )


_ANAPHORA = re.compile(
    r"^[\W\d]*(?:such\b|(?:this|these|those|it|they)\s+(?:(?:may|will|can|shall|would)\s+)?(?:also\s+)?"
    r"(?:includ|compris|cover|involv|contain|consist|concern|relat|encompass|entail)\w*\b)",
    re.IGNORECASE,
)


def continues(text: str) -> bool:
    """``text`` continues the sentence before it ("This includes ...", "Such personal data may
    include ..."): what it describes is what its antecedent is about."""
    return _ANAPHORA.match(text) is not None


def empty_field(text: str) -> bool:
    """``text`` is the name of a field of a description form without its value ("Categories of data
    subjects whose personal data is transferred", "The period for which the personal data will be
    retained, or, if that is not possible, the criteria used to determine that period"): what is
    left of a form whose answers are missing."""
    name = _FIELD_NAME.match(text)
    if name is None:
        return False
    head = _RELATIVE.sub("", text[name.end() :])
    return _VALUE_VERB.search(head) is None


def not_description(text: str, duties: Iterable[Duty], elements: Collection[str] = ()) -> str:
    """Why ``text`` (party names read as roles; a list item with its lead-in) does not describe the
    processing: ``role``, ``duty: <name>``, ``other act``, ``controller``, ``legal basis``; empty when
    it may. ``elements`` are the description's own element ids: a duty of that name (the
    duration) is part of the description."""
    if is_definition(text):
        return "definition"  # also a list item completing a definition ("'Customer Data' means data: - that ...")
    if _ROLE.search(text):
        return "role"
    if _OUT_OF_SCOPE.search(text):
        return "out of scope"
    if _APPLIES_IF.search(text):
        return "applicability"
    if _CONTROLLER_ASSENT.match(text):
        return "controller"
    if _LEGAL_BASIS.search(text):
        return "legal basis"
    if non_binding(text) == "controller duty":
        return "controller"
    operations = lists_operations(text)
    states_purpose = _PURPOSE.search(text) is not None and _OTHERS_SUBJECT.match(text) is None
    if not operations and not states_purpose:
        other = sorted(carried(text, duties) - set(elements))
        if other:
            return f"duty: {other[0]}"
    bound = _MODAL.search(text)
    if bound is not None and (_NEGATED.search(bound.group(1)) or not _PROCESSING_ACT.match(bound.group(2))):
        return "other act"
    return ""
