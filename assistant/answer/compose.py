"""Which composer writes the body (the language model or the extractive composer), and the
fixed answers: the refusal and the notices.

The body's [n] markers point into the returned CitationRegistry; the pipeline guards and
renumbers it afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labtool.report import LabReport
from labtool.rules import RuleSet

from assistant.answer.candidates import CitationRegistry
from assistant.answer.disagreements import (
    analytes_named,
    source_differences,
    with_difference_passages,
)
from assistant.answer.extractive import compose_body
from assistant.answer.lab_section import render_lab_block
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
    "*The language model did not answer, so this answer was composed directly from the corpus.*"
)


@dataclass(frozen=True)
class Knowledge:
    """What the composers read besides the evidence: the pack's language, rules and documents."""

    language: DomainLanguage
    ruleset: RuleSet
    lookup: CorpusLookup


@dataclass(frozen=True)
class Body:
    """A composed body; None text means the language model found the question not covered."""

    text: str | None
    backend: str
    registry: CitationRegistry
    notices: tuple[str, ...] = ()  # fixed text shown with it (e.g. the model did not answer)


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
    """The body from the language model when one is configured and evidence exists, else from
    the extractive composer (also when the model fails)."""
    registry = CitationRegistry()
    if chat_model is None or resolved is None or not evidence.passages:
        body = _extractive(resolved, evidence, labs, registry, knowledge)
        return Body(body, "extractive", registry)
    from assistant.answer.llm import LLMError, backend_name, build_prompt, write_answer

    for passage in evidence.passages:
        registry.cite(passage)  # the model cites by these numbers
    if labs is not None:
        for passage in labs.sources.values():
            registry.cite(passage)
    messages = build_prompt(
        text,
        list(enumerate(registry.passages, start=1)),
        lab_output=_lab_output(labs.report) if labs is not None else None,
        conversation=_conversation(turns),
        audience=audience,
        subject=knowledge.language.domain.llm_subject,
    )
    try:
        written = write_answer(chat_model, messages)
    except LLMError:
        fallback = CitationRegistry()
        body = _extractive(resolved, evidence, labs, fallback, knowledge)
        return Body(body, "extractive", fallback, notices=(LLM_UNAVAILABLE,))
    if REFUSAL.lower() in written.lower() and labs is None:
        return Body(None, backend_name(chat_model), registry)
    blocks = [written.strip()]
    if labs is not None:
        blocks.append(render_lab_block(labs, registry))
    return Body("\n\n".join(blocks), backend_name(chat_model), registry)


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
) -> str:
    language = knowledge.language
    with_findings = labs is not None and bool(labs.report.findings)
    # With results, the tool's own conflicts say where sources differ for THIS value.
    differences = (
        _differences(resolved, knowledge) if evidence.passages and not with_findings else []
    )
    broad = resolved is not None and not resolved.is_followup
    return compose_body(
        resolved,
        with_difference_passages(evidence, differences),
        registry,
        language,
        labs=labs,
        differences=differences,
        broad=broad and resolved is not None and language.is_broad(resolved.question),
        direct_answer=not (
            with_findings
            and resolved is not None
            and asks_only_about_result(resolved.question, language)
        ),
    )


def _differences(resolved: ResolvedQuestion | None, knowledge: Knowledge) -> list[Difference]:
    """Disagreeing cut-offs, when the question is about levels or is broad."""
    if resolved is None:
        return []
    language = knowledge.language
    about_levels = language.keys_with_role("thresholds") & set(
        language.topics_of(resolved.question)
    )
    if not about_levels and not language.is_broad(resolved.question):
        return []
    keys = analytes_named(resolved.search_text, knowledge.ruleset, language)
    return source_differences(knowledge.ruleset, keys, knowledge.lookup, language)


def _lab_output(report: LabReport) -> str:
    from labtool.render import render_report

    return render_report(report)


def _conversation(turns: Sequence[Turn], last: int = 6) -> str:
    return "\n".join(f"{turn.role}: {turn.content}" for turn in turns[-last:])
