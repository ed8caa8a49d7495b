"""Passages by (document, section) straight from the corpus files."""

from __future__ import annotations

from pathlib import Path

from assistant.sources.documents import chunk_document, load_document
from assistant.sources.lookup import CorpusLookup


def test_section_passage_has_the_index_chunk_id(corpus_dir: Path, lookup: CorpusLookup) -> None:
    passage = lookup.passage("nice-test", "Oral treatment dose")
    assert passage is not None
    assert passage.doc.doc_id == "nice-test"
    assert "at least 1 mg daily" in passage.text
    chunks = chunk_document(load_document(corpus_dir / "nice-test.md"))
    assert passage.chunk_id in {chunk.chunk_id for chunk in chunks}


def test_unknown_section_or_document_gives_none(lookup: CorpusLookup) -> None:
    assert lookup.passage("nice-test", "No such heading") is None
    assert lookup.passage("no-such-doc", "Oral treatment dose") is None
    assert lookup.section("no-such-doc", "x") == []


def test_files_without_front_matter_are_skipped(corpus_dir: Path) -> None:
    (corpus_dir / "README.md").write_text("# About this corpus\n\nNotes.\n", encoding="utf-8")
    lookup = CorpusLookup(corpus_dir)
    assert all(doc_id != "file-readme" for doc_id, _ in lookup._index())
    assert lookup.passage("nice-test", "Total B12 thresholds") is not None
