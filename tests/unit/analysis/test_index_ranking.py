"""Ranking's word share: counting only the words that begin with a wanted term gives the same count
as making every word of the passage a term."""

from __future__ import annotations

from assay.analysis.analyzers.index.retrieval import Candidate, _terms, _wanted_in, blend

PASSAGES = [
    "Salts are deleted every 24 hours; processing of personal data is limited to the Processor's duties.",
    "Therefore there shall be, where their processors would, an audit which the controller should fund.",
    "x 9 ab AB-12 Übermittlung in Drittländer, processed; PROCESSING. 2nd-level audits (annual)",
    "",
]
QUESTIONS = [
    "How often does Plausible delete old salts?",
    "Is there therefore a shall clause?",  # 'there'/'shall' are stop words, 'therefore' is not: term 'there'
    "Which would be should whom there?",  # nothing but stop words
    "a b c 12 x9 processing audits",
]


def test_the_share_of_wanted_terms_counts_as_the_full_term_sets_do() -> None:
    for question in QUESTIONS:
        wanted = frozenset(_terms(question))
        for passage in PASSAGES:
            assert _wanted_in(wanted, passage) == len(wanted & _terms(passage)), (question, passage)


def test_a_passage_naming_the_question_s_words_ranks_first() -> None:
    near = Candidate(1, "f", "a.md", "", "An unrelated clause about payment.", 1, 1, 0, 10, 0.50)
    naming = Candidate(2, "f", "a.md", "", "Old salts are deleted every 24 hours.", 1, 2, 10, 20, 0.45)
    ranked = blend("How often are old salts deleted?", [[near], [naming, near]])
    assert [r.candidate.id for r in ranked] == [2, 1]
    assert abs(ranked[0].score - (0.45 + 0.3 * 3 / 4)) < 1e-9  # old, salts, delet of often, old, salts, delet
