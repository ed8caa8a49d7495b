"""The app's event functions and settings checks, with a scripted assistant and no server."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import gradio as gr
import pytest
from pydantic import SecretStr, ValidationError

from assistant.app import messages as ui_messages
from assistant.app.feedback import FeedbackError, FeedbackStore, RatedAnswer, Rating, feedback_path
from assistant.app.handlers import ChatHandlers
from assistant.app.ui import ServeError, auth_from_settings, build_app
from assistant.config import MIN_PASSWORD_CHARS, ServeSettings, Settings, get_settings
from assistant.pipeline import AssistantError
from assistant.schema import AnswerResult
from tests.unit.ui.conftest import FakeAssistant

PASSWORD = "correct horse battery"


@pytest.fixture
def settings() -> Settings:
    return get_settings()


def handlers_for(settings: Settings, fake: FakeAssistant) -> ChatHandlers:
    return ChatHandlers.for_settings(settings, fake)


def like(index: int, liked: bool | str) -> gr.LikeData:
    return gr.LikeData(target=None, data={"index": index, "value": ["..."], "liked": liked})


def test_a_chat_turn_shows_progress_then_the_answer(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)
    handlers = handlers_for(settings, fake)

    frames = list(handlers.respond("  What threshold?  ", [], "patient", {}))

    first_messages, _ = frames[0]
    assert first_messages[0]["metadata"]["status"] == "pending"
    last_messages, turns = frames[-1]
    assert last_messages == ui_messages.answer_messages(cited_answer, turn_id="1")
    assert fake.calls == [("What threshold?", None, "patient")]
    assert turns[1].question == "What threshold?"
    assert turns[1].doc_ids == ["bsh-cobalamin", "praxis-b12"]


def test_each_answer_the_pipeline_yields_is_shown_as_it_comes(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    partial = cited_answer.model_copy(update={"answer": "Serum B12 below", "direct": ""})
    fake = FakeAssistant(cited_answer, partials=[partial])

    frames = list(handlers_for(settings, fake).turn("What threshold?", [], "clinician", {}))

    assert [frame.result for frame in frames] == [None, partial, cited_answer]
    assert frames[1].messages == ui_messages.answer_messages(partial, turn_id="1")
    assert frames[-1].turns[1].answer == cited_answer.answer  # the whole answer is rated


def test_a_follow_up_passes_the_conversation_as_asked_and_answered(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)
    handlers = handlers_for(settings, fake)
    history = [
        {"role": "user", "content": [{"type": "text", "text": "First question"}]},
        *ui_messages.answer_messages(cited_answer),
    ]

    *_, (_, turns) = handlers.respond("And in pregnancy?", history, "clinician", {})

    _, passed_history, _ = fake.calls[0]
    assert passed_history == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": cited_answer.answer},
    ]
    assert set(turns) == {len(history) + 1}  # the new answer follows the new question


def test_input_the_assistant_rejects_is_shown_as_a_message_not_raised(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer, error=AssistantError("the question is empty"))

    messages, turns = list(handlers_for(settings, fake).respond("   ", [], "clinician", {}))[-1]

    assert messages == ui_messages.error_messages("the question is empty")
    assert turns == {}


def test_an_unexpected_failure_is_logged_and_shown_as_a_short_message(
    settings: Settings, cited_answer: AnswerResult, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeAssistant(cited_answer, error=RuntimeError("index exploded"))
    handlers = handlers_for(settings, fake)

    with caplog.at_level(logging.ERROR, logger="assistant.app.handlers"):
        messages, _ = list(handlers.respond("What threshold?", [], "clinician", {}))[-1]

    assert "index exploded" not in messages[0]["content"]
    assert "⚠" in messages[0]["content"]
    assert "index exploded" in caplog.text


def test_an_unknown_audience_is_refused_before_asking(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)

    messages, _ = list(handlers_for(settings, fake).respond("What?", [], "robot", {}))[-1]

    assert "audience" in messages[0]["content"]
    assert fake.calls == []


def test_the_chat_api_follows_up_on_the_conversation_it_is_given(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    fake = FakeAssistant(cited_answer)
    history = [
        {"role": "user", "content": "What threshold?"},
        {"role": "assistant", "content": "Below 180 ng/L [1]."},
    ]

    answer = handlers_for(settings, fake).chat("And in pregnancy?", cast(Any, history))

    assert answer == cited_answer.answer
    assert fake.calls == [("And in pregnancy?", history, "clinician")]


def test_the_ask_api_returns_the_whole_answer_as_json(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    payload = handlers_for(settings, FakeAssistant(cited_answer)).ask("q", None, "patient")

    assert AnswerResult.model_validate(json.loads(json.dumps(payload))) == cited_answer


def test_api_errors_carry_the_message_but_no_server_path(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    secret = "/srv/clinic/private/rules.yaml"
    fake = FakeAssistant(cited_answer, error=AssistantError(f"cannot read {secret}: denied"))
    handlers = handlers_for(settings, fake)

    with pytest.raises(gr.Error) as raised:
        handlers.chat("q")
    assert "rules.yaml" in raised.value.message
    assert "/srv/clinic" not in raised.value.message
    with pytest.raises(gr.Error, match="audience must be"):
        handlers.chat("q", audience="robot")


def test_the_approved_only_switch_asks_the_pipeline_that_searches_approved_documents(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    everything, approved = FakeAssistant(cited_answer), FakeAssistant(cited_answer)
    handlers = ChatHandlers(
        lambda: everything, FeedbackStore(feedback_path(settings)), lambda: approved
    )

    handlers.chat("q", None, "clinician", approved_only=True)
    list(handlers.respond("r", [], "clinician", {}, approved_only=False))

    assert [c[0] for c in approved.calls] == ["q"]
    assert [c[0] for c in everything.calls] == ["r"]


def test_the_real_approved_only_pipeline_searches_approved_documents_only(
    settings: Settings,
) -> None:
    handlers = ChatHandlers.for_settings(settings)

    approved = handlers.assistant(approved_only=True)

    assert getattr(approved, "settings").retrieval.approved_only is True  # noqa: B009
    assert getattr(handlers.assistant(), "settings").retrieval.approved_only is False  # noqa: B009


def rated_turn(
    settings: Settings, answer: AnswerResult, question: str = "What <b>threshold</b>?"
) -> tuple[ChatHandlers, dict[int, RatedAnswer], list[Mapping[str, Any]]]:
    handlers = handlers_for(settings, FakeAssistant(answer))
    *_, (messages, turns) = handlers.respond(question, [], "clinician", {})
    shown = ui_messages.escape_user_messages(
        [{"role": "user", "content": [{"type": "text", "text": question}]}]
    )
    return handlers, turns, [*cast("list[Mapping[str, Any]]", shown), *messages]


def test_a_like_is_stored_with_the_question_answer_and_cited_documents(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    handlers, turns, history = rated_turn(settings, cited_answer)

    handlers.rate(turns, history, like(1, True))
    handlers.rate(turns, history, like(1, ""))

    records = FeedbackStore(feedback_path(settings)).read_all()
    assert [r.rating for r in records] == ["like", "cleared"]
    assert records[0].question == "What <b>threshold</b>?"
    assert records[0].answer == cited_answer.answer
    assert records[0].doc_ids == ["bsh-cobalamin", "praxis-b12"]


def test_a_dislike_reason_is_stored_with_the_rating_it_explains(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    handlers, turns, history = rated_turn(settings, cited_answer)

    handlers.rate(turns, history, like(1, False))
    handlers.give_reason(turns, 1, "  The cut-off is out of date.  ")
    handlers.give_reason(turns, 1, "   ")  # an empty reason stores nothing

    first, second = FeedbackStore(feedback_path(settings)).read_all()
    assert (first.rating, first.reason) == ("dislike", "")
    assert (second.rating, second.reason) == ("dislike", "The cut-off is out of date.")
    assert second.answer == cited_answer.answer


def test_a_rating_that_matches_no_answer_of_the_chat_stores_nothing(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    handlers, turns, history = rated_turn(settings, cited_answer, "First")
    other_history = [{"role": "user", "content": "Something else"}, *history[1:]]

    with pytest.warns(UserWarning, match="Feedback"):
        handlers.rate(turns, other_history, like(1, False))
    with pytest.warns(UserWarning, match="Feedback"):
        handlers.rate(turns, history, like(7, False))

    assert not feedback_path(settings).exists()


class FullDisk(FeedbackStore):
    def record(self, rated: RatedAnswer, rating: Rating, reason: str = "") -> Any:
        raise FeedbackError(f"cannot write the feedback file {self.path}: No space left")


def test_a_rating_that_cannot_be_saved_says_so_without_the_server_path(
    settings: Settings, cited_answer: AnswerResult, tmp_path: Path
) -> None:
    handlers, turns, history = rated_turn(settings, cited_answer)
    handlers.feedback = FullDisk(tmp_path / "deep" / "feedback.jsonl")

    with pytest.warns(UserWarning, match="No space left") as warned:
        handlers.rate(turns, history, like(1, True))

    assert str(tmp_path) not in str(warned[0].message)


def test_building_the_app_does_not_create_the_assistant(
    settings: Settings, cited_answer: AnswerResult
) -> None:
    created: list[FakeAssistant] = []

    def make() -> FakeAssistant:
        created.append(FakeAssistant(cited_answer))
        return created[-1]

    handlers = ChatHandlers(make, FeedbackStore(feedback_path(settings)))
    build_app(settings, handlers)
    assert created == []

    handlers.chat("one")
    handlers.chat("two")
    assert len(created) == 1


def test_only_chat_and_ask_are_public_and_every_page_event_is_private(settings: Settings) -> None:
    app = build_app(settings)

    visibility = {
        fn.api_visibility for fn in app.fns.values() if fn.api_name not in ("chat", "ask")
    }
    public = {fn.api_name for fn in app.fns.values() if fn.api_visibility == "public"}

    assert public == {"chat", "ask"}
    assert visibility == {"private"}  # not "undocumented": no client can call them


def test_the_api_documents_typed_parameters_and_results(settings: Settings) -> None:
    info = build_app(settings).get_api_info()["named_endpoints"]

    chat, ask = info["/chat"], info["/ask"]
    assert [p["parameter_name"] for p in chat["parameters"]] == [
        "question", "history", "audience", "approved_only",
    ]  # fmt: skip
    assert chat["returns"][0]["type"]["type"] == "string"
    assert "citations" in ask["returns"][0]["type"]["properties"]


def test_the_app_chatbot_sanitizes_and_shows_typed_html_as_text(settings: Settings) -> None:
    app = build_app(settings)
    (chatbot,) = (block for block in app.blocks.values() if isinstance(block, gr.Chatbot))

    shown = chatbot.postprocess(
        [
            {"role": "user", "content": '<img src="http://example.org/x.png"> 5 < 6'},
            {"role": "assistant", "content": "**bold** answer"},
        ]
    ).model_dump()

    assert chatbot.sanitize_html is True
    user_text = shown[0]["content"][0]["text"]
    assert "<img" not in user_text
    assert user_text == '&lt;img src="http://example.org/x.png"> 5 &lt; 6'
    assert shown[1]["content"][0]["text"] == "**bold** answer"


def test_no_login_unless_configured() -> None:
    assert auth_from_settings(ServeSettings()) is None


def test_login_from_user_name_and_password() -> None:
    serve = ServeSettings(username="clinic", password=SecretStr(PASSWORD))

    assert auth_from_settings(serve) == [("clinic", PASSWORD)]


@pytest.mark.parametrize(
    "serve",
    [
        ServeSettings(username="clinic"),
        ServeSettings(password=SecretStr(PASSWORD)),
        ServeSettings(username="clinic", password=SecretStr("")),
    ],
    ids=["user-only", "password-only", "empty-password"],
)
def test_half_configured_login_is_a_clear_error(serve: ServeSettings) -> None:
    with pytest.raises(ServeError, match="ASSISTANT_SERVE__PASSWORD"):
        auth_from_settings(serve)


def test_a_short_password_is_refused_with_the_minimum_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    short = "x" * (MIN_PASSWORD_CHARS - 1)
    with pytest.raises(ValidationError, match=f"at least {MIN_PASSWORD_CHARS}"):
        ServeSettings(username="clinic", password=SecretStr(short))

    monkeypatch.setenv("ASSISTANT_SERVE__PASSWORD", short)
    with pytest.raises(ValidationError, match="ASSISTANT_SERVE__PASSWORD"):
        Settings()
    assert ServeSettings(password=SecretStr("x" * MIN_PASSWORD_CHARS)).password is not None


def test_login_is_read_from_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_SERVE__USERNAME", "clinic")
    monkeypatch.setenv("ASSISTANT_SERVE__PASSWORD", PASSWORD)

    assert auth_from_settings(Settings().serve) == [("clinic", PASSWORD)]


def test_serve_refuses_a_half_configured_login_before_loading_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from assistant.app import ui

    settings = Settings(data_dir=tmp_path, serve=ServeSettings(username="clinic"))
    monkeypatch.setattr(ui, "launch", pytest.fail)

    with pytest.raises(ServeError):
        ui.serve(settings)

    assert list(tmp_path.iterdir()) == []
