"""Which conclusions of the rules file hold for a message: its findings, the results of its
context analytes and the patient it describes (labtool.conditions lists the condition kinds).

An attribute the text leaves unstated takes its `assumed` value when the rules file says
`when_unstated: assume`; otherwise a condition on it does not hold (and an `unless` on it
does not block). A censored result meets a bound only when every value it allows does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from labtool.attributes import Attribute, Condition
from labtool.bands import Interval
from labtool.conditions import NOT_MEASURED, Check, ConclusionRule
from labtool.context import ContextResult, PatientContext
from labtool.cues import decide
from labtool.report import Conclusion, Finding
from labtool.rules import RuleSet

AttributeAnswer = bool | Decimal | str | None


@dataclass(frozen=True)
class Facts:
    """What the conditions of a conclusion are checked against."""

    categories: Mapping[str, frozenset[str]]  # classified analyte -> categories found
    results: Mapping[str, tuple[Interval, ...]]  # analyte -> usable results, canonical unit
    context: PatientContext
    declared: Mapping[str, Attribute]

    def attribute(self, name: str) -> AttributeAnswer:
        context = self.context
        if name == "pregnant":
            return context.pregnant
        if name == "sex":
            return context.sex
        if name == "age":
            return context.age_years
        if name == "trimester":
            return None if context.trimester is None else Decimal(context.trimester)
        value = context.attribute(name)
        declared = self.declared.get(name)
        if value is None and declared is not None and declared.when_unstated == "assume":
            return declared.assumed
        return value


def _finding_interval(finding: Finding) -> Interval:
    value = Decimal(repr(finding.canonical_value))
    return (
        Interval.point(value)
        if finding.censored is None
        else Interval.censored(value, finding.censored)
    )


def gather(
    findings: Sequence[Finding],
    results: Sequence[ContextResult],
    context: PatientContext,
    declared: Mapping[str, Attribute],
) -> Facts:
    categories: dict[str, set[str]] = {}
    intervals: dict[str, list[Interval]] = {}
    for finding in findings:
        categories.setdefault(finding.analyte, set()).add(finding.category)
        intervals.setdefault(finding.analyte, []).append(_finding_interval(finding))
    for result in results:
        if result.interval is not None:
            intervals.setdefault(result.analyte, []).append(result.interval)
    return Facts(
        categories={key: frozenset(found) for key, found in categories.items()},
        results={key: tuple(found) for key, found in intervals.items()},
        context=context,
        declared=declared,
    )


Test = Callable[[Facts], bool]


def compile_check(check: Check) -> Test:
    """The condition as a function of the facts, its constants (bounds, category sets) taken
    out of the rules model once."""
    if check.any_of is not None:
        anyone = tuple(compile_check(child) for child in check.any_of)
        return lambda facts: any(test(facts) for test in anyone)
    if check.all_of is not None:
        every = tuple(compile_check(child) for child in check.all_of)
        return lambda facts: all(test(facts) for test in every)
    bound = check.bound
    if check.analyte is not None:
        return _analyte_test(check, check.analyte, bound)
    attribute = check.attribute
    assert attribute is not None
    if check.stated is not None:
        stated = check.stated
        return lambda facts: facts.context.stated(attribute) == stated
    if check.is_value is not None:
        wanted = check.is_value

        def is_value(facts: Facts) -> bool:
            value = facts.attribute(attribute)
            return type(value) is type(wanted) and value == wanted

        return is_value

    def in_bound(facts: Facts) -> bool:
        value = facts.attribute(attribute)
        return isinstance(value, Decimal) and bound is not None and bound.contains(value)

    return in_bound


def _analyte_test(check: Check, analyte: str, bound: Condition | None) -> Test:
    if check.categories is not None:
        categories = frozenset(check.categories)
        absent = NOT_MEASURED in categories

        def in_categories(facts: Facts) -> bool:
            found = facts.categories.get(analyte)
            return absent if found is None else not found.isdisjoint(categories)

        return in_categories
    if check.measured is not None:
        measured = check.measured
        return lambda facts: bool(facts.results.get(analyte, ())) == measured
    return lambda facts: (
        bound is not None
        and any(decide(bound, interval) is True for interval in facts.results.get(analyte, ()))
    )


def holds(check: Check, facts: Facts) -> bool:
    return compile_check(check)(facts)


@dataclass(frozen=True)
class _Compiled:
    """A conclusion ready to check: its tests, the analytes its `when` needs given, and every
    analyte it looks at."""

    rule: ConclusionRule
    when: tuple[Test, ...]
    unless: tuple[Test, ...]
    needs: frozenset[str]
    looks_at: frozenset[str]

    def fires(self, facts: Facts) -> bool:
        if not all(test(facts) for test in self.when):
            return False
        given = facts.categories.keys() | facts.results.keys()
        if any(key in given for key in self.rule.unless_present):
            return False
        return not any(test(facts) for test in self.unless)


def fires(conclusion: ConclusionRule, facts: Facts) -> bool:
    """Every `when` condition holds, no `unless` condition holds, no `unless_present` analyte
    was given."""
    return _compile(conclusion).fires(facts)


def _analytes(check: Check) -> set[str]:
    """Every analyte a condition (and any nested one) looks at."""
    found = {check.analyte} if check.analyte is not None else set()
    for child in check.children:
        found |= _analytes(child)
    return found


def _needs(check: Check) -> frozenset[str]:
    """Analytes that must have been given for the condition to hold."""
    if check.all_of is not None:
        return frozenset().union(*(_needs(child) for child in check.all_of))
    if check.any_of is not None:
        return frozenset.intersection(*(_needs(child) for child in check.any_of))
    if check.analyte is None:
        return frozenset()
    if check.categories is not None and NOT_MEASURED in check.categories:
        return frozenset()
    if check.measured is False:
        return frozenset()
    return frozenset({check.analyte})


def _compile(rule: ConclusionRule) -> _Compiled:
    checks = [*rule.when, *rule.unless]
    return _Compiled(
        rule=rule,
        when=tuple(compile_check(check) for check in rule.when),
        unless=tuple(compile_check(check) for check in rule.unless),
        needs=frozenset().union(*(_needs(check) for check in rule.when)),
        looks_at=frozenset(
            set().union(*(_analytes(check) for check in checks)) | set(rule.unless_present)
        ),
    )


def conclusions_for(
    findings: Sequence[Finding],
    ruleset: RuleSet,
    context: PatientContext | None = None,
    results: Sequence[ContextResult] = (),
    exclude: Collection[str] = (),
) -> list[Conclusion]:
    """The conclusions that hold, in rules-file order (none without a finding).

    `exclude`: analytes given with two different values; no conclusion that looks at one of
    them is drawn (labtool.repeats).
    """
    if not findings:
        return []  # every conclusion needs at least one finding (checked when loading)
    facts = gather(findings, results, context or PatientContext(), ruleset.attributes)
    given = set(facts.categories) | set(facts.results)
    compiled = ruleset.tables.memo(
        ("conclusions", id(ruleset.conclusions)),
        lambda: tuple(_compile(rule) for rule in ruleset.conclusions),
    )
    return [
        Conclusion(
            code=item.rule.id,
            summary=item.rule.summary,
            sources=[ruleset.source_ref(item.rule.source)],
        )
        for item in compiled
        if item.needs <= given and item.looks_at.isdisjoint(exclude) and item.fires(facts)
    ]
