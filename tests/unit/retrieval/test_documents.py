"""Loading and chunking of corpus Markdown and user-supplied text, HTML and PDF files."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.sources.documents import (
    MAX_CHUNK_WORDS,
    SECTION_SEPARATOR,
    DocumentError,
    chunk_document,
    load_document,
    make_chunk_id,
)

FRONT = """---
id: test-doc
title: "A test guideline"
type: Guideline
publisher: Test Society
year: 2024
url: https://example.org/g
review_status: approved
last_reviewed: 2025-01-31
---
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_sections_keep_heading_path_and_front_matter(tmp_path: Path) -> None:
    body = (
        "# A test guideline\n\nOpening words.\n\n## Diagnosis\n\nTest serum B12.\n\n"
        "### Total B12 thresholds\n\nBelow 180 ng/L.\n\n## Treatment\n\nOral 1 mg daily.\n"
    )
    doc = load_document(write(tmp_path, "a.md", FRONT + body), require_front_matter=True)

    assert doc.meta.doc_id == "test-doc"
    assert doc.meta.source_type == "Guideline"
    assert doc.meta.last_reviewed == "2025-01-31"
    assert doc.meta.url == "https://example.org/g"
    paths = [s.path for s in doc.sections]
    assert paths == [
        "Introduction",
        "Diagnosis",
        f"Diagnosis{SECTION_SEPARATOR}Total B12 thresholds",
        "Treatment",
    ]
    assert "A test guideline" not in {s.text for s in doc.sections}  # the H1 is the title


def test_chunk_ids_follow_content_only(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", FRONT + "## Diagnosis\n\nTest serum B12.\n")
    first = chunk_document(load_document(path))
    again = chunk_document(load_document(path))
    path.write_text(FRONT + "## Diagnosis\n\nTest serum B12 twice.\n", encoding="utf-8")
    changed = chunk_document(load_document(path))

    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert first[0].chunk_id != changed[0].chunk_id
    chunk = first[0]
    assert chunk.chunk_id == make_chunk_id("test-doc", "Diagnosis", chunk.index_text)
    assert chunk.index_text.startswith("A test guideline\nDiagnosis\n")
    assert chunk.text == "Test serum B12."


def test_chunk_metadata_is_flat_and_complete(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "a.md", FRONT + "## S\n\nText.\n"), display_path="c/a.md")
    metadata = chunk_document(doc)[0].metadata("hash1")

    assert set(metadata) >= {
        "doc_id", "title", "source_type", "publisher", "year", "url", "doi", "review_status",
        "last_reviewed", "section", "chunk_id", "corpus_hash",
    }  # fmt: skip
    assert all(isinstance(v, str | int) for v in metadata.values())
    assert metadata["doi"] == ""
    assert metadata["source_path"] == "c/a.md"
    assert metadata["corpus_hash"] == "hash1"


def test_long_section_is_split_at_paragraphs_within_the_word_limit(tmp_path: Path) -> None:
    paragraphs = [" ".join(f"word{p}x{i}" for i in range(70)) for p in range(6)]
    doc = load_document(write(tmp_path, "a.md", FRONT + "## Long\n\n" + "\n\n".join(paragraphs)))
    chunks = chunk_document(doc)

    assert len(chunks) > 1
    assert all(c.section == "Long" for c in chunks)
    assert all(len(c.text.split()) <= MAX_CHUNK_WORDS for c in chunks)
    assert " ".join(c.text for c in chunks).split() == " ".join(paragraphs).split()


@pytest.mark.parametrize(
    ("front", "field", "problem"),
    [
        (FRONT.replace("year: 2024", "year: recent"), "year", "integer"),
        (FRONT.replace("id: test-doc\n", ""), "id", "required"),
        (FRONT.replace("type: Guideline", "type: Blog"), "type", "Guideline"),
        (
            FRONT.replace("review_status: approved", "review_status: ok"),
            "review_status",
            "approved",
        ),
        (FRONT.replace('title: "A test guideline"', 'title: "unclosed'), "front matter", "YAML"),
        (FRONT.rstrip("-\n") + "\n", "front matter", "not closed"),
        ("---\n- a\n- b\n---\n", "front matter", "mapping"),
    ],
)
def test_broken_front_matter_names_file_and_field(
    tmp_path: Path, front: str, field: str, problem: str
) -> None:
    path = write(tmp_path, "broken.md", front + "## S\n\nText.\n")
    with pytest.raises(DocumentError) as caught:
        load_document(path, require_front_matter=True)

    assert caught.value.field == field
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}: {field}: ")


def test_corpus_markdown_without_front_matter_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "plain.md", "## S\n\nText.\n")
    with pytest.raises(DocumentError, match="front matter: missing"):
        load_document(path, require_front_matter=True)
    assert load_document(path).meta.review_status == "submitted"  # fine as a user file


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    binary = tmp_path / "notes.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DocumentError, match="content: not UTF-8"):
        load_document(binary)
    with pytest.raises(DocumentError, match=r"file: unsupported type \.docx"):
        load_document(write(tmp_path, "a.docx", "x"))
    with pytest.raises(DocumentError, match="content: no readable text"):
        load_document(write(tmp_path, "empty.md", FRONT + "\n\n"))
    with pytest.raises(DocumentError, match="file: unreadable"):
        load_document(tmp_path / "missing.md")


def test_text_file_gets_unreviewed_metadata_and_paragraph_groups(tmp_path: Path) -> None:
    paragraphs = [" ".join(["cobalamin"] * 100), " ".join(["folate"] * 100), "Short end."]
    doc = load_document(write(tmp_path, "My_Notes.txt", "\n\n".join(paragraphs)))

    assert doc.meta.doc_id == "file-my-notes"
    assert doc.meta.title == "My Notes"
    assert doc.meta.review_status == "submitted"
    assert [s.path for s in doc.sections] == ["Part 1", "Part 2"]


def test_html_sections_follow_h1_to_h3(tmp_path: Path) -> None:
    html = """<html><head><title>Local B12 pathway</title><script>var x = 1;</script></head>
    <body><nav>Home | About</nav><h1>Local B12 pathway</h1><p>Scope of the pathway.</p>
    <h2>Testing</h2><p>Request total B12.</p><ul><li>Check <b>folate</b> too</li></ul>
    <h3>Units</h3><p>ng/L equals pg/mL.</p><h2>Treatment</h2><p>Oral first.</p></body></html>"""
    doc = load_document(write(tmp_path, "pathway.html", html))

    assert doc.meta.title == "Local B12 pathway"
    sections = {s.path: s.text for s in doc.sections}
    assert sections == {
        "Introduction": "Scope of the pathway.",
        "Testing": "Request total B12.\n\nCheck folate too",
        f"Testing{SECTION_SEPARATOR}Units": "ng/L equals pg/mL.",
        "Treatment": "Oral first.",
    }


def _pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of text per page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def test_pdf_pages_become_sections(tmp_path: Path) -> None:
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(_pdf(["Cobalamin on page one", "Folate on page two"]))
    doc = load_document(path)

    assert [s.path for s in doc.sections] == ["Pages 1-2"]
    assert "Cobalamin on page one" in doc.sections[0].text
    assert "Folate on page two" in doc.sections[0].text


def test_corrupt_pdf_is_reported_not_raised_raw(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4 this is not a pdf")
    with pytest.raises(DocumentError, match="content: unreadable PDF"):
        load_document(path)


def test_real_corpus_loads_without_errors() -> None:
    from assistant.config import PROJECT_ROOT

    files = sorted((PROJECT_ROOT / "corpus" / "b12").glob("*.md"))
    docs = [load_document(p, require_front_matter=True) for p in files if p.stem != "README"]
    assert docs, "the corpus folder holds no documents"
    assert len({d.meta.doc_id for d in docs}) == len(docs)
