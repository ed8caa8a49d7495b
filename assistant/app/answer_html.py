"""One answer as the chat shows it: answer first, everything else below and collapsible.

Order: notices (patient preface, fallbacks), the direct answer in a box of its own (for lab values:
the results table, then the conclusions), what the corpus does not say, the sections (open), "More
detail" (closed), the lab tool's thresholds and notes (closed), the glossary, the sources grouped
by document (closed) and the disclaimer. The Markdown parts are rendered here with raw HTML and
images turned off, so corpus or model text can never become markup or fetch anything; the answer's
Markdown also travels hidden in the message, for the copy button and for follow-up questions.
No Gradio import.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from labtool.report import LabReport
from markdown_it import MarkdownIt

from assistant.app.citations_html import CitationLinks, escape
from assistant.app.lab_html import lab_table_html
from assistant.schema import AnswerResult, AnswerSection

ANSWER_CLASS = "answer"
SOURCE_CLASS = "answer-markdown"  # the hidden Markdown of the answer (copy, follow-ups)
COPY_LABEL = "Copy answer"
LAB_DETAILS_TITLE = "Lab details: thresholds used and notes"
MORE_DETAIL_TITLE = "More detail"


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # CommonMark with tables. Raw HTML is shown as text; no image (it would fetch) and no link
    # from text (a model or a document could point anywhere): the only links are the app's own.
    return (
        MarkdownIt("commonmark", {"html": False})
        .enable("table")
        .disable(["image", "link", "autolink"])
    )


def markdown_html(text: str) -> str:
    return str(_markdown().render(text))


def one_line(rendered: str) -> str:
    """HTML without a line break: the chat's own Markdown pass reads one HTML block and leaves it
    alone (a blank line would end the block). A character reference keeps the line break where
    it matters (in <pre>, in the hidden Markdown)."""
    return rendered.replace("\r", "").replace("\n", "&#10;")


def answer_html(
    result: AnswerResult,
    turn: str,
    links: Mapping[str, str] | None = None,
    *,
    approved_only: bool = False,
) -> str:
    """The whole answer as one HTML block; `turn` keeps the ids of its anchors unique. With
    `approved_only` (the switch was on), passages from documents not approved are pointed out."""
    cites = CitationLinks(result.citations, turn, links)
    before = [n for n in result.notices if not _is_titled(n)]
    after = [n for n in result.notices if _is_titled(n)]
    parts = [f'<div class="notice">{markdown_html(n)}</div>' for n in before]
    unapproved = {c.n for c in result.citations if c.review_status != "approved"}
    if approved_only and unapproved:
        parts.append(f'<div class="notice">{escape(not_approved_notice(len(unapproved)))}</div>')
    parts.append(_direct(result))
    parts.extend(f'<div class="gap">{markdown_html(gap)}</div>' for gap in result.gaps)
    parts.extend(_section(section, opened=True) for section in result.sections)
    if result.more_detail:
        inner = "".join(
            f"<h4>{escape(s.heading)}</h4>{markdown_html(s.markdown)}" for s in result.more_detail
        )
        parts.append(_details("more-detail", MORE_DETAIL_TITLE, inner))
    if result.lab_details.strip():
        details = markdown_html(once(_without_heading(result.lab_details)))
        parts.append(_details("lab-details", LAB_DETAILS_TITLE, details))
    parts.extend(_titled(notice) for notice in after)
    body = cites.markers("".join(part for part in parts if part))
    references = cites.references()
    disclaimer = (
        f'<div class="answer-disclaimer">{markdown_html(result.disclaimer)}</div>'
        if result.disclaimer
        else ""
    )
    return one_line(
        f'<div class="{ANSWER_CLASS}">{body}{references}{disclaimer}'
        f'<div class="answer-tools"><button class="copy-answer" type="button">{COPY_LABEL}'
        f'</button></div><div class="{SOURCE_CLASS}" hidden>{escape(result.answer)}</div></div>'
    )


def not_approved_notice(count: int) -> str:
    passages = "1 cited passage comes" if count == 1 else f"{count} cited passages come"
    return (
        f"Approved sources only: the search skipped documents not approved, but {passages} "
        "from such documents: the lab tool's rules and the comparison of sources cite their own "
        "documents. Each citation shows its review status."
    )


def _direct(result: AnswerResult) -> str:
    """The direct answer's box: for lab values the table, then what follows from them."""
    table = lab_table_html(result.labs, result.citations) if result.labs is not None else ""
    direct = result.direct
    if table and result.labs is not None:
        direct = without_finding_lines(direct, result.labs)
    if not (direct.strip() or table or _has_parts(result)):
        direct = result.answer  # an answer without parts (e.g. a model's free text): all of it
    if not (direct.strip() or table):
        return ""
    return f'<div class="direct">{table}{markdown_html(once(direct))}</div>'


def without_finding_lines(direct: str, labs: LabReport) -> str:
    """The direct answer without its one-line-per-value findings, which the table shows.

    A finding's line starts with the tool's own summary up to its band ("<test> <value> (=...):
    <category>"); any line not recognised stays, so nothing is lost if the wording changes.
    """
    starts = tuple(f"- {f.summary.split(' [', 1)[0]}" for f in labs.findings if f.summary)
    if not starts:
        return direct
    kept = [line for line in direct.splitlines() if not line.startswith(starts)]
    return "\n".join(kept).strip()


def once(markdown: str) -> str:
    """Each list item once: a value pasted many times gives the same line many times, and
    repeating an identical line tells the reader nothing more."""
    seen: set[str] = set()
    kept: list[str] = []
    for line in markdown.splitlines():
        item = line.strip()
        if item.startswith(("- ", "* ")):
            if item in seen:
                continue
            seen.add(item)
        kept.append(line)
    return "\n".join(kept)


def _has_parts(result: AnswerResult) -> bool:
    return bool(
        result.direct.strip()
        or result.gaps
        or result.sections
        or result.more_detail
        or result.lab_details.strip()
        or result.notices
    )


def _section(section: AnswerSection, *, opened: bool) -> str:
    return _details("section", section.heading, markdown_html(section.markdown), opened=opened)


def _details(kind: str, title: str, inner: str, *, opened: bool = False) -> str:
    state = " open" if opened else ""
    return (
        f'<details class="{kind}"{state}><summary>{escape(title)}</summary>'
        f'<div class="details-body">{inner}</div></details>'
    )


def _is_titled(notice: str) -> bool:
    """A notice with its own "###" heading (the patient glossary) closes the answer."""
    return notice.lstrip().startswith("### ")


def _titled(notice: str) -> str:
    heading, _, rest = notice.lstrip()[4:].partition("\n")
    return _details("glossary", heading.strip(), markdown_html(rest), opened=True)


def _without_heading(markdown: str) -> str:
    lines = markdown.strip().splitlines()
    return "\n".join(lines[1:]) if lines and lines[0].startswith("#") else markdown
