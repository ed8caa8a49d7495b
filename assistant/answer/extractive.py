"""The default, offline composer: a short answer built from the corpus's own statements.

The direct answer first (the lab tool's interpretation when the message gives results, else the
most authoritative statement that answers), then at most a few sections that add to it, within
a word budget; what does not fit waits under "More detail". What the corpus does not say is
said in one fixed sentence beside what it does say; when it says nothing on the question itself,
the question is refused (beside lab results, the guidance shown sits under a heading that says
it is related). Deterministic: the same evidence gives the same answer. The reference list and
disclaimer are added by the pipeline after the guard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from labtool.rules_model import Analyte

from assistant.answer.applies import restates_rules
from assistant.answer.citations import CitationRegistry
from assistant.answer.lab_patient import render_patient_lab_answer
from assistant.answer.lab_section import lab_statements, render_lab_answer, render_lab_details
from assistant.answer.parts import GAP_PREFIX, MORE_DETAIL_HEADING
from assistant.answer.select import (
    STRONG_ANSWER,
    Plan,
    Question,
    answers_question,
    best_relevance,
    plan_answer,
)
from assistant.answer.statements import Statement, Vectors, score_statements
from assistant.domain.language import DomainLanguage
from assistant.question.aspect import asking_sentence
from assistant.question.followup import ResolvedQuestion
from assistant.schema import Audience, Difference, Evidence, LabEvidence, Passage

DIFFERENCES_HEADING = "### Where sources differ"
RELATED_HEADING = "Related guidance"
_DIFFERENCES_SHOWN = 3  # comparison sources shown; the rest wait under "More detail"
_RESTATES = 0.5  # share of words a corpus statement shares with a lab-tool statement it repeats


def compose_body(
    question: ResolvedQuestion | None,
    evidence: Evidence,
    registry: CitationRegistry,
    language: DomainLanguage,
    vectors: Vectors,
    *,
    labs: LabEvidence | None = None,
    differences: Sequence[Difference] = (),
    direct_answer: bool = True,
    audience: Audience = "clinician",
    unknown_terms: Sequence[str] = (),
    analytes: Mapping[str, Analyte] | None = None,
) -> str | None:
    """The cited answer body in Markdown (no reference list, no disclaimer), or None when no
    statement of the evidence answers the question (and there are no lab results to give).

    `direct_answer=False`: the lab tool's interpretation is the whole direct answer (the
    question only asked what the values mean). `unknown_terms`: what the question names that
    the corpus never mentions; the answer says so beside what the corpus does answer, and is
    None when nothing else answers clearly.
    """
    blocks: list[str] = []
    with_findings = labs is not None and bool(labs.report.findings)
    lab_block = ""
    if labs is not None and with_findings:
        if audience == "patient":
            lab_block = render_patient_lab_answer(labs, registry, analytes or {})
        else:
            lab_block = render_lab_answer(labs, registry)
        blocks.append(lab_block)
    if question is not None and evidence.passages:
        statements = question_statements(
            question, evidence, language, vectors, labs=labs, analytes=analytes, audience=audience
        )
        if not answers_question(statements) and not with_findings:
            return None
        asked = _question(question, language, labs)
        gap = _gap_sentence(unknown_terms)
        # Beside a gap, a statement leads only if it clearly answers; else the rest is related.
        leads = direct_answer and (not gap or best_relevance(statements) >= STRONG_ANSWER)
        # What "Where sources differ" quotes is not shown again in a section.
        compared = [sentence for sentence, _ in _shown(differences)]
        quoted = [s for s in statements if any(s.text in c or c in s.text for c in compared)]
        plan = plan_answer(statements, asked, lead=leads, reserved=quoted)
        if gap and not plan.direct and not with_findings:
            return None  # the corpus covers none of what is asked: refused, nothing cited
        seen: set[str] = set()  # texts shown so far, in any block
        if gap:  # what the corpus does not say comes first: the reader must not miss it
            blocks.append(gap)
        if plan.direct:
            # Beside results, their interpretation stays first: what the corpus says next
            # ("a raised MMA is diagnostic...") is read against what the results are.
            blocks.append(_paragraph(plan.direct, registry, seen))
        related = bool(gap) and not plan.direct
        reserved = [statement for _, group in plan.sections for statement in group]
        difference_block, difference_more = _differences(
            differences, [*plan.direct, *reserved], registry
        )
        plan.more = _without(plan.more, compared)
        for index, (topic, group) in enumerate(plan.sections):
            heading = RELATED_HEADING if related and index == 0 else language.heading(topic)
            blocks.append(_section(heading, group, registry, seen))
            if difference_block and topic in language.keys_with_role("thresholds"):
                blocks.append(difference_block)
                difference_block = ""
        if difference_block:
            blocks.append(difference_block)
        blocks.append(_more_detail(plan, difference_more, language, registry, seen))
    if labs is not None and not labs.report.empty:
        blocks.append(render_lab_details(labs, registry))
    return "\n\n".join(block for block in blocks if block.strip())


def question_statements(
    question: ResolvedQuestion,
    evidence: Evidence,
    language: DomainLanguage,
    vectors: Vectors,
    *,
    labs: LabEvidence | None = None,
    analytes: Mapping[str, Analyte] | None = None,
    audience: Audience = "clinician",
) -> list[Statement]:
    """The evidence's statements scored against the question, without those that repeat the
    lab tool (what the composer chooses from; also what the floors are calibrated on)."""
    # This turn's own words decide; the lab tool's words for the results and the earlier
    # turns' topic count half.
    statements = score_statements(
        evidence,
        question.asked or question.question,
        f"{question.context} {question.findings}".strip(),
        language,
        vectors.embed,
        _question_vectors(question, vectors),
        (labs.report.findings, analytes) if labs is not None and analytes else None,
        plain=audience == "patient",
    )
    if labs is not None:
        statements = _not_restating(statements, labs, language, analytes or {})
    return statements


def _question_vectors(question: ResolvedQuestion, vectors: Vectors) -> np.ndarray:
    """The question as asked (a follow-up with the topic it continues), and its asking
    sentence when a situation comes first."""
    asked = question.search_text if question.is_followup else question.question
    rows = [vectors.question(asked)]
    if (sentence := asking_sentence(question.question)) is not None:
        rows.append(vectors.question(sentence))
    return np.stack(rows)


def _question(
    question: ResolvedQuestion, language: DomainLanguage, labs: LabEvidence | None
) -> Question:
    asked = question.asked or question.question
    qualifiers = language.keys_with_role("qualifier")
    given = frozenset(f.analyte for f in labs.report.findings) if labs is not None else frozenset()
    return Question(
        text=question.question,
        tests=language.analytes_in(question.question) or language.analytes_in(question.context),
        aspects=tuple(key for key in language.topics_of(asked) if key not in qualifiers),
        given=given,
        qualifiers=qualifiers,
        followup=question.is_followup,
        beside_results=labs is not None and bool(labs.report.findings),
        populations=frozenset(
            key for key in language.topics_of(f"{asked} {question.context}") if key in qualifiers
        ),
        names_tests=language.analytes_in,
    )


def _gap_sentence(terms: Sequence[str]) -> str:
    """The fixed sentence for what the corpus does not mention (no number: nothing to trace)."""
    shown = [term for term in dict.fromkeys(terms) if term and not any(c.isdigit() for c in term)]
    if not shown:
        return ""
    listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
    return f"{GAP_PREFIX} anything about {listed}."


def _not_restating(
    statements: list[Statement],
    labs: LabEvidence,
    language: DomainLanguage,
    analytes: Mapping[str, Analyte],
) -> list[Statement]:
    """Leave out corpus statements that repeat what the lab tool already says: in its words, or
    by stating only the cut-offs of the rules it classified the result with."""
    tool = [frozenset(language.vocabulary.content_stems(s)) for s in lab_statements(labs)]
    findings = labs.report.findings
    return [
        s
        for s in statements
        if not any(s.stems and len(s.stems & t) / len(s.stems | t) >= _RESTATES for t in tool)
        and not restates_rules(s.text, s.subjects, findings, analytes)
    ]


def _paragraph(statements: list[Statement], registry: CitationRegistry, seen: set[str]) -> str:
    return " ".join(_unique_cited(statements, registry, seen))


def _section(
    heading: str,
    statements: list[Statement],
    registry: CitationRegistry,
    seen: set[str],
) -> str:
    lines = [f"### {heading}", ""]
    lines.extend(f"- {line}" for line in _unique_cited(statements, registry, seen))
    return "\n".join(lines)


def _unique_cited(
    statements: list[Statement], registry: CitationRegistry, seen: set[str]
) -> list[str]:
    """Each statement with its citation; a text already shown in the answer is not shown
    again. Updates `seen`."""
    cited: list[str] = []
    for statement in statements:
        text = statement.shown
        if text in seen:
            continue
        seen.add(text)
        cited.append(registry.cited(text, statement.passage))
    return cited


def _differences(
    differences: Sequence[Difference], shown: list[Statement], registry: CitationRegistry
) -> tuple[str, list[tuple[str, Passage]]]:
    """ "Where sources differ" (once, a few sources), and the sources left for More detail."""
    if not differences:
        return "", []
    texts = [statement.text for statement in shown]
    lines = [DIFFERENCES_HEADING, ""]
    more: list[tuple[str, Passage]] = []
    for difference in differences:
        rest = [(s, p) for s, p in difference.statements if not any(s in t for t in texts)]
        lines.append(f"- **{difference.analyte}**")
        lines.extend(f"  - {registry.cited(s, p)}" for s, p in rest[:_DIFFERENCES_SHOWN])
        more.extend(rest[_DIFFERENCES_SHOWN:])
    return "\n".join(lines), more


def _shown(differences: Sequence[Difference]) -> list[tuple[str, Passage]]:
    return [pair for difference in differences for pair in difference.statements]


def _without(
    groups: list[tuple[str, list[Statement]]], sentences: list[str]
) -> list[tuple[str, list[Statement]]]:
    """The groups without statements that hold (or are held in) one of the sentences."""
    kept = []
    for topic, group in groups:
        left = [s for s in group if not any(x in s.text or s.text in x for x in sentences)]
        if left:
            kept.append((topic, left))
    return kept


def _more_detail(
    plan: Plan,
    differences: list[tuple[str, Passage]],
    language: DomainLanguage,
    registry: CitationRegistry,
    seen: set[str],
) -> str:
    """Further statements, shown collapsed ("####" sections under `MORE_DETAIL_HEADING`)."""
    lines: list[str] = []
    for topic, group in plan.more:
        lines.extend(["", f"#### {language.heading(topic)}", ""])
        lines.extend(f"- {line}" for line in _unique_cited(group, registry, seen))
    if differences:
        lines.extend(["", "#### Other sources' cut-offs", ""])
        lines.extend(f"- {registry.cited(s, p)}" for s, p in differences)
    return "\n".join([MORE_DETAIL_HEADING, *lines]) if lines else ""
