"""The extractive composer: the corpus's own sentences, grouped by topic, each cited."""

from __future__ import annotations

import re

from labtool.report import Conflict, Finding, LabError, LabReport, SourceRef

from assistant.answer.citations import CitationRegistry
from assistant.answer.extractive import DIFFERENCES_HEADING, compose_body
from assistant.answer.lab_section import LAB_HEADING, NEAR_THRESHOLD_NOTE
from assistant.answer.parts import GAP_PREFIX
from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion
from assistant.schema import Difference, DocumentMeta, Evidence, LabEvidence, Passage
from assistant.sources.lookup import CorpusLookup
from assistant.sources.statements import sentences_of, statements_of
from assistant.text.sentences import citation_numbers
from tests.fakes.searchers import WordVectors


def _passage(doc_id: str, section: str, text: str) -> Passage:
    meta = DocumentMeta(
        doc_id=doc_id,
        title=f"Title {doc_id}",
        source_type="Guideline",
        publisher="P",
        year=2024,
        review_status="approved",
        last_reviewed="2026-01-01",
    )
    return Passage(chunk_id=f"{doc_id}:{section}", doc=meta, section=section, text=text)


def _question(text: str, context: str = "") -> ResolvedQuestion:
    return ResolvedQuestion(question=text, context=context)


def _evidence(lookup: CorpusLookup) -> Evidence:
    keys = sorted(lookup._index())
    return Evidence(passages=[p for key in keys for p in lookup.section(*key)])


def _statements(passage: Passage) -> set[str]:
    return {statement.text for statement in statements_of(passage.text)}


def test_every_statement_is_a_corpus_statement_with_its_own_citation(
    lookup: CorpusLookup,
    b12_language: DomainLanguage,
) -> None:
    evidence = _evidence(lookup)
    registry = CitationRegistry()
    body = compose_body(
        _question("Which oral vitamin B12 dose treats deficiency from malabsorption?"),
        evidence,
        registry,
        b12_language,
        vectors=WordVectors(),
    )
    assert body is not None
    cited = 0
    for line in body.splitlines():
        if not citation_numbers(line):
            continue  # headings
        (n,) = citation_numbers(line)  # one statement, one citation
        text = re.sub(r" \[\d+\](?=[.!?]$)", "", line.removeprefix("- "))
        assert text in _statements(registry.passages[n - 1])
        cited += 1
    assert cited >= 1


def test_the_direct_answer_comes_first_and_sections_carry_pack_headings(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    body = compose_body(
        _question("What B12 level confirms deficiency, and is MMA the next test?"),
        _evidence(lookup),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert body is not None
    first_block = body.split("\n\n")[0]
    assert not first_block.startswith("#")
    assert citation_numbers(first_block)
    headings = [line.removeprefix("### ") for line in body.splitlines() if line.startswith("### ")]
    pack_headings = {section.heading for section in b12_language.domain.sections}
    assert headings
    assert set(headings) <= pack_headings | {"More detail", "Where sources differ"}


def test_citations_are_numbered_in_order_of_appearance(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    body = compose_body(
        _question("What B12 level confirms deficiency, and when is it unlikely?"),
        _evidence(lookup),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert body is not None
    first_seen = list(dict.fromkeys(citation_numbers(body)))
    assert first_seen == list(range(1, len(first_seen) + 1))


def test_composition_is_deterministic(lookup: CorpusLookup, b12_language: DomainLanguage) -> None:
    question = _question("What B12 level confirms deficiency, and when is it unlikely?")
    answers = {
        compose_body(
            question, _evidence(lookup), CitationRegistry(), b12_language, vectors=WordVectors()
        )
        for _ in range(3)
    }
    assert len(answers) == 1
    assert None not in answers


def test_nothing_answers_a_question_the_evidence_does_not_bear_on(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    body = compose_body(
        _question("Which vaccine schedule suits travellers to the tropics?"),
        _evidence(lookup),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert body is None


def test_a_term_the_corpus_never_mentions_is_admitted_first_beside_what_it_does_say(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    body = compose_body(
        _question(
            "Is oral vitamin B12 at 1 mg daily recommended for malabsorption with omeprazole?"
        ),
        _evidence(lookup),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
        unknown_terms=["omeprazole"],
    )
    assert body is not None
    assert body.startswith(f"{GAP_PREFIX} anything about omeprazole.")
    assert "1 mg daily" in body  # what the corpus does say about the oral dose


def test_a_question_the_corpus_covers_none_of_beside_the_unknown_term_is_refused(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    body = compose_body(
        _question("What omeprazole dose suits reflux?"),
        _evidence(lookup),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
        unknown_terms=["omeprazole"],
    )
    assert body is None


def test_meta_sentences_and_document_summaries_are_left_out(b12_language: DomainLanguage) -> None:
    passage = _passage(
        "d",
        "Oral dose",
        "Oral B12 at 1 mg daily is effective for most people. The lab tool uses this figure. "
        "These points are reported via secondary summaries of the guideline.",
    )
    intro = _passage("d", "Introduction", "A review on oral treatment of deficiency in adults.")
    body = compose_body(
        _question("oral B12 treatment dose"),
        Evidence([passage, intro]),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert "Oral B12 at 1 mg daily is effective for most people [1]." in body
    assert "lab tool" not in body
    assert "secondary" not in body
    assert "A review on oral treatment" not in body
    assert b12_language.is_meta(
        "No numeric MMA cut-off was found in the NICE material available to this project."
    )
    assert not b12_language.is_meta("Deficiency is confirmed below 180 ng/L (133 pmol/L).")


def test_differences_follow_the_thresholds_and_are_not_repeated_above(
    lookup: CorpusLookup,
    b12_language: DomainLanguage,
) -> None:
    nice = lookup.section("nice-test", "Total B12 thresholds")[0]
    sfar = lookup.section("sfar-test", "Intensive care B12 cut-off")[0]
    nice_sentence = "Deficiency is confirmed below 180 ng/L (133 pmol/L)."
    sfar_sentence = sentences_of(sfar.text)[0]
    difference = Difference("Vitamin B12", [(nice_sentence, nice), (sfar_sentence, sfar)])
    body = compose_body(
        _question("What are the vitamin B12 deficiency thresholds?"),
        Evidence([nice, sfar]),
        CitationRegistry(),
        b12_language,
        differences=[difference],
        vectors=WordVectors(),
    )
    assert body is not None
    before, _, after = body.partition(DIFFERENCES_HEADING)
    assert body.lower().count(nice_sentence.rstrip(".").lower()) == 1  # once, wherever shown
    assert sfar_sentence.rstrip(".") not in before  # quoted under the differences instead
    assert sfar_sentence.rstrip(".") in after


def _finding(**changes: object) -> Finding:
    fields: dict[str, object] = {
        "analyte": "b12",
        "value": 190,
        "unit": "ng/L",
        "canonical_value": 190,
        "canonical_unit": "ng/L",
        "category": "indeterminate",
        "summary": "Vitamin B12 190 ng/L (140.18 pmol/L): Indeterminate",
        "near_threshold": True,
        "sources": [SourceRef(doc_id="nice-test", title="T", section="Total B12 thresholds")],
        "thresholds": ["Indeterminate: 180 ng/L to 350 ng/L inclusive"],
    }
    fields.update(changes)
    return Finding.model_validate(fields)


def test_lab_block_cites_rule_sources_and_flags_near_thresholds(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    nice = lookup.section("nice-test", "Total B12 thresholds")[0]
    sfar = lookup.section("sfar-test", "Intensive care B12 cut-off")[0]
    report = LabReport(
        findings=[_finding()],
        conflicts=[
            Conflict(
                analyte="b12",
                summary="Deficient under the SFAR rule (below 150 pmol/L)",
                sources=[SourceRef(doc_id="sfar-test", title="S", section=sfar.section)],
            )
        ],
        errors=[LabError(input="B12 150", code="MISSING_UNIT", message="give the unit")],
    )
    labs = LabEvidence(
        report,
        {("nice-test", nice.section): nice, ("sfar-test", sfar.section): sfar},
    )
    registry = CitationRegistry()
    body = compose_body(
        None, Evidence([]), registry, b12_language, labs=labs, vectors=WordVectors()
    )
    answer, details = body.split(f"\n\n{LAB_HEADING}\n\n")
    assert answer == "- Vitamin B12 190 ng/L (140.18 pmol/L): Indeterminate [1]."
    assert NEAR_THRESHOLD_NOTE in details
    assert "**Where sources differ:** Deficient under the SFAR rule (below 150 pmol/L) [2]." in body
    assert "**Not interpreted** (B12 150): give the unit." in body
    assert registry.passages == [nice, sfar]


def test_near_threshold_note_is_not_repeated_when_the_tool_says_so(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    finding = _finding(summary="Vitamin B12 190 ng/L: Indeterminate. Near the 180 ng/L cut-off")
    body = compose_body(
        None,
        Evidence([]),
        CitationRegistry(),
        b12_language,
        labs=LabEvidence(LabReport(findings=[finding])),
        vectors=WordVectors(),
    )
    assert NEAR_THRESHOLD_NOTE not in body


def test_lab_notes_stand_as_their_own_lines_under_the_test_they_concern() -> None:
    from assistant.answer.lab_section import render_lab_details
    from tests.unit.evaluation.builders import finding, labs

    shared = "Age was not mentioned: adult cut-offs were used."
    b12 = finding(240).model_copy(update={"notes": [shared], "analyte_name": "Vitamin B12"})
    mma = finding(390, "nmol/L", "not_elevated", "mma").model_copy(
        update={"notes": [shared, "Kidney function was not given."], "analyte_name": "MMA"}
    )
    details = render_lab_details(LabEvidence(labs(b12, mma)), CitationRegistry())

    lines = details.splitlines()[2:]
    assert lines == [f"- {shared}", "- **MMA:** Kidney function was not given."]
