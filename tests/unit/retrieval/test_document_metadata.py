"""Embedded metadata: which tag wins, how dates and identifiers are read, nothing guessed."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from assistant.schema import DocumentMeta
from assistant.sources.documents import Chunk, meta_from_metadata
from assistant.sources.metadata import html_metadata, merged, pdf_metadata, year_of


def test_html_precedence_citation_then_dublin_core_then_open_graph_then_title() -> None:
    every = {
        "citation_title": ["Citation title"],
        "dc.title": ["DC title"],
        "og:title": ["OG title"],
    }
    assert html_metadata(every, "Page title")["title"] == "Citation title"
    del every["citation_title"]
    assert html_metadata(every, "Page title")["title"] == "DC title"
    del every["dc.title"]
    assert html_metadata(every, "Page title")["title"] == "OG title"
    del every["og:title"]
    assert html_metadata(every, "Page title")["title"] == "Page title"


def test_html_dublin_core_in_any_spelling() -> None:
    found = html_metadata(
        {
            "dcterms.publisher": ["A Society"],
            "dc.date.issued": ["2018-03-01"],
            "dc.creator": ["Smith, A", "Jones, B"],
            "dcterms.identifier": ["local-pathway-7"],
        },
        None,
    )

    assert found == {
        "publisher": "A Society",
        "year": 2018,
        "authors": ["Smith, A", "Jones, B"],
        "id": "local-pathway-7",
    }


def test_open_graph_site_name_is_only_a_fallback_publisher() -> None:
    assert html_metadata({"og:site_name": ["Site"]}, None)["publisher"] == "Site"
    both = {"og:site_name": ["Site"], "citation_publisher": ["Publisher"]}
    assert html_metadata(both, None)["publisher"] == "Publisher"


def test_citation_doi_gives_the_doi_and_the_document_id() -> None:
    found = html_metadata(
        {
            "citation_doi": ["doi:10.1111/bjh.16221"],
            "citation_date": ["2020"],
            "citation_pdf_url": ["https://example.org/a.pdf"],
            "dc.identifier": ["other-id"],
        },
        None,
    )

    assert found["doi"] == "10.1111/bjh.16221"
    assert found["id"] == "doi-10-1111-bjh-16221"  # citation_* wins over DC.identifier
    assert found["year"] == 2020
    assert found["url"] == "https://example.org/a.pdf"


def test_html_without_metadata_gives_only_the_page_title() -> None:
    assert html_metadata({}, "Page") == {"title": "Page"}
    assert html_metadata({"description": ["words"]}, None) == {}


def test_pdf_xmp_wins_over_document_information() -> None:
    xmp = {
        "title": ["XMP title"],
        "creator": ["A. Author"],
        "publisher": ["A Publisher"],
        "date": ["2019-05-01"],
        "identifier": ["10.1000/xyz123"],
    }
    info = {"Title": "Info title", "Author": "B. Author", "CreationDate": "D:20230101000000Z"}
    found = pdf_metadata(info, xmp)

    assert found["title"] == "XMP title"
    assert found["authors"] == ["A. Author"]
    assert found["publisher"] == "A Publisher"
    assert found["year"] == 2019
    assert (found["doi"], found["id"]) == ("10.1000/xyz123", "doi-10-1000-xyz123")


def test_pdf_document_information_alone() -> None:
    info = {
        "Title": "Guideline",
        "Author": "Smith A; Jones B",
        "Subject": "What it covers",
        "CreationDate": "D:20210824000000Z",
    }

    assert pdf_metadata(info, {}) == {
        "title": "Guideline",
        "authors": ["Smith A", "Jones B"],
        "subject": "What it covers",
        "year": 2021,
    }


def test_pdf_producer_and_file_name_titles_are_not_metadata() -> None:
    info = {"Title": "Microsoft Word - draft3.docx"}
    assert pdf_metadata(info, {}) == {}
    assert pdf_metadata({"Title": "report.pdf"}, {"identifier": ["https://example.org/r"]}) == {
        "url": "https://example.org/r"
    }


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("D:20210824000000Z", 2021),
        ("D:2021", 2021),
        ("2019/11/01", 2019),
        ("2019-11-01T10:00:00Z", 2019),
        ("1 November 2019", 2019),
        ("2020", 2020),
        (2024, 2024),
        (date(2018, 1, 2), 2018),
        (datetime(2017, 1, 2, 3, 4), 2017),
        ("", None),
        ("no date", None),
        ("12345", None),
        (None, None),
        (True, None),
    ],
)
def test_year_of_dates_as_files_write_them(value: object, year: int | None) -> None:
    assert year_of(value) == year


def test_merged_keeps_the_first_non_empty_value() -> None:
    assert merged({"a": None, "b": ""}, {"a": 1, "b": [], "c": 3}, {"b": 2}) == {
        "a": 1,
        "b": 2,
        "c": 3,
    }


def test_flat_metadata_round_trip_keeps_unknown_values_absent() -> None:
    meta = DocumentMeta(
        doc_id="d",
        title="T",
        source_type="Research",
        review_status="submitted",
        authors=("Pavord, Sue", "Daru, Jan"),
        subject="About",
    )
    flat = Chunk("c", meta, "S", "text", "p").metadata("h")

    assert (flat["year"], flat["publisher"], flat["last_reviewed"]) == ("", "", "")
    assert all(isinstance(v, str | int) for v in flat.values())
    assert meta_from_metadata(flat) == meta


def test_flat_metadata_of_a_complete_document_has_no_new_keys() -> None:
    meta = DocumentMeta(
        doc_id="d",
        title="T",
        source_type="Guideline",
        publisher="P",
        year=2024,
        review_status="approved",
        last_reviewed="2025-01-01",
    )
    flat = Chunk("c", meta, "S", "text", "p").metadata("h")

    assert "authors" not in flat
    assert "subject" not in flat
    assert (flat["year"], flat["publisher"]) == (2024, "P")
    assert meta_from_metadata(flat) == meta
