"""PDF, HTML and text files: real headings as sections, metadata from the file, never guessed.

Fixtures: tests/fixtures/documents/ (its README says how each file was made) and the
mixed-format pack tests/fixtures/packs/mixed/.
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.answer.references import citation_for, reference_line
from assistant.schema import Passage
from assistant.sources.documents import (
    SECTION_SEPARATOR,
    DocumentError,
    SourceDocument,
    chunk_document,
    load_document,
    meta_from_metadata,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "documents"
# The PDF, HTML page and text file with its sidecar are the mixed-format fixture pack's own.
PACK = Path(__file__).resolve().parents[2] / "fixtures" / "packs" / "mixed"


def fixture(name: str) -> Path:
    return FIXTURES / name if (FIXTURES / name).exists() else PACK / name


CKD_SECTIONS = [
    "Investigating anaemia in chronic kidney disease",
    "Checking iron status",
    "Correcting iron deficiency",
    "Erythropoiesis-stimulating agents",
    "Target haemoglobin range",
    "Monitoring haemoglobin during ESA treatment",
]
PREGNANCY_SECTIONS = [
    "Haemoglobin thresholds for anaemia in pregnancy",
    "Screening for anaemia in pregnancy",
    "Ferritin in pregnancy",
    "Diagnostic trial of oral iron",
    "Oral iron dose in pregnancy",
    "Intravenous iron in late pregnancy",
]
POTASSIUM_SECTIONS = [
    "Definition of hyperkalaemia",
    "Classification of hyperkalaemia",
    "Urgent assessment",
    "Treatment in hospital",
]


def load(name: str) -> SourceDocument:
    return load_document(fixture(name), display_path=f"pack/{name}")


def assert_no_glued_headings(doc: SourceDocument) -> None:
    """No section body starts with its own heading, nor holds a heading as a sentence opener."""
    headings = {part for s in doc.sections for part in s.path.split(SECTION_SEPARATOR)}
    for section in doc.sections:
        heading = section.path.split(SECTION_SEPARATOR)[-1]
        assert not section.text.startswith(heading), section.path
        for paragraph in section.text.split("\n\n"):
            assert not any(paragraph.startswith(f"{h} ") for h in headings if len(h.split()) > 1), (
                paragraph[:80]
            )


# --- PDF with an outline, document information and XMP --------------------------------------


def test_pdf_outline_entries_become_the_sections() -> None:
    doc = load("anaemia-in-ckd.pdf")

    assert [s.path for s in doc.sections] == ["Introduction", *CKD_SECTIONS]
    assert_no_glued_headings(doc)
    sections = {s.path: s.text for s in doc.sections}
    # The title (16 pt, not in the outline) is the title, not text of the introduction.
    assert sections["Introduction"].startswith("NICE guideline NG203 on chronic kidney disease")
    investigating = sections["Investigating anaemia in chronic kidney disease"]
    assert investigating.startswith("NICE NG203 advises investigating and managing anaemia")
    # Lines wrapped inside a paragraph are joined with a space; paragraphs stay apart.
    assert "chronic kidney disease when the haemoglobin falls to 110 g/L or lower" in investigating
    assert "\n" not in investigating.split("\n\n")[0]
    assert len(investigating.split("\n\n")) == 2
    assert "ferritin below 100 µg/L." in sections["Checking iron status"]


def test_pdf_metadata_comes_from_xmp_and_document_information() -> None:
    meta = load("anaemia-in-ckd.pdf").meta

    assert meta.doc_id == "anaemia-in-ckd"  # XMP dc:identifier
    assert meta.title == "Chronic kidney disease: managing anaemia (NICE NG203)"
    assert meta.publisher == "National Institute for Health and Care Excellence"  # dc:publisher
    assert meta.year == 2021  # dc:date 2021-08-24
    assert meta.authors == ("National Institute for Health and Care Excellence",)
    assert meta.subject == (
        "Investigating and managing anaemia in adults with chronic kidney disease"
    )
    assert meta.review_status == "submitted"
    assert meta.last_reviewed == ""


def test_pdf_chunks_cite_the_outline_heading() -> None:
    chunks = chunk_document(load("anaemia-in-ckd.pdf"))
    target = [c for c in chunks if c.section == "Target haemoglobin range"]

    assert target
    assert "100 g/L to 120 g/L" in target[0].text
    assert target[0].index_text.startswith(
        "Chronic kidney disease: managing anaemia (NICE NG203)\nTarget haemoglobin range\n"
    )


# --- PDF without an outline: headings from the type -----------------------------------------


def test_pdf_without_outline_takes_headings_from_larger_and_bold_type() -> None:
    doc = load("bold-headings.pdf")

    assert doc.meta.title == "Haematinic tests: a short laboratory guide"  # 18 pt first line
    assert [s.path for s in doc.sections] == [
        "Introduction",
        "Requesting the tests",
        f"Requesting the tests{SECTION_SEPARATOR}Sample tubes",  # 10.5 pt bold, body size
        "Interpreting results",
        "Repeat testing",
    ]
    assert_no_glued_headings(doc)


def test_pdf_paragraphs_are_rejoined_without_running_footers() -> None:
    sections = {s.path: s.text for s in load("bold-headings.pdf").sections}
    text = "\n\n".join(sections.values())

    assert "because the haemoglobin and the mean cell volume" in text  # "haemo-" + "globin"
    assert "A recent folate-rich meal" in text  # a real hyphen stays
    assert "Riverside Pathology" not in text
    # A paragraph running from page 1 on to page 2 is one paragraph.
    assert sections["Interpreting results"] == (
        "The report gives each result with the laboratory's reference range and a comment "
        "when the result falls in an indeterminate range, so that the requesting clinician "
        "knows which further test the laboratory suggests."
    )
    assert sections[f"Requesting the tests{SECTION_SEPARATOR}Sample tubes"].count("\n\n") == 1


def test_pdf_without_metadata_has_no_year_or_publisher() -> None:
    meta = load("bold-headings.pdf").meta

    assert meta.doc_id == "file-bold-headings"
    assert meta.publisher is None  # the file names only its producer, which is no publisher
    assert meta.year is None
    assert meta.authors == ()


# --- HTML ---------------------------------------------------------------------------------


def test_html_metadata_from_citation_tags_and_dublin_core() -> None:
    doc = load("anaemia-in-pregnancy.html")
    meta = doc.meta

    assert meta.doc_id == "anaemia-in-pregnancy"  # DC.identifier
    # citation_title wins over DC.title, og:title and <title>
    assert meta.title == "UK guidelines on the management of iron deficiency in pregnancy"
    assert meta.publisher == "British Society for Haematology"
    assert meta.year == 2019  # citation_publication_date 2019/11/01
    assert meta.authors[:2] == ("Pavord, Sue", "Daru, Jan")
    assert len(meta.authors) == 6
    assert [s.path for s in doc.sections] == ["Introduction", *PREGNANCY_SECTIONS]
    assert_no_glued_headings(doc)


# --- text files ---------------------------------------------------------------------------


def test_text_file_with_sidecar_takes_its_metadata_and_heading_lines() -> None:
    doc = load("potassium.txt")
    meta = doc.meta

    assert meta.doc_id == "ukka-2020-hyperkalaemia"
    assert meta.title == "Clinical practice guidelines: treatment of acute hyperkalaemia in adults"
    assert meta.publisher == "UK Kidney Association"
    assert meta.year == 2020
    assert meta.url == (
        "https://ukkidney.org/health-professionals/guidelines/treatment-acute-hyperkalaemia-adults"
    )
    assert meta.review_status == "submitted"
    assert [s.path for s in doc.sections] == ["Introduction", *POTASSIUM_SECTIONS]
    assert_no_glued_headings(doc)
    classification = {s.path: s.text for s in doc.sections}["Classification of hyperkalaemia"]
    assert "moderate hyperkalaemia is a serum potassium of 6.0 mmol/L to 6.4 mmol/L" in (
        classification
    )


def test_text_file_without_metadata_leaves_year_and_publisher_out(tmp_path: Path) -> None:
    path = tmp_path / "notes-without-metadata.txt"
    shutil.copy(fixture(path.name), path)
    stamp = datetime(2031, 5, 17, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))  # a file date that must appear nowhere
    doc = load_document(path)

    assert doc.meta.doc_id == "file-notes-without-metadata"
    assert doc.meta.title == "notes without metadata"
    assert doc.meta.year is None
    assert doc.meta.publisher is None
    assert doc.meta.last_reviewed == ""
    assert [s.path for s in doc.sections] == ["Introduction", "When to test", "Sample handling"]
    assert "- Repeat the test after treatment" in doc.sections[1].text  # a list item, no heading
    for chunk in chunk_document(doc):
        metadata = chunk.metadata("hash")
        assert metadata["year"] == ""
        assert metadata["publisher"] == ""
        assert all(v is not None for v in metadata.values())
        assert not any("2031" in str(v) for v in metadata.values())
        back = meta_from_metadata(metadata)
        assert (back.year, back.publisher, back.last_reviewed) == (None, None, "")


def test_markdown_headings_in_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "pathway.txt"
    path.write_text(
        "# Local pathway\n\nScope of the pathway.\n\n## Testing\n\nRequest total B12.\n\n"
        "A short line\n\n## Treatment\n\nOral first.\n",
        encoding="utf-8",
    )
    doc = load_document(path)

    assert doc.meta.title == "Local pathway"
    # With `#` headings in the file, a short line standing alone is text, not a heading.
    assert {s.path: s.text for s in doc.sections} == {
        "Introduction": "Scope of the pathway.",
        "Testing": "Request total B12.\n\nA short line",
        "Treatment": "Oral first.",
    }


def test_text_without_headings_is_grouped_into_parts(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text(
        "A first sentence that ends the paragraph.\n\n1. a numbered item\n\n"
        + " ".join(["word"] * 200)
        + ".\n",
        encoding="utf-8",
    )

    assert [s.path for s in load_document(path).sections] == ["Part 1", "Part 2"]


# --- sidecar precedence and errors ----------------------------------------------------------


def test_sidecar_wins_over_embedded_metadata(tmp_path: Path) -> None:
    page = tmp_path / "anaemia-in-pregnancy.html"
    shutil.copy(fixture(page.name), page)
    (tmp_path / "anaemia-in-pregnancy.meta.yaml").write_text(
        "id: bsh-2019-pregnancy\npublisher: British Journal of Haematology\ntype: Guideline\n"
        "review_status: approved\nlast_reviewed: 2026-01-15\n",
        encoding="utf-8",
    )
    meta = load_document(page).meta

    assert meta.doc_id == "bsh-2019-pregnancy"
    assert meta.publisher == "British Journal of Haematology"
    assert meta.source_type == "Guideline"
    assert (meta.review_status, meta.last_reviewed) == ("approved", "2026-01-15")
    # Fields the sidecar leaves out still come from the page.
    assert meta.title == "UK guidelines on the management of iron deficiency in pregnancy"
    assert meta.year == 2019


@pytest.mark.parametrize(
    ("sidecar", "field", "problem"),
    [
        ("year: recent\n", "year", "integer"),
        ("title: [unclosed\n", "metadata", "invalid YAML"),
        ("- a list\n", "metadata", "mapping"),
    ],
)
def test_broken_sidecar_is_named_by_file_and_field(
    tmp_path: Path, sidecar: str, field: str, problem: str
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("Some text.\n", encoding="utf-8")
    (tmp_path / "notes.meta.yaml").write_text(sidecar, encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        load_document(text, display_path="pack/notes.txt")

    assert caught.value.path == "pack/notes.meta.yaml"
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_sidecar_next_to_a_file_with_front_matter_is_an_error(tmp_path: Path) -> None:
    text = tmp_path / "guide.md"
    text.write_text(
        "---\nid: guide\ntitle: Guide\ntype: Guideline\nreview_status: submitted\n---\n\n"
        "## Dose\n\nText.\n",
        encoding="utf-8",
    )
    assert load_document(text).meta.doc_id == "guide"
    (tmp_path / "guide.meta.yaml").write_text("id: other\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"guide\.meta\.yaml: metadata: .*front matter"):
        load_document(text)


# --- reference line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "notes-without-metadata.txt",
            "1. **Research**: notes without metadata. Section: Introduction. "
            "Status: submitted; no clinical review recorded.",
        ),
        (
            "bold-headings.pdf",
            "1. **Research**: Haematinic tests: a short laboratory guide. Section: Introduction. "
            "Status: submitted; no clinical review recorded.",
        ),
        (
            "potassium.txt",
            "1. **Society guideline**: Clinical practice guidelines: treatment of acute "
            "hyperkalaemia in adults. UK Kidney Association, 2020. Section: Introduction. "
            "Status: submitted; no clinical review recorded.",
        ),
    ],
)
def test_reference_line_leaves_out_what_the_document_does_not_say(name: str, expected: str) -> None:
    chunk = chunk_document(load(name))[0]
    passage = Passage(chunk_id=chunk.chunk_id, doc=chunk.doc, section=chunk.section, text="T.")
    line = reference_line(citation_for(1, passage))

    assert line == expected
    assert "None" not in line
    assert not re.search(r"\.\s*\.|,\s*\.", line)


def test_reference_line_with_year_but_no_publisher() -> None:
    doc = load("notes-without-metadata.txt").meta.model_copy(update={"year": 2023})
    passage = Passage(chunk_id="c", doc=doc, section="When to test", text="T.")

    assert reference_line(citation_for(2, passage)) == (
        "2. **Research**: notes without metadata. 2023. Section: When to test. "
        "Status: submitted; no clinical review recorded."
    )
