"""Every way a rules file can be broken gives a RulesError naming the file and the culprit."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from labtool.rules import RulesError, load_rules

Breaker = Callable[[dict[str, Any]], None]


def _b12_primary(data: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = data["analytes"]["b12"]["rules"][0]
    return rule


def _ng_bands(data: dict[str, Any]) -> list[dict[str, Any]]:
    bands: list[dict[str, Any]] = _b12_primary(data)["scales"]["ng/L"]
    return bands


def _overlap(data: dict[str, Any]) -> None:
    band = _ng_bands(data)[0]
    del band["less_than"]
    band["at_most"] = 180  # 180 now in both "deficient" and "180 to 350 inclusive"


def _gap(data: dict[str, Any]) -> None:
    _ng_bands(data)[0]["less_than"] = 170


def _gap_at_point(data: dict[str, Any]) -> None:
    band = _ng_bands(data)[1]
    del band["between_inclusive"]
    band["more_than"] = 180  # neither band includes 180
    band["at_most"] = 350


def _not_open_above(data: dict[str, Any]) -> None:
    _ng_bands(data).pop()


def _first_band_not_from_zero(data: dict[str, Any]) -> None:
    _ng_bands(data)[0]["at_least"] = 10


def _unknown_unit_string(data: dict[str, Any]) -> None:
    scales = _b12_primary(data)["scales"]
    scales["ng/Lx"] = scales.pop("ng/L")


def _unit_not_for_analyte(data: dict[str, Any]) -> None:
    scales = _b12_primary(data)["scales"]
    scales["mg/dL"] = scales.pop("ng/L")


def _unknown_units_entry(data: dict[str, Any]) -> None:
    data["analytes"]["b12"]["units"]["foo/L"] = 2


def _mixed_unit_kinds(data: dict[str, Any]) -> None:
    data["analytes"]["b12"]["units"]["fL"] = 1


def _canonical_factor(data: dict[str, Any]) -> None:
    data["analytes"]["b12"]["units"]["ng/L"] = 2


def _band_without_source(data: dict[str, Any]) -> None:
    del _ng_bands(data)[1]["source"]


def _unknown_doc(data: dict[str, Any]) -> None:
    _ng_bands(data)[1]["source"] = {"doc_id": "no-such-doc", "section": "Total B12 cut-offs"}


def _unknown_section(data: dict[str, Any]) -> None:
    _ng_bands(data)[1]["source"] = {"doc_id": "doc-a", "section": "No such heading"}


def _bad_category(data: dict[str, Any]) -> None:
    _ng_bands(data)[1]["category"] = "borderline"


def _primary_list_category(data: dict[str, Any]) -> None:
    _ng_bands(data)[1]["category"] = ["indeterminate", "unlikely"]


def _no_primary(data: dict[str, Any]) -> None:
    _b12_primary(data)["role"] = "comparison"


def _two_primaries(data: dict[str, Any]) -> None:
    rules = data["analytes"]["b12"]["rules"]
    second = dict(rules[0], id="b12-second-primary")
    rules.append(second)


def _duplicate_rule_id(data: dict[str, Any]) -> None:
    data["analytes"]["b12"]["rules"][1]["id"] = "b12-primary"


def _conclusion_unknown_analyte(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = {"b13": ["indeterminate"]}


def _conclusion_unknown_category(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = {"b12": ["borderline"]}


def _conclusion_unknown_unless(data: dict[str, Any]) -> None:
    data["conclusions"][0]["unless_present"] = ["holotc"]


def _typo_in_bound(data: dict[str, Any]) -> None:
    band = _ng_bands(data)[0]
    band["less_then"] = band.pop("less_than")


def _two_lower_bounds(data: dict[str, Any]) -> None:
    _ng_bands(data)[2]["at_least"] = 351


def _near_threshold_both(data: dict[str, Any]) -> None:
    data["analytes"]["b12"]["near_threshold"]["absolute"] = 3


def _contradictory_population(data: dict[str, Any]) -> None:
    data["analytes"]["hb"]["rules"][1]["population"] = {"sex": "male", "pregnant": True}


def _comparison_without_primary(data: dict[str, Any]) -> None:
    rules = data["analytes"]["hb"]["rules"]
    rules[:] = [rule for rule in rules if rule["id"] != "hb-pregnancy"]
    rules.append(
        {
            "id": "hb-pregnancy-comparison",
            "role": "comparison",
            "population": {"pregnant": True},
            "scales": {"g/L": rules[0]["scales"]["g/L"]},
        }
    )


# --- version 2: names, attributes, context analytes, paired readings, conclusions ---------

DIABETES = {"type": "boolean", "words_true": ["diabetic"]}
CRP_CUE = {
    "analyte": "crp",
    "true_when": {"more_than": 5},
    "source": {"doc_id": "doc-a", "section": "Haemoglobin cut-offs"},
}
CRP = {
    "name": "C-reactive protein",
    "aliases": ["CRP"],
    "role": "context",
    "canonical_unit": "mg/L",
    "units": {"mg/L": 1},
}


def _undeclared_population_key(data: dict[str, Any]) -> None:
    data["analytes"]["hb"]["rules"][0]["population"]["diabetes"] = True


def _boolean_attribute_given_a_condition(data: dict[str, Any]) -> None:
    data["attributes"] = {"diabetes": DIABETES}
    data["analytes"]["hb"]["rules"][0]["population"]["diabetes"] = {"at_least": 3}


def _number_attribute_given_a_boolean(data: dict[str, Any]) -> None:
    data["attributes"] = {"egfr": {"type": "number"}}
    data["analytes"]["hb"]["rules"][0]["population"]["egfr"] = True


def _alias_of_two_analytes(data: dict[str, Any]) -> None:
    data["analytes"]["hb"]["aliases"].append("B-12")


def _no_aliases(data: dict[str, Any]) -> None:
    del data["analytes"]["b12"]["aliases"]


def _context_analyte_with_rules(data: dict[str, Any]) -> None:
    data["analytes"]["hb"]["role"] = "context"


def _classified_analyte_without_rules(data: dict[str, Any]) -> None:
    data["analytes"]["b12"]["rules"] = []


def _result_of_an_unknown_analyte(data: dict[str, Any]) -> None:
    data["attributes"] = {"inflammation": {"type": "boolean", "from_results": [CRP_CUE]}}


def _cut_off_without_source(data: dict[str, Any]) -> None:
    cue = {key: value for key, value in CRP_CUE.items() if key != "source"}
    data["attributes"] = {"inflammation": {"type": "boolean", "from_results": [cue]}}
    data["analytes"]["crp"] = CRP


def _cited_cut_off_not_in_the_corpus(data: dict[str, Any]) -> None:
    cue = dict(CRP_CUE, source={"doc_id": "doc-a", "section": "Nowhere"})
    data["attributes"] = {"inflammation": {"type": "boolean", "from_results": [cue]}}
    data["analytes"]["crp"] = CRP


def _assume_without_a_value(data: dict[str, Any]) -> None:
    data["attributes"] = {"diabetes": dict(DIABETES, when_unstated="assume")}


def _attribute_named_like_a_built_in(data: dict[str, Any]) -> None:
    data["attributes"] = {"age": {"type": "number"}}


def _affine_unit_without_slope(data: dict[str, Any]) -> None:
    data["analytes"]["hb"]["units"]["mmol/L"] = {"slope": 0, "intercept": 1}


def _conclusion_on_a_context_analyte(data: dict[str, Any]) -> None:
    data["analytes"]["crp"] = CRP
    data["conclusions"][0]["when"] = {"crp": ["high"]}


def _conclusion_on_absences_only(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = {"b12": ["not_measured"]}


def _conclusion_unless_unknown_category(data: dict[str, Any]) -> None:
    data["conclusions"][0]["unless"] = {"hb": ["borderline"]}


def _condition_with_two_heads(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [{"analyte": "b12", "attribute": "pregnant", "is": True}]


def _analyte_condition_without_a_test(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [{"analyte": "b12"}]


def _analyte_condition_with_is(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [{"analyte": "b12", "is": True}]


def _unknown_attribute_condition(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [
        {"analyte": "b12", "in": ["deficient"]},
        {"attribute": "smoker", "is": True},
    ]


def _bound_on_a_yes_no_attribute(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [
        {"analyte": "b12", "in": ["deficient"]},
        {"attribute": "pregnant", "less_than": 2},
    ]


def _sex_condition_with_a_boolean(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [
        {"analyte": "b12", "in": ["deficient"]},
        {"attribute": "sex", "is": True},
    ]


def _nested_unknown_category(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [
        {"any": [{"analyte": "b12", "in": ["deficient"]}, {"analyte": "hb", "in": ["low"]}]}
    ]


def _only_attribute_conditions(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [{"attribute": "pregnant", "is": True}]


def _any_with_a_test(data: dict[str, Any]) -> None:
    data["conclusions"][0]["when"] = [
        {"any": [{"analyte": "b12", "in": ["deficient"]}], "is": True}
    ]


def _reserved_category(data: dict[str, Any]) -> None:
    data["analytes"]["hb"]["categories"].append({"id": "not_measured", "label": "Not measured"})


def _paired_reading_of_unknown_analytes(data: dict[str, Any]) -> None:
    data["paired_readings"] = [{"aliases": ["BP"], "analytes": ["sbp", "dbp"]}]


# (breaker, names that must appear in the message besides the file, problem words)
CASES: list[tuple[Breaker, tuple[str, ...], str]] = [
    (_overlap, ("b12-primary", "ng/L"), "overlap"),
    (_gap, ("b12-primary", "ng/L"), "gap"),
    (_gap_at_point, ("b12-primary", "ng/L"), "gap at 180"),
    (_not_open_above, ("b12-primary", "ng/L"), "open above"),
    (_first_band_not_from_zero, ("b12-primary", "ng/L"), "start at 0"),
    (_unknown_unit_string, ("b12-primary",), "not a known unit"),
    (_unit_not_for_analyte, ("b12-primary", "mg/dL"), "not listed in the analyte's units"),
    (_unknown_units_entry, ("b12", "foo/L"), "not a known unit"),
    (_mixed_unit_kinds, ("b12",), "kinds"),
    (_canonical_factor, ("b12", "ng/L"), "factor 1"),
    (_band_without_source, ("b12-primary", "band 2", "source"), "field required"),
    (_unknown_doc, ("b12-primary", "band 2", "no-such-doc"), "not a document"),
    (_unknown_section, ("b12-primary", "band 2", "No such heading"), "heading"),
    (_bad_category, ("b12-primary", "band 2", "borderline"), "not in the analyte's categories"),
    (_primary_list_category, ("b12-primary", "band 2"), "single category"),
    (_no_primary, ("b12",), "no primary rule"),
    (_two_primaries, ("b12-second-primary", "b12-primary"), "second primary"),
    (_duplicate_rule_id, ("b12-primary",), "duplicate rule id"),
    (_conclusion_unknown_analyte, ("confirm-with-mma", "b13"), "unknown analyte"),
    (_conclusion_unknown_category, ("confirm-with-mma", "borderline"), "unknown category"),
    (_conclusion_unknown_unless, ("confirm-with-mma", "holotc"), "unknown analyte"),
    (_typo_in_bound, ("b12-primary", "band 1", "less_then"), "Extra inputs"),
    (_two_lower_bounds, ("b12-primary", "band 3"), "at most one lower"),
    (_near_threshold_both, ("b12", "near_threshold"), "exactly one"),
    (_contradictory_population, ("hb-men",), "male and pregnant"),
    (_comparison_without_primary, ("hb-pregnancy-comparison",), "no primary rule covers"),
    (_undeclared_population_key, ("hb-women", "diabetes"), "declare it under 'attributes:'"),
    (_boolean_attribute_given_a_condition, ("hb-women", "diabetes"), "boolean attribute"),
    (_number_attribute_given_a_boolean, ("hb-women", "egfr"), "number attribute"),
    (_alias_of_two_analytes, ("analyte 'hb'", "B-12", "analyte 'b12'"), "also a name of"),
    (_no_aliases, ("analyte 'b12'", "aliases"), "field required"),
    (_context_analyte_with_rules, ("analyte 'hb'",), "a context analyte has no categories"),
    (_classified_analyte_without_rules, ("analyte 'b12'",), "needs rules"),
    (_result_of_an_unknown_analyte, ("attribute 'inflammation'", "'crp'"), "unknown analyte"),
    (_cut_off_without_source, ("attribute 'inflammation'", "'crp'"), "needs a source"),
    (_cited_cut_off_not_in_the_corpus, ("attribute 'inflammation'", "Nowhere"), "heading"),
    (_assume_without_a_value, ("attribute 'diabetes'",), "needs an 'assumed' value"),
    (_attribute_named_like_a_built_in, ("attribute 'age'",), "built-in"),
    (_affine_unit_without_slope, ("analyte 'hb'", "mmol/L", "slope"), "greater than 0"),
    (_conclusion_on_a_context_analyte, ("confirm-with-mma", "crp"), "context analyte"),
    (_conclusion_on_absences_only, ("confirm-with-mma",), "real category"),
    (_conclusion_unless_unknown_category, ("confirm-with-mma", "borderline"), "unknown category"),
    (_condition_with_two_heads, ("confirm-with-mma", "'when'"), "names one of"),
    (_analyte_condition_without_a_test, ("confirm-with-mma",), "needs exactly one of in"),
    (_analyte_condition_with_is, ("confirm-with-mma",), "needs exactly one of in"),
    (_unknown_attribute_condition, ("confirm-with-mma", "smoker"), "unknown attribute"),
    (_bound_on_a_yes_no_attribute, ("confirm-with-mma", "pregnant"), "not a number"),
    (_sex_condition_with_a_boolean, ("confirm-with-mma", "sex"), "cannot be"),
    (_nested_unknown_category, ("confirm-with-mma", "low"), "unknown category"),
    (_only_attribute_conditions, ("confirm-with-mma",), "real category"),
    (_any_with_a_test, ("confirm-with-mma",), "nothing else"),
    (_reserved_category, ("analyte 'hb'", "not_measured"), "reserved"),
    (_paired_reading_of_unknown_analytes, ("paired reading #1", "sbp"), "unknown analyte"),
]


@pytest.mark.parametrize(
    ("breaker", "names", "problem"), CASES, ids=[case[0].__name__.strip("_") for case in CASES]
)
def test_broken_rules_file_is_named_in_the_error(
    breaker: Breaker,
    names: tuple[str, ...],
    problem: str,
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> None:
    breaker(mini_rules_data)
    path = write_rules(mini_rules_data)

    with pytest.raises(RulesError) as caught:
        load_rules(path, corpus_dir=mini_corpus)

    message = str(caught.value)
    assert str(path) in message
    for name in names:
        assert name in message
    assert problem.lower() in message.lower()


def test_the_unbroken_mini_file_loads(
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> None:
    ruleset = load_rules(write_rules(mini_rules_data), corpus_dir=mini_corpus)

    assert set(ruleset.analytes) == {"b12", "hb"}
    assert ruleset.doc_titles == {"doc-a": "Document A", "doc-b": "Document B"}


def test_without_a_corpus_citations_are_not_checked_and_titles_fall_back_to_ids(
    mini_rules_data: dict[str, Any], write_rules: Callable[[dict[str, Any]], Path]
) -> None:
    _unknown_doc(mini_rules_data)
    ruleset = load_rules(write_rules(mini_rules_data))

    band = ruleset.analytes["b12"].rules[0].scales["ng/L"][1]
    assert ruleset.source_ref(band.source).title == "no-such-doc"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("version: 1\nanalytes: [unclosed", "malformed YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        ("", "must be a mapping"),
        ("version: 3\nanalytes: {}\n", "'version' must be 2"),
        ("version: 1\nanalytes: {}\n", "version 1 is no longer read"),
        (b"\xff\xfe\x00bad".decode("latin-1"), "malformed YAML"),
    ],
    ids=["unclosed", "list", "empty", "version", "version-1", "binary"],
)
def test_unusable_yaml_is_a_rules_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(RulesError) as caught:
        load_rules(path)

    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_missing_and_unreadable_files_are_rules_errors(tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    with pytest.raises(RulesError, match="cannot read") as caught:
        load_rules(missing)
    assert str(missing) in str(caught.value)

    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path)  # a folder, not a file

    not_utf8 = tmp_path / "latin1.yaml"
    not_utf8.write_bytes(b"version: 1\nname: caf\xe9\n")
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(not_utf8)


def test_a_missing_corpus_folder_is_a_rules_error(
    mini_rules_data: dict[str, Any], write_rules: Callable[[dict[str, Any]], Path], tmp_path: Path
) -> None:
    with pytest.raises(RulesError, match="corpus folder not found"):
        load_rules(write_rules(mini_rules_data), corpus_dir=tmp_path / "nowhere")


def test_loading_is_cached_until_the_file_changes(
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> None:
    path = write_rules(mini_rules_data)
    first = load_rules(path, corpus_dir=mini_corpus)
    assert load_rules(path, corpus_dir=mini_corpus) is first

    mini_rules_data["analytes"]["b12"]["name"] = "Cobalamin"
    path.write_text(path.read_text("utf-8").replace("Vitamin B12", "Cobalamin"), "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    reloaded = load_rules(path, corpus_dir=mini_corpus)
    assert reloaded is not first
    assert reloaded.analytes["b12"].name == "Cobalamin"


def test_editing_a_cited_section_away_invalidates_the_cache(
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> None:
    path = write_rules(mini_rules_data)
    load_rules(path, corpus_dir=mini_corpus)

    doc = mini_corpus / "doc-b.md"
    doc.write_text(doc.read_text("utf-8").replace("## Lower B12 cut-off", "## Renamed"), "utf-8")
    stat = doc.stat()
    os.utime(doc, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    with pytest.raises(RulesError, match="Lower B12 cut-off"):
        load_rules(path, corpus_dir=mini_corpus)


def test_two_corpus_documents_with_one_id_are_a_rules_error(
    mini_rules_data: dict[str, Any],
    write_rules: Callable[[dict[str, Any]], Path],
    mini_corpus: Path,
) -> None:
    copy = mini_corpus / "doc-a-copy.md"
    copy.write_text((mini_corpus / "doc-a.md").read_text("utf-8"), "utf-8")

    with pytest.raises(RulesError, match="doc-a") as caught:
        load_rules(write_rules(mini_rules_data), corpus_dir=mini_corpus)
    assert "doc-a-copy.md" in str(caught.value)
