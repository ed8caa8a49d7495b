"""What an answer says and in what order: the lead, the sections, what waits under "More detail".

A clinician reads the answer in 30 seconds: the direct answer first, from the most
authoritative source that answers the question; then only sections that carry new information,
within a word budget; nothing twice. Statements about another test than the one asked, about
a test whose result the message already gives, or repeating what is shown are left out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.answer.statements import Statement, is_quotable

# A statement "answers" when it is this close to the most relevant one (then authority decides).
LEAD_MARGIN = 0.06
# Below this relevance nothing answers the question: the corpus does not cover it. Calibrated
# on the evaluation's development split (`python -m scripts.calibrate`): the middle of the gap
# between the refusals it decides and the answers.
ANSWER_FLOOR = 0.47
# At least this relevant, a statement answers even beside a part the corpus does not cover
# (calibrated the same way on the partial-coverage and near-domain cases).
STRONG_ANSWER = 0.585
# Sections hold statements at least this relevant, relative to the best one.
SECTION_SHARE = 0.62
# A section on an aspect the question did not ask about, or in a follow-up, must come closer to
# the best statement ("What level confirms deficiency?" does not need a monitoring section).
OFF_ASPECT_SHARE = 0.8
_CONTINUES = 0.05
BUDGET_WORDS = 170  # direct answer, gaps and sections; the rest goes under "More detail"
DIRECT_WORDS = 75
_SHORT_LEAD_WORDS = 20
MAX_SECTIONS = 3
PER_SECTION = 2
MAX_MORE = 6
_DEFINES_BONUS = 0.15  # "What is X?": the statement that defines X
_ON_ASPECT = 0.08  # a statement on the aspect the question asks about (its threshold, its dose)
# A source at least this authoritative is a guideline: when the best answers come from AI-written
# or unreviewed pages, a guideline that answers the same point leads instead.
GUIDELINE_AUTHORITY = 0.7

# Words that recommend a test ("consider a methylmalonic acid test"): such a statement is not
# worth showing when the test it recommends (named right after) already has a result.
_SUGGESTS_TEST = re.compile(
    r"\b(?:consider\w*|measur\w*|check\w*|request\w*|send\w*|order\w*|repeat\w*|test for|"
    r"next step is|second-line marker is|follow(?:ed|ing)? \w+(?: \w+){0,4} with)\b",
    re.IGNORECASE,
)
_WARNING = re.compile(
    r"\b(?:never|must not|should not|do not|warns?|avoid\w*|contraindicat\w*)\b", re.IGNORECASE
)
_SUGGESTED_SPAN = 60  # characters after the recommending words where the test is named
_DEFINITION_QUESTION = re.compile(
    r"^(?:what\s+(?:is|are)|define|definition\s+of)\s+(?:an?\s+|the\s+)?"
    r"(?P<term>[^?]{3,60}?)\s*\??$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Question:
    """What the selection needs to know about the question."""

    text: str
    tests: frozenset[str]  # lab tests the question names (rules-file keys)
    aspects: tuple[str, ...]  # section keys the question asks about
    given: frozenset[str] = frozenset()  # tests whose results the conversation gives
    qualifiers: frozenset[str] = frozenset()  # section keys of population words (never off-aspect)
    followup: bool = False  # continues an earlier turn's topic ("what about in pregnancy?")
    beside_results: bool = False  # the lab tool's interpretation of results is shown too
    populations: frozenset[str] = frozenset()  # the qualifier sections the conversation names
    names_tests: Callable[[str], frozenset[str]] = lambda _text: frozenset()


@dataclass
class Plan:
    direct: list[Statement] = field(default_factory=list)
    sections: list[tuple[str, list[Statement]]] = field(default_factory=list)
    more: list[tuple[str, list[Statement]]] = field(default_factory=list)

    def shown(self) -> list[Statement]:
        return [*self.direct, *(s for _, group in self.sections for s in group)]


def best_relevance(statements: Sequence[Statement]) -> float:
    return max((s.relevance for s in statements if is_quotable(s.passage)), default=0.0)


def plan_answer(
    statements: Sequence[Statement],
    question: Question,
    *,
    lead: bool = True,
    reserved: Sequence[Statement] = (),
    budget: int = BUDGET_WORDS,
) -> Plan:
    """The statements to show: a direct answer, then sections by topic, within the word budget;
    `reserved` statements are shown elsewhere (not repeated). `lead=False`: the lab tool's
    interpretation is the direct answer; only a statement about that very result joins it."""
    usable = [s for s in statements if is_quotable(s.passage) and _worth_showing(s, question)]
    defines = _defined_term(question.text)
    ranked = sorted(usable, key=lambda s: (-_relevance(s, question, defines), s.rank, s.order))
    plan = Plan()
    shown: list[Statement] = list(reserved)
    used = sum(s.words for s in reserved)
    if ranked and (lead or any(s.applies for s in ranked)):
        # Beside a result that is its own answer, only guidance on that very result leads.
        pool = ranked if lead else [s for s in ranked if s.applies]
        plan.direct = _direct(pool, question, defines)
        shown.extend(plan.direct)
        used += sum(s.words for s in plan.direct)
    best = _relevance(ranked[0], question, defines) if ranked else 0.0
    by_topic: dict[str, list[Statement]] = defaultdict(list)
    for statement in ranked:
        relevance = _relevance(statement, question, defines)
        if relevance < SECTION_SHARE * best:
            break
        if not statement.complete or statement.topic is None:
            continue
        # Beside lab results (which the tool answers), only guidance that clearly bears on them.
        if question.beside_results and relevance < STRONG_ANSWER:
            continue
        # In a follow-up, the earlier topic alone ("3 months in adults" after "what about in
        # pregnancy?") does not make a section: only what comes close to this turn's answer.
        strict = question.followup or _off_aspect(statement.topic, question)
        if strict and relevance < OFF_ASPECT_SHARE * best:
            continue
        by_topic[statement.topic].append(statement)
    more: list[tuple[str, list[Statement]]] = []
    taken = list(shown)  # everything placed so far, shown or under "More detail"
    for topic, group in by_topic.items():  # most relevant section first
        picked: list[Statement] = []
        for statement in sorted(group, key=lambda s: (-_section_rank(s, plan.direct), s.order)):
            if any(statement.same_point(other) for other in taken):
                continue
            picked.append(statement)
            taken.append(statement)
        if not picked:
            continue
        fits = picked[:PER_SECTION]
        cost = sum(s.words for s in fits)
        if len(plan.sections) < MAX_SECTIONS and used + cost <= budget:
            plan.sections.append((topic, fits))
            shown.extend(fits)
            used += cost
            rest = picked[PER_SECTION:]
        else:
            rest = picked
        if rest:
            more.append((topic, rest))
    plan.more = _capped(more, MAX_MORE)
    return plan


def answers_question(statements: Sequence[Statement]) -> bool:
    """Does any statement answer the question well enough to be its answer?"""
    return best_relevance(statements) >= ANSWER_FLOOR


def _direct(
    ranked: list[Statement], question: Question, defines: re.Pattern[str] | None
) -> list[Statement]:
    """The most authoritative statement among those that answer, then at most one more from
    another source that adds to it, within the direct answer's words.

    When the statements that answer best come from AI-written or unreviewed pages, a guideline
    statement on the same point (the same section) that still answers leads instead.
    """
    eligible = [s for s in ranked if s.complete]
    if not eligible:
        return []
    top = eligible[0]
    best = _relevance(top, question, defines)
    answering = [s for s in eligible if _relevance(s, question, defines) >= best - LEAD_MARGIN]
    preferred = [s for s in answering if not _set_aside(s, question)]
    if preferred:
        answering = preferred
    else:
        # Only AI-written or unreviewed pages, or statements for a population the question
        # does not name ("in critically ill adults"), answer best: a vetted statement for
        # everyone on the same point (the same section) that still answers leads instead.
        unvetted = all(_unvetted(s) for s in answering)
        alternatives = [
            s
            for s in eligible
            if not _set_aside(s, question)
            and s.topic == top.topic
            and _relevance(s, question, defines) >= ANSWER_FLOOR
            and (s.authority >= GUIDELINE_AUTHORITY or not unvetted)
        ]
        answering = alternatives or answering
    lead = max(answering, key=lambda s: (s.authority, _relevance(s, question, defines)))
    direct = [lead]
    # A short lead comes with the neighbouring statement of its passage when that one is
    # relevant too ("A B12 persistently above ... is associated with ... A high B12 is not
    # simply reassuring.").
    neighbours = [
        s
        for s in eligible
        if s.passage.chunk_id == lead.passage.chunk_id
        and s.order == lead.order + 1  # the answer first; the next sentence qualifies it
        and _relevance(s, question, defines) >= SECTION_SHARE * best
    ]
    if neighbours and lead.words < _SHORT_LEAD_WORDS:
        return [lead, neighbours[0]]
    # A warning of the lead's own section that bears on the question travels with it ("folic
    # acid should never be given alone" beside "both may be given at first").
    warnings = [
        s
        for s in eligible
        if s.passage.chunk_id == lead.passage.chunk_id
        and s is not lead
        and _WARNING.search(s.text)
        and _relevance(s, question, defines) >= SECTION_SHARE * best
        and lead.words + s.words <= DIRECT_WORDS
    ]
    if warnings and not _WARNING.search(lead.text):
        return [lead, warnings[0]]
    for statement in answering:
        if statement is lead or statement.doc_id == lead.doc_id or statement.same_point(lead):
            continue
        if not statement.subjects <= lead.subjects | question.tests:
            continue  # a second answer about another test answers another question
        if statement.authority < 0.4 or lead.words + statement.words > DIRECT_WORDS:
            continue
        if lead.topic in question.aspects and statement.topic not in question.aspects:
            continue
        direct.append(statement)
        break
    return direct


def _section_rank(statement: Statement, direct: Sequence[Statement]) -> float:
    """Within a section: relevant and authoritative first; a statement of the direct answer's
    own passage continues it (the other bands of the same table)."""
    continues = any(statement.passage.chunk_id == s.passage.chunk_id for s in direct)
    return statement.relevance + statement.authority + (_CONTINUES if continues else 0.0)


def _off_aspect(topic: str, question: Question) -> bool:
    return (
        bool(question.aspects)
        and topic not in question.aspects
        and topic not in question.qualifiers
    )


def _set_aside(statement: Statement, question: Question) -> bool:
    """Not to lead while something else answers: unvetted, or for another population."""
    return _unvetted(statement) or not statement.qualifiers <= question.populations


def _unvetted(statement: Statement) -> bool:
    """From an AI-written summary, or a document nobody has reviewed yet."""
    doc = statement.passage.doc
    return doc.kind == "ai_generated_summary" or doc.review_status == "submitted"


def _relevance(statement: Statement, question: Question, defines: re.Pattern[str] | None) -> float:
    relevance = statement.relevance
    if defines is not None and defines.search(statement.text):
        relevance += _DEFINES_BONUS
    if statement.topic is not None and statement.topic in question.aspects:
        relevance += _ON_ASPECT
    return relevance


def _worth_showing(statement: Statement, question: Question) -> bool:
    """Not about another test than the one asked; not recommending a test whose result the
    conversation already gives."""
    if question.tests and statement.subjects and not statement.subjects & question.tests:
        return False
    if not question.given:
        return True
    for match in _SUGGESTS_TEST.finditer(statement.text):
        span = statement.text[match.end() : match.end() + _SUGGESTED_SPAN]
        if question.names_tests(span) & question.given:
            return False
    return True


def _defined_term(question: str) -> re.Pattern[str] | None:
    """For "What is X?" / "Define X": a pattern for a statement that defines X ("X is ...")."""
    match = _DEFINITION_QUESTION.match(question.strip())
    if match is None:
        return None
    term = r"\s+".join(re.escape(word) for word in match.group("term").split())
    return re.compile(rf"\b{term}\s+(?:is|are|means|refers to)\b", re.IGNORECASE)


def _capped(
    groups: list[tuple[str, list[Statement]]], limit: int
) -> list[tuple[str, list[Statement]]]:
    capped: list[tuple[str, list[Statement]]] = []
    left = limit
    for topic, group in groups:
        if left <= 0:
            break
        capped.append((topic, group[:left]))
        left -= len(capped[-1][1])
    return capped
