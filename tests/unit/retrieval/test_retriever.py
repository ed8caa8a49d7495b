"""Hybrid search logic over a fake store and a bag-of-words embedder (no model, no Chroma)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from langchain_core.documents import Document

from assistant.config import RetrievalSettings, Settings
from assistant.index.store import StoredChunk
from assistant.retrieval import hybrid as retriever
from assistant.retrieval.hybrid import HybridSearcher, get_searcher
from assistant.retrieval.langchain import GuidelineRetriever
from tests.fakes.store import FakeStore, bag_of_words, stored_chunk


def corpus() -> list[StoredChunk]:
    return [
        stored_chunk("oral", "Oral cyanocobalamin 1 mg daily works as well as injections",
                     doc_id="afp", section="Oral versus intramuscular", review_status="approved"),
        stored_chunk("im", "Intramuscular hydroxocobalamin for neurological symptoms",
                     doc_id="afp", section="Injections", review_status="under_review",
                     source_type="Research"),
        stored_chunk("mma", "Methylmalonic acid above 271 nmol/L suggests functional deficiency",
                     doc_id="iom", section="MMA range"),
        stored_chunk("hb", "Haemoglobin below 120 g/L defines anaemia in non-pregnant women",
                     doc_id="who", section="Adults"),
        stored_chunk("folate", "Serum folate is the first-line test for folate deficiency",
                     doc_id="bsh", section="Folate", review_status="submitted"),
    ]  # fmt: skip


def make_searcher(
    store: FakeStore | None = None, **retrieval: float
) -> tuple[HybridSearcher, FakeStore]:
    store = store or FakeStore(corpus())
    settings = Settings(retrieval=RetrievalSettings(**retrieval))  # type: ignore[arg-type]
    return HybridSearcher(settings, store=store, embed_query=bag_of_words), store


def test_search_returns_cited_passages_fused_and_sorted() -> None:
    searcher, _ = make_searcher()
    passages = searcher.search("methylmalonic acid functional deficiency", k=3)

    assert passages[0].chunk_id == "mma"
    assert passages[0].doc.doc_id == "iom"
    assert passages[0].section == "MMA range"
    assert passages[0].dense_similarity is not None
    assert passages[0].dense_similarity > 0.5
    assert len(passages) <= 3
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)


def test_fused_score_is_reciprocal_rank_fusion() -> None:
    searcher, _ = make_searcher(rrf_k=10)
    top = searcher.search("methylmalonic acid", k=1)[0]
    # first in both rankings: 1/(10+1) from each
    assert top.score == pytest.approx(2 / 11)


def test_nothing_relevant_returns_empty_list() -> None:
    searcher, _ = make_searcher()
    assert searcher.search("capital of France") == []
    relevance = searcher.relevance("capital of France")
    assert not relevance.relevant
    assert relevance.best_cosine < 0.35


def test_either_floor_makes_a_query_answerable() -> None:
    query = "methylmalonic acid"
    only_lexical, _ = make_searcher(relevance_floor=1.01)  # dense can never pass
    only_dense, _ = make_searcher(lexical_floor=1.0, relevance_floor=0.3)
    neither, _ = make_searcher(relevance_floor=1.01, lexical_floor=1.0)
    partial = "methylmalonic amoxicillin otitis"

    assert only_lexical.search(query)
    assert only_dense.search(query)
    assert only_lexical.relevance(partial).lexical_coverage < 0.6
    assert not only_lexical.search(partial)
    assert neither.search(partial) == []


def test_filters_reach_both_rankers() -> None:
    searcher, store = make_searcher()
    approved = searcher.search("injections intramuscular oral", k=5, approved_only=True)
    research = searcher.search(
        "injections intramuscular oral", k=5, source_types=frozenset({"Research"})
    )

    assert approved
    assert all(p.doc.review_status == "approved" for p in approved)
    assert [p.chunk_id for p in research] == ["im"]
    assert {"review_status": "approved"} in store.wheres
    assert {"source_type": {"$in": ["Research"]}} in store.wheres


def test_settings_default_for_k_and_approved_only() -> None:
    store = FakeStore(corpus())
    settings = Settings(retrieval=RetrievalSettings(k=2, approved_only=True))
    searcher = HybridSearcher(settings, store=store, embed_query=bag_of_words)
    passages = searcher.search("deficiency injections oral folate methylmalonic")
    assert len(passages) == 2
    assert all(p.doc.review_status == "approved" for p in passages)
    with pytest.raises(ValueError, match="k must be at least 1"):
        searcher.search("folate", k=0)


def test_baselines_rank_by_their_own_scores() -> None:
    searcher, _ = make_searcher()
    dense = searcher.dense_search("serum folate test", k=2)
    lexical = searcher.bm25_search("serum folate test", k=2)
    assert dense[0].chunk_id == lexical[0].chunk_id == "folate"
    assert dense[0].score == dense[0].dense_similarity
    assert lexical[0].dense_similarity is None
    assert searcher.bm25_search("capital of France") == []


def test_searcher_reloads_when_the_index_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retriever, "STALE_CHECK_SECONDS", 0.0)
    searcher, store = make_searcher()
    assert searcher.search("ferritin iron stores") == []

    store.chunks.append(stored_chunk("ferritin", "Ferritin below 30 confirms iron deficiency"))
    store.version = "v2"
    assert searcher.search("ferritin iron stores", k=1)[0].chunk_id == "ferritin"


def test_chunk_with_broken_metadata_is_never_returned() -> None:
    broken = stored_chunk("bad", "Methylmalonic acid text")
    broken.metadata["year"] = "not a year"
    searcher, _ = make_searcher(FakeStore([broken, *corpus()]))
    assert "bad" not in {p.chunk_id for p in searcher.search("methylmalonic acid", k=5)}


def test_langchain_retriever_honours_k_and_keeps_metadata() -> None:
    searcher, _ = make_searcher()
    lc = GuidelineRetriever(settings=Settings(), k=2, searcher=searcher)

    documents = lc.invoke("oral or intramuscular injections")
    one = lc.invoke("oral or intramuscular injections", k=1)

    assert len(documents) == 2
    assert len(one) == 1
    assert all(isinstance(d, Document) for d in documents)
    first = documents[0]
    assert first.id == first.metadata["chunk_id"]
    assert {"doc_id", "title", "section", "source_type", "review_status", "score"} <= set(
        first.metadata
    )


def test_get_searcher_is_shared_per_settings() -> None:
    a = Settings()
    assert get_searcher(a) is get_searcher(Settings())
    other = Settings(retrieval=RetrievalSettings(k=7))
    assert get_searcher(other) is not get_searcher(a)


def test_importing_the_retriever_loads_no_heavy_library() -> None:
    code = (
        "import sys, assistant.retrieval.hybrid, assistant.index.build; "
        "print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
