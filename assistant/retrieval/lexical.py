"""Lexical search: BM25 (bm25s) over chunk texts, built once per index version and memory-mapped.

Chunks and queries share the tokenizer of `assistant.text.tokens`. On top of it, an unknown query
word is mapped to the most frequent corpus word one typing slip away ("vitamn" -> vitamin).
`coverage` says how much of a query the best chunk explains; the retriever uses it to decide
whether anything relevant was found.

The index is bm25s's score matrix (one column of scores per token, its documents in order), saved
at ingest (assistant.index.lexical_files). Everything here reads that matrix: document
frequencies (IDF) are column lengths, and whether a chunk contains a token is a binary search
in the token's column, so no per-chunk token sets are kept in memory. Scores are summed token by
token in the query's order, as bm25s sums them, and the top k chosen by bm25s's own selection:
the ranking, ties included, is bm25s's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.index.lexical_files import build_bm25
from assistant.text.tokens import QueryTerms, Vocabulary, correct_slip


@dataclass(frozen=True)
class LexicalHit:
    index: int  # position of the chunk in the texts the index was built from
    score: float


class BM25Index:
    """BM25 over the index texts of all chunks."""

    def __init__(self, texts: Sequence[str], vocabulary: Vocabulary | None = None) -> None:
        words = vocabulary or Vocabulary()
        documents = [words.tokenize(t) for t in texts]
        self._setup(build_bm25(documents), len(documents), words)

    @classmethod
    def from_bm25(cls, index: Any | None, documents: int, vocabulary: Vocabulary) -> BM25Index:
        """An index over a bm25s index built (and maybe saved and loaded) before."""
        built = cls.__new__(cls)
        built._setup(index, documents, vocabulary)
        return built

    def _setup(self, index: Any | None, documents: int, words: Vocabulary) -> None:
        self.words = words
        self._documents = documents
        self._bm25 = index
        self._n = max(documents, 1)
        # Lucene IDF; an unknown word weighs as much as the rarest possible one.
        self._unknown_idf = math.log(1 + (self._n + 0.5) / 0.5)
        if index is None:
            self._ids: dict[str, int] = {}
            self._data = self._postings = np.zeros(0, dtype=np.float32)
            self._starts = np.zeros(1, dtype=np.int64)
            return
        columns = len(index.scores["indptr"]) - 1
        # bm25s adds "" to its vocabulary after the matrix (no column); a document left empty
        # holds the placeholder: neither is a word of the corpus.
        self._ids = {
            token: column
            for token, column in index.vocab_dict.items()
            if column < columns and token not in ("", "\u2205")
        }
        self._data = index.scores["data"]
        self._postings = index.scores["indices"]  # per column: its documents, ascending
        self._starts = index.scores["indptr"]

    def __len__(self) -> int:
        return self._documents

    def _frequency(self, token: str) -> int:
        column = self._ids[token]
        return int(self._starts[column + 1] - self._starts[column])

    def _idf(self, token: str) -> float:
        f = self._frequency(token)
        return math.log(1 + (self._n - f + 0.5) / (f + 0.5))

    def prepare(self, query: str) -> QueryTerms:
        """Query terms, each with its expansions, typos mapped to corpus words."""
        return [(self._correct(group[0]), *group[1:]) for group in self.words.query_terms(query)]

    def dense_query(self, query: str) -> str:
        """The question plus the corpus words its shorthand, lay words and typos stand for.

        The embedding model knows "intramuscular" but not "IM", "holoTC" or "vitamn".
        """
        corrected = [
            fixed
            for group in self.words.query_terms(query)
            if (fixed := self._correct(group[0])) != group[0]
        ]
        extra = list(dict.fromkeys([*self.words.expansion_words(query), *corrected]))
        return f"{query} ({' '.join(extra)})" if extra else query

    def _correct(self, token: str) -> str:
        # The most frequent candidate (lowest IDF) is the likeliest intended word.
        return correct_slip(token, self._ids.keys(), self._idf)

    def search(
        self, terms: QueryTerms, n: int, allowed: np.ndarray | None = None
    ) -> list[LexicalHit]:
        """Top-n chunks with a positive score; `allowed` is a 0/1 mask of searchable chunks."""
        known = [t for group in terms for t in group if t in self._ids]
        if self._bm25 is None or not known or n <= 0:
            return []
        from bm25s.selection import topk

        k = min(n, self._documents)
        scores = np.zeros(self._documents, dtype=np.float32)
        for token in dict.fromkeys(known):
            column = self._ids[token]
            start, end = int(self._starts[column]), int(self._starts[column + 1])
            # A column lists each document once: adding by index is bm25s's np.add.at.
            scores[self._postings[start:end]] += self._data[start:end]
        if allowed is not None:
            scores *= allowed.astype(np.float32)
        top_scores, top_indices = topk(scores, k=k, backend="auto", sorted=True)
        return [
            LexicalHit(int(i), float(s))
            for i, s in zip(top_indices, top_scores, strict=True)
            if s > 0  # bm25s fills missing ranks with arbitrary score-0 documents
        ]

    def contains(self, token: str, indices: np.ndarray) -> np.ndarray:
        """Which of the chunks (ascending or not) contain the token."""
        column = self._ids.get(token)
        if column is None or not len(indices):
            return np.zeros(len(indices), dtype=bool)
        postings = self._postings[int(self._starts[column]) : int(self._starts[column + 1])]
        found = np.searchsorted(postings, indices)
        inside = found < len(postings)
        hit = np.zeros(len(indices), dtype=bool)
        hit[inside] = postings[found[inside]] == indices[inside]
        return hit

    def coverages(self, terms: QueryTerms, indices: Sequence[int]) -> list[float]:
        """IDF-weighted share of the query's words found (as written or expanded) in each chunk."""
        if not terms:
            return [0.0] * len(indices)
        rows = np.asarray(indices, dtype=np.int64)
        weights = [
            self._idf(group[0]) if group[0] in self._ids else self._unknown_idf for group in terms
        ]
        total = sum(weights)
        found = np.zeros((len(terms), len(rows)), dtype=bool)
        for g, group in enumerate(terms):
            for token in group:
                found[g] |= self.contains(token, rows)
        result = []
        for column in range(len(rows)):
            hits = [w for w, here in zip(weights, found[:, column], strict=True) if here]
            result.append(sum(hits) / total if total else 0.0)
        return result

    def coverage(self, terms: QueryTerms, index: int) -> float:
        """IDF-weighted share of the query's words found (as written or expanded) in a chunk."""
        return self.coverages(terms, [index])[0]
