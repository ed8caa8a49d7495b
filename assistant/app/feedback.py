"""Local like/dislike feedback: each rating stored with the answer it rates.

One JSON object a line in `settings.data_dir / "feedback.jsonl"`, appended under a lock
so concurrent sessions never interleave lines. Nothing leaves the machine.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.schema import AnswerResult, Audience

Rating = Literal["like", "dislike", "cleared"]

FEEDBACK_FILE = "feedback.jsonl"


class RatedAnswer(BaseModel):
    """What a rating refers to: kept per chat session until the user rates it."""

    question: str
    answer: str
    doc_ids: list[str] = Field(default_factory=list)
    audience: Audience = "clinician"
    backend: str = ""
    refused: bool = False

    @classmethod
    def from_result(cls, question: str, audience: Audience, result: AnswerResult) -> RatedAnswer:
        doc_ids = list(dict.fromkeys(c.doc_id for c in sorted(result.citations, key=lambda c: c.n)))
        return cls(
            question=question,
            answer=result.answer,
            doc_ids=doc_ids,
            audience=audience,
            backend=result.backend,
            refused=result.refused,
        )


class FeedbackRecord(RatedAnswer):
    time: datetime
    rating: Rating


def rating_from_like(liked: bool | str) -> Rating:
    """Gradio sends True / False, or "" when the user clicks the same button again."""
    if liked is True:
        return "like"
    if liked is False:
        return "dislike"
    return "cleared"


def feedback_path(settings: Settings) -> Path:
    return settings.data_dir / FEEDBACK_FILE


class FeedbackStore:
    """Append-only JSONL store; one instance per file, shared by all sessions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, rated: RatedAnswer, rating: Rating) -> FeedbackRecord:
        entry = FeedbackRecord(
            **rated.model_dump(), time=datetime.now(UTC).replace(microsecond=0), rating=rating
        )
        line = entry.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return entry

    def read_all(self) -> list[FeedbackRecord]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [FeedbackRecord.model_validate_json(line) for line in handle if line.strip()]
