"""Choosing the embedding backend and naming it in the index fingerprint (no model loaded)."""

from __future__ import annotations

import pytest

import assistant.index.onnx as onnx_encoder
from assistant.config import Settings
from assistant.index.embeddings import (
    EmbeddingModelError,
    embedding_backend,
    index_fingerprint,
    model_fingerprint,
)


def test_auto_prefers_onnx_when_its_packages_are_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(onnx_encoder, "onnx_available", lambda: True)
    assert embedding_backend(Settings(embedding_backend="auto")) == "onnx"

    monkeypatch.setattr(onnx_encoder, "onnx_available", lambda: False)
    assert embedding_backend(Settings(embedding_backend="auto")) == "torch"


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_an_onnx_backend_without_its_packages_is_a_clear_error(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_encoder, "onnx_available", lambda: False)

    with pytest.raises(EmbeddingModelError, match="ASSISTANT_EMBEDDING_BACKEND=torch"):
        embedding_backend(Settings(embedding_backend=backend))


def test_fingerprint_names_the_backend_so_vectors_are_never_mixed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(onnx_encoder, "onnx_available", lambda: True)
    torch = Settings(embedding_backend="torch")
    fingerprints = {
        backend: index_fingerprint(Settings(embedding_backend=backend))
        for backend in ("torch", "onnx", "onnx-int8")
    }

    # torch keeps the plain model fingerprint: indexes built before ONNX existed stay valid
    assert fingerprints["torch"] == model_fingerprint(torch.embedding_model_path)
    assert len(set(fingerprints.values())) == 3
    assert fingerprints["onnx"].startswith(fingerprints["torch"] + "+onnx-")


def test_backend_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDING_BACKEND", "torch")
    assert Settings().embedding_backend == "torch"
