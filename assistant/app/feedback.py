"""Local like/dislike feedback: each rating stored with the answer it rates.

One JSON object a line in `settings.data_dir / "feedback.jsonl"`, appended under a lock and an
flock so concurrent sessions never interleave lines. Written like the audit log (assistant.audit):
a whole line or nothing, fsynced; the file 0600 and its folder 0700, symbolic links refused; bad
lines reported and skipped when reading. A rating that cannot be written raises FeedbackError
(the app shows its message) and is kept in memory, to be written before the next rating.
Nothing leaves the machine.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.audit import LogReading, append_record, open_private, scan_records
from assistant.config import Settings
from assistant.schema import AnswerResult, Audience

Rating = Literal["like", "dislike", "cleared"]

FEEDBACK_FILE = "feedback.jsonl"
logger = logging.getLogger(__name__)


class FeedbackError(Exception):
    """A rating could not be saved; the message names the file and the reason."""


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
    # Why a dislike: optional, asked after the click; a later record for the same answer (with
    # its reason) supersedes the earlier one.
    reason: str = ""


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
        self._unsaved: list[FeedbackRecord] = []  # ratings a failed write could not store yet

    def record(self, rated: RatedAnswer, rating: Rating, reason: str = "") -> FeedbackRecord:
        """Store a rating (and any kept from a failed write before it); FeedbackError if it
        cannot be written, the rating then kept for the next attempt."""
        entry = FeedbackRecord(
            **rated.model_dump(),
            time=datetime.now(UTC).replace(microsecond=0),
            rating=rating,
            reason=reason,
        )
        with self._lock:
            self._unsaved.append(entry)
            try:
                self._flush()
            except FeedbackError as exc:
                waiting = len(self._unsaved)
                also = f" ({waiting} ratings are waiting)" if waiting > 1 else ""
                raise FeedbackError(
                    f"{exc}; the rating is kept and will be saved with the next one{also}"
                ) from exc
        return entry

    def _flush(self) -> None:
        """Write every waiting rating, oldest first; those not written stay waiting."""
        what = "the feedback file"
        fd = open_private(self.path, FeedbackError, what, private_folder=True)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            while self._unsaved:
                line = (self._unsaved[0].model_dump_json() + "\n").encode("utf-8")
                append_record(fd, line, self.path, FeedbackError, what)
                self._unsaved.pop(0)
        except OSError as exc:
            raise FeedbackError(f"cannot write {what} {self.path}: {exc}") from exc
        finally:
            os.close(fd)

    @property
    def unsaved(self) -> int:
        """Ratings kept in memory after a failed write."""
        return len(self._unsaved)

    def read_all(self) -> list[FeedbackRecord]:
        """Every readable rating; a bad line is logged with its number and skipped."""
        reading = self.scan()
        for problem in reading.problems:
            logger.warning("%s", problem)
        return reading.entries

    def scan(self) -> LogReading[FeedbackRecord]:
        return scan_records(self.path, FeedbackRecord)
