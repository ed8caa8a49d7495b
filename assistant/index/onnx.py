"""The sentence-transformers model as an ONNX model run by onnxruntime (the fast encoder).

Why: on a small, shared CPU onnxruntime encodes a query several times faster than torch, with
the same vectors (float32: cosine >= 0.99999 to torch's), and at query time it needs neither
torch nor sentence-transformers, only `tokenizers` and onnxruntime (docs/performance.md).
The int8 variant is faster still but moves vectors (cosine about 0.99) and with them a few
rankings, so it is opt-in.

The ONNX file is built once per model and export recipe, from the local model folder (no
network): torch traces the transformer to ONNX; for int8, onnxruntime then quantizes the
weights per output channel (per-tensor int8 loses too much: cosine 0.91). It is cached under
`<data_dir>/onnx/` and reused by every later process. Only BERT-style models with mean pooling
are supported; others raise `OnnxExportError` (use the torch backend for them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

import assistant.offline  # noqa: F401  (ONNX Runtime's telemetry off before it loads)

if TYPE_CHECKING:
    from tokenizers import Tokenizer

ONNX_SUBDIR = "onnx"
RECIPE = "v1"  # change when the export or quantization below changes: re-export
DOC_BATCH_SIZE = 32
_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
_OPSET = 17
_DEFAULT_MAX_TOKENS = 256


class OnnxExportError(Exception):
    """The model cannot be exported, quantized or loaded as ONNX."""


def onnx_available() -> bool:
    """onnxruntime runs the model; onnx is needed (once) to quantize it."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def cached_model_file(cache_dir: Path, fingerprint: str, *, quantized: bool) -> Path:
    """Where the ONNX model of this model fingerprint lives in a cache folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", fingerprint)
    name = "model.int8.onnx" if quantized else "model.onnx"
    return cache_dir / ONNX_SUBDIR / f"{safe}-{RECIPE}" / name


def export_onnx(model_path: Path, target: Path, *, quantized: bool) -> Path:
    """Export the model folder's transformer to ONNX (int8 if `quantized`), write `target`.

    Written to a temporary folder first and renamed: a killed export leaves no broken model.
    """
    _check_pooling(model_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as work:
        fp32 = Path(work) / "model.onnx"
        int8 = Path(work) / "model.int8.onnx"
        try:
            _export_fp32(model_path, fp32)
            if quantized:
                quantize_onnx(fp32, int8)
        except OnnxExportError:
            raise
        except Exception as exc:  # torch / onnx raise many types; all mean "no ONNX model"
            raise OnnxExportError(f"cannot export {model_path} to ONNX: {exc}") from exc
        os.replace(int8 if quantized else fp32, target)
    return target


def _check_pooling(model_path: Path) -> None:
    pooling = _read_json(model_path / "1_Pooling" / "config.json")
    if not pooling.get("pooling_mode_mean_tokens", False):
        raise OnnxExportError(
            f"{model_path}: only mean-pooling models run on the ONNX backend; "
            "set ASSISTANT_EMBEDDING_BACKEND=torch"
        )


def _export_fp32(model_path: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()

    class _LastHiddenState(torch.nn.Module):
        """Keyword arguments in, one tensor out: what the ONNX graph exposes."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> torch.Tensor:
            output = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return output.last_hidden_state  # type: ignore[no-any-return]

    sample = torch.ones(2, 16, dtype=torch.long)
    dynamic = {"batch": 0, "tokens": 1}
    axes = {name: {i: n for n, i in dynamic.items()} for name in (*_INPUT_NAMES, "hidden")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(
            _LastHiddenState(model),
            (sample, torch.ones_like(sample), torch.zeros_like(sample)),
            str(out),
            input_names=list(_INPUT_NAMES),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=_OPSET,
            dynamo=False,  # the dynamo exporter needs onnxscript; the tracer is enough here
        )


def quantize_onnx(fp32: Path, out: Path) -> None:
    """Int8 weights, one scale per output channel (dynamic quantization: no calibration)."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        # Importing the quantization package calls logging.basicConfig, and quantize_dynamic
        # logs a "consider pre-processing" hint: the host application's logging is restored.
        from onnxruntime.quantization import (  # type: ignore[import-untyped]
            QuantType,
            quantize_dynamic,
        )

        root.setLevel(logging.ERROR)
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise OnnxExportError(f"cannot read {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


class OnnxEmbeddings(Embeddings):
    """LangChain embeddings from the quantized model: mean pooling, unit-length vectors."""

    def __init__(self, onnx_file: Path, model_path: Path, batch_size: int = DOC_BATCH_SIZE) -> None:
        self.onnx_file = onnx_file
        self.model_path = model_path
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        # Similar lengths in a batch: little padding, which the model would compute for nothing.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), 0), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            encoded = self._encode([texts[i] for i in batch])
            if vectors.shape[1] == 0:
                vectors = np.empty((len(texts), encoded.shape[1]), dtype=np.float32)
            vectors[batch] = encoded
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0].tolist()  # type: ignore[no-any-return]

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        session, tokenizer = self._loaded()
        encodings = tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)  # type: ignore[no-any-return]

    def _loaded(self) -> tuple[Any, Tokenizer]:
        with self._lock:  # onnxruntime sessions are thread-safe once created
            if self._session is None or self._tokenizer is None:
                self._tokenizer = _tokenizer(self.model_path)
                self._session = _session(self.onnx_file)
            return self._session, self._tokenizer


def _tokenizer(model_path: Path) -> Tokenizer:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises a bare Exception on a bad file
        raise OnnxExportError(f"cannot load {model_path / 'tokenizer.json'}: {exc}") from exc
    # sentence-transformers truncates at max_seq_length and pads to the longest text of the
    # batch; tokenizer.json itself may carry other settings (all-MiniLM's pads everything to 128).
    config = _read_json(model_path / "sentence_bert_config.json")
    tokenizer.enable_truncation(int(config.get("max_seq_length", _DEFAULT_MAX_TOKENS)))
    pad_token = str(_read_json(model_path / "tokenizer_config.json").get("pad_token", "[PAD]"))
    pad_id = tokenizer.token_to_id(pad_token)
    tokenizer.no_padding()
    tokenizer.enable_padding(pad_id=pad_id or 0, pad_token=pad_token)
    return tokenizer


def _session(onnx_file: Path) -> Any:
    import onnxruntime  # type: ignore[import-untyped]

    # ORT_DISABLE_TELEMETRY (assistant.offline) keeps the uploader from starting at all; this
    # also turns off its events where the build offers the switch.
    disable_events = getattr(onnxruntime, "disable_telemetry_events", None)
    if callable(disable_events):
        disable_events()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only
    # onnxruntime's default thread pool spins between operators: on an otherwise idle 2-core
    # machine a query takes 6 ms instead of 8 ms without spinning; on a CPU saturated by other
    # processes spinning costs about 15% instead (docs/performance.md). Idle is the usual case.
    try:
        return onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # onnxruntime raises its own untyped exceptions
        raise OnnxExportError(f"cannot load ONNX model {onnx_file}: {exc}") from exc


def copy_cached(source: Path, target: Path) -> Path:
    """Reuse an export made for another data folder in this process (same model, same recipe)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".copy-", delete=False) as tmp:
        shutil.copyfile(source, tmp.name)
    os.replace(tmp.name, target)
    return target
