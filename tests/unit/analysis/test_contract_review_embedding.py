"""Semantic similarity: the bundled tokenizer and model, the lexical fallback, party names."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.contracts.support import needs_model

from assay.analysis.analyzers.contract_review import embedding
from assay.analysis.analyzers.contract_review.embedding import VOCAB_PATH, OnnxMiniLM, bundled_model_path
from assay.analysis.analyzers.contract_review.lexical import LexicalSimilarity, terms
from assay.analysis.analyzers.contract_review.parties import PartyAliases, canonical_roles
from assay.analysis.analyzers.contract_review.wordpiece import WordPieceTokenizer, basic_tokens


@pytest.fixture(scope="module")
def tokenizer() -> WordPieceTokenizer:
    return WordPieceTokenizer.from_file(VOCAB_PATH)


def test_the_tokenizer_produces_bert_uncased_ids(tokenizer: WordPieceTokenizer) -> None:
    assert tokenizer.encode("Hello, world!", 16).ids == (101, 7592, 1010, 2088, 999, 102)


def test_the_tokenizer_splits_unknown_words_into_word_pieces(tokenizer: WordPieceTokenizer) -> None:
    ids = tokenizer.encode("sub-processors", 16).ids
    assert ids[0] == 101 and ids[-1] == 102 and len(ids) > 4


def test_the_tokenizer_lowercases_strips_accents_and_splits_punctuation() -> None:
    assert basic_tokens("Art. 28(3) — Café") == ["art", ".", "28", "(", "3", ")", "—", "cafe"]


def test_the_tokenizer_truncates_to_the_maximum_length(tokenizer: WordPieceTokenizer) -> None:
    ids = tokenizer.encode("word " * 500, 128).ids
    assert len(ids) == 128 and ids[-1] == 102


def test_embeddings_can_be_switched_off_for_the_lexical_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embedding.ENV_SWITCH, "off")
    assert embedding.default_embedder() is None


def test_a_missing_model_file_means_no_embedder(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv(embedding.ENV_MODEL_PATH, "/nonexistent/model.onnx")
    assert bundled_model_path() is None


@needs_model
def test_the_model_gives_unit_vectors_and_ranks_a_paraphrase_above_an_unrelated_clause() -> None:
    model_path = bundled_model_path()
    assert model_path is not None
    model = OnnxMiniLM(model_path)
    batches: list[tuple[int, int]] = []
    vectors = model.embed(
        [
            "The processor shall notify the controller of a personal data breach without undue delay.",
            "The supplier will tell the customer promptly if customer data is compromised.",
            "This agreement is governed by the laws of France.",
        ],
        on_batch=lambda done, total: batches.append((done, total)),
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert batches == [(3, 3)]


@needs_model
def test_the_process_wide_embedder_is_loaded_once() -> None:
    assert embedding.default_embedder() is embedding.default_embedder()


def test_lexical_similarity_prefers_shared_content_words() -> None:
    sims = LexicalSimilarity().similarity(
        ["The processor shall delete personal data at the end of the services."],
        ["Deletion of personal data when the services end.", "Governing law and jurisdiction."],
    )
    assert sims[0, 0] > 0.3 > sims[0, 1]


def test_lexical_terms_are_stemmed_and_skip_stop_words() -> None:
    assert terms("The Processor processes the processing") == {"process"}


def test_defined_party_names_are_replaced_by_their_roles() -> None:
    parties = PartyAliases.from_texts(
        ['This DPA is between Northwind Retail GmbH ("Controller") and Cloudlane Analytics Ltd ("Processor").']
    )
    assert parties.normalise("Cloudlane will act on Northwind's instructions.") == (
        "the Processor will act on the Controller's instructions."
    )


def test_capitalised_roles_are_canonical_but_ordinary_words_are_not() -> None:
    assert canonical_roles("The Supplier assists the Customer and its customers.") == (
        "The processor assists the controller and its customers."
    )
