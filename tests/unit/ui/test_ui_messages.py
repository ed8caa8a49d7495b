"""Answer -> chat messages: order, citations, escaping, streaming, history."""

from __future__ import annotations

from labtool.report import Finding, LabError, LabReport, SourceRef

from assistant.app import messages as ui_messages
from assistant.app.messages import ChatMessage
from assistant.schema import AnswerResult
from tests.unit.ui.conftest import make_citation


def title(message: ChatMessage) -> str | None:
    return message.get("metadata", {}).get("title")


def test_a_turn_is_a_sources_card_with_one_nested_card_per_citation_then_the_answer(
    cited_answer: AnswerResult,
) -> None:
    messages = ui_messages.answer_messages(cited_answer, turn_id="7")

    header, first, second, answer = messages
    assert header["metadata"]["title"] == "Sources: 2 cited passages from 2 documents"
    assert header["metadata"]["id"] == "sources-7"
    assert [title(first), title(second)] == [
        "[1] Guideline bsh-cobalamin — Diagnosis > Part 1",
        "[2] Guideline praxis-b12 — Diagnosis > Part 2",
    ]
    assert {first["metadata"]["parent_id"], second["metadata"]["parent_id"]} == {"sources-7"}
    assert all(m["metadata"]["status"] == "done" for m in (header, first, second))
    assert "Passage 1 of bsh-cobalamin" in first["content"]
    assert "Passage 2 of praxis-b12" in second["content"]
    assert "metadata" not in answer
    assert answer["content"] == cited_answer.answer


def test_sources_card_counts_documents_and_review_statuses() -> None:
    citations = [
        make_citation(1, "a"),
        make_citation(2, "a", review_status="submitted"),
        make_citation(3, "b", review_status="submitted"),
    ]

    header, *_ = ui_messages.sources_messages(citations, turn_id="1")

    assert header["metadata"]["title"] == "Sources: 3 cited passages from 2 documents"
    assert header["metadata"]["log"] == "2 submitted · 1 approved"


def test_each_source_card_carries_review_status_and_last_reviewed_date(
    cited_answer: AnswerResult,
) -> None:
    _, first, second, _ = ui_messages.answer_messages(cited_answer)

    assert [first["metadata"]["log"], second["metadata"]["log"]] == ["Approved", "Under review"]
    assert "Approved, last reviewed 2025-01-15" in first["content"]
    assert "Under review, last reviewed 2025-02-15" in second["content"]


def test_html_in_answers_and_passages_is_shown_as_text_not_markup() -> None:
    hostile = AnswerResult(
        answer='B12 <180 ng/L <img src=x onerror="alert(1)"> [1]',
        citations=[
            make_citation(
                1, "doc", text="<script>alert('x')</script> & <b>bold</b>", title="<i>T</i>"
            )
        ],
    )

    messages = ui_messages.answer_messages(hostile)
    shown = "\n".join(m["content"] for m in messages)

    assert "<" not in shown
    assert "&lt;img src=x" in shown
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in shown


def test_refusal_without_sources_is_a_single_message() -> None:
    refusal = AnswerResult(answer="The corpus does not cover this question.", refused=True)

    messages = ui_messages.answer_messages(refusal)

    assert messages == [
        {"role": "assistant", "content": "The corpus does not cover this question."}
    ]


def test_lab_findings_get_their_own_collapsed_card_after_the_sources() -> None:
    ref = SourceRef(doc_id="bsh", title="BSH", section="Thresholds")
    labs = LabReport(
        findings=[
            Finding(
                analyte="b12",
                value=150,
                unit="ng/L",
                canonical_value=150,
                canonical_unit="ng/L",
                category="deficient",
                summary="150 ng/L is in the deficient band",
                near_threshold=False,
                sources=[ref],
            )
        ],
        errors=[LabError(input="B12 -3", code="impossible", message="negative value")],
    )
    result = AnswerResult(answer="Deficient [1].", citations=[make_citation(1, "bsh")], labs=labs)

    messages = ui_messages.answer_messages(result)

    assert [title(m) for m in messages] == [
        "Sources: 1 cited passage from 1 document",
        "[1] Guideline bsh — Diagnosis > Part 1",
        ui_messages.LABS_TITLE,
        None,
    ]
    assert "150 ng/L is in the deficient band" in messages[2]["content"]
    assert "negative value" in messages[2]["content"]


def test_empty_lab_report_adds_no_card() -> None:
    result = AnswerResult(answer="No labs.", labs=LabReport())

    assert len(ui_messages.answer_messages(result)) == 1


def test_streaming_shows_the_sources_then_prefixes_of_the_answer_then_the_whole_turn(
    cited_answer: AnswerResult,
) -> None:
    long_answer = cited_answer.model_copy(
        update={"answer": " ".join(f"word{i}" for i in range(50)) + " [1]."}
    )

    frames = list(ui_messages.streaming_frames(long_answer, turn_id="3", words_per_frame=10))

    final = ui_messages.answer_messages(long_answer, turn_id="3")
    assert frames[-1] == final
    partial = [frame[-1]["content"] for frame in frames[:-1]]
    assert len(partial) == 5
    assert all(final[-1]["content"].startswith(text) for text in partial)
    assert [len(text) for text in partial] == sorted(len(text) for text in partial)
    assert all(frame[:-1] == final[:-1] for frame in frames)  # evidence cards never change


def test_short_answer_streams_as_one_frame(cited_answer: AnswerResult) -> None:
    frames = list(ui_messages.streaming_frames(cited_answer, words_per_frame=100))

    assert frames == [ui_messages.answer_messages(cited_answer)]


def test_history_for_assistant_keeps_questions_and_answers_only(
    cited_answer: AnswerResult,
) -> None:
    turn = ui_messages.answer_messages(cited_answer)
    history = [
        {"role": "user", "content": [{"type": "text", "text": "What is &lt;180 ng/L?"}]},
        *turn,
        {"role": "user", "content": "And MMA?"},
    ]

    messages = ui_messages.history_for_assistant(history)

    assert messages == [
        {"role": "user", "content": "What is <180 ng/L?"},
        {"role": "assistant", "content": cited_answer.answer},
        {"role": "user", "content": "And MMA?"},
    ]


def test_question_before_finds_the_user_message_a_turn_replies_to() -> None:
    history: list[dict[str, object]] = [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": [{"type": "text", "text": "second &lt;b&gt;"}]},
        {"role": "assistant", "content": "", "metadata": {"title": "Sources: 1"}},
        {"role": "assistant", "content": "a2"},
    ]

    assert ui_messages.question_before(history, 1) == "first"
    assert ui_messages.question_before(history, 3) == "second <b>"
    assert ui_messages.question_before(history, 0) == ""


def test_users_html_is_escaped_once_however_often_the_chat_is_redrawn() -> None:
    history = [
        {"role": "user", "content": "<img src=x> & 5 < 6"},
        {"role": "assistant", "content": "<kept as the app wrote it>"},
    ]

    once = ui_messages.escape_user_messages(history)
    twice = ui_messages.escape_user_messages(once)

    assert once == twice
    assert once[0] == {"role": "user", "content": "&lt;img src=x> & 5 &lt; 6"}
    assert once[1] == history[1]


def test_error_message_is_escaped() -> None:
    (message,) = ui_messages.error_messages("question is <empty>")

    assert message["content"] == "⚠ question is &lt;empty&gt;"
