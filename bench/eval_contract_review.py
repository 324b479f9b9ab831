"""Evaluates contract_review's Art. 28(3) verdicts and evidence on labelled real documents.

Run: ``.venv/bin/python bench/eval_contract_review.py CORPUS_DIR [--labels DIR] [--lexical] [--json FILE]``.

``CORPUS_DIR`` holds the documents named by the labels (``bench/labels/contract_review/*.yaml``;
searched recursively, checked by SHA-256); the documents themselves are never part of the
repository. Each label file lists, per requirement of the EU processor-terms playbook, verbatim
spans of every sentence that implements it (an empty list: not implemented). Printed:

- **verdicts**: per requirement, precision and recall of "addressed" (PRESENT or WEAK) against
  the labels, on every labelled document (DPAs and negatives);
- **evidence-supported recall**: a true positive counts only when at least one quoted excerpt
  overlaps a labelled span of that requirement; **evidence support** is the share of positive
  findings with such a quote;
- **cut variants**: for each implemented requirement of a DPA, every clause (paragraph or list
  item) holding a labelled sentence deleted: the finding must not be PRESENT/WEAK;
- **negated variants**: the first labelled sentence rewritten negated (``contract_variants``),
  the other clauses (and the other labelled sentences of its own clause) deleted: the finding
  must not be PRESENT/WEAK, and CONTRADICTED quoting the negated sentence is counted
  separately; a PRESENT/WEAK finding quoting the negated sentence is the failure the issue
  names. A sentence that states no duty the generator can negate (a location, a fact, the
  controller's authorisation) is negated whole ("It is not agreed that ..."), which no drafter
  writes: those variants stay in the totals and are counted apart. ``--negation-style
  paraphrase`` writes them in other wordings instead (``negation_forms``: "is under no
  obligation to", "need not", "may, at its sole discretion, decline to", "only if the
  Controller pays" ...; ``--forms-per-sentence K`` of them per requirement, picked by
  ``--seed``) and prints the figures per form;
- pages or paragraphs per second over the original documents;
- **document type**: the result's ``document_type`` against
  ``bench/labels/contract_review_document_types.yaml`` (DPAs, CCPA addenda, NDA, MSAs, terms of
  service, a privacy notice, 10-K/10-Q filings found in ``--also`` directories), with accuracy.
  ``--types-only`` prints just this part.

Variants are run as plain text (a PDF's text layer as extracted by the analyzer).

Two label sets: ``bench/labels/contract_review/`` is the development set the rules were written
against; ``bench/labels/contract_review_holdout/`` (``--labels`` it, with ``--no-types``) was
labelled before the analyzer ever ran on its documents and is never used to develop rules.
``bench/labels/contract_review_us/`` labels the CCPA service-provider addenda for the US_CA
playbook (a label file's ``jurisdiction:`` picks the playbook; run it with ``--no-types``).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from contract_variants import (  # noqa: E402
    WHOLE_STATEMENT,
    clause_at,
    clauses_of,
    cut,
    locate,
    negate_in_text,
    negate_sentence,
    sentence_at,
    sentences_of,
)
from fixtures.contracts.support import CachedEmbedder  # noqa: E402
from negation_forms import FORMS, choose, paraphrases  # noqa: E402

from assay.analysis.analyzers.contract_review import (  # noqa: E402
    ContractReviewAnalyzer,
    default_embedder,
    matching,
)
from assay.analysis.analyzers.contract_review.duty import carried  # noqa: E402
from assay.analysis.analyzers.contract_review.extract import HTML_BLOCK, extract_file, extract_text  # noqa: E402
from assay.analysis.analyzers.contract_review.obligation import non_binding  # noqa: E402
from assay.analysis.analyzers.contract_review.parties import PartyAliases  # noqa: E402
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks  # noqa: E402
from assay.analysis.plugin import InputDocument  # noqa: E402
from assay.analysis.testing import LocalRunContext  # noqa: E402
from assay.v1 import contract_review_pb2 as pb  # noqa: E402
from assay.v1 import job_pb2  # noqa: E402

Finding = pb.ContractRequirementFinding
POSITIVE = {Finding.STATUS_PRESENT, Finding.STATUS_WEAK}
MEDIA = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
}
NO_NEGATION = {"art28-3-processing-details"}
"""A description of the processing has no obligation to negate: cut variants only."""
MIN_OVERLAP = 40


@dataclass
class Label:
    path: Path
    document_type: str
    ablation: bool
    requirements: dict[str, list[str]]
    jurisdiction: str = "EU"
    """The job's jurisdiction (``jurisdiction:`` in the label file): its default playbook is checked."""


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    supported_tp: int = 0
    positives: int = 0
    supported_positives: int = 0
    failures: list[str] = field(default_factory=list)


def norm(text: str) -> str:
    # A label copies "conﬁdentiality" or "&sect;", a quote reads "confidentiality" or "§".
    folded = unicodedata.normalize("NFKC", html.unescape(text))
    return " ".join(folded.replace("’", "'").replace("*", "").replace("\\", "").lower().split())


def supports(excerpt: str, spans: list[str]) -> bool:
    """The excerpt overlaps a span by a whole short span or ``MIN_OVERLAP`` characters."""
    quote = norm(excerpt)
    for span in spans:
        wanted = norm(span)
        match = SequenceMatcher(None, quote, wanted, autojunk=False).find_longest_match()
        if match.size >= min(len(wanted), MIN_OVERLAP):
            return True
    return False


def load_labels(folder: Path, corpora: list[Path]) -> list[Label]:
    by_name = {p.name: p for corpus in corpora for p in corpus.rglob("*") if p.is_file()}
    labels: list[Label] = []
    for file in sorted(folder.glob("*.yaml")):
        data: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8"))
        path = by_name.get(data["file"])
        if path is None:
            print(f"skipped {data['file']}: not in {', '.join(map(str, corpora))}", file=sys.stderr)
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != data["sha256"]:
            print(f"skipped {data['file']}: SHA-256 differs from the labelled version", file=sys.stderr)
            continue
        requirements = {k: list(v or []) for k, v in data["requirements"].items()}
        labels.append(Label(path, data["document_type"], bool(data.get("ablation", True)), requirements,
                            str(data.get("jurisdiction", "EU"))))
    return labels


def document_types(file: Path, folders: list[Path]) -> list[tuple[Path, str, str]]:
    """``(path, expected type, expected language)`` of every listed document found (by name and
    SHA-256) in ``folders``; the language defaults to English."""
    by_name = {p.name: p for folder in folders for p in folder.rglob("*") if p.is_file()}
    found: list[tuple[Path, str, str]] = []
    for entry in yaml.safe_load(file.read_text(encoding="utf-8"))["documents"]:
        path = by_name.get(entry["file"])
        if path is None or hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
            print(f"skipped {entry['file']}: not found, or not the labelled version", file=sys.stderr)
            continue
        found.append((path, entry["type"], entry.get("language", "en")))
    return found


def type_accuracy(
    analyzer: ContractReviewAnalyzer, expected: list[tuple[Path, str, str]], work: Path
) -> dict[str, Any]:
    """Print each document's type and language verdicts and return the accuracies."""
    right = languages = 0
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    print(f"{'document':55} {'expected':28} {'found':28} conf  language")
    for path, wanted, language in expected:
        result = review(analyzer, path, work)
        found = pb.ContractDocumentType.Name(result.document_type).removeprefix("CONTRACT_DOCUMENT_TYPE_").lower()
        right += found == wanted
        by_type[wanted][0] += found == wanted
        by_type[wanted][1] += 1
        languages += result.language == language
        mark = "" if found == wanted else "  <- wrong"
        said = result.language + (" (not assessed)" if result.language_unsupported else "")
        print(f"{path.name[:55]:55} {wanted:28} {found:28} {result.document_type_confidence:.2f}  {said}{mark}")
    print(f"document type accuracy: {right}/{len(expected)}; language right: {languages}/{len(expected)}")
    for wanted, (ok, total) in sorted(by_type.items()):
        print(f"  {wanted:28} {ok}/{total}")
    return {"right": right, "documents": len(expected), "languages_right": languages, "by_type": dict(by_type)}


def review(analyzer: ContractReviewAnalyzer, path: Path, work: Path, region: str = "EU") -> pb.ContractReviewResult:
    params = job_pb2.JobParams(
        contract_review=pb.ContractReviewParams(
            contract_type=pb.CONTRACT_TYPE_VENDOR_DPA, jurisdiction=pb.Jurisdiction.Value(f"JURISDICTION_{region}")
        )
    )
    media = MEDIA.get(path.suffix.lower(), "text/plain")
    ctx = LocalRunContext(
        job_id="eval",
        tenant_id="eval",
        params=params,
        work_dir=work,
        inputs=[InputDocument("f1", path, media, path.name, path.stat().st_size)],
    )
    return analyzer.run(ctx).contract_review


_CONSENT = re.compile(r"\b(?:agree|consent|authori[sz]|approv)\w*", re.IGNORECASE)


def negation_target(text: str, spans: list[str]) -> tuple[int, int] | None:
    """Where the labelled span to negate is: the first whose sentence is not a duty of the
    controller (party names read as roles), else the first. The controller's consent is the
    processor's authority ("You agree to Our use of Sub-processors"), so it is negated like a duty
    of the processor, as the analyzer reads it."""
    paragraphs = text.split("\n\n")
    head = matching.DEFINITION_CLAUSES
    parties = PartyAliases.from_texts(paragraphs[:head], rest=paragraphs[head:])
    first = None
    for span in spans:
        where = locate(text, span)
        if where is None:
            continue
        first = first or where
        said = parties.normalise(text[slice(*sentence_at(text, *where))])
        if non_binding(said) != "controller duty" or _CONSENT.search(said):
            return where
    return first


def negation_base(text: str, spans: list[str], ranges: list[tuple[int, int]], begin: int, stop: int) -> str:
    """``text`` with every labelled clause of a requirement (``ranges``, from ``spans``) cut but the
    sentence to negate, ``text[begin:stop]``. A lead-in to negate ("X shall:") keeps the items it
    introduces: cut of them it would be half a deleted clause, not a negation ("X shall not be
    required to:" and nothing after it)."""
    own = next(r for r in ranges if r[0] <= begin < r[1])
    inside = sentences_of(text[own[0] : own[1]], spans)
    siblings = [(own[0] + a, own[0] + b) for a, b in inside if not (a <= begin - own[0] < b)]
    others = [r for r in ranges if r != own] + siblings
    if text[begin:stop].rstrip(" *_").endswith(":"):
        items = (stop, clause_at(text, begin, stop)[1])
        others = [r for r in others if not (items[0] <= r[0] and r[1] <= items[1])]
    return cut(text, others)


def document_text(path: Path) -> str:
    """The text the variants are made of: the analyzer's for a PDF, DOCX or HTML page and for markdown holding
    raw HTML blocks (a Hugo page's ``<p>``s, opening on any line, as the analyzer reads them), else the file's own."""
    if path.suffix.lower() in MEDIA:
        doc = extract_file(path, file_id="f1", display_name=path.name, media_type=MEDIA[path.suffix.lower()])
        return "\n\n".join(b.text for b in doc.blocks)
    text = path.read_text(encoding="utf-8", errors="replace")
    if any(HTML_BLOCK.match(line) for line in text.split("\n")):
        return "\n\n".join(b.text for b in extract_text(text).blocks)
    return text


def quoted(finding: Any) -> str:
    """A finding's status and the start of each quote, for ``--verbose``, with the duties (of the EU
    processor-terms playbook, :mod:`.duty`) each quote's main clause carries."""
    duties = builtin_playbooks()["eu-gdpr-processor-terms"].duties
    cited = [f"{e.excerpt[:90]} [duty: {', '.join(sorted(carried(e.excerpt, duties))) or '-'}]"
             for e in finding.evidence]
    return f"{Finding.Status.Name(finding.status)} citing {cited}"


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "  - "


def figure_row(tally: Tally, cut_ok: list[bool], negated: list[tuple[bool, bool, bool]]) -> dict[str, str]:
    """The printed figures of one requirement (or of all)."""
    return {
        "precision": ratio(tally.tp, tally.tp + tally.fp),
        "recall": ratio(tally.tp, tally.tp + tally.fn),
        "evidence_recall": ratio(tally.supported_tp, tally.tp + tally.fn),
        "evidence_support": ratio(tally.supported_positives, tally.positives),
        "cut_missing": f"{sum(cut_ok)}/{len(cut_ok)}",
        "negated_not_present": f"{sum(x[0] for x in negated)}/{len(negated)}",
        "negated_contradicted": f"{sum(x[1] for x in negated)}/{len(negated)}",
        "negated_cited_as_present": f"{sum(x[2] for x in negated)}/{len(negated)}",
    }


def print_row(name: str, row: dict[str, str]) -> dict[str, str]:
    print(
        f"{name:34} {row['precision']:>5} {row['recall']:>5} {row['evidence_recall']:>6} "
        f"{row['evidence_support']:>6} {row['cut_missing']:>9} {row['negated_not_present']:>9} "
        f"{row['negated_contradicted']:>6}"
    )
    return row


@dataclass(frozen=True)
class NegationStyle:
    """How the negated variants are written."""

    name: str = "generator"
    """``generator``: :func:`contract_variants.negate_sentence`'s rules, one variant per
    requirement; ``paraphrase``: the forms of :mod:`negation_forms` that apply, ``per_sentence``
    of them per requirement, picked by a rule seeded with ``seed``."""
    per_sentence: int = 1
    seed: int = 0
    negation_only: bool = False
    """Skip the cut variants (the negations alone, e.g. several forms per sentence)."""


def negated_variants(
    text: str, sentence: str, focus: tuple[int, int], requirement: str, style: NegationStyle, key: str
) -> dict[str, tuple[str, str]]:
    """Per form, ``text`` with ``sentence`` negated in that form and the negated statement. A
    sentence that no paraphrase applies to (or a style of ``generator``) is negated by the
    generator's rules, as form ``generator``."""
    applicable: dict[str, str] = {}

    def probe(said: str, near: tuple[int, int] | None) -> str:
        # The statement actually negated (a list item with its lead-in, or the sentence).
        applicable.update(paraphrases(said, near, requirement))
        return negate_sentence(said, near)

    generated = negate_in_text(text, sentence, focus, probe)
    if style.name == "generator" or not applicable:
        return {"generator": generated}
    out: dict[str, tuple[str, str]] = {}
    for form in choose(applicable, style.per_sentence, style.seed, key):
        used: list[str] = []

        def negate(said: str, near: tuple[int, int] | None, form: str = form, used: list[str] = used) -> str:
            # A list item may be negated with its lead-in or alone: the form where it applies.
            forms = paraphrases(said, near, requirement)
            if form in forms:
                used.append(form)
                return forms[form]
            return negate_sentence(said, near)

        variant = negate_in_text(text, sentence, focus, negate)
        out[form if used else "generator"] = variant
    return out


def evidence_record(document: str, variant: str, rid: str, finding: Finding, spans: list[str]) -> dict[str, Any]:
    """One finding's evidence, for ``--dump-evidence``: each excerpt and whether a label supports it."""
    return {
        "document": document,
        "variant": variant,
        "requirement": rid,
        "status": Finding.Status.Name(finding.status),
        "evidence": [{"excerpt": e.excerpt, "supported": supports(e.excerpt, spans)} for e in finding.evidence],
    }


def evaluate_set(
    name: str,
    analyzer: ContractReviewAnalyzer,
    labels: list[Label],
    verbose: bool,
    style: NegationStyle = NegationStyle(),
    dump: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run one label set (originals and variants), print its table and return its figures."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    cuts: dict[str, list[bool]] = defaultdict(list)
    negations: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    by_form: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    no_duty: list[tuple[bool, bool, bool]] = []
    misses: list[str] = []
    by_reference = 0
    false_contradicted = 0
    units = 0
    seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for label in labels:
            print(f"{label.path.name} ...", file=sys.stderr)
            region = label.jurisdiction
            start = time.perf_counter()
            result = review(analyzer, label.path, work, region)
            seconds += time.perf_counter() - start
            units += result.pages_processed
            found = {f.requirement_id: f for f in result.requirements}
            for rid, spans in label.requirements.items():
                finding = found[rid]
                if dump is not None:
                    dump.append(evidence_record(label.path.name, "original", rid, finding, spans))
                tally = tallies[rid]
                positive = finding.status in POSITIVE
                supported = positive and any(supports(e.excerpt, spans) for e in finding.evidence)
                if positive:
                    tally.positives += 1
                    tally.supported_positives += supported
                if spans and finding.status == getattr(Finding, "STATUS_CONTRADICTED", -1):
                    false_contradicted += 1
                    misses.append(f"{label.path.name} {rid}: CONTRADICTED on the original, {quoted(finding)}")
                if spans and positive:
                    tally.tp += 1
                    tally.supported_tp += supported
                    if not supported:
                        misses.append(f"{label.path.name} {rid}: unsupported evidence, {quoted(finding)}")
                elif spans:
                    tally.fn += 1
                    misses.append(f"{label.path.name} {rid}: {Finding.Status.Name(finding.status)}, labelled present")
                elif positive:
                    tally.fp += 1
                    misses.append(f"{label.path.name} {rid}: labelled absent, {quoted(finding)}")
                else:
                    tally.tn += 1
            if not label.ablation:
                continue
            text = document_text(label.path)
            for rid, spans in label.requirements.items():
                if not spans:
                    continue
                ranges = clauses_of(text, spans)
                if not ranges:
                    print(f"warning: no span of {rid} found in {label.path.name}", file=sys.stderr)
                    continue
                if not style.negation_only:
                    variant = work / f"cut-{rid}.txt"
                    variant.write_text(cut(text, ranges), encoding="utf-8")
                    status = {f.requirement_id: f for f in review(analyzer, variant, work, region).requirements}[rid]
                    ok = status.status not in POSITIVE
                    cuts[rid].append(ok)
                    if dump is not None:
                        dump.append(evidence_record(label.path.name, "cut", rid, status, []))
                    by_reference += status.status == getattr(Finding, "STATUS_BY_REFERENCE", -1)
                    if not ok:
                        misses.append(f"cut {label.path.name} {rid}: {quoted(status)}")
                if rid in NO_NEGATION:
                    continue
                # The obligation negated is the first labelled sentence that binds the processor:
                # "For deletion ..., the Customer shall primarily use the Service's functions" is
                # the controller's part of the requirement and is cut like the others.
                where = negation_target(text, spans)
                assert where is not None
                begin, stop = sentence_at(text, *where)
                rest = negation_base(text, spans, ranges, begin, stop)
                sentence = text[begin:stop]
                focus = (where[0] - begin, where[1] - begin)
                key = f"{label.path.name}|{rid}"
                for form, (negated_text, negated) in negated_variants(rest, sentence, focus, rid, style, key).items():
                    variant = work / f"neg-{rid}.txt"
                    variant.write_text(negated_text, encoding="utf-8")
                    status = {f.requirement_id: f for f in review(analyzer, variant, work, region).requirements}[rid]
                    # Any part of the negated sentence (an over-long one is quoted in parts).
                    cites = any(supports(e.excerpt, [negated]) for e in status.evidence)
                    not_present = status.status not in POSITIVE
                    contradicted = status.status == getattr(Finding, "STATUS_CONTRADICTED", -1) and cites
                    outcome = (not_present, contradicted, status.status in POSITIVE and cites)
                    negations[rid].append(outcome)
                    by_form[form].append(outcome)
                    if WHOLE_STATEMENT in negated:
                        no_duty.append(outcome)
                    said = f"[{form}] " if style.name != "generator" else ""
                    if not not_present:
                        misses.append(f"negated {said}{label.path.name} {rid}: {quoted(status)} for '{negated[:140]}'")
                    elif not contradicted:
                        misses.append(f"negated, not CONTRADICTED quoting it, {said}{label.path.name} {rid}: "
                                      f"{quoted(status)} for '{negated[:140]}'")
    print(
        f"\n== {name} ==\n{len(labels)} labelled documents, {units} pages/paragraphs, {units / seconds:.1f} per second"
    )
    header = f"{'requirement':34} {'P':>5} {'R':>5} {'R(ev)':>6} {'ev.sup':>6} {'cut':>9} {'negated':>9} {'contra':>6}"
    print(header)
    print("-" * len(header))
    totals = Tally()
    figures: dict[str, Any] = {}
    for rid, tally in tallies.items():
        for attr in ("tp", "fp", "fn", "tn", "supported_tp", "positives", "supported_positives"):
            setattr(totals, attr, getattr(totals, attr) + getattr(tally, attr))
        figures[rid] = print_row(rid, figure_row(tally, cuts.get(rid, []), negations.get(rid, [])))
    print("-" * len(header))
    everything = figure_row(totals, [x for c in cuts.values() for x in c], [x for n in negations.values() for x in n])
    summary = {**print_row("all", everything), "units_per_second": round(units / seconds, 1)}
    print(f"negated sentence quoted as evidence of a PRESENT/WEAK finding: {summary['negated_cited_as_present']}")
    print(f"cut requirement reported BY_REFERENCE (a reference to another document remains): {by_reference}")
    summary["cut_by_reference"] = str(by_reference)
    print(f"requirement met in an original document but reported CONTRADICTED there: {false_contradicted}")
    # Marked, not dropped (the totals stay comparable): a sentence stating no duty the generator
    # can negate is negated whole ("It is not agreed that ..."), which no drafter writes.
    print(f"negated variants whose sentence states no duty to negate ('{WHOLE_STATEMENT.strip()} ...'): "
          f"{len(no_duty)}, CONTRADICTED quoting it {sum(x[1] for x in no_duty)}")
    summary["negated_no_duty"] = f"{sum(x[1] for x in no_duty)}/{len(no_duty)}"
    summary["false_contradicted_originals"] = str(false_contradicted)
    if style.name != "generator":
        print(f"\nnegation style {style.name}, {style.per_sentence} form(s) per requirement, seed {style.seed}:")
        print(f"{'form':32} {'not PRESENT/WEAK':>17} {'CONTRADICTED':>13}")
        for form in sorted(by_form, key=lambda f: FORMS.index(f) if f in FORMS else -1):
            outcomes = by_form[form]
            print(f"{form:32} {sum(x[0] for x in outcomes):>8}/{len(outcomes):<8} "
                  f"{sum(x[1] for x in outcomes):>6}/{len(outcomes):<6}")
        summary["by_form"] = {f: [sum(x[0] for x in o), sum(x[1] for x in o), len(o)] for f, o in by_form.items()}
    if verbose:
        print("\n".join(misses))
    return {"requirements": figures, "all": summary}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, nargs="+", help="folders holding the labelled documents")
    parser.add_argument("--labels", type=Path, default=ROOT / "bench" / "labels" / "contract_review")
    parser.add_argument(
        "--holdout",
        type=Path,
        default=ROOT / "bench" / "labels" / "contract_review_holdout",
        help="the hold-out label set, printed separately ('none' to skip)",
    )
    parser.add_argument("--lexical", action="store_true", help="force the lexical fallback")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--verbose", action="store_true", help="print every miss")
    parser.add_argument("--types", type=Path, default=ROOT / "bench" / "labels" / "contract_review_document_types.yaml")
    parser.add_argument("--also", type=Path, action="append", default=[], help="more folders for --types")
    parser.add_argument(
        "--negation-style",
        choices=("generator", "paraphrase"),
        default="generator",
        help="negated variants by the generator's rules (default, comparable with earlier figures) or in the "
        "varied wordings of bench/negation_forms.py, with a table per form",
    )
    parser.add_argument("--forms-per-sentence", type=int, default=1, help="paraphrase: forms per requirement")
    parser.add_argument("--seed", type=int, default=0, help="paraphrase: the seed of the forms' choice")
    parser.add_argument("--negation-only", action="store_true", help="skip the cut variants")
    parser.add_argument("--dump-evidence", type=Path, help="write every finding's evidence as JSON lines")
    parser.add_argument("--types-only", action="store_true", help="only the document-type accuracy")
    parser.add_argument("--no-types", action="store_true", help="skip the document-type accuracy")
    args = parser.parse_args()
    embedder = None if args.lexical else default_embedder()
    cached = CachedEmbedder(embedder) if embedder is not None else None
    analyzer = ContractReviewAnalyzer(embedder=lambda: cached)
    report: dict[str, Any] = {}
    if not args.no_types:
        with tempfile.TemporaryDirectory() as tmp:
            report["document_types"] = type_accuracy(
                analyzer, document_types(args.types, [*args.corpus, *args.also]), Path(tmp)
            )
    style = NegationStyle(args.negation_style, args.forms_per_sentence, args.seed, args.negation_only)
    if not args.types_only:
        sets = [("development", args.labels)]
        if str(args.holdout) != "none" and args.holdout.resolve() != args.labels.resolve():
            sets.append(("hold-out", args.holdout))
        for name, folder in sets:
            dump: list[dict[str, Any]] | None = [] if args.dump_evidence else None
            labels = load_labels(folder, args.corpus)
            report[name] = evaluate_set(name, analyzer, labels, args.verbose, style, dump)
            if dump is not None:
                with args.dump_evidence.open("a", encoding="utf-8") as out:
                    out.writelines(json.dumps(record) + "\n" for record in dump)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
