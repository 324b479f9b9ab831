"""The index's embeddings: the shipped MiniLM model (contract_review's loader) in a session of its own,
with one intra-op thread, for passages (in small batches spread over the process's cores) and
questions (one short text, cached).

Why a session of its own: profiled on the 12-page Hetzner DPA (78 chunks, 7,380 word pieces),
embedding was 93% of indexing. With onnxruntime's default threads and batches of 32 it cost 2.55
CPU-seconds; with one intra-op thread and batches of 8 (less padding, no thread hand-offs) 1.65-1.9
CPU-seconds, and the cores are then used by running batches side by side (``Session.run`` is
thread-safe and releases the GIL). A single question costs ~4 ms of CPU on one thread, where two
threads only add synchronisation.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from assay.analysis.analyzers.contract_review.embedding import (
    MAX_TOKENS,
    MODEL_NAME,
    VOCAB_PATH,
    Embedder,
    FloatMatrix,
    OnnxMiniLM,
    bundled_model_path,
    embeddings_enabled,
)
from assay.analysis.analyzers.contract_review.tokenizer import BertTokenizer
from assay.analysis.analyzers.index.quantized import NAME_SUFFIX, index_model_path
from assay.common.byte_cache import ByteLRU

logger = logging.getLogger(__name__)

PASSAGE_BATCH = 8
"""Passages per model call: 8 cost ~30% less CPU than 32 on the DPA above (padding, cache)."""
DIMENSIONS = 384
ENV_THREADS = "ASSAY_INDEX_EMBEDDING_THREADS"
"""Batches one index job embeds at once (one single-threaded model call each); default: the cores
this process may run on."""

UNFUSED = ("SkipLayerNormFusion",)
"""onnxruntime optimizers the index's session leaves out. SkipLayerNormFusion merges each residual
``Add`` with the ``LayerNormalization`` after it into one ``SkipLayerNormalization``, whose CPU kernel
(onnxruntime 1.32) took 1.52 ms on a [8, 80, 384] input where ``LayerNormalization`` took 0.16: the
12 of them were ~25% of a batch. Without it a batch of 8 passages of 80 word pieces cost 49-50 ms of
CPU instead of 61-66, with the same vectors (cosine 0.9983 on average, 0.995 at least; 0.954 both
against the float32 graph)."""

_lock = threading.Lock()
_loaded = False
_model: Embedder | None = None


def index_embedder() -> Embedder | None:
    """The process-wide single-threaded session, on the int8-quantized model (:mod:`.quantized`);
    ``None`` when the model is absent or switched off (``ASSAY_CONTRACT_REVIEW_EMBEDDINGS=off``)."""
    global _loaded, _model
    if not embeddings_enabled():
        return None
    with _lock:
        if not _loaded:
            _loaded = True
            source = bundled_model_path()
            if source is not None:
                path, quantized = index_model_path(source)
                _model = OnnxMiniLM(path, threads=1, name=MODEL_NAME + (NAME_SUFFIX if quantized else ""),
                                    disabled_optimizers=UNFUSED)
        return _model


_tokenizer = BertTokenizer(VOCAB_PATH, MAX_TOKENS)


def word_pieces(texts: Sequence[str]) -> list[int]:
    """How many word pieces the model sees of each text (cut at its maximum)."""
    return [len(ids) for ids in _tokenizer.encode_batch(texts)]


def cores() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def embedding_threads() -> int:
    """How many batches one indexing embeds side by side: ``ASSAY_INDEX_EMBEDDING_THREADS``, else
    :func:`cores`. One index job thus uses every core of its node; the worker's other slots (and a
    second index job) share them with it through the OS scheduler, which costs no CPU, only wall time
    while they overlap (each model call is single-threaded and never spins)."""
    configured = os.environ.get(ENV_THREADS, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    if configured:
        logger.warning("%s=%r is not a positive integer; using the cores (%d)", ENV_THREADS, configured, cores())
    return cores()


def embed_passages(model: Embedder, texts: Sequence[str],
                   on_batch: Callable[[int, int], None] | None = None) -> FloatMatrix:
    """One unit row per text: batches of texts of similar length in word pieces, as many at a time
    as :func:`embedding_threads`; ``on_batch(done, total)`` after each (in order, from the calling thread).

    Sorted by word pieces, not characters: a batch is padded to its longest text; on a 59-page 10-K
    (653 passages) sorting by characters ran 63,048 word pieces for 50,001, by word pieces 50,400."""
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    sizes = word_pieces(texts)
    order = sorted(range(len(texts)), key=lambda i: sizes[i])
    batches = deque(order[s:s + PASSAGE_BATCH] for s in range(0, len(order), PASSAGE_BATCH))
    workers = max(1, min(embedding_threads(), len(batches)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed")
    pending: deque[tuple[list[int], Future[FloatMatrix]]] = deque()
    done = 0
    try:
        while batches or pending:
            # A bounded window: an exception from on_batch (a cancelled job) leaves little queued.
            while batches and len(pending) < 2 * workers:
                idx = batches.popleft()
                pending.append((idx, pool.submit(model.embed, [texts[i] for i in idx])))
            idx, future = pending.popleft()
            out[idx] = future.result()
            done += len(idx)
            if on_batch is not None:
                on_batch(done, len(texts))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return out


SAME_MODEL_COSINE = 0.9999
"""A stored vector and a fresh one of the same text agree to this (6 significant digits in
pgvector's text form) when the same model made both."""


def embed_reusing(model: Embedder, texts: Sequence[str], stored: Mapping[str, FloatMatrix],
                  on_batch: Callable[[int, int], None] | None = None) -> tuple[FloatMatrix, int]:
    """:func:`embed_passages`, except that a text found in ``stored`` (the file's chunks from its
    last indexing) keeps its vector: re-indexing a file whose passages did not change embeds only
    what did. One reused text is embedded again first, and if its fresh vector differs (another
    model wrote the stored ones) nothing is reused. Returns the vectors and how many were reused."""
    reusable = [i for i, text in enumerate(texts) if text in stored]
    if reusable:
        probe = texts[reusable[0]]
        fresh = model.embed([probe])[0]
        if float(np.dot(fresh, stored[probe])) < SAME_MODEL_COSINE:
            reusable = []
    out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    for i in reusable:
        out[i] = stored[texts[i]]
    kept = set(reusable)
    missing = [i for i in range(len(texts)) if i not in kept]
    if missing:
        out[missing] = embed_passages(model, [texts[i] for i in missing], on_batch)
    return out, len(reusable)


class QuestionEmbeddings:
    """Questions' vectors (pgvector's text form), kept in an LRU bounded by bytes: a question asked
    again (a dashboard, a batch of questions, a retry) skips the model.

    :meth:`embed` answers a cached question on the event loop and runs the model on a pool of its
    own with one thread per core: the model is pure CPU (one intra-op thread per call), so more
    threads than cores only queue inside onnxruntime (20 askers through asyncio's default pool of
    cores + 4 threads: 6 model calls at once on 2 cores), and the default pool stays free for the
    rest of the process."""

    def __init__(self, model: Callable[[], Embedder | None], max_bytes: int, threads: int | None = None) -> None:
        self._model = model
        self._cache: ByteLRU[str, str] = ByteLRU("index_question_embeddings", max_bytes,
                                                 lambda v: len(v))
        self._lock = threading.Lock()  # called from several threads; the LRU is not thread-safe
        self._pool = ThreadPoolExecutor(max_workers=threads or cores(), thread_name_prefix="question-embed")

    def cached(self, question: str) -> str | None:
        with self._lock:
            return self._cache.get(_cache_key(question))

    async def embed(self, question: str) -> str | None:
        """:meth:`vector` without blocking the event loop (see the class)."""
        cached = self.cached(question)
        if cached is not None:
            return cached
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.vector, question)

    def vector(self, question: str) -> str | None:
        """The question's vector literal; ``None`` when the model is unavailable. Blocking: use
        :meth:`embed` on an event loop."""
        cached = self.cached(question)
        if cached is not None:
            return cached
        model = self._model()
        if model is None:
            return None
        literal = vector_literal(model.embed([question])[0])
        with self._lock:
            self._cache.put(_cache_key(question), literal)
        return literal


def _cache_key(question: str) -> str:
    """Questions differing only in case share a vector: the model's tokenizer lower-cases its input
    (BERT uncased), so they are the same word pieces."""
    return question.lower()


def vector_literal(row: FloatMatrix) -> str:
    """pgvector's text form, ``[0.1,0.2,…]``."""
    return "[" + ",".join(f"{x:.6g}" for x in row.tolist()) + "]"
