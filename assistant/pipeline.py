"""`Assistant.ask`: question -> router -> (lab tool | retrieval) -> composer -> guard -> answer.

Heavy objects (searcher, rules, corpus lookup, chat model) are created on first use and reused;
the index is built once if it is missing. Bad input raises AssistantError with a clear message.
With `settings.audit_log` set (opt-in), every answer is appended to that log (assistant.audit).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from labtool.report import LabReport

from assistant.answer.audience import adapt_body, disclaimer
from assistant.answer.candidates import CitationRegistry
from assistant.answer.disagreements import (
    analytes_named,
    source_differences,
    with_difference_passages,
)
from assistant.answer.extractive import compose_body
from assistant.answer.lab_section import render_lab_block
from assistant.answer.references import render_references, renumber
from assistant.config import Settings, get_settings
from assistant.domain.topics import is_broad, topics_of
from assistant.errors import AssistantError
from assistant.guard.provenance import guard_answer, tool_numbers
from assistant.question.followup import (
    ResolvedQuestion,
    Turn,
    name_bare_values,
    resolve_followup,
    turns_from,
)
from assistant.question.injection import INJECTION_NOTICE, Injection, find_injection
from assistant.question.inputs import load_history, validated_question
from assistant.retrieval.scope import CorpusVocabulary
from assistant.retrieval.search import Searcher, search_evidence
from assistant.routing.lab_terms import findings_terms
from assistant.routing.route import asks_only_about_result, guideline_question
from assistant.schema import AnswerResult, Audience, Difference, Evidence, LabEvidence, Passage
from assistant.sources.lookup import CorpusLookup

if TYPE_CHECKING:
    from labtool.rules import RuleSet
    from langchain_core.language_models import BaseChatModel

    from assistant.audit import AuditLog

REFUSAL = "The guideline corpus does not cover this question."
PARTLY_COVERED = (
    "The guideline corpus holds nothing on the rest of the message; only the lab values are "
    "interpreted below."
)
LLM_UNAVAILABLE = (
    "*The language model did not answer, so this answer was composed directly from the corpus.*"
)
__all__ = ["Assistant", "AssistantError", "Searcher", "load_history"]

# A figure under discussion ("where does the 150 pmol/L cut-off come from?"), not a result.
_CUTOFF_TALK = re.compile(
    r"\b(?:cut-?offs?|thresholds?|limits?|come from|based on)\b", re.IGNORECASE
)


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
        self._interpreter = interpreter
        self._chat_model = chat_model
        self._chat_model_ready = chat_model is not None
        self._searcher = searcher
        self._ruleset = ruleset
        self._lookup = lookup
        self._lock = threading.Lock()
        self._audit_log: AuditLog | None = None
        self._vocabulary: CorpusVocabulary | None = None

    # --- lazily created collaborators ----------------------------------------------------

    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                from assistant.index.build import IngestError, ensure_index
                from assistant.retrieval.hybrid import get_searcher

                try:
                    ensure_index(self.settings)  # once: builds the index only if missing/stale
                except IngestError as exc:
                    raise AssistantError(str(exc)) from exc
                self._searcher = get_searcher(self.settings)
            return self._searcher

    def ruleset(self) -> RuleSet:
        from labtool.rules import RulesError, load_rules

        with self._lock:
            if self._ruleset is None:
                try:
                    self._ruleset = load_rules(
                        self.settings.rules_path, corpus_dir=self.settings.corpus_dir
                    )
                except RulesError as exc:
                    raise AssistantError(str(exc)) from exc
            return self._ruleset

    def lookup(self) -> CorpusLookup:
        with self._lock:
            if self._lookup is None:
                self._lookup = CorpusLookup(self.settings.corpus_dir)
            return self._lookup

    def vocabulary(self) -> CorpusVocabulary:
        """The corpus's words, for the in-scope decision (assistant.retrieval.scope)."""
        lookup = self.lookup()
        with self._lock:
            if self._vocabulary is None:
                passages = lookup.all_passages()
                self._vocabulary = CorpusVocabulary(f"{p.section} {p.text}" for p in passages)
            return self._vocabulary

    def chat_model(self) -> BaseChatModel | None:
        with self._lock:
            if not self._chat_model_ready:
                from assistant.answer.llm import LLMError, build_chat_model

                try:
                    self._chat_model = build_chat_model(self.settings.llm)
                except LLMError as exc:
                    raise AssistantError(str(exc)) from exc
                self._chat_model_ready = True
            return self._chat_model

    # --- the pipeline ----------------------------------------------------------------------

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

    def _audit(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        audience: Audience,
        result: AnswerResult,
    ) -> None:
        from assistant.audit import AuditError, AuditLog

        try:
            with self._lock:
                if self._audit_log is None:
                    self._audit_log = AuditLog.for_settings(self.settings)
            if self._audit_log is None:
                return
            # The lab tool read the message with rule-change sentences taken out.
            tool_input = find_injection(self._validated(question, audience)).clean_text
            log = self._audit_log
            log.write(log.entry(question, history, audience, result, tool_input))
        except AuditError as exc:  # an answer meant to be audited is not given unaudited
            raise AssistantError(str(exc)) from exc

    def _answer(
        self,
        question: str,
        history: Sequence[Mapping[str, Any]] | None,
        audience: Audience,
    ) -> AnswerResult:
        text = self._validated(question, audience)
        turns = turns_from(history)
        injection = find_injection(text)
        report, asked = self._route(injection.clean_text, turns)
        resolved = resolve_followup(asked, turns) if asked else None
        if resolved is not None and report is not None and report.findings:
            # Retrieval for what to do with THESE results, not for the raw numbers.
            resolved = replace(resolved, findings=findings_terms(report))
        evidence = self._retrieve(resolved) if resolved else Evidence(passages=[])
        if not evidence.passages and (
            report is None or (resolved is not None and not report.findings)
        ):
            return self._refusal(injection, audience, nothing_asked=resolved is None, report=report)
        labs = LabEvidence(report, self._lab_sources(report)) if report is not None else None
        body, backend, registry = self._body(text, resolved, evidence, labs, turns, audience)
        if body is None:
            return self._refusal(injection, audience, nothing_asked=False)
        preface = [INJECTION_NOTICE] if injection.detected else []
        if resolved is not None and not evidence.passages:
            preface.append(PARTLY_COVERED)
        body = adapt_body("\n\n".join([*preface, body]), audience)
        passages = {n: p.text for n, p in enumerate(registry.passages, start=1)}
        guarded = guard_answer(body, passages, tool_numbers(report))
        final_body, citations = renumber(guarded.markdown, registry.passages)
        parts = [final_body, render_references(citations), disclaimer(audience)]
        return AnswerResult(
            answer="\n\n".join(part for part in parts if part.strip()),
            citations=citations,
            labs=report,
            refused=False,
            removed=guarded.removed,
            backend=backend,
        )

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

    def _validated(self, question: str, audience: str) -> str:
        return validated_question(question, audience, limit=self.settings.max_question_chars)

    def _route(self, text: str, turns: list[Turn]) -> tuple[LabReport | None, str | None]:
        """The lab tool's report (None without lab values) and the question for retrieval."""
        report = self._interpret(text)
        if report is not None and turns and not _CUTOFF_TALK.search(text):
            report = self._with_tests_named(text, report, turns)
        asked = guideline_question(text, has_labs=report is not None)
        if report is not None and asked is not None and _figures_only(report):
            # "Where does the 150 pmol/L cut-off come from?": a figure under discussion, not a
            # patient's result; the whole message, figure included, is the question.
            return None, guideline_question(text, has_labs=False)
        return report, asked

    def _with_tests_named(self, text: str, report: LabReport, turns: list[Turn]) -> LabReport:
        """Read bare values ("Her result was 175 ng/L.") as the test the conversation is about.

        The lab tool stays pure: it reads the message with the test's name written in.
        """
        analytes = self.ruleset().analytes
        units = {key: frozenset(analyte.units) for key, analyte in analytes.items()}
        bare = name_bare_values(text, report, turns, units)
        if bare is None:
            return report
        if bare.text != text:
            report = self._interpret(bare.text) or report
        if not bare.ambiguous:
            return report
        errors = [
            error.model_copy(update={"message": _which_test(error.input, names)})
            if (names := [analytes[key].name for key in bare.ambiguous.get(error.input, ())])
            else error
            for error in report.errors
        ]
        return report.model_copy(update={"errors": errors})

    def _interpret(self, text: str) -> LabReport | None:
        """The lab tool's report on the message, or None when it holds no lab values."""
        if not text.strip():
            return None
        if self._interpreter is not None:
            report = self._interpreter(text)
        else:
            from labtool.interpret import interpret

            report = interpret(text, self.ruleset())
        return None if report.empty else report

    def _retrieve(self, resolved: ResolvedQuestion) -> Evidence:
        from assistant.index.store import StoreError

        try:
            return self._search(resolved)
        except StoreError as exc:  # e.g. the Chroma server went away after start-up
            raise AssistantError(f"the search index is unavailable: {exc}") from exc

    def _search(self, resolved: ResolvedQuestion) -> Evidence:
        return search_evidence(self.searcher(), resolved, self.vocabulary())

    def _lab_sources(self, report: LabReport) -> dict[tuple[str, str], Passage]:
        refs = [
            *(ref for finding in report.findings for ref in finding.sources),
            *(ref for conflict in report.conflicts for ref in conflict.sources),
            *(ref for conclusion in report.conclusions for ref in conclusion.sources),
        ]
        found: dict[tuple[str, str], Passage] = {}
        for ref in refs:
            key = (ref.doc_id, ref.section)
            if key not in found:
                passage = self.lookup().passage(ref.doc_id, ref.section)
                if passage is not None:
                    found[key] = passage
        return found

    def _differences(self, resolved: ResolvedQuestion | None) -> list[Difference]:
        """Disagreeing cut-offs, when the question is about levels or is broad."""
        if resolved is None:
            return []
        asks_levels = "thresholds" in topics_of(resolved.question) or is_broad(resolved.question)
        if not asks_levels:
            return []
        ruleset = self.ruleset()
        keys = analytes_named(resolved.search_text, ruleset)
        return source_differences(ruleset, keys, self.lookup())

    def _body(
        self,
        text: str,
        resolved: ResolvedQuestion | None,
        evidence: Evidence,
        labs: LabEvidence | None,
        turns: list[Turn],
        audience: Audience,
    ) -> tuple[str | None, str, CitationRegistry]:
        """The body, the backend that wrote it and the passages its [n] markers point to.

        A None body means the language model found the question not covered.
        """
        registry = CitationRegistry()
        chat_model = self.chat_model() if evidence.passages else None
        if chat_model is not None and resolved is not None:
            from assistant.answer.llm import LLMError, backend_name, build_prompt, write_answer

            for passage in evidence.passages:
                registry.cite(passage)  # the model cites by these numbers
            if labs is not None:
                for passage in labs.sources.values():
                    registry.cite(passage)
            lab_output = _lab_output(labs.report) if labs is not None else None
            messages = build_prompt(
                text,
                list(enumerate(registry.passages, start=1)),
                lab_output=lab_output,
                conversation=_conversation(turns),
                audience=audience,
            )
            try:
                written = write_answer(chat_model, messages)
            except LLMError:
                fallback = CitationRegistry()
                body = self._extractive(resolved, evidence, labs, fallback)
                return f"{LLM_UNAVAILABLE}\n\n{body}", "extractive", fallback
            if REFUSAL.lower() in written.lower() and labs is None:
                return None, backend_name(chat_model), registry
            blocks = [written.strip()]
            if labs is not None:
                blocks.append(render_lab_block(labs, registry))
            return "\n\n".join(blocks), backend_name(chat_model), registry
        return self._extractive(resolved, evidence, labs, registry), "extractive", registry

    def _extractive(
        self,
        resolved: ResolvedQuestion | None,
        evidence: Evidence,
        labs: LabEvidence | None,
        registry: CitationRegistry,
    ) -> str:
        with_findings = labs is not None and bool(labs.report.findings)
        # With results, the tool's own conflicts say where sources differ for THIS value.
        differences = self._differences(resolved) if evidence.passages and not with_findings else []
        return compose_body(
            resolved,
            with_difference_passages(evidence, differences),
            registry,
            labs=labs,
            differences=differences,
            broad=resolved is not None and not resolved.is_followup and is_broad(resolved.question),
            direct_answer=not (
                with_findings and resolved is not None and asks_only_about_result(resolved.question)
            ),
        )

    def _refusal(
        self,
        injection: Injection,
        audience: Audience,
        *,
        nothing_asked: bool,
        report: LabReport | None = None,
    ) -> AnswerResult:
        """The fixed "not covered" answer (or only the injection notice); it cites nothing."""
        blocks = []
        if injection.detected:
            blocks.append(INJECTION_NOTICE)
        refused = not (injection.detected and nothing_asked)
        if refused:
            blocks.append(REFUSAL)
        if report is not None:  # e.g. "TSH of 8": say why the value was not interpreted either
            blocks.append(render_lab_block(LabEvidence(report), CitationRegistry()))
        blocks.append(disclaimer(audience))
        return AnswerResult(
            answer="\n\n".join(blocks), labs=report, refused=refused, backend="extractive"
        )


def _which_test(value: str, names: list[str]) -> str:
    tests = " or ".join(names)
    example = f"{names[0]} {value}"
    return f"'{value}' could be {tests}, the tests discussed; say which, e.g. '{example}'."


def _figures_only(report: LabReport) -> bool:
    """Numbers with lab units but no test named: figures being discussed, not results."""
    return not report.findings and all(error.code == "NO_ANALYTE" for error in report.errors)


def _lab_output(report: LabReport) -> str:
    from labtool.render import render_report

    return render_report(report)


def _conversation(turns: list[Turn], last: int = 6) -> str:
    return "\n".join(f"{turn.role}: {turn.content}" for turn in turns[-last:])
