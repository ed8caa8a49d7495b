"""From blocks (headings and paragraphs) to named sections, and from sections to chunk texts.

A section is named by its heading path ("Diagnosis > Total B12 thresholds"); text before the
first heading is the "Introduction". Files without headings are grouped into "Part N" (text) or
"Page N" (PDF) sections.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from labtool.markdown import MarkdownDocument

from assistant.sources.readers import Block

SECTION_SEPARATOR = " > "
# all-MiniLM-L6-v2 reads 256 word pieces; ~180 words of clinical prose fit, longer text is cut.
MAX_CHUNK_WORDS = 180


PATIENT_PREFIX = "For patients:"


@dataclass(frozen=True)
class Section:
    path: str  # heading path joined with SECTION_SEPARATOR
    text: str
    patient: str = ""  # the section's patient-language statements, kept out of `text`


def markdown_blocks(document: MarkdownDocument) -> list[Block]:
    """Headings as the shared reader found them; the text between them kept as written, a
    paragraph being a run of lines without a blank line (list and quote markers and all)."""
    lines = [line.rstrip() for line in document.lines]
    blocks: list[Block] = []
    paragraph: list[str] = []
    end = 0  # line after the previous block of the same paragraph

    def flush() -> None:
        if paragraph:
            blocks.append(Block(text="\n".join(paragraph).strip()))
            paragraph.clear()

    for block in document.blocks:
        if block.kind == "heading":
            flush()
            blocks.append(Block(text=block.text, level=block.level))
        elif block.patient:
            flush()
            statement = block.text.removeprefix(PATIENT_PREFIX).strip()
            blocks.append(Block(text=" ".join(statement.split()), patient=True))
        else:
            if block.start_line != end:  # a blank (or unread) line in between
                flush()
            paragraph.extend(lines[block.start_line : block.end_line])
        end = block.end_line
    flush()
    return blocks


def title_heading(blocks: list[Block]) -> tuple[str | None, list[Block]]:
    """A single level-1 heading that opens the document is its title, not a section."""
    headings = [b for b in blocks if b.level]
    if not headings:
        return None, blocks
    top = min(b.level for b in headings)
    tops = [b for b in headings if b.level == top]
    if top == 1 and len(tops) == 1 and headings[0] is tops[0]:
        return tops[0].text, [b for b in blocks if b is not tops[0]]
    return None, blocks


def heading_sections(blocks: Iterable[Block]) -> list[Section]:
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    body: list[str] = []
    patient: list[str] = []

    def flush() -> None:
        text = "\n\n".join(t for t in body if t)
        if text.strip():
            name = SECTION_SEPARATOR.join(t for _, t in path) or "Introduction"
            sections.append(Section(path=name, text=text, patient=" ".join(patient)))
        body.clear()
        patient.clear()

    for block in blocks:
        if block.level:
            flush()
            path = [(lvl, t) for lvl, t in path if lvl < block.level] + [(block.level, block.text)]
        elif block.patient:
            patient.append(block.text)
        else:
            body.append(block.text)
    flush()
    return _merge_same_path(sections)


def _merge_same_path(sections: list[Section]) -> list[Section]:
    merged: dict[str, Section] = {}
    for section in sections:
        if section.path in merged:
            first = merged[section.path]
            patient = " ".join(p for p in (first.patient, section.patient) if p)
            section = Section(section.path, f"{first.text}\n\n{section.text}", patient)
        merged[section.path] = section
    return list(merged.values())


def grouped_sections(blocks: list[Block], *, paged: bool) -> list[Section]:
    """Text files: one section per group of paragraphs; PDFs: per group of pages."""
    groups: list[list[Block]] = []
    words = 0
    for block in blocks:
        size = len(block.text.split())
        if not groups or words + size > MAX_CHUNK_WORDS:
            groups.append([])
            words = 0
        groups[-1].append(block)
        words += size
    sections = []
    for number, group in enumerate(groups, start=1):
        if paged:
            first, last = group[0].page, group[-1].page
            name = f"Page {first}" if first == last else f"Pages {first}-{last}"
        else:
            name = f"Part {number}"
        sections.append(Section(path=name, text="\n\n".join(b.text for b in group)))
    return _merge_same_path(sections)


def pack_paragraphs(paragraphs: list[str], max_words: int) -> list[str]:
    pieces: list[str] = []
    for paragraph in (p.strip() for p in paragraphs):
        if len(paragraph.split()) > max_words * 3 // 2 and "|" not in paragraph:
            # An overlong paragraph (tables excepted) is split between sentences.
            sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", paragraph)
            pieces.extend(_pack(sentences, max_words, " "))
        elif paragraph:
            pieces.append(paragraph)
    return _pack(pieces, max_words, "\n\n")


def _pack(pieces: list[str], max_words: int, joiner: str) -> list[str]:
    """Greedy packing of whole pieces into groups of at most max_words; long pieces stay whole."""
    groups: list[str] = []
    current: list[str] = []
    words = 0
    for piece in pieces:
        size = len(piece.split())
        if current and words + size > max_words:
            groups.append(joiner.join(current))
            current, words = [], 0
        current.append(piece)
        words += size
    if current:
        groups.append(joiner.join(current))
    return groups
