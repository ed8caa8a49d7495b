"""Passages by (document id, section), read from the corpus files themselves.

The lab tool's findings and the rules' comparison sources name a document and a `## ` section,
not a query; citing them needs that section's text. Chunks come from the same loader and chunker
as the index, so a looked-up passage has the same chunk id as the indexed one.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from labtool.corpus_index import CorpusDocument, CorpusError, read_document
from labtool.rules import RulesError, RuleSet, load_rules

from assistant.schema import Passage
from assistant.sources.documents import (
    MARKDOWN_SUFFIXES,
    DocumentError,
    chunk_document,
    load_document,
    pack_files,
    read_document_bytes,
)
from assistant.text.sentences import number_values
from assistant.text.tokens import stem

logger = logging.getLogger(__name__)


class CorpusLookup:
    """Lazy index of the corpus's chunks by (doc_id, section); loaded once on first use."""

    def __init__(self, corpus_dir: Path, max_bytes: int | None = None) -> None:
        self._corpus_dir = corpus_dir
        self._max_bytes = max_bytes  # None: the ASSISTANT_MAX_DOCUMENT_BYTES setting
        self._by_section: dict[tuple[str, str], list[Passage]] | None = None
        self._lock = threading.Lock()

    def _index(self) -> dict[tuple[str, str], list[Passage]]:
        with self._lock:
            if self._by_section is None:
                self._by_section = _load(self._corpus_dir, self._max_bytes)
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


def _load(corpus_dir: Path, max_bytes: int | None) -> dict[tuple[str, str], list[Passage]]:
    by_section: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for path in pack_files(corpus_dir):
        try:
            document = load_document(
                path, require_front_matter=path.suffix.lower() == ".md", max_bytes=max_bytes
            )
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


def load_pack_rules(rules_path: Path, corpus_dir: Path, max_bytes: int | None = None) -> RuleSet:
    """The rules file, its citations checked against every readable document of the pack.

    Every document is read here (Markdown with the lab tool's own reader, other formats with
    the loader of the index) and handed to the lab tool. A document that cannot be read (not
    UTF-8, over the size limit, broken) is reported in the log and left out, so it stops nothing
    but a rules file that cites it, whose error then names the file and its problem. Raises
    RulesError.
    """
    if not corpus_dir.is_dir():  # the lab tool's own message
        return load_rules(rules_path, corpus_dir=corpus_dir)
    documents, unreadable = pack_documents(corpus_dir, max_bytes)
    for problem in unreadable.values():
        logger.warning("skipped: %s", problem)
    if not documents:
        if not unreadable:  # an empty pack: the lab tool reports every citation
            return load_rules(rules_path, corpus_dir=corpus_dir)
        problems = "; ".join(unreadable.values())
        raise RulesError(f"{rules_path}: cannot check citations: no readable document ({problems})")
    try:
        return load_rules(rules_path, extra_documents=documents)
    except RulesError as exc:
        raise RulesError(_name_unreadable(str(exc), unreadable)) from exc


def pack_documents(
    corpus_dir: Path, max_bytes: int | None = None
) -> tuple[dict[str, CorpusDocument], dict[str, str]]:
    """What rules may cite: each readable document by id; and each unreadable one's problem,
    by the id it declares (or its file name's stem)."""
    documents: dict[str, CorpusDocument] = {}
    unreadable: dict[str, str] = {}
    for path in pack_files(corpus_dir):
        try:
            document = _citable(path, max_bytes)
        except (DocumentError, CorpusError) as exc:
            unreadable[_declared_id(path)] = str(exc)
            continue
        if document is None:
            continue
        if document.doc_id in documents:
            first = documents[document.doc_id].path.name
            unreadable.setdefault(
                f"{document.doc_id} (again)",
                f"{path}: id: {document.doc_id!r} is already used by {first}",
            )
            continue
        documents[document.doc_id] = document
    return documents, unreadable


def _citable(path: Path, max_bytes: int | None) -> CorpusDocument | None:
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        raw = read_document_bytes(path, str(path), max_bytes)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(path, "content", f"not UTF-8 text (byte {exc.start})") from exc
        return read_document(path)  # the lab tool's reader: None for a file without an id
    loaded = load_document(path, max_bytes=max_bytes)
    return CorpusDocument(
        doc_id=loaded.meta.doc_id,
        title=loaded.meta.title,
        sections=tuple(dict.fromkeys(s.path.rsplit(" > ", 1)[-1] for s in loaded.sections)),
        path=path,
        text="",
    )


_ID_LINE = re.compile(rb"^id:\s*[\"']?([^\s\"'#]+)", re.MULTILINE)


def _declared_id(path: Path) -> str:
    """The id an unreadable file declares in its front matter, else its file name's stem."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        head = b""
    found = _ID_LINE.search(head)
    return found.group(1).decode("utf-8", "replace") if found else path.stem


def _name_unreadable(message: str, unreadable: dict[str, str]) -> str:
    """Point a rule citing an unreadable document at the file and its problem."""
    for doc_id, problem in unreadable.items():
        message = message.replace(
            f"source doc_id '{doc_id}' is not a document in the corpus",
            f"source doc_id '{doc_id}' is a document that cannot be read ({problem})",
        )
    return message
