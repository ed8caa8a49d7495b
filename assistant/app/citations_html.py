"""Live citations: each [n] marker becomes a link with a preview card, and the reference list
groups the cited passages by document.

The card (title, section, kind, review status, year, the passage itself) is part of the marker,
shown by CSS on hover or keyboard focus and by the page script on a tap (assistant/app/static);
the marker opens the document's URL or DOI when it has one, else jumps to the reference list.
Every text is escaped here: nothing from the corpus becomes markup. No Gradio import.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlparse

from assistant.answer.references import kind_label, review_label
from assistant.schema import Citation
from assistant.text.sentences import CITATION_MARKER

_STATUS_WORDS = {"approved": "approved", "under_review": "under review", "submitted": "submitted"}


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def document_link(url: str | None, doi: str | None) -> str | None:
    """Where a document can be read: its web address, else its DOI resolver; never a local or
    script address."""
    if url and urlparse(url).scheme in ("http", "https"):
        return url
    if doi:
        return f"https://doi.org/{quote(doi.strip(), safe='/:;()._-')}"
    return None


@dataclass(frozen=True)
class DocumentGroup:
    """One cited document and its cited passages, in citation order."""

    doc_id: str
    citations: tuple[Citation, ...]

    @property
    def first(self) -> Citation:
        return self.citations[0]


def group_by_document(citations: Sequence[Citation]) -> list[DocumentGroup]:
    """Documents in order of their first citation, each with its cited passages."""
    groups: dict[str, list[Citation]] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        groups.setdefault(citation.doc_id, []).append(citation)
    return [DocumentGroup(doc_id, tuple(cited)) for doc_id, cited in groups.items()]


class CitationLinks:
    """The [n] markers and the reference list of one answer (`turn` keeps ids unique)."""

    def __init__(
        self, citations: Sequence[Citation], turn: str, links: Mapping[str, str] | None = None
    ) -> None:
        self.citations = {c.n: c for c in citations}
        self.turn = turn
        self.links = dict(links or {})

    def anchor(self, n: int) -> str:
        return f"ref-{self.turn}-{n}"

    def link(self, citation: Citation) -> str | None:
        return self.links.get(citation.doc_id)

    def markers(self, rendered: str) -> str:
        """Rendered HTML with every [n] (or [1, 2]) made a live citation; unknown numbers stay
        as text."""

        def live(match: re.Match[str]) -> str:
            numbers = [int(part) for part in _numbers(match.group(1))]
            if not all(n in self.citations for n in numbers):
                return match.group(0)
            return "".join(self.marker(n) for n in numbers)

        return CITATION_MARKER.sub(live, rendered)

    def marker(self, n: int) -> str:
        citation = self.citations[n]
        link = self.link(citation)
        target = escape(link) if link else f"#{self.anchor(n)}"
        return (
            f'<span class="cite"><a class="cite-n" href="{target}">[{n}]</a>'
            f'<span class="cite-card" role="tooltip">{self.card(citation, link)}</span></span>'
        )

    def card(self, citation: Citation, link: str | None) -> str:
        facts = [citation.section, kind_label(citation), review_label(citation).capitalize()]
        if citation.year is not None:
            facts.append(str(citation.year))
        opens = (
            f'<a class="cite-open" href="{escape(link)}">Open the source ↗</a>'
            if link
            else '<span class="cite-open">No web address: see the reference list</span>'
        )
        return (
            f'<span class="cite-title">{escape(citation.title)}</span>'
            f'<span class="cite-meta">{" · ".join(escape(f) for f in facts)}</span>'
            f'<span class="cite-text">{escape(citation.text)}</span>{opens}'
        )

    def references(self) -> str:
        """The reference list: one entry per document, its cited sections beneath ("" if none)."""
        groups = group_by_document(list(self.citations.values()))
        if not groups:
            return ""
        entries = "".join(self._entry(group) for group in groups)
        return (
            f'<details class="references"><summary>{escape(self.summary(groups))}</summary>'
            f'<ol class="ref-docs">{entries}</ol></details>'
        )

    def summary(self, groups: Sequence[DocumentGroup]) -> str:
        passages = sum(len(group.citations) for group in groups)
        counts: dict[str, int] = {}
        for group in groups:
            word = _STATUS_WORDS.get(group.first.review_status, group.first.review_status)
            counts[word] = counts.get(word, 0) + 1
        statuses = ", ".join(f"{count} {word}" for word, count in counts.items())
        return (
            f"Sources: {_count(len(groups), 'document')}, {_count(passages, 'cited passage')}"
            f" ({statuses})"
        )

    def _entry(self, group: DocumentGroup) -> str:
        first = group.first
        link = self.link(first)
        title = escape(first.title.rstrip("."))
        title_html = f'<a href="{escape(link)}">{title}</a>' if link else title
        published = ", ".join(p for p in (first.publisher, str(first.year or "")) if p)
        status = first.review_status
        changed = " status-changed" if first.review_state == "changed since review" else ""
        sections = "".join(
            f'<li id="{self.anchor(c.n)}"><span class="ref-n">[{c.n}]</span> '
            f"{escape(c.section)}</li>"
            for c in group.citations
        )
        return (
            f'<li class="ref-doc"><span class="ref-kind">{escape(kind_label(first))}</span> '
            f"{title_html}"
            + (f' <span class="ref-pub">{escape(published)}</span>' if published else "")
            + f' <span class="status status-{escape(status)}{changed}">'
            f"{escape(review_label(first).capitalize())}</span>"
            f'<ul class="ref-sections">{sections}</ul></li>'
        )


def _numbers(group: str) -> list[str]:
    return [part for part in group.replace(";", ",").split(",") if part.strip()]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
