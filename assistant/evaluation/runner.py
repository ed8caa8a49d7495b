"""`assistant eval`: run the assistant and the naive baseline over the cases, gate, report.

The seams tests use to plant faults are the arguments: another rules file in `settings`,
an `answerer` (e.g. an Assistant given a wrong searcher or a wrapped composer) or a `searcher`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.cases import CaseError, EvalCase, check_sources, load_cases
from assistant.evaluation.gate import BaselineError, baseline_from, check_gate, load_baseline
from assistant.evaluation.judge import run_judge
from assistant.evaluation.naive import NaiveBaseline
from assistant.evaluation.outcome import EvalOutcome, SystemResult
from assistant.evaluation.reports import REPORT_FILES, render_summary, write_reports
from assistant.evaluation.rules_view import RulesView, RulesViewError, load_rules_view
from assistant.evaluation.run_meta import run_meta
from assistant.evaluation.scoring import aggregate, run_system
from assistant.retrieval.search import Searcher as PipelineSearcher
from assistant.schema import AnswerResult, Audience, Passage

EVALS_DIR = PROJECT_ROOT / "evals"
BASELINE_FILE = "baseline.json"


def pack_cases(settings: Settings) -> Path:
    """A pack's evaluation cases: evals/<pack name>/, else an `evals` folder inside the pack."""
    shipped = EVALS_DIR / settings.pack.resolve().name
    return shipped if shipped.is_dir() else settings.pack / "evals"


DEFAULT_REPORT_DIR = PROJECT_ROOT / "reports" / "eval"


class EvalError(Exception):
    """The evaluation could not run (bad cases, rules, baseline or index): exit code 2."""


class Answerer(Protocol):
    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult: ...


class Searcher(PipelineSearcher, Protocol):
    """The retriever's interface as the harness uses it: the pipeline's, plus dense-only search
    for the naive baseline."""

    def dense_search(
        self,
        query: str,
        k: int | None = None,
        *,
        approved_only: bool | None = None,
        source_types: frozenset[str] | None = None,
    ) -> list[Passage]: ...


@dataclass
class PipelineSystem:
    """The real assistant; retrieval is scored on the same searcher it answers from."""

    answerer: Answerer
    searcher: Searcher
    name: str = "assistant"

    def ask(self, case: EvalCase) -> AnswerResult:
        return self.answerer.ask(
            case.question, history=case.history or None, audience=case.audience
        )

    def retrieve(self, query: str, k: int) -> list[Passage]:
        return self.searcher.search(query, k)


@dataclass
class NaiveSystem:
    baseline: NaiveBaseline
    name: str = "naive"

    def ask(self, case: EvalCase) -> AnswerResult:
        return self.baseline.ask(case.question, audience=case.audience)

    def retrieve(self, query: str, k: int) -> list[Passage]:
        return self.baseline.retrieve(query, k)


def corpus_headings(corpus_dir: Path) -> dict[str, list[str]]:
    """doc_id -> section headings of every document of the pack (all formats)."""
    from assistant.sources.lookup import CorpusLookup

    headings: dict[str, list[str]] = {}
    for passage in CorpusLookup(corpus_dir).all_passages():
        sections = headings.setdefault(passage.doc.doc_id, [])
        if passage.section not in sections:
            sections.append(passage.section)
    if not headings:
        raise EvalError(f"corpus: no documents in {corpus_dir}")
    return headings


def _load_inputs(settings: Settings, cases_path: Path) -> tuple[list[EvalCase], RulesView]:
    from assistant.errors import AssistantError
    from assistant.resources import Resources

    try:
        cases = load_cases(cases_path)
        # Validated as the assistant will load it, so a broken file stops the run up front.
        Resources(settings).ruleset()
        rules = (
            load_rules_view(settings.rules_path, _unclassified_tests(settings))
            if settings.rules_path.exists()
            else RulesView(analytes={}, units=[])
        )
    except (CaseError, AssistantError, RulesViewError) as exc:
        raise EvalError(str(exc)) from exc
    problems = check_sources(cases, corpus_headings(settings.corpus_dir))
    if problems:
        raise EvalError("cases name sources the corpus lacks:\n" + "\n".join(problems))
    return cases, rules


def _unclassified_tests(settings: Settings) -> tuple[str, ...]:
    from assistant.domain.pack import PackError, load_domain

    try:
        domain = load_domain(settings.pack)
    except PackError as exc:
        raise EvalError(str(exc)) from exc
    return tuple(domain.unclassified_tests) if domain is not None else ()


def _default_searcher(settings: Settings) -> Searcher:
    from assistant.index.build import IngestError, ensure_index
    from assistant.retrieval.hybrid import get_searcher

    try:
        ensure_index(settings)  # builds the index only if it is missing or stale
    except IngestError as exc:
        raise EvalError(f"index: {exc}") from exc
    searcher: Searcher = get_searcher(settings)
    return searcher


def run_evaluation(
    settings: Settings,
    *,
    cases_path: Path | None = None,
    report_dir: Path | None = None,
    echo: bool = True,
    baseline_path: Path | None = None,
    answerer: Answerer | None = None,
    searcher: Searcher | None = None,
    repeats: int = 2,
) -> EvalOutcome:
    """Score the assistant and the naive baseline; write the reports; compare to the baseline."""
    started = time.perf_counter()
    cases_path = cases_path or pack_cases(settings)
    cases, rules = _load_inputs(settings, cases_path)
    try:
        baseline = load_baseline(baseline_path or pack_cases(settings) / BASELINE_FILE)
    except BaselineError as exc:
        raise EvalError(str(exc)) from exc

    searcher = searcher or _default_searcher(settings)
    if answerer is None:
        from assistant.pipeline import Assistant

        # The assistant answers from the same searcher its retrieval is scored on.
        answerer = Assistant(settings, searcher=searcher)
    k = settings.retrieval.k
    pipeline = PipelineSystem(answerer, searcher)
    naive = NaiveSystem(NaiveBaseline(searcher, k))
    assistant_scores = run_system(pipeline, cases, rules, k, repeats)
    # The baseline is scored once: its determinism is not what the comparison is about.
    naive_scores = run_system(naive, cases, rules, k, repeats=1)

    assistant_metrics = aggregate(assistant_scores)
    meta = run_meta(settings, cases_path, len(cases))
    outcome = EvalOutcome(
        meta=meta,
        assistant=SystemResult(name="assistant", metrics=assistant_metrics, cases=assistant_scores),
        naive=SystemResult(name="naive", metrics=aggregate(naive_scores), cases=naive_scores),
        gate=check_gate(baseline, assistant_metrics),
        proposed_baseline=baseline_from(assistant_metrics, baseline.gated),
        judge=run_judge(settings.llm, cases, {s.case_id: s.answer for s in assistant_scores}),
    )
    outcome.meta.duration_s = round(time.perf_counter() - started, 2)
    target = report_dir or DEFAULT_REPORT_DIR
    outcome.report_files = [str(target / name) for name in REPORT_FILES]
    try:
        write_reports(outcome, target)
    except OSError as exc:
        raise EvalError(f"cannot write reports to {target}: {exc}") from exc
    if echo:
        print(render_summary(outcome))
        print(f"Reports: {target}")
    return outcome
