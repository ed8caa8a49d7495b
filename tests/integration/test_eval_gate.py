"""The gated evaluation on main: every reference case, the real model, index and pipeline.

`make test` runs this, so CI fails when a gated metric falls below evals/<pack>/baseline.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from assistant.config import Settings
from assistant.evaluation.gate import load_baseline
from assistant.evaluation.outcome import EvalOutcome
from assistant.evaluation.replay import replay_signatures
from assistant.evaluation.reports import render_summary
from assistant.evaluation.runner import BASELINE_FILE, pack_cases, run_evaluation
from tests.integration.eval_faults import b12_cases, write_cases
from tests.unit.evaluation.test_committed_baselines import PINNED

DEFAULT_BASELINE = pack_cases(Settings()) / BASELINE_FILE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def outcome(
    indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[EvalOutcome, Path]:
    report_dir = tmp_path_factory.mktemp("eval-report")
    return run_evaluation(indexed_settings, report_dir=report_dir, echo=False), report_dir


def test_the_evaluation_passes_its_committed_baseline(outcome: tuple[EvalOutcome, Path]) -> None:
    result, _ = outcome

    assert result.passed, render_summary(result)
    gated = set(load_baseline(DEFAULT_BASELINE).gated)
    assert {c.metric for c in result.gate} == gated
    assert set(PINNED["b12"]) <= gated  # the pinned floors are all gated (and held: unit test)
    assert result.meta.cross_process, "determinism compared with a run in another process"
    # The floors that must never be relaxed: no unsupported number, no stated cut-off the rules
    # file lacks, no crash.
    assert result.assistant.value("unsupported_numbers") == 0
    assert result.assistant.value("threshold_inconsistencies") == 0
    assert result.assistant.value("no_crash") == 1.0


def test_the_naive_baseline_is_measured_side_by_side(outcome: tuple[EvalOutcome, Path]) -> None:
    result, report_dir = outcome
    summary = (report_dir / "summary.md").read_text(encoding="utf-8")

    assert "| metric | assistant | naive baseline | gate |" in summary
    # The parts the naive baseline lacks show up as measured differences.
    assert result.naive.value("lab_exactness") == 0.0
    assert result.naive.value("abstention") == 0.0
    lab = result.assistant.value("lab_exactness")
    assert lab is not None
    assert lab > 0.9


def test_every_report_is_written_with_the_run_fingerprints(
    outcome: tuple[EvalOutcome, Path], indexed_settings: Settings
) -> None:
    result, report_dir = outcome

    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] == result.passed
    assert len(report["meta"]["git_commit"]) >= 7
    assert len(report["meta"]["corpus_sha256"]) == 64
    assert len(report["meta"]["rules_sha256"]) == 64
    assert report["meta"]["rules_path"] == str(indexed_settings.rules_path)
    assert len(report["assistant"]["cases"]) == result.meta.case_count
    junit = ET.parse(report_dir / "junit.xml").getroot()
    assert junit.find("./testsuite[@name='eval.cases']") is not None
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert '<span class="cite">[1]</span>' in html
    assert '<mark class="num">' in html


def test_the_second_pack_passes_its_own_gate(tmp_path: Path) -> None:
    """The diabetes pack, built from data only, is evaluated against its own cases and floors."""
    from assistant.config import PROJECT_ROOT
    from assistant.index.build import run_ingest

    pack = PROJECT_ROOT / "corpus" / "diabetes"
    settings = Settings(pack=pack, data_dir=tmp_path / "data", chroma_url=None, audit_log=None)
    assert run_ingest(settings).failures == []
    result = run_evaluation(settings, report_dir=tmp_path / "report", echo=False)
    assert result.passed, render_summary(result)
    assert result.meta.case_count >= 40
    assert set(PINNED["diabetes"]) <= {c.metric for c in result.gate}
    assert result.assistant.value("unsupported_numbers") == 0
    assert result.assistant.value("threshold_inconsistencies") == 0


# Lab values, follow-ups (history), patient wording, several values, out of scope.
REPLAYED = (
    "b12-180-ngl-indeterminate",
    "q-nice-total-b12-cutoffs",
    "q-next-test-indeterminate",
    "q-review-after-treatment",
    "oos-hypertension",
)


def test_two_fresh_processes_give_the_same_answers_citations_labs_and_retrieval(
    indexed_settings: Settings, tmp_path: Path
) -> None:
    """The same cases in two new processes, each with cold caches and its own hash seed."""
    followups = [c["id"] for c in b12_cases_with_tag("follow-up")][:3]
    patient = [c["id"] for c in b12_cases_with_tag("patient")][:2]
    several = [c["id"] for c in b12_cases_with_tag("several")][:2]
    ids = [*REPLAYED, *followups, *patient, *several]
    cases = write_cases(tmp_path / "cases", b12_cases(ids))
    env = dict(os.environ)

    first = replay_signatures(indexed_settings, cases, ids, env={**env, "PYTHONHASHSEED": "1"})
    second = replay_signatures(indexed_settings, cases, ids, env={**env, "PYTHONHASHSEED": "2"})

    assert set(first) == set(second) == set(ids)
    for case_id in ids:
        assert first[case_id] == second[case_id], case_id
    for field in ("answer: ", "citations: ", "labs: ", "retrieved: "):
        assert all(field in signature for signature in first.values()), field


def b12_cases_with_tag(tag: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for path in sorted(DEFAULT_BASELINE.parent.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found.extend(c for c in data["cases"] if tag in c.get("tags", []))
    return found
