"""The ONNX encoder against the torch model it is exported from (real bundled model)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import assistant.index.embeddings as embeddings_module
import assistant.index.onnx as onnx_encoder
from assistant.config import PROJECT_ROOT, Settings, bundled_model_path
from assistant.index.build import run_ingest
from assistant.index.embeddings import embeddings_for, get_embeddings, index_fingerprint
from assistant.index.onnx import (
    OnnxEmbeddings,
    OnnxExportError,
    cached_model_file,
    export_onnx,
    quantize_onnx,
)
from tests.integration.conftest import make_settings

pytestmark = pytest.mark.integration

TEXTS = [
    "What B12 level confirms deficiency?",
    "Oral cyanocobalamin 1 mg daily is as effective as intramuscular injections for most "
    "patients, including those with pernicious anaemia, provided adherence is good. " * 3,
    "MMA above 271 nmol/L",
    "x",
    "Haemoglobin below 120 g/L in non-pregnant women",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The float32 export of the bundled model (once for the module: it takes seconds)."""
    target = tmp_path_factory.mktemp("onnx") / "model.onnx"
    return export_onnx(bundled_model_path(), target, quantized=False)


def _cosines(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    products: np.ndarray = np.sum(np.asarray(a) * np.asarray(b), axis=1)
    return products  # cosines: both sides are unit length


def test_float32_export_reproduces_the_torch_vectors(exported: Path) -> None:
    torch_vectors = get_embeddings(bundled_model_path()).embed_documents(TEXTS)

    onnx_vectors = OnnxEmbeddings(exported, bundled_model_path()).embed_documents(TEXTS)

    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert _cosines(onnx_vectors, torch_vectors).min() > 0.9999


def test_batches_keep_the_input_order(exported: Path) -> None:
    encoder = OnnxEmbeddings(exported, bundled_model_path(), batch_size=2)

    batched = encoder.embed_documents(TEXTS)  # sorted by length inside, several batches
    one_by_one = [encoder.embed_query(text) for text in TEXTS]

    assert _cosines(batched, one_by_one).min() > 0.9999
    assert encoder.embed_documents([]) == []


def test_int8_model_is_close_but_not_identical(exported: Path, tmp_path: Path) -> None:
    quantized = tmp_path / "model.int8.onnx"
    quantize_onnx(exported, quantized)
    float_vectors = OnnxEmbeddings(exported, bundled_model_path()).embed_documents(TEXTS)

    int8_vectors = OnnxEmbeddings(quantized, bundled_model_path()).embed_documents(TEXTS)

    cosines = _cosines(int8_vectors, float_vectors)
    assert cosines.min() > 0.97
    assert cosines.min() < 0.9999  # why it is opt-in: its vectors move
    assert quantized.stat().st_size < exported.stat().st_size / 3


def test_export_is_cached_in_the_data_folder_and_reused(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(
        PROJECT_ROOT / "corpus" / "b12", tmp_path / "data", embedding_backend="onnx"
    )
    fingerprint = embeddings_module.model_fingerprint(bundled_model_path())
    target = cached_model_file(settings.data_dir, fingerprint, quantized=False)
    target.parent.mkdir(parents=True)
    shutil.copyfile(exported, target)  # as a previous run would have left it

    def no_export(*args: object, **kwargs: object) -> Path:
        raise AssertionError("the cached model must be used, not re-exported")

    monkeypatch.setattr(onnx_encoder, "export_onnx", no_export)
    embeddings = embeddings_for(settings)

    assert isinstance(embeddings, OnnxEmbeddings)
    assert embeddings.onnx_file == target
    assert embeddings_for(settings) is embeddings  # shared, loaded once
    # another data folder in the same process copies the file instead of exporting again
    other = settings.model_copy(update={"data_dir": tmp_path / "other"})
    copied = embeddings_for(other)
    assert isinstance(copied, OnnxEmbeddings)
    assert copied.onnx_file.read_bytes() == target.read_bytes()


def test_switching_backend_rebuilds_the_index(
    small_settings: Settings, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        embeddings_module._exported,
        (embeddings_module.model_fingerprint(bundled_model_path()), False),
        exported,
    )
    torch = small_settings.model_copy(update={"embedding_backend": "torch"})
    onnx = small_settings.model_copy(update={"embedding_backend": "onnx"})
    first = run_ingest(torch)

    second = run_ingest(onnx)

    assert first.embedded == first.chunks > 0
    assert second.rebuilt is not None
    assert "embedding model changed" in second.rebuilt
    assert second.embedded == first.chunks
    assert index_fingerprint(onnx) != index_fingerprint(torch)


def test_models_without_mean_pooling_are_refused(tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(bundled_model_path(), model, ignore=shutil.ignore_patterns("*.safetensors"))
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text(encoding="utf-8"))
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config), encoding="utf-8")

    with pytest.raises(OnnxExportError, match="mean-pooling"):
        export_onnx(model, tmp_path / "out.onnx", quantized=False)
    assert not (tmp_path / "out.onnx").exists()
