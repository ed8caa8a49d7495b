"""Grounding scorers on hand-built answers: numbers, stated cut-offs, citation structure."""

from __future__ import annotations

from pathlib import Path

import pytest
from labtool.report import LabError

from assistant.evaluation import grounding
from assistant.evaluation.rules_view import RulesView, load_rules_view
from tests.unit.evaluation.builders import (
    MMA_TEXT,
    RULES_YAML,
    answer,
    citation,
    finding,
    labs,
    write_rules,
)

# --- numeric fidelity ------------------------------------------------------------------------


def test_numbers_from_the_cited_passage_are_supported() -> None:
    result = answer("Below 180 ng/L (133 pmol/L) confirms deficiency [1].", citation(1))

    assert grounding.numeric_fidelity(result).value == 0


def test_an_invented_number_is_counted_with_its_sentence() -> None:
    result = answer("Deficiency is confirmed below 190 ng/L [1].", citation(1))

    score = grounding.numeric_fidelity(result)

    assert score.value == 1
    assert not score.passed
    assert score.evidence[0].text == "190"
    assert "below 190 ng/L" in score.evidence[0].detail


def test_tool_output_supports_numbers_also_when_rounded() -> None:
    f = finding(132, unit="pmol/L").model_copy(
        update={"canonical_value": 178.9088, "canonical_unit": "ng/L"}
    )
    result = answer("Your B12 of 132 pmol/L (about 178.9 ng/L) is low.", report=labs(f))

    assert grounding.numeric_fidelity(result).value == 0
    assert grounding.numeric_fidelity(answer("It is about 178.7 ng/L.", report=labs(f))).value == 1


def test_citation_markers_and_the_reference_list_are_not_claims() -> None:
    result = answer(
        "Measure MMA when B12 is indeterminate [2].",
        citation(2, text=MMA_TEXT),
        references="### References\n\n2. NICE 2024, p. 77.",
    )

    assert grounding.numeric_fidelity(result).value == 0


# --- threshold consistency -----------------------------------------------------------------


@pytest.fixture
def rules(tmp_path: Path) -> RulesView:
    return load_rules_view(write_rules(tmp_path))


MMA_CITATION = citation(1, doc_id="mma-doc", text=MMA_TEXT, section="MMA")


def test_cut_offs_from_the_rules_file_are_consistent(rules: RulesView) -> None:
    result = answer(
        "B12 deficiency is confirmed below 180 ng/L (133 pmol/L) [1]; "
        "180–350 ng/L is indeterminate [1].",
        citation(1),
    )

    assert grounding.threshold_consistency(result, rules).value == 0


def test_a_cut_off_missing_from_the_rules_file_is_reported(tmp_path: Path) -> None:
    shifted_yaml = RULES_YAML.replace("less_than: 180", "less_than: 200").replace(
        "[180, 350]", "[200, 350]"
    )
    shifted = load_rules_view(write_rules(tmp_path, shifted_yaml))
    result = answer("B12 deficiency is confirmed below 180 ng/L [1].", citation(1))

    score = grounding.threshold_consistency(result, shifted)

    assert score.value == 1
    assert score.evidence[0].text == "180 ng/L"
    assert "b12-nice" in score.evidence[0].detail


def test_an_unnamed_analyte_is_the_one_whose_rule_cites_the_source(tmp_path: Path) -> None:
    shifted_yaml = RULES_YAML.replace("180", "200")
    shifted = load_rules_view(write_rules(tmp_path, shifted_yaml))
    result = answer("Deficiency is confirmed below 180 ng/L [1].", citation(1))

    score = grounding.threshold_consistency(result, shifted)

    assert [e.text for e in score.evidence] == ["180 ng/L"]


def test_patient_values_and_plain_numbers_are_not_cut_offs(rules: RulesView) -> None:
    result = answer(
        "Your B12 of 240 ng/L is below the upper cut-off, so deficiency is possible [1]. "
        "Give 1 mg daily for 3 months [1].",
        citation(1),
        report=labs(finding(240)),
    )

    assert grounding.threshold_consistency(result, rules).value == 0


def test_a_cut_off_is_checked_against_the_analyte_named_before_it(rules: RulesView) -> None:
    ok = answer("MMA above 271 nmol/L is raised [1].", MMA_CITATION)
    wrong = answer("MMA above 280 nmol/L is raised [1].", MMA_CITATION)
    other = answer(
        "B12 deficiency goes with a red cell folate below 226.5 nmol/L [1].", citation(1)
    )

    assert grounding.threshold_consistency(ok, rules).value == 0
    assert grounding.threshold_consistency(wrong, rules).value == 1
    assert grounding.threshold_consistency(other, rules).value == 0


def test_a_section_may_state_another_populations_primary_cut_off(tmp_path: Path) -> None:
    # The MMA section here is cited by a comparison rule only; 271 is the primary figure.
    yaml_text = RULES_YAML.replace(
        "      - id: mma-seed\n        role: primary",
        "      - id: mma-seed\n        role: primary\n        population: {}",
    ) + (
        "      - id: mma-lab\n        role: comparison\n        scales:\n          nmol/L:\n"
        "            - {category: normal, at_most: 400, source: {doc_id: lab, section: L}}\n"
        "            - {category: elevated, more_than: 400, source: {doc_id: lab, section: L}}\n"
    )
    view = load_rules_view(write_rules(tmp_path, yaml_text))
    cites_lab = citation(1, doc_id="lab", section="L")

    ok = answer(
        "MMA is raised above 400 nmol/L here, and above 271 nmol/L elsewhere [1].", cites_lab
    )
    wrong = answer("MMA is raised above 350 nmol/L [1].", cites_lab)

    assert grounding.threshold_consistency(ok, view).value == 0
    assert grounding.threshold_consistency(wrong, view).value == 1


AFP_RULE = (
    "      - id: b12-afp\n        role: comparison\n        scales:\n          pg/mL:\n"
    "            - {category: deficient, less_than: 180, source: {doc_id: afp, section: A}}\n"
    "            - {category: indeterminate, at_least: 180, source: {doc_id: afp, section: A}}\n"
)


def test_another_sources_figure_counts_only_in_the_unit_it_was_published_in(
    tmp_path: Path,
) -> None:
    # Like the real file: NICE (primary, here shifted to 200 ng/L) and AFP 2025 (comparison,
    # 180 pg/mL). A sentence citing NICE that still says 180 ng/L contradicts the NICE rule.
    shifted = RULES_YAML.replace("180", "200").replace("  mma:\n", AFP_RULE + "  mma:\n")
    view = load_rules_view(write_rules(tmp_path, shifted))

    nice_says_180 = answer("Deficiency is confirmed below 180 ng/L [1].", citation(1))
    quotes_afp = answer("AFP defines deficiency below 180 pg/mL [1].", citation(1))

    assert grounding.threshold_consistency(nice_says_180, view).value == 1
    assert grounding.threshold_consistency(quotes_afp, view).value == 0


def test_figures_from_sections_the_rules_do_not_encode_are_not_checked(
    rules: RulesView,
) -> None:
    elsewhere = citation(1, section="Symptoms with low-normal B12")
    result = answer("Deficiency symptoms occur up to 260 pmol/L of B12 [1].", elsewhere)

    assert grounding.threshold_consistency(result, rules).value == 0


def test_exact_unit_conversions_and_whole_number_band_ends_are_consistent(
    rules: RulesView,
) -> None:
    converted = answer("MMA is raised above 0.271 µmol/L [1].", MMA_CITATION)
    band_end = answer("Indeterminate B12 runs from 180 to 349 ng/L [1].", citation(1))

    assert grounding.threshold_consistency(converted, rules).value == 0
    assert grounding.threshold_consistency(band_end, rules).value == 0


# --- citations -------------------------------------------------------------------------------


def test_a_well_cited_answer_has_sound_structure() -> None:
    result = answer(
        "Below 180 ng/L confirms deficiency [1]. Measure MMA when B12 is indeterminate [2].",
        citation(1),
        citation(2, text=MMA_TEXT),
    )

    assert grounding.citation_structure(result).passed


def test_a_numeric_sentence_without_a_citation_is_shown() -> None:
    result = answer("Below 180 ng/L confirms deficiency.", citation(1))

    score = grounding.citation_structure(result)

    assert not score.passed
    assert score.evidence[0].kind == "sentence"
    assert score.evidence[0].text == "Below 180 ng/L confirms deficiency."


def test_a_recommendation_without_a_citation_is_shown() -> None:
    score = grounding.citation_structure(answer("You should measure MMA next."))

    assert not score.passed
    assert score.evidence[0].detail == "claim without a citation"


def test_the_lab_tools_own_messages_and_the_disclaimer_need_no_citation() -> None:
    from assistant.answer.audience import CLINICIAN_DISCLAIMER

    error = LabError(
        input="B12 150", code="MISSING_UNIT", message="'B12 150' has no unit; give it."
    )
    result = answer(
        "",
        lab_details="**Not interpreted** (B12 150): 'B12 150' has no unit; give it.",
        disclaimer=CLINICIAN_DISCLAIMER,
        report=labs(errors=(error,)),
    )

    assert grounding.citation_structure(result).passed


def test_a_citation_that_resolves_to_nothing_is_shown() -> None:
    score = grounding.citation_structure(
        answer("Below 180 ng/L confirms deficiency [3].", citation(1))
    )

    assert any(e.kind == "citation" and e.text == "[3]" for e in score.evidence)


def test_a_number_must_stand_in_the_passage_its_sentence_cites() -> None:
    # 271 is in passage 2, but the sentence cites passage 1.
    result = answer(
        "MMA above 271 nmol/L supports it [1].", citation(1), citation(2, text=MMA_TEXT)
    )

    score = grounding.citation_structure(result)

    assert not score.passed
    assert score.evidence[0].text == "271"
    assert grounding.numeric_fidelity(result).passed  # the number has a source, just not this one


def test_a_clause_break_keeps_the_first_clauses_figure_checked(rules: RulesView) -> None:
    # A new clause ("..., or your glucose two hours after a drink is 200 mg/dL") may name its
    # test in words the rules lack, so the earlier name stops at the break; the figure before
    # the break is still checked against its own test.
    wrong = answer("MMA above 280 nmol/L is raised, and it stays so [1].", MMA_CITATION)
    right = answer("MMA above 271 nmol/L is raised, and it stays so [1].", MMA_CITATION)

    assert grounding.threshold_consistency(wrong, rules).value == 1
    assert grounding.threshold_consistency(right, rules).value == 0


def test_one_sentence_of_a_longer_tool_message_needs_no_citation() -> None:
    message = (
        "'EPO 500': the rules cover people with lower-risk MDS; no rule classifies it for "
        "this patient. MDS was not mentioned: assumed absent."
    )
    error = LabError(input="EPO 500", code="UNSUPPORTED_POPULATION", message=message)
    shown = "**Not interpreted** (EPO 500): " + message.split(". ")[0] + "."
    result = answer("", lab_details=shown, report=labs(errors=(error,)))

    assert grounding.citation_structure(result).passed
