"""The sentence model the judge runs: the re-quantised asset, checked against the packaged one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trainer.rubric.embeddings as embeddings
from trainer.rubric.embeddings import Embedder, locate_files, package_model

SENTENCES = [
    "Every Monday your planner opens the risk list and books the repair into the weekend.",
    "We have thirty minutes today; does that still work for you?",
    "um so like the close takes twelve days and its all in spreadsheets honestly",
    "Their managers got their Sunday nights back and agency shifts dropped by a third.",
    "We're just more innovative than they are.",
]


def test_the_app_runs_the_int8_arithmetic_model_from_its_assets() -> None:
    model, tokenizer = locate_files()
    assert model.name == "minilm-l6-int8-dynamic.onnx" and model.is_file()
    assert tokenizer.name == "tokenizer.json"


def test_the_asset_means_what_the_packaged_model_means(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = Embedder().embed(SENTENCES)
    monkeypatch.setattr(embeddings, "locate_files",
                        lambda: (package_model(), locate_files()[1]))
    packaged = Embedder().embed(SENTENCES)
    agreement = np.sum(fast * packaged, axis=1)
    assert float(agreement.min()) > 0.98, agreement
    # The judge reads similarities, so they must keep their order too.
    pairs = np.triu_indices(len(SENTENCES), 1)
    fast_sims = (fast @ fast.T)[pairs]
    packaged_sims = (packaged @ packaged.T)[pairs]
    assert float(np.abs(fast_sims - packaged_sims).max()) < 0.04


def test_without_the_asset_the_packaged_model_is_used(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    from trainer.common import paths

    monkeypatch.setattr(paths, "assets_dir", lambda: tmp_path)
    model, _ = locate_files()
    assert model == package_model()
    vector = Embedder().embed([SENTENCES[0]])
    assert vector.shape == (1, embeddings.DIMENSIONS)


def test_prefetched_and_concurrent_sentences_come_back_the_same() -> None:
    import threading

    reference = Embedder(workers=1).embed(SENTENCES)
    embedder = Embedder()
    embedder.prefetch(SENTENCES[:3])  # returns at once; the workers carry on
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(embedder.embed(SENTENCES)))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    for vectors in results:
        assert np.array_equal(vectors, reference)


def test_a_background_prefetch_keeps_to_one_thread_and_gives_the_same_vectors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """While a take is recorded the judge warms up on one worker of its own, so the speech
    model keeps the other core; the vectors are those of a foreground embed."""
    import threading

    reference = Embedder(workers=1).embed(SENTENCES)
    embedder = Embedder()
    threads: set[str] = set()
    run_one = embedder._run_one

    def recording(sentence: str) -> np.ndarray:
        threads.add(threading.current_thread().name)
        return run_one(sentence)

    monkeypatch.setattr(embedder, "_run_one", recording)
    embedder.prefetch(SENTENCES, background=True)
    vectors = embedder.embed(SENTENCES)
    assert np.array_equal(vectors, reference)
    assert threads and all(name.startswith("embed-bg") for name in threads), threads
    assert len(threads) == 1
