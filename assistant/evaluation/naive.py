"""The naive baseline: what retrieval alone would say.

Same corpus and the same index, dense top-k retrieval, the best passage returned as the answer
with one citation. No lab tool, no guard, no abstention. Scoring it with the same metrics
measures what each part of the real pipeline adds.
"""

from __future__ import annotations

from typing import Protocol

from assistant.answer.references import citation_for
from assistant.schema import AnswerResult, Audience, Passage


class DenseSearcher(Protocol):
    def dense_search(self, query: str, k: int) -> list[Passage]: ...


class NaiveBaseline:
    def __init__(self, searcher: DenseSearcher, k: int) -> None:
        self._searcher = searcher
        self._k = k

    def retrieve(self, query: str, k: int) -> list[Passage]:
        return self._searcher.dense_search(query, k)

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult:
        # History and audience are ignored on purpose: the baseline has no follow-up handling
        # and no patient wording.
        passages = self.retrieve(question, self._k)
        if not passages:
            return AnswerResult(answer="", backend="naive")
        best = passages[0]
        text = f"{best.text} [1]"
        return AnswerResult(
            answer=text, direct=text, citations=[citation_for(1, best)], backend="naive"
        )
