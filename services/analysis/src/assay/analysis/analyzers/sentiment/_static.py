"""Static token embeddings distilled from the shipped all-MiniLM-L6-v2, for the fast path.

As model2vec does: every word piece of the BERT uncased vocabulary was run once through the shipped
int8 MiniLM on its own (``[CLS] piece [SEP]``), its output mean-pooled, and the 30,522 vectors
reduced by PCA to ``DIMENSIONS`` (``bench/distil_sentiment_embeddings.py`` writes
``model/static.npz``: int8 per row with a float32 scale, 3.9 MB). A text's vector is the mean of
its word pieces' rows: a bag of pieces that already carries what MiniLM learned about each, scored
in microseconds with numpy instead of a transformer pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assay.analysis.analyzers.contract_review.embedding import VOCAB_PATH
from assay.analysis.analyzers.contract_review.tokenizer import BertTokenizer

STATIC_PATH = Path(__file__).with_name("model") / "static.npz"
MAX_PIECES = 128
"""Word pieces per text (with ``[CLS]``/``[SEP]``), as the transformer reads them."""


CACHED_CHUNKS = 200_000
"""Most whitespace-separated chunks whose word pieces are kept (then the cache starts again)."""


@dataclass(frozen=True)
class StaticEmbeddings:
    """One row per vocabulary id; :meth:`mean` gives a text's vector."""

    table: npt.NDArray[np.float32]
    tokenizer: BertTokenizer
    chunk_pieces: dict[str, list[int]] = field(default_factory=dict)
    """Word pieces of each whitespace-separated chunk seen (see :meth:`pieces`)."""

    @classmethod
    def load(cls, path: Path = STATIC_PATH, vocab_path: Path = VOCAB_PATH) -> StaticEmbeddings:
        with np.load(path) as stored:
            table = stored["q"].astype(np.float32) * stored["scale"].astype(np.float32)[:, None]
        return cls(table, BertTokenizer(vocab_path, MAX_PIECES))

    @property
    def dimensions(self) -> int:
        return int(self.table.shape[1])

    def pieces(self, text: str) -> list[int]:
        """The word pieces of ``text`` without ``[CLS]``/``[SEP]``, at most ``MAX_PIECES - 2``.

        The same as the tokenizer's for the whole text: BERT's pre-tokenizer never joins across
        whitespace, so each whitespace-separated chunk is tokenized once and its pieces reused
        (review exports repeat their words; the tokenizer was most of the fast path's time).
        """
        out: list[int] = []
        cache = self.chunk_pieces
        for chunk in text.split():
            ids = cache.get(chunk)
            if ids is None:
                if len(cache) >= CACHED_CHUNKS:
                    cache.clear()
                ids = cache[chunk] = self.tokenizer.encode_batch([chunk])[0][1:-1]
            out.extend(ids)
            if len(out) >= MAX_PIECES - 2:
                return out[: MAX_PIECES - 2]
        return out

    def mean(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """The mean row of each text's word pieces; zeros for none."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            pieces = self.pieces(text)
            if pieces:
                out[row] = self.table[pieces].mean(axis=0)
        return out

