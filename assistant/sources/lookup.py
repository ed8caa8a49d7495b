"""Passages by (document id, section), read from the corpus files themselves.

The lab tool's findings and the rules' comparison sources name a document and a `## ` section,
not a query; citing them needs that section's text. Chunks come from the same loader and chunker
as the index, so a looked-up passage has the same chunk id as the indexed one.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from labtool.corpus_index import CorpusDocument
from labtool.rules import RuleSet, load_rules

from assistant.schema import Passage
from assistant.sources.documents import (
    MARKDOWN_SUFFIXES,
    DocumentError,
    chunk_document,
    load_document,
    pack_files,
)
from assistant.text.sentences import number_values
from assistant.text.tokens import stem


class CorpusLookup:
    """Lazy index of the corpus's chunks by (doc_id, section); loaded once on first use."""

    def __init__(self, corpus_dir: Path) -> None:
        self._corpus_dir = corpus_dir
        self._by_section: dict[tuple[str, str], list[Passage]] | None = None
        self._lock = threading.Lock()

    def _index(self) -> dict[tuple[str, str], list[Passage]]:
        with self._lock:
            if self._by_section is None:
                self._by_section = _load(self._corpus_dir)
            return self._by_section

    def section(self, doc_id: str, section: str) -> list[Passage]:
        """Every chunk of one section, in document order (usually exactly one)."""
        return list(self._index().get((doc_id, section), []))

    def all_passages(self) -> list[Passage]:
        """Every chunk of the corpus, by document and section."""
        return [p for key in sorted(self._index()) for p in self._index()[key]]

    def headings(self) -> list[str]:
        """Every section heading of the corpus (the last part of each path), in file order."""
        index = self._index()
        return list(dict.fromkeys(section.rsplit(" > ", 1)[-1] for _, section in index))

    def passage(
        self, doc_id: str, section: str, *, mentioning: Iterable[str] = ()
    ) -> Passage | None:
        """The chunk of a section that mentions the given numbers or words, else its first chunk."""
        chunks = self.section(doc_id, section)
        if not chunks:
            return None
        wanted = [w for w in mentioning if w]
        for chunk in chunks:
            if all(_mentions(chunk.text, w) for w in wanted):
                return chunk
        return chunks[0]


def _mentions(text: str, what: str) -> bool:
    values = number_values(what)
    if values:
        return values <= number_values(text)
    return stem(what.lower()) in text.lower()


def _load(corpus_dir: Path) -> dict[tuple[str, str], list[Passage]]:
    by_section: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for path in pack_files(corpus_dir):
        try:
            document = load_document(path, require_front_matter=path.suffix.lower() == ".md")
        except DocumentError:
            continue  # broken files: ingestion reports them, lookup skips them
        for chunk in chunk_document(document):
            by_section[(chunk.doc.doc_id, chunk.section)].append(
                Passage(
                    chunk_id=chunk.chunk_id,
                    doc=chunk.doc,
                    section=chunk.section,
                    text=chunk.text,
                    patient=chunk.patient,
                )
            )
    return dict(by_section)


def load_pack_rules(rules_path: Path, corpus_dir: Path) -> RuleSet:
    """The rules file, its citations checked against every document of the pack.

    The lab tool reads the pack's Markdown itself; the documents in other formats (PDF, HTML,
    text) are read here and handed over with their section headings. Raises RulesError.
    """
    extra: dict[str, CorpusDocument] = {}
    for path in pack_files(corpus_dir):
        if path.suffix.lower() in MARKDOWN_SUFFIXES:
            continue
        try:
            document = load_document(path)
        except DocumentError:
            continue  # reported by ingest and `pack check`; a rule citing it fails below
        sections = tuple(dict.fromkeys(s.path.rsplit(" > ", 1)[-1] for s in document.sections))
        extra[document.meta.doc_id] = CorpusDocument(
            doc_id=document.meta.doc_id,
            title=document.meta.title,
            sections=sections,
            path=path,
            text="",
        )
    return load_rules(rules_path, corpus_dir=corpus_dir, extra_documents=extra)
