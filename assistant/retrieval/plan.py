"""The queries to run for one resolved question: the question itself, plus topic queries."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion
from assistant.text.sentences import strip_values
from assistant.text.tokens import word_set


@dataclass(frozen=True)
class SearchPlan:
    """The queries to run: the question itself first, then one per topic for broad questions."""

    main: str
    topic_queries: tuple[tuple[str, str], ...]  # (topic key, query)


_GENERIC = word_set(
    "recommended recommend recommendation best right correct appropriate optimal ideal good "
    "guideline guidelines guidance current"
)


def plan_search(resolved: ResolvedQuestion, language: DomainLanguage) -> SearchPlan:
    """Extra topic queries so every section of the answer has evidence.

    A broad question gets one per topic; a question on one topic gets one for that topic (the
    main query alone tends to return a single passage per source); a follow-up gets none, as
    its carried-over context already widens the main query.
    """
    main = resolved.search_text
    if resolved.is_followup:
        return SearchPlan(main=main, topic_queries=())
    if language.is_broad(resolved.question):
        keys = [section.key for section in language.sections]
    else:
        keys = language.topics_of(resolved.question)[:1]
    if not keys:
        return SearchPlan(main=main, topic_queries=())
    core_words = [
        word
        for word in language.vocabulary.content_words(strip_values(resolved.question))
        if word not in _GENERIC and not language.is_section_word(word)
    ]
    core = " ".join(dict.fromkeys(core_words)) or language.domain.default_query
    queries = []
    for key in keys:
        section = language.section(key)
        if section is not None:
            queries.append((key, f"{core} {section.focus_query}".strip()))
    return SearchPlan(main=main, topic_queries=tuple(queries))
