"""Ingestion with the real bundled model and a real Chroma store in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.app.cli import app
from assistant.config import Settings, get_settings
from assistant.index import embeddings as embeddings_module
from assistant.index.build import ensure_index, run_ingest
from assistant.index.store import ChunkStore, Manifest, open_store
from assistant.retrieval.hybrid import get_searcher

pytestmark = pytest.mark.integration

SMALL_CORPUS_CHUNKS = 6  # sections with text in SMALL_DOCS: 3 + 2 + 1


class EmbeddingSpy:
    """Counts texts sent to the real model."""

    def __init__(self) -> None:
        self.texts: list[str] = []


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> EmbeddingSpy:
    spy = EmbeddingSpy()
    real = embeddings_module.embed_documents

    def counting(embeddings, texts, **kwargs):  # type: ignore[no-untyped-def]
        spy.texts.extend(texts)
        return real(embeddings, texts, **kwargs)

    monkeypatch.setattr(embeddings_module, "embed_documents", counting)
    return spy


def chunk_sources(settings: Settings) -> dict[str, str]:
    """chunk id -> doc id, straight from the store."""
    return {c.chunk_id: c.metadata["doc_id"] for c in open_store(settings).all_chunks()}


def test_ingest_indexes_every_section_with_its_metadata(
    small_settings: Settings, spy: EmbeddingSpy
) -> None:
    report = run_ingest(small_settings)

    assert report.failures == []
    assert (report.documents, report.chunks, report.embedded) == (3, SMALL_CORPUS_CHUNKS, 6)
    assert len(spy.texts) == SMALL_CORPUS_CHUNKS
    assert report.describe().startswith("indexed 6 chunks from 3 documents (embedded 6 new")
    chunks = open_store(small_settings).all_chunks()
    mma = next(c for c in chunks if c.metadata["section"] == "Methylmalonic acid cut-off")
    assert mma.text.startswith("A methylmalonic acid above 271 nmol/L")
    assert mma.metadata["doc_id"] == "mma-test"
    assert mma.metadata["review_status"] == "under_review"
    assert mma.metadata["source_type"] == "Research"
    assert mma.metadata["chunk_id"] == mma.chunk_id
    assert mma.metadata["corpus_hash"]

    top = get_searcher(small_settings).search("MMA cut off for functional deficiency", k=1)
    assert [(p.doc.doc_id, p.section) for p in top] == [("mma-test", "Methylmalonic acid cut-off")]


def test_reingest_unchanged_embeds_nothing(small_settings: Settings, spy: EmbeddingSpy) -> None:
    run_ingest(small_settings)
    before = chunk_sources(small_settings)
    spy.texts.clear()

    again = run_ingest(small_settings)

    assert spy.texts == []
    assert (again.embedded, again.removed, again.unchanged) == (0, 0, SMALL_CORPUS_CHUNKS)
    assert chunk_sources(small_settings) == before


def test_changed_document_replaces_only_its_changed_chunk(
    small_settings: Settings, small_corpus: Path, spy: EmbeddingSpy
) -> None:
    run_ingest(small_settings)
    before = chunk_sources(small_settings)
    path = small_corpus / "mma-test.md"
    path.write_text(
        path.read_text().replace("without B12 deficiency", "in chronic kidney disease"), "utf-8"
    )
    spy.texts.clear()

    report = run_ingest(small_settings)

    after = chunk_sources(small_settings)
    assert (report.embedded, report.removed, report.unchanged) == (1, 1, 5)
    assert len(spy.texts) == 1
    assert "chronic kidney disease" in spy.texts[0]
    assert len(after) == SMALL_CORPUS_CHUNKS
    assert len(set(before) - set(after)) == 1
    passages = get_searcher(small_settings).search("chronic kidney disease MMA", k=1)
    assert "chronic kidney disease" in passages[0].text


def test_removed_document_leaves_the_index(small_settings: Settings, small_corpus: Path) -> None:
    run_ingest(small_settings)
    (small_corpus / "hb-test.md").unlink()

    report = run_ingest(small_settings)

    assert report.removed == 1
    assert "hb-test" not in chunk_sources(small_settings).values()
    found = get_searcher(small_settings).search("haemoglobin cut-off for anaemia in women", k=5)
    assert all(p.doc.doc_id != "hb-test" for p in found)


def test_metadata_change_updates_without_embedding(
    small_settings: Settings, small_corpus: Path, spy: EmbeddingSpy
) -> None:
    run_ingest(small_settings)
    path = small_corpus / "mma-test.md"
    path.write_text(path.read_text().replace("under_review", "approved"), "utf-8")
    spy.texts.clear()

    report = run_ingest(small_settings)

    assert spy.texts == []
    assert (report.embedded, report.metadata_updated) == (0, 2)
    approved = get_searcher(small_settings).search("methylmalonic acid", k=6, approved_only=True)
    assert "mma-test" in {p.doc.doc_id for p in approved}


def test_corrupt_file_is_reported_and_skipped(small_settings: Settings, small_corpus: Path) -> None:
    (small_corpus / "broken.md").write_text(
        "---\nid: broken\ntitle: Broken\ntype: Guideline\npublisher: X\nyear: soon\n"
        "review_status: approved\nlast_reviewed: 2025-01-01\n---\n\n## S\n\nText.\n",
        "utf-8",
    )
    (small_corpus / "binary.md").write_bytes(b"\xff\xfe\x00\x01")

    report = run_ingest(small_settings)

    assert sorted(report.failures) == [
        "corpus/binary.md: content: not UTF-8 text (byte 0)",
        "corpus/broken.md: year: Input should be a valid integer, unable to parse string as an "
        "integer",
    ]
    assert report.documents == 3
    assert report.chunks == SMALL_CORPUS_CHUNKS


def test_document_that_breaks_later_keeps_its_indexed_chunks(
    small_settings: Settings, small_corpus: Path
) -> None:
    run_ingest(small_settings)
    before = chunk_sources(small_settings)
    path = small_corpus / "nice-test.md"
    path.write_text(path.read_text().replace("type: Guideline", "type: Blog post"), "utf-8")

    report = run_ingest(small_settings)

    assert len(report.failures) == 1
    assert report.failures[0].startswith("corpus/nice-test.md: type: ")
    assert chunk_sources(small_settings) == before  # nothing already indexed is lost


def test_extra_files_are_indexed_and_remembered(
    small_settings: Settings, tmp_path: Path, spy: EmbeddingSpy
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "clinic-notes.txt").write_text("Our clinic gives hydroxocobalamin every 3 months.")
    (extra / "pathway.html").write_text(
        "<html><head><title>Local pathway</title></head><body><h2>Folate</h2>"
        "<p>Check red cell folate only on haematology advice.</p></body></html>"
    )
    report = run_ingest(small_settings, extra_paths=[extra, tmp_path / "missing.pdf"])

    assert report.documents == 5
    assert report.failures == [f"{tmp_path / 'missing.pdf'}: file: not found"]
    hits = get_searcher(small_settings).search("hydroxocobalamin every 3 months clinic", k=1)
    assert hits[0].doc.doc_id == "file-clinic-notes"
    assert hits[0].doc.review_status == "submitted"
    approved = get_searcher(small_settings).search(
        "hydroxocobalamin clinic", k=6, approved_only=True
    )
    assert all(p.doc.review_status == "approved" for p in approved)  # user files are unreviewed

    spy.texts.clear()
    again = run_ingest(small_settings)  # no paths given: the folder is remembered
    assert (again.documents, again.embedded, again.removed) == (5, 0, 0)
    assert spy.texts == []

    (extra / "clinic-notes.txt").unlink()
    assert run_ingest(small_settings).removed == 1
    assert run_ingest(small_settings, rebuild=True).documents == 3  # rebuild forgets extras


def test_other_embedding_model_rebuilds_instead_of_mixing(small_settings: Settings) -> None:
    run_ingest(small_settings)
    store = open_store(small_settings)
    manifest = store.manifest()
    store.write_manifest(Manifest(model="some-other-model:0", corpus_hash=manifest.corpus_hash))

    report = run_ingest(small_settings)

    assert report.rebuilt is not None
    assert "embedding model changed" in report.rebuilt
    assert (report.embedded, report.chunks) == (SMALL_CORPUS_CHUNKS, SMALL_CORPUS_CHUNKS)
    assert open_store(small_settings).manifest().model == manifest.model


def test_ensure_index_builds_once_and_follows_the_corpus(
    small_settings: Settings, small_corpus: Path, spy: EmbeddingSpy
) -> None:
    ensure_index(small_settings)
    assert len(spy.texts) == SMALL_CORPUS_CHUNKS

    ensure_index(small_settings)
    assert len(spy.texts) == SMALL_CORPUS_CHUNKS  # current: nothing to do

    (small_corpus / "hb-test.md").unlink()
    ensure_index(small_settings)
    assert "hb-test" not in chunk_sources(small_settings).values()


def test_interrupted_run_is_completed_without_duplicates(
    small_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embeddings_module, "BATCH_SIZE", 2)
    real_upsert = ChunkStore.upsert
    calls = {"n": 0}

    def crash_on_second_batch(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process dies midway
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(ChunkStore, "upsert", crash_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(small_settings)
    monkeypatch.setattr(ChunkStore, "upsert", real_upsert)
    assert open_store(small_settings).count() == 2
    assert open_store(small_settings).manifest().corpus_hash == ""  # not marked complete

    ensure_index(small_settings)

    store = open_store(small_settings)
    ids = [c.chunk_id for c in store.all_chunks()]
    assert len(ids) == len(set(ids)) == SMALL_CORPUS_CHUNKS
    assert store.manifest().corpus_hash


def test_cli_ingest_prints_the_summary_and_the_skipped_files(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (small_corpus / "broken.md").write_text("---\nid: [unclosed\n---\n## S\n\nText.\n", "utf-8")
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "cli-data"))
    get_settings.cache_clear()

    result = CliRunner().invoke(app, ["ingest"])

    assert result.exit_code == 0, result.output
    assert "indexed 6 chunks from 3 documents" in result.stdout
    assert "skipped: corpus/broken.md: front matter: invalid YAML" in result.stderr
