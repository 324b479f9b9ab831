"""Does a sentence bind the processor, or does it only name the obligation's topic?

A requirement of processor terms is an obligation of the processor. Five kinds of sentence name
its topic without binding the processor to anything, and are never evidence of it:

- a **continuation** without a duty of its own ("This includes proof of ... the obligation of
  employees to confidentiality"): it only lists what the sentence before it covers, and that
  sentence is the evidence when it binds;
- a **label** of a form or list without a duty ("Categories of sensitive personal data
  transferred and safeguards applied:"): what follows it is the content, if anything does;
- a **cross-reference**: the topic is only pointed to ("TOMs are as set forth in Schedule B",
  "Annex I shall be deemed completed with the information set out in Schedule A") and no duty
  is stated besides the pointer;
- a **permission of the processor**: it or its staff *may* do something ("Authorised personnel
  may access visitor data where necessary to ensure security", "The Processor may suspend the
  instruction") with no duty and no restriction ("may only", "may not ... without" restrict,
  and are obligations); permissions of the controller ("The Customer may object", "The
  Controller may audit") are its rights under the requirement and stay evidence;
- a **duty of the controller**: the customer, as the sentence's subject, warrants, is
  responsible for or shall do something and the processor is not named ("Customer is solely
  responsible for ... security"); not its assent to what another party does ("The Client agrees that
  Acme shall engage ...": the duty is Acme's, 1.8.0);
- a **deeming** without a duty ("use of the Service ... constitutes documented instructions"):
  it says what counts as something, not what the processor must do;
- a **description** without any verb, neither a command nor a finite duty ("Stored
  encrypted.", "Backups: encrypted and retained for 30 days" in an annex table; after a field
  label a plural noun such as "days" is not read as a verb unless a party is its subject): it says how
  something is, not that the processor must keep it so; a list item is read with its lead-in
  ("The Processor shall: - maintain ..."), so bullets under a duty are not descriptions;
- a **permission of the controller** ("Customers can also delete the data themselves", also
  after an introductory clause: "Where ..., the Customer may ..."), or a command to act towards
  the processor ("Provide instructions to the Processor ...", "Obtain information from the
  Processor" as bullets under a plain heading: whoever is told so is the controller), binds the
  processor to nothing either; it is evidence only of requirements whose content is the
  controller's right (audits, objecting to a sub-processor: ``controller_right`` in the playbook).

These sentences stay in context: a cross-reference still makes a missing requirement
BY_REFERENCE. Descriptions (the processing details) bind no one and are not checked here.
Nothing here knows a particular document: the cues are ordinary English drafting.
"""

from __future__ import annotations

import re

from assay.analysis.analyzers.contract_review.sentence_kind import FINITE_VERB, SENTENCE_START, annex_as_subject

_REFERENCE = re.compile(
    r"(?:\b(?:are|is|shall\s+be|will\s+be|be)\s+(?:(?:deemed\s+(?:to\s+be\s+)?)?completed\s+(?:(?:with|by)\s+(?:the\s+)?"
    r"(?:information|details)\s+|as\s+)|as\s+)?|(?:^|:)\s*as\s+)(?:set\s+(?:out|forth)|described|specified|contained|listed|"
    r"detailed|found|included|provided)\s+(?:in|at|under|within)\s+(?:the\s+)?(?:annex|appendix|schedule|exhibit|"
    r"section|clause|attachment|paragraph|part|https?://|"
    r"(?:(?:the\s+)?[\w&.-]+(?:\s+[\w&.-]+)?['’]s?\s+|its\s+|our\s+|their\s+)?(?:privacy\s+(?:polic(?:y|ies)|notice)|"
    r"security\s+(?:polic(?:y|ies)|documentation|page|overview|white\s?paper)|trust\s+(?:cent(?:er|re)|portal|page)))",
    re.IGNORECASE,
)
"""A pointer: "TOMs are as set forth in Schedule B", or a form field answered by one ("Annex II:
Technical and organisational measures: As set out in Schedule 2 of this DPA", "...: shall be completed as
set forth in ANNEX II above", 1.22.0)."""
_DUTY = re.compile(
    r"\b(?:shall|must|will|agrees?\s+to|undertakes?|commits?|warrants?|guarantees?|"
    r"(?:is|are)\s+(?:obliged|obligated|required|bound|responsible))\b",
    re.IGNORECASE,
)
_PERMISSION = re.compile(r"\b(?:may|can|(?:is|are)\s+(?:entitled|permitted|allowed|free)\s+to)\b", re.IGNORECASE)
_RELATIVE_SUBJECT = re.compile(r"\b(?:what|whatever|which)\s+(?:we|it|they|you|the\s+\w+)\s+$", re.IGNORECASE)
"""The subject of a relative clause before a modal: "in proportion to ... what we can see from our side" is no
permission of the sentence (1.24.0)."""
_RESTRICTED = re.compile(r"\b(?:only|solely|exclusively|not|never|no)\b", re.IGNORECASE)
_CONDITIONS_LISTED = re.compile(
    r"\b(?:subject\s+to|provided\s+that|on\s+condition\s+that)\s*(?::|the\s+following\b)", re.IGNORECASE
)
"""A permission given on the conditions listed after it ("Starbox may engage sub-processors for data processing,
subject to: - Written agreement imposing equivalent data protection obligations"): the conditions are the term,
not a bare permission (1.20.0)."""
_CONTROLLER = re.compile(
    r"\b(?:controllers?|customers?|clients?|you|your|data\s+exporters?|data\s+subjects?|"
    # the CCPA's "business", not "business secrets / days / information" (1.9.0)
    r"business(?!\s+(?:secrets?|days?|hours?|purposes?|information|continuity|operations?|partners?|associates?))|"
    r"individuals?|end[- ]users?)\b",
    re.IGNORECASE,
)
_PROCESSOR = re.compile(
    r"\b(?:processors?|sub-?\s?processors?|suppliers?|vendors?|providers?|data\s+importers?|contractors?|consultants?|"
    r"we|us|our)\b",
    re.IGNORECASE,
)
_THEIR_USERS = (
    r"our\s+customers|(?:admin(?:istrator)?s?\s+|administrative\s+|end[- ]|authori[sz]ed\s+)?users"
    r"(?:\s+(?:of|in)\s+(?:the\s+)?(?:controller|customer|client)['’]?s?\s+[\w-]+)?"
)
"""The controller's side as its users or the vendor's customers ("Admin users in the controller's
account may delete ...", "our customers can enforce 2FA"): what they may do binds no processor
(1.12.0)."""
_CONTROLLER_SUBJECT = re.compile(
    SENTENCE_START + r"(?:(?:furthermore|moreover|additionally|also|further|in\s+addition|however|"
    r"accordingly|therefore),?\s+)?"
    r"(?:(?:the\s+|both\s+)?parties\s+(?:hereby\s+|further\s+|also\s+)?(?:agree|acknowledge|understand|confirm)\s+that\s+|"
    r"it\s+is\s+(?:hereby\s+)?(?:agreed|understood|acknowledged)\s+that\s+)?"
    rf"(?:the\s+)?(?:(?:data\s+)?controllers?|customers?|clients?|you|data\s+exporters?|business|{_THEIR_USERS})\b",
    re.IGNORECASE,
)
"""The controller is the sentence's subject ("Customer is solely responsible ...", "12.4. Furthermore,
You warrant ...", also after the parties' agreement: "The parties agree that Customer shall ...", 1.9.0),
not a party named on the way ("Upon the Client's instruction, X undertakes ...")."""
_ASSENT_VERB = r"(?:acknowledges?|agrees?|accepts?|confirms?|understands?)"
_CONTROLLER_AFTER_INTRO = re.compile(
    rf"[,;]\s+(?:then\s+)?(?:the\s+)?(?:(?:data\s+)?controllers?|customers?|clients?|you|data\s+exporters?|business|"
    rf"{_THEIR_USERS})\s+(?:(?:hereby\s+)?{_ASSENT_VERB}(?:\s+and\s+{_ASSENT_VERB})?\s+that\s+(?:it|they|you)\s+)?$",
    re.IGNORECASE,
)
"""The controller is the subject of the duty after an introductory phrase ("Upon the Processor's
request, the Customer shall provide all information ...", "To the extent such requests require
the Processor's assistance, the Customer shall notify the Processor ...", "In particular ..., CUSTOMER acknowledges
and agrees that it will be solely responsible for:", 1.23.0): the processor is only named on the way."""
_CONTROLLER_DUTY = re.compile(
    r"\b(?:shall|must|will)(?:\s*,[^,;]{1,150},)?\s+(?!be\b)\w+|\b(?:warrants?|represents?|undertakes?|agrees?\s+to|"
    r"(?:(?:is|are)|(?:shall|will)\s+be)\s+(?:solely\s+|fully\s+)?responsible)\b",
    re.IGNORECASE,
)


_CONTROLLERS_RESPONSIBILITY = re.compile(
    SENTENCE_START + r"(?:it\s+(?:is|shall\s+be|will\s+be)|(?:these|the\s+following)\s+(?:are|shall\s+be))\s+"
    r"(?:the\s+)?(?:sole\s+)?(?:responsibilit(?:y|ies)|obligations?|dut(?:y|ies))\s+of\s+(?:the\s+)?(?:(?:data\s+)?"
    r"controllers?|customers?|clients?|data\s+exporters?)\b",
    re.IGNORECASE,
)
"""The controller's duties introduced as its responsibility ("It is the responsibility of the CONTROLLER: ... e) To
supervise the processing, including carrying out inspections and audits"), 1.18.0."""
_BEFORE_SENDING = re.compile(
    r"\b(?:must|shall|will|should)\s+be\s+\w+(?:ed|en)\b[^.;]{0,120}?\b(?:prior\s+to|before)\s+(?:its\s+|their\s+|the\s+)?"
    r"(?:transfer|transmission|submission|upload|disclosure|provision|sending)\w*\s+(?:of\s+[\w\s]{1,30}?)?to\s+the\s+"
    r"(?:processor|supplier|vendor|(?:service\s+)?provider)\b",
    re.IGNORECASE,
)
"""A passive duty done to the data before it is sent to the processor ("All Personal Data must be identified as such
... prior to transfer to the Processor for Processing"): the sender's, the controller's (1.23.0)."""
_ASSENT = r"\b(?:agrees?|acknowledges?|accepts?|consents?|confirms?|approves?|authori[sz]es?)\s+"
"""The controller's assent ("agrees", "acknowledges", "consents" ...), before what it assents to."""
_ASSENTS_TO_OTHER = re.compile(
    _ASSENT + r"(?:that\s+)?"
    r"(?!(?:it|they|he|she|you|the\s+(?:data\s+)?controllers?|the\s+customers?|the\s+clients?|(?:data\s+)?controllers?|"
    r"customers?|clients?)\b)[^,;:]{1,60}$",
    re.IGNORECASE,
)
"""Right before a permission, the controller's assent to another party's act ("The Data Controller agrees OOPSpam may
engage third-party Sub-processors"): the permission is the processor's, authorised (1.18.0)."""
_DATA_AS_SUBJECT = re.compile(r"\b(?:data|information|content|materials?)\s*$", re.IGNORECASE)
"""The data as the permission's subject ("You agree that Customer Data may be irretrievably deleted"): what may
happen to the controller's data, acknowledged by it, is no processor's act."""
_ASSENT_TO_ANOTHER = re.compile(
    _ASSENT + r"(?:and\s+\w+\s+)?that\s+"
    r"(?!(?:it|they|he|she|you)\b)(?!(?:the\s+)?(?:controllers?|customers?|clients?|"
    r"data\s+exporters?|business)\b)\S",
    re.IGNORECASE,
)
"""The controller assents to what another party does ("The Customer agrees that the Processor shall engage
...", "Client acknowledges and consents that X engages ..."): the duty that follows is the other party's,
and the assent is the controller's consent (1.8.0)."""


_WARRANTY_THAT = re.compile(
    r"(?:warrants?|represents?)(?:\s+and\s+(?:warrants?|represents?|undertakes?|agrees?))?\s*"
    r"(?::\s*(?:\(?[a-z0-9]{1,4}[.)]\s*)?)?that\b",
    re.IGNORECASE,
)
"""The controller's warranty of what the processor will do ("The data exporter agrees and warrants: (c)
that the data importer will provide sufficient guarantees ..."): the warranty is the controller's, the
processor named inside it is bound by it to nothing (1.9.0)."""
_THIRD_PARTY_RIGHT = re.compile(
    SENTENCE_START + r"(?:the\s+|a\s+|any\s+|each\s+)?(?:data\s+subjects?|(?:competent\s+)?"
    r"supervisory\s+authorit(?:y|ies)|third[- ]part(?:y|ies)|beneficiar(?:y|ies)|courts?)\s+(?:\w+ly\s+)?"
    r"(?:can|may|(?:is|are|shall\s+be)\s+entitled\s+to|(?:has|have|shall\s+have)\s+the\s+right\s+to)\s+(?!not\b)",
    re.IGNORECASE,
)
"""A third party's right as the sentence's subject ("The data subject can enforce against the
sub-processor this Clause ...", "Data subjects may invoke these Clauses as third-party
beneficiaries"): it binds no processor (1.9.0)."""


_CONTINUATION = re.compile(
    r"^[\W\d]*(?:this|these|such|that|it)\s+(?:also\s+)?(?:includes?|comprises?|covers?|involves?|entails?|"
    r"encompass(?:es)?)\b",
    re.IGNORECASE,
)
"""A sentence that only lists what the previous one covers ("This includes proof of ... the
obligation of employees to confidentiality"): without a duty of its own it is evidence only with
its antecedent, which then is the evidence."""


_LIABILITY = re.compile(
    SENTENCE_START + r"(?:[\w'’-]+\s+){1,4}?(?:(?:is|are|shall\s+be|will\s+be|remains?|shall\s+remain|will\s+remain)\s+"
    r"(?:\w+ly\s+)?liable|(?:shall|will|agrees?\s+to)\s+(?:\w+ly\s+)?indemnify)\s+(?:[\w'’-]+\s+){0,4}?"
    r"(?:for|against)\s+(?:any\s+|all\s+)?(?:damages?|loss(?:es)?|harm|claims?|costs?|fines?|penalt(?:y|ies))\b",
    re.IGNORECASE,
)
"""Liability for harm ("Starbox is liable for damages caused by processing that: - fails to implement appropriate
security measures"): what it names is what the processor answers for, not a duty it takes on (1.20.0)."""
_PRECEDENCE = re.compile(
    r"\b(?:(?:shall|will|should|must)\s+)?(?:prevail|take\s+precedence|govern|control)\b|\b(?:prevails|takes\s+precedence)\b",
    re.IGNORECASE,
)
_CONFLICT = re.compile(
    r"\b(?:conflicts?|inconsisten\w+|discrepanc\w+)\b|\b(?:prevails?|precedence)\s+over\b", re.IGNORECASE
)
_APPLIES = re.compile(
    r"\b(?:appl(?:y|ies)|form(?:s|ing)?\s+(?:an?\s+)?(?:integral\s+)?part|incorporat\w*)\b", re.IGNORECASE
)
"""Precedence between documents ("To the extent there is any conflict between the Standard Contractual Clauses and
any other terms in this Addendum, the provisions of the Standard Contractual Clauses will prevail"): which text wins
a conflict, not a duty, unless the sentence also makes the other text apply (1.22.0)."""
_NO_ADMISSION = re.compile(
    r"\b(?:(?:is|are|shall|will|does|do)\s+)?not\s+(?:and\s+will\s+not\s+)?(?:be\s+(?:construed|deemed|considered|"
    r"interpreted)\s+(?:as\s+|to\s+be\s+)?|constitute\s+)?(?:an?\s+)?(?:acknowledge?ment|admission)\b[^.;]{0,80}?"
    r"\b(?:fault|liability|wrongdoing)\b",
    re.IGNORECASE,
)
"""A reservation ("Tale's obligation to notify the Customer of a Data Breach is not an acknowledgment of fault or
liability", "X's notification of a Security Incident shall not be construed as an acknowledgement by X of any
fault"): what a duty does not mean, not the duty (1.22.0)."""
_ATTITUDE = re.compile(
    r"\b(?:takes?|treats?)\s+(?:\S+\s+){1,12}?(?:very\s+|extremely\s+|most\s+|so\s+)?seriously\b|"
    r"\b(?:places?|attach(?:es)?|gives?|puts?)\s+(?:a\s+)?(?:great|high|particular|the\s+(?:highest|utmost|greatest))\s+"
    r"(?:importance|priority|value|emphasis)\s+(?:on|to)\b",
    re.IGNORECASE,
)
"""An attitude, not a duty ("X takes the security and privacy of data very seriously", "We place the
highest importance on protecting your data"): with no modal or duty verb it binds no one (1.10.0)."""


def controller_permission(text: str) -> bool:
    """The controller, as the sentence's subject, may or can do something and the processor is
    bound to nothing: "Customers can also delete the data themselves", "Client may export its
    data at any time"; so is a command to act towards the processor ("Obtain information from the
    Processor", "Provide instructions to the Processor": whoever is told so is the controller).
    Evidence only of the controller's rights (audits, objections), never of a duty of the
    processor."""
    if _commands_the_controller(text):
        return True
    permission = _PERMISSION.search(text)
    if permission is None:
        return False
    before = text[: permission.start()]
    if _CONTROLLER_SUBJECT.match(before) is None and _CONTROLLER_AFTER_INTRO.search(before) is None:
        return False  # "Where the Customer reasonably determines ..., the Customer may ..." counts too
    if _ASSENTS_TO_OTHER.search(before) is not None and _DATA_AS_SUBJECT.search(before) is None:
        return False  # "The Data Controller agrees OOPSpam may engage Sub-processors": the processor's, authorised
    if _RESTRICTED.search(text[permission.start() : permission.end() + 12]):
        return False  # "may not", "may only": a restriction, not a permission
    return _PROCESSOR_DUTY.search(text) is None


_PROCESSOR_DUTY = re.compile(
    r"\b(?:processors?|suppliers?|vendors?|providers?|data\s+importers?|contractors?|consultants?|we)\s+"
    r"(?:\w+\s+){0,3}?(?:shall|must|will|agrees?\s+to|undertakes?|commits?|warrants?|(?:is|are)\s+(?:obliged|obligated|"
    r"required|bound|responsible))\b",
    re.IGNORECASE,
)
"""The processor bound in the same sentence ("Customer may request, and the Processor shall provide ...")."""


_ROLE_IS = (
    r"[\w'’.\- ]{1,60}?\s+(?:is|are|acts?\s+as)\s+(?:the\s+|a\s+|an\s+)?(?:data\s+)?(?:controller|processor)s?"
    r"(?:\s+(?:of|for|in\s+respect\s+of|with\s+respect\s+to)\s+[\w'’\- ]{1,60}?)?"
)
_ROLES_ONLY = re.compile(
    r"^\W*(?:[^,;:]{1,120},\s*)?(?:(?:the\s+)?parties\s+\w+(?:\s+and\s+\w+)?\s+that\s+)?"
    rf"{_ROLE_IS}(?:\s*(?:,|;|,?\s*and)\s+{_ROLE_IS})*\s*[.;]?\s*$",
    re.IGNORECASE,
)
"""A sentence that only says who is controller and who processor ("When Processing European Data in accordance
with Controller's Instructions, the Parties acknowledge and agree that CUSTOMER is the Controller of European Data
and Vendia is the Processor."): a role statement, no duty (1.23.0)."""
_VARIATION = re.compile(
    r"\b(?:may|can|reserves?\s+the\s+right\s+to)\s+(?:[\w'’,()-]+\s+){0,14}?"
    r"(?:make\s+(?:any\s+|such\s+)?(?:variations?|amendments?|changes?|modifications?)\s+to|vary|amend|modify|update|change)\s+"
    r"(?:this|these|the)\s+(?:addendum|DPA|agreement|terms|(?:standard\s+contractual\s+)?clauses|data\s+processing)\b",
    re.IGNORECASE,
)
"""A party's right to vary the contract ("We may on 30 days' notice make any variations to this Addendum (including
to the Standard Contractual Clauses) ... to allow transfers ... to continue"): how the terms change, not a term
(1.25.0)."""


def non_binding(text: str) -> str:
    """Why ``text`` (party names already read as roles) binds no processor: ``cross-reference``,
    ``continuation``, ``label``, ``processor permission``, ``controller duty``, ``deeming`` ("use of the
    Service constitutes documented instructions"), ``attitude`` ("X takes security very seriously", 1.10.0),
    ``liability`` ("X is liable for damages caused by ...", 1.20.0), ``precedence`` ("in case of conflict, the
    SCCs prevail", 1.22.0), ``reservation`` ("notification is not an acknowledgement of fault", 1.22.0), ``roles``
    ("the Parties agree that the Customer is the Controller and the Processor is the Processor", 1.23.0),
    ``variation`` ("we may make any variations to this Addendum", 1.25.0) or
    ``description`` (no verb at all:
    "Stored encrypted.", "Backups: encrypted and retained for 30 days"); empty when it may.
    (A controller's permission is checked apart, :func:`controller_permission`: it is evidence of
    the controller's rights.)"""
    if _CONTINUATION.match(text) and _DUTY.search(text) is None:
        return "continuation"
    if text.rstrip(" *_").endswith(":") and _DUTY.search(text) is None and _PARTY_STATES.match(text) is None:
        return "label"
    reference = _REFERENCE.search(text)
    if reference is not None and _DUTY.search(text[: reference.start()] + " " + text[reference.end() :]) is None:
        return "cross-reference"
    if annex_as_subject(text) and _DUTY.search(text) is None:
        return "cross-reference"  # "Annex 2 lists the Sub-processors ..." (1.9.0)
    precedence = _PRECEDENCE.search(text)
    if (
        precedence is not None
        and _CONFLICT.search(text) is not None
        and _APPLIES.search(text) is None
        and _DUTY.search(text[: precedence.start()] + " " + text[precedence.end() :]) is None
    ):
        return "precedence"
    admission = _NO_ADMISSION.search(text)
    if admission is not None and _DUTY.search(text[: admission.start()] + " " + text[admission.end() :]) is None:
        return "reservation"
    if _ROLES_ONLY.match(text) is not None:
        return "roles"
    if _VARIATION.search(text) is not None:
        return "variation"
    if _THIRD_PARTY_RIGHT.match(text) is not None and _PROCESSOR_DUTY.search(text) is None:
        return "third-party right"
    permission = next((m for m in _PERMISSION.finditer(text) if not _RELATIVE_SUBJECT.search(text, 0, m.start())), None)
    if (
        permission is not None
        and _DUTY.search(text) is None
        and _RESTRICTED.search(text) is None
        and _CONDITIONS_LISTED.search(text) is None
        and _CONTROLLER.search(text[: permission.start()]) is None
    ):
        return "processor permission"
    if _CONTROLLERS_RESPONSIBILITY.match(text) is not None and _PROCESSOR_DUTY.search(text) is None:
        return "controller duty"
    if _BEFORE_SENDING.search(text) is not None and _PROCESSOR_DUTY.search(text) is None:
        return "controller duty"
    duty = _CONTROLLER_DUTY.search(text)
    subject = text[_label_end(text) : duty.start()] if duty is not None else ""
    if (
        duty is not None
        and (_CONTROLLER_SUBJECT.match(subject) or _CONTROLLER_AFTER_INTRO.search(subject))
        and (_PROCESSOR_DUTY.search(text) is None or _WARRANTY_THAT.match(text, duty.start()) is not None)
        and _ASSENT_TO_ANOTHER.search(text[: duty.start()]) is None
    ):
        return "controller duty"
    if _DEEMING.search(text) is not None and _DUTY.search(_DEEMING.sub(" ", text)) is None:
        return "deeming"
    if _ATTITUDE.search(text) is not None and _DUTY.search(text) is None:
        return "attitude"
    if _LIABILITY.match(text) is not None:
        return "liability"
    if _described(text):
        return "description"
    return ""


def _described(text: str) -> str | None:
    """``text`` says how something is without a verb that could bind anyone. After a field label
    ("Backups: encrypted and retained for 30 days") the value is read alone, and a word that may
    be a verb in the third person counts only after a party as its subject ("Backups: the
    Processor encrypts them daily"): in a value it is more often a plural noun ("30 days")."""
    if _IMPERATIVE.match(text) is not None:
        return None
    label = _LABEL.match(text)
    if label is not None and _VERB_BEFORE_OBJECT.search(label.group()):
        return None  # a sentence's verb ending before its object ("Transfers out of the UK rely on: the SCCs", 1.25.0)
    start = _label_end(text)
    value = text[start:]
    if FINITE_VERB.search(value) is not None:
        return None
    if _FIRST_PERSON_VERB.search(value) is not None:
        return None  # "We tell the controller without undue delay ..." (1.24.0)
    verb = _PARTY_THEN_VERB if start else _THIRD_PERSON
    return None if verb.search(value) is not None else value


def _label_end(text: str) -> int:
    """Where a field label or run-in title ends ("Backups: ...", "(d) Customer's Instructions: CloudIL shall ..."),
    0 without one; a lead-in with its duty ("The Processor will: maintain ...") or a sentence broken before its
    object ("... rely on:") is no label."""
    label = _LABEL.match(text)
    if label is None or _VERB_BEFORE_OBJECT.search(label.group()):
        return 0
    if _DUTY.search(label.group()) or FINITE_VERB.search(label.group()):
        return 0
    return label.end()


def _commands_the_controller(text: str) -> bool:
    """An imperative (a bullet under a plain heading, no lead-in naming who is bound) whose
    recipient is the processor and that does not name the controller: "Provide instructions to
    the Processor ...", "Notify the Processor of any change ...". Whoever is commanded to do
    something *to* the processor is the controller."""
    command = _IMPERATIVE.match(text)
    return (
        command is not None
        and not command.group().lower().endswith(("ing", "ed"))  # "Processing ... is important to us"
        and _DUTY.search(text) is None
        and _PROCESSOR_AS_OBJECT.search(text) is not None
        and _CONTROLLER_PARTY.search(text) is None
    )


_PROCESSOR_AS_OBJECT = re.compile(
    r"\b(?:the\s+(?:processor|supplier|vendor|(?:service\s+)?provider|data\s+importer)|us)\b(?!['’]s)",
    re.IGNORECASE,
)
"""The processor named as the recipient of an act ("to the Processor", "inform us"), not as an owner
("the Processor's sub-processors")."""
_CONTROLLER_PARTY = re.compile(
    r"\b(?:controllers?|customers?|clients?|you|data\s+exporters?)\b(?!\s+(?:personal\s+)?(?:data|content|information)\b)",
    re.IGNORECASE,
)
"""The controller as a party (data subjects, who are also named in commands, are not; nor is the data named
after it, "Customer Personal Data", 1.9.0)."""
_DEEMING = re.compile(r"\b(?:constitutes?|(?:shall|will)\s+constitute)\b", re.IGNORECASE)
"""A sentence saying what counts as something ("use of the Service ... constitutes documented
instructions") states an equivalence, not a duty."""
_THIRD_PERSON = re.compile(r"\b[a-z]{3,}(?<!ss)(?<!ous)(?<!ics)(?<!ies)(?<!ers)(?<!ons)(?<!ents)s\b", re.IGNORECASE)
"""A word that may be a verb in the third person ("processes", "ensures", "maintains")."""
_FIRST_PERSON_VERB = re.compile(r"\b(?:we|they)\s+(?:\w+ly\s+)?[a-z]{3,}\b", re.IGNORECASE)
""""we" / "they" before a word, which is then a verb ("we retain", "we tell"): a plain-language contract's
present tense."""
_PARTY_THEN_VERB = re.compile(
    r"\b(?:the\s+)?(?:processors?|controllers?|customers?|suppliers?|vendors?|providers?|we|it|they)\s+"
    r"(?:\w+ly\s+)?" + _THIRD_PERSON.pattern,
    re.IGNORECASE,
)
"""A party as the subject of such a word ("the Processor encrypts")."""
_PARTY_STATES = re.compile(
    SENTENCE_START + r"(?:we|the\s+(?:processor|supplier|vendor|(?:service\s+)?provider))\s+(?:\w+ly\s+)?"
    r"(?:(?:do|does)\s+not\s+)?(?!(?:obligations?|dut(?:y|ies)|responsibilities|rights|personnel|staff|data|shall|will|"
    r"must|may)\b)[a-z]{3,}\b(?!['’])",
    re.IGNORECASE,
)
"""A lead-in that is a statement of the processor's ("We implement appropriate measures to protect personal
data:", "OpenPanel implements the following measures under GDPR Art. 32:"): its subject and a verb, not a
field label (1.18.0)."""
_LABEL = re.compile(r"^[\W\d]*[A-Za-z][\w '’()/-]{0,40}:\s+")
"""A field label before its value ("Backups: encrypted and retained for 30 days")."""
_VERB_BEFORE_OBJECT = re.compile(r"\w\s+\w+\s+(?:on|upon|to|with|from|by|under|through|via)\s*:\s+$", re.IGNORECASE)
"""A "label" ending in a preposition is a sentence broken before its object ("Transfers ... rely on:"); a field
label is a noun ("Backups:", "Duration of processing:")."""
_IMPERATIVE = re.compile(
    SENTENCE_START + r"(?:to\s+)?(?:notif|inform|assist|help|support|provid|allow|permit|ensur|make|delet|"
    r"return|destr|implement|maintain|process|forward|submit|cooperat|co-operat|comply|impos|remain|obtain|give|"
    r"bind|keep|follow|take|respect|observe|treat|train|report|document|audit|inspect|limit|restrict|use|"
    r"protect|encrypt|not)\w*\b",
    re.IGNORECASE,
)
"""A duty stated as a command or an infinitive under a lead-in ("Maintain appropriate ...",
"to notify the Controller ...")."""
IMPERATIVE = _IMPERATIVE
"""The same, for the positive reading (:mod:`.binding`)."""
