"""The lab results table of an answer: one row per distinct value (assistant.answer.lab_table).

A category is a badge that carries its meaning in text and a shape (▼ lowest band, ◆ a middle
band, ▲ highest band), colour only repeating it; a value close to a cut-off gets its own badge.
On a phone each row becomes a card (the cell labels show; see static/app.css). Sources are
written as [n] markers that CitationLinks turns into live citations. No Gradio import.
"""

from __future__ import annotations

from collections.abc import Sequence

from labtool.report import LabReport

from assistant.answer.lab_table import LabRow, LabSource, Position, lab_rows
from assistant.app.citations_html import escape
from assistant.schema import Citation

CAPTION = "Lab results, classified by the pack's cited rules (not by a language model)"
COLUMNS = ("Test", "Result", "Category", "Band used", "Notes", "Source")
_SHAPES: dict[Position, tuple[str, str]] = {
    "lowest": ("▼", "lowest band"),
    "middle": ("◆", "middle band"),
    "highest": ("▲", "highest band"),
    "only": ("●", "the only band"),
}


def lab_table_html(report: LabReport, citations: Sequence[Citation]) -> str:
    """The table, then what the tool read but did not classify ("" when there is nothing)."""
    rows = lab_rows(report)
    parts: list[str] = []
    if rows:
        head = "".join(f'<th scope="col">{name}</th>' for name in COLUMNS)
        body = "".join(_row(row, citations) for row in rows)
        parts.append(
            f'<table class="lab-table"><caption>{escape(CAPTION)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
    parts.append(_listed("Not interpreted:", [(e.input, e.message) for e in report.errors]))
    parts.append(_listed("Not read as results:", [(n.input, n.message) for n in report.notices]))
    return "".join(parts)


def _listed(title: str, items: Sequence[tuple[str, str]]) -> str:
    """Text the tool did not classify, each once, with the tool's reason ("" if none)."""
    unique = dict.fromkeys(items)
    if not unique:
        return ""
    shown = "".join(
        f"<li><code>{escape(text)}</code>: {escape(message)}</li>" for text, message in unique
    )
    return f'<div class="lab-errors"><p>{escape(title)}</p><ul>{shown}</ul></div>'


def badge(row: LabRow) -> str:
    shape, where = _SHAPES[row.position]
    return (
        f'<span class="badge badge-{row.position}" title="{escape(where)}">'
        f'<span class="badge-shape">{shape}</span> {escape(row.category)}</span>'
    )


def _row(row: LabRow, citations: Sequence[Citation]) -> str:
    result = escape(row.value)
    if row.other_units:
        result += f'<span class="lab-alt">= {escape(" = ".join(row.other_units))}</span>'
    category = badge(row)
    if row.near_cut_off:
        category += ' <span class="badge badge-near">≈ near a cut-off</span>'
    notes = list(row.notes)
    if row.repeats > 1:
        notes.append(f"Given {row.repeats} times in the message; shown once.")
    cells = (
        result,
        category,
        escape(row.band),
        "".join(f"<p>{escape(note)}</p>" for note in notes),
        "<br>".join(_source(source, citations) for source in row.sources),
    )
    labelled = "".join(
        f'<td><span class="cell-label">{name}</span>{cell}</td>'
        for name, cell in zip(COLUMNS[1:], cells, strict=True)
    )
    return f'<tr><th scope="row">{escape(row.test)}</th>{labelled}</tr>'


def _source(source: LabSource, citations: Sequence[Citation]) -> str:
    """The source's short name and section, with the answer's [n] for that passage if cited."""
    ref = source.ref
    cited = [c for c in citations if (c.doc_id, c.section) == (ref.doc_id, ref.section)]
    markers = "".join(f"[{c.n}]" for c in cited)
    return f"{escape(source.name)}, “{escape(ref.section)}” {markers}".rstrip()
