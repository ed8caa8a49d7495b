"""The default, offline composer: an answer built from the corpus's own sentences.

Layout of the seed page: a direct answer with numbered citations, then sections drawn from the
evidence (thresholds, confirmatory testing, treatment, special considerations, monitoring), where
sources differ, and the lab tool's interpretation. Deterministic: the same evidence gives the same
answer. The reference list and disclaimer are added by the pipeline after the guard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from assistant.evidence import (
    INTRODUCTION_SECTION,
    Candidate,
    CitationRegistry,
    Difference,
    Evidence,
    LabEvidence,
    score_candidates,
    similar,
    topic_heading,
)
from assistant.followup import ResolvedQuestion
from assistant.labblock import render_lab_block
from assistant.topics import TOPIC_BY_KEY, TOPICS

DIRECT_ANSWER_SENTENCES = 2
_PASSAGES_PER_SECTION_BROAD = 4
_PASSAGES_PER_SECTION_FOCUSED = 3
_SENTENCES_PER_PASSAGE = 3
_SENTENCES_PER_SECTION = 6
_MIN_SECTION_SCORE = 0.4
DIFFERENCES_HEADING = "### Where sources differ"


def compose_body(
    question: ResolvedQuestion | None,
    evidence: Evidence,
    registry: CitationRegistry,
    *,
    labs: LabEvidence | None = None,
    differences: Sequence[Difference] = (),
    broad: bool = False,
) -> str:
    """The cited answer body in Markdown (no reference list, no disclaimer).

    Blocks are rendered in reading order, so citation numbers follow first appearance.
    """
    blocks: list[str] = []
    differences_shown = not differences
    if question is not None and evidence.passages:
        candidates = score_candidates(evidence, question.focus, question.context)
        direct = _direct_answer(candidates, evidence)
        if direct:
            blocks.append(" ".join(_cited(c, registry) for c in direct))
        # Comparison sources are quoted under "Where sources differ", not repeated above it.
        reserved = {sentence for d in differences for sentence, _ in d.statements[1:]}
        for key, picked in _select_sections(candidates, list(direct), reserved, broad=broad):
            blocks.append(_render_section(key, picked, registry))
            if key == "thresholds" and not differences_shown:
                blocks.append(_render_differences(differences, registry))
                differences_shown = True
    if not differences_shown:
        blocks.append(_render_differences(differences, registry))
    if labs is not None and not labs.report.empty:
        blocks.append(render_lab_block(labs, registry))
    return "\n\n".join(block for block in blocks if block.strip())


def _cited(candidate: Candidate, registry: CitationRegistry) -> str:
    return registry.cited(candidate.text, candidate.passage)


def _direct_answer(candidates: list[Candidate], evidence: Evidence) -> list[Candidate]:
    """The best sentences from what the question itself retrieved, from different documents."""
    pool = [
        c for c in candidates if not evidence.main_ids or c.passage.chunk_id in evidence.main_ids
    ]
    chosen: list[Candidate] = []
    for candidate in sorted(pool or candidates, key=_rank_key):
        if any(c.passage.doc.doc_id == candidate.passage.doc.doc_id for c in chosen):
            continue
        if any(similar(c, candidate) for c in chosen):
            continue
        chosen.append(candidate)
        if len(chosen) == DIRECT_ANSWER_SENTENCES:
            break
    # A second sentence is worth it only if it is nearly as relevant as the first.
    if len(chosen) == 2 and chosen[1].score < 0.6 * chosen[0].score:
        chosen.pop()
    return chosen


def _rank_key(candidate: Candidate) -> tuple[float, int, int]:
    return (-candidate.score, candidate.rank, candidate.order)


def _section_key(candidate: Candidate) -> tuple[float, int, int]:
    """Within a section, sentences squarely on its topic (and stating figures) come first.

    The question's words matter less here than in the direct answer: a section gathers what the
    evidence says on its topic ("Deficiency is confirmed below 180 ng/L" shares no word with
    "recommended level for treating anaemia", yet belongs under thresholds).
    """
    on_topic = 0.0
    if candidate.topic is not None:
        on_topic = 0.6 * min(len(TOPIC_BY_KEY[candidate.topic].pattern.findall(candidate.text)), 3)
    figures = 0.5 if candidate.has_number else 0.0
    return (-(0.5 * candidate.score + on_topic + figures), candidate.rank, candidate.order)


def _select_sections(
    candidates: list[Candidate],
    used: list[Candidate],
    reserved: set[str],
    *,
    broad: bool,
) -> list[tuple[str, list[Candidate]]]:
    """Per topic, in layout order: the best sentences from a few passages, none repeated."""
    max_passages = _PASSAGES_PER_SECTION_BROAD if broad else _PASSAGES_PER_SECTION_FOCUSED
    by_topic: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in sorted(candidates, key=_section_key):
        eligible = (
            candidate.score >= _MIN_SECTION_SCORE
            and candidate.text not in reserved
            and candidate.passage.section != INTRODUCTION_SECTION  # a document's summary
        )
        if candidate.topic is not None and eligible:
            by_topic[candidate.topic].append(candidate)
    sections: list[tuple[str, list[Candidate]]] = []
    for topic in TOPICS:
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
        if picked:
            used.extend(picked)
            sections.append((topic.key, _in_source_order(picked)))
    return sections


def _in_source_order(picked: list[Candidate]) -> list[Candidate]:
    """Passages in the order they were picked; each passage's sentences in its own order."""
    first_pick: dict[str, int] = {}
    for index, candidate in enumerate(picked):
        first_pick.setdefault(candidate.passage.chunk_id, index)
    return sorted(picked, key=lambda c: (first_pick[c.passage.chunk_id], c.order))


def _render_section(key: str, picked: list[Candidate], registry: CitationRegistry) -> str:
    lines = [f"### {topic_heading(key)}", ""]
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
