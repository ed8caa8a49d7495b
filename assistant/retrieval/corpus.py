"""One version of the index as a searcher holds it: its passages, BM25 index and statements.

A complete version is read from its search files (assistant.index.derived: written at ingest),
in milliseconds at any size: the BM25 matrix and the passages' records are memory-mapped, and a
passage is parsed when a search returns it. A version without them (built before they existed,
or on a replica of a Chroma server that did not ingest) gets them on first use, from every chunk
of the store, once. A version still being built in place, or a test's stand-in store, is held
in memory instead.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from assistant.config import Settings
from assistant.index import derived
from assistant.index.lexical_files import build_bm25, load_bm25, tokenize_passages, vocabulary_key
from assistant.index.passage_files import (
    PassageFile,
    PassageTable,
    read_terms,
    sorted_passages,
)
from assistant.index.statement_files import collection_name, statements_key, unit_rows
from assistant.index.store import ChunkStore, DenseHit, StoredChunk, StoreError
from assistant.retrieval.lexical import BM25Index
from assistant.retrieval.statement_index import StatementIndex, load_or_build
from assistant.schema import Passage
from assistant.text.tokens import Vocabulary

logger = logging.getLogger(__name__)


class ChunkSource(Protocol):
    """The part of `assistant.index.store.ChunkStore` search needs (fakes implement it in tests)."""

    def all_chunks(self) -> list[StoredChunk]: ...

    def query(
        self,
        embedding: Sequence[float],
        n: int,
        where: dict[str, Any] | None = None,
        *,
        include_content: bool = True,
    ) -> list[DenseHit]: ...

    def index_version(self) -> str: ...


@runtime_checkable
class VersionedSource(ChunkSource, Protocol):
    """A source whose versions can be pinned (assistant.index.versions.LiveIndex): a searcher
    queries the version it loaded, never one switched to in the middle of a question."""

    def snapshot(self) -> tuple[str, ChunkSource]: ...


def query_all(
    source: ChunkSource, vectors: list[list[float]], n: int, where: dict[str, Any] | None
) -> list[list[DenseHit]]:
    """One request for every vector when the store can, else one each (test stand-ins)."""
    many = getattr(source, "query_many", None)
    if callable(many):
        return list(many(vectors, n, where, include_content=False))
    return [source.query(vector, n, where, include_content=False) for vector in vectors]


@dataclass
class LoadedIndex:
    table: PassageTable
    bm25: BM25Index
    version: str
    source: Any  # the version these passages came from: dense queries go there
    folder: Path | None = None  # its search files (None: held in memory)
    terms: Counter[str] | None = None  # token counts, when computed in memory
    _statements: dict[str, StatementIndex] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def lexical_folder(self) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / (derived.LEXICAL + vocabulary_key(self.bm25.words))

    def mask(self, approved_only: bool, source_types: frozenset[str] | None) -> np.ndarray | None:
        """The chunks a search may return (None: all of them)."""
        if not approved_only and source_types is None:
            return None
        table = self.table
        mask = np.array(table.approved, dtype=bool) if approved_only else np.ones(len(table), bool)
        if source_types is not None:
            mask &= table.type_mask(source_types)
        return mask

    def term_counts(self) -> Counter[str]:
        """How often each token occurs in the passages' sections and texts."""
        if self.terms is None:
            folder = self.lexical_folder
            assert folder is not None
            self.terms = read_terms(folder)
        return self.terms

    def passages(self, ids: Sequence[str]) -> list[Passage]:
        """The passages of these chunk ids (those in this version), in the order given."""
        rows = [self.table.position.get(chunk_id) for chunk_id in ids]
        return [self.table.passage(row) for row in rows if row is not None]

    def statements(
        self,
        meta_patterns: Sequence[str],
        skip: Callable[[str], bool],
        embed: Callable[[Sequence[str]], np.ndarray],
    ) -> StatementIndex:
        """The version's statement index for a pack's notes test (`meta_patterns`, `skip`)."""
        key = statements_key(meta_patterns)
        with self._lock:
            found = self._statements.get(key)
            if found is not None:
                return found
            if self.folder is None:
                units = lambda texts: unit_rows(embed(texts))  # noqa: E731
                index = load_or_build(None, list(self.table.passages()), skip, units)
            else:
                index = self._statement_files(meta_patterns, skip, embed)
            self._statements = {key: index}
            return index

    def _statement_files(
        self,
        meta_patterns: Sequence[str],
        skip: Callable[[str], bool],
        embed: Callable[[Sequence[str]], np.ndarray],
    ) -> StatementIndex:
        assert self.folder is not None
        profile = derived.Profile(self.bm25.words, tuple(meta_patterns), skip)
        folder = self.folder / profile.statements
        if not folder.is_dir():
            # The ingest writes them; an older index (or another machine's) gets them now:
            # from the version's statement collection where it has them, else embedded.
            logger.warning("statement vectors of %s missing: computing them once", self.version)
            sources = []
            if isinstance(self.source, ChunkStore):
                # An index built before statement collections has none.
                with contextlib.suppress(StoreError):
                    sources.append(self.source.sibling(collection_name(self.source.name)))
            passages = list(self.table.passages())
            derived.ensure_statements(self.folder, passages, profile, embed, sources)
        return StatementIndex.load(folder, self.table.ids)


def load_index(settings: Settings, source: Any, version: str, words: Vocabulary) -> LoadedIndex:
    """The version `source` holds, from its search files (written now when missing)."""
    identity = derived.identity_of(source)
    if identity is not None:
        try:
            return _from_files(settings, source, version, words, identity)
        except OSError as exc:  # e.g. a read-only data folder: hold it in memory
            logger.warning("search files unavailable (%s): index held in memory", exc)
    passages = sorted_passages(source.all_chunks())
    tokenized = tokenize_passages(passages, words)
    bm25 = BM25Index.from_bm25(build_bm25(tokenized.documents), len(passages), words)
    return LoadedIndex(PassageTable(passages), bm25, version, source, terms=tokenized.counts)


def _from_files(
    settings: Settings, source: Any, version: str, words: Vocabulary, identity: derived.Identity
) -> LoadedIndex:
    folder = derived.version_folder(settings, identity)
    lexical = folder / (derived.LEXICAL + vocabulary_key(words))
    if not (folder / derived.PASSAGES).is_dir() or not lexical.is_dir():
        logger.warning("search files of %s missing: writing them once", identity.name)
        if (folder / derived.PASSAGES).is_dir():
            passages = list(PassageFile(folder / derived.PASSAGES).passages())
        else:
            passages = sorted_passages(source.all_chunks())
        derived.ensure_passages(folder, passages)
        derived.ensure_lexical(folder, passages, words)
    table = PassageFile(folder / derived.PASSAGES)
    bm25 = BM25Index.from_bm25(load_bm25(lexical), len(table), words)
    return LoadedIndex(table, bm25, version, source, folder)
