"""What the rules file may cite: each corpus document's id, title and `## ` headings.

Read straight from the Markdown front matter so that tools/ stays independent of the
assistant package (and of the search index).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


class CorpusError(Exception):
    """The corpus folder cannot be read well enough to check citations."""


@dataclass(frozen=True)
class CorpusDocument:
    doc_id: str
    title: str
    sections: tuple[str, ...]
    path: Path
    text: str

    def section_text(self, heading: str) -> str | None:
        """The body of one `## ` section (up to the next `## ` heading), or None."""
        lines = self.text.splitlines()
        body: list[str] = []
        inside = False
        for line in lines:
            if line.startswith("## "):
                if inside:
                    break
                inside = line[3:].strip() == heading
                continue
            if inside:
                body.append(line)
        return "\n".join(body) if inside else None


def _split_front_matter(text: str) -> tuple[dict[str, object], str] | None:
    """(front matter, body) for a document that starts with a `---` block, else None."""
    if not text.startswith("---"):
        return None
    lines = text.splitlines()
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            try:
                meta = yaml.safe_load("\n".join(lines[1:end]))
            except yaml.YAMLError:
                return None
            body = "\n".join(lines[end + 1 :])
            return (meta if isinstance(meta, dict) else {}), body
    return None


def read_document(path: Path) -> CorpusDocument | None:
    """A corpus document, or None for a Markdown file without an `id` (e.g. README.md)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot read corpus document ({exc})") from exc
    split = _split_front_matter(text)
    if split is None:
        return None
    meta, body = split
    doc_id = meta.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        return None
    title = meta.get("title")
    sections = tuple(line[3:].strip() for line in body.splitlines() if line.startswith("## "))
    return CorpusDocument(
        doc_id=doc_id,
        title=title if isinstance(title, str) and title else doc_id,
        sections=sections,
        path=path,
        text=body,
    )


def read_corpus(corpus_dir: Path) -> dict[str, CorpusDocument]:
    """Every document in corpus_dir/*.md by id (sorted by file name for determinism)."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir}: corpus folder not found")
    documents: dict[str, CorpusDocument] = {}
    for path in sorted(corpus_dir.glob("*.md")):
        document = read_document(path)
        if document is None:
            continue
        if document.doc_id in documents:
            first = documents[document.doc_id].path.name
            raise CorpusError(f"{path}: document id '{document.doc_id}' is also used by {first}")
        documents[document.doc_id] = document
    return documents


def corpus_signature(corpus_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """File names, sizes and mtimes: changes whenever a document is edited (cache key)."""
    try:
        return tuple(
            (path.name, stat.st_mtime_ns, stat.st_size)
            for path in sorted(corpus_dir.glob("*.md"))
            for stat in (path.stat(),)
        )
    except OSError:
        return ()
