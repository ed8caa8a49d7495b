"""Follow-up resolution against the conversation, and history normalisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from labtool.report import LabReport

from assistant.domain.language import DomainLanguage
from assistant.question.followup import (
    Turn,
    looks_like_followup,
    resolve_followup,
    turns_from,
)
from assistant.routing.route import route_message

HISTORY = [
    Turn("user", "How should vitamin B12 deficiency be treated?"),
    Turn("assistant", "Oral B12 at 1 mg daily [1]."),
]


@pytest.mark.parametrize(
    "message", ["and for how long?", "what about in pregnancy?", "Is it safe?", "How often?"]
)
def test_short_dependent_messages_are_follow_ups(
    message: str, b12_language: DomainLanguage
) -> None:
    assert looks_like_followup(message, b12_language)


@pytest.mark.parametrize(
    "message",
    [
        "What is the MMA cut-off for functional B12 deficiency?",
        "Which ferritin level confirms iron deficiency in adults without inflammation?",
    ],
)
def test_self_contained_questions_are_not_follow_ups(
    message: str, b12_language: DomainLanguage
) -> None:
    assert not looks_like_followup(message, b12_language)


def test_follow_up_carries_the_earlier_topic_and_expands_its_own_words(
    b12_language: DomainLanguage,
) -> None:
    resolved = resolve_followup("and for how long?", HISTORY, b12_language)
    assert resolved.is_followup
    assert resolved.context == "vitamin b12 deficiency treated"
    assert "duration" in resolved.focus
    assert resolved.search_text.startswith("and for how long?")
    assert resolved.search_text.endswith("vitamin b12 deficiency treated")


def test_without_history_nothing_is_carried_over(b12_language: DomainLanguage) -> None:
    resolved = resolve_followup("and for how long?", [], b12_language)
    assert not resolved.is_followup
    assert resolved.search_text.startswith("and for how long?")


def test_chain_of_follow_ups_reaches_back_to_the_topic_setting_question(
    b12_language: DomainLanguage,
) -> None:
    history = [*HISTORY, Turn("user", "what about in pregnancy?"), Turn("assistant", "...")]
    resolved = resolve_followup("and for how long?", history, b12_language)
    assert resolved.context.startswith("vitamin b12 deficiency treated")
    assert "pregnancy" in resolved.context


def test_lab_values_of_an_earlier_turn_are_not_topic_words(b12_language: DomainLanguage) -> None:
    history = [Turn("user", "B12 240 ng/L in a woman aged 70")]
    resolved = resolve_followup("what next?", history, b12_language)
    assert "240" not in resolved.context
    assert "b12" in resolved.context


def test_turns_from_reads_cli_and_gradio_shapes_and_skips_source_cards() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "B12 question"},
        {"role": "assistant", "content": [{"type": "text", "text": "An answer"}]},
        {"role": "assistant", "content": "passage", "metadata": {"title": "Source 1"}},
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "   "},
    ]
    assert turns_from(messages) == [Turn("user", "B12 question"), Turn("assistant", "An answer")]
    assert turns_from(None) == []


def _route(text: str, history: list[Turn], language: DomainLanguage) -> LabReport | None:
    """The lab tool's report on a message, read with the B12 pack's real rules."""
    from labtool.interpret import interpret

    from assistant.config import PROJECT_ROOT
    from assistant.sources.lookup import load_pack_rules

    pack = PROJECT_ROOT / "corpus" / "b12"
    rules = load_pack_rules(pack / "rules.yaml", pack)

    def lab_tool(message: str, assumed: Sequence[str]) -> LabReport | None:
        report = interpret(message, rules, assumed)
        return None if report.empty else report

    return route_message(text, history, lab_tool, language).report


def test_a_bare_value_is_read_as_the_one_test_the_conversation_is_about(
    b12_language: DomainLanguage,
) -> None:
    history = [Turn("user", "What does an indeterminate B12 mean?"), Turn("assistant", "...")]
    report = _route("Her result was 175 ng/L.", history, b12_language)
    assert report is not None
    assert [(f.analyte, f.value, f.unit) for f in report.findings] == [("b12", 175.0, "ng/L")]


def test_a_bare_value_two_discussed_tests_accept_is_left_ambiguous(
    b12_language: DomainLanguage,
) -> None:
    history = [Turn("user", "Her total B12 and active B12 were both checked.")]
    report = _route("It was 30 pmol/L.", history, b12_language)
    assert report is not None
    assert report.findings == []
    assert [e.code for e in report.errors] == ["AMBIGUOUS_ANALYTE"]


def test_a_unit_the_discussed_test_does_not_use_is_not_attributed_to_it(
    b12_language: DomainLanguage,
) -> None:
    history = [Turn("user", "What does a low active B12 mean?")]
    report = _route("It was 175 ng/L.", history, b12_language)
    assert report is not None
    assert report.findings == []
    assert [e.code for e in report.errors] == ["NO_ANALYTE"]


def test_the_latest_user_turn_naming_a_test_decides(b12_language: DomainLanguage) -> None:
    history = [
        Turn("user", "What does a low active B12 mean?"),
        Turn("assistant", "Total B12 and methylmalonic acid are discussed here."),
        Turn("user", "And what about total B12 then?"),
    ]
    report = _route("She had 200 pmol/L.", history, b12_language)
    assert report is not None
    assert [(f.analyte, f.unit) for f in report.findings] == [("b12", "pmol/L")]


def test_without_a_test_in_the_conversation_a_bare_value_stays_unresolved(
    b12_language: DomainLanguage,
) -> None:
    history = [Turn("user", "How is the deficiency treated?")]
    report = _route("It was 175 ng/L.", history, b12_language)
    assert report is not None
    assert report.findings == []
    assert [e.code for e in report.errors] == ["NO_ANALYTE"]
