"""Follow-up resolution against the conversation, and history normalisation."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.followup import Turn, looks_like_followup, resolve_followup, turns_from

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
