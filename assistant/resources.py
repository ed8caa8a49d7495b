"""The one owner of the pipeline's heavy and pack-specific objects, created on first use.

The pack's domain and rules, the searcher (embedding model and index), the corpus lookup,
the chat model and the audit log live as long as the `Resources` that made them: one per
`Assistant`. Tests pass stand-ins through the constructor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from labtool.report import LabReport
from labtool.rules import RuleSet

from assistant.answer.compose import Knowledge
from assistant.config import Settings
from assistant.domain.language import DomainLanguage
from assistant.domain.model import Domain
from assistant.domain.pack import PackError, derived_domain, load_domain
from assistant.errors import AssistantError
from assistant.retrieval.scope import CorpusVocabulary
from assistant.retrieval.search import Searcher
from assistant.retrieval.statement_index import StatementIndex
from assistant.sources.lookup import CorpusLookup

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.audit import AuditLog


class Resources:
    """Lazily created collaborators of one Assistant (thread-safe)."""

    def __init__(
        self,
        settings: Settings,
        *,
        chat_model: BaseChatModel | None = None,
        searcher: Searcher | None = None,
        ruleset: RuleSet | None = None,
        lookup: CorpusLookup | None = None,
        interpreter: Callable[[str], LabReport] | None = None,
    ) -> None:
        self.settings = settings
        self._interpreter = interpreter
        self._chat_model = chat_model
        self._chat_model_ready = chat_model is not None
        self._searcher = searcher
        self._ruleset = ruleset
        self._lookup = lookup
        self._lock = threading.RLock()
        self._domain: Domain | None = None
        self._language: DomainLanguage | None = None
        self._vocabulary: CorpusVocabulary | None = None
        self._vocabulary_version = ""
        self._statements: StatementIndex | None = None
        self._statements_version: str | None = None
        self._audit_log: AuditLog | None = None
        self._audit_ready = False

    def searcher(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                from assistant.index.build import IngestError, ensure_index
                from assistant.retrieval.hybrid import get_searcher

                try:
                    ensure_index(self.settings)  # once: builds the index only if missing/stale
                except IngestError as exc:
                    raise AssistantError(str(exc)) from exc
                self._searcher = get_searcher(self.settings, self.language().vocabulary)
            return self._searcher

    def ruleset(self) -> RuleSet:
        """The pack's rules; a pack without a rules file has none (values are not classified)."""
        from labtool.rules import RulesError

        from assistant.sources.lookup import load_pack_rules

        with self._lock:
            if self._ruleset is None:
                path = self.settings.rules_path
                if not path.exists() and path.parent == self.settings.pack:
                    self._ruleset = RuleSet.empty(path)
                    return self._ruleset
                try:
                    self._ruleset = load_pack_rules(
                        path, self.settings.corpus_dir, self.settings.max_document_bytes
                    )
                except RulesError as exc:
                    raise AssistantError(str(exc)) from exc
            return self._ruleset

    def lookup(self) -> CorpusLookup:
        with self._lock:
            if self._lookup is None:
                self._lookup = CorpusLookup(
                    self.settings.corpus_dir, self.settings.max_document_bytes
                )
            return self._lookup

    def domain(self) -> Domain:
        """The pack's domain file, or a domain derived from its documents' headings."""
        with self._lock:
            if self._domain is None:
                try:
                    loaded = load_domain(self.settings.pack)
                except PackError as exc:
                    raise AssistantError(str(exc)) from exc
                self._domain = loaded or derived_domain(
                    self.lookup().headings(), self.settings.pack.name
                )
            return self._domain

    def language(self) -> DomainLanguage:
        with self._lock:
            if self._language is None:
                ruleset = self.ruleset()
                self._language = DomainLanguage(
                    self.domain(),
                    {key: [a.name, *a.aliases] for key, a in ruleset.analytes.items()},
                    context_words=ruleset.attribute_words(),
                    result_words=[c.label for a in ruleset.analytes.values() for c in a.categories],
                )
            return self._language

    def vocabulary(self) -> CorpusVocabulary:
        """Every word of everything indexed (files added with `ingest PATH` included); built
        again when the searcher moves to a new index version (an ingest while serving)."""
        searcher = self.searcher()
        loaded_version = getattr(searcher, "index_version", None)
        version = str(loaded_version()) if callable(loaded_version) else ""
        with self._lock:
            if self._vocabulary is None or version != self._vocabulary_version:
                from assistant.index.embeddings import everyday_words

                words = self.language().vocabulary
                # The index's files count every token: no passage is read.
                term_counts = getattr(searcher, "term_counts", None)
                counts = term_counts(words) if callable(term_counts) else None
                texts = (
                    (f"{p.section} {p.text}" for p in searcher.indexed_passages())
                    if counts is None
                    else ()
                )
                self._vocabulary = CorpusVocabulary(
                    texts, words, everyday_words(self.settings), counts=counts
                )
                self._vocabulary_version = version
            return self._vocabulary

    def statement_index(self) -> StatementIndex | None:
        """Every indexed statement's vector, embedded once per index version (at ingest) and
        kept with the index; None for a searcher without the index's model (unit-test
        stand-ins)."""
        searcher = self.searcher()
        loaded_version = getattr(searcher, "index_version", None)
        if not callable(loaded_version):
            return None
        version = str(loaded_version())
        with self._lock:
            if self._statements is None or version != self._statements_version:
                from assistant.retrieval.statement_index import load_or_build

                kept = getattr(searcher, "statement_index", None)
                if callable(kept):  # the version's own, read from its files
                    meta = self.domain().meta_patterns
                    self._statements = kept(meta, self.language().is_meta)
                else:
                    self._statements = load_or_build(
                        None, searcher.indexed_passages(), self.language().is_meta, searcher.embed
                    )
                self._statements_version = version
            return self._statements

    def knowledge(self) -> Knowledge:
        return Knowledge(
            self.language(),
            self.ruleset(),
            self.lookup(),
            SearcherVectors(self),
            approved_only=self.settings.retrieval.approved_only,
        )

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

    def audit_log(self) -> AuditLog | None:
        from assistant.audit import AuditLog

        with self._lock:
            if not self._audit_ready:
                self._audit_log = AuditLog.for_settings(self.settings)
                self._audit_ready = True
            return self._audit_log

    def read_values(self, text: str, assume: Sequence[str] = ()) -> list[tuple[str, str]]:
        """The lab values a message gives, as (rules-file key, value as the lab tool reads it
        alone: "B12 270 ng/L"). `assume`: the tests a value without a test name may be."""
        from labtool.parse import parse_message

        rules = self.ruleset()
        message = parse_message(text, rules, assume)
        found: list[tuple[str, str]] = []
        for value in message.values:
            if not value.analyte or value.number is None:
                continue
            written = value.text
            if value.analyte not in self.language().analytes_in(written):
                names = self.language().test_names[value.analyte]
                # The first alias ("B12"): the name itself may hold brackets the tool skips.
                written = f"{names[1] if len(names) > 1 else names[0]} {written}"
            found.append((value.analyte, written))
        return found

    def interpret(
        self, text: str, assume_analytes: Sequence[str] = (), earlier: Sequence[str] = ()
    ) -> LabReport | None:
        """The lab tool's report on a message, or None when it holds no lab values.

        `assume_analytes`: the tests a value without a test name may be (the conversation's).
        `earlier`: the user's earlier messages, oldest first: the patient they describe (age,
        sex, pregnancy) stands unless this message says otherwise.
        """
        if not text.strip():
            return None
        if self._interpreter is not None:
            report = self._interpreter(text)
        else:
            from labtool.interpret import conversation_context, interpret

            rules = self.ruleset()
            context = conversation_context(earlier, rules) if earlier else None
            report = interpret(text, rules, assume_analytes, context)
        return None if report.empty else report


class SearcherVectors:
    """The searcher's embedding model, for the composer (loaded with the searcher)."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Precomputed statement vectors where the index has them; the rest embedded now."""
        index = self._resources.statement_index()
        if index is None or not texts:
            return self._resources.searcher().embed(texts)
        found = [index.vector(text) for text in texts]
        missing = [text for text, vector in zip(texts, found, strict=True) if vector is None]
        if missing:
            embedded = dict(zip(missing, self._resources.searcher().embed(missing), strict=True))
            found = [embedded[t] if v is None else v for t, v in zip(texts, found, strict=True)]
        return np.stack([vector for vector in found if vector is not None])

    def question(self, text: str) -> np.ndarray:
        return self._resources.searcher().question_vector(text)
