"""The embedding model, loaded from a local folder: ONNX (onnxruntime) or torch (LangChain).

The model is loaded lazily and shared per folder (loading takes seconds; every searcher and
ingest run in a process reuses it). Query vectors are cached (LRU): clinicians repeat questions.
`embeddings_for(settings)` picks the backend (`settings.embedding_backend`); the index
fingerprint names it, so vectors of two backends are never mixed in one collection.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import assistant.offline  # noqa: F401  (offline variables before the model library loads)
from assistant.config import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

Backend = Literal["torch", "onnx", "onnx-int8"]

# Chunks per ingest batch: each batch is stored at once (an interrupted run keeps it). The
# model sorts a batch by length before padding it, so big batches waste little on padding.
BATCH_SIZE = 256
PROGRESS_MIN_CHUNKS = 50  # below this a progress bar is noise
QUERY_CACHE_SIZE = 1024
# Files that decide what a model computes; their contents (and weight sizes) fingerprint it.
_FINGERPRINT_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx")


class EmbeddingModelError(Exception):
    """The configured embedding model cannot be found or loaded."""


def model_fingerprint(model_path: Path) -> str:
    """A short, location-independent id of the model: a change means vectors must be rebuilt."""
    if not (model_path / "config.json").is_file():
        raise EmbeddingModelError(
            f"no sentence-transformers model in {model_path} (config.json missing); "
            "set ASSISTANT_EMBEDDING_MODEL to a local model folder"
        )
    digest = hashlib.sha256()
    for name in _FINGERPRINT_FILES:
        file = model_path / name
        if file.is_file():
            digest.update(name.encode() + b"\0" + file.read_bytes())
    for weights in sorted(model_path.rglob("*")):
        if weights.suffix in _WEIGHT_SUFFIXES:
            digest.update(f"{weights.relative_to(model_path)}:{weights.stat().st_size}".encode())
    return f"{model_path.name}:{digest.hexdigest()[:16]}"


_load_lock = threading.Lock()


def embedding_backend(settings: Settings) -> Backend:
    """The backend the settings ask for ('auto': float32 ONNX when its packages are installed)."""
    from assistant.index.onnx import onnx_available

    wanted = settings.embedding_backend
    if wanted == "auto":
        return "onnx" if onnx_available() else "torch"
    if wanted != "torch" and not onnx_available():
        raise EmbeddingModelError(
            "the ONNX backend needs the onnxruntime and onnx packages; install them or set "
            "ASSISTANT_EMBEDDING_BACKEND=torch"
        )
    return wanted


def everyday_words(settings: Settings) -> frozenset[str]:
    """The whole words of the embedding model's own vocabulary: a general-purpose model keeps
    everyday words whole ("sending", "memory") and splits rare names ("omeprazole") into
    pieces, so its vocabulary tells an everyday word from a name. Empty without the file."""
    path = settings.embedding_model_path / "vocab.txt"
    try:
        tokens = path.read_text(encoding="utf-8").split()
    except OSError:
        return frozenset()
    return frozenset(t for t in tokens if len(t) >= 3 and t.isalpha() and t.islower())


def index_fingerprint(settings: Settings) -> str:
    """The model fingerprint, plus the ONNX backend and recipe when vectors come from ONNX."""
    fingerprint = model_fingerprint(settings.embedding_model_path)
    backend = embedding_backend(settings)
    if backend == "torch":
        return fingerprint  # unchanged: indexes built before the ONNX backend stay valid
    from assistant.index.onnx import RECIPE

    return f"{fingerprint}+{backend}-{RECIPE}"


def embeddings_for(settings: Settings) -> Embeddings:
    """The shared embeddings of the configured model and backend (created on first use)."""
    backend = embedding_backend(settings)
    if backend == "torch":
        return get_embeddings(settings.embedding_model_path)
    model_path = str(settings.embedding_model_path.resolve())
    with _load_lock:
        return _load_onnx(model_path, str(settings.data_dir), backend == "onnx-int8")


# (model fingerprint, int8?) -> an ONNX file this process exported or found
_exported: dict[tuple[str, bool], Path] = {}


@lru_cache(maxsize=4)
def _load_onnx(model_path: str, data_dir: str, quantized: bool) -> Embeddings:
    from assistant.index.onnx import (
        OnnxEmbeddings,
        OnnxExportError,
        cached_model_file,
        copy_cached,
        export_onnx,
    )

    path = Path(model_path)
    key = (model_fingerprint(path), quantized)
    target = cached_model_file(Path(data_dir), key[0], quantized=quantized)
    try:
        if not target.is_file():
            known = _exported.get(key)
            if known is not None and known.is_file():
                copy_cached(known, target)  # e.g. a second data folder (tests): no re-export
            else:
                export_onnx(path, target, quantized=quantized)
        _exported[key] = target
        embeddings = OnnxEmbeddings(target, path)
        embeddings.embed_query("warm-up")  # load now: a broken file fails here, not mid-search
    except OnnxExportError as exc:
        raise EmbeddingModelError(str(exc)) from exc
    return embeddings


def get_embeddings(model_path: Path) -> Embeddings:
    """The shared LangChain embeddings object for a model folder (created on first use)."""
    with _load_lock:  # two threads asking at once must not load the model twice
        return _load(str(model_path.resolve()))


@lru_cache(maxsize=4)
def _load(model_path: str) -> Embeddings:
    model_fingerprint(Path(model_path))  # a clear error before the library's own
    from langchain_huggingface import HuggingFaceEmbeddings
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # start-up noise

    try:
        return HuggingFaceEmbeddings(
            model_name=model_path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True},
        )
    except (OSError, ValueError) as exc:
        raise EmbeddingModelError(f"cannot load embedding model {model_path}: {exc}") from exc


def embed_documents(
    embeddings: Embeddings,
    texts: Sequence[str],
    *,
    on_batch: Callable[[list[list[float]], int, int], None] | None = None,
    batch_size: int | None = None,
) -> int:
    """Embed in batches, handing each batch (vectors, start, end) to `on_batch` as it is done.

    Batching keeps memory flat and lets the caller store each batch at once, so a run killed
    midway keeps what it already embedded. A progress bar goes to stderr on long runs.
    """
    batch_size = batch_size or BATCH_SIZE
    progress = None
    if len(texts) > PROGRESS_MIN_CHUNKS:
        from tqdm import tqdm

        progress = tqdm(total=len(texts), desc="embedding", unit="chunk", file=sys.stderr)
    try:
        for start in range(0, len(texts), batch_size):
            end = min(start + batch_size, len(texts))
            vectors = embeddings.embed_documents(list(texts[start:end]))
            if on_batch is not None:
                on_batch(vectors, start, end)
            if progress is not None:
                progress.update(end - start)
    finally:
        if progress is not None:
            progress.close()
    return len(texts)


class QueryEmbedder:
    """Query vectors with an LRU cache in front of the model; `many` encodes the texts it has
    not seen in one call (a broad question's sub-queries: one batch, not one call each)."""

    def __init__(self, embeddings: Embeddings, cache_size: int = QUERY_CACHE_SIZE) -> None:
        self._embeddings = embeddings
        self._size = cache_size
        self._cache: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, text: str) -> tuple[float, ...] | None:
        with self._lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
            return vector

    def _keep(self, text: str, vector: Sequence[float]) -> tuple[float, ...]:
        kept = tuple(vector)
        with self._lock:
            self._cache[text] = kept
            self._cache.move_to_end(text)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return kept

    def __call__(self, text: str) -> list[float]:
        vector = self._cached(text)
        if vector is None:
            vector = self._keep(text, self._embeddings.embed_query(text))
        return list(vector)

    def many(self, texts: Sequence[str]) -> list[list[float]]:
        """The vectors of several texts, those not cached encoded together."""
        missing = [t for t in dict.fromkeys(texts) if self._cached(t) is None]
        if len(missing) == 1:
            self(missing[0])
        elif missing:
            for text, vector in zip(
                missing, self._embeddings.embed_documents(missing), strict=True
            ):
                self._keep(text, vector)
        return [self(text) for text in texts]
