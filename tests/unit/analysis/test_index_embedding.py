"""The index's embedding helpers: passages in small parallel batches keep their order, a cancelled
job stops the batches, a question asked again skips the model."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from assay.analysis.analyzers.contract_review.embedding import FloatMatrix
from assay.analysis.analyzers.index.embedding import (
    PASSAGE_BATCH,
    QuestionEmbeddings,
    cores,
    embed_passages,
    embed_reusing,
    embedding_threads,
    index_embedder,
    word_pieces,
)


class CountingModel:
    """Embeds a text as a one-hot of its length (so each row says which text it came from)."""

    name = "counting"

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], on_batch: Callable[[int, int], None] | None = None) -> FloatMatrix:
        with self._lock:
            self.calls.append(len(texts))
            self.threads.add(threading.current_thread().name)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row, len(text)] = 1.0
        return out


def test_passages_come_back_in_input_order_from_small_batches() -> None:
    model = CountingModel()
    texts = ["x" * n for n in (50, 3, 120, 7, 7, 300, 1, 64, 90, 12, 33, 5, 250, 2, 8, 81, 17)]
    progress: list[int] = []
    vectors = embed_passages(model, texts, lambda done, total: progress.append(done))
    assert [int(np.argmax(v)) for v in vectors] == [len(t) for t in texts]
    assert max(model.calls) <= PASSAGE_BATCH and sum(model.calls) == len(texts)
    assert progress == sorted(progress) and progress[-1] == len(texts)


def test_an_error_in_the_progress_callback_stops_embedding() -> None:
    model = CountingModel()
    texts = ["word"] * (PASSAGE_BATCH * 40)

    def cancelled(done: int, total: int) -> None:
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        embed_passages(model, texts, cancelled)
    assert sum(model.calls) < len(texts)  # a bounded window was queued, not the whole document


def test_a_question_asked_again_is_not_embedded_again_and_the_cache_is_bounded_by_bytes() -> None:
    model = CountingModel()
    questions = QuestionEmbeddings(lambda: model, 64 * 1024)
    first = questions.vector("How many days of leave?")
    assert first is not None and first.startswith("[") and first == questions.vector("How many days of leave?")
    assert model.calls == [1]
    for n in range(200):  # ~2 KB each: the budget keeps only the most recent ones
        questions.vector(f"question {n}")
    assert questions.vector("How many days of leave?") == first and model.calls[-1] == 1
    assert len(model.calls) == 1 + 200 + 1
    assert QuestionEmbeddings(lambda: None, 1024).vector("anything") is None


async def test_questions_are_embedded_on_a_pool_of_their_own_sized_to_cores_and_cached_ones_skip_it() -> None:
    model = CountingModel()
    questions = QuestionEmbeddings(lambda: model, 64 * 1024, threads=2)
    first = await asyncio.gather(*(questions.embed(f"question {'x' * n}") for n in range(12)))
    assert all(v is not None for v in first) and len(set(first)) == 12
    assert all(name.startswith("question-embed") for name in model.threads)
    assert len(model.threads) <= 2  # never more model calls at once than threads (cores by default)
    assert sum(model.calls) == 12
    again = await asyncio.gather(*(questions.embed(f"question {'x' * n}") for n in range(12)))
    assert again == first and sum(model.calls) == 12  # answered from the cache, on the event loop
    assert QuestionEmbeddings(lambda: model, 1024)._pool._max_workers == cores()


def test_reindexing_reuses_the_vectors_of_unchanged_texts_and_embeds_only_the_rest() -> None:
    model = CountingModel()
    old = ["x" * n for n in (10, 20, 30, 40)]
    stored = dict(zip(old, model.embed(old), strict=True))
    model.calls.clear()
    texts = [old[0], "y" * 55, old[2], old[3], "z" * 66]
    vectors, reused = embed_reusing(model, texts, stored)
    assert reused == 3
    assert [int(np.argmax(v)) for v in vectors] == [len(t) for t in texts]
    assert sum(model.calls) == 1 + 2  # one reused text checked against the model, the two new ones


def test_vectors_another_model_stored_are_not_reused() -> None:
    model = CountingModel()
    texts = ["x" * n for n in (10, 20, 30)]
    other = {t: np.roll(v, 1) for t, v in zip(texts, model.embed(texts), strict=True)}  # not what this model says
    model.calls.clear()
    vectors, reused = embed_reusing(model, texts, other)
    assert reused == 0 and sum(model.calls) == 1 + 3
    assert [int(np.argmax(v)) for v in vectors] == [len(t) for t in texts]


def test_questions_differing_only_in_case_share_one_vector_as_the_uncased_model_sees_them_alike() -> None:
    model = CountingModel()
    questions = QuestionEmbeddings(lambda: model, 64 * 1024)
    assert questions.vector("Where are Plausible's servers?") == questions.vector("WHERE ARE PLAUSIBLE'S SERVERS?")
    assert sum(model.calls) == 1
    real = index_embedder()
    if real is not None:  # the shipped model: the same word pieces, the same vector
        a, b = real.embed(["Where are Plausible's servers?", "WHERE ARE PLAUSIBLE'S SERVERS?"])
        assert np.array_equal(a, b)


def test_passages_are_batched_by_word_pieces_not_characters() -> None:
    model = CountingModel()
    # A batch is padded to its longest text in word pieces. Digits and dots are a piece each, a long
    # known word one piece: by characters the 8 dense texts (100 characters) fall between the 4
    # shorter and the 4 longer word texts and share both batches with them.
    dense = ["1.2.3.4.5.6.7.8.9.0," * 5] * 8
    shorter = ["internationalization " * 4] * 4
    longer = ["internationalization " * 5] * 4
    assert len(shorter[0]) < len(dense[0]) < len(longer[0])
    assert max(word_pieces(shorter + longer)) < min(word_pieces(dense)) / 4
    batches: list[set[str]] = []
    original = model.embed

    def recording(texts: Sequence[str], on_batch: Callable[[int, int], None] | None = None) -> FloatMatrix:
        batches.append(set(texts))
        return original(texts)

    model.embed = recording  # type: ignore[method-assign]
    embed_passages(model, dense + shorter + longer)
    assert sorted(map(sorted, batches)) == sorted([sorted({shorter[0], longer[0]}), [dense[0]]])


class MeetingModel(CountingModel):
    """Each call waits (bounded) until ``expected`` calls are inside at once: the test sees whether
    batches really run side by side."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.barrier = threading.Barrier(expected, timeout=5)
        self.met = 0

    def embed(self, texts: Sequence[str], on_batch: Callable[[int, int], None] | None = None) -> FloatMatrix:
        try:
            self.barrier.wait()
            with self._lock:
                self.met += 1
        except threading.BrokenBarrierError:
            pass
        return super().embed(texts, on_batch)


def test_one_indexing_embeds_as_many_batches_at_once_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_INDEX_EMBEDDING_THREADS", "3")
    assert embedding_threads() == 3
    model = MeetingModel(3)
    embed_passages(model, ["word"] * (PASSAGE_BATCH * 3))
    assert model.met == 3 and len(model.threads) == 3


def test_the_embedding_threads_default_to_the_cores_and_ignore_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSAY_INDEX_EMBEDDING_THREADS", raising=False)
    assert embedding_threads() == cores()
    for bad in ("0", "-2", "two"):
        monkeypatch.setenv("ASSAY_INDEX_EMBEDDING_THREADS", bad)
        assert embedding_threads() == cores()
