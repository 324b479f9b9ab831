"""The bundled MiniLM model's tokenizer: Hugging Face ``tokenizers`` on the BERT uncased vocabulary.

``BertWordPieceTokenizer`` with lower-casing (which also strips accents), text cleaning and CJK
splitting is what all-MiniLM-L6-v2 was trained with; ids are framed by ``[CLS]`` and ``[SEP]``
and cut to ``max_length``. Only the local ``model/vocab.txt`` is read: nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tokenizers import BertWordPieceTokenizer


class BertTokenizer:
    """Turns texts into the vocabulary ids the model was trained on."""

    def __init__(self, vocab_path: Path, max_length: int) -> None:
        self._tokenizer = BertWordPieceTokenizer(str(vocab_path), lowercase=True)
        self._tokenizer.enable_truncation(max_length)

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, ``[CLS] ... [SEP]``, at most ``max_length`` of them."""
        return [list(e.ids) for e in self._tokenizer.encode_batch(list(texts))]
