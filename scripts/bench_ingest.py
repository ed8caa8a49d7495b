"""Ingestion throughput against its ceiling: the model encoding the same chunks, same run.

Each repeat encodes every corpus chunk in one call (the ceiling: nothing but the model), then
ingests the corpus into a new, empty collection (documents read and chunked, vectors computed
in batches, written to Chroma, manifest). The two alternate, so load from other processes
falls on both alike; the model is loaded before either is timed. The ratio compares the best
repeat of each: on a machine shared with other work, the fastest run is the least disturbed.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np

from assistant.config import Settings
from assistant.index.build import run_ingest
from assistant.index.embeddings import embeddings_for
from assistant.sources.documents import Chunk
from scripts.bench_corpus import RealChunk, corpus_chunks


@dataclass
class IngestFigures:
    chunks: int
    raw_chunks_per_s: list[float]
    ingest_chunks_per_s: list[float]
    paired_ratios: list[float]

    def as_dict(self) -> dict[str, object]:
        """Best of the repeats for each (the least disturbed by other processes on a shared
        machine), and the paired ratios of every repeat for the spread."""
        raw, ingest = max(self.raw_chunks_per_s), max(self.ingest_chunks_per_s)
        return {
            "chunks": self.chunks,
            "repeats": len(self.paired_ratios),
            "raw_encoding_chunks_per_s": round(raw, 1),
            "ingest_chunks_per_s": round(ingest, 1),
            "ratio": round(ingest / raw, 3),
            "ratios": [round(r, 3) for r in self.paired_ratios],
            "median_paired_ratio": round(statistics.median(self.paired_ratios), 3),
        }


def measure_ingest(settings: Settings, repeats: int) -> tuple[IngestFigures, list[RealChunk]]:
    """Alternate raw encoding and a full ingest; also return the real chunks with vectors.

    The first ingest writes the settings' own collection, which later benchmarks grow.
    """
    import assistant.retrieval.hybrid  # noqa: F401  (ingest refreshes searchers: an import, not throughput)
    from assistant.index.store import open_store

    embeddings = embeddings_for(settings)
    open_store(settings)  # the Chroma client, once per process: not throughput either
    chunks = corpus_chunks(settings)
    texts = [c.index_text for c in chunks]
    embeddings.embed_documents(texts[:4])  # warm: first-call allocations are not throughput
    figures = IngestFigures(len(chunks), [], [], [])
    vectors: list[list[float]] = []
    for repeat in range(repeats):
        started = time.perf_counter()
        vectors = embeddings.embed_documents(texts)
        raw = len(texts) / (time.perf_counter() - started)
        # a new, empty collection each time; the first one is the settings' own
        name = settings.collection if repeat == 0 else f"{settings.collection}-{repeat}"
        target = settings.model_copy(update={"collection": name})
        started = time.perf_counter()
        report = run_ingest(target)
        ingest = report.embedded / (time.perf_counter() - started)
        if report.embedded != len(chunks) or report.failures:
            raise RuntimeError(f"ingest benchmark: unexpected ingest result {report.describe()}")
        figures.raw_chunks_per_s.append(raw)
        figures.ingest_chunks_per_s.append(ingest)
        figures.paired_ratios.append(ingest / raw)
    return figures, _with_vectors(chunks, vectors)


def _with_vectors(chunks: list[Chunk], vectors: list[list[float]]) -> list[RealChunk]:
    return [
        RealChunk(c.chunk_id, c.text, c.metadata("bench"), np.asarray(v, dtype=np.float32))
        for c, v in zip(chunks, vectors, strict=True)
    ]
