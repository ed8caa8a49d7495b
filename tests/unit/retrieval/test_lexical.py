"""Tokenizer, clinician shorthand and the BM25 index."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.domain.language import DomainLanguage
from assistant.retrieval.lexical import BM25Index
from assistant.text.tokens import Vocabulary, stem

CHUNKS = [
    "Oral cyanocobalamin tablets at 1 mg daily treat vitamin B12 deficiency",
    "Intramuscular hydroxocobalamin injections for neurological symptoms",
    "Methylmalonic acid is raised in functional deficiency",
    "Haemoglobin below 120 g/L defines anaemia in women",
    "Nitrous oxide misuse: test homocysteine or methylmalonic acid",
]


@pytest.mark.parametrize(
    ("word", "expected"),
    [("treatment", "treat"), ("treated", "treat"), ("treating", "treat"), ("treats", "treat"),
     ("measured", "measur"), ("measure", "measur"), ("deficiencies", "deficiency"),
     ("b12", "b12"), ("bus", "bus"), ("analysis", "analysis")],
)  # fmt: skip
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.fixture
def words(b12_language: DomainLanguage) -> Vocabulary:
    """The B12 pack's spellings, shorthand and lay phrases (its domain file)."""
    return b12_language.vocabulary


def test_tokenize_normalises_spelling_and_drops_stopwords(words: Vocabulary) -> None:
    assert words.tokenize("What is the hemoglobin in Anemia?") == ["haemoglobin", "anaemia"]


def test_without_a_domain_file_spelling_is_left_as_written() -> None:
    assert Vocabulary().tokenize("What is the hemoglobin in Anemia?") == ["hemoglobin", "anemia"]


def test_query_terms_expand_abbreviations_and_lay_phrases(words: Vocabulary) -> None:
    terms = words.query_terms("IM vs PO after gastric bypass")
    assert ("im", "intramuscular", "injection") in terms
    assert ("po", "oral") in terms
    assert ("bariatric", "surgery") in terms
    assert all("gastric" not in group for group in terms)  # the phrase replaced its words
    assert words.expansion_words("holoTC for laughing gas users") == [
        "nitrous", "oxide", "holotranscobalamin", "active",
    ]  # fmt: skip


def test_bm25_ranks_matching_chunk_first_and_ignores_unknown_words(words: Vocabulary) -> None:
    index = BM25Index(CHUNKS, words)
    hits = index.search(index.prepare("IM injection for neuro symptoms"), 3)
    assert hits[0].index == 1
    assert index.search(index.prepare("capital of France"), 3) == []


def test_typos_are_mapped_to_corpus_words_but_real_words_are_kept(words: Vocabulary) -> None:
    index = BM25Index(CHUNKS, words)
    assert index.prepare("methylmalonc acid")[0] == ("methylmalonic",)
    assert index.prepare("haemoglobinn")[0] == ("haemoglobin",)
    assert index.prepare("cyanocobalamni")[0] == ("cyanocobalamin",)
    assert index.prepare("tablet")[0][0] == "tablet"  # not "table"
    assert "methylmalonic" in index.dense_query("methylmalonc acid")


def test_mask_excludes_chunks(words: Vocabulary) -> None:
    index = BM25Index(CHUNKS, words)
    terms = index.prepare("methylmalonic acid")
    allowed = np.array([True, True, False, True, True])
    assert {h.index for h in index.search(terms, 5)} == {2, 4}
    assert {h.index for h in index.search(terms, 5, allowed)} == {4}


def test_coverage_counts_expanded_words_and_penalises_unknown_ones(words: Vocabulary) -> None:
    index = BM25Index(CHUNKS, words)
    full = index.coverage(index.prepare("nitrous oxide misuse"), 4)
    partial = index.coverage(index.prepare("nitrous oxide and amoxicillin dosing"), 4)
    none = index.coverage(index.prepare("nitrous oxide"), 3)
    assert full == pytest.approx(1.0)
    assert 0.0 < partial < 0.6
    assert none == 0.0
    assert index.coverage(index.prepare("im"), 1) == pytest.approx(1.0)  # via "intramuscular"


def test_empty_index_returns_nothing() -> None:
    index = BM25Index([])
    assert len(index) == 0
    assert index.search(index.prepare("b12"), 5) == []
