"""The generic machinery behind populations and conclusions, on a tiny rules file: every kind
of conclusion condition, the UNSUPPORTED_POPULATION wording generated from the populations,
context from earlier turns, and attribute cues that overlap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from labtool.context import PatientContext
from labtool.interpret import conversation_context, interpret
from labtool.rules import RuleSet, load_rules

SOURCE = {"doc_id": "doc-a", "section": "Confirmatory testing"}
EGFR = {
    "name": "eGFR",
    "aliases": ["eGFR"],
    "role": "context",
    "canonical_unit": "mL/min/1.73m²",
    "units": {"mL/min/1.73m²": 1},
}
ATTRIBUTES = {
    "icu": {
        "type": "boolean",
        "label": "critical illness",
        "words_true": ["ICU", "intensive care"],
        "when_unstated": "assume",
        "assumed": False,
        "note": "Critical illness was not mentioned: assumed absent.",
    },
    "flare": {"type": "boolean", "words_true": ["active IBD"]},
    "bowel": {"type": "boolean", "words_true": ["IBD"]},
    "low_count": {"type": "boolean", "words_true": ["low platelets"]},
}


def _conclusion(ident: str, when: Any, unless: Any = None) -> dict[str, Any]:
    found = {"id": ident, "when": when, "summary": f"{ident}.", "source": SOURCE}
    if unless is not None:
        found["unless"] = unless
    return found


B12_SEEN = {"analyte": "b12", "measured": True}
CONCLUSIONS = [
    _conclusion(
        "low-or-untested",
        [
            {"analyte": "hb", "in": ["anaemia"]},
            {
                "any": [
                    {"analyte": "b12", "in": ["deficient", "indeterminate"]},
                    {"all": [{"analyte": "b12", "in": ["not_measured"]}]},
                ]
            },
        ],
    ),
    _conclusion("kidney-result-given", [B12_SEEN, {"analyte": "egfr", "measured": True}]),
    _conclusion("kidney-low", [B12_SEEN, {"analyte": "egfr", "less_than": 60}]),
    _conclusion("very-high", [{"analyte": "b12", "more_than": 1000}]),
    _conclusion("pregnant", [B12_SEEN, {"attribute": "pregnant", "is": True}]),
    _conclusion("unless-pregnant", [B12_SEEN], unless=[{"attribute": "pregnant", "is": True}]),
    _conclusion("pregnancy-unstated", [B12_SEEN, {"attribute": "pregnant", "stated": False}]),
    _conclusion("not-icu", [B12_SEEN, {"attribute": "icu", "is": False}]),
    _conclusion("older", [B12_SEEN, {"attribute": "age", "at_least": 65}]),
    _conclusion("woman", [B12_SEEN, {"attribute": "sex", "is": "female"}]),
    _conclusion(
        "both-cues",
        [B12_SEEN, {"attribute": "flare", "is": True}, {"attribute": "bowel", "is": True}],
    ),
    _conclusion("low-count", [B12_SEEN, {"attribute": "low_count", "is": True}]),
]


@pytest.fixture
def rules(
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> RuleSet:
    mini_rules_data["attributes"] = ATTRIBUTES
    mini_rules_data["analytes"]["egfr"] = EGFR
    mini_rules_data["conclusions"] = CONCLUSIONS
    return load_rules(write_rules(mini_rules_data), corpus_dir=mini_corpus)


def _codes(text: str, rules: RuleSet, context: PatientContext | None = None) -> set[str]:
    return {conclusion.code for conclusion in interpret(text, rules, context=context).conclusions}


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Hb 100 g/L, man", True),  # B12 not measured
        ("Hb 100 g/L, man, B12 240 ng/L", True),
        ("Hb 100 g/L, man, B12 400 ng/L", False),
        ("Hb 140 g/L, man", False),
    ],
)
def test_any_all_and_not_measured(rules: RuleSet, text: str, fires: bool) -> None:
    assert ("low-or-untested" in _codes(text, rules)) is fires


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B12 240 ng/L", set()),
        ("B12 240 ng/L, eGFR 75", {"kidney-result-given"}),
        ("B12 240 ng/L, eGFR 28", {"kidney-result-given", "kidney-low"}),
        ("B12 240 ng/L, eGFR <15", {"kidney-result-given", "kidney-low"}),
        ("B12 240 ng/L, eGFR >60", {"kidney-result-given"}),
    ],
)
def test_context_analyte_measured_and_bounded(
    rules: RuleSet, text: str, expected: set[str]
) -> None:
    assert _codes(text, rules) & {"kidney-result-given", "kidney-low"} == expected


@pytest.mark.parametrize(
    ("text", "fires"),
    [("B12 1500 ng/L", True), ("B12 1000 ng/L", False), ("B12 >1500 ng/L", True),
     ("B12 1200 pmol/L", True), ("B12 700 pmol/L", False)],
)  # fmt: skip
def test_a_bound_on_a_classified_value_is_in_the_canonical_unit(
    rules: RuleSet, text: str, fires: bool
) -> None:
    assert ("very-high" in _codes(text, rules)) is fires


def test_attribute_conditions(rules: RuleSet) -> None:
    plain = _codes("B12 240 ng/L", rules)
    pregnant = _codes("B12 240 ng/L, 20 weeks pregnant", rules)
    in_icu = _codes("B12 240 ng/L, in ICU, 70-year-old woman", rules)

    assert {"unless-pregnant", "pregnancy-unstated", "not-icu"} <= plain
    assert plain.isdisjoint({"pregnant", "older", "woman"})
    assert "pregnant" in pregnant
    assert pregnant.isdisjoint({"unless-pregnant", "pregnancy-unstated"})
    assert {"older", "woman"} <= in_icu
    assert "not-icu" not in in_icu  # stated: the assumed value no longer applies


def test_overlapping_cues_of_two_attributes_are_both_read(rules: RuleSet) -> None:
    assert "both-cues" in _codes("B12 240 ng/L, active IBD", rules)


def test_a_cue_word_does_not_hide_a_test_the_pack_does_not_cover(rules: RuleSet) -> None:
    report = interpret("B12 240 ng/L, low platelets, platelets 90 ×10^9/L", rules)

    assert "low-count" in {conclusion.code for conclusion in report.conclusions}
    (error,) = report.errors
    assert error.code == "UNSUPPORTED_ANALYTE"
    assert "platelets" in error.message


def test_no_conclusion_without_a_finding(rules: RuleSet) -> None:
    assert interpret("eGFR 28, pregnant", rules).conclusions == []


# --- populations: the wording is generated from the rules file ------------------------------


@pytest.fixture
def restricted(
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> RuleSet:
    mini_rules_data["attributes"] = ATTRIBUTES
    b12 = mini_rules_data["analytes"]["b12"]
    b12["rules"][0]["population"] = {"age_min_years": 16}
    b12["rules"][1]["population"] = {"icu": True}
    second = dict(b12["rules"][0], id="b12-icu-children")
    second["population"] = {"age_max_years": 16, "icu": True}
    b12["rules"].append(second)
    return load_rules(write_rules(mini_rules_data), corpus_dir=mini_corpus)


def test_a_person_outside_every_population_is_told_who_is_covered(restricted: RuleSet) -> None:
    report = interpret("B12 150 ng/L, 10-year-old boy", restricted)

    assert report.findings == []
    (error,) = report.errors
    assert error.code == "UNSUPPORTED_POPULATION"
    assert error.message == (
        "'B12 150 ng/L': the rules cover people aged 16 years and over and people aged under "
        "16 years with critical illness; no rule in this pack classifies Vitamin B12 for a "
        "10-year-old (male, no critical illness). Critical illness was not mentioned: "
        "assumed absent."
    )


def test_a_months_old_child_is_named_in_months(restricted: RuleSet) -> None:
    (error,) = interpret("B12 150 ng/L, 8 months old", restricted).errors

    assert "for an 8-month-old (no critical illness)" in error.message


def test_a_comparison_rule_is_shown_only_for_its_population(restricted: RuleSet) -> None:
    assert interpret("B12 140 pmol/L", restricted).conflicts == []
    (conflict,) = interpret("B12 140 pmol/L, in intensive care", restricted).conflicts
    assert "b12-lower" not in conflict.summary  # no rule ids in words for people
    assert conflict.source_name in conflict.summary
    assert conflict.population in conflict.summary
    assert conflict.band is not None
    assert conflict.band.upper == 150


def test_the_age_assumption_stays_visible(restricted: RuleSet) -> None:
    (finding,) = interpret("B12 240 ng/L", restricted).findings

    assert "Age was not mentioned: adult cut-offs were used." in finding.notes


# --- context from earlier turns -------------------------------------------------------------


def test_earlier_turns_fill_what_the_message_leaves_unstated(restricted: RuleSet) -> None:
    earlier = conversation_context(["My son is 10 years old.", "He has a sore tongue."], restricted)
    assert earlier is not None
    assert earlier.age_years == 10

    report = interpret("B12 150 ng/L", restricted, context=earlier)
    (error,) = report.errors
    assert error.code == "UNSUPPORTED_POPULATION"
    assert "10-year-old" in error.message

    (finding,) = interpret("B12 150 ng/L, aged 40", restricted, context=earlier).findings
    assert finding.category == "deficient"  # the message's own age wins


def test_a_value_from_earlier_turns_is_named_in_the_notes(mini_ruleset: RuleSet) -> None:
    earlier = conversation_context(["She is 30 weeks pregnant."], mini_ruleset)

    (finding,) = interpret("Hb 105 g/L", mini_ruleset, context=earlier).findings

    assert finding.rule_id == "hb-pregnancy"
    assert any(note.startswith("From earlier in the conversation: ") for note in finding.notes)
    assert any("pregnant" in note for note in finding.notes)


def test_a_stated_male_sex_drops_an_earlier_pregnancy(mini_ruleset: RuleSet) -> None:
    earlier = conversation_context(["pregnant, 30 weeks"], mini_ruleset)

    (finding,) = interpret("Hb 125 g/L, man aged 40", mini_ruleset, context=earlier).findings

    assert finding.rule_id == "hb-men"


def test_later_turns_win_over_earlier_ones(mini_ruleset: RuleSet) -> None:
    earlier = conversation_context(["aged 30", "Actually she is 45 years old."], mini_ruleset)

    assert earlier is not None
    assert earlier.age_years == 45
    assert earlier.earlier == ()


def test_nothing_stated_earlier_is_no_context(mini_ruleset: RuleSet) -> None:
    assert conversation_context(["What does this mean?"], mini_ruleset) is None
    assert interpret("Hb 125 g/L", mini_ruleset, context=None).errors[0].code == "MISSING_CONTEXT"
