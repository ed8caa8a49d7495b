"""Searchers that stand in for the hybrid search in unit tests of the chat core."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.schema import Passage
from assistant.text.tokens import Vocabulary
from tests.fakes.store import bag_of_words

_WORDS = Vocabulary()


class FakeSearcher:
    """Ranks passages by shared content words; empty when nothing shares at least two."""

    def __init__(self, passages: list[Passage], vocabulary: Vocabulary | None = None) -> None:
        self.passages = passages
        self.queries: list[str] = []
        self.words = vocabulary or _WORDS

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]:
        self.queries.append(query)
        wanted = self.words.content_stems(query)
        scored = []
        for index, passage in enumerate(self.passages):
            have = self.words.content_stems(f"{passage.doc.title} {passage.section} {passage.text}")
            overlap = len(wanted & have)
            if overlap >= 2:
                scored.append((-overlap, index, passage))
        return [passage for _, _, passage in sorted(scored)[: k or 5]]

    def indexed_passages(self) -> list[Passage]:
        return list(self.passages)

    # The composer compares statements with the question by meaning; here, by shared words.
    def question_vector(self, query: str) -> np.ndarray:
        return WordVectors().question(query)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return WordVectors().embed(texts)


class WordVectors:
    """The composer's `Vectors` by shared words (a hashed bag of words), for unit tests.

    Like a sentence-embedding model's vectors, any two share a common part: two texts on
    nothing in common still score `SHARED`, and shared words raise it towards 1.
    """

    SHARED = 0.25

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray([self._vector(text) for text in texts], dtype=np.float32)

    def question(self, text: str) -> np.ndarray:
        return np.asarray(self._vector(text), dtype=np.float32)

    def _vector(self, text: str) -> list[float]:
        scale = (1 - self.SHARED) ** 0.5
        return [self.SHARED**0.5, *(scale * value for value in bag_of_words(text))]
