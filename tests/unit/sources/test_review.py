"""Review records: the body hash, the review state and rewriting only the `reviewed` block."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from assistant.answer.references import citation_for, reference_line
from assistant.schema import Passage
from assistant.sources.documents import (
    Chunk,
    DocumentError,
    chunk_document,
    load_document,
    meta_from_metadata,
)
from assistant.sources.review import (
    ReviewError,
    body_hash,
    body_of,
    record_review,
    review_state,
)

FRONT = (
    "---\n"
    "id: guide\n"
    'title: "A guide"\n'
    "kind: national_guideline   # from the pack format\n"
    "publisher: A Body\n"
    "year: 2024\n"
    "review_status: under_review\n"
    "---\n"
)
BODY = "\nA guide to one test.\n\n## Dose\n\nThe guide gives 1 mg daily.\n"
TODAY = date(2026, 12, 3)


def _write(tmp_path: Path, text: str, name: str = "guide.md") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


# --- the hash -------------------------------------------------------------------------------


def test_body_hash_ignores_the_front_matter_and_line_ending_habits() -> None:
    reference = body_hash(FRONT + BODY)

    assert body_hash(FRONT.replace("year: 2024", "year: 2023") + BODY) == reference
    assert body_hash((FRONT + BODY).replace("\n", "\r\n")) == reference
    assert body_hash(FRONT + BODY + "\n\n") == reference
    assert body_hash("\ufeff" + FRONT + BODY) == reference
    assert body_of(FRONT + BODY).startswith("A guide to one test.")


def test_body_hash_changes_with_any_edit_of_the_text() -> None:
    reference = body_hash(FRONT + BODY)

    assert body_hash(FRONT + BODY.replace("1 mg", "2 mg")) != reference
    assert body_hash(FRONT + BODY.replace("daily.", "daily. ")) != reference
    assert body_hash(FRONT + BODY + "\n## New\n\nMore.\n") != reference


def test_a_file_without_front_matter_is_hashed_whole() -> None:
    assert body_hash("Plain notes.\n") == body_hash("Plain notes.")


# --- recording ------------------------------------------------------------------------------


def test_record_review_rewrites_only_the_reviewed_block(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT + BODY)

    record = record_review(path, "Dr A. Reviewer", TODAY)

    text = path.read_text(encoding="utf-8")
    assert (
        text
        == FRONT.replace(
            "review_status: under_review\n",
            "review_status: under_review\n"
            "reviewed:\n"
            "  by: Dr A. Reviewer\n"
            "  date: 2026-12-03\n"
            f"  sha256: {record.sha256}\n",
        )
        + BODY
    )
    assert record.sha256 == body_hash(FRONT + BODY)
    assert review_state(path) == "reviewed"


def test_a_second_review_replaces_the_first_in_place(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT + BODY)
    record_review(path, "Dr A. Reviewer", TODAY)
    first = path.read_text(encoding="utf-8")

    record_review(path, "Prof. B: Second", date(2027, 1, 5))

    second = path.read_text(encoding="utf-8")
    assert second.count("reviewed:") == 1
    front = yaml.safe_load(second.split("---\n")[1])
    assert front["reviewed"]["by"] == "Prof. B: Second"  # quoted: a plain colon would break
    assert str(front["reviewed"]["date"]) == "2027-01-05"
    assert second.splitlines()[:7] == first.splitlines()[:7]
    assert second.endswith(BODY)


def test_record_review_can_set_the_status_and_keeps_its_comment(tmp_path: Path) -> None:
    text = FRONT.replace("review_status: under_review", "review_status: submitted  # new")
    path = _write(tmp_path, text + BODY)

    record_review(path, "Dr A. Reviewer", TODAY, status="approved")

    written = path.read_text(encoding="utf-8")
    assert "review_status: approved  # new\n" in written
    assert load_document(path).meta.review_status == "approved"
    assert written.endswith(BODY)


def test_record_review_keeps_crlf_files_crlf_and_byte_identical_elsewhere(tmp_path: Path) -> None:
    original = (FRONT + BODY).replace("\n", "\r\n")
    path = _write(tmp_path, original)

    record_review(path, "Dr A. Reviewer", TODAY)

    raw = path.read_bytes().decode("utf-8")
    assert "\r\n  date: 2026-12-03\r\n" in raw
    assert "\n" not in raw.replace("\r\n", "")
    body_start = original.index("---\r\n", 3) + len("---\r\n")
    assert raw.endswith(original[body_start:])
    assert review_state(path) == "reviewed"


def test_a_file_without_front_matter_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = _write(tmp_path, "# Notes\n\nNo front matter here.\n", "notes.md")

    with pytest.raises(ReviewError, match=r"notes\.md: no front matter"):
        record_review(path, "Dr A. Reviewer", TODAY)
    assert path.read_text(encoding="utf-8") == "# Notes\n\nNo front matter here.\n"


def test_an_empty_reviewer_or_unknown_status_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT + BODY)

    with pytest.raises(ReviewError, match="name is empty"):
        record_review(path, "  ", TODAY)
    with pytest.raises(ReviewError, match="status"):
        record_review(path, "Dr A", TODAY, status="signed")
    assert path.read_text(encoding="utf-8") == FRONT + BODY


# --- the state at load time -----------------------------------------------------------------


def test_review_state_never_then_reviewed_then_changed(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT + BODY)
    assert review_state(path) == "never reviewed"
    assert load_document(path).meta.review_state == "never reviewed"

    record_review(path, "Dr A. Reviewer", TODAY)
    meta = load_document(path).meta
    assert (meta.review_state, meta.reviewed_by, meta.reviewed_on) == (
        "reviewed",
        "Dr A. Reviewer",
        "2026-12-03",
    )

    path.write_text(path.read_text(encoding="utf-8").replace("1 mg", "2 mg"), encoding="utf-8")
    assert review_state(path) == "changed since review"
    assert load_document(path).meta.review_state == "changed since review"


def test_editing_the_front_matter_is_not_a_change_of_the_reviewed_text(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT + BODY)
    record_review(path, "Dr A. Reviewer", TODAY)

    path.write_text(
        path.read_text(encoding="utf-8").replace("publisher: A Body", "publisher: Another"),
        encoding="utf-8",
    )

    assert review_state(path) == "reviewed"


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        ("reviewed: yes\n", "mapping"),
        ("reviewed:\n  by: X\n  date: 2026-12-03\n", "missing sha256"),
        ("reviewed:\n  by: X\n  date: soon\n  sha256: " + "a" * 64 + "\n", "ISO date"),
        ("reviewed:\n  by: X\n  date: 2026-12-03\n  sha256: abc\n", "64 hexadecimal"),
    ],
)
def test_a_malformed_review_record_is_a_document_error(
    tmp_path: Path, block: str, problem: str
) -> None:
    status = "review_status: under_review\n"
    path = _write(tmp_path, FRONT.replace(status, status + block) + BODY)

    with pytest.raises(DocumentError) as caught:
        load_document(path)
    assert caught.value.field == "reviewed"
    assert problem in caught.value.problem


def test_an_old_last_reviewed_date_still_loads_but_is_no_review(tmp_path: Path) -> None:
    text = FRONT.replace(
        "review_status: under_review\n", "review_status: under_review\nlast_reviewed: 2026-11-24\n"
    )
    path = _write(tmp_path, text + BODY)

    meta = load_document(path).meta

    assert meta.last_reviewed == "2026-11-24"
    assert meta.review_state == "never reviewed"
    assert meta.reviewed_on is None


def test_kind_without_type_gives_the_guideline_label(tmp_path: Path) -> None:
    meta = load_document(_write(tmp_path, FRONT + BODY)).meta

    assert (meta.kind, meta.source_type) == ("national_guideline", "Guideline")


# --- chunk metadata round trip --------------------------------------------------------------


def test_chunk_metadata_has_no_none_and_reads_back(tmp_path: Path) -> None:
    never = load_document(_write(tmp_path, FRONT + BODY))
    path = _write(tmp_path, FRONT + BODY, "reviewed.md")
    record_review(path, "Dr A. Reviewer", TODAY)
    reviewed = load_document(path)

    for document in (never, reviewed):
        chunk: Chunk = chunk_document(document)[0]
        flat = chunk.metadata("hash")
        assert None not in flat.values()
        assert meta_from_metadata(dict(flat)) == document.meta

    flat = chunk_document(never)[0].metadata("hash")
    assert (flat["reviewed_by"], flat["reviewed_on"], flat["review_state"]) == (
        "",
        "",
        "never reviewed",
    )


# --- the reference line ---------------------------------------------------------------------


def _line(path: Path) -> str:
    chunk = chunk_document(load_document(path))[0]
    passage = Passage(chunk_id=chunk.chunk_id, doc=chunk.doc, section=chunk.section, text="T.")
    return reference_line(citation_for(1, passage))


def test_reference_line_shows_kind_in_words_and_the_review(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT + BODY)
    assert _line(path) == (
        "1. **National guideline**: A guide. A Body, 2024. Section: Introduction. "
        "Status: under review; no clinical review recorded."
    )

    record_review(path, "Dr A. Reviewer", TODAY, status="approved")
    assert _line(path).endswith(
        "Status: approved; clinical review by Dr A. Reviewer on 2026-12-03."
    )

    path.write_text(path.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    line = _line(path)
    assert line.endswith("Status: approved; changed since its clinical review.")
    assert "2026-12-03" not in line


def test_reference_line_of_a_never_reviewed_document_shows_no_date(tmp_path: Path) -> None:
    text = FRONT.replace(
        "kind: national_guideline   # from the pack format", "kind: ai_generated_summary"
    )
    text = text.replace(
        "review_status: under_review\n", "review_status: submitted\nlast_reviewed: 2026-11-24\n"
    )
    line = _line(_write(tmp_path, text + BODY))

    assert line.startswith("1. **AI-generated summary**: A guide.")
    assert line.endswith("Status: submitted; no clinical review recorded.")
    assert "2026" not in line
