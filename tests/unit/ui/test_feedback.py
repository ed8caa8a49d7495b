"""The local feedback store: each rating kept with the answer it rates."""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.app.feedback import (
    FeedbackStore,
    RatedAnswer,
    feedback_path,
    rating_from_like,
)
from assistant.config import get_settings
from assistant.schema import AnswerResult


def test_rated_answer_keeps_question_answer_and_cited_documents_in_citation_order(
    cited_answer: AnswerResult,
) -> None:
    rated = RatedAnswer.from_result("What threshold?", "patient", cited_answer)

    assert rated.question == "What threshold?"
    assert rated.answer == cited_answer.answer
    assert rated.doc_ids == ["bsh-cobalamin", "praxis-b12"]
    assert rated.audience == "patient"


def test_each_rating_is_one_json_line_with_time_question_answer_doc_ids_and_rating(
    tmp_path: Path, cited_answer: AnswerResult
) -> None:
    store = FeedbackStore(tmp_path / "nested" / "feedback.jsonl")
    rated = RatedAnswer.from_result("What threshold?", "clinician", cited_answer)
    before = datetime.now(UTC).replace(microsecond=0)

    store.record(rated, "like")
    store.record(rated, "dislike")

    lines = store.path.read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["question"] == "What threshold?"
    assert first["answer"] == cited_answer.answer
    assert first["doc_ids"] == ["bsh-cobalamin", "praxis-b12"]
    assert (first["rating"], second["rating"]) == ("like", "dislike")
    assert datetime.fromisoformat(first["time"]) >= before
    assert [r.rating for r in store.read_all()] == ["like", "dislike"]


def test_concurrent_ratings_never_interleave_lines(
    tmp_path: Path, cited_answer: AnswerResult
) -> None:
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    long_answer = cited_answer.model_copy(update={"answer": "x" * 20_000})
    rated = RatedAnswer.from_result("q", "clinician", long_answer)

    threads = [
        threading.Thread(target=lambda: [store.record(rated, "like") for _ in range(20)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records = store.read_all()
    assert len(records) == 80
    assert all(record.answer == long_answer.answer for record in records)


def test_reading_a_store_that_was_never_written_gives_no_records(tmp_path: Path) -> None:
    assert FeedbackStore(tmp_path / "none.jsonl").read_all() == []


@pytest.mark.parametrize(("liked", "rating"), [(True, "like"), (False, "dislike"), ("", "cleared")])
def test_gradio_like_values_map_to_ratings(liked: bool | str, rating: str) -> None:
    assert rating_from_like(liked) == rating


def test_feedback_file_lives_in_the_data_folder() -> None:
    data_dir = Path(os.environ["ASSISTANT_DATA_DIR"])

    assert feedback_path(get_settings()) == data_dir / "feedback.jsonl"
