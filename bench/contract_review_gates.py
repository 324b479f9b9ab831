"""Which gate rejects each labelled implementing sentence? A diagnosis for contract_review's recall.

Run: ``.venv/bin/python bench/contract_review_gates.py CORPUS_DIR... [--labels DIR] [--only-missed]``.

For every labelled document (the label sets of ``bench/eval_contract_review.py``), every requirement
labelled present and every sentence (unit) of the analyzer that overlaps one of its labelled spans,
prints the sentence's score for the requirement's main recogniser (its primary, or its best element)
and, when it is below the present threshold, the first gate that took it away, in the order
``matching.score_units`` applies them:

``out of context`` (or a definition / heading), ``below threshold`` (similarity before any gate,
no pattern), ``operative`` (the operative concept not named), ``head`` (the requirement head's
veto), ``ranked`` (another requirement nearer, or the background), ``claimed`` (another
requirement's pattern), ``not_about``, ``duty`` (the main clause carries another duty, ``duty.py``),
``cross-reference`` / other ``non_binding`` reasons, ``controller permission``, ``binds no
processor`` (``binding.py``), and ``negated`` (``negation.py``). With ``--only-missed`` only
requirements whose verdict is not PRESENT/WEAK with a labelled quote are listed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from eval_contract_review import MIN_OVERLAP, load_labels, norm  # noqa: E402
from fixtures.contracts.support import CachedEmbedder  # noqa: E402

from assay.analysis.analyzers.contract_review import default_embedder, matching  # noqa: E402
from assay.analysis.analyzers.contract_review.binding import binds_processor  # noqa: E402
from assay.analysis.analyzers.contract_review.duty import carried  # noqa: E402
from assay.analysis.analyzers.contract_review.extract import extract_file  # noqa: E402
from assay.analysis.analyzers.contract_review.negation import contradiction  # noqa: E402
from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding  # noqa: E402
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, builtin_playbooks  # noqa: E402
from assay.analysis.analyzers.contract_review.segment import segment  # noqa: E402

MEDIA = {".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def overlaps(text: str, spans: list[str]) -> bool:
    said = norm(text)
    for span in spans:
        wanted = norm(span)
        if wanted in said or said in wanted:
            return True
        if len(said) >= MIN_OVERLAP and any(said[i : i + MIN_OVERLAP] in wanted for i in range(0, len(said), 20)):
            return True
    return False


def gate(
    units: list[matching.Unit],
    row: int,
    table: matching.ScoreTable,
    index: int,
    matcher: matching.Matcher,
    playbook: object,
) -> str:
    """The first gate that zeroes ``units[row]`` for recogniser ``index`` (a best guess, in order)."""
    unit = units[row]
    recogniser = table.recognisers[index]
    raw = table.raw_scores[row, index] if table.raw_scores is not None else 0.0
    if not unit.in_context:
        return "out of context / definition / heading"
    if recogniser.operative and not all(p.search(unit.concept_text) for p in recogniser.operative):
        missing = [p.pattern[:40] for p in recogniser.operative if not p.search(unit.concept_text)]
        return f"operative concept not named: {missing}"
    if raw < matcher.thresholds.present:
        return f"below threshold (raw {raw:.2f})"
    said = matching._said(unit)
    why = non_binding(said)
    if why:
        return f"non_binding: {why}"
    if controller_permission(said):
        return "controller permission"
    lead_ins = matching._lead_in_texts(units)
    if not binds_processor(said, lead_ins.get(row, ""), unit.sentence_so_far):
        return "binds no processor"
    if any(p.search(unit.concept_text) for p in recogniser.not_about):
        return "not_about"
    found = carried(said, playbook.duties)  # type: ignore[attr-defined]
    requirement = next(r for r in playbook.requirements if recogniser in all_recognisers(r))  # type: ignore[attr-defined]
    if requirement.duty and found and requirement.id not in found:
        return f"duty: carries {sorted(found)}"
    if recogniser.operative and contradiction(said, recogniser.operative, recogniser.restricts) is not None:
        return "negated"
    return "head veto, ranking or another requirement's claim"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, nargs="+")
    parser.add_argument("--labels", type=Path, action="append", default=[])
    parser.add_argument("--only-missed", action="store_true")
    args = parser.parse_args()
    embedder = default_embedder()
    matcher = matching.Matcher(CachedEmbedder(embedder) if embedder is not None else None)
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    for folder in args.labels or [ROOT / "bench" / "labels" / "contract_review"]:
        for label in load_labels(folder, args.corpus):
            media = MEDIA.get(label.path.suffix.lower(), "text/plain")
            document = extract_file(label.path, file_id="f1", display_name=label.path.name, media_type=media)
            units = matching.build_units(segment([document]), playbook)
            table = matching.score_units(units, playbook, matcher)
            matches = {
                m.requirement.id: m
                for m in (matching.evaluate(r, units, table, matcher.thresholds) for r in playbook.requirements)
            }
            for rid, spans in label.requirements.items():
                if not spans:
                    continue
                outcome = matches[rid]
                quoted = any(overlaps(e.unit.text, spans) for e in outcome.evidence)
                met = outcome.status in ("present", "weak") and quoted
                if args.only_missed and met:
                    continue
                requirement = outcome.requirement
                recognisers = [r for r in all_recognisers(requirement)]
                deciding = [requirement.primary] if requirement.primary else recognisers
                print(f"\n{label.path.name} {rid}: {outcome.status.upper()}{'' if quoted else ' (no labelled quote)'}")
                for row, unit in enumerate(units):
                    if not overlaps(unit.text, spans):
                        continue
                    index = max(
                        (table.recognisers.index(r) for r in deciding),
                        key=lambda i, row=row: float(table.scores[row, i]),
                    )
                    score = float(table.scores[row, index])
                    raw = float(table.raw_scores[row, index]) if table.raw_scores is not None else 0.0
                    why = (
                        "ok"
                        if score >= matcher.thresholds.present
                        else gate(units, row, table, index, matcher, playbook)
                    )
                    print(f"  [{score:.2f}/{raw:.2f} {table.recognisers[index].id}] {why}\n      {unit.text[:200]!r}")
    _ = np
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
