"""The learned model's fast path: static MiniLM word-piece vectors, and which texts it decides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.sentiment_jobs import run_csv

from assay.analysis.analyzers.sentiment import (
    FAST,
    LANGUAGE_UNSUPPORTED,
    LearnedModel,
    MixedRule,
    Scores,
    _models,
    learned_model,
    lexicon_model,
    model_for,
)
from assay.analysis.analyzers.sentiment._fast import FastModel
from assay.analysis.analyzers.sentiment._language import detect_language, plainly_english
from assay.analysis.analyzers.sentiment._static import StaticEmbeddings
from assay.v1 import sentiment_pb2

# VADER finds praise and complaint in two clauses: a MIXED candidate.
CANDIDATE = "I love the screen, but the battery is bad."


def test_static_vectors_cover_the_vocabulary_and_a_text_gets_the_mean_of_its_pieces() -> None:
    embeddings = StaticEmbeddings.load()
    table = embeddings.table

    vectors = embeddings.mean(["great phone", "great phone", "😍😍", "great"])

    assert table.shape == (30522, embeddings.dimensions)
    assert np.array_equal(vectors[0], vectors[1])  # deterministic
    great, phone = (embeddings.tokenizer.encode_batch([w])[0][1] for w in ("great", "phone"))
    np.testing.assert_allclose(vectors[0], (table[great] + table[phone]) / 2, rtol=1e-6)
    np.testing.assert_allclose(vectors[3], table[great], rtol=1e-6)
    assert vectors[2].shape == (embeddings.dimensions,)


def test_the_shipped_fast_path_reads_the_static_vectors_and_scores_a_batch_as_one_by_one() -> None:
    fast = FastModel.load()
    texts = ["Great value, works perfectly.", "Broke after a day. Useless.", "It is a phone."]
    lexicon = [lexicon_model().score(t) for t in texts]

    together = fast.probabilities(texts, lexicon)
    alone = np.vstack([fast.probabilities([t], [s]) for t, s in zip(texts, lexicon, strict=True)])

    assert fast.embeddings is not None and fast.embedding_weights is not None
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert [int(r.argmax()) for r in together][:2] == [0, 1]


def _model_sure_of(word: str, gate: float, whole_max: float) -> LearnedModel:
    """The shipped transformer behind a one-word fast path: ``word`` is POSITIVE at about 0.99."""
    transformer, _, _ = _models._loaded()
    fast = FastModel(
        vocabulary={word: 0},
        weights=np.array([[6.0, 0.0, 0.0]], dtype=np.float32),
        lexicon_weights=np.zeros((4, 3), dtype=np.float32),
        bias=np.zeros(3, dtype=np.float32),
        temperature=1.0,
        gate=gate,
    )
    return LearnedModel(transformer, fast, lexicon_model(), MixedRule(0.9, whole_max), cache_entries=0)


def test_a_mixed_candidate_the_fast_path_finds_one_sided_is_decided_by_it() -> None:
    model = _model_sure_of("love", gate=0.7, whole_max=0.6)

    outcome = model.score_batch([CANDIDATE])[0]

    assert model.decided == {"fast": 1}
    assert outcome.label.name == "POSITIVE"


def test_a_mixed_candidate_goes_to_the_transformer_when_the_fast_path_is_below_the_gate_or_the_mixed_bound() -> None:
    below_gate = _model_sure_of("love", gate=0.999, whole_max=0.6)
    below_bound = _model_sure_of("love", gate=0.7, whole_max=0.999)
    unknown = _model_sure_of("nothing-here", gate=0.7, whole_max=0.6)

    for model in (below_gate, below_bound, unknown):
        model.score_batch([CANDIDATE])
        assert model.decided == {"transformer": 1}


def test_the_fast_model_kind_gives_the_learned_results_shape_without_a_transformer_pass(tmp_path: Path) -> None:
    longest = ("Great value. " * 40)[:512]
    texts = [
        "I love this product, it is wonderful!", "It stopped working after two days.", "", "   \t ",
        longest, longest + "!", "C'est vraiment nul, je déteste ce produit.", "😍😍😍", "Worst order ever 😡",
        "The screen is gorgeous, but the battery is terrible.",
    ]
    model = model_for(FAST)
    assert isinstance(model, LearnedModel)
    before = model.decided.copy()

    result, rows = run_csv(tmp_path, texts, model=FAST)

    items = result.items
    assert [i.skip_reason for i in items] == [
        "", "", "EMPTY_TEXT", "EMPTY_TEXT", "", "TEXT_TOO_LONG", LANGUAGE_UNSUPPORTED, "", "", ""]
    names = [sentiment_pb2.SentimentLabel.Name(i.label).removeprefix("SENTIMENT_LABEL_") for i in items]
    assert names[:2] == ["POSITIVE", "NEGATIVE"]
    assert names[4] == "POSITIVE" and names[7:9] == ["POSITIVE", "NEGATIVE"]
    assert items[6].language == "fr" and items[7].language == "und"
    for item in (items[0], items[1], items[9]):
        assert len(item.class_scores) == 4
        assert sum(s.score for s in item.class_scores) == pytest.approx(1.0, abs=0.001)
        assert item.confidence == max(s.score for s in item.class_scores)
    assert rows[0][-4:] == ["confidence", "mixed", "language", "aspects"]
    assert result.statistics.model == model.name and model.name.startswith("learned-fast:")
    assert "transformer" not in model.decided - before
    assert model.decided["fast"] > before["fast"]


def test_the_fast_model_kind_is_deterministic_and_a_batch_agrees_with_each_text_alone() -> None:
    texts = ["Great value, works perfectly.", "Broke after a day.", "Great food, awful service.", "It is blue.",
             "Not bad at all", "meh"]
    first = learned_model(cache_entries=0, fast_only=True)
    second = learned_model(cache_entries=0, fast_only=True)

    together = first.score_batch(texts, aspects=True)
    decided = first.decided.copy()
    alone = [second.score_batch([t], aspects=True)[0] for t in texts]

    assert decided == {"fast": len(texts)}
    assert together == first.score_batch(texts, aspects=True)
    for a, b in zip(together, alone, strict=True):
        assert isinstance(a, Scores) and isinstance(b, Scores)
        assert a.label == b.label
        assert a.confidence == pytest.approx(b.confidence, abs=1e-4)


def test_cached_chunk_pieces_are_the_tokenizers_pieces_of_the_whole_text() -> None:
    embeddings = StaticEmbeddings.load()
    texts = ["Great😍 product", "café au lait", "foo_bar baz", "这个产品非常好，我很喜欢", "don't\tstop\nnow",
             "a\u00a0b", "x" * 600, " ".join(["word"] * 300), "", "   ", "Great product. Great product!"]

    whole = embeddings.tokenizer.encode_batch(texts)

    assert [embeddings.pieces(t) for t in texts] == [ids[1:-1] for ids in whole]
    assert embeddings.pieces("Great product. Great product!") == whole[-1][1:-1]  # from the cache now


def test_plain_english_skips_the_identifier_and_other_languages_do_not() -> None:
    english = ["The battery died and the screen is dim.", "I would buy it again, but not at this price."]
    others = ["Het product is niet goed en de batterij was leeg, maar het is wel goedkoop",
              "Das ist ein tolles Produkt, ich bin sehr zufrieden.", "To jest dobre i tanie, polecam",
              "Produktet var ikke godt, men det var billigt", "C'est vraiment nul, je déteste ce produit.",
              "La comida estaba fria y el servicio fue lento", "Not bad", "meh"]

    assert [plainly_english(t) for t in english] == [True, True]
    assert [plainly_english(t) for t in others] == [False] * len(others)
    assert [detect_language(t) for t in others[:3]] == ["nl", "de", "pl"]
