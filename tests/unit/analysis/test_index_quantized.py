"""The index embeds with an int8-quantized form of the shipped model, made once and kept on disk;
switched off or failing, the shipped model is used as it is."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assay.analysis.analyzers.contract_review.embedding import OnnxMiniLM, bundled_model_path
from assay.analysis.analyzers.index import quantized
from assay.analysis.analyzers.index.fusion import fuse
from assay.analysis.analyzers.index.quantized import index_model_path, quantized_path

SHIPPED = bundled_model_path()
needs_model = pytest.mark.skipif(SHIPPED is None, reason="the embedding model package is not installed")


@needs_model
def test_the_quantized_model_is_made_once_and_embeds_like_the_shipped_one(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert SHIPPED is not None
    monkeypatch.setenv(quantized.ENV_CACHE_DIR, str(tmp_path))
    path, used = index_model_path(SHIPPED)
    assert used and path == quantized_path(SHIPPED, tmp_path) and path.is_file()
    assert list(tmp_path.iterdir()) == [path]  # the work files are gone
    made = path.stat().st_mtime_ns
    assert index_model_path(SHIPPED) == (path, True) and path.stat().st_mtime_ns == made  # kept, not made again
    texts = ["How often does Plausible delete old salts?", "Salts are deleted every 24 hours.",
             "The laws of the Federal Republic of Germany shall apply."]
    fast, shipped = OnnxMiniLM(path, threads=1).embed(texts), OnnxMiniLM(SHIPPED, threads=1).embed(texts)
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert float(np.min((fast * shipped).sum(axis=1))) > 0.85  # the same model, int8 products
    # the question is nearer its answer than the unrelated clause, as with the shipped model
    assert float(fast[0] @ fast[1]) > float(fast[0] @ fast[2])


@needs_model
def test_switched_off_the_shipped_model_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert SHIPPED is not None
    monkeypatch.setenv(quantized.ENV_CACHE_DIR, str(tmp_path))
    monkeypatch.setenv(quantized.ENV_SWITCH, "off")
    assert index_model_path(SHIPPED) == (SHIPPED, False)
    assert not list(tmp_path.iterdir())


def test_a_model_that_cannot_be_quantized_is_used_as_shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"not an onnx graph")
    monkeypatch.setenv(quantized.ENV_CACHE_DIR, str(tmp_path / "cache"))
    assert index_model_path(broken) == (broken, False)
    assert "could not quantize" in caplog.text


@needs_model
def test_the_index_embeds_with_the_quantized_model_and_says_so_in_its_name() -> None:
    from assay.analysis.analyzers.index.embedding import index_embedder

    model = index_embedder()
    assert model is not None and model.name.endswith(quantized.NAME_SUFFIX)


def test_the_model_cache_is_the_users_own_not_a_shared_temporary_path(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A predictable path in /tmp could be made first by another account, and its file loaded.
    monkeypatch.delenv(quantized.ENV_CACHE_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert quantized.cache_dir() == tmp_path / "assay" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert quantized.cache_dir() == Path.home() / ".cache" / "assay" / "models"
    monkeypatch.setenv(quantized.ENV_CACHE_DIR, str(tmp_path / "chosen"))
    assert quantized.cache_dir() == tmp_path / "chosen"


@needs_model
def test_attention_and_gelu_are_fused_and_the_fused_graph_embeds_as_the_shipped_one(tmp_path: Path) -> None:
    import onnx

    assert SHIPPED is not None
    target = tmp_path / "fused.onnx"
    assert fuse(SHIPPED, target) == 6
    ops = Counter(n.op_type for n in onnx.load(str(target)).graph.node)
    assert ops["MultiHeadAttention"] == 6 and ops["Gelu"] == 6
    assert ops["Erf"] == ops["IsNaN"] == ops["Softmax"] == ops["Where"] == 0
    # padded batches: texts of different lengths in one call, so the padding mask matters
    texts = ["How often does Plausible delete old salts?", "Salts are deleted every 24 hours.",
             "The laws of the Federal Republic of Germany shall apply to this agreement and to every dispute "
             "arising from it, to the exclusion of the UN Convention on Contracts for the International Sale of Goods."]
    fused, shipped = OnnxMiniLM(target, threads=1).embed(texts), OnnxMiniLM(SHIPPED, threads=1).embed(texts)
    assert float(np.min((fused * shipped).sum(axis=1))) > 0.9999


@needs_model
def test_the_kept_model_is_the_fused_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnx

    assert SHIPPED is not None
    monkeypatch.setenv(quantized.ENV_CACHE_DIR, str(tmp_path))
    path, used = index_model_path(SHIPPED)
    ops = Counter(n.op_type for n in onnx.load(str(path)).graph.node)
    assert used and ops["MultiHeadAttention"] == 6 and ops["Gelu"] == 6


def test_a_graph_the_fusion_does_not_fit_is_left_alone(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["input_ids"], ["last_hidden_state"])], "other",
                              [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, 4])],
                              [helper.make_tensor_value_info("last_hidden_state", TensorProto.INT64, [1, 4])])
    source = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), str(source))
    assert fuse(source, tmp_path / "fused.onnx") == 0
    assert not (tmp_path / "fused.onnx").exists()


@needs_model
def test_the_index_session_leaves_residual_adds_and_layer_norms_unmerged(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort

    from assay.analysis.analyzers.index.embedding import UNFUSED, index_embedder

    model = index_embedder()
    assert isinstance(model, OnnxMiniLM) and model.disabled_optimizers == UNFUSED

    def optimized_ops(disabled: tuple[str, ...]) -> Counter[str]:
        assert SHIPPED is not None
        options = ort.SessionOptions()
        options.optimized_model_filepath = str(tmp_path / f"optimized-{len(disabled)}.onnx")
        ort.InferenceSession(str(SHIPPED), options, providers=["CPUExecutionProvider"],
                             disabled_optimizers=list(disabled))
        return Counter(n.op_type for n in onnx.load(options.optimized_model_filepath).graph.node)

    assert optimized_ops(())["SkipLayerNormalization"] > 0  # what onnxruntime does by default
    unmerged = optimized_ops(UNFUSED)
    assert unmerged["SkipLayerNormalization"] == 0 and unmerged["LayerNormalization"] == 13
