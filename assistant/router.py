"""Decide what a message needs: the lab tool, retrieval, or both; and neutralise rule changes.

Lab values always go to the lab tool, whatever else the message asks. A sentence that tries to
redefine cut-offs, rules or instructions is taken out of the message before anything else sees it,
so neither the lab tool nor retrieval nor a language model can act on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.followup import ResolvedQuestion
from assistant.sentences import split_sentences
from assistant.topics import (
    TOPIC_BY_KEY,
    TOPICS,
    content_words,
    is_broad,
    strip_values,
    topics_of,
    word_set,
)

_CUTOFF = r"(?:cut-?offs?|thresholds?|limits?|reference ranges?|bands?|boundar(?:y|ies))"
_INJECTION_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bfrom now on\b",
        r"\bhenceforth\b",
        r"\b(?:ignore|disregard|forget|override|overwrite|bypass)\b[^.?!]{0,60}"
        rf"\b(?:instructions?|rules?|guidelines?|{_CUTOFF}|prompts?|corpus|sources?|above"
        r"|previous|everything)\b",
        r"\b(?:set|change|update|redefine|replace|lower|raise|increase|decrease|adjust|modify"
        rf"|make)\b[^.?!]{{0,50}}\b{_CUTOFF}\b[^.?!]{{0,30}}?(?:\bto\b|=|\bas\b|\bat\b)",
        r"\b(?:set|change|update|redefine|replace|modify|rewrite|edit)\b[^.?!]{0,30}"
        r"\b(?:the |your |these |those )?(?:rules?|rules file|instructions?|system prompt)\b",
        rf"\b{_CUTOFF}\b[^.?!]{{0,40}}\b(?:is|are|should be|will be|becomes?)\s+now\b",
        rf"\bnew (?:[a-z0-9]+ ){{0,2}}(?:{_CUTOFF}|rules?|instructions?)\b",
        rf"\bassume\b[^.?!]{{0,40}}\b{_CUTOFF}\b",
        r"\b(?:you are now|act as|pretend|role-?play|system prompt|jailbreak|developer mode)\b",
    )
)

INJECTION_NOTICE = (
    "Cut-offs and rules come only from the cited rules file and the guideline corpus; they "
    "cannot be changed in chat, so the request to change them was ignored."
)

# Words that accompany lab values without asking a guideline question.
_LAB_WORDS = word_set(
    """b12 vitamin cobalamin mma methylmalonic acid holotc active holotranscobalamin folate
    serum plasma red cell rbc ferritin hb haemoglobin hgb mcv epo erythropoietin homocysteine
    interpret interpretation result results level levels value values patient pt lab labs
    blood bloods test tests tested showed show shows came back reading mean means meaning
    normal low high check male female man woman men women aged age year years old yo y weeks
    week months month pregnant pregnancy trimester crp inflammation ibd flare his her their
    got get had has have"""
)

# Words that only ask what a result means; the lab tool's interpretation answers them.
_ABOUT_THE_RESULT = word_set(
    """deficient deficiency deficiencies low lower high higher raised elevated normal abnormal
    ok okay fine bad good worry worried worrying concern concerning significant serious
    indeterminate borderline anaemic anemic anaemia anemia iron mean means meaning interpret
    interpretation range enough too right correct classify classified category"""
)


@dataclass(frozen=True)
class Injection:
    """The message split into what it asks and the sentences that tried to change the rules."""

    clean_text: str
    attempts: tuple[str, ...]

    @property
    def detected(self) -> bool:
        return bool(self.attempts)


def find_injection(message: str) -> Injection:
    """Take out every sentence that tries to redefine cut-offs, rules or instructions."""
    kept: list[str] = []
    attempts: list[str] = []
    for sentence in split_sentences(message):
        if any(pattern.search(sentence) for pattern in _INJECTION_PATTERNS):
            attempts.append(sentence)
        else:
            kept.append(sentence)
    return Injection(clean_text=" ".join(kept), attempts=tuple(attempts))


def guideline_question(text: str, *, has_labs: bool) -> str | None:
    """The part of a message for retrieval, or None when it holds only lab values.

    Without lab values, the whole text is the question (retrieval decides whether the corpus
    covers it). With lab values, a question remains only if words beyond the values, analyte
    names and patient context are left ("B12 240 ng/L: oral or IM?").
    """
    if not has_labs:
        return text.strip() or None
    residual = strip_values(text)
    asking = [word for word in content_words(residual) if word not in _LAB_WORDS]
    if len(asking) >= 2 or ("?" in text and asking):
        return residual
    return None


def asks_only_about_result(question: str) -> bool:
    """Does a question beside lab values only ask what they mean ("Is B12 300 ng/L deficient?")?

    Then the lab tool's interpretation is the whole direct answer; a question with words beyond
    the result ("B12 240 ng/L: oral or IM?") also gets a direct answer from the corpus.
    """
    return all(
        word in _LAB_WORDS or word in _ABOUT_THE_RESULT
        for word in content_words(strip_values(question))
    )


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
