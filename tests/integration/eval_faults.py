"""Planted faults for the evaluation gate (tests/integration/test_eval_faults*.py).

Each fault is the real pipeline with one thing wrong, put in through a seam the runner offers:
an answerer wrapping the real `Assistant` whose answer (or question) is changed, a searcher, a
rules file, or an answerer named by import path so the replay process runs the same fault.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from assistant.config import Settings
from assistant.evaluation.gate import Baseline, raise_baseline, write_baseline
from assistant.evaluation.outcome import EvalOutcome
from assistant.evaluation.runner import pack_cases
from assistant.pipeline import Assistant
from assistant.schema import AnswerResult, AnswerSection, Audience

B12_CASES = pack_cases(Settings(pack=Path(__file__).parents[2] / "corpus" / "b12"))
Change = Callable[[AnswerResult, str], AnswerResult]


def b12_cases(ids: Sequence[str]) -> list[dict[str, Any]]:
    """The named reference cases of the B12 pack, as written in its YAML files."""
    chosen: list[dict[str, Any]] = []
    for path in sorted(B12_CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        chosen.extend(case for case in data["cases"] if case["id"] in ids)
    assert {case["id"] for case in chosen} == set(ids)
    return chosen


def write_cases(folder: Path, cases: Sequence[Mapping[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "cases.yaml"
    target.write_text(yaml.safe_dump({"cases": list(cases)}, allow_unicode=True), "utf-8")
    return target


def check(outcome: EvalOutcome, metric: str) -> bool:
    """Whether the gated metric passed (a metric the run did not produce fails)."""
    return next(c.passed for c in outcome.gate if c.metric == metric)


def gate_at(outcome: EvalOutcome, path: Path) -> Path:
    """A baseline gating every known metric at the values of `outcome` (the control run): a
    fault fails it by making a metric worse than the sound pipeline does on the same cases."""
    baseline, _ = raise_baseline(Baseline.model_construct(gated={}), outcome.assistant.metrics)
    write_baseline(path, baseline)
    return path


def with_parts(result: AnswerResult, **parts: Any) -> AnswerResult:
    """The answer with some parts replaced, its shown Markdown rebuilt from all of them."""
    changed = result.model_copy(update=parts)
    shown = [*changed.notices, changed.body, changed.references, changed.disclaimer]
    return changed.model_copy(update={"answer": "\n\n".join(s for s in shown if s.strip())})


class Altered:
    """The real assistant, with its question or its (guarded) answer changed."""

    def __init__(
        self,
        settings: Settings,
        change: Change | None = None,
        question: Callable[[str], str] | None = None,
        keep_history: bool = True,
    ) -> None:
        self.assistant = Assistant(settings)
        self.change = change
        self.question = question
        self.keep_history = keep_history
        self.calls = 0

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult:
        self.calls += 1
        asked = self.question(question) if self.question else question
        result = self.assistant.ask(
            asked, history=history if self.keep_history else None, audience=audience
        )
        return self.change(result, question) if self.change else result


# --- answer changes ---------------------------------------------------------------------------


def sentences_of(markdown: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", markdown.strip()) if s]


def bury_the_lead(result: AnswerResult, _: str) -> AnswerResult:
    """The direct answer moved to the end; a sentence that answers nothing leads."""
    if not result.direct:
        return result
    moved = AnswerSection(heading="Also", markdown=result.direct)
    return with_parts(result, direct="See the sections below.", sections=[*result.sections, moved])


def pad(result: AnswerResult, _: str) -> AnswerResult:
    """Every cited passage appended whole under a heading of its own."""
    if not result.citations:
        return result
    extra = [
        AnswerSection(heading=f"From {c.title}", markdown=f"{c.text} [{c.n}]")
        for c in result.citations
    ]
    return with_parts(result, sections=[*result.sections, *extra])


def repeat(result: AnswerResult, _: str) -> AnswerResult:
    """The direct answer said again in a section of its own."""
    if not result.direct:
        return result
    again = AnswerSection(heading="In short", markdown=result.direct)
    return with_parts(result, sections=[*result.sections, again])


def flip_gap(result: AnswerResult, _: str) -> AnswerResult:
    """A gap stated where there is none, or the stated gaps dropped."""
    if result.gaps:
        return with_parts(result, gaps=[])
    if result.refused:
        return result
    return with_parts(result, gaps=["The guideline corpus does not say how this applies here."])


def answer_anyway(assistant: Assistant, instead: str) -> Change:
    """An out-of-scope question answered with what the corpus says about something else."""

    def change(result: AnswerResult, _: str) -> AnswerResult:
        return assistant.ask(instead) if result.refused or not result.citations else result

    return change


def refuse(result: AnswerResult, _: str) -> AnswerResult:
    """Every question refused."""
    text = "The guideline corpus does not cover this question."
    return AnswerResult(answer=text, notices=[text], refused=True, disclaimer=result.disclaimer)


def drop_sentences(pattern: str) -> Change:
    """Every sentence matching `pattern` left out of every part of the answer."""

    def keep(markdown: str) -> str:
        lines = []
        for line in markdown.splitlines():
            kept = [s for s in sentences_of(line) if not re.search(pattern, s, re.IGNORECASE)]
            lines.append(" ".join(kept))
        return "\n".join(lines)

    def change(result: AnswerResult, _: str) -> AnswerResult:
        def section(s: AnswerSection) -> AnswerSection:
            return s.model_copy(update={"markdown": keep(s.markdown)})

        return with_parts(
            result,
            direct=keep(result.direct),
            sections=[section(s) for s in result.sections],
            more_detail=[section(s) for s in result.more_detail],
        )

    return change


def stamp_process(result: AnswerResult, _: str) -> AnswerResult:
    """Output that depends on the process answering (here its id; in real code a hash seed,
    a temporary path, a cache state): the same in one process, never in two."""
    return with_parts(result, notices=[*result.notices, f"Answered by worker {os.getpid()}."])


def process_stamped(settings: Settings) -> Altered:
    """An answerer the replay process can build too (runner: `answerer_factory`)."""
    return Altered(settings, stamp_process)
