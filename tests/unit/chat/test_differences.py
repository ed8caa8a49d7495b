"""Where sources differ, from the rules file's primary and comparison rules."""

from __future__ import annotations

from labtool.rules import load_rules

from assistant.answer.disagreements import analytes_named, source_differences
from assistant.config import Settings
from assistant.domain.language import DomainLanguage
from assistant.sources.lookup import CorpusLookup


def test_analytes_named_in_a_question(settings: Settings, b12_language: DomainLanguage) -> None:
    ruleset = load_rules(settings.rules_path, corpus_dir=settings.corpus_dir)
    assert analytes_named("recommended vitamin B12 level", ruleset, b12_language) == ["b12"]
    assert analytes_named("serum cobalamin cut-off", ruleset, b12_language) == ["b12"]
    assert (
        analytes_named("active B12 bands", ruleset, b12_language) == []
    )  # holoTC is not in this rules file
    assert analytes_named("ferritin in IBD", ruleset, b12_language) == []


def test_disagreeing_sources_are_quoted_primary_first(
    settings: Settings, lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    ruleset = load_rules(settings.rules_path, corpus_dir=settings.corpus_dir)
    (difference,) = source_differences(ruleset, ["b12"], lookup, b12_language)
    assert difference.analyte == "Vitamin B12"
    (primary, primary_passage), (other, other_passage) = difference.statements
    assert primary == "Deficiency is confirmed below 180 ng/L (133 pmol/L)."
    assert primary_passage.doc.doc_id == "nice-test"
    assert "150 pmol/L" in other
    assert other_passage.doc.doc_id == "sfar-test"


def test_no_difference_without_a_disagreeing_comparison(
    settings: Settings, lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    # SFAR moved onto the NICE boundary (133 pmol/L is 180 ng/L): no disagreement left.
    text = settings.rules_path.read_text(encoding="utf-8").replace(": 150", ": 133")
    settings.rules_path.write_text(text, encoding="utf-8")
    ruleset = load_rules(settings.rules_path, corpus_dir=settings.corpus_dir)
    assert source_differences(ruleset, ["b12"], lookup, b12_language) == []
