"""The two systems an evaluation scores: the real assistant and the naive baseline.

The seams tests use to plant faults are the objects given here: an `answerer` (e.g. an
Assistant whose answers are altered after the guard) or a `searcher` (e.g. one that returns the
wrong document). An answerer can also be named by an import path (`module:factory`, a callable
taking the settings), so the same planted fault runs in the replay process as well.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from assistant.config import Settings
from assistant.evaluation.cases import EvalCase
from assistant.evaluation.naive import NaiveBaseline
from assistant.retrieval.search import Searcher as PipelineSearcher
from assistant.schema import AnswerResult, Audience, Passage


class Answerer(Protocol):
    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult: ...


class Searcher(PipelineSearcher, Protocol):
    """The retriever's interface as the harness uses it: the pipeline's, plus dense-only search
    for the naive baseline."""

    def dense_search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]: ...


@dataclass
class PipelineSystem:
    """The real assistant; retrieval is scored on the same searcher it answers from."""

    answerer: Answerer
    searcher: Searcher
    name: str = "assistant"

    def ask(self, case: EvalCase) -> AnswerResult:
        return self.answerer.ask(
            case.question, history=case.history or None, audience=case.audience
        )

    def retrieve(self, query: str, k: int) -> list[Passage]:
        return self.searcher.search(query, k)


@dataclass
class NaiveSystem:
    baseline: NaiveBaseline
    name: str = "naive"

    def ask(self, case: EvalCase) -> AnswerResult:
        return self.baseline.ask(case.question, audience=case.audience)

    def retrieve(self, query: str, k: int) -> list[Passage]:
        return self.baseline.retrieve(query, k)


def load_answerer(spec: str, settings: Settings) -> Answerer:
    """The answerer a `module:factory` import path builds from the settings."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"answerer {spec!r}: expected module:factory")
    factory = getattr(importlib.import_module(module_name), attribute)
    return cast(Callable[[Settings], Answerer], factory)(settings)


def default_searcher(settings: Settings) -> Searcher:
    """The index's searcher; builds the index only if it is missing or stale."""
    from assistant.index.build import ensure_index
    from assistant.retrieval.hybrid import get_searcher

    ensure_index(settings)
    searcher: Searcher = get_searcher(settings)
    return searcher


def default_answerer(settings: Settings, searcher: Searcher) -> Answerer:
    from assistant.pipeline import Assistant

    # The assistant answers from the same searcher its retrieval is scored on.
    return Assistant(settings, searcher=searcher)
