"""The model's text cut at sentence ends while it streams, and when the guard's verdict makes it
give way to the offline answer (every sentence or more than half of them removed)."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant.answer.llm_stream import (
    ModelDraft,
    complete_part,
    model_drafts,
    sentence_count,
    unverified,
)

REPLY = (
    "Deficiency is confirmed below 180 ng/L [1]. Oral doses work [2].\n\n"
    "### Treatment\n\n- Give 1 mg daily [2]. Review at 3 months [3]."
)


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("", ""),
        ("Deficiency is confirmed below 180", ""),
        ("Deficiency is confirmed below 180 ng/L [1].", ""),  # its end may be "e.g." + more
        (
            "Deficiency is confirmed below 180 ng/L [1]. Or",
            "Deficiency is confirmed below 180 ng/L [1].",
        ),
        ("Below 180 ng/L, e.g. in adults", ""),  # "e.g." ends no sentence
        ("Below 180 ng/L [1].\n", "Below 180 ng/L [1]."),  # a line end ends it
        ("Below 180 ng/L [1].\n\n### Treat", "Below 180 ng/L [1]."),  # a heading: at its line end
        ("Below 180 ng/L [1].\n\n### Treatment\n", "Below 180 ng/L [1].\n\n### Treatment"),
        ("A [1].\n\n- Give 1 mg daily [2]. Rev", "A [1].\n\n- Give 1 mg daily [2]."),
    ],
)
def test_only_complete_sentences_are_ready(text: str, complete: str) -> None:
    assert complete_part(text) == complete


def test_sentences_are_counted_as_the_guard_reads_them() -> None:
    assert sentence_count(REPLY) == 5  # four sentences and a heading
    assert sentence_count("") == 0


@pytest.mark.parametrize(
    ("removed", "gives_way"),
    [(0, False), (1, False), (2, False), (3, True), (5, True)],
)
def test_the_model_gives_way_when_more_than_half_is_removed(removed: int, gives_way: bool) -> None:
    # Five sentences: two removed keep the model's answer, three (more than half) do not.
    assert unverified(REPLY, ["a sentence"] * removed) is gives_way


def test_an_answer_without_any_sentence_gives_way() -> None:
    assert unverified("", [])
    assert unverified("\n\n", [])


def test_a_streamed_reply_comes_sentence_by_sentence_and_whole_at_the_end() -> None:
    model = GenericFakeChatModel(messages=iter([REPLY]))  # streams word by word
    drafts = list(model_drafts(model, [("human", "q")], stream=True))

    *partial, last = drafts
    assert last == ModelDraft(REPLY, final=True)
    assert [draft.text for draft in partial] == [
        "Deficiency is confirmed below 180 ng/L [1].",
        "Deficiency is confirmed below 180 ng/L [1]. Oral doses work [2].",
        "Deficiency is confirmed below 180 ng/L [1]. Oral doses work [2].\n\n### Treatment",
        "Deficiency is confirmed below 180 ng/L [1]. Oral doses work [2].\n\n### Treatment"
        "\n\n- Give 1 mg daily [2].",
    ]
    assert not any(draft.final for draft in partial)
    assert all(REPLY.startswith(draft.text) for draft in partial)


def test_a_reply_asked_whole_is_one_final_draft() -> None:
    model = GenericFakeChatModel(messages=iter([REPLY]))
    assert list(model_drafts(model, [("human", "q")], stream=False)) == [
        ModelDraft(REPLY, final=True)
    ]
