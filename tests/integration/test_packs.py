"""Domain packs end to end: both shipped packs in one process, and a pack made of mixed-format
documents with no domain file, each with the real embedding model and a real Chroma store.

No cross-talk: a pack's answers cite only its own documents, and each pack keeps its own index.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant.answer.extractive import DIFFERENCES_HEADING
from assistant.answer.lab_section import LAB_HEADING
from assistant.answer.parts import MORE_DETAIL_HEADING
from assistant.answer.references import REFERENCES_HEADING
from assistant.app.packs import check_pack, new_pack
from assistant.config import PROJECT_ROOT, Settings
from assistant.index.build import run_ingest
from assistant.pipeline import Assistant

pytestmark = pytest.mark.integration

B12 = PROJECT_ROOT / "corpus" / "b12"
DIABETES = PROJECT_ROOT / "corpus" / "diabetes"
MIXED = PROJECT_ROOT / "tests" / "fixtures" / "packs" / "mixed"


def _settings(pack: Path, data_dir: Path) -> Settings:
    return Settings(pack=pack, data_dir=data_dir, chroma_url=None, audit_log=None)


@pytest.fixture(scope="module")
def two_packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assistant, Assistant]:
    """Both shipped packs indexed in one data folder, answered by one process."""
    data_dir = tmp_path_factory.mktemp("two-packs")
    assistants = []
    for pack in (B12, DIABETES):
        settings = _settings(pack, data_dir)
        report = run_ingest(settings)
        assert report.failures == [], report.failures
        assistants.append(Assistant(settings))
    return assistants[0], assistants[1]


def test_each_pack_has_its_own_collection(two_packs: tuple[Assistant, Assistant]) -> None:
    b12, diabetes = two_packs
    assert b12.settings.collection != diabetes.settings.collection
    assert b12.settings.data_dir == diabetes.settings.data_dir


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What HbA1c level confirms diabetes?", "48 mmol/mol"),
        ("HbA1c 40 mmol/mol", "ADA|American Diabetes Association"),
        ("fasting glucose 7.4 mmol/L", "diabetes"),
    ],
)
def test_diabetes_answers_cite_only_diabetes_documents(
    two_packs: tuple[Assistant, Assistant], question: str, expected: str
) -> None:
    _, diabetes = two_packs
    result = diabetes.ask(question)
    assert not result.refused
    assert result.citations
    own = {c.doc_id for c in result.citations}
    assert own <= _pack_ids(DIABETES), own - _pack_ids(DIABETES)
    assert re.search(expected, result.answer, re.IGNORECASE)


@pytest.mark.parametrize(
    "question",
    [
        "What active B12 (holoTC) level confirms deficiency?",
        "What MMA level suggests B12 deficiency?",
    ],
)
def test_diabetes_pack_refuses_b12_questions(
    two_packs: tuple[Assistant, Assistant], question: str
) -> None:
    _, diabetes = two_packs
    result = diabetes.ask(question)
    assert result.refused
    assert result.citations == []


def test_b12_pack_refuses_diabetes_questions(two_packs: tuple[Assistant, Assistant]) -> None:
    b12, _ = two_packs
    result = b12.ask("What fasting plasma glucose confirms diabetes?")
    assert result.refused
    assert result.citations == []


def test_b12_pack_still_answers_from_its_own_documents(
    two_packs: tuple[Assistant, Assistant],
) -> None:
    b12, diabetes = two_packs
    diabetes.ask("What HbA1c level confirms diabetes?")  # the other pack loaded first
    result = b12.ask("What total B12 level confirms deficiency?")
    assert "180 ng/L" in result.answer
    assert {c.doc_id for c in result.citations} <= _pack_ids(B12)


def test_lab_values_use_each_packs_own_rules(two_packs: tuple[Assistant, Assistant]) -> None:
    b12, diabetes = two_packs
    hba1c_in_b12 = b12.ask("HbA1c 50 mmol/mol")
    assert hba1c_in_b12.labs is None or not hba1c_in_b12.labs.findings
    b12_in_diabetes = diabetes.ask("B12 150 ng/L")
    assert b12_in_diabetes.labs is None or not b12_in_diabetes.labs.findings
    assert diabetes.ask("HbA1c 50 mmol/mol").labs.findings[0].category == "diabetes"  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """A pack of Markdown, PDF, HTML and text documents with rules but no domain file."""
    folder = tmp_path_factory.mktemp("mixed-pack") / "mixed"
    shutil.copytree(MIXED, folder)
    assert not (folder / "domain.yaml").exists()
    settings = _settings(folder, tmp_path_factory.mktemp("mixed-data"))
    report = run_ingest(settings)
    assert report.failures == [], report.failures
    return Assistant(settings)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What is stage 2 hypertension?", "160/100 mmHg"),
        ("What potassium level is moderate hyperkalaemia?", r"6\.0 mmol/L"),
        ("When should anaemia be investigated in chronic kidney disease?", "110 g/L"),
        ("Which haemoglobin defines anaemia in the second trimester of pregnancy?", "105 g/L"),
    ],
)
def test_mixed_pack_answers_under_its_documents_headings(
    mixed: Assistant, question: str, expected: str
) -> None:
    result = mixed.ask(question)
    assert not result.refused, result.answer
    assert re.search(expected, result.answer)
    headings = {c.section.rsplit(" > ", 1)[-1] for c in result.citations}
    shown = [line[4:] for line in result.answer.splitlines() if line.startswith("### ")]
    frame = {
        h.removeprefix("### ")
        for h in (REFERENCES_HEADING, MORE_DETAIL_HEADING, DIFFERENCES_HEADING, LAB_HEADING)
    }
    section_headings = [h for h in shown if h not in frame]
    derived = {section.heading for section in mixed.resources.domain().sections}
    assert section_headings
    assert set(section_headings) <= headings | derived


@pytest.mark.parametrize(
    "question",
    [
        "What is the dose of amoxicillin for otitis media?",
        "How is asthma diagnosed?",
        "Which drug prevents migraine attacks?",
    ],
)
def test_mixed_pack_refuses_what_it_does_not_cover(mixed: Assistant, question: str) -> None:
    result = mixed.ask(question)
    assert result.refused
    assert result.citations == []


@pytest.mark.parametrize(
    ("message", "rows"),
    [
        ("FT4 9 pmol/L", [("ft4", "low")]),
        ("free T4 0.7 ng/dL", [("ft4", "low")]),
        ("TSAT 15%", [("tsat", "low")]),
        ("BP 150/95 mmHg", [("systolic_bp", "stage_1"), ("diastolic_bp", "stage_1")]),
        ("potassium 6.2 mmol/L", [("potassium", "moderate")]),
    ],
)
def test_mixed_pack_classifies_through_its_rules_file_alone(
    mixed: Assistant, message: str, rows: list[tuple[str, str]]
) -> None:
    result = mixed.ask(message)
    assert result.labs is not None
    assert [(f.analyte, f.category) for f in result.labs.findings] == rows
    assert result.labs.errors == []


def test_mixed_pack_title_comes_from_its_folder(mixed: Assistant) -> None:
    assert mixed.resources.domain().title == "Mixed Guideline Assistant"


@pytest.mark.parametrize("pack", [B12, DIABETES, MIXED], ids=lambda p: p.name)
def test_pack_check_passes_on_shipped_packs(pack: Path) -> None:
    assert check_pack(pack) == []


def test_a_new_pack_checks_clean_and_errors_name_file_and_line(tmp_path: Path) -> None:
    pack = tmp_path / "local"
    new_pack(pack)
    assert check_pack(pack) == []
    domain = pack / "domain.yaml"
    domain.write_text("title: Local\nsections:\n  - {key: Bad Key, heading: x}\n")
    problems = check_pack(pack)
    assert problems
    assert f"{domain}:3: sections[0].key" in "\n".join(problems), problems


def _pack_ids(pack: Path) -> set[str]:
    from assistant.sources.lookup import CorpusLookup

    return {p.doc.doc_id for p in CorpusLookup(pack).all_passages()}
