"""Suggested next questions: the answer's own first, then the pack's examples, never a repeat."""

from __future__ import annotations

from assistant.app.suggestions import MAX_SUGGESTIONS, suggested_questions
from assistant.schema import AnswerResult, AnswerSection

EXAMPLES = ["What confirms deficiency?", "How is it treated?", "When to refer?", "What is MMA?"]


def test_the_answers_own_suggestions_come_first_then_examples_not_yet_asked() -> None:
    result = AnswerResult(answer="a", followups=["And in pregnancy?", "How is it treated?"])

    shown = suggested_questions(result, ["What confirms deficiency?"], EXAMPLES)

    assert shown[:2] == ["And in pregnancy?", "How is it treated?"]
    assert "What confirms deficiency?" not in shown
    assert len(shown) == MAX_SUGGESTIONS == len(set(shown))


def test_questions_already_asked_are_not_suggested_whatever_their_case_or_spacing() -> None:
    shown = suggested_questions(None, ["what  CONFIRMS deficiency", "when to refer?"], EXAMPLES)

    assert shown == ["How is it treated?", "What is MMA?"]


def test_collapsed_topics_fill_in_when_examples_run_out() -> None:
    result = AnswerResult(
        answer="a",
        more_detail=[
            AnswerSection(heading="Treatment", markdown="x"),
            AnswerSection(heading="NICE advice", markdown="y"),
        ],
    )

    shown = suggested_questions(result, EXAMPLES, EXAMPLES)

    assert shown == [
        "What do the guidelines say about treatment?",
        "What do the guidelines say about NICE advice?",
    ]


def test_at_least_three_suggestions_after_a_first_question_in_a_pack_with_examples() -> None:
    assert len(suggested_questions(AnswerResult(answer="a"), [EXAMPLES[0]], EXAMPLES)) >= 3
