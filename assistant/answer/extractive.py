"""The default, offline composer: an answer built from the corpus's own sentences.

Layout of the seed page: a direct answer with numbered citations, then sections drawn from the
evidence (thresholds, confirmatory testing, treatment, special considerations, monitoring), where
sources differ, and the lab tool's details. With lab values the direct answer is the lab tool's
interpretation. Deterministic: the same evidence gives the same answer. The reference list and
disclaimer are added by the pipeline after the guard.

A statement is shown only if it reads correctly on its own: never a sentence that hinges on the
one before it unless that one is shown too, never a figure without the subject its heading gives.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from assistant.answer.candidates import (
    Candidate,
    CitationRegistry,
    is_quotable_section,
    score_candidates,
    similar,
)
from assistant.answer.lab_section import lab_statements, render_lab_answer, render_lab_details
from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion
from assistant.schema import Difference, Evidence, LabEvidence

DIRECT_ANSWER_SENTENCES = 2
_PASSAGES_PER_SECTION_BROAD = 4
_PASSAGES_PER_SECTION_FOCUSED = 3
_SENTENCES_PER_PASSAGE = 3
_SENTENCES_PER_SECTION = 6
_MIN_SECTION_SCORE = 0.4
_ON_ASPECT = 1.0  # bonus for a direct-answer sentence on the aspect the question asks about
_FROM_THE_QUESTION = 0.75  # section bonus for passages the question itself retrieved
_OFF_SUBJECT = 0.5  # section penalty for a statement about another test than the one asked
_DEFINES = 2.0  # direct-answer bonus for the sentence defining what "What is X?" asks
_DEFINITION_QUESTION = re.compile(
    r"^(?:what\s+(?:is|are)|define|definition\s+of)\s+(?:an?\s+|the\s+)?(?P<term>[^?]{3,60}?)\s*\??$",
    re.IGNORECASE,
)
_RESTATES = 0.5  # share of words a corpus sentence shares with a lab-tool statement it repeats
DIFFERENCES_HEADING = "### Where sources differ"


def compose_body(
    question: ResolvedQuestion | None,
    evidence: Evidence,
    registry: CitationRegistry,
    language: DomainLanguage,
    *,
    labs: LabEvidence | None = None,
    differences: Sequence[Difference] = (),
    broad: bool = False,
    direct_answer: bool = True,
) -> str:
    """The cited answer body in Markdown (no reference list, no disclaimer).

    Blocks are rendered in reading order, so citation numbers follow first appearance. With lab
    findings the tool's interpretation comes first; `direct_answer=False` leaves it as the whole
    direct answer (the question only asked what the values mean).
    """
    blocks: list[str] = []
    if labs is not None and labs.report.findings:
        blocks.append(render_lab_answer(labs, registry))
    differences_shown = not differences
    if question is not None and evidence.passages:
        candidates = score_candidates(evidence, question.focus, question.context, language)
        asked = question.asked or question.question
        # The direct answer answers the words asked; the lab results only steer the sections.
        asked_only = (
            score_candidates(evidence, asked, question.context, language)
            if question.findings
            else candidates
        )
        if labs is not None:
            candidates = _not_restating(candidates, lab_statements(labs), language)
            asked_only = _not_restating(asked_only, lab_statements(labs), language)
        tests = language.analytes_in(question.question) or language.analytes_in(question.context)
        # Population and condition words ("folate", "pregnancy") qualify a question; they do not
        # say which aspect of it is asked.
        qualifiers = language.keys_with_role("qualifier")
        aspects = [key for key in language.topics_of(asked) if key not in qualifiers]
        direct = (
            _direct_answer(asked_only, evidence, tests, aspects, question.question)
            if direct_answer
            else []
        )
        if direct:
            blocks.append(" ".join(_cited(c, registry) for c in direct))
        if question.is_followup:
            candidates = _on_this_turn(candidates, question.focus, language)
        # Comparison sources are quoted under "Where sources differ", not repeated above it.
        reserved = {sentence for d in differences for sentence, _ in d.statements[1:]}
        sections = _select_sections(
            candidates,
            list(direct),
            reserved,
            language,
            broad=broad,
            main_ids=evidence.main_ids,
            tests=tests,
        )
        thresholds_keys = language.keys_with_role("thresholds")
        for key, picked in sections:
            blocks.append(_render_section(language.heading(key), picked, registry))
            if key in thresholds_keys and not differences_shown:
                blocks.append(_render_differences(differences, registry))
                differences_shown = True
    if not differences_shown:
        blocks.append(_render_differences(differences, registry))
    if labs is not None and not labs.report.empty:
        blocks.append(render_lab_details(labs, registry))
    return "\n\n".join(block for block in blocks if block.strip())


def _cited(candidate: Candidate, registry: CitationRegistry) -> str:
    return registry.cited(candidate.shown, candidate.passage)


def _not_restating(
    candidates: list[Candidate], statements: list[str], language: DomainLanguage
) -> list[Candidate]:
    """Leave out corpus sentences that repeat what the lab tool already says."""
    said = [frozenset(language.vocabulary.content_stems(statement)) for statement in statements]
    return [
        c
        for c in candidates
        if not any(c.stems and len(c.stems & s) / len(c.stems | s) >= _RESTATES for s in said)
    ]


def _off_subject(candidate: Candidate, tests: frozenset[str]) -> bool:
    """About another lab test than the one(s) the question names."""
    return bool(tests and candidate.subjects and not candidate.subjects & tests)


def _on_this_turn(
    candidates: list[Candidate], focus: str, language: DomainLanguage
) -> list[Candidate]:
    """For a follow-up, sentences on what this turn asks, not only on the earlier topic."""
    wanted = frozenset(language.vocabulary.content_stems(focus))
    return [c for c in candidates if c.stems & wanted]


def _defined_term(question: str) -> re.Pattern[str] | None:
    """For "What is X?" / "Define X": a pattern for a sentence that defines X ("X is ...")."""
    match = _DEFINITION_QUESTION.match(question.strip())
    if match is None:
        return None
    term = r"\s+".join(re.escape(word) for word in match.group("term").split())
    return re.compile(rf"\b{term}\s+(?:is|are|means|refers to)\b", re.IGNORECASE)


def _direct_answer(
    candidates: list[Candidate],
    evidence: Evidence,
    tests: frozenset[str],
    aspects: list[str],
    question: str = "",
) -> list[Candidate]:
    """The best sentences from what the question itself retrieved, from different documents.

    Only sentences that stand alone qualify, and those about another test than the one asked
    ("active B12" for "B12") only when nothing is about the test asked. Sentences on the aspect
    asked (treatment for "how should it be treated?") come before those merely sharing words
    ("review 3 months after starting treatment").
    """
    standalone = [
        c for c in candidates if is_quotable_section(c.passage.section) and not c.leans_back
    ]
    # About the test asked, or about no test in particular ("Deficiency is confirmed below 25
    # pmol/L" under "Active B12 thresholds" does not answer "what B12 level").
    on_subject = [c for c in standalone if not _off_subject(c, tests)]
    standalone = on_subject or standalone
    pool = [
        c for c in standalone if not evidence.main_ids or c.passage.chunk_id in evidence.main_ids
    ]

    defines = _defined_term(question)

    def relevance(candidate: Candidate) -> float:
        bonus = _ON_ASPECT if candidate.topic in aspects else 0.0
        if defines is not None and defines.search(candidate.text):
            bonus += _DEFINES  # "What is stage 2 hypertension?": its definition first
        return candidate.score + bonus

    chosen: list[Candidate] = []
    ranked = sorted(pool or standalone, key=lambda c: (-relevance(c), c.rank, c.order))
    for candidate in ranked:
        if any(c.passage.doc.doc_id == candidate.passage.doc.doc_id for c in chosen):
            continue
        if any(similar(c, candidate) for c in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == DIRECT_ANSWER_SENTENCES:
            break
    # A second sentence is worth it only if it is nearly as relevant as the first and of the same
    # kind: on the aspect asked when the first is, stating a figure when the first does.
    if len(chosen) == 2 and (
        relevance(chosen[1]) < 0.6 * relevance(chosen[0])
        or (chosen[0].topic in aspects and chosen[1].topic not in aspects)
        or (chosen[0].has_number and not chosen[1].has_number)
    ):
        chosen.pop()
    return chosen


def _section_key(
    candidate: Candidate,
    language: DomainLanguage,
    main_ids: frozenset[str],
    tests: frozenset[str],
) -> tuple[float, int, int]:
    """Within a section, sentences squarely on its topic (and stating figures) come first.

    The question's words matter less here than in the direct answer: a section gathers what the
    evidence says on its topic ("Deficiency is confirmed below 180 ng/L" shares no word with
    "recommended level for treating anaemia", yet belongs under thresholds). Passages the
    question itself retrieved (and about the test asked) come before those a topic sub-query
    added.
    """
    on_topic = 0.0
    section = language.section(candidate.topic) if candidate.topic is not None else None
    if section is not None:
        on_topic = 0.6 * min(section.hits(candidate.text), 3)
    figures = 0.5 if candidate.has_number else 0.0
    from_question = candidate.passage.chunk_id in main_ids and not _off_subject(candidate, tests)
    asked = _FROM_THE_QUESTION if from_question else 0.0
    # A statement about another test than the one asked comes after those about it.
    off_subject = _OFF_SUBJECT if _off_subject(candidate, tests) else 0.0
    key = 0.5 * candidate.score + on_topic + figures + asked - off_subject
    return (-key, candidate.rank, candidate.order)


def _select_sections(
    candidates: list[Candidate],
    used: list[Candidate],
    reserved: set[str],
    language: DomainLanguage,
    *,
    broad: bool,
    main_ids: frozenset[str] = frozenset(),
    tests: frozenset[str] = frozenset(),
) -> list[tuple[str, list[Candidate]]]:
    """Per topic, in layout order: the best sentences from a few passages, none repeated."""
    max_passages = _PASSAGES_PER_SECTION_BROAD if broad else _PASSAGES_PER_SECTION_FOCUSED
    by_topic: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates, key=lambda c: _section_key(c, language, main_ids, tests)):
        eligible = (
            candidate.score >= _MIN_SECTION_SCORE
            and candidate.text not in reserved
            and is_quotable_section(candidate.passage.section)
        )
        if candidate.topic is not None and eligible:
            by_topic[candidate.topic].append(candidate)
    sections: list[tuple[str, list[Candidate]]] = []
    for topic in language.sections:
        picked: list[Candidate] = []
        per_passage: dict[str, int] = defaultdict(int)
        for candidate in by_topic.get(topic.key, []):
            if any(candidate.text == c.text or similar(candidate, c) for c in used + picked):
                continue
            chunk = candidate.passage.chunk_id
            if chunk not in per_passage and len(per_passage) == max_passages:
                continue
            if per_passage[chunk] == _SENTENCES_PER_PASSAGE:
                continue
            picked.append(candidate)
            per_passage[chunk] += 1
            if len(picked) == _SENTENCES_PER_SECTION:
                break
        picked = _standing_alone(picked)
        if picked:
            used.extend(picked)
            sections.append((topic.key, _in_source_order(picked)))
    return sections


def _standing_alone(picked: list[Candidate]) -> list[Candidate]:
    """Drop sentences that hinge on a previous sentence of their passage not shown with them."""
    kept = list(picked)
    while True:
        shown = {(c.passage.chunk_id, c.order) for c in kept}
        leaning = [
            c for c in kept if c.leans_back and (c.passage.chunk_id, c.order - 1) not in shown
        ]
        if not leaning:
            return kept
        kept = [c for c in kept if c not in leaning]


def _in_source_order(picked: list[Candidate]) -> list[Candidate]:
    """Passages in the order they were picked; each passage's sentences in its own order."""
    first_pick: dict[str, int] = {}
    for index, candidate in enumerate(picked):
        first_pick.setdefault(candidate.passage.chunk_id, index)
    return sorted(picked, key=lambda c: (first_pick[c.passage.chunk_id], c.order))


def _render_section(heading: str, picked: list[Candidate], registry: CitationRegistry) -> str:
    lines = [f"### {heading}", ""]
    lines.extend(f"- {_cited(c, registry)}" for c in picked)
    return "\n".join(lines)


def _render_differences(differences: Sequence[Difference], registry: CitationRegistry) -> str:
    lines = [
        DIFFERENCES_HEADING,
        "",
        "The sources below state different cut-offs; a result between them is classified "
        "differently depending on the source followed.",
        "",
    ]
    for difference in differences:
        lines.append(f"- **{difference.analyte}**")
        lines.extend(
            f"  - {registry.cited(sentence, passage)}"
            for sentence, passage in difference.statements
        )
    return "\n".join(lines)
