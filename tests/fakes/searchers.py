"""Searchers that stand in for the hybrid search in unit tests of the chat core."""

from __future__ import annotations

from assistant.schema import Passage
from assistant.text.tokens import Vocabulary

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
