"""Optional generated answers: an OpenAI-compatible chat endpoint writes the answer from the
retrieved passages only, citing them by number; an answer citing none of them is discarded.

Off unless ``ASSAY_LLM_BASE_URL`` is set. The prompt holds the question and the numbered passages
AskQuestion returns, nothing else of the collection; a failure or a timeout of the endpoint leaves
the extractive answer alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from opentelemetry import trace

from assay.v1 import index_pb2 as pb

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("assay.analysis.index")

INSTRUCTIONS = (
    "Answer the question using only the numbered passages. Cite every passage you use as [n]. "
    "If the passages do not answer the question, say so without citing anything."
)
_CITATION = re.compile(r"\[(\d{1,3})\]")


@dataclass(frozen=True)
class Generated:
    answer: str
    citations: list[int]
    """1-based numbers of the passages the answer cites."""


def prompt(question: str, passages: Sequence[pb.Passage]) -> list[dict[str, str]]:
    """The chat messages: the instructions, then the numbered passages and the question."""
    numbered = "\n\n".join(f"[{n}] {p.text}" for n, p in enumerate(passages, start=1))
    return [{"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"}]


def cited(answer: str, passages: int) -> list[int]:
    """The passage numbers ``answer`` cites that were given (others are ignored)."""
    return sorted({int(n) for n in _CITATION.findall(answer) if 1 <= int(n) <= passages})


class Generator:
    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 20.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout)
        self._model = model

    async def close(self) -> None:
        await self._client.aclose()

    async def generate(self, question: str, passages: Sequence[pb.Passage]) -> Generated | None:
        """The endpoint's answer if it cites at least one passage; None otherwise or on failure."""
        with tracer.start_as_current_span("generate answer") as span:
            try:
                response = await self._client.post("chat/completions", json={
                    "model": self._model, "messages": prompt(question, passages), "temperature": 0})
                response.raise_for_status()
                answer = str(response.json()["choices"][0]["message"]["content"]).strip()
            except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
                logger.warning("generation failed", extra={"error": str(error)[:200]})
                span.set_attribute("assay.index.generated", False)
                return None
            citations = cited(answer, len(passages))
            span.set_attribute("assay.index.generated", bool(citations))
            if not citations:  # an answer that cites nothing retrieved is not grounded: discarded
                return None
            return Generated(answer, citations)
