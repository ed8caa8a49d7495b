"""`Assistant.ask`: question -> routing -> (lab tool | retrieval) -> answer -> guard -> result.

The Assistant only wires the steps; each step decides in its own layer (question/, routing/,
retrieval/, answer/, guard/). Heavy and pack-specific objects live in `Resources`. Bad input
raises AssistantError with a clear message. With `settings.audit_log` set (opt-in), every answer
is appended to that log (assistant.audit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from labtool.report import LabReport

from assistant.answer.audience import disclaimer, patient_glossary, patient_notices
from assistant.answer.compose import PARTLY_COVERED, Body, refusal_blocks, write_bodies
from assistant.answer.followups import suggest_followups
from assistant.answer.llm_stream import unverified
from assistant.answer.parts import split_body
from assistant.answer.references import render_references, renumber
from assistant.config import Settings, get_settings
from assistant.errors import AssistantError
from assistant.guard.provenance import GuardResult, guard_answer, tool_numbers
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
    ) -> Iterator[AnswerResult]:
        """The answer as it becomes ready: each item is a guarded answer so far, the last is the
        whole answer (the same as `ask`).

        The extractive answer is ready at once, so it comes as one item: a finished answer is
        never paced out artificially. A language model's answer comes sentence by sentence as
        the endpoint streams it, each sentence once the guard has checked it; the last item may
        still be the offline answer (the model's text failed the guard, or the model failed).
        Nothing unguarded is ever yielded; only the whole answer is audited.
        """
        for result, whole in self._answers(question, history, audience, stream=True):
            if whole and self.settings.audit_log is not None:
                self._audit(question, history, audience, result)
            yield result

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
        *_, (result, _whole) = self._answers(question, history, audience, stream=False)
        return result

    def _answers(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        audience: Audience,
        *,
        stream: bool,
    ) -> Iterator[tuple[AnswerResult, bool]]:
        """Each answer so far, and whether it is the whole answer (the last one is)."""
        resources = self.resources
        text = self._validated(question, audience)
        turns = turns_from(history)
        injection = find_injection(text)
        language = resources.language()
        earlier = [turn.content for turn in turns if turn.role == "user"]
        route = route_message(
            injection.clean_text,
            turns,
            partial(resources.interpret, earlier=earlier),
            language,
            resources.read_values,
        )
        report = route.report
        resolved = resolve_followup(route.question, turns, language) if route.question else None
        if resolved is not None and report is not None and report.findings:
            # Retrieval for what to do with THESE results, not for the raw numbers.
            resolved = replace(resolved, findings=findings_terms(report, language))
        evidence = self._retrieve(resolved) if resolved else Evidence(passages=[])
        asked = [text, *(turn.content for turn in turns if turn.role == "user")]
        examples = suggest_followups(None, (), asked, language)  # what a refusal suggests
        if not evidence.passages and (
            report is None or (resolved is not None and not report.findings)
        ):
            refusal = _refusal(
                injection,
                audience,
                nothing_asked=resolved is None,
                report=report,
                followups=examples,
            )
            yield refusal, True
            return
        labs = (
            LabEvidence(report, self._lab_sources(report), route.earlier)
            if report is not None
            else None
        )
        chat_model = resources.chat_model() if evidence.passages else None
        knowledge = resources.knowledge()
        for body in write_bodies(
            text, resolved, evidence, labs, turns, audience, knowledge, chat_model, stream=stream
        ):
            if body.text is None:  # not covered (for a model's refusal, its backend is kept)
                refusal = _refusal(
                    injection, audience, nothing_asked=False, report=report, followups=examples
                )
                yield refusal.model_copy(update={"backend": body.backend}), True
                return
            result = self._result(
                body,
                injection=injection,
                audience=audience,
                resolved=resolved,
                evidence=evidence,
                report=report,
                asked=asked,
            )
            yield result, not body.partial

    def _result(
        self,
        body: Body,
        *,
        injection: Injection,
        audience: Audience,
        resolved: ResolvedQuestion | None,
        evidence: Evidence,
        report: LabReport | None,
        asked: list[str],
    ) -> AnswerResult:
        """The answer around a body: guarded (a model's text that fails the guard gives way to
        the offline answer), renumbered, split into its parts, with notices and references."""
        language = self.resources.language()
        body, guarded = _guarded(body, tool_numbers(report))
        notices = [*patient_notices(audience)]
        if injection.detected:
            notices.append(INJECTION_NOTICE)
        if resolved is not None and not evidence.passages:
            notices.append(PARTLY_COVERED)
        notices.extend(body.notices)
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
            followups=suggest_followups(
                evidence,
                [section.heading for section in parts.sections],
                asked,
                language,
            ),
        )

    def _retrieve(self, resolved: ResolvedQuestion) -> Evidence:
        from assistant.index.store import StoreError

        resources = self.resources
        try:
            return search_evidence(
                resources.searcher(),
                resolved,
                resources.vocabulary(),
                resources.language(),
                resources.statement_index(),
                approved_only=self.settings.retrieval.approved_only,
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


def _guarded(body: Body, traced: set[Decimal]) -> tuple[Body, GuardResult]:
    """The body after the guard. A whole model answer whose own text loses every sentence, or
    more than half, to the guard is replaced by the offline answer it carries; the sentences the
    guard took out stay recorded."""
    guarded = guard_answer(body.text or "", _numbered(body), traced)
    fallback = body.fallback
    if body.partial or fallback is None or fallback.text is None:
        return body, guarded
    checked = guard_answer(body.model_text, _numbered(body), traced)
    if not unverified(body.model_text, checked.removed):
        return body, guarded
    kept = guard_answer(fallback.text, _numbered(fallback), traced)
    return fallback, replace(kept, removed=[*guarded.removed, *kept.removed])


def _numbered(body: Body) -> dict[int, str]:
    # A passage's section name is part of what it says ("Stage 2 hypertension").
    return {n: f"{p.section}\n{p.text}" for n, p in enumerate(body.registry.passages, start=1)}


def _refusal(
    injection: Injection,
    audience: Audience,
    *,
    nothing_asked: bool,
    report: LabReport | None = None,
    followups: Sequence[str] = (),
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
        followups=list(followups),
    )
