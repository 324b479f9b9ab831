"""The index's embedding model with int8 matrix products: onnxruntime's dynamic quantization of the
shipped MiniLM, made once per model file and onnxruntime version and kept on disk.

Why: embedding is ~97% of indexing's CPU and a third of AskQuestion's in the service. The shipped
file stores its weights as int8 but computes in float32 (they are cast back at load); with the
matrix products in int8 (``MatMulInteger``, VNNI where the CPU has it) a batch of 8 passages of 80
word pieces cost 75-83 ms of CPU instead of 144, a 16-word-piece question 2.1-2.2 ms instead of 4.8.
Retrieval quality was re-measured with ``bench/eval_index.py`` (see the analyzer's README): not
lower. Before quantizing, attention and GELU are fused (:mod:`.fusion`: ~20% less CPU again).
Vectors the float32 model stored earlier stay usable (questions embedded by this one found
the same passages in the evaluation), and re-indexing a file re-embeds them: the reuse check
compares one fresh vector with the stored one (:func:`~.embedding.embed_reusing`).

``ASSAY_INDEX_EMBEDDING_INT8=off`` keeps the shipped model as it is. The quantized file is written
to ``ASSAY_INDEX_MODEL_CACHE_DIR`` (default: ``assay/models`` in the user's cache directory,
``$XDG_CACHE_HOME`` or ``~/.cache``: not a predictable path in a shared temporary directory, where
another account could leave a file for the service to load) under a name made of the source file's
digest and onnxruntime's version, atomically, so processes that start together share one file and
an upgrade makes a new one. Quantizing takes a few seconds
of CPU once; if it fails the shipped model is used and a warning logged.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from assay.analysis.analyzers.index.fusion import fuse

logger = logging.getLogger(__name__)

ENV_SWITCH = "ASSAY_INDEX_EMBEDDING_INT8"
ENV_CACHE_DIR = "ASSAY_INDEX_MODEL_CACHE_DIR"
NAME_SUFFIX = "-dynamic"
"""Appended to the model's name in results when the quantized graph is used."""
GRAPH_VERSION = "fused1"
"""In the kept file's name: what this code makes of the source (a file made by an earlier version is not
used; :mod:`.fusion` since ``fused1``)."""


def int8_enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "on").strip().lower() not in {"off", "0", "false", "no"}


def cache_dir() -> Path:
    configured = os.environ.get(ENV_CACHE_DIR, "").strip()
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "assay" / "models"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:16]


def quantized_path(source: Path, directory: Path | None = None) -> Path:
    """Where the quantized form of ``source`` is kept (made by :func:`quantize` when absent)."""
    import onnxruntime as ort  # type: ignore[import-untyped]

    return (directory or cache_dir()) / (f"{source.stem}-{_digest(source)}-ort{ort.__version__}"
                                         f"-{GRAPH_VERSION}-dynamic-int8.onnx")


def quantize(source: Path, target: Path) -> None:
    """Write ``source`` with its attention and GELU fused (:mod:`.fusion`, when they fit), its constants
    folded (the stored int8 weights cast back to float32) and its matrix products dynamically
    quantized to int8, to ``target`` (atomically)."""
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        fused = Path(work) / "fused.onnx"
        layers = fuse(source, fused)
        logger.info("embedding graph: attention and GELU fused in %d layers", layers)
        folded = Path(work) / "folded.onnx"
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(fused if layers else source), sess_options=options,
                             providers=["CPUExecutionProvider"])
        quantized = Path(work) / "quantized.onnx"
        quantize_dynamic(str(folded), str(quantized), weight_type=QuantType.QInt8)
        os.replace(quantized, target)


def index_model_path(source: Path) -> tuple[Path, bool]:
    """The model file the index embeds with, and whether it is the quantized one."""
    if not int8_enabled():
        return source, False
    try:
        target = quantized_path(source)
        if not target.is_file():
            quantize(source, target)
        return target, True
    except Exception:  # any failure leaves the shipped model, which works (slower)
        logger.warning("could not quantize the embedding model for the index; using it as shipped", exc_info=True)
        return source, False
