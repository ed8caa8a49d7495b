"""What an answer shows and in what order (select.plan_answer), on hand-made statements."""

from __future__ import annotations

import itertools
from decimal import Decimal

from assistant.answer.select import (
    ANSWER_FLOOR,
    BUDGET_WORDS,
    LEAD_MARGIN,
    Question,
    answers_question,
    plan_answer,
)
from assistant.answer.statements import Statement
from assistant.schema import DocumentKind, DocumentMeta, Passage, ReviewStatus
from assistant.text.sentences import number_values

_ORDER = itertools.count()


def _statement(
    text: str,
    relevance: float,
    *,
    doc: str = "nice",
    kind: DocumentKind = "national_guideline",
    status: ReviewStatus = "approved",
    authority: float = 0.95,
    topic: str = "thresholds",
    subjects: frozenset[str] = frozenset({"b12"}),
    qualifiers: frozenset[str] = frozenset(),
    chunk: str | None = None,
    order: int | None = None,
) -> Statement:
    meta = DocumentMeta(
        doc_id=doc, title=doc, source_type="Guideline", kind=kind, review_status=status
    )
    passage = Passage(chunk_id=chunk or f"{doc}:{text}", doc=meta, section="S", text=text)
    return Statement(
        id=f"{doc}-{next(_ORDER)}",
        text=text,
        shown=text,
        passage=passage,
        rank=0,
        order=next(_ORDER) if order is None else order,
        complete=True,
        topic=topic,
        subjects=subjects,
        stems=frozenset(word.lower().strip(".,()") for word in text.split()),
        numbers=frozenset(Decimal(n) for n in number_values(text)),
        authority=authority,
        similarity=relevance,
        overlap=0.0,
        relevance=relevance,
        qualifiers=qualifiers,
    )


ASKED = Question(text="What B12 level confirms deficiency?", tests=frozenset({"b12"}), aspects=())


def test_nothing_answers_below_the_floor() -> None:
    below = _statement("Deficiency is rare in the young.", ANSWER_FLOOR - 0.01)
    assert not answers_question([below])
    assert answers_question([_statement("Deficiency is confirmed below 180 ng/L.", ANSWER_FLOOR)])


def test_the_most_authoritative_of_the_answering_statements_leads() -> None:
    review = _statement(
        "A review reports deficiency below 200 ng/L.", 0.80, doc="r", authority=0.55
    )
    guideline = _statement("Deficiency is confirmed below 180 ng/L.", 0.80 - LEAD_MARGIN / 2)
    plan = plan_answer([review, guideline], ASKED)
    assert plan.direct[0] is guideline


def test_a_much_better_answer_leads_whatever_its_source() -> None:
    review = _statement("A review reports deficiency below 200 ng/L.", 0.9, doc="r", authority=0.5)
    guideline = _statement("Deficiency is unlikely above 350 ng/L.", 0.6)
    assert plan_answer([review, guideline], ASKED).direct[0] is review


def test_an_ai_summary_never_leads_while_a_guideline_answers_the_same_point() -> None:
    ai = _statement(
        "The summary confirms deficiency below 180 ng/L.",
        0.9,
        doc="ai",
        kind="ai_generated_summary",
        authority=0.3,
    )
    guideline = _statement("Deficiency is confirmed below 180 ng/L (133 pmol/L).", 0.5)
    assert plan_answer([ai, guideline], ASKED).direct[0] is guideline


def test_a_statement_for_another_population_does_not_lead_a_general_question() -> None:
    icu = _statement(
        "B12 below 150 pmol/L indicates deficiency in critically ill adults.",
        0.85,
        doc="sfar",
        qualifiers=frozenset({"special"}),
    )
    general = _statement("Deficiency is confirmed below 180 ng/L.", 0.6)
    assert plan_answer([icu, general], ASKED).direct[0] is general
    in_icu = Question(
        text="What B12 level means deficiency in intensive care?",
        tests=frozenset({"b12"}),
        aspects=(),
        populations=frozenset({"special"}),
    )
    assert plan_answer([icu, general], in_icu).direct[0] is icu


def test_a_second_direct_statement_is_about_the_test_asked() -> None:
    lead = _statement("Deficiency is confirmed below 180 ng/L.", 0.8)
    other_test = _statement(
        "Active B12 below 25 pmol/L points to deficiency.",
        0.79,
        doc="h",
        subjects=frozenset({"b12", "holotc"}),
    )
    same_test = _statement("A serum B12 below 148 pmol/L is low.", 0.78, doc="nhg")
    direct = plan_answer([lead, other_test, same_test], ASKED).direct
    assert direct == [lead, same_test]


def test_a_short_lead_comes_with_the_next_statement_of_its_passage() -> None:
    lead = _statement("Deficiency is confirmed below 180 ng/L.", 0.8, chunk="t", order=1)
    after = _statement("It is indeterminate from 180 to 350 ng/L.", 0.6, chunk="t", order=2)
    before = _statement("The guideline uses three bands.", 0.7, chunk="t", order=0)
    assert plan_answer([lead, after, before], ASKED).direct == [lead, after]


def test_different_figures_are_different_points_however_alike_the_words() -> None:
    low = _statement("Under NICE, deficiency is confirmed below 180 ng/L.", 0.8)
    high = _statement("Under NICE, deficiency is unlikely above 350 ng/L.", 0.7)
    assert not low.same_point(high)
    restated = _statement("NICE confirms deficiency only below 180 ng/L.", 0.7, doc="bsh")
    assert low.same_point(restated)


def test_nothing_is_shown_twice() -> None:
    lead = _statement("Deficiency is confirmed below 180 ng/L (133 pmol/L).", 0.9)
    again = _statement("Deficiency is confirmed below 133 pmol/L.", 0.85, doc="bsh")
    plan = plan_answer([lead, again], ASKED)
    shown = plan.shown() + [s for _, group in plan.more for s in group]
    assert again not in shown


def test_what_is_shown_first_stays_within_the_word_budget() -> None:
    filler = " ".join(["word"] * 40)
    statements = [
        _statement(f"Point {n} of {n + 100} ng/L {filler}.", 0.8 - n / 100, topic=f"t{n % 3}")
        for n in range(12)
    ]
    plan = plan_answer(statements, ASKED)
    assert sum(s.words for s in plan.shown()) <= BUDGET_WORDS + 60  # the lead may exceed alone
    assert plan.more  # the rest waits under "More detail"


def test_a_section_on_another_aspect_needs_to_come_close_to_the_answer() -> None:
    asked = Question(
        text="What B12 level confirms deficiency?",
        tests=frozenset({"b12"}),
        aspects=("thresholds",),
    )
    lead = _statement("Deficiency is confirmed below 180 ng/L.", 0.8)
    monitoring = _statement("Review 3 months after starting.", 0.6, topic="monitoring")
    close = _statement("Recheck after 1 month in pregnancy.", 0.8, topic="monitoring")
    plan = plan_answer([lead, monitoring, close], asked)
    topics = [topic for topic, _ in plan.sections]
    shown = plan.shown()
    assert "monitoring" in topics
    assert close in shown
    assert monitoring not in shown


def test_a_statement_recommending_a_test_already_given_is_left_out() -> None:
    given = Question(
        text="B12 240 ng/L and MMA 450 nmol/L: what next?",
        tests=frozenset({"b12"}),
        aspects=(),
        given=frozenset({"mma"}),
        names_tests=lambda text: frozenset({"mma"}) if "methylmalonic" in text else frozenset(),
    )
    suggest = _statement("Consider a methylmalonic acid test when indeterminate.", 0.9)
    treat = _statement("Treat with oral B12 at 1 mg daily.", 0.7, topic="treatment")
    plan = plan_answer([suggest, treat], given)
    assert suggest not in plan.shown()
    assert plan.direct == [treat]
