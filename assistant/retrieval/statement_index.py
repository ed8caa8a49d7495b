"""Every statement of the corpus with its vector: a question costs one embedding.

The composer compares statements with the question by meaning; embedding them per question
would cost seconds. The vectors are computed once per index version, at ingest (assistant.index.
statement_files), and read here from the version's local cache, memory-mapped: looking a text up
reads its row only, and the statements nearest a question are found across the whole corpus (a
passage whose wording differs from the question's, but whose statement answers it, joins the
evidence). Up to `EXACT_LIMIT` searchable statements every one is scored; a larger corpus is
searched through inverted lists (the statements of the lists whose centroids are nearest the
question), which finds the nearest statements in a few thousand dot products.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from assistant.index import statement_files as files
from assistant.index.statement_files import statement_texts, text_hash
from assistant.schema import Passage

__all__ = ["StatementIndex", "load_or_build", "statement_texts"]

Embed = Callable[[Sequence[str]], np.ndarray]
PROBE_SHARE = 0.02  # share of the inverted lists searched (at least PROBE_MIN)
PROBE_MIN = 16


class StatementIndex:
    """Statement vectors (unit rows) with the passage each statement belongs to.

    Rows `[0, searchable)` are searched for the nearest statements; the others (statements of
    sections that never answer) are only looked up.
    """

    def __init__(
        self,
        texts: Sequence[str],
        chunk_ids: Sequence[str],
        vectors: np.ndarray,
        searchable: int | None = None,
    ) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self._texts: Callable[[int], str] = list(texts).__getitem__
        chunk_list = list(dict.fromkeys(chunk_ids))
        position = {chunk: row for row, chunk in enumerate(chunk_list)}
        self._chunk_ids = chunk_list
        self._chunks = np.array([position[c] for c in chunk_ids], dtype=np.int32)
        hashes = np.array([text_hash(t) for t in texts], dtype=np.uint64)
        self._hash_rows = np.argsort(hashes, kind="stable").astype(np.int32)
        self._hashes = hashes[self._hash_rows]
        self._count = len(texts)
        self.searchable = self._count if searchable is None else searchable
        self._centroids: np.ndarray | None = None
        self._starts = np.zeros(1, dtype=np.int64)

    @classmethod
    def load(cls, folder: Path, chunk_ids: Sequence[str]) -> StatementIndex:
        """The cache of one version (`chunk_ids`: its passages, in their files' order)."""
        meta = json.loads((folder / files.META).read_text(encoding="utf-8"))
        index = cls.__new__(cls)
        index.vectors = np.load(folder / files.VECTORS, mmap_mode="r")
        offsets = np.load(folder / files.TEXT_OFFSETS, mmap_mode="r")
        raw = _mapped(folder / files.TEXTS)

        def text(row: int) -> str:
            return raw[int(offsets[row]) : int(offsets[row + 1])].decode("utf-8")

        index._texts = text
        index._chunk_ids = list(chunk_ids)
        index._chunks = np.load(folder / files.CHUNKS, mmap_mode="r")
        index._hashes = np.load(folder / files.HASHES, mmap_mode="r")
        index._hash_rows = np.load(folder / files.HASH_ROWS, mmap_mode="r")
        index._count = int(meta["count"])
        index.searchable = int(meta["searchable"])
        index._centroids = np.load(folder / files.CENTROIDS) if meta.get("lists") else None
        index._starts = (
            np.load(folder / files.LIST_STARTS) if meta.get("lists") else np.zeros(1, np.int64)
        )
        if len(index.vectors) != index._count or len(index._chunks) != index._count:
            raise ValueError(f"{folder}: statement cache is inconsistent")
        return index

    def __len__(self) -> int:
        return self._count

    @property
    def lists(self) -> int:
        """How many inverted lists restrict the search (0: every statement is scored)."""
        return 0 if self._centroids is None else len(self._centroids)

    def chunk_of(self, row: int) -> str:
        """The passage a statement belongs to."""
        return self._chunk_ids[int(self._chunks[row])]

    def vector(self, text: str) -> np.ndarray | None:
        """The precomputed vector of an embedding text, if this index holds it."""
        row = self._row(text)
        return None if row is None else np.asarray(self.vectors[row])

    def _row(self, text: str) -> int | None:
        wanted = np.uint64(text_hash(text))
        at = int(np.searchsorted(self._hashes, wanted))
        while at < len(self._hashes) and self._hashes[at] == wanted:
            row = int(self._hash_rows[at])
            if self._texts(row) == text:
                return row
            at += 1
        return None

    def nearest_chunks(self, question: np.ndarray, k: int, floor: float) -> list[str]:
        """The passages of the k statements nearest the question (cosine at least `floor`),
        nearest first, each passage once."""
        if not self.searchable or k <= 0:
            return []
        query = np.asarray(question, dtype=np.float32)
        rows, scores = self._candidates(query)
        keep = scores >= floor  # the walk below stops at the first score under the floor
        rows, scores = rows[keep], scores[keep]
        # Highest score first, ties in row order: a stable sort of every row's score, as when
        # every row is scored and sorted.
        order = np.lexsort((rows, -scores))
        chunks: list[str] = []
        for at in order:
            if len(chunks) >= k:
                break
            chunk = self.chunk_of(int(rows[at]))
            if chunk not in chunks:
                chunks.append(chunk)
        return chunks

    def _candidates(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows worth scoring and their scores: every searchable row, or those of the nearest
        inverted lists."""
        if self._centroids is None:
            rows = np.arange(self.searchable)
            return rows, np.asarray(self.vectors[: self.searchable] @ query)
        lists = len(self._centroids)
        probes = min(lists, max(PROBE_MIN, round(PROBE_SHARE * lists)))
        nearest = np.argpartition(-(self._centroids @ query), probes - 1)[:probes]
        spans = sorted((int(self._starts[n]), int(self._starts[n + 1])) for n in nearest)
        rows = np.concatenate([np.arange(start, end) for start, end in spans])
        scores = np.concatenate([self.vectors[start:end] @ query for start, end in spans])
        return rows, scores


def _mapped(path: Path) -> bytes | mmap.mmap:
    """A file's bytes, memory-mapped (an empty file cannot be)."""
    if not path.stat().st_size:
        return b""
    with path.open("rb") as file:
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)


def load_or_build(
    folder: Path | None,
    passages: Sequence[Passage],
    skip: Callable[[str], bool],
    embed: Embed,
) -> StatementIndex:
    """The statement index from a version's cache folder, or (no folder: an index that is
    being built, a test's store) embedded now (`embed`: unit vectors) and kept in memory."""
    if folder is not None and (folder / files.META).is_file():
        return StatementIndex.load(folder, [p.chunk_id for p in passages])
    texts, chunk_ids = statement_texts(passages, skip)
    vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    return StatementIndex(texts, chunk_ids, vectors)
