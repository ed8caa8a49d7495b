"""The in-scope decision (assistant.retrieval.scope) over the real corpus's vocabulary.

The out-of-scope questions here are deliberately not the evaluation's: the rule must be general.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.domain.language import DomainLanguage
from assistant.question.followup import ResolvedQuestion
from assistant.retrieval.scope import CorpusVocabulary, in_scope, read_scope
from assistant.schema import DocumentMeta, Passage
from assistant.sources.lookup import CorpusLookup


@pytest.fixture(scope="module")
def vocabulary(b12_language: DomainLanguage) -> CorpusVocabulary:
    corpus_dir: Path = Settings().corpus_dir  # the project's own corpus: data, no model
    passages = CorpusLookup(corpus_dir).all_passages()
    assert passages
    return CorpusVocabulary((f"{p.section} {p.text}" for p in passages), b12_language.vocabulary)


def passage(text: str, section: str = "A section") -> Passage:
    doc = DocumentMeta(
        doc_id="doc",
        title="A document",
        source_type="Guideline",
        publisher="A publisher",
        year=2024,
        review_status="approved",
        last_reviewed="2026-01-01",
    )
    return Passage(chunk_id=f"doc:{section}", doc=doc, section=section, text=text)


B12_DOSE = passage(
    "Oral vitamin B12 at a dose of at least 1 mg daily is recommended when malabsorption is the "
    "cause. The normal range of methylmalonic acid is lower in young adults.",
    "Oral dose when malabsorption is the cause",
)


@pytest.mark.parametrize(
    "question",
    [
        "dose of ibuprofen for back pain",
        "what LDL target after a heart attack?",
        "normal range for potassium?",
        "how much vitamin C per day?",
        "how should vitamin D deficiency be treated?",
        "vitamin B6 dose for nausea in pregnancy",
        "best time to take omeprazole",
    ],
)
def test_a_question_about_something_the_corpus_never_mentions_is_out_of_scope(
    question: str, vocabulary: CorpusVocabulary, b12_language: DomainLanguage
) -> None:
    reading = read_scope(question, vocabulary, b12_language)
    assert not reading.names_subject
    assert reading.mainly_foreign, reading
    resolved = ResolvedQuestion(question=question, context="")
    assert not in_scope(resolved, [B12_DOSE], vocabulary, b12_language)


@pytest.mark.parametrize(
    "question",
    [
        "does metformin cause B12 deficiency?",
        "Is hydroxocobalamin better than cyanocobalamin?",
        "can PPIs cause pernicious anaemia?",
        "what MCV means macrocytosis?",
        "statin users with low ferritin: iron tablets?",
    ],
)
def test_a_question_naming_a_subject_of_the_corpus_is_in_scope(
    question: str, vocabulary: CorpusVocabulary, b12_language: DomainLanguage
) -> None:
    assert b12_language.names_subject(question)
    resolved = ResolvedQuestion(question=question, context="")
    assert in_scope(resolved, [B12_DOSE], vocabulary, b12_language)


@pytest.mark.parametrize(
    ("question", "passage_text"),
    [
        (
            "laughing gas user with numb feet, which test?",
            "Recreational nitrous oxide users with neuropathy: measure methylmalonic acid.",
        ),
        ("normal range for methymalonic acid?", "The methylmalonic acid reference range."),
        ("how long will I need the jabs?", "Intramuscular injections continue lifelong."),
    ],
)
def test_a_lay_question_in_the_corpus_words_is_in_scope(
    question: str, passage_text: str, vocabulary: CorpusVocabulary, b12_language: DomainLanguage
) -> None:
    reading = read_scope(question, vocabulary, b12_language)
    assert not reading.names_subject
    assert not reading.mainly_foreign, reading
    resolved = ResolvedQuestion(question=question, context="")
    assert in_scope(resolved, [passage(passage_text)], vocabulary, b12_language)
    assert not in_scope(
        resolved, [passage("Review the full blood count.")], vocabulary, b12_language
    )


def test_known_words_the_passages_do_not_contain_are_not_enough(
    vocabulary: CorpusVocabulary,
    b12_language: DomainLanguage,
) -> None:
    # "liver" and "alcohol" occur in the corpus (causes of macrocytosis), not in these passages.
    resolved = ResolvedQuestion(question="how much alcohol harms the liver?", context="")
    assert not read_scope(resolved.question, vocabulary, b12_language).mainly_foreign
    assert not in_scope(resolved, [passage("Review after three months.")], vocabulary, b12_language)


def test_a_word_the_corpus_never_uses_is_foreign_even_one_letter_from_a_corpus_word(
    vocabulary: CorpusVocabulary, b12_language: DomainLanguage
) -> None:
    # "pressure" is not in the corpus; "press" is, two letters away: no typo correction.
    reading = read_scope("what is a normal blood pressure?", vocabulary, b12_language)
    assert reading.foreign == ("pressur",)
    assert reading.mainly_foreign


def test_a_follow_up_is_judged_on_its_own_words(
    vocabulary: CorpusVocabulary, b12_language: DomainLanguage
) -> None:
    on_topic = ResolvedQuestion(question="and for how long?", context="b12 treatment")
    off_topic = ResolvedQuestion(question="what about statins?", context="b12 treatment")
    lifelong = passage("Treatment continues lifelong when the cause persists.")
    assert in_scope(on_topic, [lifelong], vocabulary, b12_language)
    assert not in_scope(off_topic, [lifelong], vocabulary, b12_language)
    assert not in_scope(on_topic, [], vocabulary, b12_language)


def test_another_vitamin_is_another_subject_even_beside_the_word_deficiency(
    vocabulary: CorpusVocabulary,
    b12_language: DomainLanguage,
) -> None:
    reading = read_scope("vitamin D deficiency treatment", vocabulary, b12_language)
    assert "vitamin d" in reading.foreign
    assert not b12_language.names_subject("vitamin K dose before surgery")
    assert b12_language.names_subject("vitamin B12 dose")
    assert b12_language.names_subject("vitamin b-12 injections")
