"""Grounding scorers: every number has a source, every claim a citation, every stated
cut-off agrees with the rules file. Each returns a value and the offending number or sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from labtool.report import LabReport

from assistant.evaluation.metrics import Evidence, MetricResult, count_metric, rate_metric
from assistant.evaluation.rules_view import AnalyteBounds, RulesView
from assistant.evaluation.text import (
    Quantity,
    claim_sentences,
    number_set,
    quantities,
    rounds_to,
    stated_numbers,
)
from assistant.schema import AnswerResult, Citation
from assistant.text.sentences import split_sentences, strip_citations

_RECOMMENDATION = re.compile(
    r"\b(should|recommend\w*|advis\w*|offer|consider|prescrib\w*|treat(?:ment|ed)?|doses?|"
    r"dosing|refer(?:ral)?|re-?check\w*|re-?test\w*|monitor\w*|measur\w*|give|start|"
    r"continue|lifelong|indefinitely)\b",
    re.IGNORECASE,
)


def _tool_values(labs: LabReport | None) -> tuple[set[Decimal], set[Decimal]]:
    """(numbers written in the tool's strings, numeric fields that may be shown rounded)."""
    written: set[Decimal] = set()
    computed: set[Decimal] = set()

    def walk(node: object) -> None:
        if isinstance(node, bool):
            return
        if isinstance(node, int | float):
            computed.add(Decimal(repr(float(node))))
        elif isinstance(node, str):
            written.update(number_set(node))
        elif isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if labs is not None:
        walk(labs.model_dump(mode="json"))
    return written, computed


def _source_numbers(citations: Sequence[Citation]) -> set[Decimal]:
    values: set[Decimal] = set()
    for c in citations:
        values |= number_set(f"{c.text}\n{c.title}\n{c.section}\n{c.year}")
    return values


def _supported(token: str, value: Decimal, allowed: set[Decimal], computed: set[Decimal]) -> bool:
    return value in allowed or any(rounds_to(token, value, c) for c in computed)


def _normalised(text: str) -> str:
    return " ".join(strip_citations(text).replace("*", "").lower().split())


def _tool_texts(labs: LabReport | None) -> list[str]:
    """The lab tool's own sentences (summaries, notes, messages), normalised."""
    if labs is None:
        return []
    texts = [e.message for e in labs.errors]
    texts += [t for f in labs.findings for t in (f.summary, *f.notes)]
    texts += [c.summary for c in labs.conclusions] + [c.summary for c in labs.conflicts]
    # An answer may quote one sentence of a longer tool message (behind a label).
    texts += [part for t in texts for part in split_sentences(t)]
    return [_normalised(t) for t in texts if len(t) >= 20]


def _from_tool(sentence: str, tool_texts: list[str]) -> bool:
    text = _normalised(sentence)
    return any(t in text or text in t for t in tool_texts if len(text) >= 20)


def numeric_fidelity(result: AnswerResult) -> MetricResult:
    """Numbers in the answer that no cited passage and no tool output contains (must be 0)."""
    written, computed = _tool_values(result.labs)
    allowed = _source_numbers(result.citations) | written | computed
    evidence = [
        Evidence(kind="number", text=token, detail=sentence.text)
        for sentence in claim_sentences(result.body)
        for token, value in stated_numbers(sentence.text)
        if not _supported(token, value, allowed, computed)
    ]
    return count_metric("unsupported_numbers", evidence)


_CLAUSE_BREAK = re.compile(r";|,\s+(?:or|and|but|while|whereas)\b")


def _analyte_before(text: str, position: int, rules: RulesView) -> str | None:
    """The analyte named closest before `position` ("" for one the rules do not cover)."""
    best: tuple[int, int, str] | None = None  # (end, length, key)
    names = [(a.key, alias) for a in rules.analytes.values() for alias in a.aliases]
    names += [("", other) for other in rules.other_names]
    for key, alias in names:
        for m in re.finditer(rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])", text):
            if m.end() <= position:
                candidate = (m.end(), m.end() - m.start(), key)
                best = candidate if best is None or candidate[:2] > best[:2] else best
    return None if best is None else best[2]


def threshold_consistency(result: AnswerResult, rules: RulesView) -> MetricResult:
    """Cut-offs an answer quotes from a source the rules file encodes must be in that rule.

    A number is checked when it is stated as a cut-off (comparator, range or cut-off word),
    its unit belongs to the analyte named just before it, the sentence uses the words of that
    analyte's categories, and the sentence cites a corpus section a rule of that analyte cites.
    It must then be a boundary of such a rule (in any of the analyte's units). The patient's
    own values (the tool's findings) are not cut-offs.
    """
    patient = [
        v
        for f in (result.labs.findings if result.labs else [])
        for v in (f.value, f.canonical_value, *f.converted.values())
    ]
    by_n = {c.n: c for c in result.citations}
    evidence: list[Evidence] = []
    for sentence in claim_sentences(result.body):
        cited = [(by_n[n].doc_id, by_n[n].section) for n in sentence.cites if n in by_n]
        if not cited:
            continue
        text = strip_citations(sentence.text)
        lowered = text.lower()
        for q in quantities(text, rules.units):
            if not q.is_cutoff or q.unit is None:
                continue
            if any(abs(q.value - p) <= q.step / 2 for p in patient):
                continue
            # "..., or your glucose two hours after a drink is 200 mg/dL": a new clause may
            # name its test in words the rules do not list, so an earlier clause's name is not it.
            clause = max((m.end() for m in _CLAUSE_BREAK.finditer(lowered, 0, q.start)), default=0)
            key = _analyte_before(lowered[clause:], q.start - clause, rules)
            if key == "":
                continue  # an analyte the rules do not classify
            # Unnamed ("Deficiency is confirmed below 180 ng/L [2]"): the analytes whose
            # rules cite the sentence's source.
            named = [rules.analytes[key]] if key else list(rules.analytes.values())
            verdicts = [
                _stated_cut_off_problem(analyte, q, cited)
                for analyte in named
                if analyte.accepts(q.unit)
                and any(re.search(rf"\b{w}", lowered) for w in analyte.category_words)
            ]
            checked = [v for v in verdicts if v is not None]
            if checked and all(checked):
                evidence.append(
                    Evidence(
                        kind="number",
                        text=f"{q.text} {q.unit}",
                        detail=f"not a cut-off of {', '.join(checked)} in the rules file: "
                        f"{sentence.text}",
                    )
                )
    return count_metric("threshold_inconsistencies", evidence)


def _stated_cut_off_problem(
    analyte: AnalyteBounds, q: Quantity, cited: list[tuple[str, str]]
) -> str | None:
    """None when no rule of the analyte cites the sentence's source; "" when the figure is a
    cut-off of those rules (or of a primary rule); else the ids of the rules it contradicts."""
    citing = [r for r in analyte.rules if any(r.cites(d, s) for d, s in cited)]
    if not citing:
        return None
    # One section can give several populations' figures, or quote another source's: the
    # figure may be a primary rule's (any unit) or another rule's in the unit it was published.
    allowed = citing + [r for r in analyte.rules if r.primary]
    others = [r for r in analyte.rules if r not in allowed]
    unit = q.unit or ""
    for value in (q.value, q.value + q.step) if q.range_upper else (q.value,):
        if analyte.is_boundary(value, unit, allowed) or analyte.is_boundary(
            value, unit, others, same_unit=True
        ):
            return ""
    return ", ".join(r.rule_id for r in citing)


def citation_structure(result: AnswerResult) -> MetricResult:
    """ALCE-style: claims carry citations, citations resolve, a number stands in its source."""
    by_n = {c.n: c for c in result.citations}
    written, computed = _tool_values(result.labs)
    tool_numbers = written | computed
    tool_texts = _tool_texts(result.labs)
    evidence: list[Evidence] = []
    for sentence in claim_sentences(result.body):
        numbers = stated_numbers(sentence.text)
        unresolved = [n for n in sentence.cites if n not in by_n]
        for n in unresolved:
            evidence.append(
                Evidence(
                    kind="citation", text=f"[{n}]", detail=f"resolves to nothing: {sentence.text}"
                )
            )
        if sentence.is_heading:
            continue
        needs = bool(numbers) or bool(_RECOMMENDATION.search(sentence.text))
        if needs and not sentence.cites and _from_tool(sentence.text, tool_texts):
            continue  # the lab tool's own message: the tool output is its source
        if needs and not sentence.cites:
            evidence.append(
                Evidence(kind="sentence", text=sentence.text, detail="claim without a citation")
            )
            continue
        cited = _source_numbers([by_n[n] for n in sentence.cites if n in by_n])
        for token, value in numbers:
            if not _supported(token, value, cited | tool_numbers, computed):
                evidence.append(
                    Evidence(
                        kind="number",
                        text=token,
                        detail=f"not in cited passage(s) {list(sentence.cites)}: {sentence.text}",
                    )
                )
    return rate_metric("citation_structure", 0 if evidence else 1, 1, evidence)
