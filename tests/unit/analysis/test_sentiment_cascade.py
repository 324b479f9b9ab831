"""The learned sentiment model's cascade, its whole-review MIXED rule, and the parts behind them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from assay.analysis.analyzers.contract_review.embedding import bundled_model_path
from assay.analysis.analyzers.contract_review.minilm_layers import (
    bert_layer,
    cut_output,
    load_tuned,
    lower_session,
    pad,
    quantise,
)
from assay.analysis.analyzers.sentiment import (
    LearnedModel,
    MixedRule,
    Scores,
    TunedMiniLM,
    Unscored,
    _models,
    learned_model,
    lexicon_model,
)
from assay.analysis.analyzers.sentiment._fast import terms
from assay.analysis.analyzers.sentiment._transformer import TUNED_PATH, tuned_layers

CLEAR = [
    "I love this product, it is wonderful!",
    "Absolutely fantastic, highly recommended.",
    "This is terrible, I hate it.",
    "Awful quality, a complete waste of money.",
]
MIXED_CANDIDATES = [  # VADER finds praise and complaint in several clauses: the fast path keeps one-sided ones only
    "The screen is gorgeous, but the battery is terrible.",
    "Great food, awful service.",
]


def labels(outcomes: list[Scores | Unscored]) -> list[str]:
    return [o.label.name if isinstance(o, Scores) else o.reason for o in outcomes]


def test_confident_rows_are_decided_by_the_fast_path_and_the_others_by_the_transformer() -> None:
    cascade = learned_model(cache_entries=0)
    transformer_only = learned_model(cache_entries=0, cascade=False)

    together = cascade.score_batch([*CLEAR, *MIXED_CANDIDATES])

    assert cascade.decided["fast"] >= len(CLEAR)
    assert cascade.decided["transformer"] >= 1
    assert cascade.decided["fast"] + cascade.decided["transformer"] == len(CLEAR) + len(MIXED_CANDIDATES)
    assert labels(together)[: len(CLEAR)] == labels(transformer_only.score_batch(CLEAR))
    assert transformer_only.decided == {"transformer": len(CLEAR)}


def test_identical_rows_are_scored_once_and_get_the_same_result() -> None:
    model = learned_model(cache_entries=0)

    outcomes = model.score_batch(["Great value!", "Broke after a day.", "Great value!", "Great value!"])

    assert sum(model.decided.values()) == 2
    assert outcomes[0] == outcomes[2] == outcomes[3]


def test_a_negative_review_that_praises_one_thing_is_negative_not_mixed() -> None:
    # Before the whole-text condition both were MIXED (a confident praise and a confident complaint).
    reviews = [
        "The room was dirty and the staff were rude. The location is great. We will never come back.",
        "Terrible hotel. Dirty room, rude staff, broken shower. The breakfast was nice though. Avoid.",
    ]

    outcomes = learned_model(cache_entries=0).score_batch(reviews)

    assert labels(outcomes) == ["NEGATIVE", "NEGATIVE"]
    assert all(isinstance(o, Scores) and o.mixed == 0.0 for o in outcomes)


def test_mixed_needs_conflicting_confident_clauses_and_a_whole_text_the_model_is_unsure_of() -> None:
    transformer, fast, rule = _models._loaded()
    text = "The screen is gorgeous, but the battery is terrible."

    def label_with(clause_min: float, whole_max: float) -> str:
        model = LearnedModel(transformer, fast, lexicon_model(), MixedRule(clause_min, whole_max), cache_entries=0)
        return labels(model.score_batch([text]))[0]

    assert label_with(0.7, 1.01) == "MIXED"  # no whole-text condition: the clauses conflict
    assert label_with(1.01, 1.01) != "MIXED"  # no clause is that sure
    assert label_with(0.7, 0.0) != "MIXED"  # the whole text is one-sided enough
    assert 0.5 <= rule.clause_min <= 1.0 and 0.5 <= rule.whole_max <= 1.01


def test_words_after_a_negation_are_marked_until_punctuation_and_pairs_are_added() -> None:
    assert terms("Not good, but it works!") == [
        "not", "not_good", "but", "it", "works", "!",
        "not not_good", "not_good but", "but it", "it works", "works !",
    ]
    assert terms("I didn\u2019t like it at all")[:6] == ["i", "didn't", "not_like", "not_it", "not_at", "all"]


def test_the_model_file_names_its_tuned_layers_and_files_before_version_5_mean_layers_5_and_6() -> None:
    assert tuned_layers({}) == (4, 5)
    assert tuned_layers({"tuned_layers": [2, 3, 4, 5]}) == (2, 3, 4, 5)
    assert tuned_layers({"tuned_layers": [0, 1, 2, 3, 4, 5]}) == (0, 1, 2, 3, 4, 5)
    for wrong in ([2, 4, 5], [3, 4], [-1, 0, 1, 2, 3, 4, 5], []):
        with pytest.raises(ValueError):
            tuned_layers({"tuned_layers": wrong})


def test_the_shipped_graph_is_cut_at_the_output_of_the_layer_below_the_first_tuned_one() -> None:
    import onnx

    graph = onnx.load(str(bundled_model_path() or Path())).graph
    producers = {node.output[0]: node for node in graph.node}
    for first_tuned in (2, 4):
        node = producers[cut_output(first_tuned)]
        assert node.op_type == "LayerNormalization"
        assert f"encoder.layer.{first_tuned - 1}.output.LayerNorm.weight" in node.input[1]
    ids = np.array([[101, 2307, 3185, 102]], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    below_3, below_5 = (lower_session(bundled_model_path() or Path(), i).run(None, feed)[0] for i in (2, 4))
    assert below_3.shape == below_5.shape == (1, 4, 384)
    assert np.abs(below_3 - below_5).max() > 0.1


def test_tuned_from_layer_1_the_graph_is_cut_below_the_embeddings_layer_norm_which_the_model_file_then_runs() -> None:
    import onnx
    from onnx.numpy_helper import to_array
    from onnx.utils import Extractor

    model_path = bundled_model_path() or Path()
    graph = onnx.load(str(model_path))
    initializers = {init.name: to_array(init) for init in graph.graph.initializer}
    norm = next(n for n in graph.graph.node if n.op_type == "LayerNormalization" and n.input[0] == cut_output(0))
    assert norm.input[1] == "inner.embeddings.LayerNorm.weight"
    ids = np.array([[101, 2307, 3185, 102]], dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
    below_1 = lower_session(model_path, 0).run(None, feed)[0]
    inputs = ["input_ids", "attention_mask", "token_type_ids"]
    shipped = onnx.load_from_string(Extractor(graph).extract_model(inputs, [norm.output[0]]).SerializeToString())
    import onnxruntime as ort  # type: ignore[import-untyped]

    normed = ort.InferenceSession(shipped.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feed)[0]
    gain, bias = (initializers[name] for name in norm.input[1:3])
    mean, var = below_1.mean(-1, keepdims=True), below_1.var(-1, keepdims=True)
    assert np.abs((below_1 - mean) / np.sqrt(var + 1e-12) * gain + bias - normed).max() < 1e-3

    params, meta = load_tuned(TUNED_PATH)
    six = {f"layer{i}.{name[len('layer5.'):]}": value
           for i in range(6) for name, value in params.items() if name.startswith("layer5.")}
    six |= {"embeddings.LayerNorm.weight": gain, "embeddings.LayerNorm.bias": bias,
            "head.weight": params["head.weight"], "head.bias": params["head.bias"]}
    from_layer_1 = TunedMiniLM(lower_session(model_path, 0), six, {**meta, "tuned_layers": [0, 1, 2, 3, 4, 5]})
    assert from_layer_1.lower_states(pad([ids[0].tolist()])).shape == (1, 4, 384)
    x = normed.astype(np.float32)
    for _ in range(6):
        x = bert_layer(x, np.ones((1, 4), np.float32), {k[len("layer5."):]: v for k, v in params.items()
                                                        if k.startswith("layer5.")})
    lexicon = lexicon_model().score("great movie")
    vader = np.array([[lexicon.compound, lexicon.positive, lexicon.negative, lexicon.neutral]], np.float32)
    expected = np.hstack([x.mean(axis=1), vader * meta["lexicon_scale"]]) @ params["head.weight"] + params["head.bias"]
    assert np.abs(from_layer_1.logits(["great movie"], [lexicon]) - expected).max() < 1e-2


def test_the_tuned_layers_round_trip_through_int8_within_half_a_step() -> None:
    weight = np.random.default_rng(24).normal(size=(8, 16)).astype(np.float32)

    q, scale = quantise(weight)

    assert q.dtype == np.int8
    assert np.abs(q.astype(np.float32) * scale[:, None] - weight).max() <= scale.max() / 2 + 1e-6
    params, meta = load_tuned(TUNED_PATH)
    assert {"layer0.attention.self.query.weight", "layer5.output.dense.weight", "head.weight"} <= set(params)
    assert {"embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"} <= set(params)  # from version 6: tuned too
    assert params["head.weight"].shape == (384 + 4, 3)
    assert 0.5 <= meta["mixed_clause_min"] <= 1.0
    assert meta["version"] == "6" and meta["training"]["trained_layers"] == "1,2,3,4,5,6"  # all six layers trained
    assert tuned_layers(meta) == (0, 1, 2, 3, 4, 5)
    assert 0.0 <= meta["fast_weight"] < 1.0


def _probabilities(outcomes: list[Scores | Unscored]) -> np.ndarray:
    return np.array([[o.positive, o.negative, o.neutral] for o in outcomes if isinstance(o, Scores)])


def test_texts_the_fast_path_leaves_get_the_blend_of_both_paths_with_the_calibrated_weight() -> None:
    _, fast, _ = _models._loaded()
    params, meta = load_tuned(TUNED_PATH)
    lower = lower_session(bundled_model_path() or Path(), tuned_layers(meta)[0])
    transformer = TunedMiniLM(lower, params, {**meta, "fast_weight": 0.3})
    undecided = dataclasses.replace(fast, gate=1.01)  # the fast path keeps nothing
    no_mixed = MixedRule(clause_min=1.01, whole_max=0.0)
    texts = ["It was fine I guess, nothing special.", "Not what I expected."]
    lexicon = [lexicon_model().score(t) for t in texts]

    cascade = LearnedModel(transformer, undecided, lexicon_model(), no_mixed, cache_entries=0)
    alone = LearnedModel(transformer, undecided, lexicon_model(), no_mixed, cache_entries=0, cascade=False)
    blended, transformer_only = _probabilities(cascade.score_batch(texts)), _probabilities(alone.score_batch(texts))

    expected = 0.3 * fast.probabilities(texts, lexicon) + 0.7 * transformer.probabilities(texts, lexicon)
    assert np.abs(blended - expected).max() <= 1e-3
    assert np.abs(transformer_only - transformer.probabilities(texts, lexicon)).max() <= 1e-3  # no fast path
    assert np.abs(blended - transformer_only).max() > 1e-3
    unblended = {k: v for k, v in meta.items() if k != "fast_weight"}
    assert TunedMiniLM(lower, params, unblended).fast_weight == 0.0  # files before version 4
