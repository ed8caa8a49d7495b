"""Suggested next questions after an answer: at least three, clickable, never a repeat.

First the answer's own suggestions (the answer engine derives them from the evidence it did not
show), then the pack's example questions not yet asked, then questions about the answer's
collapsed "More detail" topics. Deterministic: the same conversation gets the same suggestions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistant.schema import AnswerResult

MAX_SUGGESTIONS = 4


def _key(question: str) -> str:
    return " ".join(question.lower().split()).rstrip("?")


def suggested_questions(
    result: AnswerResult | None,
    asked: Iterable[str],
    examples: Sequence[str],
    limit: int = MAX_SUGGESTIONS,
) -> list[str]:
    """Up to `limit` questions, none already asked, best first."""
    seen = {_key(question) for question in asked}
    chosen: list[str] = []
    candidates: list[str] = []
    if result is not None:
        candidates.extend(result.followups)
    candidates.extend(examples)
    if result is not None:
        candidates.extend(
            f"What do the guidelines say about {_in_sentence(s.heading.strip())}?"
            for s in result.more_detail
            if s.heading.strip()
        )
    for question in candidates:
        key = _key(question)
        if question.strip() and key not in seen:
            seen.add(key)
            chosen.append(question.strip())
        if len(chosen) == limit:
            break
    return chosen


def _in_sentence(heading: str) -> str:
    """ "Treatment" -> "treatment"; "NICE advice" keeps its capitals."""
    return heading[0].lower() + heading[1:] if heading[1:2].islower() else heading
