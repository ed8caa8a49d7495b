"""`assistant eval`: run the assistant and the naive baseline over the cases, gate, report.

The seams tests use to plant faults are the arguments: another rules file in `settings`,
an `answerer` (e.g. an Assistant given a wrong searcher or a wrapped composer), an
`answerer_factory` (the same, by import path, so the replay process plants it too) or a
`searcher`. Only `gate` cases are gated; `dev` cases are scored and reported apart.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Literal

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.cases import CaseError, EvalCase, check_sources, load_cases
from assistant.evaluation.gate import (
    BaselineError,
    baseline_from,
    check_gate,
    load_baseline,
    raise_baseline,
    write_baseline,
)
from assistant.evaluation.judge import run_judge
from assistant.evaluation.naive import NaiveBaseline
from assistant.evaluation.outcome import EvalOutcome, SystemResult
from assistant.evaluation.replay import Replay, ReplayError
from assistant.evaluation.reports import REPORT_FILES, render_summary, write_reports
from assistant.evaluation.rules_view import RulesView, RulesViewError, load_rules_view
from assistant.evaluation.run_meta import run_meta
from assistant.evaluation.scoring import aggregate, answer_cases, run_system, score_cases
from assistant.evaluation.systems import (
    Answerer,
    NaiveSystem,
    PipelineSystem,
    Searcher,
    default_answerer,
    default_searcher,
    load_answerer,
)

EVALS_DIR = PROJECT_ROOT / "evals"
BASELINE_FILE = "baseline.json"


def pack_cases(settings: Settings) -> Path:
    """A pack's evaluation cases: evals/<pack name>/, else an `evals` folder inside the pack."""
    shipped = EVALS_DIR / settings.pack.resolve().name
    return shipped if shipped.is_dir() else settings.pack / "evals"


DEFAULT_REPORT_DIR = PROJECT_ROOT / "reports" / "eval"


class EvalError(Exception):
    """The evaluation could not run (bad cases, rules, baseline or index): exit code 2."""


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
    from assistant.index.build import IngestError

    try:
        return default_searcher(settings)
    except IngestError as exc:
        raise EvalError(f"index: {exc}") from exc


def _split_cases(cases: list[EvalCase], split: str) -> tuple[list[EvalCase], list[EvalCase]]:
    """(cases scored, dev cases reported apart): the gate scores `gate` cases; `--split dev`
    scores only the dev cases, for calibration, and gates nothing."""
    chosen = [c for c in cases if c.split == split]
    if not chosen:
        raise EvalError(f"no {split!r} cases to run")
    dev = [c for c in cases if c.split == "dev"] if split == "gate" else []
    return chosen, dev


def run_evaluation(
    settings: Settings,
    *,
    cases_path: Path | None = None,
    report_dir: Path | None = None,
    echo: bool = True,
    baseline_path: Path | None = None,
    answerer: Answerer | None = None,
    searcher: Searcher | None = None,
    answerer_factory: str | None = None,
    repeats: int = 2,
    cross_process: bool | None = None,
    split: Literal["gate", "dev"] = "gate",
    update_baseline: bool = False,
) -> EvalOutcome:
    """Score the assistant and the naive baseline; write the reports; compare to the baseline.

    Determinism: with the real pipeline (or an answerer named by `answerer_factory`), each case
    is answered here once and once more in a fresh process (`replay`); with an answerer or
    searcher object, twice here. `update_baseline` raises the pack's floors to this run's values
    (never lowers one) and lists the changes in `baseline_changes`.
    """
    started = time.perf_counter()
    default_cases = pack_cases(settings)
    cases_path = cases_path or default_cases
    baseline_file = baseline_path or default_cases / BASELINE_FILE
    if update_baseline and (split != "gate" or (cases_path != default_cases and not baseline_path)):
        raise EvalError("--write-baseline needs the pack's own gate cases (no --cases, no --split)")
    all_cases, rules = _load_inputs(settings, cases_path)
    cases, dev_cases = _split_cases(all_cases, split)
    try:
        baseline = load_baseline(baseline_file)
    except BaselineError as exc:
        raise EvalError(str(exc)) from exc

    if cross_process is None:
        cross_process = answerer is None and searcher is None
    searcher = searcher or _default_searcher(settings)
    if answerer is None:
        answerer = (
            load_answerer(answerer_factory, settings)
            if answerer_factory
            else default_answerer(settings, searcher)
        )
    k = settings.retrieval.k
    pipeline = PipelineSystem(answerer, searcher)
    naive = NaiveSystem(NaiveBaseline(searcher, k))
    replay_ids = [c.id for c in [*cases, *dev_cases]] if cross_process and repeats > 1 else []
    with ExitStack() as stack:
        try:
            replay = (
                stack.enter_context(Replay(settings, cases_path, replay_ids, answerer_factory))
                if replay_ids
                else None
            )
            # Answered here while the replay process answers the same cases.
            times = 1 if replay else repeats
            runs = [answer_cases(pipeline, chosen, k, times) for chosen in (cases, dev_cases)]
            replayed = replay.signatures() if replay else None
        except ReplayError as exc:
            raise EvalError(str(exc)) from exc

    def scored(index: int, chosen: list[EvalCase]) -> tuple[SystemResult, SystemResult]:
        scores = score_cases(chosen, runs[index], rules, k, replayed)
        # The baseline is scored once: its determinism is not what the comparison is about.
        naive_scores = run_system(naive, chosen, rules, k, repeats=1)
        return (
            SystemResult(name="assistant", metrics=aggregate(scores), cases=scores),
            SystemResult(name="naive", metrics=aggregate(naive_scores), cases=naive_scores),
        )

    assistant, naive_result = scored(0, cases)
    meta = run_meta(settings, cases_path, len(cases))
    meta.split, meta.dev_case_count, meta.cross_process = split, len(dev_cases), bool(replayed)
    outcome = EvalOutcome(
        meta=meta,
        assistant=assistant,
        naive=naive_result,
        gate=check_gate(baseline, assistant.metrics) if split == "gate" else [],
        proposed_baseline=baseline_from(assistant.metrics, baseline.gated),
        judge=run_judge(settings.llm, cases, {s.case_id: s.body for s in assistant.cases}),
    )
    if dev_cases:
        outcome.dev_assistant, outcome.dev_naive = scored(1, dev_cases)
    if update_baseline:
        raised, outcome.baseline_changes = raise_baseline(baseline, assistant.metrics)
        write_baseline(baseline_file, raised)
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
    if update_baseline:
        changes = outcome.baseline_changes or ["nothing to raise"]
        print(f"Baseline {baseline_file}:\n" + "\n".join(f"  {line}" for line in changes))
    return outcome
