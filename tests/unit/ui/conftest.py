"""Fakes for the UI unit tests: answers built here, no model, no index, no server."""

from __future__ import annotations

import pytest

from assistant.schema import AnswerResult, Citation
from tests.fakes.assistant import FakeAssistant

__all__ = ["FakeAssistant", "make_citation"]


def make_citation(n: int, doc_id: str, **overrides: object) -> Citation:
    values: dict[str, object] = {
        "n": n,
        "doc_id": doc_id,
        "title": f"Guideline {doc_id}",
        "source_type": "Guideline",
        "year": 2020 + n,
        "section": f"Diagnosis > Part {n}",
        "text": f"Passage {n} of {doc_id}: serum B12 below 180 ng/L indicates deficiency.",
        "publisher": f"Society {n}",
        "review_status": "approved",
        "last_reviewed": f"2025-0{n}-15",
    }
    values.update(overrides)
    return Citation.model_validate(values)


@pytest.fixture
def cited_answer() -> AnswerResult:
    return AnswerResult(
        answer="Serum B12 below 180 ng/L confirms deficiency [1]. Measure MMA when unsure [2].",
        citations=[
            make_citation(2, "praxis-b12", review_status="under_review"),
            make_citation(1, "bsh-cobalamin"),
        ],
    )
