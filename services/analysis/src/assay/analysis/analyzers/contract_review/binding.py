"""The positive reading: does a sentence bind the processor to something?

A requirement of processor terms is an obligation of the processor, so a sentence is evidence of
it only when it binds the processor (:mod:`.obligation` lists the kinds of sentence that bind no
one; this module asks the converse question and is the stricter gate). A sentence binds the
processor when

- **the processor is the subject of a verb** of the sentence, or of one of its clauses: the
  processor's role or an alias :mod:`.parties` has read as it ("the Processor", "Supplier",
  "Service Provider", "Vendor", "we", the company's name when defined as processor), the
  processor's own people or sub-processors ("the Processor's personnel", "our sub-processors",
  "authorised persons"), or every party ("each party", "the parties"), with a duty form ("shall",
  "will", "must", "agrees to", "undertakes to", "is obliged to", "is responsible for", "commits
  to", "ensures") **or the present tense** ("We encrypt all data at rest", "the Processor deletes
  the data within 30 days of termination"): in processor terms a statement of the processor's
  own practice is read as its commitment (see the analyzer's EVALUATION.md, 1.6.0);
- it states **a passive duty** ("Personal Data shall be deleted ...", "Sub-processors will only
  be engaged ...", "the Controller shall be notified ...") whose agent is not the controller (a
  passive of entitlement or deeming, "the Customer shall be entitled / responsible", is none);
- it is **a command or an infinitive** ("Notify the Controller ...", "to assist the Controller
  ...": an item under a lead-in, or a bullet under a heading), whose recipient is not the
  processor (:func:`.obligation.controller_permission` reads those as the controller's);
- it is **a list item under a lead-in that binds the processor** ("The Processor shall: (a) ...")
  and has no other party as its own subject;
- (1.7.0) it **restricts the act** the processor does, the act as its subject ("Any transfer ... may
  only take place / shall only occur / requires the prior consent of the Controller"), names **a
  duty by its gerund** as a list item with no verb of its own ("Assisting the Client with its
  DPIA"), or names **the contract as the controller's instructions** ("The Agreement and this DPA
  set out Customer's complete documented instructions").
- (1.8.0) it is **the controller's consent to another processor** with the processor named ("the Customer
  accepts the Supplier's subcontractor", "approves the Processor's sub-processors"): Art. 28(2)'s authorisation.

Everything else is not evidence of the processor's obligation: the controller's duties,
acknowledgements and rights, things or documents as subjects ("This Annex contains ...", "the
Standard Contractual Clauses shall apply ...", "Article 28 requires ..."), third parties (data
subjects, authorities, auditors), and statements about the service with no party as subject.
Only the main-line checks of a processor-terms playbook use it, and only on evidence of a duty:
a negation is still read in any sentence that names the duty (:mod:`.negation`).
Nothing here knows a particular document: the cues are ordinary English drafting.
"""

from __future__ import annotations

import re

from assay.analysis.analyzers.contract_review.obligation import IMPERATIVE
from assay.analysis.analyzers.contract_review.sentence_kind import FINITE_VERB, SENTENCE_START

_PROCESSOR = (
    r"(?:(?:the|any|each|all|its|our|such)\s+)?(?:(?:data\s+)?processors?|(?-i:Services?|App|Application|Platform|"
    r"Software|Products?)|sub-?\s?processors?|suppliers?|vendors?|"
    r"(?:service\s+)?providers?|data\s+importers?|contractors?|consultants?|we|each\s+party|either\s+party|"
    r"(?:both\s+|the\s+)?parties)"
)
"""The processor's side: its role words (party names already read as roles) and every party."""
_PEOPLE = (
    r"(?:(?:the|any|all|such|its|our|their|each)\s+)?(?:(?:authori[sz]ed|relevant)\s+)?(?:personnel|employees?|staff|"
    r"persons?|individuals|people|workers|agents|representatives|(?:sub-?\s?)?contractors|anyone|everyone)"
)
"""People acting for whoever is bound: in processor terms, the processor's."""
_CONTROLLER = (
    r"(?:(?:the|any|each|all|its|your)\s+)?(?:(?:data\s+)?controllers?|customers?|clients?|you|data\s+exporters?|"
    r"business|users?|licensees?|subscribers?)"
)
_OTHERS = (
    r"(?:(?:the|any|a|an|each|all|such|relevant|competent)\s+)?(?:data\s+subjects?|(?:supervisory\s+)?authorit(?:y|ies)|"
    r"regulators?|auditors?|courts?|third\s+part(?:y|ies))"
)
_SUBJECT_END = (
    r"(?:\s+(?:\([^()]{0,60}\)|\w+ly|also|only|not|then|hereby|further|itself|themselves|and\s+(?:its|our|their)\s+\w+|"
    r"and\s+affiliates|and\s+(?:the\s+)?[A-Z][\w-]+)|,[^,;:]{1,90},)*\s+"
)
"""What may stand between a subject and its verb: an adverb, a bracket, "and its affiliates"."""
_POSSESSIVE = r"(?:['’]s?\s+(?:\w+\s+){0,2}?)"
_DUTY = (
    r"(?:shall|will|must|should|agrees?\s+to|undertakes?|commits?|warrants?|guarantees?|ensures?|"
    r"(?:is|are)\s+(?:(?:also|further|hereby)\s+)?(?:obliged|obligated|required|bound|responsible|committed|liable|subject)|"
    r"has|have|may\s+(?:only|solely|exclusively|not)|may\s+(?:\w+\s+){1,6}?(?:only|solely|exclusively)|can\s*not|cannot|"
    r"does|do)\b"
)
_PRESENT = (
    r"(?:is|are|(?!(?:this|thus|its|his|hers|ours|yours|theirs|plus|unless|always|towards|afterwards|whereas|"
    r"terms|purposes|services|systems|obligations|rights|means|sub-?\w+)\b)[a-z]{3,}(?<!ss)(?<!ous)(?<!ics)s)\b"
)
"""A verb in the present tense after a third-person subject ("deletes", "maintains", "is")."""
_VERB_AFTER_WE = r"(?:(?!may\b|can\b)[a-z]{2,})\b"
"""After "we" any word is its verb ("we encrypt", "we retain"), but a bare permission is none."""


_NOT_AFTER_PREPOSITION = "".join(
    rf"(?<!\b{word}\s)(?<!\b{word}\sthe\s)(?<!\b{word}\sour\s)(?<!\b{word}\sits\s)"
    for word in "of to by for with from on in at than under upon towards against".split()  # noqa: SIM905
)
"""A party after a preposition is no subject ("the provision of the Services is ...")."""


def _subject_verb(subject: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:^|[\s(\"“,;:]){_NOT_AFTER_PREPOSITION}(?:{subject})(?:{_POSSESSIVE}(?:{_PEOPLE}|[\w-]+))?{_SUBJECT_END}(?:{_DUTY}|{_PRESENT})",
        re.IGNORECASE,
    )


PROCESSOR_VERB = _subject_verb(_PROCESSOR)
"""The processor as the subject of a duty or a present-tense verb ("the Processor shall ...", "Provider
maintains ...")."""
_PERMISSION_THEN_DUTY = re.compile(
    PROCESSOR_VERB.pattern.replace(f"(?:{_DUTY}|{_PRESENT})", "(?:may|can)")
    + r"\b[^.;]{0,200}?\b(?:and|but)\s+(?:\w+ly\s+)?(?:shall|must|will)\b",
    re.IGNORECASE,
)
"""The processor's permission followed by its duty ("The Processor may retain the data ... and must
delete it ...")."""
_PRONOUN_DUTY = re.compile(rf"(?:^|[\s(\"“,;:])(?:it|they){_SUBJECT_END}{_DUTY}", re.IGNORECASE)
""""it" / "they" with a duty ("that it will promptly notify", "they will not disclose"): a pronoun
binds whom it stands for, and in processor terms a duty's pronoun is the processor's far more often
than the controller's (whose duties a sentence names as "the Customer")."""
_NOT_NAMES = """the a an this these that those such each every all any no both either neither if where when whereas
unless in for to upon on at by with without notwithstanding subject personal data customers? clients? controllers?
business users? you your agreement dpa addendum annex appendix schedule exhibit section clauses? articles? gdpr
regulation laws? act terms policy order form services? sccs? idta eu uk eea european union member states? commission
commissioner court information authority supervisory data subjects? it they we our there here as after before during
within following under pursuant save except other more further additionally article standard contractual directive
decision recipient discloser disclosing receiving licensor licensee party parties"""
"""Capitalised words that open a sentence, name a document, a law, an institution or a party of
another kind of contract: never a processor's name."""
_NOT_A_NAME = r"(?!(?i:" + "|".join(_NOT_NAMES.split()) + r")\b)"
_NAME_WORD = _NOT_A_NAME + r"[A-Z][\w&.-]*[\w&]"
_NAME = rf"(?<![Tt]he\s)(?<![\w.-]){_NAME_WORD}(?:\s+(?:and\s+)?{_NAME_WORD}){{0,2}}"
"""A party's own name as the subject ("Keboola shall ...", "SimpleLocalize.io will ..."): a name
the analyzer could not read as a role (no bracketed definition), which is not a document, a law,
the controller's role or a word that opens a sentence. Capitalised without "the": a defined term
with "the" ("the Agreement", "the App") is a thing."""
_NAME_VERB = re.compile(rf"(?:^|[\s(\"“,;:]|^[\W\d]+){_NAME}{_SUBJECT_END}(?:{_DUTY}|{_PRESENT})")
_AGENT_OF_INFINITIVE = re.compile(
    rf"(?:^|\s){_CONTROLLER}\s+(?:\w+\s+){{0,3}}?(?:instructs?|authori[sz]es?|directs?|requests?|requires?|permits?|allows?|"
    rf"mandates?|appoints?|engages?|asks?)\s+(?:(?:\w+\s+){{0,3}}?and\s+\w+\s+)?(?:the\s+)?(?:processors?|suppliers?|vendors?|(?:service\s+)?providers?|"
    rf"data\s+importers?|contractors?|consultants?|us){_SUBJECT_END}to\s+(?!the\b|this\b|any\b)[a-z]+",
    re.IGNORECASE,
)
"""The processor as the agent of an infinitive the controller instructs or authorises ("Customer
instructs the Processor to Process ...", "authorizes the Processor to engage Sub-processors", "You
instruct Us ... to ..."): what the processor is to do, and the authority it does it under."""
_TRANSFER_TOOL = re.compile(
    r"\b(?:standard\s+contractual\s+clauses|sccs|idta|international\s+data\s+transfer\s+(?:agreement|addendum))"
    r"(?:\s+\([^()]{0,60}\)|\s+as\s+[^,;]{1,80})?\s+(?:(?:shall|will)\s+(?:also\s+)?apply|apply|applies|"
    r"(?:are|is|shall\s+be|will\s+be)\s+(?:hereby\s+)?(?:incorporated|deemed\s+(?:entered|incorporated)))",
    re.IGNORECASE,
)
"""The standard contractual clauses made to apply ("the SCCs shall apply", "the UK SCCs are hereby
incorporated"): clauses that bind the processor as data importer."""
_PEOPLE_VERB = re.compile(
    rf"(?:^|[\s(\"“,;:]){_PEOPLE}(?:(?:\s+(?:with|who|that|having|engaged|involved|authori[sz]ed)\b[^,;.]{{0,80}}?)?"
    rf"{_SUBJECT_END}(?:{_DUTY}|{_PRESENT})|\s+(?:at|of|in|within|for|employed|working|acting|who|with)\b[^,;.]{{0,100}}?"
    rf"\s(?:shall|will|must|are\s+bound|is\s+bound)\b)",
    re.IGNORECASE,
)
"""People as the subject ("All personnel with access to ... are bound by ...", "Everyone at the
Processor who can see the data must ...")."""
WE_VERB = re.compile(rf"\bwe{_SUBJECT_END}{_VERB_AFTER_WE}", re.IGNORECASE)
"""The processor writing its own terms as "we", the subject of a verb ("we will notify ...")."""
_OUR = re.compile(rf"\bour\s+(?:[\w-]+\s+){{0,2}}?[\w-]+{_SUBJECT_END}(?:{_DUTY}|{_PRESENT})", re.IGNORECASE)
"""The processor's things as the subject ("our data centres are within the EEA")."""
_PASSIVE = re.compile(
    r"\b(?:(?P<modal>shall|will|must|should|(?:is|are)\s+to|to)\s+(?:(?:\w+ly|not|only|also|then|at\s+all\s+times)\s+)*"
    r"be|(?P<relative>(?:that|which|who)\s+)?(?:is|are))\s+(?:(?:\w+ly|not|only|also)\s+)*"
    r"(?P<verb>[a-z]+(?:ed|en)|kept|made|held|bound|sent|set|put|done|shown|told|sold|built|taken|given|written|chosen|"
    r"hidden|drawn|known|subject)\b(?P<rest>[^.;]{0,200})",
    re.IGNORECASE,
)
"""A passive: "shall be deleted", "will only be engaged", "is encrypted", "are bound"."""
_NO_DUTY_PARTICIPLE = re.compile(
    r"^(?:entitled|permitted|allowed|deemed|governed|defined|described|listed|"
    r"specified|detailed|contained|included|set|incorporated|attached|referred|interpreted|construed|based|located|"
    r"aware|authori[sz]ed|used|given)$",
    re.IGNORECASE,
)
"""Participles that name a right, a deeming, a pointer or a state, not an act the processor owes
("the Customer shall be entitled", "is governed by", "are listed in", "is deemed")."""
_BY_CONTROLLER = re.compile(rf"^\s*(?:\w+\s+){{0,3}}?by\s+{_CONTROLLER}\b", re.IGNORECASE)
_COMMAND = re.compile(
    SENTENCE_START + r"(?:and\s+|or\s+)?(?:to\s+|not\s+to\s+|shall\s+|will\s+|must\s+)?"
    r"(?:not\s+)?(?!is\b|are\b|was\b|were\b|has\b|have\b|the\b|this\b|these\b|that\b|such\b|a\b|an\b|all\b|any\b|each\b)"
    r"(?P<verb>[a-z]{2,})(?=\s)",
    re.IGNORECASE,
)
"""A sentence opening with a verb: a command or an infinitive ("Notify the Controller ...", "to
assist ...", "(b) not disclose ..."), a list item under its lead-in."""
_LOWER_START = re.compile(SENTENCE_START + r"[a-z]")


def binds_processor(text: str, lead_in: str = "", sentence_so_far: str = "") -> bool:
    """Whether ``text`` (party names read as roles; a list item with its lead-in where the item
    completes it) binds the processor. ``lead_in`` is the sentence introducing a list item: an
    item with no party of its own as subject binds whom the lead-in binds. ``sentence_so_far``,
    for a later part of an over-long sentence, is the sentence up to it: its subject is the part's."""
    if lead_in and _party_subject(lead_in) and _PRONOUN_DUTY.search(text) and not _binds(text, pronouns=False):
        return False  # "The data exporter warrants: (b) that it has instructed ...": "it" is the exporter
    joined = joined_items(text)  # "Embrace: 2) shall notify ...": the lead-in's party is the item's subject (1.17.0)
    if _binds(text) or (joined != text and _binds(joined)) or (sentence_so_far and _binds(sentence_so_far)):
        return True
    return bool(lead_in) and not _party_subject(text) and _binds(lead_in)


def _binds(text: str, pronouns: bool = True) -> bool:
    if any(p.search(text) for p in _SUBJECT_READINGS if pronouns or p is not _PRONOUN_DUTY):
        return True
    if _passive_duty(text) or _granted(text):
        return True
    if _is_verb_opening(text) or _gerund_item(text) or _INSTRUCTIONS_DOCUMENT.search(text):
        return True
    # A label's value that lists duties ("The measures include: Implementing and maintaining ..."); not what
    # another party "shall:" do ("Customer shall: Implement appropriate ... measures", 1.21.0).
    colon = text.find(": ")
    if colon > 0 and _party_subject(text[:colon]):
        return False
    value = IMPERATIVE.match(text[colon + 2 :]) if colon > 0 else None
    return value is not None and not value.group().lower().endswith("ed")  # "Backups: encrypted ..." describes


_RESTRICTION = re.compile(
    r"\b(?:is|are|shall\s+be|will\s+be)\s+(?:only|not|never)\s+(?:\w+ly\s+)?(?:permitted|permissible|allowed|admissible|"
    r"authori[sz]ed|possible)\b",
    re.IGNORECASE,
)
"""A restriction in the passive ("Engaging subcontractors ... is only permitted with prior consent")."""


_ACT = (
    r"(?:(?:personal\s+)?data\s+)?(?:(?:onward|international|further|cross-border)\s+)?(?:transfers?|transferring|processing|disclosures?|disclosing|"
    r"movements?|moving|relocations?|relocating|subcontracting|sub-?processing|engagement|engaging|appointment|appointing|"
    r"use|using|access|storage|storing|deletion|deleting|destruction|erasure|return|notifications?|audits?|inspections?)"
)
"""An act the processor does (or owes), named as a noun or a gerund, perhaps after the data it acts
on ("Data transfers to third countries ... may only occur with the prior written consent", 1.21.0)."""
_ACT_RESTRICTED = re.compile(
    rf"(?:^|[;:]\s+|,\s+and\s+)[\W\d]*(?:[a-z]{{1,4}}[.)]\s+)?(?:(?:any|each|all|every|such|the|a|an|no)\s+)?"
    rf"{_ACT}\b[^.;:]{{0,160}}?\b(?:"
    rf"(?:shall|must|will|may|can)\s+(?:only|not|never|exclusively|solely)\s+(?:\w+ly\s+)?"
    rf"(?:take\s+place|occur|happen|be\s+(?:carried\s+out|performed|made|effected|undertaken))"
    rf"|(?:shall|must|will)\s+(?:\w+ly\s+)?(?:take\s+place|occur|happen)"
    rf"|(?:(?:shall|will)\s+(?:\w+ly\s+)?)?(?:requires?|(?:is|are|be)\s+subject\s+to)\s+(?:the\s+)?(?:[\w-]+\s+){{0,3}}?"
    rf"(?:consent|approval|authori[sz]ation|instructions?|agreement))\b",
    re.IGNORECASE,
)
"""A restriction whose subject is the act ("Any transfer of Personal Data to a third country may
only take place with the Controller's prior consent", "Processing shall take place exclusively
within the EEA", "any movement of the data outside the EU requires the prior written consent of
the Customer"): it binds whoever does the act, in processor terms the processor. A permission
("Processing may take place outside the EEA") restricts nothing and is none."""


_DOCUMENT_SUBJECT = re.compile(
    r"^[\W\d]*(?:this|the|these)\s+(?:data\s+process\w+\s+)?(?:DPA|addendum|agreement|document|policy|terms|annex|"
    r"appendix|schedule|exhibit|clauses?)\b",
    re.IGNORECASE,
)
"""The document itself as the sentence's subject ("This DPA reflects ...", 1.27.0)."""
_CONTROLLER_BEFORE = re.compile(rf"(?:^|\s){_CONTROLLER}(?:\s+\w+ly)?\s+$", re.IGNORECASE)
_OWED = re.compile(r"^(?:required|obliged|obligated|bound|subject)$", re.IGNORECASE)


def _passive_duty(text: str) -> bool:
    if _RESTRICTION.search(text) or _ACT_RESTRICTED.search(text):
        return True
    for passive in _PASSIVE.finditer(text):
        if _NO_DUTY_PARTICIPLE.match(passive.group("verb")):
            continue
        if _BY_CONTROLLER.match(passive.group("rest")):
            continue
        if passive.group("modal") is None and (passive.group("relative") or passive.group("verb").lower() == "subject"):
            continue  # "data that is transferred ...", "audits are subject to ...": a description, not a practice
        if passive.group("modal") is None and _DOCUMENT_SUBJECT.match(text):
            continue  # "This DPA reflects ... and is designed for use by enterprise customers": the document described
        if _CONTROLLER_BEFORE.search(text[: passive.start()]) and _OWED.match(passive.group("verb")):
            continue  # "the Customer is required to ...", "Customer shall be bound by": the controller's duty
        return True
    return False


_NOT_A_VERB = re.compile(
    r"^(?:is|are|was|were|has|have|the|this|these|that|those|such|a|an|all|any|each|every|no|in|of|for|on|at|by|"
    r"with|from|as|if|where|when|whereas|unless|subject|notwithstanding|pursuant|upon|under|after|before|during|"
    r"within|following|annex|appendix|schedule|exhibit|section|clause|article|part|data|personal|information|"
    r"customer|controller|processor|supplier|vendor|provider|we|you|it|they|there|here|our|your|its|their)$",
    re.IGNORECASE,
)


def _is_verb_opening(text: str) -> bool:
    """The sentence opens with a verb: a command, an infinitive, an item completing its lead-in.
    A lower-case opening word that is no article, pronoun, preposition or party is read as the
    verb ("(b) process the data only ..."); a capitalised one only when it is a duty's verb
    ("Notify the Controller ...": :data:`.obligation.IMPERATIVE`), since a capitalised opening
    is as often a noun ("Transfers of data ...")."""
    command = _COMMAND.match(text)
    if command is None or _NOT_A_VERB.match(command.group("verb")):
        return False
    if _LOWER_START.match(text) is not None:
        # "including encryption ...", "provided that ...": a participle continues a sentence,
        # whose subject (the lead-in's, the sentence's) decides.
        return not command.group("verb").lower().endswith(("ing", "ed"))
    command = IMPERATIVE.match(_LEADING_ADVERB.sub(r"\1", text))
    return command is not None and _NOUN_ENDING.search(command.group()) is None


def _gerund_item(text: str) -> bool:
    """A duty named by its gerund, as an item of a list of duties with no verb of its own
    ("Assisting the Client with its data protection impact assessment", "Implementing and
    maintaining procedures for regularly testing ..."): the gerund of a duty's verb followed by
    its object, not by "of" (a noun: "Processing of data ...") or a finite verb ("Engaging
    subcontractors ... is only permitted ...", which :data:`_RESTRICTION` reads)."""
    command = IMPERATIVE.match(_LEADING_ADVERB.sub(r"\1", text))
    if command is None or not command.group().lower().endswith("ing"):
        return False
    rest = text[command.end() :]
    return _GERUND_OBJECT.match(rest) is not None and FINITE_VERB.search(rest) is None


_GERUND_OBJECT = re.compile(r"^\s+(?!of\b|for\b|is\b|are\b|by\b)(?:and\s+[a-z]+ing\s+)?[\w\"“]", re.IGNORECASE)
_DOCUMENTS = r"(?:(?:the|this|these|such)\s+)?(?:agreement|dpa|addendum|terms|order\s+forms?|contract)"
_INSTRUCTIONS_DOCUMENT = re.compile(
    rf"^[\W\d]*(?:[a-z]{{1,4}}[.)]\s+)?{_DOCUMENTS}(?:\s*,\s*{_DOCUMENTS})*(?:,?\s+and\s+{_DOCUMENTS})?"
    rf"(?:\s+\([^()]{{0,60}}\))?\s+(?:are|is|constitutes?|set\s+out|sets\s+out|forms?|represents?)\s+"
    rf"(?:the\s+)?(?:{_CONTROLLER}['’]s?\s+)?(?:\w+\s+){{0,4}}?instructions\b",
    re.IGNORECASE,
)
"""The contract as the controller's instructions ("The Agreement and this DPA set out Customer's
complete documented instructions to the Processor", "This DPA and the Agreement are the
Controller's complete and final instructions"): what the processor is to process on, a term
of 28(3)(a) in ordinary drafting, though a document is its subject."""


_NOUN_ENDING = re.compile(
    r"(?:ions?|ments?|it(?:y|ies)|ances?|ences?|ness|ings?|als?|ers?|ures?|(?<!s)s)$", re.IGNORECASE
)
"""A capitalised opening word with a noun's ending is the subject, not a command ("Deletion and
return ... is governed by", "Transfers of data ...")."""


_LEADING_ADVERB = re.compile(r"^([\W\d]*(?:[a-z]{1,4}[.)]\s+)?)[A-Za-z]+ly\s+")
_PARTY_SUBJECT = re.compile(
    rf"^[\W\d]*(?:[a-z]{{1,4}}[.)]\s+)?(?:{_CONTROLLER}|{_OTHERS}){_SUBJECT_END}(?:{_DUTY}|{_PRESENT}|may|can)",
    re.IGNORECASE,
)


def _party_subject(text: str) -> bool:
    """An item with a subject of its own that is not the processor ("(c) the Customer shall ...")."""
    return _PARTY_SUBJECT.match(text) is not None


_DUTY_NOUN = re.compile(
    SENTENCE_START + r"(?:the\s+|an?\s+)?(?:obligations?|duty|duties|commitments?)\s+"
    r"(?:of\s+the\s+(?:processor|supplier|vendor|(?:service\s+)?provider|contractor)\s+)?to\s+(?:\w+ly\s+)?[a-z]{3,}",
    re.IGNORECASE,
)
"""A duty named as a noun, as an item of a list of the processor's obligations ("b) The obligation
to immediately report violations ... to the Client")."""
_GRANT = re.compile(
    r"\b(?:authori[sz]ation|consent|approval|permission)\b[^.;]{0,80}?\bto\s+(?:engage|use|appoint|process|transfer|"
    r"subcontract|involve)\b",
    re.IGNORECASE,
)
"""The controller's authorisation given to the processor ("Customer gives Provider general
authorisation to engage the sub-processors listed in Annex III"): what the processor may do, and
under whose authority (read only with the processor named)."""


_APPROVED_SUBPROCESSOR = re.compile(
    r"\b(?:authori[sz]|consent|approv|accept|agree)\w*\b.{0,120}\b(?:sub-?\s?process(?:ors?|ing)|sub-?contractors?|"
    r"(?:another|other|further)\s+processors?)\b",
    re.IGNORECASE,
)
"""The controller's consent to another processor ("he thereby accepts the Supplier's subcontractor", "Customer
approves the Processor's sub-processors listed in Annex 3"): the authority under which the processor engages
it, Art. 28(2)'s own term (1.8.0; read only with the processor named)."""


def _granted(text: str) -> bool:
    return (_GRANT.search(text) is not None or _APPROVED_SUBPROCESSOR.search(text) is not None) and re.search(
        r"\b(?:processors?|suppliers?|vendors?|(?:service\s+)?providers?|data\s+importers?|contractors?|us)\b",
        text,
        re.IGNORECASE,
    ) is not None


_SUBJECT_READINGS = (
    _DUTY_NOUN,
    _PERMISSION_THEN_DUTY,
    PROCESSOR_VERB,
    _PEOPLE_VERB,
    WE_VERB,
    _OUR,
    _PRONOUN_DUTY,
    _NAME_VERB,
    _AGENT_OF_INFINITIVE,
    _TRANSFER_TOOL,
)


_ITEM_JOIN = re.compile(
    r":\s+(?:(?:\(?(?:[a-z]{1,2}|[ivx]{1,5}|\d{1,2})[.)]|[A-Z](?:\.\w+)+\.?|\d{1,2}(?:\.\d{1,2})+\.?|[-*•–])\s+)?"
)
"""Where a list item joins the lead-in it completes: the colon and the item's mark, if it kept one (a bullet's is
dropped from the item's text, 1.25.0)."""


def joined_items(text: str) -> str:
    """``text`` (a list item read with its lead-in) with the junction of lead-in and item blanked out, the
    offsets kept, where the item completes the lead-in's clause: it opens with a verb, after an inserted
    phrase or not. "the Processor does not undertake to: 2. delete all copies" then reads as one sentence,
    the lead-in's subject and negation going on into the item (1.17.0); an item with a subject of its own
    ("completed as follows: (ii) in Clause 7, the docking clause does not apply") stays apart."""
    return _ITEM_JOIN.sub(lambda m: " " * len(m.group(0)) if _completes(m.string[m.end() :]) else m.group(0), text)


def _completes(item: str) -> bool:
    """Whether a list item completes its lead-in's clause: it opens with a verb, or with a short phrase
    and then a verb ("at the request of the Customer, provide ...")."""
    if _opens_with_verb(item):
        return True
    comma = item.find(", ")
    return (
        0 < comma < INSERTED_PHRASE_CHARS
        and FINITE_VERB.search(item[:comma]) is None
        and _opens_with_verb(item[comma + 2 :])
    )


def _opens_with_verb(text: str) -> bool:
    """Whether ``text`` opens with a word read as a verb, capitalised or not ("Certify the destruction ...",
    "Assisting with ...", "shall notify ..."): no article, pronoun, preposition or party."""
    command = _COMMAND.match(text)
    return command is not None and _NOT_A_VERB.match(command.group("verb")) is None


INSERTED_PHRASE_CHARS = 60
"""An item may open with a phrase this long before its verb ("at the request of the Customer, provide ...")."""
