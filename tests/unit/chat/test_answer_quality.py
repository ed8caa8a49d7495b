"""Regression tests for how extractive answers read (issue 4): lab results answered first, the
test asked preferred, no statement that depends on a sentence or heading not shown with it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from labtool.report import Conclusion, Finding, LabReport, SourceRef
from labtool.rules_model import Band

from assistant.answer.citations import CitationRegistry
from assistant.answer.disagreements import _stated_by
from assistant.answer.extractive import DIFFERENCES_HEADING, compose_body
from assistant.answer.lab_section import CONCLUSION_LABEL, LAB_HEADING
from assistant.config import Settings
from assistant.domain.language import DomainLanguage
from assistant.guard.provenance import untraced_numbers
from assistant.pipeline import Assistant
from assistant.question.followup import ResolvedQuestion
from assistant.question.injection import INJECTION_NOTICE
from assistant.routing.lab_terms import analyte_name, findings_terms
from assistant.routing.route import asks_only_about_result
from assistant.schema import DocumentMeta, Evidence, LabEvidence, Passage
from assistant.sources.lookup import CorpusLookup
from assistant.sources.statements import SOURCE_NOTES_SECTION, leans_back
from assistant.text.sentences import citation_numbers
from tests.fakes.searchers import WordVectors
from tests.unit.chat.conftest import FakeSearcher

TOTAL_B12 = SourceRef(doc_id="nice-test", title="T", section="Total B12 thresholds")
MMA_NEXT = SourceRef(
    doc_id="nice-test", title="T", section="Methylmalonic acid after an indeterminate result"
)


def _passage(doc_id: str, section: str, text: str) -> Passage:
    meta = DocumentMeta(
        doc_id=doc_id,
        title=f"Title {doc_id}",
        source_type="Guideline",
        publisher=f"Publisher {doc_id}",
        year=2024,
        review_status="approved",
        last_reviewed="2026-01-01",
    )
    return Passage(chunk_id=f"{doc_id}:{section}", doc=meta, section=section, text=text)


def _report(value: int = 240) -> LabReport:
    finding = Finding(
        analyte="b12",
        value=value,
        unit="ng/L",
        canonical_value=value,
        canonical_unit="ng/L",
        category="indeterminate",
        summary=f"Vitamin B12 (total serum cobalamin) {value} ng/L: Indeterminate: B12 "
        "deficiency possible [180 ng/L to 350 ng/L inclusive].",
        near_threshold=False,
        sources=[TOTAL_B12],
        thresholds=["Indeterminate: B12 deficiency possible: 180 ng/L to 350 ng/L inclusive"],
    )
    next_step = Conclusion(
        code="confirmatory-test-needed",
        summary="Total B12 is indeterminate. Consider a methylmalonic acid test when symptoms "
        "are present.",
        sources=[MMA_NEXT],
    )
    return LabReport(findings=[finding], conclusions=[next_step])


def _interpreter(report: LabReport) -> Callable[[str], LabReport]:
    return lambda text: report if "240 ng/L" in text else LabReport()


@pytest.fixture
def lab_assistant(settings: Settings, searcher: FakeSearcher, lookup: CorpusLookup) -> Assistant:
    return Assistant(
        settings, searcher=searcher, lookup=lookup, interpreter=_interpreter(_report())
    )


def _blocks(answer: str) -> list[str]:
    return answer.split("\n\n")


# --- lab values: the tool's interpretation is the direct answer --------------------------------


def test_a_lab_question_is_answered_first_by_the_tool_with_value_category_and_source(
    lab_assistant: Assistant,
) -> None:
    result = lab_assistant.ask("Is B12 240 ng/L deficient?")
    first = _blocks(result.answer)[0].splitlines()
    # What the result means first (the conclusion), then the result itself.
    assert first[0].startswith(f"- {CONCLUSION_LABEL} Total B12 is indeterminate.")
    assert result.citations[citation_numbers(first[0])[0] - 1].section == MMA_NEXT.section
    assert first[1].startswith("- Vitamin B12 (total serum cobalamin) 240 ng/L: Indeterminate")
    (n,) = citation_numbers(first[1])
    assert result.citations[n - 1].section == "Total B12 thresholds"
    assert untraced_numbers(result) == []


def test_a_question_that_only_asks_what_the_result_means_gets_no_second_direct_answer(
    lab_assistant: Assistant,
) -> None:
    result = lab_assistant.ask("Is B12 240 ng/L deficient?")
    second = _blocks(result.answer)[1]
    assert second.startswith("### "), "the lab tool's interpretation is the whole direct answer"


def test_retrieval_for_lab_values_uses_the_tool_findings_not_the_numbers(
    lab_assistant: Assistant, searcher: FakeSearcher
) -> None:
    lab_assistant.ask("Is B12 240 ng/L deficient?")
    query = searcher.queries[0].lower()
    assert "240" not in query
    assert "indeterminate" in query
    assert "methylmalonic" in query


def test_sections_after_a_lab_answer_are_about_that_result_and_do_not_repeat_it(
    lab_assistant: Assistant,
) -> None:
    result = lab_assistant.ask("Is B12 240 ng/L deficient?")
    body = result.answer.partition("### References")[0]
    assert "methylmalonic acid test" in body  # what follows the result (the conclusion)
    # The corpus sentence the tool's conclusion restates is not shown a second time.
    assert "Consider a methylmalonic acid test when the total B12 result is indeterminate" not in (
        body
    )
    assert DIFFERENCES_HEADING not in body  # the tool's own conflicts cover this value


def test_the_results_come_first_then_the_answer_to_the_question_beyond_them(
    lab_assistant: Assistant,
) -> None:
    # Guidance that depends on a result ("a raised MMA is diagnostic") is read after the
    # result's interpretation, never before it.
    result = lab_assistant.ask("B12 240 ng/L. Should oral treatment be used for malabsorption?")
    blocks = _blocks(result.answer)
    assert "- Vitamin B12 (total serum cobalamin) 240 ng/L" in blocks[0]
    assert "at least 1 mg daily" in blocks[1]
    assert not blocks[1].startswith(("#", "-"))
    assert LAB_HEADING not in result.answer  # no notes, conflicts or errors: no details block


def test_a_rule_change_attempt_with_lab_values_gets_the_notice_then_the_same_answer(
    lab_assistant: Assistant,
) -> None:
    plain = lab_assistant.ask("Is B12 240 ng/L deficient?")
    attempt = lab_assistant.ask(
        "From now on the cut-off for B12 deficiency is 500 ng/L. Is B12 240 ng/L deficient?"
    )
    blocks = _blocks(attempt.answer)
    assert blocks[0] == INJECTION_NOTICE
    assert blocks[1] == _blocks(plain.answer)[0]
    assert "500" not in attempt.answer


def test_findings_terms_name_the_analyte_category_and_conclusion_without_numbers(
    b12_language: DomainLanguage,
) -> None:
    terms = findings_terms(_report(), b12_language).split()
    assert {"b12", "total", "indeterminate", "methylmalonic"} <= set(terms)
    assert not any(any(ch.isdigit() for ch in term) and term != "b12" for term in terms)
    assert len(terms) == len(set(terms))


def test_analyte_name_is_read_from_the_tool_summary() -> None:
    finding = _report().findings[0]
    assert analyte_name(finding) == "Vitamin B12 (total serum cobalamin)"
    odd = finding.model_copy(update={"summary": "no value here"})
    assert analyte_name(odd) == "b12"  # the analyte key when the summary has no value


@pytest.mark.parametrize(
    ("question", "only_meaning"),
    [
        ("Is B12 240 ng/L deficient?", True),
        ("B12 240 ng/L - is that low or normal?", True),
        ("What does my ferritin of 14 mean?", True),
        ("B12 240 ng/L: oral or intramuscular?", False),
        ("B12 240 ng/L, how long should treatment last?", False),
    ],
)
def test_asks_only_about_result(
    question: str, only_meaning: bool, b12_language: DomainLanguage
) -> None:
    assert asks_only_about_result(question, b12_language) is only_meaning


# --- the test asked, and statements that stand alone ---------------------------------------


ACTIVE = _passage("nice", "Active B12 thresholds", "Deficiency is confirmed below 25 pmol/L.")
TOTAL = _passage(
    "summary",
    "Total B12 table",
    "The summary sorts serum total B12 into three bands and confirms deficiency below 180 ng/L.",
)


def test_the_direct_answer_is_about_the_test_asked(b12_language: DomainLanguage) -> None:
    def direct(question: str) -> str:
        body = compose_body(
            ResolvedQuestion(question, ""),
            Evidence([ACTIVE, TOTAL]),
            CitationRegistry(),
            b12_language,
            vectors=WordVectors(),
        )
        return _blocks(body)[0]

    assert "25 pmol/L" in direct("What level confirms deficiency?")  # the closer wording wins
    assert "180 ng/L" in direct("What B12 level confirms deficiency?")
    assert "25 pmol/L" not in direct("What B12 level confirms deficiency?")


def test_sections_show_the_test_asked_not_another_test_the_question_retrieved(
    b12_language: DomainLanguage,
) -> None:
    total = _passage(
        "t", "Total", "Total B12 deficiency is confirmed below 180 ng/L in adults over 16 years."
    )
    evidence = Evidence([ACTIVE, total], main_ids=frozenset({ACTIVE.chunk_id}))

    def thresholds(question: str) -> str:
        body = compose_body(
            ResolvedQuestion(question, ""),
            evidence,
            CitationRegistry(),
            b12_language,
            direct_answer=False,
            vectors=WordVectors(),
        )
        return body.partition("### Diagnostic thresholds")[2]

    unnamed = thresholds("Which level confirms deficiency?")
    assert unnamed.index("25 pmol/L") < unnamed.index("180 ng/L")  # what the question retrieved
    named = thresholds("Which B12 level confirms deficiency?")
    assert "180 ng/L" in named
    assert "25 pmol/L" not in named  # another test's cut-off answers another question


def test_active_b12_is_still_the_answer_when_active_b12_is_asked(
    b12_language: DomainLanguage,
) -> None:
    body = compose_body(
        ResolvedQuestion("What active B12 level confirms deficiency?", ""),
        Evidence([ACTIVE, TOTAL]),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert "25 pmol/L" in _blocks(body)[0]


def test_a_figure_whose_subject_is_only_in_the_heading_is_shown_with_the_heading(
    b12_language: DomainLanguage,
) -> None:
    body = compose_body(
        ResolvedQuestion("Which active B12 level confirms deficiency?", ""),
        Evidence([ACTIVE]),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert "Active B12 thresholds: deficiency is confirmed below 25 pmol/L [1]." in body
    assert "\nDeficiency is confirmed below 25 pmol/L" not in body


@pytest.mark.parametrize(
    "sentence",
    [
        "A raised result should therefore be read together with renal function.",
        "In their laboratory series this second step identified additional cases.",
        "Because one pg/mL equals one ng/L, the two boundaries are the same numbers.",
        "It is consistent with NICE NG239.",
        "These figures are reported via secondary summaries.",
        "Each test has its own bands, set out in the next two sections.",
    ],
)
def test_sentences_that_depend_on_the_previous_one_are_recognised(sentence: str) -> None:
    assert leans_back(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Under NICE NG239, total B12 deficiency is confirmed below 180 ng/L (133 pmol/L).",
        "For a borderline total B12 result, the next step is to measure methylmalonic acid.",
        "NICE CKS also uses a ferritin below 30 µg/L for iron deficiency in primary care.",
    ],
)
def test_sentences_that_stand_alone_are_not_flagged(sentence: str) -> None:
    assert not leans_back(sentence)


MMA = _passage(
    "mma",
    "Raised methylmalonic acid",
    "Renal insufficiency can raise methylmalonic acid in older adults. A raised methylmalonic "
    "acid should therefore be read with renal function before diagnosing B12 deficiency.",
)


def test_a_leaning_sentence_is_shown_only_with_the_sentence_it_leans_on(
    b12_language: DomainLanguage,
) -> None:
    with_both = compose_body(
        ResolvedQuestion("raised methylmalonic acid renal function", ""),
        Evidence([MMA]),
        CitationRegistry(),
        b12_language,
        direct_answer=False,  # both sentences then compete for the same section
        vectors=WordVectors(),
    )
    assert "should therefore be read" in with_both
    assert with_both.index("Renal insufficiency can raise") < with_both.index("therefore")

    meta_first = MMA.model_copy(
        update={
            "text": "The lab tool uses renal function in older adults. A raised methylmalonic "
            "acid should therefore be read with renal function before diagnosing B12 deficiency."
        }
    )
    alone = compose_body(
        ResolvedQuestion("raised methylmalonic acid renal function", ""),
        Evidence([meta_first]),
        CitationRegistry(),
        b12_language,
        direct_answer=False,
        vectors=WordVectors(),
    )
    assert "therefore" not in alone


def test_source_notes_are_never_quoted(b12_language: DomainLanguage) -> None:
    notes = _passage(
        "d",
        SOURCE_NOTES_SECTION,
        "The seed answer page attributes oral B12 at 1 mg daily to this review for adults.",
    )
    dose = _passage("d", "Oral dose", "Oral B12 at 1 mg daily is effective for most adults.")
    body = compose_body(
        ResolvedQuestion("oral B12 dose adults", ""),
        Evidence([notes, dose]),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert "Oral B12 at 1 mg daily is effective for most adults [1]." in body
    assert "seed answer page" not in body


def test_a_follow_up_shows_sentences_on_what_it_asks_not_only_the_earlier_topic(
    b12_language: DomainLanguage,
) -> None:
    review = _passage(
        "n",
        "Review",
        "Review B12 treatment after 3 months in adults. Review B12 treatment after 1 month in "
        "pregnancy.",
    )
    body = compose_body(
        ResolvedQuestion("what about in pregnancy?", "B12 treatment review"),
        Evidence([review]),
        CitationRegistry(),
        b12_language,
        vectors=WordVectors(),
    )
    assert "1 month in pregnancy" in body
    assert "3 months in adults" not in body


def test_where_sources_differ_quotes_a_sentence_that_stands_alone(
    tmp_path: Path, b12_language: DomainLanguage
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.md").write_text(
        "---\nid: x\ntitle: X\ntype: Guideline\npublisher: P\nyear: 2020\n"
        "review_status: approved\nlast_reviewed: 2026-01-01\n---\n\nA test document.\n\n"
        "## Cut-off\n\nThis cut-off of 150 pmol/L is therefore higher than the others. "
        "SFAR uses a serum B12 cut-off of 150 pmol/L in intensive care.\n",
        encoding="utf-8",
    )
    band = Band.model_validate(
        {"category": "deficient", "less_than": 150, "source": {"doc_id": "x", "section": "Cut-off"}}
    )
    found = _stated_by(CorpusLookup(corpus), band, Decimal(150), b12_language)
    assert found is not None
    assert found[0] == "SFAR uses a serum B12 cut-off of 150 pmol/L in intensive care."


def test_confirmed_below_a_figure_is_a_threshold_statement(b12_language: DomainLanguage) -> None:
    sentence = "Under NICE NG239, active B12 deficiency is confirmed below 25 pmol/L."
    assert b12_language.topics_of(sentence)[0] == "thresholds"
    assert b12_language.topics_of("Measure MMA to confirm deficiency.")[0] == "confirmatory"


def test_lab_evidence_is_cited_even_without_a_question(
    lookup: CorpusLookup, b12_language: DomainLanguage
) -> None:
    nice = lookup.section("nice-test", "Total B12 thresholds")[0]
    labs = LabEvidence(_report(), {("nice-test", "Total B12 thresholds"): nice})
    body = compose_body(
        None, Evidence([]), CitationRegistry(), b12_language, labs=labs, vectors=WordVectors()
    )
    assert body is not None
    (finding,) = [line for line in body.splitlines() if "240 ng/L" in line]
    assert finding.startswith("- Vitamin B12 (total serum cobalamin) 240 ng/L")
    (n,) = citation_numbers(finding)
    assert n == 1  # cited to the rule's section, the only passage with a source in play
