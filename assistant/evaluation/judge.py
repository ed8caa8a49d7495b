"""Optional judge tier: HealthBench-style rubric grading by a configured chat model.

Reported, never gating: a judge is a language model, so its scores are not reproducible the
way the deterministic metrics are. A case scores the points of the criteria met over its
total positive points, clipped to 0..1; the run reports the mean with a bootstrap interval.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from assistant.config import LLMSettings
from assistant.evaluation.cases import EvalCase, RubricItem

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

JUDGE_INSTRUCTIONS = (
    "You grade one answer of a clinical guideline assistant against one rubric criterion. "
    "Reply with exactly one word: yes if the answer meets the criterion, no otherwise."
)


class CaseGrade(BaseModel):
    case_id: str
    score: float
    met: list[str]
    not_met: list[str]


class JudgeSummary(BaseModel):
    model: str
    cases: int
    mean: float
    ci95: tuple[float, float]
    grades: list[CaseGrade]
    errors: list[str]


def rubric_score(items: Sequence[RubricItem], met: Sequence[bool]) -> float:
    """HealthBench: points of the criteria met over the positive points, clipped to 0..1."""
    possible = sum(item.points for item in items if item.points > 0)
    if possible == 0:
        return 0.0
    earned = sum(item.points for item, ok in zip(items, met, strict=True) if ok)
    return min(1.0, max(0.0, earned / possible))


def bootstrap_ci(values: Sequence[float], rounds: int = 1000) -> tuple[float, float]:
    """95% percentile interval of the mean; seeded so the same grades give the same interval."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(0)  # noqa: S311  (resampling, not security)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(rounds))
    return (means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1])


def _met(model: BaseChatModel, case: EvalCase, answer: str, item: RubricItem) -> bool:
    from langchain_core.messages import HumanMessage, SystemMessage

    prompt = (
        "Conversation (last message is the user's):\n"
        + "\n".join(f"{m.role}: {m.content}" for m in case.conversation)
        + f"\n\nAnswer to grade:\n{answer}\n\nCriterion: {item.criterion}\n"
    )
    reply = model.invoke([SystemMessage(JUDGE_INSTRUCTIONS), HumanMessage(prompt)])
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    return re.match(r"\s*yes\b", text, re.IGNORECASE) is not None


def judge_answers(
    model: BaseChatModel, model_name: str, cases: Sequence[EvalCase], answers: dict[str, str]
) -> JudgeSummary:
    """Grade every case that has a rubric; a failing model call is recorded, not raised."""
    grades: list[CaseGrade] = []
    errors: list[str] = []
    for case in cases:
        if not case.rubric or case.id not in answers:
            continue
        try:
            met = [_met(model, case, answers[case.id], item) for item in case.rubric]
        except Exception as exc:  # report-only tier: a judge failure must not stop the gate
            errors.append(f"{case.id}: {type(exc).__name__}: {exc}")
            continue
        grades.append(
            CaseGrade(
                case_id=case.id,
                score=rubric_score(case.rubric, met),
                met=[i.criterion for i, ok in zip(case.rubric, met, strict=True) if ok],
                not_met=[i.criterion for i, ok in zip(case.rubric, met, strict=True) if not ok],
            )
        )
    scores = [g.score for g in grades]
    return JudgeSummary(
        model=model_name,
        cases=len(grades),
        mean=sum(scores) / len(scores) if scores else 0.0,
        ci95=bootstrap_ci(scores),
        grades=grades,
        errors=errors,
    )


def run_judge(
    llm_settings: LLMSettings, cases: Sequence[EvalCase], answers: dict[str, str]
) -> dict[str, Any] | None:
    """The judge tier when a chat model is configured; None otherwise."""
    from assistant.answer.llm import LLMError, backend_name, build_chat_model

    try:
        model = build_chat_model(llm_settings)
    except LLMError as exc:
        return {"error": str(exc)}
    if model is None:
        return None
    return judge_answers(model, backend_name(model), cases, answers).model_dump(mode="json")
