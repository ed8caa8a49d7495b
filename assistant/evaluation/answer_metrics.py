"""Scorers of what an answer shows and in what order (issue 11): the lead, the length, repeated
statements, admitted gaps, near-domain abstention, caveats, lab values across turns and patient
readability. Each reads the answer's parts (`direct`, `gaps`, `sections`, `more_detail`,
`lab_details`), never the shown Markdown, and returns a value with its evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal

from labtool.report import LabReport

from assistant.evaluation.cases import EvalCase, ExpectedLab
from assistant.evaluation.metrics import (
    Evidence,
    MetricResult,
    count_metric,
    error_matches,
    finding_matches,
    observed_behavior,
    rate_metric,
)
from assistant.evaluation.text import claim_sentences, stated_numbers
from assistant.schema import AnswerResult

# The fixed, testable sentence an answer uses to say what the corpus does not cover (issue 11).
GAP_SENTENCE = "The guideline corpus does not say"
NEAR_DOMAIN_TAG = "near-domain"
LEAD_SENTENCES = 3
# The answer budget (issue 11), also the per-case mark of an answer over it.
LENGTH_BUDGET_WORDS = 350
READABILITY_MAX_GRADE = 8.0
NEAR_IDENTICAL = 0.9  # content-word Jaccard of two statements worded (almost) the same
SAME_SUBJECT = 0.5  # content-word Jaccard of two statements giving the same numbers

_MARKER = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\]")
_WORD = re.compile(r"[^\W_]+(?:['’./-][^\W_]+)*")
_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)+|\*\*|__")
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be been by can for from has have in is it its may of on or so than "
        "that the their them then there these this those to was were which while who will with "
        "not no but if into also should would could when where what how per",
    )
)


def plain_text(markdown: str) -> str:
    """The words a reader sees: no citation markers, heading marks, bullets or bold; a line
    without end punctuation (a heading, a bullet) ends a sentence."""
    lines: list[str] = []
    for raw in markdown.splitlines():
        line = _MARKUP.sub("", _MARKER.sub("", raw)).strip()
        line = re.sub(r"\s+([.,;:])", r"\1", line)
        if not line:
            continue
        lines.append(line if line[-1] in ".!?:;" else f"{line}.")
    return "\n".join(lines)


def word_count(markdown: str) -> int:
    return len(_WORD.findall(plain_text(markdown)))


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> frozenset[str]:
    words = (w.lower() for w in _WORD.findall(_MARKER.sub("", text)))
    return frozenset(_stem(w) for w in words if w not in _STOPWORDS and not w[0].isdigit())


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


# --- the lead and the length ---------------------------------------------------------------


def lead_answers(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    """The case's `lead` is said within the first three sentences of the direct answer."""
    if case.lead is None:
        return None
    sentences = [s.text for s in claim_sentences(result.direct) if not s.is_heading]
    opening = _MARKER.sub("", " ".join(sentences[:LEAD_SENTENCES]))
    if re.search(case.lead, opening, re.IGNORECASE):
        return rate_metric("lead_answers", 1, 1, [])
    shown = opening[:300] or "no direct answer"
    evidence = [Evidence(kind="pattern", text=case.lead, detail=f"not in the lead: {shown}")]
    return rate_metric("lead_answers", 0, 1, evidence)


def answer_words(result: AnswerResult) -> MetricResult | None:
    """Words shown first (direct answer, gaps, sections; not lab details, not references).

    Aggregated over the answered cases as `length_median` and `length_p95`.
    """
    shown = result.shown_first
    if not shown.strip():
        return None
    words = word_count(shown)
    over = words > LENGTH_BUDGET_WORDS
    evidence = (
        [Evidence(kind="note", text=f"{words} words", detail=f"over {LENGTH_BUDGET_WORDS}")]
        if over
        else []
    )
    return MetricResult(
        name="answer_words", kind="level", hits=words, passed=not over, evidence=evidence
    )


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(round(share * len(ordered), 9)))
    return float(ordered[min(rank, len(ordered)) - 1])


# --- repetition ----------------------------------------------------------------------------


def repetition(result: AnswerResult) -> MetricResult:
    """Statements of the body shown twice: the same numbers (or none) in (almost) the same
    words (content-word Jaccard >= 0.9), or the same numbers on the same subject (>= 0.5).
    Each repeat of an earlier statement counts once."""
    seen: list[tuple[str, frozenset[str], frozenset[Decimal]]] = []
    evidence: list[Evidence] = []
    for sentence in claim_sentences(result.body):
        if sentence.is_heading:
            continue
        words = content_words(sentence.text)
        if len(words) < 3:
            continue
        numbers = frozenset(value for _, value in stated_numbers(_MARKER.sub("", sentence.text)))
        for text, other_words, other_numbers in seen:
            overlap = _jaccard(words, other_words)
            # The same numbers (or none) and (almost) the same words; or the same numbers and
            # half the words: the same figures said of the same thing.
            same_numbers = numbers == other_numbers
            if same_numbers and (
                overlap >= NEAR_IDENTICAL or (numbers and overlap >= SAME_SUBJECT)
            ):
                evidence.append(
                    Evidence(kind="sentence", text=sentence.text, detail=f"repeats: {text}")
                )
                break
        else:
            seen.append((sentence.text, words, numbers))
    return count_metric("repetition", evidence)


# --- gaps, scope, caveats ----------------------------------------------------------------


def gap_admission(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    """`expected_gap: true`: a gap states the fixed sentence; `false`: no gap is stated."""
    if case.expected_gap is None:
        return None
    stated = [g for g in result.gaps if g.strip().startswith(GAP_SENTENCE)]
    if case.expected_gap and not stated:
        note = f"no gap sentence ({GAP_SENTENCE} …)"
        shown = result.gaps[0] if result.gaps else (result.direct[:300] or "no direct answer")
        return rate_metric("gap_admission", 0, 1, [Evidence(kind="note", text=note, detail=shown)])
    if not case.expected_gap and result.gaps:
        evidence = [
            Evidence(kind="sentence", text=g, detail="gap stated, none expected")
            for g in result.gaps
        ]
        return rate_metric("gap_admission", 0, 1, evidence)
    return rate_metric("gap_admission", 1, 1, [])


def near_domain_abstention(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    """A case tagged `near-domain` (a neighbouring subject the corpus does not cover)
    abstains."""
    if NEAR_DOMAIN_TAG not in case.tags:
        return None
    seen = observed_behavior(result)
    if seen == "abstain":
        return rate_metric("near_domain_abstention", 1, 1, [])
    shown = result.direct[:300] or result.body[:300]
    evidence = [Evidence(kind="note", text=f"expected abstain, got {seen}", detail=shown)]
    return rate_metric("near_domain_abstention", 0, 1, evidence)


def answer_parts(result: AnswerResult) -> list[tuple[str, str]]:
    """(label, text) of each part of the body a reader sees as one block."""
    parts = [("direct answer", result.direct)]
    parts += [(f"gap {n}", gap) for n, gap in enumerate(result.gaps, start=1)]
    parts += [(f"section {s.heading!r}", s.markdown) for s in result.sections]
    parts += [(f"more detail {s.heading!r}", s.markdown) for s in result.more_detail]
    parts.append(("lab details", result.lab_details))
    return [(label, text) for label, text in parts if text.strip()]


def caveat_retention(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    """Where the statement a caveat qualifies (`caveat_for`) is shown, the caveat is shown in
    the same part. Not scored when the statement is not shown at all."""
    if case.caveat is None or case.caveat_for is None:
        return None
    showing = [
        (label, text)
        for label, text in answer_parts(result)
        if re.search(case.caveat_for, _MARKER.sub("", text), re.IGNORECASE)
    ]
    if not showing:
        return None
    evidence = [
        Evidence(kind="pattern", text=case.caveat, detail=f"missing from {label}: {text[:300]}")
        for label, text in showing
        if not re.search(case.caveat, _MARKER.sub("", text), re.IGNORECASE)
    ]
    return rate_metric("caveat_retention", 0 if evidence else 1, 1, evidence)


# --- lab values across turns ------------------------------------------------------------


def from_earlier_turns(case: EvalCase, row: ExpectedLab) -> bool:
    """The row's value is written in a user message before the last one."""
    if row.value is None:
        return False
    earlier = " ".join(m.content for m in case.conversation[:-1] if m.role == "user")
    value = Decimal(repr(abs(row.value)))
    return any(v == value for _, v in stated_numbers(earlier))


def lab_state(case: EvalCase, labs: LabReport | None) -> MetricResult | None:
    """Multi-turn cases: each expected row whose value was given in an earlier turn is in the
    final turn's lab output (same analyte, value, unit and category, or the expected error)."""
    if len(case.conversation) < 2:
        return None
    rows = [row for row in case.expected_labs if from_earlier_turns(case, row)]
    if not rows:
        return None
    report = labs or LabReport()
    evidence: list[Evidence] = []
    for row in rows:
        if row.error is not None:
            found = any(error_matches(row, e) for e in report.errors)
        else:
            found = any(
                finding_matches(row, f) and f.category == row.category for f in report.findings
            )
        if not found:
            detail = "given in an earlier turn, not in the final turn's lab output"
            evidence.append(Evidence(kind="lab", text=row.describe(), detail=detail))
    return rate_metric("lab_state", len(rows) - len(evidence), len(rows), evidence)


# --- patient readability -----------------------------------------------------------------


def reading_grade(markdown: str) -> float:
    """Flesch-Kincaid grade (textstat) of what a reader sees, without citation markers."""
    try:
        import textstat  # type: ignore[import-untyped]
    except ImportError as exc:  # a development dependency (pyproject: [dev])
        raise RuntimeError(
            "patient_readability needs textstat: pip install -e '.[dev]' -c constraints.txt"
        ) from exc
    return float(textstat.flesch_kincaid_grade(plain_text(markdown)))


def patient_readability(case: EvalCase, result: AnswerResult) -> MetricResult | None:
    """Patient-audience answers read at school grade 8 or below (what is shown first)."""
    if case.audience != "patient" or not result.shown_first.strip():
        return None
    grade = reading_grade(result.shown_first)
    if grade <= READABILITY_MAX_GRADE:
        return rate_metric("patient_readability", 1, 1, [])
    detail = f"above {READABILITY_MAX_GRADE:g}: {result.shown_first[:300]}"
    evidence = [Evidence(kind="note", text=f"grade {grade:.1f}", detail=detail)]
    return rate_metric("patient_readability", 0, 1, evidence)
