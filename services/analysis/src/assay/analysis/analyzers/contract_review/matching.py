"""Requirement matching: patterns combined with semantic similarity, sentence by sentence.

Every sentence of every non-heading clause is a *unit*; party names are replaced by their roles
first (``parties``). A unit scores 1.0 for a recogniser when one of its patterns matches, else
its similarity to the recogniser's description and examples (cosine of sentence embeddings, or
lexical similarity as a fallback), counted only when

- the unit is *in context* (its clause, section or the whole document is about the playbook's
  subject, e.g. personal data; an NDA clause is not) and is not a definition,
- the recogniser's requirement is (within ``TOP_MARGIN``) the unit's most similar requirement,
  and more similar than the playbook's *background* wordings (governing law, general
  compliance with law, ...),
- no other requirement's main patterns already claim the unit,
- its main clause does not carry another requirement's core duty (or one that is no
  requirement's, such as payment) instead of this one's (:mod:`.duty`).

A recogniser is *found* at or above the matcher's ``present`` threshold.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from opentelemetry import trace

from assay.analysis.analyzers.contract_review.binding import binds_processor
from assay.analysis.analyzers.contract_review.description import continues, empty_field, not_description
from assay.analysis.analyzers.contract_review.duty import Duty, carried, main_clause, without_purpose_frame
from assay.analysis.analyzers.contract_review.embedding import Embedder
from assay.analysis.analyzers.contract_review.lexical import LexicalSimilarity
from assay.analysis.analyzers.contract_review.negation import (
    contradiction,
    duty_taken_away,
    forbids,
    negation_word,
    permission,
)
from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding
from assay.analysis.analyzers.contract_review.parties import PartyAliases, canonical_roles
from assay.analysis.analyzers.contract_review.playbook import (
    Playbook,
    Recogniser,
    Requirement,
    all_recognisers,
)
from assay.analysis.analyzers.contract_review.requirement_head import RequirementHead, load_head
from assay.analysis.analyzers.contract_review.segment import Clause, Span, sentence_parts, sentences
from assay.analysis.analyzers.contract_review.sentence_kind import (
    clean_markup,
    describes_elsewhere,
    introduces_definitions,
    is_definition,
    is_heading_like,
    is_recital,
)
from assay.analysis.analyzers.contract_review.weighing import prevailing as weigh_negations

Status = Literal["present", "weak", "missing", "contradicted", "by_reference", "not_assessed"]
FloatMatrix = npt.NDArray[np.float32]
PATTERN_SCORE = 1.0
_DEFINITIONS = re.compile(
    r"^[\s#*_]*(?:(?:section|article|clause)\s+)?(?:(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.)]?\s+)?[*_]*"
    r"(?:definitions?|interpretation)\b",
    re.IGNORECASE,
)
"""A definitions section's heading, its number and Markdown marks before it ("## 1. Definitions", 1.23.0)."""
_DEFINITION = re.compile(
    r"^(?:\d+(?:\.\d+)*\.?\s+|\([a-z0-9]+\)\s+)?(?:in\s+this\s+\w+,?\s+)?"
    r"[\"“][^\"”]{1,60}[\"”](?:[^.]{0,200}?)\s+"
    r"(?:means|shall\s+mean|has\s+the\s+meaning|have\s+the\s+meanings?|includes)\b",
    re.IGNORECASE,
)
"""Definitions say what words mean, not what a party must do: they are never evidence."""
DOCUMENT_CONTEXT_SHARE = 0.3
"""When this share of clauses is about the playbook's subject, the whole document is."""
DEFINITION_CLAUSES = 40
"""Party definitions are read from this many clauses at the start of the document (role statements from the
rest too when these name no processor)."""
LIST_ITEM_WORDS = 25
"""A list item this short is embedded after its lead-in ("You can ask us to: ...")."""
MIN_COLOCATED_ELEMENTS = 2
"""A requirement whose elements form one description (``elements_together``: the processing
details) and that has no primary recogniser needs this many of them found in one section: one
stray element elsewhere (a "categories of data subjects" line of an SCC annex) is not the
requirement addressed."""
TOP_MARGIN = 0.05
"""A sentence supports a requirement semantically only within this of its best requirement."""

_tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class Unit:
    """One sentence of a clause, located on one page or paragraph."""

    clause: Clause
    span: Span
    text: str
    """The sentence as it stands in the document (what is quoted)."""
    match_text: str
    """The sentence with party names replaced by their roles (what patterns are matched on)."""
    semantic_text: str
    """``match_text``, after the clause's lead-in for a list item (what is embedded)."""
    in_context: bool
    concept_text: str = ""
    """Where a recogniser's operative concept must be named: the sentence itself, or for a
    verbless list item ("- Email addresses") the lead-in that gives it its meaning."""
    sentence_so_far: str = ""
    """For a later part of an over-long sentence, the sentence up to this part's end (roles
    normalised, markup removed): a negation it opened with governs this part too."""
    label: str = ""
    """For the value under a heading naming an element of the description ("Categories of data subject:
    "), that heading: the sentence is embedded and read for its concept after it, and matched by the
    patterns alone (1.21.0)."""


@dataclass(frozen=True)
class Evidence:
    """A unit quoted for a recogniser, with its score."""

    unit: Unit
    score: float
    recogniser_id: str
    negation: str = ""
    """For a contradicting sentence, the wording that negates the obligation."""


@dataclass(frozen=True)
class RequirementMatch:
    """The outcome for one requirement."""

    requirement: Requirement
    status: Status
    evidence: tuple[Evidence, ...]
    missing_elements: tuple[str, ...]
    explanation: str
    referenced: tuple[str, ...] = ()
    """For BY_REFERENCE, the documents the requirement is left to."""


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs for one kind of similarity."""

    present: float
    weak: float


EMBEDDING_THRESHOLDS = Thresholds(present=0.55, weak=0.45)
LEXICAL_THRESHOLDS = Thresholds(present=0.42, weak=0.30)


class Matcher:
    """Scores units against recognisers with an embedder, or lexically without one."""

    def __init__(self, embedder: Embedder | None) -> None:
        self._embedder = embedder
        self._lexical = LexicalSimilarity()
        self._anchor_cache: dict[tuple[str, ...], FloatMatrix] = {}
        self._lock = threading.Lock()
        self.name = embedder.name if embedder is not None else self._lexical.name
        self.thresholds = EMBEDDING_THRESHOLDS if embedder is not None else LEXICAL_THRESHOLDS

    def _anchor_vectors(self, anchors: tuple[str, ...]) -> FloatMatrix:
        """The anchors' embeddings, computed once per playbook and process."""
        assert self._embedder is not None
        with self._lock:
            cached = self._anchor_cache.get(anchors)
            if cached is None:
                cached = self._anchor_cache[anchors] = self._embedder.embed(anchors)
            return cached

    def similarity(
        self,
        texts: Sequence[str],
        anchors: tuple[str, ...],
        on_batch: Callable[[int, int], None] | None = None,
    ) -> FloatMatrix:
        """``len(texts) x len(anchors)`` similarities."""
        if not texts or not anchors:
            return np.zeros((len(texts), len(anchors)), dtype=np.float32)
        if self._embedder is None:
            result = self._lexical.similarity(texts, anchors)
            if on_batch is not None:
                on_batch(len(texts), len(texts))
            return result
        return self._against(self._embedder.embed(texts, on_batch), anchors)

    def _against(self, vectors: FloatMatrix, anchors: tuple[str, ...]) -> FloatMatrix:
        """Cosine similarities of unit ``vectors`` to the anchors'."""
        return np.asarray(vectors @ self._anchor_vectors(anchors).T, dtype=np.float32)

    def read(
        self,
        texts: Sequence[str],
        anchors: tuple[str, ...],
        on_batch: Callable[[int, int], None] | None = None,
    ) -> tuple[FloatMatrix, FloatMatrix | None]:
        """:meth:`similarity`, and the requirement head's probabilities (None without a head), from
        one run of the model."""
        head = self.head()
        if head is None or not texts or not anchors:
            return self.similarity(texts, anchors, on_batch), None
        assert self._embedder is not None  # head() checked it
        vectors, probabilities = head.read(texts, self._embedder, on_batch)
        return self._against(vectors, anchors), probabilities

    def head(self) -> RequirementHead | None:
        """The requirement head, when it was tuned from this matcher's embedding model."""
        if self._embedder is None:
            return None
        head = load_head()
        if head is None or head.embedding_model != self._embedder.name:
            return None
        return head


def _introducers(clauses: Sequence[Clause]) -> dict[int, Clause]:
    """For each list item (by ordinal), the clause that introduces it: the last clause before it that is no
    list item, and since 1.22.0

    - an item that ends with a colon for the items after it marked otherwise ("5.5. Assist Controller with:"
      and its bullets), up to the next item marked as it is;
    - not a paragraph between two items that ends as an item does ("Personal Data;"): it is the rest of the
      item before it.
    """
    out: dict[int, Clause] = {}
    last: Clause | None = None
    nested: tuple[str, Clause] | None = None  # the introducing item's marker style, and the item
    after_item = False
    for clause in clauses:
        if clause.kind == "list_item":
            style = _marker_style(clause.number)
            if style == "letter" and nested is not None and nested[0] == "letter" and _roman_one(clause, nested[1]):
                style = "roman"
            if nested is not None and style == nested[0]:
                nested = None
            introducer = nested[1] if nested is not None else last
            if introducer is not None:
                out[clause.ordinal] = introducer
            if nested is None and clause.text.rstrip(" *_").endswith(":"):
                nested = (style, clause)
        elif not (after_item and _ITEM_END.search(clause.text)):
            last = clause
            nested = None
        after_item = clause.kind == "list_item"
    return out


def _lead_in(clauses: Sequence[Clause]) -> dict[int, str]:
    """For each list item, the text of the clause that introduces it."""
    return {ordinal: clause.text for ordinal, clause in _introducers(clauses).items()}


_ITEM_END = re.compile(r";\s*(?:and|or)?[\s*_]*$", re.IGNORECASE)
"""How a list item ends: "...;", "...; and", "...; or"."""


def _roman_one(item: Clause, introducer: Clause) -> bool:
    """Whether an item marked "(i)" ("(v)", "(x)") under a lettered item that introduces it is the first of a
    roman list, not the next letter: the introducer is not "(h)" ("(c) The Customer warrants that:" then
    "(i) ...", 1.27.0)."""
    mark = item.number.strip("().").lower()
    before = introducer.number.strip("().").lower()
    return mark in ("i", "v", "x") and len(before) == 1 and ord(before) != ord(mark) - 1


def _marker_style(number: str) -> str:
    """How a list item is marked: ``bullet`` (no number), ``letter`` ("(a)", "b."), ``roman`` ("(iv)") or
    ``number`` ("3", "5.5")."""
    mark = number.strip("().")
    if not mark:
        return "bullet"
    if mark[0].isdigit():
        return "number"
    if re.fullmatch(r"[ivxlc]{2,}", mark, re.IGNORECASE):
        return "roman"
    return "letter"


def _in_context(
    clauses: Sequence[Clause], playbook: Playbook, parties: PartyAliases, lead_in: dict[int, str]
) -> set[int]:
    """Ordinals of the clauses whose sentences may count as evidence.

    A clause is in context when it, its section heading or the clause introducing it matches
    a context pattern, when another clause of its section does, or when most of the document
    does (a DPA written with "Supplier" and "Customer" still is a DPA in its audit clause).
    Definitions never are.
    """
    if not playbook.context:
        return {c.ordinal for c in clauses if not _DEFINITIONS.search(c.heading)}
    body = [c for c in clauses if c.kind != "heading" and not _DEFINITIONS.search(c.heading)]
    direct: set[int] = set()
    sections: set[str] = set()
    for clause in body:
        scope = parties.normalise(" ".join((clause.heading, lead_in.get(clause.ordinal, ""), clause.text)))
        if any(p.search(scope) for p in playbook.context):
            direct.add(clause.ordinal)
            if clause.heading:
                sections.add(clause.heading)
    if body and len(direct) >= DOCUMENT_CONTEXT_SHARE * len(body):
        return {c.ordinal for c in body}
    return direct | {c.ordinal for c in body if c.heading and c.heading in sections}


def build_units(clauses: Sequence[Clause], playbook: Playbook) -> list[Unit]:
    """Split every non-heading clause into sentence units and mark which are in context."""
    parties = PartyAliases.from_texts(
        (c.text for c in clauses[:DEFINITION_CLAUSES]), rest=(c.text for c in clauses[DEFINITION_CLAUSES:])
    )
    lead_in = _lead_in(clauses)
    in_context = _in_context(clauses, playbook, parties, lead_in)
    units: list[Unit] = []
    # Numbers of the clauses that define a term: their sub-clauses ("1.1.8 'Restricted
    # Transfer' means: 1.1.8.1 ...; 1.1.8.2 ...") continue the definition.
    defining: list[str] = []
    lead_in_defines = False
    for clause in clauses:
        if clause.kind == "heading":
            lead_in_defines = False  # a definitions list ends at the next heading
            continue
        introduction = sentences(lead_in.get(clause.ordinal, ""))
        lead = ""
        if clause.kind == "list_item" and introduction:
            lead = parties.normalise(clean_markup(introduction[-1])) + " "
        intro = lead if len(clause.text.split()) <= LIST_ITEM_WORDS else ""
        label = "" if lead else _description_label(clause.heading)
        # A clause that opens with a definition ("SCCs" means ... (ii) for the UK, ...) is a
        # definition throughout, and so are its sub-clauses and the items it introduces.
        # Out of context nothing counts, so the checks below are skipped.
        # A recital says why the parties contract, not what they agree: never evidence (1.22.0).
        relevant = clause.ordinal in in_context and not is_recital(clause.heading, clause.text)
        first = next((x for sp in clause.spans for x in sentences(sp.text)), "") if relevant else ""
        defines = relevant and bool(
            _DEFINITION.match(first)
            or is_definition(first)
            or (clause.kind == "list_item" and lead_in_defines)
            or any(clause.number.startswith(number + ".") for number in defining)
        )
        # Only a definition left open ("... means:") continues in what follows it.
        open_definition = defines and clause.text.rstrip(" *_").endswith(":")
        if open_definition and clause.number:
            defining.append(clause.number.rstrip("."))
        if clause.kind != "list_item":
            # ... and so does a list introduced as definitions ("the following terms have the
            # following meanings:"), nested items included (1.8.0).
            lead_in_defines = open_definition or (relevant and introduces_definitions(clause.text))
        opening = True
        run_in = ""
        for span in clause.spans:
            for sentence, so_far in sentence_parts(span.text):
                normalised = parties.normalise(clean_markup(sentence))
                limb = bool(run_in) and _LATER_LIMB.match(normalised) is not None
                if not limb:
                    run_in = _run_in_lead(normalised)
                # A verbless list item is content after its lead-in ("Data subjects: - staff"):
                # its lead-in must name the concept; elsewhere a verbless line is a heading.
                verbless = relevant and is_heading_like(sentence)
                # A later limb is read with the words it completes, as a list item with its lead-in
                # (1.16.0): "(b) security, breach notifications, DPIAs" says what the Processor
                # "will assist Client with:" only after them.
                context = f"{run_in} " if limb and len(normalised.split()) <= LIST_ITEM_WORDS else intro
                # The first sentence under a heading naming an element of the description is its value,
                # unless it speaks of the document or states a duty (1.21.0).
                labelled = label if opening and not context and not _NO_VALUE.search(normalised) else ""
                context = context or labelled
                evidence_kind = relevant and not (defines or _DEFINITION.match(sentence) or is_definition(sentence))
                units.append(
                    Unit(
                        clause=clause,
                        span=span,
                        text=sentence,
                        match_text=normalised,
                        semantic_text=context + normalised,
                        in_context=evidence_kind and not (verbless and not (intro or labelled)),
                        concept_text=(
                            f"{run_in} {normalised}"
                            if limb
                            else _concept_text(lead or labelled, normalised, verbless, opening)
                        ),
                        sentence_so_far=parties.normalise(clean_markup(so_far)) if so_far != sentence else "",
                        label=labelled,
                    )
                )
                opening = False
    return units


_FIRST_LIMB = re.compile(r"^(?P<lead>.{12,}?)\s\((?:a|i|1)\)\s[^;]+;\s*(?:and|or)?\s*$", re.IGNORECASE)
_LATER_LIMB = re.compile(r"^(?:and\s+|or\s+)?\((?:[b-h]|ii|iii|iv|v|vi|vii|viii|[2-8])\)\s", re.IGNORECASE)


def _run_in_lead(sentence: str) -> str:
    """The words that introduce a run-in list whose first limb ``sentence`` ends ("The Processor shall
    notify the Controller if it determines that (a) it can no longer comply;"): each later limb ("(c)
    an instruction infringes the GDPR.") completes them, as a list item completes its lead-in (1.9.0)."""
    found = _FIRST_LIMB.match(sentence)
    return found.group("lead") if found is not None else ""


_DESCRIPTION_HEADING = re.compile(
    r"^(?:(?:annex|appendix|schedule|part|section)\s+[\w.]+\W+)?(?:[\d.()a-z]{1,6}\s+)?"
    r"(?:subject[- ]matter|duration|nature|purposes?|(?:categor(?:y|ies)|types?|kinds?)\s+of\s+(?:personal\s+)?"
    r"(?:data|information|individuals)|(?:categor(?:y|ies)\s+of\s+)?data\s+subjects?)\b"
    r"(?:[\s,&/]+(?:of|the|and|processing|purposes?|nature|duration|data|personal|subjects?|categor(?:y|ies)|types?|"
    r"concerned|affected|involved|processed))*\s*$",
    re.IGNORECASE,
)
"""A heading that names an element of the processing's description ("## 3. Categories of data subject",
"Nature and purpose", "Annex I - Categories of personal data")."""


_NO_VALUE = re.compile(
    r"^(?:this|these|the)\s+(?:[\w“”\"()-]+\s+){0,3}?(?:agreement|addendum|dpa|annex|schedule|appendix|section|clause|"
    r"terms)\b|\b(?:shall|will|must|may|agrees?|undertakes?|commits?|warrants?|(?:is|are)\s+(?:\w+\s+)?(?:responsible|"
    r"obliged|required|entitled|liable))\b",
    re.IGNORECASE,
)
"""A first sentence under a description heading that is no value of it: about the document itself ("This Data
Processing Agreement is an annex to ..."), or promising, permitting or assigning something."""


def _description_label(heading: str) -> str:
    """What the first sentence of a paragraph under a heading naming an element of the description is
    embedded after: the heading as its label ("Categories of data subject: Visitors to your websites."), as the
    same description written "Label: value" on one line is (1.21.0)."""
    title = re.sub(r"^#{1,6}\s+|^[\d.]{1,6}\s+", "", clean_markup(heading)).strip(" *_:")
    return f"{title}: " if _DESCRIPTION_HEADING.match(title) else ""


def _concept_text(intro: str, sentence: str, verbless: bool, opening: bool) -> str:
    """Where a recogniser's operative concept must be named. A list item under a lead-in that
    ends with a colon completes the lead-in's sentence ("The Processor will assist the Controller
    with: - the notification of breaches to the authority"): the duty may be in the lead-in and
    its object in the item, so both are read together; so is a verbless item ("- Email
    addresses" under "The Processor processes the following personal data:"), which is content
    of its lead-in."""
    if (verbless and intro) or (opening and intro.rstrip(" *_").endswith(":")):
        return intro + sentence
    return "" if verbless else sentence


@dataclass(frozen=True)
class ScoreTable:
    """Scores of every unit for every recogniser of a playbook."""

    recognisers: tuple[Recogniser, ...]
    scores: FloatMatrix
    """``units x recognisers``."""
    pattern_hits: npt.NDArray[np.bool_]
    negation_candidates: npt.NDArray[np.bool_] | None = None
    """``units x recognisers``: sentences read for a negation of the recogniser's obligation
    even where they score nothing as evidence (see :func:`_negation_candidates`)."""
    raw_scores: FloatMatrix | None = None
    """``units x recognisers``: the similarity (or 1.0 for a pattern hit) before the head, the
    ranking and the binding checks, the score a contradicting candidate is quoted with."""


def score_units(
    units: Sequence[Unit],
    playbook: Playbook,
    matcher: Matcher,
    on_batch: Callable[[int, int], None] | None = None,
) -> ScoreTable:
    """Combine pattern hits and similarities into one table."""
    recognisers = tuple(r for req in playbook.requirements for r in all_recognisers(req))
    anchors: list[str] = []
    owner: list[int] = []
    for index, recogniser in enumerate(recognisers):
        for anchor in recogniser.anchors:
            anchors.append(anchor)
            owner.append(index)
    background = len(anchors)
    anchors.extend(playbook.background)
    # Only sentences that can count are embedded (out-of-context ones score zero anyway), and
    # each distinct sentence once.
    texts = [canonical_roles(u.semantic_text) for u in units]
    distinct = list(dict.fromkeys(t for t, u in zip(texts, units, strict=True) if u.in_context))
    row_of = {t: i for i, t in enumerate(distinct)}
    scored, probabilities = matcher.read(distinct, tuple(canonical_roles(a, any_case=True) for a in anchors), on_batch)
    sims = np.zeros((len(units), len(anchors)), dtype=np.float32)
    for i, (text, unit) in enumerate(zip(texts, units, strict=True)):
        if unit.in_context:
            sims[i] = scored[row_of[text]]
    if not distinct and on_batch is not None:
        on_batch(1, 1)
    floor = (
        sims[:, background:].max(axis=1, keepdims=True)
        if len(anchors) > background
        else np.full((len(units), 1), -1.0, dtype=np.float32)
    )
    sims = sims[:, :background]
    semantic = np.zeros((len(units), len(recognisers)), dtype=np.float32)
    owners = np.asarray(owner)
    for index in range(len(recognisers)):
        columns = sims[:, owners == index]
        if columns.shape[1]:
            semantic[:, index] = columns.max(axis=1)
    raw_semantic = semantic.copy()
    ruled_out = np.zeros((len(units), len(recognisers)), dtype=bool)
    firmly_out = ruled_out.copy()
    head = matcher.head()
    if head is not None and probabilities is not None:
        rows = [row_of[t] if u.in_context else -1 for t, u in zip(texts, units, strict=True)]
        # The head reads whether a sentence carries the requirement at all: it vetoes the primary
        # recogniser's evidence (and that of a requirement made only of elements), not an element
        # found in a sentence of its own (a flow-down or liability term worded without keywords).
        requirement_ids = [
            req.id if r is req.primary or req.primary is None else ""
            for req in playbook.requirements
            for r in all_recognisers(req)
        ]
        with _tracer.start_as_current_span("contract_review.requirement_head") as span:
            ruled_out = _ruled_out(rows, head, probabilities, requirement_ids, head.veto)
            firmly_out = _ruled_out(rows, head, probabilities, requirement_ids, head.veto * WAIVABLE_VETO)
            span.set_attribute("assay.contract_review.head_sentences", len(distinct))
            span.set_attribute("assay.contract_review.head_ruled_out", int(ruled_out.any(axis=1).sum()))
        semantic[ruled_out] = 0.0
    # Semantically near, or a loose pattern, is not enough: the sentence must name the
    # obligation's operative concept (every one of the recogniser's operative patterns).
    lacks = np.zeros((len(units), len(recognisers)), dtype=bool)
    counted = [row for row, unit in enumerate(units) if unit.in_context]
    for index, recogniser in enumerate(recognisers):
        if recogniser.operative:
            lacks[counted, index] = [
                not all(p.search(units[row].concept_text) for p in recogniser.operative) for row in counted
            ]
    semantic[lacks] = 0.0
    requirement_of = np.asarray([i for i, req in enumerate(playbook.requirements) for _ in all_recognisers(req)])
    if len(units):
        # A sentence is semantic evidence only for the requirement(s) it is most like, and only
        # if it is more like them than like the playbook's background wordings.
        by_requirement = np.stack(
            [semantic[:, requirement_of == i].max(axis=1) for i in range(len(playbook.requirements))],
            axis=1,
        )
        top = by_requirement.max(axis=1, keepdims=True)
        leading = (by_requirement >= top - TOP_MARGIN) & (by_requirement > floor)
        semantic = np.where(leading[:, requirement_of], semantic, 0.0).astype(np.float32)
    hits = np.zeros((len(units), len(recognisers)), dtype=bool)
    # Only sentences in context can count: they alone are embedded and matched (the others score
    # zero; in a long commercial contract they are most of the patterns' work).
    for row in counted:
        unit = units[row]
        for index, recogniser in enumerate(recognisers):
            if any(p.search(unit.match_text) for p in recogniser.patterns):
                hits[row, index] = True
            elif unit.concept_text != unit.match_text and unit.concept_text.endswith(unit.match_text):
                # A list item completing its lead-in is matched with it; a description's value is not (1.21.0).
                hits[row, index] = not unit.label and any(p.search(unit.concept_text) for p in recogniser.patterns)
    hits &= ~lacks
    raw_hits = hits.copy()
    # A pattern hit on a sentence the head rules out is a stray keyword, not the obligation; unless the head
    # only doubts it and the sentence's main clause carries the requirement's own duty (1.26.0).
    waived = _own_duty_carried(units, playbook, counted, requirement_of, hits & ruled_out & ~firmly_out)
    hits &= ~(ruled_out & ~waived)
    if len(units):
        # A sentence that a requirement's main patterns claim is not semantic evidence for
        # another requirement (element patterns, e.g. "immediately", are too loose to claim).
        claims = np.asarray(
            [r is req.primary or req.primary is None for req in playbook.requirements for r in all_recognisers(req)],
            dtype=bool,
        )
        claimed = np.stack(
            [(hits[:, (requirement_of == i) & claims]).any(axis=1) for i in range(len(playbook.requirements))],
            axis=1,
        )
        other_claim = claimed.any(axis=1, keepdims=True) & ~claimed
        semantic = np.where(other_claim[:, requirement_of], 0.0, semantic).astype(np.float32)
    scores = np.where(hits, PATTERN_SCORE, np.clip(semantic, 0.0, 1.0)).astype(np.float32)
    for index, recogniser in enumerate(recognisers):
        if recogniser.not_about:
            # After ranking, so the sentence still keeps other requirements from claiming it.
            for row in counted:
                if any(p.search(units[row].concept_text) for p in recogniser.not_about):
                    scores[row, index] = 0.0
    _drop_framed_concepts(units, recognisers, counted, scores)
    _keep_own_duties(units, playbook, counted, requirement_of, scores)
    if playbook.binds_processor:
        # After ranking too: a pointer or a permission names the topic, it just binds no one.
        obligations = np.asarray([not req.elements_together for req in playbook.requirements])[requirement_of]
        duties = obligations & ~np.asarray([r.controller_right for r in recognisers], dtype=bool)
        lead_ins = _lead_in_texts(units)
        for row in counted:
            # A list item completing its lead-in binds whom the lead-in binds ("Customer agrees
            # to: - provide instructions").
            said = _said(units[row])
            why = non_binding(said)
            if not why and _item_under(lead_ins.get(row, ""), said) == "liability":
                why = "liability"  # an item of what the processor is liable for (1.20.0)
            so_far = units[row].sentence_so_far
            if (
                not why
                and so_far
                and "controller duty" in (non_binding(so_far), _item_under(lead_ins.get(row, ""), so_far))
            ):
                why = "controller duty"  # a later part of the controller's over-long sentence (1.8.0, 1.9.0)
            if describes_elsewhere(said):
                scores[row, ~obligations] = 0.0  # the processing details only pointed to elsewhere (1.8.0)
            if why == "cross-reference":
                # A pointer is neither a duty nor the description it points to.
                scores[row, :] = 0.0
            elif why:
                scores[row, obligations] = 0.0
            elif controller_permission(said):
                scores[row, duties] = 0.0
            elif not binds_processor(said, lead_ins.get(row, ""), units[row].sentence_so_far):
                scores[row, duties] = 0.0  # the positive reading: evidence of a duty binds the processor
        _descriptions_only(units, playbook, counted, requirement_of, scores)
    context = np.asarray([u.in_context for u in units], dtype=bool)
    raw = np.where(raw_hits, PATTERN_SCORE, np.clip(raw_semantic, 0.0, 1.0)).astype(np.float32)
    raw[lacks] = 0.0
    candidates = None
    if playbook.binds_processor:
        candidates = _negation_candidates(units, raw, context, matcher.thresholds)
        candidates |= _duties_taken_away(units, raw, context, playbook, requirement_of)
        candidates |= _own_duties_negated(units, raw, context, playbook, recognisers, requirement_of)
        # A description (the processing details) has no duty to negate.
        candidates[:, np.asarray([req.elements_together for req in playbook.requirements])[requirement_of]] = False
    return ScoreTable(
        recognisers=recognisers, scores=scores, pattern_hits=hits, negation_candidates=candidates, raw_scores=raw
    )


def _item_under(lead_in: str, so_far: str) -> str:
    """What :func:`non_binding` says of an item read with the lead-in it completes ("The data exporter
    agrees and warrants: (d) that ... and that these measures ensure ...": the controller's warranty)."""
    return non_binding(f"{lead_in} {so_far}") if lead_in.rstrip(" *_").endswith(":") else ""


def _drop_framed_concepts(
    units: Sequence[Unit], recognisers: Sequence[Recogniser], rows: Sequence[int], scores: FloatMatrix
) -> None:
    """Zero ``scores`` where a recogniser's operative concept is named only in a leading "For the
    purposes of X," frame (1.9.0): "For the purposes of Clause 8.6(c) of the Standard Contractual
    Clauses, personal data breaches will be handled in accordance with clause 5.2" fills in a clause
    of the SCCs with a breach term; it is no transfer safeguard. After the ranking, like the other
    gates, so the sentence still keeps other requirements from claiming it."""
    for row in rows:
        if not scores[row].any():
            continue
        rest = without_purpose_frame(units[row].concept_text)
        if rest is None:
            continue
        for index, recogniser in enumerate(recognisers):
            if recogniser.operative and not all(p.search(rest) for p in recogniser.operative):
                scores[row, index] = 0.0


WAIVABLE_VETO = 0.5
"""Below this share of the head's veto no duty in the sentence waives it: "The Customer is solely responsible for
complying with incident notification laws" (0.02) names the breach notice's act."""
_NEGATED = re.compile(r"\b(?:not|never|no\s+longer)\b|n['’]t\b", re.IGNORECASE)
_PROCESSOR_ACTS = re.compile(
    r"^[\W\d]*(?:[a-z]{1,4}[.)]\s+)?(?:we|(?:the\s+)?(?:data\s+)?processor)\s+"
    r"(?!(?:\w+\s+){0,2}?(?:may|can|entitled|permitted|allowed)\b)(?:\w+ly\s+)?[a-z]{3,}\b",
    re.IGNORECASE,
)
"""The processor, first person or named by its role, then a verb, opening the main clause; not a permission ("The
Processor shall be entitled to terminate the contract ... where, after having informed the Controller that its
instructions infringe ...": the SCCs' Clause 9 names the warning, it does not give it)."""


def _own_duty_carried(
    units: Sequence[Unit],
    playbook: Playbook,
    rows: Sequence[int],
    requirement_of: npt.NDArray[np.int64],
    where: npt.NDArray[np.bool_],
) -> npt.NDArray[np.bool_]:
    """``units x recognisers``, read only ``where`` asked: the sentence's main clause opens with the processor
    ("we", "the Processor") acting, not negated, and carries the recogniser's requirement's own duty
    (:mod:`.duty`). A short plain sentence the requirement head reads poorly is still the duty when it says it: "We
    help with data subject requests, impact assessments, and regulator consultations." (1.26.0)."""
    out = np.zeros_like(where)
    for row in rows:
        if not where[row].any():
            continue
        said = _said(units[row])
        main = main_clause(said)
        if _NEGATED.search(main):
            continue  # "In the event of a Data Breach, X shall not inform any third party ...": a ban, not the duty
        if _PROCESSOR_ACTS.match(main) is None:
            continue  # a sub-processor table's "EU SCCs" or a conflicts clause names the duty; no one acts in it
        found = carried(said, playbook.duties)
        for index, requirement in enumerate(playbook.requirements):
            if requirement.id in found:
                out[row, requirement_of == index] = where[row, requirement_of == index]
    return out


def _keep_own_duties(
    units: Sequence[Unit],
    playbook: Playbook,
    rows: Sequence[int],
    requirement_of: npt.NDArray[np.int64],
    scores: FloatMatrix,
) -> None:
    """Zero ``scores`` where a sentence's main clause carries another duty than the requirement's
    (:mod:`.duty`): "The Processor shall keep documentation proving ..." names proof, but its duty
    is keeping records, not making information available. After the ranking, so the sentence still
    keeps other requirements from claiming it; a list item is read with its lead-in."""
    duties = playbook.duties
    gated = [i for i, req in enumerate(playbook.requirements) if req.duty]
    if not gated:
        return
    columns = np.isin(requirement_of, gated)
    for row in rows:
        if not scores[row, columns].any():
            continue  # evidence of no requirement with a duty: nothing to take away
        found = carried(_said(units[row]), duties)
        for index in gated:
            if found and playbook.requirements[index].id not in found:
                scores[row, requirement_of == index] = 0.0


NEGATION_MARGIN = 0.05
"""A sentence naming a duty's operative concept is read for its negation this far below the weak
threshold: a negated duty reads less like the playbook's wordings than the duty it negates."""
NEGATABLE = ("", "processor permission", "continuation")
_CONSENT = re.compile(r"\b(?:agree|consent|authori[sz]|approv)\w*", re.IGNORECASE)
"""The controller's consent is the processor's authority: "The Customer does not agree to the use of
sub-processors" negates an authorisation, though the controller is its subject."""
"""What :func:`non_binding` may say of a sentence that can still negate the processor's duty: a
permission ("may transfer ... without consent") and a continuation are read for it."""


def _negation_candidates(
    units: Sequence[Unit],
    raw: FloatMatrix,
    context: npt.NDArray[np.bool_],
    thresholds: Thresholds,
) -> npt.NDArray[np.bool_]:
    """Sentences to read for a negation of each recogniser's obligation: in context, naming its
    operative concept (``raw`` is zero where they do not), and near it by a pattern or by
    similarity (``NEGATION_MARGIN`` below the weak threshold) before the requirement head, the
    ranking and the binding checks. Those checks are for evidence that *meets* an obligation: the head was trained on
    sentences that implement it, so a negated duty ("will not be required to keep the data
    confidential") scores low on it; a permission ("may transfer ... without consent") binds the
    processor to nothing, which is exactly what makes it a contradiction. A pointer ("as set
    forth in Schedule 3") and a duty of the controller still negate nothing of the processor's,
    unless it is the controller's consent ("The Customer does not agree to the use of
    sub-processors"). Only for playbooks of processor terms, whose requirements are the
    processor's duties."""
    floor = thresholds.weak - NEGATION_MARGIN
    out = (raw >= floor) & context[:, None] if len(units) else np.zeros(raw.shape, dtype=bool)
    for row in np.flatnonzero(out.any(axis=1)):
        said = _said(units[int(row)])
        why = non_binding(said)
        if why == "cross-reference" and duty_taken_away(said):
            continue  # "need not implement the measures described in Annex 4": the duty taken away (1.9.0)
        if why not in NEGATABLE and not (why == "controller duty" and _CONSENT.search(said)):
            out[row, :] = False
    return out


def _duties_taken_away(
    units: Sequence[Unit],
    raw: FloatMatrix,
    context: npt.NDArray[np.bool_],
    playbook: Playbook,
    requirement_of: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Sentences to read for a negation of a requirement however little they read like its
    wordings: in context, naming its operative concept, taking a duty away in so many words ("shall
    not be required, to the extent legally permitted, to promptly notify Customer if it receives a
    Data Subject Request") and carrying the requirement's own duty in their main clause (1.9.0). A
    duty taken away reads even less like the playbook's wordings than a negated one, and the duty it
    carries says which requirement it takes away."""
    out = np.zeros(raw.shape, dtype=bool)
    for row, _, columns in _carrying_negated(
        units, raw, context, playbook, requirement_of, duty_taken_away, (*NEGATABLE, "cross-reference")
    ):
        out[row, columns] = True
    return out


def _own_duties_negated(
    units: Sequence[Unit],
    raw: FloatMatrix,
    context: npt.NDArray[np.bool_],
    playbook: Playbook,
    recognisers: Sequence[Recogniser],
    requirement_of: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Sentences to read for a negation of a requirement however little they read like its wordings:
    in context, naming its operative concept, carrying the requirement's own duty in their main clause
    and negating it there (1.10.0). A duty worded as a fact and negated ("Baton does not maintain a list
    of authorised sub-processors", a clause under its own heading) reads less like the playbook's
    wordings than the duty does, and the duty it carries says which requirement it is about. Whether
    the negation may prevail over what meets the duty elsewhere is decided as for any other."""
    out = np.zeros(raw.shape, dtype=bool)
    for row, said, columns in _carrying_negated(
        units, raw, context, playbook, requirement_of, negation_word, NEGATABLE
    ):
        for index in columns:
            recogniser = recognisers[int(index)]
            found = contradiction(said, recogniser.operative, recogniser.restricts)
            out[row, index] = found is not None and found.negates
    return out


def _carrying_negated(
    units: Sequence[Unit],
    raw: FloatMatrix,
    context: npt.NDArray[np.bool_],
    playbook: Playbook,
    requirement_of: npt.NDArray[np.int64],
    negates: Callable[[str], object],
    readable: tuple[str, ...],
) -> Iterator[tuple[int, str, npt.NDArray[np.int64]]]:
    """``(row, sentence, recogniser columns)`` for each sentence in context that ``negates`` picks out,
    binds in a way a negation may be read in (``readable`` reasons of :func:`non_binding`, or the
    controller withholding consent) and carries a requirement's own duty: the columns are that
    requirement's recognisers the sentence names the concept of."""
    duties = tuple(duty for req in playbook.requirements if (duty := req.core_duty) is not None)
    index_of = {req.id: i for i, req in enumerate(playbook.requirements)}
    for row in np.flatnonzero(context & (raw > 0).any(axis=1)):
        said = _said(units[int(row)])
        if not negates(said):
            continue
        why = non_binding(said)
        if why not in readable and not (why == "controller duty" and _CONSENT.search(said)):
            continue
        for name in carried(said, duties):
            yield int(row), said, np.flatnonzero((requirement_of == index_of[name]) & (raw[row] > 0))


def _said(unit: Unit) -> str:
    """What the unit says: a list item completing its lead-in with the lead-in, else the sentence."""
    return unit.concept_text if unit.concept_text.endswith(unit.match_text) else unit.match_text


def _ruled_out(
    rows: Sequence[int],
    head: RequirementHead,
    probabilities: FloatMatrix,
    requirement_ids: Sequence[str],
    veto: float,
) -> npt.NDArray[np.bool_]:
    """``units x recognisers``: where the requirement head reads the recogniser's requirement in the
    sentence below ``veto``. ``rows`` maps each unit to its row of ``probabilities`` (-1: not
    embedded), ``requirement_ids`` each recogniser to its requirement ("" for one the head
    does not veto)."""
    index = np.asarray(rows, dtype=np.int64)
    counted = index >= 0
    out = np.zeros((len(index), len(requirement_ids)), dtype=bool)
    for position, requirement_id in enumerate(requirement_ids):
        column = head.column(requirement_id)
        if column is not None:
            out[counted, position] = probabilities[index[counted], column] < veto
    return out


def _section(unit: Unit) -> str:
    return unit.clause.heading or unit.clause.clause_id


def _best(
    units: Sequence[Unit],
    column: npt.NDArray[np.float32],
    recogniser: Recogniser,
    sections: set[str] | None = None,
    duty: Duty | None = None,
) -> Evidence | None:
    """The best-scoring unit (the earliest of equals; with ``duty``, the earliest of equals that
    carries it), only within ``sections`` if given."""
    if not units:
        return None
    if sections is not None:
        allowed = np.asarray([_section(u) in sections for u in units], dtype=bool)
        column = np.where(allowed, column, 0.0)
    row = int(np.argmax(column))
    if duty is not None and column[row] > 0:
        row = _carrying_duty(units, column, row, duty)
    return Evidence(unit=units[row], score=float(column[row]), recogniser_id=recogniser.id)


def _carrying_duty(units: Sequence[Unit], column: npt.NDArray[np.float32], row: int, duty: Duty) -> int:
    """Among the units tied at the best score (several pattern hits), the earliest whose own main
    clause (not a lead-in's) carries the requirement's own duty, else ``row`` (the earliest): "The
    Processor is obliged to give
    the Controller access to its written security measures" names the measures, "The Processor shall
    protect the Personal Data against unauthorised access" is the duty (1.9.0)."""
    for tied in np.flatnonzero(column == column[row]):
        if duty.name in carried(units[int(tied)].match_text, (duty,)):
            return int(tied)
    return row


def _qualifier(requirement: Requirement, evidence: Sequence[Evidence]) -> str:
    for item in evidence:
        for pattern in requirement.weak_if:
            found = pattern.search(item.unit.match_text)
            if found is not None:
                return found.group(0)
    return ""


def _affirmed(
    units: Sequence[Unit],
    table: ScoreTable,
    recogniser: Recogniser,
    thresholds: Thresholds,
    contradicting: list[Evidence],
) -> npt.NDArray[np.float32]:
    """The recogniser's scores without the sentences that negate its obligation (those are
    added to ``contradicting``)."""
    column = table.scores[:, table.recognisers.index(recogniser)].copy()
    if not recogniser.operative:
        return column
    negated_lead_ins: set[int] = set()
    # A sentence near the requirement (at the weak threshold) that negates its concept is
    # looked at too: a negated duty reads less like the playbook's wordings than the duty does.
    # A permission of a forbidden act reads least like the prohibition's wordings: any sentence
    # that names the act and scores at all is read.
    floor = np.float32(1e-6) if recogniser.prohibition else np.float32(thresholds.weak)
    index = table.recognisers.index(recogniser)
    candidates = column >= floor
    if table.negation_candidates is not None and not recogniser.prohibition:
        candidates |= table.negation_candidates[:, index]
    introduced_by = _lead_in_ordinals(units) if candidates.any() else {}
    for row in np.flatnonzero(candidates):
        unit = units[int(row)]
        # Negation is read over the text the concept was found in: a list item with its lead-in.
        said = _said(unit)
        if recogniser.prohibition:
            # A prohibition is met by forbidding the act and contradicted by allowing it.
            found = permission(said, recogniser.operative)
            if found is None and not forbids(said):
                column[row] = 0.0
                continue
        else:
            found = contradiction(said, recogniser.operative, recogniser.restricts)
            if found is None and unit.sentence_so_far:
                # A later part of an over-long sentence, under what the sentence opened with.
                found = contradiction(unit.sentence_so_far, recogniser.operative, recogniser.restricts)
        if found is not None and not found.negates:
            column[row] = 0.0  # beside the obligation, neither meeting nor negating it (negation.py)
            continue
        if found is not None:
            seen = column[row] >= floor or table.raw_scores is None
            score = float(column[row]) if seen else float(table.raw_scores[row, index])  # type: ignore[index]
            contradicting.append(Evidence(unit, score, recogniser.id, negation=found.cue))
            lead_in = _negating_lead_in(units, int(row), said, recogniser, introduced_by)
            if lead_in is not None:
                contradicting.append(Evidence(lead_in, score, recogniser.id, negation=found.cue))
            column[row] = 0.0
            negated_lead_ins.add(unit.clause.ordinal)
    if negated_lead_ins:
        # The items of a negated lead-in ("the SCCs shall not be required to apply, completed as
        # follows:") complete what it negates: they do not affirm it.
        for index, item in enumerate(units):
            if introduced_by.get(item.clause.ordinal) in negated_lead_ins:
                column[index] = 0.0
    return column


def _negating_lead_in(
    units: Sequence[Unit], row: int, said: str, recogniser: Recogniser, introduced_by: dict[int, int]
) -> Unit | None:
    """The lead-in that negates a list item read with it ("The Processor shall not be required to
    notify the Controller if: - it receives a request from a data subject"), to be quoted with the
    item: the negation is in the lead-in, not in the item alone (1.9.0)."""
    unit = units[row]
    if unit.clause.kind != "list_item" or said == unit.match_text:
        return None
    if contradiction(unit.match_text, recogniser.operative, recogniser.restricts) is not None:
        return None  # the item negates it by itself
    ordinal = introduced_by.get(unit.clause.ordinal)
    return next((u for u in reversed(units[:row]) if u.clause.ordinal == ordinal), None)


def _lead_in_texts(units: Sequence[Unit]) -> dict[int, str]:
    """For each list item's unit (by row), the last sentence of the clause introducing it in its section, else
    the section's heading ("3.2 Each party:" over "3.2.1 ... will notify the other party ...", 1.26.0)."""
    introducers = _unit_introducers(units)
    last_sentence = {unit.clause.ordinal: unit.match_text for unit in units}
    return {
        row: last_sentence[introducers[unit.clause.ordinal].ordinal]
        if unit.clause.ordinal in introducers
        else unit.clause.heading
        for row, unit in enumerate(units)
        if unit.clause.kind == "list_item"
    }


def _unit_introducers(units: Sequence[Unit]) -> dict[int, Clause]:
    """:func:`_introducers` of the clauses that have sentences, within a section: a heading has none, so the
    paragraph before it would otherwise introduce the list under it ("## Our Commitments" and its bullets read
    after the preamble's last sentence, 1.26.0)."""
    clauses: dict[int, Clause] = {}
    for unit in units:
        clauses.setdefault(unit.clause.ordinal, unit.clause)
    return {
        ordinal: introducer
        for ordinal, introducer in _introducers(list(clauses.values())).items()
        if introducer.heading == clauses[ordinal].heading
    }


def _descriptions_only(
    units: Sequence[Unit],
    playbook: Playbook,
    rows: Sequence[int],
    requirement_of: npt.NDArray[np.int64],
    scores: FloatMatrix,
) -> None:
    """Zero the elements of a description (``elements_together``: the processing details) where a
    sentence does not describe the processing (:mod:`.description`: a role statement, another
    duty, the controller's warranty ...); a continuation ("This includes ...") is read with the
    sentence before it in its section (1.9.0)."""
    described = [i for i, req in enumerate(playbook.requirements) if req.elements_together]
    if not described:
        return
    columns = np.isin(requirement_of, described)
    elements = {e.id for i in described for e in playbook.requirements[i].elements}
    duties = playbook.duties

    def why(row: int) -> str:
        said = _said(units[row])
        reason = not_description(said, duties, elements) or (
            "empty field" if empty_field(units[row].match_text) else ""
        )
        heading = units[row].clause.heading
        if not reason and units[row].clause.kind == "list_item" and heading and is_definition(heading):
            reason = "definition"  # an item completing a definition ("'Customer Data' means data: - that ...")
        if not reason and row > 0 and continues(units[row].match_text):
            before = units[row - 1]
            if _section(before) == _section(units[row]):
                reason = not_description(_said(before), duties, elements)
        return reason

    for row in rows:
        if scores[row, columns].any() and why(row):
            scores[row, columns] = 0.0


def _lead_in_ordinals(units: Sequence[Unit]) -> dict[int, int]:
    """For each list item's clause, the ordinal of the clause that introduces it."""
    return {ordinal: clause.ordinal for ordinal, clause in _unit_introducers(units).items()}


def evaluate(
    requirement: Requirement,
    units: Sequence[Unit],
    table: ScoreTable,
    thresholds: Thresholds,
    duties: Sequence[Duty] = (),
) -> RequirementMatch:
    """Decide present / weak / missing / contradicted for one requirement and pick its evidence.

    With a primary recogniser: missing unless the primary is found; weak when an element is
    not found (elements are looked for in the primary's sections) or qualifying wording is
    present. Without one: missing unless some element is found; weak unless all are. A
    sentence that negates the obligation (:mod:`.negation`) is never evidence for it: when only
    such sentences address the requirement it is contradicted, quoting them; when another
    sentence meets it, it is at most weak.
    """
    best: dict[str, Evidence | None] = {}
    sections: set[str] | None = None
    contradicting: list[Evidence] = []
    if requirement.primary is not None:
        column = _affirmed(units, table, requirement.primary, thresholds, contradicting)
        sections = {_section(units[int(i)]) for i in np.flatnonzero(column >= thresholds.present)}
        own = requirement.core_duty
        best[requirement.primary.id] = _best(units, column, requirement.primary, duty=own)
    for element in requirement.elements:
        column = _affirmed(units, table, element, thresholds, contradicting)
        best[element.id] = _best(units, column, element, sections)

    def found(rid: str) -> bool:
        item = best[rid]
        return item is not None and item.score >= thresholds.present

    if (
        requirement.primary is None
        and requirement.elements_together
        and _most_colocated(requirement, units, table, thresholds) < MIN_COLOCATED_ELEMENTS
    ):
        best = dict.fromkeys(best)
    missing = tuple(e.id for e in requirement.elements if not found(e.id))
    deciding = [requirement.primary.id] if requirement.primary else [e.id for e in requirement.elements]
    negated = _dedupe([e for e in contradicting if e.recogniser_id in deciding], strongest=True)
    if requirement.elements_together:
        # A description has no duty to negate: what it says is not processed is no evidence of
        # the description, and no contradiction of it either (1.9.0).
        negated = ()
    if not any(found(rid) for rid in deciding) and negated:
        cues = "; ".join(dict.fromkeys(f"'{e.negation}' in {e.unit.clause.clause_id}" for e in negated))
        note = f"Addressed only to be negated or made optional: {cues}."
        return RequirementMatch(requirement, "contradicted", negated, missing, note)
    if not any(found(rid) for rid in deciding):
        near = [e for e in best.values() if e is not None and e.score >= thresholds.weak]
        note = "No clause addresses this requirement."
        if near:
            closest = max(near, key=lambda e: e.score)
            note += f" Closest wording, in {closest.unit.clause.clause_id}, does not clearly meet it."
        return RequirementMatch(requirement, "missing", (), missing, note)
    evidence = _dedupe([e for e in best.values() if e is not None and e.score >= thresholds.present])
    where = ", ".join(dict.fromkeys(e.unit.clause.clause_id for e in evidence))
    notes: list[str] = []
    status: Status = "present"
    if missing:
        status = "weak"
        notes.append(f"Not found: {', '.join(missing)}.")
    qualifier = _qualifier(requirement, evidence)
    if qualifier:
        status = "weak"
        notes.append(f"Qualified by '{qualifier}'.")
    duty = requirement.core_duty
    said = [(_said(e.unit), e.score, e.negation) for e in negated], [(_said(e.unit), e.score) for e in evidence]
    # With the playbook's ``duties``, also a clear negation of the duty alone over sentences that
    # commit the processor to nothing (weighing.py, 1.10.0).
    prevailing = tuple(negated[index] for index in weigh_negations(duty, duties, *said))
    if prevailing:
        # The requirement's own statement negated outweighs what only touches it (negation.py).
        cues = "; ".join(dict.fromkeys(f"'{e.negation}' in {e.unit.clause.clause_id}" for e in prevailing))
        note = f"Negated or made optional: {cues}; elsewhere only touched on, in {where}."
        return RequirementMatch(requirement, "contradicted", prevailing, missing, note)
    if negated:
        status = "weak"
        cues = "; ".join(dict.fromkeys(f"'{e.negation}' in {e.unit.clause.clause_id}" for e in negated))
        notes.append(f"Also negated or made optional: {cues}.")
    notes.insert(0, f"Addressed in {where}." if status == "present" else f"Partly addressed in {where}.")
    return RequirementMatch(requirement, status, evidence, missing, " ".join(notes))


def _most_colocated(requirement: Requirement, units: Sequence[Unit], table: ScoreTable, thresholds: Thresholds) -> int:
    """The most elements of ``requirement`` found in any one section. Elements found in one sentence alone do not
    count where it limits the processing ("only", "solely", "exclusively") outside a heading naming an element:
    "Credenza will Process such Personal Data only for the business purposes of providing the Services" is the
    instructions' purpose limitation, naming a purpose and the services on the way, and no description (1.27.0)."""
    by_section: dict[str, dict[str, set[int]]] = {}
    sections = _described_sections(units)
    for element in requirement.elements:
        column = table.scores[:, table.recognisers.index(element)]
        for row in np.flatnonzero(column >= thresholds.present):
            by_section.setdefault(sections[int(row)], {}).setdefault(element.id, set()).add(int(row))
    counts = [
        len(found)
        for found in by_section.values()
        if len(rows := set().union(*found.values())) > 1 or not _limits_only(units[next(iter(rows))])
    ]
    return max(counts, default=0)


_LIMITED = re.compile(r"\b(?:only|solely|exclusively)\b", re.IGNORECASE)
_ELEMENT_NAMED = re.compile(r"\b(?:subject[- ]matter|duration|nature|purposes?)\b", re.IGNORECASE)


def _limits_only(unit: Unit) -> bool:
    """A sentence limiting the processing, not describing it (:func:`_most_colocated`); under a heading that names an
    element of the description ("### 2.3 Processing Purpose" over "We process personal data solely to provide ...")
    it is that element's value."""
    return _LIMITED.search(unit.match_text) is not None and not _ELEMENT_NAMED.search(unit.clause.heading)


def _described_sections(units: Sequence[Unit]) -> list[str]:
    """Each unit's section for a description: its clause's heading, else the last heading-like line
    before it ("## 2. Subject and duration of processing" over numbered paragraphs the segmenter
    gave no heading), else its clause (1.9.0); consecutive headings naming elements are one section."""
    out: list[str] = []
    last = ""
    run = ""
    for unit in units:
        if not unit.in_context and is_heading_like(unit.text):
            last = f"after {unit.clause.clause_id}"
        section = unit.clause.heading or last or unit.clause.clause_id
        # Headings that each name an element, one after another ("## 3. Categories of data subjects",
        # "## 4. Categories of personal data"), head one description (1.21.0).
        run = (run or section) if _description_label(unit.clause.heading) else ""
        out.append(run or section)
    return out


def _dedupe(evidence: Sequence[Evidence], strongest: bool = False) -> tuple[Evidence, ...]:
    """One item per sentence, in document order: its first reading (the primary recogniser's before the
    elements'), or with ``strongest`` the reading that scores it highest. A negation is weighed with its
    strongest reading among the recognisers that decide the requirement: one negating "make available
    documentation ... or allow ... an audit" reads more like the audits than like the information it also
    names (1.19.0)."""
    kept: dict[tuple[str, str], Evidence] = {}
    for item in sorted(evidence, key=lambda e: e.unit.clause.ordinal):
        key = (item.unit.clause.clause_id, item.unit.text)
        if key not in kept or (strongest and item.score > kept[key].score):
            kept[key] = item
    return tuple(kept.values())


def match_playbook(
    playbook: Playbook,
    units: Sequence[Unit],
    matcher: Matcher,
    on_batch: Callable[[int, int], None] | None = None,
) -> list[RequirementMatch]:
    """Evaluate every requirement of the playbook, in playbook order."""
    table = score_units(units, playbook, matcher, on_batch)
    return [evaluate(r, units, table, matcher.thresholds, playbook.duties) for r in playbook.requirements]
