"""run_evaluation end to end with scripted systems: reports, gate, clear errors.

The real model, index and pipeline are exercised in tests/integration/test_eval_*.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from assistant.config import Settings
from assistant.evaluation.outcome import EvalOutcome
from assistant.evaluation.runner import EvalError, run_evaluation
from assistant.schema import AnswerResult, Audience, Passage
from tests.unit.evaluation.builders import (
    MMA_TEXT,
    NICE_TEXT,
    RULES_YAML,
    citation,
    finding,
    labs,
    passage,
    write_rules,
)

DOC = """---
id: {doc_id}
title: "{title}"
type: Guideline
publisher: Test
year: 2024
review_status: approved
last_reviewed: 2025-01-01
---

## {section}

{text}
"""

CASES = """
cases:
  - id: lab-240
    tags: [lab]
    question: "B12 240 ng/L"
    expected_labs: [{analyte: b12, value: 240, unit: ng/L, category: indeterminate}]
    reference: [{doc_id: nice}]
    must_include: [indeterminate]
    provenance: [{doc_id: nice, section: B12}]
  - id: mma-question
    tags: [confirmatory]
    question: "When is MMA measured?"
    reference: [{doc_id: mma-doc, section: MMA}]
    must_include: ["271 nmol/L"]
    provenance: [{doc_id: mma-doc, section: MMA}]
  - id: out-of-scope
    tags: [out-of-scope]
    question: "What is the capital of France?"
    expected_behavior: abstain
    provenance: [{note: "not in the corpus"}]
"""

GATED = {
    "lab_exactness": {"min": 1.0},
    "unsupported_numbers": {"max": 0},
    "abstention": {"min": 1.0},
    "recall@5": {"min": 1.0},
}


class ScriptedSearcher:
    def search(self, query: str, k: int | None = None, **_: object) -> list[Passage]:
        if "MMA" in query:
            return [passage("mma-doc", section="MMA", text=MMA_TEXT)]
        if "B12" in query:
            return [passage("nice", section="B12")]
        return []

    def dense_search(self, query: str, k: int | None = None, **_: object) -> list[Passage]:
        return self.search(query, k) or [passage("nice", section="B12")]


class ScriptedAssistant:
    """Answers like a sound pipeline would; `invent` plants an unsupported number."""

    def __init__(self, invent: bool = False, crash_on: str | None = None) -> None:
        self.invent = invent
        self.crash_on = crash_on

    def ask(
        self,
        question: str,
        history: list[dict[str, str]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult:
        if question == self.crash_on:
            raise RuntimeError("boom")
        if "240" in question:
            extra = " It is 999 ng/L in some labs [1]." if self.invent else ""
            text = f"B12 240 ng/L is indeterminate [1].{extra}"
            return AnswerResult(
                answer=text, direct=text, citations=[citation(1)], labs=labs(finding(240))
            )
        if "MMA" in question:
            text = "MMA above 271 nmol/L is raised and supports deficiency [1]."
            return AnswerResult(
                answer=text,
                direct=text,
                citations=[citation(1, doc_id="mma-doc", text=MMA_TEXT, section="MMA")],
            )
        refusal = "The corpus does not cover this question."
        return AnswerResult(answer=refusal, notices=[refusal], refused=True)


@pytest.fixture
def project(tmp_path: Path) -> tuple[Settings, Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for doc_id, section, text in (("nice", "B12", NICE_TEXT), ("mma-doc", "MMA", MMA_TEXT)):
        (corpus / f"{doc_id}.md").write_text(
            DOC.format(doc_id=doc_id, title=doc_id.upper(), section=section, text=text),
            encoding="utf-8",
        )
    settings = Settings(corpus_dir=corpus, rules_path=write_rules(tmp_path), data_dir=tmp_path)
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES, encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"gated": GATED}), encoding="utf-8")
    return settings, cases, baseline


def run(project: tuple[Settings, Path, Path], tmp_path: Path, **kwargs: object) -> EvalOutcome:
    settings, cases, baseline = project
    options: dict[str, object] = {
        "answerer": ScriptedAssistant(),
        "searcher": ScriptedSearcher(),
        "echo": False,
        "baseline_path": baseline,
        "cases_path": cases,
        "report_dir": tmp_path / "report",
    }
    options.update(kwargs)
    return run_evaluation(settings, **options)  # type: ignore[arg-type]


def test_a_sound_system_passes_and_the_naive_baseline_is_scored_alongside(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    outcome = run(project, tmp_path)

    assert outcome.passed
    summary = outcome.summary_json()
    assert summary["metrics"]["lab_exactness"] == {"assistant": 1.0, "naive": 0.0}
    assert summary["metrics"]["abstention"] == {"assistant": 1.0, "naive": 0.0}
    assert summary["metrics"]["determinism"]["assistant"] == 1.0
    assert summary["failed_cases"] == {}


def test_every_report_file_is_written_with_run_metadata(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    settings, _, _ = project
    run(project, tmp_path)
    folder = tmp_path / "report"

    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert report["passed"] is True
    assert len(report["meta"]["rules_sha256"]) == 64
    assert len(report["meta"]["corpus_sha256"]) == 64
    assert report["meta"]["git_commit"]
    assert report["meta"]["rules_path"] == str(settings.rules_path)
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "| metric | assistant | naive baseline | gate |" in summary
    assert "PASSED" in summary
    suites = ET.parse(folder / "junit.xml").getroot()
    assert [s.get("name") for s in suites] == ["eval.cases", "eval.gate"]
    assert suites[0].get("tests") == "3"
    assert suites[0].get("failures") == "0"
    proposed = json.loads((folder / "baseline.proposed.json").read_text(encoding="utf-8"))
    assert set(proposed["gated"]) == set(GATED)
    assert '<mark class="num">240</mark>' in (folder / "report.html").read_text(encoding="utf-8")


def test_an_invented_number_fails_the_gate_with_its_evidence(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    outcome = run(project, tmp_path, answerer=ScriptedAssistant(invent=True))

    assert not outcome.passed
    failed = [c for c in outcome.gate if not c.passed]
    assert [(c.metric, c.value) for c in failed] == [("unsupported_numbers", 1)]
    case = next(s for s in outcome.assistant.cases if s.case_id == "lab-240")
    evidence = case.metric("unsupported_numbers").evidence  # type: ignore[union-attr]
    assert evidence[0].text == "999"
    folder = tmp_path / "report"
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.index("lab-240") < html.index("mma-question")  # failures first
    assert '<mark class="bad">999</mark>' in html
    junit = ET.parse(folder / "junit.xml").getroot()
    failure = junit.find("./testsuite/testcase[@name='lab-240']/failure")
    assert failure is not None
    assert "999" in (failure.text or "")


def test_a_crash_is_a_failed_case_not_an_aborted_run(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    outcome = run(project, tmp_path, answerer=ScriptedAssistant(crash_on="When is MMA measured?"))

    case = next(s for s in outcome.assistant.cases if s.case_id == "mma-question")
    assert case.error == "RuntimeError: boom"
    assert [m.name for m in case.failures] == ["required_content", "behavior", "no_crash"]


def test_a_case_naming_an_unknown_document_stops_the_run(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    _, cases, _ = project
    cases.write_text(
        CASES.replace("doc_id: mma-doc, section: MMA}]\n    must", "doc_id: who}]\n    must"),
        encoding="utf-8",
    )

    with pytest.raises(EvalError, match="unknown document 'who'"):
        run(project, tmp_path)


def test_a_missing_baseline_or_rules_file_is_a_clear_error(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    settings, cases, _ = project
    with pytest.raises(EvalError, match="cannot read baseline"):
        run(project, tmp_path, baseline_path=tmp_path / "none.json")
    missing = settings.model_copy(update={"rules_path": tmp_path / "none.yaml"})
    with pytest.raises(EvalError, match=r"none\.yaml"):
        run((missing, cases, tmp_path / "baseline.json"), tmp_path)
    other = tmp_path / "lab"
    other.mkdir()
    uncited = write_rules(other, RULES_YAML.replace("doc_id: mma-doc", "doc_id: nowhere"))
    invalid = settings.model_copy(update={"rules_path": uncited})
    with pytest.raises(EvalError, match="nowhere"):
        run((invalid, cases, tmp_path / "baseline.json"), tmp_path)


def test_a_rules_file_with_a_shifted_cut_off_makes_stated_cut_offs_inconsistent(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    settings, cases, baseline = project
    other = tmp_path / "lab"
    other.mkdir()
    shifted = write_rules(other, RULES_YAML.replace(": 271", ": 300"))

    outcome = run((settings.model_copy(update={"rules_path": shifted}), cases, baseline), tmp_path)

    case = next(s for s in outcome.assistant.cases if s.case_id == "mma-question")
    inconsistent = case.metric("threshold_inconsistencies")
    assert inconsistent is not None
    assert inconsistent.evidence[0].text == "271 nmol/L"
    assert outcome.meta.rules_path == str(shifted)


# --- splits and raising the baseline -------------------------------------------------------

DEV_CASE = """
  - id: dev-mma
    tags: [confirmatory]
    split: dev
    question: "When is MMA measured, for calibration?"
    must_include: ["271 nmol/L", "never said"]
    provenance: [{doc_id: mma-doc, section: MMA}]
"""


def test_dev_cases_are_reported_apart_and_never_gated(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    _, cases, _ = project
    cases.write_text(CASES + DEV_CASE, encoding="utf-8")

    outcome = run(project, tmp_path)

    assert outcome.passed  # the failing dev case does not count
    assert [s.case_id for s in outcome.assistant.cases] == [
        "lab-240",
        "mma-question",
        "out-of-scope",
    ]
    assert outcome.dev_assistant is not None
    assert [s.case_id for s in outcome.dev_assistant.cases] == ["dev-mma"]
    assert outcome.dev_assistant.value("required_content") == 0.5
    assert outcome.meta.case_count == 3
    assert outcome.meta.dev_case_count == 1
    summary = (tmp_path / "report" / "summary.md").read_text(encoding="utf-8")
    assert "## Dev split (1 cases, for calibration, not gated)" in summary


def test_the_dev_split_alone_is_a_calibration_run_without_a_gate(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    _, cases, _ = project
    cases.write_text(CASES + DEV_CASE, encoding="utf-8")

    outcome = run(project, tmp_path, split="dev")

    assert [s.case_id for s in outcome.assistant.cases] == ["dev-mma"]
    assert outcome.gate == []
    assert "dev split only, not gated" in (tmp_path / "report" / "summary.md").read_text("utf-8")


def test_a_split_without_cases_is_a_clear_error(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(EvalError, match="no 'dev' cases"):
        run(project, tmp_path, split="dev")


def test_writing_the_baseline_raises_it_and_prints_what_changed(
    project: tuple[Settings, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, baseline = project
    baseline.write_text(
        json.dumps({"gated": {**GATED, "recall@5": {"min": 0.5}, "abstention": {"min": 0.5}}}),
        encoding="utf-8",
    )

    outcome = run(project, tmp_path, update_baseline=True, echo=True)

    written = json.loads(baseline.read_text(encoding="utf-8"))
    assert written["gated"]["recall@5"] == {"min": 1.0}
    assert written["gated"]["abstention"] == {"min": 1.0}
    assert written["gated"]["unsupported_numbers"] == {"max": 0.0}
    assert written["gated"]["repetition"] == {"max": 0.0}  # a known metric, added
    assert "recall@5: >= 0.5 -> >= 1" in outcome.baseline_changes
    printed = capsys.readouterr().out
    assert f"Baseline {baseline}:" in printed
    assert "  abstention: >= 0.5 -> >= 1" in printed


def test_writing_the_baseline_after_a_worse_run_lowers_nothing(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    _, _, baseline = project
    before = json.loads(baseline.read_text(encoding="utf-8"))

    outcome = run(project, tmp_path, answerer=ScriptedAssistant(invent=True), update_baseline=True)

    assert not outcome.passed
    written = json.loads(baseline.read_text(encoding="utf-8"))
    for name, bound in before["gated"].items():
        assert written["gated"][name] == bound, name
    assert not any(change.startswith("unsupported_numbers") for change in outcome.baseline_changes)


def test_writing_the_baseline_from_a_dev_run_is_refused(
    project: tuple[Settings, Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(EvalError, match="--write-baseline needs the pack's own gate cases"):
        run(project, tmp_path, update_baseline=True, split="dev")
