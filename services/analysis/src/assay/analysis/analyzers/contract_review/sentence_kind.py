"""What kind of sentence a unit is, before it may count as evidence: markup, headings, definitions.

- :func:`clean_markup` removes Markdown and HTML markup (``**``, ``__``, ``~~``, backslash
  escapes, leading ``#``, ``<span ...>``/``<li>`` tags, link targets, reference links, images,
  autolinks' brackets, character references such as ``&amp;``) from a sentence, for matching and
  for the quoted excerpt.
- :func:`is_heading_like` is true for a heading, a table-of-contents line or a field label that
  the segmenter left inside a clause ("2. Subject-matter and duration of the processing.",
  "## Processor's obligations", "Categories of data subjects:"): short and without a verb that
  could carry an obligation.
- :func:`describes_elsewhere` is true for a pointer to the description of the processing: the
  details named only as what another document sets out ("... the categories of personal data and
  for the purposes set out in Appendix 1", "Annex I(B) on the Cover Page describes the subject
  matter ...", "Our processing ... is governed by the Data Processing Agreement set out in
  Schedule 1"); a reference, never the description itself (1.8.0);
- :func:`introduces_definitions` is true for the lead-in of a list of definitions ("In this
  Agreement, the following terms have the following meanings:"): its items, nested ones included,
  are definitions (1.8.0);
- :func:`is_definition` is true for a definition ("'Processor' means ...", "... shall be
  interpreted in accordance with ...", "... refers to ..."), which says what words mean, not
  what a party must do.
- :func:`is_recital` is true for a recital ("WHEREAS, the parties will process Personal Data ...",
  "(C) The Parties seek to implement a data processing agreement ..." under a "WHEREAS" heading),
  which says why the parties contract, not what they agree (1.22.0).
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_IMAGE = re.compile(r"!\[[^\]]{0,300}\]\([^)]{0,500}\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]{1,500})>")
_REFERENCE_LINK = re.compile(r"\[([^\]]{1,300})\]\[[^\]]{0,50}\]")
_LINK = re.compile(r"\[([^\]]{0,300})\]\([^)]{0,500}\)")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=[\w.,:;!?)\]”’\"'])[*_](?!\w)|`")
"""Emphasis marks: doubled anywhere, single ones opening before a word or closing after a word or
after the punctuation it emphasises ("_Categories of data subjects:_")."""
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_HEADING_MARK = re.compile(r"^\s*(?:#{1,6}\s+|>\s+|[*\-•]\s+|\|\s*)")
_NUMBER = re.compile(r"^\s*(?:\(?[0-9ivxlcIVXLC]{1,6}(?:\.[0-9]{1,3}){0,4}[.)]?|\(?[a-zA-Z][.)])\s+")
_VERB = re.compile(
    r"\b(?:shall|will|must|may|can|should|would|is|are|was|were|be|been|being|has|have|had|does|do|did|"
    r"agrees|undertakes|warrants|ensures|processes|provides|notifies|informs|assists|allows|permits|"
    r"deletes|implements|maintains|engages|remains|acknowledges|commits|applies|means|refers|forwards|"
    r"consists|comprises|involves|includes|contains|covers|concerns|relates)\b",
    re.IGNORECASE,
)
"""Finite verbs that can carry an obligation (not the noun-like "return", "use", "notice")."""
FINITE_VERB = _VERB
"""The same, for modules that ask whether a sentence has a verb at all."""
_DUTY_MODAL = re.compile(r"\b(?:shall|will|must|agrees?\s+to|undertakes?\s+to)\b", re.IGNORECASE)
_RELATIVE = re.compile(r"(?<!,)\s(?:whose|which|who|whom|that|where|when)\b", re.IGNORECASE)
"""A restrictive relative clause (no comma before it): "data subjects whose data is transferred"."""
HEADING_WORDS = 14
"""A verbless line up to this many words is a heading or a label."""
BOLD_HEADING_WORDS = 30
"""A verbless line all in bold is a heading up to this long ("4. **Supplementary provisions for transfers of
Personal data subject to both the GDPR and Swiss Data Protection Laws**", 1.20.0)."""
_DEFINITION = re.compile(
    r"^[\"“'‘][^\"”'’]{1,80}[\"”'’](?:\s*(?:,|and|or)\s*[\"“'‘][^\"”'’]{1,80}[\"”'’])*[^.]{0,120}?\s+"
    r"(?:means|mean|shall\s+mean|refers?\s+to|has\s+the\s+meaning|have\s+the\s+meanings?|"
    r"shall\s+(?:have|bear)\s+the\s+meanings?|(?:shall\s+be|are|is)\s+(?:interpreted|construed)|includes)\b",
    re.IGNORECASE,
)

SENTENCE_START = r"^[\W\d]*(?:[a-z]{1,4}[.)]\s+)?"
"""A sentence's start before its first word: punctuation, a clause number and an item mark ("3.1 ", "(a) ",
"b. ")."""


def clean_markup(text: str) -> str:
    """The sentence without Markdown/HTML markup, whitespace normalised."""
    text = _IMAGE.sub("", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = html.unescape(text)
    text = text.replace("~~", "")
    text = _ESCAPE.sub(r"\1", text)
    text = _EMPHASIS.sub("", text)
    text = _HEADING_MARK.sub("", text)
    return " ".join(text.split())


def _body(text: str) -> str:
    """The sentence without its list mark or clause number."""
    text = _HEADING_MARK.sub("", clean_markup(text))
    return _NUMBER.sub("", text)


def is_heading_like(text: str) -> bool:
    """A heading, a table-of-contents entry or a field label: a short verbless line that is a
    Markdown heading, all bold, ends with a colon or without punctuation, or is in title case."""
    body = _body(text)
    if re.match(r"^\s*#{1,6}\s", text):
        # A Markdown heading line, unless it states a duty: a document may write each clause as one ("#### X will
        # assist the Subscriber in responding to requests from data subjects ...", 1.22.0).
        return _DUTY_MODAL.search(body) is None
    raw = _NUMBER.sub("", _HEADING_MARK.sub("", text.strip()))
    bold = re.fullmatch(r"(\*\*|__)[^*_]+(\*\*|__)\s*[.:]?", raw) is not None
    if len(body.split()) > (BOLD_HEADING_WORDS if bold else HEADING_WORDS):
        return False
    if _VERB.search(body) is not None:
        # A field label may hold a relative clause ("Categories of data subjects whose personal
        # data is transferred:", "The period for which the data will be retained:"): its verb
        # is not the label's.
        head = _RELATIVE.split(body, maxsplit=1)[0]
        return body.endswith(":") and head != body and _VERB.search(head) is None
    if bold:
        return True
    if body.endswith(":") or not re.search(r"[.;!?]$", body):
        return True
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", body) if len(w) >= 4]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.6 * len(words)


_DEFINITIONS_LEAD_IN = re.compile(
    r"\bthe\s+following\s+(?:capitali[sz]ed\s+)?(?:(?:terms|words|expressions)\b[^.:]{0,60}?"
    r"\b(?:ha(?:ve|s)|shall\s+(?:have|bear)|bear)\b[^.:]{0,40}?\bmeanings?|definitions\s+(?:shall\s+)?apply)\b"
    r"[^.:]{0,60}:\s*$",
    re.IGNORECASE,
)


def introduces_definitions(text: str) -> bool:
    """A lead-in that introduces a list of definitions ("In this DPA, the following terms have the
    following meanings:", "The following definitions apply:")."""
    return _DEFINITIONS_LEAD_IN.search(clean_markup(text)) is not None


_PLAIN_DEFINITION = re.compile(
    r"^(?!(?:This|That|It|Which|Such|These|There|Compliance)\b)(?:[A-Z][\w()’'/-]*\s+){0,4}[A-Z][\w()’'/-]*:?\s+"
    r"(?:means|shall\s+mean|refers\s+to)\s+(?:any|an?|the|all|each|every)\b"
)
"""A definition whose term is not quoted (bold in Markdown: "**Data Subject(s)** means any information relating
to ..."): a capitalised term, "means" and a determiner (1.18.0); not "This means that ...". The term may end
with a colon, and "refers to" means the same ("**Customer Data**: means all data ...", "**Processor**: refers to
the company that ...", 1.20.0)."""
_COLON_DEFINITION = re.compile(
    r"^[\"“'‘][^\"”'’]{1,80}[\"”'’](?:\s*\([^()]{1,60}\))?\s*:\s+(?![^.;]{0,60}\b(?:shall|must|will|agrees?)\b)\S",
    re.IGNORECASE,
)
"""A definition written as a glossary entry, the quoted term and a colon ("“Sub-processor”: an entity
engaged by the Processor ...", "\"Personal Data\": any information relating to ..."); a quoted
heading that opens a duty ("\"Audits\": the Processor shall ...") is none (1.10.0)."""


_RECITALS_HEADING = re.compile(r"^\W*(?:whereas|recitals?)\W*$", re.IGNORECASE)
_WHEREAS = re.compile(r"^\W*whereas\b", re.IGNORECASE)


def is_recital(heading: str, text: str) -> bool:
    """Whether a clause is a recital: it opens with "WHEREAS" or stands under a "WHEREAS" or "Recitals"
    heading (the heading ends the recitals: "NOW IT IS HEREBY AGREED", "1. Definitions")."""
    return _RECITALS_HEADING.match(clean_markup(heading)) is not None or _WHEREAS.match(clean_markup(text)) is not None


def is_definition(text: str) -> bool:
    """A sentence that defines words rather than binding a party."""
    body = re.sub(r"^(?:in\s+this|for\s+the\s+purposes?\s+of)\b[^,]{1,80},\s*", "", _body(text), flags=re.I)
    return any(p.match(body) is not None for p in (_DEFINITION, _COLON_DEFINITION, _PLAIN_DEFINITION))


MAIN_AGREEMENT = r"(?:principal|main|master|underlying|services?|subscription|customer)\s+agreement"
"""The agreement a DPA supplements, named as such ("set out in the Principal Agreement", 1.27.0)."""
_ELSEWHERE = (
    r"(?:(?:the|an?|its|our|your|separate|attached)\s+)?(?:annex|appendix|schedule|exhibit|attachment|cover\s+page|order\s+form|"
    r"data\s+process(?:ing|or)\s+(?:agreement|addendum|terms)|dpa|privacy\s+(?:policy|notice)|"
    + MAIN_AGREEMENT
    + r")\b"
)
_POINTS_TO = re.compile(
    r"\b(?:set\s+(?:out|forth)|described|specified|listed|detailed|identified|contained|included)\s+"
    r"(?:in|at|under|within)\s+" + _ELSEWHERE + r"|\bgoverned\s+by\s+" + _ELSEWHERE,
    re.IGNORECASE,
)
"""The processing details pointed to in another document ("the purposes set out in Appendix 1",
"is governed by the Data Processing Agreement set out in Schedule 1"). ``this`` Annex is the text
at hand, so "set out in this Annex" is no pointer."""
_DESCRIBES = re.compile(
    r"^[\W\d]*(?:\d+(?:\.\d+)*\.?\s+)?(?:[A-Z][\w-]*\s+){0,4}?(?:[\w\s]{0,40}\.\s+)?"
    r"(?:the\s+)?(?:annex|appendix|schedule|exhibit|attachment|cover\s+page|order\s+form)\b[^.;]{0,60}?\s"
    r"(?:describes|sets\s+(?:out|forth)|lists|specifies|details|contains|identifies)\b",
    re.IGNORECASE,
)
"""Another document as the subject that describes ("Annex I(B) on the Cover Page describes the
subject matter ...", also after a heading run in: "1. Processing Details. Annex I(B) ...")."""


def annex_as_subject(text: str) -> bool:
    """Another document is the subject that lists or describes ("Annex 2 lists the Sub-processors ...",
    "Schedule 3 sets out the technical and organisational measures"): a pointer to its content, for
    any requirement (1.9.0)."""
    return _DESCRIBES.match(clean_markup(text)) is not None


def describes_elsewhere(text: str) -> bool:
    """The description of the processing is only pointed to in another document (an annex, a
    schedule, a cover page, a DPA, a privacy policy), not given."""
    body = clean_markup(text)
    return _POINTS_TO.search(body) is not None or _DESCRIBES.match(body) is not None
