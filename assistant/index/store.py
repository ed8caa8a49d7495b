"""The Chroma adapter: an embedded persistent store in the data folder, or a Chroma server.

A `ChunkStore` is one collection: one version of a pack's index (assistant.index.versions
decides which version is live). The index manifest (embedding model, corpus hash, remembered
extra sources) lives in the collection's own metadata, so it travels with the vectors in both
modes. Chunks are written before the manifest: a run killed midway leaves a stale manifest, and
the next run reconciles by chunk id. Every Chroma failure (a server gone away included) is a
StoreError naming the folder or URL, never the client library's own exception.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import assistant.offline  # noqa: F401  (Chroma telemetry off before chromadb loads)
from assistant.config import Settings

STORE_SUBDIR = "chroma"
MANIFEST_VERSION = 1
# Chroma caps a single get() (SQL variables: 50,000 rows fail); fewer, bigger pages load a
# 100k-chunk index about a third faster than pages of 1,000.
_GET_PAGE = 5000


class StoreError(Exception):
    """The store cannot be opened or reached; the message names the folder or URL."""


@dataclass(frozen=True)
class Manifest:
    """What built the index. Empty strings mean unknown (a fresh or interrupted index)."""

    model: str = ""
    corpus_hash: str = ""
    extra_sources: tuple[str, ...] = field(default_factory=tuple)

    def as_metadata(self) -> dict[str, str | int]:
        return {
            "manifest_version": MANIFEST_VERSION,
            "model": self.model,
            "corpus_hash": self.corpus_hash,
            "extra_sources": json.dumps(list(self.extra_sources)),
        }

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any] | None) -> Manifest:
        metadata = metadata or {}
        try:
            extras = tuple(str(s) for s in json.loads(str(metadata.get("extra_sources", "[]"))))
        except (json.JSONDecodeError, TypeError):
            extras = ()
        return cls(
            model=str(metadata.get("model", "")),
            corpus_hash=str(metadata.get("corpus_hash", "")),
            extra_sources=extras,
        )


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class StoredVector:
    chunk_id: str
    vector: list[float]
    text: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class DenseHit:
    chunk_id: str
    text: str
    metadata: dict[str, Any]
    similarity: float  # cosine similarity (the collection uses cosine distance)


def describe_location(settings: Settings) -> str:
    return settings.chroma_url or str(settings.data_dir / STORE_SUBDIR)


class ChunkStore:
    """One Chroma collection of chunks; vectors are always supplied by us, never by Chroma.

    `create=False` opens an existing collection only (a reader must never re-create a version
    that an ingest has just deleted).
    """

    def __init__(
        self,
        client: Any,
        name: str,
        location: str,
        *,
        create: bool = True,
        manifest: Manifest | None = None,
    ) -> None:
        self._client = client
        self._name = name
        self.location = location
        self._collection = self._open(create=create, manifest=manifest)

    @property
    def name(self) -> str:
        return self._name

    def _open(self, *, create: bool, manifest: Manifest | None = None) -> Any:
        try:
            if create:
                return self._client.get_or_create_collection(
                    self._name,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata=(manifest or Manifest()).as_metadata(),
                    embedding_function=None,
                )
            return self._client.get_collection(self._name, embedding_function=None)
        except Exception as exc:  # chromadb raises many types; all mean "not usable"
            raise StoreError(f"cannot open Chroma collection at {self.location}: {exc}") from exc

    def _failed(self, action: str, exc: Exception) -> StoreError:
        return StoreError(f"cannot {action} the Chroma collection at {self.location}: {exc}")

    def manifest(self) -> Manifest:
        self._collection = self._open(create=False)  # re-read: another process may have written
        return Manifest.from_metadata(self._collection.metadata)

    def index_version(self) -> str:
        """Changes whenever an ingest finishes or chunks are added or removed."""
        manifest = self.manifest()
        return f"{manifest.model}|{manifest.corpus_hash}|{self.count()}"

    def write_manifest(self, manifest: Manifest) -> None:
        try:
            self._collection.modify(metadata=manifest.as_metadata())
        except Exception as exc:  # e.g. the server went away
            raise self._failed("write to", exc) from exc

    def reset(self, model: str) -> None:
        """Drop every vector (a different model's vectors must never be mixed with ours)."""
        with contextlib.suppress(Exception):  # already absent is fine
            self._client.delete_collection(self._name)
        self._collection = self._open(create=True, manifest=Manifest(model=model))

    def count(self) -> int:
        try:
            return int(self._collection.count())
        except Exception as exc:
            raise self._failed("read", exc) from exc

    def chunk_metadata(self) -> dict[str, dict[str, Any]]:
        """Every chunk id with its metadata (no documents, no vectors)."""
        return {c.chunk_id: c.metadata for c in self._get_all(include=["metadatas"])}

    def all_chunks(self) -> list[StoredChunk]:
        return self._get_all(include=["documents", "metadatas"])

    def _get_all(self, include: list[str]) -> list[StoredChunk]:
        chunks: list[StoredChunk] = []
        offset = 0
        while True:
            try:
                page = self._collection.get(include=include, limit=_GET_PAGE, offset=offset)
            except Exception as exc:  # as in query(): the store is not usable
                raise StoreError(
                    f"cannot read the Chroma collection at {self.location}: {exc}"
                ) from exc
            ids = page["ids"]
            documents = page.get("documents") or [""] * len(ids)
            metadatas = page.get("metadatas") or [{}] * len(ids)
            chunks.extend(
                StoredChunk(i, d or "", dict(m or {}))
                for i, d, m in zip(ids, documents, metadatas, strict=True)
            )
            if len(ids) < _GET_PAGE:
                return chunks
            offset += len(ids)

    def records(self, ids: Sequence[str]) -> list[StoredVector]:
        """The stored vector, text and metadata of each id (to copy them into a new version)."""
        found: list[StoredVector] = []
        for start in range(0, len(ids), _GET_PAGE):
            try:
                page = self._collection.get(
                    ids=list(ids[start : start + _GET_PAGE]),
                    include=["embeddings", "documents", "metadatas"],
                )
            except Exception as exc:
                raise self._failed("read", exc) from exc
            vectors = page.get("embeddings")
            vectors = [] if vectors is None else vectors
            found.extend(
                StoredVector(i, [float(x) for x in v], d or "", dict(m or {}))
                for i, v, d, m in zip(
                    page["ids"], vectors, page["documents"], page["metadatas"], strict=True
                )
            )
        return found

    def upsert(
        self,
        ids: Sequence[str],
        embeddings: Sequence[Sequence[float]],
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, str | int]],
    ) -> None:
        try:
            self._collection.upsert(
                ids=list(ids),
                embeddings=[list(v) for v in embeddings],
                documents=list(texts),
                metadatas=[dict(m) for m in metadatas],
            )
        except Exception as exc:  # e.g. the server went away mid-ingest
            raise self._failed("write to", exc) from exc

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> None:
        if ids:
            try:
                self._collection.update(ids=list(ids), metadatas=[dict(m) for m in metadatas])
            except Exception as exc:
                raise self._failed("write to", exc) from exc

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), _GET_PAGE):
            try:
                self._collection.delete(ids=list(ids[start : start + _GET_PAGE]))
            except Exception as exc:
                raise self._failed("write to", exc) from exc

    def query(
        self,
        embedding: Sequence[float],
        n: int,
        where: Mapping[str, Any] | None = None,
        *,
        include_content: bool = True,
    ) -> list[DenseHit]:
        """The n nearest chunks; without content (text "", metadata {}) when the caller
        already holds every chunk in memory: fetching it is most of a query's time."""
        return self.query_many([embedding], n, where, include_content=include_content)[0]

    def query_many(
        self,
        embeddings: Sequence[Sequence[float]],
        n: int,
        where: Mapping[str, Any] | None = None,
        *,
        include_content: bool = True,
    ) -> list[list[DenseHit]]:
        """The n nearest chunks of each embedding, in one request to Chroma."""
        if n <= 0 or not embeddings:
            return [[] for _ in embeddings]
        include = ["documents", "metadatas", "distances"] if include_content else ["distances"]
        try:
            result = self._collection.query(
                query_embeddings=[list(e) for e in embeddings],
                n_results=n,
                where=dict(where) if where else None,
                include=include,
            )
        except Exception as exc:  # e.g. the server went away: a clear error, not httpx's
            raise StoreError(
                f"cannot search the Chroma collection at {self.location}: {exc}"
            ) from exc
        found = []
        for number, ids in enumerate(result["ids"]):
            documents = (result.get("documents") or [[""] * len(ids)] * len(embeddings))[number]
            metadatas = (result.get("metadatas") or [[{}] * len(ids)] * len(embeddings))[number]
            distances = (result.get("distances") or [[]] * len(embeddings))[number]
            found.append(
                [
                    DenseHit(i, d or "", dict(m or {}), 1.0 - float(dist))
                    for i, d, m, dist in zip(ids, documents, metadatas, distances, strict=True)
                ]
            )
        return found

    def sibling(self, name: str, *, create: bool = False) -> ChunkStore:
        """Another collection of the same store (a version's statement collection)."""
        return ChunkStore(self._client, name, self.location, create=create)


def metadata_filter(
    approved_only: bool, source_types: frozenset[str] | None
) -> dict[str, Any] | None:
    """A Chroma `where` clause for the search filters (None = no filter)."""
    clauses: list[dict[str, Any]] = []
    if approved_only:
        clauses.append({"review_status": "approved"})
    if source_types is not None:
        clauses.append({"source_type": {"$in": sorted(source_types)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


_generation = 0
_generation_lock = threading.Lock()


def bump_generation() -> None:
    """An ingest in this process finished: searchers reload without waiting for their poll."""
    global _generation
    with _generation_lock:
        _generation += 1


def generation() -> int:
    return _generation


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def client_for(settings: Settings) -> Any:
    """The Chroma client for these settings, shared per folder or URL; raises StoreError."""
    location = describe_location(settings)
    with _clients_lock:
        client = _clients.get(location)
        if client is None:
            client = _make_client(settings)
            _clients[location] = client
        return client


def forget_client(settings: Settings) -> None:
    """A server that went away: reconnect next time."""
    with _clients_lock:
        _clients.pop(describe_location(settings), None)


def open_store(settings: Settings) -> ChunkStore:
    """The live version of the pack's index (assistant.index.versions); raises StoreError with
    the folder or URL."""
    from assistant.index.versions import live_store

    return live_store(settings)


def private_folder(path: Path) -> None:
    """Create the data folder readable by its owner only (it holds feedback and state)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)


def _make_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url is None:
        path = Path(settings.data_dir) / STORE_SUBDIR
        try:
            private_folder(Path(settings.data_dir))
            path.mkdir(mode=0o700, exist_ok=True)
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as exc:
            raise StoreError(f"cannot open the Chroma store in {path}: {exc}") from exc
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreError(f"invalid Chroma URL {settings.chroma_url!r} (expected http://host:port)")
    try:
        client = chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
        client.heartbeat()
    except Exception as exc:
        raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from exc
    return client
