"""Semantic similarity: the bundled tokenizer and model, the lexical fallback, party names."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.contracts.support import needs_model

from assay.analysis.analyzers.contract_review import embedding
from assay.analysis.analyzers.contract_review.embedding import VOCAB_PATH, OnnxMiniLM, bundled_model_path
from assay.analysis.analyzers.contract_review.lexical import LexicalSimilarity, terms
from assay.analysis.analyzers.contract_review.parties import PartyAliases, canonical_roles
from assay.analysis.analyzers.contract_review.tokenizer import BertTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> BertTokenizer:
    return BertTokenizer(VOCAB_PATH, 128)


def test_the_tokenizer_produces_bert_uncased_ids(tokenizer: BertTokenizer) -> None:
    assert tokenizer.encode_batch(["Hello, world!"]) == [[101, 7592, 1010, 2088, 999, 102]]


def test_the_tokenizer_splits_unknown_words_into_word_pieces(tokenizer: BertTokenizer) -> None:
    [ids] = tokenizer.encode_batch(["sub-processors"])
    assert ids[0] == 101 and ids[-1] == 102 and len(ids) > 4


def test_the_tokenizer_lowercases_strips_accents_and_drops_replacement_characters(tokenizer: BertTokenizer) -> None:
    # The ids the former hand-written BERT tokenizer produced for the same texts.
    assert tokenizer.encode_batch(["Art. 28(3) — Café", "Au\ufffdragsverarbeiter"]) == [
        [101, 2396, 1012, 2654, 1006, 1017, 1007, 1517, 7668, 102],
        [101, 15240, 5620, 26061, 15185, 20175, 2121, 102],
    ]


def test_the_tokenizer_truncates_to_the_maximum_length(tokenizer: BertTokenizer) -> None:
    [ids] = tokenizer.encode_batch(["word " * 500])
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


@needs_model
def test_the_model_s_idle_threads_sleep_instead_of_spinning() -> None:
    # Spinning intra-op threads burn a shared worker's CPU against each other.
    model = OnnxMiniLM(bundled_model_path())
    assert model.session_options.get_session_config_entry(embedding.SPINNING_CONFIG_KEY) == "0"


@needs_model
def test_a_tap_the_graph_does_not_have_is_dropped_and_no_states_are_passed_on() -> None:
    model = OnnxMiniLM(bundled_model_path(), tap="no_such_tensor")
    assert model.tap is None
    seen: list[object] = []
    vectors = model.embed(["The processor shall delete the data."], on_states=lambda *batch: seen.append(batch))
    assert vectors.shape == (1, 384) and not seen
