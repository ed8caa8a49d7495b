"""The optional judge tier, with a scripted chat model: scoring, interval, failures recorded."""

from __future__ import annotations

from langchain_core.language_models import FakeListChatModel

from assistant.config import LLMSettings
from assistant.evaluation.cases import RubricItem
from assistant.evaluation.judge import bootstrap_ci, judge_answers, rubric_score, run_judge
from tests.unit.evaluation.builders import case

RUBRIC = [
    {"criterion": "States the 180 ng/L cut-off", "points": 5},
    {"criterion": "Suggests MMA", "points": 5},
    {"criterion": "Invents a dose", "points": -5},
]


def test_rubric_score_is_points_met_over_positive_points_clipped() -> None:
    items = [RubricItem.model_validate(r) for r in RUBRIC]

    assert rubric_score(items, [True, False, False]) == 0.5
    assert rubric_score(items, [True, True, True]) == 0.5
    assert rubric_score(items, [False, False, True]) == 0.0


def test_the_judge_grades_each_criterion_with_the_model() -> None:
    model = FakeListChatModel(responses=["yes", "No, it does not.", "no"])
    c = case(rubric=RUBRIC)

    summary = judge_answers(model, "fake", [c, case(id="no-rubric")], {"c1": "x", "no-rubric": "y"})

    assert summary.cases == 1
    assert summary.grades[0].score == 0.5
    assert summary.grades[0].met == ["States the 180 ng/L cut-off"]
    assert summary.mean == 0.5


def test_a_failing_model_is_recorded_not_raised() -> None:
    model = FakeListChatModel(responses=[])  # raises on the first call

    summary = judge_answers(model, "fake", [case(rubric=RUBRIC)], {"c1": "x"})

    assert summary.cases == 0
    assert summary.errors[0].startswith("c1: ")


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible() -> None:
    values = [0.0, 0.5, 1.0, 1.0]

    low, high = bootstrap_ci(values)

    assert low <= sum(values) / len(values) <= high
    assert bootstrap_ci(values) == (low, high)


def test_without_a_configured_model_there_is_no_judge_tier() -> None:
    assert run_judge(LLMSettings(), [case(rubric=RUBRIC)], {"c1": "x"}) is None


def test_an_unreachable_configured_model_is_reported_not_raised() -> None:
    # A closed local port: the call fails, the judge tier says so, the run goes on.
    settings = LLMSettings(
        provider="openai", model="judge", base_url="http://127.0.0.1:9/v1", timeout_s=2
    )

    summary = run_judge(settings, [case(rubric=RUBRIC)], {"c1": "x"})

    assert summary is not None
    assert summary["cases"] == 0
    assert summary["errors"][0].startswith("c1: ")
