"""The report files of a run: JSON, HTML, Markdown summary, JUnit XML, proposed baseline."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from assistant.evaluation.html_report import render_html
from assistant.evaluation.outcome import METRIC_LABELS, EvalOutcome
from assistant.evaluation.scoring import CaseScore

REPORT_FILES = ("report.json", "report.html", "summary.md", "junit.xml", "baseline.proposed.json")


def fmt(value: float | None, kind: str = "rate") -> str:
    if value is None:
        return "–"
    if kind in ("count", "level"):
        return f"{value:g}"
    return f"{value:.3f}"


def _kind(outcome: EvalOutcome, name: str) -> str:
    agg = outcome.assistant.metrics.get(name) or outcome.naive.metrics.get(name)
    return agg.kind if agg is not None else "rate"


def render_json(outcome: EvalOutcome) -> str:
    data = outcome.model_dump(mode="json")
    data["passed"] = outcome.passed
    return json.dumps(data, indent=2, ensure_ascii=False)


def _one_line(text: str, width: int = 220) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _evidence_lines(score: CaseScore, limit: int = 3) -> list[str]:
    lines: list[str] = []
    for metric in score.failures:
        for item in metric.evidence[:limit]:
            lines.append(_one_line(f"{metric.name}: {item.text} — {item.detail}".strip(" —")))
        if not metric.evidence:
            lines.append(f"{metric.name}: failed")
    return lines


def _dev_lines(outcome: EvalOutcome) -> list[str]:
    dev, naive = outcome.dev_assistant, outcome.dev_naive
    if dev is None or naive is None:
        return []
    lines = [
        "",
        f"## Dev split ({len(dev.cases)} cases, for calibration, not gated)",
        "",
        "| metric | assistant | naive baseline |",
        "|---|---:|---:|",
    ]
    for name in outcome.metric_names():
        if name in dev.metrics or name in naive.metrics:
            kind = (dev.metrics.get(name) or naive.metrics[name]).kind
            lines.append(
                f"| {METRIC_LABELS.get(name, name)} | {fmt(dev.value(name), kind)} "
                f"| {fmt(naive.value(name), kind)} |"
            )
    failed = [s for s in dev.cases if not s.passed]
    lines += ["", *(f"- `{s.case_id}`: " + "; ".join(_evidence_lines(s, 1)) for s in failed)]
    return lines


def render_summary(outcome: EvalOutcome) -> str:
    meta = outcome.meta
    verdict = "PASSED" if outcome.passed else "FAILED"
    if meta.split != "gate":
        verdict = f"{meta.split} split only, not gated"
    gate = {check.metric: check for check in outcome.gate}
    determinism = "in another process" if meta.cross_process else "in this process"
    lines = [
        f"# Evaluation summary: {verdict}",
        "",
        f"- commit `{meta.git_commit[:12]}`{' (uncommitted changes)' if meta.git_dirty else ''}, "
        f"{meta.case_count} {meta.split} cases (+{meta.dev_case_count} dev), k={meta.k}, "
        f"started {meta.started}, {meta.duration_s:.1f} s",
        f"- corpus `{meta.corpus_sha256[:12]}`, rules `{meta.rules_sha256[:12]}` "
        f"({meta.rules_path}), cases `{meta.cases_sha256[:12]}`",
        f"- determinism: each case answered again {determinism}",
        "",
        "| metric | assistant | naive baseline | gate |",
        "|---|---:|---:|---|",
    ]
    for name in outcome.metric_names():
        kind = _kind(outcome, name)
        check = gate.get(name)
        gate_cell = (
            ""
            if check is None
            else f"{check.op} {fmt(check.bound, kind)} " + ("ok" if check.passed else "**FAIL**")
        )
        lines.append(
            f"| {METRIC_LABELS.get(name, name)} | {fmt(outcome.assistant.value(name), kind)} "
            f"| {fmt(outcome.naive.value(name), kind)} | {gate_cell} |"
        )
    failed = [s for s in outcome.assistant.cases if not s.passed]
    lines += ["", f"## Failing cases ({len(failed)} of {len(outcome.assistant.cases)})", ""]
    for score in failed:
        lines.append(f"- `{score.case_id}`: " + "; ".join(_evidence_lines(score, 1)))
    if not failed:
        lines.append("None.")
    lines += _dev_lines(outcome)
    if outcome.baseline_changes:
        lines += ["", "## Baseline raised (--write-baseline)", ""]
        lines += [f"- {change}" for change in outcome.baseline_changes]
    if outcome.judge:
        lines += ["", "## Judge tier (report only)", "", f"```\n{json.dumps(outcome.judge)}\n```"]
    return "\n".join(lines) + "\n"


def render_junit(outcome: EvalOutcome) -> str:
    suites = ET.Element("testsuites", name="assistant-eval")
    cases_suite = ET.SubElement(suites, "testsuite", name="eval.cases")
    for score in outcome.assistant.cases:
        case = ET.SubElement(
            cases_suite,
            "testcase",
            classname=f"eval.{(score.tags or ['case'])[0]}",
            name=score.case_id,
        )
        if not score.passed:
            failure = ET.SubElement(
                case, "failure", message=", ".join(m.name for m in score.failures)
            )
            failure.text = "\n".join(_evidence_lines(score, 10))
    gate_suite = ET.SubElement(suites, "testsuite", name="eval.gate")
    for check in outcome.gate:
        case = ET.SubElement(gate_suite, "testcase", classname="eval.gate", name=check.metric)
        if not check.passed:
            ET.SubElement(
                case,
                "failure",
                message=f"{check.metric}={check.value} not {check.op} {check.bound}",
            )
    for suite in (cases_suite, gate_suite):
        tests = list(suite)
        suite.set("tests", str(len(tests)))
        suite.set("failures", str(sum(1 for t in tests if t.find("failure") is not None)))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def write_reports(outcome: EvalOutcome, report_dir: Path) -> list[Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    contents = (
        render_json(outcome),
        render_html(outcome),
        render_summary(outcome),
        render_junit(outcome),
        outcome.proposed_baseline.model_dump_json(indent=2, exclude_none=True) + "\n",
    )
    written: list[Path] = []
    for name, content in zip(REPORT_FILES, contents, strict=True):
        path = report_dir / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
