"""A question's answer from the two rankings a search returned: both searches' candidates ranked
by similarity plus the share of the question's words they contain, the best passages with their citations and
highlighted sentences, and "no answer" when none is similar enough. Shared by AskQuestion and the
ask analyzer (a CSV of questions)."""

from __future__ import annotations

from assay.analysis.analyzers.index.retrieval import Ranked, blend, highlight
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
    # The full-text search widens the pool (a passage that names the question's words but embeds
    # far from it); see retrieval.LEXICAL_WEIGHT for how the pool is ranked and why.
    best = blend(question, [found.by_vector, found.by_text])[:top_k]
    passages = [passage_message(question, r) for r in best]
    answered = bool(passages) and max(p.similarity for p in passages) >= min_similarity
    text = ""
    if answered:
        top = passages[0] if passages[0].similarity >= min_similarity else max(passages, key=lambda p: p.similarity)
        text = top.text[top.highlight_start:top.highlight_end]
    return pb.AskQuestionResponse(answered=answered, answer=text, passages=passages,
                                  indexed_documents=found.document_count, indexing=found.indexing)
