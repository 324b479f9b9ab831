"""What kind of document is under review: processor terms, an agreement embedding or incorporating
them, an NDA, a privacy notice, another contract, or not a contract at all.

Deterministic rules over two kinds of signal, each explained in the verdict's reason:

- the **title**: the earliest document-type name in the opening of the document ("Data
  Processing Agreement", "Master Subscription Agreement", "Privacy Policy", "Form 10-K", ...);
- the **body**: how many sentences bind a processor or service provider ("Processor shall ...",
  "Service Provider will not ..."), how many refer to a separate DPA as incorporated or
  applicable, how contract-like the wording is (shall, parties, agreement, hereby per 1,000
  words), how notice-like ("we collect", "your information") and how much of it is a financial
  filing.

A text that says of itself that it is no contract ("This statement is provided for transparency.
It is not a contract and does not create rights or obligations") is none, whatever its title: a
privacy notice when it explains how its author handles personal data, else not a contract. So is
a text titled as processor terms whose author declares itself a controller and not the reader's
processor ("Remotion acts as an independent controller for this data rather than as the
customer's processor") while binding no processor and reading like no contract: it explains the
law, it does not take on Art. 28 duties.

Confidence is high when title and body agree, lower when only one of them speaks, and lowest for
a fallback; it is a rule-based certainty, not a calibrated probability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assay.analysis.analyzers.contract_review.parties import PartyAliases, canonical_roles

DocumentType = Literal[
    "processor_terms",
    "agreement_with_processor_terms",
    "agreement_incorporating_dpa",
    "nda",
    "privacy_notice",
    "other_contract",
    "not_a_contract",
]

LABELS: dict[DocumentType, str] = {
    "processor_terms": "data processing agreement / processor terms",
    "agreement_with_processor_terms": "agreement that embeds processor terms",
    "agreement_incorporating_dpa": "agreement that incorporates a DPA by reference only",
    "nda": "non-disclosure agreement",
    "privacy_notice": "privacy notice",
    "other_contract": "contract without processor terms",
    "not_a_contract": "not a contract",
}

HEAD_CHARS = 1500
"""The opening searched for a title."""
MIN_PROCESSOR_DUTIES = 5
"""Sentences binding a processor / service provider that make a document carry processor terms."""
PROCESSOR_DUTY_SHARE = 0.08
"""... and their share of all sentences that makes an untitled document processor terms."""
NO_CONTRACT_CHARS = 3000
"""The opening searched for the text's word about itself ("It is not a contract")."""
MIN_CONTRACT_DENSITY = 4.0
"""Contract words (shall, parties, agreement, hereby ...) per 1,000 words below which a document
without a contract title is not read as a contract."""

_TITLES: tuple[tuple[DocumentType | Literal["agreement"], re.Pattern[str]], ...] = (
    (
        "processor_terms",
        re.compile(
            r"data[ -]process(?:ing|or) (?:agreement|addendum|terms|contract|schedule|exhibit|annex|appendix)|"
            r"\bdpa\b|data protection (?:agreement|addendum|schedule|exhibit)|processor terms|"
            r"service provider (?:addendum|terms|agreement)|\b(?:ccpa|cpra|cpa) (?:addendum|terms)|"
            r"auftrags?verarbeitung|databehandleraftale|databehandler|"
            r"(?:gem[äa](?:ß|ss)|pursuant to|under|in accordance with) art(?:icle|\.)? ?28\b"
        ),
    ),
    ("nda", re.compile(r"non-?disclosure|confidential(?:ity)? agreement|geheimhaltungs|\bnda\b")),
    (
        "privacy_notice",
        re.compile(r"privacy (?:policy|notice|statement)|datenschutzerkl[äa]rung|cookie (?:policy|notice)"),
    ),
    (
        "not_a_contract",
        re.compile(
            r"form 10-[kq]\b|annual report|quarterly report|securities and exchange commission|"
            r"financial statements|prospectus"
        ),
    ),
    (
        "agreement",
        re.compile(
            r"(?:master|subscription|services?|software|saas|license|licence|purchase|supply|"
            r"consulting|reseller|partner(?:ship)?)\s+(?:\w+\s+){0,2}agreement|"
            r"terms (?:of|and conditions of) (?:service|use|sale)|terms and conditions|"
            r"general terms|order form"
        ),
    ),
)
_SENTENCE = re.compile(r"(?<=[.;:!?])\s+|\n\s*\n")
_WORD = re.compile(r"\w+")
_PROCESSOR = re.compile(
    r"\b(?:sub-?)?processors?\b|\bservice providers?\b|\bcontractors?\b|auftrags?verarbeit|auftragnehmer|databehandler"
)
_DUTY = re.compile(
    r"\b(?:shall|must|will|agrees?|undertakes?|warrants?|is obliged|is required)\b|"
    r"verpflichtet|\bhat\b|\bwird\b|\bskal\b"
)
_ABOUT_DATA = re.compile(r"\bprocess(?:es|ed|ing)?\b|\bdata\b|personal information|daten|oplysning")
_DPA_NAME = re.compile(
    r"data process(?:ing|or) (?:agreement|addendum|terms)|data protection (?:agreement|addendum)|\bdpa\b|"
    r"auftragsverarbeitungsvertrag"
)
_REFERENCE = re.compile(
    r"incorporat|forms? (?:a )?part|\bcomply with\b|\bsubject to\b|\bmeans\b|\bgoverned by\b|"
    r"\b(?:annex(?:es)?|appendi(?:x|ces)|schedules?|exhibits?)\b|\battached\b"
)
"""A sentence naming a DPA hands something to it: incorporated, governing, defined, or the DPA is one
of the agreement's annexes, appendices, schedules or exhibits ("the Data Processing Agreement at
Schedule B", "consult the annex to this Framework Agreement, specifically our Data Processing
Agreement")."""
_CONTRACT = re.compile(
    r"\bshall\b|\bparties\b|\bparty\b|\bagreement\b|\bhereby\b|\bhereunder\b|\bherein\b|\bvertrag|"
    r"\bparteien\b|\baftale|\bskal\b|\bverpflichtet"
)
_NOTICE = re.compile(
    r"\bwe (?:may )?(?:collect|use|share|process|store|retain|disclose)\b|\byour (?:personal )?(?:information|data)\b|"
    r"\bcookies\b|\bopt[- ]out\b"
)
_NO_CONTRACT = re.compile(
    r"\b(?:it|this|the)\s+(?!(?:\w+\s+)?(?:agreement|addendum|contract|dpa|terms|schedule|annex|exhibit|appendix)\b)"
    r"(?:\w+\s+){0,2}?(?:is\s+not|isn['’]t|does\s+not\s+constitute|is\s+not\s+intended\s+to\s+(?:be|constitute))\s+"
    r"(?:a|an|any)\s+(?:legally\s+binding\s+)?(?:contract|agreement|offer)\b|"
    r"\b(?:this|the)\s+(?!(?:\w+\s+)?(?:agreement|addendum|contract|dpa|terms)\b)(?:\w+\s+){0,2}?"
    r"(?:is\s+not\s+legally\s+binding|does\s+not\s+create\s+(?:any\s+)?(?:legal\s+|contractual\s+)?(?:rights|obligations))"
)
"""The text says of itself that it is no contract ("It is not a contract", "This statement does not
create rights or obligations"); an agreement, addendum or DPA saying so of something else ("This
Agreement is not a contract of employment") is left out."""
_CONTROLLER_NOT_PROCESSOR = re.compile(
    r"\b(?:acts?|acting|is|are|am|as)\s+(?:an?\s+|the\s+)?(?:independent\s+|separate\s+|sole\s+)?controllers?\b"
    r"[^.;]{0,120}?\b(?:rather\s+than|not|instead\s+of)\s+(?:as\s+)?(?:an?\s+|the\s+)?(?:\w+['’]s?\s+)?processors?\b|"
    r"\b(?:is|are|am|acts?)\s+not\s+(?:acting\s+)?(?:as\s+)?(?:an?\s+|the\s+)?(?:\w+['’]s?\s+)?processors?\b"
)
"""The author declares itself a controller and not the reader's processor ("acts as an independent
controller for this data rather than as the customer's processor", "we are not a processor")."""
_BULLET = re.compile(r"\s*[-*+•]\s+")
"""A bulleted line ("- ", "* "; not a numbered clause, which may be a DPA's own)."""
DOMAIN_NAME = r"[a-z][a-z0-9\-]*\.(?:io|com|ai|app|co|net|org|dev|eu|nl|de|so|sh|me|tech|cloud)(?![\w.])"
"""A brand written as its domain, in lower case ("mvdm.io", 1.27.0)."""
_DECLARED_PROCESSOR = re.compile(
    rf"(?P<name>(?:[A-Z][\w&'’.\-]*|{DOMAIN_NAME})(?:[ \t]+[A-Z][\w&'’.\-]*){{0,3}})\s+"
    r"(?:is|acts|shall\s+act|will\s+act)\s+as\s+(?:the\s+|a\s+)?(?:data\s+)?processor\b|"
    rf"(?P<name2>(?:[A-Z][\w&'’.\-]*|{DOMAIN_NAME})(?:[ \t]+[A-Z][\w&'’.\-]*){{0,3}})"
    r"\s+is\s+the\s+(?:data\s+)?processor\b"
)
"""A party declared the processor anywhere in the text, with or without an article ("Client is the
data controller and Baton acts as data processor", "Acme is the processor"); its sentences are then
read as the processor's, as a bracketed definition in the opening would be."""
_NOT_A_PROCESSOR_NAME = re.compile(
    r"(?:the\s+)?(?:customers?|clients?|controllers?|processors?|sub-?processors?|users?|you|we|each|either|"
    r"both|this|such|any|all|party|parties|it|which|who|that|where|if|when)$",
    re.IGNORECASE,
)
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)")
"""Markdown emphasis, dropped where a phrase is read across it ("an **independent controller**")."""
_PERSONAL_DATA = re.compile(r"personal (?:data|information)|\bpersonenbezogene")
_CONFIDENTIAL = re.compile(r"confidential information|vertrauliche informationen")
_FILING = re.compile(
    r"fiscal (?:year|quarter)|net (?:income|loss|revenue)|\bshareholders?\b|\bstockholders?\b|"
    r"earnings per share|form 10-[kq]\b|exchange act"
)


@dataclass(frozen=True)
class Signals:
    """What the rules read off the text."""

    title: str
    """The earliest title kind found in the opening, or empty."""
    title_text: str
    words: int
    sentences: int
    processor_duties: int
    dpa_references: int
    contract_density: float
    notice_density: float
    confidential_mentions: int
    filing_density: float
    disclaims_contract: bool = False
    """The opening says the text itself is no contract."""
    controller_not_processor: bool = False
    """The author declares itself a controller, not a processor."""
    personal_data_mentions: int = 0


@dataclass(frozen=True)
class DocumentTypeVerdict:
    """The document type, how sure the rules are (0-1), and why."""

    type: DocumentType
    confidence: float
    reason: str

    @property
    def label(self) -> str:
        return LABELS[self.type]


def read_signals(text: str) -> Signals:
    """Title and body signals of ``text``."""
    head = text[:HEAD_CHARS].lower()
    declared = _declared_names(text)
    lowered = canonical_roles(_declared_processors(text, declared).normalise(text)).lower()
    title, title_text, first = "", "", len(head) + 1
    for kind, pattern in _TITLES:
        found = _title_match(pattern, head)
        if found is not None and found.start() < first:
            title, title_text, first = kind, found.group(0), found.start()
    sentences = [s for s in _SENTENCE.split(lowered) if s.strip()]
    words = max(len(_WORD.findall(lowered)), 1)
    duties = sum(1 for s in sentences if _PROCESSOR.search(s) and _DUTY.search(s) and _about_data(s))
    references = sum(1 for s in sentences if _refers_to_dpa(" ".join(s.split())))
    per_k = 1000 / words
    plain = _EMPHASIS.sub("", lowered)
    return Signals(
        title=title,
        title_text=title_text,
        words=words,
        sentences=len(sentences),
        processor_duties=duties,
        dpa_references=references,
        contract_density=len(_CONTRACT.findall(lowered)) * per_k,
        notice_density=len(_NOTICE.findall(lowered)) * per_k,
        confidential_mentions=len(_CONFIDENTIAL.findall(lowered)),
        filing_density=len(_FILING.findall(lowered)) * per_k,
        disclaims_contract=_NO_CONTRACT.search(plain[:NO_CONTRACT_CHARS]) is not None,
        # A controller for some data that declares itself the processor of the rest is the reader's processor (1.27.0).
        controller_not_processor=_CONTROLLER_NOT_PROCESSOR.search(plain) is not None and not declared,
        personal_data_mentions=len(_PERSONAL_DATA.findall(lowered)),
    )


def _title_match(pattern: re.Pattern[str], head: str) -> re.Match[str] | None:
    """The first type name in the opening that names the document itself: an agreement often opens
    with a list of the documents that go with it, and a web page with a banner, and a name that is an
    item of such a list (a bulleted line) or inside the text of a link ("- Data Processing Agreement
    (DPA): https://...", "* [Data Processing Agreement](data-processing-agreement)", "[**We recently
    updated our consumer Privacy Notice.**](https://...)": 1.16.0) points to another document and is
    no title."""
    for found in pattern.finditer(head):
        line_start = head.rfind("\n", 0, found.start()) + 1
        if _BULLET.match(head, line_start) or _in_link_text(head, found.start(), found.end()):
            continue
        return found
    return None


def _in_link_text(head: str, start: int, end: int) -> bool:
    """Whether ``head[start:end]`` lies inside a Markdown link's text, on one line: "[... name ...](...)"."""
    line_end = head.find("\n", end)
    line_end = len(head) if line_end < 0 else line_end
    opening = head.rfind("[", head.rfind("\n", 0, start) + 1, start)
    closing = head.find("](", end, line_end)
    return opening >= 0 and closing >= 0 and "]" not in head[opening:start] and "[" not in head[end:closing]


def _declared_names(text: str) -> list[str]:
    """The names the text declares the processor ("mvdm.io is the processor for personal data ...")."""
    names: list[str] = []
    for match in _DECLARED_PROCESSOR.finditer(_EMPHASIS.sub("", text)):
        name = " ".join((match.group("name") or match.group("name2")).split())
        if not _NOT_A_PROCESSOR_NAME.fullmatch(name) and name not in names:
            names.append(name)
    return names


def _declared_processors(text: str, names: list[str]) -> PartyAliases:
    """The parties defined in the opening, plus ``names``, the parties the text declares the processor."""
    defined = PartyAliases.from_texts([text[:HEAD_CHARS]])
    known = {alias for alias, _ in defined.aliases}
    declared = {name: "Processor" for name in names if name not in known}
    if not declared:
        return defined
    aliases = sorted([*defined.aliases, *declared.items()], key=lambda item: -len(item[0]))
    return PartyAliases(tuple(aliases))


def _refers_to_dpa(sentence: str) -> bool:
    """The sentence names a DPA and hands something to it; read on one line, so that a name or a
    reference wrapped over two lines ("the Data\nProcessing Agreement") still counts."""
    return bool(_DPA_NAME.search(sentence) and _REFERENCE.search(sentence))


def _about_data(sentence: str) -> bool:
    """A processor sentence about data (not a "contractor shall invoice ...")."""
    return bool(_ABOUT_DATA.search(sentence))


def classify(text: str) -> DocumentTypeVerdict:
    """The document type of ``text`` with a confidence and the signals behind it."""
    s = read_signals(text)
    body = (
        f"{s.processor_duties} sentences binding a processor or service provider, "
        f"{s.dpa_references} references to a DPA, {s.contract_density:.0f} contract words per 1,000"
    )
    titled = f"titled '{s.title_text}'; " if s.title else "no type named in its opening; "
    carries_terms = s.processor_duties >= MIN_PROCESSOR_DUTIES
    share = s.processor_duties / max(s.sentences, 1)
    contract_like = s.contract_density >= MIN_CONTRACT_DENSITY

    def verdict(kind: DocumentType, confidence: float) -> DocumentTypeVerdict:
        return DocumentTypeVerdict(kind, confidence, titled + body)

    if s.title == "not_a_contract" or (not s.title and not contract_like and s.filing_density > s.notice_density):
        return verdict("not_a_contract", 0.9 if not contract_like else 0.6)
    explains_data = s.controller_not_processor or s.notice_density >= 1 or s.personal_data_mentions >= 3
    if s.disclaims_contract and not carries_terms:
        # It says it is no contract: what it explains is a notice, whatever its title.
        return DocumentTypeVerdict(
            "privacy_notice" if explains_data else "not_a_contract",
            0.8,
            titled + "says it is no contract; " + body,
        )
    if s.title == "processor_terms" and s.controller_not_processor and not carries_terms and not contract_like:
        return DocumentTypeVerdict(
            "privacy_notice", 0.6, titled + "its author declares itself a controller, not a processor; " + body
        )
    if s.title == "privacy_notice":
        return verdict("privacy_notice", 0.9 if s.notice_density > s.contract_density / 4 else 0.7)
    if s.title == "nda":
        return verdict("nda", 0.9 if s.confidential_mentions and not carries_terms else 0.7)
    if s.title == "processor_terms":
        return verdict("processor_terms", 0.95 if carries_terms else 0.7)
    if s.title == "agreement" or contract_like:
        sure = 0.9 if s.title == "agreement" else 0.6
        if carries_terms and share >= PROCESSOR_DUTY_SHARE and s.title != "agreement":
            return verdict("processor_terms", 0.7)
        if carries_terms:
            return verdict("agreement_with_processor_terms", sure - 0.1)
        if s.dpa_references:
            return verdict("agreement_incorporating_dpa", sure - 0.1)
        if s.confidential_mentions >= 3 and s.title != "agreement" and s.notice_density < 1:
            return verdict("nda", 0.5)
        return verdict("other_contract", sure - 0.1)
    if s.notice_density >= 2:
        return verdict("privacy_notice", 0.6)
    return verdict("not_a_contract", 0.6)
