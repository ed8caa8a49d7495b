"""PDF text lines to heading and paragraph blocks: outline, type, wrapping, running lines."""

from __future__ import annotations

from assistant.sources.pdf_layout import Line, OutlineEntry, blocks_from_lines
from assistant.sources.readers import Block


def body(text: str, y: float, page: int = 1, size: float = 10.0) -> Line:
    return Line(text=text, page=page, y=y, size=size)


def test_outline_heading_found_on_its_page_splits_the_text() -> None:
    lines = [
        body("Opening words of the leaflet.", 700),
        body("Dosing", 670),
        body("Give 1 mg daily by mouth for", 650),
        body("three months.", 638),
    ]
    blocks = blocks_from_lines(lines, [OutlineEntry("Dosing", level=2, page=1, top=680)])

    assert blocks == [
        Block("Opening words of the leaflet.", page=1),
        Block("Dosing", level=2, page=1),
        Block("Give 1 mg daily by mouth for three months.", page=1),
    ]


def test_outline_heading_run_into_its_paragraph_is_cut_off() -> None:
    lines = [body("Intro.", 700), body("Dosing. Give 1 mg daily.", 670)]
    blocks = blocks_from_lines(lines, [OutlineEntry("Dosing", level=2, page=1, top=680)])

    assert blocks[1:] == [Block("Dosing", level=2, page=1), Block("Give 1 mg daily.", page=1)]


def test_outline_heading_wrapped_over_two_lines() -> None:
    lines = [
        body("Monitoring haemoglobin during", 700, size=13),
        body("ESA treatment", 686, size=13),
        body("Check every month.", 660),
    ]
    entry = OutlineEntry("Monitoring haemoglobin during ESA treatment", level=2, page=1, top=712)

    assert blocks_from_lines(lines, [entry]) == [
        Block("Monitoring haemoglobin during ESA treatment", level=2, page=1),
        Block("Check every month.", page=1),
    ]


def test_outline_entry_not_printed_on_its_page_starts_at_its_destination() -> None:
    lines = [body("First part.", 700), body("Second part.", 600)]
    blocks = blocks_from_lines(lines, [OutlineEntry("Part two", level=2, page=1, top=650)])

    assert blocks == [
        Block("First part.", page=1),
        Block("Part two", level=2, page=1),
        Block("Second part.", page=1),
    ]


def test_larger_type_makes_headings_and_levels_follow_size() -> None:
    lines = [
        Line("Guide title", 1, 750, 18, bold=True),
        body("An opening paragraph.", 720),
        Line("Diagnosis", 1, 690, 14, bold=True),
        body("Test the serum.", 670),
        Line("Thresholds", 1, 650, 10, bold=True),
        body("Below 180 ng/L.", 635),
    ]

    assert [(b.level, b.text) for b in blocks_from_lines(lines, [])] == [
        (1, "Guide title"),
        (0, "An opening paragraph."),
        (2, "Diagnosis"),
        (0, "Test the serum."),
        (3, "Thresholds"),
        (0, "Below 180 ng/L."),
    ]


def test_bold_sentences_and_lists_are_not_headings() -> None:
    lines = [
        body("Plain text of the page.", 700),
        Line("Do not stop treatment without advice.", 1, 680, 10, bold=True),
        body("More text.", 665),
        Line("• Bold list item", 1, 650, 10, bold=True),
    ]

    assert not any(b.level for b in blocks_from_lines(lines, []))


def test_without_outline_or_type_signal_there_are_no_headings() -> None:
    lines = [body("Cobalamin on page one", 720), body("Folate on page two", 720, page=2)]

    assert blocks_from_lines(lines, []) == [
        Block("Cobalamin on page one", page=1),
        Block("Folate on page two", page=2),
    ]


def test_paragraphs_split_at_wider_gaps_and_hyphenation_is_undone() -> None:
    lines = [
        body("The haemo-", 700),
        body("globin is measured with a well-", 688),
        body("known method.", 676),
        body("A new paragraph starts here.", 650),
    ]

    assert [b.text for b in blocks_from_lines(lines, [])] == [
        "The haemoglobin is measured with a wellknown method.",
        "A new paragraph starts here.",
    ]


def test_known_compound_keeps_its_hyphen() -> None:
    lines = [body("A well-known test. It is well-", 700), body("known to all.", 688)]

    assert [b.text for b in blocks_from_lines(lines, [])] == [
        "A well-known test. It is well-known to all."
    ]


def test_running_footers_and_page_numbers_are_dropped() -> None:
    lines = []
    for page, words in enumerate(("Alpha", "Beta", "Gamma"), start=1):
        lines += [
            body(f"{words} text goes on and", 700, page),
            body(f"ends with {words.lower()}.", 688, page),
            body(f"Local guideline, page {page} of 3", 40, page, size=8),
            body(str(page), 30, page, size=8),
        ]
    texts = [b.text for b in blocks_from_lines(lines, [])]

    assert texts == [
        "Alpha text goes on and ends with alpha.",
        "Beta text goes on and ends with beta.",
        "Gamma text goes on and ends with gamma.",
    ]


def test_paragraph_running_on_to_the_next_page_is_joined() -> None:
    lines = [body("The dose is given every", 100), body("day for a month.", 700, page=2)]

    assert blocks_from_lines(lines, []) == [
        Block("The dose is given every day for a month.", page=1)
    ]
