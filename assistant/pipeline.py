"""`Assistant.ask`: question -> routing -> (lab tool | retrieval) -> answer -> guard -> result.

The Assistant only wires the steps; each step decides in its own layer (question/, routing/,
retrieval/, answer/, guard/). Heavy and pack-specific objects live in `Resources`. Bad input
raises AssistantError with a clear message. With `settings.audit_log` set (opt-in), every answer
is appended to that log (assistant.audit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from labtool.report import LabReport

from assistant.answer.audience import disclaimer, patient_glossary, patient_notices
from assistant.answer.compose import PARTLY_COVERED, refusal_blocks, write_body
from assistant.answer.parts import split_body
from assistant.answer.references import render_references, renumber
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.guard.provenance import guard_answer, tool_numbers
from assistant.question.followup import ResolvedQuestion, resolve_followup, turns_from
from assistant.question.injection import INJECTION_NOTICE, Injection, find_injection
from assistant.question.inputs import load_history, validated_question
from assistant.resources import Resources
from assistant.retrieval.search import Searcher, search_evidence
from assistant.routing.lab_terms import findings_terms
from assistant.routing.route import route_message
from assistant.schema import AnswerResult, Audience, Evidence, LabEvidence, Passage

if TYPE_CHECKING:
    from labtool.rules import RuleSet
    from langchain_core.language_models import BaseChatModel

    from assistant.sources.lookup import CorpusLookup

__all__ = ["Assistant", "AssistantError", "Searcher", "load_history"]


class Assistant:
    """The chat core behind `assistant ask`, the Gradio app and the evaluation."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        chat_model: BaseChatModel | None = None,
        searcher: Searcher | None = None,
        ruleset: RuleSet | None = None,
        lookup: CorpusLookup | None = None,
        interpreter: Callable[[str], LabReport] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.resources = Resources(
            self.settings,
            chat_model=chat_model,
            searcher=searcher,
            ruleset=ruleset,
            lookup=lookup,
            interpreter=interpreter,
        )

    # Collaborators, for callers that load them ahead of the first question (`serve`).
    def searcher(self) -> Searcher:
        return self.resources.searcher()

    def ruleset(self) -> RuleSet:
        return self.resources.ruleset()

    def ask(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        audience: Audience = "clinician",
    ) -> AnswerResult:
        """Answer one message; `history` is the conversation so far (oldest first)."""
        result = self._answer(question, history, audience)
        if self.settings.audit_log is not None:  # opt-in: nothing is logged by default
            self._audit(question, history, audience, result)
        return result

    def ask_stream(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None = None,
        audience: Audience = "clinician",
    ) -> Iterator[str]:
        """The answer revealed block by block (each item is the text so far).

        The answer is computed and guarded in full first: nothing unguarded is ever shown.
        """
        answer = self.ask(question, history=history, audience=audience).answer
        blocks = answer.split("\n\n")
        for end in range(1, len(blocks) + 1):
            yield "\n\n".join(blocks[:end])

    def _audit(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        audience: Audience,
        result: AnswerResult,
    ) -> None:
        from assistant.audit import AuditError

        try:
            log = self.resources.audit_log()
            if log is None:
                return
            # The lab tool read the message with rule-change sentences taken out.
            tool_input = find_injection(self._validated(question, audience)).clean_text
            log.write(log.entry(question, history, audience, result, tool_input))
        except AuditError as exc:  # an answer meant to be audited is not given unaudited
            raise AssistantError(str(exc)) from exc

    def _validated(self, question: str, audience: str) -> str:
        return validated_question(question, audience, limit=self.settings.max_question_chars)

    def _answer(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        audience: Audience,
    ) -> AnswerResult:
        resources = self.resources
        text = self._validated(question, audience)
        turns = turns_from(history)
        injection = find_injection(text)
        language = resources.language()
        route = route_message(injection.clean_text, turns, resources.interpret, language)
        report = route.report
        resolved = resolve_followup(route.question, turns, language) if route.question else None
        if resolved is not None and report is not None and report.findings:
            # Retrieval for what to do with THESE results, not for the raw numbers.
            resolved = replace(resolved, findings=findings_terms(report, language))
        evidence = self._retrieve(resolved) if resolved else Evidence(passages=[])
        if not evidence.passages and (
            report is None or (resolved is not None and not report.findings)
        ):
            return _refusal(injection, audience, nothing_asked=resolved is None, report=report)
        labs = LabEvidence(report, self._lab_sources(report)) if report is not None else None
        chat_model = resources.chat_model() if evidence.passages else None
        body = write_body(
            text, resolved, evidence, labs, turns, audience, resources.knowledge(), chat_model
        )
        if body.text is None:
            return _refusal(injection, audience, nothing_asked=False)
        notices = [*patient_notices(audience)]
        if injection.detected:
            notices.append(INJECTION_NOTICE)
        if resolved is not None and not evidence.passages:
            notices.append(PARTLY_COVERED)
        notices.extend(body.notices)
        # A passage's section name is part of what it says ("Stage 2 hypertension").
        passages = {
            n: f"{p.section}\n{p.text}" for n, p in enumerate(body.registry.passages, start=1)
        }
        guarded = guard_answer(body.text, passages, tool_numbers(report))
        final_body, citations = renumber(guarded.markdown, body.registry.passages)
        parts = split_body(final_body)
        glossary = patient_glossary(final_body, audience, language)
        references = render_references(citations)
        shown = [*notices, final_body, glossary, references, disclaimer(audience)]
        return AnswerResult(
            answer="\n\n".join(part for part in shown if part.strip()),
            direct=parts.direct,
            gaps=parts.gaps,
            sections=parts.sections,
            more_detail=parts.more_detail,
            lab_details=parts.lab_details,
            notices=[*notices, glossary] if glossary else notices,
            references=references,
            disclaimer=disclaimer(audience),
            citations=citations,
            labs=report,
            refused=False,
            removed=guarded.removed,
            backend=body.backend,
        )

    def _retrieve(self, resolved: ResolvedQuestion) -> Evidence:
        from assistant.index.store import StoreError

        resources = self.resources
        try:
            return search_evidence(
                resources.searcher(), resolved, resources.vocabulary(), resources.language()
            )
        except StoreError as exc:  # e.g. the Chroma server went away after start-up
            raise AssistantError(f"the search index is unavailable: {exc}") from exc

    def _lab_sources(self, report: LabReport) -> dict[tuple[str, str], Passage]:
        """The corpus passages the lab tool's rules cite, by (document, section)."""
        refs = [
            *(ref for finding in report.findings for ref in finding.sources),
            *(ref for conflict in report.conflicts for ref in conflict.sources),
            *(ref for conclusion in report.conclusions for ref in conclusion.sources),
        ]
        lookup = self.resources.lookup()
        found: dict[tuple[str, str], Passage] = {}
        for ref in refs:
            key = (ref.doc_id, ref.section)
            if key not in found and (passage := lookup.passage(*key)) is not None:
                found[key] = passage
        return found


def _refusal(
    injection: Injection,
    audience: Audience,
    *,
    nothing_asked: bool,
    report: LabReport | None = None,
) -> AnswerResult:
    """The fixed "not covered" answer (or only the injection notice); it cites nothing."""
    notices, refused, lab_details = refusal_blocks(
        injected=injection.detected, nothing_asked=nothing_asked, report=report
    )
    shown = [*notices, lab_details, disclaimer(audience)]
    return AnswerResult(
        answer="\n\n".join(part for part in shown if part),
        notices=notices,
        lab_details=lab_details,
        disclaimer=disclaimer(audience),
        labs=report,
        refused=refused,
        backend="extractive",
    )
