"""`interpret(text, rules)`: parse a message, classify every value, combine the findings.

Pure and deterministic: findings and errors in the order the values appear in the text,
conclusions in rules-file order, conflicts in finding order. Never raises: an unexpected
failure on one value becomes an INTERNAL_ERROR entry instead of a crash.
"""

from __future__ import annotations

from collections.abc import Sequence

from labtool.classify import classify
from labtool.parse import parse_message
from labtool.report import Conclusion, Finding, LabError, LabReport
from labtool.rules import RuleSet
from labtool.rules_model import NOT_MEASURED, ConclusionRule


def _in(present: dict[str, set[str]], analyte: str, categories: list[str]) -> bool:
    """Is the analyte in one of these categories (`not_measured`: absent from the message)?"""
    found = present.get(analyte)
    if found is None:
        return NOT_MEASURED in categories
    return not found.isdisjoint(categories)


def _fires(conclusion: ConclusionRule, present: dict[str, set[str]]) -> bool:
    """Every `when` analyte in a listed category; no `unless` analyte in one of its listed
    categories; no `unless_present` analyte given."""
    for analyte, categories in conclusion.when.items():
        if not _in(present, analyte, categories):
            return False
    if any(analyte in present for analyte in conclusion.unless_present):
        return False
    return not any(_in(present, analyte, cats) for analyte, cats in conclusion.unless.items())


def conclusions_for(findings: list[Finding], ruleset: RuleSet) -> list[Conclusion]:
    # The categories found per analyte, built once: every conclusion rule is checked against it.
    present: dict[str, set[str]] = {}
    for finding in findings:
        present.setdefault(finding.analyte, set()).add(finding.category)
    if not present:
        return []  # every conclusion needs at least one finding (checked when loading)
    return [
        Conclusion(code=rule.id, summary=rule.summary, sources=[ruleset.source_ref(rule.source)])
        for rule in ruleset.conclusions
        if _fires(rule, present)
    ]


def interpret(text: str, rules: RuleSet, assume_analytes: Sequence[str] = ()) -> LabReport:
    """Every lab value in text, classified by the cited rules, as a LabReport.

    `assume_analytes`: the tests a value with a lab unit and no test name may be (e.g. the
    tests a conversation is about); such a value is read as the one whose units accept its
    unit, and two candidates give an AMBIGUOUS_ANALYTE error.
    """
    report = LabReport()
    try:
        message = parse_message(text, rules, assume_analytes)
    except Exception as exc:  # a parser bug must not take the assistant down
        report.errors.append(
            LabError(input=text[:200], code="INTERNAL_ERROR", message=f"Could not read: {exc}")
        )
        return report
    for value in message.values:
        try:
            result = classify(value, rules, message.context)
        except Exception as exc:  # defensive: one bad value must not hide the others
            report.errors.append(
                LabError(input=value.text, code="INTERNAL_ERROR", message=f"Not interpreted: {exc}")
            )
            continue
        if result.finding is not None:
            report.findings.append(result.finding)
            report.conflicts.extend(result.conflicts)
        if result.error is not None:
            report.errors.append(result.error)
    report.conclusions.extend(conclusions_for(report.findings, rules))
    return report
