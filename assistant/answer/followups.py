"""Suggested next questions: deterministic, from the evidence the answer did not show, then
from the pack's examples.

A section of the pack with a `followup` question is suggested when the retrieved evidence
touches it but the answer showed no section of it; the pack's examples fill the rest. Nothing
already asked in the conversation is suggested again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assistant.domain.language import DomainLanguage
from assistant.schema import Evidence

SUGGESTED = 3  # at least this many when the pack offers enough


def suggest_followups(
    evidence: Evidence | None,
    shown_headings: Iterable[str],
    asked: Sequence[str],
    language: DomainLanguage,
    *,
    count: int = SUGGESTED,
) -> list[str]:
    """Up to `count` next questions, most relevant first."""
    shown = {heading.strip().lower() for heading in shown_headings}
    already = {_normal(question) for question in asked}
    questions = {section.key: section.followup for section in language.domain.sections}
    suggestions: list[str] = []
    for topic in _topics_in_rank_order(evidence, language):
        question = questions.get(topic, "")
        if question and language.heading(topic).lower() not in shown:
            suggestions.append(question)
    suggestions.extend(language.domain.ui.examples)
    picked: list[str] = []
    for question in suggestions:
        if _normal(question) not in already and question not in picked:
            picked.append(question)
    return picked[:count]


def _topics_in_rank_order(evidence: Evidence | None, language: DomainLanguage) -> list[str]:
    """Section keys the evidence touches, in the order its best passage ranks."""
    if evidence is None:
        return []
    topics: list[str] = []
    for passage in sorted(evidence.passages, key=lambda p: -p.score):
        for key in language.topics_of(f"{passage.section} {passage.text}")[:1]:
            if key not in topics:
                topics.append(key)
    return topics


def _normal(question: str) -> str:
    return " ".join(question.lower().split()).rstrip("?.! ")
