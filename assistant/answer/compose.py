"""Which composer writes the body (the language model or the extractive composer), and the
fixed answers: the refusal and the notices.

The body's [n] markers point into the returned CitationRegistry; the pipeline guards and
renumbers it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from labtool.report import LabReport
from labtool.rules import RuleSet

from assistant.answer.citations import CitationRegistry
from assistant.answer.disagreements import (
    analytes_named,
    source_differences,
    with_difference_passages,
)
from assistant.answer.extractive import compose_body
from assistant.answer.lab_section import lab_statements, render_lab_block
from assistant.answer.statements import Vectors
from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion, Turn
from assistant.question.injection import INJECTION_NOTICE
from assistant.routing.route import asks_only_about_result
from assistant.schema import Audience, Difference, Evidence, LabEvidence
from assistant.sources.lookup import CorpusLookup

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

REFUSAL = "The guideline corpus does not cover this question."
PARTLY_COVERED = (
    "The guideline corpus holds nothing on the rest of the message; only the lab values are "
    "interpreted below."
)
LLM_UNAVAILABLE = (
    "*The language model gave no complete answer, so this answer was composed directly from the "
    "corpus.*"
)
MODEL_UNVERIFIED = (
    "*The language model's answer could not be verified against the sources, so this answer was "
    "composed directly from the corpus.*"
)


@dataclass(frozen=True)
class Knowledge:
    """What the composers read besides the evidence: the pack's language, rules and documents,
    and the index's embedding model (statements are compared with the question by meaning)."""

    language: DomainLanguage
    ruleset: RuleSet
    lookup: CorpusLookup
    vectors: Vectors
    approved_only: bool = False  # only approved documents may be quoted


@dataclass(frozen=True)
class Body:
    """A composed body; None text means the question is not covered (no statement answers it,
    or the language model said so).

    A language model's body carries the model's own text and the offline composer's body to
    give instead when the guard rejects that text; a partial body is the model's text so far.
    """

    text: str | None
    backend: str
    registry: CitationRegistry
    notices: tuple[str, ...] = ()  # fixed text shown with it (e.g. the model did not answer)
    model_text: str = ""
    fallback: Body | None = None
    partial: bool = False


def write_body(
    text: str,
    resolved: ResolvedQuestion | None,
    evidence: Evidence,
    labs: LabEvidence | None,
    turns: Sequence[Turn],
    audience: Audience,
    knowledge: Knowledge,
    chat_model: BaseChatModel | None,
) -> Body:
    """The whole body at once (`write_bodies` without streaming)."""
    *_, body = write_bodies(
        text, resolved, evidence, labs, turns, audience, knowledge, chat_model, stream=False
    )
    return body


def write_bodies(
    text: str,
    resolved: ResolvedQuestion | None,
    evidence: Evidence,
    labs: LabEvidence | None,
    turns: Sequence[Turn],
    audience: Audience,
    knowledge: Knowledge,
    chat_model: BaseChatModel | None,
    *,
    stream: bool = False,
) -> Iterator[Body]:
    """The body from the language model when one is configured and the offline composer has an
    answer, else from the extractive composer (also when the model fails). With `stream`, the
    model's complete sentences so far come first as partial bodies; the last body is whole."""
    registry = CitationRegistry()
    if chat_model is None or resolved is None or not evidence.passages:
        body = _extractive(resolved, evidence, labs, registry, knowledge, audience)
        yield Body(body, "extractive", registry)
        return
    yield from _model_bodies(
        text, resolved, evidence, labs, turns, audience, knowledge, chat_model, stream
    )


def _model_bodies(
    text: str,
    resolved: ResolvedQuestion,
    evidence: Evidence,
    labs: LabEvidence | None,
    turns: Sequence[Turn],
    audience: Audience,
    knowledge: Knowledge,
    chat_model: BaseChatModel,
    stream: bool,
) -> Iterator[Body]:
    """The model's body, asked with the statements of the offline composer's answer, which is
    composed first (through the same citation numbers) and given when the model fails."""
    from assistant.answer.llm import LLMError, backend_name
    from assistant.answer.llm_prompt import StatementRecorder, build_prompt, prompt_evidence
    from assistant.answer.llm_stream import model_drafts

    recorder = StatementRecorder()
    offline = Body(
        _extractive(resolved, evidence, labs, recorder, knowledge, audience), "extractive", recorder
    )
    if offline.text is None:  # no statement answers the question: the model is not asked either
        yield offline
        return
    tool_lines: list[str] = []
    if labs is not None:
        tool_lines = [*lab_statements(labs), *(c.summary for c in labs.report.conflicts)]
    domain = knowledge.language.domain
    messages = build_prompt(
        text,
        prompt_evidence(
            recorder, offline.text, tool_lines=tool_lines, not_covered=evidence.unknown
        ),
        refusal=REFUSAL,
        lab_output=_lab_output(labs.report) if labs is not None else None,
        conversation=_conversation(turns),
        audience=audience,
        subject=domain.llm_subject or domain.description,
    )
    lab_block = render_lab_block(labs, recorder) if labs is not None else ""
    backend = backend_name(chat_model)
    try:
        for draft in model_drafts(chat_model, messages, stream=stream):
            written = draft.text.strip()
            refused = REFUSAL.lower() in written.lower() and labs is None
            if refused and draft.final:
                yield Body(None, backend, recorder)
            elif draft.final:
                unverified = replace(offline, notices=(MODEL_UNVERIFIED,))
                body = "\n\n".join(block for block in (written, lab_block) if block)
                yield Body(body, backend, recorder, model_text=written, fallback=unverified)
            elif not refused:
                body = "\n\n".join(block for block in (written, lab_block) if block)
                yield Body(body, backend, recorder, model_text=written, partial=True)
    except LLMError:  # no answer, or not all of it: timeout, HTTP error, bad JSON, cut off
        yield replace(offline, notices=(LLM_UNAVAILABLE,))


def refusal_blocks(
    *, injected: bool, nothing_asked: bool, report: LabReport | None
) -> tuple[list[str], bool, str]:
    """The fixed notices of a refusal (or only the injection notice), whether it refuses, and
    the lab tool's word on values it could not interpret. It cites nothing."""
    notices = [INJECTION_NOTICE] if injected else []
    refused = not (injected and nothing_asked)
    if refused:
        notices.append(REFUSAL)
    lab_details = ""
    if report is not None:  # e.g. "TSH of 8": say why the value was not interpreted either
        lab_details = render_lab_block(LabEvidence(report), CitationRegistry())
    return notices, refused, lab_details


def _extractive(
    resolved: ResolvedQuestion | None,
    evidence: Evidence,
    labs: LabEvidence | None,
    registry: CitationRegistry,
    knowledge: Knowledge,
    audience: Audience,
) -> str | None:
    language = knowledge.language
    with_findings = labs is not None and bool(labs.report.findings)
    # With results, the tool's own conflicts say where sources differ for THIS value.
    differences = (
        _differences(resolved, knowledge) if evidence.passages and not with_findings else []
    )
    return compose_body(
        resolved,
        with_difference_passages(evidence, differences),
        registry,
        language,
        knowledge.vectors,
        labs=labs,
        differences=differences,
        direct_answer=not (
            with_findings
            and resolved is not None
            and asks_only_about_result(resolved.question, language)
        ),
        audience=audience,
        unknown_terms=evidence.unknown,
        analytes=knowledge.ruleset.analytes,
    )


def _differences(resolved: ResolvedQuestion | None, knowledge: Knowledge) -> list[Difference]:
    """Disagreeing cut-offs, only when the question is first of all about levels or cut-offs,
    or about the whole subject ("recheck the B12 level" is about monitoring)."""
    if resolved is None:
        return []
    language = knowledge.language
    topics = language.topics_of(resolved.question)
    about_levels = bool(topics) and topics[0] in language.keys_with_role("thresholds")
    broad = language.is_broad(resolved.question) and bool(
        language.keys_with_role("thresholds") & set(topics)
    )
    if not (about_levels or broad):
        return []
    keys = analytes_named(resolved.search_text, knowledge.ruleset, language)
    differences = source_differences(knowledge.ruleset, keys, knowledge.lookup, language)
    if not knowledge.approved_only:
        return differences
    kept = [
        replace(
            d, statements=[(s, p) for s, p in d.statements if p.doc.review_status == "approved"]
        )
        for d in differences
    ]
    return [d for d in kept if len(d.statements) > 1]


def _lab_output(report: LabReport) -> str:
    from labtool.render import render_report

    return render_report(report)


def _conversation(turns: Sequence[Turn], last: int = 6) -> str:
    return "\n".join(f"{turn.role}: {turn.content}" for turn in turns[-last:])
