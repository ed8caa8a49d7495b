"""Lexical search: BM25 (bm25s) over chunk texts, kept in memory.

Chunks and queries share the tokenizer of `assistant.text.tokens`. On top of it, an unknown query
word is mapped to the most frequent corpus word one typing slip away ("vitamn" -> vitamin).
`coverage` says how much of a query the best chunk explains; the retriever uses it to decide
whether anything relevant was found.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from assistant.text.tokens import QueryTerms, Vocabulary, correct_slip


@dataclass(frozen=True)
class LexicalHit:
    index: int  # position of the chunk in the texts the index was built from
    score: float


class BM25Index:
    """BM25 over the index texts of all chunks (built in milliseconds for a few thousand)."""

    def __init__(self, texts: Sequence[str], vocabulary: Vocabulary | None = None) -> None:
        self.words = vocabulary or Vocabulary()
        self._docs = [self.words.tokenize(t) for t in texts]
        self._doc_sets = [frozenset(d) for d in self._docs]
        frequencies = Counter(token for d in self._doc_sets for token in d)
        n = max(len(self._docs), 1)
        # Lucene IDF; an unknown word weighs as much as the rarest possible one.
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequencies.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)
        self._vocabulary = frozenset(frequencies)
        self._bm25: bm25s.BM25 | None = None
        if any(self._docs):
            self._bm25 = bm25s.BM25()
            # bm25s accepts pre-tokenized text; an empty doc is given one placeholder token.
            self._bm25.index([d or ["\u2205"] for d in self._docs], show_progress=False)

    def __len__(self) -> int:
        return len(self._docs)

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
        return correct_slip(token, self._vocabulary, lambda w: self._idf[w])

    def search(
        self, terms: QueryTerms, n: int, allowed: np.ndarray | None = None
    ) -> list[LexicalHit]:
        """Top-n chunks with a positive score; `allowed` is a 0/1 mask of searchable chunks."""
        known = [t for group in terms for t in group if t in self._vocabulary]
        if self._bm25 is None or not known or n <= 0:
            return []
        k = min(n, len(self._docs))
        mask = None if allowed is None else allowed.astype(np.float32)
        indices, scores = self._bm25.retrieve(
            [list(dict.fromkeys(known))], k=k, show_progress=False, weight_mask=mask
        )
        return [
            LexicalHit(int(i), float(s))
            for i, s in zip(indices[0], scores[0], strict=True)
            if s > 0  # bm25s fills missing ranks with arbitrary score-0 documents
        ]

    def coverage(self, terms: QueryTerms, index: int) -> float:
        """IDF-weighted share of the query's words found (as written or expanded) in a chunk."""
        if not terms:
            return 0.0
        doc = self._doc_sets[index]
        weights = [self._idf.get(group[0], self._unknown_idf) for group in terms]
        found = [w for w, group in zip(weights, terms, strict=True) if any(t in doc for t in group)]
        total = sum(weights)
        return sum(found) / total if total else 0.0
