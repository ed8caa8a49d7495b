"""The committed reference cases: they load, cover what the issue asks for, and every
corpus reference they make exists."""

from __future__ import annotations

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.cases import check_sources, load_cases
from assistant.evaluation.runner import corpus_headings, pack_cases

pytestmark = pytest.mark.data

DEFAULT_CASES = pack_cases(Settings())

CASES = load_cases(DEFAULT_CASES)
TAGS = [tag for case in CASES for tag in case.tags]


def test_there_are_enough_cases_with_out_of_scope_and_injection_attempts() -> None:
    # The full count is pinned in test_committed_baselines.py (PINNED_GATE_CASES).
    assert len(CASES) >= 150
    assert TAGS.count("out-of-scope") >= 10
    assert TAGS.count("injection") >= 3


def test_the_cases_cover_every_kind_the_issue_lists() -> None:
    for needed in (
        "cutoff",
        "boundary",
        "confirmatory",
        "treatment",
        "dose",
        "duration",
        "monitoring",
        "special-population",
        "coexisting",
        "several",
        "unit-variant",
        "censored",
        "invalid",
        "missing-unit",
        "follow-up",
        "patient",
    ):
        assert needed in TAGS, needed
    assert any(case.audience == "patient" for case in CASES)
    assert any(len(case.conversation) > 1 for case in CASES)


def test_every_case_names_where_its_expectation_comes_from() -> None:
    problems = check_sources(CASES, corpus_headings(PROJECT_ROOT / "corpus" / "b12"))

    assert problems == []
    assert all(case.provenance for case in CASES)


def test_every_primary_b12_cut_off_is_tested_on_both_sides() -> None:
    rows = {
        (row.value, row.unit, row.category)
        for case in CASES
        for row in case.expected_labs
        if row.analyte == "b12" and row.category
    }
    # NICE NG239: deficient below 180 ng/L (133 pmol/L); indeterminate up to 350 (258) inclusive.
    for below, at, above, unit in ((179, 180, 181, "ng/L"), (132, 133, None, "pmol/L")):
        assert (below, unit, "deficient") in rows
        assert (at, unit, "indeterminate") in rows
        if above is not None:
            assert (above, unit, "indeterminate") in rows
    assert (258, "pmol/L", "indeterminate") in rows
    assert (259, "pmol/L", "unlikely") in rows
    assert (351, "ng/L", "unlikely") in rows
