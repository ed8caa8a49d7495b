"""Batching, progress and fingerprints of the embedding adapter (fake model, no torch)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.config import bundled_model_path
from assistant.index.embeddings import (
    PROGRESS_MIN_CHUNKS,
    EmbeddingModelError,
    QueryEmbedder,
    embed_documents,
    model_fingerprint,
)


def test_batches_reach_the_callback_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    fake = DeterministicFakeEmbedding(size=8)
    batches: list[tuple[int, int, int]] = []

    count = embed_documents(
        fake, [f"text {i}" for i in range(10)], batch_size=4,
        on_batch=lambda vectors, start, end: batches.append((len(vectors), start, end)),
    )  # fmt: skip

    assert count == 10
    assert batches == [(4, 0, 4), (4, 4, 8), (2, 8, 10)]
    assert capsys.readouterr().err == ""  # short runs show no progress bar


def test_long_runs_show_a_progress_bar_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    embed_documents(DeterministicFakeEmbedding(size=8), ["x"] * (PROGRESS_MIN_CHUNKS + 1))
    captured = capsys.readouterr()
    assert "embedding" in captured.err
    assert captured.out == ""


def test_query_vectors_are_cached() -> None:
    calls: list[str] = []

    class Counting(DeterministicFakeEmbedding):
        def embed_query(self, text: str) -> list[float]:
            calls.append(text)
            return super().embed_query(text)

    embed = QueryEmbedder(Counting(size=4))
    assert embed("b12") == embed("b12")
    embed("folate")
    assert calls == ["b12", "folate"]


def test_fingerprint_is_stable_and_tracks_model_files(tmp_path: Path) -> None:
    bundled = bundled_model_path()
    copy = tmp_path / "model"
    shutil.copytree(bundled, copy, ignore=shutil.ignore_patterns("*.safetensors", "*.bin", "onnx"))

    assert model_fingerprint(bundled) == model_fingerprint(bundled)
    assert model_fingerprint(copy) != model_fingerprint(bundled)  # weights missing
    with pytest.raises(EmbeddingModelError, match=r"config\.json missing"):
        model_fingerprint(tmp_path)
