"""A question's answer from the two rankings a search returned: the lexical ranking of both
searches' candidates fused with the vector ranking, the best passages with their citations and
highlighted sentences, and "no answer" when none is similar enough. Shared by AskQuestion and the
ask analyzer (a CSV of questions)."""

from __future__ import annotations

from assay.analysis.analyzers.index.retrieval import Ranked, by_term_overlap, fuse, highlight
from assay.analysis.analyzers.index.search import SearchOutcome
from assay.v1 import index_pb2 as pb


def passage_message(question: str, ranked: Ranked) -> pb.Passage:
    c = ranked.candidate
    start, end = highlight(question, c.content)
    return pb.Passage(
        text=c.content, heading=c.heading, score=ranked.score, similarity=c.similarity,
        highlight_start=start, highlight_end=end,
        citation=pb.Citation(file_id=c.file_id, display_name=c.display_name, page=c.page, paragraph=c.paragraph,
                             start_offset=c.start, end_offset=c.end))


def answer(question: str, found: SearchOutcome, top_k: int, min_similarity: float) -> pb.AskQuestionResponse:
    """The response to ``question`` (already whitespace-normalised) from ``found``."""
    # The full-text search widens the pool; the pool's lexical ranking (the share of the question's
    # words each candidate contains) is fused with the vector ranking. Fusing ts_rank_cd's order
    # as well scored lower on bench/eval_index.py (recall@5 0.786 vs 0.857, MRR 0.579 vs 0.787).
    lexical = by_term_overlap(question, [*found.by_vector, *found.by_text])
    best = fuse([found.by_vector, lexical])[:top_k]
    passages = [passage_message(question, r) for r in best]
    answered = bool(passages) and max(p.similarity for p in passages) >= min_similarity
    text = ""
    if answered:
        top = passages[0] if passages[0].similarity >= min_similarity else max(passages, key=lambda p: p.similarity)
        text = top.text[top.highlight_start:top.highlight_end]
    return pb.AskQuestionResponse(answered=answered, answer=text, passages=passages,
                                  indexed_documents=found.document_count, indexing=found.indexing)
