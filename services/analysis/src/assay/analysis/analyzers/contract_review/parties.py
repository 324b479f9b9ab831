"""Party-name normalisation: ``Cloudlane will ...`` reads as ``the Processor will ...``.

Contracts define their parties once (``Cloudlane Analytics Ltd ("Processor")``) and then use
either the name or the role. Sentence embeddings weigh names heavily, so before matching every
alias of a defined party (full name, name without its legal form, distinctive first word) is
replaced by its defined role. Quotes are always taken from the original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_LEGAL_FORM_AFTER = (
    r"(?=[ \t]+(?:B\.V\.|BV|N\.V\.|GmbH|AG|Inc\b|Ltd\b|LLC|Limited|S\.A\.|SAS|AB\b|Oy\b|AS\b|ApS|Pty\b))"
)
_FIRST_WORD = rf"(?:[A-Z][\w&'’.\-]*|(?<![\w&'’.\-])(?:[a-z]+[A-Z][\w&'’.\-]*|[a-z][\w&'’\-]*{_LEGAL_FORM_AFTER}))"
"""A name's first word: capitalised ("Cloudlane"), or a brand written in lower case that a capital
inside ("abcAssess", "eBay") or a legal form after ("moooon B.V.") marks as a name (1.12.0). The legal
forms here are written as registered, capitalised: ``_LEGAL_FORMS`` strips them from a name in any case
("co", "as", "sa"), which after a lower-case word would make "processed as ..." a name."""
_DEFINITION = re.compile(
    rf"(?P<name>{_FIRST_WORD}(?:[ \t]+(?:[A-Z][\w&'’.\-]*|of|&|de|du|van|von)){{0,6}}"
    r"(?:,\s+(?:Inc|LLC|Ltd|L\.L\.C|Limited|Corp)\.?)?)"
    r",?\s*\((?P<inner>[^()]{1,120})\)",
)
_QUOTED = re.compile(r"[\"“'‘]([A-Za-z][A-Za-z0-9\- ]{0,40})[\"”'’]")
_LEGAL_FORMS = re.compile(
    r"\s+(?:ltd\.?|limited|inc\.?|incorporated|llc|l\.l\.c\.|llp|plc|gmbh|ag|s\.a\.r?\.?l?\.?|"
    r"sarl|s\.a\.|sa|b\.v\.|bv|n\.v\.|nv|corp\.?|corporation|co\.?|company|pty|srl|spa|oy|ab|as)$",
    re.IGNORECASE,
)
_DOTTED_END = re.compile(r"(?:\b\w\.)+$")
_NAME = rf"(?P<name>{_FIRST_WORD}(?:[ \t]+[A-Z][\w&'’.\-]*){{0,3}})"
_MEANS = r"\s*[\"”]\s+(?:means|shall\s+mean|refers\s+to|is)\s+"
_ACTS_AS = (
    r"\s+(?:is(?:\s+acting)?|acts|shall\s+(?:act|be)|will\s+(?:act|be))\s+(?:as\s+)?(?:(?:the|a|its|their)\s+)?"
    r"(?:[Dd]ata\s+)?"
)
"""The verb of a role statement, its article optional ("X will act as processor to Customer", "X is acting as a
Data Processor", 1.22.0)."""
_IN_RELATIVE_CLAUSE = re.compile(r"\b(?:which|whom|whose)\s+$", re.IGNORECASE)
"""A controller's role said in a relative clause is said of other data ("personal data for which X is a
controller": the processor's own data), not of the party in this agreement; a processor's is the agreement's
("Services through which X processes Personal Data on Customer's behalf", 1.22.0)."""
_CAPITALS_NAME = r"\b(?P<name>[A-Z][A-Z0-9&\-]{2,})"
_CAPITALS_ACTS_AS = r"[ \t]+(?:IS|ACTS)[ \t]+(?:AS[ \t]+)?(?:THE|A)[ \t]+(?:DATA[ \t]+)?"
_ON_BEHALF = r"\bon\s+(?:behalf\s+of\b|(?:the\s+)?[A-Z][\w&.\-]*(?:\s+[A-Z][\w&.\-]*){0,2}['’]s?\s+behalf\b)"
""""on behalf of the Customer", or with the possessive: "on Customer's behalf" (1.17.0)."""
_CONTROLLER_IS = (
    r"[^.;]{0,80}?\b(?:qualif(?:y|ies)\s+as|is|are|acts?\s+as)\s+(?:the|a)\s+(?:[Dd]ata\s+)?[Cc]ontrollers?\b"
)
"""Whoever else is said to be the controller of the data a party processes (1.24.0)."""
_ROLE_STATEMENTS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "“Data Processor” means Courier."
    (re.compile(rf"[\"“]\s*(?:Data\s+)?Processor{_MEANS}{_NAME}"), "Processor"),
    (re.compile(rf"[\"“]\s*(?:Data\s+)?Controller{_MEANS}{_NAME}"), "Controller"),
    # "Pipeboard is the Processor", "X acts as a data processor", "Hanzo is its Processor" (not "a sub-processor")
    (re.compile(rf"{_NAME}{_ACTS_AS}[Pp]rocessor\b"), "Processor"),
    (re.compile(rf"{_NAME}{_ACTS_AS}[Cc]ontroller\b"), "Controller"),
    # "Meta's compliance with its obligations as a Processor" (1.20.0)
    (
        re.compile(
            rf"{_NAME}['’]s\s+(?:[\w-]+\s+){{0,4}}?(?:obligations|duties)\s+as\s+(?:a|the)\s+(?:[Dd]ata\s+)?[Pp]rocessor\b"
        ),
        "Processor",
    ),
    # a heading in capitals: "PROCESSING FOR WHICH SCALINGO IS A PROCESSOR" (the name is the one word before, 1.20.0)
    (re.compile(rf"{_CAPITALS_NAME}{_CAPITALS_ACTS_AS}PROCESSOR\b"), "Processor"),
    # "personal data processed by Berget on behalf of the Customer", "X processes Personal Data ... on Customer's
    # behalf"
    (re.compile(rf"\b[Pp]rocessed\s+by\s+{_NAME}\s+{_ON_BEHALF}"), "Processor"),
    (re.compile(rf"{_NAME}\s+processes\s+[^.;]{{0,80}}?{_ON_BEHALF}"), "Processor"),
    # "to the extent GAPP processes Personal Data for which such Authorized Affiliates qualify as the Controller"
    (re.compile(rf"{_NAME}\s+processes\s+[^.;]{{0,80}}?\bfor\s+which\s+{_CONTROLLER_IS}"), "Processor"),
)
"""How a contract says which party processes for the other without a defined role in brackets:
the drafting of Art. 4(8) GDPR ("processes personal data on behalf of the controller") and the
usual role statements. The name is then read as that role, as a bracketed definition would be."""
_PARTY_ROLE = re.compile(
    r"(?:the\s+)?(?:data\s+)?(?:processors?|controllers?|customers?|clients?|suppliers?|vendors?|"
    r"(?:service\s+)?providers?|consultants?|contractors?|company|business|licensee|licensor|subscriber|"
    r"recipient|discloser|user|we|us|you|importer|exporter|party)",
    re.IGNORECASE,
)
"""Role words a bracketed definition gives a party (any other defined term is no party)."""
_ROLE_WORDS = re.compile(
    r"^(?:the\s+)?(?:customers?|clients?|controllers?|processors?|sub-?processors?|data|personal|company|"
    r"business|parties|party|each|either|both|this|such|any|all|end|ultimate|contracted|relevant)\b",
    re.IGNORECASE,
)

_EITHER_ROLE = frozenset({"Company", "Business"})
"""Role words that stand for either party: a supplier's own terms call it "the Company" ("the
Customer shall be the Data Controller and the Company shall be the Data Processor"), a controller's
template calls its customer that. The document's role statement says which (1.12.0)."""

_COMMON = frozenset(
    """the this that data services service agreement party parties customer supplier vendor
    provider processor controller company client business contractor recipient discloser
    united national global international general first second new""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class PartyAliases:
    """Aliases of the defined parties and the role each stands for."""

    aliases: tuple[tuple[str, str], ...]
    """``(alias, role)``, longest alias first."""

    @classmethod
    def from_texts(cls, texts: Iterable[str], rest: Iterable[str] = ()) -> PartyAliases:
        """Read party definitions and role statements from the first part of a document (``texts``), and
        the role statements of the ``rest`` when that first part names no processor (1.23.0: "To the extent
        that Self is acting as a Data Processor for you" said first in clause 41)."""
        head = list(texts)
        found = _defined(head)
        found.update((alias, role) for alias, role in _stated(head).items() if alias not in found)
        if not any(_names_processor(role) for role in found.values()):
            found.update((alias, role) for alias, role in _stated(list(rest)).items() if alias not in found)
        ordered = sorted(found.items(), key=lambda item: -len(item[0]))
        return cls(tuple(ordered))

    def normalise(self, text: str) -> str:
        """Replace every alias by ``the <Role>`` (``we`` stays ``we``), and drop the processor's role said
        beside it ("As a Subcontractor, the Processor undertakes ...": the French *sous-traitant*)."""
        for alias, role in self.aliases:
            if alias not in text:
                continue
            target = role if role in {"we", "us"} else f"the {role}"
            text = re.sub(rf"(?:\b[Tt]he\s+)?(?<![\w-]){re.escape(alias)}(?![\w-])", target, text)
        return _PROCESSOR_APPOSITION.sub("", text)


_DOCUMENT_NAME = re.compile(
    r"\b(?:Agreement|Terms|Addendum|DPA|Policy|Notice|Contract|Schedule|Annex|Exhibit|Appendix|Order|Form|"
    r"Platform|Website|Software|Application)$"
)
"""The last word of a document's or a product's name: the name before a party's bracket is then what the party
accepted or uses ("any person who accesses or uses the Alpha Vantage Platform ("User" or "you")", 1.24.0)."""
_SHORT_NAME = re.compile(r"(?!(?:The|This|Our|Its)\b)[A-Z][\w-]*(?:\s+[\w-]+){0,2}")
"""A party's short name defined beside its role ("F7", "Courier service"): capitalised, not "The Service" nor "our"."""


def _defined(texts: list[str]) -> dict[str, str]:
    """Aliases of the parties a bracketed definition names (``Cloudlane Analytics Ltd ("Processor")``)."""
    found: dict[str, str] = {}
    for text in texts:
        for match in _DEFINITION.finditer(text):
            name = _after_sentence_break(" ".join(match.group("name").split()))
            quoted = [" ".join(q.split()) for q in _QUOTED.findall(match.group("inner"))]
            if not quoted:
                continue
            roles = [q for q in quoted if _PARTY_ROLE.fullmatch(q)]
            first_person = any(q.lower() in {"we", "us", "our"} for q in quoted)  # the supplier's own terms
            role = "we" if first_person else (roles or quoted)[0]
            if role.lower() in {"agreement", "dpa", "addendum", "purpose", "services"}:
                continue
            # A defined term that is no party ("Keboola Order Form" ("Order Form"), "Data
            # Protection Impact Assessment" ("DPIA")) stands only for its full name: its first
            # words are often a party's name or ordinary words.
            party = _PARTY_ROLE.fullmatch(role) is not None
            if party and _DOCUMENT_NAME.search(name):
                continue  # "... that accepted the Principal Agreement ("Controller", "you")": a document is no party
            if not party and (len(name.split()) < 3 or not _abbreviates(role, name)):
                # "Data Protection" ("FADP"): a fragment of a longer term; "... their rights under applicable Data
                # Protection Laws ("Data Subject Requests")": a term for more than the words before it (1.24.0).
                continue
            aliases = _aliases(name) if party else [name]
            if party and not first_person:
                # The short name defined beside the role: "F7 Platform, Inc. ("Processor" or "F7")". Not beside
                # "we": "we" reads only as a subject ("Provide instructions to Courier" is no "to we").
                aliases += [q for q in quoted if q not in roles and _SHORT_NAME.fullmatch(q)]
            for alias in aliases:
                if alias.lower() != role.lower():
                    found.setdefault(alias, role)
    return found


def _abbreviates(term: str, name: str) -> bool:
    """Whether a defined ``term`` is made of the ``name`` before it: its words ("Keboola Order Form" ("Order
    Form")) or its initials ("Data Protection Impact Assessment" ("DPIA")), or is a company's short name ("Motif
    Land Inc." ("Markprompt"))."""
    if _LEGAL_FORMS.search(name):
        return True
    words = name.lower().split()
    initials = "".join(w[0] for w in words)
    return set(term.lower().split()) <= set(words) or term.lower() in (initials, initials + "s")


def _stated(texts: list[str]) -> dict[str, str]:
    """Aliases of the parties a role statement names ("Nimbus shall act as the Data Processor")."""
    found: dict[str, str] = {}
    for text in texts:
        plain = text.replace("*", "")
        for pattern, role in _ROLE_STATEMENTS:
            for match in pattern.finditer(plain):
                if role == "Controller" and _IN_RELATIVE_CLAUSE.search(plain, 0, match.start()):
                    continue
                name = _after_sentence_break(" ".join(match.group("name").split()).rstrip(",;:"))
                if not _DOTTED_END.search(name):
                    name = name.rstrip(".")  # a full stop, not the last dot of "B.V."
                if name in _EITHER_ROLE:
                    found.setdefault(name, role)
                    continue
                if not name or _ROLE_WORDS.match(name):
                    continue
                for alias in _aliases(name):
                    found.setdefault(alias, role)
    return found


_SENTENCE_BREAK = re.compile(r"(?<=[a-z]{2}\.)\s+")
_SUBORDINATOR = re.compile(r"^(?:When|Where|Whereas|If|Unless|While|Whilst|Although|Because|Since|As|Once)\s+")


def _after_sentence_break(name: str) -> str:
    """The name after the last full stop a name's words run across, without the conjunction that opens its
    sentence: "... pursuant to the Agreement. When Customer is acting as a processor" names "Customer", not
    "Agreement. When Customer" (1.23.0: the alias "Agreement." made every "the Agreement." the processor)."""
    pieces = _SENTENCE_BREAK.split(name)
    last = pieces[-1]
    if len(pieces) > 1 and _LEGAL_FORMS.match(" " + pieces[-2].rsplit(" ", 1)[-1]):
        return name  # "Harbour Inc. Europe": the dot of a legal form
    return _SUBORDINATOR.sub("", last)


def _names_processor(role: str) -> bool:
    """Whether a role read from the document is the processor's (its name, a supplier word, or the supplier's "we")."""
    return role in {"Processor", "we"} or _PROCESSOR_ROLES.fullmatch(role) is not None


_ROLE = r"(?:a|the)\s+(?:[Dd]ata\s+)?(?:[Pp]rocessor|[Ss]ub-?contractor)"
_PROCESSOR_APPOSITION = re.compile(
    rf"(?<![\w,;])[Aa]s\s+{_ROLE}\s*,\s*(?=the\s+Processor\b|we\b)|(?<=\bthe\sProcessor),\s+as\s+{_ROLE}\s*,"
)
"""The processor's role said beside its name ("As a Subcontractor, SCALINGO undertakes ...", "the responsibility
of SCALINGO, as a subcontractor, is ..."): a translation's word for the processor, read by the embeddings as a
sub-processor (1.20.0)."""


def _aliases(name: str) -> list[str]:
    out = [name]
    bare = name
    while True:
        stripped = _LEGAL_FORMS.sub("", bare).rstrip(" ,")
        if stripped == bare:
            break
        bare = stripped
    if bare and bare != name:
        out.append(bare)
    words = bare.split(" ") if bare else []
    for size in range(len(words) - 1, 0, -1):  # "Golden Poppy Outfitters" -> "Golden Poppy"
        prefix = " ".join(words[:size])
        if size > 1 or (len(prefix) >= 4 and prefix[0].isupper()):
            out.append(prefix)
    return [a for a in out if a and a.lower() not in _COMMON and not _LEGAL_FORMS.match(" " + a)]


_PROCESSOR_ROLES = re.compile(
    r"(?<![\w-])(?:Suppliers?|Vendors?|Service\s+Providers?|Data\s+Importers?|Providers?|"
    r"Contractors?|Consultants?)(?![\w-])"
)
_CONTROLLER_ROLES = re.compile(r"(?<![\w-])(?:Customers?|Clients?|Data\s+Exporters?|Business|Company)(?![\w-])")


_ANY_CASE_PROCESSOR = re.compile(_PROCESSOR_ROLES.pattern, re.IGNORECASE)
_ANY_CASE_CONTROLLER = re.compile(_CONTROLLER_ROLES.pattern, re.IGNORECASE)


def canonical_roles(text: str, any_case: bool = False) -> str:
    """Map role words to ``processor`` / ``controller`` so wording, not labels, is compared.

    Only used for semantic similarity, and only for capitalised (defined) roles: ``Supplier``,
    ``Vendor``, ``Service Provider`` become ``processor``; ``Customer``, ``Client``,
    ``Business`` and ``Company`` become ``controller``. Lower-case ``customers`` stay people.
    """
    if any_case:  # for the playbooks' own example wordings
        return _ANY_CASE_CONTROLLER.sub("controller", _ANY_CASE_PROCESSOR.sub("processor", text))
    return _CONTROLLER_ROLES.sub("controller", _PROCESSOR_ROLES.sub("processor", text))
