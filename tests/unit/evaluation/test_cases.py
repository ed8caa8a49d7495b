"""Loading reference cases: the shorthand, strict validation and source checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation.cases import CaseError, check_sources, load_cases
from tests.unit.evaluation.builders import case

CASE_YAML = """
cases:
  - id: b12-180-boundary
    tags: [lab, boundary]
    question: "B12 180 ng/L"
    expected_labs:
      - {analyte: b12, value: 180, unit: ng/L, category: indeterminate}
    provenance:
      - {doc_id: nice, section: B12, note: "180 belongs to the indeterminate band"}
  - id: follow-up
    conversation:
      - {role: user, content: "Which B12 test first?"}
      - {role: assistant, content: "Total or active B12."}
      - {role: user, content: "And in pregnancy?"}
    retrieval_query: "B12 test in pregnancy"
    reference: [{doc_id: nice, section: pregnancy}]
    provenance: [{doc_id: nice}]
"""


def write(folder: Path, text: str, name: str = "cases.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_loads_with_the_question_shorthand_and_history(tmp_path: Path) -> None:
    cases = load_cases(write(tmp_path, CASE_YAML))

    first, second = cases
    assert first.question == "B12 180 ng/L"
    assert first.history == []
    assert first.expected_labs[0].describe() == "b12 180 ng/L -> indeterminate"
    assert second.question == "And in pregnancy?"
    assert second.history == [
        {"role": "user", "content": "Which B12 test first?"},
        {"role": "assistant", "content": "Total or active B12."},
    ]
    assert second.query == "B12 test in pregnancy"


def test_a_folder_loads_every_yaml_file_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, CASE_YAML, "b.yaml")
    write(tmp_path, "cases:\n  - {id: a1, question: q, provenance: [{note: scope}]}\n", "a.yaml")

    assert [c.id for c in load_cases(tmp_path)] == ["a1", "b12-180-boundary", "follow-up"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - {id: x, question: q}\n", "provenance"),
        (
            "cases:\n  - {id: x, question: q, provenance: [{note: n}], must_inclde: [a]}\n",
            "must_inclde",
        ),
        (
            "cases:\n  - {id: x, question: q, provenance: [{note: n}], must_include: ['(']}\n",
            "bad regex",
        ),
        ("cases:\n  - {id: X Y, question: q, provenance: [{note: n}]}\n", "id"),
        ("cases: [{id: x, question: q, provenance: [{}]}]\n", "doc_id or a note"),
        (
            "cases: [{id: x, question: q, provenance: [{note: n}],"
            " expected_labs: [{analyte: b12, value: 1, unit: ng/L}]}]\n",
            "exactly one of category or error",
        ),
        (
            "cases: [{id: x, provenance: [{note: n}],"
            " conversation: [{role: user, content: a}, {role: assistant, content: b}]}]\n",
            "last message",
        ),
        (
            "cases: [{id: x, question: q, provenance: [{note: n}]},"
            " {id: x, question: r, provenance: [{note: n}]}]\n",
            "duplicate",
        ),
        ("cases: [\n", "cannot read"),
        ("cases: []\n", "no cases"),
    ],
)
def test_bad_case_files_fail_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CaseError, match=message):
        load_cases(write(tmp_path, text))


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no such cases file"):
        load_cases(tmp_path / "nope.yaml")


def test_sources_must_name_corpus_documents_and_headings() -> None:
    headings = {"nice": ["Total B12 thresholds", "Testing in pregnancy"]}
    cases = [
        case(id="ok", reference=[{"doc_id": "nice", "section": "pregnancy"}]),
        case(id="bad-doc", provenance=[{"doc_id": "who-2024"}]),
        case(id="bad-section", reference=[{"doc_id": "nice", "section": "Dose"}]),
    ]

    problems = check_sources(cases, headings)

    assert problems == [
        "bad-doc: provenance names unknown document 'who-2024'",
        "bad-section: reference section 'Dose' is not a heading of nice",
    ]


def test_the_answer_shape_fields_load_with_their_defaults() -> None:
    plain = case()
    shaped = case(
        lead=r"below 180 ng/L",
        expected_gap=False,
        caveat_for=r"150 pmol/L",
        caveat=r"not reviewed",
        split="dev",
    )

    assert (plain.lead, plain.expected_gap, plain.caveat, plain.split) == (None, None, None, "gate")
    assert (shaped.lead, shaped.expected_gap, shaped.split) == (r"below 180 ng/L", False, "dev")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"lead": "(unclosed"}, "bad regex"),
        ({"caveat_for": "x", "caveat": "[z"}, "bad regex"),
        ({"caveat": "only the caveat"}, "caveat and caveat_for go together"),
        ({"caveat_for": "only the statement"}, "caveat and caveat_for go together"),
        ({"split": "train"}, "split"),
        ({"expected_gap": "sometimes"}, "expected_gap"),
    ],
)
def test_a_bad_answer_shape_field_is_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        case(**fields)
