"""The queries to run for one resolved question: the question itself, plus topic queries."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.domain.topics import (
    TOPIC_BY_KEY,
    TOPICS,
    content_words,
    is_broad,
    strip_values,
    topics_of,
    word_set,
)
from assistant.question.followup import ResolvedQuestion


@dataclass(frozen=True)
class SearchPlan:
    """The queries to run: the question itself first, then one per topic for broad questions."""

    main: str
    topic_queries: tuple[tuple[str, str], ...]  # (topic key, query)


_GENERIC = word_set(
    "recommended recommend recommendation best right correct appropriate optimal ideal good "
    "guideline guidelines guidance current"
)


def plan_search(resolved: ResolvedQuestion) -> SearchPlan:
    """Extra topic queries so every section of the answer has evidence.

    A broad question gets one per topic; a question on one topic gets one for that topic (the
    main query alone tends to return a single passage per source); a follow-up gets none, as
    its carried-over context already widens the main query.
    """
    main = resolved.search_text
    if resolved.is_followup:
        return SearchPlan(main=main, topic_queries=())
    if is_broad(resolved.question):
        keys = [topic.key for topic in TOPICS]
    else:
        keys = topics_of(resolved.question)[:1]
    if not keys:
        return SearchPlan(main=main, topic_queries=())
    core_words = [
        word
        for word in content_words(strip_values(resolved.question))
        if word not in _GENERIC and not any(topic.pattern.fullmatch(word) for topic in TOPICS)
    ]
    core = " ".join(dict.fromkeys(core_words)) or "vitamin B12 deficiency"
    return SearchPlan(
        main=main,
        topic_queries=tuple((key, f"{core} {TOPIC_BY_KEY[key].focus_query}") for key in keys),
    )
