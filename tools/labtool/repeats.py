"""A test given more than once in one message, and quoted cut-offs.

The same value written twice is one finding (labtool.interpret counts the repeats). The same
result restated in another unit ("B12 240 ng/L ... B12 177 pmol/L") is no contradiction: the
second value, rounded as the first was written, is the first. Any other pair of values of one
test is: both are classified, a CONFLICTING_VALUES error names them, and no conclusion uses
that test, since either value could be the one that counts. A test read only for context
(its results set patient attributes) given with two values is reported the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from labtool.context import ContextResult
from labtool.report import Finding, LabError, LabNotice
from labtool.rules import RuleSet
from labtool.units import format_number, round_like, significant_figures

__all__ = ["different_values", "threshold_notice"]


def _number(written: str) -> Decimal:
    return Decimal(written.lstrip("<>≤≥"))


def _restates(first: Finding, second: Finding) -> bool:
    """Is `second` the same result as `first`, written in another unit and rounded?"""
    if first.censored != second.censored or first.unit not in second.converted:
        return False
    shown = _number(first.written)
    other = Decimal(repr(second.converted[first.unit]))
    return Decimal(round_like(other, significant_figures(shown))) == shown


def _same(first: Finding, second: Finding) -> bool:
    return _restates(first, second) or _restates(second, first)


def _message(name: str, values: list[str]) -> str:
    return (
        f"Two different values of {name} in one message ({' and '.join(values)}): each is "
        f"classified, but no conclusion is drawn from {name}; if they are results of "
        "different dates, give the latest."
    )


def different_values(
    findings: Sequence[Finding], results: Sequence[ContextResult], rules: RuleSet
) -> list[tuple[str, LabError]]:
    """(analyte key, error) for every test given with two different values."""
    found: list[tuple[str, LabError]] = []
    by_analyte: dict[str, list[Finding]] = {}
    for finding in findings:
        by_analyte.setdefault(finding.analyte, []).append(finding)
    for key, group in by_analyte.items():
        distinct: list[Finding] = []
        for finding in group:
            if not any(_same(finding, kept) for kept in distinct):
                distinct.append(finding)
        if len(distinct) > 1:
            values = [f"{f.written} {f.unit}" for f in distinct]
            name = distinct[0].analyte_name or key
            error = LabError(
                input="; ".join(values), code="CONFLICTING_VALUES", message=_message(name, values)
            )
            found.append((key, error))
    context: dict[str, list[ContextResult]] = {}
    for result in results:
        analyte = rules.analytes.get(result.analyte)
        if analyte is not None and not analyte.classified and result.interval is not None:
            known = context.setdefault(result.analyte, [])
            if all(r.interval != result.interval for r in known):
                known.append(result)
    for key, known in context.items():
        if len(known) > 1:
            analyte = rules.analytes[key]
            values = [
                f"{_limit(r)}{format_number(r.interval.representative)} {analyte.canonical_unit}"
                for r in known
                if r.interval is not None
            ]
            error = LabError(
                input="; ".join(values),
                code="CONFLICTING_VALUES",
                message=_message(analyte.name, values),
            )
            found.append((key, error))
    return found


def _limit(result: ContextResult) -> str:
    interval = result.interval
    if interval is None or interval.is_point:
        return ""
    if interval.high is None:
        return "≥" if interval.low_closed else ">"
    return "≤" if interval.high_closed else "<"


def threshold_notice(statement: str) -> LabNotice:
    """A quoted cut-off or range (labtool.statements): read, and not taken as a result."""
    return LabNotice(
        input=statement,
        code="THRESHOLD_STATEMENT",
        message=(
            f"'{statement}' states a cut-off or a range, not a result, so it was not "
            "interpreted; the cut-offs used come only from the pack's rules file. A result "
            "given as a limit is written with a sign before the number (< or >)."
        ),
    )
