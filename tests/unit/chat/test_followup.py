"""Follow-up resolution against the conversation, and history normalisation."""

from __future__ import annotations

from typing import Any

import pytest
from labtool.report import LabError, LabReport

from assistant.question.followup import (
    Turn,
    looks_like_followup,
    name_bare_values,
    resolve_followup,
    turns_from,
)

HISTORY = [
    Turn("user", "How should vitamin B12 deficiency be treated?"),
    Turn("assistant", "Oral B12 at 1 mg daily [1]."),
]


@pytest.mark.parametrize(
    "message", ["and for how long?", "what about in pregnancy?", "Is it safe?", "How often?"]
)
def test_short_dependent_messages_are_follow_ups(message: str) -> None:
    assert looks_like_followup(message)


@pytest.mark.parametrize(
    "message",
    [
        "What is the MMA cut-off for functional B12 deficiency?",
        "Which ferritin level confirms iron deficiency in adults without inflammation?",
    ],
)
def test_self_contained_questions_are_not_follow_ups(message: str) -> None:
    assert not looks_like_followup(message)


def test_follow_up_carries_the_earlier_topic_and_expands_its_own_words() -> None:
    resolved = resolve_followup("and for how long?", HISTORY)
    assert resolved.is_followup
    assert resolved.context == "vitamin b12 deficiency treated"
    assert "duration" in resolved.focus
    assert resolved.search_text.startswith("and for how long?")
    assert resolved.search_text.endswith("vitamin b12 deficiency treated")


def test_without_history_nothing_is_carried_over() -> None:
    resolved = resolve_followup("and for how long?", [])
    assert not resolved.is_followup
    assert resolved.search_text.startswith("and for how long?")


def test_chain_of_follow_ups_reaches_back_to_the_topic_setting_question() -> None:
    history = [*HISTORY, Turn("user", "what about in pregnancy?"), Turn("assistant", "...")]
    resolved = resolve_followup("and for how long?", history)
    assert resolved.context.startswith("vitamin b12 deficiency treated")
    assert "pregnancy" in resolved.context


def test_lab_values_of_an_earlier_turn_are_not_topic_words() -> None:
    history = [Turn("user", "B12 240 ng/L in a woman aged 70")]
    resolved = resolve_followup("what next?", history)
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


def no_analyte(value: str) -> LabReport:
    message = f"'{value}' has a lab unit but no test name before it"
    return LabReport(errors=[LabError(input=value, code="NO_ANALYTE", message=message)])


UNITS = {"b12": frozenset({"ng/L", "pg/mL", "pmol/L"}), "holotc": frozenset({"pmol/L"})}


def test_a_bare_value_is_named_after_the_one_test_the_conversation_is_about() -> None:
    history = [Turn("user", "What does an indeterminate B12 mean?"), Turn("assistant", "...")]
    bare = name_bare_values("Her result was 175 ng/L.", no_analyte("175 ng/L"), history, UNITS)
    assert bare is not None
    assert bare.text == "Her result was b12 175 ng/L."
    assert bare.ambiguous == {}


def test_a_bare_value_two_discussed_tests_accept_is_left_ambiguous() -> None:
    history = [Turn("user", "Her total B12 and active B12 were both checked.")]
    bare = name_bare_values("It was 30 pmol/L.", no_analyte("30 pmol/L"), history, UNITS)
    assert bare is not None
    assert bare.text == "It was 30 pmol/L."
    assert bare.ambiguous == {"30 pmol/L": ("b12", "holotc")}


def test_a_unit_the_discussed_test_does_not_use_is_not_attributed_to_it() -> None:
    history = [Turn("user", "What does a low active B12 mean?")]
    assert name_bare_values("It was 175 ng/L.", no_analyte("175 ng/L"), history, UNITS) is None


def test_the_latest_user_turn_naming_a_test_decides() -> None:
    history = [
        Turn("user", "What does a low active B12 mean?"),
        Turn("assistant", "Total B12 and methylmalonic acid are discussed here."),
        Turn("user", "And what about total B12 then?"),
    ]
    bare = name_bare_values("She had 200 pmol/L.", no_analyte("200 pmol/L"), history, UNITS)
    assert bare is not None
    assert bare.text == "She had b12 200 pmol/L."


def test_without_a_test_in_the_conversation_a_bare_value_stays_unresolved() -> None:
    history = [Turn("user", "How is the deficiency treated?")]
    assert name_bare_values("It was 175 ng/L.", no_analyte("175 ng/L"), history, UNITS) is None
    assert name_bare_values("It was 175 ng/L.", LabReport(), HISTORY, UNITS) is None
