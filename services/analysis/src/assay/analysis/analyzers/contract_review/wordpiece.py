"""A BERT uncased WordPiece tokenizer in plain Python, for the bundled MiniLM embedding model.

It reproduces Hugging Face's ``BertTokenizer`` with ``do_lower_case=True`` (clean text, split
CJK characters, lower-case and strip accents, split punctuation, greedy longest-match-first
WordPiece with ``##`` continuations), so the model needs neither ``tokenizers`` nor
``transformers``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CLS = "[CLS]"
SEP = "[SEP]"
PAD = "[PAD]"
UNK = "[UNK]"
MAX_CHARS_PER_WORD = 100


@dataclass(frozen=True)
class Encoding:
    """Token ids of one text, framed by ``[CLS]`` and ``[SEP]``."""

    ids: tuple[int, ...]


def _is_whitespace(ch: str) -> bool:
    if ch in " \t\n\r":
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch: str) -> bool:
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def _clean(text: str) -> str:
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    return "".join(out)


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn")


def basic_tokens(text: str) -> list[str]:
    """Split text into lower-cased, accent-free words and single punctuation characters."""
    tokens: list[str] = []
    for word in _clean(text).split():
        word = _strip_accents(word.lower())
        current: list[str] = []
        for ch in word:
            if _is_punctuation(ch):
                if current:
                    tokens.append("".join(current))
                    current = []
                tokens.append(ch)
            else:
                current.append(ch)
        if current:
            tokens.append("".join(current))
    return tokens


class WordPieceTokenizer:
    """Turns text into the vocabulary ids the model was trained on."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self._ids = {token: i for i, token in enumerate(vocab)}
        for special in (CLS, SEP, PAD, UNK):
            if special not in self._ids:
                raise ValueError(f"vocabulary lacks {special}")
        self.cls_id = self._ids[CLS]
        self.sep_id = self._ids[SEP]
        self.pad_id = self._ids[PAD]
        self.unk_id = self._ids[UNK]
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPieceTokenizer:
        """Load a ``vocab.txt`` (one token a line, the line number is the id)."""
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(lines)

    def _word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        ids: list[int] = []
        if len(word) > MAX_CHARS_PER_WORD:
            ids = [self.unk_id]
        else:
            start = 0
            while start < len(word):
                end = len(word)
                found: int | None = None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    found = self._ids.get(piece)
                    if found is not None:
                        break
                    end -= 1
                if found is None:
                    ids = [self.unk_id]
                    break
                ids.append(found)
                start = end
        result = tuple(ids)
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def encode(self, text: str, max_length: int) -> Encoding:
        """Encode one text, truncated so that with ``[CLS]``/``[SEP]`` it has ``max_length`` ids."""
        body: list[int] = []
        limit = max(0, max_length - 2)
        for word in basic_tokens(text):
            body.extend(self._word_ids(word))
            if len(body) >= limit:
                del body[limit:]
                break
        return Encoding(ids=(self.cls_id, *body, self.sep_id))

    def encode_batch(self, texts: Iterable[str], max_length: int) -> list[Encoding]:
        """Encode several texts."""
        return [self.encode(t, max_length) for t in texts]
