"""`interpret(text, rules)`: parse a message, classify every value, combine the findings.

Pure and deterministic: findings and errors in the order the values appear in the text,
conclusions in rules-file order, conflicts in finding order. Never raises: an unexpected
failure on one value becomes an INTERNAL_ERROR entry instead of a crash.

Earlier turns of a conversation: `conversation_context(earlier_messages, rules)` reads the
patient they describe (age, sex, pregnancy, declared attributes, context results), and
`interpret(text, rules, context=...)` uses it for whatever the message itself leaves
unstated. A value taken from earlier turns is named in the notes of every finding whose
rule depends on it.

One message, several values: the same value given again is counted on its finding
(`repeats`), not reported twice; two different values of one test are a CONFLICTING_VALUES
error and feed no conclusion (labtool.repeats); quoted cut-offs and ranges are notices, not
results (labtool.statements).
"""

from __future__ import annotations

from collections.abc import Sequence

from labtool.classify import classify
from labtool.conclude import conclusions_for
from labtool.context import PatientContext
from labtool.parse import parse_message
from labtool.repeats import different_values, threshold_notice
from labtool.report import Finding, LabError, LabReport
from labtool.rules import RuleSet

__all__ = ["conclusions_for", "conversation_context", "interpret"]


def conversation_context(messages: Sequence[str], rules: RuleSet) -> PatientContext | None:
    """The patient the messages describe, oldest first: a later message's statement wins.
    None when they state nothing."""
    context: PatientContext | None = None
    for text in messages:
        context = parse_message(text, rules).context.filled_from(context)
    if context is None or context == PatientContext():
        return None
    return PatientContext(
        sex=context.sex,
        pregnant=context.pregnant,
        trimester=context.trimester,
        age_years=context.age_years,
        attributes=context.attributes,
    )


def interpret(
    text: str,
    rules: RuleSet,
    assume_analytes: Sequence[str] = (),
    context: PatientContext | None = None,
) -> LabReport:
    """Every lab value in text, classified by the cited rules, as a LabReport.

    `assume_analytes`: the tests a value with a lab unit and no test name may be (e.g. the
    tests a conversation is about); such a value is read as the one whose units accept its
    unit, and two candidates give an AMBIGUOUS_ANALYTE error.
    `context`: the patient as earlier turns describe them (see `conversation_context`); it
    fills only what this message leaves unstated.

    A value given several times is one finding (its `repeats` counts them); two different
    values of one test are both classified, reported as a CONFLICTING_VALUES error, and no
    conclusion uses that test. Quoted cut-offs and ranges are notices, never results.
    """
    report = LabReport()
    try:
        message = parse_message(text, rules, assume_analytes)
        patient = message.context.filled_from(context)
    except Exception as exc:  # a parser bug must not take the assistant down
        report.errors.append(
            LabError(input=text[:200], code="INTERNAL_ERROR", message=f"Could not read: {exc}")
        )
        return report
    seen: dict[tuple[object, ...], Finding | None] = {}
    for value in message.values:
        key = value.key
        if key in seen:
            _repeat(seen[key], value.notes)
            continue
        try:
            result = classify(value, rules, patient)
        except Exception as exc:  # defensive: one bad value must not hide the others
            report.errors.append(
                LabError(input=value.text, code="INTERNAL_ERROR", message=f"Not interpreted: {exc}")
            )
            continue
        seen[key] = result.finding
        if result.finding is not None:
            report.findings.append(result.finding)
            report.conflicts.extend(result.conflicts)
        if result.error is not None:
            report.errors.append(result.error)
    try:
        conflicting = different_values(report.findings, message.results, rules)
    except Exception as exc:  # defensive, as above: conclusions are then not drawn at all
        report.errors.append(
            LabError(input=text[:200], code="INTERNAL_ERROR", message=f"Not compared: {exc}")
        )
        return report
    report.errors.extend(error for _, error in conflicting)
    excluded = {key for key, _ in conflicting}
    report.conclusions.extend(
        conclusions_for(report.findings, rules, patient, message.results, exclude=excluded)
    )
    report.notices.extend(
        threshold_notice(statement) for statement in dict.fromkeys(message.statements)
    )
    return report


def _repeat(finding: Finding | None, notes: tuple[str, ...]) -> None:
    """The same value again: counted on its finding (an error is simply not repeated)."""
    if finding is None:
        return
    finding.repeats += 1
    finding.notes.extend(note for note in notes if note not in finding.notes)
