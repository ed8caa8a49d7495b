"""Synthetic corpus growth: unit vectors near their source, real sentences, unique ids."""

from __future__ import annotations

import numpy as np
import pytest

from scripts.bench_corpus import (
    SYNTHETIC_PREFIX,
    UPSERT_PAGE,
    RealChunk,
    synthesize,
)


def _real(count: int = 5, dims: int = 384) -> list[RealChunk]:
    rng = np.random.default_rng(42)
    chunks = []
    for i in range(count):
        vector = rng.normal(size=dims).astype(np.float32)
        vector /= np.linalg.norm(vector)
        text = f"Sentence one of chunk {i}. Sentence two of chunk {i}! Is this three of {i}?"
        metadata = {"doc_id": f"doc-{i}", "section": f"Section {i}", "chunk_id": f"c{i}"}
        chunks.append(RealChunk(f"c{i}", text, metadata, vector))
    return chunks


def test_synthetic_vectors_are_unit_length_and_close_to_a_real_one() -> None:
    real = _real()
    base = np.stack([c.vector for c in real])

    batch = next(synthesize(real, start=0, count=200))

    assert np.allclose(np.linalg.norm(batch.vectors, axis=1), 1.0, atol=1e-5)
    nearest = (batch.vectors @ base.T).max(axis=1)
    assert 0.8 < float(nearest.mean()) < 0.97  # near-duplicates, not copies
    assert float(nearest.max()) < 0.999


def test_texts_are_real_sentences_and_metadata_names_the_variant() -> None:
    real = _real()
    sentences = {s for c in real for s in c.text.replace("! ", "!|").replace(". ", ".|").split("|")}

    batch = next(synthesize(real, start=7, count=3))

    assert batch.ids == [f"{SYNTHETIC_PREFIX}{n:06d}" for n in (7, 8, 9)]
    for chunk_id, text, metadata in zip(batch.ids, batch.texts, batch.metadatas, strict=True):
        assert text
        for sentence in sentences:
            text = text.replace(sentence, "")
        assert text.strip() == ""  # made only of real sentences
        assert metadata["chunk_id"] == chunk_id
        assert metadata["section"].endswith(f"(synthetic variant {chunk_id[-1]})")
        assert metadata["doc_id"].startswith("doc-")  # the source chunk's document


def test_large_counts_come_in_pages_and_the_same_call_gives_the_same_corpus() -> None:
    real = _real()
    count = UPSERT_PAGE + 10

    pages = list(synthesize(real, start=0, count=count))
    again = list(synthesize(real, start=0, count=count))

    assert [len(p.ids) for p in pages] == [UPSERT_PAGE, 10]
    assert len({i for p in pages for i in p.ids}) == count
    assert all(np.array_equal(a.vectors, b.vectors) for a, b in zip(pages, again, strict=True))
    assert [p.texts for p in pages] == [p.texts for p in again]


def test_no_real_chunk_no_synthetic_chunk() -> None:
    with pytest.raises(ValueError, match="at least one real chunk"):
        next(synthesize([], start=0, count=1))
