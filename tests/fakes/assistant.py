"""A stand-in for the chat core in the app's unit tests: scripted answers, no model, no index."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.schema import AnswerResult, Audience

Call = tuple[str, list[dict[str, str]] | None, Audience]


@dataclass
class FakeAssistant:
    """Returns a scripted answer (streamed as `partials` first, if any) and records each call."""

    result: AnswerResult
    error: Exception | None = None
    partials: list[AnswerResult] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult:
        *_, last = self.ask_stream(question, history, audience)
        return last

    def ask_stream(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        audience: Audience = "clinician",
    ) -> Iterator[AnswerResult]:
        plain = [{"role": str(m["role"]), "content": str(m["content"])} for m in history or []]
        self.calls.append((question, plain or None, audience))
        if self.error is not None:
            raise self.error
        yield from self.partials
        yield self.result
