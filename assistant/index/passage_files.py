"""Every passage of one index version on disk, read one at a time: a search reads its hits only.

Written once per version (assistant.index.derived): the passages' records as JSON lines (text,
section, patient version, document metadata) with an array of their byte offsets, their chunk
ids, review status and source type, and the count of every token of the corpus (the scope
decision's vocabulary). The records file is memory-mapped: a passage is parsed when a search
returns it, so a 100k-chunk index is never held in memory as Python objects. Passages are in
chunk-id order (the BM25 index's document order, which decides its tie order).
"""

from __future__ import annotations

import json
import mmap
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from assistant.index.store import StoredChunk
from assistant.schema import Passage
from assistant.sources.documents import meta_from_metadata

RECORDS = "passages.jsonl"
OFFSETS = "passages.offsets.npy"
TABLE = "passages.json"  # chunk ids and the names of the source types
APPROVED = "passages.approved.npy"
TYPES = "passages.types.npy"
TERMS = "terms.json"
_CACHED_PASSAGES = 4096  # parsed passages kept per file (the hot ones recur across questions)


def passage_of(chunk: StoredChunk) -> Passage | None:
    """The passage of a stored chunk; None when its metadata cannot be cited (never returned)."""
    try:
        meta = meta_from_metadata(chunk.metadata)
        return Passage(
            chunk_id=chunk.chunk_id,
            doc=meta,
            section=str(chunk.metadata.get("section", "")),
            text=chunk.text,
            patient=str(chunk.metadata.get("patient", "")),
        )
    except (KeyError, ValueError, ValidationError):
        return None


def sorted_passages(chunks: Iterable[StoredChunk]) -> list[Passage]:
    """The citable passages of the chunks in chunk-id order (a stable BM25 tie order)."""
    found = (passage_of(c) for c in sorted(chunks, key=lambda c: c.chunk_id))
    return [p for p in found if p is not None]


class PassageTable:
    """What every search needs of every passage: ids, review status, source type; the passages
    themselves one at a time. This base keeps them in memory (a small or in-test index)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages = list(passages)
        self.ids = [p.chunk_id for p in self._passages]
        self.type_names: list[str] = sorted({str(p.doc.source_type) for p in self._passages})
        names = self.type_names
        codes = {name: code for code, name in enumerate(names)}
        self.type_codes = np.array(
            [codes[p.doc.source_type] for p in self._passages], dtype=np.uint16
        )
        self.approved = np.array(
            [p.doc.review_status == "approved" for p in self._passages], dtype=bool
        )
        self.position = {chunk_id: row for row, chunk_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def passage(self, row: int) -> Passage:
        return self._passages[row]

    def passages(self) -> Iterator[Passage]:
        """Every passage, in order (checks and evaluations; a full read of a large index)."""
        for row in range(len(self)):
            yield self.passage(row)

    def type_mask(self, source_types: frozenset[str]) -> np.ndarray:
        wanted = [code for code, name in enumerate(self.type_names) if name in source_types]
        return np.isin(self.type_codes, np.array(wanted, dtype=np.uint16))


class PassageFile(PassageTable):
    """The passages of one version's files: the records file memory-mapped, parsed on demand."""

    def __init__(self, folder: Path) -> None:  # read from the files, not built
        table = json.loads((folder / TABLE).read_text(encoding="utf-8"))
        self.ids = list(table["ids"])
        self.type_names = list(table["types"])
        self.type_codes = np.load(folder / TYPES, mmap_mode="r")
        self.approved = np.load(folder / APPROVED)
        self.position = {chunk_id: row for row, chunk_id in enumerate(self.ids)}
        self._offsets = np.load(folder / OFFSETS, mmap_mode="r")
        with (folder / RECORDS).open("rb") as file:
            size = (folder / RECORDS).stat().st_size
            self._records = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        if len(self._offsets) != len(self.ids) + 1:
            raise ValueError(f"{folder}: passage offsets do not match the passages")
        self._cache: OrderedDict[int, Passage] = OrderedDict()
        self._lock = threading.Lock()

    def passage(self, row: int) -> Passage:
        with self._lock:
            cached = self._cache.get(row)
            if cached is not None:
                self._cache.move_to_end(row)
                return cached
        start, end = int(self._offsets[row]), int(self._offsets[row + 1])
        passage = Passage.model_validate_json(self._records[start:end])
        with self._lock:
            self._cache[row] = passage
            if len(self._cache) > _CACHED_PASSAGES:
                self._cache.popitem(last=False)
        return passage


def write_passages(folder: Path, passages: Sequence[Passage]) -> None:
    """The passage files of a version (into a folder being built: see derived.publish_folder)."""
    table = PassageTable(passages)
    offsets = np.zeros(len(passages) + 1, dtype=np.int64)
    with (folder / RECORDS).open("wb") as file:
        for row, passage in enumerate(passages):
            data = passage.model_dump_json().encode("utf-8")
            file.write(data)
            file.write(b"\n")
            offsets[row + 1] = offsets[row] + len(data) + 1
    np.save(folder / OFFSETS, offsets)  # a record's slice ends with its newline
    (folder / TABLE).write_text(
        json.dumps({"ids": table.ids, "types": table.type_names}), encoding="utf-8"
    )
    np.save(folder / APPROVED, table.approved)
    np.save(folder / TYPES, table.type_codes)


def write_terms(folder: Path, counts: Mapping[str, int]) -> None:
    (folder / TERMS).write_text(json.dumps(dict(counts), ensure_ascii=False), encoding="utf-8")


def read_terms(folder: Path) -> Counter[str]:
    data = json.loads((folder / TERMS).read_text(encoding="utf-8"))
    return Counter({str(token): int(count) for token, count in data.items()})
